package google

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeEvent feeds arbitrary bytes as one item of an events page between two good
// events: decoding must not panic, a bad item must be reported (with its id when it has
// one) and skipped, and both good events must still arrive.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		`{"id":"abc123","status":"confirmed","summary":"x","start":{"dateTime":"2026-11-25T10:00:00+01:00"},"end":{"dateTime":"2026-11-25T11:00:00+01:00"}}`,
		`{"id":"abc124","start":{"date":"2026-11-25"},"end":{"date":"2026-11-26"},"extendedProperties":{"private":{"calsyncActivityId":"a1"}}}`,
		`{"id":"abc125","status":"cancelled"}`,
		`{"id":"bad1","start":{"dateTime":"yesterday"},"end":{"dateTime":"2026-11-25T11:00:00Z"}}`,
		`{"id":"bad2","start":{"date":"2026-11-25"},"end":{"dateTime":"2026-11-25T11:00:00Z"}}`,
		`{"id":7,"summary":["not","a","string"]}`,
		`{"id":"bad3","start":{"dateTime":"2026-11-25T12:00:00Z"},"end":{"dateTime":"2026-11-25T11:00:00Z"}}`,
		`{"id":"bad4","start":{"timeZone":"Mars/Olympus"},"end":{}}`,
		`null`, `[]`, `"x"`, `{`, ``,
		`{"id":"u1","summary":"\u001b[31mred\u0007","start":{"dateTime":"2026-11-25T10:00:00Z","timeZone":"Europe/Paris"},"end":{"dateTime":"2026-11-25T10:00:00Z"}}`,
	} {
		f.Add([]byte(s))
	}
	good1 := json.RawMessage(`{"id":"good1","summary":"one","start":{"dateTime":"2026-11-25T10:00:00Z"},"end":{"dateTime":"2026-11-25T11:00:00Z"}}`)
	good2 := json.RawMessage(`{"id":"good2","summary":"two","start":{"date":"2026-11-27"},"end":{"date":"2026-11-28"}}`)
	f.Fuzz(func(t *testing.T, item []byte) {
		if !json.Valid(item) {
			// A page whose JSON is broken as a whole is refused before item decoding
			// (httpapi reports Invalid); decodeEvent must still not panic on it.
			decodeEvent(item, "UTC")
			return
		}
		page, err := buildPage(eventList{TimeZone: "Europe/Berlin", Items: []json.RawMessage{good1, item, good2},
			NextSyncToken: "tok"}, true, "")
		if err != nil {
			t.Fatalf("page refused: %v", err)
		}
		got := map[string]bool{}
		for _, e := range page.Events {
			got[e.RemoteID] = true
			if !e.Deleted && e.End.Before(e.Start) {
				t.Fatalf("event %q ends before it starts", e.RemoteID)
			}
		}
		if !got["good1"] || !got["good2"] {
			t.Fatalf("good events lost: %+v", page.Events)
		}
		if n := len(page.Events) + len(page.Bad); n != 3 {
			t.Fatalf("%d events + bad, want 3", n)
		}
		for _, b := range page.Bad {
			if b.Err == nil {
				t.Fatal("bad event without error")
			}
		}
	})
}
