package caldav_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/caldav/radicaletest"
	"github.com/calsync/calsync/providers/caldav/xandikostest"
	"github.com/calsync/calsync/providers/conformance"
)

// Xandikos is the second real CalDAV server the provider is tested on (beside Radicale):
// it has no authentication, keeps calendars in git and answers sync-collection from git
// history (see /work/shared/PROVIDERS.md).

func openXandikos(t *testing.T, srv *xandikostest.Server) *caldav.Provider {
	t.Helper()
	p, err := caldav.New(context.Background(), providers.Config{Kind: "caldav", Login: "user", Secret: []byte("unused"),
		Endpoints: providers.Endpoints{API: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestXandikosDiscoveryAndCalendars(t *testing.T) {
	srv := xandikostest.Start(t)
	srv.MakeCalendar(t, "work", "Work")
	ctx := context.Background()
	cals, err := openXandikos(t, srv).Calendars(ctx)
	if err != nil {
		t.Fatalf("calendars: %v\n%s", err, srv.Log())
	}
	byID := map[string]providers.Calendar{}
	for _, c := range cals {
		byID[c.ID] = c
	}
	work, ok := byID["/user/calendars/work/"]
	if !ok || work.Name != "Work" || !work.Events || work.ReadOnly {
		t.Fatalf("work calendar = %+v (listed %v) in %+v", work, ok, cals)
	}
	for id := range byID {
		if strings.Contains(id, "addressbook") || strings.Contains(id, "inbox") {
			t.Errorf("a non-calendar collection is listed: %s", id)
		}
	}
}

func TestConformanceXandikos(t *testing.T) {
	srv := xandikostest.Start(t)
	var n atomic.Int64
	conformance.Run(t, conformance.Harness{Name: "caldav-xandikos", New: func(t *testing.T) *conformance.Env {
		name := fmt.Sprintf("c%d", n.Add(1))
		cal := srv.MakeCalendar(t, name, "Conformance "+name)
		return &conformance.Env{
			Provider: openXandikos(t, srv),
			Calendar: cal,
			Inject: func(f conformance.Fault) error {
				// Xandikos has no accounts, rights, rate limits or token expiry to arm;
				// Radicale and caldavfake cover those faults.
				return conformance.ErrUnsupported
			},
			AddForeign: func(subject string, start, end time.Time) (string, error) {
				uid := fmt.Sprintf("foreign-%d", time.Now().UnixNano())
				srv.Put(t, cal+uid+".ics", foreignICS(uid, subject, start, end))
				return cal + uid + ".ics", nil
			},
			AddSeries: func(subject string, start time.Time, dur time.Duration, count int) (string, error) {
				uid := fmt.Sprintf("series-%d", time.Now().UnixNano())
				srv.Put(t, cal+uid+".ics", seriesICS(uid, subject, start, dur, count))
				return cal + uid + ".ics", nil
			},
			DeleteForeign: func(remoteID string) error {
				srv.Delete(t, remoteID)
				return nil
			},
		}
	}})
}

// Xandikos copies a SUMMARY's raw ESC into the multistatus XML, which encoding/xml
// refuses: the listing must still hold every event, the bad one with the character
// stripped.
func TestXandikosControlCharacterDoesNotFailTheListing(t *testing.T) {
	srv := xandikostest.Start(t)
	cal := srv.MakeCalendar(t, "work", "Work")
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	srv.Put(t, cal+"esc.ics", foreignICS("esc", "Red \x1b[31malert", at, at.Add(time.Hour)))
	srv.Put(t, cal+"plain.ics", foreignICS("plain", "Plain", at, at.Add(time.Hour)))
	p := openXandikos(t, srv)
	win := providers.Window{Start: at.AddDate(0, -1, 0), End: at.AddDate(0, 1, 0)}
	page, err := p.Changes(context.Background(), cal, "", win)
	if err != nil {
		t.Fatalf("one event's control character fails the listing: %v", err)
	}
	subjects := map[string]bool{}
	for _, e := range page.Events {
		subjects[e.Subject] = true
	}
	if len(page.Bad) != 0 || !subjects["Plain"] || !subjects["Red [31malert"] {
		t.Fatalf("events %v, bad %+v: want both, the control character stripped", subjects, page.Bad)
	}
	// The increment path (sync-collection + multiget) reads the same XML.
	srv.Put(t, cal+"esc2.ics", foreignICS("esc2", "Bell \x07 here", at, at.Add(time.Hour)))
	inc, err := p.Changes(context.Background(), cal, page.NextCursor, win)
	if err != nil || len(inc.Events) != 1 || inc.Events[0].Subject != "Bell  here" {
		t.Fatalf("increment: %+v, %v", inc, err)
	}
}

// Xandikos answers a PUT whose UID another resource already uses with 207 Multi-Status
// holding 412 and <C:no-uid-conflict/>: that is a Conflict, not a success followed by a
// 404 when the event is read back.
func TestXandikosUIDConflictIs207Conflict(t *testing.T) {
	srv := xandikostest.Start(t)
	cal := srv.MakeCalendar(t, "work", "Work")
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	srv.Put(t, cal+"elsewhere.ics", foreignICS("shared-uid", "Someone else's", at, at.Add(time.Hour)))
	p := openXandikos(t, srv)
	_, err := p.Create(context.Background(), cal, providers.Event{ActivityID: "0199-act", ICalUID: "shared-uid",
		Subject: "Mine", Start: at, End: at.Add(time.Hour), TimeZone: "UTC"})
	if !providers.IsKind(err, providers.Conflict) {
		t.Fatalf("create with a UID in use: %v, want Conflict", err)
	}
	if pe, _ := providers.AsError(err); pe.Code != "no-uid-conflict" || !strings.Contains(pe.Hint, "same UID") {
		t.Errorf("error %+v: want code no-uid-conflict and a hint naming the UID clash", pe)
	}
}

// Floating times (no TZID, no Z) are wall-clock times: read in the calendar's
// calendar-timezone, else in the person's zone (providers.Config.TimeZone), else UTC.
// Xandikos cannot store a calendar-timezone (its PROPPATCH answers 409), so the
// calendar's zone is tested on Radicale, the person's zone and UTC on both.
func TestFloatingTimesRealServers(t *testing.T) {
	floating := vcal("BEGIN:VEVENT\r\nUID:f\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260710T090000\r\nDTEND:20260710T100000\r\nSUMMARY:Floating\r\nEND:VEVENT\r\n")
	win := providers.Window{Start: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)}
	start := func(t *testing.T, url, user, pass, personTZ, cal string) time.Time {
		t.Helper()
		p, err := caldav.New(context.Background(), providers.Config{Kind: "caldav", Login: user, Secret: []byte(pass),
			Endpoints: providers.Endpoints{API: url}, TimeZone: personTZ})
		if err != nil {
			t.Fatal(err)
		}
		page, err := p.Changes(context.Background(), cal, "", win)
		if err != nil || len(page.Events) != 1 {
			t.Fatalf("listing %s: %+v, %v", cal, page, err)
		}
		return page.Events[0].Start
	}
	nineBerlin := time.Date(2026, 7, 10, 7, 0, 0, 0, time.UTC)
	nineNewYork := time.Date(2026, 7, 10, 13, 0, 0, 0, time.UTC)
	nineUTC := time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC)

	t.Run("xandikos", func(t *testing.T) {
		srv := xandikostest.Start(t)
		cal := srv.MakeCalendar(t, "plain", "Plain")
		srv.Put(t, cal+"f.ics", floating)
		if got := start(t, srv.URL, "user", "unused", "America/New_York", cal); !got.Equal(nineNewYork) {
			t.Errorf("person's zone: floating 09:00 read as %v, want %v", got, nineNewYork)
		}
		if got := start(t, srv.URL, "user", "unused", "", cal); !got.Equal(nineUTC) {
			t.Errorf("no zone known: floating 09:00 read as %v, want %v", got, nineUTC)
		}
	})
	t.Run("radicale", func(t *testing.T) {
		srv := radicaletest.Start(t, radicaletest.Options{})
		zoned := srv.MakeCalendar(t, srv.User, srv.Password, "berlin", "Berlin")
		var esc strings.Builder
		xml.EscapeText(&esc, []byte(vcal(berlinVTZ)))
		req, _ := http.NewRequest("PROPPATCH", srv.URL+zoned, strings.NewReader(`<?xml version="1.0" encoding="utf-8"?>`+
			`<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-timezone>`+
			esc.String()+`</C:calendar-timezone></D:prop></D:set></D:propertyupdate>`))
		req.SetBasicAuth(srv.User, srv.Password)
		req.Header.Set("Content-Type", "application/xml")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMultiStatus {
			t.Fatalf("PROPPATCH calendar-timezone: %d", resp.StatusCode)
		}
		plain := srv.MakeCalendar(t, srv.User, srv.Password, "plain", "Plain")
		putRaw(t, srv.URL+zoned+"f.ics", srv.User, srv.Password, floating)
		putRaw(t, srv.URL+plain+"f.ics", srv.User, srv.Password, floating)
		if got := start(t, srv.URL, srv.User, srv.Password, "America/New_York", zoned); !got.Equal(nineBerlin) {
			t.Errorf("calendar zone: floating 09:00 read as %v, want %v", got, nineBerlin)
		}
		if got := start(t, srv.URL, srv.User, srv.Password, "America/New_York", plain); !got.Equal(nineNewYork) {
			t.Errorf("person's zone: floating 09:00 read as %v, want %v", got, nineNewYork)
		}
		if got := start(t, srv.URL, srv.User, srv.Password, "", plain); !got.Equal(nineUTC) {
			t.Errorf("no zone known: floating 09:00 read as %v, want %v", got, nineUTC)
		}
	})
}
