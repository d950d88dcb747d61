package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Activity-list statuses.
const (
	StatusTodo = "todo"
	StatusDone = "done"
	StatusAll  = "all"
)

// Activity-list periods, computed in the user's time zone.
const (
	PeriodOverdue  = "overdue"
	PeriodToday    = "today"
	PeriodTomorrow = "tomorrow"
	PeriodThisWeek = "this-week"
	PeriodNextWeek = "next-week"
	PeriodAll      = "all"
)

// Owner filter values besides a user id.
const (
	OwnerMe  = "me"
	OwnerAll = "all"
)

// Statuses and Periods list the accepted filter values in display order.
var (
	Statuses = []string{StatusTodo, StatusDone, StatusAll}
	Periods  = []string{PeriodOverdue, PeriodToday, PeriodTomorrow, PeriodThisWeek, PeriodNextWeek, PeriodAll}
)

// Filter dimensions: the keys of ListPage.HiddenBy, in the order a footer names them.
const (
	DimOwner  = "owner"
	DimType   = "type"
	DimStatus = "status"
	DimPeriod = "period"
	DimSearch = "search"
)

// FilterDimensions lists the HiddenBy keys in display order.
var FilterDimensions = []string{DimOwner, DimType, DimStatus, DimPeriod, DimSearch}

// MaxSearchChars bounds the text search.
const MaxSearchChars = 200

// ListFilter is what the activity list shows. Empty fields mean the default: owner me,
// all types, status todo, period all, no search.
type ListFilter struct {
	Owner  string         `json:"owner"`  // me | all | a user id
	Types  []ActivityType `json:"types"`  // empty = all types
	Status string         `json:"status"` // todo | done | all
	Period string         `json:"period"` // overdue | today | tomorrow | this-week | next-week | all
	Search string         `json:"search"` // case-insensitive substring of subject, location or note
}

// DefaultListFilter is what a new user sees: my activities still to do, of every type and date.
func DefaultListFilter() ListFilter {
	return ListFilter{Owner: OwnerMe, Status: StatusTodo, Period: PeriodAll}
}

// normalized fills defaults, lower-cases keywords, de-duplicates and orders the types
// (all six selected is the same as none), and makes the search one clean line.
func (f ListFilter) normalized() ListFilter {
	f.Owner = strings.TrimSpace(f.Owner)
	switch strings.ToLower(f.Owner) {
	case "":
		f.Owner = OwnerMe
	case OwnerMe, OwnerAll:
		f.Owner = strings.ToLower(f.Owner)
	}
	f.Status = strings.ToLower(strings.TrimSpace(f.Status))
	if f.Status == "" {
		f.Status = StatusTodo
	}
	f.Period = strings.ToLower(strings.TrimSpace(f.Period))
	if f.Period == "" {
		f.Period = PeriodAll
	}
	seen := map[ActivityType]bool{}
	var unknown []ActivityType
	for _, t := range f.Types {
		t = ActivityType(strings.ToLower(strings.TrimSpace(string(t))))
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		if _, err := ParseActivityType(string(t)); err != nil {
			unknown = append(unknown, t)
		}
	}
	var types []ActivityType
	for _, t := range AllTypes {
		if seen[t] {
			types = append(types, t)
		}
	}
	if len(types) == len(AllTypes) {
		types = nil
	}
	f.Types = append(types, unknown...) // kept so Validate can name them
	f.Search = cleanSearch(f.Search)
	return f
}

