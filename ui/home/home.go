// Package home is the Home tab: the calendar accounts and their state, when they last
// synced, how many activities there are (and how many are overdue or due today), and the
// way into Activities and Troubleshoot.
package home

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/safetext"
)

// Model is the Home screen.
type Model struct {
	ctx           *common.Context
	keys          keyMap
	width, height int

	gen     int
	loaded  bool
	summary summary
	err     error

	// wantTab is where the last key asked to go; the root reads it through RequestedTab.
	wantTab  int
	wantsTab bool
	// asking is the held time shift whose "move the activities?" question is on screen.
	asking *sync.Outcome
}

type keyMap struct {
	Activities, Troubleshoot, Reload, Cause key.Binding
	// AcceptShift asks to apply the moves the time-shift guard held back; Yes and No
	// answer that question.
	AcceptShift, Yes, No key.Binding
}

// summary is everything Home shows, read in one Cmd.
type summary struct {
	accounts    []store.Account
	accountsErr error
	me          string
	total       int
	mineTodo    int
	overdue     int
	today       int
	loc         *time.Location
	// outcomes is how each account's last sync went, by account id.
	outcomes map[string]sync.Outcome
}

type loadedMsg struct {
	gen int
	sum summary
	err error
}

// New builds the Home screen.
func New(c *common.Context) *Model {
	return &Model{ctx: c, keys: keyMap{
		Activities:   key.NewBinding(key.WithKeys("a", "enter"), key.WithHelp("a", "activities")),
		Troubleshoot: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "troubleshoot")),
		Reload:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload")),
		Cause:        key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "why sync failed")),
		AcceptShift:  key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "accept the calendar's times")),
		Yes:          key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes, move them")),
		No:           key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
	}}
}

// RequestedTab implements common.TabRequester: the root switches as soon as the key is
// handled, so keys typed right after it reach the new tab.
func (m *Model) RequestedTab() (int, bool) {
	tab, ok := m.wantTab, m.wantsTab
	m.wantsTab = false
	return tab, ok
}

func (m *Model) Title() string    { return "Home" }
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }
func (m *Model) ShortHelp() []key.Binding {
	if m.asking != nil {
		return []key.Binding{m.keys.Yes, m.keys.No}
	}
	if _, ok := m.heldShift(); ok {
		return []key.Binding{m.keys.AcceptShift, m.keys.Cause, m.keys.Activities, m.keys.Troubleshoot, m.keys.Reload}
	}
	if _, ok := m.failed(); ok {
		return []key.Binding{m.keys.Cause, m.keys.Activities, m.keys.Troubleshoot, m.keys.Reload}
	}
	return []key.Binding{m.keys.Activities, m.keys.Troubleshoot, m.keys.Reload}
}

// failed is the first account (in the list's order) whose last sync failed.
func (m *Model) failed() (sync.Outcome, bool) {
	for _, a := range m.summary.accounts {
		if o := m.summary.outcomes[a.ID]; o.Bad() {
			return o, true
		}
	}
	return sync.Outcome{}, false
}

// heldShift is the first account (in the list's order) whose last sync held back a mass
// time shift, waiting for the person to say which time is right.
func (m *Model) heldShift() (sync.Outcome, bool) {
	for _, a := range m.summary.accounts {
		if o := m.summary.outcomes[a.ID]; o.TimeShift > 0 && a.State == store.AccountConnected {
			return o, true
		}
	}
	return sync.Outcome{}, false
}

