// Package settings is the sync settings screen: where a person chooses how an account
// syncs (the sync type): the direction, with a plain-language line for each, the calendar
// (read-only calendars marked, and refused with the reason for directions that write), the
// activity types that sync, the type given to imported events, a backfill date and the
// interval. Save first shows what the first sync would do, from a dry run, and only then
// applies.
//
// The Accounts screen opens it for one account and closes it on DoneMsg.
package settings

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/safetext"
)

// DoneMsg says the screen closed; Saved is true when new settings were applied.
type DoneMsg struct {
	AccountID string
	Saved     bool
	Settings  store.SyncSettings
}

type phase int

const (
	phaseLoading phase = iota
	phaseEditing
	phasePreviewing // dry run in flight
	phaseConfirm    // preview shown, waiting for apply / edit
	phaseApplying
	phaseFailed // could not load
)

// Internal messages carry gen so results for an earlier form are dropped.
type (
	loadedMsg struct {
		gen      int
		cals     []store.Calendar
		settings store.SyncSettings
		err      error
	}
	formDoneMsg struct {
		gen       int
		cancelled bool
	}
	previewMsg struct {
		gen     int
		preview accountsetup.Preview
		err     error
	}
	appliedMsg struct {
		gen      int
		settings store.SyncSettings
		err      error
		// stale is set when the stored settings were no longer the ones the form was
		// opened on: nothing was saved, and latest is what is stored.
		stale  bool
		latest store.SyncSettings
	}
	// freshMsg answers a re-read of the stored settings after another screen said they
	// changed.
	freshMsg struct {
		gen      int
		settings store.SyncSettings
		err      error
	}
)

// Keys are the screen's own keys outside the form (the form brings its own help).
type Keys struct {
	Apply  key.Binding
	Edit   key.Binding
	Cancel key.Binding
	Back   key.Binding // the form's own "back" (huh's Prev on every field)
}

func defaultKeys() Keys {
	return Keys{
		Apply:  key.NewBinding(key.WithKeys("enter", "y"), key.WithHelp("enter", "apply")),
		Edit:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit again")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Back:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "back")),
	}
}

// values are what the form edits; the form binds pointers into it, so it lives on the heap
// and is replaced together with the form.
type values struct {
	direction  string
	calendar   string
	types      []store.ActivityType
	importType store.ActivityType
	backfill   string // YYYY-MM-DD or ""
	interval   time.Duration
	policy     string
	enabled    bool
	// goingBack is set while shift+tab is travelling through the form: huh validates a
	// field when it is left in either direction and refuses to leave a group with an
	// error, so without it a refused calendar would trap the person in its group instead
	// of letting them go back and pick a direction that fits it.
	goingBack bool
}

// check wraps a validator so it only judges a value when the person moves forward.
func (v *values) check(fn func(string) error) func(string) error {
	return func(s string) error {
		if v.goingBack {
			return nil
		}
		return fn(s)
	}
}

// Model is the sync settings screen for one account.
type Model struct {
	ctx     *common.Context
	backend accountsetup.Backend
	account store.Account
	keys    Keys

	width, height int
	phase         phase
	gen           int

	cals     []store.Calendar
	original store.SyncSettings
	vals     *values
	form     *huh.Form
	// formNatural is the form's height when nothing limits it, measured when it is made.
	formNatural int
	pending     store.SyncSettings // what the preview was computed for
	preview     accountsetup.Preview
	errText     string // inline error (preview failure, apply failure, load failure)

	// stale holds the stored settings when they changed elsewhere (a Troubleshoot fix)
	// after the form was opened on original: saving the form would undo that change, so
	// it is refused and the form is rebuilt from these.
	stale    *store.SyncSettings
	freshGen int // drops a re-read answered after a newer one was asked
}

// New opens the settings of account.
func New(ctx *common.Context, backend accountsetup.Backend, account store.Account) *Model {
	return &Model{ctx: ctx, backend: backend, account: account, keys: defaultKeys(), width: 80, height: 24}
}

// Init loads the calendars and the current settings.
func (m *Model) Init() tea.Cmd {
	m.gen++
	gen, b, id := m.gen, m.backend, m.account.ID
	return func() tea.Msg {
		ctx := context.Background()
		cals, err := b.Calendars(ctx, id)
		if err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		s, err := b.Settings(ctx, id)
		return loadedMsg{gen: gen, cals: cals, settings: s, err: err}
	}
}

