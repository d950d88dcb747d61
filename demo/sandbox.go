// Package demo builds and runs calsync's demo sandbox: a CRM of generated activities
// (seed.go), three fake providers running inside calsync on loopback ports with their
// remote state on disk (fakes.go, runtime.go), a lease so several calsync processes can
// share one sandbox's fakes (lease.go), the broken setups the doctor is shown on
// (scenarios.go), and what `calsync demo` prints about them (report.go). The cli package's
// demo command calls Build; every other command calls StartFakesIfSandbox when it opens a
// store, so a sandbox works for all of them.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/calsync/calsync/runenv"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav/caldavfake"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/providers/oauth"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/accountsetup"
)

// Sandbox is a sandbox being built: the CRM, the running fakes, and the three accounts
// connected to them through the same sign-in code a person uses (accountsetup.Manager).
type Sandbox struct {
	Ctx   context.Context
	env   *runenv.Env
	St    *store.Store
	Fakes *Fakes
	cfg   demoFakeConfig
	now   time.Time
	Loc   *time.Location
	Users []store.User // me first
	mgr   *accountsetup.Manager
	eng   *sync.Engine

	Google, Microsoft, CalDAV      store.Account
	GoogleCal, graphCal, caldavCal string

	// Target is the activity the scenario is about, when there is one.
	Target *store.Activity
	// secretNote is something the person needs to try a fix (a new app password).
	secretNote string
	Summaries  []sync.Summary
}

// Demo sandbox constants: who the fake accounts belong to.
const (
	GoogleLogin        = "alex.morgan@gmail.com"
	demoCalDAVUser     = "alex"
	demoCalDAVPassword = "account-password"
	demoGoogleClient   = "calsync-demo.apps.googleusercontent.com"
	demoGoogleSecret   = "demo-client-secret"
	demoMSClient       = "5d2c1b7e-0d3a-4c1e-9a57-calsync-demo"
	demoTeamCalendar   = "team.shared@group.calendar.google.com"
)

