package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

const linkCols = `id, activity_id, account_id, calendar_id, remote_id, remote_etag, ical_uid, synced_rev,
	remote_updated, state, last_error, last_synced_at, created_at`

func scanLink(sc interface{ Scan(...any) error }) (Link, error) {
	var l Link
	var ru, ls sql.NullInt64
	var created int64
	err := sc.Scan(&l.ID, &l.ActivityID, &l.AccountID, &l.CalendarID, &l.RemoteID, &l.RemoteETag, &l.ICalUID,
		&l.SyncedRev, &ru, &l.State, &l.LastError, &ls, &created)
	l.RemoteUpdated = goTimePtr(ru)
	l.LastSyncedAt = goTimePtr(ls)
	l.CreatedAt = goTime(created)
	return l, err
}

// PendingRemoteID is the placeholder remote id of a pending_create link: the provider
// derives the real id from the activity id, and the link learns it when Create returns
// (or when the tagged event shows up in a listing after a crash).
func PendingRemoteID(activityID string) string { return "pending:" + activityID }

// InsertLink stores a new link and returns it with its id. A zero CreatedAt means now;
// an empty State means pending_create.
func InsertLink(ctx context.Context, h Handler, l Link) (Link, error) {
	if l.State == "" {
		l.State = LinkPendingCreate
	}
	l.CreatedAt = nowOr(l.CreatedAt)
	res, err := h.ExecContext(ctx, `INSERT INTO links (activity_id, account_id, calendar_id, remote_id, remote_etag,
		ical_uid, synced_rev, remote_updated, state, last_error, last_synced_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		l.ActivityID, l.AccountID, l.CalendarID, l.RemoteID, l.RemoteETag, l.ICalUID, l.SyncedRev,
		sqTimePtr(l.RemoteUpdated), l.State, l.LastError, sqTimePtr(l.LastSyncedAt), sqTime(l.CreatedAt))
	if err != nil {
		return l, fmt.Errorf("insert link: %w", err)
	}
	l.ID, err = res.LastInsertId()
	return l, err
}

// UpdateLink writes every mutable field of l (by id).
func UpdateLink(ctx context.Context, h Handler, l Link) error {
	res, err := h.ExecContext(ctx, `UPDATE links SET activity_id=?, calendar_id=?, remote_id=?, remote_etag=?,
		ical_uid=?, synced_rev=?, remote_updated=?, state=?, last_error=?, last_synced_at=? WHERE id=?`,
		l.ActivityID, l.CalendarID, l.RemoteID, l.RemoteETag, l.ICalUID, l.SyncedRev, sqTimePtr(l.RemoteUpdated),
		l.State, l.LastError, sqTimePtr(l.LastSyncedAt), l.ID)
	return expectOne(res, err, "link", fmt.Sprint(l.ID))
}

// DeleteLink removes a link (the activity and the remote event are untouched).
func DeleteLink(ctx context.Context, h Handler, id int64) error {
	_, err := h.ExecContext(ctx, `DELETE FROM links WHERE id = ?`, id)
	return err
}

func oneLink(row *sql.Row, what string) (Link, error) {
	l, err := scanLink(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, fmt.Errorf("link for %s: %w", what, ErrNotFound)
	}
	return l, err
}

// GetLink reads a link by id.
func GetLink(ctx context.Context, h Handler, id int64) (Link, error) {
	return oneLink(h.QueryRowContext(ctx, `SELECT `+linkCols+` FROM links WHERE id = ?`, id), fmt.Sprint("id ", id))
}

// GetLinkByRemote finds the link of a remote event.
func GetLinkByRemote(ctx context.Context, h Handler, accountID, calendarID, remoteID string) (Link, error) {
	return oneLink(h.QueryRowContext(ctx, `SELECT `+linkCols+` FROM links
		WHERE account_id = ? AND calendar_id = ? AND remote_id = ?`, accountID, calendarID, remoteID),
		"remote event "+remoteID)
}

// GetLinkByActivity finds an activity's link in an account (calendarID "" = any calendar,
// the newest link first).
func GetLinkByActivity(ctx context.Context, h Handler, accountID, calendarID, activityID string) (Link, error) {
	// INDEXED BY: the planner would otherwise walk every link of the account through the
	// (account, calendar, remote id) key; an activity has only a handful of links.
	return oneLink(h.QueryRowContext(ctx, `SELECT `+linkCols+` FROM links INDEXED BY links_activity
		WHERE account_id = ? AND (? = '' OR calendar_id = ?) AND activity_id = ? ORDER BY id DESC LIMIT 1`,
		accountID, calendarID, calendarID, activityID), "activity "+activityID)
}

func queryLinks(ctx context.Context, h Handler, q string, args ...any) ([]Link, error) {
	return queryAll(ctx, h, scanLink, q, args...)
}

// LinksForActivity returns an activity's links in every account (the doctor's view).
func LinksForActivity(ctx context.Context, h Handler, activityID string) ([]Link, error) {
	return queryLinks(ctx, h, `SELECT `+linkCols+` FROM links WHERE activity_id = ? ORDER BY id`, activityID)
}

// ListLinks returns an account's links ("" = every account), by id.
func ListLinks(ctx context.Context, h Handler, accountID string) ([]Link, error) {
	return queryLinks(ctx, h, `SELECT `+linkCols+` FROM links WHERE (? = '' OR account_id = ?) ORDER BY id`, accountID, accountID)
}

// ListLinksPage returns up to limit links of one calendar with id > afterID, by id, so
// callers walk many links in bounded memory.
func ListLinksPage(ctx context.Context, h Handler, accountID, calendarID string, afterID int64, limit int) ([]Link, error) {
	return queryLinks(ctx, h, `SELECT `+linkCols+` FROM links WHERE account_id = ? AND calendar_id = ? AND id > ?
		ORDER BY id LIMIT ?`, accountID, calendarID, afterID, limit)
}

// CountLinks counts an account's links ("" = every account).
func CountLinks(ctx context.Context, h Handler, accountID string) (int, error) {
	var n int
	err := h.QueryRowContext(ctx, `SELECT count(*) FROM links WHERE (? = '' OR account_id = ?)`, accountID, accountID).Scan(&n)
	return n, err
}

// CountLinksByState counts an account's links per state.
func CountLinksByState(ctx context.Context, h Handler, accountID string) (map[string]int, error) {
	rows, err := h.QueryContext(ctx, `SELECT state, count(*) FROM links WHERE account_id = ? GROUP BY state`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// ---- The engine's reads and writes of activities -------------------------------------
// These are the sync-side primitives (engineer F owns the CRM-side activity API): they
// write exactly what the engine decided, including the activity id taken from an
// ownership tag, and bump rev so the engine can record it as synced in the same tx.

const syncActivityCols = `a.id, a.owner_id, a.type, a.subject, a.note, a.location, a.start_at, a.time_zone,
	a.duration_min, a.all_day, a.done, a.done_at, a.created_at, a.updated_at, a.deleted_at, a.rev, a.origin, a.updated_ns`

type activityScan struct {
	a                       Activity
	start, created, updated int64
	updatedNs               int64
	durMin                  int64
	doneAt, deletedAt       sql.NullInt64
}

func (s *activityScan) targets() []any {
	return []any{&s.a.ID, &s.a.OwnerID, &s.a.Type, &s.a.Subject, &s.a.Note, &s.a.Location, &s.start, &s.a.TimeZone,
		&s.durMin, &s.a.AllDay, &s.a.Done, &s.doneAt, &s.created, &s.updated, &s.deletedAt, &s.a.Rev, &s.a.Origin, &s.updatedNs}
}

func (s *activityScan) activity() Activity {
	a := s.a
	a.Start = goTime(s.start)
	a.Duration = time.Duration(s.durMin) * time.Minute
	a.DoneAt = goTimePtr(s.doneAt)
	a.CreatedAt = goTime(s.created)
	a.UpdatedAt = time.Unix(s.updated, s.updatedNs).UTC()
	a.DeletedAt = goTimePtr(s.deletedAt)
	return a
}

// scanSyncActivity reads one row of syncActivityCols.
func scanSyncActivity(sc rowScanner) (Activity, error) {
	var s activityScan
	if err := sc.Scan(s.targets()...); err != nil {
		return Activity{}, err
	}
	return s.activity(), nil
}

// SyncMeID returns the id of the user who is "me" (whose activities are pushed).
func SyncMeID(ctx context.Context, h Handler) (string, error) {
	var id string
	err := h.QueryRowContext(ctx, `SELECT id FROM users WHERE is_me = 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("no CRM user is marked as me: %w", ErrNotFound)
	}
	return id, err
}

