// Package logview is the Log tab: the sync journal, newest first, filterable by account,
// operation and reason. Enter opens an entry with its full detail (a conflict's losing
// version, an error's hint) and the activity it concerns with its links; t hands the
// activity to the Troubleshoot tab. Entries are read a page at a time from the store.
package logview

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/safetext"
)

// pageSize is how many entries one load reads; scrolling to the end reads the next page.
const pageSize = 200

// Ops the op filter cycles through ("" = all).
var ops = []string{"", store.OpPushed, store.OpPulled, store.OpSkipped, store.OpConflict, store.OpError,
	store.OpFixed, store.OpUndone, store.OpInfo}

type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back, Account, Op, Reason, Clear  key.Binding
	Troubleshoot, Reload                    key.Binding
}

func newKeys() keyMap {
	return keyMap{
		Up:           key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:         key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:       key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown:     key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:          key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "newest")),
		Bottom:       key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "oldest loaded")),
		Open:         key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:         key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Account:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "account filter")),
		Op:           key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "operation filter")),
		Reason:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reason filter")),
		Clear:        key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "clear filters")),
		Troubleshoot: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "troubleshoot activity")),
		Reload:       key.NewBinding(key.WithKeys("ctrl+l"), key.WithHelp("ctrl+l", "reload")),
	}
}

type row struct {
	e        store.JournalEntry
	subject  string // the activity's subject, "" when none or gone
	acctName string
}

type detail struct {
	e        store.JournalEntry
	acctName string
	act      *store.Activity
	links    []store.Link
	err      error
}

// Model is the Log screen.
type Model struct {
	ctx           *common.Context
	keys          keyMap
	width, height int

	gen                     int
	account, op, reason     string
	accounts                []store.Account
	reasons                 []string
	rows                    []row
	cursor, offset          int
	more, loading, loadedOK bool
	err                     error
	detail                  *detail
	detailScroll            int
}

// New builds the Log screen.
func New(ctx *common.Context) *Model { return &Model{ctx: ctx, keys: newKeys()} }

type loadedMsg struct {
	gen      int
	appendTo bool
	rows     []row
	more     bool
	accounts []store.Account
	reasons  []string
	err      error
}

type detailMsg struct {
	gen int
	d   detail
}

// Title implements common.Screen.
func (m *Model) Title() string { return "Log" }

// SetSize implements common.Screen.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// ShortHelp implements common.Screen.
func (m *Model) ShortHelp() []key.Binding {
	if m.detail != nil {
		return []key.Binding{m.keys.Back, m.keys.Troubleshoot}
	}
	return []key.Binding{m.keys.Open, m.keys.Account, m.keys.Op, m.keys.Reason, m.keys.Clear}
}

// FullHelp implements common.Screen.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{m.keys.Up, m.keys.Down, m.keys.PageUp, m.keys.PageDown, m.keys.Top, m.keys.Bottom},
		{m.keys.Open, m.keys.Back, m.keys.Troubleshoot, m.keys.Reload},
		{m.keys.Account, m.keys.Op, m.keys.Reason, m.keys.Clear},
	}
}

// Init loads the newest page.
func (m *Model) Init() tea.Cmd { return m.reload() }

func (m *Model) query(before int64) store.JournalQuery {
	return store.JournalQuery{AccountID: m.account, Op: m.op, Reason: m.reason, BeforeID: before, Limit: pageSize}
}

// reload reads the first page again (filters changed, the tab was activated, data changed).
func (m *Model) reload() tea.Cmd {
	m.gen++
	m.loading = true
	return m.load(m.gen, m.query(0), false)
}

func (m *Model) load(gen int, q store.JournalQuery, appendTo bool) tea.Cmd {
	if m.ctx == nil || m.ctx.Services.Store == nil {
		return nil
	}
	st := m.ctx.Services.Store
	return func() tea.Msg {
		ctx := context.Background()
		msg := loadedMsg{gen: gen, appendTo: appendTo}
		es, err := store.QueryJournal(ctx, st.DB, q)
		if err != nil {
			msg.err = err
			return msg
		}
		msg.more = len(es) == q.Limit
		if msg.accounts, err = store.ListAccounts(ctx, st.DB); err != nil {
			msg.err = err
			return msg
		}
		if msg.reasons, err = store.JournalReasons(ctx, st.DB); err != nil {
			msg.err = err
			return msg
		}
		names := map[string]string{}
		for _, a := range msg.accounts {
			names[a.ID] = a.Name
		}
		subjects := map[string]string{}
		for _, e := range es {
			r := row{e: e, acctName: names[e.AccountID]}
			if e.ActivityID != "" {
				s, ok := subjects[e.ActivityID]
				if !ok {
					if a, err := store.GetActivity(ctx, st.DB, e.ActivityID); err == nil {
						s = a.Subject
					}
					subjects[e.ActivityID] = s
				}
				r.subject = s
			}
			msg.rows = append(msg.rows, r)
		}
		return msg
	}
}