// SetSize sets the drawing area.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	if m.form != nil {
		m.form.WithWidth(min(w, 100))
		m.form.WithHeight(m.formRows())
	}
}

// formRows is the height left for the form under the title and any error above it, so
// the last fields of a long group (and huh's help) scroll into view instead of being cut
// off at the bottom of the terminal.
func (m *Model) formRows() int {
	rows := m.height - 2 // title and gap
	if m.errText != "" {
		rows -= lipgloss.Height(common.Wrap(m.errText, max(20, m.width-2))) + 1
	}
	// huh sizes its viewport for a one-line help: a refusal that wraps (a read-only
	// calendar's reason) replaces the help and would push the form's bottom off, so keep
	// two rows. A form that fits keeps its own height (no gap above its help); huh draws
	// a blank line above the help that its height leaves out.
	return max(min(m.formNatural, rows-2)-1, 5)
}

// Title is the screen's heading.
func (m *Model) Title() string { return "Sync settings" }

// CapturingInput is true while the form takes keys.
func (m *Model) CapturingInput() bool { return m.phase == phaseEditing }

// ShortHelp lists the keys of the current phase.
func (m *Model) ShortHelp() []key.Binding {
	switch m.phase {
	case phaseConfirm:
		return []key.Binding{m.keys.Apply, m.keys.Edit, m.keys.Cancel}
	case phaseEditing:
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
			m.keys.Back,
			m.keys.Cancel,
		}
	}
	return []key.Binding{m.keys.Cancel}
}

