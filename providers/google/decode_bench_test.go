package google

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkBuildPage measures decoding one 250-event page (the default page size).
func BenchmarkBuildPage(b *testing.B) {
	items := make([]json.RawMessage, 250)
	for i := range items {
		items[i] = json.RawMessage(fmt.Sprintf(`{"kind":"calendar#event","etag":"\"33%014d\"","id":"ev%05d","status":"confirmed","summary":"Meeting %d","description":"Notes","location":"Room","start":{"dateTime":"2026-11-25T10:00:00+01:00","timeZone":"Europe/Paris"},"end":{"dateTime":"2026-11-25T11:00:00+01:00","timeZone":"Europe/Paris"},"updated":"2026-11-20T10:00:00.000Z","extendedProperties":{"private":{"calsyncActivityId":"act-%d"}}}`, i, i, i, i))
	}
	list := eventList{TimeZone: "Europe/Paris", AccessRole: "owner", Items: items, NextSyncToken: "x"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p, err := buildPage(list, true, "")
		if err != nil || len(p.Events) != 250 {
			b.Fatal(err)
		}
	}
}
