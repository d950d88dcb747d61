package troubleshoot

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/calsync/calsync/doctor"
	_ "github.com/calsync/calsync/providers/all"
	"github.com/calsync/calsync/providers/caldav/caldavfake"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

// harness wraps the screen like the root does: it sizes it and remembers the last frame.
type harness struct {
	m    *Model
	last *frame
}

type frame struct {
	mu   sync.Mutex
	view string
}

func (f *frame) set(v string) { f.mu.Lock(); f.view = v; f.mu.Unlock() }
func (f *frame) get() string  { f.mu.Lock(); defer f.mu.Unlock(); return f.view }

func (h harness) Init() tea.Cmd { return h.m.Init() }
func (h harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		h.m.SetSize(ws.Width, ws.Height-2)
		return h, nil
	}
	_, cmd := h.m.Update(msg)
	return h, cmd
}
func (h harness) View() string {
	v := h.m.View()
	h.last.set(v)
	return v
}

// filtersHide builds the "filters-hide" situation through the store API: an account with
// sync on, one of my activities, and a list view filtered to another owner and one type.
func filtersHide(t *testing.T) (*store.Store, store.Activity, store.ListFilter) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	me, err := store.EnsureMe(ctx, st.DB, "Ana", now.Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	other, err := store.CreateUser(ctx, st.DB, store.User{Name: "Bruno", CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "ana@example.com", AuthKind: "oauth",
		State: store.AccountConnected, GrantedScopes: []string{"https://www.googleapis.com/auth/calendar"}, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.ReplaceCalendars(ctx, st.DB, a.ID, []store.Calendar{{AccountID: a.ID, RemoteID: "cal", Name: "Ana", Primary: true, HasEvents: true}}, now); err != nil {
		t.Fatal(err)
	}
	s := store.DefaultSyncSettings(a.ID)
	s.CalendarID, s.Enabled = "cal", true
	act := now.Add(-time.Hour)
	s.ActivatedAt = &act
	if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
		t.Fatal(err)
	}
	lunch, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: me.ID, Type: store.TypeLunch, Subject: "Lunch with Dana", Start: now.Add(24 * time.Hour)}, now)
	if err != nil {
		t.Fatal(err)
	}
	view := store.ListFilter{Owner: other.ID, Types: []store.ActivityType{store.TypeCall}, Status: store.StatusTodo, Period: store.PeriodAll}
	if err := store.SaveListView(ctx, st.DB, view, now); err != nil {
		t.Fatal(err)
	}
	return st, lunch, view
}

func newFlow(t *testing.T, st *store.Store) (*teatest.TestModel, *frame) {
	t.Helper()
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	env.Offline = true // no provider in this test: the store-side checks carry the flow
	c.Services.Doctor = env
	m := New(c)
	h := harness{m: m, last: &frame{}}
	tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(120, 50))
	t.Cleanup(func() { tm.Quit() })
	return tm, h.last
}

func waitFor(t *testing.T, tm *teatest.TestModel, f *frame, want ...string) {
	t.Helper()
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
		t.Fatalf("frame:\n%s", f.get())
	}
}

func TestWizardActivitiesNotShowingFixVerifyUndo(t *testing.T) {
	st, _, view := filtersHide(t)
	tm, f := newFlow(t, st)
	waitFor(t, tm, f, "What goes wrong?", "Activities don't show up", "Check everything")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) // the first symptom: not showing
	// Cheap checks pass by; the flow stops at the list filters with the evidence and a fix.
	waitFor(t, tm, f, "Do the activity list's filters hide it?", "Problem",
		"the activity list's owner/type filters hide 1 of your own activities",
		"fix: reset the activity list's owner and type filters", "activities reappearing 1", "f: apply the fix")
	if !strings.Contains(f.get(), "✓ OK") {
		t.Fatalf("the passed steps should be listed:\n%s", f.get())
	}
	tm.Type("f")
	waitFor(t, tm, f, "Apply: reset the activity list's owner and type filters", "can be undone", "y: apply")
	tm.Type("y")
	waitFor(t, tm, f, "Did this fix it?", "✓ OK", "u: undo the fix")
	got, _ := store.LoadListView(context.Background(), st.DB)
	if got.Owner != store.OwnerAll || len(got.Types) != 0 {
		t.Fatalf("fix not applied: %+v", got)
	}
	tm.Type("u")
	waitFor(t, tm, f, "undone: reset the activity list's owner and type filters", "Problem")
	got, _ = store.LoadListView(context.Background(), st.DB)
	if got.Owner != view.Owner || len(got.Types) != 1 {
		t.Fatalf("undo did not restore the filters: %+v", got)
	}
	// Apply again, confirm it fixed things, and run to the end.
	tm.Type("f")
	waitFor(t, tm, f, "Apply: reset")
	tm.Type("y")
	waitFor(t, tm, f, "Did this fix it?")
	tm.Type("y")
	for i := 0; i < 20 && !strings.Contains(f.get(), "Done."); i++ {
		time.Sleep(20 * time.Millisecond)
		if strings.Contains(f.get(), "n: next step") {
			tm.Type("n")
		}
	}
	waitFor(t, tm, f, "Done.", "0 problems")
}

