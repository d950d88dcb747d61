package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// ErrNotFound (declared in accounts.go) is returned, wrapped, when a row does not exist.

// ErrDeleted is returned when a change is asked of an activity that was deleted (tombstoned).
var ErrDeleted = errors.New("activity is deleted")

// ValidationError says which input field was wrong and what is accepted instead.
type ValidationError struct {
	Field   string
	Problem string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Problem }

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Limits on activity text. They keep one runaway import from bloating the database and the
// list, and they are generous for anything a person types.
const (
	MaxSubjectChars  = 500
	MaxLocationChars = 500
	MaxNoteBytes     = 1 << 20 // 1 MiB
	MaxDuration      = 31 * 24 * time.Hour
)

// Start times outside these years are almost surely parse accidents (year 0, year 20260).
var (
	minStart = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStart = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ParseActivityType returns the type named s (case-insensitive), or a ValidationError that
// lists the accepted types.
func ParseActivityType(s string) (ActivityType, error) {
	t := ActivityType(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range AllTypes {
		if t == k {
			return k, nil
		}
	}
	return "", invalid("type", "unknown type %q; accepted: %s", s, typeNames())
}

func typeNames() string {
	names := make([]string, len(AllTypes))
	for i, t := range AllTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// ActivityInput is a new activity as a person or an import describes it.
type ActivityInput struct {
	OwnerID  string // "" = me
	Type     ActivityType
	Subject  string
	Note     string
	Location string
	Start    time.Time
	TimeZone string // IANA name; "" = UTC
	Duration time.Duration
	AllDay   bool
	Done     bool
	Origin   string // "" = local
}

// ActivityPatch changes the fields that are not nil.
type ActivityPatch struct {
	Type     *ActivityType
	Subject  *string
	Note     *string
	Location *string
	Start    *time.Time
	TimeZone *string
	Duration *time.Duration
	AllDay   *bool
	OwnerID  *string
}

// IsEmpty reports whether the patch changes nothing.
func (p ActivityPatch) IsEmpty() bool {
	return p.Type == nil && p.Subject == nil && p.Note == nil && p.Location == nil &&
		p.Start == nil && p.TimeZone == nil && p.Duration == nil && p.AllDay == nil && p.OwnerID == nil
}

// repairText makes s valid UTF-8 (invalid bytes become U+FFFD) and drops NUL bytes, which
// SQLite's text functions treat as the end of the string. Other control characters are
// kept as they came; safetext strips them when the text is drawn.
func repairText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

func hasVisible(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// normalize checks a and fixes what can be fixed without losing meaning. It never touches
// the database; owner existence is checked by the caller.
func (a *Activity) normalize() error {
	if a.Type == "" {
		a.Type = TypeTask
	}
	t, err := ParseActivityType(string(a.Type))
	if err != nil {
		return err
	}
	a.Type = t

	a.Subject = strings.TrimSpace(repairText(a.Subject))
	if !hasVisible(a.Subject) {
		return invalid("subject", "must not be empty (give a few words saying what the activity is)")
	}
	if n := utf8.RuneCountInString(a.Subject); n > MaxSubjectChars {
		return invalid("subject", "is %d characters long; at most %d are accepted (put longer text in the note)", n, MaxSubjectChars)
	}
	a.Location = strings.TrimSpace(repairText(a.Location))
	if n := utf8.RuneCountInString(a.Location); n > MaxLocationChars {
		return invalid("location", "is %d characters long; at most %d are accepted", n, MaxLocationChars)
	}
	a.Note = repairText(a.Note)
	if len(a.Note) > MaxNoteBytes {
		return invalid("note", "is %d bytes; at most %d bytes (1 MiB) are accepted", len(a.Note), MaxNoteBytes)
	}

	if a.TimeZone == "" {
		a.TimeZone = "UTC"
	}
	loc, err := loadLocation(a.TimeZone)
	if err != nil || strings.ContainsAny(a.TimeZone, " \t\n") {
		return invalid("time_zone", "unknown time zone %q; use an IANA name such as Europe/Berlin, America/New_York or UTC", a.TimeZone)
	}

	if a.Start.IsZero() {
		return invalid("start", "must be set")
	}
	if a.Start.Before(minStart) || !a.Start.Before(maxStart) {
		return invalid("start", "%s is out of range; accepted years are 1900 to 2999", a.Start.UTC().Format(time.RFC3339))
	}
	if a.AllDay {
		// An all-day activity is a date: midnight of that day in its own time zone.
		d := a.Start.In(loc)
		a.Start = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	}
	a.Start = a.Start.UTC().Truncate(time.Second)

	if a.Duration < 0 {
		return invalid("duration", "must not be negative (got %s); use 0 for no duration", a.Duration)
	}
	if a.Duration%time.Minute != 0 {
		return invalid("duration", "must be whole minutes, such as 30m or 1h30m (got %s)", a.Duration)
	}
	if a.Duration > MaxDuration {
		return invalid("duration", "%s is longer than the accepted maximum of 31 days", a.Duration)
	}
	if a.Origin == "" {
		a.Origin = "local"
	}
	return nil
}

// locations caches time.LoadLocation, which reads and parses zone data on every call
// (bulk inserts would spend most of their time there).
var locations sync.Map // name -> *time.Location

func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// SearchFold is what the list's text search matches against (column search_fold):
// subject, location and note lower-cased in Go, because SQLite's LIKE and lower() only
// fold ASCII ("müller" must find "MÜLLER"). Fields are joined by a newline, which search
// queries never contain. Code that writes activities with its own SQL sets search_fold
// to this; if it does not, a trigger fills in an ASCII-only fold.
func SearchFold(subject, location, note string) string {
	return strings.ToLower(subject + "\n" + location + "\n" + note)
}

func searchFold(a *Activity) string { return SearchFold(a.Subject, a.Location, a.Note) }

func unixOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(v.Int64, 0).UTC()
	return &t
}

const activityColumns = `a.id, a.owner_id, a.type, a.subject, a.note, a.location, a.start_at, a.time_zone,
	a.duration_min, a.all_day, a.done, a.done_at, a.created_at, a.updated_at, a.deleted_at, a.rev, a.origin, a.updated_ns`

// rowScanner is a *sql.Row or *sql.Rows. An alias, so every scanX function has the one
// type queryAll takes.
type rowScanner = interface{ Scan(dest ...any) error }

func scanActivity(sc rowScanner, extra ...any) (Activity, error) {
	var (
		a                       Activity
		typ                     string
		start, created, updated int64
		updatedNs               int64
		durMin                  int64
		allDay, done            bool
		doneAt, deletedAt       sql.NullInt64
	)
	dest := []any{&a.ID, &a.OwnerID, &typ, &a.Subject, &a.Note, &a.Location, &start, &a.TimeZone,
		&durMin, &allDay, &done, &doneAt, &created, &updated, &deletedAt, &a.Rev, &a.Origin, &updatedNs}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return Activity{}, err
	}
	a.Type = ActivityType(typ)
	a.Start = time.Unix(start, 0).UTC()
	a.Duration = time.Duration(durMin) * time.Minute
	a.AllDay, a.Done = allDay, done
	a.DoneAt = timePtr(doneAt)
	a.CreatedAt = time.Unix(created, 0).UTC()
	a.UpdatedAt = time.Unix(updated, updatedNs).UTC()
	a.DeletedAt = timePtr(deletedAt)
	return a, nil
}

const insertActivitySQL = `INSERT INTO activities (id, owner_id, type, subject, note, location, start_at, time_zone,
	duration_min, all_day, done, done_at, created_at, updated_at, deleted_at, rev, origin, search_fold, updated_ns)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, ?, ?, ?)`

func insertArgs(a *Activity) []any {
	return []any{a.ID, a.OwnerID, string(a.Type), a.Subject, a.Note, a.Location, a.Start.Unix(), a.TimeZone,
		int64(a.Duration / time.Minute), a.AllDay, a.Done, unixOrNil(a.DoneAt), a.CreatedAt.Unix(), a.UpdatedAt.Unix(),
		a.Origin, searchFold(a), a.UpdatedAt.Nanosecond()}
}

// newActivity validates in and builds the row CreateActivity would write (owner not checked).
func newActivity(in ActivityInput, meID string, now time.Time) (Activity, error) {
	exact := now.UTC() // UpdatedAt keeps sub-seconds: the activation cutoff compares it exactly
	now = exact.Truncate(time.Second)
	a := Activity{
		OwnerID: strings.TrimSpace(in.OwnerID), Type: in.Type, Subject: in.Subject, Note: in.Note,
		Location: in.Location, Start: in.Start, TimeZone: in.TimeZone, Duration: in.Duration,
		AllDay: in.AllDay, Done: in.Done, Origin: in.Origin,
		CreatedAt: now, UpdatedAt: exact, Rev: 1,
	}
	if a.OwnerID == "" || a.OwnerID == "me" {
		a.OwnerID = meID
	}
	if err := a.normalize(); err != nil {
		return Activity{}, err
	}
	if a.Done {
		a.DoneAt = &now
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Activity{}, err
	}
	a.ID = id.String()
	return a, nil
}

// ownerCheck resolves "" / "me" to me's id and says clearly when the owner does not exist.
func ownerCheck(ctx context.Context, h Handler, ownerID string) (string, error) {
	ownerID = strings.TrimSpace(ownerID)
	if ownerID == "" || ownerID == "me" {
		me, err := Me(ctx, h)
		if errors.Is(err, ErrNotFound) {
			return "", invalid("owner", "no user is marked as me yet; give an owner id")
		}
		return me.ID, err
	}
	var one int
	err := h.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, ownerID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return "", invalid("owner", "no user with id %q (use \"me\" or the id of an existing user)", ownerID)
	}
	return ownerID, err
}

// CreateActivity validates in and stores it as a new activity with rev 1.
func CreateActivity(ctx context.Context, h Handler, in ActivityInput, now time.Time) (Activity, error) {
	owner, err := ownerCheck(ctx, h, in.OwnerID)
	if err != nil {
		return Activity{}, err
	}
	in.OwnerID = owner
	a, err := newActivity(in, owner, now)
	if err != nil {
		return Activity{}, err
	}
	if _, err := h.ExecContext(ctx, insertActivitySQL, insertArgs(&a)...); err != nil {
		return Activity{}, fmt.Errorf("store activity: %w", err)
	}
	return a, nil
}

// preparer is what *sql.DB and *sql.Tx offer beyond Handler, for bulk inserts.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// CreateActivities validates every input first and then stores them all in one
// transaction (its own when h is the *sql.DB), so a bad input writes nothing. A
// ValidationError's Field names the input's index, e.g. "activities[3].subject".
func CreateActivities(ctx context.Context, h Handler, ins []ActivityInput, now time.Time) ([]Activity, error) {
	if db, ok := h.(*sql.DB); ok {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		out, err := CreateActivities(ctx, tx, ins, now)
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		return out, tx.Commit()
	}
	users, err := ListUsers(ctx, h)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	meID := ""
	for _, u := range users {
		known[u.ID] = true
		if u.IsMe {
			meID = u.ID
		}
	}
	out := make([]Activity, len(ins))
	for i, in := range ins {
		field := fmt.Sprintf("activities[%d].", i)
		owner := strings.TrimSpace(in.OwnerID)
		if (owner == "" || owner == "me") && meID == "" {
			return nil, invalid(field+"owner", "no user is marked as me yet; give an owner id")
		}
		if owner != "" && owner != "me" && !known[owner] {
			return nil, invalid(field+"owner", "no user with id %q (use \"me\" or the id of an existing user)", owner)
		}
		a, err := newActivity(in, meID, now)
		if err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				return nil, invalid(field+ve.Field, "%s", ve.Problem)
			}
			return nil, err
		}
		out[i] = a
	}
	// Write in start order, with ids handed out in that order too: then every index
	// (id, start, owner+start, the week counts) grows at a few points instead of at
	// random pages, which is what makes a 100,000-row import fast.
	type key struct {
		start int64
		i     int
	}
	keys := make([]key, len(out))
	for i := range out {
		keys[i] = key{out[i].Start.Unix(), i}
	}
	slices.SortFunc(keys, func(x, y key) int { return cmp.Or(cmp.Compare(x.start, y.start), cmp.Compare(x.i, y.i)) })
	order := make([]int, len(out))
	for k, kk := range keys {
		order[k] = kk.i
	}
	sorted := make([]Activity, len(out))
	for k, i := range order {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		out[i].ID = id.String()
		sorted[k] = out[i]
	}
	if len(sorted) >= bulkRows {
		// A big import touches more pages than SQLite's default 2 MiB cache holds; spilling
		// them mid-transaction doubles the writes. This connection keeps the larger cache.
		if _, err := h.ExecContext(ctx, "PRAGMA cache_size = -65536"); err != nil {
			return nil, err
		}
	}
	if len(sorted) >= bulkCountRows {
		if err := insertCountingOnce(ctx, h, sorted); err != nil {
			return nil, err
		}
		return out, nil
	}
	if err := insertBatched(ctx, h, sorted); err != nil {
		return nil, err
	}
	return out, nil
}

