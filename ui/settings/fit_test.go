package settings

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/common"
)

// At 80x24 the screen gets 20 rows. The last group (backfill, interval, conflicts, on/off)
// is taller than that: its last field and huh's help must scroll into view instead of
// being cut off under the status bar (the On/Off buttons were not drawn at all).
func TestEveryStepFitsTwentyRows(t *testing.T) {
	b := &stubBackend{
		cals:     []store.Calendar{{AccountID: "a1", RemoteID: "work", Name: "Work", Primary: true, HasEvents: true}},
		settings: store.DefaultSyncSettings("a1"),
	}
	m := New(common.NewContext(nil, nil, time.Now), b, store.Account{ID: "a1", Kind: "google", Name: "Work"})
	var mu sync.Mutex
	var view string
	var done []DoneMsg
	tm := teatest.NewTestModel(t, harness{m: m, mu: &mu, view: &view, done: &done}, teatest.WithInitialTermSize(80, 20))
	defer tm.Quit()
	current := func() string { mu.Lock(); defer mu.Unlock(); return view }
	for _, step := range []struct{ focus, visible string }{
		{"┃ Sync direction", "enter select"},
		{"┃ Read-only calendars can only sync", "enter select"},
		{"┃ Activity types that sync", "toggle"},
		{"┃ Type for events imported", "enter select"},
		{"┃ Backfill", "enter next"},
		{"┃ Sync in the background", "enter select"},
		{"┃ When an activity and its event both changed", "enter select"},
		{"┃ Sync this account", "On     Off"},
	} {
		teatest.WaitFor(t, tm.Output(), func([]byte) bool {
			v := current()
			return strings.Contains(v, step.focus) && strings.Contains(v, step.visible)
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
		if t.Failed() {
			t.Fatalf("step %q: %q not drawn; frame:\n%s", step.focus, step.visible, current())
		}
		if h := lipgloss.Height(current()); h > 20 {
			t.Fatalf("step %q: view is %d rows, the screen has 20:\n%s", step.focus, h, current())
		}
		tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	}
}

// A long preview wraps instead of being cut at the edge; an account that already synced
// is told what the next sync does.
func TestLongPreviewWraps(t *testing.T) {
	at := time.Now().Add(-time.Hour)
	m := New(common.NewContext(nil, nil, time.Now), &stubBackend{}, store.Account{ID: "a1", Kind: "google", Name: "Work"})
	m.SetSize(80, 20)
	m.original = store.SyncSettings{AccountID: "a1", ActivatedAt: &at}
	m.pending = store.SyncSettings{AccountID: "a1", Direction: store.DirTwoWay, CalendarID: "work", Enabled: true,
		Types: []store.ActivityType{store.TypeCall}, ImportType: store.TypeMeeting, Interval: 5 * time.Minute}
	m.phase = phaseConfirm
	m.preview = accountsetup.Preview{Next: true, Push: 3, Skipped: map[string]int{"not-owner": 119, "outside-window": 23, "before-activation": 6}}
	v := m.View()
	for _, l := range strings.Split(v, "\n") {
		if lipgloss.Width(l) > 80 {
			t.Fatalf("line wider than 80: %q", l)
		}
	}
	var trimmed []string
	for _, l := range strings.Split(v, "\n") {
		trimmed = append(trimmed, strings.TrimRight(l, " "))
	}
	if !strings.Contains(strings.Join(trimmed, "\n"), "Direction:  Two-way — Activities appear in the calendar and calendar events\n            come back") {
		t.Errorf("summary does not wrap under its value:\n%s", v)
	}
	flat := strings.Join(strings.Fields(v), " ")
	if !strings.Contains(flat, "Preview: the next sync will push 3 activities, skip 119 owned by someone else,") ||
		!strings.HasSuffix(strings.TrimSpace(strings.Split(flat, "enter: apply")[0]), ".") {
		t.Fatalf("preview not whole:\n%s", v)
	}
}

// The read-only refusal wraps over three lines at 80 columns; it is drawn whole, with the
// way out at its end, and the form still fits the 20 rows.
func TestReadOnlyRefusalIsWholeAtEightyColumns(t *testing.T) {
	s := store.DefaultSyncSettings("a1")
	s.Direction = store.DirTwoWay
	b := &stubBackend{settings: s, cals: []store.Calendar{
		{AccountID: "a1", RemoteID: "holidays", Name: "Holidays", ReadOnly: true, HasEvents: true},
		{AccountID: "a1", RemoteID: "work", Name: "Work", Primary: true, HasEvents: true},
	}}
	m := New(common.NewContext(nil, nil, time.Now), b, store.Account{ID: "a1", Kind: "caldav", Name: "Home"})
	var mu sync.Mutex
	var view string
	var done []DoneMsg
	tm := teatest.NewTestModel(t, harness{m: m, mu: &mu, view: &view, done: &done}, teatest.WithInitialTermSize(80, 20))
	defer tm.Quit()
	current := func() string { mu.Lock(); defer mu.Unlock(); return view }
	wait := func(want string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func([]byte) bool {
			return strings.Contains(strings.Join(strings.Fields(current()), " "), want)
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	wait("┃ Sync direction")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("┃ Read-only calendars can only sync")
	tm.Send(tea.KeyMsg{Type: tea.KeyUp})
	wait("┃ > Holidays")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait(`or the direction "from-calendar" (calendar to CRM).`)
	if h := lipgloss.Height(current()); h > 20 {
		t.Fatalf("view is %d rows on a 20-row screen:\n%s", h, current())
	}
}
