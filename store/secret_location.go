package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Where an account's secrets live (SecretLocation).
const (
	InDatabase = "database" // the secrets table, in a 0600 file in a 0700 directory
	InKeyring  = "keyring"  // the OS keyring (Keychain, Credential Manager, Secret Service)
)

// Keyring is the OS keyring as calsync uses it (store/oskeyring): values by key, under
// calsync's own service name. Get returns an error wrapping ErrNotFound for a missing key.
type Keyring interface {
	Get(key string) ([]byte, error)
	Set(key string, value []byte) error
	Delete(key string) error
	// Name says which keyring it is, for people: "Secret Service", "macOS Keychain".
	Name() string
}

// Keyring keys: one item for the token or password, one for the OAuth client secret.
func keyringKey(accountID string) string { return "account/" + accountID }
func keyringClientSecretKey(accountID string) string {
	return "account/" + accountID + "/client-secret"
}

// Secrets are read and written through these Store methods, which put them in s.Keyring
// when there is one and keep the database as the fallback (headless machines, no D-Bus
// session). The secrets row always exists and records where the values are, so a secret
// is never looked for in the wrong place. The package-level PutSecret/GetSecret work on
// the row alone.

// SetAccountSecret saves an account's token or password (replacing any earlier one), in
// the keyring when there is one and it accepts it, else in the database.
func (s *Store) SetAccountSecret(ctx context.Context, h Handler, accountID, kind string, value []byte, now time.Time) error {
	if s.Keyring != nil {
		if err := s.Keyring.Set(keyringKey(accountID), value); err == nil {
			// A client secret still in the database row moves along with the token.
			if loc, _ := SecretLocation(ctx, h, accountID); loc == InDatabase {
				if cs, _ := GetClientSecret(ctx, h, accountID); len(cs) > 0 {
					if err := s.Keyring.Set(keyringClientSecretKey(accountID), cs); err != nil {
						return fmt.Errorf("move the client secret of account %q into the %s: %w", accountID, s.Keyring.Name(), err)
					}
					if err := PutClientSecret(ctx, h, accountID, []byte{}); err != nil {
						return err
					}
				}
			}
			if err := PutSecret(ctx, h, accountID, kind, []byte{}, now); err != nil {
				return err
			}
			return setStoredIn(ctx, h, accountID, InKeyring)
		}
		// The keyring refused (locked, gone): keep the secret working in the database.
	}
	if err := PutSecret(ctx, h, accountID, kind, value, now); err != nil {
		return err
	}
	return setStoredIn(ctx, h, accountID, InDatabase)
}

// AccountSecret reads an account's token or password from where it lives.
func (s *Store) AccountSecret(ctx context.Context, accountID string) (kind string, value []byte, err error) {
	kind, value, err = GetSecret(ctx, s.DB, accountID)
	if err != nil {
		return "", nil, err
	}
	loc, err := SecretLocation(ctx, s.DB, accountID)
	if err != nil || loc != InKeyring {
		return kind, value, err
	}
	if s.Keyring == nil {
		return "", nil, fmt.Errorf("the secret of account %q is in the OS keyring, which calsync cannot reach here (%s); run calsync where the keyring is unlocked, or sign in again with calsync account reconnect %s", accountID, s.keyringNote(), accountID)
	}
	v, err := s.Keyring.Get(keyringKey(accountID))
	if err != nil {
		return "", nil, fmt.Errorf("the secret of account %q in the %s: %w", accountID, s.Keyring.Name(), err)
	}
	return kind, v, nil
}

// SetAccountClientSecret keeps the OAuth client secret beside the account's token, in the
// same place. The account's secret must have been saved first.
func (s *Store) SetAccountClientSecret(ctx context.Context, h Handler, accountID string, clientSecret []byte) error {
	loc, err := SecretLocation(ctx, h, accountID)
	if err != nil {
		return err
	}
	if loc == InKeyring && s.Keyring != nil {
		if err := s.Keyring.Set(keyringClientSecretKey(accountID), clientSecret); err == nil {
			return PutClientSecret(ctx, h, accountID, []byte{})
		}
		return fmt.Errorf("client secret for account %q: the %s refused it", accountID, s.Keyring.Name())
	}
	return PutClientSecret(ctx, h, accountID, clientSecret)
}

