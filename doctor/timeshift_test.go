package doctor

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// moveEvents moves every calsync event of the world's calendar by d, as a calendar app
// that read the times in another zone would.
func (w *world) moveEvents(d time.Duration) {
	w.t.Helper()
	for _, e := range w.fake.Events(w.cal) {
		if e.ExtendedProperties == nil || e.Start == nil || e.End == nil {
			continue
		}
		st, _ := time.Parse(time.RFC3339, e.Start.DateTime)
		en, _ := time.Parse(time.RFC3339, e.End.DateTime)
		e.Start = &googlefake.EventDateTime{DateTime: st.Add(d).Format(time.RFC3339)}
		e.End = &googlefake.EventDateTime{DateTime: en.Add(d).Format(time.RFC3339)}
		if _, err := w.fake.PutEvent(w.cal, e); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) starts(ids []string) []time.Time {
	w.t.Helper()
	var out []time.Time
	for _, id := range ids {
		a, err := store.GetActivity(w.ctx, w.st.DB, id)
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, a.Start.UTC())
	}
	return out
}

func TestWrongTimeExplainsAHeldMassShiftAndConfirmsItOnlyWhenAsked(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	var ids []string
	for i := 0; i < 12; i++ {
		a := w.activity("Call "+string(rune('A'+i)), store.TypeCall, w.me.ID, now.Add(time.Duration(24+i)*time.Hour).Truncate(time.Hour), now)
		ids = append(ids, a.ID)
	}
	w.sync(w.acct.ID)
	before := w.starts(ids)
	w.moveEvents(time.Hour)
	w.sync(w.acct.ID) // the guard holds the moves
	if got := w.starts(ids); !got[0].Equal(before[0]) || !got[11].Equal(before[11]) {
		t.Fatalf("the sync moved activities past the guard: %v, was %v", got, before)
	}

	// Home's and the status bar's "!" opens the wrong-time symptom on the account.
	sess, err := NewSession(w.ctx, w.env, SymptomForReason(sync.ReasonTimeShiftGuard))
	if err != nil {
		t.Fatal(err)
	}
	if line := sess.FocusAccount(w.ctx, w.acct.ID); !strings.Contains(line, "held back moves: events moved in the calendar") {
		t.Errorf("focus line: %s", line)
	}
	r := w.run(WrongTime)
	f := w.finding(r, "time-zones", w.acct.ID)
	if f.Status != Fail || !strings.Contains(f.Summary, "moved 12 synced events 1 hour later") || !strings.Contains(f.Remediation, "Likely cause") {
		t.Fatalf("time-zones: %s %s\n%s", f.Status, f.Summary, dump(r))
	}
	held := false
	for _, ev := range f.Evidence {
		held = held || strings.Contains(ev.Observed, "held back 12 events moved 1 hour later")
	}
	if !held {
		t.Errorf("no evidence of the held moves: %+v", f.Evidence)
	}
	var confirm *Fix
	for _, fx := range f.Fixes {
		if fx.ID == "confirm-time-shift" {
			confirm = fx
		}
	}
	if confirm == nil || !confirm.Decision || !confirm.Undoable || confirm.Impact.String() != "move activities 1 hour later 12" {
		t.Fatalf("confirm fix: %+v", confirm)
	}
	// Diagnosing moved nothing, and an unattended --fix --yes leaves the decision alone.
	w.fixAll(r)
	if got := w.starts(ids); !got[0].Equal(before[0]) {
		t.Fatal("diagnosing or an unattended fix moved activities")
	}

	a, err := confirm.Apply(w.ctx, w.env, "")
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	for i, s := range w.starts(ids) {
		if !s.Equal(before[i].Add(time.Hour)) {
			t.Errorf("activity %d at %s after confirming, want %s", i, s, before[i].Add(time.Hour))
		}
	}
	if f := w.finding(w.run(WrongTime), "time-zones", w.acct.ID); f.Status == Fail {
		t.Errorf("still failing after confirming: %s", f.Summary)
	}

	// Undo puts the activities back; the next sync writes those times to the calendar.
	if _, err := Undo(w.ctx, w.env, a.JournalID); err != nil {
		t.Fatal(err)
	}
	for i, s := range w.starts(ids) {
		if !s.Equal(before[i]) {
			t.Errorf("activity %d at %s after undo, want %s", i, s, before[i])
		}
	}
	w.sync(w.acct.ID)
	shifted, compared, err := compareStarts(w.ctx, w.env, mustAccountView(t, w))
	if err != nil || compared != 12 || len(shifted) != 0 {
		t.Errorf("after undo and a sync: %d of %d events off (%v)", len(shifted), compared, err)
	}
}

func TestConfirmShiftRefusesWhenTheCalendarChangedSinceTheDiagnosis(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	for i := 0; i < 10; i++ {
		w.activity("Call "+string(rune('A'+i)), store.TypeCall, w.me.ID, now.Add(time.Duration(24+i)*time.Hour).Truncate(time.Hour), now)
	}
	w.sync(w.acct.ID)
	w.moveEvents(time.Hour)
	w.sync(w.acct.ID)
	fx := confirmShiftFix(mustAccountView(t, w), 10, 1)
	w.moveEvents(time.Hour) // moved again: now 2 hours off
	if _, err := fx.Apply(w.ctx, w.env, ""); err == nil || !strings.Contains(err.Error(), "run the doctor again") {
		t.Fatalf("applied over a changed calendar: %v", err)
	}
	if o, _ := sync.LastOutcome(w.ctx, w.st.DB, w.acct); o.TimeShift != 10 {
		t.Fatalf("the refused fix synced: %+v", o)
	}
}

func mustAccountView(t *testing.T, w *world) *AccountView {
	t.Helper()
	accts, err := LoadAccounts(w.ctx, w.st)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accts {
		if a.Account.ID == w.acct.ID {
			return a
		}
	}
	t.Fatal("no account view")
	return nil
}

func TestWrongTimeSymptomLeadsToTheTimeZoneCheck(t *testing.T) {
	s, err := ParseSymptom("wrong-time")
	if err != nil || s != WrongTime || SymptomTitle(s) != "Events are at the wrong time" {
		t.Fatalf("wrong-time: %q %v %q", s, err, SymptomTitle(s))
	}
	if SymptomForReason(sync.ReasonTimeShiftGuard) != WrongTime {
		t.Error("a held time shift (Home's and the status bar's !) does not open the wrong-time symptom")
	}
	found := false
	for _, c := range Flow(WrongTime) {
		found = found || c.ID == "time-zones"
	}
	if !found {
		t.Error("the wrong-time flow does not check the time zones")
	}
}
