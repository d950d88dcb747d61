package activities

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

// A shared 100,000-activity store: building it takes seconds, so benchmarks share one.
var (
	bigOnce  sync.Once
	bigStore *store.Store
	bigErr   error
)

func big100k(b *testing.B) *store.Store {
	b.Helper()
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "calsync-ui-bench")
		if err != nil {
			bigErr = err
			return
		}
		ctx := context.Background()
		st, err := store.Open(ctx, dir)
		if err != nil {
			bigErr = err
			return
		}
		bigStore = st
		if bigErr = store.SetUserTimeZone(ctx, st.DB, "Europe/Berlin"); bigErr != nil {
			return
		}
		me, err := store.EnsureMe(ctx, st.DB, "Ana", testNow)
		if err != nil {
			bigErr = err
			return
		}
		owners := []string{me.ID}
		for _, n := range []string{"Bo", "Chloé", "Dev"} {
			u, err := store.CreateUser(ctx, st.DB, store.User{Name: n, CreatedAt: testNow})
			if err != nil {
				bigErr = err
				return
			}
			owners = append(owners, u.ID)
		}
		rng := rand.New(rand.NewSource(1))
		ins := make([]store.ActivityInput, 100_000)
		for i := range ins {
			start := testNow.Add(time.Duration(rng.Intn(2*365*24)-365*24) * time.Hour)
			ins[i] = store.ActivityInput{OwnerID: owners[rng.Intn(len(owners))], Type: store.AllTypes[rng.Intn(6)],
				Subject: fmt.Sprintf("Follow-up %d with Müller GmbH about the renewal", i), Start: start,
				TimeZone: "Europe/Berlin", Duration: time.Duration(rng.Intn(8)) * 15 * time.Minute,
				Done: start.Before(testNow) && rng.Intn(3) > 0, Location: "Room " + fmt.Sprint(rng.Intn(20))}
		}
		_, bigErr = store.CreateActivities(ctx, st.DB, ins, testNow)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigStore
}

// benchScreen is the Activities screen at 200x50 on the big store, start-up done.
func benchScreen(b *testing.B) *Model {
	st := big100k(b)
	m := New(testContext(st))
	m.SetSize(200, 46)
	m.Update(m.setupCmd()())
	m.filter = store.DefaultListFilter()
	m.Update(m.queryCmd()())
	if m.shown == 0 || m.total != 100_000 {
		b.Fatalf("shown %d of %d", m.shown, m.total)
	}
	return m
}

// run executes cmd and feeds its answer back, as the runtime does (saves included).
func runCmds(m *Model, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			for i := 0; i < v.Len(); i++ { // tea.Sequence
				queue = append(queue, v.Index(i).Interface().(tea.Cmd))
			}
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case common.BusyMsg, common.StatusMsg, common.DataChangedMsg:
		case pageMsg, savedViewMsg, slideMsg, writeMsg:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// Opening the list: one windowed query with the hidden-by counts, and the first render.
func BenchmarkOpenList100k(b *testing.B) {
	m := benchScreen(b)
	b.ReportAllocs()
	for b.Loop() {
		m.cache = newRowCache() // a first render, nothing cached
		m.Update(m.queryCmd()())
		_ = m.View()
	}
	b.ReportMetric(float64(len(m.rows)), "rows-held")
}

// Toggling a type filter: the query, the saved view and the render.
func BenchmarkToggleType100k(b *testing.B) {
	m := benchScreen(b)
	m.focus, m.filterPos = focusFilters, filterFirstType
	b.ReportAllocs()
	for b.Loop() {
		runCmds(m, m.toggleFilter(filterFirstType))
		_ = m.View()
	}
	b.ReportMetric(float64(len(m.rows)), "rows-held")
}

// Moving the cursor down, one row per op, from the middle of the list: most moves render
// from memory, every third of a screen a new window is read (at a deep OFFSET). Reports
// the 99th percentile and the slowest single move too (on a shared machine the maximum
// includes other processes' noise).
func BenchmarkCursorDown100k(b *testing.B) {
	m := benchScreen(b)
	mid := m.shown / 2
	m.cursor, m.top = mid, mid
	runCmds(m, m.ensureWindow())
	b.ReportAllocs()
	down := keyMsg("down")
	var took []time.Duration
	for b.Loop() {
		if m.cursor >= m.shown-1 {
			m.cursor, m.top = mid, mid
			runCmds(m, m.ensureWindow())
		}
		t0 := time.Now()
		_, cmd := m.Update(down)
		runCmds(m, cmd)
		_ = m.View()
		took = append(took, time.Since(t0))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(len(m.rows)), "rows-held")
	b.ReportMetric(float64(m.cache.len()), "rows-cached")
}

// One cursor move without any store read: what the person waits for on a key press,
// since window reads run in a Cmd after the move is drawn.
func BenchmarkCursorDownRenderOnly100k(b *testing.B) {
	m := benchScreen(b)
	b.ReportAllocs()
	down, up := keyMsg("down"), keyMsg("up")
	i := 0
	for b.Loop() {
		k := down
		if i++; (i/20)%2 == 1 {
			k = up
		}
		m.Update(k) // the window read it may ask for is not run
		_ = m.View()
	}
}

// Page down: every move needs a new window.
func BenchmarkPageDown100k(b *testing.B) {
	m := benchScreen(b)
	b.ReportAllocs()
	pg := keyMsg("pgdown")
	for b.Loop() {
		if m.cursor >= m.shown-1 {
			m.cursor, m.top = 0, 0
			runCmds(m, m.ensureWindow())
		}
		_, cmd := m.Update(pg)
		runCmds(m, cmd)
		_ = m.View()
	}
	b.ReportMetric(float64(len(m.rows)), "rows-held")
}

// Jumping to the last row: the deepest OFFSET the store has to walk.
func BenchmarkJumpToEnd100k(b *testing.B) {
	m := benchScreen(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer() // back to the top first, untimed
		m.cursor, m.top = 0, 0
		runCmds(m, m.ensureWindow())
		b.StartTimer()
		_, cmd := m.Update(keyMsg("end"))
		runCmds(m, cmd)
		_ = m.View()
	}
}

// Marking an activity done deep in the list (the middle of 100,000): the write, then the
// reload of counts and window.
func BenchmarkToggleDoneDeep100k(b *testing.B) {
	m := benchScreen(b)
	m.filter.Status = store.StatusAll // the row stays in the list, done or not
	runCmds(m, m.queryCmd())
	mid := m.shown / 2
	m.cursor, m.top = mid, mid
	runCmds(m, m.queryCmd())
	b.ReportAllocs()
	for b.Loop() {
		_, cmd := m.Update(keyMsg("space"))
		runCmds(m, cmd)
		_ = m.View()
	}
	if m.winOffset > mid || m.winOffset+len(m.rows) < mid {
		b.Fatalf("window %d+%d lost the cursor %d", m.winOffset, len(m.rows), mid)
	}
}
