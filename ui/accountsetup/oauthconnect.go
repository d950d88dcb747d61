package accountsetup

import (
	"context"
	"fmt"
	"strings"
	gosync "sync"

	"golang.org/x/oauth2"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/google"
	"github.com/calsync/calsync/providers/oauth"
	"github.com/calsync/calsync/store"
)

func (m *Manager) connectOAuth(ctx context.Context, d Draft, prompt func(Prompt)) (*Connection, error) {
	if err := ValidateClientID(d.ClientID); err != nil {
		return nil, err
	}
	d.ClientID = strings.TrimSpace(d.ClientID)
	d.ClientSecret = strings.TrimSpace(d.ClientSecret)
	switch d.Choice.Kind {
	case "google":
		return m.connectGoogle(ctx, d, prompt)
	case "microsoft":
		return m.connectMicrosoft(ctx, d, prompt)
	}
	return nil, fmt.Errorf("unknown provider %q", d.Choice.Kind)
}

// connectGoogle signs in through the loopback redirect (Google refuses the device flow for
// calendar scopes), then compares the granted scopes with the needed ones at once: with
// granular consent a person can untick calendar access and still "succeed".
func (m *Manager) connectGoogle(ctx context.Context, d Draft, prompt func(Prompt)) (*Connection, error) {
	cfg := providers.Config{Kind: google.Kind, ClientID: d.ClientID, ClientSecret: d.ClientSecret,
		Endpoints: d.Endpoints, HTTPClient: m.httpClient()}
	open := m.openBrowser()
	if open == nil {
		open = oauth.DefaultOpenBrowser
	}
	// The browser is opened from a goroutine of the sign-in; once SignIn returns, no
	// prompt may reach the caller any more (its output may be in use).
	var mu gosync.Mutex
	finished := false
	say := func(p Prompt) {
		mu.Lock()
		defer mu.Unlock()
		if !finished {
			prompt(p)
		}
	}
	defer func() {
		mu.Lock()
		finished = true
		mu.Unlock()
	}()
	// The sign-in gives up after oauth.DefaultSignInTimeout; the screen counts it down.
	deadline := m.Now().Add(oauth.DefaultSignInTimeout)
	grant, err := google.SignIn(ctx, cfg, oauth.LoopbackOptions{
		// The URL is shown first; only when the browser really opened does the screen
		// say so (no display, no xdg-open: the person opens the URL themselves).
		OpenBrowser: func(u string) error {
			err := open(u)
			if err == nil {
				say(Prompt{AuthURL: u, BrowserOpened: true, ExpiresAt: deadline})
			}
			return err
		},
		NoBrowser:  m.NoBrowser,
		ShowURL:    func(u string) { say(Prompt{AuthURL: u, ExpiresAt: deadline}) },
		HTTPClient: m.httpClient(),
		Timeout:    oauth.DefaultSignInTimeout,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ErrCancelled
		}
		return nil, err
	}
	return m.finishOAuth(ctx, d, cfg, grant.Token, grant.Granted, google.Scopes)
}

// finishOAuth checks the grant, then lists the calendars and asks who signed in.
func (m *Manager) finishOAuth(ctx context.Context, d Draft, cfg providers.Config, tok *oauth2.Token, granted, needed []string) (*Connection, error) {
	if missing := MissingScopes(needed, granted); len(missing) > 0 {
		return nil, &ScopeError{Kind: d.Choice.Kind, Missing: missing}
	}
	secret, err := oauth.EncodeSecret(tok, granted)
	if err != nil {
		return nil, err
	}
	cfg.Secret = secret
	p, err := providers.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cals, err := p.Calendars(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := p.Access(ctx)
	if err != nil {
		return nil, err
	}
	if len(rep.Missing) > 0 {
		return nil, &ScopeError{Kind: d.Choice.Kind, Missing: rep.Missing}
	}
	return &Connection{Draft: d, Login: rep.Login, Granted: granted, Calendars: cals,
		Secret: secret, SecretKind: store.SecretOAuthToken}, nil
}