// AccountClientSecret reads the stored OAuth client secret; empty when none was stored.
func (s *Store) AccountClientSecret(ctx context.Context, accountID string) ([]byte, error) {
	v, err := GetClientSecret(ctx, s.DB, accountID)
	if err != nil {
		return nil, err
	}
	if loc, err := SecretLocation(ctx, s.DB, accountID); err != nil || loc != InKeyring || s.Keyring == nil {
		return v, err
	}
	cs, err := s.Keyring.Get(keyringClientSecretKey(accountID))
	if errors.Is(err, ErrNotFound) {
		return nil, nil // signed in without one
	}
	return cs, err
}

// DeleteAccountSecrets forgets an account's secrets wherever they are (sign-out, removal).
func (s *Store) DeleteAccountSecrets(ctx context.Context, h Handler, accountID string) error {
	if s.Keyring != nil {
		for _, k := range []string{keyringKey(accountID), keyringClientSecretKey(accountID)} {
			if err := s.Keyring.Delete(k); err != nil && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("forget the secret of account %q in the %s: %w", accountID, s.Keyring.Name(), err)
			}
		}
	}
	return DeleteSecret(ctx, h, accountID)
}

// SecretLocation says where an account's secret lives: InKeyring, InDatabase, or ""
// when it has none.
func SecretLocation(ctx context.Context, h Handler, accountID string) (string, error) {
	var loc string
	err := h.QueryRowContext(ctx, `SELECT stored_in FROM secrets WHERE account_id = ?`, accountID).Scan(&loc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return loc, err
}

func setStoredIn(ctx context.Context, h Handler, accountID, loc string) error {
	_, err := h.ExecContext(ctx, `UPDATE secrets SET stored_in = ? WHERE account_id = ?`, loc, accountID)
	return err
}

// KeyringStatus says, for people, where new secrets go: the keyring's name, or why the
// database is used.
func (s *Store) KeyringStatus() string {
	if s.Keyring != nil {
		return "the " + s.Keyring.Name()
	}
	return "the database (" + s.keyringNote() + ")"
}

func (s *Store) keyringNote() string {
	if s.KeyringNote != "" {
		return s.KeyringNote
	}
	return "no OS keyring"
}

// MigrateSecretsToKeyring moves every secret still in the database into s.Keyring (the
// first run where a keyring is reachable) and returns how many accounts moved. Each
// account moves in its own transaction, after its values are in the keyring, so a
// failure leaves it working from the database.
func (s *Store) MigrateSecretsToKeyring(ctx context.Context) (int, error) {
	if s.Keyring == nil {
		return 0, nil
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT account_id, value, client_secret FROM secrets WHERE stored_in = 'database'`)
	if err != nil {
		return 0, err
	}
	type row struct {
		id    string
		v, cs []byte
	}
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.v, &r.cs); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	moved := 0
	for _, r := range todo {
		if err := s.Keyring.Set(keyringKey(r.id), r.v); err != nil {
			return moved, fmt.Errorf("move the secret of account %q into the %s: %w", r.id, s.Keyring.Name(), err)
		}
		if len(r.cs) > 0 {
			if err := s.Keyring.Set(keyringClientSecretKey(r.id), r.cs); err != nil {
				return moved, fmt.Errorf("move the client secret of account %q into the %s: %w", r.id, s.Keyring.Name(), err)
			}
		}
		err := s.Tx(ctx, func(h Handler) error {
			_, err := h.ExecContext(ctx, `UPDATE secrets SET value = x'', client_secret = x'', stored_in = 'keyring' WHERE account_id = ? AND stored_in = 'database'`, r.id)
			return err
		})
		if err != nil {
			return moved, err
		}
		moved++
	}
	return moved, nil
}
