package microsoft

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

func BenchmarkDecodeEvent(b *testing.B) {
	raw := []byte(fuzzSeeds[0])
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := decodeEvent(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFullListing500 is a first sync of a calendar with 500 events in the window,
// pages of 50, tags read through $batch — against the in-process fake.
func BenchmarkFullListing500(b *testing.B) {
	fake := graphfake.New(graphfake.Options{ClientID: "bench"})
	srv := httptest.NewServer(fake.Handler())
	defer srv.Close()
	cal := fake.DefaultCalendar()
	start := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Hour)
	for i := range 500 {
		s := start.Add(time.Duration(i) * time.Hour)
		fake.PutEvent(cal, graphfake.Event{Subject: "Event", Body: "notes", Start: s, End: s.Add(30 * time.Minute),
			Props: map[string]string{TagPropertyID: "activity"}})
	}
	tok := fake.IssueToken(Scopes...)
	secret, _ := oauth.EncodeSecret(&oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
		Expiry: time.Now().Add(time.Hour)}, strings.Fields(tok.Scope))
	c, err := New(providers.Config{Kind: Kind, ClientID: "bench", Secret: secret,
		Endpoints: graphfake.Endpoints(srv.URL), HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	win := providers.Window{Start: start.Add(-time.Hour), End: start.AddDate(0, 2, 0)}
	for b.Loop() {
		n, cur := 0, ""
		for {
			pg, err := c.Changes(context.Background(), cal, cur, win)
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range pg.Events {
				if e.ActivityID == "activity" {
					n++
				}
			}
			if !pg.More {
				break
			}
			cur = pg.NextCursor
		}
		if n != 500 {
			b.Fatalf("listed %d tagged events, want 500", n)
		}
	}
}