// FullHelp is the short help in one column.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// Update handles the phases: loading, editing the form, previewing, confirming, applying.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		if msg.err != nil {
			m.phase = phaseFailed
			m.errText = "Could not read the settings: " + msg.err.Error()
			return m, nil
		}
		m.cals, m.original, m.stale = msg.cals, msg.settings, nil
		return m, m.startForm(valuesFrom(msg.settings, msg.cals))

	case common.StateChangedMsg:
		if msg.Source == "Accounts" || !msg.What.Has(common.ChangedSettings) || !msg.About(m.account.ID) {
			return m, nil
		}
		switch m.phase {
		case phaseLoading, phaseFailed:
			m.errText = ""
			return m, m.Init() // the load in flight may have read them before the change
		case phaseApplying:
			return m, nil // the save compares with the stored settings itself
		}
		m.freshGen++
		gen, b, id := m.freshGen, m.backend, m.account.ID
		return m, func() tea.Msg {
			s, err := b.Settings(context.Background(), id)
			return freshMsg{gen: gen, settings: s, err: err}
		}

	case freshMsg:
		if msg.gen != m.freshGen || msg.err != nil || sameSettings(msg.settings, m.original) {
			return m, nil
		}
		if m.phase == phaseEditing && m.vals != nil && sameValues(*m.vals, *valuesFrom(m.original, m.cals)) {
			// Nothing typed yet: show the new settings at once.
			m.original, m.stale = msg.settings, nil
			m.errText = "These settings were just changed elsewhere (Troubleshoot); the form shows them now."
			return m, m.startForm(valuesFrom(msg.settings, m.cals))
		}
		latest := msg.settings
		m.stale = &latest
		m.errText = staleText
		if m.form != nil {
			m.form.WithHeight(m.formRows())
		}
		return m, nil

	case formDoneMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		if msg.cancelled {
			return m, done(m.account.ID, false, m.original)
		}
		if m.stale != nil {
			return m, m.reloadStale()
		}
		m.pending = m.settingsFrom(*m.vals)
		if err := accountsetup.ValidateSettings(m.pending, m.cals); err != nil {
			// The form's validators should have caught this; say it and edit again.
			m.errText = err.Error()
			return m, m.startForm(m.vals)
		}
		m.phase = phasePreviewing
		m.errText = ""
		gen, b, s := m.gen, m.backend, m.pending
		return m, func() tea.Msg {
			p, err := b.Preview(context.Background(), s)
			return previewMsg{gen: gen, preview: p, err: err}
		}

	case previewMsg:
		if msg.gen != m.gen || m.phase != phasePreviewing {
			return m, nil
		}
		m.phase = phaseConfirm
		m.preview = msg.preview
		if msg.err != nil {
			which := "first"
			if m.original.ActivatedAt != nil {
				which = "next"
			}
			m.errText = "The dry run failed, so calsync cannot say what the " + which + " sync will do: " +
				explain(m.account, msg.err)
		}
		return m, nil

	case appliedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		busyDone := common.Busy("settings:"+m.account.ID, false)
		if msg.stale {
			latest := msg.latest
			m.stale = &latest
			return m, tea.Batch(busyDone, m.reloadStale())
		}
		if msg.err != nil {
			m.phase = phaseConfirm
			m.errText = "Not saved: " + msg.err.Error()
			return m, busyDone
		}
		return m, tea.Batch(busyDone,
			common.Status("Sync settings saved for "+safetext.Line(m.account.Name)),
			common.DataChanged("Accounts"),
			common.StateChanged(common.ChangedSettings, m.account.ID, "Accounts"),
			done(m.account.ID, true, msg.settings))

	case tea.KeyMsg:
		switch m.phase {
		case phaseConfirm:
			switch {
			case key.Matches(msg, m.keys.Apply):
				if m.stale != nil {
					return m, m.reloadStale()
				}
				m.phase = phaseApplying
				m.gen++
				gen, b, s, base := m.gen, m.backend, m.pending, m.original
				return m, tea.Batch(common.Busy("settings:"+s.AccountID, true), func() tea.Msg {
					ctx := context.Background()
					// Saved only over the settings the form was opened on: changed
					// meanwhile (a fix, a command), they are shown instead, not undone.
					cur, err := b.Settings(ctx, s.AccountID)
					if err != nil {
						return appliedMsg{gen: gen, err: err}
					}
					if !sameSettings(cur, base) {
						return appliedMsg{gen: gen, stale: true, latest: cur}
					}
					saved, err := b.ApplySettings(ctx, s)
					return appliedMsg{gen: gen, settings: saved, err: err}
				})
			case key.Matches(msg, m.keys.Edit):
				if m.stale != nil {
					return m, m.reloadStale()
				}
				m.errText = ""
				return m, m.startForm(m.vals)
			case key.Matches(msg, m.keys.Cancel):
				return m, done(m.account.ID, false, m.original)
			}
			return m, nil
		case phaseFailed, phaseLoading, phasePreviewing:
			if key.Matches(msg, m.keys.Cancel) {
				m.gen++ // drop the result in flight
				return m, done(m.account.ID, false, m.original)
			}
			return m, nil
		}
	}
	if m.phase == phaseEditing && m.form != nil {
		if k, ok := msg.(tea.KeyMsg); ok && m.vals != nil {
			// Stays set until the next key, through the blur and group messages the
			// key sets off.
			m.vals.goingBack = key.Matches(k, m.keys.Back)
		}
		f, cmd := m.form.Update(msg)
		if ff, ok := f.(*huh.Form); ok {
			m.form = ff
		}
		return m, cmd
	}
	return m, nil
}

// staleText says why the form will not save what it holds.
const staleText = "These settings were changed elsewhere (Troubleshoot or a command) after you opened them. " +
	"Saving your version would undo that, so it will not be saved: finish or press esc, and the form opens again on the saved settings."

// reloadStale refuses to save over settings changed elsewhere: the form opens again on
// the stored settings, with the reason above it.
func (m *Model) reloadStale() tea.Cmd {
	latest := *m.stale
	m.original, m.stale = latest, nil
	m.errText = "Not saved: these settings were changed elsewhere (Troubleshoot or a command) after you opened them. " +
		"The form now shows the saved settings; make your change again on top of them."
	return m.startForm(valuesFrom(latest, m.cals))
}

