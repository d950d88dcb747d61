package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav/caldavfake"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/oauth"
	"github.com/calsync/calsync/store"
)

// docCLI runs calsync commands against one data directory, on a clock and in a zone
// of the test's choosing: every command of one docCLI (and the demo fakes they start)
// shares them.
type docCLI struct {
	t   *testing.T
	dir string
	now func() time.Time // nil = the machine's clock (tests that seed with time.Now)
	loc *time.Location   // the machine's zone as calsync sees it; nil = UTC
}

func newDocCLI(t *testing.T) *docCLI { return &docCLI{t: t, dir: t.TempDir()} }

func (c *docCLI) run(stdin string, args ...string) (int, string, string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	env := c.env(stdin, &out, &errb)
	code := run(context.Background(), env, append([]string{"--data-dir", c.dir}, args...))
	return code, out.String(), errb.String()
}

// env is the environment every command of c runs with.
func (c *docCLI) env(stdin string, stdout, stderr io.Writer) *Env {
	now := c.now
	if now == nil {
		now = time.Now
	}
	return &Env{Stdin: strings.NewReader(stdin), Stdout: stdout, Stderr: stderr,
		Getenv: func(string) string { return "" }, Now: now, Local: c.loc}
}

func (c *docCLI) store() *store.Store {
	c.t.Helper()
	st, err := store.Open(context.Background(), c.dir)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

// seedAccount writes a connected Google account with sync on and a chosen calendar,
// entirely through the store API (offline: no provider is contacted).
func (c *docCLI) seedAccount(st *store.Store, mutate func(a *store.Account)) store.Account {
	c.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	if _, err := store.EnsureMe(ctx, st.DB, "Ana", now.Add(-48*time.Hour)); err != nil {
		c.t.Fatal(err)
	}
	a := store.Account{Kind: "google", Name: "Work", Login: "ana@example.com", AuthKind: "oauth", State: store.AccountConnected,
		ClientID: "cid.apps.googleusercontent.com", GrantedScopes: []string{"https://www.googleapis.com/auth/calendar"}, CreatedAt: now.Add(-48 * time.Hour)}
	if mutate != nil {
		mutate(&a)
	}
	a, err := store.CreateAccount(ctx, st.DB, a)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := store.ReplaceCalendars(ctx, st.DB, a.ID, []store.Calendar{{AccountID: a.ID, RemoteID: "primary-cal", Name: "Ana", Primary: true, HasEvents: true}}, now); err != nil {
		c.t.Fatal(err)
	}
	s := store.DefaultSyncSettings(a.ID)
	s.CalendarID, s.Enabled = "primary-cal", true
	act := now.Add(-24 * time.Hour)
	s.ActivatedAt = &act
	if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
		c.t.Fatal(err)
	}
	return a
}

func TestDoctorUsageErrors(t *testing.T) {
	c := newDocCLI(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"doctor", "--symptom", "slow"}, "accepted: not-showing"},
		{[]string{"doctor", "--activity", "x", "--search", "y"}, "not both"},
		{[]string{"doctor", "--yes"}, "--yes only goes with --fix"},
		{[]string{"doctor", "--fix"}, "standard input is not a terminal; add --yes"},
		{[]string{"doctor", "extra"}, "unexpected argument"},
		{[]string{"explain"}, "give an activity id or --search"},
		{[]string{"bundle", "--bogus"}, "flag provided but not defined"},
	}
	for _, tc := range cases {
		code, _, stderr := c.run("", tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q (want 2 and %q)", tc.args, code, stderr, tc.want)
		}
	}
	// An unknown activity is a failure the person must act on (1), as for explain and
	// activity show, not a usage error.
	if code, _, stderr := c.run("", "doctor", "--offline", "--activity", "nope"); code != exitFailure || stderr == "" {
		t.Errorf("unknown activity: exit %d %q", code, stderr)
	}
}

