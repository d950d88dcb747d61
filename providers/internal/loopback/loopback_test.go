package loopback

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStartServesAndCloseStops(t *testing.T) {
	var s Server
	if s.URL() != "" || s.Close() != nil {
		t.Fatal("a server never started has no URL and closes cleanly")
	}
	base, err := s.Start("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || s.URL() != base {
		t.Fatalf("base %q, URL %q", base, s.URL())
	}
	resp, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hi" {
		t.Fatalf("got %q", b)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base); err == nil {
		t.Fatal("still serving after Close")
	}
}

// A fake on a test's clock dates its answers with that clock, not the machine's: a client
// comparing the Date header with its own (test) clock must see no skew.
func TestClockDatesEveryResponse(t *testing.T) {
	at := time.Date(2028, 2, 29, 23, 30, 0, 0, time.UTC)
	s := Server{Clock: func() time.Time { return at.In(time.FixedZone("+12:45", 12*3600+45*60)) }}
	base, err := s.Start("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/status" {
			http.Error(w, "gone", http.StatusNotFound) // errors are dated too
			return
		}
		io.WriteString(w, "hi")
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, path := range []string{"/", "/status"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Date"); got != "Tue, 29 Feb 2028 23:30:00 GMT" {
			t.Errorf("%s: Date %q, want the fake's clock", path, got)
		}
	}
}
