package caldavfake_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-webdav"
	webdavcaldav "github.com/emersion/go-webdav/caldav"

	"github.com/calsync/calsync/providers/caldav/caldavfake"
)

const event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\n" +
	"DTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func start(t *testing.T, opts caldavfake.Options) (*caldavfake.Server, string) {
	t.Helper()
	s := caldavfake.New(opts)
	u, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, u
}

// go-webdav's own client (an independent CalDAV implementation) must understand the
// fake's answers: discovery, calendar properties and calendar-query with a time-range.
func TestIndependentClientReadsFake(t *testing.T) {
	s, base := start(t, caldavfake.Options{})
	s.AddCalendar("work", "Work")
	s.AddCalendar("todo", "Tasks", "VTODO")
	if _, _, err := s.PutEvent("work", "u1.ics", event); err != nil {
		t.Fatal(err)
	}
	_, app := s.Passwords()
	hc := webdav.HTTPClientWithBasicAuth(http.DefaultClient, s.User(), app)
	c, err := webdavcaldav.NewClient(hc, base+"/dav/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	principal, err := c.FindCurrentUserPrincipal(ctx)
	if err != nil || principal != "/dav/principals/alice/" {
		t.Fatalf("principal %q, %v", principal, err)
	}
	home, err := c.FindCalendarHomeSet(ctx, principal)
	if err != nil || home != "/dav/calendars/alice/" {
		t.Fatalf("home %q, %v", home, err)
	}
	cals, err := c.FindCalendars(ctx, home)
	if err != nil || len(cals) != 2 {
		t.Fatalf("calendars %+v, %v", cals, err)
	}
	if cals[1].Name != "Work" || strings.Join(cals[1].SupportedComponentSet, ",") != "VEVENT" {
		t.Errorf("work calendar = %+v", cals[1])
	}
	q := &webdavcaldav.CalendarQuery{
		CompRequest: webdavcaldav.CalendarCompRequest{Name: "VCALENDAR", AllProps: true, AllComps: true},
		CompFilter: webdavcaldav.CompFilter{Name: "VCALENDAR", Comps: []webdavcaldav.CompFilter{{Name: "VEVENT",
			Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}}},
	}
	objs, err := c.QueryCalendar(ctx, "/dav/calendars/alice/work/", q)
	if err != nil || len(objs) != 1 || objs[0].ETag == "" {
		t.Fatalf("query in range: %+v, %v", objs, err)
	}
	q.CompFilter.Comps[0].Start, q.CompFilter.Comps[0].End = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	objs, err = c.QueryCalendar(ctx, "/dav/calendars/alice/work/", q)
	if err != nil || len(objs) != 0 {
		t.Fatalf("query out of range returned %d objects, %v", len(objs), err)
	}
}

func do(t *testing.T, method, url, user, pass string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(`<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>`))
	req.SetBasicAuth(user, pass)
	req.Header.Set("Depth", "0")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestAuthStyles(t *testing.T) {
	nc, ncURL := start(t, caldavfake.Options{Style: caldavfake.Nextcloud})
	normal, app := nc.Passwords()
	if code, _, body := do(t, "PROPFIND", ncURL+"/dav/", "alice", normal); code != 401 || !strings.Contains(body, `Sabre\Exception\PasswordLoginForbidden`) {
		t.Errorf("Nextcloud, normal password: %d %q", code, body)
	}
	if code, _, body := do(t, "PROPFIND", ncURL+"/dav/", "alice", "wrong"); code != 401 || strings.Contains(body, "PasswordLoginForbidden") {
		t.Errorf("Nextcloud, wrong password: %d %q", code, body)
	}
	if code, _, _ := do(t, "PROPFIND", ncURL+"/dav/", "alice", app); code != 207 {
		t.Errorf("Nextcloud, app password: %d, want 207", code)
	}
	ic, icURL := start(t, caldavfake.Options{Style: caldavfake.ICloud})
	normal, _ = ic.Passwords()
	if code, _, body := do(t, "PROPFIND", icURL+"/dav/", "alice", normal); code != 401 || body != "" {
		t.Errorf("iCloud, normal password: %d %q, want a bare 401", code, body)
	}
	// The well-known redirect comes before authentication, as on real servers.
	if code, h, _ := do(t, "PROPFIND", icURL+"/.well-known/caldav", "", ""); code != 301 || h.Get("Location") != "/dav/" {
		t.Errorf("well-known: %d %q", code, h.Get("Location"))
	}
	ic.RateLimit(3 * time.Second)
	if code, h, _ := do(t, "PROPFIND", icURL+"/dav/", "alice", "app-password"); code != 429 || h.Get("Retry-After") != "3" {
		t.Errorf("rate limit: %d Retry-After %q", code, h.Get("Retry-After"))
	}
	ic.ClearFault()
	if code, _, _ := do(t, "PROPFIND", icURL+"/dav/", "alice", "app-password"); code != 207 {
		t.Errorf("after ClearFault: %d", code)
	}
}

// Demo mode restarts the fake on a new port from its state file: calendars, events,
// etags and issued sync tokens survive.
func TestStateFileSurvivesRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "caldav.json")
	s1, _ := start(t, caldavfake.Options{StateFile: file})
	s1.AddCalendar("work", "Work")
	_, etag, err := s1.PutEvent("work", "u1.ics", event)
	if err != nil {
		t.Fatal(err)
	}
	s1.SetReadOnly("work", true)
	s1.Close()

	s2, u2 := start(t, caldavfake.Options{StateFile: file})
	evs := s2.Events("work")
	if evs["u1.ics"] != event {
		t.Fatalf("event lost across restart: %v", evs)
	}
	_, app := s2.Passwords()
	code, h, _ := do(t, http.MethodGet, u2+"/dav/calendars/alice/work/u1.ics", "alice", app)
	if code != 200 || h.Get("ETag") != etag {
		t.Fatalf("GET after restart: %d etag %q, want %q", code, h.Get("ETag"), etag)
	}
	req, _ := http.NewRequest(http.MethodDelete, u2+"/dav/calendars/alice/work/u1.ics", nil)
	req.SetBasicAuth("alice", app)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("delete on a calendar made read-only before the restart: %d, want 403", resp.StatusCode)
	}
}

