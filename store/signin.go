package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RecordSignIn notes that account id just signed in (a new token or password was given).
func RecordSignIn(ctx context.Context, h Handler, id string, at time.Time) error {
	res, err := h.ExecContext(ctx, `UPDATE accounts SET signed_in_at = ? WHERE id = ?`, sqTime(nowOr(at)), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("account %q: %w", id, ErrNotFound)
	}
	return nil
}

// LastSignIn is when account id last signed in; ok is false when that was never recorded
// (accounts saved before calsync kept it).
func LastSignIn(ctx context.Context, h Handler, id string) (at time.Time, ok bool, err error) {
	var v sql.NullInt64
	err = h.QueryRowContext(ctx, `SELECT signed_in_at FROM accounts WHERE id = ?`, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, fmt.Errorf("account %q: %w", id, ErrNotFound)
	}
	if err != nil || !v.Valid {
		return time.Time{}, false, err
	}
	return goTime(v.Int64), true, nil
}
