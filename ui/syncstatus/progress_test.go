package syncstatus

import (
	"context"
	"fmt"
	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/common"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// clockModel is a status segment with a clock the test moves (NO_COLOR, no runner loop).
func clockModel(t *testing.T) (*Model, *time.Time) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	ctx := common.NewContext(nil, func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}, func() time.Time { return now })
	return New(ctx, &Runner{events: make(chan tea.Msg, 1)}), &now
}

func progress(phase string, done, total, pages int, s sync.Summary) ProgressMsg {
	return ProgressMsg{sync.Progress{AccountID: "a", AccountName: "Work", Phase: phase, Done: done, Total: total,
		Pages: pages, Summary: s}}
}

// A long push (a first export) shows a filled bar with thousands-separated counts that
// advances as events go out; the message is handled without waiting on anything.
func TestLongPushShowsBarWithCounts(t *testing.T) {
	m, _ := clockModel(t)
	m.Update(progress(sync.PhaseStart, 0, 0, 0, sync.Summary{}))
	if v := ansi.Strip(m.View()); v != "⟳ Work: syncing…" {
		t.Fatalf("start %q", v)
	}
	if cmd := m.Update(progress(sync.PhasePush, 120, 1000, 0, sync.Summary{Pushed: 120})); cmd == nil {
		t.Fatal("Update did not re-arm the wait")
	}
	v := ansi.Strip(m.View())
	if want := "⟳ Work: writing [█░░░░░░░░░░░] pushed 120/1,000"; v != want {
		t.Fatalf("got  %q\nwant %q", v, want)
	}
	m.Update(progress(sync.PhasePush, 750, 1000, 0, sync.Summary{Pushed: 750}))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "[█████████░░░] pushed 750/1,000") {
		t.Fatalf("bar did not advance: %q", v)
	}
	m.Update(progress(sync.PhaseDone, 1000, 0, 0, sync.Summary{Pushed: 1000}))
	if v := ansi.Strip(m.View()); strings.Contains(v, "[") || !strings.Contains(v, "synced just now (↓0 ↑1000)") {
		t.Fatalf("after the run %q", v)
	}
}

// A quick run keeps a plain count (no bar flickering in and out); once it has lasted
// more than a second it gets its bar even when small.
func TestQuickRunsGetNoBarUntilTheyLast(t *testing.T) {
	m, now := clockModel(t)
	m.Update(progress(sync.PhaseStart, 0, 0, 0, sync.Summary{}))
	m.Update(progress(sync.PhasePush, 5, 20, 0, sync.Summary{Pushed: 5}))
	if v := ansi.Strip(m.View()); v != "⟳ Work: writing… 5 pushed" {
		t.Fatalf("quick push %q", v)
	}
	*now = now.Add(1500 * time.Millisecond)
	m.Update(progress(sync.PhasePush, 10, 20, 0, sync.Summary{Pushed: 10}))
	if v := ansi.Strip(m.View()); v != "⟳ Work: writing [██████░░░░░░] pushed 10/20" {
		t.Fatalf("push lasting 1.5 s %q", v)
	}
	// The next run starts its own clock.
	m.Update(progress(sync.PhaseDone, 20, 0, 0, sync.Summary{Pushed: 20}))
	m.Update(progress(sync.PhasePull, 3, 0, 1, sync.Summary{Imported: 1}))
	if v := ansi.Strip(m.View()); v != "⟳ Work: reading calendar… 3 events, 1 imported" {
		t.Fatalf("quick pull %q", v)
	}
}

// A first import reads a listing of unknown size: the bar marches one step per page
// read, with events, pages and imports counted.
func TestLongPullMarchesWithCounts(t *testing.T) {
	m, now := clockModel(t)
	m.Update(progress(sync.PhaseStart, 0, 0, 0, sync.Summary{}))
	*now = now.Add(2 * time.Second)
	m.Update(progress(sync.PhasePull, 250, 0, 1, sync.Summary{Imported: 250}))
	v1 := ansi.Strip(m.View())
	if want := "⟳ Work: reading calendar [███░░░░░░░░░] 250 events, 250 imported (page 1)"; v1 != want {
		t.Fatalf("got  %q\nwant %q", v1, want)
	}
	m.Update(progress(sync.PhasePull, 2500, 0, 10, sync.Summary{Imported: 2400}))
	v2 := ansi.Strip(m.View())
	if want := "⟳ Work: reading calendar [░███░░░░░░░░] 2,500 events, 2,400 imported (page 10)"; v2 != want {
		t.Fatalf("got  %q\nwant %q", v2, want)
	}
	// Without colour the bar is still legible: filled and empty cells are different glyphs
	// and nothing but text is drawn.
	if raw := m.View(); raw != v2 {
		t.Fatalf("NO_COLOR view has escapes: %q", raw)
	}
}

