package activities

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

func savedFilter(t *testing.T, f *fixture) store.ListFilter {
	t.Helper()
	got, err := store.LoadListView(context.Background(), f.st.DB)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A fix announces the filter it saved: the open list shows it, and saves on top of it.
func TestStateChangeShowsTheSavedFilterAndTheNextSaveKeepsIt(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	// What reset-list-filters writes: every owner and type, the rest kept.
	if err := store.SaveListView(context.Background(), f.st.DB, store.ListFilter{Owner: store.OwnerAll, Status: store.StatusTodo, Period: store.PeriodAll}, testNow); err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(common.StateChangedMsg{What: common.ChangedFilters, Source: "Troubleshoot"})
	out.drive(t, m, cmd)
	if got, want := m.Banner(), "Showing all 44 activities"; got != want {
		t.Fatalf("banner %q, want %q", got, want)
	}
	if !strings.Contains(m.View(), "Bo meeting") {
		t.Fatalf("Bo's meetings should be listed now:\n%s", m.View())
	}
	out.press(t, m, "s") // to do -> done
	if got := savedFilter(t, f); got.Owner != store.OwnerAll || got.Status != store.StatusDone {
		t.Fatalf("the next save should keep owner all and add the status: %+v", got)
	}
}

// The list's own save never writes over a filter something else stored meanwhile (a
// command, or a fix whose message has not arrived yet): it writes nothing, shows the
// stored filter and says why.
func TestStaleSaveIsRefusedAndTheStoredFilterShown(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	other := store.ListFilter{Owner: store.OwnerAll, Status: store.StatusTodo, Period: store.PeriodAll}
	if err := store.SaveListView(context.Background(), f.st.DB, other, testNow); err != nil {
		t.Fatal(err)
	}
	out.press(t, m, "s") // built on the old filter (owner me): must not be written
	got := savedFilter(t, f)
	if got.Owner != store.OwnerAll || got.Status != store.StatusTodo {
		t.Fatalf("the stale save overwrote the stored filter: %+v", got)
	}
	if m.filter.Owner != store.OwnerAll || m.filter.Status != store.StatusTodo {
		t.Fatalf("the list should show the stored filter, shows %+v", m.filter)
	}
	if s := out.lastStatus(); !strings.Contains(s, "changed elsewhere") || !strings.Contains(s, "not saved") {
		t.Fatalf("status %q should say the change was not saved and why", s)
	}
	// From there on, saves work again.
	out.press(t, m, "s")
	if got := savedFilter(t, f); got.Owner != store.OwnerAll || got.Status != store.StatusDone {
		t.Fatalf("a save on top of the adopted filter should be written: %+v", got)
	}
}

// Two toggles faster than the store answers are both saved, in order, with no false
// "changed elsewhere": each save waits for the one before.
func TestQuickTogglesAreSavedInOrder(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	_, c1 := m.Update(keyMsg("s")) // to do -> done
	_, c2 := m.Update(keyMsg("s")) // done -> all
	out.drive(t, m, tea.Batch(c1, c2))
	if got := savedFilter(t, f); got.Status != store.StatusAll {
		t.Fatalf("stored status %q, want all", got.Status)
	}
	for _, s := range out.statuses() {
		if s.Err {
			t.Fatalf("no error expected, got %q", s.Text)
		}
	}
}

// Coming back to the tab shows a filter changed by a command meanwhile.
func TestActivationAdoptsAFilterChangedMeanwhile(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	if err := store.SaveListView(context.Background(), f.st.DB, store.ListFilter{Owner: store.OwnerAll, Status: store.StatusTodo, Period: store.PeriodAll}, testNow); err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(common.ActivatedMsg{})
	out.drive(t, m, cmd)
	if m.filter.Owner != store.OwnerAll {
		t.Fatalf("the list should show the stored owner filter, shows %q", m.filter.Owner)
	}
}
