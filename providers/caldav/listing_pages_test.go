package caldav_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/caldav/caldavfake"
)

// A full listing of a large calendar arrives in several pages read from one streamed
// answer, so the engine can write a chunk while the rest arrives: every event exactly
// once, every page marked Full, only the last one without More and with the cursor the
// next run keeps.
func TestFullListingArrivesInPages(t *testing.T) {
	fake, p, _ := fakeProvider(t, caldavfake.Options{}, appPassword)
	cal := fake.AddCalendar("work", "Work")
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	const n = 1234
	for i := 0; i < n; i++ {
		s := start.Add(time.Duration(i) * time.Hour)
		uid := fmt.Sprintf("ev-%04d", i)
		if _, _, err := fake.PutEvent("work", uid+".ics", foreignICS(uid, fmt.Sprintf("Meeting %d", i), s, s.Add(30*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	win := providers.Window{Start: start.AddDate(0, 0, -1), End: start.AddDate(0, 6, 0)}
	ctx := context.Background()
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		page, err := p.Changes(ctx, cal, cursor, win)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		if !page.Full {
			t.Errorf("page %d of a full listing is not marked Full", pages)
		}
		for _, ev := range page.Events {
			if seen[ev.RemoteID] {
				t.Errorf("%s listed twice", ev.RemoteID)
			}
			seen[ev.RemoteID] = true
		}
		if !page.More {
			if strings.HasPrefix(page.NextCursor, "part1:") || page.NextCursor == "" {
				t.Errorf("last page's cursor %q is not one to keep", page.NextCursor)
			}
			cursor = page.NextCursor
			break
		}
		if len(page.Events) == 0 {
			t.Fatalf("page %d says More but is empty", pages)
		}
		cursor = page.NextCursor
	}
	if len(seen) != n || pages < 3 {
		t.Errorf("%d events in %d pages, want %d events in several pages", len(seen), pages, n)
	}
	// The kept cursor works as an increment: nothing changed.
	inc, err := p.Changes(ctx, cal, cursor, win)
	if err != nil || len(inc.Events) != 0 || inc.More {
		t.Errorf("increment after the paged listing: %d events, more=%v, %v", len(inc.Events), inc.More, err)
	}
}

// The inner cursor of a listing lives only as long as the listing: asked for again
// (a new process, or the listing was finished), it says the listing must start over.
func TestListingPageCursorDoesNotOutliveTheListing(t *testing.T) {
	fake, p, _ := fakeProvider(t, caldavfake.Options{}, appPassword)
	cal := fake.AddCalendar("work", "Work")
	_, err := p.Changes(context.Background(), cal, "part1:0123456789abcdef", providers.Window{})
	if !providers.IsKind(err, providers.CursorExpired) {
		t.Fatalf("unknown listing cursor: %v, want CursorExpired so the engine lists again", err)
	}
}

// cutOnce breaks off the first calendar-query answer after limit bytes, as a dropped
// connection would.
type cutOnce struct {
	h     http.Handler
	limit int
	done  atomic.Bool
}

func (c *cutOnce) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == "REPORT" && !c.done.Load() {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("calendar-query")) {
			c.done.Store(true)
			w = &cutWriter{ResponseWriter: w, left: c.limit}
		}
	}
	c.h.ServeHTTP(w, r)
}

type cutWriter struct {
	http.ResponseWriter
	left int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if len(p) > c.left {
		c.ResponseWriter.Write(p[:c.left])
		c.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	c.left -= len(p)
	return c.ResponseWriter.Write(p)
}

// A listing whose answer breaks off in the middle fails that page with a network
// error, and the retry of the same page (what the engine does) asks again: no event is
// lost, and the listing still ends with a cursor to keep.
func TestListingRetriedAfterTheAnswerBrokeOff(t *testing.T) {
	fake := caldavfake.New(caldavfake.Options{})
	srv := httptest.NewServer(&cutOnce{h: fake.Handler(), limit: 300 << 10})
	t.Cleanup(srv.Close)
	cal := fake.AddCalendar("work", "Work")
	_, app := fake.Passwords()
	p, err := caldav.New(context.Background(), providers.Config{Kind: "caldav", Login: fake.User(), Secret: []byte(app),
		Endpoints: providers.Endpoints{API: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	const n = 1500
	for i := 0; i < n; i++ {
		s := start.Add(time.Duration(i) * time.Hour)
		uid := fmt.Sprintf("ev-%04d", i)
		if _, _, err := fake.PutEvent("work", uid+".ics", foreignICS(uid, "Meeting", s, s.Add(30*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	win := providers.Window{Start: start.AddDate(0, 0, -1), End: start.AddDate(0, 6, 0)}
	seen := map[string]bool{}
	cursor, failures := "", 0
	for pages := 0; pages < 50; pages++ {
		page, err := p.Changes(context.Background(), cal, cursor, win)
		if err != nil {
			if !providers.IsKind(err, providers.Network) {
				t.Fatalf("broken-off answer: %v, want a Network error the engine retries", err)
			}
			failures++
			continue // the engine retries the same cursor
		}
		for _, ev := range page.Events {
			seen[ev.RemoteID] = true
		}
		cursor = page.NextCursor
		if !page.More {
			break
		}
	}
	if failures != 1 || len(seen) != n || strings.HasPrefix(cursor, "part1:") {
		t.Errorf("%d failures, %d of %d events, final cursor %q", failures, len(seen), n, cursor)
	}
}
