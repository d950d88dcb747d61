// Package troubleshoot is the Troubleshoot tab: a wizard that walks a person from a
// symptom ("activities don't show up", "duplicates", ...) through the doctor's checks,
// one step at a time — what the step checks, the check running with a spinner, the
// evidence, the fixes with their impact — to a confirmed fix, a re-run of the check that
// proves it, a "did this fix it?" question and an undo. Opened from the activity list it
// answers "why isn't this in my calendar?" for one activity.
//
// All doctor work runs in tea.Cmds; Update never blocks.
package troubleshoot

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/ui/common"
)

type state int

const (
	statePick     state = iota // choose a symptom
	stateRunning               // a check is running
	stateResult                // a finding that needs attention is shown
	stateConfirm               // a fix was chosen: confirm (and type its input)
	stateApplying              // the fix and its verification are running
	stateVerified              // the re-run's result: "did this fix it?"
	stateDone                  // every step ran
	stateAskProbe              // the round trip writes test data: ask first
)

// Model is the Troubleshoot screen.
type Model struct {
	ctx           *common.Context
	keys          keyMap
	width, height int
	spin          spinner.Model
	input         textinput.Model

	state   state
	cursor  int // symptom picker / fix choice
	gen     int // drops results of an abandoned run
	env     *doctor.Env
	sess    *doctor.Session
	target  *doctor.Target
	explain string // the explain headline when investigating one activity
	step    int    // index of the step running or shown
	done    []doctor.Finding
	current doctor.Finding
	fix     *doctor.Fix
	applied *doctor.Applied
	before  doctor.Finding // the finding before the fix (verification compares)
	note    string         // a one-line outcome ("fix undone", errors)
	noteErr bool
	answer  string // the person's answer to "did this fix it?"
	// only is the account the next start looks into alone (a failed sync's "!").
	only string

	vp      viewport.Model // the step's body, when it does not fit
	vpKey   string         // what the body showed when last drawn (new content scrolls to top)
	details bool           // evidence and the check's explanation shown (e)
	fixed   int            // fixes applied (and not undone) in this run
	// askedCalendar is set once "is this the calendar you look at?" was asked in this run.
	askedCalendar bool
}

type keyMap struct {
	Up, Down, Enter, Next, Fix, Yes, No, Undo, Back, Restart, Recheck key.Binding
	// Choosing among fixes takes the arrows; j/k, PgUp/PgDn and the wheel scroll.
	ChooseUp, ChooseDown, ScrollUp, ScrollDown, PageUp, PageDown key.Binding
	Details, Save, Copy                                          key.Binding
}

func newKeys() keyMap {
	return keyMap{
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Enter:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Next:    key.NewBinding(key.WithKeys("n", "enter", " "), key.WithHelp("n", "next step")),
		Fix:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "apply a fix")),
		Yes:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "no")),
		Undo:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo the fix")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to symptoms")),
		Restart: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run again")),
		Recheck: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "check again")),

		ChooseUp:   key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "previous fix")),
		ChooseDown: key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "next fix")),
		ScrollUp:   key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k", "scroll up")),
		ScrollDown: key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j", "scroll down")),
		PageUp:     key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Details:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "details")),
		Save:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save the note")),
		Copy:       key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy the note")),
	}
}

// New builds the screen. The doctor environment comes from ctx.Services.Doctor when main
// (or a test) put a *doctor.Env there, else it is built over the store.
func New(c *common.Context) *Model {
	sp := spinner.New(spinner.WithSpinner(spinner.Dot))
	in := textinput.New()
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	vp := viewport.New(0, 0)
	vp.MouseWheelDelta = 3
	m := &Model{ctx: c, keys: newKeys(), spin: sp, input: in, vp: vp}
	if e, ok := c.Services.Doctor.(*doctor.Env); ok && e != nil {
		m.env = e
	} else if c.Services.Store != nil {
		// The app's environment, not the process's: demo mode extends it with the fakes'.
		getenv := c.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		m.env = doctor.NewEnv(c.Services.Store, getenv, c.Now)
	}
	return m
}

// Choices are the picker's entries: the five symptoms and "check everything".
var Choices = append(append([]doctor.Symptom{}, doctor.Symptoms...), doctor.All)

func (m *Model) Title() string    { return "Troubleshoot" }
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// CapturingInput is true while the person types a fix's input (an app password).
func (m *Model) CapturingInput() bool {
	return m.state == stateConfirm && m.fix != nil && m.fix.Input != nil
}

