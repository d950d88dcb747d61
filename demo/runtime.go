package demo

import (
	"context"
	"fmt"
	"github.com/calsync/calsync/runenv"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/store"
)

// StartFakesIfSandbox makes a persisted demo sandbox work for every command: when the
// store in env.DataDir is a sandbox on the built-in fake providers, and no process serves
// them yet, it starts them from their state files on new loopback ports and points the
// accounts at those ports. openStore calls it, so `calsync --data-dir DIR sync | doctor |
// explain | activity list` and the app all reach the same remote calendars. A normal
// data directory is left alone (one meta lookup).
//
// The fakes run until this process ends (main waits, bounded, for other commands still
// using them: see lease.go), or StopFakes; their state is written after every
// change, so nothing is lost when the process exits.
func StartFakesIfSandbox(ctx context.Context, env *runenv.Env, st *store.Store) error {
	cfg, ok, err := loadDemoFakeConfig(ctx, st.DB)
	if err != nil || !ok {
		return err
	}
	if f := RunningFakes(env.DataDir); f != nil {
		useDemoEnvironment(env, f.URLs())
		return nil
	}
	// A process already relying on another's fakes keeps using them without the lock: the
	// server may be holding it while it waits for this very process to finish.
	if holdsDemoLease(env.DataDir) && servedElsewhere(env.DataDir, cfg.URLs) {
		useDemoEnvironment(env, cfg.URLs)
		return nil
	}
	// Two commands started together on the same sandbox must not both start fakes (each
	// would keep its own copy of the calendars): the check and the start are one step.
	unlock := lockDemoFakes(env.DataDir)
	defer unlock()
	if f := RunningFakes(env.DataDir); f != nil { // another goroutine of this process won
		useDemoEnvironment(env, f.URLs())
		return nil
	}
	// Read the URLs again under the lock: the process that held it may have restarted the
	// fakes and pointed the accounts at new ports meanwhile.
	cfg, _, err = loadDemoFakeConfig(ctx, st.DB)
	if err != nil {
		return err
	}
	if servedElsewhere(env.DataDir, cfg.URLs) && LeaseFakes(env.DataDir) == nil {
		useDemoEnvironment(env, cfg.URLs)
		return nil
	}
	ReleaseLease(env.DataDir)
	f, err := startDemoFakeServers(env.DataDir, cfg, env.Now)
	if err != nil {
		return fmt.Errorf("restart the demo sandbox's providers: %w", err)
	}
	if err := pointAccountsAt(ctx, st, cfg, f.URLs(), env.Now()); err != nil {
		f.close()
		return err
	}
	registerDemoFakes(f)
	useDemoEnvironment(env, f.URLs())
	return nil
}

// useDemoEnvironment makes the rest of this command treat the sandbox's fakes as the
// providers: sign-ins (a reconnect from the doctor, "Add account" in the app) open the
// fakes' consent pages with an HTTP GET instead of a browser, and new accounts are
// pointed at the fakes with their demo OAuth clients. Variables the person set win.
func useDemoEnvironment(env *runenv.Env, urls map[string]string) {
	orig := env.Getenv
	if orig == nil {
		orig = func(string) string { return "" }
	}
	vals := map[string]string{"CALSYNC_OPEN_BROWSER": "http-get",
		"CALSYNC_GOOGLE_CLIENT_ID": demoGoogleClient, "CALSYNC_GOOGLE_CLIENT_SECRET": demoGoogleSecret,
		"CALSYNC_MICROSOFT_CLIENT_ID": demoMSClient}
	if u := urls["google"]; u != "" {
		ep := googlefake.ProviderEndpoints(u)
		vals["CALSYNC_GOOGLE_API_URL"], vals["CALSYNC_GOOGLE_AUTH_URL"], vals["CALSYNC_GOOGLE_TOKEN_URL"] = ep.API, ep.Auth, ep.Token
	}
	if u := urls["microsoft"]; u != "" {
		ep := graphfake.Endpoints(u)
		vals["CALSYNC_MICROSOFT_API_URL"], vals["CALSYNC_MICROSOFT_AUTH_URL"], vals["CALSYNC_MICROSOFT_TOKEN_URL"], vals["CALSYNC_MICROSOFT_DEVICE_CODE_URL"] = ep.API, ep.Auth, ep.Token, ep.DeviceCode
	}
	if u := urls["caldav"]; u != "" {
		vals["CALSYNC_CALDAV_API_URL"] = u
	}
	env.Getenv = func(k string) string {
		if v := orig(k); v != "" {
			return v
		}
		return vals[k]
	}
}
