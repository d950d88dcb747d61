package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Run statuses.
const (
	RunRunning = "running"
	RunOK      = "ok"
	RunFailed  = "failed"
	// RunCancelled is a run stopped from outside (the app quit, Ctrl-C) before it ended.
	RunCancelled = "cancelled"
)

// Run is one engine run over one account.
type Run struct {
	ID         string     `json:"id"`
	AccountID  string     `json:"account_id"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Status     string     `json:"status"`  // running | ok | failed | cancelled
	Summary    string     `json:"summary"` // JSON counts (sync.Summary)
}

// StartRun records the start of a run and returns its id.
func StartRun(ctx context.Context, h Handler, accountID string, now time.Time) (string, error) {
	id := newID()
	_, err := h.ExecContext(ctx, `INSERT INTO sync_runs (id, account_id, started_at, status) VALUES (?,?,?,?)`,
		id, accountID, sqTime(nowOr(now)), RunRunning)
	if err != nil {
		return "", fmt.Errorf("start run: %w", err)
	}
	return id, nil
}

// FinishRun records a run's outcome; status ok also sets the account's last_sync_at.
func FinishRun(ctx context.Context, h Handler, runID, status, summaryJSON string, now time.Time) error {
	now = nowOr(now)
	if summaryJSON == "" {
		summaryJSON = "{}"
	}
	res, err := h.ExecContext(ctx, `UPDATE sync_runs SET finished_at=?, status=?, summary=? WHERE id=?`,
		sqTime(now), status, summaryJSON, runID)
	if err := expectOne(res, err, "run", runID); err != nil {
		return err
	}
	if status == RunOK {
		_, err = h.ExecContext(ctx, `UPDATE accounts SET last_sync_at=? WHERE id=(SELECT account_id FROM sync_runs WHERE id=?)`,
			sqTime(now), runID)
	}
	return err
}

// AbandonRuns marks an account's runs still "running" as cancelled at now: called by
// the holder of the account's lease, which proves their processes are gone.
func AbandonRuns(ctx context.Context, h Handler, accountID string, now time.Time) error {
	_, err := h.ExecContext(ctx, `UPDATE sync_runs SET status=?, finished_at=? WHERE account_id=? AND status=?`,
		RunCancelled, sqTime(nowOr(now)), accountID, RunRunning)
	if err != nil {
		return fmt.Errorf("close abandoned runs: %w", err)
	}
	return nil
}

const runCols = `id, account_id, started_at, finished_at, status, summary`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var started int64
	var fin sql.NullInt64
	err := sc.Scan(&r.ID, &r.AccountID, &started, &fin, &r.Status, &r.Summary)
	r.StartedAt = goTime(started)
	r.FinishedAt = goTimePtr(fin)
	return r, err
}

// LastRun returns an account's most recent run; ErrNotFound when it never ran.
func LastRun(ctx context.Context, h Handler, accountID string) (Run, error) {
	return LastRunWithStatus(ctx, h, accountID, "")
}

// LastRunWithStatus returns the most recent run with that status ("" = any).
func LastRunWithStatus(ctx context.Context, h Handler, accountID, status string) (Run, error) {
	r, err := scanRun(h.QueryRowContext(ctx, `SELECT `+runCols+` FROM sync_runs WHERE account_id = ?
		AND (? = '' OR status = ?) ORDER BY started_at DESC, id DESC LIMIT 1`, accountID, status, status))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("no sync run of account %q: %w", accountID, ErrNotFound)
	}
	return r, err
}

// ListRuns returns up to limit runs of an account ("" = all accounts), newest first.
func ListRuns(ctx context.Context, h Handler, accountID string, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 50
	}
	return queryAll(ctx, h, scanRun, `SELECT `+runCols+` FROM sync_runs WHERE (? = '' OR account_id = ?)
		ORDER BY started_at DESC, id DESC LIMIT ?`, accountID, accountID, limit)
}

// LastRunWithFlag returns the newest successful run whose JSON summary has the boolean
// field flag set (e.g. the engine's "full_scan"); ErrNotFound when none.
func LastRunWithFlag(ctx context.Context, h Handler, accountID, flag string) (Run, error) {
	r, err := scanRun(h.QueryRowContext(ctx, `SELECT `+runCols+` FROM sync_runs WHERE account_id = ? AND status = 'ok'
		AND json_extract(summary, '$.' || ?) = 1 ORDER BY started_at DESC, id DESC LIMIT 1`, accountID, flag))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("no run of account %q with %s: %w", accountID, flag, ErrNotFound)
	}
	return r, err
}