// bulkCountRows is the import size from which activity_counts and activity_changes are
// updated once for the whole batch instead of by their per-row triggers.
const bulkCountRows = 1000

// insertCountingOnce inserts a large batch with the per-row insert triggers of
// activity_counts and activity_changes suspended, then does their work once for the whole
// batch: the counts in one grouped statement, the change log as one id range. The triggers
// cost a sixth of a bulk insert each (a write and a statement journal per row). This runs
// inside the caller's write transaction: no other connection can write in between, and a
// failure rolls back the triggers' removal with everything else. The triggers are
// recreated from their own stored definitions, so the migrations stay their single source.
func insertCountingOnce(ctx context.Context, h Handler, as []Activity) error {
	triggers := map[string]string{}
	rows, err := h.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger'
		AND name IN ('activity_counts_insert', 'activity_changes_insert')`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		triggers[name] = def
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(triggers) < 2 {
		return insertBatched(ctx, h, as)
	}
	var lastRowid int64
	if err := h.QueryRowContext(ctx, `SELECT COALESCE(MAX(rowid), 0) FROM activities`).Scan(&lastRowid); err != nil {
		return err
	}
	for name := range triggers {
		if _, err := h.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			return err
		}
	}
	if err := insertBatched(ctx, h, as); err != nil {
		return err
	}
	if _, err := h.ExecContext(ctx, `INSERT INTO activity_counts (week, owner_id, type, done, all_day, n)
		SELECT (start_at + 2419200000) / 604800, owner_id, type, done, all_day, COUNT(*)
		FROM activities WHERE rowid > ? AND deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5
		ON CONFLICT DO UPDATE SET n = n + excluded.n`, lastRowid); err != nil {
		return fmt.Errorf("count imported activities: %w", err)
	}
	first, last := as[0].ID, as[0].ID
	for i := range as {
		first, last = min(first, as[i].ID), max(last, as[i].ID)
	}
	if _, err := h.ExecContext(ctx, `INSERT INTO activity_changes (first_id, last_id) VALUES (?, ?)`, first, last); err != nil {
		return fmt.Errorf("log imported activities: %w", err)
	}
	for name, def := range triggers {
		if _, err := h.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("restore trigger %s: %w", name, err)
		}
	}
	return nil
}

// bulkRows is how many activities one INSERT statement carries. Each statement pays for a
// statement journal (the triggers need one) and the driver round trip once, not per row;
// 500 rows of 18 parameters stay well below SQLite's limit of 32766 (1000 measured no faster).
const bulkRows = 500

// insertBatched writes as in multi-row INSERT statements, reusing one prepared statement
// for the full batches.
func insertBatched(ctx context.Context, h Handler, as []Activity) error {
	_, values, _ := strings.Cut(insertActivitySQL, "VALUES")
	values = strings.TrimSpace(values)
	head, _, _ := strings.Cut(insertActivitySQL, "VALUES")
	build := func(n int) string {
		return head + "VALUES " + strings.TrimSuffix(strings.Repeat(values+",", n), ",")
	}
	var full *sql.Stmt
	if p, ok := h.(preparer); ok && len(as) >= bulkRows {
		st, err := p.PrepareContext(ctx, build(bulkRows))
		if err != nil {
			return err
		}
		defer st.Close()
		full = st
	}
	args := make([]any, 0, bulkRows*18)
	for start := 0; start < len(as); start += bulkRows {
		end := min(start+bulkRows, len(as))
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, insertArgs(&as[i])...)
		}
		var err error
		if full != nil && end-start == bulkRows {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = h.ExecContext(ctx, build(end-start), args...)
		}
		if err != nil {
			return fmt.Errorf("store activities %d to %d: %w", start, end-1, err)
		}
	}
	return nil
}

// GetActivity reads one activity, tombstoned ones included (DeletedAt set).
func GetActivity(ctx context.Context, h Handler, id string) (Activity, error) {
	row := h.QueryRowContext(ctx, `SELECT `+activityColumns+` FROM activities a WHERE a.id = ?`, id)
	a, err := scanActivity(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Activity{}, fmt.Errorf("activity %q: %w", id, ErrNotFound)
	}
	return a, err
}

// ResolveActivityID finds the one activity whose id is s, starts with s or ends with s
// (people type what the list shows). It returns ErrNotFound, or a ValidationError when s
// matches more than one activity.
func ResolveActivityID(ctx context.Context, h Handler, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", invalid("id", "must not be empty")
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == '-') {
			return "", invalid("id", "%q is not an activity id; ids are hexadecimal like 019a6b2c-…", s)
		}
	}
	// The range form lets SQLite use the primary key index; ids are lower-case hex.
	ids, err := queryIDs(ctx, h, `SELECT id FROM activities WHERE id >= ? AND id < ? ORDER BY id LIMIT 3`, s, s+"\xff")
	if err == nil && len(ids) == 0 {
		ids, err = queryIDs(ctx, h, `SELECT id FROM activities WHERE id LIKE ? ORDER BY id LIMIT 3`, "%"+s)
	}
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("activity %q: %w", s, ErrNotFound)
	case 1:
		return ids[0], nil
	default:
		return "", invalid("id", "%q matches more than one activity (%s, %s, …); give more characters", s, ids[0], ids[1])
	}
}

func queryIDs(ctx context.Context, h Handler, q string, args ...any) ([]string, error) {
	rows, err := h.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// writeActivity stores a's editable fields if nobody changed the row since it was read at
// rev; it reports whether the row was written.
func writeActivity(ctx context.Context, h Handler, a *Activity, readRev int64) (bool, error) {
	res, err := h.ExecContext(ctx, `UPDATE activities SET owner_id = ?, type = ?, subject = ?, note = ?, location = ?,
		start_at = ?, time_zone = ?, duration_min = ?, all_day = ?, done = ?, done_at = ?, updated_at = ?,
		updated_ns = ?, deleted_at = ?, rev = ?, search_fold = ?
		WHERE id = ? AND rev = ?`,
		a.OwnerID, string(a.Type), a.Subject, a.Note, a.Location, a.Start.Unix(), a.TimeZone,
		int64(a.Duration/time.Minute), a.AllDay, a.Done, unixOrNil(a.DoneAt), a.UpdatedAt.Unix(),
		a.UpdatedAt.Nanosecond(), unixOrNil(a.DeletedAt), a.Rev, searchFold(a), a.ID, readRev)
	if err != nil {
		return false, fmt.Errorf("store activity: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// modify reads activity id, lets change edit it (returning false when nothing changed),
// and writes it back with rev+1 and updated_at=now. A concurrent writer (the sync engine
// in another process) makes the conditional write miss; then it re-reads and retries.
func modify(ctx context.Context, h Handler, id string, now time.Time, allowDeleted bool, change func(a *Activity) (bool, error)) (Activity, error) {
	exact := now.UTC() // UpdatedAt keeps sub-seconds: the activation cutoff compares it exactly
	now = exact.Truncate(time.Second)
	for attempt := 0; ; attempt++ {
		a, err := GetActivity(ctx, h, id)
		if err != nil {
			return Activity{}, err
		}
		if a.DeletedAt != nil && !allowDeleted {
			return a, fmt.Errorf("activity %s: %w", id, ErrDeleted)
		}
		readRev := a.Rev
		changed, err := change(&a)
		if err != nil || !changed {
			if err != nil {
				return Activity{}, err
			}
			return a, nil
		}
		a.Rev = readRev + 1
		a.UpdatedAt = exact
		ok, err := writeActivity(ctx, h, &a, readRev)
		if err != nil {
			return Activity{}, err
		}
		if ok {
			return a, nil
		}
		if attempt >= 5 {
			return Activity{}, fmt.Errorf("activity %s keeps changing under us; try again", id)
		}
	}
}

// UpdateActivity applies p. Every effective change bumps rev and updated_at; a patch that
// changes nothing leaves the activity as it was.
func UpdateActivity(ctx context.Context, h Handler, id string, p ActivityPatch, now time.Time) (Activity, error) {
	var owner string
	if p.OwnerID != nil {
		o, err := ownerCheck(ctx, h, *p.OwnerID)
		if err != nil {
			return Activity{}, err
		}
		owner = o
	}
	return modify(ctx, h, id, now, false, func(a *Activity) (bool, error) {
		before := *a
		if p.Type != nil {
			a.Type = *p.Type
		}
		if p.Subject != nil {
			a.Subject = *p.Subject
		}
		if p.Note != nil {
			a.Note = *p.Note
		}
		if p.Location != nil {
			a.Location = *p.Location
		}
		if p.Start != nil {
			a.Start = *p.Start
		}
		if p.TimeZone != nil {
			a.TimeZone = *p.TimeZone
		}
		if p.Duration != nil {
			a.Duration = *p.Duration
		}
		if p.AllDay != nil {
			a.AllDay = *p.AllDay
		}
		if p.OwnerID != nil {
			a.OwnerID = owner
		}
		if err := a.normalize(); err != nil {
			return false, err
		}
		return !sameContent(before, *a), nil
	})
}

func sameContent(x, y Activity) bool {
	return x.OwnerID == y.OwnerID && x.Type == y.Type && x.Subject == y.Subject && x.Note == y.Note &&
		x.Location == y.Location && x.Start.Equal(y.Start) && x.TimeZone == y.TimeZone &&
		x.Duration == y.Duration && x.AllDay == y.AllDay
}

// SetActivityDone marks the activity done (done=true) or to do again. Setting the state it
// already has changes nothing.
func SetActivityDone(ctx context.Context, h Handler, id string, done bool, now time.Time) (Activity, error) {
	return modify(ctx, h, id, now, false, func(a *Activity) (bool, error) {
		if a.Done == done {
			return false, nil
		}
		a.Done = done
		if done {
			t := now.UTC().Truncate(time.Second)
			a.DoneAt = &t
		} else {
			a.DoneAt = nil
		}
		return true, nil
	})
}

// DeleteActivity tombstones the activity (deleted_at set, rev bumped) so the sync engine can
// delete its calendar event; the row itself stays. Deleting it again changes nothing.
func DeleteActivity(ctx context.Context, h Handler, id string, now time.Time) (Activity, error) {
	return modify(ctx, h, id, now, true, func(a *Activity) (bool, error) {
		if a.DeletedAt != nil {
			return false, nil
		}
		t := now.UTC().Truncate(time.Second)
		a.DeletedAt = &t
		return true, nil
	})
}
