package google

import (
	"context"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

// SignInOptions fills the Google parts of a loopback sign-in: client credentials and
// endpoints from cfg (ClientID/ClientSecret or CALSYNC_GOOGLE_*, Endpoints.Auth/Token),
// scopes, offline access (a refresh token) and forced consent (so a re-sign-in after a
// refused scope shows the boxes again). lo supplies the UI hooks (OpenBrowser, ShowURL,
// Out) and HTTPClient; its Config, Provider and Classify are overwritten.
func SignInOptions(cfg providers.Config, lo oauth.LoopbackOptions) oauth.LoopbackOptions {
	lo.Provider = Kind
	lo.Config = OAuthConfig(cfg)
	lo.Classify = ClassifyTokenError
	lo.AuthOpts = append([]oauth2.AuthCodeOption{oauth2.AccessTypeOffline, oauth2.ApprovalForce}, lo.AuthOpts...)
	if lo.HTTPClient == nil {
		lo.HTTPClient = cfg.HTTPClient
	}
	return lo
}

// StartSignIn begins a sign-in (listener up, URL ready) for UIs that show the URL and wait
// in the background: call Flow.Wait.
func StartSignIn(cfg providers.Config, lo oauth.LoopbackOptions) (*oauth.Flow, error) {
	if err := needClientID(cfg); err != nil {
		return nil, err
	}
	return oauth.StartLoopback(SignInOptions(cfg, lo))
}

// SignIn runs a whole sign-in and returns the grant. The grant may lack the calendar
// scope (the user can untick it): check Grant.Missing() and tell the person; the stored
// secret is Grant.Secret().
func SignIn(ctx context.Context, cfg providers.Config, lo oauth.LoopbackOptions) (*oauth.Grant, error) {
	f, err := StartSignIn(cfg, lo)
	if err != nil {
		return nil, err
	}
	return f.Wait(ctx)
}

func needClientID(cfg providers.Config) error {
	if id, _ := ClientCredentials(cfg); id == "" {
		return &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: "sign in", Message: "no OAuth client id",
			Hint: "Set CALSYNC_GOOGLE_CLIENT_ID (and CALSYNC_GOOGLE_CLIENT_SECRET) or give the client id when adding the account."}
	}
	return nil
}
