// Package activities is the Activities tab: the CRM activity list read from the store a
// window at a time, the filter bar (owner, each type, status, period, search) with a banner
// that says how many activities the filters hide and which, a detail pane with the
// activity's calendar link, and add / edit (an embedded huh form), done and delete.
//
// The list never holds more than the visible rows plus a margin of a screen or two. A
// filter change reads the counts and the first window (store.ListActivities); scrolling
// reads the rows next to the window by key (store.ListActivitiesAfter), so its cost does
// not grow with how deep in 100,000 activities the window is. Every read is tagged with a
// generation number, a newer read cancels the older one, and a stale answer is dropped.
package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/calsync/calsync/store"
	calsync "github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/common"
)

// queryTimeout bounds one store read; a locked or huge database must not hang a Cmd forever.
const queryTimeout = 15 * time.Second

// focus is where keys go inside the screen.
type focus int

const (
	focusList focus = iota
	focusFilters
	focusSearch
)

// Filter bar items, in the order ←/→ walks them. Types follow filterAllTypes.
const (
	filterOwner = iota
	filterStatus
	filterPeriod
	filterSearch
	filterAllTypes
	filterFirstType
)

var filterItemCount = filterFirstType + len(store.AllTypes)

// Model is the Activities screen.
type Model struct {
	ctx  *common.Context
	keys keyMap

	width, height int

	ready  bool // the saved filter and the user's time zone are loaded
	filter store.ListFilter
	// saved is the filter as this screen last read it from the store or wrote it there.
	// A save writes only over that filter: one changed meanwhile (a Troubleshoot fix, the
	// CLI) is never overwritten with a filter built on an older one.
	saved     store.ListFilter
	saving    bool // a save is in flight; the next one waits for it (saves stay in order)
	saveAgain bool // the filter changed while a save was in flight
	// viewGen counts saves started and finished: a read of the saved filter that began
	// before one is not adopted (it may predate the person's own change).
	viewGen int
	loc     *time.Location
	zone    string // loc's IANA name ("Local" resolved), for people and for new activities
	users   []store.User
	meID    string
	account map[string]string // account id -> name, for the detail pane
	cals    map[calKey]string // calendar -> name, for the detail pane

	// The current window: rows[i] is list position winOffset+i.
	gen       int                // generation of the newest query; older answers are dropped
	pending   bool               // a read is in flight; its answer looks again at what is needed
	cancelQ   context.CancelFunc // stops the read in flight once a newer one is asked
	winOffset int
	rows      []store.ActivityRow
	total     int
	shown     int
	hidden    int
	hiddenBy  []store.HiddenCount
	loadErr   error

	cursor, top int // absolute list positions
	cache       rowCache

	focus     focus
	filterPos int
	search    textinput.Model
	searchWas string // the search before "/" was pressed, restored by esc
	searchGen int

	showDetail bool // on narrow terminals the detail pane is toggled with enter

	confirm *store.ActivityRow // delete waiting for y/n
	picker  *ownerPicker       // choosing whose activities to show

	form     *huh.Form
	formVals *formValues
	formID   int
}

// calKey names one calendar of one account.
type calKey struct{ account, remoteID string }

// New builds the screen; Init loads the saved filter.
func New(c *common.Context) *Model {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "subject, location or note"
	ti.CharLimit = store.MaxSearchChars
	// A steady cursor: a blinking one redraws the whole screen twice a second for nothing.
	ti.Cursor.SetMode(cursor.CursorStatic)
	return &Model{
		ctx:     c,
		keys:    newKeyMap(),
		filter:  store.DefaultListFilter(),
		loc:     time.Local,
		search:  ti,
		cache:   newRowCache(),
		account: map[string]string{},
	}
}

// Messages: each carries the generation it answers.
type (
	setupMsg struct {
		viewGen int // m.viewGen when the read began
		filter  store.ListFilter
		loc     *time.Location
		zone    string
		users   []store.User
		meID    string
		account map[string]string
		cals    map[calKey]string
		warn    error // the saved time zone was unusable: shown, not fatal
		err     error
	}
	pageMsg struct {
		gen    int
		offset int
		page   store.ListPage
		err    error
	}
	savedViewMsg struct {
		saved store.ListFilter // what was written
		// stale is set when the stored filter was no longer the one the change was made
		// on: nothing was written, and stored is what the store holds.
		stale  bool
		stored store.ListFilter
		err    error
	}
	writeMsg struct {
		what string // "saved", "marked done"... for the status bar
		id   string
		err  error
		// goTo moves the cursor to list position pos (a new activity the filters show).
		goTo bool
		pos  int
	}
	searchTickMsg struct{ gen int }
	formDoneMsg   struct {
		id        int
		cancelled bool
	}
)

