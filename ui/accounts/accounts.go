// Package accounts is the Accounts tab: the connected calendar accounts with their state
// and last error, and the ways to change them: add an account (provider picker, then the
// sign-in or the server + app password form, tested before anything is saved), reconnect
// (a fresh sign-in that keeps settings and links), stop or resume sync, remove (activities
// stay), and open an account's sync settings (package ui/settings).
//
// Everything the screen does to the outside world goes through accountsetup.Backend, in
// tea.Cmds; sign-ins report their URL or device code back through a channel while they
// wait, and can be cancelled with esc at any point.
package accounts

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/calsync/calsync/ui/settings"
)

type mode int

const (
	modeList mode = iota
	modePicking
	modeForm
	modeConnecting
	modeSaving
	modeConfirmRemove
	modeSettings
)

// Keys are the list's keys.
type Keys struct {
	Up, Down   key.Binding
	Add        key.Binding
	Settings   key.Binding
	Reconnect  key.Binding
	StopResume key.Binding
	Remove     key.Binding
	Yes, No    key.Binding
	Cancel     key.Binding
}

func defaultKeys() Keys {
	return Keys{
		Up:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down: key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		// Short words: the whole list's help fits 80 columns with the root's own keys.
		Add:        key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add")),
		Settings:   key.NewBinding(key.WithKeys("enter", "e"), key.WithHelp("e", "settings")),
		Reconnect:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reconnect")),
		StopResume: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "stop/resume sync")),
		Remove:     key.NewBinding(key.WithKeys("x", "delete"), key.WithHelp("x", "remove")),
		Yes:        key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:         key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
		Cancel:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// Messages. Every result carries the generation it was asked in; stale ones are dropped.
type (
	loadedMsg struct {
		gen      int
		accounts []store.Account
		syncs    map[string]string // account id -> what it syncs, in words
		err      error
	}
	pickedMsg struct {
		gen       int
		cancelled bool
	}
	formMsg struct {
		gen       int
		cancelled bool
	}
	promptMsg struct {
		gen    int
		prompt accountsetup.Prompt
		job    *connectJob
	}
	connectedMsg struct {
		gen  int
		conn *accountsetup.Connection
		err  error
	}
	savedMsg struct {
		gen     int
		account store.Account
		err     error
		wasNew  bool
	}
	actionMsg struct {
		gen  int
		text string
		err  error
	}
	tickMsg struct{ gen int }
)

// connectJob is a sign-in running in the background: prompts arrive while it waits, then
// exactly one result.
type connectJob struct {
	prompts chan accountsetup.Prompt
	done    chan connectedMsg
}

// Model is the Accounts tab.
type Model struct {
	ctx     *common.Context
	backend accountsetup.Backend
	keys    Keys

	width, height int
	mode          mode
	gen           int

	accounts []store.Account
	syncs    map[string]string
	cursor   int
	loadErr  string

	pick  *pickValues
	draft *accountsetup.Draft
	form  *huh.Form
	// formNatural is the form's height when nothing limits it, measured when it is made.
	formNatural int
	advice      accountsetup.Advice // inline failure shown above the form
	prompt      accountsetup.Prompt
	cancel      context.CancelFunc

	settings *settings.Model
}

type pickValues struct{ id string }

// New builds the Accounts tab on backend; nil means the real one on the shared store,
// with client IDs and endpoint overrides from the app's environment (ctx.Getenv: in a
// demo sandbox that points at the fakes).
func New(ctx *common.Context, backend accountsetup.Backend) *Model {
	if backend == nil {
		backend = accountsetup.NewManager(ctx.Services.Store, ctx.Getenv, ctx.Now)
	}
	return &Model{ctx: ctx, backend: backend, keys: defaultKeys(), width: 80, height: 24}
}

// Init loads the accounts.
func (m *Model) Init() tea.Cmd { return m.load() }

func (m *Model) load() tea.Cmd {
	m.gen++
	gen, b := m.gen, m.backend
	return func() tea.Msg {
		ctx := context.Background()
		as, err := b.Accounts(ctx)
		if err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		syncs := map[string]string{}
		for _, a := range as {
			syncs[a.ID] = syncLine(ctx, b, a.ID)
		}
		return loadedMsg{gen: gen, accounts: as, syncs: syncs}
	}
}