// SyncGetActivity reads an activity, tombstoned ones included.
func SyncGetActivity(ctx context.Context, h Handler, id string) (Activity, error) {
	var s activityScan
	err := h.QueryRowContext(ctx, `SELECT `+syncActivityCols+` FROM activities a WHERE a.id = ?`, id).Scan(s.targets()...)
	if errors.Is(err, sql.ErrNoRows) {
		return Activity{}, fmt.Errorf("activity %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Activity{}, err
	}
	return s.activity(), nil
}

// SyncInsertActivity creates an activity imported from a calendar. An empty ID gets a
// UUIDv7 (an ownership tag's activity id is kept, so a re-import after a reset restores
// the same activity). Rev starts at 1.
func SyncInsertActivity(ctx context.Context, h Handler, a Activity, now time.Time) (Activity, error) {
	now = nowOr(now)
	if a.ID == "" {
		a.ID = newID()
	}
	if a.TimeZone == "" {
		a.TimeZone = "UTC"
	}
	if a.Origin == "" {
		a.Origin = "local"
	}
	a.CreatedAt, a.UpdatedAt, a.Rev = now, now, 1
	if err := a.normalize(); err != nil {
		return a, err
	}
	_, err := h.ExecContext(ctx, `INSERT INTO activities (id, owner_id, type, subject, note, location, start_at,
		time_zone, duration_min, all_day, done, done_at, created_at, updated_at, deleted_at, rev, origin, search_fold,
		updated_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, a.ID, a.OwnerID, string(a.Type), a.Subject, a.Note,
		a.Location, sqTime(a.Start), a.TimeZone, int64(a.Duration/time.Minute), a.AllDay, a.Done,
		sqTimePtr(a.DoneAt), sqTime(now), sqTime(now), sqTimePtr(a.DeletedAt), a.Rev, a.Origin, searchFold(&a), now.Nanosecond())
	if err != nil {
		return a, fmt.Errorf("import activity: %w", err)
	}
	return a, nil
}

// SyncUpdateActivity writes the calendar-visible fields of a (subject, note, location,
// start, time zone, duration, all-day), bumps rev and returns the new rev. The values are
// validated and normalised like any CRM edit (ValidationError when they cannot be).
func SyncUpdateActivity(ctx context.Context, h Handler, a Activity, now time.Time) (int64, error) {
	if a.Type == "" {
		a.Type = TypeMeeting // only to pass validation; the type column is not written
	}
	if err := a.normalize(); err != nil {
		return 0, err
	}
	var rev int64
	err := h.QueryRowContext(ctx, `UPDATE activities SET subject=?, note=?, location=?, start_at=?, time_zone=?,
		duration_min=?, all_day=?, updated_at=?, updated_ns=?, rev=rev+1, search_fold=? WHERE id=? RETURNING rev`, a.Subject, a.Note,
		a.Location, sqTime(a.Start), a.TimeZone, int64(a.Duration/time.Minute), a.AllDay, sqTime(nowOr(now)),
		nowOr(now).Nanosecond(), searchFold(&a), a.ID).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("activity %q: %w", a.ID, ErrNotFound)
	}
	return rev, err
}

// SyncTombstoneActivity marks an activity deleted (sync never hard-deletes), bumps rev
// and returns it. Tombstoning a tombstone keeps the first deletion time.
func SyncTombstoneActivity(ctx context.Context, h Handler, id string, now time.Time) (int64, error) {
	var rev int64
	err := h.QueryRowContext(ctx, `UPDATE activities SET deleted_at=coalesce(deleted_at, ?), updated_at=?, updated_ns=?, rev=rev+1
		WHERE id=? RETURNING rev`, sqTime(nowOr(now)), sqTime(nowOr(now)), nowOr(now).Nanosecond(), id).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("activity %q: %w", id, ErrNotFound)
	}
	return rev, err
}

// LinkedActivity is a link with its activity.
type LinkedActivity struct {
	Link     Link
	Activity Activity
}

// SyncDirtyLinks returns up to limit links of one calendar (id > afterID, by id) that need
// the push phase: the activity changed since it was synced (rev > synced_rev, tombstones
// included), or the link is pending_create / pending_delete / failed / of unknown state.
//
// A zero since walks every link. Otherwise only links needing attention (partial index
// links_attention) and links of activities updated at or after since are read: a quiet
// run costs what changed, not what exists. since must be at or before the start of the
// last run that finished without errors (the engine passes it with a margin).
func SyncDirtyLinks(ctx context.Context, h Handler, accountID, calendarID string, afterID int64, limit int, since time.Time) ([]LinkedActivity, error) {
	const cols = `l.id, l.activity_id, l.account_id, l.calendar_id, l.remote_id,
		l.remote_etag, l.ical_uid, l.synced_rev, l.remote_updated, l.state, l.last_error, l.last_synced_at,
		l.created_at, ` + syncActivityCols
	const dirty = `(a.rev > l.synced_rev OR l.state IN ('pending_create','pending_delete'))`
	var q string
	var args []any
	if since.IsZero() {
		q = `SELECT ` + cols + ` FROM links l JOIN activities a ON a.id = l.activity_id
			WHERE l.account_id = ? AND l.calendar_id = ? AND l.id > ? AND ` + dirty + ` ORDER BY l.id LIMIT ?`
		args = []any{accountID, calendarID, afterID, limit}
	} else {
		q = `SELECT * FROM (
			SELECT ` + cols + ` FROM links l INDEXED BY links_attention JOIN activities a ON a.id = l.activity_id
			WHERE l.account_id = ? AND l.calendar_id = ? AND l.id > ?
			AND (l.state != 'synced' OR l.last_error != '' OR l.synced_rev = 0) AND ` + dirty + `
			UNION
			SELECT ` + cols + ` FROM activities a INDEXED BY activities_updated JOIN links l INDEXED BY links_activity ON l.activity_id = a.id
			WHERE a.updated_at >= ? AND l.account_id = ? AND l.calendar_id = ? AND l.id > ? AND ` + dirty + `
		) ORDER BY 1 LIMIT ?`
		args = []any{accountID, calendarID, afterID, sqTime(since), accountID, calendarID, afterID, limit}
	}
	return queryLinked(ctx, h, q, args...)
}

func queryLinked(ctx context.Context, h Handler, q string, args ...any) ([]LinkedActivity, error) {
	rows, err := h.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LinkedActivity
	for rows.Next() {
		var l Link
		var ru, ls sql.NullInt64
		var created int64
		var s activityScan
		dst := append([]any{&l.ID, &l.ActivityID, &l.AccountID, &l.CalendarID, &l.RemoteID, &l.RemoteETag, &l.ICalUID,
			&l.SyncedRev, &ru, &l.State, &l.LastError, &ls, &created}, s.targets()...)
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		l.RemoteUpdated, l.LastSyncedAt, l.CreatedAt = goTimePtr(ru), goTimePtr(ls), goTime(created)
		out = append(out, LinkedActivity{Link: l, Activity: s.activity()})
	}
	return out, rows.Err()
}

// SyncSyncedLinksBefore returns up to limit synced links of one calendar created before
// before (id > afterID, by id) with their activities: what a full listing should have
// shown (links made during the listing itself are left out).
func SyncSyncedLinksBefore(ctx context.Context, h Handler, accountID, calendarID string, afterID int64, before time.Time, limit int) ([]LinkedActivity, error) {
	return queryLinked(ctx, h, `SELECT l.id, l.activity_id, l.account_id, l.calendar_id, l.remote_id,
		l.remote_etag, l.ical_uid, l.synced_rev, l.remote_updated, l.state, l.last_error, l.last_synced_at,
		l.created_at, `+syncActivityCols+` FROM links l JOIN activities a ON a.id = l.activity_id
		WHERE l.account_id = ? AND l.calendar_id = ? AND l.id > ? AND l.state = 'synced' AND l.created_at < ?
		ORDER BY l.id LIMIT ?`, accountID, calendarID, afterID, sqTime(before), limit)
}

// SyncUnlinkedActivities returns up to limit live activities (id > afterID, by id) that
// start inside [from, to] and have no link in this account's calendar: candidates for a
// first push (the engine applies the owner / type / activation rules and journals why
// it skips the rest).
//
// A zero since reads the whole window. Otherwise only activities updated at or after
// since, and those that entered the window since then (start in (enteredAfter, to]), are
// read; the engine does a whole-window pass now and then to catch anything else.
func SyncUnlinkedActivities(ctx context.Context, h Handler, accountID, calendarID string, from, to time.Time, afterID string, limit int, since, enteredAfter time.Time) ([]Activity, error) {
	const unlinked = `NOT EXISTS (SELECT 1 FROM links l INDEXED BY links_activity WHERE l.activity_id = a.id AND l.account_id = ? AND l.calendar_id = ?)`
	var q string
	var args []any
	if since.IsZero() {
		q = `SELECT ` + syncActivityCols + ` FROM activities a
			WHERE a.deleted_at IS NULL AND a.start_at BETWEEN ? AND ? AND a.id > ? AND ` + unlinked + `
			ORDER BY a.id LIMIT ?`
		args = []any{sqTime(from), sqTime(to), afterID, accountID, calendarID, limit}
	} else {
		q = `SELECT * FROM (
			SELECT ` + syncActivityCols + ` FROM activities a INDEXED BY activities_updated
			WHERE a.updated_at >= ? AND a.deleted_at IS NULL AND a.start_at BETWEEN ? AND ? AND a.id > ? AND ` + unlinked + `
			UNION
			SELECT ` + syncActivityCols + ` FROM activities a
			WHERE a.deleted_at IS NULL AND a.start_at > ? AND a.start_at BETWEEN ? AND ? AND a.id > ? AND ` + unlinked + `
		) ORDER BY 1 LIMIT ?`
		args = []any{sqTime(since), sqTime(from), sqTime(to), afterID, accountID, calendarID,
			sqTime(enteredAfter), sqTime(from), sqTime(to), afterID, accountID, calendarID, limit}
	}
	return queryAll(ctx, h, scanSyncActivity, q, args...)
}

// SyncFindUnlinkedImport finds a live activity this account imported earlier that has no
// link in the calendar any more and matches an untagged event's subject and start: the
// event is that activity's (its link was lost), so it is linked again instead of
// imported a second time.
func SyncFindUnlinkedImport(ctx context.Context, h Handler, accountID, calendarID, subject string, start time.Time) (Activity, error) {
	var s activityScan
	err := h.QueryRowContext(ctx, `SELECT `+syncActivityCols+` FROM activities a
		WHERE a.deleted_at IS NULL AND a.start_at = ? AND a.subject = ? AND (a.origin = ? OR `+orphanImport+`)
		AND NOT EXISTS (SELECT 1 FROM links l INDEXED BY links_activity WHERE l.activity_id = a.id AND l.account_id = ? AND l.calendar_id = ?)
		ORDER BY a.origin = ? DESC, a.id LIMIT 1`, sqTime(start), subject, accountID, accountID, calendarID, accountID).Scan(s.targets()...)
	if errors.Is(err, sql.ErrNoRows) {
		return Activity{}, fmt.Errorf("unlinked import: %w", ErrNotFound)
	}
	if err != nil {
		return Activity{}, err
	}
	return s.activity(), nil
}

// orphanImport matches activities imported by an account that has since been removed
// (removing an account keeps its activities but drops its links). When the same calendar
// is connected again, its untagged events are adopted by subject and start instead of
// being imported a second time.
const orphanImport = `(a.origin <> 'local' AND a.origin NOT IN (SELECT id FROM accounts))`

// SyncAdoptImport makes accountID the origin of an activity whose importing account was
// removed. It is bookkeeping, not an edit: rev and updated_at stay as they are.
func SyncAdoptImport(ctx context.Context, h Handler, activityID, accountID string) error {
	_, err := h.ExecContext(ctx, `UPDATE activities SET origin = ? WHERE id = ? AND origin <> 'local'
		AND origin NOT IN (SELECT id FROM accounts)`, accountID, activityID)
	return err
}

// SyncHasUnlinkedImports reports whether any live activity imported by this account lacks
// a link in the calendar (only then can an untagged event be a lost link's).
func SyncHasUnlinkedImports(ctx context.Context, h Handler, accountID, calendarID string) (bool, error) {
	var n int
	err := h.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM activities a WHERE a.deleted_at IS NULL AND (a.origin = ? OR `+orphanImport+`)
		AND NOT EXISTS (SELECT 1 FROM links l INDEXED BY links_activity WHERE l.activity_id = a.id AND l.account_id = ? AND l.calendar_id = ?))`,
		accountID, accountID, calendarID).Scan(&n)
	return n == 1, err
}

// SyncLinksByRemote loads the links of many remote events of one calendar at once (a page
// of a listing), keyed by remote id.
func SyncLinksByRemote(ctx context.Context, h Handler, accountID, calendarID string, remoteIDs []string) (map[string]Link, error) {
	out := make(map[string]Link, len(remoteIDs))
	const chunk = 400
	for len(remoteIDs) > 0 {
		n := min(len(remoteIDs), chunk)
		args := []any{accountID, calendarID}
		marks := make([]string, n)
		for i, id := range remoteIDs[:n] {
			marks[i] = "?"
			args = append(args, id)
		}
		ls, err := queryLinks(ctx, h, `SELECT `+linkCols+` FROM links WHERE account_id = ? AND calendar_id = ?
			AND remote_id IN (`+strings.Join(marks, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			out[l.RemoteID] = l
		}
		remoteIDs = remoteIDs[n:]
	}
	return out, nil
}

// SyncImport is one activity created from a calendar event, with its link.
type SyncImport struct {
	Activity Activity
	Link     Link
}

// SyncInsertImports writes many imported activities and their links with a few
// multi-row statements (a first import of thousands of events). Each activity is
// validated and normalised like SyncInsertActivity; one that fails validation stops
// the batch with its ValidationError (callers validate first with NormalizeImport).
func SyncInsertImports(ctx context.Context, h Handler, ims []SyncImport, now time.Time) error {
	now = nowOr(now)
	const chunk = 50 // 19 and 12 parameters per row
	for len(ims) > 0 {
		n := min(len(ims), chunk)
		var qa, ql strings.Builder
		qa.WriteString(`INSERT INTO activities (id, owner_id, type, subject, note, location, start_at, time_zone,
			duration_min, all_day, done, done_at, created_at, updated_at, deleted_at, rev, origin, search_fold, updated_ns) VALUES `)
		ql.WriteString(`INSERT INTO links (activity_id, account_id, calendar_id, remote_id, remote_etag, ical_uid,
			synced_rev, remote_updated, state, last_error, last_synced_at, created_at) VALUES `)
		var aa, la []any
		for i := range ims[:n] {
			a, l := &ims[i].Activity, &ims[i].Link
			if i > 0 {
				qa.WriteString(",")
				ql.WriteString(",")
			}
			qa.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
			ql.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
			aa = append(aa, a.ID, a.OwnerID, string(a.Type), a.Subject, a.Note, a.Location, sqTime(a.Start), a.TimeZone,
				int64(a.Duration/time.Minute), a.AllDay, a.Done, sqTimePtr(a.DoneAt), sqTime(now), sqTime(now),
				sqTimePtr(a.DeletedAt), a.Rev, a.Origin, searchFold(a), now.Nanosecond())
			la = append(la, a.ID, l.AccountID, l.CalendarID, l.RemoteID, l.RemoteETag, l.ICalUID, a.Rev,
				sqTimePtr(l.RemoteUpdated), l.State, l.LastError, sqTimePtr(l.LastSyncedAt), sqTime(nowOr(l.CreatedAt)))
		}
		if _, err := h.ExecContext(ctx, qa.String(), aa...); err != nil {
			return fmt.Errorf("import activities: %w", err)
		}
		if _, err := h.ExecContext(ctx, ql.String(), la...); err != nil {
			return fmt.Errorf("link imported activities: %w", err)
		}
		ims = ims[n:]
	}
	return nil
}

// NormalizeImport prepares an activity for SyncInsertImports: id, defaults, rev 1,
// validation (a ValidationError says what the event lacks).
func NormalizeImport(a Activity, now time.Time) (Activity, error) {
	now = nowOr(now)
	if a.ID == "" {
		a.ID = newID()
	}
	if a.Origin == "" {
		a.Origin = "local"
	}
	a.CreatedAt, a.UpdatedAt, a.Rev = now, now, 1
	err := a.normalize()
	return a, err
}

// SyncCountDirtyLinks counts what SyncDirtyLinks would return in total (progress bars).
func SyncCountDirtyLinks(ctx context.Context, h Handler, accountID, calendarID string) (int, error) {
	var n int
	err := h.QueryRowContext(ctx, `SELECT count(*) FROM links l JOIN activities a ON a.id = l.activity_id
		WHERE l.account_id = ? AND l.calendar_id = ?
		AND (a.rev > l.synced_rev OR l.state IN ('pending_create','pending_delete'))`, accountID, calendarID).Scan(&n)
	return n, err
}

// SyncCountUnlinked counts what SyncUnlinkedActivities would return in total.
func SyncCountUnlinked(ctx context.Context, h Handler, accountID, calendarID string, from, to time.Time) (int, error) {
	var n int
	err := h.QueryRowContext(ctx, `SELECT count(*) FROM activities a
		WHERE a.deleted_at IS NULL AND a.start_at BETWEEN ? AND ?
		AND NOT EXISTS (SELECT 1 FROM links l INDEXED BY links_activity WHERE l.activity_id = a.id AND l.account_id = ? AND l.calendar_id = ?)`,
		sqTime(from), sqTime(to), accountID, calendarID).Scan(&n)
	return n, err
}

// SyncUnlinkedOutsideWindow returns up to limit live, unlinked activities outside
// [from, to] changed at or after since: the engine journals why they are not pushed
// (outside-window) without rescanning old ones on every run.
func SyncUnlinkedOutsideWindow(ctx context.Context, h Handler, accountID, calendarID string, from, to, since time.Time, limit int) ([]Activity, error) {
	return queryAll(ctx, h, scanSyncActivity, `SELECT `+syncActivityCols+` FROM activities a INDEXED BY activities_updated
		WHERE a.updated_at >= ? AND a.deleted_at IS NULL AND (a.start_at < ? OR a.start_at > ?)
		AND NOT EXISTS (SELECT 1 FROM links l INDEXED BY links_activity WHERE l.activity_id = a.id AND l.account_id = ? AND l.calendar_id = ?)
		ORDER BY a.updated_at LIMIT ?`, sqTime(since), sqTime(from), sqTime(to), accountID, calendarID, limit)
}
