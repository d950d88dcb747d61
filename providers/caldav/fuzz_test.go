package caldav

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
)

// FuzzDecodeObject: any bytes from a server give events or an error, never a panic or a
// hang, and whatever is returned is usable (ids under the href, end not before start).
// Seed corpus in testdata/fuzz/FuzzDecodeObject: folded lines, missing DTEND, unknown
// TZID, a 1 MB DESCRIPTION, invalid UTF-8, two VEVENTs with different UIDs, recurrences.
func FuzzDecodeObject(f *testing.F) {
	f.Add([]byte(ics("BEGIN:VEVENT", "UID:u", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z", "RRULE:FREQ=DAILY", "END:VEVENT")))
	win := providers.Window{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := decodeEvents("/cal/x.ics", `"e"`, data, win, now)
		if err != nil {
			if evs != nil {
				t.Fatalf("events returned with error %v", err)
			}
			return
		}
		if len(evs) > maxInstances+len(data) {
			t.Fatalf("%d events from %d bytes", len(evs), len(data))
		}
		for _, e := range evs {
			if !strings.HasPrefix(e.RemoteID, "/cal/x.ics") {
				t.Fatalf("event id %q not under the href", e.RemoteID)
			}
			if e.End.Before(e.Start) {
				t.Fatalf("event ends before it starts: %+v", e)
			}
		}
	})
}