// SetSize sets the drawing area.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	if m.form != nil {
		m.form.WithWidth(min(w, 100))
		m.sizeForm()
	}
	if m.settings != nil {
		m.settings.SetSize(w, h)
	}
}

// Title is the tab label.
func (m *Model) Title() string { return "Accounts" }

// CapturingInput is true whenever the screen shows a form, a sign-in or a question, so
// typed letters and digits reach it instead of switching tabs.
func (m *Model) CapturingInput() bool {
	if m.mode == modeSettings && m.settings != nil {
		return true
	}
	return m.mode != modeList
}

// ShortHelp lists the keys of the current mode.
func (m *Model) ShortHelp() []key.Binding {
	switch m.mode {
	case modeList:
		if len(m.accounts) == 0 {
			return []key.Binding{m.keys.Add}
		}
		stop := m.keys.StopResume
		if a, ok := m.selected(); ok && a.State == store.AccountDisabled {
			stop.SetHelp("s", "resume")
		} else {
			stop.SetHelp("s", "stop")
		}
		return []key.Binding{m.keys.Add, m.keys.Settings, m.keys.Reconnect, stop, m.keys.Remove}
	case modeConfirmRemove:
		return []key.Binding{m.keys.Yes, m.keys.No}
	case modeSettings:
		if m.settings != nil {
			return m.settings.ShortHelp()
		}
	}
	return []key.Binding{m.keys.Cancel}
}

// FullHelp is the short help in columns.
func (m *Model) FullHelp() [][]key.Binding {
	if m.mode == modeList {
		return [][]key.Binding{{m.keys.Up, m.keys.Down, m.keys.Add, m.keys.Settings},
			{m.keys.Reconnect, m.keys.StopResume, m.keys.Remove}}
	}
	return [][]key.Binding{m.ShortHelp()}
}

func (m *Model) selected() (store.Account, bool) {
	if m.cursor < 0 || m.cursor >= len(m.accounts) {
		return store.Account{}, false
	}
	return m.accounts[m.cursor], true
}

