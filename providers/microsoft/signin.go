package microsoft

import (
	"context"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/oauth"
)

// SignInDevice signs a Microsoft account in with the device code flow: show receives the
// code and address to display (with its expiry, for a countdown) as soon as Entra issues
// them; the call returns when the person has approved, declined, the code expired, or ctx
// ended. cfg supplies the client id (or CALSYNC_MICROSOFT_CLIENT_ID), endpoints and HTTP
// client. Store grant.Secret() as the account's secret. dev may set the clock for tests;
// its Provider, Config, Classify, HTTPClient and Show are filled here.
func SignInDevice(ctx context.Context, cfg providers.Config, show func(oauth.DeviceCode), dev oauth.DeviceOptions) (*oauth.Grant, error) {
	oc := OAuthConfig(cfg)
	if oc.ClientID == "" {
		return nil, noClientID("sign in")
	}
	dev.Provider, dev.Config, dev.Show = Kind, oc, show
	dev.Classify = oauth.EntraClassifier(oc.ClientID)
	if dev.HTTPClient == nil {
		dev.HTTPClient = cfg.HTTPClient
	}
	return normalizeGrant(oauth.DeviceSignIn(ctx, dev))
}

// SignInLoopback signs a Microsoft account in through the browser with a loopback
// redirect (PKCE). lo's Provider, Config, Classify and (when nil) HTTPClient are filled
// here; set OpenBrowser / ShowURL / Out as the caller needs. The app registration must
// list http://localhost as a "Mobile and desktop applications" redirect URI.
func SignInLoopback(ctx context.Context, cfg providers.Config, lo oauth.LoopbackOptions) (*oauth.Grant, error) {
	oc := OAuthConfig(cfg)
	if oc.ClientID == "" {
		return nil, noClientID("sign in")
	}
	lo.Provider, lo.Config = Kind, oc
	lo.Classify = oauth.EntraClassifier(oc.ClientID)
	if lo.HTTPClient == nil {
		lo.HTTPClient = cfg.HTTPClient
	}
	if lo.RedirectHost == "" {
		lo.RedirectHost = "localhost"
	}
	return normalizeGrant(oauth.Loopback(ctx, lo))
}

// normalizeGrant writes granted scopes the way calsync asks for them: Entra prefixes Graph
// scopes with https://graph.microsoft.com/, and a refresh token proves offline_access
// whether or not the response listed it. Grant.Missing then compares like with like.
func normalizeGrant(g *oauth.Grant, err error) (*oauth.Grant, error) {
	if err != nil || g == nil {
		return g, err
	}
	g.Granted = shortScopes(g.Granted)
	if g.Token != nil && g.Token.RefreshToken != "" && !hasScope(g.Granted, ScopeOfflineAccess) {
		g.Granted = append(g.Granted, ScopeOfflineAccess)
	}
	return g, nil
}

func noClientID(op string) *providers.Error {
	return &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op,
		Message: "no application (client) id",
		Hint:    "Set CALSYNC_MICROSOFT_CLIENT_ID or give the client id when adding the account."}
}
