package syncstatus

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/charmbracelet/x/ansi"
)

// movedCalendar lists every linked event an hour later than calsync wrote it.
type movedCalendar struct {
	emptyCalendar
	events []providers.Event
}

func (c *movedCalendar) Changes(context.Context, string, string, providers.Window) (providers.ChangePage, error) {
	return providers.ChangePage{Full: true, NextCursor: "t1", Events: c.events}, nil
}

// The app's "accept the calendar's times" runs the account through the runner with the
// time-shift guard's moves confirmed: the scheduled run holds them, the confirmed one
// applies them.
func TestRunnerConfirmsAHeldTimeShift(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	store.EnsureMe(ctx, st.DB, "Me", now)
	a, _ := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work"})
	set := store.DefaultSyncSettings(a.ID)
	set.CalendarID, set.Enabled = "cal", true
	past := now.Add(-time.Hour)
	set.ActivatedAt = &past
	store.PutSyncSettings(ctx, st.DB, set)
	cal := &movedCalendar{}
	var ids []string
	for i := 0; i < 10; i++ {
		act, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: store.TypeCall, Subject: "c" + string(rune('A'+i)),
			Start: now.Add(time.Duration(24+i) * time.Hour).Truncate(time.Hour), Duration: 30 * time.Minute, TimeZone: "UTC"}, past)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, act.ID)
		store.InsertLink(ctx, st.DB, store.Link{ActivityID: act.ID, AccountID: a.ID, CalendarID: "cal", RemoteID: "r-" + act.ID,
			RemoteETag: "e1", SyncedRev: act.Rev, State: store.LinkSynced, CreatedAt: past})
		cal.events = append(cal.events, providers.Event{RemoteID: "r-" + act.ID, ETag: "e2", ActivityID: act.ID, Subject: act.Subject,
			Start: act.Start.Add(time.Hour), End: act.Start.Add(90 * time.Minute), TimeZone: "UTC"})
	}
	eng := &sync.Engine{Store: st, Open: func(context.Context, store.Account) (providers.Provider, error) { return cal, nil }}
	r := NewRunner(eng)
	defer r.Stop()
	m := New(testCtx(t, st), r)
	m.Init() // starts the scheduler; its first round is the scheduled run
	next := func() sync.Summary {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			msgc := make(chan any, 1)
			go func() { msgc <- r.Wait()() }()
			select {
			case <-deadline:
				t.Fatal("no PhaseDone from the runner")
			case msg := <-msgc:
				if p, ok := msg.(ProgressMsg); ok && p.Phase == sync.PhaseDone {
					m.Update(p)
					return p.Summary
				}
			}
		}
	}
	if s := next(); s.TimeShiftGuard != 10 {
		t.Fatalf("the scheduled run did not hold the shift: %+v", s)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "sync held back moves") || !strings.Contains(v, "events moved in the calendar, waiting for you") {
		t.Errorf("status bar: %q", v)
	}
	m.ConfirmTimeShift(a.ID)
	if s := next(); s.TimeShiftGuard != 0 || s.Pulled != 10 {
		t.Fatalf("the confirmed run: %+v", s)
	}
	got, _ := store.GetActivity(ctx, st.DB, ids[0])
	if want := now.Add(25 * time.Hour).Truncate(time.Hour); !got.Start.Equal(want) {
		t.Fatalf("activity at %s after confirming, want %s", got.Start, want)
	}
}
