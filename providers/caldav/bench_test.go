package caldav_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/caldav/radicaletest"
)

const benchEvents = 2000

// seededRadicale starts a Radicale whose calendar /alice/big/ already holds n events,
// written as files before the server starts (PUTting 2,000 events takes minutes).
func seededRadicale(b *testing.B, n int) (*radicaletest.Server, *caldav.Provider, string, providers.Window) {
	b.Helper()
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	items := map[string]string{}
	for i := 0; i < n; i++ {
		s := start.Add(time.Duration(i) * 4 * time.Hour)
		uid := fmt.Sprintf("bench-%05d", i)
		items[uid+".ics"] = foreignICS(uid, fmt.Sprintf("Meeting %d", i), s, s.Add(45*time.Minute))
	}
	srv := radicaletest.Start(b, radicaletest.Options{Seed: func(root string) error {
		return radicaletest.SeedCalendar(root, radicaletest.User, "big", "Big", items)
	}})
	p, err := caldav.New(context.Background(), providers.Config{Kind: "caldav", Login: srv.User, Secret: []byte(srv.Password),
		Endpoints: providers.Endpoints{API: srv.URL}})
	if err != nil {
		b.Fatal(err)
	}
	win := providers.Window{Start: start.AddDate(0, 0, -1), End: start.AddDate(1, 6, 0)}
	return srv, p, "/alice/big/", win
}

// Initial listing of 2,000 events (target: at most 2 s): each timed iteration is a fresh
// full listing (cursor ""). first-ms is the very first listing after the files were
// seeded, dominated by Radicale building its item cache (it parses every file once);
// events PUT through Radicale are cached when written, so real servers never pay it.
func BenchmarkRadicaleInitialListing2000(b *testing.B) {
	_, p, cal, win := seededRadicale(b, benchEvents)
	ctx := context.Background()
	t0 := time.Now()
	events, bad, _, err := countListing(ctx, p, cal, win)
	if err != nil {
		b.Fatal(err)
	}
	cold := time.Since(t0)
	if events != benchEvents || bad != 0 {
		b.Fatalf("listing: %d events, %d bad", events, bad)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		events, _, _, err := countListing(ctx, p, cal, win)
		if err != nil || events != benchEvents {
			b.Fatalf("%d events, %v", events, err)
		}
	}
	b.ReportMetric(float64(cold.Milliseconds()), "first-ms")
}

// countListing reads a full listing to its end (it arrives in pages) and returns how many
// events and bad events it held and the cursor to keep.
func countListing(ctx context.Context, p providers.Provider, cal string, win providers.Window) (events, bad int, cursor string, err error) {
	for {
		page, err := p.Changes(ctx, cal, cursor, win)
		if err != nil {
			return 0, 0, "", err
		}
		events, bad, cursor = events+len(page.Events), bad+len(page.Bad), page.NextCursor
		if !page.More {
			return events, bad, cursor, nil
		}
	}
}

// An increment with nothing changed on a 2,000-event calendar (target: at most 50 ms).
func BenchmarkRadicaleIncrementNoChange2000(b *testing.B) {
	_, p, cal, win := seededRadicale(b, benchEvents)
	ctx := context.Background()
	_, _, cursor, err := countListing(ctx, p, cal, win)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inc, err := p.Changes(ctx, cal, cursor, win)
		if err != nil || len(inc.Events) != 0 || inc.More {
			b.Fatalf("quiet increment: %+v, %v", inc.Events, err)
		}
		cursor = inc.NextCursor
	}
}

// An increment after one event changed on a 2,000-event calendar: the probe sees the
// change, sync-collection lists it and one multiget fetches it (the PUT is not timed).
func BenchmarkRadicaleIncrementOneChange2000(b *testing.B) {
	srv, p, cal, win := seededRadicale(b, benchEvents)
	ctx := context.Background()
	_, _, cursor, err := countListing(ctx, p, cal, win)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		uid := fmt.Sprintf("changed-%d", i)
		putRawB(b, srv.URL+cal+uid+".ics", srv.User, srv.Password, foreignICS(uid, "Changed", start, start.Add(time.Hour)))
		b.StartTimer()
		inc, err := p.Changes(ctx, cal, cursor, win)
		if err != nil || len(inc.Events) != 1 {
			b.Fatalf("increment: %d events, %v", len(inc.Events), err)
		}
		cursor = inc.NextCursor
	}
}
