// Package safetext makes text from calendars and the CRM safe to draw on a terminal.
//
// Event subjects, notes and locations come from other people and other programs. Drawn as
// they are, an ESC[2J clears the screen, an OSC 52 sequence writes to the clipboard, a BEL
// rings, a stray CR overwrites the line. Clean removes every such sequence and control
// character, and repairs invalid UTF-8, before anything reaches the screen.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s without terminal escape sequences (CSI, OSC, DCS, SOS, PM, APC, and
// two-byte ESC sequences, in their 7-bit and 8-bit forms), without C0/C1 control
// characters and without bidirectional overrides. Tabs and newlines become spaces.
// Invalid UTF-8 becomes U+FFFD.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			b.WriteRune(utf8.RuneError)
			i++
			continue
		}
		switch {
		case r == 0x1b: // ESC
			i = skipEscape(s, i+1)
			continue
		case r == 0x9b: // 8-bit CSI
			i = skipCSI(s, i+size)
			continue
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // 8-bit OSC, DCS, SOS, PM, APC
			i = skipString(s, i+size)
			continue
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// other control characters: dropped
		case isBidiControl(r):
			// dropped: they can make text read differently from what it is
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// Line is Clean, with runs of spaces collapsed and the ends trimmed: for one-line cells.
func Line(s string) string {
	return strings.Join(strings.Fields(Clean(s)), " ")
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	switch r {
	case '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c':
		return true
	}
	return unicode.Is(unicode.Cf, r) && r != '\u200d' // keep ZWJ for emoji sequences
}

// skipEscape skips what follows an ESC byte at s[i-1].
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// ESC followed by intermediates (0x20-0x2f) and one final byte (0x30-0x7e).
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips parameter and intermediate bytes and the final byte of a CSI sequence.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 { // malformed: a control byte ends it
			return i
		}
	}
	return i
}

// skipString skips a control string up to its terminator: BEL, ESC \ or 8-bit ST.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case s[i] == 0x1b:
			return i // a new sequence starts; let the caller handle it
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
		i++
	}
	return i
}
