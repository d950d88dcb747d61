package settings

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/common"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// stubBackend serves fixed calendars and settings and records what was applied.
type stubBackend struct {
	accountsetup.Backend // only the methods below are called
	cals                 []store.Calendar
	settings             store.SyncSettings
	previewErr           error
	preview              accountsetup.Preview

	mu      sync.Mutex
	applied []store.SyncSettings
}

func (b *stubBackend) Calendars(context.Context, string) ([]store.Calendar, error) {
	return b.cals, nil
}
func (b *stubBackend) Settings(context.Context, string) (store.SyncSettings, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.settings, nil
}

// change replaces the stored settings, as a Troubleshoot fix or a command would.
func (b *stubBackend) change(fn func(s *store.SyncSettings)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fn(&b.settings)
}
func (b *stubBackend) Preview(context.Context, store.SyncSettings) (accountsetup.Preview, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.preview, b.previewErr
}
func (b *stubBackend) ApplySettings(_ context.Context, s store.SyncSettings) (store.SyncSettings, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.applied = append(b.applied, s)
	return s, nil
}
func (b *stubBackend) appliedCount() int { b.mu.Lock(); defer b.mu.Unlock(); return len(b.applied) }

type harness struct {
	m    *Model
	mu   *sync.Mutex
	view *string
	done *[]DoneMsg
}

func (h harness) Init() tea.Cmd { return h.m.Init() }
func (h harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		h.m.SetSize(msg.Width, msg.Height)
		return h, nil
	case DoneMsg:
		h.mu.Lock()
		*h.done = append(*h.done, msg)
		h.mu.Unlock()
	}
	_, cmd := h.m.Update(msg)
	return h, cmd
}
func (h harness) View() string {
	v := h.m.View()
	h.mu.Lock()
	*h.view = v
	h.mu.Unlock()
	return v
}

func TestFailedPreviewIsExplainedAndNothingIsSavedUntilConfirmed(t *testing.T) {
	b := &stubBackend{
		cals: []store.Calendar{{AccountID: "a1", RemoteID: "work", Name: "Work", Primary: true, HasEvents: true}},
		settings: func() store.SyncSettings {
			s := store.DefaultSyncSettings("a1")
			s.Interval = 2 * time.Minute // not one of the offered intervals: must stay selectable
			return s
		}(),
		previewErr: &providers.Error{Kind: providers.RateLimited, Provider: "google", RetryAfter: 30 * time.Second},
	}
	ctx := common.NewContext(nil, nil, time.Now)
	m := New(ctx, b, store.Account{ID: "a1", Kind: "google", Name: "Work"})
	var mu sync.Mutex
	var view string
	var done []DoneMsg
	tm := teatest.NewTestModel(t, harness{m: m, mu: &mu, view: &view, done: &done}, teatest.WithInitialTermSize(140, 50))
	defer tm.Quit()
	wait := func(want ...string) {
		t.Helper()
		defer func() {
			if t.Failed() {
				mu.Lock()
				t.Logf("frame:\n%s", view)
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
	submitAll := func() {
		for _, focus := range []string{"┃ Sync direction", "┃ Calendar", "┃ Activity types", "┃ Type for events",
			"┃ Backfill", "┃ Sync in the background", "┃ When an activity and its event both changed", "┃ Sync this account"} {
			wait(focus)
			if focus == "┃ Sync in the background" {
				wait("┃ > every 2 minutes")
			}
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		}
	}
	submitAll()
	wait("The dry run failed, so calsync cannot say what the first sync will do",
		"RateLimited: Google Calendar asked calsync to slow down. Try again in 30s.", "enter: save anyway")
	if b.appliedCount() != 0 {
		t.Fatal("settings applied before confirmation")
	}
	tm.Type("e")
	wait("┃ Sync direction")
	b.mu.Lock()
	b.previewErr, b.preview = nil, accountsetup.Preview{Push: 4}
	b.mu.Unlock()
	submitAll()
	wait("Preview: the first sync will push 4 activities.", "enter: apply")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func([]byte) bool {
		mu.Lock()
		defer mu.Unlock()
		return len(done) == 1
	}, teatest.WithDuration(5*time.Second))
	if b.appliedCount() != 1 || !done[0].Saved || b.applied[0].Interval != 2*time.Minute || b.applied[0].CalendarID != "work" {
		t.Fatalf("applied %+v, done %+v", b.applied, done)
	}
}