// sameSettings compares what a person or a fix can change, not when it was saved.
func sameSettings(a, b store.SyncSettings) bool {
	sameTime := func(x, y *time.Time) bool {
		return x == nil && y == nil || x != nil && y != nil && x.Equal(*y)
	}
	return a.AccountID == b.AccountID && a.CalendarID == b.CalendarID && a.Direction == b.Direction &&
		slices.Equal(a.Types, b.Types) && a.ImportType == b.ImportType &&
		sameTime(a.ActivatedAt, b.ActivatedAt) && sameTime(a.BackfillFrom, b.BackfillFrom) &&
		a.ConflictPolicy == b.ConflictPolicy && a.Enabled == b.Enabled && a.Interval == b.Interval &&
		a.WindowPastDays == b.WindowPastDays && a.WindowFutureDays == b.WindowFutureDays
}

// sameValues reports whether the form still holds what it was opened with.
func sameValues(a, b values) bool {
	return a.direction == b.direction && a.calendar == b.calendar && slices.Equal(a.types, b.types) &&
		a.importType == b.importType && a.backfill == b.backfill && a.interval == b.interval &&
		a.policy == b.policy && a.enabled == b.enabled
}

func done(id string, saved bool, s store.SyncSettings) tea.Cmd {
	return func() tea.Msg { return DoneMsg{AccountID: id, Saved: saved, Settings: s} }
}

func explain(a store.Account, err error) string {
	c := accountsetup.ChoiceForAccount(a.Kind, a.ServerURL)
	return accountsetup.Explain(c, err, nil).String()
}

// valuesFrom prefills the form from stored settings; a first setup proposes the primary
// writable calendar and switching sync on.
func valuesFrom(s store.SyncSettings, cals []store.Calendar) *values {
	v := &values{
		direction:  s.Direction,
		calendar:   s.CalendarID,
		types:      append([]store.ActivityType(nil), s.Types...),
		importType: s.ImportType,
		interval:   s.Interval,
		policy:     s.ConflictPolicy,
		enabled:    s.Enabled,
	}
	if v.policy == "" {
		v.policy = store.PolicyNewestWins
	}
	if v.direction == "" {
		v.direction = store.DirTwoWay
	}
	if v.importType == "" {
		v.importType = store.TypeMeeting
	}
	if v.interval == 0 {
		v.interval = 5 * time.Minute
	}
	if s.BackfillFrom != nil {
		v.backfill = s.BackfillFrom.Local().Format(dateLayout)
	}
	if v.calendar == "" {
		for _, c := range cals {
			if c.Primary && !c.ReadOnly && c.HasEvents {
				v.calendar = c.RemoteID
			}
		}
		if s.ActivatedAt == nil {
			v.enabled = true
		}
	}
	return v
}

const dateLayout = "2006-01-02"

// settingsFrom builds the settings to save from the form values.
func (m *Model) settingsFrom(v values) store.SyncSettings {
	s := m.original
	s.AccountID = m.account.ID
	s.Direction = v.direction
	s.CalendarID = v.calendar
	s.Types = append([]store.ActivityType(nil), v.types...)
	s.ImportType = v.importType
	s.Interval = v.interval
	s.Enabled = v.enabled
	s.ConflictPolicy = v.policy
	s.BackfillFrom = nil
	if t, err := parseDate(v.backfill); err == nil && !t.IsZero() {
		s.BackfillFrom = &t
	}
	return s
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(dateLayout, s, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("write the date as YYYY-MM-DD, e.g. 2026-01-31, or leave it empty")
	}
	return t.UTC(), nil
}

var intervals = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

