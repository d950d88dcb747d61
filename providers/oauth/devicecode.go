package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"github.com/calsync/calsync/providers/httppolicy"
	"golang.org/x/oauth2"
)

// The device authorization grant (RFC 8628): calsync shows a short code and an address,
// the person enters the code on any device with a browser, and calsync polls the token
// endpoint until they have. Microsoft offers it for calendar scopes; Google refuses it.

// DeviceCode is what the person needs to finish a device code sign-in. It holds no
// secret: the device code itself never leaves this package.
type DeviceCode struct {
	UserCode        string        // the code to type, e.g. "FJ2LK7XDM"
	VerificationURI string        // where to type it
	ExpiresAt       time.Time     // after this the code is dead (for a countdown)
	ExpiresIn       time.Duration // as announced
	Interval        time.Duration // how often calsync polls
	Message         string        // the provider's own one-line instruction, sanitised
}

// DeviceOptions configures DeviceSignIn.
type DeviceOptions struct {
	Provider string // "microsoft": goes into errors
	// Config gives ClientID, Scopes, Endpoint.DeviceAuthURL and Endpoint.TokenURL.
	Config oauth2.Config
	// Show is called once, as soon as the code is issued, so the UI can display it (and
	// count down to ExpiresAt). Required.
	Show func(DeviceCode)
	// HTTPClient talks to the endpoints (through TokenClient); nil = the bounded default.
	HTTPClient *http.Client
	Classify   Classifier // e.g. EntraClassifier(clientID)
	// Now and Sleep are the clock (tests inject fakes). Sleep must return ctx.Err() when
	// ctx ends first. nil = real time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultDeviceInterval is the polling interval when the provider announces none (RFC 8628 §3.2).
const DefaultDeviceInterval = 5 * time.Second

// DeviceSignIn runs a device code sign-in: it requests a code, hands it to opts.Show,
// then polls at the announced interval (slower after slow_down) until the person
// approves, declines, the code expires, or ctx is cancelled.
func DeviceSignIn(ctx context.Context, opts DeviceOptions) (*Grant, error) {
	now, sleep := opts.Now, opts.Sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	hc := TokenClient(opts.HTTPClient)
	fail := func(k providers.Kind, code, msg, hint string, cause error) *providers.Error {
		return &providers.Error{Kind: k, Provider: opts.Provider, Op: "sign in", Code: code,
			Message: msg, Hint: hint, Err: cause}
	}
	if opts.Show == nil {
		return nil, fail(providers.Invalid, "", "device sign-in needs a way to show the code", "", nil)
	}
	if opts.Config.Endpoint.DeviceAuthURL == "" || opts.Config.Endpoint.TokenURL == "" {
		return nil, fail(providers.Invalid, "", "device sign-in needs the device code and token endpoints", "", nil)
	}

	form := url.Values{"client_id": {opts.Config.ClientID}, "scope": {strings.Join(opts.Config.Scopes, " ")}}
	status, hdr, body, err := postForm(ctx, hc, opts.Config.Endpoint.DeviceAuthURL, form)
	if err != nil {
		return nil, deviceTransportError(ctx, opts.Provider, err)
	}
	if status != http.StatusOK {
		return nil, TokenError(opts.Provider, "sign in", retrieveError(status, hdr, body), opts.Classify)
	}
	var da struct {
		UserCode        string      `json:"user_code"`
		DeviceCode      string      `json:"device_code"`
		VerificationURI string      `json:"verification_uri"`
		VerificationURL string      `json:"verification_url"` // Google's spelling
		ExpiresIn       json.Number `json:"expires_in"`
		Interval        json.Number `json:"interval"`
		Message         string      `json:"message"`
	}
	if err := json.Unmarshal(body, &da); err != nil || da.DeviceCode == "" || da.UserCode == "" {
		return nil, fail(providers.Invalid, "", "the device code answer is not readable",
			"The sign-in service answered something unexpected; try again later.", nil)
	}
	if da.VerificationURI == "" {
		da.VerificationURI = da.VerificationURL
	}
	expiresIn := seconds(da.ExpiresIn, 15*time.Minute)
	interval := seconds(da.Interval, DefaultDeviceInterval)
	code := DeviceCode{UserCode: httpapi.Sanitize(da.UserCode), VerificationURI: httpapi.Sanitize(da.VerificationURI),
		ExpiresAt: now().Add(expiresIn), ExpiresIn: expiresIn, Interval: interval,
		Message: httpapi.Sanitize(da.Message)}
	opts.Show(code)

	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {opts.Config.ClientID}, "device_code": {da.DeviceCode}}
	for {
		if err := sleep(ctx, interval); err != nil {
			return nil, fail(providers.Network, "", "sign-in cancelled before the code was entered",
				"Start the sign-in again and enter the code in the browser.", err)
		}
		if !now().Before(code.ExpiresAt) {
			return nil, fail(providers.AuthExpired, "expired_token", "the sign-in code expired before it was entered",
				"Start the sign-in again and enter the new code before it expires.", nil)
		}
		status, hdr, body, err := postForm(ctx, hc, opts.Config.Endpoint.TokenURL, poll)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fail(providers.Network, "", "sign-in cancelled before the code was entered",
					"Start the sign-in again and enter the code in the browser.", ctx.Err())
			}
			return nil, deviceTransportError(ctx, opts.Provider, err)
		}
		if status == http.StatusOK {
			tok, err := decodeToken(body, now())
			if err != nil {
				return nil, fail(providers.Invalid, "", "the token answer is not readable",
					"The sign-in service answered something unexpected; try again.", nil)
			}
			return &Grant{Token: tok, Granted: GrantedScopes(tok, opts.Config.Scopes),
				Asked: append([]string(nil), opts.Config.Scopes...)}, nil
		}
		re := retrieveError(status, hdr, body)
		switch re.ErrorCode {
		case "authorization_pending":
			continue
		case "slow_down":
			interval += 5 * time.Second
			continue
		case "authorization_declined", "access_denied":
			return nil, fail(providers.InsufficientScope, re.ErrorCode, "the sign-in was declined in the browser",
				"Start the sign-in again and accept calsync's request for calendar access.", nil)
		case "expired_token":
			return nil, fail(providers.AuthExpired, re.ErrorCode, "the sign-in code expired before it was entered",
				"Start the sign-in again and enter the new code before it expires.", nil)
		}
		// A token endpoint may echo the request back: the device code must not reach the error.
		return nil, scrub(TokenError(opts.Provider, "sign in", re, opts.Classify), da.DeviceCode)
	}
}

