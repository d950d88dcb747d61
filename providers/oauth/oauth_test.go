package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

const (
	clientID     = "cid.apps.googleusercontent.com"
	clientSecret = "GOCSPX-CANARY-secret-value"
	scope        = googlefake.ScopeCalendar
)

func fakeServer(t *testing.T, opts googlefake.Options) (*googlefake.Server, oauth2.Config) {
	t.Helper()
	opts.ClientID, opts.ClientSecret = clientID, clientSecret
	f := googlefake.New(opts)
	srv := httptest.NewServer(f.Handler())
	t.Cleanup(srv.Close)
	ep := googlefake.EndpointsAt(srv.URL)
	return f, oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, Scopes: []string{scope, "openid"},
		Endpoint: oauth2.Endpoint{AuthURL: ep.Auth, TokenURL: ep.Token, AuthStyle: oauth2.AuthStyleInParams}}
}

func get(u string) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

func TestLoopbackSignInGrantsAndShowsURL(t *testing.T) {
	_, cfg := fakeServer(t, googlefake.Options{GrantScopes: []string{"openid"}})
	var shown string
	f, err := oauth.StartLoopback(oauth.LoopbackOptions{Provider: "google", Config: cfg,
		AuthOpts: []oauth2.AuthCodeOption{oauth2.AccessTypeOffline}, OpenBrowser: get, ShowURL: func(u string) { shown = u }})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(f.URL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || len(q.Get("state")) < 32 {
		t.Fatalf("authorization URL lacks PKCE S256 or state: %s", f.URL)
	}
	ru, _ := url.Parse(q.Get("redirect_uri"))
	if ru.Hostname() != "127.0.0.1" || ru.Port() == "0" {
		t.Fatalf("redirect_uri %q", ru)
	}
	if ip := f.Addr().(*net.TCPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("listener on %v, want 127.0.0.1 only", ip)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g, err := f.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if shown != f.URL {
		t.Fatal("URL not shown")
	}
	if g.Token.AccessToken == "" || g.Token.RefreshToken == "" {
		t.Fatal("no tokens")
	}
	if len(g.Granted) != 1 || g.Granted[0] != "openid" {
		t.Fatalf("granted %v, want only openid (from the token response scope)", g.Granted)
	}
	if m := g.Missing(); len(m) != 1 || m[0] != scope {
		t.Fatalf("missing %v", m)
	}
	// One callback, then the listener is gone.
	if c, err := net.DialTimeout("tcp", f.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatal("listener still accepting after the callback")
	}
}

func TestURLPrintedEvenWhenBrowserFails(t *testing.T) {
	_, cfg := fakeServer(t, googlefake.Options{})
	var out bytes.Buffer
	var mu sync.Mutex
	f, err := oauth.StartLoopback(oauth.LoopbackOptions{Provider: "google", Config: cfg, Out: &syncWriter{w: &out, mu: &mu},
		OpenBrowser: func(string) error { return errors.New("no display") }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go get(f.URL) // the person opens the printed URL by hand
	defer cancel()
	if _, err := f.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(out.String(), f.URL) {
		t.Fatalf("URL not printed: %q", out.String())
	}
}

type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// A callback with a wrong state (any local process can reach the loopback port) gets an
// error page and is ignored: the real answer that follows still completes the sign-in.
func TestStateMismatchIgnoredSignInContinues(t *testing.T) {
	_, cfg := fakeServer(t, googlefake.Options{})
	f, err := oauth.StartLoopback(oauth.LoopbackOptions{Provider: "google", Config: cfg, NoBrowser: true, ShowURL: func(string) {},
		Timeout: time.Minute}) // only so that a broken build fails instead of hanging
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(f.URL)
	redirect := u.Query().Get("redirect_uri")
	done := make(chan error, 1)
	go func() {
		_, err := f.Wait(context.Background())
		done <- err
	}()
	for _, forged := range []string{"?code=4/0attacker&state=forged", "?error=access_denied&state=forged"} {
		resp, err := http.Get(redirect + forged)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "ignored") {
			t.Fatalf("forged callback %s answered %d: %s", forged, resp.StatusCode, body)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("a forged callback ended the sign-in: %v", err)
	default:
	}
	if err := get(f.URL); err != nil { // the person completes the sign-in in the browser
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the real answer after a forged one: %v", err)
	}
}

// A sign-in nobody completes ends at its timeout, says so, and closes the listener.
func TestSignInTimesOut(t *testing.T) {
	_, cfg := fakeServer(t, googlefake.Options{})
	f, err := oauth.StartLoopback(oauth.LoopbackOptions{Provider: "google", Config: cfg, NoBrowser: true,
		ShowURL: func(string) {}, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	addr := f.Addr().String()
	_, err = f.Wait(context.Background())
	pe, ok := providers.AsError(err)
	if !ok || pe.Code != "timeout" || !strings.Contains(pe.Message, "no answer from the browser") {
		t.Fatalf("got %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("listener still open after the timeout")
	}
}

// The printed instructions say how long calsync waits and how to cancel.
func TestSignInShowsItsTimeout(t *testing.T) {
	_, cfg := fakeServer(t, googlefake.Options{})
	var out bytes.Buffer
	f, err := oauth.StartLoopback(oauth.LoopbackOptions{Provider: "google", Config: cfg, NoBrowser: true, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = f.Wait(ctx)
	if pe, ok := providers.AsError(err); !ok || pe.Code != "cancelled" {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(out.String(), "up to 5 minutes") || !strings.Contains(out.String(), "Ctrl+C") {
		t.Errorf("instructions do not show the timeout: %q", out.String())
	}
}

func TestCancelClosesListener(t *testing.T) {
	_, cfg := fakeServer(t, googlefake.Options{})
	f, err := oauth.StartLoopback(oauth.LoopbackOptions{Provider: "google", Config: cfg, NoBrowser: true, ShowURL: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	addr := f.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = f.Wait(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("listener still open after cancel")
	}
}

func TestAdminPolicyAtConsent(t *testing.T) {
	fake, cfg := fakeServer(t, googlefake.Options{})
	fake.SetFaults(googlefake.Faults{AdminPolicyEnforced: true})
	_, err := oauth.Loopback(context.Background(), oauth.LoopbackOptions{Provider: "google", Config: cfg, OpenBrowser: get, ShowURL: func(string) {}})
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.AdminBlocked || pe.Code != "admin_policy_enforced" || pe.Hint == "" {
		t.Fatalf("got %#v", err)
	}
}

func TestWrongVerifierRefusedByFake(t *testing.T) {
	// The fake checks PKCE: a code exchanged without the right verifier fails.
	_, cfg := fakeServer(t, googlefake.Options{})
	f, err := oauth.StartLoopback(oauth.LoopbackOptions{Provider: "google", Config: cfg, NoBrowser: true, ShowURL: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	u, _ := url.Parse(f.URL)
	c2 := cfg
	c2.RedirectURL = u.Query().Get("redirect_uri")
	_, err = c2.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("got %v", err)
	}
}

type memSaver struct {
	n    int
	last []byte
}

func (m *memSaver) SaveSecret(ctx context.Context, id string, b []byte) error {
	m.n++
	m.last = b
	return nil
}

func TestTokenSourceRefreshSavesAndClassifies(t *testing.T) {
	fake, cfg := fakeServer(t, googlefake.Options{})
	at, rt, _ := fake.IssueToken([]string{scope})
	saver := &memSaver{}
	ts := oauth.NewTokenSource(oauth.TokenSourceOptions{Provider: "google", Config: &cfg,
		Token:   &oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)},
		Granted: []string{scope}, AccountID: "a1", Saver: saver})
	tok, err := ts.TokenContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == at || saver.n != 1 {
		t.Fatalf("refresh did not happen or was not saved (saves %d)", saver.n)
	}
	// A valid token is reused without a refresh.
	if _, err := ts.TokenContext(context.Background()); err != nil || saver.n != 1 {
		t.Fatalf("second call refreshed again (saves %d, err %v)", saver.n, err)
	}
	got, granted, err := oauth.DecodeSecret(saver.last)
	if err != nil || got.RefreshToken != rt || len(granted) != 1 {
		t.Fatalf("saved %+v %v %v", got, granted, err)
	}
	fake.RevokeTokens()
	ts.Invalidate()
	_, err = ts.TokenContext(context.Background())
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.AuthExpired || pe.Code != "invalid_grant" || pe.Status != 400 {
		t.Fatalf("got %#v", err)
	}
	for _, c := range []string{rt, at, clientSecret} {
		if strings.Contains(err.Error(), c) || strings.Contains(pe.Message, c) {
			t.Fatal("secret in error")
		}
	}
}

func TestClassifierHookWins(t *testing.T) {
	fake, cfg := fakeServer(t, googlefake.Options{})
	_, rt, _ := fake.IssueToken([]string{scope})
	fake.RevokeTokens()
	ts := oauth.NewTokenSource(oauth.TokenSourceOptions{Provider: "microsoft", Config: &cfg,
		Token: &oauth2.Token{RefreshToken: rt},
		Classify: func(re *oauth2.RetrieveError) *providers.Error {
			if re.ErrorCode == "invalid_grant" {
				return &providers.Error{Kind: providers.AppPasswordRequired, Hint: "custom"}
			}
			return nil
		}})
	_, err := ts.TokenContext(context.Background())
	pe, _ := providers.AsError(err)
	if pe == nil || pe.Kind != providers.AppPasswordRequired || pe.Hint != "custom" || pe.Provider != "microsoft" {
		t.Fatalf("got %#v", err)
	}
}

func TestSecretRoundTripAndBareToken(t *testing.T) {
	exp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b, err := oauth.EncodeSecret(&oauth2.Token{AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", Expiry: exp}, []string{"s1", "s2"})
	if err != nil {
		t.Fatal(err)
	}
	tok, granted, err := oauth.DecodeSecret(b)
	if err != nil || tok.AccessToken != "a" || tok.RefreshToken != "r" || !tok.Expiry.Equal(exp) || len(granted) != 2 {
		t.Fatalf("%+v %v %v", tok, granted, err)
	}
	tok, _, err = oauth.DecodeSecret([]byte(`{"access_token":"x","refresh_token":"y","expiry":"2026-01-01T00:00:00Z"}`))
	if err != nil || tok.RefreshToken != "y" {
		t.Fatal("bare oauth2.Token JSON not accepted")
	}
	_, _, err = oauth.DecodeSecret([]byte(`{"access_token":"SECRETVALUE`))
	if err == nil || strings.Contains(err.Error(), "SECRETVALUE") {
		t.Fatalf("got %v", err)
	}
}

// TestNoSecretsInOutput runs a sign-in whose exchange fails and checks that nothing
// printed or returned contains the client secret, the code or the PKCE verifier.
func TestNoSecretsInOutput(t *testing.T) {
	_, cfg := fakeServer(t, googlefake.Options{})
	cfg.ClientSecret = "GOCSPX-CANARY-wrong-secret" // the fake refuses it: invalid_client
	var out bytes.Buffer
	var mu sync.Mutex
	var code string
	open := func(u string) error {
		client := &http.Client{CheckRedirect: func(r *http.Request, _ []*http.Request) error {
			code = r.URL.Query().Get("code")
			return nil
		}}
		resp, err := client.Get(u)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	f, err := oauth.StartLoopback(oauth.LoopbackOptions{Provider: "google", Config: cfg, OpenBrowser: open, Out: &syncWriter{w: &out, mu: &mu}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Wait(context.Background())
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.Invalid || pe.Code != "invalid_client" {
		t.Fatalf("got %#v", err)
	}
	if code == "" {
		t.Fatal("no code seen")
	}
	mu.Lock()
	text := out.String() + err.Error() + pe.Message + pe.Hint
	mu.Unlock()
	for _, c := range []string{"GOCSPX-CANARY", code} {
		if strings.Contains(text, c) {
			t.Fatalf("%q leaked: %s", c, text)
		}
	}
}

// TestEchoingTokenEndpointCannotLeakSecrets: a token endpoint that echoes the request's
// secrets in its error description must not get them into calsync's error.
func TestEchoingTokenEndpointCannotLeakSecrets(t *testing.T) {
	var seen url.Values
	var mu sync.Mutex
	tokSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		seen = r.PostForm
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		desc := "bad " + r.PostForm.Get("code_verifier") + " " + r.PostForm.Get("code") + " " + r.PostForm.Get("client_secret") + " " + r.PostForm.Get("refresh_token")
		b, _ := json.Marshal(map[string]string{"error": "invalid_request", "error_description": desc})
		w.Write(b)
	}))
	defer tokSrv.Close()
	fake, cfg := fakeServer(t, googlefake.Options{})
	cfg.Endpoint.TokenURL = tokSrv.URL
	_, err := oauth.Loopback(context.Background(), oauth.LoopbackOptions{Provider: "google", Config: cfg, OpenBrowser: get, ShowURL: func(string) {}})
	if err == nil {
		t.Fatal("no error")
	}
	mu.Lock()
	secrets := []string{seen.Get("code_verifier"), seen.Get("code"), seen.Get("client_secret")}
	mu.Unlock()
	pe, _ := providers.AsError(err)
	for _, s := range secrets {
		if s == "" || strings.Contains(err.Error(), s) || strings.Contains(pe.Message, s) {
			t.Fatalf("secret %q leaked or missing: %v", s, err)
		}
	}
	// Same for a refresh.
	_, rt, _ := fake.IssueToken([]string{scope})
	ts := oauth.NewTokenSource(oauth.TokenSourceOptions{Provider: "google", Config: &cfg, Token: &oauth2.Token{RefreshToken: rt}})
	_, err = ts.TokenContext(context.Background())
	if err == nil || strings.Contains(err.Error(), rt) || strings.Contains(err.Error(), clientSecret) {
		t.Fatalf("refresh error leaks: %v", err)
	}
}

func TestPrintingSecretsHidesTokens(t *testing.T) {
	s := oauth.Secret{AccessToken: "ya29.PRINTCANARY", RefreshToken: "1//PRINTCANARY2", Granted: []string{"x"}}
	g := &oauth.Grant{Token: &oauth2.Token{AccessToken: "PRINTCANARY3"}, Granted: []string{"x"}}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v %#v %s", s, s, s), fmt.Sprint(g), fmt.Sprintf("%+v %#v", g, g)} {
		if strings.Contains(out, "PRINTCANARY") {
			t.Fatalf("printed: %s", out)
		}
	}
}

func TestNoRefreshTokenWithoutOfflineAccess(t *testing.T) {
	_, cfg := fakeServer(t, googlefake.Options{})
	g, err := oauth.Loopback(context.Background(), oauth.LoopbackOptions{Provider: "google", Config: cfg, OpenBrowser: get, ShowURL: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Token.AccessToken == "" || g.Token.RefreshToken != "" {
		t.Fatalf("online access must give an access token only: refresh=%v", g.Token.RefreshToken != "")
	}
}