func TestMarchingBouncesWithinItsWidth(t *testing.T) {
	seen := map[string]bool{}
	for step := 0; step < 40; step++ {
		b := Marching(step, 6)
		if len([]rune(b)) != 8 || strings.Count(b, "█") != 3 {
			t.Fatalf("step %d: %q", step, b)
		}
		seen[b] = true
	}
	if len(seen) != 4 || Marching(3, 6) != "[░░░███]" || Marching(4, 6) != "[░░███░]" {
		t.Fatalf("positions %v", seen)
	}
}

// On a narrow terminal the segment gives up words before counts, so the screen's own
// status message still has room.
func TestLongRunSegmentFitsTheTerminal(t *testing.T) {
	m, _ := clockModel(t)
	m.Update(progress(sync.PhasePull, 2500, 0, 10, sync.Summary{Imported: 2400}))
	for width, want := range map[int]string{
		0:   "⟳ Work: reading calendar [███░░░░░░░░░] 2,500 events, 2,400 imported (page 10)",
		200: "⟳ Work: reading calendar [███░░░░░░░░░] 2,500 events, 2,400 imported (page 10)",
		100: "⟳ Work: reading [███░░░░░░░░░] 2,500 events, 2,400 imported",
		80:  "⟳ [███░░░░░░░░░] 2,500 events, 2,400 imported",
	} {
		m.ctx.Width = width
		if v := ansi.Strip(m.View()); v != want {
			t.Errorf("width %d: %q, want %q", width, v, want)
		}
	}
	m.Update(progress(sync.PhasePush, 120, 1000, 0, sync.Summary{}))
	m.ctx.Width = 80
	if v := ansi.Strip(m.View()); v != "⟳ Work: writing [█░░░░░░░░░░░] pushed 120/1,000" {
		t.Errorf("push at 80 columns: %q", v)
	}
}

// pagedCalendar lists pages events, 60 to a page, the first time it is asked.
type pagedCalendar struct {
	emptyCalendar
	pages int
}

func (p *pagedCalendar) Changes(_ context.Context, _, cursor string, _ providers.Window) (providers.ChangePage, error) {
	n := 0
	if cursor != "" {
		n, _ = strconv.Atoi(cursor)
	}
	if n >= p.pages {
		return providers.ChangePage{Full: cursor == "", NextCursor: "done"}, nil
	}
	page := providers.ChangePage{Full: true, More: n+1 < p.pages, NextCursor: strconv.Itoa(n + 1)}
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	for i := 0; i < 60; i++ {
		page.Events = append(page.Events, providers.Event{RemoteID: fmt.Sprintf("ev-%d-%d", n, i), ETag: "e1",
			Subject: "Meeting", Start: start, End: start.Add(time.Hour)})
	}
	return page, nil
}

// A first import through the real runner and engine: the status bar shows the listing's
// progress with a bar and counts once it is a long run.
func TestFirstImportShowsProgressThroughTheRunner(t *testing.T) {
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

	cal := &pagedCalendar{pages: 4}
	eng := &sync.Engine{Store: st, Open: func(context.Context, store.Account) (providers.Provider, error) { return cal, nil }}
	r := NewRunner(eng)
	defer r.Stop()
	m := New(testCtx(t, st), r)
	cmd := m.Init()
	var views []string
	deadline := time.After(10 * time.Second)
	for {
		msgc := make(chan tea.Msg, 1)
		go func() { msgc <- cmd() }()
		var msg tea.Msg
		select {
		case <-deadline:
			t.Fatalf("no end of run; views %q", views)
		case msg = <-msgc:
		}
		cmd = m.Update(msg)
		if p, ok := msg.(ProgressMsg); ok {
			if p.Phase == sync.PhaseDone {
				break
			}
			views = append(views, ansi.Strip(m.View()))
		}
	}
	all := strings.Join(views, "\n")
	if !strings.Contains(all, "reading calendar… 60 events, 60 imported") ||
		!strings.Contains(all, "reading calendar [") || !strings.Contains(all, "240 events, 240 imported (page 4)") {
		t.Fatalf("progress shown during the import:\n%s", all)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "synced just now (↓240 ↑0)") {
		t.Fatalf("after the import %q", v)
	}
}