func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// Init reads the summary.
func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) load() tea.Cmd {
	st := m.ctx.Services.Store
	if st == nil {
		return nil
	}
	m.gen++
	gen, now := m.gen, m.ctx.Now()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		var s summary
		loc, _ := store.UserLocation(ctx, st.DB) // an unusable saved zone falls back to the machine's
		if loc == nil {
			loc = time.Local
		}
		s.loc = loc
		s.accounts, s.accountsErr = store.ListAccounts(ctx, st.DB)
		s.outcomes = map[string]sync.Outcome{}
		for _, a := range s.accounts {
			if o, err := sync.LastOutcome(ctx, st.DB, a); err == nil {
				s.outcomes[a.ID] = o
			}
		}
		if me, err := store.Me(ctx, st.DB); err == nil {
			s.me = me.Name
		}
		count := func(f store.ListFilter) (int, int, error) {
			p, err := store.CountActivities(ctx, st.DB, f, loc, now)
			return p.Shown, p.Total, err
		}
		var err error
		if s.mineTodo, s.total, err = count(store.ListFilter{Owner: store.OwnerMe, Status: store.StatusTodo, Period: store.PeriodAll}); err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		if s.overdue, _, err = count(store.ListFilter{Owner: store.OwnerMe, Status: store.StatusTodo, Period: store.PeriodOverdue}); err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		if s.today, _, err = count(store.ListFilter{Owner: store.OwnerMe, Status: store.StatusTodo, Period: store.PeriodToday}); err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		return loadedMsg{gen: gen, sum: s}
	}
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.loaded, m.err = true, msg.err
		if msg.err == nil {
			m.summary = msg.sum
		}
		return m, nil
	case common.ActivatedMsg, common.DataChangedMsg:
		return m, m.load()
	case tea.KeyMsg:
		if m.asking != nil {
			// The question is answered (or dropped) by the next key; only y moves anything.
			o := *m.asking
			m.asking = nil
			switch {
			case key.Matches(msg, m.keys.Yes):
				m.summary.outcomes[o.AccountID] = sync.Outcome{AccountID: o.AccountID, State: sync.OutcomeOK, At: o.At}
				return m, common.ConfirmTimeShift(o.AccountID)
			case key.Matches(msg, m.keys.No):
				return m, nil
			}
		}
		switch {
		case key.Matches(msg, m.keys.AcceptShift):
			if o, ok := m.heldShift(); ok {
				m.asking = &o
			}
			return m, nil
		case key.Matches(msg, m.keys.Activities):
			m.wantTab, m.wantsTab = common.TabActivities, true
			return m, nil
		case key.Matches(msg, m.keys.Troubleshoot):
			m.wantTab, m.wantsTab = common.TabTroubleshoot, true
			return m, nil
		case key.Matches(msg, m.keys.Reload):
			return m, m.load()
		case key.Matches(msg, m.keys.Cause):
			if o, ok := m.failed(); ok {
				return m, common.TroubleshootAccount(o.AccountID, o.Reason)
			}
			return m, nil
		}
	}
	return m, nil
}

