package doctor

import (
	"context"
	"errors"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// NewEnv is the Env package main and the wizard use: providers are opened like the
// engine opens them (sync.ProviderConfig) and fixes sync through the real engine.
// Providers must be registered (import providers/all) by the caller.
func NewEnv(st *store.Store, getenv func(string) string, now func() time.Time) *Env {
	eng := sync.New(st)
	eng.Now = now
	e := &Env{Store: st, Now: now}
	e.Open = func(ctx context.Context, acct store.Account, secret []byte) (providers.Provider, error) {
		cfg, err := sync.ProviderConfig(ctx, st, acct, getenv)
		if secret != nil {
			// A candidate secret being tested: the stored one may be missing or wrong.
			var pe *providers.Error
			if err != nil && !errors.As(err, &pe) {
				return nil, err
			}
			cfg.Secret = secret
			cfg.Saver = nil
		} else if err != nil {
			return nil, err
		}
		return providers.Open(ctx, cfg)
	}
	e.Sync = func(ctx context.Context, accountID string) error {
		sum, err := eng.Run(ctx, accountID, sync.RunOptions{Wait: 30 * time.Second})
		if err != nil {
			return err
		}
		if sum.Failed {
			return errors.New(sum.Error)
		}
		return nil
	}
	e.ConfirmTimeShift = func(ctx context.Context, accountID string) (sync.Summary, error) {
		sum, err := eng.Run(ctx, accountID, sync.RunOptions{Wait: 30 * time.Second, ConfirmTimeShift: true})
		if err == nil && sum.Failed {
			err = errors.New(sum.Error)
		}
		return sum, err
	}
	e.DryRun = func(ctx context.Context, accountID string) (sync.Summary, error) {
		return eng.Run(ctx, accountID, sync.RunOptions{DryRun: true})
	}
	return e
}
