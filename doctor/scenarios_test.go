package doctor

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/store"
)

func TestScenarioHealthy(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	w.activity("Call with Carla", store.TypeCall, w.me.ID, now.Add(24*time.Hour), now)
	w.sync(w.acct.ID)
	loc0, rem0 := w.counts()

	r := w.run(All)
	if r.Exit != ExitOK || r.Counts.Fail != 0 {
		t.Fatalf("healthy sandbox: exit %d\n%s", r.Exit, dump(r))
	}
	rt := w.finding(r, "round-trip", w.acct.ID)
	if rt.Status != Pass || !strings.Contains(rt.Summary, "CRM -> calendar OK, calendar -> CRM OK") {
		t.Fatalf("round trip: %s %s\n%s", rt.Status, rt.Summary, dump(r))
	}
	// The round trip cleaned up after itself: no test data on either side.
	loc1, rem1 := w.counts()
	if loc1 != loc0 || rem1 != rem0 {
		t.Fatalf("round trip left data: local %d -> %d, remote %d -> %d", loc0, loc1, rem0, rem1)
	}
	for _, e := range w.fake.Events(w.cal) {
		if strings.HasPrefix(e.Summary, probePrefix) && e.Status != "cancelled" {
			t.Fatalf("probe event left in the calendar: %+v", e)
		}
	}
	for _, f := range []string{"network", "clock", "scopes", "connection"} {
		if got := w.finding(r, f, w.acct.ID).Status; got != Pass {
			t.Errorf("%s: %s", f, got)
		}
	}
}

func TestScenarioFiltersHide(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	a := w.activity("Lunch with Dana", store.TypeLunch, w.me.ID, now.Add(48*time.Hour), now)
	w.activity("Bruno's call", store.TypeCall, w.other.ID, now.Add(48*time.Hour), now)
	// The list is filtered to another owner with two types switched off.
	prev := store.ListFilter{Owner: w.other.ID, Types: []store.ActivityType{store.TypeCall, store.TypeMeeting, store.TypeTask, store.TypeDeadline}, Status: store.StatusTodo, Period: store.PeriodAll}
	if err := store.SaveListView(w.ctx, w.st.DB, prev, now); err != nil {
		t.Fatal(err)
	}
	w.sync(w.acct.ID)

	// Without a target: my activities are hidden by owner/type filters.
	r := w.run(NotShowing)
	lf := w.finding(r, "list-filters", "")
	if lf.Status != Fail || !strings.Contains(lf.Summary, "hide 1 of your own") {
		t.Fatalf("list-filters: %s %s", lf.Status, lf.Summary)
	}
	// With the searched activity: names both filters that hide it.
	w.target(a.ID)
	r = w.run(NotShowing)
	lf = w.finding(r, "list-filters", "")
	if lf.Status != Fail || !strings.Contains(lf.Summary, "owner: "+w.other.ID) || !strings.Contains(lf.Summary, "types: call, meeting, task, deadline") {
		t.Fatalf("list-filters should name the owner and type filters: %s", lf.Summary)
	}
	if r.Exit != ExitProblem {
		t.Fatalf("exit %d", r.Exit)
	}
	applied := w.fixAll(r)
	if len(applied) != 1 || applied[0].FixID != "reset-list-filters" {
		t.Fatalf("applied %+v", applied)
	}
	r = w.run(NotShowing)
	if r.Exit != ExitOK {
		t.Fatalf("after fix exit %d\n%s", r.Exit, dump(r))
	}
	cur, _ := store.LoadListView(w.ctx, w.st.DB)
	if cur.Owner != store.OwnerAll || len(cur.Types) != 0 || cur.Status != store.StatusTodo {
		t.Fatalf("reset view %+v", cur)
	}
	// Undo puts the person's own filters back exactly.
	if _, err := Undo(w.ctx, w.env, applied[0].JournalID); err != nil {
		t.Fatal(err)
	}
	back, _ := store.LoadListView(w.ctx, w.st.DB)
	if back.Owner != prev.Owner || len(back.Types) != 4 {
		t.Fatalf("undo gave %+v", back)
	}
	if _, err := Undo(w.ctx, w.env, applied[0].JournalID); err != ErrAlreadyUndone {
		t.Fatalf("second undo: %v", err)
	}
}

