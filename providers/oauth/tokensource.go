package oauth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"github.com/calsync/calsync/providers/httppolicy"
	"golang.org/x/oauth2"
)

// TokenSourceOptions configures NewTokenSource.
type TokenSourceOptions struct {
	Provider string         // "google", "microsoft": goes into errors
	Config   *oauth2.Config // client id/secret and token endpoint; scopes are what was asked
	Token    *oauth2.Token  // the stored token (may be expired; needs a refresh token then)
	Granted  []string       // scopes granted so far (kept when a refresh omits `scope`)
	// AccountID and Saver receive every renewed token as EncodeSecret JSON. Saver may be nil.
	AccountID string
	Saver     providers.SecretSaver
	// HTTPClient talks to the token endpoint (through TokenClient); nil = the bounded default.
	HTTPClient *http.Client
	Classify   Classifier
	// Now is the clock deciding whether the access token has expired; nil = time.Now.
	Now func() time.Time
	// RefreshScopes, when set, are sent as `scope` with every refresh. Entra's v2 token
	// endpoint requires it on a refresh_token grant (AADSTS900144 without it);
	// golang.org/x/oauth2 never sends it. Google needs none.
	RefreshScopes []string
}

// TokenSource hands out a valid access token, refreshing it when expired, and saves every
// refreshed token through the SecretSaver. It is safe for concurrent use.
type TokenSource struct {
	opts    TokenSourceOptions
	mu      sync.Mutex
	tok     *oauth2.Token
	granted []string
	saveErr error
}

// ExpiryMargin is how long before its expiry an access token is already renewed.
const ExpiryMargin = 30 * time.Second

// NewTokenSource builds a TokenSource.
func NewTokenSource(opts TokenSourceOptions) *TokenSource {
	tok := opts.Token
	if tok == nil {
		tok = &oauth2.Token{}
	}
	return &TokenSource{opts: opts, tok: tok, granted: append([]string(nil), opts.Granted...)}
}

// Token implements oauth2.TokenSource.
func (ts *TokenSource) Token() (*oauth2.Token, error) { return ts.TokenContext(context.Background()) }

// TokenContext returns a valid token, refreshing under ctx when needed. Errors are
// *providers.Error (invalid_grant -> AuthExpired, ...).
func (ts *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.validLocked() {
		return ts.tok, nil
	}
	if ts.tok.RefreshToken == "" {
		return nil, &providers.Error{Kind: providers.AuthExpired, Provider: ts.opts.Provider, Op: "refresh token",
			Message: "the access token expired and there is no refresh token",
			Hint:    "Reconnect the account to sign in again."}
	}
	hc := TokenClient(ts.opts.HTTPClient)
	if len(ts.opts.RefreshScopes) > 0 {
		hc = withRefreshScope(hc, strings.Join(ts.opts.RefreshScopes, " "))
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	nt, err := ts.opts.Config.TokenSource(ctx, &oauth2.Token{RefreshToken: ts.tok.RefreshToken}).Token()
	if err != nil {
		return nil, scrub(TokenError(ts.opts.Provider, "refresh token", err, ts.opts.Classify),
			ts.tok.RefreshToken, ts.tok.AccessToken, ts.opts.Config.ClientSecret)
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = ts.tok.RefreshToken
	}
	if s, ok := nt.Extra("scope").(string); ok {
		ts.granted = splitScopes(s)
	}
	ts.tok = nt
	if ts.opts.Saver != nil {
		b, err := EncodeSecret(nt, ts.granted)
		if err == nil {
			err = ts.opts.Saver.SaveSecret(ctx, ts.opts.AccountID, b)
		}
		// The fresh token is still usable in memory; the failure is reported by SaveError
		// so the caller can surface it instead of failing the sync.
		ts.saveErr = err
	}
	return nt, nil
}

func (ts *TokenSource) validLocked() bool {
	if ts.tok.AccessToken == "" {
		return false
	}
	if ts.tok.Expiry.IsZero() {
		return true
	}
	now := time.Now
	if ts.opts.Now != nil {
		now = ts.opts.Now
	}
	return now().Add(ExpiryMargin).Before(ts.tok.Expiry)
}

// Invalidate forgets the access token so the next call refreshes (used after a 401 on a
// token that looked valid, e.g. revoked server-side).
func (ts *TokenSource) Invalidate() {
	ts.mu.Lock()
	ts.tok = &oauth2.Token{RefreshToken: ts.tok.RefreshToken}
	ts.mu.Unlock()
}

// Granted returns the scopes granted by the latest token response.
func (ts *TokenSource) Granted() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.granted...)
}

