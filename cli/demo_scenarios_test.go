package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/calsync/calsync/demo"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/store"
)

// demoCLI runs commands on one sandbox directory with the real clock (the fakes use it).
type demoCLI struct {
	t   *testing.T
	dir string
}

func (c *demoCLI) run(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return map[string]string{"USER": "ann"}[k] }, Now: time.Now}
	code := run(context.Background(), env, append([]string{"--data-dir", c.dir}, args...))
	return out.String(), errb.String(), code
}

// buildScenario builds a small sandbox (60 activities, to keep the suite fast) for one
// scenario headless, with a first sync, exactly as `calsync demo --no-tui` does.
func buildScenario(t *testing.T, name string) (*demoCLI, *demo.Sandbox) {
	t.Helper()
	sc, err := demo.ScenarioByName(name)
	if err != nil {
		t.Fatal(err)
	}
	c := &demoCLI{t: t, dir: filepath.Join(t.TempDir(), "sandbox")}
	t.Cleanup(func() { demo.StopFakes(c.dir) })
	var out, errb bytes.Buffer
	env := &Env{DataDir: c.dir, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return map[string]string{"USER": "ann"}[k] }, Now: time.Now}
	ctx := context.Background()
	st, err := openStore(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := demo.Build(ctx, env, st, sc, demo.SeedDefault, 60, true)
	if err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	return c, b
}

func (c *demoCLI) store() *store.Store {
	c.t.Helper()
	st, err := store.Open(context.Background(), c.dir)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

type doctorJSON struct {
	Findings []struct {
		CheckID   string `json:"check"`
		AccountID string `json:"account_id"`
		Status    string `json:"status"`
		Summary   string `json:"summary"`
	} `json:"findings"`
	Exit int `json:"exit_code"`
}

// doctor runs `calsync doctor --json ARGS` and returns its report and exit code.
func (c *demoCLI) doctor(args ...string) (doctorJSON, int) {
	c.t.Helper()
	out, errs, code := c.run(append([]string{"doctor", "--json"}, args...)...)
	var r doctorJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		c.t.Fatalf("doctor %v: exit %d, %v\n%s%s", args, code, err, out, errs)
	}
	return r, code
}

// failing says whether check failed (for account acct, "" = any) and what it said.
func (r doctorJSON) failing(check, acct string) (bool, string) {
	var said []string
	for _, f := range r.Findings {
		if f.CheckID == check && (acct == "" || f.AccountID == acct) {
			if f.Status == "fail" {
				return true, f.Summary
			}
			said = append(said, f.Status+": "+f.Summary)
		}
	}
	return false, strings.Join(said, "; ")
}

func (r doctorJSON) String() string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(f.Status + " " + f.CheckID + " " + f.AccountID + " " + f.Summary + "\n")
	}
	return b.String()
}

