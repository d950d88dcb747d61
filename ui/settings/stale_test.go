package settings

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/common"
)

type staleFlow struct {
	t    *testing.T
	b    *stubBackend
	tm   *teatest.TestModel
	mu   *sync.Mutex
	view *string
	done *[]DoneMsg
}

// openStale opens the settings of a two-way account on a stub backend.
func openStale(t *testing.T) *staleFlow {
	t.Helper()
	b := &stubBackend{
		cals:     []store.Calendar{{AccountID: "a1", RemoteID: "work", Name: "Work", Primary: true, HasEvents: true}},
		settings: store.DefaultSyncSettings("a1"),
		preview:  accountsetup.Preview{Push: 2},
	}
	b.settings.CalendarID, b.settings.Direction = "work", store.DirTwoWay
	ctx := common.NewContext(nil, nil, func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) })
	m := New(ctx, b, store.Account{ID: "a1", Kind: "google", Name: "Work"})
	f := &staleFlow{t: t, b: b, mu: &sync.Mutex{}, view: new(string), done: &[]DoneMsg{}}
	f.tm = teatest.NewTestModel(t, harness{m: m, mu: f.mu, view: f.view, done: f.done}, teatest.WithInitialTermSize(140, 50))
	t.Cleanup(func() { f.tm.Quit() })
	f.wait("┃ Sync direction")
	return f
}

func (f *staleFlow) frame() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(strings.Fields(*f.view), " ")
}

func (f *staleFlow) wait(want ...string) {
	f.t.Helper()
	teatest.WaitFor(f.t, f.tm.Output(), func([]byte) bool {
		v := f.frame()
		for _, w := range want {
			if !strings.Contains(v, w) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	if f.t.Failed() {
		f.t.Fatalf("frame:\n%s", f.frame())
	}
}

// submit walks every group with enter, keeping what the form shows, up to the preview.
func (f *staleFlow) submit() {
	f.t.Helper()
	for _, focus := range []string{"┃ Sync direction", "┃ Calendar", "┃ Activity types", "┃ Type for events",
		"┃ Backfill", "┃ Sync in the background", "┃ When an activity and its event both changed", "┃ Sync this account"} {
		f.wait(focus)
		f.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	}
	f.wait("Preview: the first sync will push 2 activities.")
}

func (f *staleFlow) toCalendar() {
	f.b.change(func(s *store.SyncSettings) { s.Direction = store.DirToCalendar })
}

// A fix changed the settings while the form stood untouched: it shows them at once, and
// saving keeps them.
func TestUntouchedFormShowsSettingsChangedByAFix(t *testing.T) {
	f := openStale(t)
	f.toCalendar()
	f.tm.Send(common.StateChangedMsg{What: common.ChangedSettings, AccountID: "a1", Source: "Troubleshoot"})
	f.wait("the form shows them now")
	f.submit()
	f.wait("Direction: CRM to calendar")
	f.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, f.tm.Output(), func([]byte) bool { return f.b.appliedCount() == 1 }, teatest.WithDuration(5*time.Second))
	if got := f.b.applied[0].Direction; got != store.DirToCalendar {
		t.Fatalf("saved direction %q: the form undid the fix", got)
	}
}

// A fix changed the settings while the preview waited for "apply": the screen says so,
// refuses to save over them and opens the form again on the stored settings.
func TestFormRefusesToSaveOverSettingsChangedByAFix(t *testing.T) {
	f := openStale(t)
	f.submit()
	f.toCalendar()
	f.tm.Send(common.StateChangedMsg{What: common.ChangedSettings, AccountID: "a1", Source: "Troubleshoot"})
	f.wait("Saving your version would undo that", "enter/e: open the saved settings")
	f.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	f.wait("Not saved: these settings were changed elsewhere", "┃ Sync direction")
	if n := f.b.appliedCount(); n != 0 {
		t.Fatalf("%d saves over the changed settings", n)
	}
	f.submit()
	f.wait("Direction: CRM to calendar", "enter: apply")
}

// A command changed the settings (no message reaches the app): apply still compares
// with the stored settings first and refuses.
func TestApplyComparesWithTheStoredSettingsFirst(t *testing.T) {
	f := openStale(t)
	f.submit()
	f.toCalendar()
	f.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	f.wait("Not saved: these settings were changed elsewhere", "┃ Sync direction")
	if n := f.b.appliedCount(); n != 0 {
		t.Fatalf("%d saves over the changed settings", n)
	}
	// A change for another account is not this form's business.
	f.tm.Send(common.StateChangedMsg{What: common.ChangedSettings, AccountID: "a2", Source: "Troubleshoot"})
	f.submit()
	f.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, f.tm.Output(), func([]byte) bool { return f.b.appliedCount() == 1 }, teatest.WithDuration(5*time.Second))
	if got := f.b.applied[0].Direction; got != store.DirToCalendar {
		t.Fatalf("saved direction %q", got)
	}
}