func cleanSearch(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Validate checks f (after filling defaults) and names the field and the accepted values.
func (f ListFilter) Validate() error {
	f = f.normalized()
	if strings.ContainsAny(f.Owner, " \t,") {
		return invalid("owner", "%q is not a user id; accepted: me, all or a user id", f.Owner)
	}
	for _, t := range f.Types {
		if _, err := ParseActivityType(string(t)); err != nil {
			return err
		}
	}
	if !contains(Statuses, f.Status) {
		return invalid("status", "unknown status %q; accepted: %s", f.Status, strings.Join(Statuses, ", "))
	}
	if !contains(Periods, f.Period) {
		return invalid("period", "unknown period %q; accepted: %s", f.Period, strings.Join(Periods, ", "))
	}
	if n := utf8.RuneCountInString(f.Search); n > MaxSearchChars {
		return invalid("search", "is %d characters long; at most %d are accepted", n, MaxSearchChars)
	}
	return nil
}

// Active lists the filter dimensions that hide something when set, in display order.
func (f ListFilter) Active() []string {
	f = f.normalized()
	var dims []string
	if f.Owner != OwnerAll {
		dims = append(dims, DimOwner)
	}
	if len(f.Types) > 0 {
		dims = append(dims, DimType)
	}
	if f.Status != StatusAll {
		dims = append(dims, DimStatus)
	}
	if f.Period != PeriodAll {
		dims = append(dims, DimPeriod)
	}
	if f.Search != "" {
		dims = append(dims, DimSearch)
	}
	return dims
}

// Reset returns f with one dimension set back to "show everything" (owner all, all types,
// status all, period all, no search): what the list's "show hidden" action does.
func (f ListFilter) Reset(dim string) ListFilter {
	switch dim {
	case DimOwner:
		f.Owner = OwnerAll
	case DimType:
		f.Types = nil
	case DimStatus:
		f.Status = StatusAll
	case DimPeriod:
		f.Period = PeriodAll
	case DimSearch:
		f.Search = ""
	}
	return f
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Sync states of a list row.
const (
	SyncNone        = ""
	SyncPending     = "pending"
	SyncSynced      = "synced"
	SyncError       = "error"
	SyncQuarantined = "quarantined"
)

// ActivityRow is one line of the activity list: the activity, its owner's name and how its
// calendar link stands.
type ActivityRow struct {
	Activity
	OwnerName      string     `json:"owner_name"`
	SyncState      string     `json:"sync_state"` // "" not linked | pending | synced | error | quarantined
	LinkAccountID  string     `json:"link_account_id,omitempty"`
	LinkCalendarID string     `json:"link_calendar_id,omitempty"`
	LinkRemoteID   string     `json:"link_remote_id,omitempty"`
	LinkError      string     `json:"link_error,omitempty"`
	LastSyncedAt   *time.Time `json:"last_synced_at,omitempty"`
	// Accounts is the activity's state in each calendar it belongs in (SyncState is the
	// most relevant link's only: it says "synced" when one calendar of three has it).
	Accounts []AccountSync `json:"accounts,omitempty"`
}

// ListPage is one window of the activity list plus the counts a person needs to see that
// filters are hiding activities: Total non-deleted activities, Shown that pass every
// filter, Hidden = Total - Shown, and HiddenBy: for each active filter, how many activities
// that filter alone hides (they pass every other filter and reappear if only it is reset).
// An activity hidden by two filters at once is in Hidden but in no HiddenBy count.
type ListPage struct {
	Rows     []ActivityRow  `json:"rows"`
	Total    int            `json:"total"`
	Shown    int            `json:"shown"`
	Hidden   int            `json:"hidden"`
	HiddenBy map[string]int `json:"hidden_by"`
	Offset   int            `json:"offset"`
}

// predicate is a SQL boolean that is true when a row passes one filter: sql over the
// activities row "a", agg over an activity_counts row "a" outside the exact window, and
// match, the same test in Go for the in-memory search copy (search_index.go).
type predicate struct {
	dim     string
	sql     string
	args    []any
	agg     string
	aggArgs []any
	match   func(r *searchRow) bool
}

// countPlan is how the counts are computed: the weeks [fromWeek, toWeek] around a period
// boundary are counted row by row; every other week comes from activity_counts.
type countPlan struct {
	ps               []predicate // owner, type, status, period: the bits of the mask
	search           *predicate
	needle           string // the folded search text when search is set
	exact            bool
	fromWeek, toWeek int64
}

// Week buckets of activity_counts (see migration 0002).
const (
	weekSeconds = 604800
	weekShift   = 2419200000
)

func weekOf(unix int64) int64    { return (unix + weekShift) / weekSeconds }
func weekStart(week int64) int64 { return week*weekSeconds - weekShift }

// PeriodRange returns the half-open [from, to) interval a period covers in loc at now.
// Overdue and all have no fixed interval (ok is false). Weeks run Monday to Sunday.
func PeriodRange(period string, loc *time.Location, now time.Time) (from, to time.Time, ok bool) {
	if loc == nil {
		loc = time.Local
	}
	y, m, d := now.In(loc).Date()
	day := func(offset int) time.Time { return time.Date(y, m, d+offset, 0, 0, 0, 0, loc) }
	sinceMonday := (int(now.In(loc).Weekday()) + 6) % 7
	switch period {
	case PeriodToday:
		return day(0), day(1), true
	case PeriodTomorrow:
		return day(1), day(2), true
	case PeriodThisWeek:
		return day(-sinceMonday), day(7 - sinceMonday), true
	case PeriodNextWeek:
		return day(7 - sinceMonday), day(14 - sinceMonday), true
	}
	return time.Time{}, time.Time{}, false
}

// escapeLike makes s match literally inside a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// plan turns the active filters of f into SQL, resolving owner "me".
func plan(ctx context.Context, h Handler, f ListFilter, loc *time.Location, now time.Time) (countPlan, error) {
	var cp countPlan
	same := func(dim string, match func(r *searchRow) bool, sql string, args ...any) {
		cp.ps = append(cp.ps, predicate{dim: dim, sql: sql, args: args, agg: sql, aggArgs: args, match: match})
	}
	switch f.Owner {
	case OwnerAll:
	case OwnerMe:
		me, err := Me(ctx, h)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return cp, err
		}
		// Without a me yet, "my activities" is simply nothing.
		same(DimOwner, func(r *searchRow) bool { return r.owner == me.ID }, "a.owner_id = ?", me.ID)
	default:
		if _, err := GetUser(ctx, h, f.Owner); errors.Is(err, ErrNotFound) {
			return cp, invalid("owner", "no user with id %q; accepted: me, all or a user id", f.Owner)
		} else if err != nil {
			return cp, err
		}
		owner := f.Owner
		same(DimOwner, func(r *searchRow) bool { return r.owner == owner }, "a.owner_id = ?", owner)
	}
	if len(f.Types) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?,", len(f.Types)), ",")
		args := make([]any, len(f.Types))
		for i, t := range f.Types {
			args[i] = string(t)
		}
		types := map[string]bool{}
		for _, t := range f.Types {
			types[string(t)] = true
		}
		same(DimType, func(r *searchRow) bool { return types[r.typ] }, "a.type IN ("+marks+")", args...)
	}
	switch f.Status {
	case StatusTodo:
		same(DimStatus, func(r *searchRow) bool { return !r.done }, "a.done = 0")
	case StatusDone:
		same(DimStatus, func(r *searchRow) bool { return r.done }, "a.done = 1")
	}
	switch f.Period {
	case PeriodAll:
	case PeriodOverdue:
		// Overdue: not done, and its time has passed. A timed activity is overdue once
		// its start is before now; an all-day one once its day is over, i.e. its date is
		// before today in the user's time zone.
		today, _, _ := PeriodRange(PeriodToday, loc, now)
		cp.exact, cp.fromWeek, cp.toWeek = true, weekOf(today.Unix()), weekOf(now.Unix())
		// Weeks before the window started before today: overdue exactly when not done.
		// Weeks after it start after now: never overdue.
		nowU, todayU := now.Unix(), today.Unix()
		cp.ps = append(cp.ps, predicate{dim: DimPeriod,
			sql:  "(a.done = 0 AND ((a.all_day = 0 AND a.start_at < ?) OR (a.all_day = 1 AND a.start_at < ?)))",
			args: []any{nowU, todayU},
			agg:  "(a.done = 0 AND a.week < ?)", aggArgs: []any{cp.fromWeek},
			match: func(r *searchRow) bool {
				return !r.done && ((!r.allDay && r.start < nowU) || (r.allDay && r.start < todayU))
			}})
	default:
		from, to, _ := PeriodRange(f.Period, loc, now)
		cp.exact, cp.fromWeek, cp.toWeek = true, weekOf(from.Unix()), weekOf(to.Unix()-1)
		// Every week outside the window lies wholly outside the period.
		fromU, toU := from.Unix(), to.Unix()
		cp.ps = append(cp.ps, predicate{dim: DimPeriod,
			sql: "(a.start_at >= ? AND a.start_at < ?)", args: []any{fromU, toU},
			agg: "0", match: func(r *searchRow) bool { return r.start >= fromU && r.start < toU }})
	}
	if f.Search != "" {
		folded := strings.ToLower(f.Search)
		cp.needle = folded
		pattern := "%" + escapeLike(folded) + "%"
		// search_fold is already lower-cased, so a plain substring test (instr: memcmp)
		// does, several times faster than LIKE's per-character folding. Rows written
		// without search_fold (by code that bypasses this package) are still searched,
		// ASCII-case-insensitively, through their own columns.
		cp.search = &predicate{dim: DimSearch,
			sql: `(instr(a.search_fold, ?) > 0 OR (a.search_fold = '' AND (a.subject LIKE ? ESCAPE '\'
				OR a.location LIKE ? ESCAPE '\' OR a.note LIKE ? ESCAPE '\')))`,
			args: []any{folded, pattern, pattern, pattern}}
	}
	return cp, nil
}