func countSubject(t *testing.T, st *store.Store, subject string) int {
	t.Helper()
	var n int
	if err := st.DB.QueryRow(`SELECT count(*) FROM activities WHERE deleted_at IS NULL AND subject = ?`, subject).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func linksOf(t *testing.T, st *store.Store, activityID string) []store.Link {
	t.Helper()
	ls, err := store.LinksForActivity(context.Background(), st.DB, activityID)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func account(t *testing.T, st *store.Store, id string) store.Account {
	t.Helper()
	a, err := store.GetAccount(context.Background(), st.DB, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDemoHealthySyncsCleanAndTheDoctorFindsNothing(t *testing.T) {
	t.Parallel()
	c, b := buildScenario(t, "healthy")
	if len(b.Summaries) != 3 {
		t.Fatalf("want a first sync of 3 accounts, got %d", len(b.Summaries))
	}
	for _, s := range b.Summaries {
		if s.Failed || s.Errors > 0 || s.Pushed == 0 || s.Imported == 0 {
			t.Errorf("first sync of %s: %s", s.AccountName, s.Line())
		}
	}
	// The same activities went to each calendar once: three accounts, equal pushes.
	if b.Summaries[0].Created != b.Summaries[1].Created || b.Summaries[1].Created != b.Summaries[2].Created {
		t.Errorf("uneven first pushes: %d %d %d", b.Summaries[0].Created, b.Summaries[1].Created, b.Summaries[2].Created)
	}
	// A second sync has nothing to do.
	out, errs, code := c.run("sync", "--json")
	if code != 0 {
		t.Fatalf("sync: %d %s%s", code, out, errs)
	}
	var sums []struct {
		Pushed, Pulled int
	}
	if err := json.Unmarshal([]byte(out), &sums); err != nil || len(sums) != 3 {
		t.Fatalf("sync --json: %v\n%s", err, out)
	}
	for _, s := range sums {
		if s.Pushed != 0 || s.Pulled != 0 {
			t.Errorf("second sync changed something: %+v", s)
		}
	}
	r, code := c.doctor()
	if code != 0 || r.Exit != 0 {
		t.Fatalf("doctor on a healthy sandbox: exit %d\n%s", code, r)
	}
	for _, f := range r.Findings {
		if f.Status == "fail" || f.Status == "warn" || f.Status == "unverified" {
			t.Errorf("healthy sandbox: %s %s: %s", f.Status, f.CheckID, f.Summary)
		}
	}
}

func TestDemoScenariosReproduceTheirSymptom(t *testing.T) {
	t.Parallel()
	// fixable: `calsync doctor --fix --yes` alone cures it (the others need a person: a
	// sign-in, a pasted password, an admin).
	fixable := map[string]bool{"filters-hide": true, "before-activation": true, "wrong-types": true, "one-way": true,
		"read-only-calendar": true, "duplicates-lost-links": true,
		// timezone-shift is not fixable unattended: the zone fix applies, but the shifted
		// events stay shifted; the doctor no longer "repairs" them by pulling the shifted
		// times into the activities (diagnosing does not sync, and a mass time shift
		// needs a person to say which side is right).
		"duplicates-two-accounts": true, // stop sync on the second connection + merge the copies
		"app-password":            true} // app-password: its check pasted the printed app password already
	cases := []struct {
		name  string
		check func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store)
	}{
		{"filters-hide", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			// The lunch is in the calendar, but the saved list view does not show it.
			if len(linksOf(t, st, b.Target.ID)) == 0 {
				t.Error("the lunch should have been synced")
			}
			view, _ := store.LoadListView(context.Background(), st.DB)
			page, err := store.ListActivities(context.Background(), st.DB, view, b.Loc, time.Now(), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Rows {
				if r.ID == b.Target.ID {
					t.Error("the filtered list shows the lunch")
				}
			}
			r, _ := c.doctor("--search", b.Target.Subject)
			if ok, s := r.failing("list-filters", ""); !ok || !strings.Contains(s, "Sofía") {
				t.Errorf("list-filters: %s", s)
			}
		}},
		{"before-activation", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			if n := len(linksOf(t, st, b.Target.ID)); n != 0 {
				t.Errorf("an activity older than the switch-on was pushed (%d links)", n)
			}
			r, _ := c.doctor("--search", b.Target.Subject)
			if ok, s := r.failing("before-activation", b.Google.ID); !ok {
				t.Errorf("before-activation: %s", s)
			}
		}},
		{"wrong-types", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			for _, l := range linksOf(t, st, b.Target.ID) {
				if l.AccountID == b.Google.ID {
					t.Error("the meeting went to the calls-only Google calendar")
				}
			}
			r, _ := c.doctor("--search", b.Target.Subject)
			if ok, s := r.failing("types", b.Google.ID); !ok || !strings.Contains(s, "meeting") {
				t.Errorf("types: %s", s)
			}
		}},
		{"one-way", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			a, err := store.GetActivity(context.Background(), st.DB, b.Target.ID)
			if err != nil {
				t.Fatal(err)
			}
			if a.Subject != b.Target.Subject {
				t.Errorf("the calendar edit came back despite the direction: %q", a.Subject)
			}
			if n := countSubject(t, st, "Call with Ana Ribeiro (made in the calendar)"); n != 0 {
				t.Errorf("the calendar-made event was imported %d times", n)
			}
			r, _ := c.doctor("--symptom", "one-way")
			if ok, s := r.failing("direction", b.Google.ID); !ok || !strings.Contains(s, "ignored") {
				t.Errorf("direction: %s", s)
			}
		}},
		{"read-only-calendar", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			if a := account(t, st, b.Google.ID); a.LastErrorKind != "ReadOnly" {
				t.Errorf("google account error %q", a.LastErrorKind)
			}
			r, _ := c.doctor("--symptom", "one-way")
			if ok, s := r.failing("calendar", b.Google.ID); !ok || !strings.Contains(s, "read-only") {
				t.Errorf("calendar: %s", s)
			}
		}},
		{"duplicates-two-accounts", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			if n := countSubject(t, st, "Dentist"); n != 2 {
				t.Errorf("the calendar's Dentist event became %d activities, want 2 (once per account)", n)
			}
			r, _ := c.doctor("--symptom", "duplicates")
			if ok, s := r.failing("duplicates", ""); !ok || !strings.Contains(s, "two accounts") {
				t.Errorf("duplicates: %s", s)
			}
		}},
		{"duplicates-lost-links", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			if n := countSubject(t, st, b.Target.Subject); n != 2 {
				t.Errorf("%q: %d activities, want the original and a re-import", b.Target.Subject, n)
			}
			r, _ := c.doctor("--symptom", "duplicates")
			if ok, s := r.failing("duplicates", ""); !ok || !strings.Contains(s, "lost its links") {
				t.Errorf("duplicates: %s\n%s", s, r)
			}
		}},
		{"app-password", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			if a := account(t, st, b.CalDAV.ID); a.State != store.AccountNeedsReauth || a.LastErrorKind != "AppPasswordRequired" {
				t.Errorf("caldav account %s %s", a.State, a.LastErrorKind)
			}
			r, _ := c.doctor("--symptom", "cant-connect")
			if ok, s := r.failing("connection", b.CalDAV.ID); !ok || !strings.Contains(s, "app-specific password") {
				t.Errorf("connection: %s", s)
			}
			// The new app password the scenario prints is what fixes it.
			ctx := context.Background()
			e := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
			rep, err := doctor.Run(ctx, e, doctor.CantConnect)
			if err != nil {
				t.Fatal(err)
			}
			applied := false
			for _, f := range rep.Findings {
				for _, fx := range f.Fixes {
					if fx.ID == "app-password" && f.AccountID == b.CalDAV.ID {
						if _, err := fx.Apply(ctx, e, demo.NewAppPassword); err != nil {
							t.Fatalf("the printed app password was refused: %v", err)
						}
						applied = true
					}
				}
			}
			if !applied {
				t.Fatal("no app-password fix offered")
			}
			if r, code := c.doctor("--symptom", "cant-connect"); code != 0 {
				t.Errorf("after pasting the new app password: exit %d\n%s", code, r)
			}
		}},
		{"missing-scope", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			if a := account(t, st, b.Google.ID); a.LastErrorKind != "InsufficientScope" {
				t.Errorf("google account %s %s", a.State, a.LastErrorKind)
			}
			r, _ := c.doctor("--symptom", "permissions")
			if ok, s := r.failing("scopes", b.Google.ID); !ok || !strings.Contains(s, "calendar") {
				t.Errorf("scopes: %s", s)
			}
		}},
		{"admin-blocked", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			if a := account(t, st, b.Microsoft.ID); a.LastErrorKind != "AdminBlocked" {
				t.Errorf("microsoft account %s %s", a.State, a.LastErrorKind)
			}
			r, _ := c.doctor("--symptom", "permissions")
			if ok, s := r.failing("admin-policy", b.Microsoft.ID); !ok {
				t.Errorf("admin-policy: %s", s)
			}
		}},
		{"expired-token", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			if a := account(t, st, b.Google.ID); a.State != store.AccountNeedsReauth || a.LastErrorKind != "AuthExpired" {
				t.Errorf("google account %s %s", a.State, a.LastErrorKind)
			}
			r, _ := c.doctor("--symptom", "cant-connect")
			if ok, s := r.failing("connection", b.Google.ID); !ok || !strings.Contains(s, "expired or was revoked") {
				t.Errorf("connection: %s", s)
			}
		}},
		{"timezone-shift", func(t *testing.T, c *demoCLI, b *demo.Sandbox, st *store.Store) {
			shifted := false
			for _, e := range b.Fakes.Google.Events(b.GoogleCal) {
				if e.ExtendedProperties != nil && e.ExtendedProperties.Private["calsyncActivityId"] == b.Target.ID {
					at, _ := time.Parse(time.RFC3339, e.Start.DateTime)
					shifted = at.Sub(b.Target.Start) == time.Hour
				}
			}
			if !shifted {
				t.Error("the activity's event is not an hour off")
			}
			r, _ := c.doctor("--search", b.Target.Subject)
			if ok, s := r.failing("time-zones", b.Google.ID); !ok || !strings.Contains(s, "1h0m0s off") {
				t.Errorf("time-zones: %s\n%s", s, r)
			}
		}},
	}
	if len(cases)+1 != len(demo.Scenarios) {
		t.Fatalf("%d scenarios but %d tested (+ healthy)", len(demo.Scenarios), len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, b := buildScenario(t, tc.name)
			tc.check(t, c, b, c.store())
			out, errs, code := c.run("doctor", "--fix", "--yes")
			if fixable[tc.name] && code != 0 {
				t.Errorf("doctor --fix --yes left exit %d\n%s%s", code, out, errs)
			}
			if !fixable[tc.name] && code == 0 {
				t.Errorf("doctor --fix --yes claims to have fixed what needs a person\n%s", out)
			}
		})
	}
}

