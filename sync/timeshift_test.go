package sync

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// userMove moves an event as a calendar app that read its times in another zone would:
// start and end by the same offset, nothing else.
func (p *memProvider) userMove(id string, d time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.events[id]
	if !ok || e.deleted {
		return false
	}
	e.ev.Start, e.ev.End = e.ev.Start.Add(d), e.ev.End.Add(d)
	p.bump(e)
	return true
}

// shiftHarness has n events made in the calendar and synced (imported and linked).
func shiftHarness(t *testing.T, n int) (*harness, *memProvider, []string) {
	t.Helper()
	h := newHarness(t, memFactory, store.DirTwoWay)
	var ids []string
	for i := 0; i < n; i++ {
		ids = append(ids, h.remoteCreate("Meeting "+string(rune('A'+i))))
	}
	if s := h.sync(); s.Imported != n {
		t.Fatalf("setup: imported %d, want %d", s.Imported, n)
	}
	return h, h.rem.(memRemote).p, ids
}

func (h *harness) startOf(remoteID string) time.Time {
	h.t.Helper()
	a, ok := h.activityOf(remoteID)
	if !ok {
		h.t.Fatalf("no activity for %s", remoteID)
	}
	return a.Start
}

func TestTimeShiftGuardHoldsAMassOneHourShift(t *testing.T) {
	h, mem, ids := shiftHarness(t, 12)
	before := map[string]time.Time{}
	for _, id := range ids {
		before[id] = h.startOf(id)
		mem.userMove(id, time.Hour)
	}
	// One ordinary edit in the same listing is applied as usual.
	h.remoteEdit(ids[0], "Meeting A (moved room)")
	s := h.sync()
	if s.TimeShiftGuard != 11 || s.TimeShiftHours != 1 {
		t.Fatalf("guard: %d moves of %dh, want 11 of 1h\n%+v", s.TimeShiftGuard, s.TimeShiftHours, s)
	}
	for _, id := range ids[1:] {
		if got := h.startOf(id); !got.Equal(before[id]) {
			t.Errorf("%s moved to %s while the guard held (was %s)", id, got, before[id])
		}
	}
	// The edited one changed more than its time: not a zone shift, applied.
	if a, _ := h.activityOf(ids[0]); a.Subject != "Meeting A (moved room)" || !a.Start.Equal(before[ids[0]].Add(time.Hour)) {
		t.Errorf("the ordinary edit was not applied: %q at %s", a.Subject, a.Start)
	}
	js := h.journal(store.JournalQuery{Reason: ReasonTimeShiftGuard})
	if len(js) != 1 || !strings.Contains(js[0].Detail, "11 synced events 1 hour later") || !strings.Contains(js[0].Detail, "--confirm-time-shift") {
		t.Fatalf("journal: %+v", js)
	}
	if o := s.Outcome(); o.State != OutcomePartial || o.Reason != ReasonTimeShiftGuard || o.TimeShift != 11 {
		t.Errorf("outcome %+v", o)
	}
	if !strings.Contains(s.Line(), "held 11 moved 1 hour later") {
		t.Errorf("line: %s", s.Line())
	}
	// The calendar still shows the shifted times: nothing was pushed back over them.
	for _, id := range ids[1:] {
		if ev := mem.live()[id]; !ev.Start.Equal(before[id].Add(time.Hour)) {
			t.Errorf("calendar event %s at %s, want the shifted time", id, ev.Start)
		}
	}

	// The token was kept: the next run sees the moves again and asks again.
	s = h.sync()
	if s.TimeShiftGuard != 11 {
		t.Fatalf("second run did not ask again: %+v", s)
	}
	if h.startOf(ids[1]) != before[ids[1]] {
		t.Fatal("moved on the second run")
	}

	// Confirmed: every held move is applied, and afterwards nothing is left to ask.
	s, err := h.runWith(RunOptions{ConfirmTimeShift: true})
	if err != nil || s.TimeShiftGuard != 0 || s.Pulled != 11 {
		t.Fatalf("confirmed: %v %+v", err, s)
	}
	for _, id := range ids {
		if got := h.startOf(id); !got.Equal(before[id].Add(time.Hour)) {
			t.Errorf("%s at %s after confirming, want %s", id, got, before[id].Add(time.Hour))
		}
	}
	if s := h.sync(); s.TimeShiftGuard != 0 || s.Pulled != 0 || s.Pushed != 0 {
		t.Fatalf("run after confirming: %+v", s)
	}
}

