package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

// clock is a fake time shared by the fake server and the flow: Sleep advances it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// spy records every response body so tests can check no secret leaks into errors.
type spy struct {
	mu     sync.Mutex
	bodies []string
	base   http.RoundTripper
}

func (s *spy) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	return resp, nil
}

// secrets are the device code and tokens the fake handed out.
func (s *spy) secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range s.bodies {
		var m map[string]any
		json.Unmarshal([]byte(b), &m)
		for _, k := range []string{"device_code", "access_token", "refresh_token"} {
			if v, ok := m[k].(string); ok && v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

type deviceEnv struct {
	fake  *graphfake.Server
	clk   *clock
	spy   *spy
	opts  oauth.DeviceOptions
	shown []oauth.DeviceCode
	slept []time.Duration
	// onSleep runs after each sleep with the poll number (1-based).
	onSleep func(n int)
}

func newDeviceEnv(t *testing.T, fo graphfake.Options) *deviceEnv {
	t.Helper()
	e := &deviceEnv{clk: &clock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}}
	fo.Now = e.clk.Now
	fo.ClientID = "11111111-2222-3333-4444-555555555555"
	e.fake = graphfake.New(fo)
	srv := httptest.NewServer(e.fake.Handler())
	t.Cleanup(srv.Close)
	ep := graphfake.Endpoints(srv.URL)
	e.spy = &spy{base: http.DefaultTransport}
	e.opts = oauth.DeviceOptions{
		Provider: "microsoft",
		Config: oauth2.Config{ClientID: fo.ClientID, Scopes: []string{"Calendars.ReadWrite", "offline_access", "User.Read"},
			Endpoint: oauth2.Endpoint{DeviceAuthURL: ep.DeviceCode, TokenURL: ep.Token}},
		HTTPClient: &http.Client{Transport: e.spy},
		Classify:   oauth.EntraClassifier(fo.ClientID),
		Now:        e.clk.Now,
		Show:       func(c oauth.DeviceCode) { e.shown = append(e.shown, c) },
		Sleep: func(ctx context.Context, d time.Duration) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			e.slept = append(e.slept, d)
			e.clk.Advance(d)
			if e.onSleep != nil {
				e.onSleep(len(e.slept))
			}
			return ctx.Err()
		},
	}
	return e
}

func (e *deviceEnv) noSecretsIn(t *testing.T, s string) {
	t.Helper()
	for _, sec := range e.spy.secrets() {
		if strings.Contains(s, sec) {
			t.Fatalf("a secret handed out by the server appears in %q", strings.ReplaceAll(s, sec, "<SECRET>"))
		}
	}
}

