package settings

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

// A read-only calendar refused for two-way sync must not trap the person in the calendar
// step: shift+tab goes back to the direction at once (huh validates on the way back too),
// and choosing "calendar to CRM" then lets the same calendar through.
func TestRefusedReadOnlyCalendarLetsShiftTabGoBack(t *testing.T) {
	b := &stubBackend{
		cals: []store.Calendar{
			{AccountID: "a1", RemoteID: "holidays", Name: "Holidays", ReadOnly: true, HasEvents: true},
			{AccountID: "a1", RemoteID: "work", Name: "Work", Primary: true, HasEvents: true},
		},
		settings: func() store.SyncSettings {
			s := store.DefaultSyncSettings("a1")
			s.Direction = store.DirTwoWay
			return s
		}(),
	}
	m := New(common.NewContext(nil, nil, time.Now), b, store.Account{ID: "a1", Kind: "caldav", Name: "Home"})
	var mu sync.Mutex
	var view string
	var done []DoneMsg
	tm := teatest.NewTestModel(t, harness{m: m, mu: &mu, view: &view, done: &done}, teatest.WithInitialTermSize(120, 50))
	defer tm.Quit()
	wait := func(want ...string) {
		t.Helper()
		defer func() {
			// teatest fails with the raw output stream; the current frame is clearer.
			if t.Failed() {
				mu.Lock()
				t.Logf("waiting for %q; frame:\n%s", want, view)
				mu.Unlock()
			}
		}()
		teatest.WaitFor(t, tm.Output(), func([]byte) bool {
			mu.Lock()
			flat := strings.Join(strings.Fields(view), " ")
			mu.Unlock()
			for _, w := range want {
				if !strings.Contains(flat, w) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	key := func(k tea.KeyType) { tm.Send(tea.KeyMsg{Type: k}) }

	wait("┃ Sync direction", "> Two-way")
	key(tea.KeyEnter)
	wait("┃ Read-only calendars can only sync")
	// The cursor starts on the primary calendar (Work); Holidays is above it.
	key(tea.KeyUp)
	wait("┃ > Holidays")
	key(tea.KeyEnter)
	wait(`"Holidays" is read-only for this account`)

	// Back with the refused calendar still highlighted.
	key(tea.KeyShiftTab)
	wait("┃ Sync direction")
	mu.Lock()
	refusedStillShown := strings.Contains(view, "is read-only for this account")
	mu.Unlock()
	if refusedStillShown {
		t.Fatal("the refusal is still drawn after going back")
	}
	key(tea.KeyDown) // to-calendar
	key(tea.KeyDown) // from-calendar
	wait("> Calendar to CRM")
	key(tea.KeyEnter)
	wait("┃ Read-only calendars can only sync", "┃ > Holidays")
	key(tea.KeyEnter)
	wait("┃ Activity types that sync")

	// Going forward still judges: back to the calendar, back to two-way, and Holidays is
	// refused again.
	key(tea.KeyShiftTab)
	wait("┃ Read-only calendars can only sync")
	key(tea.KeyShiftTab)
	wait("┃ Sync direction")
	key(tea.KeyUp)
	key(tea.KeyUp)
	wait("> Two-way")
	key(tea.KeyEnter)
	wait("┃ > Holidays")
	key(tea.KeyEnter)
	wait(`"Holidays" is read-only for this account`)
	if b.appliedCount() != 0 {
		t.Fatal("settings applied")
	}
}