// Build fills an empty store: the demo team and activities, the fakes with
// their calendars and events, three connected accounts, the scenario's setup, and (when
// firstSync) a first sync of every account through the real engine.
func Build(ctx context.Context, env *runenv.Env, st *store.Store, sc *Scenario, seed int64, n int, firstSync bool) (*Sandbox, error) {
	b := &Sandbox{Ctx: ctx, env: env, St: st, now: env.Now()}
	// The sandbox plans in this machine's zone, and its calendars are in the same one, so
	// a healthy sandbox has nothing to say about time zones.
	zone := store.TimeZoneName(env.Zone())
	if err := store.SetUserTimeZone(ctx, st.DB, zone); err != nil {
		zone = "UTC"
		if err := store.SetUserTimeZone(ctx, st.DB, zone); err != nil {
			return nil, err
		}
	}
	loc, err := store.UserLocation(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	b.Loc = loc
	// Activities are made a minute before sync is switched on, as a person would have
	// entered them before connecting a calendar (backfill is offered for older ones).
	sum, err := Seed(ctx, st, seed, n, b.now, loc)
	if err != nil {
		return nil, err
	}
	b.Users = sum.Users

	b.cfg = demoFakeConfig{GoogleLogin: GoogleLogin, TimeZone: zone, CalDAVUser: demoCalDAVUser, CalDAVPassword: demoCalDAVPassword}
	if b.Fakes, err = startDemoFakeServers(env.DataDir, b.cfg, env.Now); err != nil {
		return nil, err
	}
	registerDemoFakes(b.Fakes)
	b.cfg.URLs = b.Fakes.URLs()
	useDemoEnvironment(env, b.cfg.URLs)
	if err := pointAccountsAt(ctx, st, b.cfg, b.cfg.URLs, b.now); err != nil {
		return nil, err
	}
	if err := b.seedRemote(); err != nil {
		return nil, fmt.Errorf("fill the demo calendars: %w", err)
	}
	if err := b.connectAccounts(); err != nil {
		return nil, err
	}
	if sc.before != nil {
		if err := sc.before(b); err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
	}
	b.eng = sync.New(st)
	b.eng.Open = sync.DefaultOpener(st, env.Getenv)
	b.eng.Now = env.Now
	switch {
	case firstSync:
		if err := b.syncAll(); err != nil {
			return nil, err
		}
	case sc.after != nil:
		// The app syncs the other accounts in the background; what the scenario breaks
		// next needs the work calendar synced first.
		b.syncAccount(b.Google)
	}
	if sc.after != nil {
		if err := sc.after(b); err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
	}
	if err := store.SetMeta(ctx, st.DB, MetaScenario, sc.Name); err != nil {
		return nil, err
	}
	if b.Target != nil {
		if err := store.SetMeta(ctx, st.DB, MetaTarget, b.Target.ID); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// MetaScenario names the scenario a sandbox was built for.
const MetaScenario = "demo_scenario"

// MetaTarget is the id of the activity the scenario is about, so a reused sandbox can
// say again what to try.
const MetaTarget = "demo_target"

// syncAll runs the engine over every enabled account, like `calsync sync`. A failing
// account is part of some scenarios, so only an internal error stops the build.
func (b *Sandbox) syncAll() error {
	sums, _ := b.eng.RunAll(b.Ctx, sync.RunOptions{Wait: 10 * time.Second})
	b.Summaries = append(b.Summaries, sums...)
	return nil
}

// syncAccount runs the engine once for one account.
func (b *Sandbox) syncAccount(a store.Account) sync.Summary {
	sum, _ := b.eng.Run(b.Ctx, a.ID, sync.RunOptions{Wait: 10 * time.Second})
	b.Summaries = append(b.Summaries, sum)
	return sum
}

// at is a time on day d (0 = today) at h:m in the sandbox's zone.
func (b *Sandbox) At(d, h, m int) time.Time {
	n := b.now.In(b.Loc)
	return time.Date(n.Year(), n.Month(), n.Day()+d, h, m, 0, 0, b.Loc)
}

// seedRemote gives each fake calendar events made "by other calendar clients": what a
// person already had in their calendars before calsync.
func (b *Sandbox) seedRemote() error {
	g := b.Fakes.Google
	if err := g.AddCalendar(googlefake.Calendar{ID: demoTeamCalendar, Summary: "Team (shared)", TimeZone: b.cfg.TimeZone, AccessRole: "writer"}); err != nil {
		return err
	}
	gev := func(day, h, m int, mins int, summary, location string) error {
		st := b.At(day, h, m)
		_, err := g.PutEvent(GoogleLogin, googlefake.Event{Summary: summary, Location: location,
			Start: &googlefake.EventDateTime{DateTime: st.Format(time.RFC3339), TimeZone: b.cfg.TimeZone},
			End:   &googlefake.EventDateTime{DateTime: st.Add(time.Duration(mins) * time.Minute).Format(time.RFC3339), TimeZone: b.cfg.TimeZone}})
		return err
	}
	for _, e := range []struct {
		day, h, m, mins int
		s, loc          string
	}{{1, 8, 30, 30, "Dentist", "Dr. Åsa Lind, Main St 4"}, {2, 18, 0, 90, "Yoga class", ""},
		{3, 13, 0, 60, "Coffee with Priya Raman", "Café de Flore"}, {6, 10, 0, 45, "Car service", "Garage Müller"}} {
		if err := gev(e.day, e.h, e.m, e.mins, e.s, e.loc); err != nil {
			return err
		}
	}
	gr := b.Fakes.graph
	b.graphCal = gr.DefaultCalendar()
	for _, e := range []struct {
		day, h, mins int
		s            string
	}{{1, 11, 60, "Sprint review"}, {2, 9, 30, "1:1 with Sofía"}, {4, 15, 60, "All-hands"}} {
		st := b.At(e.day, e.h, 0)
		if _, err := gr.PutEvent(b.graphCal, graphfake.Event{Subject: e.s, Start: st, End: st.Add(time.Duration(e.mins) * time.Minute), TimeZone: b.cfg.TimeZone}); err != nil {
			return err
		}
	}
	c := b.Fakes.CalDAV
	b.caldavCal = c.AddCalendar("personal", "Personal")
	for i, e := range []struct {
		day, h int
		s      string
	}{{2, 19, "Parents' evening"}, {5, 17, "Football training"}, {8, 12, "Lunch with Mum"}} {
		st := b.At(e.day, e.h, 0)
		uid := fmt.Sprintf("demo-personal-%d@example.com", i+1)
		if _, _, err := c.PutEvent("personal", uid+".ics", caldavfake.EventICSStamped(uid, e.s, st, st.Add(time.Hour), b.now)); err != nil {
			return err
		}
	}
	return nil
}

// connectAccounts adds the three accounts the way the Accounts screen does: a Google
// loopback sign-in whose "browser" is an HTTP GET of the fake's consent page, a Microsoft
// device-code sign-in the fake approves at once, and a CalDAV login with an app password.
func (b *Sandbox) connectAccounts() error {
	hc := &http.Client{Timeout: 20 * time.Second}
	b.mgr = accountsetup.NewManager(b.St, b.env.Getenv, b.env.Now)
	b.mgr.HTTPClient = hc
	b.mgr.OpenBrowser = func(u string) error {
		resp, err := hc.Get(u)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	// The fake approves device codes as soon as they are issued: poll without waiting.
	b.mgr.Device.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }

	choice := func(id string) accountsetup.Choice { c, _ := accountsetup.ChoiceByID(id); return c }
	var err error
	b.Google, err = b.connect(accountsetup.Draft{Choice: choice("google"), Name: "Work (Google)",
		ClientID: demoGoogleClient, ClientSecret: demoGoogleSecret, Endpoints: googlefake.ProviderEndpoints(b.Fakes.Google.URL())})
	if err != nil {
		return err
	}
	b.GoogleCal = GoogleLogin
	b.Microsoft, err = b.connect(accountsetup.Draft{Choice: choice("microsoft"), Name: "Outlook (Microsoft 365)",
		ClientID: demoMSClient, Endpoints: graphfake.Endpoints(b.Fakes.graph.URL())})
	if err != nil {
		return err
	}
	b.CalDAV, err = b.connect(accountsetup.Draft{Choice: choice("caldav"), Name: "Personal (CalDAV)",
		ServerURL: b.Fakes.CalDAV.URL(), Username: demoCalDAVUser, Password: demoCalDAVAppPassword})
	if err != nil {
		return err
	}
	// Each account syncs both ways with every type: the same activities show in whichever
	// calendar the person looks at, and calendar events come into the CRM.
	for _, x := range []struct {
		a   store.Account
		cal string
	}{{b.Google, b.GoogleCal}, {b.Microsoft, b.graphCal}, {b.CalDAV, b.caldavCal}} {
		if err := b.settings(x.a, func(s *store.SyncSettings) { s.CalendarID = x.cal }); err != nil {
			return err
		}
	}
	return nil
}

func (b *Sandbox) connect(d accountsetup.Draft) (store.Account, error) {
	c, err := b.mgr.Connect(b.Ctx, d, nil)
	if err != nil {
		return store.Account{}, fmt.Errorf("connect the demo %s account: %v", d.Choice.Label, accountsetup.Explain(d.Choice, err, nil))
	}
	a, err := b.mgr.Save(b.Ctx, c)
	if err != nil {
		return store.Account{}, fmt.Errorf("save the demo %s account: %w", d.Choice.Label, err)
	}
	return a, nil
}

// settings changes an account's sync settings through the same validation the settings
// screen uses, switching sync on.
func (b *Sandbox) settings(a store.Account, change func(s *store.SyncSettings)) error {
	s, err := b.mgr.Settings(b.Ctx, a.ID)
	if err != nil {
		return err
	}
	s.Enabled = true
	if s.ActivatedAt == nil {
		// Sync is switched on the moment the sandbox's activities were entered (they are
		// all eligible); an activity entered earlier is held back, as for a person.
		on := b.now.UTC().Truncate(time.Second)
		s.ActivatedAt = &on
	}
	change(&s)
	if _, err := b.mgr.ApplySettings(b.Ctx, s); err != nil {
		return fmt.Errorf("sync settings of %s: %w", a.Name, err)
	}
	return nil
}

// activity adds one activity of mine, made at `at` (its created/updated time).
func (b *Sandbox) Activity(subject string, typ store.ActivityType, start time.Time, dur time.Duration, at time.Time) (store.Activity, error) {
	return store.CreateActivity(b.Ctx, b.St.DB, store.ActivityInput{OwnerID: b.Users[0].ID, Type: typ, Subject: subject,
		Start: start, Duration: dur, TimeZone: b.cfg.TimeZone, Origin: "local"}, at)
}

// setTarget records the activity the scenario is about.
func (b *Sandbox) setTarget(a store.Activity) { b.Target = &a }

// addAccountDirect stores an account without the setup screen's checks, as an older
// calsync (or a restored backup) could have left it: used for "connected twice".
func addAccountDirect(b *Sandbox, a store.Account, ep providers.Endpoints, secret []byte) (store.Account, error) {
	epJSON, err := json.Marshal(ep)
	if err != nil {
		return a, err
	}
	a.Endpoints, a.State, a.CreatedAt, a.UpdatedAt = string(epJSON), store.AccountConnected, b.now, b.now
	var saved store.Account
	err = b.St.Tx(b.Ctx, func(h store.Handler) error {
		var err error
		if saved, err = store.CreateAccount(b.Ctx, h, a); err != nil {
			return err
		}
		if err := b.St.SetAccountSecret(b.Ctx, h, saved.ID, store.SecretOAuthToken, secret, b.now); err != nil {
			return err
		}
		cals, err := store.ListCalendars(b.Ctx, h, b.Google.ID)
		if err != nil {
			return err
		}
		for i := range cals {
			cals[i].AccountID = saved.ID
		}
		return store.ReplaceCalendars(b.Ctx, h, saved.ID, cals, b.now)
	})
	return saved, err
}

// googleSecret is a token as the Google sign-in stores it.
func googleSecret(access, refresh string, exp time.Time) []byte {
	b, _ := oauth.EncodeSecret(&oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: exp, TokenType: "Bearer"}, []string{googlefake.ScopeCalendar})
	return b
}
