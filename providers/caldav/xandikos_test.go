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
