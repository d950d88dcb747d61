package syncstatus

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// slowCalendar's listing hangs until the run's context ends, like a first import over a
// slow network when the person quits.
type slowCalendar struct {
	emptyCalendar
	listing chan struct{}
}

func (s *slowCalendar) Changes(ctx context.Context, _, _ string, _ providers.Window) (providers.ChangePage, error) {
	close(s.listing)
	<-ctx.Done()
	return providers.ChangePage{}, ctx.Err()
}

// Quitting the app during a background sync: Stop cancels the run and returns only once
// the run recorded itself and gave back the lease, so `calsync sync` right after the quit
// is not told "already syncing" for the lease's TTL.
func TestStopDuringRunReleasesTheLeaseBeforeReturning(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store.EnsureMe(ctx, st.DB, "Me", time.Now())
	a, _ := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work"})
	set := store.DefaultSyncSettings(a.ID)
	set.CalendarID, set.Enabled = "cal", true
	store.PutSyncSettings(ctx, st.DB, set)

	cal := &slowCalendar{listing: make(chan struct{})}
	eng := &sync.Engine{Store: st, Open: func(context.Context, store.Account) (providers.Provider, error) { return cal, nil }}
	r := NewRunner(eng)
	r.Start()
	select {
	case <-cal.listing:
	case <-time.After(10 * time.Second):
		t.Fatal("the background sync never started")
	}
	if _, _, err := store.GetLease(ctx, st.DB, a.ID); err != nil {
		t.Fatalf("no lease while syncing: %v", err)
	}
	if !r.Stop() {
		t.Fatal("Stop gave up waiting for the cancelled run")
	}
	if holder, _, err := store.GetLease(ctx, st.DB, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lease still held by %q after Stop returned", holder)
	}
	if run, err := store.LastRun(ctx, st.DB, a.ID); err != nil || run.Status != store.RunCancelled {
		t.Fatalf("run left as %+v (%v), want cancelled", run, err)
	}
	// What the next `calsync sync` does: no wait, no "already syncing".
	next := &sync.Engine{Store: st, Holder: "cli", Open: func(context.Context, store.Account) (providers.Provider, error) {
		return &emptyCalendar{}, nil
	}}
	if _, err := next.Run(ctx, a.ID, sync.RunOptions{}); err != nil {
		t.Fatalf("sync after quitting: %v", err)
	}
	if !r.Stop() {
		t.Fatal("a second Stop must return at once")
	}
}

// Stop before Start (the app quit before its first frame) neither blocks nor panics.
func TestStopBeforeStart(t *testing.T) {
	r := NewRunner(&sync.Engine{})
	if !r.Stop() {
		t.Fatal("Stop without a loop reported a timeout")
	}
	r.Start() // after Stop: does nothing
}
