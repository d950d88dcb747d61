package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Secret kinds.
const (
	SecretOAuthToken = "oauth_token" // an OAuth token as JSON (access + refresh)
	SecretPassword   = "password"    // a CalDAV (app) password
)

// PutSecret stores an account's secret in its database row, replacing any earlier one.
// The value is never logged or returned by anything but GetSecret. Callers use
// Store.SetAccountSecret, which puts it in the OS keyring when there is one.
func PutSecret(ctx context.Context, h Handler, accountID, kind string, value []byte, now time.Time) error {
	if kind != SecretOAuthToken && kind != SecretPassword {
		return fmt.Errorf("secret kind %q: want %s or %s", kind, SecretOAuthToken, SecretPassword)
	}
	_, err := h.ExecContext(ctx, `INSERT INTO secrets (account_id, kind, value, updated_at) VALUES (?,?,?,?)
		ON CONFLICT(account_id) DO UPDATE SET kind=excluded.kind, value=excluded.value, updated_at=excluded.updated_at`,
		accountID, kind, value, sqTime(nowOr(now)))
	if err != nil {
		// The driver's error never echoes bound values, so err holds no secret.
		return fmt.Errorf("store secret for account %q: %w", accountID, err)
	}
	return nil
}

// GetSecret reads an account's secret and its kind from its database row (empty when the
// value is in the keyring: use Store.AccountSecret).
func GetSecret(ctx context.Context, h Handler, accountID string) (kind string, value []byte, err error) {
	err = h.QueryRowContext(ctx, `SELECT kind, value FROM secrets WHERE account_id = ?`, accountID).Scan(&kind, &value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("secret for account %q: %w", accountID, ErrNotFound)
	}
	return kind, value, err
}

// DeleteSecret forgets an account's secret (sign-out).
func DeleteSecret(ctx context.Context, h Handler, accountID string) error {
	_, err := h.ExecContext(ctx, `DELETE FROM secrets WHERE account_id = ?`, accountID)
	return err
}

// SaveSecret implements providers.SecretSaver (structurally; store imports nothing of
// ours): a provider that refreshed an OAuth token hands the new token JSON back here.
// The secret's kind is kept; an account without one gets an oauth_token.
// It goes where the account's secrets live (SetAccountSecret).
func (s *Store) SaveSecret(ctx context.Context, accountID string, secret []byte) error {
	kind, _, err := GetSecret(ctx, s.DB, accountID)
	if errors.Is(err, ErrNotFound) {
		kind = SecretOAuthToken
	} else if err != nil {
		return err
	}
	return s.SetAccountSecret(ctx, s.DB, accountID, kind, secret, time.Now())
}
