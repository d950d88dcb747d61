package syncstatus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/common"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

type emptyCalendar struct{ created int }

func (e *emptyCalendar) Calendars(context.Context) ([]providers.Calendar, error) { return nil, nil }
func (e *emptyCalendar) Changes(context.Context, string, string, providers.Window) (providers.ChangePage, error) {
	return providers.ChangePage{Full: true, NextCursor: "t1"}, nil
}
func (e *emptyCalendar) Create(_ context.Context, _ string, ev providers.Event) (providers.Event, error) {
	e.created++
	ev.RemoteID, ev.ETag = "r-"+ev.ActivityID, "e1"
	return ev, nil
}
func (e *emptyCalendar) Update(_ context.Context, _ string, ev providers.Event, _ string) (providers.Event, error) {
	return ev, nil
}
func (e *emptyCalendar) Delete(context.Context, string, string, string) error { return nil }
func (e *emptyCalendar) Access(context.Context) (providers.AccessReport, error) {
	return providers.AccessReport{}, nil
}

func testCtx(t *testing.T, st *store.Store) *common.Context {
	return common.NewContext(st, func(string) string { return "1" }, nil) // NO_COLOR
}

func TestRunnerStreamsProgressToTheStatusBar(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store.EnsureMe(ctx, st.DB, "Me", time.Now())
	a, _ := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work"})
	set := store.DefaultSyncSettings(a.ID)
	set.CalendarID, set.Enabled = "cal", true
	past := time.Now().Add(-time.Hour)
	set.ActivatedAt = &past
	store.PutSyncSettings(ctx, st.DB, set)
	store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: store.TypeCall, Subject: "c", Start: time.Now().Add(time.Hour)}, time.Now())

	cal := &emptyCalendar{}
	eng := &sync.Engine{Store: st, Open: func(context.Context, store.Account) (providers.Provider, error) { return cal, nil }}
	r := NewRunner(eng)
	defer r.Stop()
	m := New(testCtx(t, st), r)
	cmd := m.Init()
	// Drain events as the Bubble Tea loop would until the run is done.
	deadline := time.After(10 * time.Second)
	done := false
	sawRunning := false
	for !done {
		msgc := make(chan any, 1)
		go func() { msgc <- cmd() }()
		select {
		case <-deadline:
			t.Fatal("no PhaseDone from the runner")
		case msg := <-msgc:
			if p, ok := msg.(ProgressMsg); ok {
				if p.Phase == sync.PhaseDone {
					done = true
				} else {
					m.Update(msg)
					if m.View() != "" && strings.Contains(m.View(), "Work") {
						sawRunning = true
					}
					cmd = r.Wait()
					continue
				}
			}
			cmd = m.Update(msg)
		}
	}
	if !sawRunning {
		t.Error("no progress shown while the run was going")
	}
	m.Update(ProgressMsg{sync.Progress{AccountID: a.ID, AccountName: "Work", Phase: sync.PhaseDone,
		Summary: sync.Summary{Pushed: 1}}})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "synced just now (↓0 ↑1)") {
		t.Fatalf("status %q", v)
	}
	if cal.created != 1 {
		t.Fatalf("background sync created %d events", cal.created)
	}
}

func TestStatusSegmentShowsProgressBarAndFailures(t *testing.T) {
	m := New(testCtx(t, nil), &Runner{events: make(chan tea.Msg, 1)})
	m.Update(ProgressMsg{sync.Progress{AccountID: "a", AccountName: "Work\x1b[2J", Phase: sync.PhasePush, Done: 30, Total: 120}})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "Work: writing [███░░░░░░░░░] pushed 30/120") || strings.Contains(v, "\x1b[2J") {
		t.Fatalf("progress %q", v)
	}
	m.Update(ProgressMsg{sync.Progress{AccountID: "a", AccountName: "Work", Phase: sync.PhasePull, Done: 2500,
		Summary: sync.Summary{Imported: 2400}}})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "reading calendar [███░░░░░░░░░] 2,500 events, 2,400 imported") {
		t.Fatalf("pull progress %q", v)
	}
	cmd := m.Update(ProgressMsg{sync.Progress{AccountID: "a", AccountName: "Work", Phase: sync.PhaseDone,
		Err: errors.New("google list events: AuthExpired")}})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "sync failed just now") {
		t.Fatalf("failure %q", v)
	}
	if cmd == nil {
		t.Fatal("no status command for a failed run")
	}
}

