package ui

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/common"
)

// openTeamStore: me (Ana) with calls and tasks, Bo with meetings, one hostile subject.
func openTeamStore(t *testing.T) *store.Store {
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
	me, err := store.EnsureMe(ctx, st.DB, "Ana", testNow)
	if err != nil {
		t.Fatal(err)
	}
	bo, err := store.CreateUser(ctx, st.DB, store.User{ID: "u-bo", Name: "Bo", CreatedAt: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var ins []store.ActivityInput
	add := func(owner string, typ store.ActivityType, subject string, start time.Time, d time.Duration) {
		ins = append(ins, store.ActivityInput{OwnerID: owner, Type: typ, Subject: subject, Start: start,
			TimeZone: "UTC", Duration: d})
	}
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 8; i++ {
		add(me.ID, store.TypeCall, fmt.Sprintf("Call customer %d about the renewal", i+1), day.Add(time.Duration(9+i*24)*time.Hour), 30*time.Minute)
	}
	for i := 0; i < 4; i++ {
		add(me.ID, store.TypeTask, fmt.Sprintf("Prepare offer %d", i+1), day.Add(time.Duration(14+i*48)*time.Hour), 0)
	}
	add(me.ID, store.TypeMeeting, "Quarterly review \x1b[2J\x1b]52;c;ZXZpbA==\x07with finance\a", day.Add(33*time.Hour), 90*time.Minute)
	for i := 0; i < 20; i++ {
		add(bo.ID, store.TypeMeeting, fmt.Sprintf("Bo's site visit %d", i+1), day.Add(time.Duration(10+i*12)*time.Hour), time.Hour)
	}
	if _, err := store.CreateActivities(ctx, st.DB, ins, testNow); err != nil {
		t.Fatal(err)
	}
	return st
}

func newApp(st *store.Store, opts ...Option) *Model {
	c := common.NewContext(st, func(string) string { return "" }, func() time.Time { return testNow })
	return New(c, opts...)
}

// settle runs the app's commands like the runtime would, until none is left; a command
// that does not answer within a moment is a timer (status clearing) and is dropped.
func settle(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 1000 {
			t.Fatal("commands keep coming")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		var msg tea.Msg
		select {
		case msg = <-ch:
		case <-time.After(time.Second): // long enough for a store read on a loaded machine
			continue
		}
		switch v := msg.(type) {
		case nil:
			continue
		case tea.BatchMsg:
			queue = append(queue, v...)
			continue
		case tea.QuitMsg:
			continue
		}
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			for i := 0; i < v.Len(); i++ {
				queue = append(queue, v.Index(i).Interface().(tea.Cmd))
			}
			continue
		}
		_, next := m.Update(msg)
		queue = append(queue, next)
	}
}

func openApp(t *testing.T, st *store.Store, w, h int, opts ...Option) *Model {
	t.Helper()
	m := newApp(st, opts...)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	settle(t, m, m.Init())
	return m
}

var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// stable replaces activity ids (random UUIDv7s) so golden files hold still.
func stable(view string) []byte {
	return []byte(uuidRe.ReplaceAllString(view, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"))
}

func TestGoldenHome80x24(t *testing.T) {
	m := openApp(t, openTeamStore(t), 80, 24)
	golden.RequireEqual(t, stable(m.View()))
}

func TestGoldenActivities80x24(t *testing.T) {
	m := openApp(t, openTeamStore(t), 80, 24, WithTab(common.TabActivities))
	golden.RequireEqual(t, stable(m.View()))
}

func TestGoldenActivitiesDetail80x24(t *testing.T) {
	m := openApp(t, openTeamStore(t), 80, 24, WithTab(common.TabActivities))
	for _, k := range []string{"j", "enter", "enter", "enter"} { // the pane toggles off and on again
		settle(t, m, press(m, k))
	}
	golden.RequireEqual(t, stable(m.View()))
}

func TestGoldenActivities200x50(t *testing.T) {
	m := openApp(t, openTeamStore(t), 200, 50, WithTab(common.TabActivities))
	settle(t, m, press(m, "o")) // everyone
	golden.RequireEqual(t, stable(m.View()))
}

func TestAppViewHasNoEscapesFromStoredText(t *testing.T) {
	m := openApp(t, openTeamStore(t), 200, 50, WithTab(common.TabActivities))
	for i := 0; i < 15; i++ {
		settle(t, m, press(m, "j"))
		if v := m.View(); strings.ContainsAny(v, "\x1b\a") {
			t.Fatalf("row %d: escape or bell in view: %q", i, v)
		}
	}
}

// The teatest flow of issue 3: open Activities, switch a type off, see the banner count
// change, reset with R, see the banner go.
func TestFlowTypeOffBannerReset(t *testing.T) {
	st := openTeamStore(t)
	tm := teatest.NewTestModel(t, newApp(st), teatest.WithInitialTermSize(100, 30))
	wait := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
			teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	}
	wait("1 Home")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2")})
	wait("Showing 13 of 33 — filters hide 20 (owner 20) · R resets filters")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("t")}) // focus the first type: call
	tm.Send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune(" ")})
	wait("Showing 5 of 33 — filters hide 28 (owner 20, type 8) · R resets filters")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("R")})
	wait("Showing all 33 activities")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	final := tm.FinalModel(t).(*Model)
	if v := final.View(); strings.Contains(v, "filters hide") {
		t.Fatalf("banner still there after R:\n%s", v)
	}
	// The reset is saved: the next start shows everything too.
	f, err := store.LoadListView(context.Background(), st.DB)
	if err != nil || len(f.Active()) != 0 {
		t.Fatalf("saved filter %+v (%v), want everything shown", f, err)
	}
}

