// Package statefile keeps a fake provider's remote state in one JSON file. Demo mode
// restarts the fakes on new ports from these files, so a save must never leave half a file
// behind, and the file holds issued tokens, so only its owner may read it.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Load reads the JSON file at path into v. A file that does not exist is not an error:
// found is false and v is untouched. A file that exists but cannot be read or decoded is
// an error (found is then true when it was read).
func Load(path string, v any) (found bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return true, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// Save writes v as JSON to path atomically: into a temporary file beside it, synced and
// made 0600, then renamed over path, so a reader (or a crash) sees the old state or the
// new one, never part of either. On failure the temporary file is removed.
func Save(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
