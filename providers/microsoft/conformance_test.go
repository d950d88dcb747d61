package microsoft_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/conformance"
	"github.com/calsync/calsync/providers/microsoft"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

const testClientID = "0f3e2d1c-aaaa-bbbb-cccc-123456789abc"

// env is a fake Graph + Entra with one connected account.
type env struct {
	fake   *graphfake.Server
	srv    *httptest.Server
	cfg    providers.Config
	client *microsoft.Client
	saver  *memSaver
	issued graphfake.TokenResponse
	slept  []time.Duration // Retry-After waits the client asked for
}

type memSaver struct{ saved [][]byte }

func (m *memSaver) SaveSecret(ctx context.Context, accountID string, secret []byte) error {
	m.saved = append(m.saved, append([]byte(nil), secret...))
	return nil
}

func newEnv(t *testing.T, fo graphfake.Options) *env {
	t.Helper()
	fo.ClientID = testClientID
	e := &env{fake: graphfake.New(fo), saver: &memSaver{}}
	e.srv = httptest.NewServer(e.fake.Handler())
	t.Cleanup(e.srv.Close)
	e.signIn(t, microsoft.Scopes...)
	return e
}

// signIn connects the env's client with a token granted for scopes.
func (e *env) signIn(t *testing.T, scopes ...string) {
	t.Helper()
	e.issued = e.fake.IssueToken(scopes...)
	secret, err := oauth.EncodeSecret(oauthToken(e.issued), strings.Fields(e.issued.Scope))
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = providers.Config{AccountID: "acct-1", Kind: microsoft.Kind, ClientID: testClientID,
		Endpoints: graphfake.Endpoints(e.srv.URL), Secret: secret, Saver: e.saver, HTTPClient: e.srv.Client()}
	p, err := providers.Open(context.Background(), e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.client = p.(*microsoft.Client)
	// Never really wait out a Retry-After in tests; record what was waited.
	e.client.SetSleep(func(ctx context.Context, d time.Duration) error {
		e.slept = append(e.slept, d)
		return ctx.Err()
	})
}

func inject(e *env, cal string, f conformance.Fault) error {
	switch f {
	case conformance.RevokedRefreshToken:
		e.fake.SetTokenFault(graphfake.RefreshTokenInactive)
	case conformance.MFARequired:
		e.fake.SetTokenFault(graphfake.MFARequired)
	case conformance.AdminConsentRequired:
		e.fake.SetTokenFault(graphfake.AdminConsentRequired)
	case conformance.ReadOnlyCalendar:
		return e.fake.SetCanEdit(cal, false)
	case conformance.MissingScope:
		e.fake.SetGrantedScopes(microsoft.ScopeUserRead, microsoft.ScopeOfflineAccess)
	case conformance.RateLimit:
		e.fake.FailNext(-1, graphfake.Throttled, 7*time.Second)
	case conformance.ServerError:
		e.fake.FailNext(-1, graphfake.ServiceUnavailable, time.Second)
	case conformance.ExpiredCursor:
		e.fake.ExpireDeltaTokens("")
	default:
		return conformance.ErrUnsupported
	}
	return nil
}

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		Name: "microsoft",
		New: func(t *testing.T) *conformance.Env {
			e := newEnv(t, graphfake.Options{})
			// A second calendar, so the suite's calendar is not the default one, and small
			// pages so every listing spans several.
			cal := e.fake.AddCalendar(graphfake.Calendar{Name: "calsync test", CanEdit: true})
			e.client.PageSize = 3
			return &conformance.Env{
				Provider: e.client,
				Calendar: cal,
				Inject:   func(f conformance.Fault) error { return inject(e, cal, f) },
				AddForeign: func(subject string, start, end time.Time) (string, error) {
					ev, err := e.fake.PutEvent(cal, graphfake.Event{Subject: subject, Start: start, End: end,
						TimeZone: "W. Europe Standard Time", Body: "written in Outlook"})
					return ev.ID, err
				},
				AddSeries: func(subject string, start time.Time, dur time.Duration, count int) (string, error) {
					berlin, _ := time.LoadLocation("Europe/Berlin")
					ev, err := e.fake.PutEvent(cal, graphfake.Event{Subject: subject, Start: start, End: start.Add(dur),
						TimeZone: "W. Europe Standard Time", Body: "written in Outlook",
						Recurrence: &graphfake.Recurrence{Pattern: graphfake.RecurrencePattern{Type: "daily", Interval: 1},
							Range: graphfake.RecurrenceRange{Type: "numbered", StartDate: start.In(berlin).Format("2006-01-02"),
								RecurrenceTimeZone: "W. Europe Standard Time", NumberOfOccurrences: count}}})
					return ev.ID, err
				},
			}
		},
	})
}

// oauthToken is what a sign-in would have stored for a token the fake issued.
func oauthToken(t graphfake.TokenResponse) *oauth2.Token {
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken,
		Expiry: time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)}
}
