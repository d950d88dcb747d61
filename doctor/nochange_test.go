package doctor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/store"
)

// snapshot renders every row of the tables diagnosing must not change: activities,
// links and change tokens.
func (w *world) snapshot() string {
	w.t.Helper()
	var b strings.Builder
	for _, table := range []string{"activities", "links", "cursors"} {
		rows, err := w.st.DB.Query(`SELECT * FROM ` + table + ` ORDER BY 1`)
		if err != nil {
			w.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				w.t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %v\n", table, vals)
		}
		rows.Close()
	}
	return b.String()
}

// A sandbox with work waiting on both sides: a new activity to push, an event made in
// the calendar to import, and a synced event edited in the calendar. The doctor must
// diagnose without carrying any of it (no push, no pull, no cursor moved), say what is
// waiting, and offer the sync as a fix that does carry it.
func TestDiagnosingChangesNothing(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	synced := w.activity("Call with Carla", store.TypeCall, w.me.ID, now.Add(24*time.Hour), now)
	w.sync(w.acct.ID)
	fresh := w.activity("Demo for Dora", store.TypeMeeting, w.me.ID, now.Add(48*time.Hour), now)
	at := now.Add(30 * time.Hour).Truncate(time.Minute)
	w.fake.PutEvent(w.cal, googlefake.Event{Summary: "Dentist", Start: &googlefake.EventDateTime{DateTime: at.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: at.Add(time.Hour).Format(time.RFC3339)}})
	for _, e := range w.fake.Events(w.cal) {
		if e.Summary == synced.Subject {
			e.Summary = "Call with Carla (moved)"
			w.fake.PutEvent(w.cal, e)
		}
	}
	before := w.snapshot()
	_, rem0 := w.counts()

	r := w.run(All)
	if after := w.snapshot(); after != before {
		t.Fatalf("diagnosing changed the store:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if _, rem := w.counts(); rem != rem0 {
		t.Fatalf("diagnosing left the calendar with %d events, had %d", rem, rem0)
	}
	rt := w.finding(r, "round-trip", w.acct.ID)
	if rt.Status != Warn || !strings.Contains(rt.Summary, "push 1 activity, import 1 event, update 1 activity from the calendar") ||
		len(rt.Fixes) != 1 || rt.Fixes[0].ID != "sync-verify" || rt.Fixes[0].Impact.String() != "push 1, pull 2" {
		t.Fatalf("round trip: %s %q %+v\n%s", rt.Status, rt.Summary, rt.Fixes, dump(r))
	}
	if r.Exit != ExitOK {
		t.Fatalf("work waiting for the next sync is no problem: exit %d\n%s", r.Exit, dump(r))
	}
	// `--fix --yes` applies the fixes of failures only: a warning's sync waits for a person.
	if applied := w.fixAll(r); len(applied) != 0 {
		t.Fatalf("--fix --yes applied %+v", applied)
	}
	a, err := rt.Fixes[0].Apply(w.ctx, w.env, "")
	if err != nil || !strings.Contains(a.Message, "nothing is left waiting") {
		t.Fatalf("sync-verify: %v %q", err, a.Message)
	}
	if got, _ := store.GetActivity(w.ctx, w.st.DB, synced.ID); got.Subject != "Call with Carla (moved)" {
		t.Fatalf("the calendar edit was not pulled by the fix: %q", got.Subject)
	}
	if links, _ := store.LinksForActivity(w.ctx, w.st.DB, fresh.ID); len(links) != 1 || links[0].State != store.LinkSynced {
		t.Fatalf("the new activity was not pushed by the fix: %+v", links)
	}
	if rt := w.finding(w.run(NotShowing), "round-trip", w.acct.ID); rt.Status != Pass {
		t.Fatalf("after the sync: %s %s", rt.Status, rt.Summary)
	}
}

// Asked about one activity that only waits for the next sync, the doctor says so (that
// is the answer to "why isn't it in my calendar?") and its fix is the sync.
func TestWaitingActivityIsAnsweredWithTheSync(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	a := w.activity("Demo for Dora", store.TypeMeeting, w.me.ID, now.Add(48*time.Hour), now)
	w.target(a.ID)
	before := w.snapshot()
	r := w.run(NotShowing)
	if after := w.snapshot(); after != before {
		t.Fatalf("diagnosing changed the store:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := failing(r); got != "round-trip" {
		t.Fatalf("failing %q\n%s", got, dump(r))
	}
	rt := w.finding(r, "round-trip", w.acct.ID)
	if !strings.Contains(rt.Summary, `"Demo for Dora" has not reached the calendar yet`) || len(rt.Fixes) != 1 || rt.Fixes[0].ID != "sync-verify" {
		t.Fatalf("round trip: %q %+v", rt.Summary, rt.Fixes)
	}
	w.fixAll(r)
	if r := w.run(NotShowing); r.Exit != ExitOK {
		t.Fatalf("after the sync: exit %d\n%s", r.Exit, dump(r))
	}
	if _, rem := w.counts(); rem != 1 {
		t.Fatalf("the activity's event: %d events", rem)
	}
}