// One account's failure is not hidden by the next account's success: the status bar
// stays red with the failing account and its reason until that account syncs cleanly,
// and "!" opens Troubleshoot on it. A partial failure (read-only calendar) counts too,
// and so does a failure recorded before the app opened.
func TestStatusBarKeepsAFailedAccountRedUntilItSyncs(t *testing.T) {
	m := New(testCtx(t, nil), &Runner{events: make(chan tea.Msg, 8)})
	m.Update(OutcomesMsg{Outcomes: []sync.Outcome{{AccountID: "a", AccountName: "Work", State: sync.OutcomeOK}}})
	if m.ShowCause() != nil {
		t.Fatal("! acts although nothing failed")
	}
	m.Update(ProgressMsg{sync.Progress{AccountID: "a", AccountName: "Work", Phase: sync.PhaseDone,
		Summary: sync.Summary{Errors: 1, ErrorKind: map[string]int{"ReadOnly": 1}, FirstError: "403 requiredAccessLevel"}}})
	m.Update(ProgressMsg{sync.Progress{AccountID: "b", AccountName: "Personal", Phase: sync.PhaseDone,
		Summary: sync.Summary{Pushed: 1}}})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "✗ Work: sync partly failed just now: the calendar is read-only — ! why") || strings.Contains(v, "✓") {
		t.Fatalf("status %q", v)
	}
	cmd := m.ShowCause()
	if cmd == nil {
		t.Fatal("! does nothing on a failure")
	}
	if msg, ok := cmd().(common.TroubleshootAccountMsg); !ok || msg.AccountID != "a" || msg.Reason != "ReadOnly" {
		t.Fatalf("! sent %#v", cmd())
	}
	// A failure recorded earlier (cron) for another account shows as well; a stale load
	// does not undo what a run of this session said.
	m.Update(OutcomesMsg{Outcomes: []sync.Outcome{{AccountID: "a", State: sync.OutcomeOK},
		{AccountID: "c", AccountName: "Fastmail", State: sync.OutcomeFailed, Reason: "AuthExpired"}}})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "✗ Work: sync partly failed just now: the calendar is read-only (+1 more)") {
		t.Fatalf("status %q", v)
	}
	// Work syncs cleanly: the other failure remains; cancelled runs change nothing.
	m.Update(ProgressMsg{sync.Progress{AccountID: "a", AccountName: "Work", Phase: sync.PhaseDone, Summary: sync.Summary{}}})
	m.Update(ProgressMsg{sync.Progress{AccountID: "c", AccountName: "Fastmail", Phase: sync.PhaseDone,
		Summary: sync.Summary{Failed: true, Cancelled: true}, Err: context.Canceled}})
	m.Update(ProgressMsg{sync.Progress{AccountID: "a", AccountName: "Work", Phase: sync.PhaseDone,
		Summary: sync.Summary{Failed: true, Temporary: true, ErrorCode: sync.ReasonAlreadySyncing}, Err: sync.ErrAlreadySyncing}})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "✗ Fastmail: sync failed: the sign-in expired — ! why") {
		t.Fatalf("status %q", v)
	}
	m.Update(ProgressMsg{sync.Progress{AccountID: "c", AccountName: "Fastmail", Phase: sync.PhaseDone, Summary: sync.Summary{}}})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "✓ synced just now") || m.ShowCause() != nil {
		t.Fatalf("all clean again, status %q", v)
	}
}
