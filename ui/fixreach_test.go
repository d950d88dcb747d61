package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

// filtersHideStore is the "filters-hide" situation: an account syncing, one lunch of mine
// tomorrow, and the list's saved filter set to another owner and calls only.
func filtersHideStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := store.SetUserTimeZone(ctx, st.DB, "UTC"); err != nil {
		t.Fatal(err)
	}
	me, err := store.EnsureMe(ctx, st.DB, "Ana", testNow.Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	bruno, err := store.CreateUser(ctx, st.DB, store.User{ID: "u-bruno", Name: "Bruno", CreatedAt: testNow})
	if err != nil {
		t.Fatal(err)
	}
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "ana@example.com", AuthKind: "oauth",
		State: store.AccountConnected, GrantedScopes: []string{"https://www.googleapis.com/auth/calendar"}, CreatedAt: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.ReplaceCalendars(ctx, st.DB, a.ID, []store.Calendar{{AccountID: a.ID, RemoteID: "cal", Name: "Ana", Primary: true, HasEvents: true}}, testNow); err != nil {
		t.Fatal(err)
	}
	s := store.DefaultSyncSettings(a.ID)
	s.CalendarID, s.Enabled = "cal", true
	on := testNow.Add(-time.Hour)
	s.ActivatedAt = &on
	if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: me.ID, Type: store.TypeLunch, Subject: "Lunch with Dana",
		Start: testNow.Add(24 * time.Hour), TimeZone: "UTC", Duration: time.Hour}, testNow); err != nil {
		t.Fatal(err)
	}
	view := store.ListFilter{Owner: bruno.ID, Types: []store.ActivityType{store.TypeCall}, Status: store.StatusTodo, Period: store.PeriodAll}
	if err := store.SaveListView(ctx, st.DB, view, testNow); err != nil {
		t.Fatal(err)
	}
	return st
}

// openFixApp opens the whole app on st with a doctor that stays off the network (there is
// no provider here: the store-side checks carry the flow).
func openFixApp(t *testing.T, st *store.Store, tab int) *Model {
	t.Helper()
	c := common.NewContext(st, func(string) string { return "" }, func() time.Time { return testNow })
	env := doctor.NewEnv(st, func(string) string { return "" }, func() time.Time { return testNow })
	env.Offline = true
	c.Services.Doctor = env
	m := New(c, WithTab(tab))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	settle(t, m, m.Init())
	return m
}

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// applyFiltersFix walks the wizard from the symptom picker to the list-filters fix and applies it.
func applyFiltersFix(t *testing.T, m *Model) {
	t.Helper()
	settle(t, m, press(m, "4"))
	settle(t, m, press(m, "enter")) // the first symptom: activities don't show up
	if v := flat(m.View()); !strings.Contains(v, "Do the activity list's filters hide it?") || !strings.Contains(v, "f: apply the fix") {
		t.Fatalf("the wizard should stop at the list filters with a fix:\n%s", m.View())
	}
	settle(t, m, press(m, "f"))
	settle(t, m, press(m, "y"))
	if v := flat(m.View()); !strings.Contains(v, "Did this fix it?") {
		t.Fatalf("the fix should be applied and checked again:\n%s", m.View())
	}
}

// The wizard's "reset filters" fix reaches the activity list that is already open: it
// shows the reset filter at once, and its next filter change is saved on top of the fix
// instead of writing the old owner and types back.
func TestFiltersFixReachesTheOpenActivityList(t *testing.T) {
	st := filtersHideStore(t)
	m := openFixApp(t, st, common.TabActivities)
	if strings.Contains(m.View(), "Lunch with Dana") {
		t.Fatalf("the saved filter (Bruno's calls) should hide the lunch before the fix:\n%s", m.View())
	}
	applyFiltersFix(t, m)

	// Before the person even comes back to the tab, the list holds the new filter.
	if v := m.screens[common.TabActivities].View(); !strings.Contains(v, "Lunch with Dana") || strings.Contains(v, "Bruno") {
		t.Fatalf("the open list should show the reset filter (every owner and type):\n%s", v)
	}
	settle(t, m, press(m, "2"))
	if v := m.View(); !strings.Contains(v, "Lunch with Dana") {
		t.Fatalf("Activities should show the lunch after the fix:\n%s", v)
	}
	// The person's next change (status: to do -> done -> all) keeps the fix.
	settle(t, m, press(m, "s"))
	settle(t, m, press(m, "s"))
	got, err := store.LoadListView(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	if got.Owner != store.OwnerAll || len(got.Types) != 0 || got.Status != store.StatusAll {
		t.Fatalf("the list's save undid the fix: %+v", got)
	}
	if v := m.View(); !strings.Contains(v, "Lunch with Dana") {
		t.Fatalf("the lunch should still be listed:\n%s", v)
	}
}

// Undoing the fix in the wizard puts the old filter back on the open list too.
func TestUndoingTheFiltersFixReachesTheOpenList(t *testing.T) {
	st := filtersHideStore(t)
	m := openFixApp(t, st, common.TabActivities)
	applyFiltersFix(t, m)
	if v := m.screens[common.TabActivities].View(); !strings.Contains(v, "Lunch with Dana") {
		t.Fatalf("the fix should show the lunch:\n%s", v)
	}
	settle(t, m, press(m, "u"))
	if v := m.screens[common.TabActivities].View(); strings.Contains(v, "Lunch with Dana") {
		t.Fatalf("after the undo the list should be back to Bruno's calls:\n%s", v)
	}
	settle(t, m, press(m, "2"))
	settle(t, m, press(m, "s")) // status: to do -> done
	got, _ := store.LoadListView(context.Background(), st.DB)
	if got.Owner != "u-bruno" || len(got.Types) != 1 || got.Status != store.StatusDone {
		t.Fatalf("the next save should keep the undone filter and add the status: %+v", got)
	}
}

// A state change reaches every screen, the active one and those out of sight.
func TestStateChangeReachesEveryScreen(t *testing.T) {
	m, stubs := newStubRoot(t, 100, 30)
	msg := common.StateChangedMsg{What: common.ChangedFilters, Source: "Troubleshoot"}
	m.Update(msg)
	for _, s := range stubs {
		if len(s.others) != 1 || s.others[0] != msg {
			t.Errorf("%s got %v", s.title, s.others)
		}
	}
}
