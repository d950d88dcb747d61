package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

func TestEligibilityRulesAreJournaled(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay, func(s *store.SyncSettings) {
		s.Types = []store.ActivityType{store.TypeCall, store.TypeMeeting}
	})
	// Created before sync was switched on: not pushed.
	old, err := store.CreateActivity(h.ctx, h.st.DB, store.ActivityInput{Type: store.TypeCall, Subject: "Old call",
		Start: base.Add(24 * time.Hour)}, base.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	task := h.localCreate("A task", store.TypeTask)
	bob, _ := store.CreateUser(h.ctx, h.st.DB, store.User{Name: "Bob", CreatedAt: base})
	h.tick()
	bobs, _ := store.CreateActivity(h.ctx, h.st.DB, store.ActivityInput{OwnerID: bob.ID, Type: store.TypeCall,
		Subject: "Bob's call", Start: base.Add(24 * time.Hour)}, h.clock)
	h.tick()
	far, _ := store.CreateActivity(h.ctx, h.st.DB, store.ActivityInput{Type: store.TypeCall, Subject: "Next year+",
		Start: base.AddDate(2, 0, 0)}, h.clock)
	ok := h.localCreate("Real call", store.TypeCall)

	s := h.sync()
	if s.Created != 1 {
		t.Fatalf("created %d, want only the real call: %+v", s.Created, s)
	}
	if _, pushed := h.remoteOf(ok); !pushed {
		t.Fatal("eligible call not pushed")
	}
	for id, reason := range map[string]string{old.ID: ReasonBeforeActivation, task: ReasonTypeNotSynced, bobs.ID: ReasonNotOwner} {
		if _, pushed := h.remoteOf(id); pushed {
			t.Errorf("%s pushed", reason)
		}
		if !h.hasJournal(id, store.OpSkipped, reason, "") {
			t.Errorf("no skipped/%s journal entry", reason)
		}
		if s.Skipped[reason] != 1 {
			t.Errorf("summary skipped[%s] = %d", reason, s.Skipped[reason])
		}
	}
	if _, pushed := h.remoteOf(far.ID); pushed {
		t.Error("activity outside the window pushed")
	}
	if !h.hasJournal(far.ID, store.OpSkipped, ReasonOutsideWindow, "sync window") {
		t.Error("outside-window skip not journaled")
	}
	// A quiet second run journals nothing new but still counts the skips.
	n := len(h.journal(store.JournalQuery{}))
	s2 := h.sync()
	if got := len(h.journal(store.JournalQuery{})); got != n {
		t.Errorf("idle run wrote %d journal entries", got-n)
	}
	if s2.Changed() || s2.FullScan {
		t.Errorf("second run not a quiet incremental one: %+v", s2)
	}
	// A preview always reads everything, so its counts are complete.
	if p, _ := h.runWith(RunOptions{DryRun: true}); p.Skipped[ReasonBeforeActivation] != 1 || p.Skipped[ReasonTypeNotSynced] != 1 {
		t.Errorf("preview skip counts %+v", p.Skipped)
	}
	// Backfill brings the old activity in.
	set, _ := store.GetSyncSettings(h.ctx, h.st.DB, h.acct.ID)
	from := base.Add(-30 * 24 * time.Hour)
	set.BackfillFrom = &from
	set.UpdatedAt = h.clock
	store.PutSyncSettings(h.ctx, h.st.DB, set)
	h.sync()
	if _, pushed := h.remoteOf(old.ID); !pushed {
		t.Fatal("backfill did not push the old activity")
	}
}

