package activities

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/safetext"
)

// Layout: two filter lines and the banner line on top, then the table; the detail pane is
// at the right on wide terminals and, when asked for with enter, at the bottom on narrow ones.
const (
	topLines        = 3
	sidePaneMinTerm = 140 // terminal width from which the detail pane sits beside the table
	sidePaneWidth   = 58
	bottomPaneLines = 10
)

type paneKind int

const (
	paneNone paneKind = iota
	paneSide
	paneBottom
)

// layout returns the table's width and height (header included) and where the pane goes.
func (m *Model) layout() (tableW, listH int, pane paneKind) {
	tableW, listH = m.width, m.height-topLines
	switch {
	case m.width >= sidePaneMinTerm:
		pane = paneSide
		tableW = m.width - sidePaneWidth - 1
	case m.showDetail:
		pane = paneBottom
		listH -= min(bottomPaneLines, max(0, listH/2))
	}
	if m.confirm != nil {
		listH -= 2
	}
	return tableW, max(listH, 2), pane
}

// View implements tea.Model.
func (m *Model) View() string {
	if m.width == 0 {
		return ""
	}
	st := m.ctx.Styles
	if m.form != nil {
		title := st.Title.Render("Edit activity")
		if m.formVals.editID == "" {
			title = st.Title.Render("New activity")
		}
		return title + st.Muted.Render("  enter next · shift+tab back · esc cancel") + "\n\n" + m.form.View()
	}
	if !m.ready {
		if m.loadErr != nil {
			return st.Error.Render("Could not open the activity list: ") + st.Text.Render(safetext.Clean(m.loadErr.Error())) +
				"\n\n" + st.Muted.Render("Press r to try again.")
		}
		return st.Muted.Render("Loading activities…")
	}
	tableW, listH, pane := m.layout()
	var b strings.Builder
	b.WriteString(m.filterBar())
	b.WriteString("\n")
	b.WriteString(common.Truncate(m.banner(), m.width))
	b.WriteString("\n")
	table := m.table(tableW, listH)
	if m.picker != nil {
		table = lipgloss.NewStyle().Width(tableW).Height(listH).Render(m.pickerView(tableW, listH))
	}
	switch pane {
	case paneSide:
		detail := m.detail(sidePaneWidth-4, listH-2)
		table = lipgloss.JoinHorizontal(lipgloss.Top, table, " ",
			st.Pane.Width(sidePaneWidth-2).Height(listH-2).Render(detail))
		b.WriteString(table)
	case paneBottom:
		b.WriteString(table)
		h := m.height - topLines - listH
		if m.confirm != nil {
			h -= 2
		}
		b.WriteString("\n")
		b.WriteString(st.Pane.Width(m.width - 2).Height(max(1, h-2)).Render(m.detail(m.width-4, max(1, h-2))))
	default:
		b.WriteString(table)
	}
	if m.confirm != nil {
		b.WriteString("\n\n")
		b.WriteString(m.confirmLine())
	}
	return b.String()
}

func (m *Model) confirmLine() string {
	st := m.ctx.Styles
	subject := cleanLine(m.confirm.Subject)
	q := "Delete “" + common.Truncate(subject, max(10, m.width/2)) + "”?"
	if m.confirm.LinkRemoteID != "" {
		q += " Its calendar event goes at the next sync."
	}
	return common.Truncate(st.Warn.Render(q)+"  "+st.Key.Render("y")+st.Muted.Render(" delete  ")+
		st.Key.Render("n")+st.Muted.Render(" keep"), m.width)
}