// With an engine the root runs the background sync, ctrl+r asks for a run, and Stop ends it.
func TestAppWithEngineSyncsInBackground(t *testing.T) {
	st := openTeamStore(t)
	c := common.NewContext(st, func(string) string { return "" }, func() time.Time { return testNow })
	c.Services.Engine = sync.New(st)
	m := New(c)
	defer m.Stop()
	if m.runner == nil {
		t.Fatal("no runner although main gave an engine")
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	_ = m.Init() // starts the scheduler; its wait command is not run here
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlR})
	if msg, ok := cmd().(common.StatusMsg); !ok || msg.Text != "sync started" {
		t.Fatalf("ctrl+r: %#v", cmd())
	}
}

// Whatever the terminal size, every tab fills it exactly: the status bar and help never
// scroll off, nothing wraps past the right edge.
func TestEveryTabFitsEveryTerminalSize(t *testing.T) {
	st := openTeamStore(t)
	m := openApp(t, st, 80, 24)
	for tab := 0; tab < common.TabCount; tab++ {
		settle(t, m, press(m, fmt.Sprint(tab+1)))
		for _, size := range [][2]int{{20, 6}, {40, 12}, {80, 24}, {200, 50}, {80, 24}} {
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			v := m.View()
			if h := strings.Count(v, "\n") + 1; h != size[1] {
				t.Errorf("tab %d at %v: %d lines", tab+1, size, h)
			}
			for i, line := range strings.Split(v, "\n") {
				if w := lipgloss.Width(line); w > size[0] {
					t.Errorf("tab %d at %v: line %d is %d wide: %q", tab+1, size, i, w, line)
					break
				}
			}
		}
	}
}

// "a" on Home goes to Activities and "a" there adds: typed faster than the terminal is
// read, the second "a" must reach Activities (it went to Home and was lost), whether the
// two arrive as one message or two.
func TestFastKeysAfterHomeSwitchReachTheNewTab(t *testing.T) {
	for _, split := range []bool{false, true} {
		m := openApp(t, openTeamStore(t), 80, 24)
		// Nothing is settled between or after the keys: that is the point. (The form's
		// cursor blinks for ever, so its commands are not run at all.)
		if split {
			m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a")})
			m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a")})
		} else {
			m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("aa")})
		}
		if m.active != common.TabActivities || !strings.Contains(m.View(), "New activity") {
			t.Fatalf("split %v: tab %d, view:\n%s", split, m.active, m.View())
		}
	}
}

// The Accounts list's keys all fit the help line at 80 columns (remove and stop were cut
// off behind "…"), and s says what it will do for the selected account.
func TestAccountsHelpFitsEightyColumns(t *testing.T) {
	st := openTeamStore(t)
	if _, err := store.CreateAccount(context.Background(), st.DB, store.Account{Kind: "caldav", Name: "Home",
		Login: "pat", State: store.AccountDisabled}); err != nil {
		t.Fatal(err)
	}
	m := openApp(t, st, 80, 24, WithTab(common.TabAccounts))
	lines := strings.Split(m.View(), "\n")
	help := lines[len(lines)-1]
	for _, want := range []string{"a add", "e settings", "r reconnect", "s resume", "x remove", "q quit"} {
		if !strings.Contains(help, want) {
			t.Errorf("help line lacks %q: %q", want, help)
		}
	}
}

// The full help of a screen with many keys (Activities) at 80 columns keeps the global
// keys: they go on a line of their own instead of being cut behind "…".
func TestFullHelpKeepsGlobalKeysAtEightyColumns(t *testing.T) {
	m := openApp(t, openTeamStore(t), 80, 24, WithTab(common.TabActivities))
	settle(t, m, press(m, "?"))
	v := m.View()
	lines := strings.Split(v, "\n")
	if len(lines) != 24 {
		t.Fatalf("view is %d lines, the terminal 24", len(lines))
	}
	help := strings.Join(lines[len(lines)-9:], "\n")
	for _, want := range []string{"1-5 tabs", "tab/shift+tab cycle", "q quit", "ctrl+r sync now", "d     delete"} {
		if !strings.Contains(help, want) {
			t.Errorf("full help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "…") {
		t.Errorf("full help cut:\n%s", help)
	}
}