// Title implements common.Screen.
func (m *Model) Title() string { return "Activities" }

// SetSize implements common.Screen.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.search.Width = max(10, w/3)
	if m.form != nil {
		m.form.WithWidth(w).WithHeight(m.formHeight())
	}
	m.scrollIntoView()
}

// CapturingInput implements common.InputCapturer: typing goes to the search field, the
// form or the delete question, not to the global keys.
func (m *Model) CapturingInput() bool {
	return m.form != nil || m.focus == focusSearch || m.confirm != nil || m.picker != nil
}

// Init loads the saved filter, the time zone and the users.
func (m *Model) Init() tea.Cmd { return m.setupCmd() }

func (m *Model) store() *store.Store { return m.ctx.Services.Store }

func (m *Model) setupCmd() tea.Cmd {
	st, viewGen := m.store(), m.viewGen
	return func() tea.Msg {
		if st == nil {
			return setupMsg{err: errors.New("no store is open")}
		}
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		defer cancel()
		out := setupMsg{viewGen: viewGen}
		var err error
		if out.filter, err = store.LoadListView(ctx, st.DB); err != nil {
			return setupMsg{err: fmt.Errorf("read the saved list filter: %w", err)}
		}
		out.loc, out.warn = store.UserLocation(ctx, st.DB)
		if out.loc == nil {
			out.loc = time.Local
		}
		out.zone = store.TimeZoneName(out.loc) // may read /etc/localtime: not in View
		if out.users, err = store.ListUsers(ctx, st.DB); err != nil {
			return setupMsg{err: fmt.Errorf("read users: %w", err)}
		}
		for _, u := range out.users {
			if u.IsMe {
				out.meID = u.ID
			}
		}
		// Names for the detail pane; without them it shows ids, so errors are not fatal.
		out.account, out.cals = map[string]string{}, map[calKey]string{}
		if accts, err := store.ListAccounts(ctx, st.DB); err == nil {
			for _, a := range accts {
				out.account[a.ID] = a.Name
				cals, _ := store.ListCalendars(ctx, st.DB, a.ID)
				for _, c := range cals {
					out.cals[calKey{a.ID, c.RemoteID}] = c.Name
				}
			}
		}
		return out
	}
}

// visibleRows is how many table rows fit now.
func (m *Model) visibleRows() int {
	_, listH, _ := m.layout()
	return max(1, listH-1) // minus the header
}

// windowFor is the window to load so that top's screenful and a screenful either side
// are in memory: scrolling a page never waits for the store.
func (m *Model) windowFor(top int) (offset, limit int) {
	v := m.visibleRows()
	offset = max(0, top-v)
	return offset, 3 * v
}

// queryCmd asks for the window around m.top under the current filter. Every value the
// command needs is copied first: the goroutine never reads the model.
func (m *Model) queryCmd() tea.Cmd {
	st := m.store()
	if st == nil || !m.ready {
		return nil
	}
	offset, limit := m.windowFor(m.top)
	q, ctx, cancel := m.beginWindowRead()
	return func() tea.Msg {
		defer cancel()
		page, err := store.ListActivities(ctx, st.DB, q.filter, q.loc, q.now, offset, limit)
		return pageMsg{gen: q.gen, offset: offset, page: page, err: err}
	}
}

// windowRead is what a Cmd reading the window needs, copied out of the model: the
// goroutine never reads the model.
type windowRead struct {
	gen    int
	loc    *time.Location
	now    time.Time
	filter store.ListFilter
}

