// Package ui is calsync's terminal app: a root model that routes between one screen per
// tab (Home, Activities, Accounts, Troubleshoot, Log), draws the tab bar, the status bar
// and the help line, and owns quitting. Screens live in their own packages under ui/ and
// talk to the root through the messages in ui/common (read its package comment to plug a
// new screen in).
package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/accounts"
	"github.com/calsync/calsync/ui/activities"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/home"
	"github.com/calsync/calsync/ui/logview"
	"github.com/calsync/calsync/ui/safetext"
	"github.com/calsync/calsync/ui/syncstatus"
	"github.com/calsync/calsync/ui/troubleshoot"
)

// screensFor builds one screen per tab, in tab order. To plug a real screen in, replace
// its placeholder here; nothing else in the root changes.
func screensFor(c *common.Context) []common.Screen {
	return []common.Screen{
		common.TabHome:         home.New(c),
		common.TabActivities:   activities.New(c),
		common.TabAccounts:     accounts.New(c, nil),
		common.TabTroubleshoot: troubleshoot.New(c),
		common.TabLog:          logview.New(c),
	}
}

// How long a status-bar line stays: errors need time to be read.
const (
	statusNoticeFor = 5 * time.Second
	statusErrorFor  = 12 * time.Second
)

// Model is the root of the app.
type Model struct {
	ctx     *common.Context
	screens []common.Screen
	active  int
	help    help.Model

	status    string
	statusErr bool
	statusGen int // a clear tick only clears the status it was armed for

	// sync runs the engine in the background (when main gave us one) and draws the
	// right-hand side of the status bar.
	sync   *syncstatus.Model
	runner *syncstatus.Runner // nil without an engine

	busy        map[string]bool
	confirmQuit bool
	fatal       error
	sized       bool
}

// Option adjusts the root at construction (tests pick the first tab, for instance).
type Option func(*Model)

// WithTab opens the app on tab (common.TabHome...).
func WithTab(tab int) Option {
	return func(m *Model) {
		if tab >= 0 && tab < len(m.screens) {
			m.active = tab
		}
	}
}

// WithScreens replaces the screens (tests; a package main wiring extra services).
func WithScreens(screens []common.Screen) Option {
	return func(m *Model) { m.screens = screens }
}

// New builds the root with the standard screens.
func New(c *common.Context, opts ...Option) *Model {
	h := help.New()
	h.Styles = c.Styles.Help
	m := &Model{ctx: c, screens: screensFor(c), help: h, busy: map[string]bool{}}
	var runner *syncstatus.Runner
	if eng, ok := c.Services.Engine.(*sync.Engine); ok && eng != nil {
		runner = syncstatus.NewRunner(eng)
	}
	m.sync, m.runner = syncstatus.New(c, runner), runner
	for _, o := range opts {
		o(m)
	}
	return m
}

// Stop ends the background sync (a run in flight is cancelled and rolls back). Call it
// after the program returned.
func (m *Model) Stop() {
	if m.runner != nil {
		m.runner.Stop()
	}
}

type clearStatusMsg struct{ gen int }

// Init starts every screen's first load and activates the first tab.
func (m *Model) Init() tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.screens)+2)
	for _, s := range m.screens {
		cmds = append(cmds, s.Init())
	}
	cmds = append(cmds, m.sync.Init(), m.sync.LoadOutcomes())
	cmds = append(cmds, func() tea.Msg { return activateMsg{} })
	return tea.Batch(cmds...)
}

// activateMsg delivers ActivatedMsg to the first tab after all Inits are queued.
type activateMsg struct{}

