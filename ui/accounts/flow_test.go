package accounts

import (
	"bytes"
	"context"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/calsync/calsync/providers/caldav/caldavfake"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/common"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// harness stands in for the root: it gives the screen its size, as the root does, and
// keeps the latest frame so tests read what the person sees now, not the diff stream.
type harness struct {
	m    *Model
	last *frame
}

type frame struct {
	mu     sync.Mutex
	view   string
	status string // the root's status bar: the last common.StatusMsg
}

func (f *frame) set(v string)       { f.mu.Lock(); f.view = v; f.mu.Unlock() }
func (f *frame) setStatus(s string) { f.mu.Lock(); f.status = s; f.mu.Unlock() }
func (f *frame) get() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.view + "\n[status] " + f.status
}

func (h harness) Init() tea.Cmd { return h.m.Init() }
func (h harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		h.m.SetSize(ws.Width, ws.Height-2)
		return h, nil
	}
	if sm, ok := msg.(common.StatusMsg); ok {
		h.last.setStatus(sm.Text)
	}
	_, cmd := h.m.Update(msg)
	return h, cmd
}
func (h harness) View() string {
	v := h.m.View()
	h.last.set(v)
	return v
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newFlow(t *testing.T, st *store.Store, env map[string]string, tune ...func(*accountsetup.Manager)) (*teatest.TestModel, *Model) {
	t.Helper()
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	mgr := accountsetup.NewManager(st, func(k string) string { return env[k] }, time.Now)
	for _, f := range tune {
		f(mgr)
	}
	m := New(c, mgr)
	h := harness{m: m, last: &frame{}}
	tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(160, 60))
	t.Cleanup(func() { tm.Quit() })
	lastFrame[tm] = h.last
	return tm, m
}

var lastFrame = map[*teatest.TestModel]*frame{}