// beginWindowRead starts a read of the window that supersedes the one in flight: it cancels
// that one (its answer would be dropped anyway: holding pgdown must not queue up deep
// queries), takes a new generation, marks a read pending and copies what the read needs.
// The Cmd calls cancel when it is done.
func (m *Model) beginWindowRead() (windowRead, context.Context, context.CancelFunc) {
	m.gen++
	m.pending = true
	f := m.filter
	f.Types = slices.Clone(f.Types)
	if m.cancelQ != nil {
		m.cancelQ()
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	m.cancelQ = cancel
	return windowRead{gen: m.gen, loc: m.loc, now: m.ctx.Now(), filter: f}, ctx, cancel
}

// reloadCmd re-reads the counts and the loaded window in place, after a write or a sync.
// The window is read by key from the row before it, so a reload deep in a long list costs
// what one at the top costs (an OFFSET would walk every row above it).
func (m *Model) reloadCmd() tea.Cmd {
	st := m.store()
	if st == nil || !m.ready {
		return nil
	}
	if len(m.rows) == 0 || m.winOffset == 0 {
		return m.queryCmd()
	}
	offset, limit := m.winOffset, max(len(m.rows), 3*m.visibleRows())
	first := store.AnchorOf(m.rows[0].Activity)
	q, ctx, cancel := m.beginWindowRead()
	gen, loc, now, f := q.gen, q.loc, q.now, q.filter
	return func() tea.Msg {
		defer cancel()
		page, err := store.ListActivities(ctx, st.DB, f, loc, now, 0, 0) // counts only
		if err != nil {
			return pageMsg{gen: gen, err: err}
		}
		// The row just before the window (by value: the window's first row may be gone).
		prev, err := store.ListActivitiesAfter(ctx, st.DB, f, loc, now, &first, true, 1)
		if err != nil {
			return pageMsg{gen: gen, err: err}
		}
		var from *store.ListAnchor
		if len(prev) == 1 {
			a := store.AnchorOf(prev[0].Activity)
			from = &a
		} else {
			offset = 0 // nothing before it any more: the window starts the list
		}
		page.Rows, err = store.ListActivitiesAfter(ctx, st.DB, f, loc, now, from, false, limit)
		page.Offset = offset
		return pageMsg{gen: gen, offset: offset, page: page, err: err}
	}
}

// ensureWindow reads more rows when the visible ones are not all loaded, or when the
// cursor came within a third of a screen of the loaded window's edge and there is more
// beyond it. Next to the window it pages by key (store.ListActivitiesAfter: cost bounded
// by the page, however deep); the last row is read backwards from the end; only a jump
// far from the window reads by OFFSET, with the counts.
func (m *Model) ensureWindow() tea.Cmd {
	if !m.ready || m.pending {
		return nil // the answer in flight calls ensureWindow again
	}
	v := m.visibleRows()
	end := min(m.top+v, m.shown)
	loadedEnd := m.winOffset + len(m.rows)
	covered := m.top >= m.winOffset && end <= loadedEnd
	needBelow := loadedEnd < m.shown && loadedEnd-end < v/3+1
	needAbove := m.winOffset > 0 && m.top-m.winOffset < v/3+1
	switch {
	case covered && !needBelow && !needAbove:
		return nil
	case len(m.rows) == 0 || m.top == 0 && m.winOffset > 0:
		return m.queryCmd()
	case m.cursor == m.shown-1 && (m.top > loadedEnd+v || m.top < m.winOffset):
		return m.slideCmd(nil, true, 3*v, m.shown) // the end, read backwards
	case needBelow && m.top <= loadedEnd+v:
		last := m.rows[len(m.rows)-1].Activity
		a := store.AnchorOf(last)
		return m.slideCmd(&a, false, max(2*v, m.top+2*v-loadedEnd), loadedEnd)
	case needAbove && !needBelow && m.top+v >= m.winOffset-v:
		a := store.AnchorOf(m.rows[0].Activity)
		return m.slideCmd(&a, true, max(2*v, m.winOffset-(m.top-v)), m.winOffset)
	case covered:
		return nil
	}
	return m.queryCmd()
}

// slideMsg answers slideCmd: rows in list order that belong just before (backward) or
// just after the window; edge is the list position they border.
type slideMsg struct {
	gen      int
	backward bool
	edge     int
	asked    int
	rows     []store.ActivityRow
	err      error
}

func (m *Model) slideCmd(anchor *store.ListAnchor, backward bool, limit, edge int) tea.Cmd {
	st := m.store()
	if st == nil {
		return nil
	}
	q, ctx, cancel := m.beginWindowRead()
	return func() tea.Msg {
		defer cancel()
		rows, err := store.ListActivitiesAfter(ctx, st.DB, q.filter, q.loc, q.now, anchor, backward, limit)
		if backward {
			slices.Reverse(rows)
		}
		return slideMsg{gen: q.gen, backward: backward, edge: edge, asked: limit, rows: rows, err: err}
	}
}

// applySlide joins the new rows to the window and trims it back to a few screens.
func (m *Model) applySlide(msg slideMsg) tea.Cmd {
	v := m.visibleRows()
	switch {
	case msg.edge == m.shown && msg.backward: // read from the end
		if len(msg.rows) < min(msg.asked, m.shown) {
			return m.queryCmd() // fewer than the counts said: the list changed, recount
		}
		m.rows, m.winOffset = msg.rows, m.shown-len(msg.rows)
	case !msg.backward && msg.edge == m.winOffset+len(m.rows):
		if len(msg.rows) < min(msg.asked, m.shown-msg.edge) {
			return m.queryCmd()
		}
		m.rows = append(m.rows[:len(m.rows):len(m.rows)], msg.rows...)
	case msg.backward && msg.edge == m.winOffset:
		if len(msg.rows) < min(msg.asked, m.winOffset) {
			return m.queryCmd()
		}
		m.rows = append(msg.rows[:len(msg.rows):len(msg.rows)], m.rows...)
		m.winOffset -= len(msg.rows)
	default:
		return m.queryCmd() // the window moved under the answer: read afresh
	}
	// Keep a screen above and two below the visible rows: memory stays bounded.
	if drop := (m.top - v) - m.winOffset; drop > 0 {
		drop = min(drop, len(m.rows))
		m.rows, m.winOffset = m.rows[drop:], m.winOffset+drop
	}
	if keep := (m.top + 3*v) - m.winOffset; keep >= 0 && keep < len(m.rows) {
		m.rows = m.rows[:keep]
	}
	return m.ensureWindow()
}

// filterChanged resets the list to the top, saves the filter and queries.
func (m *Model) filterChanged() tea.Cmd {
	return tea.Batch(m.showFilter(), m.saveViewCmd())
}

// showFilter resets the list to the top and queries under the current filter.
func (m *Model) showFilter() tea.Cmd {
	m.cursor, m.top = 0, 0
	m.rows, m.winOffset = nil, 0
	return m.queryCmd()
}

// saveViewCmd saves the filter over the one this screen last saw stored, and only over
// that one: in one transaction it reads the stored filter and, when something else
// changed it meanwhile (a Troubleshoot fix, the CLI), writes nothing and answers with what
// is stored, which the screen then shows. One save is in flight at a time, so quick
// toggles are written in order, each on top of the one before.
func (m *Model) saveViewCmd() tea.Cmd {
	st := m.store()
	if st == nil || !m.ready {
		return nil
	}
	if m.saving {
		m.saveAgain = true
		return nil
	}
	if sameFilter(m.filter, m.saved) {
		return nil
	}
	m.saving = true
	m.viewGen++
	base, next := cloneFilter(m.saved), cloneFilter(m.filter)
	now := m.ctx.Now()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		defer cancel()
		out := savedViewMsg{saved: next}
		out.err = st.Tx(ctx, func(h store.Handler) error {
			cur, err := store.LoadListView(ctx, h)
			if err != nil {
				return err
			}
			if !sameFilter(cur, base) {
				out.stale, out.stored = true, cur
				return nil
			}
			return store.SaveListView(ctx, h, next, now)
		})
		return out
	}
}