func (m *Model) ShortHelp() []key.Binding {
	switch m.state {
	case statePick:
		return []key.Binding{m.keys.Up, m.keys.Down, m.keys.Enter}
	case stateResult:
		b := []key.Binding{m.keys.Next}
		if len(m.current.Fixes) > 1 {
			b = append(b, m.keys.ChooseUp, m.keys.ChooseDown)
		}
		if len(m.current.Fixes) > 0 {
			b = append(b, m.keys.Fix)
		}
		b = append(b, m.keys.Details)
		if m.handoff().text != "" {
			b = append(b, m.keys.Save, m.keys.Copy)
		}
		return append(b, m.keys.ScrollDown, m.keys.PageDown, m.keys.Recheck, m.keys.Back)
	case stateConfirm:
		return []key.Binding{m.keys.Yes, m.keys.Back, m.keys.PageDown}
	case stateVerified:
		b := []key.Binding{m.keys.Yes, m.keys.No}
		if m.applied != nil && m.fix != nil && m.fix.Undoable {
			b = append(b, m.keys.Undo)
		}
		return append(b, m.keys.Back)
	case stateDone:
		return []key.Binding{m.keys.Save, m.keys.Copy, m.keys.Restart, m.keys.Back}
	case stateAskProbe:
		return []key.Binding{m.keys.Yes, m.keys.No, m.keys.Back}
	}
	return []key.Binding{m.keys.Back}
}
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// Init does nothing until the person picks a symptom.
func (m *Model) Init() tea.Cmd { return nil }

// Messages, tagged with the run's generation.
type (
	sessionMsg struct {
		gen     int
		sess    *doctor.Session
		target  *doctor.Target
		explain string
		err     error
	}
	stepMsg struct {
		gen     int
		index   int
		finding doctor.Finding
		// The session's accounts and steps as read just before the step ran.
		accounts []*doctor.AccountView
		steps    []doctor.Step
	}
	appliedMsg struct {
		gen      int
		applied  doctor.Applied
		err      error
		verified doctor.Finding
		change   stateChange
	}
	undoneMsg struct {
		gen      int
		text     string
		err      error
		verified doctor.Finding
		change   stateChange
	}
)

// stateChange is what a fix changed, for the other screens.
type stateChange struct {
	what      common.Changed
	accountID string
}

// fixChanges says which saved state each doctor fix changes (and its undo puts back), so
// the screens that show or edit that state reload it instead of saving their older copy
// over the fix. A fix missing here (a new one) makes every screen reload.
var fixChanges = map[string]common.Changed{
	"reset-list-filters":    common.ChangedFilters,
	"enable-sync":           common.ChangedSettings,
	"stop-sync":             common.ChangedSettings,
	"backfill":              common.ChangedSettings,
	"add-type":              common.ChangedSettings,
	"all-types":             common.ChangedSettings,
	"use-writable-calendar": common.ChangedSettings,
	"two-way":               common.ChangedSettings,
	"set-time-zone":         common.ChangedTimeZone,
	"reconnect":             common.ChangedAccounts,
	"app-password":          common.ChangedAccounts,
	"resync":                common.ChangedAccounts | common.ChangedActivities,
	"merge":                 common.ChangedActivities,
}

func changeOf(fx *doctor.Fix) stateChange {
	if fx == nil {
		return stateChange{what: common.ChangedEverything}
	}
	what, ok := fixChanges[fx.ID]
	if !ok {
		what = common.ChangedEverything
	}
	return stateChange{what: what, accountID: fx.AccountID}
}

// changedNames is what a change touched, in words, for "… changed since this check ran".
func changedNames(c common.Changed) string {
	var parts []string
	for _, n := range []struct {
		k    common.Changed
		word string
	}{
		{common.ChangedFilters, "list filters"}, {common.ChangedSettings, "sync settings"},
		{common.ChangedAccounts, "accounts"}, {common.ChangedActivities, "activities"},
		{common.ChangedTimeZone, "time zone"},
	} {
		if c.Has(n.k) {
			parts = append(parts, n.word)
		}
	}
	if len(parts) == 0 {
		return "saved state"
	}
	return strings.Join(parts, ", ")
}

// announce tells every screen what the fix (or its undo) changed.
func (c stateChange) announce() tea.Cmd {
	return tea.Batch(common.DataChanged("Troubleshoot"), common.StateChanged(c.what, c.accountID, "Troubleshoot"))
}

