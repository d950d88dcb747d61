package common

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aymanbagabas/go-osc52/v2"
	"github.com/charmbracelet/x/ansi"
)

// A hand-off is a text a person passes on to someone else: the note for the IT admin,
// the message for support. Screens let the person save it to a file (s) or copy it (c).

// CopyToClipboard puts text on the terminal's clipboard with an OSC 52 escape sequence,
// written to out in one write (so it cannot interleave with a frame being drawn). Inside
// tmux or screen the sequence is wrapped so it reaches the outer terminal. It returns a
// sentence for the person: the terminal never answers, so whether the copy arrived cannot
// be known, and the sentence says which terminals take it.
func CopyToClipboard(out io.Writer, getenv func(string) string, text string) (string, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	term := getenv("TERM")
	if term == "dumb" || term == "linux" {
		return "", fmt.Errorf("this terminal (%s) has no clipboard access; press s to save it to a file instead", term)
	}
	seq := osc52.New(text)
	switch {
	case getenv("TMUX") != "":
		seq = seq.Tmux()
	case strings.HasPrefix(term, "screen"):
		seq = seq.Screen()
	}
	if _, err := seq.WriteTo(out); err != nil {
		return "", fmt.Errorf("could not copy: %v; press s to save it to a file instead", err)
	}
	return "Copied by OSC 52, which some terminals ignore (macOS Terminal, GNOME Terminal; tmux without " +
		"set-clipboard on): if pasting gives nothing, press s to save it to a file.", nil
}

// HandoffFileName is a file name that says what the hand-off is and whom it is about:
// HandoffFileName("admin-note", "ana@example.com") is "admin-note-ana@example.com.txt".
// Characters that are unsafe in file names on any system become "-".
func HandoffFileName(kind, about string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '@', r == '_', r == '-':
			return r
		}
		return '-'
	}, about)
	clean = strings.Trim(clean, ".-")
	if clean == "" {
		return kind + ".txt"
	}
	return kind + "-" + clean + ".txt"
}

// SaveHandoff writes text to dir/name readable by the owner only (0600, also when the
// file existed with wider rights), replacing it whole through a temporary file, and
// returns the path. Call it from a tea.Cmd: it does file I/O.
func SaveHandoff(dir, name, text string) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("no calsync data directory is open to save %s in", name)
	}
	path := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // after the rename it no longer exists
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	// A hand-off is read in an editor or mail client: plain text, no escape codes.
	if _, err := tmp.WriteString(ansi.Strip(strings.TrimRight(text, "\n")) + "\n"); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// WrapKeepURLs wraps plain text like Wrap, except that a web address is never cut: it
// gets a line of its own, and a line longer than w only when the address itself is
// (cutting it would make it useless to copy). A line that fits is kept as it is (aligned
// columns stay aligned); a wrapped line keeps its indentation.
func WrapKeepURLs(s string, w int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if ansi.StringWidth(line) <= w {
			out = append(out, line) // fits: its own alignment kept
			continue
		}
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		var cur []string
		flush := func() {
			if len(cur) > 0 {
				for _, l := range strings.Split(Wrap(strings.Join(cur, " "), max(10, w-len(indent))), "\n") {
					out = append(out, indent+l)
				}
				cur = nil
			}
		}
		words := strings.Fields(line)
		if len(words) == 0 {
			out = append(out, "")
			continue
		}
		for _, word := range words {
			if isURL(word) && len(indent)+ansi.StringWidth(strings.Join(append(cur, word), " ")) > w {
				flush()
				if len(indent)+ansi.StringWidth(word) <= w {
					out = append(out, indent+word)
				} else {
					out = append(out, word) // flush left: as much of it on screen as can be
				}
				continue
			}
			cur = append(cur, word)
		}
		flush()
	}
	return strings.Join(out, "\n")
}

func isURL(word string) bool {
	w := strings.TrimLeft(word, "(<\"'")
	return strings.HasPrefix(w, "https://") || strings.HasPrefix(w, "http://")
}