// Update routes a message: global keys and root messages here, other keys to the active
// screen, everything else to every screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ctx.Width, m.ctx.Height = msg.Width, msg.Height
		m.sized = true
		m.layout()
		return m, nil
	case tea.KeyMsg:
		// Keys typed faster than the terminal is read arrive as one message ("jjj"):
		// outside text fields each is a command of its own.
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !m.capturing() {
			cmds := make([]tea.Cmd, 0, len(msg.Runes))
			for _, r := range msg.Runes {
				_, cmd := m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
				cmds = append(cmds, cmd)
			}
			return m, tea.Batch(cmds...)
		}
		return m.handleKey(msg)
	case activateMsg:
		return m, m.forward(m.active, common.ActivatedMsg{})
	case common.StatusMsg:
		m.status, m.statusErr = safetext.Line(msg.Text), msg.Err
		m.statusGen++
		gen, d := m.statusGen, statusNoticeFor
		if msg.Err {
			d = statusErrorFor
		}
		return m, tea.Tick(d, func(time.Time) tea.Msg { return clearStatusMsg{gen} })
	case clearStatusMsg:
		if msg.gen == m.statusGen {
			m.status, m.statusErr = "", false
		}
		return m, nil
	case common.BusyMsg:
		if msg.Busy {
			m.busy[msg.Key] = true
		} else {
			delete(m.busy, msg.Key)
			if len(m.busy) == 0 && m.confirmQuit {
				// What we were waiting for is written: nothing is left to lose.
				m.confirmQuit = false
			}
		}
		return m, nil
	case common.SwitchTabMsg:
		return m, m.switchTo(msg.Tab)
	case common.TroubleshootActivityMsg, common.TroubleshootAccountMsg:
		return m, tea.Batch(m.switchTo(common.TabTroubleshoot), m.broadcast(msg))
	case common.StateChangedMsg:
		// Every screen, the active one or not: a list or form out of sight must not keep
		// (and later save) the state a fix just replaced.
		return m, m.broadcast(msg)
	case common.FatalMsg:
		m.fatal = msg.Err
		return m, nil
	case syncstatus.ProgressMsg, syncstatus.IdleMsg, syncstatus.OutcomesMsg:
		return m, m.sync.Update(msg)
	case common.ConfirmTimeShiftMsg:
		return m, m.sync.ConfirmTimeShift(msg.AccountID)
	}
	return m, m.broadcast(msg)
}

func (m *Model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.ctx.Keys
	if m.fatal != nil {
		if key.Matches(msg, k.Quit, k.ForceQuit) || msg.Type == tea.KeyEsc || msg.Type == tea.KeyEnter {
			return m, tea.Quit
		}
		return m, nil
	}
	if m.confirmQuit {
		switch {
		case msg.String() == "y" || msg.String() == "Y" || key.Matches(msg, k.ForceQuit):
			return m, tea.Quit
		case msg.String() == "n" || msg.String() == "N" || msg.Type == tea.KeyEsc || key.Matches(msg, k.Quit):
			m.confirmQuit = false
		}
		return m, nil
	}
	if key.Matches(msg, k.ForceQuit) {
		return m, m.quit()
	}
	if m.capturing() {
		return m, m.forward(m.active, msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m, m.quit()
	case key.Matches(msg, m.sync.Keys.SyncNow):
		return m, m.sync.SyncNow()
	case key.Matches(msg, m.sync.Keys.Cause):
		// The status bar shows a failed sync: "!" opens its cause on every tab. Without
		// one, the key is the screen's (Home has failures the status bar may not).
		if cmd := m.sync.ShowCause(); cmd != nil {
			return m, cmd
		}
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
		return m, nil
	case key.Matches(msg, k.NextTab):
		return m, m.switchTo((m.active + 1) % len(m.screens))
	case key.Matches(msg, k.PrevTab):
		return m, m.switchTo((m.active + len(m.screens) - 1) % len(m.screens))
	}
	for i, b := range k.Tabs {
		if i < len(m.screens) && key.Matches(msg, b) {
			return m, m.switchTo(i)
		}
	}
	cmd := m.forward(m.active, msg)
	if r, ok := m.screens[m.active].(common.TabRequester); ok {
		if tab, ok := r.RequestedTab(); ok {
			return m, tea.Batch(cmd, m.switchTo(tab))
		}
	}
	return m, cmd
}

// capturing reports whether the active screen takes typed text right now.
func (m *Model) capturing() bool {
	c, ok := m.screens[m.active].(common.InputCapturer)
	return ok && c.CapturingInput()
}

// quit leaves at once unless something is being written; then it asks.
func (m *Model) quit() tea.Cmd {
	if len(m.busy) > 0 || m.sync.Running() {
		m.confirmQuit = true
		return nil
	}
	return tea.Quit
}

func (m *Model) switchTo(tab int) tea.Cmd {
	if tab < 0 || tab >= len(m.screens) {
		return nil
	}
	if tab == m.active {
		return nil
	}
	m.active = tab
	m.layout()
	return m.forward(tab, common.ActivatedMsg{})
}

func (m *Model) forward(tab int, msg tea.Msg) tea.Cmd {
	next, cmd := m.screens[tab].Update(msg)
	if s, ok := next.(common.Screen); ok {
		m.screens[tab] = s
	}
	return cmd
}

func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for i := range m.screens {
		if c := m.forward(i, msg); c != nil {
			cmds = append(cmds, c)
		}
	}
	return tea.Batch(cmds...)
}

