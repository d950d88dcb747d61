package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
)

func TestDoDecodesAndSendsJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v3/calendars/a%2Fb/events" && r.URL.RawPath != "/api/v3/calendars/a%2Fb/events" {
			t.Errorf("path %q raw %q", r.URL.Path, r.URL.RawPath)
		}
		if r.URL.Query().Get("pageToken") != "p 1" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		b, _ := ReadLimited(r.Body, 1000)
		w.Write([]byte(`{"echo":` + string(b) + `}`))
	}))
	defer srv.Close()
	c := &Client{Provider: "google", Base: srv.URL + "/api/v3"}
	var out struct {
		Echo struct{ X int } `json:"echo"`
	}
	_, err := c.Do(context.Background(), Request{Op: "t", Method: "POST", Path: "calendars/a%2Fb/events",
		Query: map[string][]string{"pageToken": {"p 1"}}, Body: map[string]int{"x": 7}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.Echo.X != 7 {
		t.Fatalf("got %+v", out)
	}
}

func TestClassifyFillsRetryAfterWithInjectedClock(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
		w.WriteHeader(429)
	}))
	defer srv.Close()
	c := &Client{Provider: "x", Base: srv.URL, Now: func() time.Time { return now }}
	_, err := c.Do(context.Background(), Request{Op: "list"}, nil)
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.RateLimited || pe.RetryAfter != 90*time.Second || pe.Status != 429 || pe.Op != "list" {
		t.Fatalf("got %#v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":     0,
		"7":    7 * time.Second,
		" 30 ": 30 * time.Second,
		"-5":   0,
		"abc":  0,
		now.Add(-time.Hour).Format(http.TimeFormat):  0,
		now.Add(time.Minute).Format(http.TimeFormat): time.Minute,
		"99999999": 24 * time.Hour,
	} {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestOversizedBodyIsInvalid(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"items":["` + strings.Repeat("a", 5000) + `"]}`))
	}))
	defer srv.Close()
	c := &Client{Provider: "x", Base: srv.URL, MaxBody: 1024}
	var out map[string]any
	_, err := c.Do(context.Background(), Request{Op: "list"}, &out)
	if providers.KindOf(err) != providers.Invalid || !strings.Contains(err.Error(), "larger than 1024") {
		t.Fatalf("got %v", err)
	}
}

func TestTransportErrorIsNetworkAndRedacted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	const canary = "ya29.CANARYaccess"
	c := &Client{Provider: "x", Base: "http://" + addr + "/?access_token=" + canary}
	_, err = c.Do(context.Background(), Request{Op: "list", Header: http.Header{"Authorization": {"Bearer " + canary}}}, nil)
	if providers.KindOf(err) != providers.Network {
		t.Fatalf("kind %v", err)
	}
	if strings.Contains(err.Error(), "CANARY") {
		t.Fatalf("token leaked: %v", err)
	}
	var ue interface{ Unwrap() error }
	_ = ue
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), "CANARY") {
			t.Fatalf("token leaked in chain: %v", e)
		}
	}
}

func TestCancelledContextKeepsSentinel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &Client{Provider: "x", Base: srv.URL}
	_, err := c.Do(ctx, Request{Op: "list"}, nil)
	if !errors.Is(err, context.Canceled) || providers.KindOf(err) != providers.Network {
		t.Fatalf("got %v", err)
	}
}

func TestRedactString(t *testing.T) {
	in := `Authorization: Bearer abc.DEF-123 refresh_token=1//xyz&code_verifier=VVV {"access_token":"SECRET1","client_secret": "S2"} ya29.a0AfH6 code=4/0Ab`
	out := RedactString(in, "myknownsecret")
	for _, s := range []string{"abc.DEF", "1//xyz", "VVV", "SECRET1", "S2\"", "ya29.a0", "4/0Ab"} {
		if strings.Contains(out, s) {
			t.Errorf("%q survived: %s", s, out)
		}
	}
	if got := RedactString("x myknownsecret y", "myknownsecret"); got != "x [redacted] y" {
		t.Errorf("got %q", got)
	}
}

func TestSanitizeStripsControlsAndShortens(t *testing.T) {
	s := Sanitize("a\x1b[31mred\x07\nline" + strings.Repeat("x", 1000))
	if strings.ContainsAny(s, "\x1b\x07\n") || len([]rune(s)) > MaxMessage {
		t.Fatalf("got %q", s)
	}
}

func TestClassifierHookAndFallback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		w.Write([]byte(`{"error":"x"}`))
	}))
	defer srv.Close()
	c := &Client{Provider: "x", Base: srv.URL}
	_, err := c.Do(context.Background(), Request{Op: "a"}, nil)
	if providers.KindOf(err) != providers.Unavailable {
		t.Fatalf("fallback: %v", err)
	}
	c.Classify = func(r *Response) *providers.Error {
		return &providers.Error{Kind: providers.CursorExpired, Code: "custom", Message: string(r.Body)}
	}
	_, err = c.Do(context.Background(), Request{Op: "a"}, nil)
	pe, _ := providers.AsError(err)
	if pe == nil || pe.Kind != providers.CursorExpired || pe.Provider != "x" || pe.Status != 503 || pe.Code != "custom" {
		t.Fatalf("hook: %#v", err)
	}
}

func TestTokenSourceErrorPassesThrough(t *testing.T) {
	hc := &http.Client{Transport: rtFunc(func(*http.Request) (*http.Response, error) {
		return nil, &providers.Error{Kind: providers.AuthExpired, Code: "invalid_grant", Op: "refresh token"}
	})}
	c := &Client{Provider: "google", Base: "http://127.0.0.1:1", HTTP: hc}
	_, err := c.Do(context.Background(), Request{Op: "list events"}, nil)
	pe, _ := providers.AsError(err)
	if pe == nil || pe.Kind != providers.AuthExpired || pe.Op != "list events" || pe.Provider != "google" {
		t.Fatalf("got %#v", err)
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAbsolutePathIsUsedVerbatim(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.RequestURI()
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := &Client{Provider: "microsoft", Base: "http://127.0.0.1:1/unused/"}
	if _, err := c.Do(context.Background(), Request{Op: "delta", Path: srv.URL + "/v1.0/me/delta?$skiptoken=abc%2Bd"}, nil); err != nil {
		t.Fatal(err)
	}
	if got != "/v1.0/me/delta?$skiptoken=abc%2Bd" {
		t.Fatalf("requested %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	got := RedactURL("https://user:pw@example.com/cb?code=4/0abc&state=xyz&access_token=ya29.q")
	if strings.Contains(got, "pw") || strings.Contains(got, "4/0abc") || strings.Contains(got, "ya29.q") || !strings.Contains(got, "state=xyz") {
		t.Fatalf("got %q", got)
	}
}