// Update routes messages by mode.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.loadErr = ""
		if msg.err != nil {
			m.loadErr = "Could not read the accounts: " + msg.err.Error()
			return m, nil
		}
		m.accounts = msg.accounts
		m.syncs = msg.syncs
		m.cursor = min(max(m.cursor, 0), max(len(m.accounts)-1, 0))
		return m, nil

	case common.ActivatedMsg, common.DataChangedMsg:
		var cmd tea.Cmd
		if m.mode == modeList {
			cmd = m.reload()
		}
		return m, tea.Batch(cmd, m.forwardSettings(msg))

	case common.StateChangedMsg:
		// A fix signed an account in again, saved its password or changed its settings:
		// the list shows them afresh (other modes reload when they return to it), and
		// open settings re-read theirs rather than save an older copy over them.
		var cmd tea.Cmd
		if m.mode == modeList && msg.Source != m.Title() && msg.What.Has(common.ChangedAccounts|common.ChangedSettings) {
			cmd = m.reload()
		}
		return m, tea.Batch(cmd, m.forwardSettings(msg))

	case settings.DoneMsg:
		if m.mode == modeSettings {
			m.mode = modeList
			m.settings = nil
			return m, m.reload()
		}
		return m, nil

	case pickedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		if msg.cancelled {
			return m, m.backToList()
		}
		c, ok := accountsetup.ChoiceByID(m.pick.id)
		if !ok {
			return m, m.backToList()
		}
		d := &accountsetup.Draft{Choice: c, ServerURL: c.ServerURL}
		d.ClientID, d.ClientSecret = m.backend.ClientDefaults(c.Kind)
		m.advice = accountsetup.Advice{}
		return m, m.startForm(d)

	case formMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		if msg.cancelled {
			return m, m.backToList()
		}
		return m, m.startConnect()

	case promptMsg:
		if msg.gen != m.gen || m.mode != modeConnecting {
			return m, nil
		}
		m.prompt = msg.prompt
		cmds := []tea.Cmd{waitJob(msg.gen, msg.job)}
		if !msg.prompt.ExpiresAt.IsZero() {
			cmds = append(cmds, m.tick())
		}
		return m, tea.Batch(cmds...)

	case tickMsg:
		if msg.gen != m.gen || m.mode != modeConnecting || m.prompt.ExpiresAt.IsZero() {
			return m, nil
		}
		return m, m.tick()

	case connectedMsg:
		if msg.gen != m.gen || m.mode != modeConnecting {
			return m, nil
		}
		if m.cancel != nil {
			m.cancel() // the sign-in is over; release its context
			m.cancel = nil
		}
		if msg.err != nil {
			// Back to the same form, values kept except the password, with the reason above it.
			m.advice = accountsetup.Explain(m.draft.Choice, msg.err, nil)
			d := *m.draft
			d.Password = ""
			return m, m.startForm(&d)
		}
		m.mode = modeSaving
		m.gen++
		m.draft.Password = "" // the connection carries the secret to Save; drop our copy
		gen, b, conn := m.gen, m.backend, msg.conn
		wasNew := conn.Draft.ReconnectID == ""
		return m, tea.Batch(common.Busy("account:save", true), func() tea.Msg {
			a, err := b.Save(context.Background(), conn)
			return savedMsg{gen: gen, account: a, err: err, wasNew: wasNew}
		})

	case savedMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		notBusy := common.Busy("account:save", false)
		if msg.err != nil {
			m.advice = accountsetup.Advice{Text: "The connection worked but could not be saved: " + msg.err.Error()}
			var dup *accountsetup.AlreadyConnectedError
			if errors.As(msg.err, &dup) {
				m.advice = accountsetup.Advice{Text: fmt.Sprintf("Not added: %s is already connected as %q. "+
					"Adding it twice would put every activity in the calendar twice. To sign it in again, "+
					"press esc, select %q in the list and press r (reconnect).",
					safetext.Line(dup.Login), safetext.Line(dup.Existing.Name), safetext.Line(dup.Existing.Name))}
			}
			d := *m.draft
			d.Password = ""
			return m, tea.Batch(notBusy, m.startForm(&d))
		}
		name := safetext.Line(msg.account.Name)
		if !msg.wasNew {
			m.mode = modeList
			return m, tea.Batch(notBusy, m.reload(), common.DataChanged("Accounts"),
				common.StateChanged(common.ChangedAccounts, msg.account.ID, m.Title()),
				common.Status("Reconnected "+name+"; its settings and links are kept."))
		}
		// A new account goes straight to choosing how it syncs.
		m.openSettings(msg.account)
		return m, tea.Batch(notBusy, common.DataChanged("Accounts"),
			common.Status("Connected "+name+". Now choose how it syncs."), m.settings.Init())

	case actionMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.mode = modeList
		if msg.err != nil {
			return m, tea.Batch(common.StatusErr(msg.err), m.reload())
		}
		// Stopped, resumed or removed: the wizard's findings about accounts may be out of date.
		return m, tea.Batch(common.Status(msg.text), common.DataChanged("Accounts"),
			common.StateChanged(common.ChangedAccounts|common.ChangedSettings, "", m.Title()), m.reload())

	case tea.KeyMsg:
		return m.handleKey(msg)
	}

	if m.mode == modeSettings {
		return m, m.forwardSettings(msg)
	}
	if (m.mode == modePicking || m.mode == modeForm) && m.form != nil {
		return m, m.updateForm(msg)
	}
	return m, nil
}

func (m *Model) forwardSettings(msg tea.Msg) tea.Cmd {
	if m.settings == nil {
		return nil
	}
	_, cmd := m.settings.Update(msg)
	return cmd
}

func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	f, cmd := m.form.Update(msg)
	if ff, ok := f.(*huh.Form); ok {
		m.form = ff
	}
	return cmd
}

func (m *Model) reload() tea.Cmd { return m.load() }

func (m *Model) backToList() tea.Cmd {
	m.mode = modeList
	m.form = nil
	m.draft = nil
	m.advice = accountsetup.Advice{}
	m.prompt = accountsetup.Prompt{}
	return m.reload()
}

func (m *Model) openSettings(a store.Account) {
	m.mode = modeSettings
	m.settings = settings.New(m.ctx, m.backend, a)
	m.settings.SetSize(m.width, m.height)
}

