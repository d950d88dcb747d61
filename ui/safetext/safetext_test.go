package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanRemovesHostileSequences(t *testing.T) {
	cases := map[string]string{
		"clear screen":  "Call \x1b[2JBob",
		"osc52 bel":     "Lunch\x1b]52;c;ZXZpbA==\x07 today",
		"osc52 st":      "Lunch\x1b]52;c;ZXZpbA==\x1b\\ today",
		"bell":          "ring\x07ring",
		"8-bit csi":     "a\u009b31mb",
		"title":         "x\x1b]0;pwned\x07y",
		"cursor save":   "x\x1b7y",
		"bidi override": "invoice\u202egnp.exe",
		"carriage ret":  "ok\rEVIL",
		"dcs":           "a\x1bPq#0;2;0;0;0\x1b\\b",
		"unterminated":  "tail\x1b]52;c;AAAA",
		"lone esc":      "end\x1b",
	}
	for name, in := range cases {
		out := Clean(in)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
				t.Errorf("%s: control %U left in %q", name, r, out)
			}
		}
		if strings.Contains(out, "52;") || strings.Contains(out, "pwned") || strings.Contains(out, "[2J") {
			t.Errorf("%s: sequence payload left in %q", name, out)
		}
	}
	if got := Clean("Call \x1b[2JBob"); got != "Call Bob" {
		t.Errorf("got %q", got)
	}
	if got := Clean("Lunch\x1b]52;c;ZXZpbA==\x07 today"); got != "Lunch today" {
		t.Errorf("got %q", got)
	}
}

func TestCleanKeepsText(t *testing.T) {
	for _, s := range []string{"Réunion équipe", "会议", "Call 👩‍💻 Ana", "plain"} {
		if got := Clean(s); got != s {
			t.Errorf("Clean(%q) = %q", s, got)
		}
	}
	if got := Line(" a\tb\n\nc "); got != "a b c" {
		t.Errorf("Line = %q", got)
	}
}

func TestCleanRepairsInvalidUTF8(t *testing.T) {
	out := Clean("ok\xff\xfe")
	if !utf8.ValidString(out) || !strings.HasPrefix(out, "ok") {
		t.Errorf("got %q", out)
	}
}

func FuzzClean(f *testing.F) {
	f.Add("Call \x1b[2JBob")
	f.Add("\x1b]52;c;AAAA\x07")
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid utf8 from %q", s)
		}
		if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0x07) || strings.ContainsRune(out, 0x9b) {
			t.Fatalf("control left: %q -> %q", s, out)
		}
	})
}
