package google_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/google"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

var ctx = context.Background()

func window() providers.Window {
	return providers.Window{Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
}

func listAll(t *testing.T, c *google.Client, cal, cursor string) ([]providers.Event, []providers.BadEvent, string) {
	t.Helper()
	var evs []providers.Event
	var bad []providers.BadEvent
	for i := 0; i < 100; i++ {
		p, err := c.Changes(ctx, cal, cursor, window())
		if err != nil {
			t.Fatalf("changes: %v", err)
		}
		evs, bad = append(evs, p.Events...), append(bad, p.Bad...)
		if !p.More {
			return evs, bad, p.NextCursor
		}
		cursor = p.NextCursor
	}
	t.Fatal("paging never ends")
	return nil, nil, ""
}

func TestEventIDIsBase32HexAndDeterministic(t *testing.T) {
	for _, a := range []string{"0199a1b2-c3d4-7e5f-8a9b-0123456789ab", "a", "x y/z?ü", strings.Repeat("q", 300)} {
		id := google.EventID(a)
		if !googlefake.ValidID(id) {
			t.Errorf("EventID(%q) = %q: not a valid Google id", a, id)
		}
		if google.EventID(a) != id {
			t.Errorf("EventID(%q) not deterministic", a)
		}
		if back, ok := google.ActivityIDFromEventID(id); !ok || back != a {
			t.Errorf("ActivityIDFromEventID(%q) = %q %v, want %q", id, back, ok, a)
		}
	}
	if google.EventID("a1") == google.EventID("a2") {
		t.Error("distinct activities share an event id")
	}
}

func TestCalendarsReadOnlyFromAccessRole(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	for _, c := range []googlefake.Calendar{{ID: "team@group.calendar.google.com", AccessRole: "writer"},
		{ID: "holidays@group.v.calendar.google.com", AccessRole: "reader"},
		{ID: "boss@example.com", AccessRole: "freeBusyReader"}} {
		if err := e.fake.AddCalendar(c); err != nil {
			t.Fatal(err)
		}
	}
	cals, err := e.client.Calendars(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{e.primary(): false, "team@group.calendar.google.com": false,
		"holidays@group.v.calendar.google.com": true, "boss@example.com": true}
	if len(cals) != len(want) {
		t.Fatalf("got %d calendars: %+v", len(cals), cals)
	}
	for _, c := range cals {
		if ro, ok := want[c.ID]; !ok || ro != c.ReadOnly {
			t.Errorf("calendar %s ReadOnly=%v, want %v", c.ID, c.ReadOnly, ro)
		}
		if c.Primary != (c.ID == e.primary()) {
			t.Errorf("calendar %s Primary=%v", c.ID, c.Primary)
		}
	}
}

func TestRecurringExpandedInWindow(t *testing.T) {
	e := newEnv(t, googlefake.Options{TimeZone: "Europe/Paris"})
	cal := e.primary()
	master, err := e.fake.PutEvent(cal, googlefake.Event{Summary: "Weekly sync",
		Start:      &googlefake.EventDateTime{DateTime: "2026-10-05T09:00:00+02:00", TimeZone: "Europe/Paris"},
		End:        &googlefake.EventDateTime{DateTime: "2026-10-05T09:30:00+02:00", TimeZone: "Europe/Paris"},
		Recurrence: []string{"RRULE:FREQ=WEEKLY;COUNT=20"}})
	if err != nil {
		t.Fatal(err)
	}
	evs, _, _ := listAll(t, e.client, cal, "")
	var starts []time.Time
	for _, ev := range evs {
		if ev.SeriesID != master.ID {
			t.Fatalf("unexpected event %+v", ev)
		}
		if !window().Contains(ev.Start, ev.End) {
			t.Errorf("instance %s at %v outside the window", ev.RemoteID, ev.Start)
		}
		if ev.End.Sub(ev.Start) != 30*time.Minute {
			t.Errorf("instance %s lasts %v", ev.RemoteID, ev.End.Sub(ev.Start))
		}
		starts = append(starts, ev.Start)
	}
	// Mondays 9:00 Paris from Nov 2 to Dec 28 (9 weeks); 8:00 UTC after the DST change.
	if len(starts) != 9 {
		t.Fatalf("got %d instances in the window, want 9: %v", len(starts), starts)
	}
	if want := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC); !starts[0].Equal(want) {
		t.Errorf("first instance %v, want %v", starts[0], want)
	}
}

func TestAllDayAndTimedDecoding(t *testing.T) {
	e := newEnv(t, googlefake.Options{TimeZone: "America/New_York"})
	cal := e.primary()
	day, _ := e.fake.PutEvent(cal, googlefake.Event{Summary: "Holiday",
		Start: &googlefake.EventDateTime{Date: "2026-11-26"}, End: &googlefake.EventDateTime{Date: "2026-11-27"}})
	timed, _ := e.fake.PutEvent(cal, googlefake.Event{Summary: "Call",
		Start: &googlefake.EventDateTime{DateTime: "2026-11-25T10:00:00-05:00"}, End: &googlefake.EventDateTime{DateTime: "2026-11-25T10:15:00-05:00"}})
	evs, _, _ := listAll(t, e.client, cal, "")
	byID := map[string]providers.Event{}
	for _, ev := range evs {
		byID[ev.RemoteID] = ev
	}
	d := byID[day.ID]
	ny, _ := time.LoadLocation("America/New_York")
	if !d.AllDay || !d.Start.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, ny)) || d.TimeZone != "America/New_York" {
		t.Errorf("all-day decoded as %+v", d)
	}
	c := byID[timed.ID]
	if c.AllDay || !c.Start.Equal(time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)) || c.Start.Location() != time.UTC {
		t.Errorf("timed decoded as %+v", c)
	}
}

