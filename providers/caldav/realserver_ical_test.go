package caldav_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/caldav/radicaletest"
	"github.com/calsync/calsync/providers/caldav/xandikostest"
)

const berlinVTZ = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n" +
	"DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\n" +
	"TZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"

func vcal(body string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Thunderbird//EN\r\n" + body + "END:VCALENDAR\r\n"
}

// realCalendar is an empty calendar on a real CalDAV server (Radicale or Xandikos), the
// provider connected to it and a way to write raw objects as another client would.
type realCalendar struct {
	p   *caldav.Provider
	cal string
	put func(name, body string)
}

// onRealServers runs test on a fresh calendar of each real server.
func onRealServers(t *testing.T, test func(t *testing.T, rc realCalendar)) {
	t.Run("radicale", func(t *testing.T) {
		srv := radicaletest.Start(t, radicaletest.Options{})
		cal := srv.MakeCalendar(t, srv.User, srv.Password, "work", "Work")
		test(t, realCalendar{p: openRadicale(t, srv, srv.User, srv.Password), cal: cal,
			put: func(name, body string) { putRaw(t, srv.URL+cal+name, srv.User, srv.Password, body) }})
	})
	t.Run("xandikos", func(t *testing.T) {
		srv := xandikostest.Start(t)
		cal := srv.MakeCalendar(t, "work", "Work")
		test(t, realCalendar{p: openXandikos(t, srv), cal: cal, put: func(name, body string) { srv.Put(t, cal+name, body) }})
	})
}

// Events as other clients write them, stored in and served by real servers.
func TestICalendarShapesRealServers(t *testing.T) { onRealServers(t, testICalendarShapes) }

func testICalendarShapes(t *testing.T, rc realCalendar) {
	cal := rc.cal
	put := func(name, body string) { rc.put(name, vcal(body)) }
	put("tz.ics", berlinVTZ+"BEGIN:VEVENT\r\nUID:tz\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260710T090000\r\n"+
		"DTEND;TZID=Europe/Berlin:20260710T103000\r\nSUMMARY:Berlin summer\r\nEND:VEVENT\r\n")
	put("allday.ics", "BEGIN:VEVENT\r\nUID:allday\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260601\r\nDTEND;VALUE=DATE:20260603\r\nSUMMARY:Two days\r\nEND:VEVENT\r\n")
	put("dur.ics", "BEGIN:VEVENT\r\nUID:dur\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260615T120000Z\r\nDURATION:PT20M\r\nSUMMARY:Short\r\nEND:VEVENT\r\n")
	put("series.ics", berlinVTZ+"BEGIN:VEVENT\r\nUID:series\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260302T090000\r\n"+
		"DTEND;TZID=Europe/Berlin:20260302T093000\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE;TZID=Europe/Berlin:20260309T090000\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\n"+
		"BEGIN:VEVENT\r\nUID:series\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260316T090000\r\n"+
		"DTSTART;TZID=Europe/Berlin:20260316T150000\r\nDTEND;TZID=Europe/Berlin:20260316T153000\r\nSUMMARY:Weekly (moved)\r\nEND:VEVENT\r\n")
	put("outside.ics", "BEGIN:VEVENT\r\nUID:outside\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270615T120000Z\r\nDURATION:PT1H\r\nSUMMARY:Next year\r\nEND:VEVENT\r\n")

	p := rc.p
	win := providers.Window{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
	evs, bad, _ := listAll2(t, p, cal, win)
	if len(bad) > 0 {
		t.Fatalf("bad events: %+v", bad)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s..%s allday=%v tz=%s ro=%v", e.Subject, e.Start.Format("01-02T15:04"), e.End.Format("01-02T15:04"), e.AllDay, e.TimeZone, e.ReadOnly))
	}
	for _, want := range []string{
		"Berlin summer 07-10T07:00..07-10T08:30 allday=false tz=Europe/Berlin ro=false",
		"Two days 06-01T00:00..06-03T00:00 allday=true tz= ro=false",
		"Short 06-15T12:00..06-15T12:20 allday=false tz= ro=false",
		"Weekly 03-02T08:00..03-02T08:30 allday=false tz=Europe/Berlin ro=false",
		"Weekly (moved) 03-16T14:00..03-16T14:30 allday=false tz=Europe/Berlin ro=false",
		"Weekly 03-23T08:00..03-23T08:30 allday=false tz=Europe/Berlin ro=false",
		"Weekly 03-30T07:00..03-30T07:30 allday=false tz=Europe/Berlin ro=false",
	} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("missing %q in\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(got) != 7 {
		t.Errorf("%d events, want 7 (the 9 Mar instance is excluded, next year's event is outside the window):\n%s", len(got), strings.Join(got, "\n"))
	}
}

// calsync's own writes in a time zone and as all-day events are accepted by real servers
// (its VTIMEZONE included) and read back unchanged.
func TestWritesTimeZonesAndAllDayRealServers(t *testing.T) {
	onRealServers(t, testWritesTimeZonesAndAllDay)
}

func testWritesTimeZonesAndAllDay(t *testing.T, rc realCalendar) {
	cal, p := rc.cal, rc.p
	ctx := context.Background()
	berlin, _ := time.LoadLocation("America/New_York")
	in := []providers.Event{
		{ActivityID: "0199-tz", Subject: "New York call", Start: time.Date(2026, 3, 10, 9, 0, 0, 0, berlin), End: time.Date(2026, 3, 10, 10, 0, 0, 0, berlin), TimeZone: "America/New_York"},
		{ActivityID: "0199-day", Subject: "Holiday", AllDay: true, Start: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)},
	}
	for _, ev := range in {
		if _, err := p.Create(ctx, cal, ev); err != nil {
			t.Fatalf("create %s: %v", ev.Subject, err)
		}
	}
	win := providers.Window{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
	evs, _, _ := listAll2(t, p, cal, win)
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	for _, ev := range in {
		var back providers.Event
		for _, e := range evs {
			if e.ActivityID == ev.ActivityID {
				back = e
			}
		}
		if !back.Start.Equal(ev.Start) || !back.End.Equal(ev.End) || back.AllDay != ev.AllDay || back.TimeZone != ev.TimeZone {
			t.Errorf("read back %+v, wrote %+v", back, ev)
		}
		if !strings.HasSuffix(back.RemoteID, "/"+ev.ActivityID+".ics") {
			t.Errorf("remote id %q is not <activity-id>.ics", back.RemoteID)
		}
	}
}

func listAll2(t *testing.T, p interface {
	Changes(context.Context, string, string, providers.Window) (providers.ChangePage, error)
}, cal string, win providers.Window) ([]providers.Event, []providers.BadEvent, string) {
	t.Helper()
	var evs []providers.Event
	var bad []providers.BadEvent
	cursor := ""
	for {
		page, err := p.Changes(context.Background(), cal, cursor, win)
		if err != nil {
			t.Fatal(err)
		}
		evs, bad = append(evs, page.Events...), append(bad, page.Bad...)
		cursor = page.NextCursor
		if !page.More {
			return evs, bad, cursor
		}
	}
}