func TestEventICSIsValidAndQueryable(t *testing.T) {
	s, base := start(t, caldavfake.Options{})
	s.AddCalendar("work", "Work")
	ics := caldavfake.EventICS("seed-1", "Lunch, with; Bob", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC))
	href, _, err := s.PutEvent("work", "seed-1.ics", ics)
	if err != nil {
		t.Fatal(err)
	}
	_, app := s.Passwords()
	c, _ := webdavcaldav.NewClient(webdav.HTTPClientWithBasicAuth(http.DefaultClient, "alice", app), base)
	obj, err := c.GetCalendarObject(context.Background(), href)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := obj.Data.Events()[0].Props.Text("SUMMARY"); got != "Lunch, with; Bob" {
		t.Errorf("summary %q", got)
	}
}

// On a test's clock the fake dates everything with that clock, as a real server dates
// with its own: the Date header, each object's last modification, and seeded DTSTAMPs.
// Clients compare these with their clock (calsync's "nothing changed" probe, the
// doctor's skew check), so a fake mixing in the machine's clock breaks them on other days.
func TestClockDatesAnswersAndChanges(t *testing.T) {
	at := time.Date(2028, 2, 29, 9, 30, 0, 0, time.UTC)
	s, base := start(t, caldavfake.Options{Now: func() time.Time { return at }})
	s.AddCalendar("work", "Work")
	ics := caldavfake.EventICSStamped("seed-1", "Leap day review", at.Add(time.Hour), at.Add(2*time.Hour), at.Add(-time.Hour))
	if !strings.Contains(ics, "DTSTAMP:20280229T083000Z") {
		t.Fatalf("DTSTAMP is not the stamp given:\n%s", ics)
	}
	href, _, err := s.PutEvent("work", "seed-1.ics", ics)
	if err != nil {
		t.Fatal(err)
	}
	_, app := s.Passwords()
	req, _ := http.NewRequest(http.MethodGet, base+href, nil)
	req.SetBasicAuth(s.User(), app)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := "Tue, 29 Feb 2028 09:30:00 GMT"
	if resp.StatusCode != 200 || resp.Header.Get("Date") != want || resp.Header.Get("Last-Modified") != want {
		t.Fatalf("%d Date %q Last-Modified %q, want both %q", resp.StatusCode, resp.Header.Get("Date"), resp.Header.Get("Last-Modified"), want)
	}
}
