package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// runWith runs calsync with exactly args (no --data-dir added) and a fixed environment.
func runWith(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] },
		Now: func() time.Time { return actNow }}
	code := run(context.Background(), e, args)
	return out.String(), errb.String(), code
}

func TestEmptyDataDirIsAUsageError(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	for _, args := range [][]string{
		{"--data-dir", "", "activity", "list"},
		{"--data-dir=", "activity", "list"},
		{"activity", "list", "--data-dir", ""},
		{"activity", "list", "--data-dir="},
	} {
		_, errs, code := runWith(t, env, args...)
		if code != exitUsage || !strings.Contains(errs, "data directory is empty") {
			t.Errorf("%q: exit %d %q", args, code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "calsync")); !os.IsNotExist(err) {
		t.Errorf("an empty --data-dir used the default directory: %v", err)
	}
}

func TestASharedDataDirKeepsItsMode(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "tmp")
	os.Mkdir(shared, 0o700)
	os.WriteFile(filepath.Join(shared, "someone-else.sock"), nil, 0o600)
	os.Chmod(shared, 0o777|os.ModeSticky)
	_, errs, code := runWith(t, nil, "--data-dir", shared, "activity", "list")
	if code != exitFailure || !strings.Contains(errs, "shared directory") {
		t.Fatalf("exit %d %q", code, errs)
	}
	fi, _ := os.Stat(shared)
	if fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("mode changed to %v", fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(shared, store.DBFileName)); err == nil {
		t.Error("a database was written into the shared directory")
	}
}

func TestDemoRefusesANonEmptyDirectoryThatIsNotASandbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	os.Mkdir(dir, 0o700) // private: store.Open alone would accept it
	os.WriteFile(filepath.Join(dir, "thesis.tex"), []byte("draft"), 0o600)
	out, errs, code := runWith(t, nil, "demo", "--no-tui", "--data-dir", dir)
	if code != exitFailure || !strings.Contains(errs, "is not empty (thesis.tex) and is not a demo sandbox") || out != "" {
		t.Fatalf("exit %d %q %q", code, out, errs)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("demo wrote into the directory: %v", entries)
	}
}