// savedView takes a save's answer: the next save waiting, or the filter stored meanwhile.
func (m *Model) savedView(msg savedViewMsg) tea.Cmd {
	m.saving = false
	m.viewGen++
	switch {
	case msg.err != nil:
		m.saveAgain = false
		return common.StatusErr(fmt.Errorf("the filter applies now but could not be saved for next time: %w", msg.err))
	case msg.stale:
		m.saveAgain = false
		return tea.Batch(m.adopt(msg.stored), common.StatusErr(errors.New(
			"the list's filters were changed elsewhere (Troubleshoot or a command): showing those; your last filter change was not saved")))
	}
	m.saved = cloneFilter(msg.saved)
	changed := common.StateChanged(common.ChangedFilters, "", m.Title())
	if m.saveAgain {
		m.saveAgain = false
		return tea.Batch(changed, m.saveViewCmd())
	}
	return changed
}

// adopt shows f, the filter now stored, without saving it back. A search being typed
// stays in the field (and is saved on top of f when typing pauses).
func (m *Model) adopt(f store.ListFilter) tea.Cmd {
	f = cloneFilter(f)
	m.saved = cloneFilter(f)
	if m.focus == focusSearch {
		f.Search = m.filter.Search
	} else {
		m.search.SetValue(f.Search)
	}
	if sameFilter(f, m.filter) {
		return nil
	}
	m.filter = f
	cmd := m.showFilter()
	if m.focus == focusSearch && !sameFilter(m.filter, m.saved) {
		cmd = tea.Batch(cmd, m.saveViewCmd())
	}
	return cmd
}

