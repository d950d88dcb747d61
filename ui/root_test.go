package ui

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/syncstatus"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// stubScreen records what the root sends it.
type stubScreen struct {
	title     string
	w, h      int
	keys      []string
	others    []tea.Msg
	activated int
	capturing bool
}

func (s *stubScreen) Init() tea.Cmd { return nil }
func (s *stubScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		s.keys = append(s.keys, msg.String())
	case common.ActivatedMsg:
		s.activated++
	default:
		s.others = append(s.others, msg)
	}
	return s, nil
}
func (s *stubScreen) View() string     { return "screen " + s.title }
func (s *stubScreen) SetSize(w, h int) { s.w, s.h = w, h }
func (s *stubScreen) ShortHelp() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "do x"))}
}
func (s *stubScreen) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
func (s *stubScreen) Title() string             { return s.title }
func (s *stubScreen) CapturingInput() bool      { return s.capturing }

func newStubRoot(t *testing.T, w, h int) (*Model, []*stubScreen) {
	t.Helper()
	c := common.NewContext(nil, func(string) string { return "" }, func() time.Time { return testNow })
	stubs := make([]*stubScreen, common.TabCount)
	screens := make([]common.Screen, common.TabCount)
	for i := range stubs {
		stubs[i] = &stubScreen{title: common.TabTitles[i]}
		screens[i] = stubs[i]
	}
	m := New(c, WithScreens(screens))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m, stubs
}