func (m *Model) start(sym doctor.Symptom, activityID string) tea.Cmd {
	m.gen++
	gen, env := m.gen, m.env
	m.state, m.done, m.step, m.note, m.target, m.explain = stateRunning, nil, 0, "", nil, ""
	m.fixed, m.askedCalendar, m.details = 0, false, false
	m.current = doctor.Finding{Title: "Loading accounts and settings"}
	if env == nil {
		m.state, m.note, m.noteErr = statePick, "No calsync data directory is open, so there is nothing to check.", true
		return nil
	}
	now := m.ctx.Now
	only := m.only
	m.only = ""
	open := func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// A copy, so a target set for this run does not leak into the next.
		e := *env
		e.Target = nil
		var msg sessionMsg
		if activityID != "" {
			t, err := doctor.ResolveTarget(ctx, env.Store, activityID, "")
			if err != nil {
				return sessionMsg{gen: gen, err: err}
			}
			e.Target, msg.target = t, t
			if x, err := doctor.Explain(ctx, env.Store, t, now()); err == nil {
				// It may quote the activity's last sync error: scrubbed like `calsync explain`.
				msg.explain = doctor.SecretRedactor(ctx, env.Store).Text(x.Headline)
			}
		}
		sess, err := doctor.NewSession(ctx, &e, sym)
		if err == nil && only != "" {
			msg.explain = doctor.SecretRedactor(ctx, env.Store).Text(sess.FocusAccount(ctx, only))
		}
		msg.gen, msg.sess, msg.err = gen, sess, err
		return msg
	}
	return tea.Batch(open, m.spin.Tick)
}

func (m *Model) runStep() tea.Cmd {
	if c := m.sess.Steps[m.step].Check; c.ID == "round-trip" && !m.sess.Env.Offline && m.state != stateAskProbe {
		// It writes into the person's calendar (and removes it again): ask first.
		m.state = stateAskProbe
		m.current = doctor.Finding{CheckID: c.ID, Title: c.Title}
		return nil
	}
	gen, sess, i := m.gen, m.sess, m.step
	m.state = stateRunning
	m.current = doctor.Finding{CheckID: sess.Steps[i].Check.ID, Title: sess.Steps[i].Check.Title}
	return tea.Batch(func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		// Settings, accounts and calendars are read again before every step: the person
		// may have changed them in another tab (or a fix did) since the session began.
		// The step runs on a copy; Update takes the fresh views over.
		run := *sess
		if accts, err := doctor.LoadAccounts(ctx, sess.Env.Store); err == nil {
			run.Accounts, run.Steps = accts, freshSteps(sess.Steps, accts)
		}
		step := run.Steps[i]
		var f doctor.Finding
		if step.Account != nil && !hasAccount(run.Accounts, step.Account.Account.ID) {
			f = doctor.Finding{CheckID: step.Check.ID, Title: step.Check.Title, AccountID: step.Account.Account.ID,
				Status: doctor.Skip, Summary: "not checked: this account was removed after the check began"}
		} else {
			f = run.RunStep(ctx, i)
		}
		return stepMsg{gen: gen, index: i, finding: doctor.SecretRedactor(ctx, sess.Env.Store).Finding(f),
			accounts: run.Accounts, steps: run.Steps}
	}, m.spin.Tick)
}

// freshSteps is steps with each account's view replaced by its fresh one; a removed
// account keeps its old view (its steps say so when they run).
func freshSteps(steps []doctor.Step, accts []*doctor.AccountView) []doctor.Step {
	byID := map[string]*doctor.AccountView{}
	for _, a := range accts {
		byID[a.Account.ID] = a
	}
	out := make([]doctor.Step, len(steps))
	for i, st := range steps {
		if st.Account != nil {
			if a, ok := byID[st.Account.Account.ID]; ok {
				st.Account = a
			}
		}
		out[i] = st
	}
	return out
}

func hasAccount(accts []*doctor.AccountView, id string) bool {
	for _, a := range accts {
		if a.Account.ID == id {
			return true
		}
	}
	return false
}