func (m *Model) openDetail(r row) tea.Cmd {
	if m.ctx == nil || m.ctx.Services.Store == nil {
		return nil
	}
	st, gen := m.ctx.Services.Store, m.gen
	return func() tea.Msg {
		ctx := context.Background()
		d := detail{e: r.e, acctName: r.acctName}
		if r.e.ActivityID != "" {
			a, err := store.GetActivity(ctx, st.DB, r.e.ActivityID)
			switch {
			case err == nil:
				d.act = &a
				d.links, d.err = store.LinksForActivity(ctx, st.DB, a.ID)
			case !errors.Is(err, store.ErrNotFound):
				d.err = err
			}
		}
		return detailMsg{gen: gen, d: d}
	}
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.gen != m.gen {
			return m, nil // a stale answer to an older filter
		}
		m.loading = false
		m.err = msg.err
		if msg.err != nil {
			return m, nil
		}
		m.loadedOK = true
		m.accounts, m.reasons, m.more = msg.accounts, msg.reasons, msg.more
		if msg.appendTo {
			m.rows = append(m.rows, msg.rows...)
		} else {
			m.rows = msg.rows
			m.cursor, m.offset = 0, 0
		}
		return m, nil
	case detailMsg:
		if msg.gen == m.gen && m.detail != nil && m.detail.e.ID == msg.d.e.ID {
			d := msg.d
			m.detail = &d
		}
		return m, nil
	case common.ActivatedMsg:
		return m, m.reload()
	case common.DataChangedMsg:
		if m.detail == nil {
			return m, m.reload()
		}
		return m, nil
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	k := m.keys
	if m.detail != nil {
		switch {
		case key.Matches(msg, k.Back):
			m.detail, m.detailScroll = nil, 0
		case key.Matches(msg, k.Down):
			m.detailScroll++
		case key.Matches(msg, k.Up):
			if m.detailScroll > 0 {
				m.detailScroll--
			}
		case key.Matches(msg, k.Troubleshoot):
			return m.troubleshoot(m.detail.e.ActivityID)
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Down):
		return m.move(1)
	case key.Matches(msg, k.Up):
		return m.move(-1)
	case key.Matches(msg, k.PageDown):
		return m.move(m.listHeight())
	case key.Matches(msg, k.PageUp):
		return m.move(-m.listHeight())
	case key.Matches(msg, k.Top):
		return m.move(-len(m.rows))
	case key.Matches(msg, k.Bottom):
		return m.move(len(m.rows))
	case key.Matches(msg, k.Open):
		if m.cursor < len(m.rows) {
			r := m.rows[m.cursor]
			m.detail = &detail{e: r.e, acctName: r.acctName}
			return m.openDetail(r)
		}
	case key.Matches(msg, k.Account):
		ids := []string{""}
		for _, a := range m.accounts {
			ids = append(ids, a.ID)
		}
		m.account = cycle(ids, m.account)
		return m.reload()
	case key.Matches(msg, k.Op):
		m.op = cycle(ops, m.op)
		return m.reload()
	case key.Matches(msg, k.Reason):
		m.reason = cycle(append([]string{""}, m.reasons...), m.reason)
		return m.reload()
	case key.Matches(msg, k.Clear):
		m.account, m.op, m.reason = "", "", ""
		return m.reload()
	case key.Matches(msg, k.Reload):
		return m.reload()
	case key.Matches(msg, k.Troubleshoot):
		if m.cursor < len(m.rows) {
			return m.troubleshoot(m.rows[m.cursor].e.ActivityID)
		}
	}
	return nil
}

func (m *Model) troubleshoot(activityID string) tea.Cmd {
	if activityID == "" {
		return common.Status("this entry is not about one activity")
	}
	return func() tea.Msg { return common.TroubleshootActivityMsg{ActivityID: activityID} }
}

func cycle(vals []string, cur string) string {
	for i, v := range vals {
		if v == cur {
			return vals[(i+1)%len(vals)]
		}
	}
	return vals[0]
}

// move moves the cursor; reaching the end of what is loaded reads the next page.
func (m *Model) move(d int) tea.Cmd {
	if len(m.rows) == 0 {
		return nil
	}
	m.cursor = max(0, min(len(m.rows)-1, m.cursor+d))
	h := m.listHeight()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	if m.cursor >= len(m.rows)-1 && m.more && !m.loading {
		m.loading = true
		return m.load(m.gen, m.query(m.rows[len(m.rows)-1].e.ID), true)
	}
	return nil
}