func seconds(n json.Number, def time.Duration) time.Duration {
	v, err := n.Int64()
	if err != nil || v <= 0 {
		return def
	}
	if v > 86400 {
		v = 86400
	}
	return time.Duration(v) * time.Second
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func postForm(ctx context.Context, hc *http.Client, endpoint string, form url.Values) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := httpapi.ReadLimited(resp.Body, httppolicy.MaxTokenAnswer)
	if err != nil {
		return resp.StatusCode, resp.Header, nil, err
	}
	return resp.StatusCode, resp.Header, body, nil
}

// retrieveError builds the oauth2 error value the classifiers take from a raw answer.
func retrieveError(status int, hdr http.Header, body []byte) *oauth2.RetrieveError {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		URI         string `json:"error_uri"`
	}
	json.Unmarshal(body, &e)
	return &oauth2.RetrieveError{Response: &http.Response{StatusCode: status, Header: hdr},
		Body: body, ErrorCode: e.Error, ErrorDescription: e.Description, ErrorURI: e.URI}
}

func decodeToken(body []byte, now time.Time) (*oauth2.Token, error) {
	var t struct {
		AccessToken  string      `json:"access_token"`
		TokenType    string      `json:"token_type"`
		RefreshToken string      `json:"refresh_token"`
		ExpiresIn    json.Number `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return nil, errNoToken
	}
	var raw map[string]any
	json.Unmarshal(body, &raw)
	tok := &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken}
	if n, err := t.ExpiresIn.Int64(); err == nil && n > 0 {
		tok.Expiry = now.Add(time.Duration(n) * time.Second)
	}
	return tok.WithExtra(raw), nil
}

type deviceErr string

func (e deviceErr) Error() string { return string(e) }

const errNoToken = deviceErr("token answer without an access token")

func deviceTransportError(ctx context.Context, provider string, err error) *providers.Error {
	if pe, ok := providers.AsError(err); ok { // a refused redirect (httppolicy)
		cp := *pe
		cp.Provider, cp.Op = provider, "sign in"
		return &cp
	}
	msg := httpapi.Sanitize(err.Error())
	if ctx.Err() != nil {
		msg = "sign-in cancelled"
	}
	return &providers.Error{Kind: providers.Network, Provider: provider, Op: "sign in", Message: msg,
		Hint: "Check the network connection and try again.", Err: httpapi.Redact(err)}
}