func TestDryRunPreviewWritesNothing(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay, func(s *store.SyncSettings) {
		s.Enabled = false
		s.ActivatedAt = nil
	})
	for i := 0; i < 3; i++ {
		h.localCreate("existing", store.TypeCall)
	}
	h.remoteCreate("ev1")
	h.remoteCreate("ev2")
	s, err := h.runWith(RunOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	// Not switched on yet: every existing activity predates activation.
	if s.Imported != 2 || s.Pushed != 0 || s.Skipped[ReasonBeforeActivation] != 3 {
		t.Fatalf("preview %+v", s)
	}
	if p := s.Preview(); !strings.Contains(p, "import 2 events") || !strings.Contains(p, "skip 3 created before sync was switched on") {
		t.Fatalf("preview text %q", p)
	}
	if len(h.liveActivities()) != 3 || len(h.journal(store.JournalQuery{})) != 0 {
		t.Fatal("dry run wrote to the store")
	}
	if n, _ := store.CountLinks(h.ctx, h.st.DB, ""); n != 0 {
		t.Fatal("dry run wrote links")
	}
	if _, err := store.GetCursor(h.ctx, h.st.DB, h.acct.ID, "cal"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("dry run saved a cursor")
	}
	// With a backfill the same preview pushes them.
	set, _ := store.GetSyncSettings(h.ctx, h.st.DB, h.acct.ID)
	from := base.Add(-time.Hour)
	set.BackfillFrom = &from
	store.PutSyncSettings(h.ctx, h.st.DB, set)
	s, _ = h.runWith(RunOptions{DryRun: true})
	if s.Pushed != 3 || !strings.Contains(s.Preview(), "push 3 activities") || len(h.rem.Live()) != 2 {
		t.Fatalf("backfill preview %+v %q", s, s.Preview())
	}
	// A real run on a switched-off account refuses.
	if _, err := h.runWith(RunOptions{}); !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled account synced: %v", err)
	}
}

func TestSecondRunnerSaysAlreadySyncing(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	ok, _ := store.AcquireLease(h.ctx, h.st.DB, h.acct.ID, "cron-job", 2*time.Minute, h.clock)
	if !ok {
		t.Fatal("setup lease")
	}
	_, err := h.runWith(RunOptions{})
	if !errors.Is(err, ErrAlreadySyncing) || !strings.Contains(err.Error(), "already syncing") {
		t.Fatalf("want already syncing, got %v", err)
	}
	// Waiting: the other holder's lease expires (it crashed) and this run proceeds.
	h.localCreate("x", store.TypeCall)
	s, err := h.runWith(RunOptions{Wait: 5 * time.Minute})
	if err != nil || s.Created != 1 {
		t.Fatalf("waiting run: %v %+v", err, s)
	}
	if _, _, err := store.GetLease(h.ctx, h.st.DB, h.acct.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("lease not released after the run")
	}
}