// Root chrome heights: the tab bar (a line and its rule) and the status bar.
const (
	tabBarHeight    = 2
	statusBarHeight = 1
)

// layout gives each screen the space left by the chrome. The help line grows when the
// full help is shown, so the screen shrinks instead of being pushed off the terminal.
func (m *Model) layout() {
	if !m.sized {
		return
	}
	m.help.Width = m.ctx.Width
	h := m.contentHeight()
	for _, s := range m.screens {
		s.SetSize(m.ctx.Width, h)
	}
}

func (m *Model) contentHeight() int {
	h := m.ctx.Height - tabBarHeight - statusBarHeight - lipgloss.Height(m.helpView())
	if h < 1 {
		h = 1
	}
	return h
}

// View draws tabs, the active screen, the status bar and help.
func (m *Model) View() string {
	if !m.sized {
		return ""
	}
	st := m.ctx.Styles
	if m.fatal != nil {
		body := st.Error.Render("calsync cannot continue") + "\n\n" +
			st.Text.Render(safetext.Clean(m.fatal.Error())) + "\n\n" +
			st.Muted.Render("Press q or enter to leave. Your data is untouched.")
		return lipgloss.Place(m.ctx.Width, m.ctx.Height, lipgloss.Center, lipgloss.Center,
			st.Dialog.Width(min(70, max(20, m.ctx.Width-4))).Render(body))
	}
	w, h := m.ctx.Width, m.contentHeight()
	var content string
	if m.confirmQuit {
		content = lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, m.quitDialog())
	} else {
		content = m.screens[m.active].View()
	}
	content = fitBlock(content, w, h)
	// Every line is cut to the terminal: one over-wide line would wrap and push the
	// status bar and help off the screen.
	help := m.helpView()
	return strings.Join([]string{m.tabBar(), content, m.statusBar(), fitBlock(help, w, lipgloss.Height(help))}, "\n")
}

func (m *Model) quitDialog() string {
	st := m.ctx.Styles
	var what []string
	for k := range m.busy {
		what = append(what, k)
	}
	sort.Strings(what)
	if m.sync.Running() {
		what = append(what, "a sync (it would be rolled back)")
	}
	body := st.Warn.Render("Still writing: "+strings.Join(what, ", ")) + "\n\n" +
		st.Text.Render("Quitting now may cut that off. Quit anyway?") + "\n\n" +
		st.Key.Render("y") + st.Muted.Render(" quit   ") + st.Key.Render("n") + st.Muted.Render(" stay")
	return st.Dialog.Render(body)
}

// tabBar draws the tab labels and, under them, a rule that is heavy under the active tab,
// so the active tab shows even without colours (NO_COLOR, ASCII terminals).
func (m *Model) tabBar() string {
	st := m.ctx.Styles
	labels := make([]string, len(m.screens))
	for i, s := range m.screens {
		labels[i] = fmt.Sprintf("%d %s", i+1, s.Title())
	}
	sep := "·"
	if wide := lipgloss.Width(strings.Join(labels, sep)) + 2*len(labels); wide > m.ctx.Width {
		// Narrow terminal: numbers only for the inactive tabs.
		for i := range labels {
			if i != m.active {
				labels[i] = fmt.Sprint(i + 1)
			}
		}
		sep = ""
	}
	var bar, rule strings.Builder
	for i, l := range labels {
		if i > 0 {
			bar.WriteString(st.Muted.Render(sep))
			rule.WriteString(st.TabRule.Render(strings.Repeat("─", lipgloss.Width(sep))))
		}
		cell := " " + l + " "
		if i == m.active {
			bar.WriteString(st.TabActive.Render(cell))
			rule.WriteString(st.TabRuleActive.Render(strings.Repeat("━", lipgloss.Width(cell))))
		} else {
			bar.WriteString(st.TabInactive.Render(cell))
			rule.WriteString(st.TabRule.Render(strings.Repeat("─", lipgloss.Width(cell))))
		}
	}
	if rest := m.ctx.Width - lipgloss.Width(rule.String()); rest > 0 {
		rule.WriteString(st.TabRule.Render(strings.Repeat("─", rest)))
	}
	return truncate(bar.String(), m.ctx.Width) + "\n" + truncate(rule.String(), m.ctx.Width)
}

