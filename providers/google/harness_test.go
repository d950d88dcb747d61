package google_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/conformance"
	"github.com/calsync/calsync/providers/google"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/oauth"
)

const (
	testClientID     = "calsync-test.apps.googleusercontent.com"
	testClientSecret = "GOCSPX-CANARY-client-secret"
)

// savedSecrets records what the provider hands back to the store.
type savedSecrets struct {
	mu   sync.Mutex
	last []byte
	n    int
}

var berlinZone, _ = time.LoadLocation("Europe/Berlin")

func (s *savedSecrets) SaveSecret(ctx context.Context, accountID string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last, s.n = append([]byte(nil), b...), s.n+1
	return nil
}

// httpGet is the demo-mode browser: it follows the fake's consent redirect to the loopback.
func httpGet(u string) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

type env struct {
	fake   *googlefake.Server
	srv    *httptest.Server
	cfg    providers.Config
	client *google.Client
	saved  *savedSecrets
	grant  *oauth.Grant
}

func newFake(t testing.TB, opts googlefake.Options) (*googlefake.Server, *httptest.Server) {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = testClientID, testClientSecret
	}
	fake := googlefake.New(opts)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	return fake, srv
}

func configFor(srv *httptest.Server, saver providers.SecretSaver) providers.Config {
	ep := googlefake.EndpointsAt(srv.URL)
	return providers.Config{AccountID: "acct-1", Kind: google.Kind, ClientID: testClientID, ClientSecret: testClientSecret,
		Endpoints: providers.Endpoints{API: ep.API, Auth: ep.Auth, Token: ep.Token}, Saver: saver}
}

// signIn goes through the real loopback flow against the fake.
func signIn(t testing.TB, cfg providers.Config) *oauth.Grant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g, err := google.SignIn(ctx, cfg, oauth.LoopbackOptions{OpenBrowser: httpGet, ShowURL: func(string) {}})
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	return g
}

func newEnv(t testing.TB, opts googlefake.Options) *env {
	t.Helper()
	fake, srv := newFake(t, opts)
	saved := &savedSecrets{}
	cfg := configFor(srv, saved)
	g := signIn(t, cfg)
	secret, err := g.Secret()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Secret = secret
	p, err := providers.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, srv: srv, cfg: cfg, client: p.(*google.Client), saved: saved, grant: g}
}

func (e *env) primary() string { return e.fake.Calendars()[0].ID }

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{Name: "google", New: func(t *testing.T) *conformance.Env {
		e := newEnv(t, googlefake.Options{})
		e.client.PageSize = 3 // exercise paging in every listing
		cal := e.primary()
		return &conformance.Env{
			Provider: e.client,
			Calendar: cal,
			Inject: func(f conformance.Fault) error {
				switch f {
				case conformance.RevokedRefreshToken:
					e.fake.RevokeTokens()
				case conformance.AdminConsentRequired:
					e.fake.SetFaults(googlefake.Faults{AdminPolicyEnforced: true})
					e.fake.ExpireAccessTokens()
				case conformance.ReadOnlyCalendar:
					return e.fake.SetAccessRole(cal, "reader")
				case conformance.MissingScope:
					e.fake.SetGrantedScopes([]string{"openid", "email"})
					e.fake.ExpireAccessTokens()
				case conformance.RateLimit:
					e.fake.SetFaults(googlefake.Faults{RateLimited: true, RetryAfterSeconds: 30})
				case conformance.ServerError:
					e.fake.SetFaults(googlefake.Faults{ServerError: true})
				case conformance.ExpiredCursor:
					e.fake.ExpireSyncTokens(cal)
				default:
					return conformance.ErrUnsupported // MFA: Google has no such token error
				}
				return nil
			},
			AddForeign: func(subject string, start, end time.Time) (string, error) {
				ev, err := e.fake.PutEvent(cal, googlefake.Event{Summary: subject,
					Start: &googlefake.EventDateTime{DateTime: start.Format(time.RFC3339)},
					End:   &googlefake.EventDateTime{DateTime: end.Format(time.RFC3339)}})
				return ev.ID, err
			},
			AddSeries: func(subject string, start time.Time, dur time.Duration, count int) (string, error) {
				ev, err := e.fake.PutEvent(cal, googlefake.Event{Summary: subject,
					Start:      &googlefake.EventDateTime{DateTime: start.In(berlinZone).Format(time.RFC3339), TimeZone: "Europe/Berlin"},
					End:        &googlefake.EventDateTime{DateTime: start.Add(dur).In(berlinZone).Format(time.RFC3339), TimeZone: "Europe/Berlin"},
					Recurrence: []string{fmt.Sprintf("RRULE:FREQ=DAILY;COUNT=%d", count)}})
				return ev.ID, err
			},
		}
	}})
}