func TestUpdateSwitchesTimedToAllDay(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	cal := e.primary()
	start := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	ev := providers.Event{ActivityID: "act-switch", Subject: "S", Start: start, End: start.Add(time.Hour), TimeZone: "UTC"}
	got, err := e.client.Create(ctx, cal, ev)
	if err != nil {
		t.Fatal(err)
	}
	ev.RemoteID, ev.AllDay = got.RemoteID, true
	ev.Start, ev.End = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	up, err := e.client.Update(ctx, cal, ev, got.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if !up.AllDay || !up.Start.Equal(ev.Start) {
		t.Fatalf("after switch: %+v", up)
	}
	stored := e.fake.Events(cal)[0]
	if stored.Start.DateTime != "" || stored.Start.Date != "2026-11-20" {
		t.Fatalf("Google holds start %+v", stored.Start)
	}
}

func TestMalformedEventReportedAndSkipped(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	cal := e.primary()
	e.client.PageSize = 2
	for i := 0; i < 3; i++ {
		if _, err := e.fake.PutEvent(cal, googlefake.Event{Summary: fmt.Sprint("ok", i),
			Start: &googlefake.EventDateTime{DateTime: fmt.Sprintf("2026-11-%02dT10:00:00Z", 10+i)},
			End:   &googlefake.EventDateTime{DateTime: fmt.Sprintf("2026-11-%02dT11:00:00Z", 10+i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.fake.PutRawEvent(cal, "brokenevent1", []byte(`{"id":"brokenevent1","summary":"x","start":{"dateTime":"not a time"},"end":{"dateTime":"2026-11-12T11:00:00Z"}}`)); err != nil {
		t.Fatal(err)
	}
	evs, bad, cursor := listAll(t, e.client, cal, "")
	if len(evs) != 3 || len(bad) != 1 || bad[0].RemoteID != "brokenevent1" || bad[0].Err == nil {
		t.Fatalf("got %d events, bad %+v", len(evs), bad)
	}
	// The broken event also shows up (and is skipped) in an increment.
	if err := e.fake.PutRawEvent(cal, "brokenevent2", []byte(`{"id":"brokenevent2","start":{"date":"2026-11-12"},"end":{"dateTime":"2026-11-12T11:00:00Z"}}`)); err != nil {
		t.Fatal(err)
	}
	_, bad, _ = listAll(t, e.client, cal, cursor)
	if len(bad) != 1 || bad[0].RemoteID != "brokenevent2" {
		t.Fatalf("increment bad = %+v", bad)
	}
}

// TestFaultKinds checks each Google answer in the PROVIDERS.md table maps to its Kind.
func TestFaultKinds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults googlefake.Faults
		kind   providers.Kind
		code   string
		status int
		retry  time.Duration
	}{
		{"429", googlefake.Faults{RateLimited: true, RetryAfterSeconds: 12}, providers.RateLimited, "rateLimitExceeded", 429, 12 * time.Second},
		{"403 rateLimitExceeded", googlefake.Faults{RateLimited: true, RateLimitStatus: 403}, providers.RateLimited, "rateLimitExceeded", 403, 0},
		{"403 userRateLimitExceeded", googlefake.Faults{RateLimited: true, RateLimitStatus: 403, RateLimitReason: "userRateLimitExceeded", RetryAfterSeconds: 5}, providers.RateLimited, "userRateLimitExceeded", 403, 5 * time.Second},
		{"403 quotaExceeded", googlefake.Faults{RateLimited: true, RateLimitStatus: 403, RateLimitReason: "quotaExceeded"}, providers.RateLimited, "quotaExceeded", 403, 0},
		{"503", googlefake.Faults{ServerError: true}, providers.Unavailable, "backendError", 503, 0},
		{"500", googlefake.Faults{ServerError: true, ServerErrorStatus: 500}, providers.Unavailable, "backendError", 500, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, googlefake.Options{})
			e.fake.SetFaults(tc.faults)
			_, err := e.client.Changes(ctx, e.primary(), "", window())
			pe, ok := providers.AsError(err)
			if !ok || pe.Kind != tc.kind || pe.Code != tc.code || pe.Status != tc.status || pe.RetryAfter != tc.retry || pe.Hint == "" {
				t.Fatalf("got %#v", err)
			}
			if !pe.Kind.Retryable() {
				t.Fatalf("%s not retryable", pe.Kind)
			}
		})
	}
}

func TestTransientFaultClears(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	e.fake.SetFaults(googlefake.Faults{ServerError: true, FailCount: 2})
	for i := 0; i < 2; i++ {
		if _, err := e.client.Calendars(ctx); !providers.IsKind(err, providers.Unavailable) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := e.client.Calendars(ctx); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
}

func TestReadOnlyGrant(t *testing.T) {
	fake, srv := newFake(t, googlefake.Options{})
	cfg := configFor(srv, nil)
	// A grant holding only calendar.readonly (e.g. made by an older calsync).
	at, rt, exp := fake.IssueToken([]string{google.ScopeCalendarReadonly})
	cfg.Secret, _ = oauth.EncodeSecret(&oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: exp}, []string{google.ScopeCalendarReadonly})
	p, err := providers.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := p.(*google.Client)
	r, err := c.Access(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.CanWrite || len(r.Missing) != 1 || r.Missing[0] != google.ScopeCalendar || r.Login != fake.Calendars()[0].ID || len(r.Granted) != 1 {
		t.Fatalf("access %+v", r)
	}
	// Reading works with calendar.readonly; writing is refused by Google as a scope problem.
	listAll(t, c, "primary", "")
	_, err = c.Create(ctx, "primary", providers.Event{ActivityID: "a", Subject: "x",
		Start: window().Start.Add(48 * time.Hour), End: window().Start.Add(49 * time.Hour)})
	pe := mustKind(t, err, providers.InsufficientScope)
	if !strings.Contains(pe.Hint, "myaccount.google.com/permissions") || pe.Code != "insufficientPermissions" {
		t.Fatalf("hint/code: %#v", pe)
	}
}

func TestConsentWithCalendarUnticked(t *testing.T) {
	e := newEnv(t, googlefake.Options{GrantScopes: []string{}})
	if m := e.grant.Missing(); len(m) != 1 || m[0] != google.ScopeCalendar || len(e.grant.Granted) != 0 {
		t.Fatalf("grant granted %v missing %v", e.grant.Granted, m)
	}
	_, err := e.client.Changes(ctx, e.primary(), "", window())
	mustKind(t, err, providers.InsufficientScope)
}

func TestNoCalendarScopeAtAll(t *testing.T) {
	e := newEnv(t, googlefake.Options{GrantScopes: []string{"openid"}})
	_, err := e.client.Calendars(ctx)
	mustKind(t, err, providers.InsufficientScope)
	r, err := e.client.Access(ctx)
	if err != nil || r.CanWrite || len(r.Missing) == 0 {
		t.Fatalf("access %+v %v", r, err)
	}
}

func TestRefreshSavesTokenWithGrantedScopes(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	e.fake.ExpireAccessTokens()
	if _, err := e.client.Calendars(ctx); err != nil {
		t.Fatal(err)
	}
	if e.saved.n != 1 {
		t.Fatalf("saved %d times, want 1", e.saved.n)
	}
	tok, granted, err := oauth.DecodeSecret(e.saved.last)
	if err != nil {
		t.Fatal(err)
	}
	old, _, _ := oauth.DecodeSecret(e.cfg.Secret)
	if tok.AccessToken == old.AccessToken || tok.RefreshToken != old.RefreshToken {
		t.Fatal("saved token is not the refreshed one (or lost the refresh token)")
	}
	if len(granted) != 1 || granted[0] != google.ScopeCalendar {
		t.Fatalf("granted %v", granted)
	}
	// The saved secret opens a working provider.
	cfg := e.cfg
	cfg.Secret = e.saved.last
	p, err := providers.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Calendars(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTestingAppRefreshTokenExpiresAfterSevenDays(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, googlefake.Options{Now: clock})
	e.fake.SetFaults(googlefake.Faults{TestingAppExpiry: true})
	mu.Lock()
	now = now.Add(6 * 24 * time.Hour)
	mu.Unlock()
	// The access token expired long ago by the fake's clock: refresh still works on day 6.
	if _, err := e.client.Calendars(ctx); err != nil {
		t.Fatalf("day 6: %v", err)
	}
	mu.Lock()
	now = now.Add(2 * 24 * time.Hour)
	mu.Unlock()
	_, err := e.client.Calendars(ctx)
	pe := mustKind(t, err, providers.AuthExpired)
	if pe.Code != "invalid_grant" || !strings.Contains(pe.Hint, "7 days") || pe.Status != 400 {
		t.Fatalf("got %#v", pe)
	}
}

func TestRevokedTokenNeedsReauth(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	e.fake.RevokeTokens()
	_, err := e.client.Calendars(ctx)
	pe := mustKind(t, err, providers.AuthExpired)
	if pe.Code != "invalid_grant" || pe.Message != "Token has been expired or revoked." || !pe.Kind.NeedsReauth() {
		t.Fatalf("got %#v", pe)
	}
}

func TestAccessTokenWithoutRefreshTokenIsAuthExpired(t *testing.T) {
	_, srv := newFake(t, googlefake.Options{})
	cfg := configFor(srv, nil)
	cfg.Secret = []byte(`{"access_token":"ya29.unknown","expiry":"2000-01-01T00:00:00Z"}`)
	p, err := providers.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Calendars(ctx)
	mustKind(t, err, providers.AuthExpired)
}

func TestDeleteGoneAndMissing(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	if err := e.client.Delete(ctx, e.primary(), "neverexisted", ""); err != nil {
		t.Fatalf("deleting an unknown event: %v", err)
	}
	_, err := e.client.Update(ctx, e.primary(), providers.Event{RemoteID: "neverexisted", Subject: "x",
		Start: window().Start, End: window().Start.Add(time.Hour)}, "")
	mustKind(t, err, providers.NotFound)
}

func TestOversizedAnswerRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"ya29.x","expires_in":3600,"token_type":"Bearer"}`))
			return
		}
		w.Write([]byte(`{"items":[`))
		chunk := []byte(`{"id":"aaaaa","summary":"` + strings.Repeat("x", 1<<16) + `"},`)
		for i := 0; i < 200; i++ { // ~13 MiB
			w.Write(chunk)
		}
		w.Write([]byte(`{}]}`))
	}))
	defer srv.Close()
	cfg := configFor(srv, nil)
	cfg.Secret = []byte(`{"access_token":"ya29.x","refresh_token":"1//r"}`)
	p, _ := providers.Open(ctx, cfg)
	_, err := p.Changes(ctx, "primary", "", window())
	mustKind(t, err, providers.Invalid)
}

// TestSecretsNeverInErrors plants canaries (tokens, client secret) and drives every
// failure path; no error text may contain them.
func TestSecretsNeverInErrors(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	tok, _, _ := oauth.DecodeSecret(e.cfg.Secret)
	canaries := []string{tok.AccessToken, tok.RefreshToken, testClientSecret}
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	cal := e.primary()
	for _, f := range []googlefake.Faults{{RateLimited: true}, {ServerError: true}} {
		e.fake.SetFaults(f)
		_, err := e.client.Changes(ctx, cal, "", window())
		collect(err)
	}
	e.fake.SetFaults(googlefake.Faults{})
	_, err := e.client.Changes(ctx, cal, "sync:garbage", window())
	collect(err)
	e.fake.ExpireSyncTokens("")
	e.fake.SetGrantedScopes([]string{"openid"})
	_, err = e.client.Calendars(ctx)
	collect(err)
	e.fake.SetFaults(googlefake.Faults{AdminPolicyEnforced: true})
	e.fake.ExpireAccessTokens()
	_, err = e.client.Calendars(ctx)
	collect(err)
	e.fake.SetFaults(googlefake.Faults{})
	e.fake.RevokeTokens()
	_, err = e.client.Calendars(ctx)
	collect(err)
	// A dead server: the transport error carries the URL.
	e.srv.Close()
	_, err = e.client.Calendars(ctx)
	collect(err)
	if len(errs) < 7 {
		t.Fatalf("only %d errors collected", len(errs))
	}
	for _, err := range errs {
		for e := err; e != nil; e = errors.Unwrap(e) {
			text := fmt.Sprintf("%v %+v %#v", e, e, e)
			if pe, ok := e.(*providers.Error); ok {
				text = fmt.Sprint(pe.Error(), pe.Message, pe.Hint, pe.Code)
			}
			for _, c := range canaries {
				if strings.Contains(text, c) {
					t.Fatalf("secret leaked in %T: %s", e, text)
				}
			}
		}
	}
}

func mustKind(t *testing.T, err error, k providers.Kind) *providers.Error {
	t.Helper()
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != k {
		t.Fatalf("got %v (%T), want Kind %s", err, err, k)
	}
	if pe.Provider != "google" || pe.Op == "" {
		t.Fatalf("error lacks provider/op: %#v", pe)
	}
	return pe
}

var _ = json.Marshal

func TestCalendarIDNeedingEscapes(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	const id = "en.usa#holiday@group.v.calendar.google.com"
	if err := e.fake.AddCalendar(googlefake.Calendar{ID: id, AccessRole: "reader"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.PutEvent(id, googlefake.Event{Summary: "Thanksgiving",
		Start: &googlefake.EventDateTime{Date: "2026-11-26"}, End: &googlefake.EventDateTime{Date: "2026-11-27"}}); err != nil {
		t.Fatal(err)
	}
	evs, _, _ := listAll(t, e.client, id, "")
	if len(evs) != 1 || !evs[0].ReadOnly || !evs[0].AllDay {
		t.Fatalf("got %+v", evs)
	}
	_, err := e.client.Create(ctx, id, providers.Event{ActivityID: "a", Subject: "x", Start: window().Start, End: window().Start.Add(time.Hour)})
	pe := mustKind(t, err, providers.ReadOnly)
	if pe.Code != "requiredAccessLevel" || pe.Hint == "" {
		t.Fatalf("got %#v", pe)
	}
}

func TestOpenWithoutClientIDOrSecret(t *testing.T) {
	t.Setenv("CALSYNC_GOOGLE_CLIENT_ID", "")
	_, err := providers.Open(ctx, providers.Config{Kind: "google", Secret: []byte(`{"refresh_token":"r"}`)})
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.Invalid || !strings.Contains(pe.Hint, "CALSYNC_GOOGLE_CLIENT_ID") {
		t.Fatalf("got %v", err)
	}
	_, err = providers.Open(ctx, providers.Config{Kind: "google", ClientID: "x", Secret: []byte(`not json ya29.SECRET`)})
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.AuthExpired || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("got %v", err)
	}
	t.Setenv("CALSYNC_GOOGLE_CLIENT_ID", "env-id")
	t.Setenv("CALSYNC_GOOGLE_CLIENT_SECRET", "env-secret")
	if id, secret := google.ClientCredentials(providers.Config{}); id != "env-id" || secret != "env-secret" {
		t.Fatalf("env credentials: %q %q", id, secret)
	}
	if id, _ := google.ClientCredentials(providers.Config{ClientID: "given"}); id != "given" {
		t.Fatal("given client id must win over the environment")
	}
}

// TestEchoingAPICannotLeakToken: an API answer that quotes the bearer token in its error
// message (a broken proxy) must not put it in calsync's error.
func TestEchoingAPICannotLeakToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.WriteHeader(400)
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": 400, "message": "bad token " + tok + " here",
			"errors": []map[string]string{{"reason": "badRequest", "message": tok}}}})
		w.Write(b)
	}))
	defer srv.Close()
	cfg := configFor(srv, nil)
	cfg.Secret = []byte(`{"access_token":"PLAINCANARYTOKEN123","refresh_token":"r"}`)
	p, _ := providers.Open(ctx, cfg)
	_, err := p.Calendars(ctx)
	pe := mustKind(t, err, providers.Invalid)
	if strings.Contains(err.Error(), "PLAINCANARYTOKEN123") || strings.Contains(pe.Message, "PLAINCANARY") {
		t.Fatalf("token leaked: %v", err)
	}
}

func TestEditAndDeleteOneInstanceOfSeries(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	cal := e.primary()
	if _, err := e.fake.PutEvent(cal, googlefake.Event{ID: "series0001", Summary: "Standup",
		Start: &googlefake.EventDateTime{DateTime: "2026-11-02T09:00:00Z"}, End: &googlefake.EventDateTime{DateTime: "2026-11-02T09:15:00Z"},
		Recurrence: []string{"RRULE:FREQ=DAILY;COUNT=5"}}); err != nil {
		t.Fatal(err)
	}
	evs, _, cursor := listAll(t, e.client, cal, "")
	if len(evs) != 5 {
		t.Fatalf("%d instances", len(evs))
	}
	second, third := evs[1], evs[2]
	second.Subject = "Standup (moved)"
	second.Start, second.End = second.Start.Add(time.Hour), second.End.Add(time.Hour)
	up, err := e.client.Update(ctx, cal, second, second.ETag)
	if err != nil {
		t.Fatalf("update one instance: %v", err)
	}
	if up.SeriesID != "series0001" || up.Subject != "Standup (moved)" || up.RemoteID != second.RemoteID {
		t.Fatalf("updated instance %+v", up)
	}
	if err := e.client.Delete(ctx, cal, third.RemoteID, third.ETag); err != nil {
		t.Fatalf("delete one instance: %v", err)
	}
	inc, _, _ := listAll(t, e.client, cal, cursor)
	if len(inc) != 2 {
		t.Fatalf("increment %+v", inc)
	}
	for _, ev := range inc {
		switch ev.RemoteID {
		case second.RemoteID:
			if ev.Deleted || ev.Subject != "Standup (moved)" {
				t.Errorf("moved instance in increment: %+v", ev)
			}
		case third.RemoteID:
			if !ev.Deleted {
				t.Errorf("deleted instance not marked: %+v", ev)
			}
		default:
			t.Errorf("unexpected %+v", ev)
		}
	}
	evs, _, _ = listAll(t, e.client, cal, "")
	if len(evs) != 4 {
		t.Fatalf("after edits the full listing has %d instances, want 4: %+v", len(evs), evs)
	}
	n := 0
	for _, ev := range evs {
		if ev.RemoteID == second.RemoteID {
			n++
			if !ev.Start.Equal(second.Start) {
				t.Errorf("moved instance starts %v", ev.Start)
			}
		}
	}
	if n != 1 {
		t.Fatalf("moved instance listed %d times", n)
	}
}

func TestAllDayWithoutZoneReadsBackInAnotherZoneCalendar(t *testing.T) {
	e := newEnv(t, googlefake.Options{TimeZone: "Pacific/Auckland"})
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	ev := providers.Event{ActivityID: "act-day", Subject: "Offsite", AllDay: true, Start: day, End: day.AddDate(0, 0, 1)}
	got, err := e.client.Create(ctx, e.primary(), ev)
	if err != nil {
		t.Fatal(err)
	}
	evs, _, _ := listAll(t, e.client, e.primary(), "")
	if len(evs) != 1 || !evs[0].Start.Equal(day) || !got.Start.Equal(day) || !evs[0].AllDay {
		t.Fatalf("created %+v listed %+v", got, evs)
	}
}

// accessNotConfigured (the Calendar API off in the OAuth client's project) is the first
// error anyone with their own client meets: a setup error naming the project and the
// link to enable it, not a read-only calendar. domainPolicy is the domain's setup.
func TestSetupErrorsAreNotReadOnly(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	e.fake.SetFaults(googlefake.Faults{APINotEnabledProject: "123456789012"})
	_, err := e.client.Changes(ctx, e.primary(), "", window())
	pe := mustKind(t, err, providers.SetupRequired)
	if pe.Code != "accessNotConfigured" || !strings.Contains(pe.Hint, "project 123456789012") ||
		!strings.Contains(pe.Hint, "https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=123456789012") {
		t.Fatalf("hint does not say what to enable where: %q", pe.Hint)
	}
	if !pe.Kind.StopsAccount() || pe.Kind.Retryable() || pe.Kind.NeedsReauth() {
		t.Fatalf("%s: must stop the account without asking for a new sign-in", pe.Kind)
	}

	e.fake.SetFaults(googlefake.Faults{DomainPolicy: true})
	_, err = e.client.Calendars(ctx)
	if pe := mustKind(t, err, providers.SetupRequired); pe.Code != "domainPolicy" || !strings.Contains(pe.Hint, "administrator") {
		t.Fatalf("domainPolicy: %+v", pe)
	}
}

// 403 forbidden on one event (someone else's) is about that event: not ReadOnly, which
// would stop every write to the calendar.
func TestForbiddenEventIsNotAReadOnlyCalendar(t *testing.T) {
	e := newEnv(t, googlefake.Options{})
	cal := e.primary()
	ev, err := e.fake.PutEvent(cal, googlefake.Event{Summary: "Their meeting",
		Start: &googlefake.EventDateTime{DateTime: "2026-11-10T10:00:00Z"}, End: &googlefake.EventDateTime{DateTime: "2026-11-10T11:00:00Z"}})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.SetFaults(googlefake.Faults{ForbiddenEvents: []string{ev.ID}})
	err = e.client.Delete(ctx, cal, ev.ID, "")
	if pe := mustKind(t, err, providers.Invalid); pe.Code != "forbidden" {
		t.Fatalf("forbidden: %+v", pe)
	}
}