// filterBar draws the two filter lines; in filter focus the focused item is highlighted.
func (m *Model) filterBar() string {
	st := m.ctx.Styles
	item := func(pos int, label, value string, narrowing bool) string {
		v := st.FilterOff.Render(value)
		if narrowing {
			v = st.FilterOn.Render(value)
		}
		s := st.FilterLabel.Render(label) + " " + v
		if m.focus == focusFilters && m.filterPos == pos {
			s = st.Selected.Render("▸" + label + " " + value)
		}
		return s
	}
	f := m.filter
	sep := st.Muted.Render("  ")
	searchVal := "–"
	if f.Search != "" {
		searchVal = "“" + cleanLine(f.Search) + "”"
	}
	var line1 string
	if m.focus == focusSearch {
		searchVal = ""
	}
	line1 = item(filterOwner, "Owner", m.ownerLabel(f.Owner), f.Owner != store.OwnerAll) + sep +
		item(filterStatus, "Status", statusLabel(f.Status), f.Status != store.StatusAll) + sep +
		item(filterPeriod, "Period", periodLabel(f.Period), f.Period != store.PeriodAll) + sep
	if m.focus == focusSearch {
		line1 += st.FilterLabel.Render("Search") + " " + m.search.View()
	} else {
		line1 += item(filterSearch, "Search", searchVal, f.Search != "")
	}
	on := typesOn(f.Types)
	parts := []string{st.FilterLabel.Render("Types")}
	allLabel := "all"
	if m.focus == focusFilters && m.filterPos == filterAllTypes {
		parts = append(parts, st.Selected.Render("▸"+allLabel))
	} else if len(f.Types) == 0 {
		parts = append(parts, st.FilterOff.Render(allLabel))
	} else {
		parts = append(parts, st.Muted.Render(allLabel))
	}
	for i, t := range store.AllTypes {
		mark := "☐ "
		if on[t] {
			mark = "☑ "
		}
		label := mark + string(t)
		switch {
		case m.focus == focusFilters && m.filterPos == filterFirstType+i:
			parts = append(parts, st.Selected.Render("▸"+label))
		case !on[t]:
			parts = append(parts, st.FilterOn.Render(label))
		default:
			parts = append(parts, st.Text.Render(label))
		}
	}
	line2 := strings.Join(parts, " ")
	hint := "   f filters · t types"
	if m.focus == focusFilters {
		hint = "   ←/→ choose · space toggle · esc done"
	}
	if lipgloss.Width(line2+hint) <= m.width {
		line2 += st.Muted.Render(hint)
	}
	return common.Truncate(line1, m.width) + "\n" + common.Truncate(line2, m.width)
}

// Banner is the line above the table. When filters hide anything it says how many and
// which, because a hidden activity is the most common "it's not in my calendar" cause.
func (m *Model) Banner() string { return m.bannerText() }

func (m *Model) bannerText() string {
	return m.bannerFitting(0)
}

// bannerFitting is the banner in its longest form that fits width (0: the longest form).
// The narrower forms keep what matters: how many are hidden, by what, and the way back.
func (m *Model) bannerFitting(width int) string {
	var forms []string
	switch {
	case m.loadErr != nil:
		forms = []string{"Could not read activities: " + cleanLine(m.loadErr.Error()) + " · r retries"}
	case m.total == 0 && !m.pending:
		forms = []string{"No activities yet · a adds one"}
	case m.hidden > 0:
		var by []string
		alone := 0
		for _, h := range m.hiddenBy {
			by = append(by, fmt.Sprintf("%s %s", h.Dim, count(h.Count)))
			alone += h.Count
		}
		whiches := []string{""}
		if len(by) > 0 {
			whiches = []string{" (" + strings.Join(by, ", ") + ")"}
			// Each count is what that filter alone hides; the rest fail several filters
			// at once. Said where it fits, so the numbers add up to the total.
			if alone < m.hidden {
				several := " (" + strings.Join(append(by, count(m.hidden-alone)+" by several"), ", ") + ")"
				whiches = []string{several, whiches[0]}
			}
		}
		for _, which := range whiches {
			forms = append(forms,
				fmt.Sprintf("Showing %s of %s — filters hide %s%s · R resets filters", count(m.shown), count(m.total), count(m.hidden), which),
				fmt.Sprintf("Filters hide %s of %s%s · R resets filters", count(m.hidden), count(m.total), which),
				fmt.Sprintf("Filters hide %s of %s%s · R resets", count(m.hidden), count(m.total), which))
		}
		forms = append(forms, fmt.Sprintf("Filters hide %s of %s · R resets filters", count(m.hidden), count(m.total)))
	default:
		if m.total == 1 {
			forms = []string{"Showing the one activity"}
		} else {
			forms = []string{fmt.Sprintf("Showing all %s activities", count(m.total))}
		}
	}
	for _, f := range forms {
		if width <= 0 || lipgloss.Width(f) <= width {
			return f
		}
	}
	return forms[len(forms)-1]
}