// View implements tea.Model.
func (m *Model) View() string {
	st := m.ctx.Styles
	w := max(20, m.width-2)
	var b strings.Builder
	line := func(s string) { b.WriteString(common.Truncate(s, w) + "\n") }
	// wrapped draws s under indent on as many lines as it takes (at most three): commands
	// and errors are no use cut off.
	wrapped := func(s, indent string) {
		ls := strings.Split(common.Wrap(s, max(10, w-len(indent))), "\n")
		if len(ls) > 3 {
			ls = append(ls[:2], common.Truncate(strings.Join(ls[2:], " "), max(10, w-len(indent))))
		}
		for _, l := range ls {
			line(indent + l)
		}
	}
	title := "calsync — your CRM activities in your calendar"
	if m.summary.me != "" && m.summary.me != "Me" { // "Me" is the placeholder a fresh store gets
		title += ", " + safetext.Line(m.summary.me)
	}
	line(st.Title.Render(title))
	line("")
	if !m.loaded {
		line(st.Muted.Render("Reading your accounts and activities…"))
		return b.String()
	}
	if m.err != nil {
		line(st.Error.Render("Could not read the store: ") + st.Text.Render(safetext.Line(m.err.Error())))
		line(st.Muted.Render("Press r to try again."))
		return b.String()
	}
	s := m.summary
	now := m.ctx.Now()

	line(st.FilterLabel.Render("Calendar accounts"))
	switch {
	case s.accountsErr != nil:
		line("  " + st.Error.Render("Could not read accounts: ") + st.Text.Render(safetext.Line(s.accountsErr.Error())))
	case len(s.accounts) == 0:
		line("  " + st.Warn.Render("No accounts yet") + st.Muted.Render(" — activities stay here until you connect one:"))
		line("    " + st.Muted.Render("press ") + st.Key.Render("3") + st.Muted.Render(" (Accounts), or run ") +
			st.Command.Render("calsync account add google|microsoft|caldav"))
	default:
		for _, a := range s.accounts {
			who, state := m.accountLine(a, now, s.loc)
			if lipgloss.Width("  "+who+state) <= w {
				line("  " + who + state)
			} else {
				// Too wide for one line: the state goes under the name rather than past the
				// edge, where it would be cut (it is the part that matters).
				line("  " + who)
				wrapped(strings.TrimPrefix(state, st.Muted.Render(" — ")), "      ")
			}
			if o := s.outcomes[a.ID]; o.TimeShift > 0 && a.State == store.AccountConnected {
				m.shiftLines(o, wrapped)
			}
			if a.State != store.AccountConnected && a.LastErrorMessage != "" {
				// What to do, when the person can mend it; else the stored message.
				text := accountsetup.AccountAdvice(a)
				if text == "" {
					text = a.LastErrorMessage
				}
				wrapped(st.Muted.Render(safetext.Line(text)), "      ")
			}
		}
	}
	line("  " + st.Muted.Render("Last sync: ") + st.Text.Render(lastSync(s.accounts, now, s.loc)) + m.failedNote())
	line("")

	line(st.FilterLabel.Render("Activities"))
	if s.total == 0 {
		line("  " + st.Muted.Render("None yet. Press ") + st.Key.Render("a") + st.Muted.Render(" for Activities, then ") +
			st.Key.Render("a") + st.Muted.Render(" again to add one."))
		line("  " + st.Muted.Render("To look around first: ") + st.Command.Render("calsync demo"))
	} else {
		mine := "  Yours to do: " + common.Count(s.mineTodo)
		parts := []string{st.Text.Render(mine)}
		if s.overdue > 0 {
			parts = append(parts, st.Warn.Render(common.Count(s.overdue)+" overdue"))
		} else {
			parts = append(parts, st.Muted.Render("none overdue"))
		}
		parts = append(parts, st.Text.Render(common.Count(s.today)+" today"))
		line(strings.Join(parts, st.Muted.Render(" · ")))
		line("  " + st.Muted.Render(common.Count(s.total)+" activities in all, everyone's included"))
	}
	line("")

	line(st.FilterLabel.Render("Where to go"))
	line("  " + st.Key.Render("2") + st.Muted.Render(" / ") + st.Key.Render("a") + "  " +
		st.Text.Render("Activities — the list, its filters, add, edit, done"))
	line("  " + st.Key.Render("3") + "      " + st.Text.Render("Accounts — connect a calendar, sign in again, what syncs where"))
	line("  " + st.Key.Render("4") + st.Muted.Render(" / ") + st.Key.Render("t") + "  " +
		st.Text.Render("Troubleshoot — missing activities, duplicates, sign-in problems"))
	line("  " + st.Key.Render("5") + "      " + st.Text.Render("Log — every sync decision, newest first"))
	line("  " + st.Muted.Render("An activity missing from your calendar? Select it in Activities and press ") + st.Key.Render("w") + st.Muted.Render("."))
	return b.String()
}