func press(m *Model, k string) tea.Cmd {
	var msg tea.KeyMsg
	switch k {
	case "tab":
		msg = tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		msg = tea.KeyMsg{Type: tea.KeyShiftTab}
	case "ctrl+c":
		msg = tea.KeyMsg{Type: tea.KeyCtrlC}
	case "esc":
		msg = tea.KeyMsg{Type: tea.KeyEsc}
	case "enter":
		msg = tea.KeyMsg{Type: tea.KeyEnter}
	default:
		msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
	}
	_, cmd := m.Update(msg)
	return cmd
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestNumberKeysAndTabCycleScreens(t *testing.T) {
	m, stubs := newStubRoot(t, 80, 24)
	for _, c := range []struct {
		key  string
		want int
	}{{"2", 1}, {"5", 4}, {"tab", 0}, {"shift+tab", 4}, {"shift+tab", 3}, {"1", 0}} {
		press(m, c.key)
		if m.active != c.want {
			t.Fatalf("after %s: tab %d, want %d", c.key, m.active, c.want)
		}
	}
	if stubs[1].activated != 1 || stubs[4].activated != 2 {
		t.Fatalf("screens should hear they became active: %d %d", stubs[1].activated, stubs[4].activated)
	}
	press(m, "x")
	if len(stubs[0].keys) != 1 || len(stubs[1].keys) != 0 {
		t.Fatal("screen keys go to the active screen only")
	}
	if !strings.Contains(m.View(), "screen Home") {
		t.Fatal("active screen not drawn")
	}
}

func TestCapturingScreenGetsTypedKeys(t *testing.T) {
	m, stubs := newStubRoot(t, 80, 24)
	stubs[0].capturing = true
	for _, k := range []string{"q", "2", "?", "tab"} {
		if cmd := press(m, k); isQuit(cmd) {
			t.Fatalf("%q quit while typing", k)
		}
	}
	if m.active != 0 || strings.Join(stubs[0].keys, ",") != "q,2,?,tab" {
		t.Fatalf("active %d keys %v", m.active, stubs[0].keys)
	}
	if !isQuit(press(m, "ctrl+c")) {
		t.Fatal("ctrl+c must always quit")
	}
}

func TestQuitAsksOnlyWhileWriting(t *testing.T) {
	m, _ := newStubRoot(t, 80, 24)
	m.Update(common.BusyMsg{Key: "activity change", Busy: true})
	if isQuit(press(m, "q")) {
		t.Fatal("q quit while writing")
	}
	if v := m.View(); !strings.Contains(v, "Still writing: activity change") || !strings.Contains(v, "Quit anyway?") {
		t.Fatalf("no confirmation drawn:\n%s", v)
	}
	press(m, "n")
	if m.confirmQuit {
		t.Fatal("n should cancel")
	}
	press(m, "q")
	if !isQuit(press(m, "y")) {
		t.Fatal("y should quit")
	}
	m2, _ := newStubRoot(t, 80, 24)
	m2.Update(common.BusyMsg{Key: "sync", Busy: true})
	press(m2, "q")
	m2.Update(common.BusyMsg{Key: "sync", Busy: false})
	if m2.confirmQuit {
		t.Fatal("the question should go once nothing is being written")
	}
	if !isQuit(press(m2, "q")) {
		t.Fatal("q should quit at once when nothing is being written")
	}
}

func TestResizeAndHelpGiveScreensTheRest(t *testing.T) {
	m, stubs := newStubRoot(t, 80, 24)
	if stubs[0].w != 80 || stubs[0].h != 24-2-1-1 {
		t.Fatalf("screen size %dx%d", stubs[0].w, stubs[0].h)
	}
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
	if stubs[3].w != 200 || stubs[3].h != 50-4 {
		t.Fatalf("after resize %dx%d", stubs[3].w, stubs[3].h)
	}
	press(m, "?")
	if stubs[0].h >= 46 {
		t.Fatalf("full help should take room from the screen, got %d", stubs[0].h)
	}
	for _, size := range [][2]int{{80, 24}, {200, 50}, {40, 12}} {
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		v := m.View()
		if got := lipgloss.Height(v); got != size[1] {
			t.Fatalf("%v: view is %d lines", size, got)
		}
		if got := lipgloss.Width(v); got > size[0] {
			t.Fatalf("%v: view is %d wide", size, got)
		}
	}
}

func TestRootMessages(t *testing.T) {
	m, stubs := newStubRoot(t, 80, 24)
	m.Update(common.TroubleshootActivityMsg{ActivityID: "abc"})
	if m.active != common.TabTroubleshoot {
		t.Fatal("troubleshoot request should open Troubleshoot")
	}
	found := false
	for _, msg := range stubs[common.TabTroubleshoot].others {
		if tm, ok := msg.(common.TroubleshootActivityMsg); ok && tm.ActivityID == "abc" {
			found = true
		}
	}
	if !found {
		t.Fatal("Troubleshoot did not get the activity id")
	}
	m.Update(common.SwitchTabMsg{Tab: common.TabActivities})
	if m.active != common.TabActivities {
		t.Fatal("switch tab")
	}
	m.Update(common.StatusMsg{Text: "Saved \x1b[2J“x”", Err: false})
	if v := m.View(); !strings.Contains(v, "Saved “x”") || strings.Contains(v, "\x1b") {
		t.Fatalf("status bar:\n%q", v)
	}
	gen := m.statusGen
	m.Update(clearStatusMsg{gen: gen - 1})
	if m.status == "" {
		t.Fatal("an old clear tick must not clear a newer status")
	}
	m.Update(clearStatusMsg{gen: gen})
	if m.status != "" {
		t.Fatal("status should clear")
	}
	type other struct{}
	m.Update(other{})
	for i, s := range stubs {
		if len(s.others) == 0 || s.others[len(s.others)-1] != (other{}) {
			t.Fatalf("screen %d did not get the broadcast", i)
		}
	}
	m.Update(common.FatalMsg{Err: errTest("database is gone")})
	if v := m.View(); !strings.Contains(v, "calsync cannot continue") || !strings.Contains(v, "database is gone") {
		t.Fatalf("fatal view:\n%s", v)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestNoColorStyles(t *testing.T) {
	s := common.NewStyles(common.DefaultTheme(common.NoColorRequested(func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	})))
	if !s.Theme.NoColor {
		t.Fatal("NO_COLOR not honoured")
	}
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(termenv.TrueColor)
	for name, st := range map[string]lipgloss.Style{"selected": s.Selected, "tab": s.TabActive, "error": s.Error, "banner": s.Banner} {
		out := st.Renderer(r).Render("x")
		if strings.Contains(out, "38;2") || strings.Contains(out, "48;2") {
			t.Fatalf("%s has a colour under NO_COLOR: %q", name, out)
		}
	}
	if !s.Selected.GetReverse() {
		t.Fatal("without colour the cursor row needs reverse video")
	}
	colour := common.NewStyles(common.DefaultTheme(false))
	if out := colour.Error.Renderer(r).Render("x"); !strings.Contains(out, "38;2") {
		t.Fatalf("with colours the error style should be coloured: %q", out)
	}
}

// Golden: the full help lists the screen's keys, the tabs and the global keys.
func TestGoldenFullHelp(t *testing.T) {
	m, _ := newStubRoot(t, 80, 24)
	press(m, "?")
	golden.RequireEqual(t, []byte(m.View()))
}

// The background sync shows in the status bar, and quitting while it runs asks first.
func TestSyncStatusInStatusBarAndQuit(t *testing.T) {
	m, _ := newStubRoot(t, 80, 24)
	m.Update(syncstatus.ProgressMsg{Progress: sync.Progress{AccountID: "a1", AccountName: "Work", Phase: sync.PhasePull, Done: 3}})
	if v := m.View(); !strings.Contains(v, "⟳ Work: reading calendar… 3 events") {
		t.Fatalf("running sync not shown:\n%s", v)
	}
	if isQuit(press(m, "q")) || !strings.Contains(m.View(), "a sync (it would be rolled back)") {
		t.Fatalf("q during a sync should ask:\n%s", m.View())
	}
	press(m, "n")
	m.Update(syncstatus.ProgressMsg{Progress: sync.Progress{AccountID: "a1", AccountName: "Work", Phase: sync.PhaseDone,
		Summary: sync.Summary{Pulled: 2, Pushed: 5}}})
	if v := m.View(); !strings.Contains(v, "✓ synced") || !strings.Contains(v, "↓2 ↑5") {
		t.Fatalf("finished sync not shown:\n%s", v)
	}
	if !isQuit(press(m, "q")) {
		t.Fatal("q after the sync finished should quit at once")
	}
	// Without an engine, ctrl+r says sync is not available instead of failing.
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlR})
	if msg, ok := cmd().(common.StatusMsg); !ok || !strings.Contains(msg.Text, "not available") {
		t.Fatalf("sync now without engine: %#v", cmd())
	}
}

