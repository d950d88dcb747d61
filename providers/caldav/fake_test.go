package caldav_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/caldav/caldavfake"
)

func fakeProvider(t *testing.T, opts caldavfake.Options, password func(normal, app string) string) (*caldavfake.Server, *caldav.Provider, string) {
	t.Helper()
	fake := caldavfake.New(opts)
	base, err := fake.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	normal, app := fake.Passwords()
	p, err := caldav.New(context.Background(), providers.Config{Kind: "caldav", Login: fake.User(),
		Secret: []byte(password(normal, app)), Endpoints: providers.Endpoints{API: base}})
	if err != nil {
		t.Fatal(err)
	}
	return fake, p, base
}

func appPassword(_, app string) string { return app }

func TestDiscoverOnFake(t *testing.T) {
	fake, _, base := fakeProvider(t, caldavfake.Options{}, appPassword)
	fake.AddCalendar("work", "Work")
	fake.AddCalendar("shared", "Team (read-only)")
	fake.AddCalendar("tasks", "Tasks", "VTODO")
	fake.SetReadOnly("shared", true)
	normal, app := fake.Passwords()
	ctx := context.Background()

	// A bare server address: /.well-known/caldav redirects to /dav/.
	d, err := caldav.Discover(ctx, base, "alice", app)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(d.Principal, "/dav/principals/alice/") || !strings.HasSuffix(d.HomeSet, "/dav/calendars/alice/") {
		t.Errorf("principal %s home %s", d.Principal, d.HomeSet)
	}
	got := map[string]providers.Calendar{}
	for _, c := range d.Calendars {
		got[c.Name] = c
	}
	if c := got["Work"]; c.ReadOnly || !c.Events || !c.Primary {
		t.Errorf("Work = %+v", c)
	}
	if c := got["Team (read-only)"]; !c.ReadOnly || c.Primary {
		t.Errorf("read-only calendar = %+v, want ReadOnly from current-user-privilege-set", c)
	}
	if c := got["Tasks"]; c.Events {
		t.Errorf("task list = %+v, want Events=false", c)
	}

	// The account password of a two-factor Nextcloud account: AppPasswordRequired.
	_, err = caldav.Discover(ctx, base, "alice", normal)
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.AppPasswordRequired || !strings.Contains(pe.Hint, "Create new app password") {
		t.Fatalf("normal password: %v (hint %q), want AppPasswordRequired with the Nextcloud guide", err, pe.Hint)
	}
	if strings.Contains(err.Error(), normal) {
		t.Errorf("error leaks the password: %v", err)
	}
}

func listAll(t *testing.T, p *caldav.Provider, cal, cursor string, win providers.Window) ([]providers.Event, []providers.BadEvent, string) {
	t.Helper()
	var evs []providers.Event
	var bad []providers.BadEvent
	for {
		page, err := p.Changes(context.Background(), cal, cursor, win)
		if err != nil {
			t.Fatalf("Changes(%q): %v", cursor, err)
		}
		evs, bad = append(evs, page.Events...), append(bad, page.Bad...)
		cursor = page.NextCursor
		if !page.More {
			return evs, bad, cursor
		}
	}
}

func event(uid, start string, extra ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" +
		start + "\r\nDURATION:PT1H\r\nSUMMARY:" + uid + "\r\n" + strings.Join(append(extra, ""), "\r\n") + "END:VEVENT\r\nEND:VCALENDAR\r\n"
}

