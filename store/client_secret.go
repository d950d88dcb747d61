package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// PutClientSecret keeps the OAuth client secret an account signed in with, beside its
// token. The account's secret row must exist (PutSecret first).
func PutClientSecret(ctx context.Context, h Handler, accountID string, clientSecret []byte) error {
	res, err := h.ExecContext(ctx, `UPDATE secrets SET client_secret = ? WHERE account_id = ?`, clientSecret, accountID)
	if err != nil {
		return fmt.Errorf("store client secret for account %q: %w", accountID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("client secret for account %q: no saved sign-in: %w", accountID, ErrNotFound)
	}
	return nil
}

// GetClientSecret reads the stored OAuth client secret; empty when none was stored.
func GetClientSecret(ctx context.Context, h Handler, accountID string) ([]byte, error) {
	var v []byte
	err := h.QueryRowContext(ctx, `SELECT client_secret FROM secrets WHERE account_id = ?`, accountID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("client secret for account %q: %w", accountID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("client secret for account %q: %w", accountID, err)
	}
	return v, nil
}