func TestTimeShiftGuardHoldsInAFullListingToo(t *testing.T) {
	h, mem, ids := shiftHarness(t, 10)
	for _, id := range ids {
		mem.userMove(id, -2*time.Hour)
	}
	mem.expireCursors()
	s := h.sync()
	if !s.FullListing || s.TimeShiftGuard != 10 || s.TimeShiftHours != -2 {
		t.Fatalf("full listing: %+v", s)
	}
	if c, err := store.GetCursor(h.ctx, h.st.DB, h.acct.ID, "cal"); err == nil {
		t.Fatalf("a token was saved after the guard tripped on a full listing: %+v", c)
	}
}

func TestTimeShiftGuardLetsOrdinaryMovesThrough(t *testing.T) {
	cases := []struct {
		name  string
		moves func(mem *memProvider, ids []string)
	}{
		{"fewer than ten", func(mem *memProvider, ids []string) {
			for _, id := range ids[:9] {
				mem.userMove(id, time.Hour)
			}
		}},
		{"mixed offsets", func(mem *memProvider, ids []string) {
			for i, id := range ids {
				d := time.Hour
				if i%2 == 1 {
					d = -time.Hour
				}
				mem.userMove(id, d)
			}
		}},
		{"not whole hours", func(mem *memProvider, ids []string) {
			for _, id := range ids {
				mem.userMove(id, 30*time.Minute)
			}
		}},
		{"not most of the changes", func(mem *memProvider, ids []string) {
			for _, id := range ids[:10] {
				mem.userMove(id, time.Hour)
			}
			for _, id := range ids[10:] {
				mem.userEdit(id, "renamed")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, mem, ids := shiftHarness(t, 20)
			before := map[string]time.Time{}
			for _, id := range ids {
				before[id] = h.startOf(id)
			}
			tc.moves(mem, ids)
			s := h.sync()
			if s.TimeShiftGuard != 0 || len(h.journal(store.JournalQuery{Reason: ReasonTimeShiftGuard})) != 0 {
				t.Fatalf("the guard tripped: %+v", s)
			}
			for _, id := range ids {
				want := mem.live()[id].Start
				if got := h.startOf(id); !got.Equal(want) {
					t.Errorf("%s at %s, the calendar says %s", id, got, want)
				}
			}
			if s := h.sync(); s.Pulled != 0 {
				t.Errorf("the moves came again: %+v", s)
			}
		})
	}
}

func TestTimeShiftGuardInADryRunChangesNothing(t *testing.T) {
	h, mem, ids := shiftHarness(t, 10)
	before := h.startOf(ids[0])
	for _, id := range ids {
		mem.userMove(id, time.Hour)
	}
	s, err := h.runWith(RunOptions{DryRun: true, ConfirmTimeShift: true})
	if err != nil || s.Pulled != 10 {
		t.Fatalf("dry run confirming: %v %+v", err, s)
	}
	s, err = h.runWith(RunOptions{DryRun: true})
	if err != nil || s.TimeShiftGuard != 10 || !strings.Contains(s.Preview(), "hold back 10 events the calendar moved 1 hour later") {
		t.Fatalf("dry run: %v %+v %s", err, s, s.Preview())
	}
	if got := h.startOf(ids[0]); !got.Equal(before) {
		t.Fatal("a dry run moved an activity")
	}
}

// A run that holds a shift and also writes reads the calendar again after its writes (the
// settle read, settle.go): the moves come again there and stay held, asked about once.
func TestTimeShiftGuardHoldsThroughTheSettleRead(t *testing.T) {
	h, mem, ids := shiftHarness(t, 12)
	before := h.startOf(ids[3])
	for _, id := range ids {
		mem.userMove(id, time.Hour)
	}
	h.localCreate("New call", store.TypeCall)
	s := h.sync()
	if s.TimeShiftGuard != 12 || s.Created != 1 || !s.Settled {
		t.Fatalf("run: %+v", s)
	}
	if n := len(h.journal(store.JournalQuery{Reason: ReasonTimeShiftGuard})); n != 1 {
		t.Fatalf("%d guard entries for one run", n)
	}
	if !h.startOf(ids[3]).Equal(before) {
		t.Fatal("the settle read applied a held move")
	}
	if s := h.sync(); s.TimeShiftGuard != 12 || s.Pushed != 0 {
		t.Fatalf("next run: %+v", s)
	}
	if s, err := h.runWith(RunOptions{ConfirmTimeShift: true}); err != nil || s.Pulled != 12 || !h.startOf(ids[3]).Equal(before.Add(time.Hour)) {
		t.Fatalf("confirmed: %v %+v", err, s)
	}
}