// listHeight is how many rows fit under the filter line and the header.
func (m *Model) listHeight() int { return max(1, m.height-3) }

func (m *Model) filterLine() string {
	acct := "all"
	for _, a := range m.accounts {
		if a.ID == m.account {
			acct = a.Name
		}
	}
	op, reason := m.op, m.reason
	if op == "" {
		op = "all"
	}
	if reason == "" {
		reason = "all"
	}
	return fmt.Sprintf("Account: %s · Operation: %s · Reason: %s", safetext.Line(acct), op, safetext.Line(reason))
}

// View implements tea.Model.
func (m *Model) View() string {
	if m.detail != nil {
		return m.detailView()
	}
	st := m.ctx.Styles
	w := max(40, m.width)
	var b strings.Builder
	b.WriteString(st.Muted.Render(common.Fit(m.filterLine(), w)) + "\n")
	switch {
	case m.err != nil:
		b.WriteString(st.Error.Render("Could not read the journal: "+safetext.Line(m.err.Error())) + "\n")
		return b.String()
	case !m.loadedOK:
		b.WriteString(st.Muted.Render("Loading the journal…") + "\n")
		return b.String()
	case len(m.rows) == 0 && (m.account != "" || m.op != "" || m.reason != ""):
		b.WriteString(st.Text.Render("No entries match these filters. Press x to clear them.") + "\n")
		return b.String()
	case len(m.rows) == 0:
		b.WriteString(st.Text.Render("The journal is empty: nothing has been synced yet. Connect an account (tab 3) and run a sync.") + "\n")
		return b.String()
	}
	cols := m.columns(w)
	b.WriteString(st.TableHeader.Render(m.line(cols, "When", "Operation", "Reason", "Account", "Activity")) + "\n")
	end := min(len(m.rows), m.offset+m.listHeight())
	for i := m.offset; i < end; i++ {
		r := m.rows[i]
		what := r.subject
		if what == "" {
			what = r.e.ActivityID
		}
		if what == "" {
			what = r.e.RemoteID
		}
		line := m.line(cols, r.e.At.Local().Format("2006-01-02 15:04"), r.e.Op, r.e.Reason, r.acctName, what)
		if i == m.cursor {
			b.WriteString(st.Selected.Render("▸" + line[1:]))
		} else {
			b.WriteString(m.opStyle(r.e.Op).Render(line))
		}
		b.WriteString("\n")
	}
	if m.more {
		b.WriteString(st.Muted.Render("  … older entries load as you scroll") + "\n")
	}
	return b.String()
}

type columns struct{ when, op, reason, acct, what int }

func (m *Model) columns(w int) columns {
	c := columns{when: 16, op: 9, reason: 18, acct: 14}
	c.what = max(10, w-2-c.when-c.op-c.reason-c.acct-4)
	return c
}

func (m *Model) line(c columns, when, op, reason, acct, what string) string {
	return "  " + common.Fit(when, c.when) + " " + common.Fit(op, c.op) + " " + common.Fit(safetext.Line(reason), c.reason) +
		" " + common.Fit(safetext.Line(acct), c.acct) + " " + common.Fit(safetext.Line(what), c.what)
}

func (m *Model) opStyle(op string) interface{ Render(...string) string } {
	st := m.ctx.Styles
	switch op {
	case store.OpError:
		return st.Error
	case store.OpConflict, store.OpSkipped:
		return st.Warn
	case store.OpPushed, store.OpPulled, store.OpFixed:
		return st.Text
	}
	return st.Muted
}