// startForm builds a new form for v (huh forms cannot be restarted once completed).
func (m *Model) startForm(v *values) tea.Cmd {
	m.gen++
	m.vals = v
	m.phase = phaseEditing
	gen := m.gen

	dirOpts := []huh.Option[string]{}
	for _, d := range accountsetup.Directions() {
		dirOpts = append(dirOpts, huh.NewOption(d.Label, d.Value))
	}
	calOpts := []huh.Option[string]{}
	for _, c := range m.cals {
		label := safetext.Line(c.Name)
		var notes []string
		if c.Primary {
			notes = append(notes, "primary")
		}
		if c.ReadOnly {
			notes = append(notes, "read-only: calendar to CRM only")
		}
		if !c.HasEvents {
			notes = append(notes, "no events")
		}
		if len(notes) > 0 {
			label += " (" + strings.Join(notes, ", ") + ")"
		}
		calOpts = append(calOpts, huh.NewOption(label, c.RemoteID))
	}
	typeOpts := []huh.Option[store.ActivityType]{}
	for _, t := range store.AllTypes {
		typeOpts = append(typeOpts, huh.NewOption(string(t), t).Selected(contains(v.types, t)))
	}
	intervalOpts := []huh.Option[time.Duration]{}
	choices := intervals
	if !slices.Contains(choices, v.interval) {
		// Set from the command line to something the list lacks: keep it selectable.
		choices = append([]time.Duration{v.interval}, choices...)
	}
	for _, d := range choices {
		intervalOpts = append(intervalOpts, huh.NewOption("every "+humanDuration(d), d))
	}
	cals := m.cals

	calendarField := huh.NewSelect[string]().
		Title("Calendar").
		Description("Read-only calendars can only sync from the calendar to the CRM.").
		Options(calOpts...).
		Value(&v.calendar).
		Validate(v.check(func(id string) error {
			for _, c := range cals {
				if c.RemoteID == id {
					if !c.HasEvents {
						return fmt.Errorf("%q holds no events; choose another calendar", safetext.Line(c.Name))
					}
					if why := accountsetup.ReadOnlyRefusal(c, v.direction); why != "" {
						return fmt.Errorf("%s", safetext.Line(why))
					}
					return nil
				}
			}
			return fmt.Errorf("choose a calendar")
		}))
	if len(calOpts) == 0 {
		calendarField = huh.NewSelect[string]().Title("Calendar").
			Description("This account has no calendars yet. Reconnect it to list them again.").
			Options(huh.NewOption("(none)", "")).Value(&v.calendar).
			Validate(func(string) error { return fmt.Errorf("no calendar to sync with: reconnect the account") })
	}

	form := huh.NewForm(
		huh.NewGroup(
			huh.NewSelect[string]().
				Title("Sync direction").
				Options(dirOpts...).
				Value(&v.direction).
				Description(directionGuide()),
		),
		huh.NewGroup(calendarField),
		huh.NewGroup(
			huh.NewMultiSelect[store.ActivityType]().
				Title("Activity types that sync").
				Description("Only these types go to the calendar.").
				Options(typeOpts...).
				Value(&v.types).
				Validate(func(ts []store.ActivityType) error {
					if len(ts) == 0 && v.direction != store.DirFromCalendar && !v.goingBack {
						return fmt.Errorf("choose at least one type (space toggles)")
					}
					return nil
				}),
			huh.NewSelect[store.ActivityType]().
				Title("Type for events imported from the calendar").
				Options(huh.NewOptions(store.AllTypes...)...).
				Value(&v.importType),
		),
		huh.NewGroup(
			huh.NewInput().
				Title("Backfill: also sync older activities starting from (YYYY-MM-DD, optional)").
				Description("Activities not changed since sync was switched on are skipped, unless they start on or after this date.").
				Value(&v.backfill).
				Validate(v.check(func(s string) error { _, err := parseDate(s); return err })),
			huh.NewSelect[time.Duration]().
				Title("Sync in the background").
				Options(intervalOpts...).
				Value(&v.interval),
			huh.NewSelect[string]().
				Title("When an activity and its event both changed").
				Description("The losing version is kept in the journal either way.").
				Options(
					huh.NewOption("the newest change wins", store.PolicyNewestWins),
					huh.NewOption("the CRM wins", store.PolicyLocalWins),
					huh.NewOption("the calendar wins", store.PolicyRemoteWins)).
				Value(&v.policy),
			huh.NewConfirm().
				Title("Sync this account").
				Affirmative("On").Negative("Off").
				Value(&v.enabled),
		),
	).WithShowHelp(true).WithKeyMap(formKeyMap()).WithWidth(min(m.width, 100))
	// The app's one theme (colourless under NO_COLOR), as the activity form has.
	form = form.WithTheme(m.ctx.Styles.FormTheme())
	// Size the groups now: huh computes their heights only on a WindowSizeMsg, which the
	// root does not forward, and a group sized before its width is known cuts options off.
	form.Update(tea.WindowSizeMsg{Width: min(m.width, 100), Height: max(m.height, 10)})
	m.formNatural = lipgloss.Height(form.View())
	form.WithHeight(m.formRows())
	// Our own messages: the default would quit the whole program.
	form.SubmitCmd = func() tea.Msg { return formDoneMsg{gen: gen} }
	form.CancelCmd = func() tea.Msg { return formDoneMsg{gen: gen, cancelled: true} }
	m.form = form
	return form.Init()
}