// accountLine is an account's name, provider and login, and then its state (starting with
// " — "), so View can put the state on a line of its own when both do not fit.
func (m *Model) accountLine(a store.Account, now time.Time, loc *time.Location) (who, state string) {
	st := m.ctx.Styles
	name := safetext.Line(a.Name)
	desc := name
	// The provider, unless the name already says it ("Work (Google)").
	if kind := kindLabel(a.Kind); !strings.Contains(strings.ToLower(name), strings.ToLower(kind)) {
		desc += st.Muted.Render(" · " + kind)
	}
	if who := safetext.Line(a.Login); who != "" {
		desc += st.Muted.Render(" · " + who)
	}
	synced := st.Muted.Render(" · never synced")
	if a.LastSyncAt != nil {
		synced = st.Muted.Render(" · synced " + relative(now, *a.LastSyncAt, loc))
	}
	// Name first, then its state; a broken account says how to mend it.
	sep := st.Muted.Render(" — ")
	o := m.summary.outcomes[a.ID]
	switch {
	case a.State == store.AccountConnected && o.Bad():
		// Connected, but its last sync failed: red, with what went wrong and the key
		// that opens the cause (never "synced just now" over a failure).
		what := "sync failed"
		if o.State == sync.OutcomePartial {
			what = "sync partly failed"
		}
		if o.TimeShift > 0 {
			what = "sync held back moves" // nothing failed: it waits for an answer (shiftLines)
		}
		if !o.At.IsZero() {
			what += " " + relative(now, o.At, loc)
		}
		return st.Error.Render("✗") + " " + desc, sep + st.Error.Render(what+": "+safetext.Line(o.Headline())) +
			st.Muted.Render(" · ") + st.Key.Render("!") + st.Muted.Render(" why")
	}
	switch a.State {
	case store.AccountConnected:
		return st.OK.Render("●") + " " + desc, sep + st.OK.Render("connected") + synced
	case store.AccountNeedsReauth:
		return st.Error.Render("✗") + " " + desc, sep + st.Error.Render("needs sign-in") +
			st.Muted.Render(": press 3, or ") + st.Command.Render("calsync account reconnect "+safetext.Line(a.ID))
	case store.AccountDisabled:
		return st.Muted.Render("○") + " " + desc, sep + st.Muted.Render("sync stopped") + synced
	}
	return st.Warn.Render("?") + " " + desc, sep + st.Warn.Render(safetext.Line(a.State)) + synced
}

// shiftLines says under an account what its held time shift is and how to answer it: the
// question itself once m was pressed.
func (m *Model) shiftLines(o sync.Outcome, wrapped func(s, indent string)) {
	st := m.ctx.Styles
	n, moved := common.Count(o.TimeShift), sync.ShiftText(o.TimeShiftHours)
	if m.asking != nil && m.asking.AccountID == o.AccountID {
		wrapped(st.Warn.Render("Move "+n+" activities "+moved+" to match the calendar? ")+
			st.Key.Render("y")+st.Muted.Render(" yes · ")+st.Key.Render("n")+st.Muted.Render(" no"), "      ")
		return
	}
	wrapped(st.Muted.Render("The calendar moved "+n+" synced events "+moved+"; none was applied here. Press ")+
		st.Key.Render("m")+st.Muted.Render(" to accept the calendar's times, ")+st.Key.Render("!")+
		st.Muted.Render(" to find out which time is right."), "      ")
}

// failedNote is what follows "Last sync:" when some account's last sync failed.
func (m *Model) failedNote() string {
	n := 0
	for _, a := range m.summary.accounts {
		if m.summary.outcomes[a.ID].Bad() {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	st := m.ctx.Styles
	what := "1 account failed"
	if n > 1 {
		what = fmt.Sprintf("%d accounts failed", n)
	}
	return st.Muted.Render(" · ") + st.Error.Render("✗ "+what) + st.Muted.Render(" — press ") + st.Key.Render("!") + st.Muted.Render(" to see why")
}

func kindLabel(kind string) string {
	switch kind {
	case "google":
		return "Google"
	case "microsoft":
		return "Microsoft 365"
	case "caldav":
		return "CalDAV"
	}
	return safetext.Line(kind)
}

// lastSync is the newest sync of any account.
func lastSync(accts []store.Account, now time.Time, loc *time.Location) string {
	var ts []time.Time
	for _, a := range accts {
		if a.LastSyncAt != nil {
			ts = append(ts, *a.LastSyncAt)
		}
	}
	if len(ts) == 0 {
		return "never (once an account is connected, ctrl+r syncs now)"
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].After(ts[j]) })
	return relative(now, ts[0], loc)
}

func relative(now, t time.Time, loc *time.Location) string {
	d := now.Sub(t)
	abs := t.In(loc).Format("Mon 2 Jan 15:04")
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago (%s)", int(d/time.Minute), abs)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago (%s)", int(d/time.Hour), abs)
	}
	return abs
}
