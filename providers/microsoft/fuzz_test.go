package microsoft

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
)

// Seeds beyond testdata/fuzz: a real-looking Graph event, a removal, an all-day event,
// and a few broken ones.
var fuzzSeeds = []string{
	`{"@odata.type":"#microsoft.graph.event","@odata.etag":"W/\"DwAAABYAAAA1\"","id":"AAMkAGI2THVSAAA=","createdDateTime":"2026-11-01T10:00:00.1234567Z","lastModifiedDateTime":"2026-11-02T10:00:00.1234567Z","changeKey":"DwAAABYAAAA1","originalStartTimeZone":"W. Europe Standard Time","iCalUId":"0400","subject":"Call","body":{"contentType":"text","content":"a\r\nb"},"start":{"dateTime":"2026-11-25T10:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-11-25T10:30:00.0000000","timeZone":"UTC"},"location":{"displayName":"Room"},"isAllDay":false,"type":"singleInstance","seriesMasterId":null}`,
	`{"@odata.type":"#microsoft.graph.event","id":"AAMkRemoved=","@removed":{"reason":"deleted"}}`,
	`{"id":"allday","isAllDay":true,"originalStartTimeZone":"Pacific Standard Time","start":{"dateTime":"2026-12-24T00:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2026-12-25T00:00:00.0000000","timeZone":"UTC"}}`,
	`{"id":"html","body":{"contentType":"html","content":"<html><body><div>x<br>y &amp; z</div></body></html>"},"start":{"dateTime":"2026-11-25T10:00:00","timeZone":"Tokyo Standard Time"},"end":{"dateTime":"2026-11-25T11:00:00","timeZone":"Tokyo Standard Time"}}`,
	`{"id":"occ","type":"occurrence","seriesMasterId":"master","start":{"dateTime":"2026-11-25T10:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-11-25T11:00:00","timeZone":"UTC"}}`,
	`{"id":"bad","start":{"dateTime":"2026-13-45T99:00:00","timeZone":"UTC"}}`,
	`{"id":"zone","start":{"dateTime":"2026-11-25T10:00:00","timeZone":"../../etc/passwd"},"end":{"dateTime":"2026-11-25T10:00:00","timeZone":"UTC"}}`,
	`{"id":7}`,
	`{"subject":"no id"}`,
	`[1,2,3]`,
	`null`,
	`"just a string"`,
	`{"id":"x","singleValueExtendedProperties":[{"id":"String {8f2a6c1e-3b7d-4e59-a0c4-6d1f9b2e7a35} Name calsyncActivityId","value":"act"}],"start":{"dateTime":"2026-11-25T10:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-11-25T10:00:00","timeZone":"UTC"}}`,
}

func FuzzDecodeEvent(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := decodeEvent(raw)
		if err != nil {
			return
		}
		if strings.TrimSpace(ev.RemoteID) == "" {
			t.Fatalf("decoded an event without id from %q", raw)
		}
		if !ev.Deleted && ev.End.Before(ev.Start) {
			t.Fatalf("decoded an event that ends before it starts: %+v", ev)
		}
		if ev.Start.Location() != time.UTC || ev.End.Location() != time.UTC {
			t.Fatalf("times not in UTC: %v %v", ev.Start, ev.End)
		}
	})
}

// FuzzDeltaPage puts one fuzzed entry between two good ones on a delta page: whatever it
// is, the page must arrive, the good events with it, and the entry either decoded or
// reported in Bad.
func FuzzDeltaPage(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	var mu sync.Mutex
	var entry []byte
	good := func(id string) string {
		return `{"id":"` + id + `","subject":"ok","start":{"dateTime":"2026-11-25T10:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-11-25T11:00:00","timeZone":"UTC"}}`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/$batch") {
			var in struct {
				Requests []struct{ ID string } `json:"requests"`
			}
			json.NewDecoder(r.Body).Decode(&in)
			out := struct {
				Responses []map[string]any `json:"responses"`
			}{}
			for _, s := range in.Requests {
				out.Responses = append(out.Responses, map[string]any{"id": s.ID, "status": 404,
					"body": map[string]any{"error": map[string]string{"code": "ErrorItemNotFound", "message": "gone"}}})
			}
			json.NewEncoder(w).Encode(out)
			return
		}
		if strings.Contains(r.URL.Path, "/me/events/") {
			// An @removed entry is confirmed with a GET: here every such event is gone.
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"ErrorItemNotFound","message":"The specified object was not found in the store."}}`))
			return
		}
		mu.Lock()
		e := entry
		mu.Unlock()
		page := `{"value":[` + good("good-1") + `,` + string(e) + `,` + good("good-2") + `],"@odata.deltaLink":"http://` + r.Host + `/v1.0/me/calendars/c/calendarView/delta?$deltatoken=x"}`
		w.Write([]byte(page))
	}))
	defer srv.Close()
	c, err := New(providers.Config{Kind: Kind, ClientID: "fuzz", Secret: []byte(`{"access_token":"fuzz-token"}`),
		Endpoints: providers.Endpoints{API: srv.URL + "/v1.0"}, HTTPClient: srv.Client()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // then the page itself is not JSON: a different failure, tested elsewhere
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return
		}
		mu.Lock()
		entry = raw
		mu.Unlock()
		pg, err := c.Changes(context.Background(), "c", "", providers.Window{})
		if err != nil {
			t.Fatalf("a page with one odd entry failed as a whole: %v", err)
		}
		ids := map[string]bool{}
		for _, e := range pg.Events {
			ids[e.RemoteID] = true
		}
		if !ids["good-1"] || !ids["good-2"] {
			t.Fatalf("good events lost next to %q: %+v bad %+v", raw, pg.Events, pg.Bad)
		}
		if len(pg.Events)+len(pg.Bad) != 3 {
			t.Fatalf("entry %q neither decoded nor reported: %d events, %d bad", raw, len(pg.Events), len(pg.Bad))
		}
		if pg.NextCursor == "" || pg.More {
			t.Fatalf("cursor lost: %+v", pg)
		}
	})
}
