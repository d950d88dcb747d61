package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// Without a terminal the app must not start (Bubble Tea would fail or draw garbage into a
// pipe): it says which commands to use instead and exits 1, touching nothing.
func TestTUIWithoutTerminalPointsAtCommands(t *testing.T) {
	dir := t.TempDir() + "/data"
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Interactive: false}
	code := run(context.Background(), env, []string{"--data-dir", dir})
	if code != exitFailure {
		t.Fatalf("exit %d, want %d", code, exitFailure)
	}
	msg := errb.String()
	for _, want := range []string{"needs a terminal", "calsync activity list", "calsync doctor"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("stderr lacks %q:\n%s", want, msg)
		}
	}
	if out.Len() != 0 {
		t.Fatalf("stdout should stay clean for pipes, got %q", out.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the data directory should not be created without a terminal (%v)", err)
	}
	if code := run(context.Background(), env, []string{"--data-dir", dir, "", "extra"}); code == exitOK {
		t.Fatal("arguments to the app must be refused")
	}
}
