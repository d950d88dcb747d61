package store

// The activity list's text search, served from memory. SQLite can only answer "which
// activities contain this text" by reading every row, and with modernc.org/sqlite that
// costs 200-400 ns per row before any counting: 40-100 ms on 100,000 activities, against
// a budget of 20 ms for a page and all its counts. An FTS5 trigram index answers rare
// searches in a fraction of a millisecond but costs more to maintain than the whole rest
// of a bulk insert (1.5 s of CPU per 100,000 rows), and still leaves a common search with
// tens of thousands of rows to count one SQL row at a time.
//
// So a process that searches keeps, per open database, a copy of the few columns the list
// filters on plus the folded text, in list order. Matching and counting are then plain Go
// over 100,000 strings (2-3 ms). The copy is kept current from activity_changes (migration
// 0004), a log the database's triggers fill whatever code writes the activities: before
// each use the copy re-reads only the activities logged since it was built. Only *sql.DB
// handlers use it (a transaction may see its own uncommitted writes, which the copy must
// never hold); small lists, transactions and a process's first searches take the SQL
// path, while the copy is built in the background.

import (
	"cmp"
	"context"
	"database/sql"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"weak"
)

// searchRow is one live activity as the list's filters and search see it.
type searchRow struct {
	id     string
	start  int64
	owner  string
	typ    string
	done   bool
	allDay bool
	fold   string // search_fold, or for rows written without it the ASCII fold SQL's LIKE would match
}

func compareSearchRows(a, b searchRow) int {
	return cmp.Or(cmp.Compare(a.start, b.start), strings.Compare(a.id, b.id))
}

// searchIndex is the in-memory copy for one database.
type searchIndex struct {
	mu       sync.Mutex
	ready    bool
	building bool
	searches int              // searches answered by SQL so far
	seq      int64            // activity_changes entries up to here are reflected
	rows     []searchRow      // live activities in list order (start, id)
	starts   map[string]int64 // id -> start of every row in rows, to find it by binary search
}

// Tuning knobs, variables so that tests can run both paths on small data.
var (
	// searchIndexMinRows: below this many live activities the SQL scan takes a few
	// milliseconds and a copy is not worth its memory.
	searchIndexMinRows = 5000
	// searchIndexInBackground: searches are answered by SQL while the copy is built, and
	// building starts at a process's second search, so a one-shot command (which would
	// also wait for it when closing the database) never pays for it.
	searchIndexInBackground = true
	// searchIndexOff forces the SQL path (tests compare the two).
	searchIndexOff = false
)

// maxLoggedChanges is how many change-log entries a refresh applies one by one; beyond
// it the copy is rebuilt from the table.
const maxLoggedChanges = 2000

var searchIndexes struct {
	sync.Mutex
	m map[weak.Pointer[sql.DB]]*searchIndex
}

// searchIndexFor returns db's copy, creating an empty one. It is dropped with db.
func searchIndexFor(db *sql.DB) *searchIndex {
	searchIndexes.Lock()
	defer searchIndexes.Unlock()
	if searchIndexes.m == nil {
		searchIndexes.m = map[weak.Pointer[sql.DB]]*searchIndex{}
	}
	k := weak.Make(db)
	if x, ok := searchIndexes.m[k]; ok {
		return x
	}
	x := &searchIndex{}
	searchIndexes.m[k] = x
	runtime.AddCleanup(db, func(k weak.Pointer[sql.DB]) {
		searchIndexes.Lock()
		delete(searchIndexes.m, k)
		searchIndexes.Unlock()
	}, k)
	return x
}

const searchRowColumns = `id, start_at, owner_id, type, done, all_day,
	CASE WHEN search_fold = '' THEN lower(subject || char(10) || location || char(10) || note) ELSE search_fold END,
	deleted_at IS NULL`

// loadSearchRows reads the activities matching where (live and tombstoned; live reports which).
func loadSearchRows(ctx context.Context, h Handler, where string, args ...any) (rows []searchRow, live []bool, err error) {
	q, err := h.QueryContext(ctx, `SELECT `+searchRowColumns+` FROM activities `+where, args...)
	if err != nil {
		return nil, nil, err
	}
	defer q.Close()
	// A few owners and six types: share their strings instead of holding 100,000 copies.
	interned := map[string]string{}
	intern := func(s string) string {
		if t, ok := interned[s]; ok {
			return t
		}
		interned[s] = s
		return s
	}
	for q.Next() {
		var r searchRow
		var isLive bool
		if err := q.Scan(&r.id, &r.start, &r.owner, &r.typ, &r.done, &r.allDay, &r.fold, &isLive); err != nil {
			return nil, nil, err
		}
		r.owner, r.typ = intern(r.owner), intern(r.typ)
		rows = append(rows, r)
		live = append(live, isLive)
	}
	return rows, live, q.Err()
}

