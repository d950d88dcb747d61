package datadir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode() & (fs.ModePerm | fs.ModeSticky)
}

// dirWith makes a directory with the given mode holding the named (empty) files.
func dirWith(t *testing.T, m fs.FileMode, files ...string) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(d, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(d, m); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPrepareCreatesAPrivateDirectoryAndOrdinaryParents(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "a", "b", "calsync")
	r, err := Prepare(d)
	if err != nil || !r.Created || r.Tightened {
		t.Fatalf("Prepare = %+v, %v", r, err)
	}
	if m := mode(t, d); m != 0o700 {
		t.Errorf("data directory mode %v, want 0700", m)
	}
	// The parents are the person's, not calsync's: not made private.
	if m := mode(t, filepath.Join(root, "a")); m&0o055 == 0 {
		t.Errorf("parent made private: %v", m)
	}
	// A second run finds it private and changes nothing.
	if r, err := Prepare(d); err != nil || r.Created || r.Tightened {
		t.Fatalf("second Prepare = %+v, %v", r, err)
	}
}

func TestPrepareNeverChangesASharedDirectory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  fs.FileMode
		files []string
	}{
		{"sticky tmp-like with others' files", 0o777 | fs.ModeSticky, []string{"x11.lock"}},
		{"sticky even with only a calsync database", 0o777 | fs.ModeSticky, []string{DBFileName}},
		{"world-writable", 0o777, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dirWith(t, tc.mode, tc.files...)
			before := mode(t, d)
			_, err := Prepare(d)
			var r *Refusal
			if !errors.As(err, &r) {
				t.Fatalf("Prepare err = %v, want a refusal", err)
			}
			if !strings.Contains(err.Error(), "shared directory") || !strings.Contains(err.Error(), filepath.Join(d, "calsync")) {
				t.Errorf("message %q does not say why and what to do", err)
			}
			if after := mode(t, d); after != before {
				t.Errorf("mode changed from %v to %v", before, after)
			}
			if _, err := os.Stat(filepath.Join(d, DBFileName)); len(tc.files) == 0 && err == nil {
				t.Error("a database was created in a refused directory")
			}
		})
	}
}

func TestPrepareRefusesAReadableDirectoryWithOtherContent(t *testing.T) {
	d := dirWith(t, 0o755, "notes.txt", "photo.jpg", DBFileName)
	_, err := Prepare(d)
	var r *Refusal
	if !errors.As(err, &r) {
		t.Fatalf("err = %v, want a refusal", err)
	}
	for _, want := range []string{"notes.txt", "photo.jpg", "0755", "new directory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if m := mode(t, d); m != 0o755 {
		t.Errorf("mode changed to %v", m)
	}
}

func TestPrepareTightensAnEmptyDirectoryOfTheirs(t *testing.T) {
	// `mkdir data && calsync --data-dir data`: nothing in it is anyone else's.
	d := dirWith(t, 0o755)
	r, err := Prepare(d)
	if err != nil || !r.Tightened {
		t.Fatalf("Prepare = %+v, %v", r, err)
	}
	if m := mode(t, d); m != 0o700 {
		t.Errorf("mode %v, want 0700", m)
	}
}

func TestPrepareNeverChangesAnotherUsersDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another user (CI runs as root)")
	}
	d := dirWith(t, 0o755)
	if err := os.Chown(d, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := Prepare(d)
	if err == nil || !strings.Contains(err.Error(), "belongs to another user") || !strings.Contains(err.Error(), "chmod 700 "+d) {
		t.Fatalf("err = %v, want a refusal that says why and how", err)
	}
	if m := mode(t, d); m != 0o755 {
		t.Errorf("mode changed to %v", m)
	}
}

func TestPrepareUsesAnAlreadyPrivateDirectoryWhateverItHolds(t *testing.T) {
	d := dirWith(t, 0o700, "notes.txt")
	r, err := Prepare(d)
	if err != nil || r.Created || r.Tightened {
		t.Fatalf("Prepare = %+v, %v", r, err)
	}
	if m := mode(t, d); m != 0o700 {
		t.Errorf("mode %v", m)
	}
}

func TestPrepareTightensItsOwnDirectory(t *testing.T) {
	// Holds only calsync's database and side files: an older version made it, or it was
	// widened by hand. Nothing else lives there, so narrowing it harms nobody.
	d := dirWith(t, 0o755, DBFileName, DBFileName+"-wal")
	if err := os.Mkdir(filepath.Join(d, "fakes"), 0o700); err != nil {
		t.Fatal(err)
	}
	r, err := Prepare(d)
	if err != nil || !r.Tightened {
		t.Fatalf("Prepare = %+v, %v", r, err)
	}
	if m := mode(t, d); m != 0o700 {
		t.Errorf("mode %v, want 0700", m)
	}
}

func TestPrepareRefusesAFileAndAnEmptyName(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := Prepare(f); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file: %v", err)
	}
	if _, err := Prepare(""); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty name: %v", err)
	}
}

func TestInspectTellsCalsyncFilesFromOthers(t *testing.T) {
	d := dirWith(t, 0o700, DBFileName, DBFileName+"-shm", "b", "a")
	st, err := Inspect(d)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Exists || !st.HasDB || st.Empty || strings.Join(st.Foreign, ",") != "a,b" {
		t.Errorf("Inspect = %+v", st)
	}
	if st, err := Inspect(filepath.Join(d, "missing")); err != nil || st.Exists {
		t.Errorf("missing: %+v %v", st, err)
	}
}
