package google_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/google/googlefake"
)

// BenchmarkFullListing measures a full listing of 1000 events (250 per page) through the
// client against the fake over loopback HTTP: JSON decoding, paging and conversion.
func BenchmarkFullListing(b *testing.B) {
	e := newEnv(b, googlefake.Options{})
	cal := e.primary()
	base := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	for i := 0; i < 1000; i++ {
		s := base.Add(time.Duration(i) * time.Hour)
		if _, err := e.fake.PutEvent(cal, googlefake.Event{Summary: fmt.Sprint("Event ", i), Description: "Some notes about the meeting",
			Start: &googlefake.EventDateTime{DateTime: s.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: s.Add(30 * time.Minute).Format(time.RFC3339)},
			ExtendedProperties: &googlefake.ExtendedProperties{Private: map[string]string{"calsyncActivityId": fmt.Sprint("act-", i)}}}); err != nil {
			b.Fatal(err)
		}
	}
	win := providers.Window{Start: base.Add(-time.Hour), End: base.AddDate(0, 3, 0)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, cursor := 0, ""
		for {
			p, err := e.client.Changes(ctx, cal, cursor, win)
			if err != nil {
				b.Fatal(err)
			}
			n += len(p.Events)
			if !p.More {
				break
			}
			cursor = p.NextCursor
		}
		if n != 1000 {
			b.Fatalf("listed %d", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/event")
}
