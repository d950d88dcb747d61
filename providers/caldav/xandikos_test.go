package caldav_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
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
