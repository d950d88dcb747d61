package statefile

import (
	"os"
	"path/filepath"
	"testing"
)

type sample struct {
	Tokens []string `json:"tokens"`
}

func TestSaveThenLoadKeepsTheStateOwnerOnlyAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "google.json")
	if err := Save(path, sample{Tokens: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, sample{Tokens: []string{"c"}}); err != nil {
		t.Fatal(err)
	}
	var got sample
	if found, err := Load(path, &got); !found || err != nil || len(got.Tokens) != 1 || got.Tokens[0] != "c" {
		t.Fatalf("Load = %v, %v, %+v; want the last state saved", found, err, got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode: %v %v; want 0600 (it holds tokens)", fi, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("directory holds %d entries; want only the state file", len(entries))
	}
}

func TestLoadTellsMissingFromCorrupt(t *testing.T) {
	dir := t.TempDir()
	got := sample{Tokens: []string{"untouched"}}
	if found, err := Load(filepath.Join(dir, "none.json"), &got); found || err != nil || got.Tokens[0] != "untouched" {
		t.Fatalf("missing file: %v, %v, %+v; want not found, no error, v untouched", found, err, got)
	}
	path := filepath.Join(dir, "bad.json")
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := Load(path, &got); err == nil {
		t.Fatal("a corrupt state file must be an error")
	}
}