func count(n int) string { return common.Count(n) }

func (m *Model) banner() string {
	st := m.ctx.Styles
	text := m.bannerFitting(m.width)
	switch {
	case m.loadErr != nil:
		return st.Error.Render(text)
	case m.hidden > 0:
		return st.Banner.Render(text)
	default:
		return st.Muted.Render(text)
	}
}

// columns are the table's column widths for a table width. The owner column only shows
// when the list holds more than one owner's activities.
type columns struct{ done, subject, typ, owner, due, dur, sync int }

func columnsFor(w int, showOwner bool) columns {
	c := columns{done: 1, typ: 8, owner: 8, due: 17, dur: 4, sync: 10}
	if w >= 110 {
		c.owner, c.due, c.dur, c.sync = 16, 22, 6, 12
	}
	if !showOwner {
		c.owner = 0
	}
	gaps := 5
	if c.owner > 0 {
		gaps++
	}
	c.subject = w - (c.done + c.typ + c.owner + c.due + c.dur + c.sync + gaps)
	if c.subject < 12 && c.owner > 0 {
		// Very narrow: the subject matters more than the owner.
		c.subject += c.owner + 1
		c.owner = 0
	}
	c.subject = max(c.subject, 4)
	return c
}

func (c columns) row(done, subject, typ, owner, due, dur, sync string) string {
	cells := []string{common.Fit(done, c.done), common.Fit(subject, c.subject), common.Fit(typ, c.typ)}
	if c.owner > 0 {
		cells = append(cells, common.Fit(owner, c.owner))
	}
	cells = append(cells, common.Fit(due, c.due))
	if c.dur > 0 {
		cells = append(cells, common.Fit(dur, c.dur))
	}
	cells = append(cells, common.Fit(sync, c.sync))
	return strings.Join(cells, " ")
}