func TestConcurrentRunsNeverOverlap(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	for i := 0; i < 20; i++ {
		h.localCreate("c", store.TypeCall)
	}
	// Two engines (the TUI and cron) in parallel goroutines, real clock.
	results := make(chan error, 2)
	for i := 0; i < 2; i++ {
		e := &Engine{Store: h.st, Holder: []string{"tui", "cron"}[i], Now: func() time.Time { return base },
			Open: func(ctx context.Context, a store.Account) (providers.Provider, error) { return h.rem.Provider(), nil }}
		go func() {
			_, err := e.Run(context.Background(), h.acct.ID, RunOptions{})
			results <- err
		}()
	}
	var busy int
	for i := 0; i < 2; i++ {
		if err := <-results; errors.Is(err, ErrAlreadySyncing) {
			busy++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if len(h.rem.Live()) != 20 {
		t.Fatalf("%d events for 20 activities (busy=%d)", len(h.rem.Live()), busy)
	}
}

func TestTokenRevokedMidRunMarksNeedsReauth(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	for i := 0; i < 5; i++ {
		h.localCreate("c", store.TypeCall)
	}
	creates := 0
	h.rem.SetFault(func(op string) error {
		if op == "create" {
			creates++
			if creates > 2 {
				return &providers.Error{Kind: providers.AuthExpired, Provider: "mem", Op: "create event", Status: 401,
					Code: "authError", Message: "Invalid Credentials", Hint: "sign in again"}
			}
		}
		return nil
	})
	s, err := h.runWith(RunOptions{})
	if !providers.IsKind(err, providers.AuthExpired) || !s.Failed || !s.NeedsReauth || s.Created != 2 {
		t.Fatalf("err %v summary %+v", err, s)
	}
	a, _ := store.GetAccount(h.ctx, h.st.DB, h.acct.ID)
	if a.State != store.AccountNeedsReauth || a.LastErrorKind != "AuthExpired" || !strings.Contains(a.LastErrorMessage, "sign in again") {
		t.Fatalf("account %+v", a)
	}
	if len(h.journal(store.JournalQuery{Op: store.OpError, Reason: "AuthExpired"})) == 0 {
		t.Fatal("auth error not journaled")
	}
	// The next run does not hammer the provider: it says what to do.
	if _, err := h.runWith(RunOptions{}); !errors.Is(err, ErrNeedsReauth) || !strings.Contains(err.Error(), "reconnect") {
		t.Fatalf("second run: %v", err)
	}
	// After reconnecting, the rest goes through without duplicates.
	h.rem.SetFault(nil)
	store.SetAccountState(h.ctx, h.st.DB, h.acct.ID, store.AccountConnected, h.clock)
	h.sync()
	if len(h.rem.Live()) != 5 {
		t.Fatalf("%d events for 5 activities", len(h.rem.Live()))
	}
	if a, _ := store.GetAccount(h.ctx, h.st.DB, h.acct.ID); a.LastErrorKind != "" {
		t.Fatal("error not cleared after a good run")
	}
}

func TestRateLimitStormHonoursRetryAfterWithinBudget(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	for i := 0; i < 4; i++ {
		h.localCreate("c", store.TypeCall)
	}
	n := 0
	h.rem.SetFault(func(op string) error {
		n++
		if n%2 == 1 { // every other call is throttled
			return &providers.Error{Kind: providers.RateLimited, Provider: "mem", Status: 429, RetryAfter: 7 * time.Second}
		}
		return nil
	})
	s := h.sync()
	if s.Created != 4 || len(h.rem.Live()) != 4 {
		t.Fatalf("storm: %+v", s)
	}
	for _, d := range h.slept {
		if d != 7*time.Second {
			t.Fatalf("slept %v, want the Retry-After 7s", h.slept)
		}
	}
	// A storm that never ends stops within the budget, as a temporary failure.
	h.rem.SetFault(func(op string) error {
		return &providers.Error{Kind: providers.RateLimited, Provider: "mem", Status: 429, RetryAfter: 20 * time.Second}
	})
	h.slept = nil
	h.localCreate("d", store.TypeCall)
	s, err := h.runWith(RunOptions{})
	if !providers.IsKind(err, providers.RateLimited) || !s.Temporary || !s.Failed {
		t.Fatalf("endless storm: %v %+v", err, s)
	}
	var total time.Duration
	for _, d := range h.slept {
		total += d
	}
	if total > 2*time.Minute || len(h.slept) == 0 {
		t.Fatalf("waited %v over %d sleeps", total, len(h.slept))
	}
	if a, _ := store.GetAccount(h.ctx, h.st.DB, h.acct.ID); a.State != store.AccountConnected || a.LastErrorKind != "RateLimited" {
		t.Fatalf("rate limit should not need a sign-in: %+v", a)
	}
}

func TestCursorExpiredMidRunRelinksWithoutDuplicates(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	for i := 0; i < 7; i++ {
		h.localCreate("local", store.TypeCall)
		h.remoteCreate("remote")
	}
	h.sync()
	before := len(h.rem.Live())
	h.remoteCreate("new remote")
	// The token expires between the first and the second page of the increment.
	pages := 0
	mem := h.rem.(memRemote).p
	h.rem.SetFault(func(op string) error {
		if op == "changes" {
			pages++
			if pages == 2 {
				mem.minSeq = mem.seq + 1
				return &providers.Error{Kind: providers.CursorExpired, Provider: "mem", Status: 410, Code: "fullSyncRequired"}
			}
		}
		return nil
	})
	// Lose some links too, as after a crash of an older version.
	h.st.DB.Exec(`DELETE FROM links WHERE id IN (SELECT id FROM links ORDER BY id LIMIT 5)`)
	store.DeleteCursors(h.ctx, h.st.DB, h.acct.ID)
	store.PutCursor(h.ctx, h.st.DB, store.Cursor{AccountID: h.acct.ID, CalendarID: "cal", Token: "c:0"})
	s := h.sync()
	if !s.FullListing || s.Relinked == 0 {
		t.Fatalf("no full listing / relink: %+v", s)
	}
	if got := len(h.rem.Live()); got != before+1 {
		t.Fatalf("remote events %d, want %d", got, before+1)
	}
	if got := len(h.liveActivities()); got != before+1 {
		t.Fatalf("activities %d, want %d (duplicates?)\n%s", got, before+1, h.dumpJournal())
	}
	if len(h.journal(store.JournalQuery{Op: store.OpInfo, Reason: ReasonCursorExpired})) != 1 {
		t.Fatal("cursor expiry not journaled")
	}
}

func TestEmptyListingDoesNotMassDelete(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	for i := 0; i < 4; i++ {
		h.remoteCreate("ev")
	}
	h.sync()
	// The provider suddenly lists nothing (a wrong calendar, a broken server).
	mem := h.rem.(memRemote).p
	saved := mem.events
	mem.events = map[string]*memEvent{}
	mem.expireCursors()
	s := h.sync()
	if s.MassDeleteGuard != 4 || s.DeletedLocal != 0 || len(h.liveActivities()) != 4 {
		t.Fatalf("guard did not hold: %+v", s)
	}
	if len(h.journal(store.JournalQuery{Reason: ReasonMassDeleteGuard})) != 1 {
		t.Fatal("guard trip not journaled")
	}
	// The next run asks again (no cursor was saved), and with confirmation deletes.
	if s := h.sync(); s.MassDeleteGuard != 4 {
		t.Fatalf("guard not asked again: %+v", s)
	}
	s, err := h.runWith(RunOptions{ConfirmMassDelete: true})
	if err != nil || s.DeletedLocal != 4 || len(h.liveActivities()) != 0 {
		t.Fatalf("confirmed: %v %+v", err, s)
	}
	_ = saved
}

func TestBadEventIsJournaledAndSkipped(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	h.remoteCreate("good")
	bad := &badPageProvider{Provider: h.rem.Provider()}
	h.wrap = func(p providers.Provider, cancel context.CancelFunc) providers.Provider { bad.Provider = p; return bad }
	s := h.sync()
	if s.Imported != 1 || s.Errors != 1 || s.ErrorKind["Invalid"] != 1 || s.Failed {
		t.Fatalf("%+v", s)
	}
	if js := h.journal(store.JournalQuery{Op: store.OpError, RemoteID: "broken-1"}); len(js) != 1 {
		t.Fatalf("bad event not journaled: %v", js)
	}
}

type badPageProvider struct{ providers.Provider }

func (b *badPageProvider) Changes(ctx context.Context, cal, cursor string, win providers.Window) (providers.ChangePage, error) {
	p, err := b.Provider.Changes(ctx, cal, cursor, win)
	if cursor == "" {
		p.Bad = append(p.Bad, providers.BadEvent{RemoteID: "broken-1",
			Err: &providers.Error{Kind: providers.Invalid, Provider: "mem", Message: "DTSTART missing"}})
	}
	return p, err
}

func TestLocalResetRelinksByTagInsteadOfImporting(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	id := h.localCreate("Tagged", store.TypeCall)
	h.sync()
	// All links and cursors lost (restored backup, reset): the tagged event is linked
	// back to its activity, not imported as a copy.
	h.st.DB.Exec(`DELETE FROM links`)
	h.st.DB.Exec(`DELETE FROM cursors`)
	s := h.sync()
	if s.Relinked != 1 || s.Imported != 0 || len(h.liveActivities()) != 1 || len(h.rem.Live()) != 1 {
		t.Fatalf("%+v\n%s", s, h.dumpJournal())
	}
	if _, ok := h.remoteOf(id); !ok {
		t.Fatal("not relinked")
	}
	// A fresh database entirely: the event comes back under the same activity id.
	h2 := newHarness(t, func(testing.TB, func() time.Time) remote { return h.rem }, store.DirTwoWay)
	h2.sync()
	if _, err := store.GetActivity(h2.ctx, h2.st.DB, id); err != nil {
		t.Fatalf("restored activity has a new id: %v", err)
	}
	h2.sync()
	if len(h.rem.Live()) != 1 || len(h2.liveActivities()) != 1 {
		t.Fatal("duplicates after a reset")
	}
}

func TestCrashAfterCreateNeverDuplicates(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	id := h.localCreate("Once", store.TypeCall)
	// Crash right after the provider created the event: the answer is lost.
	h.wrap = func(p providers.Provider, cancel context.CancelFunc) providers.Provider {
		return &crashingProvider{Provider: p, n: 2, after: true, cancel: cancel}
	}
	if _, err := h.runWith(RunOptions{}); err == nil {
		t.Fatal("crash not reported")
	}
	l, err := store.GetLinkByActivity(h.ctx, h.st.DB, h.acct.ID, "", id)
	if err != nil || l.State != store.LinkPendingCreate {
		t.Fatalf("pending link missing: %+v %v", l, err)
	}
	h.wrap = nil
	h.clock = h.clock.Add(time.Hour) // the crashed run's lease has expired
	h.sync()
	if len(h.rem.Live()) != 1 {
		t.Fatalf("%d events after a crashed create", len(h.rem.Live()))
	}
	if l, _ := store.GetLinkByActivity(h.ctx, h.st.DB, h.acct.ID, "", id); l.State != store.LinkSynced {
		t.Fatalf("link %+v", l)
	}
}

func TestProgressReportsPushTotals(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	for i := 0; i < 25; i++ {
		h.localCreate("c", store.TypeCall)
	}
	var last Progress
	var phases []string
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	e := h.engine(ctx, cancel)
	e.PageSize = 10 // several batches: a "long" push
	e.Observer = func(p Progress) {
		phases = append(phases, p.Phase)
		if p.Phase == PhasePush {
			last = p
		}
	}
	h.clock = h.clock.Add(time.Second)
	if _, err := e.Run(ctx, h.acct.ID, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if last.Total != 25 || last.Done != 25 || last.Summary.Created != 25 {
		t.Fatalf("last push progress %+v", last)
	}
	if phases[0] != PhaseStart || phases[len(phases)-1] != PhaseDone {
		t.Fatalf("phases %v", phases)
	}
}

func TestReadOnlyCalendarStopsWritesAndTellsTheAccount(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	for i := 0; i < 3; i++ {
		h.localCreate("c", store.TypeCall)
	}
	h.rem.SetFault(func(op string) error {
		if op == "create" {
			return &providers.Error{Kind: providers.ReadOnly, Provider: "mem", Op: "create event", Status: 403,
				Code: "requiredAccessLevel", Message: "You need to have writer access to this calendar.",
				Hint: "choose a calendar you can write to, or sync from-calendar"}
		}
		return nil
	})
	s := h.sync()
	if s.Failed || s.Errors != 1 || s.Skipped[ReasonReadOnlyCalendar] != 2 || len(h.rem.Live()) != 0 {
		t.Fatalf("%+v", s)
	}
	a, _ := store.GetAccount(h.ctx, h.st.DB, h.acct.ID)
	if a.LastErrorKind != "ReadOnly" || !strings.Contains(a.LastErrorMessage, "writer access") {
		t.Fatalf("account %+v", a)
	}
	// Once the calendar is writable again, everything goes through, once.
	h.rem.SetFault(nil)
	h.sync()
	if len(h.rem.Live()) != 3 {
		t.Fatalf("%d events", len(h.rem.Live()))
	}
	if a, _ := store.GetAccount(h.ctx, h.st.DB, h.acct.ID); a.LastErrorKind != "" {
		t.Fatalf("error kept after a clean run: %+v", a)
	}
}

func TestUpdateOfVanishedEventIsACalendarDeletion(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	id := h.localCreate("Moved away", store.TypeCall)
	h.sync()
	// The event disappears without a trace in the change log (moved to another calendar).
	mem := h.rem.(memRemote).p
	delete(mem.events, remoteIDFor(id))
	h.localEdit(id, "Moved away (edited)")
	s := h.sync()
	if s.Errors != 0 || s.Conflicts != 1 || h.activity(id).DeletedAt == nil {
		t.Fatalf("%+v", s)
	}
	if !h.hasJournal(id, store.OpConflict, ReasonRemoteWon, "Moved away (edited)") {
		t.Fatalf("the local edit is not kept in the journal\n%s", h.dumpJournal())
	}
	if s := h.sync(); s.Errors != 0 || s.Changed() {
		t.Fatalf("not settled: %+v", s)
	}
}

func TestLinksDroppedOutsideTheEngineAreFoundAgain(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	for i := 0; i < 3; i++ {
		h.localCreate(fmt.Sprint("c", i), store.TypeCall)
	}
	h.sync()
	if s := h.sync(); s.FullScan {
		t.Fatalf("second run read everything: %+v", s)
	}
	// Someone else (a resync fix, a restored backup) dropped two links; nothing changed
	// on the activities themselves, so only the link count tells.
	h.st.DB.Exec(`DELETE FROM links WHERE id IN (SELECT id FROM links ORDER BY id LIMIT 2)`)
	s := h.sync()
	if !s.FullScan {
		t.Fatalf("lost links not noticed: %+v", s)
	}
	if n, _ := store.CountLinks(h.ctx, h.st.DB, h.acct.ID); n != 3 || len(h.rem.Live()) != 3 {
		t.Fatalf("%d links, %d events", n, len(h.rem.Live()))
	}
}

// Removing an account keeps its activities but drops its links. Connecting the same
// calendar again must adopt the events it imported, not import each a second time.
func TestReaddedAccountAdoptsItsEarlierImports(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	h.remoteCreate("Dentist")
	h.remoteCreate("Board meeting")
	h.localCreate("Call Ana", store.TypeCall)
	h.sync()
	if n := len(h.liveActivities()); n != 3 {
		t.Fatalf("%d activities after the first sync, want 3", n)
	}
	settings, err := store.GetSyncSettings(h.ctx, h.st.DB, h.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteAccount(h.ctx, h.st.DB, h.acct.ID); err != nil {
		t.Fatal(err)
	}
	h.acct, err = store.CreateAccount(h.ctx, h.st.DB, store.Account{Kind: "google", Name: "Work again", Login: "me@example.com", CreatedAt: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	settings.AccountID = h.acct.ID
	if err := store.PutSyncSettings(h.ctx, h.st.DB, settings); err != nil {
		t.Fatal(err)
	}
	h.sync()
	live := h.liveActivities()
	if len(live) != 3 {
		t.Fatalf("%d activities after re-adding the account, want 3 (no copies)\n%s", len(live), h.dumpJournal())
	}
	if n := len(h.rem.Live()); n != 3 {
		t.Fatalf("%d events, want 3", n)
	}
	for _, subj := range []string{"Dentist", "Board meeting"} {
		acts := h.localBySubject(subj)
		if len(acts) != 1 || acts[0].Origin != h.acct.ID {
			t.Fatalf("%s: %+v", subj, acts)
		}
	}
	if h.sync().Changed() {
		t.Fatal("a second run after adopting still changed something")
	}
}

// A first import's listing does not say how many events it holds, so the pull phase
// reports how far it got: events and pages read so far, growing page by page.
func TestProgressReportsPullPagesAndEvents(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	for i := 0; i < 8; i++ { // the in-memory calendar pages by 3: pages of 3, 3, 2
		h.remoteCreate("meeting")
	}
	var pulls []Progress
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	e := h.engine(ctx, cancel)
	e.Observer = func(p Progress) {
		if p.Phase == PhasePull {
			pulls = append(pulls, p)
		}
	}
	h.clock = h.clock.Add(time.Second)
	if _, err := e.Run(ctx, h.acct.ID, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(pulls) != 3 {
		t.Fatalf("%d pull progress events, want one per page: %+v", len(pulls), pulls)
	}
	for i, p := range pulls {
		if p.Pages != i+1 || p.Total != 0 {
			t.Fatalf("pull progress %d: %+v", i, p)
		}
	}
	if last := pulls[2]; last.Done != 8 || last.Summary.Imported != 8 {
		t.Fatalf("last pull progress %+v", last)
	}
}
