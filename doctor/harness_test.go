package doctor

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/calsync/calsync/providers"
	_ "github.com/calsync/calsync/providers/all"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/oauth"
	"github.com/calsync/calsync/store"
)

// world is a sandbox like demo mode builds: a store, a Google fake on loopback, a
// connected account with sync switched on, and the real engine behind Env.Sync.
type world struct {
	t     *testing.T
	ctx   context.Context
	st    *store.Store
	fake  *googlefake.Server
	srv   *httptest.Server
	me    store.User
	other store.User
	acct  store.Account
	cal   string
	env   *Env
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{t: t, ctx: ctx, st: st}
	w.fake = googlefake.New(googlefake.Options{Login: "ana@example.com"})
	w.srv = httptest.NewServer(w.fake.Handler())
	t.Cleanup(w.srv.Close)
	w.cal = w.fake.Calendars()[0].ID
	now := time.Now().UTC()
	if w.me, err = store.EnsureMe(ctx, st.DB, "Ana", now.Add(-30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if w.other, err = store.CreateUser(ctx, st.DB, store.User{Name: "Bruno", Email: "bruno@example.com", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	w.acct = w.addAccount("Work", now.Add(-2*24*time.Hour), []string{googlefake.ScopeCalendar})
	w.env = NewEnv(st, func(string) string { return "" }, nil)
	w.env.Prober = &Prober{Timeout: 2 * time.Second}
	return w
}

// addAccount connects one more Google account to the same fake (the same calendar).
func (w *world) addAccount(name string, created time.Time, scopes []string) store.Account {
	t := w.t
	ep := googlefake.EndpointsAt(w.srv.URL)
	epJSON, _ := json.Marshal(providers.Endpoints{API: ep.API, Auth: ep.Auth, Token: ep.Token})
	a, err := store.CreateAccount(w.ctx, w.st.DB, store.Account{Kind: "google", Name: name, Login: "ana@example.com",
		Endpoints: string(epJSON), ClientID: "calsync-test.apps.googleusercontent.com", AuthKind: "oauth",
		State: store.AccountConnected, GrantedScopes: scopes, CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	w.issueToken(a.ID, scopes)
	cals, err := w.openProvider(a).Calendars(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sc []store.Calendar
	for _, c := range cals {
		sc = append(sc, store.Calendar{AccountID: a.ID, RemoteID: c.ID, Name: c.Name, TimeZone: c.TimeZone, ReadOnly: c.ReadOnly, Primary: c.Primary, HasEvents: true})
	}
	if err := store.ReplaceCalendars(w.ctx, w.st.DB, a.ID, sc, time.Now()); err != nil {
		t.Fatal(err)
	}
	s := store.DefaultSyncSettings(a.ID)
	s.CalendarID = w.fake.Calendars()[0].ID
	s.Enabled = true
	act := time.Now().UTC().Add(-24 * time.Hour)
	s.ActivatedAt = &act
	if err := store.PutSyncSettings(w.ctx, w.st.DB, s); err != nil {
		t.Fatal(err)
	}
	return a
}

func (w *world) issueToken(accountID string, scopes []string) {
	access, refresh, exp := w.fake.IssueToken(scopes)
	sec, err := oauth.EncodeSecret(&oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: exp, TokenType: "Bearer"}, scopes)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := store.PutSecret(w.ctx, w.st.DB, accountID, "oauth_token", sec, time.Now()); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) openProvider(a store.Account) providers.Provider {
	w.t.Helper()
	e := NewEnv(w.st, func(string) string { return "" }, nil)
	p, err := e.Open(w.ctx, a, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) settings(id string, change func(s *store.SyncSettings)) {
	w.t.Helper()
	s, err := store.GetSyncSettings(w.ctx, w.st.DB, id)
	if err != nil {
		w.t.Fatal(err)
	}
	change(&s)
	if err := store.PutSyncSettings(w.ctx, w.st.DB, s); err != nil {
		w.t.Fatal(err)
	}
}

// activity creates an activity "at" a given time (its created/updated stamps).
func (w *world) activity(subject string, typ store.ActivityType, owner string, start time.Time, at time.Time) store.Activity {
	w.t.Helper()
	a, err := store.CreateActivity(w.ctx, w.st.DB, store.ActivityInput{OwnerID: owner, Type: typ, Subject: subject, Start: start, Duration: 30 * time.Minute}, at)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) sync(accountID string) {
	w.t.Helper()
	if err := w.env.Sync(w.ctx, accountID); err != nil {
		w.t.Fatalf("sync: %v", err)
	}
}

func (w *world) target(id string) {
	w.t.Helper()
	t, err := ResolveTarget(w.ctx, w.st, id, "")
	if err != nil {
		w.t.Fatal(err)
	}
	w.env.Target = t
}

func (w *world) run(s Symptom) Report {
	w.t.Helper()
	r, err := Run(w.ctx, w.env, s)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// finding returns the finding of check id (for account acct, "" = any).
func (w *world) finding(r Report, id, acct string) Finding {
	w.t.Helper()
	for _, f := range r.Findings {
		if f.CheckID == id && (acct == "" || f.AccountID == acct) {
			return f
		}
	}
	w.t.Fatalf("no finding %s in report:\n%s", id, dump(r))
	return Finding{}
}

// fixAll applies every fix of every failing finding that needs no person, like
// `calsync doctor --fix --yes`, and returns the applied results.
func (w *world) fixAll(r Report) []Applied {
	w.t.Helper()
	var out []Applied
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if f.Status != Fail {
			continue
		}
		for _, fx := range f.Fixes {
			if fx.Input != nil || fx.Interactive || fx.Decision || seen[fx.ID+fx.AccountID] {
				continue
			}
			seen[fx.ID+fx.AccountID] = true
			a, err := fx.Apply(w.ctx, w.env, "")
			if err != nil {
				w.t.Fatalf("apply %s: %v", fx.ID, err)
			}
			out = append(out, a)
		}
	}
	return out
}

func dump(r Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(string(f.Status) + " " + f.CheckID + " [" + f.AccountID + "] " + f.Summary + "\n")
		for _, e := range f.Evidence {
			b.WriteString("    " + e.Observed + " | " + e.Expected + " | " + e.Source + "\n")
		}
	}
	return b.String()
}

// liveCount counts live activities and remote events of the fake's calendar.
func (w *world) counts() (local int, remote int) {
	w.t.Helper()
	if err := w.st.DB.QueryRow(`SELECT count(*) FROM activities WHERE deleted_at IS NULL`).Scan(&local); err != nil {
		w.t.Fatal(err)
	}
	for _, e := range w.fake.Events(w.cal) {
		if e.Status != "cancelled" {
			remote++
		}
	}
	return
}

// findBySubject returns live activities whose subject is exactly s.
func findBySubject(ctx context.Context, st *store.Store, s string) []string {
	rows, err := st.DB.QueryContext(ctx, `SELECT id FROM activities WHERE subject = ? AND deleted_at IS NULL`, s)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