func changeSeq(ctx context.Context, h Handler) (int64, error) {
	var seq int64
	err := h.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM activity_changes`).Scan(&seq)
	return seq, err
}

// load reads the whole copy. The log position is read first: a write that lands while
// the rows are read is then applied again by the next refresh, which is harmless (it
// re-reads the row), whereas the other order could miss it.
func (x *searchIndex) load(ctx context.Context, h Handler) (int64, []searchRow, error) {
	seq, err := changeSeq(ctx, h)
	if err != nil {
		return 0, nil, err
	}
	rows, _, err := loadSearchRows(ctx, h, `WHERE deleted_at IS NULL`)
	if err != nil {
		return 0, nil, err
	}
	slices.SortFunc(rows, compareSearchRows)
	return seq, rows, nil
}

// install replaces the copy; x.mu is held.
func (x *searchIndex) install(seq int64, rows []searchRow) {
	x.seq, x.rows, x.ready = seq, rows, true
	x.starts = make(map[string]int64, len(rows))
	for _, r := range rows {
		x.starts[r.id] = r.start
	}
}

// build loads the copy from db (in the background: without holding x.mu while reading).
func (x *searchIndex) build(ctx context.Context, db *sql.DB) {
	seq, rows, err := x.load(ctx, db)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.building = false
	if err == nil && !x.ready {
		x.install(seq, rows)
	}
}

// refresh applies the activities logged since the copy was made; x.mu is held.
func (x *searchIndex) refresh(ctx context.Context, h Handler) error {
	seq, err := changeSeq(ctx, h)
	if err != nil || seq == x.seq {
		return err
	}
	var n int
	if err := h.QueryRowContext(ctx, `SELECT COUNT(*) FROM activity_changes WHERE seq > ? AND seq <= ?`, x.seq, seq).Scan(&n); err != nil {
		return err
	}
	// Fewer entries than positions: some were pruned (or the log was rewritten) and the
	// copy cannot know what they changed.
	if seq < x.seq || n != int(seq-x.seq) || n > maxLoggedChanges {
		seq, rows, err := x.load(ctx, h)
		if err != nil {
			return err
		}
		x.install(seq, rows)
		return nil
	}
	q, err := h.QueryContext(ctx, `SELECT first_id, last_id FROM activity_changes WHERE seq > ? AND seq <= ?`, x.seq, seq)
	if err != nil {
		return err
	}
	singles := map[string]bool{}
	var spans [][2]string
	for q.Next() {
		var first, last string
		if err := q.Scan(&first, &last); err != nil {
			q.Close()
			return err
		}
		if first == last {
			singles[first] = true
		} else {
			spans = append(spans, [2]string{first, last})
		}
	}
	if err := q.Close(); err != nil {
		return err
	}
	var fresh []searchRow
	var live []bool
	loaded := map[string]bool{} // an activity both logged alone and inside a range is read twice
	add := func(where string, args ...any) error {
		rows, l, err := loadSearchRows(ctx, h, where, args...)
		for i, r := range rows {
			if !loaded[r.id] {
				loaded[r.id] = true
				fresh, live = append(fresh, r), append(live, l[i])
			}
		}
		return err
	}
	ids := make([]any, 0, len(singles))
	for id := range singles {
		ids = append(ids, id)
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		if err := add(`WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?,", n), ",")+`)`, ids[:n]...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	for _, s := range spans {
		if err := add(`WHERE id BETWEEN ? AND ?`, s[0], s[1]); err != nil {
			return err
		}
	}
	changed := func(id string) bool {
		if singles[id] {
			return true
		}
		for _, s := range spans {
			if id >= s[0] && id <= s[1] {
				return true
			}
		}
		return false
	}
	if len(spans) > 0 || len(fresh) > 64 {
		// Many changes: filter and re-sort once.
		rows := slices.DeleteFunc(x.rows, func(r searchRow) bool { return changed(r.id) })
		for i, r := range fresh {
			if live[i] {
				rows = append(rows, r)
			}
		}
		slices.SortFunc(rows, compareSearchRows)
		x.install(seq, rows)
		return nil
	}
	for id := range singles {
		if start, ok := x.starts[id]; ok {
			if i, found := slices.BinarySearchFunc(x.rows, searchRow{start: start, id: id}, compareSearchRows); found {
				x.rows = slices.Delete(x.rows, i, i+1)
			}
			delete(x.starts, id)
		}
	}
	for i, r := range fresh {
		if !live[i] {
			continue
		}
		at, _ := slices.BinarySearchFunc(x.rows, r, compareSearchRows)
		x.rows = slices.Insert(x.rows, at, r)
		x.starts[r.id] = r.start
	}
	x.seq = seq
	return nil
}

