package caldav_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/caldav/radicaletest"
)

func openRadicale(t *testing.T, srv *radicaletest.Server, user, pass string) *caldav.Provider {
	t.Helper()
	p, err := caldav.New(context.Background(), providers.Config{Kind: "caldav", Login: user, Secret: []byte(pass),
		Endpoints: providers.Endpoints{API: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func putRaw(t *testing.T, url, user, pass, ics string) { putRawB(t, url, user, pass, ics) }

func putRawB(t testing.TB, url, user, pass, ics string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(ics))
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", "text/calendar")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT %s: %d", url, resp.StatusCode)
	}
}

func TestRadicaleDiscoveryAndCalendars(t *testing.T) {
	srv := radicaletest.Start(t, radicaletest.Options{})
	srv.MakeCalendar(t, srv.User, srv.Password, "work", "Work")
	srv.MakeCalendar(t, srv.User, srv.Password, "tasks", "Tasks", "VTODO")
	ctx := context.Background()
	d, err := caldav.Discover(ctx, srv.URL, srv.User, srv.Password)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(d.Principal, "/alice/") || !strings.HasSuffix(d.HomeSet, "/alice/") {
		t.Errorf("principal %q home %q", d.Principal, d.HomeSet)
	}
	byName := map[string]providers.Calendar{}
	for _, c := range d.Calendars {
		byName[c.Name] = c
	}
	work, tasks := byName["Work"], byName["Tasks"]
	if work.ID != "/alice/work/" || !work.Events || work.ReadOnly || !work.Primary {
		t.Errorf("work calendar = %+v", work)
	}
	if tasks.ID != "/alice/tasks/" || tasks.Events {
		t.Errorf("task list = %+v, want Events=false", tasks)
	}
	// The wrong password on a server not known to need app passwords: AuthExpired.
	_, err = caldav.Discover(ctx, srv.URL, srv.User, "wrong")
	if !providers.IsKind(err, providers.AuthExpired) {
		t.Fatalf("wrong password: %v, want AuthExpired", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error leaks the password: %v", err)
	}
	acc, err := openRadicale(t, srv, srv.User, srv.Password).Access(ctx)
	if err != nil || acc.Login != "alice" || !acc.CanWrite {
		t.Errorf("Access = %+v, %v", acc, err)
	}
}

func TestRadicaleReadOnlyCalendar(t *testing.T) {
	rights := `
[root]
user: .+
collection:
permissions: R
[principal]
user: .+
collection: {user}
permissions: RW
[own]
user: .+
collection: {user}/[^/]+
permissions: rw
[bob-reads-alice-shared]
user: bob
collection: alice/shared(/.*)?
permissions: r
[bob-sees-alice]
user: bob
collection: alice
permissions: R
`
	srv := radicaletest.Start(t, radicaletest.Options{Users: map[string]string{"bob": "bob-pw"}, Rights: rights})
	cal := srv.MakeCalendar(t, srv.User, srv.Password, "shared", "Shared")
	ctx := context.Background()
	bob := openRadicale(t, srv, "bob", "bob-pw")
	if _, err := bob.Changes(ctx, cal, "", providers.Window{}); err != nil {
		t.Fatalf("bob may read: %v", err)
	}
	_, err := bob.Create(ctx, cal, providers.Event{ActivityID: "act-1", Subject: "x", Start: time.Now(), End: time.Now().Add(time.Hour)})
	if !providers.IsKind(err, providers.ReadOnly) {
		t.Fatalf("create on a read-only calendar: %v, want ReadOnly", err)
	}
}