// waitFor waits until the current frame contains every one of want (line breaks and
// repeated spaces ignored, since long sentences wrap).
func waitFor(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	f := lastFrame[tm]
	teatest.WaitFor(t, tm.Output(), func([]byte) bool {
		flat := strings.Join(strings.Fields(f.get()), " ")
		for _, w := range want {
			if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	if t.Failed() {
		t.Logf("frame:\n%s", f.get())
	}
}

// waitGone waits until the current frame no longer shows text.
func waitGone(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	f := lastFrame[tm]
	teatest.WaitFor(t, tm.Output(), func([]byte) bool {
		return !strings.Contains(strings.Join(strings.Fields(f.get()), " "), text)
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func keys(tm *teatest.TestModel, ks ...tea.KeyType) {
	for _, k := range ks {
		tm.Send(tea.KeyMsg{Type: k})
	}
}

// googleSubmit goes through the prefilled client fields and the optional name.
func googleSubmit(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	waitFor(t, tm, "┃ OAuth client ID")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ OAuth client secret")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ Name in calsync")
	keys(tm, tea.KeyEnter)
}

func TestGoogleSignInGrantingTooLittleNamesTheMissingPermission(t *testing.T) {
	fake := googlefake.New(googlefake.Options{Login: "pat@example.com", ClientID: "cid", ClientSecret: "csecret",
		GrantScopes: []string{"openid", "email"}})
	hs := httptest.NewServer(fake.Handler())
	defer hs.Close()
	ep := googlefake.EndpointsAt(hs.URL)
	st := openStore(t)
	tm, _ := newFlow(t, st, map[string]string{
		"CALSYNC_GOOGLE_CLIENT_ID": "cid", "CALSYNC_GOOGLE_CLIENT_SECRET": "csecret",
		"CALSYNC_GOOGLE_API_URL": ep.API, "CALSYNC_GOOGLE_AUTH_URL": ep.Auth, "CALSYNC_GOOGLE_TOKEN_URL": ep.Token,
		"CALSYNC_OPEN_BROWSER": "http-get",
	})
	waitFor(t, tm, "No calendar connected yet")
	tm.Type("a")
	waitFor(t, tm, "Which calendar do you want to connect?", "Microsoft 365 / Outlook.com / Exchange Online", "Nextcloud")
	keys(tm, tea.KeyEnter) // Google is first
	waitFor(t, tm, "OAuth client ID", "console.cloud.google.com")
	googleSubmit(t, tm)
	waitFor(t, tm, "InsufficientScope", "Calendar access was not granted",
		"tick 'See, edit, share and permanently delete all the calendars you can access using Google Calendar'",
		"CALSYNC_GOOGLE_CLIENT_ID")
	if as, _ := store.ListAccounts(context.Background(), st.DB); len(as) != 0 {
		t.Fatalf("an account without calendar access was saved: %+v", as)
	}

	// Granting everything on the second try connects and opens the sync settings.
	fake.SetGrantedScopes(nil)
	googleSubmit(t, tm)
	waitFor(t, tm, "Sync settings", "Sync direction", "Two-way")
	as, _ := store.ListAccounts(context.Background(), st.DB)
	if len(as) != 1 || as[0].Login != "pat@example.com" || len(as[0].GrantedScopes) == 0 {
		t.Fatalf("accounts after the second sign-in: %+v", as)
	}
}

func TestCalDAVRefusesNormalPasswordThenAcceptsAppPassword(t *testing.T) {
	fake := caldavfake.New(caldavfake.Options{Style: caldavfake.ICloud})
	fake.AddCalendar("work", "Work")
	fake.AddCalendar("holidays", "Holidays")
	fake.SetReadOnly("holidays", true)
	hs := httptest.NewServer(fake.Handler())
	defer hs.Close()
	normal, app := fake.Passwords()
	st := openStore(t)
	// One meeting that exists before sync is switched on: the preview says it is skipped.
	ctx := context.Background()
	if _, err := store.EnsureMe(ctx, st.DB, "Pat", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: store.TypeMeeting, Subject: "Kick-off",
		Start: time.Now().Add(24 * time.Hour), Duration: time.Hour}, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	tm, _ := newFlow(t, st, map[string]string{"CALSYNC_CALDAV_API_URL": hs.URL})

	tm.Type("a")
	waitFor(t, tm, "Which calendar do you want to connect?")
	keys(tm, tea.KeyDown, tea.KeyDown, tea.KeyEnter) // iCloud
	waitFor(t, tm, "App password", "App-Specific Passwords", "appleid.apple.com")
	tm.Type(fake.User())
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ App password")
	tm.Type(normal)
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ Name in calsync")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "iCloud refused the password. Accounts with two-factor authentication need an app-specific password: appleid.apple.com -> Sign-In and Security -> App-Specific Passwords.")
	if as, _ := store.ListAccounts(context.Background(), st.DB); len(as) != 0 {
		t.Fatalf("a refused account was saved: %+v", as)
	}

	// The form comes back with the user name kept and the password empty.
	waitFor(t, tm, "┃ User name", "> alice")
	keys(tm, tea.KeyEnter) // user name (kept)
	waitFor(t, tm, "┃ App password")
	tm.Type(app)
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ Name in calsync")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "Sync settings", "Sync direction")
	as, _ := store.ListAccounts(context.Background(), st.DB)
	if len(as) != 1 || as[0].Login != fake.User() || as[0].Kind != "caldav" {
		t.Fatalf("accounts: %+v", as)
	}

	// Two-way with the read-only calendar is refused, with the reason.
	keys(tm, tea.KeyEnter) // two-way
	waitFor(t, tm, "Holidays (read-only: calendar to CRM only)")
	cals, _ := store.ListCalendars(context.Background(), st.DB, as[0].ID)
	// Move the cursor to Holidays whatever the listing order.
	for i, c := range cals {
		if c.Name == "Holidays" {
			for range i {
				keys(tm, tea.KeyDown)
			}
		}
	}
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, `"Holidays" is read-only for this account`, "Choose a calendar you can edit")
	s, _ := store.GetSyncSettings(context.Background(), st.DB, as[0].ID)
	if s.Enabled || s.CalendarID != "" {
		t.Fatalf("settings were saved: %+v", s)
	}

	// A writable calendar goes through; Save first shows the dry run's preview.
	keys(tm, tea.KeyUp)
	waitFor(t, tm, "┃ > Work")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ Activity types that sync")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ Type for events imported")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ Backfill")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ Sync in the background")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ When an activity and its event both changed")
	keys(tm, tea.KeyDown)
	waitFor(t, tm, "┃ > the CRM wins")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ Sync this account")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "Calendar: Work", "Conflicts: the CRM wins", "Preview: the first sync will skip 1 created before sync was switched on.", "enter: apply")
	if s, _ := store.GetSyncSettings(context.Background(), st.DB, as[0].ID); s.Enabled {
		t.Fatal("settings were saved before the preview was confirmed")
	}
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "Accounts", fake.User(), "connected")
	s, _ = store.GetSyncSettings(context.Background(), st.DB, as[0].ID)
	if !s.Enabled || s.ActivatedAt == nil || s.Direction != store.DirTwoWay || !strings.HasSuffix(s.CalendarID, "/work/") ||
		s.ConflictPolicy != store.PolicyLocalWins {
		t.Fatalf("settings after apply: %+v", s)
	}
	if n := len(fake.Events("work")); n != 0 {
		t.Fatalf("the preview wrote %d events", n)
	}

	var out bytes.Buffer
	out.ReadFrom(tm.Output())
	if strings.Contains(out.String(), app) || strings.Contains(out.String(), normal) {
		t.Fatal("a password was drawn on the screen")
	}
}

func TestMicrosoftDeviceCodeShowsCodeAndCountdown(t *testing.T) {
	const clientID = "0f3e2d1c-aaaa-bbbb-cccc-123456789abc"
	fake := graphfake.New(graphfake.Options{ClientID: clientID, DeviceCodeInterval: 1,
		User: graphfake.User{ID: "u1", DisplayName: "Pat", UserPrincipalName: "pat@contoso.com", Mail: "pat@contoso.com"}})
	hs := httptest.NewServer(fake.Handler())
	defer hs.Close()
	ep := graphfake.Endpoints(hs.URL)
	st := openStore(t)
	env := map[string]string{"CALSYNC_MICROSOFT_CLIENT_ID": clientID, "CALSYNC_MICROSOFT_API_URL": ep.API,
		"CALSYNC_MICROSOFT_AUTH_URL": ep.Auth, "CALSYNC_MICROSOFT_TOKEN_URL": ep.Token,
		"CALSYNC_MICROSOFT_DEVICE_CODE_URL": ep.DeviceCode}
	fastPolling := func(m *accountsetup.Manager) {
		m.Device.Sleep = func(ctx context.Context, d time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
				return nil
			}
		}
	}
	tm, _ := newFlow(t, st, env, fastPolling)

	seen := map[string]bool{}
	startMicrosoft := func() string {
		t.Helper()
		tm.Type("a")
		waitFor(t, tm, "Which calendar do you want to connect?")
		keys(tm, tea.KeyDown, tea.KeyEnter)
		waitFor(t, tm, "┃ OAuth client ID", "Allow public client flows", "CALSYNC_MICROSOFT_CLIENT_ID")
		keys(tm, tea.KeyEnter)
		waitFor(t, tm, "┃ Name in calsync")
		keys(tm, tea.KeyEnter)
		waitFor(t, tm, "On any device, open "+hs.URL+"/devicelogin", "The code expires in 1")
		var fresh []string
		for _, c := range fake.PendingUserCodes() {
			if !seen[c] {
				fresh = append(fresh, c)
				seen[c] = true
			}
		}
		if len(fresh) != 1 {
			t.Fatalf("new device codes: %v", fresh)
		}
		waitFor(t, tm, fresh[0])
		return fresh[0]
	}

	// Cancelling stops the sign-in and returns to the form; nothing is saved.
	startMicrosoft()
	keys(tm, tea.KeyEsc)
	waitFor(t, tm, "Sign-in cancelled; nothing was saved.", "┃ OAuth client ID")
	keys(tm, tea.KeyEsc)
	waitFor(t, tm, "No calendar connected yet")

	code := startMicrosoft()
	if !fake.Approve(code) {
		t.Fatalf("code %s not pending", code)
	}
	waitFor(t, tm, "Sync settings", "Sync direction")
	as, _ := store.ListAccounts(context.Background(), st.DB)
	if len(as) != 1 || as[0].Kind != "microsoft" || as[0].Login == "" {
		t.Fatalf("accounts: %+v", as)
	}
	cals, _ := store.ListCalendars(context.Background(), st.DB, as[0].ID)
	if len(cals) == 0 {
		t.Fatal("no calendars stored for the new account")
	}
}