func TestWizardWhyIsntThisInMyCalendar(t *testing.T) {
	st, lunch, _ := filtersHide(t)
	tm, f := newFlow(t, st)
	tm.Send(common.TroubleshootActivityMsg{ActivityID: lunch.ID})
	waitFor(t, tm, f, `Why isn't "Lunch with Dana" in my calendar?`,
		"the activity list hides \"Lunch with Dana\": filter owner: Bruno and types: call")
}

// caldavAccount connects a CalDAV account on a fake whose normal password is refused;
// with goodPassword it is stored with the app password instead (a healthy account).
func caldavAccount(t *testing.T, goodPassword bool) (*store.Store, *caldavfake.Server, store.Account, *doctor.Env) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fake := caldavfake.New(caldavfake.Options{})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	cal := fake.AddCalendar("work", "Work")
	normal, app := fake.Passwords()
	now := time.Now()
	store.EnsureMe(ctx, st.DB, "Ana", now)
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "caldav", Name: "Nextcloud", Login: fake.User(), ServerURL: srv.URL, AuthKind: "password", State: store.AccountConnected, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	pw := normal
	if goodPassword {
		pw = app
	}
	store.PutSecret(ctx, st.DB, a.ID, "password", []byte(pw), now)
	s := store.DefaultSyncSettings(a.ID)
	s.CalendarID, s.Enabled = cal, true
	s.ActivatedAt = &now
	store.PutSyncSettings(ctx, st.DB, s)
	store.ReplaceCalendars(ctx, st.DB, a.ID, []store.Calendar{{AccountID: a.ID, RemoteID: cal, Name: "Work", HasEvents: true}}, now)
	return st, fake, a, doctor.NewEnv(st, func(string) string { return "" }, time.Now)
}

// The round trip writes into the person's calendar: the wizard asks first, and runs it on yes.
func TestWizardAsksBeforeTheRoundTrip(t *testing.T) {
	st, _, _, env := caldavAccount(t, true)
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	c.Services.Doctor = env
	m := New(c)
	h := harness{m: m, last: &frame{}}
	tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(120, 50))
	t.Cleanup(func() { tm.Quit() })
	f := h.last
	waitFor(t, tm, f, "What goes wrong?")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	for i := 0; i < 40 && !strings.Contains(f.get(), "Run it?"); i++ {
		time.Sleep(25 * time.Millisecond)
		if strings.Contains(f.get(), "n: next step") {
			tm.Type("n")
		}
	}
	waitFor(t, tm, f, "Does a test event make the round trip?", "Run it?", "y: run it")
	tm.Type("y")
	waitFor(t, tm, f, "Done.", "0 problems")
	if !strings.Contains(f.get(), "✓ OK  Does a test event make the round trip?") {
		t.Fatalf("the round trip should have passed:\n%s", f.get())
	}
}

// The app-password path: the wizard names the cause, takes the pasted password in a masked
// field, tests it against the server before saving, and the re-run passes.
func TestWizardAppPasswordIsTestedBeforeItIsSaved(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fake := caldavfake.New(caldavfake.Options{})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	cal := fake.AddCalendar("work", "Work")
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
	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	if err := env.Sync(ctx, a.ID); err == nil {
		t.Fatal("the normal password should be refused")
	}

	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	c.Services.Doctor = env
	m := New(c)
	h := harness{m: m, last: &frame{}}
	tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(120, 50))
	t.Cleanup(func() { tm.Quit() })
	f := h.last
	waitFor(t, tm, f, "What goes wrong?")
	for i := 0; i < 3; i++ {
		tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) // calendars can't be fetched
	waitFor(t, tm, f, "Can calsync sign in to the account", "app-specific password", "Nextcloud", "f: apply the fix")
	tm.Type("f")
	waitFor(t, tm, f, "Apply: use an app-specific password", "App password:")
	if !m.CapturingInput() {
		t.Fatal("the password field must capture keys (so q or 4 are typed, not global)")
	}
	tm.Type("wrong-one")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, f, "The fix was not applied: the server refused this password, nothing was saved")
	if strings.Contains(f.get(), "wrong-one") {
		t.Fatal("the typed password must never be drawn")
	}
	tm.Type("f")
	waitFor(t, tm, f, "App password:")
	tm.Type(app)
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, f, "the server accepted the app password; saved", "Did this fix it?", "✓ OK")
	if _, sec, _ := store.GetSecret(ctx, st.DB, a.ID); string(sec) != app {
		t.Fatal("the app password was not saved")
	}
	if strings.Contains(f.get(), app) {
		t.Fatal("the password must never be drawn")
	}
}
