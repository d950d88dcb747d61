// Package common is the contract between calsync's root model (package ui) and every
// screen under ui/: the shared Context (size, styles, keys, services, clock), the Screen
// interface, the Styles built from one theme, and the messages screens send the root.
//
// # How a screen plugs in
//
//  1. Write a package ui/NAME with a constructor that takes the shared context:
//
//     func New(ctx *common.Context) *Model
//
//     and make *Model satisfy common.Screen (tea.Model + SetSize + ShortHelp + FullHelp +
//     Title). Update must return the same *Model (the root type-asserts it back to Screen).
//
//  2. The root holds one Screen per tab, in tab order (see the Tab constants), built in
//     ui/root.go, func screensFor: one line per tab, e.g. `common.TabLog: logview.New(c)`.
//     Nothing else in the root changes when a screen is replaced.
//
//  3. Routing rules the root follows:
//     - Init() of every screen runs once at start-up; keep it cheap (return a load Cmd).
//     - Key messages go to the active screen only, after the global keys (1-5, tab,
//     shift+tab, ?, q, ctrl+c, ctrl+r sync now). A screen that is typing into a text
//     field, or shows a form or a y/n question, implements InputCapturer and returns
//     true: then only ctrl+c stays global. Outside text fields, several letters typed
//     faster than the terminal is read ("jjj") arrive one key at a time.
//     - Every other message goes to every screen (your own result messages,
//     DataChangedMsg, TroubleshootActivityMsg...), so a result that arrives after the
//     person switched tabs still lands. The root keeps to itself the window size (it calls
//     SetSize instead), StatusMsg, BusyMsg, SwitchTabMsg and FatalMsg. Use your own unexported message types, tagged with a generation
//     number, and drop stale ones.
//     - When a tab becomes active its screen gets ActivatedMsg (refresh cheap data there).
//     - SetSize(w, h) gives the space below the tab bar and above the status/help lines.
//
//  4. Talk to the root with messages (return them from a tea.Cmd, e.g. common.Status(...)):
//     StatusMsg (status bar text, errors clear after a while), BusyMsg (something is being
//     written; q asks before quitting while any is busy), SwitchTabMsg, TroubleshootActivityMsg
//     (open Troubleshoot for one activity), DataChangedMsg (activities/accounts changed:
//     other screens reload), StateChangedMsg (saved filters, settings or accounts changed:
//     screens showing them reload and never save an older copy over them), FatalMsg (the
//     root shows an error view).
//
//  5. Never block in Update: all I/O runs in a tea.Cmd that copies what it needs first and
//     returns a typed message. Draw nothing from the store or a provider without passing it
//     through ui/safetext. Take colours only from ctx.Styles.
package common

import (
	"io"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/store"
)

// Context is shared by the root and every screen. The root owns it and updates Width and
// Height on resize; screens read it, never replace it.
type Context struct {
	Width, Height int // whole terminal
	Styles        *Styles
	Keys          *GlobalKeys
	Services      Services
	Now           func() time.Time
	// Getenv is the environment the app was started with (package main's, which demo
	// mode extends with its fakes' addresses and OAuth clients); never nil.
	Getenv func(string) string
	// Terminal is where escape sequences that bypass the frame go (an OSC 52 clipboard
	// copy): the program's output. nil means os.Stdout.
	Terminal io.Writer
}

// Services are the back ends screens call from their tea.Cmds. It is a struct of fields so
// that packages can add typed fields additively (filled by package main) without breaking
// anyone.
type Services struct {
	Store *store.Store
	// Engine is the *sync.Engine main built (the root runs it in the background through
	// ui/syncstatus); Doctor is a *doctor.Env when main provides one (ui/troubleshoot
	// builds its own otherwise). Typed as any so common stays free of those packages.
	Engine any
	Doctor any
}