func cloneFilter(f store.ListFilter) store.ListFilter {
	f.Types = slices.Clone(f.Types)
	return f
}

// sameFilter compares two filters as the store keeps them: defaults filled in, types as
// a set (none and all six both mean every type), the search as one line.
func sameFilter(a, b store.ListFilter) bool {
	word := func(s, def string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			return def
		}
		return s
	}
	owner := func(s string) string {
		if w := word(s, store.OwnerMe); w == store.OwnerMe || w == store.OwnerAll {
			return w
		}
		return strings.TrimSpace(s)
	}
	if owner(a.Owner) != owner(b.Owner) || word(a.Status, store.StatusTodo) != word(b.Status, store.StatusTodo) ||
		word(a.Period, store.PeriodAll) != word(b.Period, store.PeriodAll) ||
		strings.Join(strings.Fields(a.Search), " ") != strings.Join(strings.Fields(b.Search), " ") {
		return false
	}
	ta, tb := typesOn(a.Types), typesOn(b.Types)
	if len(ta) != len(tb) {
		return false
	}
	for t := range ta {
		if !tb[t] {
			return false
		}
	}
	return true
}

// rowAt returns the loaded row at absolute list position i.
func (m *Model) rowAt(i int) (store.ActivityRow, bool) {
	j := i - m.winOffset
	if j < 0 || j >= len(m.rows) {
		return store.ActivityRow{}, false
	}
	return m.rows[j], true
}

// Selected returns the activity under the cursor, if it is loaded.
func (m *Model) Selected() (store.ActivityRow, bool) {
	if m.shown == 0 {
		return store.ActivityRow{}, false
	}
	return m.rowAt(m.cursor)
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case setupMsg:
		if msg.err != nil {
			m.loadErr = msg.err
			return m, common.StatusErr(msg.err)
		}
		if m.ready {
			// A refresh (tab activated, r, a state change). The stored filter is adopted
			// when it changed under us, unless the read may predate one of our own saves:
			// then the filter in memory is the newer one.
			zoneChanged := msg.zone != m.zone
			m.loc, m.zone, m.users, m.meID, m.account, m.cals = msg.loc, msg.zone, msg.users, msg.meID, msg.account, msg.cals
			if zoneChanged {
				// Times, "today" and the period filters follow the zone: redraw and re-read.
				m.cache = newRowCache()
			}
			if msg.viewGen == m.viewGen && !m.saving && !sameFilter(msg.filter, m.saved) {
				if cmd := m.adopt(msg.filter); cmd != nil {
					return m, cmd
				}
			}
			if zoneChanged {
				return m, m.reloadCmd()
			}
			return m, nil
		}
		m.ready = true
		m.saved = cloneFilter(msg.filter)
		m.filter, m.loc, m.zone, m.users, m.meID, m.account, m.cals = msg.filter, msg.loc, msg.zone, msg.users, msg.meID, msg.account, msg.cals
		var warn tea.Cmd
		if msg.warn != nil {
			warn = common.StatusErr(msg.warn)
		}
		return m, tea.Batch(m.queryCmd(), warn)
	case pageMsg:
		if msg.gen != m.gen {
			return m, nil // an older question; a newer one is on its way
		}
		m.pending = false
		if msg.err != nil {
			m.loadErr = msg.err
			return m, common.StatusErr(fmt.Errorf("read activities: %w", msg.err))
		}
		m.loadErr = nil
		m.winOffset, m.rows = msg.offset, msg.page.Rows
		m.total, m.shown, m.hidden = msg.page.Total, msg.page.Shown, msg.page.Hidden
		m.hiddenBy = msg.page.HiddenList()
		m.clampCursor()
		return m, m.ensureWindow()
	case slideMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.pending = false
		if msg.err != nil {
			m.loadErr = msg.err
			return m, common.StatusErr(fmt.Errorf("read activities: %w", msg.err))
		}
		return m, m.applySlide(msg)
	case savedViewMsg:
		return m, m.savedView(msg)
	case writeMsg:
		busyOff := common.Busy(busyKey, false)
		if msg.err != nil {
			return m, tea.Batch(busyOff, common.StatusErr(msg.err), m.reloadCmd())
		}
		var reload tea.Cmd
		if msg.goTo {
			reload = m.jumpTo(msg.pos)
		} else {
			reload = m.reloadCmd()
		}
		return m, tea.Batch(busyOff, common.Status(msg.what), reload, common.DataChanged(m.Title()))
	case common.DataChangedMsg:
		if msg.Source == m.Title() {
			return m, nil
		}
		return m, m.reloadCmd()
	case common.StateChangedMsg:
		// A fix (or its undo) changed the saved filter, the zone, accounts or rows:
		// read them again, so the list shows them and never saves its older filter back.
		// Before the first load has answered too: it may have read the older state.
		if msg.Source == m.Title() ||
			!msg.What.Has(common.ChangedFilters|common.ChangedTimeZone|common.ChangedAccounts|common.ChangedActivities) {
			return m, nil
		}
		return m, tea.Batch(m.setupCmd(), m.reloadCmd())
	case common.ActivatedMsg:
		// Users and accounts may have changed in another tab or by a CLI command.
		if m.ready {
			return m, tea.Batch(m.setupCmd(), m.reloadCmd())
		}
		return m, nil
	case searchTickMsg:
		if msg.gen != m.searchGen {
			return m, nil
		}
		return m, m.filterChanged()
	case formDoneMsg:
		return m.formDone(msg)
	case tea.KeyMsg:
		return m.handleKey(msg)
	}
	if m.form != nil {
		return m, m.updateForm(msg)
	}
	if m.focus == focusSearch {
		var cmd tea.Cmd
		m.search, cmd = m.search.Update(msg)
		return m, cmd
	}
	return m, nil
}