func TestDoctorExitCodes(t *testing.T) {
	// 1: a problem (no account at all).
	c := newDocCLI(t)
	code, out, _ := c.run("", "doctor", "--offline")
	if code != exitFailure || !strings.Contains(out, "no calendar account is connected") {
		t.Fatalf("no account: exit %d\n%s", code, out)
	}
	jcode, jout, _ := c.run("", "doctor", "--offline", "--json")
	if jcode != code {
		t.Fatalf("--json changed the exit code: %d vs %d", jcode, code)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(jout), &rep); err != nil || rep.Exit != 1 || rep.Counts.Fail == 0 {
		t.Fatalf("json report: %v %+v", err, rep.Counts)
	}

	// 0: a healthy setup, checked offline.
	c = newDocCLI(t)
	st := c.store()
	c.seedAccount(st, nil)
	if code, out, _ := c.run("", "doctor", "--offline"); code != exitOK {
		t.Fatalf("healthy: exit %d\n%s", code, out)
	}

	// 3: a check could not run (no granted scopes on record, provider not asked) and none failed.
	c = newDocCLI(t)
	st = c.store()
	c.seedAccount(st, func(a *store.Account) { a.GrantedScopes = nil })
	code, out, _ = c.run("", "doctor", "--offline")
	if code != exitPartial || !strings.Contains(out, "UNCHECKED Did the sign-in grant calendar access?") {
		t.Fatalf("partial: exit %d\n%s", code, out)
	}
	if jcode, _, _ := c.run("", "doctor", "--offline", "--json"); jcode != exitPartial {
		t.Fatalf("--json partial exit %d", jcode)
	}

	// 75: the last error is a network failure and nothing else is wrong.
	c = newDocCLI(t)
	st = c.store()
	a := c.seedAccount(st, nil)
	if err := store.RecordAccountError(context.Background(), st.DB, a.ID, "Network", "google list events: Network: dial tcp: connection refused", time.Now()); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := c.run("", "doctor", "--offline", "--symptom", "cant-connect"); code != exitTempFail {
		t.Fatalf("temporary: exit %d\n%s", code, out)
	}
}