// recheck runs the step shown again, on freshly read settings: after the person changed
// something in another tab (signed in again, edited settings), or just to see.
func (m *Model) recheck() tea.Cmd {
	if m.sess == nil || m.step >= len(m.sess.Steps) {
		return nil
	}
	if n := len(m.done); n > 0 {
		m.done = m.done[:n-1] // the new finding takes its place
	}
	// The undo key belongs to the finding it fixed; the journal keeps the undo.
	m.note, m.noteErr, m.applied, m.fix = "", false, nil, nil
	return m.runStep()
}

// needsAttention says whether the wizard stops on a finding (the rest scroll by).
func needsAttention(f doctor.Finding) bool {
	return f.Status == doctor.Fail || f.Status == doctor.Warn || f.Status == doctor.Unverified || f.Ask != ""
}

func (m *Model) advance() tea.Cmd {
	m.step++
	if m.sess == nil || m.step >= len(m.sess.Steps) {
		m.state = stateDone
		return nil
	}
	return m.runStep()
}

func (m *Model) applyFix(input string) tea.Cmd {
	gen, sess, fx, f := m.gen, m.sess, m.fix, m.current
	change := changeOf(fx)
	m.state, m.before = stateApplying, f
	return tea.Batch(common.Busy("troubleshoot-fix", true), func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		a, err := fx.Apply(ctx, sess.Env, input)
		// The scrubber is built after the fix: it knows a password the fix just saved,
		// and the typed input is a secret whether or not it was saved.
		scrub := doctor.SecretRedactor(ctx, sess.Env.Store)
		scrub.AddSecret([]byte(input))
		a.Message = scrub.Text(a.Message)
		msg := appliedMsg{gen: gen, applied: a, err: redactErr(scrub, err), change: change}
		if err == nil {
			msg.verified = scrub.Finding(sess.Verify(ctx, f))
		}
		return msg
	}, m.spin.Tick)
}

func (m *Model) undo() tea.Cmd {
	gen, sess, id, f := m.gen, m.sess, m.applied.JournalID, m.before
	change := changeOf(m.fix)
	m.state = stateApplying
	return tea.Batch(common.Busy("troubleshoot-fix", true), func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		text, err := doctor.Undo(ctx, sess.Env, id)
		// The re-check shows the same evidence as the step did (a provider message that
		// quoted a token, say): it is scrubbed the same way.
		scrub := doctor.SecretRedactor(ctx, sess.Env.Store)
		msg := undoneMsg{gen: gen, text: scrub.Text(text), err: redactErr(scrub, err), change: change}
		if err == nil {
			msg.verified = scrub.Finding(sess.Verify(ctx, f))
		}
		return msg
	}, m.spin.Tick)
}