// One broken event is reported with its href; the others still arrive, in full listings
// and in increments alike.
func TestBadEventDoesNotHideOthers(t *testing.T) {
	for _, opts := range []caldavfake.Options{{}, {NoSyncCollection: true}} {
		fake, p, _ := fakeProvider(t, opts, appPassword)
		cal := fake.AddCalendar("work", "Work")
		win := providers.Window{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
		fake.PutEvent("work", "good1.ics", event("good1", "20260310T090000Z"))
		badHref, _, _ := fake.PutEvent("work", "broken.ics", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:broken\r\nDTSTART:not-a-date\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
		fake.PutEvent("work", "good2.ics", event("good2", "20260311T090000Z"))
		evs, bad, cursor := listAll(t, p, cal, "", win)
		if len(evs) != 2 || len(bad) != 1 || bad[0].RemoteID != badHref || bad[0].Err == nil {
			t.Fatalf("NoSync=%v full listing: %d events, bad %+v; want 2 events and %s reported", opts.NoSyncCollection, len(evs), bad, badHref)
		}
		fake.PutEvent("work", "good3.ics", event("good3", "20260312T090000Z"))
		a := strings.TrimSuffix(event("a", "20260313T090000Z"), "END:VCALENDAR\r\n")
		b := strings.TrimPrefix(event("b", "20260313T090000Z"), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\n")
		twoUIDs, _, _ := fake.PutEvent("work", "twouids.ics", a+b)
		evs, bad, _ = listAll(t, p, cal, cursor, win)
		if len(evs) != 1 || evs[0].Subject != "good3" || len(bad) != 1 || bad[0].RemoteID != twoUIDs {
			t.Fatalf("NoSync=%v increment: %+v bad %+v", opts.NoSyncCollection, evs, bad)
		}
	}
}

// Without sync-collection, an event moved out of the window is fetched and reported as
// changed (not as deleted), and a real deletion is reported once.
func TestETagFallbackMovedVersusDeleted(t *testing.T) {
	fake, p, _ := fakeProvider(t, caldavfake.Options{NoSyncCollection: true}, appPassword)
	cal := fake.AddCalendar("work", "Work")
	win := providers.Window{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	fake.PutEvent("work", "moves.ics", event("moves", "20260310T090000Z"))
	goneHref, _, _ := fake.PutEvent("work", "gone.ics", event("gone", "20260311T090000Z"))
	_, _, cursor := listAll(t, p, cal, "", win)
	if !strings.HasPrefix(cursor, "etag1:") {
		t.Fatalf("cursor %q, want an etag snapshot on a server without sync-collection", cursor)
	}
	fake.PutEvent("work", "moves.ics", event("moves", "20260610T090000Z"))
	fake.DeleteEvent("work", "gone.ics")
	evs, _, cursor := listAll(t, p, cal, cursor, win)
	var moved, deleted int
	for _, e := range evs {
		switch {
		case e.Subject == "moves" && !e.Deleted && e.Start.Month() == time.June:
			moved++
		case e.RemoteID == goneHref && e.Deleted:
			deleted++
		default:
			t.Errorf("unexpected %+v", e)
		}
	}
	if moved != 1 || deleted != 1 {
		t.Fatalf("moved %d deleted %d, want 1 and 1: %+v", moved, deleted, evs)
	}
	// The moved event stays outside the window: it is re-checked, but neither reported
	// again nor reported deleted while it does not change.
	if evs, bad, _ := listAll(t, p, cal, cursor, win); len(evs) != 0 || len(bad) != 0 {
		t.Fatalf("quiet increment reports %+v %+v", evs, bad)
	}
}

func TestUpdateKeepsForeignPropertiesAndWritesOccurrences(t *testing.T) {
	fake, p, _ := fakeProvider(t, caldavfake.Options{}, appPassword)
	cal := fake.AddCalendar("work", "Work")
	ctx := context.Background()
	href, etag, _ := fake.PutEvent("work", "meet.ics", event("meet", "20260310T090000Z",
		"ATTENDEE;CN=Bob:mailto:bob@example.org", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT10M", "DESCRIPTION:Reminder", "END:VALARM"))
	up, err := p.Update(ctx, cal, providers.Event{RemoteID: href, Subject: "Renamed", Start: time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC),
		End: time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC)}, etag)
	if err != nil {
		t.Fatal(err)
	}
	stored := fake.Events("work")["meet.ics"]
	for _, want := range []string{"SUMMARY:Renamed", "ATTENDEE;CN=Bob:mailto:bob@example.org", "BEGIN:VALARM", "UID:meet"} {
		if !strings.Contains(stored, want) {
			t.Errorf("after update the event lacks %q:\n%s", want, stored)
		}
	}
	if up.ETag == etag {
		t.Error("etag did not change")
	}
	// Occurrences: an edit is an override with RECURRENCE-ID in the same resource (the
	// master, its attendee and alarm kept), a deletion an EXDATE on the master.
	series, _, _ := fake.PutEvent("work", "series.ics", event("series", "20260302T090000Z", "RRULE:FREQ=WEEKLY;COUNT=4",
		"ATTENDEE;CN=Bob:mailto:bob@example.org"))
	win := providers.Window{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	evs, _, _ := listAll(t, p, cal, "", win)
	var insts []providers.Event
	for _, e := range evs {
		if e.SeriesID == series {
			insts = append(insts, e)
		}
	}
	if len(insts) != 4 {
		t.Fatalf("%d instances of the weekly series, want 4", len(insts))
	}
	inst := insts[1]
	inst.Subject = "edited instance"
	if _, err := p.Update(ctx, cal, inst, inst.ETag); err != nil {
		t.Fatalf("updating an instance: %v", err)
	}
	if err := p.Delete(ctx, cal, insts[2].RemoteID, insts[2].ETag); err != nil {
		t.Fatalf("deleting an instance: %v", err)
	}
	stored = fake.Events("work")["series.ics"]
	for _, want := range []string{"RRULE:FREQ=WEEKLY;COUNT=4", "SUMMARY:series", "RECURRENCE-ID:20260309T090000Z",
		"SUMMARY:edited instance", "EXDATE:20260316T090000Z"} {
		if !strings.Contains(stored, want) {
			t.Errorf("series resource lacks %q:\n%s", want, stored)
		}
	}
	if n := strings.Count(stored, "ATTENDEE;CN=Bob"); n != 2 {
		t.Errorf("attendee kept on %d components, want master and override:\n%s", n, stored)
	}
	if n := strings.Count(stored, "BEGIN:VEVENT"); n != 2 {
		t.Errorf("%d VEVENTs, want the master and one override:\n%s", n, stored)
	}
}

// Registered as kind "caldav"; a fake in iCloud style behind the real iCloud host name
// turns the account password into AppPasswordRequired with Apple's guide.
func TestOpenByKindAndICloudStyle(t *testing.T) {
	fake := caldavfake.New(caldavfake.Options{Style: caldavfake.ICloud, User: "alice@icloud.com"})
	if _, err := fake.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	fake.AddCalendar("home", "Home")
	normal, app := fake.Passwords()
	open := func(pw string) providers.Provider {
		p, err := providers.Open(context.Background(), providers.Config{Kind: "caldav", Login: "alice@icloud.com", Secret: []byte(pw),
			HTTPClient: fake.ClientFor("caldav.icloud.com")})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, err := open(normal).Calendars(context.Background())
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.AppPasswordRequired || !strings.Contains(pe.Hint, "appleid.apple.com") {
		t.Fatalf("iCloud account password: %v, want AppPasswordRequired with Apple's guide", err)
	}
	cals, err := open(app).Calendars(context.Background())
	if err != nil || len(cals) != 1 || cals[0].Name != "Home" {
		t.Fatalf("app password: %+v, %v", cals, err)
	}
}

// Servers that advertise sync tokens but fail sync-collection (403 without
// DAV:valid-sync-token, 415, 5xx: Posteo, GMX, Zimbra, SOGo, DAViCal) get an etag listing
// instead of an error on every run, and keep comparing etags afterwards.
func TestBrokenSyncCollectionFallsBackToETags(t *testing.T) {
	for _, status := range []int{403, 415, 500} {
		fake, p, base := fakeProvider(t, caldavfake.Options{BrokenSyncCollection: status}, appPassword)
		cal := fake.AddCalendar("work", "Work")
		win := providers.Window{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
		fake.PutEvent("work", "one.ics", event("one", "20260310T090000Z"))
		_, _, cursor := listAll(t, p, cal, "", win)
		fake.PutEvent("work", "two.ics", event("two", "20260311T090000Z"))
		page, err := p.Changes(context.Background(), cal, cursor, win)
		if err != nil {
			t.Fatalf("%d: a server failing sync-collection fails every run: %v", status, err)
		}
		if !page.Full || len(page.Events) != 2 || !strings.HasPrefix(page.NextCursor, "etag1:") {
			t.Fatalf("%d: fallback page Full=%v, %d events, cursor %.8q; want a full etag listing", status, page.Full, len(page.Events), page.NextCursor)
		}
		// The next run (a new provider) keeps comparing etags: no sync-collection again.
		_, app := fake.Passwords()
		p2, err := caldav.New(context.Background(), providers.Config{Kind: "caldav", Login: fake.User(), Secret: []byte(app), Endpoints: providers.Endpoints{API: base}})
		if err != nil {
			t.Fatal(err)
		}
		fake.PutEvent("work", "three.ics", event("three", "20260312T090000Z"))
		evs, _, next := listAll(t, p2, cal, page.NextCursor, win)
		if len(evs) != 1 || evs[0].Subject != "three" || !strings.HasPrefix(next, "etag1:") {
			t.Fatalf("%d: next run: %+v, cursor %.8q", status, evs, next)
		}
	}
}
