package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AppendJournal writes one decision and returns its id. A zero At means now.
// Detail must never hold a secret (the engine writes event/activity versions only).
func AppendJournal(ctx context.Context, h Handler, e JournalEntry) (int64, error) {
	if e.Op == "" {
		return 0, errors.New("journal entry without an op")
	}
	res, err := h.ExecContext(ctx, `INSERT INTO journal (run_id, at, account_id, activity_id, remote_id, op, reason, detail)
		VALUES (?,?,?,?,?,?,?,?)`, e.RunID, sqTime(nowOr(e.At)), e.AccountID, e.ActivityID, e.RemoteID,
		e.Op, e.Reason, e.Detail)
	if err != nil {
		return 0, fmt.Errorf("append journal: %w", err)
	}
	return res.LastInsertId()
}

// JournalQuery filters the journal. Empty fields match everything.
type JournalQuery struct {
	AccountID  string
	ActivityID string
	RemoteID   string
	RunID      string
	Op         string
	Reason     string // exact reason code
	// ReasonPrefix matches reasons starting with it (e.g. "skipped" families).
	ReasonPrefix string
	Since        time.Time // entries at or after
	// BeforeID pages backwards: only entries with id < BeforeID (0 = from the newest).
	BeforeID int64
	// AfterID returns only entries with id > AfterID (for tailing).
	AfterID int64
	Limit   int // default 100, at most 10000
}

const journalCols = `id, run_id, at, account_id, activity_id, remote_id, op, reason, detail`

func scanJournal(sc interface{ Scan(...any) error }) (JournalEntry, error) {
	var e JournalEntry
	var at int64
	err := sc.Scan(&e.ID, &e.RunID, &at, &e.AccountID, &e.ActivityID, &e.RemoteID, &e.Op, &e.Reason, &e.Detail)
	e.At = goTime(at)
	return e, err
}

// QueryJournal returns matching entries, newest first.
func QueryJournal(ctx context.Context, h Handler, q JournalQuery) ([]JournalEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.AccountID != "" {
		add("account_id = ?", q.AccountID)
	}
	if q.ActivityID != "" {
		add("activity_id = ?", q.ActivityID)
	}
	if q.RemoteID != "" {
		add("remote_id = ?", q.RemoteID)
	}
	if q.RunID != "" {
		add("run_id = ?", q.RunID)
	}
	if q.Op != "" {
		add("op = ?", q.Op)
	}
	if q.Reason != "" {
		add("reason = ?", q.Reason)
	}
	if q.ReasonPrefix != "" {
		add("substr(reason, 1, ?) = ?", len(q.ReasonPrefix))
		args = append(args, q.ReasonPrefix)
	}
	if !q.Since.IsZero() {
		add("at >= ?", sqTime(q.Since))
	}
	if q.BeforeID > 0 {
		add("id < ?", q.BeforeID)
	}
	if q.AfterID > 0 {
		add("id > ?", q.AfterID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > 10000 {
		limit = 10000
	}
	query := `SELECT ` + journalCols + ` FROM journal`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := h.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query journal: %w", err)
	}
	defer rows.Close()
	var out []JournalEntry
	for rows.Next() {
		e, err := scanJournal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// GetJournalEntry reads one entry by id.
func GetJournalEntry(ctx context.Context, h Handler, id int64) (JournalEntry, error) {
	e, err := scanJournal(h.QueryRowContext(ctx, `SELECT `+journalCols+` FROM journal WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("journal entry %d: %w", id, ErrNotFound)
	}
	return e, err
}

// JournalReasons lists the distinct reason codes in the journal (for filters), sorted.
func JournalReasons(ctx context.Context, h Handler) ([]string, error) {
	rows, err := h.QueryContext(ctx, `SELECT DISTINCT reason FROM journal WHERE reason != '' ORDER BY reason`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AppendJournalBatch writes several entries with few statements (the engine journals a
// whole page of decisions at once). Zero At means now.
func AppendJournalBatch(ctx context.Context, h Handler, es []JournalEntry) error {
	const perStmt = 100 // 8 parameters each, well under SQLite's limit
	for _, e := range es {
		if e.Op == "" {
			return errors.New("journal entry without an op")
		}
	}
	err := batchInsert(ctx, h, len(es), perStmt,
		`INSERT INTO journal (run_id, at, account_id, activity_id, remote_id, op, reason, detail) VALUES `,
		"(?,?,?,?,?,?,?,?)", func(i int, dst []any) []any {
			e := &es[i]
			return append(dst, e.RunID, sqTime(nowOr(e.At)), e.AccountID, e.ActivityID, e.RemoteID, e.Op, e.Reason, e.Detail)
		})
	if err != nil {
		return fmt.Errorf("append journal: %w", err)
	}
	return nil
}

// JournalRunsOf returns, for each of the given activities that has one, the run id of its
// oldest journal entry with this op and reason: for op "pulled" and reason "imported",
// the sync run that created the activity from a calendar event. The doctor uses it to tell
// copies that one run imported together from look-alikes entered at different times.
func JournalRunsOf(ctx context.Context, h Handler, op, reason string, activityIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(activityIDs))
	const perStmt = 500 // well under SQLite's parameter limit
	for len(activityIDs) > 0 {
		n := min(len(activityIDs), perStmt)
		args := make([]any, 0, n+2)
		args = append(args, op, reason)
		for _, id := range activityIDs[:n] {
			args = append(args, id)
		}
		// journal_activity (activity_id, id) serves the IN list; ORDER BY id keeps the oldest.
		rows, err := h.QueryContext(ctx, `SELECT activity_id, run_id FROM journal WHERE op = ? AND reason = ?
			AND activity_id IN (?`+strings.Repeat(",?", n-1)+`) ORDER BY id`, args...)
		if err != nil {
			return nil, fmt.Errorf("query journal runs: %w", err)
		}
		for rows.Next() {
			var id, run string
			if err := rows.Scan(&id, &run); err != nil {
				rows.Close()
				return nil, err
			}
			if _, seen := out[id]; !seen {
				out[id] = run
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		activityIDs = activityIDs[n:]
	}
	return out, nil
}
