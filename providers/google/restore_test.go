package google_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/google"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

// liveEvents is every event of the calendar that is not deleted, as Google stores them.
func liveEvents(e *env) []googlefake.Event {
	var out []googlefake.Event
	for _, ev := range e.fake.Events(e.primary()) {
		if ev.Status != "cancelled" {
			out = append(out, ev)
		}
	}
	return out
}

// Google never frees a deleted event's id, and calsync's ids come from the activity id:
// creating the activity's event again restores the deleted one under the same id with
// the new content, whoever deleted it; a retried create then still makes one event.
func TestCreateAfterDeleteRestoresTheEvent(t *testing.T) {
	for _, who := range []string{"calsync", "the person"} {
		t.Run(who, func(t *testing.T) {
			e := newEnv(t, googlefake.Options{})
			start := window().Start.Add(24 * time.Hour)
			ev := providers.Event{ActivityID: "act-back", Subject: "Board review", Start: start, End: start.Add(time.Hour), TimeZone: "UTC"}
			first, err := e.client.Create(ctx, e.primary(), ev)
			if err != nil {
				t.Fatal(err)
			}
			_, _, cursor := listAll(t, e.client, e.primary(), "")
			if who == "calsync" {
				err = e.client.Delete(ctx, e.primary(), first.RemoteID, first.ETag)
			} else {
				err = e.fake.DeleteEvent(e.primary(), first.RemoteID)
			}
			if err != nil {
				t.Fatal(err)
			}

			again := ev
			again.Subject, again.Location = "Board review (moved)", "Room 4"
			again.Start, again.End = start.Add(2*time.Hour), start.Add(3*time.Hour)
			got, err := e.client.Create(ctx, e.primary(), again)
			if err != nil {
				t.Fatalf("create after delete: %v", err)
			}
			if got.RemoteID != first.RemoteID || got.RemoteID != google.EventID("act-back") || got.Deleted ||
				got.Subject != again.Subject || got.Location != "Room 4" || !got.Start.Equal(again.Start) || got.ActivityID != "act-back" {
				t.Fatalf("restored event: %+v", got)
			}
			live := liveEvents(e)
			if len(live) != 1 || live[0].ID != first.RemoteID || live[0].Summary != again.Subject {
				t.Fatalf("calendar after the restore: %+v", live)
			}
			// The restore is a change the next increment reports, live.
			inc, _, _ := listAll(t, e.client, e.primary(), cursor)
			if len(inc) != 1 || inc[0].RemoteID != first.RemoteID || inc[0].Deleted || inc[0].Subject != again.Subject {
				t.Fatalf("increment after the restore: %+v", inc)
			}

			retried, err := e.client.Create(ctx, e.primary(), again)
			if err != nil || retried.RemoteID != first.RemoteID || retried.ETag != got.ETag {
				t.Fatalf("retried create: %+v %v", retried, err)
			}
			if live := liveEvents(e); len(live) != 1 {
				t.Fatalf("%d live events after a retried create", len(live))
			}
		})
	}
}

// An event under the activity's id that is tagged for another activity is not calsync's
// to take over, deleted or not.
func TestCreateOverAnotherActivitysEventIsConflict(t *testing.T) {
	for _, deleted := range []bool{false, true} {
		e := newEnv(t, googlefake.Options{})
		start := window().Start.Add(24 * time.Hour)
		dt := func(t time.Time) *googlefake.EventDateTime {
			return &googlefake.EventDateTime{DateTime: t.Format(time.RFC3339), TimeZone: "UTC"}
		}
		id := google.EventID("act-mine")
		if _, err := e.fake.PutEvent(e.primary(), googlefake.Event{ID: id, Summary: "someone else's", Start: dt(start), End: dt(start.Add(time.Hour)),
			ExtendedProperties: &googlefake.ExtendedProperties{Private: map[string]string{google.TagProperty: "act-other"}}}); err != nil {
			t.Fatal(err)
		}
		if deleted {
			e.fake.DeleteEvent(e.primary(), id)
		}
		_, err := e.client.Create(ctx, e.primary(), providers.Event{ActivityID: "act-mine", Subject: "mine", Start: start, End: start.Add(time.Hour)})
		mustKind(t, err, providers.Conflict)
		for _, ev := range e.fake.Events(e.primary()) {
			if ev.Summary != "someone else's" {
				t.Fatalf("deleted=%v: the other activity's event was overwritten: %+v", deleted, ev)
			}
		}
	}
}

// Where Google refuses to revive the deleted event (410 deleted: gone from its trash for
// good) the create is a Conflict that says the id cannot be reused, and nothing else is
// written.
func TestCreateWhenRestoreIsRefusedIsConflict(t *testing.T) {
	fake := googlefake.New(googlefake.Options{ClientID: testClientID, ClientSecret: testClientSecret})
	var patches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			patches.Add(1)
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.WriteHeader(http.StatusGone)
			w.Write([]byte(`{"error":{"errors":[{"domain":"global","reason":"deleted","message":"Resource has been deleted"}],"code":410,"message":"Resource has been deleted"}}`))
			return
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	access, refresh, _ := fake.IssueToken([]string{google.ScopeCalendar})
	secret, err := oauth.EncodeSecret(&oauth2.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		Expiry: time.Now().Add(time.Hour)}, []string{google.ScopeCalendar})
	if err != nil {
		t.Fatal(err)
	}
	cfg := configFor(srv, nil)
	cfg.Secret = secret
	c, err := google.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cal := fake.Calendars()[0].ID
	start := window().Start.Add(24 * time.Hour)
	ev := providers.Event{ActivityID: "act-purged", Subject: "x", Start: start, End: start.Add(time.Hour)}
	first, err := c.Create(ctx, cal, ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, cal, first.RemoteID, ""); err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(ctx, cal, ev)
	pe := mustKind(t, err, providers.Conflict)
	if patches.Load() != 1 || pe.Code != "duplicate" {
		t.Fatalf("restore attempts %d, error %#v", patches.Load(), pe)
	}
	for _, e := range fake.Events(cal) {
		if e.Status != "cancelled" {
			t.Fatalf("an event is live after a refused restore: %+v", e)
		}
	}
}
