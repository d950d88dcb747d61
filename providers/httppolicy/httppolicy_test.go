package httppolicy

import (
	"errors"
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
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMayCarry(t *testing.T) {
	icloud := Policy{Share: ICloudPartitions}
	cases := []struct {
		name     string
		p        Policy
		from, to string
		want     bool
	}{
		{"same origin", Policy{}, "https://api.example.com/v1/", "https://api.example.com/v1/next", true},
		{"default port spelled out", Policy{}, "https://api.example.com/", "https://API.example.com:443/x", true},
		{"https to http, same host", Policy{}, "https://api.example.com/", "http://api.example.com/", false},
		{"other port", Policy{}, "https://api.example.com/", "https://api.example.com:8443/", false},
		{"other host", Policy{}, "https://api.example.com/", "https://evil.example.net/", false},
		{"subdomain is another origin", Policy{}, "https://example.com/", "https://api.example.com/", false},
		{"plain http same origin", Policy{}, "http://127.0.0.1:8080/", "http://127.0.0.1:8080/x", true},
		{"icloud partition", icloud, "https://caldav.icloud.com/", "https://p42-caldav.icloud.com/123/", true},
		{"icloud partition over http", icloud, "https://caldav.icloud.com/", "http://p42-caldav.icloud.com/", false},
		{"icloud to a look-alike", icloud, "https://caldav.icloud.com/", "https://caldav.icloud.com.evil.net/", false},
		{"icloud to elsewhere", icloud, "https://caldav.icloud.com/", "https://evil.net/", false},
		{"elsewhere to icloud", icloud, "https://dav.example.com/", "https://p42-caldav.icloud.com/", false},
		{"icloud odd port", icloud, "https://caldav.icloud.com/", "https://p42-caldav.icloud.com:8443/", false},
		{"icloud from http", icloud, "http://caldav.icloud.com/", "https://p42-caldav.icloud.com/", false},
	}
	for _, c := range cases {
		if got := c.p.MayCarry(mustURL(t, c.from), mustURL(t, c.to)); got != c.want {
			t.Errorf("%s: MayCarry(%s, %s) = %v, want %v", c.name, c.from, c.to, got, c.want)
		}
	}
}

func TestRedirectErrors(t *testing.T) {
	p := Policy{}
	err := p.Redirect(mustURL(t, "https://a.example/"), mustURL(t, "http://a.example/"), 1)
	if pe, ok := providers.AsError(err); !ok || pe.Kind != providers.Invalid || pe.Code != "insecure_redirect" ||
		!strings.Contains(pe.Message, "https to http") {
		t.Errorf("downgrade: %v", err)
	}
	err = p.Redirect(mustURL(t, "https://a.example/"), mustURL(t, "https://b.example/"), 1)
	if pe, ok := providers.AsError(err); !ok || pe.Code != "cross_origin_redirect" || !strings.Contains(pe.Message, "https://b.example:443") {
		t.Errorf("cross origin: %v", err)
	}
	if err := p.Redirect(mustURL(t, "https://a.example/"), mustURL(t, "https://a.example/x"), MaxRedirects+1); !providers.IsKind(err, providers.Invalid) {
		t.Errorf("too many: %v", err)
	}
	if err := p.Redirect(mustURL(t, "https://a.example/"), mustURL(t, "https://a.example/x"), 1); err != nil {
		t.Errorf("same origin refused: %v", err)
	}
}

// recorder is a server that remembers the Authorization and Cookie headers it was sent.
type recorder struct {
	mu   sync.Mutex
	auth []string
}

func (r *recorder) server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		if v := req.Header.Get("Authorization") + req.Header.Get("Cookie"); v != "" {
			r.auth = append(r.auth, v)
		}
		r.mu.Unlock()
		h(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...)
}

func bearer(r *http.Request) error {
	r.Header.Set("Authorization", "Bearer secret-token")
	return nil
}