func (m *Model) detailView() string {
	st := m.ctx.Styles
	d := m.detail
	w := max(40, m.width)
	var lines []string
	add := func(label, val string) {
		if val != "" {
			lines = append(lines, st.Muted.Render(common.Fit(label, 10))+st.Text.Render(safetext.Line(val)))
		}
	}
	lines = append(lines, st.Title.Render(fmt.Sprintf("Journal entry #%d", d.e.ID)), "")
	add("When", d.e.At.Local().Format("2006-01-02 15:04:05 MST"))
	acct := d.acctName
	if d.e.AccountID != "" {
		acct = strings.TrimSpace(acct + " (" + d.e.AccountID + ")")
	}
	add("Account", acct)
	add("Operation", d.e.Op)
	add("Reason", d.e.Reason)
	if m := reasonMeaning[d.e.Reason]; m != "" {
		add("Meaning", m)
	}
	add("Run", d.e.RunID)
	add("Event", d.e.RemoteID)
	if d.act != nil {
		a := d.act
		lines = append(lines, "", st.Title.Render("Activity"))
		add("Subject", a.Subject)
		add("Id", a.ID)
		when := a.Start.Local().Format("Mon 2006-01-02 15:04")
		if a.AllDay {
			when = a.Start.Local().Format("Mon 2006-01-02") + " (all day)"
		}
		add("Type", string(a.Type))
		add("Starts", when)
		if a.DeletedAt != nil {
			add("Deleted", a.DeletedAt.Local().Format("2006-01-02 15:04"))
		}
		add("Revision", fmt.Sprint(a.Rev))
		for _, l := range d.links {
			add("Link", fmt.Sprintf("%s · %s · event %s · synced rev %d", l.AccountID, l.State, l.RemoteID, l.SyncedRev))
		}
		if len(d.links) == 0 {
			add("Link", "none: the activity is not linked to any calendar event")
		}
	} else if d.e.ActivityID != "" {
		add("Activity", d.e.ActivityID+" (no longer in the store)")
	}
	if d.err != nil {
		lines = append(lines, st.Error.Render("Could not read the activity: "+safetext.Line(d.err.Error())))
	}
	if d.e.Detail != "" {
		lines = append(lines, "", st.Title.Render("Detail"))
		for _, l := range strings.Split(prettyDetail(d.e.Detail), "\n") {
			lines = append(lines, st.Text.Render(common.Fit("  "+safetext.Line(l), w)))
		}
	}
	h := max(1, m.height)
	m.detailScroll = min(m.detailScroll, max(0, len(lines)-h))
	lines = lines[m.detailScroll:]
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n") + "\n"
}

// prettyDetail indents JSON details (conflict versions, errors); other text stays as is.
func prettyDetail(s string) string {
	var buf bytes.Buffer
	if json.Valid([]byte(s)) && json.Indent(&buf, []byte(s), "", "  ") == nil {
		return buf.String()
	}
	return s
}

// reasonMeaning says in words what the engine's reason codes mean.
var reasonMeaning = map[string]string{
	"created":            "calsync created the calendar event for this activity",
	"imported":           "calsync created this activity from a calendar event",
	"updated":            "the other side was updated with this side's change",
	"deleted":            "deleted on the other side because it was deleted here",
	"relinked":           "an event carrying this activity's tag was linked again instead of imported twice",
	"before-activation":  "not changed since sync was switched on; set a backfill date in the sync settings to include it",
	"type-not-synced":    "this activity type is not selected in the sync settings",
	"not-owner":          "only your own activities go to your calendar",
	"outside-window":     "outside the sync window (30 days back, 365 ahead by default)",
	"direction":          "the sync direction does not carry this change",
	"other-account":      "imported from another calendar account; not copied across accounts",
	"duplicate-tag":      "a second event claims this activity (the same calendar connected twice?)",
	"local-won":          "both sides changed; the CRM version won, the calendar version is kept below",
	"remote-won":         "both sides changed; the calendar version won, the CRM version is kept below",
	"mass-delete-guard":  "the calendar suddenly listed nothing; nothing was deleted",
	"time-shift-guard":   "many events moved by the same hours in the calendar; nothing moved here until you confirm (Home: m)",
	"cursor-expired":     "the calendar's change token expired; a full listing was done",
	"unlinked":           "the event is gone; the activity was kept",
	"unconfirmed-writes": "calsync's own writes were not confirmed by the calendar's changes; the next sync lists the calendar in full",
	"read-only-calendar": "the calendar is read-only",
	"unsupported-event":  "calsync cannot read this calendar event (e.g. it repeats every minute); it was set aside, the rest synced",
	// error reasons are the provider's error kinds
	"AuthExpired":         "the sign-in expired or was revoked: reconnect the account (tab 3)",
	"AppPasswordRequired": "the server wants an app password (two-factor account): reconnect with one",
	"InsufficientScope":   "calendar access was not granted at sign-in: reconnect and tick calendar access",
	"AdminBlocked":        "your organisation's admin blocks calsync: ask them to allow it",
	"ReadOnly":            "calsync may not write to this calendar",
	"RateLimited":         "the provider asked calsync to slow down; the next sync retries",
	"CursorExpired":       "the change token expired; the next sync lists everything again",
	"NotFound":            "the event or calendar no longer exists",
	"Conflict":            "the event changed at the same time; the next sync decides",
	"Unavailable":         "the provider had an outage; the next sync retries",
	"Network":             "the network failed; the next sync retries",
	"Invalid":             "the event or request could not be understood; it was skipped",
	"internal":            "calsync itself failed here; run calsync doctor and include a support bundle",
}
