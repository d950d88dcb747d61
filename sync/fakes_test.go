package sync

import (
	"context"
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
