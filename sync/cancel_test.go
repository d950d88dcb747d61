package sync

import (
	"context"
	"errors"
	"testing"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// A run cancelled mid-way (the app quit during its first background sync, Ctrl-C on
// `sync --watch`) gives its lease back at once, records itself as cancelled rather than
// leaving a run "running" or "failed", and the next run finishes the job without a
// duplicate.
func TestCancelledRunReleasesLeaseAndIsRecordedCancelled(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	id := h.localCreate("call Ann", store.TypeCall)
	// Call 1 is the listing, call 2 the create: the context is cancelled as the create
	// goes out, like a quit while the first sync is writing.
	h.wrap = func(p providers.Provider, cancel context.CancelFunc) providers.Provider {
		return &crashingProvider{Provider: p, n: 2, cancel: cancel}
	}
	s, err := h.runWith(RunOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want a cancelled run, got %v", err)
	}
	if !s.Cancelled || s.RunID == "" {
		t.Fatalf("summary does not say cancelled: %+v", s)
	}
	if holder, _, err := store.GetLease(h.ctx, h.st.DB, h.acct.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lease still held by %q after the run was cancelled", holder)
	}
	last, err := store.LastRun(h.ctx, h.st.DB, h.acct.ID)
	if err != nil || last.Status != store.RunCancelled || last.FinishedAt == nil {
		t.Fatalf("last run %+v %v: want status cancelled with a finish time", last, err)
	}
	if js := h.journal(store.JournalQuery{Op: store.OpInfo, Reason: ReasonCancelled}); len(js) != 1 || js[0].RunID != s.RunID {
		t.Fatalf("cancellation journaled %d times:\n%s", len(js), h.dumpJournal())
	}
	acct, _ := store.GetAccount(h.ctx, h.st.DB, h.acct.ID)
	if acct.LastErrorKind != "" || acct.State != store.AccountConnected {
		t.Fatalf("a cancelled run marked the account: %+v", acct)
	}

	// Right after (no TTL wait), another run (a `calsync sync` from the shell) proceeds.
	h.wrap = nil
	s = h.sync()
	if s.Created != 1 || len(h.rem.Live()) != 1 {
		t.Fatalf("next run: %+v, %d events", s, len(h.rem.Live()))
	}
	if _, ok := h.remoteOf(id); !ok {
		t.Fatal("the activity is not in the calendar after the next run")
	}
}

// A process killed mid-run (no chance to clean up) leaves a run row "running"; the next
// run, holding the lease, closes it as cancelled instead of leaving it running forever.
func TestRunOfAKilledProcessIsClosedByTheNextRun(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	dead, err := store.StartRun(h.ctx, h.st.DB, h.acct.ID, h.clock)
	if err != nil {
		t.Fatal(err)
	}
	h.tick()
	s := h.sync()
	runs, err := store.ListRuns(h.ctx, h.st.DB, h.acct.ID, 10)
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %+v %v", runs, err)
	}
	for _, r := range runs {
		switch r.ID {
		case dead:
			if r.Status != store.RunCancelled || r.FinishedAt == nil {
				t.Fatalf("the dead process's run is %+v", r)
			}
		case s.RunID:
			if r.Status != store.RunOK {
				t.Fatalf("this run is %+v", r)
			}
		}
	}
}
