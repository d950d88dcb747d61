// Package datadir decides whether a directory may hold calsync's data, and prepares it.
//
// calsync keeps tokens and passwords beside its database, so the directory must be
// private to its owner. Making it private is only safe when the directory is calsync's
// own: chmodding an existing shared directory (a 1777 /tmp loses its sticky bit; a home
// directory locks out other tools) breaks things that are not calsync's. So:
//
//   - a directory that does not exist is created, mode 0700;
//   - an existing directory that is already private is used as it is;
//   - an existing directory of the person's that holds nothing but calsync's own files
//     (an older version made it, someone widened it, or they just ran mkdir for it) is
//     tightened to 0700, and the caller is told: no one else's files are affected;
//   - any other existing directory (other content, someone else's, or shared with the
//     sticky bit / world-writable) is refused with the reason and what to do; calsync
//     never changes its mode.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DBFileName is the database's name inside the data directory (store.DBFileName).
const DBFileName = "calsync.db"

// ownNames are the entries calsync itself makes in a data directory: the database and
// its SQLite side files, and the demo sandbox's fake providers.
var ownNames = map[string]bool{
	DBFileName:              true,
	DBFileName + "-wal":     true,
	DBFileName + "-shm":     true,
	DBFileName + "-journal": true,
	"fakes":                 true,
}

// IsOwnName reports whether name (an entry directly inside a data directory) is one
// calsync makes.
func IsOwnName(name string) bool { return ownNames[name] }

// ErrEmpty is returned for an empty directory name (`--data-dir ""`), which must not
// silently mean "the default directory".
var ErrEmpty = errors.New("the data directory is empty: give --data-dir a directory, or leave the flag out for the default")

// Refusal explains why an existing directory is not used; its message says what to do.
type Refusal struct {
	Dir    string
	Mode   fs.FileMode // the directory's mode as found (never changed)
	Reason string
}

func (r *Refusal) Error() string { return r.Reason }

// Result says what Prepare did.
type Result struct {
	Created   bool // the directory did not exist and was made private
	Tightened bool // calsync's own directory was wider than 0700 and was narrowed
}

// State is what Inspect found, without changing anything.
type State struct {
	Exists  bool
	Mode    fs.FileMode // permission and special bits (sticky, ...) when Exists
	HasDB   bool        // calsync.db is there
	Foreign []string    // entries calsync does not make, sorted (at most a few are listed)
	Empty   bool        // no entries at all
	Mine    bool        // owned by this process's user (always true where unknown)
}

// Inspect looks at dir without changing it.
func Inspect(dir string) (State, error) {
	if dir == "" {
		return State{}, ErrEmpty
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, nil
	}
	if err != nil {
		return State{}, err
	}
	if !fi.IsDir() {
		return State{}, &Refusal{Dir: dir, Mode: fi.Mode(), Reason: fmt.Sprintf("%s is a file, not a directory: give --data-dir a directory", dir)}
	}
	st := State{Exists: true, Mode: fi.Mode() & (fs.ModePerm | fs.ModeSticky | fs.ModeSetuid | fs.ModeSetgid), Mine: ownedByMe(fi)}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return State{}, fmt.Errorf("read data directory %s: %w", dir, err)
	}
	st.Empty = len(entries) == 0
	for _, e := range entries {
		switch {
		case e.Name() == DBFileName:
			st.HasDB = true
		case IsOwnName(e.Name()):
		default:
			st.Foreign = append(st.Foreign, e.Name())
		}
	}
	sort.Strings(st.Foreign)
	return st, nil
}

// Private reports whether mode gives nobody but the owner any access.
func Private(mode fs.FileMode) bool {
	return mode&(fs.ModePerm&^0o700) == 0 && mode&fs.ModeSticky == 0
}

// Prepare makes dir ready for calsync's database under the rules in the package comment.
// It never changes the mode of a directory it did not create unless that directory holds
// only calsync's files.
func Prepare(dir string) (Result, error) {
	st, err := Inspect(dir)
	if err != nil {
		return Result{}, err
	}
	if !st.Exists {
		return create(dir)
	}
	if Private(st.Mode) {
		return Result{}, nil
	}
	if r := refusal(dir, st); r != nil {
		return Result{}, r
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return Result{}, fmt.Errorf("tighten permissions of %s: %w", dir, err)
	}
	return Result{Tightened: true}, nil
}

// refusal is why a non-private existing directory may not be tightened, or nil when it is
// calsync's own: the person's, not shared, and holding calsync's files or nothing.
func refusal(dir string, st State) *Refusal {
	mode := fmt.Sprintf("%04o", uint32(st.Mode.Perm())|specialBits(st.Mode))
	switch {
	case st.Mode&fs.ModeSticky != 0 || st.Mode&0o002 != 0:
		return &Refusal{Dir: dir, Mode: st.Mode, Reason: fmt.Sprintf(
			"%s is a shared directory (mode %s): calsync keeps passwords and tokens there, so it needs a directory of its own; give --data-dir a new directory such as %s",
			dir, mode, filepath.Join(dir, "calsync"))}
	case len(st.Foreign) > 0:
		return &Refusal{Dir: dir, Mode: st.Mode, Reason: fmt.Sprintf(
			"%s holds other files (%s) and others can read it (mode %s): calsync will not change its permissions; give --data-dir a new directory such as %s",
			dir, listSome(st.Foreign), mode, filepath.Join(dir, "calsync"))}
	case !st.Mine:
		return &Refusal{Dir: dir, Mode: st.Mode, Reason: fmt.Sprintf(
			"%s belongs to another user and others can read it (mode %s): calsync will not change its permissions; if it is meant for calsync alone run `chmod 700 %s`, or give --data-dir a new directory",
			dir, mode, dir)}
	}
	return nil
}

func specialBits(m fs.FileMode) uint32 {
	var b uint32
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func listSome(names []string) string {
	const max = 3
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

// create makes dir (and missing parents) and sets it to 0700 whatever the umask.
// Parents are made 0755 like mkdir -p would: they are not calsync's.
func create(dir string) (Result, error) {
	if parent := filepath.Dir(dir); parent != dir {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return Result{}, fmt.Errorf("create data directory %s: %w", dir, err)
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return Result{}, fmt.Errorf("create data directory %s: %w", dir, err)
	} else if err != nil {
		// Someone made it between Inspect and Mkdir: judge it like any existing one.
		return Prepare(dir)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return Result{}, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	return Result{Created: true}, nil
}