// busyKey names this screen's writes in the quit confirmation.
const busyKey = "activity change"

func (m *Model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case m.form != nil:
		return m, m.updateForm(msg)
	case m.confirm != nil:
		row := *m.confirm
		switch {
		case key.Matches(msg, k.Yes):
			m.confirm = nil
			return m, m.deleteCmd(row)
		case key.Matches(msg, k.No):
			m.confirm = nil
			return m, common.Status("Kept " + quoted(cleanLine(row.Subject)))
		}
		return m, nil
	case m.picker != nil:
		return m, m.pickerKey(msg)
	case m.focus == focusSearch:
		return m, m.searchKey(msg)
	case m.focus == focusFilters:
		return m, m.filterKey(msg)
	}
	v := m.visibleRows()
	switch {
	case key.Matches(msg, k.Up):
		return m, m.moveCursor(-1)
	case key.Matches(msg, k.Down):
		return m, m.moveCursor(1)
	case key.Matches(msg, k.PageUp):
		return m, m.moveCursor(-v)
	case key.Matches(msg, k.PageDown):
		return m, m.moveCursor(v)
	case key.Matches(msg, k.Top):
		return m, m.moveCursor(-m.shown)
	case key.Matches(msg, k.Bottom):
		return m, m.moveCursor(m.shown)
	case key.Matches(msg, k.Detail):
		m.showDetail = !m.showDetail
		m.scrollIntoView()
		return m, m.ensureWindow()
	case key.Matches(msg, k.Filters):
		m.focus = focusFilters
		return m, nil
	case key.Matches(msg, k.Types):
		m.focus, m.filterPos = focusFilters, filterFirstType
		return m, nil
	case key.Matches(msg, k.Owner):
		return m, m.toggleFilter(filterOwner)
	case key.Matches(msg, k.PickOwner):
		m.openOwnerPicker()
		return m, nil
	case key.Matches(msg, k.Status):
		return m, m.toggleFilter(filterStatus)
	case key.Matches(msg, k.Period):
		return m, m.toggleFilter(filterPeriod)
	case key.Matches(msg, k.Search):
		// "/" starts a new search; esc brings the previous one back. Editing the saved
		// one is enter on Search in the filter bar.
		cmd := m.toggleFilter(filterSearch)
		m.search.SetValue("")
		return m, cmd
	case key.Matches(msg, k.Reset):
		return m, m.resetFilters()
	case key.Matches(msg, k.Reload):
		return m, tea.Batch(m.setupCmd(), m.reloadCmd())
	case key.Matches(msg, k.Add):
		return m, m.openForm(nil)
	case key.Matches(msg, k.Edit):
		if row, ok := m.Selected(); ok {
			return m, m.openForm(&row)
		}
	case key.Matches(msg, k.Done):
		if row, ok := m.Selected(); ok {
			return m, m.doneCmd(row)
		}
	case key.Matches(msg, k.Delete):
		if row, ok := m.Selected(); ok {
			m.confirm = &row
		}
	case key.Matches(msg, k.Why):
		if row, ok := m.Selected(); ok {
			id := row.ID
			return m, func() tea.Msg { return common.TroubleshootActivityMsg{ActivityID: id} }
		}
	}
	return m, nil
}