func TestReconnectKeepsSettingsAndLinksThenStopAndRemove(t *testing.T) {
	fake := googlefake.New(googlefake.Options{Login: "pat@example.com", ClientID: "cid", ClientSecret: "csecret"})
	hs := httptest.NewServer(fake.Handler())
	defer hs.Close()
	ep := googlefake.EndpointsAt(hs.URL)
	env := map[string]string{
		"CALSYNC_GOOGLE_CLIENT_ID": "cid", "CALSYNC_GOOGLE_CLIENT_SECRET": "csecret",
		"CALSYNC_GOOGLE_API_URL": ep.API, "CALSYNC_GOOGLE_AUTH_URL": ep.Auth, "CALSYNC_GOOGLE_TOKEN_URL": ep.Token,
		"CALSYNC_OPEN_BROWSER": "http-get",
	}
	st := openStore(t)
	ctx := context.Background()

	// An account that synced before, then lost its sign-in (the token was revoked).
	mgr := accountsetup.NewManager(st, func(k string) string { return env[k] }, time.Now)
	g, _ := accountsetup.ChoiceByID("google")
	conn, err := mgr.Connect(ctx, accountsetup.Draft{Choice: g, Name: "Work", ClientID: "cid", ClientSecret: "csecret"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := mgr.Save(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	settings := store.DefaultSyncSettings(acct.ID)
	settings.CalendarID, settings.Enabled, settings.Direction = "pat@example.com", true, store.DirToCalendar
	if settings, err = mgr.ApplySettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	if _, err := store.EnsureMe(ctx, st.DB, "Pat", time.Now()); err != nil {
		t.Fatal(err)
	}
	act, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: store.TypeCall, Subject: "Call Bo",
		Start: time.Now().Add(time.Hour)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.InsertLink(ctx, st.DB, store.Link{ActivityID: act.ID, AccountID: acct.ID,
		CalendarID: "pat@example.com", RemoteID: "ev1", State: store.LinkSynced}); err != nil {
		t.Fatal(err)
	}
	if err := store.SetAccountState(ctx, st.DB, acct.ID, store.AccountNeedsReauth, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordAccountError(ctx, st.DB, acct.ID, "AuthExpired", "Token has been expired or revoked.", time.Now()); err != nil {
		t.Fatal(err)
	}
	fake.RevokeTokens()

	tm, _ := newFlow(t, st, env)
	waitFor(t, tm, "Work", "needs sign-in", "syncs to-calendar with pat@example.com", "! AuthExpired: Google Calendar no longer accepts calsync's sign-in (expired or revoked). Sign in again.",
		"Work needs a fresh sign-in: press r to reconnect")
	tm.Type("r")
	waitFor(t, tm, "Reconnect Work")
	googleReconnect := func() {
		waitFor(t, tm, "┃ OAuth client ID")
		keys(tm, tea.KeyEnter)
		waitFor(t, tm, "┃ OAuth client secret")
		keys(tm, tea.KeyEnter)
	}
	googleReconnect()
	waitFor(t, tm, "Reconnected Work; its settings and links are kept.", "connected")
	after, _ := store.GetAccount(ctx, st.DB, acct.ID)
	if after.State != store.AccountConnected || after.LastErrorKind != "" {
		t.Fatalf("account after reconnect: %+v", after)
	}
	s2, _ := store.GetSyncSettings(ctx, st.DB, acct.ID)
	if s2.Direction != store.DirToCalendar || s2.CalendarID != settings.CalendarID || !s2.Enabled ||
		s2.ActivatedAt == nil || !s2.ActivatedAt.Equal(*settings.ActivatedAt) {
		t.Fatalf("settings changed by reconnect: %+v, was %+v", s2, settings)
	}
	if n, _ := store.CountLinks(ctx, st.DB, acct.ID); n != 1 {
		t.Fatalf("links after reconnect: %d", n)
	}

	tm.Type("s")
	waitFor(t, tm, "sync stopped", "Sync stopped for Work (nothing deleted; s resumes).")
	if s, _ := store.GetSyncSettings(ctx, st.DB, acct.ID); s.Enabled {
		t.Fatal("sync still enabled after stop")
	}
	tm.Type("s")
	waitFor(t, tm, "Sync resumed for Work.")
	if s, _ := store.GetSyncSettings(ctx, st.DB, acct.ID); !s.Enabled || !s.ActivatedAt.Equal(*settings.ActivatedAt) {
		t.Fatalf("resume: %+v", s)
	}

	tm.Type("x")
	waitFor(t, tm, "Remove Work?", "y: remove")
	tm.Type("n")
	waitGone(t, tm, "Remove Work?")
	if as, _ := store.ListAccounts(ctx, st.DB); len(as) != 1 {
		t.Fatal("n removed the account")
	}
	tm.Type("x")
	waitFor(t, tm, "Remove Work?")
	tm.Type("y")
	waitFor(t, tm, "Removed Work. Its activities stay in the CRM.", "No calendar connected yet")
	if _, err := store.GetActivity(ctx, st.DB, act.ID); err != nil {
		t.Fatalf("the activity went with the account: %v", err)
	}
}

func TestGoogleSignInCancelledWhileWaitingClosesTheListener(t *testing.T) {
	fake := googlefake.New(googlefake.Options{Login: "pat@example.com", ClientID: "cid", ClientSecret: "csecret"})
	hs := httptest.NewServer(fake.Handler())
	defer hs.Close()
	ep := googlefake.EndpointsAt(hs.URL)
	st := openStore(t)
	opened := make(chan string, 1)
	tm, _ := newFlow(t, st, map[string]string{
		"CALSYNC_GOOGLE_CLIENT_ID": "cid", "CALSYNC_GOOGLE_CLIENT_SECRET": "csecret",
		"CALSYNC_GOOGLE_API_URL": ep.API, "CALSYNC_GOOGLE_AUTH_URL": ep.Auth, "CALSYNC_GOOGLE_TOKEN_URL": ep.Token,
	}, func(mgr *accountsetup.Manager) {
		// A browser that opens but where the person never finishes.
		mgr.OpenBrowser = func(u string) error { opened <- u; return nil }
	})
	tm.Type("a")
	waitFor(t, tm, "Which calendar do you want to connect?")
	keys(tm, tea.KeyEnter)
	googleSubmit(t, tm)
	var authURL string
	select {
	case authURL = <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("the browser was never asked to open")
	}
	// The screen says how long the sign-in waits (oauth.DefaultSignInTimeout).
	waitFor(t, tm, "Your browser should open; if it did not, open this address yourself:", "http://127.0.0.1",
		"The sign-in stops waiting in")
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := url.Parse(u.Query().Get("redirect_uri"))
	if err != nil || redirect.Hostname() != "127.0.0.1" {
		t.Fatalf("redirect_uri %q: want a 127.0.0.1 loopback address", u.Query().Get("redirect_uri"))
	}
	keys(tm, tea.KeyEsc)
	waitFor(t, tm, "Sign-in cancelled; nothing was saved.", "┃ OAuth client ID")
	// The loopback listener is gone once the sign-in is cancelled.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", redirect.Host, 200*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the loopback listener %s still accepts connections after cancel", redirect.Host)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if as, _ := store.ListAccounts(context.Background(), st.DB); len(as) != 0 {
		t.Fatalf("a cancelled sign-in saved an account: %+v", as)
	}
}
