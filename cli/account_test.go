package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/caldav/caldavfake"
	"github.com/calsync/calsync/providers/caldav/radicaletest"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/store"
)

// acctCLI runs calsync commands on one data directory with a fixed environment.
type acctCLI struct {
	t   *testing.T
	dir string
	env map[string]string
	now time.Time
}

func newAcctCLI(t *testing.T) *acctCLI {
	t.Helper()
	return &acctCLI{t: t, dir: t.TempDir(), env: map[string]string{},
		now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
}

// run executes `calsync --data-dir DIR args...` with stdin and returns the exit code,
// stdout and stderr.
func (c *acctCLI) run(stdin string, args ...string) (int, string, string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	env := &Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return c.env[k] },
		Now:    func() time.Time { return c.now },
	}
	code := run(context.Background(), env, append([]string{"--data-dir", c.dir}, args...))
	return code, out.String(), errb.String()
}

func (c *acctCLI) store() *store.Store {
	c.t.Helper()
	st, err := store.Open(context.Background(), c.dir)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

func (c *acctCLI) accounts() []store.Account {
	c.t.Helper()
	code, out, errOut := c.run("", "account", "list", "--json")
	if code != 0 {
		c.t.Fatalf("account list --json: exit %d: %s", code, errOut)
	}
	var as []store.Account
	if err := json.Unmarshal([]byte(out), &as); err != nil {
		c.t.Fatalf("account list --json is not JSON: %v\n%s", err, out)
	}
	return as
}

func TestAccountAddCalDAVRefusesNormalPasswordThenAcceptsAppPassword(t *testing.T) {
	srv := radicaletest.Start(t, radicaletest.Options{})
	srv.MakeCalendar(t, srv.User, srv.Password, "work", "Work")
	cli := newAcctCLI(t)

	const normal = "my-normal-apple-id-password"
	code, out, errOut := cli.run(normal+"\n", "account", "add", "caldav", "--provider", "icloud",
		"--url", srv.URL, "--username", srv.User, "--password-stdin")
	if code != exitFailure {
		t.Fatalf("refused password: exit %d, want %d\nstdout: %s\nstderr: %s", code, exitFailure, out, errOut)
	}
	want := "iCloud refused the password. Accounts with two-factor authentication need an app-specific password: appleid.apple.com -> Sign-In and Security -> App-Specific Passwords."
	if !strings.Contains(errOut, want) {
		t.Fatalf("stderr lacks the guidance %q:\n%s", want, errOut)
	}
	if strings.Contains(out+errOut, normal) {
		t.Fatal("the refused password was echoed")
	}
	if as := cli.accounts(); len(as) != 0 {
		t.Fatalf("a refused account was saved: %+v", as)
	}

	code, out, errOut = cli.run(srv.Password+"\n", "account", "add", "caldav", "--provider", "icloud",
		"--url", srv.URL, "--username", srv.User, "--password-stdin", "--name", "Home")
	if code != exitOK {
		t.Fatalf("app password: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "Connected Home") || !strings.Contains(out, "Work") {
		t.Fatalf("success output does not name the account and its calendar:\n%s", out)
	}
	if strings.Contains(out+errOut, srv.Password) {
		t.Fatal("the app password was echoed")
	}
	as := cli.accounts()
	if len(as) != 1 || as[0].Name != "Home" || as[0].Kind != "caldav" || as[0].Login != srv.User || as[0].State != store.AccountConnected {
		t.Fatalf("accounts after add: %+v", as)
	}
	_, jsonOut, _ := cli.run("", "account", "list", "--json")
	if strings.Contains(jsonOut, srv.Password) {
		t.Fatal("account list --json contains the password")
	}

	// The same account again would sync everything twice: refused.
	code, _, errOut = cli.run(srv.Password+"\n", "account", "add", "caldav", "--url", srv.URL,
		"--username", srv.User, "--password-stdin")
	if code != exitFailure || !strings.Contains(errOut, "already connected") {
		t.Fatalf("second add of the same account: exit %d, stderr %s", code, errOut)
	}

	// calendars lists what discovery found.
	code, out, errOut = cli.run("", "calendars", "--account", as[0].ID)
	if code != 0 || !strings.Contains(out, "Work") || !strings.Contains(out, "read-write") {
		t.Fatalf("calendars: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = cli.run("", "calendars", "--account", as[0].ID, "--json")
	var cals []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &cals) != nil || len(cals) != 1 || cals[0]["name"] != "Work" {
		t.Fatalf("calendars --json: exit %d %s", code, out)
	}

	// Reconnect with a wrong password fails with the same guidance and keeps the old secret.
	code, _, errOut = cli.run("wrong\n", "account", "reconnect", as[0].ID, "--password-stdin")
	if code != exitFailure || !strings.Contains(errOut, "refused the user name or password") {
		t.Fatalf("reconnect with a wrong password: exit %d: %s", code, errOut)
	}
	code, out, errOut = cli.run(srv.Password+"\n", "account", "reconnect", as[0].ID, "--password-stdin")
	if code != 0 || !strings.Contains(out, "settings and links are kept") {
		t.Fatalf("reconnect: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestAccountAddUsageErrors(t *testing.T) {
	cli := newAcctCLI(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"account"}, "needs a subcommand"},
		{[]string{"account", "add"}, "needs the provider"},
		{[]string{"account", "add", "yahoo"}, "unknown provider"},
		{[]string{"account", "add", "caldav", "--username", "u", "--password-stdin"}, "needs --url"},
		{[]string{"account", "add", "caldav", "--url", "https://dav.example.com", "--password-stdin"}, "needs --username"},
		{[]string{"account", "add", "caldav", "--url", "https://dav.example.com", "--username", "u"}, "--password-stdin"},
		{[]string{"account", "add", "caldav", "--url", "dav.example.com", "--username", "u", "--password-stdin"}, "--url"},
		{[]string{"account", "add", "google"}, "CALSYNC_GOOGLE_CLIENT_ID"},
		{[]string{"account", "add", "microsoft"}, "CALSYNC_MICROSOFT_CLIENT_ID"},
		{[]string{"account", "remove"}, "one account ID"},
		{[]string{"settings", "set"}, "--account"},
		{[]string{"calendars"}, "--account"},
	}
	for _, c := range cases {
		code, _, errOut := cli.run("", c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 mentioning %q", c.args, code, errOut, c.want)
		}
	}
	code, _, errOut := cli.run("", "account", "remove", "nope")
	if code != exitFailure || !strings.Contains(errOut, `no account "nope"`) {
		t.Errorf("remove unknown: exit %d %s", code, errOut)
	}
	code, out, _ := cli.run("", "account", "list")
	if code != 0 || !strings.Contains(out, "No accounts") {
		t.Errorf("empty list: %d %s", code, out)
	}
}

// googleCLI starts a Google fake and points a CLI's environment at it, with a browser
// that follows the fake's auto-consent page.
func googleCLI(t *testing.T, opts googlefake.Options) (*acctCLI, *googlefake.Server) {
	t.Helper()
	opts.ClientID, opts.ClientSecret = "test-client.apps.googleusercontent.com", "test-secret"
	fake := googlefake.New(opts)
	hs := httptest.NewServer(fake.Handler())
	t.Cleanup(hs.Close)
	ep := googlefake.EndpointsAt(hs.URL)
	cli := newAcctCLI(t)
	cli.env = map[string]string{
		"CALSYNC_GOOGLE_CLIENT_ID":     opts.ClientID,
		"CALSYNC_GOOGLE_CLIENT_SECRET": opts.ClientSecret,
		"CALSYNC_GOOGLE_API_URL":       ep.API,
		"CALSYNC_GOOGLE_AUTH_URL":      ep.Auth,
		"CALSYNC_GOOGLE_TOKEN_URL":     ep.Token,
		"CALSYNC_OPEN_BROWSER":         "http-get",
	}
	return cli, fake
}

func TestAccountAddGoogleMissingScopeIsNamed(t *testing.T) {
	cli, _ := googleCLI(t, googlefake.Options{Login: "pat@example.com",
		GrantScopes: []string{"openid", "email"}})
	code, out, errOut := cli.run("", "account", "add", "google")
	if code != exitFailure {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "InsufficientScope") ||
		!strings.Contains(errOut, "tick 'See, edit, share and permanently delete all the calendars") {
		t.Fatalf("the missing permission is not named:\n%s", errOut)
	}
	if !strings.Contains(errOut, "http://127.0.0.1") && !strings.Contains(errOut, "Open this address") {
		t.Fatalf("the sign-in URL was not shown:\n%s", errOut)
	}
	if len(cli.accounts()) != 0 {
		t.Fatal("an account without calendar access was saved")
	}
}

func TestSettingsSetRefusesReadOnlyCalendarAndPreviews(t *testing.T) {
	cli, fake := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	if err := fake.AddCalendar(googlefake.Calendar{ID: "holidays@group.v.calendar.google.com",
		Summary: "Holidays", AccessRole: "reader", TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli.run("", "account", "add", "google", "--name", "Work")
	if code != 0 {
		t.Fatalf("add google: exit %d\n%s\n%s", code, out, errOut)
	}
	as := cli.accounts()
	if len(as) != 1 || as[0].Login != "pat@example.com" {
		t.Fatalf("accounts: %+v", as)
	}
	id := as[0].ID
	code, out, _ = cli.run("", "calendars", "--account", id)
	if code != 0 || !strings.Contains(out, "Holidays") || !strings.Contains(out, "read-only") {
		t.Fatalf("calendars: %s", out)
	}

	code, _, errOut = cli.run("", "settings", "set", "--account", id, "--calendar", "holidays@group.v.calendar.google.com",
		"--direction", "two-way", "--enable")
	if code != exitFailure || !strings.Contains(errOut, `"Holidays" is read-only`) || !strings.Contains(errOut, "from-calendar") {
		t.Fatalf("two-way on a read-only calendar: exit %d\n%s", code, errOut)
	}
	_, out, _ = cli.run("", "settings", "show", "--account", id, "--json")
	var shown settingsJSON
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.Enabled || shown.CalendarID != "" {
		t.Fatalf("a refused setting was saved: %+v %v", shown, err)
	}

	// Three meetings made before sync is switched on; one starts after the backfill date.
	st := cli.store()
	ctx := context.Background()
	if _, err := store.EnsureMe(ctx, st.DB, "Pat", cli.now.Add(-72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i, start := range []time.Time{cli.now.Add(-5 * 24 * time.Hour), cli.now.Add(-4 * 24 * time.Hour), cli.now.Add(24 * time.Hour)} {
		if _, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: store.TypeMeeting,
			Subject: "Meeting " + string(rune('A'+i)), Start: start, Duration: time.Hour}, cli.now.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	cli.now = cli.now.Add(time.Hour)

	code, out, errOut = cli.run("", "settings", "set", "--account", id, "--calendar", "pat@example.com",
		"--direction", "two-way", "--types", "meeting,call", "--enable", "--preview")
	if code != 0 || !strings.Contains(out, "Dry run, nothing saved: the first sync will skip 3 created before sync was switched on") {
		t.Fatalf("preview: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := len(fake.Events("pat@example.com")); n != 0 {
		t.Fatalf("the preview wrote %d events to the calendar", n)
	}
	_, out, _ = cli.run("", "settings", "show", "--account", id, "--json")
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.Enabled {
		t.Fatalf("the preview saved the settings: %s", out)
	}

	backfill := cli.now.Add(-2 * 24 * time.Hour).Format(time.RFC3339)
	code, out, errOut = cli.run("", "settings", "set", "--account", id, "--calendar", "pat@example.com",
		"--direction", "two-way", "--types", "meeting,call", "--enable", "--backfill-from", backfill)
	if code != 0 || !strings.Contains(out, "Saved.") ||
		!strings.Contains(out, "Preview: the first sync will push 1 activity, skip 2 created before sync was switched on.") {
		t.Fatalf("set: exit %d\n%s\n%s", code, out, errOut)
	}
	_, out, _ = cli.run("", "settings", "show", "--account", id, "--json")
	if err := json.Unmarshal([]byte(out), &shown); err != nil || !shown.Enabled || shown.ActivatedAt == nil ||
		!shown.ActivatedAt.Equal(cli.now) || shown.Direction != "two-way" || strings.Join(shown.Types, ",") != "meeting,call" {
		t.Fatalf("settings after set: %+v (%v)", shown, err)
	}
	// Once sync has been on, a preview speaks of the next sync, not the first.
	code, out, errOut = cli.run("", "settings", "set", "--account", id, "--types", "meeting", "--preview")
	if code != 0 || !strings.Contains(out, "Dry run, nothing saved: the next sync will") {
		t.Fatalf("second preview: exit %d\n%s\n%s", code, out, errOut)
	}
	// activated_at is kept when sync is switched off and on again.
	first := *shown.ActivatedAt
	cli.now = cli.now.Add(time.Hour)
	cli.run("", "settings", "set", "--account", id, "--disable")
	cli.run("", "settings", "set", "--account", id, "--enable")
	_, out, _ = cli.run("", "settings", "show", "--account", id, "--json")
	if err := json.Unmarshal([]byte(out), &shown); err != nil || !shown.ActivatedAt.Equal(first) {
		t.Fatalf("activated_at moved: %+v", shown)
	}
	cli.run("", "settings", "set", "--account", id, "--conflicts", "remote-wins", "--window-past-days", "7", "--window-future-days", "90")
	code, out, _ = cli.run("", "settings", "show", "--account", id)
	if code != 0 || !strings.Contains(out, "Direction:    two-way: Activities appear in the calendar") ||
		!strings.Contains(out, "Conflicts:    remote-wins") || !strings.Contains(out, "Window:       7 days back, 90 days ahead") {
		t.Fatalf("settings show: %s", out)
	}

	// Remove keeps the activities.
	code, out, _ = cli.run("", "account", "remove", id)
	if code != 0 || !strings.Contains(out, "activities stay") ||
		!strings.Contains(out, "If you add this calendar again, the events made in it are imported a second time") {
		t.Fatalf("remove: %d %s", code, out)
	}
	var n int
	if err := st.DB.QueryRow(`SELECT count(*) FROM activities`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("activities after remove: %d %v", n, err)
	}
	if len(cli.accounts()) != 0 {
		t.Fatal("account still listed after remove")
	}
}

func TestAccountAddMicrosoftPrintsDeviceCode(t *testing.T) {
	const clientID = "0f3e2d1c-aaaa-bbbb-cccc-123456789abc"
	fake := graphfake.New(graphfake.Options{ClientID: clientID, DeviceCodeInterval: 1, AutoApproveDeviceCodes: true,
		User: graphfake.User{ID: "u1", DisplayName: "Dana", UserPrincipalName: "dana@contoso.com", Mail: "dana@contoso.com"}})
	hs := httptest.NewServer(fake.Handler())
	defer hs.Close()
	ep := graphfake.Endpoints(hs.URL)
	cli := newAcctCLI(t)
	cli.env = map[string]string{"CALSYNC_MICROSOFT_CLIENT_ID": clientID, "CALSYNC_MICROSOFT_API_URL": ep.API,
		"CALSYNC_MICROSOFT_AUTH_URL": ep.Auth, "CALSYNC_MICROSOFT_TOKEN_URL": ep.Token,
		"CALSYNC_MICROSOFT_DEVICE_CODE_URL": ep.DeviceCode}
	code, out, errOut := cli.run("", "account", "add", "microsoft", "--name", "Office")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "open "+hs.URL+"/devicelogin on any device and enter the code") || !strings.Contains(errOut, "The code expires at") {
		t.Fatalf("the device code was not shown:\n%s", errOut)
	}
	as := cli.accounts()
	if len(as) != 1 || as[0].Kind != "microsoft" || as[0].Name != "Office" || as[0].Login == "" {
		t.Fatalf("accounts: %+v", as)
	}
	code, out, _ = cli.run("", "account", "list")
	if code != 0 || !strings.Contains(out, "Office") || !strings.Contains(out, "microsoft") || !strings.Contains(out, "connected") {
		t.Fatalf("account list:\n%s", out)
	}
	// Tokens never reach the output.
	_, jsonOut, _ := cli.run("", "account", "list", "--json")
	if strings.Contains(jsonOut, "access_token") || strings.Contains(jsonOut, "refresh_token") {
		t.Fatalf("token material in --json:\n%s", jsonOut)
	}
}

func TestSettingsSetUsageErrors(t *testing.T) {
	cli, _ := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	if code, out, errOut := cli.run("", "account", "add", "google"); code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errOut)
	}
	id := cli.accounts()[0].ID
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--direction", "sideways"}, exitUsage, "two-way, to-calendar, from-calendar"},
		{[]string{"--types", "call,party"}, exitUsage, `"party"`},
		{[]string{"--import-type", "party"}, exitUsage, "--import-type"},
		{[]string{"--enable", "--disable"}, exitUsage, "contradict"},
		{[]string{"--interval", "10s"}, exitUsage, "shortest is 1m"},
		{[]string{"--backfill-from", "yesterday"}, exitUsage, "YYYY-MM-DD"},
		{[]string{"--conflicts", "coin-toss"}, exitUsage, "newest-wins, local-wins or remote-wins"},
		{[]string{"--window-future-days", "0"}, exitUsage, "1..3650 days ahead"},
		{[]string{"--enable"}, exitFailure, "choose a calendar before switching sync on"},
		{[]string{"--calendar", "nope"}, exitFailure, "calsync calendars --account " + id},
	}
	for _, c := range cases {
		code, _, errOut := cli.run("", append([]string{"settings", "set", "--account", id}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("settings set %q: exit %d, stderr %q; want %d mentioning %q", c.args, code, errOut, c.code, c.want)
		}
	}
	code, _, errOut := cli.run("", "settings", "show", "--account", "nope")
	if code != exitFailure || !strings.Contains(errOut, `no account "nope"`) {
		t.Errorf("show unknown account: %d %s", code, errOut)
	}
}

func TestAccountAddCalDAVNextcloudStyleRefusal(t *testing.T) {
	fake := caldavfake.New(caldavfake.Options{Style: caldavfake.Nextcloud})
	fake.AddCalendar("personal", "Personal")
	hs := httptest.NewServer(fake.Handler())
	defer hs.Close()
	normal, app := fake.Passwords()
	cli := newAcctCLI(t)
	code, out, errOut := cli.run(normal+"\n", "account", "add", "caldav", "--url", hs.URL, "--username", fake.User(), "--password-stdin")
	if code != exitFailure || !strings.Contains(errOut, "AppPasswordRequired: The server refused the password. Accounts with two-factor authentication need an app password") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, normal) {
		t.Fatal("password echoed")
	}
	code, out, errOut = cli.run(app+"\n", "account", "add", "caldav", "--url", hs.URL, "--username", fake.User(), "--password-stdin")
	if code != 0 || !strings.Contains(out, "Personal") {
		t.Fatalf("app password: exit %d\n%s\n%s", code, out, errOut)
	}

	// A calendar made after setup appears with --refresh.
	id := cli.accounts()[0].ID
	fake.AddCalendar("team", "Team")
	if _, out, _ = cli.run("", "calendars", "--account", id); strings.Contains(out, "Team") {
		t.Fatalf("stored list already has the new calendar:\n%s", out)
	}
	code, out, errOut = cli.run("", "calendars", "--account", id, "--refresh")
	if code != 0 || !strings.Contains(out, "Team") || !strings.Contains(out, "Personal") {
		t.Fatalf("--refresh: exit %d\n%s\n%s", code, out, errOut)
	}
	// A revoked app password is reported with the next step, not a stack of HTTP details.
	fake.RequireNewAppPassword()
	code, _, errOut = cli.run("", "calendars", "--account", id, "--refresh")
	if code != exitFailure || !strings.Contains(errOut, "AppPasswordRequired") || strings.Contains(errOut, app) {
		t.Fatalf("--refresh with a revoked password: exit %d\n%s", code, errOut)
	}
}

// `account list` draws every stored field cleaned, the error kind too.
func TestAccountListTableIsCleaned(t *testing.T) {
	cli := newAcctCLI(t)
	st := cli.store()
	if _, err := store.CreateAccount(context.Background(), st.DB, store.Account{Kind: "caldav", Name: "Home\a",
		Login: "pat", State: store.AccountNeedsReauth, LastErrorKind: "Odd\x1b]52;c;QUFBQQ==\a", LastErrorMessage: "boom"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := cli.run("", "account", "list")
	if code != 0 || !strings.Contains(out, "Home") || !strings.Contains(out, "boom") {
		t.Fatalf("list: %d %s %s", code, out, errOut)
	}
	if strings.ContainsAny(out, "\x1b\a") {
		t.Fatalf("control characters printed: %q", out)
	}
}

// The client secret given at sign-in is kept with the account: a later token refresh in a
// shell without CALSYNC_GOOGLE_CLIENT_SECRET still works (the fake checks the secret).
func TestGoogleClientSecretIsKeptForLaterRefreshes(t *testing.T) {
	cli, fake := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	if code, out, errOut := cli.run("", "account", "add", "google", "--name", "Work"); code != 0 {
		t.Fatalf("add google: exit %d\n%s\n%s", code, out, errOut)
	}
	id := cli.accounts()[0].ID
	if code, _, errOut := cli.run("", "settings", "set", "--account", id, "--calendar", "pat@example.com", "--enable"); code != 0 {
		t.Fatalf("settings: %s", errOut)
	}
	delete(cli.env, "CALSYNC_GOOGLE_CLIENT_SECRET")
	fake.ExpireAccessTokens()
	code, out, errOut := cli.run("", "sync")
	if code != 0 {
		t.Fatalf("sync after the access token expired, without the secret in the environment: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "test-secret") {
		t.Fatal("the client secret was printed")
	}
}