// where is the SQL condition and arguments for rows that pass every filter.
func (cp countPlan) where() (string, []any) {
	where, args := "a.deleted_at IS NULL", []any{}
	ps := cp.ps
	if cp.search != nil {
		ps = append(ps[:len(ps):len(ps)], *cp.search)
	}
	for _, p := range ps {
		where += " AND " + p.sql
		args = append(args, p.args...)
	}
	return where, args
}

// ListActivities returns one window (offset, limit) of the activities that pass f, ordered
// by start time, with the counts of ListPage. Periods are computed in loc at now.
// Tombstoned activities are neither listed nor counted. limit <= 0 returns counts only.
func ListActivities(ctx context.Context, h Handler, f ListFilter, loc *time.Location, now time.Time, offset, limit int) (ListPage, error) {
	f = f.normalized()
	if err := f.Validate(); err != nil {
		return ListPage{}, err
	}
	if loc == nil {
		loc = time.Local
	}
	if offset < 0 {
		offset = 0
	}
	cp, err := plan(ctx, h, f, loc, now)
	if err != nil {
		return ListPage{}, err
	}
	var found *searchResult
	if cp.search != nil {
		if res, ok := indexedSearch(ctx, h, cp, offset, limit); ok {
			found = &res
		}
	}
	var page ListPage
	if found != nil {
		page = found.page(cp)
	} else if page, err = countActivities(ctx, h, cp); err != nil {
		return ListPage{}, err
	}
	page.Offset = offset
	if limit <= 0 || offset >= page.Shown {
		return page, nil
	}
	var ids []string
	if found != nil {
		ids = found.ids
	} else {
		where, args := cp.where()
		// First the window's ids, from a covering index (rows skipped by OFFSET are never
		// read from the table), then those rows.
		ids, err = queryIDs(ctx, h, `SELECT a.id FROM activities a WHERE `+where+`
			ORDER BY a.start_at, a.id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
		if err != nil {
			return ListPage{}, fmt.Errorf("list activities: %w", err)
		}
	}
	page.Rows, err = rowsByID(ctx, h, ids)
	if err != nil {
		return ListPage{}, err
	}
	return page, nil
}

// rowsByID reads the list rows of ids, in that order, with their links. A row removed
// meanwhile is left out rather than shown blank.
func rowsByID(ctx context.Context, h Handler, ids []string) ([]ActivityRow, error) {
	if len(ids) == 0 {
		return []ActivityRow{}, nil
	}
	pos := make(map[string]int, len(ids))
	idArgs := make([]any, len(ids))
	for i, id := range ids {
		pos[id] = i
		idArgs[i] = id
	}
	rows, err := h.QueryContext(ctx, `SELECT `+activityColumns+`,
		COALESCE((SELECT u.name FROM users u WHERE u.id = a.owner_id), '')
		FROM activities a WHERE a.id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, idArgs...)
	if err != nil {
		return nil, fmt.Errorf("list activities: %w", err)
	}
	defer rows.Close()
	out := make([]ActivityRow, len(ids))
	for rows.Next() {
		var r ActivityRow
		a, err := scanActivity(rows, &r.OwnerName)
		if err != nil {
			return nil, err
		}
		r.Activity = a
		out[pos[a.ID]] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	// A row removed between the two reads leaves a gap; drop it rather than show a blank.
	out = slices.DeleteFunc(out, func(r ActivityRow) bool { return r.ID == "" })
	if err := attachLinks(ctx, h, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CountActivities returns the counts of ListActivities without any rows.
func CountActivities(ctx context.Context, h Handler, f ListFilter, loc *time.Location, now time.Time) (ListPage, error) {
	return ListActivities(ctx, h, f, loc, now, 0, 0)
}

// countActivities computes Total, Shown and HiddenBy. Each live activity gets a mask of
// the filters it fails (bit i = cp.ps[i]); mask 0 is shown and a single-bit mask is hidden
// by that filter alone. The histogram of masks comes from activity_counts (a few thousand
// rows, not one per activity) plus a row-by-row count of the weeks around a period
// boundary. A text search cannot be pre-counted: here it is a pass over every row, which
// ListActivities avoids when the in-memory copy (search_index.go) can answer instead.
func countActivities(ctx context.Context, h Handler, cp countPlan) (ListPage, error) {
	page := ListPage{Rows: []ActivityRow{}, HiddenBy: map[string]int{}}
	hist := map[int64]int{}
	var mask, aggMask []string
	var args, aggArgs []any
	for i, p := range cp.ps {
		mask = append(mask, fmt.Sprintf("((NOT %s) << %d)", p.sql, i))
		args = append(args, p.args...)
		aggMask = append(aggMask, fmt.Sprintf("((NOT %s) << %d)", p.agg, i))
		aggArgs = append(aggArgs, p.aggArgs...)
	}
	maskSQL, aggMaskSQL := "0", "0"
	if len(mask) > 0 {
		maskSQL, aggMaskSQL = strings.Join(mask, " | "), strings.Join(aggMask, " | ")
	}
	addHist := func(hist map[int64]int, q string, args ...any) error {
		rows, err := h.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("count activities: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m int64
			var n int
			if err := rows.Scan(&m, &n); err != nil {
				return fmt.Errorf("count activities: %w", err)
			}
			hist[m] += n
		}
		return rows.Err()
	}

	// Weeks decided wholesale: activity_counts.
	aggWhere, aggWhereArgs := "a.n > 0", []any{}
	if cp.exact {
		aggWhere += " AND (a.week < ? OR a.week > ?)"
		aggWhereArgs = append(aggWhereArgs, cp.fromWeek, cp.toWeek)
	}
	if err := addHist(hist, `SELECT m, SUM(n) FROM (SELECT `+aggMaskSQL+` AS m, a.n AS n
		FROM activity_counts a WHERE `+aggWhere+`) GROUP BY m`, append(aggArgs, aggWhereArgs...)...); err != nil {
		return ListPage{}, err
	}
	// Weeks around a period boundary: row by row, through the covering index.
	if cp.exact {
		if err := addHist(hist, `SELECT `+maskSQL+` AS m, COUNT(*) FROM activities a INDEXED BY activities_list
			WHERE a.deleted_at IS NULL AND a.start_at >= ? AND a.start_at < ? GROUP BY m`,
			append(append([]any{}, args...), weekStart(cp.fromWeek), weekStart(cp.toWeek+1))...); err != nil {
			return ListPage{}, err
		}
	}
	for _, n := range hist {
		page.Total += n
	}
	if cp.search == nil {
		page.Shown = hist[0]
		for i, p := range cp.ps {
			page.HiddenBy[p.dim] = hist[1<<i]
		}
	} else {
		// The same histogram over the rows the search matches. Text search reads every
		// row, so read the table directly (an index walk would add a lookup per row), and
		// sum the masks that matter in a co-routine instead of grouping with a sort.
		sums := []string{"COALESCE(SUM(m = 0), 0)"}
		for i := range cp.ps {
			sums = append(sums, fmt.Sprintf("COALESCE(SUM(m = %d), 0)", 1<<i))
		}
		counts := make([]int, len(sums))
		dest := make([]any, len(sums))
		for i := range counts {
			dest[i] = &counts[i]
		}
		if err := h.QueryRowContext(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM (SELECT `+maskSQL+` AS m
			FROM activities a NOT INDEXED WHERE a.deleted_at IS NULL AND `+cp.search.sql+` LIMIT -1)`,
			append(append([]any{}, args...), cp.search.args...)...).Scan(dest...); err != nil {
			return ListPage{}, fmt.Errorf("count activities: %w", err)
		}
		found := map[int64]int{0: counts[0]}
		for i := range cp.ps {
			found[1<<i] = counts[1+i]
		}
		page.Shown = found[0]
		for i, p := range cp.ps {
			page.HiddenBy[p.dim] = found[1<<i]
		}
		// Passing every other filter but not the search.
		page.HiddenBy[DimSearch] = hist[0] - found[0]
	}
	page.Hidden = page.Total - page.Shown
	return page, nil
}

// attachLinks fills each row's sync columns from its most relevant calendar link: a live
// link before a quarantined one, then the newest.
func attachLinks(ctx context.Context, h Handler, rows []ActivityRow) error {
	if len(rows) == 0 {
		return nil
	}
	idx := make(map[string]int, len(rows))
	args := make([]any, len(rows))
	for i, r := range rows {
		idx[r.ID] = i
		args[i] = r.ID
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(rows)), ",")
	q, err := h.QueryContext(ctx, `SELECT activity_id, account_id, calendar_id, remote_id, synced_rev, state,
		last_error, last_synced_at FROM links WHERE activity_id IN (`+marks+`)
		ORDER BY (state = 'quarantined'), id DESC`, args...)
	if err != nil {
		return fmt.Errorf("read links: %w", err)
	}
	defer q.Close()
	done := map[string]bool{}
	perAccount := map[string][]accountLink{}
	for q.Next() {
		var (
			actID, acct, cal, remote, state, lastErr string
			syncedRev                                int64
			lastSynced                               sql.NullInt64
		)
		if err := q.Scan(&actID, &acct, &cal, &remote, &syncedRev, &state, &lastErr, &lastSynced); err != nil {
			return err
		}
		r := &rows[idx[actID]]
		perAccount[actID] = append(perAccount[actID], accountLink{acct, linkSyncState(state, lastErr, r.Rev, syncedRev), lastErr})
		if done[actID] {
			continue
		}
		done[actID] = true
		r.LinkAccountID, r.LinkCalendarID, r.LinkRemoteID, r.LinkError = acct, cal, remote, lastErr
		r.LastSyncedAt = timePtr(lastSynced)
		r.SyncState = linkSyncState(state, lastErr, r.Rev, syncedRev)
	}
	if err := q.Err(); err != nil {
		return err
	}
	q.Close()
	targets, err := syncTargets(ctx, h)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, t := range targets {
		names[t.id] = t.name
	}
	for i := range rows {
		fillAccounts(&rows[i], targets, names, perAccount[rows[i].ID])
	}
	return nil
}

// linkSyncState condenses a link into what the list shows.
func linkSyncState(state, lastErr string, rev, syncedRev int64) string {
	switch {
	case state == LinkQuarantined:
		return SyncQuarantined
	case lastErr != "":
		return SyncError
	case state == LinkSynced && rev <= syncedRev:
		return SyncSynced
	default: // pending create / delete, or local changes not yet pushed
		return SyncPending
	}
}

// HiddenCount is how many activities one filter alone hides.
type HiddenCount struct {
	Dim   string
	Count int
}

// HiddenList returns HiddenBy's non-zero entries in display order (owner, type, status,
// period, search), for footers like "filters hide 472 (owner 400, type 72)".
func (p ListPage) HiddenList() []HiddenCount {
	var out []HiddenCount
	for _, d := range FilterDimensions {
		if n := p.HiddenBy[d]; n > 0 {
			out = append(out, HiddenCount{d, n})
		}
	}
	return out
}

// GetActivityRow reads one activity (tombstones included) as the list shows it: with its
// owner's name and its calendar link's state.
func GetActivityRow(ctx context.Context, h Handler, id string) (ActivityRow, error) {
	row := h.QueryRowContext(ctx, `SELECT `+activityColumns+`,
		COALESCE((SELECT u.name FROM users u WHERE u.id = a.owner_id), '') FROM activities a WHERE a.id = ?`, id)
	var r ActivityRow
	a, err := scanActivity(row, &r.OwnerName)
	if errors.Is(err, sql.ErrNoRows) {
		return ActivityRow{}, fmt.Errorf("activity %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return ActivityRow{}, err
	}
	r.Activity = a
	rows := []ActivityRow{r}
	if err := attachLinks(ctx, h, rows); err != nil {
		return ActivityRow{}, err
	}
	return rows[0], nil
}
