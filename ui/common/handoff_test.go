package common

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveHandoffWritesTheWholeTextOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	name := HandoffFileName("admin-note", "ana@example.com")
	if name != "admin-note-ana@example.com.txt" {
		t.Fatalf("name %q", name)
	}
	if got := HandoffFileName("admin-note", "../../etc/passwd"); strings.Contains(got, "/") {
		t.Fatalf("path separators kept: %q", got)
	}
	// An older copy readable by others is replaced and tightened.
	if err := os.WriteFile(filepath.Join(dir, name), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := "Hello,\n\nplease allow https://example.com/a?b=c\x1b[31m red\x1b[0m\n"
	path, err := SaveHandoff(dir, name, text)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "Hello,\n\nplease allow https://example.com/a?b=c red\n" {
		t.Fatalf("file holds %q", b)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if _, err := SaveHandoff("", name, text); err == nil {
		t.Fatal("saved without a data directory")
	}
}

func TestCopyToClipboardWritesOSC52(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{"TERM": "xterm-256color"}
	msg, err := CopyToClipboard(&out, func(k string) string { return env[k] }, "note text")
	if err != nil {
		t.Fatal(err)
	}
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("note text")) + "\x07"
	if out.String() != want {
		t.Fatalf("wrote %q, want %q", out.String(), want)
	}
	if !strings.Contains(msg, "press s to save") {
		t.Fatalf("message does not say what to do when the terminal ignores it: %q", msg)
	}
	// Inside tmux the sequence is passed through to the outer terminal.
	out.Reset()
	env["TMUX"] = "/tmp/tmux-1000/default,1,0"
	if _, err := CopyToClipboard(&out, func(k string) string { return env[k] }, "x"); err != nil || !strings.HasPrefix(out.String(), "\x1bPtmux;") {
		t.Fatalf("tmux: %q %v", out.String(), err)
	}
	out.Reset()
	env["TERM"] = "dumb"
	if _, err := CopyToClipboard(&out, func(k string) string { return env[k] }, "x"); err == nil || out.Len() != 0 {
		t.Fatalf("a dumb terminal got %q (err %v)", out.String(), err)
	}
}

// Under NO_COLOR the chosen button of a pair (the settings form's On/Off) must still be
// told apart from the other: by a marker, not by colour.
func TestNoColorButtonsCarryAMarker(t *testing.T) {
	th := NewStyles(DefaultTheme(true)).FormTheme()
	on, off := th.Focused.FocusedButton.Render("On"), th.Focused.BlurredButton.Render("Off")
	if !strings.Contains(on, "▸") || strings.Contains(off, "▸") {
		t.Fatalf("chosen %q and other %q look alike", on, off)
	}
}