func (m *Model) moveCursor(delta int) tea.Cmd {
	if m.shown == 0 {
		return nil
	}
	m.cursor = min(max(m.cursor+delta, 0), m.shown-1)
	m.scrollIntoView()
	return m.ensureWindow()
}

func (m *Model) clampCursor() {
	if m.shown == 0 {
		m.cursor, m.top = 0, 0
		return
	}
	m.cursor = min(max(m.cursor, 0), m.shown-1)
	m.scrollIntoView()
}

// scrollIntoView moves top so the cursor row is visible.
func (m *Model) scrollIntoView() {
	v := m.visibleRows()
	if m.cursor < m.top {
		m.top = m.cursor
	}
	if m.cursor >= m.top+v {
		m.top = m.cursor - v + 1
	}
	if m.shown > 0 && m.top > max(0, m.shown-v) {
		m.top = max(0, m.shown-v)
	}
	m.top = max(m.top, 0)
}

// jumpTo returns the read that puts the cursor on list position pos: the screen stays
// where it is when pos is on it, else pos comes to the middle of the screen. The window
// is read afresh around it (the rows and counts changed with the write anyway).
func (m *Model) jumpTo(pos int) tea.Cmd {
	v := m.visibleRows()
	m.cursor = pos
	if pos < m.top || pos >= m.top+v {
		m.top = max(0, pos-v/2)
	}
	m.rows, m.winOffset = nil, 0
	return m.queryCmd()
}

// resetFilters shows everything: the answer to "where are my activities?".
func (m *Model) resetFilters() tea.Cmd {
	if len(m.filter.Active()) == 0 {
		return common.Status("Filters already show every activity")
	}
	m.filter = store.ListFilter{Owner: store.OwnerAll, Status: store.StatusAll, Period: store.PeriodAll}
	m.search.SetValue("")
	return tea.Batch(m.filterChanged(), common.Status("Filters reset: showing every activity"))
}

func (m *Model) filterKey(msg tea.KeyMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Leave):
		m.focus = focusList
	case key.Matches(msg, k.Left):
		m.filterPos = (m.filterPos + filterItemCount - 1) % filterItemCount
	case key.Matches(msg, k.Right):
		m.filterPos = (m.filterPos + 1) % filterItemCount
	case msg.Type == tea.KeyEnter && m.filterPos == filterOwner:
		m.openOwnerPicker()
	case key.Matches(msg, k.Toggle):
		return m.toggleFilter(m.filterPos)
	case key.Matches(msg, k.PickOwner):
		m.openOwnerPicker()
	case key.Matches(msg, k.Reset):
		return m.resetFilters()
	case key.Matches(msg, k.Owner):
		return m.toggleFilter(filterOwner)
	case key.Matches(msg, k.Status):
		return m.toggleFilter(filterStatus)
	case key.Matches(msg, k.Period):
		return m.toggleFilter(filterPeriod)
	case key.Matches(msg, k.Search):
		return m.toggleFilter(filterSearch)
	case key.Matches(msg, k.Down), key.Matches(msg, k.Up):
		m.focus = focusList
	}
	return nil
}

// toggleFilter changes one filter item: owner, status and period step to their next value,
// a type switches on or off, "all types" switches every type on, search opens the field.
func (m *Model) toggleFilter(item int) tea.Cmd {
	switch {
	case item == filterOwner:
		m.filter.Owner = m.nextOwner()
	case item == filterStatus:
		m.filter.Status = next(store.Statuses, m.filter.Status)
	case item == filterPeriod:
		m.filter.Period = next(store.Periods, m.filter.Period)
	case item == filterSearch:
		m.focus = focusSearch
		m.searchWas = m.filter.Search
		m.search.SetValue(m.filter.Search)
		m.search.CursorEnd()
		return m.search.Focus()
	case item == filterAllTypes:
		if len(m.filter.Types) == 0 {
			return common.Status("Every type is already shown")
		}
		m.filter.Types = nil
	default:
		t := store.AllTypes[item-filterFirstType]
		on := typesOn(m.filter.Types)
		if on[t] && len(on) == 1 {
			return common.Status("At least one type stays shown; pick another type first, or “all”")
		}
		if on[t] {
			delete(on, t)
		} else {
			on[t] = true
		}
		m.filter.Types = nil
		for _, at := range store.AllTypes {
			if on[at] && len(on) < len(store.AllTypes) {
				m.filter.Types = append(m.filter.Types, at)
			}
		}
	}
	return m.filterChanged()
}

