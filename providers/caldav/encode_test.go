package caldav

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
)

func encoded(t *testing.T, ev providers.Event) string {
	t.Helper()
	b, err := encodeEvent(nil, ev, "uid-1", now)
	if err != nil {
		t.Fatalf("encode %+v: %v", ev, err)
	}
	return strings.Join(unfoldLines(string(b)), "\n")
}

func unfoldLines(s string) []string {
	return strings.Split(strings.ReplaceAll(s, "\r\n ", ""), "\r\n")
}

// RFC 5545 3.8.2.2: DTEND must be later than DTSTART. A zero-duration activity is
// written without DTEND (3.6.1: a DATE-TIME start alone has no duration) and read back
// with its end at its start; an all-day event is a DATE range of at least one day.
func TestEncodeZeroDurationAndAllDay(t *testing.T) {
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, tz := range []string{"UTC", "Europe/Berlin"} {
		out := encoded(t, providers.Event{ActivityID: "a", Subject: "Reminder", Start: at, End: at, TimeZone: tz})
		if strings.Contains(out, "DTEND") || strings.Contains(out, "DURATION") {
			t.Errorf("%s: zero duration written with an end:\n%s", tz, out)
		}
		back := decode1(t, []byte(strings.ReplaceAll(out, "\n", "\r\n")))
		if !back.Start.Equal(at) || !back.End.Equal(at) {
			t.Errorf("%s: read back %v..%v, want %v..%v", tz, back.Start, back.End, at, at)
		}
	}
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	out := encoded(t, providers.Event{ActivityID: "a", Subject: "Holiday", AllDay: true, Start: day, End: day})
	if !strings.Contains(out, "DTSTART;VALUE=DATE:20260501") || !strings.Contains(out, "DTEND;VALUE=DATE:20260502") {
		t.Errorf("all-day event not written as a DATE range of one day:\n%s", out)
	}
}

// A note pasted from Windows made every push fail ("contains a CR or LF"): CR LF and a
// lone CR go out as escaped line breaks, other control characters are dropped.
func TestEncodeNormalisesLineBreaks(t *testing.T) {
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	out := encoded(t, providers.Event{ActivityID: "a", Subject: "Call\r\nBob", Description: "a\r\nb\rc\x1bd",
		Location: "Room\r5", Start: at, End: at.Add(time.Hour)})
	for _, want := range []string{`SUMMARY:Call\nBob`, `DESCRIPTION:a\nb\ncd`, `LOCATION:Room\n5`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	back := decode1(t, []byte(strings.ReplaceAll(out, "\n", "\r\n")))
	if back.Description != "a\nb\ncd" || back.Subject != "Call\nBob" {
		t.Errorf("read back %q / %q", back.Subject, back.Description)
	}
}
