package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// memKeyring is a keyring in memory for the store's own logic (the real one is tested in
// store/oskeyring against a Secret Service). refuse makes Set fail, like a locked keyring.
type memKeyring struct {
	items  map[string][]byte
	refuse bool
}

func (k *memKeyring) Get(key string) ([]byte, error) {
	v, ok := k.items[key]
	if !ok {
		return nil, fmt.Errorf("keyring: %w", ErrNotFound)
	}
	return v, nil
}
func (k *memKeyring) Set(key string, v []byte) error {
	if k.refuse {
		return errors.New("the keyring is locked")
	}
	k.items[key] = append([]byte(nil), v...)
	return nil
}
func (k *memKeyring) Delete(key string) error {
	if _, ok := k.items[key]; !ok {
		return fmt.Errorf("keyring: %w", ErrNotFound)
	}
	delete(k.items, key)
	return nil
}
func (k *memKeyring) Name() string { return "test keyring" }

func secretTestAccount(t *testing.T, s *Store) string {
	t.Helper()
	a, err := CreateAccount(context.Background(), s.DB, Account{Kind: "google", Name: "Work", Login: "ana@example.com",
		AuthKind: "oauth", State: AccountConnected, ClientID: "x.apps.googleusercontent.com", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func rawSecretRow(t *testing.T, s *Store, id string) (value, cs []byte) {
	t.Helper()
	if err := s.DB.QueryRow(`SELECT value, client_secret FROM secrets WHERE account_id = ?`, id).Scan(&value, &cs); err != nil {
		t.Fatal(err)
	}
	return value, cs
}

func TestSecretsGoToTheKeyringAndTheRowSaysSo(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	k := &memKeyring{items: map[string][]byte{}}
	s.Keyring = k
	id := secretTestAccount(t, s)
	tok := []byte(`{"access_token":"at-1","refresh_token":"rt-1"}`)
	if err := s.SetAccountSecret(ctx, s.DB, id, SecretOAuthToken, tok, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccountClientSecret(ctx, s.DB, id, []byte("GOCSPX-abc")); err != nil {
		t.Fatal(err)
	}
	if v, cs := rawSecretRow(t, s, id); len(v) != 0 || len(cs) != 0 {
		t.Fatalf("database row still holds %q / %q", v, cs)
	}
	if loc, _ := SecretLocation(ctx, s.DB, id); loc != InKeyring {
		t.Fatalf("location %q", loc)
	}
	if kind, v, err := s.AccountSecret(ctx, id); err != nil || kind != SecretOAuthToken || !bytes.Equal(v, tok) {
		t.Fatalf("AccountSecret = %s %q %v", kind, v, err)
	}
	if cs, err := s.AccountClientSecret(ctx, id); err != nil || string(cs) != "GOCSPX-abc" {
		t.Fatalf("client secret %q %v", cs, err)
	}
	// A refreshed token (providers.SecretSaver) goes to the same place.
	if err := s.SaveSecret(ctx, id, []byte(`{"access_token":"at-2"}`)); err != nil {
		t.Fatal(err)
	}
	if string(k.items["account/"+id]) != `{"access_token":"at-2"}` {
		t.Fatalf("refreshed token not in the keyring: %q", k.items["account/"+id])
	}

	// The same data directory opened where the keyring is not reachable: a clear error
	// that says where the secret is and what to do, and never the secret.
	s.Keyring, s.KeyringNote = nil, "no D-Bus session"
	_, _, err := s.AccountSecret(ctx, id)
	if err == nil || !strings.Contains(err.Error(), "OS keyring") || !strings.Contains(err.Error(), "no D-Bus session") ||
		!strings.Contains(err.Error(), "account reconnect") || strings.Contains(err.Error(), "at-2") {
		t.Fatalf("err = %v", err)
	}

	s.Keyring = k
	if err := s.DeleteAccountSecrets(ctx, s.DB, id); err != nil {
		t.Fatal(err)
	}
	if len(k.items) != 0 {
		t.Fatalf("keyring still holds %v after sign-out", k.items)
	}
}

func TestALockedKeyringFallsBackToTheDatabase(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	s.Keyring = &memKeyring{items: map[string][]byte{}, refuse: true}
	id := secretTestAccount(t, s)
	if err := s.SetAccountSecret(ctx, s.DB, id, SecretPassword, []byte("pw-123456"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if loc, _ := SecretLocation(ctx, s.DB, id); loc != InDatabase {
		t.Fatalf("location %q", loc)
	}
	if _, v, err := s.AccountSecret(ctx, id); err != nil || string(v) != "pw-123456" {
		t.Fatalf("AccountSecret = %q %v", v, err)
	}
}

func TestDatabaseSecretsMoveToTheKeyringOnce(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := secretTestAccount(t, s)
	other := secretTestAccount(t, s)
	// Saved without a keyring (an older calsync, or a headless run).
	if err := s.SetAccountSecret(ctx, s.DB, id, SecretOAuthToken, []byte(`{"refresh_token":"rt-9"}`), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccountClientSecret(ctx, s.DB, id, []byte("GOCSPX-old")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccountSecret(ctx, s.DB, other, SecretPassword, []byte("pw-other"), time.Now()); err != nil {
		t.Fatal(err)
	}
	k := &memKeyring{items: map[string][]byte{}}
	s.Keyring = k
	if n, err := s.MigrateSecretsToKeyring(ctx); err != nil || n != 2 {
		t.Fatalf("migrate = %d %v", n, err)
	}
	if v, cs := rawSecretRow(t, s, id); len(v) != 0 || len(cs) != 0 {
		t.Fatalf("database row still holds %q / %q", v, cs)
	}
	if cs, _ := s.AccountClientSecret(ctx, id); string(cs) != "GOCSPX-old" {
		t.Fatalf("client secret after migration %q", cs)
	}
	if _, v, _ := s.AccountSecret(ctx, other); string(v) != "pw-other" {
		t.Fatalf("other account's password %q", v)
	}
	if n, err := s.MigrateSecretsToKeyring(ctx); err != nil || n != 0 {
		t.Fatalf("second migrate = %d %v", n, err)
	}
}