func (m *Model) statusBar() string {
	st := m.ctx.Styles
	left := ""
	if m.status != "" {
		if m.statusErr {
			left = st.StatusError.Render("✗ " + m.status)
		} else {
			left = st.StatusInfo.Render(m.status)
		}
	}
	right := m.sync.View()
	if len(m.busy) > 0 {
		right = st.StatusBusy.Render("writing…")
	}
	gap := m.ctx.Width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return truncate(left, m.ctx.Width)
	}
	return left + strings.Repeat(" ", gap) + right
}

// helpView is the active screen's keys and the global ones. In the short form the global
// keys are drawn last but never cut: the screen's keys give way first.
func (m *Model) helpView() string {
	cause := m.sync.Keys.Cause
	_, failed := m.sync.Failed()
	cause.SetEnabled(failed)
	km := rootKeyMap{screen: m.screens[m.active], global: m.ctx.Keys, syncNow: m.sync.Keys.SyncNow, cause: cause}
	if m.help.ShowAll {
		return m.fullHelpView(km)
	}
	globalKeys := m.ctx.Keys.ShortHelp()
	if failed {
		globalKeys = append([]key.Binding{cause}, globalKeys...)
	}
	if m.capturing() {
		// While typing, q is a letter: only ctrl+c leaves.
		globalKeys = []key.Binding{m.ctx.Keys.ForceQuit}
	}
	global := m.help.ShortHelpView(globalKeys)
	screenKeys := m.screens[m.active].ShortHelp()
	if len(screenKeys) == 0 {
		return global
	}
	sep := m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator)
	h := m.help
	h.Width = max(1, m.ctx.Width-lipgloss.Width(global)-lipgloss.Width(sep))
	return h.ShortHelpView(screenKeys) + sep + global
}

// fullHelpView is the screen's columns and the global ones side by side when they fit.
// When they do not (Activities at 80 columns), the global keys move to a line of their
// own under the screen's columns, rather than being cut behind "…": how to switch tabs and
// quit must always be findable.
func (m *Model) fullHelpView(km rootKeyMap) string {
	wide := m.help
	wide.Width = 0 // no limit: measure the whole thing
	if all := wide.View(km); lipgloss.Width(all) <= m.ctx.Width {
		return all
	}
	g := m.ctx.Keys
	tabs := key.NewBinding(key.WithKeys("1", "2", "3", "4", "5"), key.WithHelp(fmt.Sprintf("1-%d", len(m.screens)), "tabs"))
	cycle := key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab/shift+tab", "cycle"))
	less := key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "fewer keys"))
	global := m.help.ShortHelpView([]key.Binding{tabs, cycle, less, g.Quit, km.syncNow})
	return m.help.FullHelpView(m.screens[m.active].FullHelp()) + "\n" + global
}

// rootKeyMap is the active screen's keys followed by the global ones.
type rootKeyMap struct {
	screen  common.Screen
	global  *common.GlobalKeys
	syncNow key.Binding
	cause   key.Binding // "!" while a sync failed
}

func (k rootKeyMap) ShortHelp() []key.Binding {
	return append(append([]key.Binding{}, k.screen.ShortHelp()...), k.global.ShortHelp()...)
}

func (k rootKeyMap) FullHelp() [][]key.Binding {
	global := k.global.FullHelp()
	global[len(global)-1] = append(global[len(global)-1], k.syncNow)
	if k.cause.Enabled() {
		global[len(global)-1] = append(global[len(global)-1], k.cause)
	}
	return append(append([][]key.Binding{}, k.screen.FullHelp()...), global...)
}

// fitBlock pads or cuts s to exactly h lines of at most w cells, so a screen that draws
// too much never pushes the status bar off the terminal.
func fitBlock(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = truncate(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return common.Truncate(s, w)
}