// SaveError is the error from the last attempt to save a refreshed token, nil if it worked.
func (ts *TokenSource) SaveError() error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.saveErr
}

// Client returns an HTTP client that adds the bearer token, refreshed under the request's
// context, only to requests for the origin of api (the API base URL): a redirect or a
// next-page link to any other origin gets no token (httppolicy.Authorize), and the client
// refuses such redirects with a clear error (httppolicy.Client). base provides the
// transport and may set a shorter deadline (tests); nil = the bounded default.
func (ts *TokenSource) Client(base *http.Client, api string) *http.Client {
	c := httppolicy.Client(base, httppolicy.Policy{})
	origin, err := url.Parse(api)
	if err != nil || origin.Host == "" {
		origin = &url.URL{Scheme: "invalid", Host: "invalid"} // no token anywhere
	}
	c.Transport = httppolicy.Authorize(c.Transport, origin, nil, func(r *http.Request) error {
		tok, err := ts.TokenContext(r.Context())
		if err != nil {
			return err
		}
		tok.SetAuthHeader(r)
		return nil
	})
	return c
}

func splitScopes(s string) []string {
	var out []string
	start := -1
	for i, r := range s + " " {
		if r == ' ' || r == '\t' || r == '\n' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// Redact removes this source's current access and refresh tokens and the client secret
// from s, for API error text a server might have echoed them into.
func (ts *TokenSource) Redact(s string) string {
	ts.mu.Lock()
	secrets := []string{ts.tok.AccessToken, ts.tok.RefreshToken}
	ts.mu.Unlock()
	if ts.opts.Config != nil {
		secrets = append(secrets, ts.opts.Config.ClientSecret)
	}
	return httpapi.RedactString(s, secrets...)
}

// withRefreshScope returns a client that adds scope to refresh_token grant requests
// which lack one (see TokenSourceOptions.RefreshScopes).
func withRefreshScope(hc *http.Client, scope string) *http.Client {
	cp := *hc
	next := cp.Transport
	if next == nil {
		next = httppolicy.NewTransport(httppolicy.Limits{})
	}
	cp.Transport = &refreshScopeTransport{next: next, scope: scope}
	return &cp
}

type refreshScopeTransport struct {
	next  http.RoundTripper
	scope string
}

func (t *refreshScopeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.Body == nil ||
		!strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return t.next.RoundTrip(req)
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, 64<<10))
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(b))
	if err == nil && form.Get("grant_type") == "refresh_token" && form.Get("scope") == "" {
		form.Set("scope", t.scope)
		b = []byte(form.Encode())
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return t.next.RoundTrip(r)
}

// TokenClient is the client for OAuth endpoints (token, device code): base's transport
// and deadline under httppolicy, no redirect to another origin (a 307 would re-send the
// code, refresh token or client secret in the form body there), and answers bigger than
// httppolicy.MaxTokenAnswer refused. base nil = the bounded default.
func TokenClient(base *http.Client) *http.Client {
	c := httppolicy.Client(base, httppolicy.Policy{})
	c.Transport = httppolicy.LimitBody(c.Transport, httppolicy.MaxTokenAnswer)
	return c
}
