package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// DefaultOpener opens stored accounts through the provider registry (import
// providers/all to register every kind): it reads the account's secret and endpoint
// overrides, takes the OAuth client id from the account or CALSYNC_<KIND>_CLIENT_ID
// (and CALSYNC_<KIND>_CLIENT_SECRET), and hands the provider the store as SecretSaver
// so refreshed tokens are written back.
func DefaultOpener(st *store.Store, getenv func(string) string) Opener {
	return func(ctx context.Context, acct store.Account) (providers.Provider, error) {
		cfg, err := ProviderConfig(ctx, st, acct, getenv)
		if err != nil {
			return nil, err
		}
		return providers.Open(ctx, cfg)
	}
}

// ProviderConfig builds the providers.Config of a stored account (used by DefaultOpener,
// and by the doctor and account setup to open a provider the same way).
func ProviderConfig(ctx context.Context, st *store.Store, acct store.Account, getenv func(string) string) (providers.Config, error) {
	cfg := providers.Config{AccountID: acct.ID, Kind: acct.Kind, Login: acct.Login, ClientID: acct.ClientID, Saver: st}
	if acct.Endpoints != "" && acct.Endpoints != "{}" {
		if err := json.Unmarshal([]byte(acct.Endpoints), &cfg.Endpoints); err != nil {
			return cfg, fmt.Errorf("account %s: stored endpoints are not valid JSON: %w", acct.ID, err)
		}
	}
	if cfg.Endpoints.API == "" && acct.ServerURL != "" {
		cfg.Endpoints.API = acct.ServerURL
	}
	if getenv != nil {
		up := strings.ToUpper(acct.Kind)
		if cfg.ClientID == "" {
			cfg.ClientID = getenv("CALSYNC_" + up + "_CLIENT_ID")
		}
		cfg.ClientSecret = getenv("CALSYNC_" + up + "_CLIENT_SECRET")
	}
	_, secret, err := st.AccountSecret(ctx, acct.ID)
	if errors.Is(err, store.ErrNotFound) {
		return cfg, &providers.Error{Kind: providers.AuthExpired, Provider: acct.Kind, Op: "open account",
			Message: "no saved sign-in for this account", Hint: "run `calsync account reconnect " + acct.ID + "`"}
	}
	if err != nil {
		return cfg, err
	}
	cfg.Secret = secret
	// The person's saved zone, for floating times in calendars without one (the
	// machine's zone is not used: the same database must read the same times anywhere).
	if tz, ok, err := store.GetMeta(ctx, st.DB, store.MetaTimeZone); err == nil && ok {
		cfg.TimeZone = tz
	}
	if cfg.ClientSecret == "" {
		// The environment wins; otherwise the client secret the account signed in with.
		if cs, err := st.AccountClientSecret(ctx, acct.ID); err == nil {
			cfg.ClientSecret = string(cs)
		}
	}
	return cfg, nil
}
