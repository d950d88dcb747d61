package doctor

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/store"
)

// A type unticked after calsync wrote its events: the doctor names the events it left
// in the calendar (not the person's own imported ones), explain says the same, the fix
// removes exactly those from the calendar (activities stay, nothing synced comes back),
// and undo writes them again.
func TestEventsOfTypesNoLongerSyncedAreNamedRemovedAndPutBack(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	meeting := w.activity("Board meeting", store.TypeMeeting, w.me.ID, now.Add(24*time.Hour), now)
	w.activity("Call with Carla", store.TypeCall, w.me.ID, now.Add(26*time.Hour), now)
	at := now.Add(30 * time.Hour).Truncate(time.Minute)
	w.fake.PutEvent(w.cal, googlefake.Event{Summary: "Dentist", Start: &googlefake.EventDateTime{DateTime: at.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: at.Add(time.Hour).Format(time.RFC3339)}})
	w.sync(w.acct.ID)
	// Meetings (and the import type) unticked in the settings.
	w.settings(w.acct.ID, func(s *store.SyncSettings) {
		s.Types = []store.ActivityType{store.TypeCall}
	})
	w.sync(w.acct.ID) // the engine leaves the meeting's event where it is
	if _, rem := w.counts(); rem != 3 {
		t.Fatalf("before: %d events", rem)
	}
	before := w.snapshot()
	r := w.run(All)
	if w.snapshot() != before {
		t.Fatal("diagnosing changed the store")
	}
	lb := w.finding(r, "left-behind", w.acct.ID)
	if lb.Status != Warn || !strings.Contains(lb.Summary, "1 events calsync made for types that are no longer synced (1 meeting)") ||
		!strings.Contains(dump(r), `"Board meeting" (meeting, `) || strings.Contains(dump(r), `"Dentist"`) {
		t.Fatalf("left-behind: %s %q\n%s", lb.Status, lb.Summary, dump(r))
	}
	if len(lb.Fixes) != 1 || lb.Fixes[0].ID != "remove-left-behind" || lb.Fixes[0].Impact.String() != "delete from the calendar 1, activities changed 0" ||
		!strings.Contains(lb.Fixes[0].Description, `"Board meeting"`) {
		t.Fatalf("fix: %+v", lb.Fixes)
	}
	// A warning: `--fix --yes` deletes nothing from the calendar unattended.
	if applied := w.fixAll(r); len(applied) != 0 {
		t.Fatalf("--fix --yes applied %+v", applied)
	}
	x, err := Explain(w.ctx, w.st, &Target{Activity: meeting, ID: meeting.ID, Subject: meeting.Subject}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if v := x.Verdicts[0]; v.Rule != RuleLeftBehind || !v.In || !strings.Contains(x.Headline, "no longer synced") || !strings.Contains(x.Headline, "remove-left-behind") {
		t.Fatalf("explain: %s %v %q", v.Rule, v.In, x.Headline)
	}

	applied, err := lb.Fixes[0].Apply(w.ctx, w.env, "")
	if err != nil || !strings.Contains(applied.Message, "removed 1 events") {
		t.Fatalf("apply: %v %q", err, applied.Message)
	}
	if loc, rem := w.counts(); loc != 3 || rem != 2 {
		t.Fatalf("after removal: %d activities, %d events; want 3 and 2", loc, rem)
	}
	for _, e := range w.fake.Events(w.cal) {
		if e.Summary == "Board meeting" && e.Status != "cancelled" {
			t.Fatal("the meeting's event is still in the calendar")
		}
	}
	w.sync(w.acct.ID) // the engine neither writes it again nor deletes the activity
	if loc, rem := w.counts(); loc != 3 || rem != 2 {
		t.Fatalf("after a sync: %d activities, %d events", loc, rem)
	}
	if got := w.finding(w.run(All), "left-behind", w.acct.ID); got.Status != Pass {
		t.Fatalf("after removal: %s %s", got.Status, got.Summary)
	}
	x, _ = Explain(w.ctx, w.st, &Target{Activity: meeting, ID: meeting.ID, Subject: meeting.Subject}, time.Now())
	if v := x.Verdicts[0]; v.Rule != RuleTypeNotSynced || v.In {
		t.Fatalf("explain after removal: %s %v", v.Rule, v.In)
	}

	if _, err := Undo(w.ctx, w.env, applied.JournalID); err != nil {
		t.Fatal(err)
	}
	if _, rem := w.counts(); rem != 3 {
		t.Fatalf("after undo: %d events, want 3", rem)
	}
	w.sync(w.acct.ID)
	if loc, rem := w.counts(); loc != 3 || rem != 3 {
		t.Fatalf("after undo and a sync: %d activities, %d events (nothing duplicated)", loc, rem)
	}
	if got := w.finding(w.run(All), "left-behind", w.acct.ID); got.Status != Warn {
		t.Fatalf("after undo the event is named again: %s %s", got.Status, got.Summary)
	}
}
