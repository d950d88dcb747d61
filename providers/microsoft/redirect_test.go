package microsoft_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/microsoft"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

const msClientSecret = "ms-client-secret-canary"

// credLog records the credentials (bearer token, refresh token, client secret) a server
// received, in headers or form bodies.
type credLog struct {
	mu  sync.Mutex
	got []string
}

func (l *credLog) server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		if a := r.Header.Get("Authorization"); a != "" {
			l.got = append(l.got, a)
		}
		for _, s := range []string{"refresh-canary", msClientSecret} {
			if strings.Contains(string(b), s) {
				l.got = append(l.got, s)
			}
		}
		l.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (l *credLog) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

// TestRedirectNeverCarriesTheToken: an API answer redirecting to another origin, and a
// token endpoint doing the same (307 re-sends the form), are refused with a clear error;
// the other server gets neither the access token nor the refresh token or client secret.
func TestRedirectNeverCarriesTheToken(t *testing.T) {
	for _, expired := range []bool{false, true} {
		var other credLog
		elsewhere := other.server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"items":[]}`) })
		var home credLog
		api := home.server(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
		})
		tok := &oauth2.Token{AccessToken: "access-canary", RefreshToken: "refresh-canary", Expiry: time.Now().Add(time.Hour)}
		if expired {
			tok.Expiry = time.Now().Add(-time.Hour) // the refresh goes to the token endpoint first
		}
		secret, _ := oauth.EncodeSecret(tok, []string{"https://graph.microsoft.com/Calendars.ReadWrite"})
		c, err := microsoft.New(providers.Config{Kind: microsoft.Kind, ClientID: "cid", ClientSecret: msClientSecret,
			Secret: secret, Endpoints: providers.Endpoints{API: api.URL + "/v1.0", Token: api.URL + "/token"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Calendars(context.Background())
		pe, ok := providers.AsError(err)
		if !ok || pe.Kind != providers.Invalid || pe.Code != "cross_origin_redirect" || pe.Provider != microsoft.Kind {
			t.Fatalf("expired=%v: want a refused redirect, got %v", expired, err)
		}
		if got := other.seen(); len(got) != 0 {
			t.Errorf("expired=%v: credentials reached another origin: %q", expired, got)
		}
		if len(home.seen()) == 0 {
			t.Errorf("expired=%v: the API's own origin got no credentials at all", expired)
		}
	}
}