func TestDeviceSignInApprovedAfterPending(t *testing.T) {
	e := newDeviceEnv(t, graphfake.Options{})
	e.onSleep = func(n int) {
		if n == 3 {
			if !e.fake.Approve(e.shown[0].UserCode) {
				t.Error("fake does not know the user code shown")
			}
		}
	}
	g, err := oauth.DeviceSignIn(context.Background(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.shown) != 1 {
		t.Fatalf("Show called %d times", len(e.shown))
	}
	c := e.shown[0]
	if len(c.UserCode) != 9 || !strings.HasSuffix(c.VerificationURI, "/devicelogin") {
		t.Errorf("shown code %+v", c)
	}
	if want := time.Date(2026, 11, 25, 9, 15, 0, 0, time.UTC); !c.ExpiresAt.Equal(want) || c.Interval != 5*time.Second {
		t.Errorf("countdown to %v every %v, want %v every 5s", c.ExpiresAt, c.Interval, want)
	}
	if !strings.Contains(c.Message, c.UserCode) {
		t.Errorf("message %q does not name the code", c.Message)
	}
	if len(e.slept) != 3 {
		t.Errorf("polled %d times, want 3 (two pending, one approved)", len(e.slept))
	}
	for _, d := range e.slept {
		if d != 5*time.Second {
			t.Errorf("waited %v between polls, want the announced 5s", d)
		}
	}
	if g.Token.AccessToken == "" || g.Token.RefreshToken == "" {
		t.Fatal("no access or refresh token")
	}
	if !g.Token.Expiry.Equal(e.clk.Now().Add(time.Hour)) {
		t.Errorf("expiry %v, want an hour after %v (fake clock)", g.Token.Expiry, e.clk.Now())
	}
	want := map[string]bool{"https://graph.microsoft.com/Calendars.ReadWrite": true, "https://graph.microsoft.com/User.Read": true, "offline_access": true}
	for _, s := range g.Granted {
		delete(want, s)
	}
	if len(want) > 0 {
		t.Errorf("granted %v lacks %v", g.Granted, want)
	}
}

func TestDeviceSignInSlowDownStretchesInterval(t *testing.T) {
	e := newDeviceEnv(t, graphfake.Options{EnforcePollInterval: true})
	inner := e.opts.Sleep
	// The first two waits are cut short (as if a timer fired early), provoking slow_down.
	e.opts.Sleep = func(ctx context.Context, d time.Duration) error {
		if len(e.slept) < 2 {
			e.slept = append(e.slept, d)
			e.clk.Advance(time.Second)
			return nil
		}
		return inner(ctx, d)
	}
	e.onSleep = func(n int) {
		if n == 3 {
			e.fake.Approve(e.shown[0].UserCode)
		}
	}
	if _, err := oauth.DeviceSignIn(context.Background(), e.opts); err != nil {
		t.Fatal(err)
	}
	if len(e.slept) < 3 || e.slept[2] <= e.slept[1] {
		t.Fatalf("waits %v: after slow_down the interval must grow", e.slept)
	}
}

func TestDeviceSignInDeclined(t *testing.T) {
	e := newDeviceEnv(t, graphfake.Options{})
	e.onSleep = func(n int) { e.fake.Decline(e.shown[0].UserCode) }
	_, err := oauth.DeviceSignIn(context.Background(), e.opts)
	if !providers.IsKind(err, providers.InsufficientScope) {
		t.Fatalf("declined sign-in: %v", err)
	}
	pe, _ := providers.AsError(err)
	if pe.Code != "authorization_declined" || pe.Hint == "" {
		t.Errorf("declined: code %q hint %q", pe.Code, pe.Hint)
	}
	e.noSecretsIn(t, err.Error())
}

func TestDeviceSignInCodeExpires(t *testing.T) {
	e := newDeviceEnv(t, graphfake.Options{DeviceCodeInterval: 240})
	_, err := oauth.DeviceSignIn(context.Background(), e.opts)
	if !providers.IsKind(err, providers.AuthExpired) {
		t.Fatalf("expired code: %v", err)
	}
	if pe, _ := providers.AsError(err); pe.Code != "expired_token" || !strings.Contains(pe.Hint, "again") {
		t.Errorf("expired code: %+v", pe)
	}
	if len(e.slept) > 4 {
		t.Errorf("kept polling %d times after a 15-minute code at 4-minute intervals", len(e.slept))
	}
	e.noSecretsIn(t, err.Error())
}

func TestDeviceSignInCancelled(t *testing.T) {
	e := newDeviceEnv(t, graphfake.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	e.onSleep = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	_, err := oauth.DeviceSignIn(ctx, e.opts)
	if !errors.Is(err, context.Canceled) || !providers.IsKind(err, providers.Network) {
		t.Fatalf("cancelled sign-in: %v", err)
	}
	if len(e.slept) != 2 {
		t.Errorf("polled on after cancel: %d waits", len(e.slept))
	}
}

func TestDeviceSignInTenantFaults(t *testing.T) {
	cases := []struct {
		fault graphfake.TokenFault
		kind  providers.Kind
		hint  string
	}{
		{graphfake.MFARequired, providers.AppPasswordRequired, "multi-factor"},
		{graphfake.AdminConsentRequired, providers.AdminBlocked, "11111111-2222-3333-4444-555555555555"},
		{graphfake.ConditionalAccessBlocked, providers.AdminBlocked, "Conditional Access"},
		{graphfake.UserNotAssigned, providers.AdminBlocked, "assign"},
		{graphfake.ConsentMissing, providers.AdminBlocked, "consent"},
	}
	for _, c := range cases {
		t.Run(string(c.fault), func(t *testing.T) {
			e := newDeviceEnv(t, graphfake.Options{AutoApproveDeviceCodes: true})
			e.fake.SetTokenFault(c.fault)
			_, err := oauth.DeviceSignIn(context.Background(), e.opts)
			if !providers.IsKind(err, c.kind) {
				t.Fatalf("got %v, want %s", err, c.kind)
			}
			pe, _ := providers.AsError(err)
			if pe.Code != "AADSTS"+string(c.fault) || !strings.Contains(pe.Hint, c.hint) {
				t.Errorf("code %q hint %q, want AADSTS%s and a hint naming %q", pe.Code, pe.Hint, c.fault, c.hint)
			}
			e.noSecretsIn(t, err.Error())
			e.noSecretsIn(t, pe.Hint)
		})
	}
}

func TestDeviceSignInUnknownClient(t *testing.T) {
	e := newDeviceEnv(t, graphfake.Options{})
	e.opts.Config.ClientID = "not-registered"
	_, err := oauth.DeviceSignIn(context.Background(), e.opts)
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.Invalid || pe.Code != "AADSTS700016" || !strings.Contains(pe.Hint, "CALSYNC_MICROSOFT_CLIENT_ID") {
		t.Fatalf("unknown client: %+v", pe)
	}
	if len(e.shown) != 0 {
		t.Error("a code was shown although none was issued")
	}
}

func TestEntraCodesFromDescriptionWhenNoArray(t *testing.T) {
	re := &oauth2.RetrieveError{ErrorCode: "invalid_grant",
		ErrorDescription: "AADSTS53003: Access has been blocked by Conditional Access policies."}
	pe := oauth.EntraClassifier("")(re)
	if pe == nil || pe.Kind != providers.AdminBlocked || pe.Code != "AADSTS53003" {
		t.Fatalf("got %+v", pe)
	}
	if oauth.EntraClassifier("")(&oauth2.RetrieveError{ErrorCode: "invalid_grant", ErrorDescription: "no number"}) != nil {
		t.Fatal("an error without AADSTS code must be left to the default classifier")
	}
}

func TestClassifyAADSTSTable(t *testing.T) {
	want := map[int]providers.Kind{
		50076: providers.AppPasswordRequired, 50079: providers.AppPasswordRequired,
		65001: providers.AdminBlocked, 90094: providers.AdminBlocked, 90095: providers.AdminBlocked,
		53003: providers.AdminBlocked, 50105: providers.AdminBlocked,
		700082: providers.AuthExpired, 70008: providers.AuthExpired, 50173: providers.AuthExpired,
	}
	for n, k := range want {
		pe := oauth.ClassifyAADSTS(n, "cid")
		if pe == nil || pe.Kind != k || pe.Hint == "" {
			t.Errorf("AADSTS%d: %+v, want %s with a hint", n, pe, k)
		}
	}
	if h := oauth.ClassifyAADSTS(90094, "cid").Hint; !strings.Contains(h, "cid") || !strings.Contains(h, "Calendars.ReadWrite") {
		t.Errorf("90094 hint must name client ID and scope: %q", h)
	}
}

func TestDeviceSignInEchoedDeviceCodeIsScrubbed(t *testing.T) {
	const dc = "canaryDeviceCode0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/devicecode") {
			json.NewEncoder(w).Encode(map[string]any{"device_code": dc, "user_code": "ABCDEFGHJ",
				"verification_uri": "https://example.test/devicelogin", "expires_in": 900, "interval": 1})
			return
		}
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant", "error_codes": []int{70000},
			"error_description": "AADSTS70000: the code " + r.PostForm.Get("device_code") + " is not valid"})
	}))
	defer srv.Close()
	_, err := oauth.DeviceSignIn(context.Background(), oauth.DeviceOptions{Provider: "microsoft",
		Config: oauth2.Config{ClientID: "c", Scopes: []string{"Calendars.ReadWrite"},
			Endpoint: oauth2.Endpoint{DeviceAuthURL: srv.URL + "/devicecode", TokenURL: srv.URL + "/token"}},
		Classify: oauth.EntraClassifier("c"), Show: func(oauth.DeviceCode) {},
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err == nil {
		t.Fatal("expected an error")
	}
	pe, _ := providers.AsError(err)
	if txt := err.Error() + pe.Message + pe.Hint + pe.Code; strings.Contains(txt, dc) {
		t.Fatalf("device code leaked (masked here): %s", strings.ReplaceAll(txt, dc, "<DEVICE CODE>"))
	}
	if pe.Kind != providers.AuthExpired || pe.Code != "AADSTS70000" {
		t.Fatalf("got %+v", pe)
	}
}