// directionGuide explains every direction at once, so the select's height never changes
// while the cursor moves.
func directionGuide() string {
	var lines []string
	for _, d := range accountsetup.Directions() {
		lines = append(lines, d.Label+": "+d.Line)
	}
	return strings.Join(lines, "\n")
}

func policyWords(p string) string {
	switch p {
	case store.PolicyLocalWins:
		return "the CRM wins"
	case store.PolicyRemoteWins:
		return "the calendar wins"
	}
	return "the newest change wins"
}

func formKeyMap() *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	return km
}

func contains(ts []store.ActivityType, t store.ActivityType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func humanDuration(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "minute"
	case d < time.Hour && d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d == time.Hour:
		return "hour"
	}
	return d.String()
}

// View draws the current phase.
func (m *Model) View() string {
	st := m.ctx.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Sync settings — " + safetext.Line(m.account.Name)))
	b.WriteString("\n\n")
	if m.errText != "" && m.phase != phaseConfirm {
		b.WriteString(st.Error.Render(common.Wrap(m.errText, max(20, m.width-2))))
		b.WriteString("\n\n")
	}
	switch m.phase {
	case phaseLoading:
		b.WriteString(st.Muted.Render("Loading calendars and settings…"))
	case phaseFailed:
		b.WriteString(st.Muted.Render("esc: back"))
	case phaseEditing:
		b.WriteString(m.form.View())
	case phasePreviewing:
		b.WriteString(st.Muted.Render("Dry run: working out what the first sync would do…"))
	case phaseConfirm, phaseApplying:
		b.WriteString(m.summary())
		b.WriteString("\n\n")
		if m.errText != "" {
			b.WriteString(st.Error.Render(common.Wrap(m.errText, max(20, m.width-2))))
		} else {
			b.WriteString(st.Banner.Render(common.Wrap("Preview: "+m.preview.Sentence()+".", max(20, m.width-2))))
		}
		b.WriteString("\n\n")
		switch {
		case m.phase == phaseApplying:
			b.WriteString(st.Muted.Render("Saving…"))
		case m.stale != nil:
			b.WriteString(st.Muted.Render("enter/e: open the saved settings   esc: cancel (nothing is saved)"))
		case m.errText != "":
			b.WriteString(st.Muted.Render("enter: save anyway   e: edit again   esc: cancel (nothing is saved)"))
		default:
			b.WriteString(st.Muted.Render("enter: apply   e: edit again   esc: cancel (nothing is saved)"))
		}
	}
	return lipgloss.NewStyle().MaxWidth(max(m.width, 20)).Render(b.String())
}

// summary restates the chosen settings in words.
func (m *Model) summary() string {
	s := m.pending
	calName := s.CalendarID
	for _, c := range m.cals {
		if c.RemoteID == s.CalendarID {
			calName = c.Name
		}
	}
	d, _ := accountsetup.DirectionByValue(s.Direction)
	var types []string
	for _, t := range s.Types {
		types = append(types, string(t))
	}
	lines := []string{
		fmt.Sprintf("Calendar:   %s", safetext.Line(calName)),
		fmt.Sprintf("Direction:  %s — %s", d.Label, d.Line),
		fmt.Sprintf("Types:      %s (imported events become %s)", strings.Join(types, ", "), s.ImportType),
	}
	if s.BackfillFrom != nil {
		lines = append(lines, "Backfill:   activities starting from "+s.BackfillFrom.Local().Format(dateLayout))
	}
	state := "off"
	if s.Enabled {
		state = "on, every " + humanDuration(s.Interval)
	}
	lines = append(lines, "Conflicts:  "+policyWords(s.ConflictPolicy), "Sync:       "+state)
	// Each line wraps under its value, not under its label.
	const labelW = 12
	indent := strings.Repeat(" ", labelW)
	for i, l := range lines {
		label, value := l[:labelW], l[labelW:]
		lines[i] = label + strings.ReplaceAll(common.Wrap(value, max(20, m.width-2-labelW)), "\n", "\n"+indent)
	}
	return strings.Join(lines, "\n")
}
