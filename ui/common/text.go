package common

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Truncate cuts s (which may hold styling) to at most w cells, ending in "…" when cut.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// Fit truncates or pads s with spaces to exactly w cells: for table cells.
func Fit(s string, w int) string {
	s = Truncate(s, w)
	if n := ansi.StringWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// Wrap wraps plain text to w cells per line (words kept whole where they fit). Lines break
// at spaces only, never after a hyphen: addresses like /.well-known/caldav and names like
// Jean-Luc stay in one piece, so they can be read and copied.
func Wrap(s string, w int) string {
	if w <= 0 {
		return s
	}
	// ansi.Wrap always breaks after '-'; hide the hyphens from it behind a look-alike it
	// does not know, and put them back.
	out := strings.ReplaceAll(ansi.Wrap(strings.ReplaceAll(s, "-", nbHyphen), w, ""), nbHyphen, "-")
	// ansi.Wrap can leave a long unbroken word (an address) a cell or two over the width.
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Hardwrap(l, w, false)
		}
	}
	return strings.Join(lines, "\n")
}

// nbHyphen is U+2011 NON-BREAKING HYPHEN: one cell wide, like '-'.
const nbHyphen = "\u2011"

// Count writes n with thousands separators (100,000), so big counts read at a glance.
func Count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
