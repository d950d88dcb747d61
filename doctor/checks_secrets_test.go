package doctor

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/calsync/calsync/store"
)

// mapKeyring stands in for the OS keyring (store/oskeyring is tested against a real
// Secret Service); gone makes every call fail like a keyring that went away.
type mapKeyring struct {
	m    map[string][]byte
	gone bool
}

func (k *mapKeyring) Get(key string) ([]byte, error) {
	if k.gone {
		return nil, errors.New("the Secret Service is not running")
	}
	v, ok := k.m[key]
	if !ok {
		return nil, fmt.Errorf("keyring: %w", store.ErrNotFound)
	}
	return v, nil
}
func (k *mapKeyring) Set(key string, v []byte) error { k.m[key] = v; return nil }
func (k *mapKeyring) Delete(key string) error        { delete(k.m, key); return nil }
func (k *mapKeyring) Name() string                   { return "Secret Service keyring" }

func TestSecretStorageSaysWhereEachSecretLives(t *testing.T) {
	w := newWorld(t)
	// In the database: said, with where new ones go and why.
	w.st.KeyringNote = "no D-Bus session, so no Secret Service (a headless machine)"
	f := w.finding(w.run(CantConnect), "secret-storage", w.acct.ID)
	if f.Status != Pass || !strings.Contains(f.Summary, "is in the database") || !strings.Contains(f.Summary, "headless") {
		t.Fatalf("database: %s: %s", f.Status, f.Summary)
	}

	// Moved into the keyring: said, and still readable (the connection works).
	k := &mapKeyring{m: map[string][]byte{}}
	w.st.Keyring = k
	if n, err := w.st.MigrateSecretsToKeyring(w.ctx); err != nil || n != 1 {
		t.Fatalf("migrate %d %v", n, err)
	}
	r := w.run(CantConnect)
	if f := w.finding(r, "secret-storage", w.acct.ID); f.Status != Pass || !strings.Contains(f.Summary, "Secret Service keyring") {
		t.Fatalf("keyring: %s: %s", f.Status, f.Summary)
	}
	if f := w.finding(r, "connection", w.acct.ID); f.Status != Pass {
		t.Fatalf("connection with the secret in the keyring: %s: %s", f.Status, f.Summary)
	}

	// The keyring went away: a failure that says where the secret is and the way out,
	// without the secret.
	k.gone = true
	f = w.finding(w.run(CantConnect), "secret-storage", w.acct.ID)
	if f.Status != Fail || !strings.Contains(f.Summary, "cannot read it") || !strings.Contains(f.Remediation, "account reconnect "+w.acct.ID) {
		t.Fatalf("gone: %s: %s / %s", f.Status, f.Summary, f.Remediation)
	}
	for key, v := range k.m {
		if strings.Contains(dump(Report{Findings: []Finding{f}}), string(v)) {
			t.Fatalf("the secret %s is in the finding", key)
		}
	}
}
