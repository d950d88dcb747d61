package caldav

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// sanitizeXML makes a multistatus body decodable when event text in it holds characters
// XML 1.0 forbids (2.2: C0 controls other than tab, LF and CR; U+FFFE, U+FFFF; invalid
// UTF-8). Servers copy event text into calendar-data as it was stored: Xandikos sends a
// SUMMARY's raw U+001B (ESC) as is, and encoding/xml then refuses the whole body, so one
// event would hide every other. Forbidden characters and character references to them
// (&#27;) are dropped, invalid UTF-8 becomes U+FFFD; everything else is left untouched,
// so a body that needs nothing is returned as it came.
func sanitizeXML(b []byte) []byte {
	if xmlClean(b) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c == '&' && i+2 < len(b) && b[i+1] == '#' {
			if n, ok := charRef(b[i:]); ok {
				if end := bytes.IndexByte(b[i:], ';'); end > 0 && !xmlChar(n) {
					i += end + 1 // a reference to a forbidden character: drop it
					continue
				}
			}
		}
		if c < utf8.RuneSelf {
			if xmlChar(rune(c)) {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, "\uFFFD"...)
		case xmlChar(r):
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// xmlClean is the fast path: no byte that could need sanitizing.
func xmlClean(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if c := b[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == '&' && i+1 < len(b) && b[i+1] == '#' {
			return false
		}
	}
	return utf8.Valid(b) && !bytes.Contains(b, []byte("\uFFFE")) && !bytes.Contains(b, []byte("\uFFFF"))
}

// xmlChar reports whether r may appear in an XML 1.0 document (the Char production).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// charRef parses "&#NN;" or "&#xHH;" at the start of b.
func charRef(b []byte) (rune, bool) {
	end := bytes.IndexByte(b, ';')
	if end < 3 || end > 12 {
		return 0, false
	}
	s := string(b[2:end])
	base := 10
	if s[0] == 'x' || s[0] == 'X' {
		s, base = s[1:], 16
	}
	n, err := strconv.ParseUint(s, base, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// stripControls removes C0 control characters (but tab and LF) and DEL from event text
// read from a server: RFC 5545 3.3.11 does not allow them in TEXT, and a raw ESC is a
// terminal control sequence waiting to happen. A CR LF or a lone CR becomes LF.
func stripControls(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b = append(b, '\n')
		case c < 0x20 && c != '\t' && c != '\n' || c == 0x7f:
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
