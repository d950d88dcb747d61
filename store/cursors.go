package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// GetCursor reads the change token of one calendar; ErrNotFound when there is none
// (the next listing is a full one).
func GetCursor(ctx context.Context, h Handler, accountID, calendarID string) (Cursor, error) {
	c := Cursor{AccountID: accountID, CalendarID: calendarID}
	var taken int64
	err := h.QueryRowContext(ctx, `SELECT token, taken_at, before_writes FROM cursors WHERE account_id = ? AND calendar_id = ?`,
		accountID, calendarID).Scan(&c.Token, &taken, &c.BeforeWrites)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("cursor of account %q calendar %q: %w", accountID, calendarID, ErrNotFound)
	}
	c.TakenAt = goTime(taken)
	return c, err
}

// PutCursor stores a change token. Call it in the same transaction as the changes the
// token covers, so a crash never skips changes.
func PutCursor(ctx context.Context, h Handler, c Cursor) error {
	_, err := h.ExecContext(ctx, `INSERT INTO cursors (account_id, calendar_id, token, taken_at, before_writes) VALUES (?,?,?,?,?)
		ON CONFLICT(account_id, calendar_id) DO UPDATE SET token=excluded.token, taken_at=excluded.taken_at,
		before_writes=excluded.before_writes`,
		c.AccountID, c.CalendarID, c.Token, sqTime(nowOr(c.TakenAt)), c.BeforeWrites)
	if err != nil {
		return fmt.Errorf("store cursor: %w", err)
	}
	return nil
}

// MarkCursorBeforeWrites records that calsync is about to write to (or wrote to, without
// confirmation) the calendar after its saved token was read: until a later token is
// stored, the next run lists in full instead of trusting it. No cursor: nothing to mark.
func MarkCursorBeforeWrites(ctx context.Context, h Handler, accountID, calendarID string) error {
	_, err := h.ExecContext(ctx, `UPDATE cursors SET before_writes = 1 WHERE account_id = ? AND calendar_id = ?`, accountID, calendarID)
	if err != nil {
		return fmt.Errorf("mark cursor: %w", err)
	}
	return nil
}

// DeleteCursor drops one calendar's change token (forcing a full listing next run).
func DeleteCursor(ctx context.Context, h Handler, accountID, calendarID string) error {
	_, err := h.ExecContext(ctx, `DELETE FROM cursors WHERE account_id = ? AND calendar_id = ?`, accountID, calendarID)
	return err
}

// DeleteCursors drops every change token of an account.
func DeleteCursors(ctx context.Context, h Handler, accountID string) error {
	_, err := h.ExecContext(ctx, `DELETE FROM cursors WHERE account_id = ?`, accountID)
	return err
}
