package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AcquireLease takes the sync lease of an account for holder until now+ttl. It succeeds
// when nobody holds it, the lease expired (its holder crashed) or holder already has it.
// It reports false, without error, when someone else holds a live lease.
func AcquireLease(ctx context.Context, h Handler, accountID, holder string, ttl time.Duration, now time.Time) (bool, error) {
	now = nowOr(now)
	res, err := h.ExecContext(ctx, `INSERT INTO sync_locks (account_id, holder, expires_at) VALUES (?,?,?)
		ON CONFLICT(account_id) DO UPDATE SET holder=excluded.holder, expires_at=excluded.expires_at
		WHERE sync_locks.expires_at <= ? OR sync_locks.holder = excluded.holder`,
		accountID, holder, sqTime(now.Add(ttl)), sqTime(now))
	if err != nil {
		return false, fmt.Errorf("acquire sync lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RenewLease extends holder's lease to now+ttl; false when holder lost it.
func RenewLease(ctx context.Context, h Handler, accountID, holder string, ttl time.Duration, now time.Time) (bool, error) {
	res, err := h.ExecContext(ctx, `UPDATE sync_locks SET expires_at = ? WHERE account_id = ? AND holder = ?`,
		sqTime(nowOr(now).Add(ttl)), accountID, holder)
	if err != nil {
		return false, fmt.Errorf("renew sync lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease gives up holder's lease (a no-op when holder does not hold it).
func ReleaseLease(ctx context.Context, h Handler, accountID, holder string) error {
	_, err := h.ExecContext(ctx, `DELETE FROM sync_locks WHERE account_id = ? AND holder = ?`, accountID, holder)
	return err
}

// GetLease reports who holds an account's lease and until when; ErrNotFound when nobody.
// An expired lease is still returned (its holder probably crashed).
func GetLease(ctx context.Context, h Handler, accountID string) (holder string, expires time.Time, err error) {
	var exp int64
	err = h.QueryRowContext(ctx, `SELECT holder, expires_at FROM sync_locks WHERE account_id = ?`, accountID).Scan(&holder, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, fmt.Errorf("sync lease of account %q: %w", accountID, ErrNotFound)
	}
	return holder, goTime(exp), err
}

// TakeOverLease hands the lease of accountID from deadHolder (a process known to have
// died without releasing it) to holder. It fails when the lease changed meanwhile.
func TakeOverLease(ctx context.Context, h Handler, accountID, deadHolder, holder string, ttl time.Duration, now time.Time) (bool, error) {
	res, err := h.ExecContext(ctx, `UPDATE sync_locks SET holder = ?, expires_at = ? WHERE account_id = ? AND holder = ?`,
		holder, sqTime(nowOr(now).Add(ttl)), accountID, deadHolder)
	if err != nil {
		return false, fmt.Errorf("take over sync lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
