package caldav

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
)

func ics(lines ...string) []byte {
	return []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCALENDAR\r\n")
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func decode1(t *testing.T, data []byte) providers.Event {
	t.Helper()
	evs, err := decodeObject("/cal/x.ics", `"e1"`, data, providers.Window{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	return evs[0]
}

func TestDecodeTimes(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	cases := []struct {
		name       string
		lines      []string
		start, end time.Time
		allDay     bool
		tz         string
	}{
		{"UTC", []string{"DTSTART:20260310T090000Z", "DTEND:20260310T093000Z"},
			time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC), false, ""},
		{"TZID with VTIMEZONE, summer time", []string{"DTSTART;TZID=Europe/Berlin:20260710T090000", "DTEND;TZID=Europe/Berlin:20260710T100000"},
			time.Date(2026, 7, 10, 7, 0, 0, 0, time.UTC), time.Date(2026, 7, 10, 8, 0, 0, 0, time.UTC), false, "Europe/Berlin"},
		{"vendor-prefixed TZID", []string{"DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260110T090000", "DURATION:PT45M"},
			time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC), time.Date(2026, 1, 10, 8, 45, 0, 0, time.UTC), false, "Europe/Berlin"},
		{"Windows TZID", []string{"DTSTART;TZID=W. Europe Standard Time:20260110T090000", "DTEND;TZID=W. Europe Standard Time:20260110T100000"},
			time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC), time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC), false, "Europe/Berlin"},
		{"DURATION instead of DTEND", []string{"DTSTART:20260310T090000Z", "DURATION:PT1H30M"},
			time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 10, 30, 0, 0, time.UTC), false, ""},
		{"all-day with DTEND", []string{"DTSTART;VALUE=DATE:20260310", "DTEND;VALUE=DATE:20260312"},
			time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC), true, ""},
		{"all-day without DTEND lasts a day", []string{"DTSTART;VALUE=DATE:20260310"},
			time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), true, ""},
		{"timed without DTEND is instantaneous", []string{"DTSTART:20260310T090000Z"},
			time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), false, ""},
	}
	_ = berlin
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := append([]string{"BEGIN:VEVENT", "UID:u1", "DTSTAMP:20260101T000000Z", "SUMMARY:S"}, c.lines...)
			ev := decode1(t, ics(append(lines, "END:VEVENT")...))
			if !ev.Start.Equal(c.start) || !ev.End.Equal(c.end) || ev.AllDay != c.allDay || ev.TimeZone != c.tz {
				t.Errorf("got %v..%v allDay=%v tz=%q, want %v..%v allDay=%v tz=%q", ev.Start, ev.End, ev.AllDay, ev.TimeZone,
					c.start, c.end, c.allDay, c.tz)
			}
		})
	}
}

// A TZID nobody knows is resolved from the object's own VTIMEZONE (with its DST rules).
func TestDecodeCustomVTimezone(t *testing.T) {
	vtz := []string{"BEGIN:VTIMEZONE", "TZID:My Office Time",
		"BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
		"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT",
		"END:VTIMEZONE"}
	winter := decode1(t, ics(append(vtz, "BEGIN:VEVENT", "UID:u", "DTSTAMP:20260101T000000Z",
		"DTSTART;TZID=My Office Time:20260115T090000", "DTEND;TZID=My Office Time:20260115T100000", "END:VEVENT")...))
	if want := time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC); !winter.Start.Equal(want) {
		t.Errorf("winter start %v, want %v", winter.Start, want)
	}
	summer := decode1(t, ics(append(vtz, "BEGIN:VEVENT", "UID:u", "DTSTAMP:20260101T000000Z",
		"DTSTART;TZID=My Office Time:20260715T090000", "DTEND;TZID=My Office Time:20260715T100000", "END:VEVENT")...))
	if want := time.Date(2026, 7, 15, 7, 0, 0, 0, time.UTC); !summer.Start.Equal(want) {
		t.Errorf("summer start %v, want %v", summer.Start, want)
	}
	_, err := decodeObject("/c/x.ics", "", ics("BEGIN:VEVENT", "UID:u", "DTSTAMP:20260101T000000Z",
		"DTSTART;TZID=Nowhere/Special:20260715T090000", "END:VEVENT"), providers.Window{}, now)
	if err == nil || !strings.Contains(err.Error(), "Nowhere/Special") {
		t.Errorf("unknown TZID without VTIMEZONE: %v, want an error naming it", err)
	}
}