func (m *Model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch m.mode {
	case modeSettings:
		return m, m.forwardSettings(msg)
	case modePicking, modeForm:
		return m, m.updateForm(msg)
	case modeConnecting:
		if key.Matches(msg, m.keys.Cancel) {
			if m.cancel != nil {
				m.cancel()
				m.cancel = nil
			}
			m.gen++ // whatever the sign-in still answers is dropped
			m.advice = accountsetup.Explain(m.draft.Choice, accountsetup.ErrCancelled, nil)
			d := *m.draft
			d.Password = ""
			return m, m.startForm(&d)
		}
		return m, nil
	case modeSaving:
		return m, nil
	case modeConfirmRemove:
		switch {
		case key.Matches(msg, m.keys.Yes):
			a, ok := m.selected()
			if !ok {
				m.mode = modeList
				return m, nil
			}
			b := m.backend // the command must not read the model from its goroutine
			return m, m.action(func(ctx context.Context) (string, error) {
				if err := b.Remove(ctx, a.ID); err != nil {
					return "", err
				}
				return "Removed " + safetext.Line(a.Name) + ". Its activities stay in the CRM.", nil
			})
		case key.Matches(msg, m.keys.No):
			m.mode = modeList
		}
		return m, nil
	}

	// modeList
	switch {
	case key.Matches(msg, m.keys.Up):
		if m.cursor > 0 {
			m.cursor--
		}
	case key.Matches(msg, m.keys.Down):
		if m.cursor < len(m.accounts)-1 {
			m.cursor++
		}
	case key.Matches(msg, m.keys.Add):
		return m, m.startPicker()
	case key.Matches(msg, m.keys.Settings):
		if a, ok := m.selected(); ok {
			m.openSettings(a)
			return m, m.settings.Init()
		}
	case key.Matches(msg, m.keys.Reconnect):
		if a, ok := m.selected(); ok {
			c := accountsetup.ChoiceForAccount(a.Kind, a.ServerURL)
			d := &accountsetup.Draft{Choice: c, Name: a.Name, ServerURL: a.ServerURL, Username: a.Login,
				ClientID: a.ClientID, ReconnectID: a.ID}
			if d.ClientID == "" {
				d.ClientID, d.ClientSecret = m.backend.ClientDefaults(c.Kind)
			} else if id, secret := m.backend.ClientDefaults(c.Kind); id == d.ClientID {
				d.ClientSecret = secret
			}
			m.advice = accountsetup.Advice{}
			return m, m.startForm(d)
		}
	case key.Matches(msg, m.keys.StopResume):
		if a, ok := m.selected(); ok {
			resume, b := a.State == store.AccountDisabled, m.backend
			return m, m.action(func(ctx context.Context) (string, error) {
				if err := b.SetEnabled(ctx, a.ID, resume); err != nil {
					return "", err
				}
				if resume {
					return "Sync resumed for " + safetext.Line(a.Name) + ".", nil
				}
				return "Sync stopped for " + safetext.Line(a.Name) + " (nothing deleted; s resumes).", nil
			})
		}
	case key.Matches(msg, m.keys.Remove):
		if _, ok := m.selected(); ok {
			m.mode = modeConfirmRemove
		}
	}
	return m, nil
}

// action runs fn in a Cmd and reports its sentence in the status bar.
func (m *Model) action(fn func(ctx context.Context) (string, error)) tea.Cmd {
	m.gen++
	gen := m.gen
	return func() tea.Msg {
		text, err := fn(context.Background())
		return actionMsg{gen: gen, text: text, err: err}
	}
}