// table draws the header and the visible rows; rows not loaded yet show as "…".
func (m *Model) table(w, h int) string {
	st := m.ctx.Styles
	// A one-cell gutter holds the cursor mark, so the cursor row shows without colours too.
	cols := columnsFor(w-1, m.filter.Owner == store.OwnerAll)
	lines := make([]string, 0, h)
	lines = append(lines, " "+st.TableHeader.Render(cols.row("✓", "Subject", "Type", "Owner", "Due", "Dur", "Sync")))
	v := h - 1
	if m.shown == 0 && !m.pending && m.loadErr == nil {
		msg := "No activities yet. Press a to add one."
		if m.total > 0 {
			msg = "Nothing matches these filters. Press R to reset them."
		}
		lines = append(lines, "", st.Muted.Render("  "+msg))
	}
	now := m.ctx.Now()
	day := dayKey(now, m.loc)
	for i := m.top; i < min(m.top+v, m.shown); i++ {
		row, ok := m.rowAt(i)
		if !ok {
			lines = append(lines, st.Muted.Render(common.Fit("  …", w)))
			continue
		}
		r := m.cache.get(row, cols, day, func() renderedRow { return m.renderRow(row, cols, now) })
		switch {
		case i == m.cursor && m.focus == focusList:
			lines = append(lines, st.Selected.Render("▸"+r.plain))
		case i == m.cursor:
			lines = append(lines, st.Muted.Render("›")+r.styled)
		default:
			lines = append(lines, " "+r.styled)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lipgloss.NewStyle().Width(w).Render(strings.Join(lines, "\n"))
}

// renderedRow is one table row, drawn once per (activity, rev, width, day): plain for the
// cursor row (the selection style colours it whole), styled for the rest.
type renderedRow struct{ plain, styled string }

func (m *Model) renderRow(r store.ActivityRow, cols columns, now time.Time) renderedRow {
	st := m.ctx.Styles
	done := " "
	if r.Done {
		done = "✓"
	}
	subject := cleanLine(r.Subject)
	owner := cleanLine(r.OwnerName)
	if r.OwnerID == m.meID {
		owner = "me"
	}
	due := formatDue(r.Activity, m.loc, now)
	dur := formatDuration(r.Duration, r.AllDay)
	sync, state := rowSync(r)
	plain := cols.row(done, subject, string(r.Type), owner, due, dur, sync)

	// Styled: overdue dates and sync problems stand out.
	dueStyle, syncStyle := st.Text, st.Muted
	if !r.Done && overdue(r.Activity, m.loc, now) {
		dueStyle = st.Warn
	}
	switch state {
	case store.SyncSynced:
		syncStyle = st.OK
	case store.SyncError, store.SyncQuarantined:
		syncStyle = st.Error
	case store.SyncPending:
		syncStyle = st.Warn
	}
	cells := []string{st.OK.Render(common.Fit(done, cols.done)), st.Text.Render(common.Fit(subject, cols.subject)),
		st.Muted.Render(common.Fit(string(r.Type), cols.typ))}
	if cols.owner > 0 {
		cells = append(cells, st.Text.Render(common.Fit(owner, cols.owner)))
	}
	cells = append(cells, dueStyle.Render(common.Fit(due, cols.due)))
	if cols.dur > 0 {
		cells = append(cells, st.Muted.Render(common.Fit(dur, cols.dur)))
	}
	cells = append(cells, syncStyle.Render(common.Fit(sync, cols.sync)))
	return renderedRow{plain: plain, styled: strings.Join(cells, " ")}
}

// detail is the selected activity, its calendar link first: that is what people open it
// for, and on a small terminal the pane has only a few lines.
func (m *Model) detail(w, h int) string {
	st := m.ctx.Styles
	row, ok := m.Selected()
	if !ok {
		if m.shown == 0 {
			return st.Muted.Render("No activity selected.")
		}
		return st.Muted.Render("Loading…")
	}
	a := row.Activity
	lines := []string{st.Title.Render(common.Truncate(cleanLine(a.Subject), w))}
	field := func(label, value string, style lipgloss.Style) {
		if value == "" {
			return
		}
		lines = append(lines, common.Truncate(st.Muted.Render(label+" ")+style.Render(value), w))
	}
	if row.LinkRemoteID == "" {
		lines = append(lines, common.Truncate(st.Muted.Render("Sync  ")+st.Warn.Render("not in a calendar yet")+
			st.Muted.Render(" · ")+st.Key.Render("w")+st.Muted.Render(" tells why"), w))
	} else {
		acct := m.account[row.LinkAccountID]
		if acct == "" {
			acct = row.LinkAccountID
		}
		state := syncLabel(row.SyncState)
		if row.LastSyncedAt != nil {
			state += " · last synced " + row.LastSyncedAt.In(m.loc).Format("Mon 2 Jan 15:04") + " (" + ago(m.ctx.Now(), *row.LastSyncedAt) + ")"
		} else {
			state += " · never synced"
		}
		stateStyle := st.OK
		switch row.SyncState {
		case store.SyncError, store.SyncQuarantined:
			stateStyle = st.Error
		case store.SyncPending:
			stateStyle = st.Warn
		}
		field("Sync ", state, stateStyle)
		if row.LinkError != "" {
			field("Error", cleanLine(row.LinkError), st.Error)
		}
		cal := m.cals[calKey{row.LinkAccountID, row.LinkCalendarID}]
		if cal == "" {
			cal = row.LinkCalendarID
		}
		field("In   ", cleanLine(acct)+" › "+cleanLine(cal), st.Text)
		field("Event", cleanLine(row.LinkRemoteID), st.Text)
	}
	if _, of := row.SyncedIn(); of > 1 {
		// In several calendars: each one's state, so "synced" in one never hides another.
		for _, as := range row.Accounts {
			name := as.AccountName
			if name == "" {
				name = m.account[as.AccountID]
			}
			label, style := "not in it", st.Warn
			switch as.State {
			case store.SyncSynced:
				label, style = "synced", st.OK
			case store.SyncError, store.SyncQuarantined:
				label, style = syncLabel(as.State), st.Error
			case store.SyncPending:
				label = "pending"
			}
			field("  in ", cleanLine(name)+": "+label, style)
		}
	}
	field("When ", formatWhen(a, m.loc, m.zone), st.Text)
	owner := cleanLine(row.OwnerName)
	if a.OwnerID == m.meID {
		owner += " (me)"
	}
	status := "to do"
	if a.Done {
		status = "done"
	}
	field("What ", string(a.Type)+" · "+status+" · owner "+owner, st.Text)
	field("Where", cleanLine(a.Location), st.Text)
	field("Note ", cleanLine(a.Note), st.Text)
	field("Id   ", a.ID, st.Muted)
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// ShortHelp implements common.Screen.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch {
	case m.form != nil:
		return nil // huh draws its own help
	case m.confirm != nil:
		return []key.Binding{k.Yes, k.No}
	case m.picker != nil:
		return []key.Binding{k.Up, k.Down,
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "show")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))}
	case m.focus == focusSearch:
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep search")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "undo search")),
		}
	case m.focus == focusFilters:
		return []key.Binding{k.Left, k.Right, k.Toggle, k.Reset, k.Leave}
	}
	// Keys for a selected row mean nothing on an empty list: say what can be done.
	if m.ready && m.shown == 0 {
		if m.total == 0 {
			return []key.Binding{k.Add}
		}
		return []key.Binding{k.Reset, k.Filters, k.Search, k.Add}
	}
	// Most important first: narrow terminals cut from the end.
	return []key.Binding{k.Why, k.Filters, k.Reset, k.Add, k.Done, k.Search}
}

