package cli

import (
	"context"
	"fmt"
	"github.com/calsync/calsync/demo"
	"os"
	"time"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/store/oskeyring"
)

// detectOSKeyring finds the OS keyring once per process (main sets Env.Keyring to it;
// tests leave Env.Keyring nil and keep secrets in their temporary databases).
func detectOSKeyring() func() (store.Keyring, string) {
	var (
		done bool
		k    store.Keyring
		why  string
	)
	return func() (store.Keyring, string) {
		if !done {
			done = true
			if ok, reason := oskeyring.Detect(os.Getenv, 5*time.Second); ok != nil {
				k = ok
			} else {
				why = reason
			}
		}
		return k, why
	}
}

// useKeyring gives the store the OS keyring (when there is one) and moves secrets still in
// the database into it, saying so once. A demo sandbox keeps its fake credentials in its
// own database: they would outlive `rm -r` of the sandbox in the person's keyring.
func useKeyring(ctx context.Context, env *Env, s *store.Store) {
	if env.Keyring == nil {
		s.KeyringNote = "this calsync was started without the OS keyring"
		return
	}
	if _, isDemo, _ := store.GetMeta(ctx, s.DB, demo.MetaSeed); isDemo || env.DemoBuild {
		s.KeyringNote = "a demo sandbox keeps its fake credentials in its own database"
		return
	}
	k, why := env.Keyring()
	if k == nil {
		s.KeyringNote = why
		return
	}
	s.Keyring = k
	n, err := s.MigrateSecretsToKeyring(ctx)
	if n > 0 {
		fmt.Fprintf(env.Stderr, "calsync: moved the secrets of %d account(s) from the database into the %s\n", n, k.Name())
	}
	if err != nil {
		// Those not moved keep working from the database; the next run tries again.
		fmt.Fprintf(env.Stderr, "calsync: %v (the rest stay in the database for now)\n", err)
	}
}