func (m *Model) tick() tea.Cmd {
	gen := m.gen
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

// startPicker shows the provider picker (a new form each time: huh forms do not restart).
func (m *Model) startPicker() tea.Cmd {
	m.gen++
	gen := m.gen
	m.mode = modePicking
	m.pick = &pickValues{id: "google"}
	var opts []huh.Option[string]
	for _, c := range accountsetup.Choices() {
		opts = append(opts, huh.NewOption(c.Label, c.ID))
	}
	f := huh.NewForm(huh.NewGroup(
		huh.NewSelect[string]().
			Title("Which calendar do you want to connect?").
			Options(opts...).
			Value(&m.pick.id),
	))
	f.SubmitCmd = func() tea.Msg { return pickedMsg{gen: gen} }
	f.CancelCmd = func() tea.Msg { return pickedMsg{gen: gen, cancelled: true} }
	m.form = m.styleForm(f)
	m.formNatural = lipgloss.Height(m.form.View())
	m.sizeForm()
	return m.form.Init()
}

// startForm shows the details form for d.Choice, prefilled from d.
func (m *Model) startForm(d *accountsetup.Draft) tea.Cmd {
	m.gen++
	gen := m.gen
	m.mode = modeForm
	m.draft = d
	m.prompt = accountsetup.Prompt{}
	c := d.Choice
	// The guide is drawn above the form by View, not as a huh Note: Note descriptions
	// treat underscores as emphasis and would eat them from CALSYNC_GOOGLE_CLIENT_ID.
	var fields []huh.Field
	if c.IsCalDAV() {
		if c.ServerURL == "" || d.ReconnectID != "" {
			hint := c.ServerHint
			fields = append(fields, huh.NewInput().Title("Server address").Placeholder(hint).
				Value(&d.ServerURL).Validate(accountsetup.ValidateServerURL))
		}
		fields = append(fields,
			huh.NewInput().Title("User name").Description(c.UsernameHint).
				Value(&d.Username).Validate(accountsetup.ValidateUsername),
			huh.NewInput().Title("App password").Description("Shown as dots; never saved anywhere but calsync's own database.").
				EchoMode(huh.EchoModePassword).Value(&d.Password).Validate(accountsetup.ValidatePassword),
		)
	} else {
		idVar, secretVar := accountsetup.ClientEnv(c.Kind)
		fields = append(fields, huh.NewInput().Title("OAuth client ID").
			Description("Prefilled from "+idVar+" when set.").
			Value(&d.ClientID).Validate(accountsetup.ValidateClientID))
		if secretVar != "" {
			fields = append(fields, huh.NewInput().Title("OAuth client secret").
				Description("Prefilled from "+secretVar+" when set. Background sync reads it from there, so set it in your environment too.").
				EchoMode(huh.EchoModePassword).Value(&d.ClientSecret))
		}
	}
	if d.ReconnectID == "" {
		fields = append(fields, huh.NewInput().Title("Name in calsync (optional)").
			Placeholder("e.g. Work calendar").Value(&d.Name))
	}
	f := huh.NewForm(huh.NewGroup(fields...))
	f.SubmitCmd = func() tea.Msg { return formMsg{gen: gen} }
	f.CancelCmd = func() tea.Msg { return formMsg{gen: gen, cancelled: true} }
	m.form = m.styleForm(f)
	m.formNatural = lipgloss.Height(m.form.View())
	m.sizeForm()
	return m.form.Init()
}

func (m *Model) styleForm(f *huh.Form) *huh.Form {
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	f = f.WithKeyMap(km).WithShowHelp(true).WithWidth(min(max(m.width, 40), 100))
	// The app's one theme (colourless under NO_COLOR), as the activity form has.
	f = f.WithTheme(m.ctx.Styles.FormTheme())
	// huh sizes groups only on a WindowSizeMsg, which the root keeps for itself; the
	// height is set by sizeForm once the form is in place.
	f.Update(tea.WindowSizeMsg{Width: min(max(m.width, 40), 100), Height: max(m.height, 10)})
	return f
}

// startConnect tests the draft in the background. The sign-in's prompts (URL, device
// code) come back as promptMsg while it waits; esc cancels its context.
func (m *Model) startConnect() tea.Cmd {
	m.gen++
	gen := m.gen
	m.mode = modeConnecting
	m.advice = accountsetup.Advice{}
	m.prompt = accountsetup.Prompt{}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	b, d := m.backend, *m.draft
	job := &connectJob{prompts: make(chan accountsetup.Prompt, 8), done: make(chan connectedMsg, 1)}
	start := func() tea.Msg {
		go func() {
			conn, err := b.Connect(ctx, d, func(p accountsetup.Prompt) {
				select {
				case job.prompts <- p:
				case <-ctx.Done():
				}
			})
			job.done <- connectedMsg{gen: gen, conn: conn, err: err}
		}()
		return waitJob(gen, job)()
	}
	return start
}

// waitJob waits for the next prompt or the result of job.
func waitJob(gen int, job *connectJob) tea.Cmd {
	return func() tea.Msg {
		select {
		case p := <-job.prompts:
			return promptMsg{gen: gen, prompt: p, job: job}
		case r := <-job.done:
			return r
		}
	}
}

// View draws the current mode.
func (m *Model) View() string {
	if m.mode == modeSettings && m.settings != nil {
		return m.settings.View()
	}
	st := m.ctx.Styles
	w := max(m.width, 20)
	var b strings.Builder
	switch m.mode {
	case modeList, modeConfirmRemove:
		list := m.listView()
		a, ok := m.selected()
		if m.mode != modeConfirmRemove || !ok {
			b.WriteString(list)
			break
		}
		dialog := st.Dialog.Render(common.Wrap(fmt.Sprintf(
			"Remove %s? calsync forgets its sign-in, settings and links. The events already in the "+
				"calendar and the activities in the CRM stay.\n\n"+
				"Connecting this calendar again later imports the events made in it a second time. "+
				"To pause sync instead, press n and then s (stop sync).\n\ny: remove   n: keep",
			safetext.Line(a.Name)), min(w-8, 70)))
		// The question must be seen whole, its y/n line above all: on a short screen it
		// takes the list's place.
		if lipgloss.Height(list)+1+lipgloss.Height(dialog) <= m.height {
			b.WriteString(list)
			b.WriteString("\n\n")
		}
		b.WriteString(dialog)
	case modePicking:
		b.WriteString(st.Title.Render("Add account"))
		b.WriteString("\n\n")
		b.WriteString(m.form.View())
	case modeForm:
		b.WriteString(m.formPreamble(w))
		b.WriteString(m.form.View())
	case modeConnecting:
		b.WriteString(st.Title.Render(m.draft.Choice.Label))
		b.WriteString("\n\n")
		b.WriteString(m.connectingView(w))
	case modeSaving:
		b.WriteString(st.Muted.Render("Saving the account…"))
	}
	return lipgloss.NewStyle().MaxWidth(w).Render(b.String())
}

// formPreamble is what the form view draws above the form: the title, the inline failure
// and the provider's guide.
func (m *Model) formPreamble(w int) string {
	st := m.ctx.Styles
	var b strings.Builder
	title := "Add account"
	if m.draft.ReconnectID != "" {
		title = "Reconnect " + safetext.Line(m.draft.Name)
	}
	b.WriteString(st.Title.Render(title))
	b.WriteString("\n\n")
	if m.advice.Text != "" {
		b.WriteString(m.adviceView(w))
		b.WriteString("\n\n")
	}
	b.WriteString(st.Title.Render(m.draft.Choice.Label))
	b.WriteString("\n")
	guide := common.Wrap(m.draft.Choice.Guide, max(20, min(w-2, 100)))
	if m.guideTooTall(guide) {
		// A short terminal: the fields matter more than the walk-through, and the page
		// it comes from is still named.
		guide = common.Wrap("How to get these: see the page below (a taller window shows the steps here).", max(20, min(w-2, 100)))
	}
	if m.draft.Choice.GuideURL != "" {
		// Wrapped, not cut: a cut address cannot be opened.
		guide += "\n" + common.Wrap(m.draft.Choice.GuideURL, max(20, w-2))
	}
	b.WriteString(st.Muted.Render(guide))
	b.WriteString("\n\n")
	return b.String()
}

// minFormRows is the least the form needs to be usable: a focused field with its
// description, and the help line under it.
const minFormRows = 11

// guideTooTall says whether drawing the whole guide would leave the form too few rows.
func (m *Model) guideTooTall(wrappedGuide string) bool {
	rows := 2 + 1 + lipgloss.Height(wrappedGuide) + 1 // title+gap, label, guide, gap
	if u := m.draft.Choice.GuideURL; u != "" {
		rows += lipgloss.Height(common.Wrap(u, max(20, m.width-2)))
	}
	if m.advice.Text != "" {
		rows += lipgloss.Height(m.adviceView(max(m.width, 20))) + 2
	}
	return m.height-rows < minFormRows
}

// sizeForm fits the form into the rows under its preamble, so a long form scrolls to the
// focused field instead of running off the bottom of the terminal.
func (m *Model) sizeForm() {
	if m.form == nil {
		return
	}
	rows := m.height
	if m.mode == modeForm && m.draft != nil {
		rows -= lipgloss.Height(m.formPreamble(max(m.width, 20))) - 1
	} else {
		rows -= 2 // the "Add account" title and its gap
	}
	// huh sizes its viewport for a one-line help: a refusal that wraps to three lines
	// replaces the help and would push the form's bottom off the screen, so keep two rows
	// for it. A form that fits keeps its own height (no gap above its help); huh draws a
	// blank line above the help that its height leaves out.
	m.form.WithHeight(max(min(m.formNatural, rows-2)-1, 4))
}

func (m *Model) adviceView(w int) string {
	st := m.ctx.Styles
	text := safetext.Clean(m.advice.Text)
	if m.advice.Kind != "" {
		// The kind leads the sentence so it wraps with it instead of pushing it past the edge.
		text = string(m.advice.Kind) + ": " + text
	}
	return st.Warn.Render(common.Wrap(text, max(20, w-2)))
}

func (m *Model) connectingView(w int) string {
	st := m.ctx.Styles
	p := m.prompt
	var lines []string
	switch {
	case p.UserCode != "":
		lines = append(lines,
			"On any device, open "+st.Command.Render(safetext.Line(p.VerificationURL)),
			"and enter the code:",
			"",
			"    "+st.Title.Render(safetext.Line(p.UserCode)),
			"")
		if !p.ExpiresAt.IsZero() {
			left := p.ExpiresAt.Sub(m.ctx.Now()).Round(time.Second)
			if left > 0 {
				lines = append(lines, st.Muted.Render(fmt.Sprintf("The code expires in %s.", clock(left))))
			} else {
				lines = append(lines, st.Warn.Render("The code has expired; press esc and try again."))
			}
		}
		lines = append(lines, st.Muted.Render("Waiting for you to finish signing in…"))
	case p.AuthURL != "":
		opened := "Your browser should open; if it did not, open this address yourself:"
		if !p.BrowserOpened {
			opened = "Open this address in a browser to sign in:"
		}
		lines = append(lines, opened, "", st.Command.Render(safetext.Clean(p.AuthURL)), "",
			st.Muted.Render("The browser must run on this computer: the sign-in comes back to 127.0.0.1 here."),
			st.Muted.Render("Waiting for the browser to come back…"))
		if !p.ExpiresAt.IsZero() {
			if left := p.ExpiresAt.Sub(m.ctx.Now()).Round(time.Second); left > 0 {
				lines = append(lines, st.Muted.Render(fmt.Sprintf("The sign-in stops waiting in %s.", clock(left))))
			} else {
				lines = append(lines, st.Warn.Render("The sign-in has timed out; press esc and try again."))
			}
		}
	default:
		if m.draft.Choice.IsCalDAV() {
			lines = append(lines, "Testing the connection to "+safetext.Line(m.draft.ServerURL)+"…")
		} else {
			lines = append(lines, "Starting the sign-in…")
		}
	}
	lines = append(lines, "", st.Muted.Render("esc: cancel"))
	return common.Wrap(strings.Join(lines, "\n"), max(20, w-2))
}

func clock(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func (m *Model) listView() string {
	st := m.ctx.Styles
	w := max(m.width, 20)
	var b strings.Builder
	b.WriteString(st.Title.Render("Accounts"))
	b.WriteString("\n\n")
	if m.loadErr != "" {
		b.WriteString(st.Error.Render(m.loadErr))
		b.WriteString("\n\n")
	}
	if len(m.accounts) == 0 {
		// Wrapped before the key is styled: the view's MaxWidth would cut the sentence.
		text := common.Wrap("No calendar connected yet. Press a to add Google, Microsoft 365, iCloud, "+
			"Fastmail, Nextcloud or another CalDAV calendar.", max(20, w-2))
		b.WriteString(strings.Replace(text, "Press a ", "Press "+st.Key.Render("a")+" ", 1))
		return b.String()
	}
	// The fixed columns first; the name and login share what is left. Under 100 columns
	// the provider moves to the line below, so names like "Outlook (Microsoft 365)" fit.
	const stateW, lastW = 13, 16
	provW := 0
	if w >= 100 {
		provW = 10
	}
	rest := w - 2 - (stateW + 1) - lastW - 2
	if provW > 0 {
		rest -= provW + 1
	}
	nameW := min(32, max(10, rest*55/100))
	loginW := min(32, max(10, rest-nameW-1))
	header := "  " + common.Fit("NAME", nameW) + " "
	if provW > 0 {
		header += common.Fit("PROVIDER", provW) + " "
	}
	header += common.Fit("LOGIN", loginW) + " " + common.Fit("STATE", stateW) + " LAST SYNC"
	b.WriteString(st.TableHeader.Render(common.Truncate(header, w)))
	b.WriteString("\n")
	for i, a := range m.accounts {
		last := "never"
		if a.LastSyncAt != nil {
			last = a.LastSyncAt.Local().Format("2006-01-02 15:04")
		}
		// A mark as well as the highlight, so the cursor shows without colour too.
		mark := "  "
		if i == m.cursor {
			mark = "▸ "
		}
		row := mark + common.Fit(safetext.Line(a.Name), nameW) + " "
		if provW > 0 {
			row += common.Fit(safetext.Line(a.Kind), provW) + " "
		}
		row += common.Fit(safetext.Line(a.Login), loginW) + " " + common.Fit(stateWord(a.State), stateW) + " " + last
		row = common.Fit(row, w)
		switch {
		case i == m.cursor:
			row = st.Selected.Render(row)
		case a.State == store.AccountNeedsReauth:
			row = st.Error.Render(row)
		case a.State == store.AccountDisabled:
			row = st.Muted.Render(row)
		}
		b.WriteString(row)
		b.WriteString("\n")
		line := m.syncs[a.ID]
		if provW == 0 {
			line = strings.TrimSuffix(providerWord(a.Kind)+" · "+line, " · ")
		}
		if line != "" {
			b.WriteString(st.Muted.Render(common.Truncate("    "+line, w)))
			b.WriteString("\n")
		}
		if a.LastErrorKind != "" || a.LastErrorMessage != "" {
			kind := safetext.Line(a.LastErrorKind) // stored text: drawn cleaned like the rest
			msg := "    ! " + kind
			if text := safetext.Line(a.LastErrorMessage); text != "" {
				// Engine messages often name the kind already; once is enough.
				if kind != "" && strings.Contains(text, kind) {
					msg = "    ! " + text
				} else {
					msg += ": " + text
				}
			}
			if advice := safetext.Line(accountsetup.AccountAdvice(a)); advice != "" {
				// The provider's own words (trace ids, timestamps) bury the remedy; the
				// Log tab keeps them.
				msg = "    ! " + kind + ": " + advice
			}
			if a.LastErrorAt != nil {
				msg += " (" + a.LastErrorAt.Local().Format("2006-01-02 15:04") + ")"
			}
			// Wrapped under the row (four lines at most): the end of an error often says
			// what to do.
			ls := strings.Split(common.Wrap(msg, max(20, w-6)), "\n")
			if len(ls) > 4 {
				ls = append(ls[:3], common.Truncate(strings.Join(ls[3:], " "), max(20, w-6)))
			}
			for i, l := range ls {
				if i > 0 {
					l = "      " + strings.TrimLeft(l, " ")
				}
				b.WriteString(st.Warn.Render(l))
				b.WriteString("\n")
			}
		}
	}
	if a, ok := m.selected(); ok && a.State == store.AccountNeedsReauth {
		b.WriteString("\n")
		b.WriteString(st.Banner.Render(common.Wrap(safetext.Line(a.Name)+" needs a fresh sign-in: press r to reconnect "+
			"(its settings and links are kept).", w)))
	}
	return b.String()
}

// syncLine says in a few words what an account syncs: "syncs two-way with Work".
// The calendar name comes from the store, so it is cleaned before it is returned.
func syncLine(ctx context.Context, b accountsetup.Backend, accountID string) string {
	s, err := b.Settings(ctx, accountID)
	if err != nil {
		return "?"
	}
	if s.CalendarID == "" {
		return "not set up yet: press enter to choose a calendar"
	}
	name := s.CalendarID
	if cals, err := b.Calendars(ctx, accountID); err == nil {
		for _, c := range cals {
			if c.RemoteID == s.CalendarID {
				name = c.Name
			}
		}
	}
	line := "syncs " + s.Direction + " with " + safetext.Line(name)
	if !s.Enabled {
		line += " (off)"
	}
	return line
}

// providerWord names the provider kind as people know it.
func providerWord(kind string) string {
	switch kind {
	case "google":
		return "Google"
	case "microsoft":
		return "Microsoft"
	case "caldav":
		return "CalDAV"
	}
	return safetext.Line(kind)
}

func stateWord(s string) string {
	switch s {
	case store.AccountConnected:
		return "connected"
	case store.AccountNeedsReauth:
		return "needs sign-in"
	case store.AccountDisabled:
		return "sync stopped"
	}
	return s
}