func TestDecodeRecurring(t *testing.T) {
	data := ics("BEGIN:VEVENT", "UID:series", "DTSTAMP:20260101T000000Z", "SUMMARY:Weekly",
		"DTSTART;TZID=Europe/Berlin:20260302T090000", "DTEND;TZID=Europe/Berlin:20260302T093000",
		"RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20260309T090000", "END:VEVENT",
		"BEGIN:VEVENT", "UID:series", "DTSTAMP:20260101T000000Z", "SUMMARY:Weekly (moved)",
		"RECURRENCE-ID;TZID=Europe/Berlin:20260316T090000",
		"DTSTART;TZID=Europe/Berlin:20260316T140000", "DTEND;TZID=Europe/Berlin:20260316T150000", "END:VEVENT")
	win := providers.Window{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)}
	evs, err := decodeObject("/cal/series.ics", `"e"`, data, win, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		if e.SeriesID != "/cal/series.ics" || e.ReadOnly || !strings.HasPrefix(e.RemoteID, "/cal/series.ics#") || !strings.HasPrefix(e.ETag, "occ-") {
			t.Errorf("instance %+v: want SeriesID, a writable instance id and its own version", e)
		}
		got = append(got, e.Start.Format("01-02T15:04")+" "+e.Subject)
	}
	// 2 Mar (CET), 9 Mar excluded, 16 Mar moved to 14:00, 23 Mar, 30 Mar is CEST (07:00Z).
	want := "03-02T08:00 Weekly|03-16T13:00 Weekly (moved)|03-23T08:00 Weekly|03-30T07:00 Weekly"
	if strings.Join(got, "|") != want {
		t.Errorf("instances\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
}

func TestDecodeRejectsTwoUIDs(t *testing.T) {
	data := ics("BEGIN:VEVENT", "UID:a", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z", "END:VEVENT",
		"BEGIN:VEVENT", "UID:b", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z", "END:VEVENT")
	if _, err := decodeObject("/c/x.ics", "", data, providers.Window{}, now); err == nil || !strings.Contains(err.Error(), "different UIDs") {
		t.Fatalf("two UIDs in one object: %v", err)
	}
}

func TestDecodeInvalidUTF8AndFolding(t *testing.T) {
	data := ics("BEGIN:VEVENT", "UID:u", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z",
		"SUMMARY:Caf\xe9 meeting with a very long title that an iCalendar writer folded onto", " a second line", "END:VEVENT")
	ev := decode1(t, data)
	if ev.Subject != "Caf\uFFFD meeting with a very long title that an iCalendar writer folded ontoa second line" {
		t.Errorf("subject %q", ev.Subject)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, ev := range []providers.Event{
		{ActivityID: "act-1", Subject: "Call; with, special\\chars\nand a newline", Description: "d", Location: "L",
			Start: time.Date(2026, 7, 10, 7, 0, 0, 0, time.UTC), End: time.Date(2026, 7, 10, 8, 0, 0, 0, time.UTC), TimeZone: "Europe/Berlin"},
		{ActivityID: "act-2", Subject: "UTC", Start: time.Date(2026, 1, 10, 7, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)},
		{ActivityID: "act-3", Subject: "Day off", AllDay: true, Start: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)},
	} {
		data, err := encodeEvent(nil, ev, ev.ActivityID, now)
		if err != nil {
			t.Fatal(err)
		}
		if ev.TimeZone == "Europe/Berlin" && (!strings.Contains(string(data), "DTSTART;TZID=Europe/Berlin:20260710T090000") ||
			!strings.Contains(string(data), "BEGIN:VTIMEZONE")) {
			t.Errorf("TZID event not written in local time with a VTIMEZONE:\n%s", data)
		}
		if ev.AllDay && !strings.Contains(string(data), "DTSTART;VALUE=DATE:20260501") {
			t.Errorf("all-day event not written as DATE:\n%s", data)
		}
		got := decode1(t, data)
		if got.Subject != ev.Subject || !got.Start.Equal(ev.Start) || !got.End.Equal(ev.End) || got.AllDay != ev.AllDay ||
			got.ActivityID != ev.ActivityID || got.TimeZone != ev.TimeZone {
			t.Errorf("round trip\n got %+v\nwant %+v", got, ev)
		}
	}
}
