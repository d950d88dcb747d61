package loopback

import (
	"io"
	"net/http"
	"strings"
	"testing"
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