// typesOn is the set of shown types; an empty filter shows them all.
func typesOn(types []store.ActivityType) map[store.ActivityType]bool {
	on := map[store.ActivityType]bool{}
	if len(types) == 0 {
		for _, t := range store.AllTypes {
			on[t] = true
		}
	}
	for _, t := range types {
		on[t] = true
	}
	return on
}

// nextOwner steps me -> everyone -> each other user by name -> me.
func (m *Model) nextOwner() string {
	seq := []string{store.OwnerMe, store.OwnerAll}
	for _, u := range m.users {
		if !u.IsMe {
			seq = append(seq, u.ID)
		}
	}
	cur := m.filter.Owner
	if cur == "" || cur == m.meID {
		cur = store.OwnerMe
	}
	return next(seq, cur)
}

func next(seq []string, cur string) string {
	i := slices.Index(seq, cur)
	return seq[(i+1)%len(seq)]
}

func (m *Model) searchKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		m.focus = focusList
		m.search.Blur()
		return nil
	case tea.KeyEsc:
		m.focus = focusList
		m.search.Blur()
		if m.filter.Search != m.searchWas {
			m.filter.Search = m.searchWas
			m.searchGen++
			return m.filterChanged()
		}
		return nil
	}
	var cmd tea.Cmd
	m.search, cmd = m.search.Update(msg)
	if v := m.search.Value(); v != m.filter.Search {
		m.filter.Search = v
		// Query once typing pauses: a 100k-row search per keystroke would queue up.
		m.searchGen++
		gen := m.searchGen
		return tea.Batch(cmd, tea.Tick(searchDebounce, func(time.Time) tea.Msg { return searchTickMsg{gen} }))
	}
	return cmd
}

// quoted names an activity in a status-bar sentence, its subject shortened so that what
// follows it ("— the status filter hides it") still fits the status bar at 80 columns,
// beside the sync state.
func quoted(subject string) string { return "“" + common.Truncate(subject, 22) + "”" }

// searchDebounce is a variable so tests need not wait for it.
var searchDebounce = 150 * time.Millisecond

// doneCmd flips done in the store.
func (m *Model) doneCmd(row store.ActivityRow) tea.Cmd {
	st, now, id, done := m.store(), m.ctx.Now(), row.ID, !row.Done
	subject := cleanLine(row.Subject)
	// Say so when the row is about to leave the list, or it looks like it vanished.
	hidden := ""
	if done && m.filter.Status == store.StatusTodo || !done && m.filter.Status == store.StatusDone {
		hidden = " — the status filter hides it"
	}
	write := func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		defer cancel()
		_, err := store.SetActivityDone(ctx, st.DB, id, done, now)
		what := "Done: " + quoted(subject) + hidden
		if !done {
			what = "To do again: " + quoted(subject) + hidden
		}
		if err != nil {
			err = fmt.Errorf("could not change “%s”: %w", subject, err)
		}
		return writeMsg{what: what, id: id, err: err}
	}
	return tea.Sequence(common.Busy(busyKey, true), write)
}

// deleteCmd tombstones the activity; the next sync removes its calendar event.
func (m *Model) deleteCmd(row store.ActivityRow) tea.Cmd {
	st, now, id := m.store(), m.ctx.Now(), row.ID
	subject := cleanLine(row.Subject)
	write := func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
		defer cancel()
		if why, err := calsync.EditRefusal(ctx, st.DB, id); err == nil && why != "" {
			return writeMsg{err: fmt.Errorf("“%s” cannot be deleted here: %s", subject, why)}
		}
		_, err := store.DeleteActivity(ctx, st.DB, id, now)
		if err != nil {
			err = fmt.Errorf("could not delete “%s”: %w", subject, err)
		}
		return writeMsg{what: "Deleted " + quoted(subject), id: id, err: err}
	}
	return tea.Sequence(common.Busy(busyKey, true), write)
}