// Screen is one tab of the app.
type Screen interface {
	tea.Model
	// SetSize is the space the screen may draw in (below the tabs, above status and help).
	SetSize(width, height int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Title is the tab's label without its number ("Activities").
	Title() string
}

// InputCapturer is implemented by screens that sometimes take free text (a search field,
// a form). While CapturingInput is true the root passes every key except ctrl+c to the
// screen, so typing "q" or "2" into a field does not quit or switch tabs.
type InputCapturer interface {
	CapturingInput() bool
}

// TabRequester is implemented by screens whose keys lead to another tab (Home's "a" to
// Activities). The root asks right after each key it forwards, and switches before the
// next key is read: with SwitchTab, a Cmd, keys typed quickly after it ("a" then "a" to
// add an activity) would still reach the old tab. RequestedTab returns the tab once and
// forgets it.
type TabRequester interface {
	RequestedTab() (tab int, ok bool)
}

// Tabs in display order; the index is the tab's number minus one.
const (
	TabHome = iota
	TabActivities
	TabAccounts
	TabTroubleshoot
	TabLog
	TabCount
)

// StatusMsg puts a line in the status bar. Errors stay longer than notices; both clear
// on a timer.
type StatusMsg struct {
	Text string
	Err  bool
}

// BusyMsg says a screen started (Busy true) or finished (Busy false) writing something
// that must not be cut off (a store transaction, a sync run). Key identifies the work so
// that overlapping jobs are counted separately. While any key is busy, q asks first.
type BusyMsg struct {
	Key  string
	Busy bool
}

// SwitchTabMsg makes Tab (TabHome...TabLog) the active tab.
type SwitchTabMsg struct{ Tab int }

// TroubleshootActivityMsg asks the Troubleshoot screen to investigate one activity
// ("why isn't this in my calendar?"). The root switches to Troubleshoot and forwards it.
type TroubleshootActivityMsg struct{ ActivityID string }

// ActivatedMsg is sent to a screen when its tab becomes the active one.
type ActivatedMsg struct{}

// DataChangedMsg says something in the store changed (an activity was added, edited or
// deleted, a sync finished). Screens that show counts or lists reload.
type DataChangedMsg struct {
	// Source is the screen's Title, so it can ignore its own change if it already reloaded.
	Source string
}

// Changed says which kinds of saved state a change touched. Screens that show or edit
// one of them reload it; kinds are bits, so one change can name several.
type Changed uint

const (
	// ChangedFilters is the activity list's saved filter (owner, types, status...).
	ChangedFilters Changed = 1 << iota
	// ChangedSettings is an account's sync settings (direction, calendar, types...).
	ChangedSettings
	// ChangedAccounts is the accounts themselves: state, sign-in, password, last error.
	ChangedAccounts
	// ChangedActivities is the activities or their links (a merge, a resync).
	ChangedActivities
	// ChangedTimeZone is the CRM's time zone, in which the list shows times.
	ChangedTimeZone

	// ChangedEverything is for a change whose reach is not known: every screen reloads.
	ChangedEverything = ChangedFilters | ChangedSettings | ChangedAccounts | ChangedActivities | ChangedTimeZone
)

// Has reports whether c includes any of kinds.
func (c Changed) Has(kinds Changed) bool { return c&kinds != 0 }

// StateChangedMsg says saved state shown on other screens changed (a Troubleshoot fix or
// its undo, settings saved from the Accounts tab, the list's filter saved). The root sends
// it to every screen: a screen showing that state reloads it, and a screen editing it must
// not save its older copy over it (it reloads first, or refuses the save and says why).
type StateChangedMsg struct {
	What Changed
	// AccountID is the one account whose settings or state changed; "" means any.
	AccountID string
	// Source is the screen's Title ("Troubleshoot"), so it can ignore its own change.
	Source string
}

// About reports whether the change may concern accountID ("" asks about any account).
func (m StateChangedMsg) About(accountID string) bool {
	return m.AccountID == "" || accountID == "" || m.AccountID == accountID
}

// FatalMsg switches the root to an error view: the app cannot continue (the store is gone).
type FatalMsg struct{ Err error }

// Status returns a Cmd that shows text in the status bar.
func Status(text string) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: text} }
}

// StatusErr returns a Cmd that shows an error in the status bar.
func StatusErr(err error) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: err.Error(), Err: true} }
}

// Busy returns a Cmd that marks key as being written (busy true) or finished (false).
func Busy(key string, busy bool) tea.Cmd {
	return func() tea.Msg { return BusyMsg{Key: key, Busy: busy} }
}

// SwitchTab returns a Cmd that activates tab.
func SwitchTab(tab int) tea.Cmd {
	return func() tea.Msg { return SwitchTabMsg{Tab: tab} }
}

// StateChanged returns a Cmd announcing that source changed what (for accountID, or "").
func StateChanged(what Changed, accountID, source string) tea.Cmd {
	return func() tea.Msg { return StateChangedMsg{What: what, AccountID: accountID, Source: source} }
}

// DataChanged returns a Cmd announcing that source changed stored data.
func DataChanged(source string) tea.Cmd {
	return func() tea.Msg { return DataChangedMsg{Source: source} }
}