// A redirect to another origin is refused and the other server never sees the token,
// whether the token is added by the transport (Authorize) or set on the request.
func TestClientRefusesCrossOriginRedirect(t *testing.T) {
	var other recorder
	b := other.server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	var home recorder
	a := home.server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, b.URL+"/steal", http.StatusTemporaryRedirect)
	})
	c := Client(nil, Policy{})
	c.Transport = Authorize(c.Transport, mustURL(t, a.URL), nil, bearer)
	req, _ := http.NewRequest("GET", a.URL+"/api", nil)
	req.Header.Set("Cookie", "session=1")
	_, err := c.Do(req)
	pe, ok := providers.AsError(err)
	if !ok || pe.Code != "cross_origin_redirect" {
		t.Fatalf("want a refused redirect, got %v", err)
	}
	if got := home.seen(); len(got) != 1 || !strings.Contains(got[0], "secret-token") {
		t.Errorf("home server should get the token once, got %q", got)
	}
	if got := other.seen(); len(got) != 0 {
		t.Errorf("other origin received credentials: %q", got)
	}
}

// With FollowCrossOrigin a redirect continues, without the credentials.
func TestFollowCrossOriginDropsCredentials(t *testing.T) {
	var other recorder
	b := other.server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	var home recorder
	a := home.server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, b.URL+"/x", http.StatusFound)
	})
	c := Client(nil, Policy{FollowCrossOrigin: true})
	c.Transport = Authorize(c.Transport, nil, nil, bearer)
	req, _ := http.NewRequest("GET", a.URL+"/api", nil)
	req.SetBasicAuth("u", "p")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := other.seen(); len(got) != 0 {
		t.Errorf("other origin received credentials: %q", got)
	}
}

// A same-origin redirect keeps the token: the API still works behind a path move.
func TestSameOriginRedirectKeepsToken(t *testing.T) {
	var home recorder
	var a *httptest.Server
	a = home.server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, a.URL+"/new", http.StatusMovedPermanently)
			return
		}
		io.WriteString(w, "ok")
	})
	c := Client(nil, Policy{})
	c.Transport = Authorize(c.Transport, mustURL(t, a.URL), nil, bearer)
	resp, err := c.Get(a.URL + "/old")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := home.seen(); len(got) != 2 {
		t.Errorf("want the token on both hops, got %q", got)
	}
}

// A request whose first hop is not the credential's origin (a hostile next-page link)
// goes without the token.
func TestAuthorizeOnlyToItsOrigin(t *testing.T) {
	var other recorder
	b := other.server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	c := Client(nil, Policy{})
	c.Transport = Authorize(c.Transport, mustURL(t, "https://graph.example.com/v1.0"), nil, bearer)
	resp, err := c.Get(b.URL + "/v1.0/me/events?page=2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := other.seen(); len(got) != 0 {
		t.Errorf("token sent to a foreign next link: %q", got)
	}
}

func TestLimitBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 100))
	}))
	defer srv.Close()
	for _, c := range []struct {
		max     int64
		wantErr bool
	}{{100, false}, {99, true}} {
		hc := &http.Client{Transport: LimitBody(nil, c.max)}
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if gotErr := errors.Is(err, ErrTooLarge); gotErr != c.wantErr || int64(len(b)) > c.max {
			t.Errorf("max %d: read %d bytes, err %v", c.max, len(b), err)
		}
	}
}

// silentListener accepts connections and never answers.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String()
}

// A server that accepts and never answers ends at the response-header deadline.
func TestStalledServerEndsAtHeaderDeadline(t *testing.T) {
	u := silentListener(t)
	c := Client(nil, Policy{Limits: Limits{ResponseHeader: 50 * time.Millisecond}})
	_, err := c.Get(u)
	if err == nil {
		t.Fatal("a silent server answered?")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("want a timeout, got %v", err)
	}
}

// A server that sends headers then trickles the body ends at the whole-request deadline.
func TestTricklingServerEndsAtRequestDeadline(t *testing.T) {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for {
			select {
			case <-done:
				return
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Millisecond):
				io.WriteString(w, " ")
				w.(http.Flusher).Flush()
			}
		}
	}))
	defer srv.Close()
	defer close(done)
	c := Client(nil, Policy{Limits: Limits{Request: 100 * time.Millisecond}})
	resp, err := c.Get(srv.URL)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("want a timeout, got %v", err)
	}
}