func TestDemoPersistedSandboxRestartsItsProvidersOnNewPorts(t *testing.T) {
	t.Parallel()
	c, b := buildScenario(t, "healthy")
	st := c.store()
	b.St = st // the builder's store was closed with its command
	before := account(t, st, b.Google.ID).Endpoints
	oldURLs := b.Fakes.URLs()
	// The process that built it is gone: its fakes stop (their state is on disk).
	demo.StopFakes(c.dir)
	// A person edits an activity, then syncs from a new process.
	ctx := context.Background()
	a, err := b.Activity("Call Søren Madsen about the SLA", store.TypeCall, b.At(1, 11, 0), 30*time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out, errs, code := c.run("sync", "--json")
	if code != 0 {
		t.Fatalf("sync after restart: %d\n%s%s", code, out, errs)
	}
	f := demo.RunningFakes(c.dir)
	if f == nil {
		t.Fatal("sync did not start the sandbox's providers")
	}
	for kind, u := range f.URLs() {
		if u == oldURLs[kind] {
			t.Errorf("%s fake on the old URL %s", kind, u)
		}
	}
	after := account(t, st, b.Google.ID).Endpoints
	if after == before || !strings.Contains(after, f.Google.URL()) {
		t.Errorf("endpoints not moved: %s -> %s", before, after)
	}
	// The remote state survived: the new activity is now in all three calendars, next to
	// everything the first sync put there, and nothing was pushed twice.
	if n := len(linksOf(t, st, a.ID)); n != 3 {
		t.Errorf("the new activity has %d links, want 3", n)
	}
	var sums []struct{ Pushed, Created, Pulled int }
	if err := json.Unmarshal([]byte(out), &sums); err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if s.Created != 1 || s.Pulled != 0 {
			t.Errorf("after the restart a sync should create just the new event: %+v", s)
		}
	}
	found := false
	for _, e := range f.Google.Events(demo.GoogleLogin) {
		if e.Summary == "Dentist" {
			found = true
		}
	}
	if !found {
		t.Error("the Google fake restarted without its calendar events")
	}
	// Other commands work on it too.
	if out, errs, code := c.run("activity", "list", "--owner", "all", "--search", "Søren"); code != 0 || !strings.Contains(out, "Søren") {
		t.Errorf("activity list: %d %s%s", code, out, errs)
	}
	if r, code := c.doctor(); code != 0 {
		t.Errorf("doctor after restart: exit %d\n%s", code, r)
	}
	// `demo` again reuses it and says what it is; another scenario needs another directory.
	out, errs, code = c.run("demo", "--no-tui")
	if code != 0 || !strings.Contains(out, "Reusing the demo sandbox") || !strings.Contains(out, "Scenario healthy") || !strings.Contains(out, "Work (Google)") {
		t.Errorf("demo on the sandbox again: %d\n%s%s", code, out, errs)
	}
	if _, errs, code := c.run("demo", "--no-tui", "--scenario", "one-way"); code != 1 || !strings.Contains(errs, "new directory") {
		t.Errorf("another scenario on a built sandbox: %d %s", code, errs)
	}
	_ = ctx
}

func TestDemoListAndUnknownScenario(t *testing.T) {
	c := &demoCLI{t: t, dir: filepath.Join(t.TempDir(), "x")}
	out, _, code := c.run("demo", "--list")
	if code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != len(demo.Scenarios) {
		t.Fatalf("--list: %d\n%s", code, out)
	}
	for _, s := range demo.Scenarios {
		if !strings.Contains(out, s.Name+" ") {
			t.Errorf("--list lacks %s", s.Name)
		}
	}
	_, errs, code := c.run("demo", "--scenario", "nope")
	if code != 2 || !strings.Contains(errs, "filters-hide") {
		t.Errorf("unknown scenario: %d %s", code, errs)
	}
}