// FullHelp implements common.Screen.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Filters, k.Types, k.Owner, k.PickOwner, k.Status, k.Period, k.Search, k.Reset},
		{k.Detail, k.Add, k.Edit, k.Done, k.Delete, k.Why, k.Reload},
	}
}

// rowCache keeps rendered rows by (id, rev, sync state, column widths, day). It is dropped
// whole when it grows past a few windows, so memory stays bounded however long the list is.
type rowKey struct {
	id   string
	rev  int64
	sync string
	cols columns // the width, and whether the owner column shows
	day  int64
}

type rowCache struct{ m map[rowKey]renderedRow }

const rowCacheMax = 2048

func newRowCache() rowCache { return rowCache{m: make(map[rowKey]renderedRow, 256)} }

func (c *rowCache) get(r store.ActivityRow, cols columns, day int64, render func() renderedRow) renderedRow {
	label, _ := rowSync(r)
	k := rowKey{r.ID, r.Rev, label + "|" + r.OwnerName, cols, day}
	if v, ok := c.m[k]; ok {
		return v
	}
	if len(c.m) >= rowCacheMax {
		c.m = make(map[rowKey]renderedRow, 256)
	}
	v := render()
	c.m[k] = v
	return v
}

func (c *rowCache) len() int { return len(c.m) }

func cleanLine(s string) string { return safetext.Line(s) }