func TestDoctorFixYesAndUndoableFilters(t *testing.T) {
	c := newDocCLI(t)
	st := c.store()
	c.seedAccount(st, nil)
	ctx := context.Background()
	other, err := store.CreateUser(ctx, st.DB, store.User{Name: "Bruno", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	me, _ := store.Me(ctx, st.DB)
	act, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: me.ID, Type: store.TypeLunch, Subject: "Lunch with Dana", Start: time.Now().Add(24 * time.Hour)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveListView(ctx, st.DB, store.ListFilter{Owner: other.ID, Types: []store.ActivityType{store.TypeCall}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	code, out, _ := c.run("", "doctor", "--offline", "--search", "lunch with")
	if code != exitFailure || !strings.Contains(out, `hides "Lunch with Dana": filter owner: Bruno and types: call`) {
		t.Fatalf("doctor --search: exit %d\n%s", code, out)
	}
	code, out, _ = c.run("", "doctor", "--offline", "--activity", act.ID, "--fix", "--yes", "--json")
	var res struct {
		Exit    int `json:"exit_code"`
		Applied []struct {
			Fix       string `json:"fix"`
			JournalID int64  `json:"journal_id"`
		} `json:"applied"`
		After doctor.Report `json:"after_fixes"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != exitOK || res.Exit != exitFailure || res.After.Exit != exitOK || len(res.Applied) != 1 || res.Applied[0].Fix != "reset-list-filters" {
		t.Fatalf("--fix --yes: exit %d, %+v", code, res)
	}
	if got, _ := store.LoadListView(ctx, st.DB); got.Owner != store.OwnerAll {
		t.Fatalf("filters not reset: %+v", got)
	}
	// The fix is in the journal with its undo record.
	e, err := store.GetJournalEntry(ctx, st.DB, res.Applied[0].JournalID)
	if err != nil || e.Op != store.OpFixed || !strings.Contains(e.Detail, `"undo":"list-view"`) {
		t.Fatalf("journal: %+v %v", e, err)
	}
	// Undo from the command line puts the person's filters back, once.
	undoID := fmt.Sprint(res.Applied[0].JournalID)
	if code, out, _ := c.run("", "doctor", "--undo", undoID); code != exitOK || !strings.Contains(out, "undone: reset the activity list") {
		t.Fatalf("undo: exit %d %s", code, out)
	}
	if got, _ := store.LoadListView(ctx, st.DB); got.Owner != other.ID {
		t.Fatalf("undo did not restore the owner filter: %+v", got)
	}
	if code, _, stderr := c.run("", "doctor", "--undo", undoID); code != exitFailure || !strings.Contains(stderr, "already undone") {
		t.Fatalf("second undo: exit %d %s", code, stderr)
	}
	if code, _, _ := c.run("", "doctor", "--undo", undoID, "--json"); code != exitUsage {
		t.Fatalf("--undo with other flags: exit %d", code)
	}
	// explain names the rule and the evidence.
	code, out, _ = c.run("", "explain", act.ID)
	if code != exitOK || !strings.Contains(out, "Lunch with Dana") || !strings.Contains(out, "rule eligible") {
		t.Fatalf("explain: exit %d\n%s", code, out)
	}
}

func TestExplainNamesTheFirstRule(t *testing.T) {
	c := newDocCLI(t)
	st := c.store()
	a := c.seedAccount(st, nil)
	ctx := context.Background()
	s, _ := store.GetSyncSettings(ctx, st.DB, a.ID)
	s.Types = []store.ActivityType{store.TypeCall}
	if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
		t.Fatal(err)
	}
	me, _ := store.Me(ctx, st.DB)
	if _, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: me.ID, Type: store.TypeTask, Subject: "Send \x1b[31mquote", Start: time.Now().Add(time.Hour)}, time.Now()); err != nil {
		t.Fatal(err)
	}
	code, out, _ := c.run("", "explain", "--search", "quote", "--json")
	var x doctor.Explanation
	if err := json.Unmarshal([]byte(out), &x); err != nil || code != exitOK {
		t.Fatalf("exit %d %v\n%s", code, err, out)
	}
	if len(x.Verdicts) != 1 || x.Verdicts[0].Rule != doctor.RuleTypeNotSynced || x.Verdicts[0].In {
		t.Fatalf("verdict %+v", x.Verdicts)
	}
	code, out, _ = c.run("", "explain", "--search", "quote")
	if code != exitOK || !strings.Contains(out, `its type "task" is not among the synced types (call)`) || strings.Contains(out, "\x1b") {
		t.Fatalf("explain text: %q", out)
	}
}

// The redaction canary: secrets planted in the secrets table and inside an error message
// must not appear anywhere in the bundle; subjects and addresses are pseudonymised.
func TestBundleNeverHoldsSecrets(t *testing.T) {
	const access, refresh, password = "ya29.CANARY-access-7f3a", "1//CANARY-refresh-9b2c4d", "CANARY-app-pw-5e6f"
	c := newDocCLI(t)
	st := c.store()
	ctx := context.Background()
	g := c.seedAccount(st, nil)
	tok, _ := json.Marshal(map[string]any{"access_token": access, "refresh_token": refresh, "token_type": "Bearer"})
	if err := store.PutSecret(ctx, st.DB, g.ID, "oauth_token", tok, time.Now()); err != nil {
		t.Fatal(err)
	}
	dav, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "caldav", Name: "Nextcloud", Login: "ana.lopez@example.org", ServerURL: "https://cloud.example.org/remote.php/dav", AuthKind: "password", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutSecret(ctx, st.DB, dav.ID, "password", []byte(password), time.Now()); err != nil {
		t.Fatal(err)
	}
	// A careless error message quoting both secrets.
	if err := store.RecordAccountError(ctx, st.DB, dav.ID, "AuthExpired", "401 for password "+password+" with token "+refresh, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AppendJournal(ctx, st.DB, store.JournalEntry{AccountID: g.ID, Op: store.OpError, Reason: "AuthExpired", Detail: `{"request":"Authorization: Bearer ` + access + `"}`}); err != nil {
		t.Fatal(err)
	}
	me, _ := store.Me(ctx, st.DB)
	if _, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: me.ID, Type: store.TypeMeeting, Subject: "Acquisition of Globex \"secret\"", Start: time.Now().Add(time.Hour)}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AppendJournal(ctx, st.DB, store.JournalEntry{AccountID: g.ID, Op: store.OpPushed, Reason: "created", Detail: `pushed "Acquisition of Globex \"secret\"" for ana@example.com`}); err != nil {
		t.Fatal(err)
	}

	// The doctor's own output (terminal and --json) never repeats a secret either.
	for _, args := range [][]string{{"doctor", "--offline"}, {"doctor", "--offline", "--json"}, {"explain", "--search", "Globex", "--json"}} {
		_, out, stderr := c.run("", args...)
		if strings.Contains(out+stderr, "CANARY") || args[0] == "doctor" && !strings.Contains(out, "[secret removed]") {
			t.Fatalf("%v printed a secret:\n%s", args, out)
		}
	}

	read := func(private bool) string {
		path := filepath.Join(t.TempDir(), "b.zip")
		args := []string{"bundle", "-o", path}
		if private {
			args = append(args, "--include-private")
		}
		code, out, stderr := c.run("", args...)
		if code != exitOK {
			t.Fatalf("bundle: exit %d %s %s", code, out, stderr)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("bundle file: %v %v", fi, err)
		}
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		var all strings.Builder
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			all.Write(b)
			all.WriteString("\n")
		}
		if strings.Join(names, ",") != strings.Join(doctor.BundleFiles, ",") {
			t.Fatalf("files %v", names)
		}
		return all.String()
	}
	for _, private := range []bool{false, true} {
		all := read(private)
		for _, bad := range []string{"CANARY", access, refresh, password} {
			if strings.Contains(all, bad) {
				t.Fatalf("private=%v: bundle contains %q", private, bad)
			}
		}
		if !strings.Contains(all, "[secret removed]") || !strings.Contains(all, "schema v") {
			t.Fatalf("private=%v: bundle lacks the redaction marker or versions", private)
		}
		hasSubject := strings.Contains(all, "Acquisition of Globex")
		hasAddress := strings.Contains(all, "ana@example.com") || strings.Contains(all, "ana.lopez@example.org")
		if private != hasSubject || private != hasAddress {
			t.Fatalf("private=%v: subject shown %v, address shown %v", private, hasSubject, hasAddress)
		}
		if !private && !strings.Contains(all, "subject-") {
			t.Fatal("subjects should be pseudonymised")
		}
	}
}

func TestDoctorFixAsksOnATerminal(t *testing.T) {
	c := newDocCLI(t)
	st := c.store()
	a := c.seedAccount(st, nil)
	ctx := context.Background()
	s, _ := store.GetSyncSettings(ctx, st.DB, a.ID)
	s.Enabled = false
	if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
		t.Fatal(err)
	}
	runTTY := func(stdin string) (int, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Now: time.Now, Interactive: true}
		code := run(ctx, env, []string{"--data-dir", c.dir, "doctor", "--offline", "--symptom", "not-showing", "--fix"})
		return code, out.String()
	}
	// Declined: nothing changes and the problem remains (exit 1).
	code, out := runTTY("n\n")
	if code != exitFailure || !strings.Contains(out, "Apply: switch sync on for Work") || !strings.Contains(out, "(enable sync 1)? [y/N]") {
		t.Fatalf("declined: exit %d\n%s", code, out)
	}
	if s, _ := store.GetSyncSettings(ctx, st.DB, a.ID); s.Enabled {
		t.Fatal("a declined fix changed the settings")
	}
	// Accepted: sync is on, and the re-run says so (exit 0).
	code, out = runTTY("y\n")
	if code != exitOK || !strings.Contains(out, "applied switch sync on") {
		t.Fatalf("accepted: exit %d\n%s", code, out)
	}
	if s, _ := store.GetSyncSettings(ctx, st.DB, a.ID); !s.Enabled {
		t.Fatal("sync not switched on")
	}
}

// End to end on the Google fake: the same calendar connected through two accounts
// duplicates every event; `doctor --symptom duplicates --fix --yes` stops one account and
// merges the copies, and the doctor then exits 0 with nothing lost or duplicated.
func TestDoctorFixYesOnDuplicatesAgainstTheGoogleFake(t *testing.T) {
	c := newDocCLI(t)
	st := c.store()
	ctx := context.Background()
	fake := googlefake.New(googlefake.Options{Login: "ana@example.com"})
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	cal := fake.Calendars()[0].ID
	now := time.Now().UTC()
	if _, err := store.EnsureMe(ctx, st.DB, "Ana", now.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ep := googlefake.EndpointsAt(srv.URL)
	epJSON, _ := json.Marshal(providers.Endpoints{API: ep.API, Auth: ep.Auth, Token: ep.Token})
	var ids []string
	for i, name := range []string{"Work", "Work (again)"} {
		a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: name, Login: "ana@example.com", Endpoints: string(epJSON), ClientID: "calsync-test.apps.googleusercontent.com",
			AuthKind: "oauth", State: store.AccountConnected, GrantedScopes: []string{googlefake.ScopeCalendar}, CreatedAt: now.Add(time.Duration(i-5) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		access, refresh, exp := fake.IssueToken([]string{googlefake.ScopeCalendar})
		sec, _ := oauth.EncodeSecret(&oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: exp, TokenType: "Bearer"}, []string{googlefake.ScopeCalendar})
		if err := store.PutSecret(ctx, st.DB, a.ID, "oauth_token", sec, now); err != nil {
			t.Fatal(err)
		}
		store.ReplaceCalendars(ctx, st.DB, a.ID, []store.Calendar{{AccountID: a.ID, RemoteID: cal, Name: "Ana", Primary: true, HasEvents: true, TimeZone: "UTC"}}, now)
		s := store.DefaultSyncSettings(a.ID)
		s.CalendarID, s.Enabled = cal, true
		act := now.Add(-time.Hour)
		s.ActivatedAt = &act
		if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	for i := 0; i < 4; i++ {
		start := now.Add(time.Duration(i+1) * 24 * time.Hour)
		fake.PutEvent(cal, googlefake.Event{Summary: fmt.Sprintf("Event %d", i), Start: &googlefake.EventDateTime{DateTime: start.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: start.Add(time.Hour).Format(time.RFC3339)}})
	}
	for _, id := range ids {
		if code, out, stderr := c.run("", "sync", "--account", id); code != exitOK {
			t.Fatalf("sync: %d %s %s", code, out, stderr)
		}
	}
	live := func() int {
		var n int
		st.DB.QueryRow(`SELECT count(*) FROM activities WHERE deleted_at IS NULL`).Scan(&n)
		return n
	}
	if live() != 8 {
		t.Fatalf("scenario: %d activities", live())
	}
	code, out, _ := c.run("", "doctor", "--symptom", "duplicates")
	if code != exitFailure || !strings.Contains(out, "4 activities are extra copies") || !strings.Contains(out, "merge 4, delete 0") {
		t.Fatalf("doctor: exit %d\n%s", code, out)
	}
	code, out, _ = c.run("", "doctor", "--symptom", "duplicates", "--fix", "--yes")
	if code != exitOK {
		t.Fatalf("--fix --yes: exit %d\n%s", code, out)
	}
	if code, out, _ := c.run("", "doctor", "--symptom", "duplicates"); code != exitOK {
		t.Fatalf("doctor after fixes: exit %d\n%s", code, out)
	}
	remote := 0
	for _, e := range fake.Events(cal) {
		if e.Status != "cancelled" {
			remote++
		}
	}
	if live() != 4 || remote != 4 {
		t.Fatalf("after fixes: %d activities, %d events; want 4 and 4", live(), remote)
	}
}

// The help article's "app password" section, on a terminal: the doctor names the cause,
// asks, takes the pasted app password, tests it against the server and saves it.
func TestDoctorFixAppPasswordOnATerminal(t *testing.T) {
	c := newDocCLI(t)
	st := c.store()
	ctx := context.Background()
	fake := caldavfake.New(caldavfake.Options{})
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	cal := fake.AddCalendar("work", "Work")
	fake.SetAppPassword("xq7v-lmnb-2k4d")
	normal, app := fake.Passwords()
	now := time.Now()
	store.EnsureMe(ctx, st.DB, "Ana", now)
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "caldav", Name: "Nextcloud", Login: fake.User(), ServerURL: srv.URL, AuthKind: "password", State: store.AccountConnected, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	store.PutSecret(ctx, st.DB, a.ID, "password", []byte(normal), now)
	s := store.DefaultSyncSettings(a.ID)
	s.CalendarID, s.Enabled = cal, true
	s.ActivatedAt = &now
	store.PutSyncSettings(ctx, st.DB, s)
	if code, _, _ := c.run("", "sync"); code == exitOK {
		t.Fatal("the normal password should be refused")
	}
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader("y\n" + app + "\n"), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Now: time.Now, Interactive: true}
	code := run(ctx, env, []string{"--data-dir", c.dir, "doctor", "--symptom", "cant-connect", "--fix"})
	if code != exitOK || !strings.Contains(out.String(), "app-specific password") || !strings.Contains(out.String(), "App password: ") || !strings.Contains(out.String(), "the server accepted the app password; saved") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if strings.Contains(out.String()+errb.String(), app) {
		t.Fatalf("the password was echoed:\n%s\n%s", out.String(), errb.String())
	}
	if code, out, _ := c.run("", "sync"); code != exitOK {
		t.Fatalf("sync after the fix: %d %s", code, out)
	}
}
