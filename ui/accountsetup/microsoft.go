package accountsetup

import (
	"context"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/microsoft"
	"github.com/calsync/calsync/providers/oauth"
)

// connectMicrosoft signs in with the device code flow: the person types the code shown
// on any device, so it works over SSH and without a browser here. The code and its expiry
// go to prompt at once (the screen counts down); esc cancels ctx, which stops polling.
func (m *Manager) connectMicrosoft(ctx context.Context, d Draft, prompt func(Prompt)) (*Connection, error) {
	cfg := providers.Config{Kind: microsoft.Kind, ClientID: d.ClientID, Endpoints: d.Endpoints, HTTPClient: m.httpClient()}
	grant, err := microsoft.SignInDevice(ctx, cfg, func(dc oauth.DeviceCode) {
		prompt(Prompt{UserCode: dc.UserCode, VerificationURL: dc.VerificationURI, ExpiresAt: dc.ExpiresAt})
	}, m.Device)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ErrCancelled
		}
		return nil, err
	}
	return m.finishOAuth(ctx, d, cfg, grant.Token, grant.Granted, microsoft.NeededScopes)
}
