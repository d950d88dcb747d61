package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/google"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/microsoft"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/providers/oauth"
	"github.com/calsync/calsync/store"
)

// faultProvider fails calls on request before they reach the real client.
type faultProvider struct {
	providers.Provider
	fault func(op string) error
}

func (f *faultProvider) check(op string) error {
	if f.fault != nil {
		return f.fault(op)
	}
	return nil
}
func (f *faultProvider) Changes(ctx context.Context, cal, cursor string, win providers.Window) (providers.ChangePage, error) {
	if err := f.check("changes"); err != nil {
		return providers.ChangePage{}, err
	}
	return f.Provider.Changes(ctx, cal, cursor, win)
}
func (f *faultProvider) Create(ctx context.Context, cal string, ev providers.Event) (providers.Event, error) {
	if err := f.check("create"); err != nil {
		return providers.Event{}, err
	}
	return f.Provider.Create(ctx, cal, ev)
}
func (f *faultProvider) Update(ctx context.Context, cal string, ev providers.Event, ifMatch string) (providers.Event, error) {
	if err := f.check("update"); err != nil {
		return providers.Event{}, err
	}
	return f.Provider.Update(ctx, cal, ev, ifMatch)
}
func (f *faultProvider) Delete(ctx context.Context, cal, remoteID, ifMatch string) error {
	if err := f.check("delete"); err != nil {
		return err
	}
	return f.Provider.Delete(ctx, cal, remoteID, ifMatch)
}

// ---- Google ----

type googleRemote struct {
	fake *googlefake.Server
	cal  string
	prov *faultProvider
}

const testGoogleClient = "calsync-test.apps.googleusercontent.com"

func googleFactory(t testing.TB, now func() time.Time) remote { return googleFactoryPaged(t, now, 50) }

