// Package loopback serves a fake provider's handler on a real TCP address, so demo mode
// and tests can reach the fakes the way calsync reaches real services. The three fakes
// (Google, Graph, CalDAV) embed one Server instead of each keeping its own listener.
package loopback

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a started-or-not HTTP listener; its zero value is ready to Start.
type Server struct {
	// Clock, when set before Start, is the fake's clock: every response's Date header
	// comes from it, as a real server's comes from its own clock. Clients read the header
	// (the doctor's clock-skew check, CalDAV's change probe), so a fake running on a test's
	// or the demo's clock must not mix it with the machine's (net/http's default).
	Clock func() time.Time

	mu   sync.Mutex
	srv  *http.Server
	base string
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves h; it returns the base URL.
func (s *Server) Start(addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	if clock := s.Clock; clock != nil {
		next := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", clock().UTC().Format(http.TimeFormat))
			next.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.base = "http://" + ln.Addr().String()
	base := s.base
	s.mu.Unlock()
	go srv.Serve(ln)
	return base, nil
}

// URL is the base URL Start returned ("" before Start).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base
}

// Close stops serving, giving requests in flight up to 2 s to finish.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}