// Keys typed fast arrive as one message; outside text fields each must count.
func TestFastTypedKeysAreSplitOutsideTextFields(t *testing.T) {
	m, stubs := newStubRoot(t, 80, 24)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("xx2")})
	if strings.Join(stubs[0].keys, ",") != "x,x" || m.active != 1 {
		t.Fatalf("keys %v, tab %d", stubs[0].keys, m.active)
	}
	stubs[1].capturing = true
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q1")})
	if strings.Join(stubs[1].keys, ",") != "q1" || m.active != 1 {
		t.Fatalf("typed text should reach the field whole: %v", stubs[1].keys)
	}
}

// A failed sync shows in red in the status bar on every tab with the account and its
// reason; "!" (global while a sync failed, listed in the help) opens Troubleshoot on
// that account through the root. Without a failure "!" is the screen's own key.
func TestFailedSyncInStatusBarOpensItsCause(t *testing.T) {
	m, stubs := newStubRoot(t, 120, 24)
	press(m, "2")
	press(m, "!")
	if got := stubs[common.TabActivities].keys; len(got) != 1 || got[0] != "!" {
		t.Fatalf("without a failure ! belongs to the screen; it got %q", got)
	}
	m.Update(syncstatus.ProgressMsg{Progress: sync.Progress{AccountID: "a1", AccountName: "Work", Phase: sync.PhaseDone,
		Summary: sync.Summary{Failed: true, Errors: 1, ErrorCode: "NotFound", Error: "google list events: NotFound (HTTP 404)"},
		Err:     errTest("google list events: NotFound (HTTP 404)")}})
	m.Update(syncstatus.ProgressMsg{Progress: sync.Progress{AccountID: "a2", AccountName: "Personal", Phase: sync.PhaseDone,
		Summary: sync.Summary{Pushed: 1}}})
	v := m.View()
	if !strings.Contains(v, "✗ Work: sync failed just now: the calendar is gone (not found) — ! why") || strings.Contains(v, "✓ synced") {
		t.Fatalf("status bar after one account failed and the next succeeded:\n%s", v)
	}
	if !strings.Contains(v, "! why sync failed") {
		t.Fatalf("help does not offer !:\n%s", v)
	}
	cmd := press(m, "!")
	if cmd == nil {
		t.Fatal("! did nothing")
	}
	msg := cmd()
	m.Update(msg)
	if m.active != common.TabTroubleshoot {
		t.Fatalf("! did not open Troubleshoot (tab %d)", m.active)
	}
	found := false
	for _, o := range stubs[common.TabTroubleshoot].others {
		if tm, ok := o.(common.TroubleshootAccountMsg); ok && tm.AccountID == "a1" && tm.Reason == "NotFound" {
			found = true
		}
	}
	if !found {
		t.Fatalf("Troubleshoot did not get the account: %#v", stubs[common.TabTroubleshoot].others)
	}
	if got := stubs[common.TabActivities].keys; len(got) != 1 {
		t.Fatalf("the second ! reached the screen too: %q", got)
	}
}
