package caldav_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
)

// hostLog is a server standing in for several hosts (the Host header tells which one was
// asked, see hostTransport) that records which hosts received the password.
type hostLog struct {
	mu       sync.Mutex
	asked    map[string]int
	withAuth map[string]int
}

func newHostLog(t *testing.T, route func(w http.ResponseWriter, r *http.Request)) (*hostLog, *httptest.Server) {
	l := &hostLog{asked: map[string]int{}, withAuth: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.asked[r.Host]++
		if r.Header.Get("Authorization") != "" {
			l.withAuth[r.Host]++
		}
		l.mu.Unlock()
		route(w, r)
	}))
	t.Cleanup(srv.Close)
	return l, srv
}

// TestRedirectPolicy: the CalDAV password follows iCloud's partition redirect (https,
// *.icloud.com) and nothing else; refused redirects say why.
func TestRedirectPolicy(t *testing.T) {
	cases := []struct {
		name, base, location, target string
		wantKind                     providers.Kind
		wantCode                     string
		wantAuthAtTarget             bool
	}{
		{name: "iCloud partition over https", base: "https://caldav.icloud.com/", location: "https://p42-caldav.icloud.com/123/principal/",
			target: "p42-caldav.icloud.com", wantKind: providers.AppPasswordRequired, wantAuthAtTarget: true},
		{name: "iCloud partition over http", base: "https://caldav.icloud.com/", location: "http://p42-caldav.icloud.com/123/principal/",
			target: "p42-caldav.icloud.com", wantKind: providers.Invalid, wantCode: "insecure_redirect"},
		{name: "iCloud to another domain", base: "https://caldav.icloud.com/", location: "https://caldav.icloud.com.evil.example/",
			target: "caldav.icloud.com.evil.example", wantKind: providers.Invalid, wantCode: "cross_origin_redirect"},
		{name: "same host, https to http", base: "https://dav.example.org/", location: "http://dav.example.org/dav/",
			target: "dav.example.org", wantKind: providers.Invalid, wantCode: "insecure_redirect"},
		{name: "other https host", base: "https://dav.example.org/", location: "https://other.example.net/dav/",
			target: "other.example.net", wantKind: providers.Invalid, wantCode: "cross_origin_redirect"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			origin := strings.TrimSuffix(strings.TrimPrefix(c.base, "https://"), "/")
			log, srv := newHostLog(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Host == origin {
					http.Redirect(w, r, c.location, http.StatusMovedPermanently)
					return
				}
				w.WriteHeader(http.StatusUnauthorized) // the partition checks the password
			})
			hc := &http.Client{Transport: hostTransport{addr: strings.TrimPrefix(srv.URL, "http://")}}
			_, err := caldav.DiscoverWithClient(context.Background(), hc, c.base, "alice@icloud.com", testSecret)
			pe, ok := providers.AsError(err)
			if !ok || pe.Kind != c.wantKind || pe.Code != c.wantCode {
				t.Fatalf("got %v (%#v), want Kind %s code %q", err, pe, c.wantKind, c.wantCode)
			}
			if c.wantCode != "" && !strings.Contains(pe.Message, "refused a redirect") {
				t.Errorf("message does not say the redirect was refused: %q", pe.Message)
			}
			log.mu.Lock()
			defer log.mu.Unlock()
			if c.target != origin {
				if got := log.withAuth[c.target] > 0; got != c.wantAuthAtTarget {
					t.Errorf("password sent to %s: %v, want %v", c.target, got, c.wantAuthAtTarget)
				}
			}
			if !c.wantAuthAtTarget && c.target != origin && log.asked[c.target] > 0 {
				t.Errorf("a refused redirect was followed to %s", c.target)
			}
		})
	}
}

// Two real servers on different ports are two origins: the first one's redirect to the
// second is refused and the second never sees the password.
func TestRedirectToAnotherServerKeepsThePassword(t *testing.T) {
	other, b := newHostLog(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(207) })
	_, a := newHostLog(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, b.URL+"/dav/", http.StatusTemporaryRedirect)
	})
	p, err := caldav.New(context.Background(), providers.Config{Kind: "caldav", Login: "alice",
		Secret: []byte(testSecret), Endpoints: providers.Endpoints{API: a.URL + "/dav/"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Calendars(context.Background())
	if pe, ok := providers.AsError(err); !ok || pe.Code != "cross_origin_redirect" {
		t.Fatalf("want a refused redirect, got %v", err)
	}
	other.mu.Lock()
	defer other.mu.Unlock()
	if len(other.asked) != 0 {
		t.Errorf("the other server was asked: %v", other.asked)
	}
}