// redactErr is err with every secret the scrubber knows removed from its text (the
// screen shows only the text).
func redactErr(scrub *doctor.Redactor, err error) error {
	if err == nil {
		return nil
	}
	return errors.New(scrub.Text(err.Error()))
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case common.TroubleshootActivityMsg:
		return m, m.start(doctor.NotShowing, msg.ActivityID)
	case common.TroubleshootAccountMsg:
		m.only = msg.AccountID
		return m, m.start(doctor.SymptomForReason(msg.Reason), "")
	case spinner.TickMsg:
		if m.state != stateRunning && m.state != stateApplying {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case sessionMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		if msg.err != nil {
			m.state, m.note, m.noteErr = statePick, "Could not start: "+msg.err.Error(), true
			return m, nil
		}
		m.sess, m.target, m.explain, m.step = msg.sess, msg.target, msg.explain, 0
		if len(m.sess.Steps) == 0 {
			m.state = stateDone
			return m, nil
		}
		return m, m.runStep()
	case stepMsg:
		if msg.gen != m.gen || msg.index != m.step {
			return m, nil
		}
		if msg.steps != nil {
			// A new session value: a command still running reads the old one.
			ns := *m.sess
			ns.Accounts, ns.Steps = msg.accounts, msg.steps
			m.sess = &ns
		}
		if msg.finding.CheckID == "calendar" && msg.finding.Ask != "" {
			// "Is this the calendar you look at?" once per run: the answer is the same
			// for the next account's calendar, and each stop costs the person a key.
			if m.askedCalendar {
				msg.finding.Ask = ""
			}
			m.askedCalendar = true
		}
		m.done = append(m.done, msg.finding)
		m.current = msg.finding
		if needsAttention(msg.finding) {
			m.state, m.cursor = stateResult, 0
			return m, nil
		}
		return m, m.advance()
	case appliedMsg:
		// The other screens hear of it even when the person left this run: the change is
		// in the store either way.
		if msg.gen != m.gen {
			if msg.err == nil || msg.applied.JournalID != 0 {
				return m, tea.Batch(common.Busy("troubleshoot-fix", false), msg.change.announce())
			}
			return m, common.Busy("troubleshoot-fix", false)
		}
		if msg.err != nil {
			m.state, m.note, m.noteErr = stateResult, "The fix was not applied: "+msg.err.Error(), true
			var announce tea.Cmd
			if msg.applied.JournalID != 0 {
				// Part of it was made (resync: the tokens were reset, the sync failed).
				m.note = "The fix did not finish: " + msg.err.Error()
				announce = msg.change.announce()
			}
			return m, tea.Batch(common.Busy("troubleshoot-fix", false), announce)
		}
		m.fixed++
		m.applied, m.current, m.answer = &msg.applied, msg.verified, ""
		m.done[len(m.done)-1] = msg.verified
		m.state, m.note, m.noteErr = stateVerified, msg.applied.Message, false
		return m, tea.Batch(common.Busy("troubleshoot-fix", false), msg.change.announce())
	case undoneMsg:
		if msg.gen != m.gen {
			if msg.err == nil {
				return m, tea.Batch(common.Busy("troubleshoot-fix", false), msg.change.announce())
			}
			return m, common.Busy("troubleshoot-fix", false)
		}
		if msg.err != nil {
			m.state, m.note, m.noteErr = stateVerified, "Undo failed: "+msg.err.Error(), true
			return m, common.Busy("troubleshoot-fix", false)
		}
		m.fixed = max(0, m.fixed-1)
		m.applied, m.current = nil, msg.verified
		m.done[len(m.done)-1] = msg.verified
		m.state, m.note, m.noteErr = stateResult, msg.text, false
		return m, tea.Batch(common.Busy("troubleshoot-fix", false), msg.change.announce())
	case common.StateChangedMsg:
		// Changed in another tab since the finding on screen was checked: it may be out of date.
		if msg.Source != m.Title() && (m.state == stateResult || m.state == stateVerified || m.state == stateDone) {
			again := "press r to check again"
			if m.state == stateDone {
				again = "press r to run the checks again"
			}
			m.note, m.noteErr = "The "+changedNames(msg.What)+" changed in "+msg.Source+" since this was checked: "+again+".", false
		}
		return m, nil
	case handoffMsg:
		m.handoffDone(msg)
		return m, nil
	case tea.MouseMsg:
		if m.state != statePick {
			m.vp, _ = m.vp.Update(msg) // the wheel scrolls the step
		}
		return m, nil
	case tea.KeyMsg:
		if m.scroll(msg) {
			return m, nil
		}
		return m.key(msg)
	}
	if m.state == stateConfirm && m.fix != nil && m.fix.Input != nil {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

// scroll moves the step's body for the scrolling keys and reports whether msg was one.
// The arrows choose a fix while there are several; a field being typed into keeps j/k.
func (m *Model) scroll(msg tea.KeyMsg) bool {
	k := m.keys
	switch m.state {
	case statePick, stateRunning, stateApplying:
		return false
	}
	switch {
	case key.Matches(msg, k.PageDown):
		m.vp.PageDown()
	case key.Matches(msg, k.PageUp):
		m.vp.PageUp()
	case m.CapturingInput():
		return false
	case m.state == stateResult && len(m.current.Fixes) > 1 && (key.Matches(msg, k.ChooseUp) || key.Matches(msg, k.ChooseDown)):
		return false
	case key.Matches(msg, k.ScrollDown):
		m.vp.ScrollDown(1)
	case key.Matches(msg, k.ScrollUp):
		m.vp.ScrollUp(1)
	default:
		return false
	}
	return true
}

func (m *Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if !m.CapturingInput() {
		switch {
		case key.Matches(msg, k.Details) && (m.state == stateResult || m.state == stateConfirm || m.state == stateVerified):
			m.details = !m.details
			return m, nil
		case key.Matches(msg, k.Save):
			if h := m.handoff(); h.text != "" {
				return m, m.save(h)
			}
		case key.Matches(msg, k.Copy):
			if h := m.handoff(); h.text != "" {
				return m, m.copyOut(h)
			}
		}
	}
	switch m.state {
	case statePick:
		switch {
		case key.Matches(msg, k.Up):
			m.cursor = (m.cursor + len(Choices) - 1) % len(Choices)
		case key.Matches(msg, k.Down):
			m.cursor = (m.cursor + 1) % len(Choices)
		case key.Matches(msg, k.Enter):
			return m, m.start(Choices[m.cursor], "")
		}
		return m, nil
	case stateResult:
		switch {
		case key.Matches(msg, k.Undo) && m.applied != nil && m.fix != nil && m.fix.Undoable:
			return m, m.undo()
		case key.Matches(msg, k.Recheck):
			return m, m.recheck()
		case key.Matches(msg, k.Back):
			m.gen++
			m.state, m.cursor = statePick, 0
		case key.Matches(msg, k.Fix) && len(m.current.Fixes) > 0:
			return m.chooseFix(min(m.cursor, len(m.current.Fixes)-1))
		case key.Matches(msg, k.ChooseUp) && len(m.current.Fixes) > 1:
			m.cursor = (m.cursor + len(m.current.Fixes) - 1) % len(m.current.Fixes)
		case key.Matches(msg, k.ChooseDown) && len(m.current.Fixes) > 1:
			m.cursor = (m.cursor + 1) % len(m.current.Fixes)
		case key.Matches(msg, k.Next):
			m.note, m.applied, m.fix = "", nil, nil
			return m, m.advance()
		}
		return m, nil
	case stateConfirm:
		if msg.Type == tea.KeyEsc {
			m.state, m.fix = stateResult, nil
			// A password typed and then abandoned is not kept in memory.
			m.input.SetValue("")
			m.input.Blur()
			return m, nil
		}
		if m.fix.Input != nil {
			if msg.Type == tea.KeyEnter {
				v := m.input.Value()
				m.input.SetValue("")
				m.input.Blur()
				if strings.TrimSpace(v) == "" {
					return m, nil
				}
				return m, m.applyFix(v)
			}
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			return m, cmd
		}
		switch {
		case key.Matches(msg, k.Yes):
			if m.fix.Interactive && m.env.Reconnect == nil {
				// A fresh sign-in happens in the Accounts tab.
				m.state = stateResult
				m.note = "Sign in again from the Accounts tab (reconnect); then come back and press r."
				return m, common.SwitchTab(common.TabAccounts)
			}
			return m, m.applyFix("")
		case key.Matches(msg, k.No):
			m.state, m.fix = stateResult, nil
		}
		return m, nil
	case stateVerified:
		switch {
		case key.Matches(msg, k.Undo) && m.applied != nil && m.fix != nil && m.fix.Undoable:
			return m, m.undo()
		case key.Matches(msg, k.Yes):
			m.answer = "yes"
			m.applied, m.fix, m.note = nil, nil, ""
			return m, m.advance()
		case key.Matches(msg, k.No):
			// Not fixed for the person: keep looking at the next checks.
			m.answer = "no"
			m.note = "Noted. The next checks may find another cause; the fix stays applied (u undoes it)."
			m.state = stateResult
			return m, nil
		case key.Matches(msg, k.Back):
			m.gen++
			m.state = statePick
		}
		return m, nil
	case stateDone:
		switch {
		case key.Matches(msg, k.Restart) && m.sess != nil:
			id := ""
			if m.target != nil {
				id = m.target.ID
			}
			return m, m.start(m.sess.Symptom, id)
		case key.Matches(msg, k.Back):
			m.state = statePick
		}
		return m, nil
	case stateAskProbe:
		switch {
		case key.Matches(msg, k.Yes):
			return m, m.runStep()
		case key.Matches(msg, k.No):
			f := m.current
			f.Status, f.Summary = doctor.Skip, "not run: you chose not to write test data into the calendar"
			m.done = append(m.done, f)
			m.state = stateRunning
			return m, m.advance()
		case key.Matches(msg, k.Back):
			m.gen++
			m.state = statePick
		}
		return m, nil
	case stateRunning, stateApplying:
		if key.Matches(msg, k.Back) && m.state == stateRunning {
			m.gen++
			m.state = statePick
		}
	}
	return m, nil
}

func (m *Model) chooseFix(i int) (tea.Model, tea.Cmd) {
	m.fix = m.current.Fixes[i]
	m.state, m.note = stateConfirm, ""
	if m.fix.Input != nil {
		m.input.Placeholder = m.fix.Input.Label
		m.input.SetValue("")
		return m, m.input.Focus()
	}
	return m, nil
}