// usableSearchIndex returns h's copy brought up to date, or nil when the SQL path must
// answer: h is a transaction, the list is small, the copy is still being built, or it
// could not be read (the SQL path then reports any real error).
func usableSearchIndex(ctx context.Context, h Handler) *searchIndex {
	db, ok := h.(*sql.DB)
	if !ok || searchIndexOff {
		return nil
	}
	x := searchIndexFor(db)
	x.mu.Lock()
	if x.ready {
		if err := x.refresh(ctx, db); err != nil {
			x.ready = false
			x.mu.Unlock()
			return nil
		}
		return x // locked; the caller unlocks
	}
	if x.building {
		x.mu.Unlock()
		return nil
	}
	var live int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM activity_counts`).Scan(&live); err != nil || live < searchIndexMinRows {
		x.mu.Unlock()
		return nil
	}
	if searchIndexInBackground {
		if x.searches++; x.searches < 2 {
			x.mu.Unlock()
			return nil
		}
		x.building = true
		x.mu.Unlock()
		go x.build(context.WithoutCancel(ctx), db)
		return nil
	}
	seq, rows, err := x.load(ctx, db)
	if err != nil {
		x.mu.Unlock()
		return nil
	}
	x.install(seq, rows)
	return x
}

// searchResult is what the copy answers for a search: total live activities, passAll of
// them pass every filter but the search, found[0] pass every filter and the search,
// found[1+i] pass the search and every filter but cp.ps[i]; ids is the requested window
// of the shown ones, in list order.
type searchResult struct {
	total, passAll int
	found          []int
	ids            []string
}

// page is the ListPage counts of res (no rows).
func (res searchResult) page(cp countPlan) ListPage {
	p := ListPage{Rows: []ActivityRow{}, HiddenBy: map[string]int{}, Total: res.total, Shown: res.found[0]}
	for i, pr := range cp.ps {
		p.HiddenBy[pr.dim] = res.found[1+i]
	}
	p.HiddenBy[DimSearch] = res.passAll - res.found[0]
	p.Hidden = p.Total - p.Shown
	return p
}

// failed returns how many of cp's filters r fails (counting stops at two) and the last one.
func (cp countPlan) failed(r *searchRow) (n, which int) {
	for i := range cp.ps {
		if !cp.ps[i].match(r) {
			n, which = n+1, i
			if n > 1 {
				return
			}
		}
	}
	return
}

// indexedSearch answers cp (which has a search) from the copy: all the counts (one pass
// over the copy costs less than SQL's pre-counted weeks) and the window
// [offset, offset+limit). ok is false when the SQL path must answer.
func indexedSearch(ctx context.Context, h Handler, cp countPlan, offset, limit int) (searchResult, bool) {
	x := usableSearchIndex(ctx, h)
	if x == nil {
		return searchResult{}, false
	}
	defer x.mu.Unlock()
	res := searchResult{total: len(x.rows), found: make([]int, 1+len(cp.ps))}
	for i := range x.rows {
		r := &x.rows[i]
		// The filters first: they are cheaper than the text test, and an activity that
		// fails two of them counts nowhere.
		n, which := cp.failed(r)
		if n == 0 {
			res.passAll++
		}
		if n > 1 || !strings.Contains(r.fold, cp.needle) {
			continue
		}
		switch n {
		case 0:
			if res.found[0] >= offset && len(res.ids) < limit {
				res.ids = append(res.ids, r.id)
			}
			res.found[0]++
		case 1:
			res.found[1+which]++
		}
	}
	return res, true
}

// indexedAfter is ListActivitiesAfter's keyset window from the copy: the ids of up to
// limit shown activities after (or before, backward) anchor, nearest first.
func indexedAfter(ctx context.Context, h Handler, cp countPlan, anchor *ListAnchor, backward bool, limit int) ([]string, bool) {
	x := usableSearchIndex(ctx, h)
	if x == nil {
		return nil, false
	}
	defer x.mu.Unlock()
	take := func(r *searchRow) bool {
		n, _ := cp.failed(r)
		return n == 0 && strings.Contains(r.fold, cp.needle)
	}
	ids := []string{}
	if !backward {
		i := 0
		if anchor != nil {
			a := searchRow{start: anchor.Start.Unix(), id: anchor.ID}
			i = sort.Search(len(x.rows), func(i int) bool { return compareSearchRows(x.rows[i], a) > 0 })
		}
		for ; i < len(x.rows) && len(ids) < limit; i++ {
			if take(&x.rows[i]) {
				ids = append(ids, x.rows[i].id)
			}
		}
		return ids, true
	}
	i := len(x.rows) - 1
	if anchor != nil {
		a := searchRow{start: anchor.Start.Unix(), id: anchor.ID}
		i = sort.Search(len(x.rows), func(i int) bool { return compareSearchRows(x.rows[i], a) >= 0 }) - 1
	}
	for ; i >= 0 && len(ids) < limit; i-- {
		if take(&x.rows[i]) {
			ids = append(ids, x.rows[i].id)
		}
	}
	return ids, true
}
