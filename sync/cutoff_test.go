package sync

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// The cutoff was compared to the second: an activity created in the same second as sync
// was switched on, but before it, was pushed. Both stamps keep their nanoseconds now.
func TestActivationCutoffIsExact(t *testing.T) {
	act := base.Add(500 * time.Millisecond)
	h := newHarness(t, memFactory, store.DirTwoWay, func(s *store.SyncSettings) { s.ActivatedAt = &act })
	create := func(subject string, at time.Time) string {
		a, err := store.CreateActivity(h.ctx, h.st.DB, store.ActivityInput{Type: store.TypeCall, Subject: subject,
			Start: base.Add(24 * time.Hour), Duration: 30 * time.Minute}, at)
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	before := create("Just before", base.Add(200*time.Millisecond))
	after := create("Just after", base.Add(800*time.Millisecond))
	s := h.sync()
	if s.Created != 1 || s.Skipped[ReasonBeforeActivation] != 1 {
		t.Fatalf("summary %+v: want only the activity created after activation pushed", s)
	}
	if _, ok := h.remoteOf(after); !ok {
		t.Error("the activity created 0.3 s after activation is not in the calendar")
	}
	if _, ok := h.remoteOf(before); ok {
		t.Error("the activity created 0.3 s before activation was pushed")
	}
	// The journal's wording tells the two times apart.
	es := h.journal(store.JournalQuery{ActivityID: before, Reason: ReasonBeforeActivation})
	if len(es) != 1 || !strings.Contains(es[0].Detail, "09:00:00.200") || !strings.Contains(es[0].Detail, "09:00:00.500") {
		t.Fatalf("journal %+v: want both times to the millisecond", es)
	}
}

func TestCutoffLayout(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 4, 5, 250e6, time.UTC)
	for _, c := range []struct {
		other time.Time
		want  string
	}{
		{at.Add(2 * time.Minute), "2026-03-02 09:04"},
		{at.Add(20 * time.Second), "2026-03-02 09:04:05"},
		{at.Add(100 * time.Millisecond), "2026-03-02 09:04:05.250"},
		{at.Add(10), "2026-03-02 09:04:05.250000000"},
	} {
		if got := at.Format(CutoffLayout(at, c.other)); got != c.want {
			t.Errorf("%v vs %v: %q, want %q", at, c.other, got, c.want)
		}
	}
}
