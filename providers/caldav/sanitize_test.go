package caldav

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
)

func multistatusWith(summary []byte) []byte {
	ev := func(uid string, summary []byte) []byte {
		var b bytes.Buffer
		b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
			"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\nSUMMARY:")
		// A server escapes markup in calendar-data but, like Xandikos, copies every other
		// byte of the stored text as it is.
		b.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(string(summary)))
		b.WriteString("\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
		return b.Bytes()
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">`)
	for _, r := range []struct {
		href string
		data []byte
	}{{"/cal/bad.ics", ev("bad", summary)}, {"/cal/good.ics", ev("good", []byte("Plain"))}} {
		b.WriteString(`<d:response><d:href>` + r.href + `</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag><c:calendar-data>`)
		b.Write(r.data)
		b.WriteString(`</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`)
	}
	b.WriteString(`</d:multistatus>`)
	return b.Bytes()
}

// decodeListing is what a listing does with a multistatus body: sanitise, decode the
// XML, decode each event.
func decodeListing(t *testing.T, body []byte) (good []providers.Event, bad int) {
	t.Helper()
	var ms multistatus
	if err := xml.NewDecoder(bytes.NewReader(sanitizeXML(body))).Decode(&ms); err != nil {
		t.Fatalf("the listing fails for one event's text: %v", err)
	}
	win := providers.Window{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
	for _, r := range ms.Responses {
		pr := r.okProp()
		if pr.CalendarData == nil {
			bad++
			continue
		}
		evs, err := decodeObject(r.Hrefs[0], pr.ETag, []byte(*pr.CalendarData), win, now)
		if err != nil {
			bad++
			continue
		}
		good = append(good, evs...)
	}
	return good, bad
}

// The case: a SUMMARY holding a raw ESC (as Xandikos sends it) made the whole
// listing unreadable. Now the character is stripped and both events arrive.
func TestControlCharacterInOneEventKeepsTheListing(t *testing.T) {
	for name, summary := range map[string]string{
		"raw ESC":          "Red \x1b[31malert\x1b[0m",
		"reference to ESC": "Bell&#7; and &#x1B;",
		"NUL and invalid":  "a\x00b\xffc",
	} {
		body := multistatusWith([]byte(summary))
		if name == "reference to ESC" {
			body = bytes.Replace(body, []byte("&amp;#"), []byte("&#"), -1)
		}
		evs, bad := decodeListing(t, body)
		if bad != 0 || len(evs) != 2 {
			t.Fatalf("%s: %d events, %d bad, want both events", name, len(evs), bad)
		}
		got := evs[0].Subject
		if evs[0].ICalUID != "bad" {
			got = evs[1].Subject
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 }) {
			t.Errorf("%s: control character kept in %q", name, got)
		}
	}
	clean := multistatusWith([]byte("Ünïcode &amp; <b>"))
	if out := sanitizeXML(clean); &out[0] != &clean[0] {
		t.Error("a body needing nothing was copied")
	}
}

// FuzzSanitizeXML: whatever bytes one event's text holds, the listing still decodes and
// the other event arrives intact.
func FuzzSanitizeXML(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[2J", "\x00", "\xff\xfe", "&#27;", "&#xFFFE;", "\r\n\r", "\uFFFF", "]]>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, summary []byte) {
		if bytes.ContainsAny(summary, "\r\n") {
			// Line breaks inside the content line would change the iCalendar structure,
			// not the characters; they are covered by FuzzDecodeObject.
			summary = bytes.Map(func(r rune) rune {
				if r == '\r' || r == '\n' {
					return ' '
				}
				return r
			}, summary)
		}
		evs, _ := decodeListing(t, multistatusWith(summary))
		found := false
		for _, e := range evs {
			if e.ICalUID == "good" && e.Subject == "Plain" {
				found = true
			}
		}
		if !found {
			t.Fatalf("the good event is lost for summary %q: %+v", summary, evs)
		}
	})
}