// googleFactoryPaged is googleFactory with the client's maxResults set to pageSize.
func googleFactoryPaged(t testing.TB, now func() time.Time, pageSize int) remote {
	fake := googlefake.New(googlefake.Options{ClientID: testGoogleClient, ClientSecret: "s", Now: now,
		AccessTokenTTL: 10000 * time.Hour})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	access, refresh, _ := fake.IssueToken([]string{google.ScopeCalendar})
	secret, err := oauth.EncodeSecret(&oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		Expiry: time.Now().Add(24 * time.Hour)}, []string{google.ScopeCalendar})
	if err != nil {
		t.Fatal(err)
	}
	ep := googlefake.EndpointsAt(srv.URL)
	c, err := google.New(providers.Config{AccountID: "a", Kind: google.Kind, ClientID: testGoogleClient, ClientSecret: "s",
		Endpoints: providers.Endpoints{API: ep.API, Auth: ep.Auth, Token: ep.Token}, Secret: secret, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	c.PageSize = pageSize
	return &googleRemote{fake: fake, cal: fake.Calendars()[0].ID, prov: &faultProvider{Provider: c}}
}

func (g *googleRemote) Name() string                  { return "google" }
func (g *googleRemote) Provider() providers.Provider  { return g.prov }
func (g *googleRemote) SetFault(f func(string) error) { g.prov.fault = f }
func (g *googleRemote) ExpireCursors()                { g.fake.ExpireSyncTokens(g.cal) }
func (g *googleRemote) dt(t time.Time) *googlefake.EventDateTime {
	return &googlefake.EventDateTime{DateTime: t.UTC().Format(time.RFC3339), TimeZone: "UTC"}
}
func (g *googleRemote) UserCreate(subject string, start time.Time, d time.Duration) string {
	ev, err := g.fake.PutEvent(g.cal, googlefake.Event{Summary: subject, Start: g.dt(start), End: g.dt(start.Add(d))})
	if err != nil {
		panic(err)
	}
	return ev.ID
}
func (g *googleRemote) find(id string) (googlefake.Event, bool) {
	for _, e := range g.fake.Events(g.cal) {
		if e.ID == id && e.Status != "cancelled" {
			return e, true
		}
	}
	return googlefake.Event{}, false
}
func (g *googleRemote) UserEdit(id, subject string) bool {
	e, ok := g.find(id)
	if !ok {
		return false
	}
	e.Summary = subject
	_, err := g.fake.PutEvent(g.cal, e)
	return err == nil
}
func (g *googleRemote) UserDelete(id string) bool {
	if _, ok := g.find(id); !ok {
		return false
	}
	return g.fake.DeleteEvent(g.cal, id) == nil
}
func (g *googleRemote) Live() map[string]providers.Event {
	out := map[string]providers.Event{}
	for _, e := range g.fake.Events(g.cal) {
		if e.Status == "cancelled" {
			continue
		}
		ev := providers.Event{RemoteID: e.ID, Subject: e.Summary}
		if e.ExtendedProperties != nil {
			ev.ActivityID = e.ExtendedProperties.Private[google.TagProperty]
		}
		out[e.ID] = ev
	}
	return out
}

// ---- Microsoft Graph ----

type graphRemote struct {
	fake *graphfake.Server
	cal  string
	prov *faultProvider
}

const testGraphClient = "0f3e2d1c-aaaa-bbbb-cccc-123456789abc"

func graphFactory(t testing.TB, now func() time.Time) remote {
	fake := graphfake.New(graphfake.Options{ClientID: testGraphClient, Now: now, TokenLifetime: 10000 * time.Hour})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	issued := fake.IssueToken(microsoft.Scopes...)
	secret, err := oauth.EncodeSecret(&oauth2.Token{AccessToken: issued.AccessToken, TokenType: "Bearer",
		RefreshToken: issued.RefreshToken, Expiry: time.Now().Add(24 * time.Hour)}, strings.Fields(issued.Scope))
	if err != nil {
		t.Fatal(err)
	}
	p, err := providers.Open(context.Background(), providers.Config{AccountID: "a", Kind: microsoft.Kind, ClientID: testGraphClient,
		Endpoints: graphfake.Endpoints(srv.URL), Secret: secret, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return &graphRemote{fake: fake, cal: fake.DefaultCalendar(), prov: &faultProvider{Provider: p}}
}

func (g *graphRemote) Name() string                  { return "graph" }
func (g *graphRemote) Provider() providers.Provider  { return g.prov }
func (g *graphRemote) SetFault(f func(string) error) { g.prov.fault = f }
func (g *graphRemote) ExpireCursors()                { g.fake.ExpireDeltaTokens("") }
func (g *graphRemote) UserCreate(subject string, start time.Time, d time.Duration) string {
	ev, err := g.fake.PutEvent(g.cal, graphfake.Event{Subject: subject, Start: start, End: start.Add(d), TimeZone: "UTC"})
	if err != nil {
		panic(err)
	}
	return ev.ID
}
func (g *graphRemote) UserEdit(id, subject string) bool {
	e, err := g.fake.Event(id)
	if err != nil {
		return false
	}
	e.Subject = subject
	_, err = g.fake.PutEvent(g.cal, e)
	return err == nil
}
func (g *graphRemote) UserDelete(id string) bool { return g.fake.DeleteEvent(id) == nil }
func (g *graphRemote) Live() map[string]providers.Event {
	out := map[string]providers.Event{}
	for _, e := range g.fake.Events(g.cal) {
		ev := providers.Event{RemoteID: e.ID, Subject: e.Subject}
		for k, v := range e.Props {
			if strings.HasSuffix(strings.ToLower(k), "calsyncactivityid") {
				ev.ActivityID = v
			}
		}
		out[e.ID] = ev
	}
	return out
}

func TestDirectionMatrixGoogle(t *testing.T) { runMatrix(t, googleFactory) }
func TestDirectionMatrixGraph(t *testing.T)  { runMatrix(t, graphFactory) }

// Faults the fakes produce themselves (their real error bodies and headers), so the
// provider's classification is part of what these tests exercise.
type faultyRemote interface {
	remote
	// RateLimitNext makes the next n API calls (n < 0: all) answer 429 with Retry-After.
	RateLimitNext(n int, retryAfter time.Duration)
	// RevokeSignIn revokes the refresh token and expires the access token.
	RevokeSignIn()
}

func (g *googleRemote) RateLimitNext(n int, ra time.Duration) {
	if n < 0 {
		n = 0 // the fake's "until cleared"
	}
	g.fake.SetFaults(googlefake.Faults{RateLimited: true, FailCount: n, RetryAfterSeconds: int(ra / time.Second)})
}
func (g *googleRemote) RevokeSignIn() { g.fake.RevokeTokens(); g.fake.ExpireAccessTokens() }

func (g *graphRemote) RateLimitNext(n int, ra time.Duration) {
	g.fake.FailNext(n, graphfake.Throttled, ra)
}
func (g *graphRemote) RevokeSignIn() { g.fake.SetTokenFault(graphfake.RefreshTokenInactive) }

var fakeFactories = []struct {
	name string
	mk   remoteFactory
}{{"google", googleFactory}, {"graph", graphFactory}}

func TestFakesTokenRevokedMidRun(t *testing.T) {
	for _, f := range fakeFactories {
		t.Run(f.name, func(t *testing.T) {
			h := newHarness(t, f.mk, store.DirTwoWay)
			for i := 0; i < 5; i++ {
				h.localCreate(fmt.Sprint("call ", i), store.TypeCall)
			}
			fr := h.rem.(faultyRemote)
			creates := 0
			h.rem.SetFault(func(op string) error {
				if op == "create" {
					if creates++; creates == 3 {
						fr.RevokeSignIn() // revoked in the middle of the run
					}
				}
				return nil
			})
			s, err := h.runWith(RunOptions{})
			if !providers.KindOf(err).NeedsReauth() || !s.NeedsReauth || s.Created != 2 {
				t.Fatalf("err %v summary %+v", err, s)
			}
			a, _ := store.GetAccount(h.ctx, h.st.DB, h.acct.ID)
			if a.State != store.AccountNeedsReauth || a.LastErrorKind == "" {
				t.Fatalf("account %+v", a)
			}
			if len(h.rem.Live()) != 2 {
				t.Fatalf("%d events after the revoke", len(h.rem.Live()))
			}
			// Nothing is half-done: the three unsynced activities wait with pending links
			// or none, and no run touches the provider until the account is reconnected.
			if _, err := h.runWith(RunOptions{}); !errors.Is(err, ErrNeedsReauth) {
				t.Fatalf("second run: %v", err)
			}
		})
	}
}

func TestFakesRateLimitStorm(t *testing.T) {
	for _, f := range fakeFactories {
		t.Run(f.name, func(t *testing.T) {
			h := newHarness(t, f.mk, store.DirTwoWay)
			for i := 0; i < 6; i++ {
				h.localCreate(fmt.Sprint("call ", i), store.TypeCall)
			}
			fr := h.rem.(faultyRemote)
			// A storm: the listing is throttled four times in a row, then the first
			// create four times again (each within the per-call attempt limit).
			fr.RateLimitNext(4, 3*time.Second)
			armed := false
			h.rem.SetFault(func(op string) error {
				if op == "create" && !armed {
					armed = true
					fr.RateLimitNext(4, 3*time.Second)
				}
				return nil
			})
			s := h.sync()
			if len(h.slept) != 8 {
				t.Fatalf("%d waits, want 8 (one per 429): %v", len(h.slept), h.slept)
			}
			if s.Created != 6 || len(h.rem.Live()) != 6 || s.Errors != 0 {
				t.Fatalf("storm: %+v, %d events", s, len(h.rem.Live()))
			}
			if len(h.slept) == 0 {
				t.Fatal("no backoff")
			}
			for _, d := range h.slept {
				if d != 3*time.Second {
					t.Fatalf("waits %v: Retry-After (3s) not honoured", h.slept)
				}
			}
			// A storm that does not end: the run gives up within its retry budget, as a
			// temporary failure (exit 75), and the account stays connected.
			h.rem.SetFault(nil)
			fr.RateLimitNext(-1, 20*time.Second)
			h.slept = nil
			h.localCreate("one more", store.TypeCall)
			s, err := h.runWith(RunOptions{})
			if !providers.IsKind(err, providers.RateLimited) || !s.Temporary {
				t.Fatalf("endless storm: %v %+v", err, s)
			}
			var waited time.Duration
			for _, d := range h.slept {
				waited += d
			}
			if waited > 2*time.Minute {
				t.Fatalf("waited %v, over the 2 min budget", waited)
			}
			if a, _ := store.GetAccount(h.ctx, h.st.DB, h.acct.ID); a.State != store.AccountConnected {
				t.Fatalf("throttling marked the account %s", a.State)
			}
		})
	}
}

func TestFakesChangeTokenExpiresMidRun(t *testing.T) {
	for _, f := range fakeFactories {
		t.Run(f.name, func(t *testing.T) {
			h := newHarness(t, f.mk, store.DirTwoWay)
			for i := 0; i < 40; i++ {
				h.localCreate(fmt.Sprint("local ", i), store.TypeCall)
				h.remoteCreate(fmt.Sprint("remote ", i))
			}
			h.sync()
			h.sync()
			for i := 0; i < 70; i++ { // enough changes for several pages
				h.remoteCreate(fmt.Sprint("new ", i))
			}
			// Links of CRM-made activities lost too (a restored backup): only their
			// ownership tags can prevent copies now.
			h.st.DB.Exec(`DELETE FROM links WHERE activity_id IN (SELECT id FROM activities WHERE origin = 'local')`)
			pages := 0
			h.rem.SetFault(func(op string) error {
				if op == "changes" {
					if pages++; pages == 2 {
						h.rem.ExpireCursors() // the token dies between two pages of the increment
					}
				}
				return nil
			})
			s := h.sync()
			if !s.FullListing || s.Relinked < 40 {
				t.Fatalf("no full listing with relinking: %+v\n", s)
			}
			h.rem.SetFault(nil)
			h.sync()
			if n, m := len(h.liveActivities()), len(h.rem.Live()); n != 150 || m != 150 {
				t.Fatalf("%d activities, %d events; want 150 each (duplicates or losses)", n, m)
			}
			if len(h.journal(store.JournalQuery{Reason: ReasonCursorExpired})) != 1 {
				t.Fatal("expiry not journaled")
			}
		})
	}
}
