package sync

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/google"
	"github.com/calsync/calsync/providers/oauth"
	"github.com/calsync/calsync/store"
)

// A request that stalls until its deadline costs the run that much: the retry budget
// counts time spent in failed requests as well as sleeping, so a server that stalls 50 s
// per request stops the run within the 2-minute budget (the old accounting, sleeps only,
// made 5 attempts: over 4 minutes), as a temporary Network failure (exit 75).
func TestRetryBudgetCountsTimeInRequests(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	attempts := 0
	h.rem.SetFault(func(op string) error {
		attempts++
		h.clock = h.clock.Add(50 * time.Second) // the request's deadline, on the test clock
		return &providers.Error{Kind: providers.Network, Provider: "mem", Message: "timeout awaiting response headers"}
	})
	start := h.clock.Add(time.Second) // runWith ticks one second first
	s, err := h.runWith(RunOptions{})
	if !providers.IsKind(err, providers.Network) || !s.Temporary || !s.Failed {
		t.Fatalf("want a temporary Network failure, got %v %+v", err, s)
	}
	if took := h.clock.Sub(start); took > 2*time.Minute {
		t.Errorf("the run took %v on its clock (%d attempts), over the 2-minute budget", took, attempts)
	}
}

// stalledServer accepts connections and never answers.
func stalledServer(t *testing.T) string {
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
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// tricklingServer answers 200 and then sends a byte now and then, never finishing.
func tricklingServer(t *testing.T) string {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		io.WriteString(w, `{"items":[`)
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
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) })
	return srv.URL
}

// A real provider client against a server that stalls (never answers, or trickles bytes)
// ends the sync with a classified temporary Network error; the request deadline is
// injected short (the default is httppolicy.Default).
func TestStalledServerEndsSyncWithNetworkError(t *testing.T) {
	for name, serve := range map[string]func(*testing.T) string{"never answers": stalledServer, "trickles": tricklingServer} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, memFactory, store.DirTwoWay)
			url := serve(t)
			secret, _ := oauth.EncodeSecret(&oauth2.Token{AccessToken: "at", RefreshToken: "rt", TokenType: "Bearer",
				Expiry: time.Now().Add(24 * time.Hour)}, []string{google.ScopeCalendar})
			c, err := google.New(providers.Config{AccountID: h.acct.ID, Kind: google.Kind, ClientID: testGoogleClient,
				Endpoints: providers.Endpoints{API: url + "/calendar/v3/", Token: url + "/token"}, Secret: secret,
				HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			h.wrap = func(providers.Provider, context.CancelFunc) providers.Provider { return c }
			s, err := h.runWith(RunOptions{})
			if !providers.IsKind(err, providers.Network) || !s.Temporary || !s.Failed {
				t.Fatalf("want a temporary Network failure, got %v %+v", err, s)
			}
		})
	}
}
