package main

import (
	"context"
	"fmt"

	"github.com/calsync/calsync/store"
)

// startDemoFakesIfSandbox makes a persisted demo sandbox work for every command: when the
// store in env.DataDir is a sandbox on the built-in fake providers, and no process serves
// them yet, it starts them from their state files on new loopback ports and points the
// accounts at those ports. openStore calls it, so `calsync --data-dir DIR sync | doctor |
// explain | activity list` and the app all reach the same remote calendars. A normal
// data directory is left alone (one meta lookup).
//
// The fakes run until this process ends (or stopDemoFakes); their state is written after
// every change, so nothing is lost when the process exits.
func startDemoFakesIfSandbox(ctx context.Context, env *Env, st *store.Store) error {
	cfg, ok, err := loadDemoFakeConfig(ctx, st.DB)
	if err != nil || !ok {
		return err
	}
	if runningDemoFakes(env.DataDir) != nil {
		return nil
	}
	if servedElsewhere(env.DataDir, cfg.URLs) {
		return nil
	}
	f, err := startDemoFakeServers(env.DataDir, cfg)
	if err != nil {
		return fmt.Errorf("restart the demo sandbox's providers: %w", err)
	}
	if err := pointAccountsAt(ctx, st, cfg, f.urls(), env.Now()); err != nil {
		f.close()
		return err
	}
	registerDemoFakes(f)
	return nil
}