func TestScenarioBeforeActivation(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	old := w.activity("Quarterly review", store.TypeMeeting, w.me.ID, now.Add(72*time.Hour), now.Add(-3*24*time.Hour))
	w.sync(w.acct.ID)
	if _, rem := w.counts(); rem != 0 {
		t.Fatalf("the old activity should not have been pushed (remote %d)", rem)
	}
	r := w.run(NotShowing)
	ba := w.finding(r, "before-activation", w.acct.ID)
	if ba.Status != Warn || !strings.Contains(ba.Summary, "1 activities created before sync was switched on") {
		t.Fatalf("before-activation without target: %s %s", ba.Status, ba.Summary)
	}
	w.target(old.ID)
	r = w.run(NotShowing)
	ba = w.finding(r, "before-activation", w.acct.ID)
	if ba.Status != Fail || len(ba.Fixes) != 1 || ba.Fixes[0].ID != "backfill" {
		t.Fatalf("before-activation: %s %s", ba.Status, ba.Summary)
	}
	applied := w.fixAll(r)
	r = w.run(NotShowing)
	if r.Exit != ExitOK {
		t.Fatalf("after backfill exit %d\n%s", r.Exit, dump(r))
	}
	loc, rem := w.counts()
	if loc != 1 || rem != 1 {
		t.Fatalf("after backfill: local %d remote %d, want 1 and 1", loc, rem)
	}
	// Undo restores the settings (no backfill date).
	if _, err := Undo(w.ctx, w.env, applied[0].JournalID); err != nil {
		t.Fatal(err)
	}
	s, _ := store.GetSyncSettings(w.ctx, w.st.DB, w.acct.ID)
	if s.BackfillFrom != nil {
		t.Fatalf("backfill still set after undo: %v", s.BackfillFrom)
	}
}

func TestScenarioWrongTypes(t *testing.T) {
	w := newWorld(t)
	w.settings(w.acct.ID, func(s *store.SyncSettings) { s.Types = []store.ActivityType{store.TypeCall} })
	now := time.Now().UTC()
	m := w.activity("Board meeting", store.TypeMeeting, w.me.ID, now.Add(24*time.Hour), now)
	w.sync(w.acct.ID)
	w.target(m.ID)
	r := w.run(NotShowing)
	ty := w.finding(r, "types", w.acct.ID)
	if ty.Status != Fail || !strings.Contains(ty.Summary, "meetings are not synced") {
		t.Fatalf("types: %s %s", ty.Status, ty.Summary)
	}
	w.fixAll(r)
	r = w.run(NotShowing)
	if r.Exit != ExitOK {
		t.Fatalf("after fix exit %d\n%s", r.Exit, dump(r))
	}
	if _, rem := w.counts(); rem != 1 {
		t.Fatalf("meeting not pushed after the fix: remote %d", rem)
	}
}

func TestScenarioOneWay(t *testing.T) {
	w := newWorld(t)
	w.settings(w.acct.ID, func(s *store.SyncSettings) { s.Direction = store.DirToCalendar })
	now := time.Now().UTC()
	a := w.activity("Demo for Eve", store.TypeMeeting, w.me.ID, now.Add(24*time.Hour), now)
	w.sync(w.acct.ID)
	// The person edits the event in the calendar; the CRM ignores it.
	var evID string
	for _, e := range w.fake.Events(w.cal) {
		if e.Summary == "Demo for Eve" {
			evID = e.ID
			e.Summary = "Demo for Eve (moved room)"
			if _, err := w.fake.PutEvent(w.cal, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if evID == "" {
		t.Fatal("event not pushed")
	}
	w.fake.PutEvent(w.cal, googlefake.Event{Summary: "Made in the calendar", Start: &googlefake.EventDateTime{DateTime: now.Add(5 * time.Hour).Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: now.Add(6 * time.Hour).Format(time.RFC3339)}})
	w.sync(w.acct.ID)
	r := w.run(OneWay)
	d := w.finding(r, "direction", w.acct.ID)
	if d.Status != Fail || !strings.Contains(d.Summary, "changes made in the calendar were ignored") {
		t.Fatalf("direction: %s %s\n%s", d.Status, d.Summary, dump(r))
	}
	w.fixAll(r)
	r = w.run(OneWay)
	if r.Exit != ExitOK {
		t.Fatalf("after fix exit %d\n%s", r.Exit, dump(r))
	}
	got, _ := store.GetActivity(w.ctx, w.st.DB, a.ID)
	_ = got
}
