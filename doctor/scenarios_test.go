package doctor

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav/caldavfake"
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
	if lf.Status != Fail || !strings.Contains(lf.Summary, "owner: Bruno") || !strings.Contains(lf.Summary, "types: call, meeting, task, deadline") {
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
	// What was made and edited in the calendar while it was ignored now comes back.
	if got, _ := store.GetActivity(w.ctx, w.st.DB, a.ID); got.Subject != "Demo for Eve (moved room)" {
		t.Fatalf("the calendar edit did not come back: %q", got.Subject)
	}
	if ids := findBySubject(w.ctx, w.st, "Made in the calendar"); len(ids) != 1 {
		t.Fatalf("the calendar-made event was not imported once: %v", ids)
	}
}

func TestScenarioReadOnlyCalendar(t *testing.T) {
	w := newWorld(t)
	if err := w.fake.AddCalendar(googlefake.Calendar{ID: "team@group.calendar.google.com", Summary: "Team", TimeZone: "UTC", AccessRole: "reader"}); err != nil {
		t.Fatal(err)
	}
	w.settings(w.acct.ID, func(s *store.SyncSettings) { s.CalendarID = "team@group.calendar.google.com" })
	now := time.Now().UTC()
	w.activity("Offer for Fiona", store.TypeCall, w.me.ID, now.Add(24*time.Hour), now)
	_ = w.env.Sync(w.ctx, w.acct.ID) // the push is refused: read-only
	r := w.run(OneWay)
	c := w.finding(r, "calendar", w.acct.ID)
	if c.Status != Fail || !strings.Contains(c.Summary, "read-only") || len(c.Fixes) != 1 || c.Fixes[0].ID != "use-writable-calendar" {
		t.Fatalf("calendar: %s %s\n%s", c.Status, c.Summary, dump(r))
	}
	if le := w.finding(r, "last-error", w.acct.ID); le.Status != Fail || !strings.Contains(le.Summary, "ReadOnly") {
		t.Fatalf("last-error should report the refused pushes: %s %s", le.Status, le.Summary)
	}
	w.fixAll(r)
	r = w.run(OneWay)
	if r.Exit != ExitOK {
		t.Fatalf("after fix exit %d\n%s", r.Exit, dump(r))
	}
	if _, rem := w.counts(); rem != 1 {
		t.Fatalf("the activity should now be in the writable calendar: %d", rem)
	}
}

func TestScenarioDuplicatesTwoAccounts(t *testing.T) {
	w := newWorld(t)
	second := w.addAccount("Work (again)", time.Now().Add(-time.Hour), []string{googlefake.ScopeCalendar})
	now := time.Now().UTC()
	for i, s := range []string{"Team standup", "Budget review", "Offsite planning"} {
		st := now.Add(time.Duration(i+1) * 24 * time.Hour)
		if _, err := w.fake.PutEvent(w.cal, googlefake.Event{Summary: s, Start: &googlefake.EventDateTime{DateTime: st.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: st.Add(time.Hour).Format(time.RFC3339)}}); err != nil {
			t.Fatal(err)
		}
	}
	w.sync(w.acct.ID)
	w.sync(second.ID)
	loc, rem := w.counts()
	if loc != 6 || rem != 3 {
		t.Fatalf("scenario not reproduced: local %d remote %d", loc, rem)
	}
	r := w.run(Duplicates)
	d := w.finding(r, "duplicates", "")
	if d.Status != Fail || !strings.Contains(d.Summary, "3 activities are extra copies") || !strings.Contains(d.Summary, "two accounts") {
		t.Fatalf("duplicates: %s\n%s", d.Summary, dump(r))
	}
	var ids []string
	for _, fx := range d.Fixes {
		ids = append(ids, fx.ID)
		if fx.ID == "merge" && fx.Impact.String() != "merge 3, delete 0" {
			t.Fatalf("merge impact %q", fx.Impact.String())
		}
	}
	if strings.Join(ids, ",") != "stop-sync,merge" {
		t.Fatalf("fixes %v", ids)
	}
	applied := w.fixAll(r)
	w.sync(w.acct.ID)
	r = w.run(Duplicates)
	if r.Exit != ExitOK {
		t.Fatalf("after fixes exit %d\n%s", r.Exit, dump(r))
	}
	loc, rem = w.counts()
	if loc != 3 || rem != 3 {
		t.Fatalf("after merge: local %d remote %d, want 3 and 3 (nothing lost, nothing duplicated)", loc, rem)
	}
	s2, _ := store.GetSyncSettings(w.ctx, w.st.DB, second.ID)
	if s2.Enabled {
		t.Fatal("sync of the second account should be stopped")
	}
	// Undo the merge: the copies come back, none was ever deleted.
	for i := len(applied) - 1; i >= 0; i-- {
		if _, err := Undo(w.ctx, w.env, applied[i].JournalID); err != nil {
			t.Fatal(err)
		}
	}
	if loc, _ = w.counts(); loc != 6 {
		t.Fatalf("after undo: %d activities, want the 6 again", loc)
	}
	if s2, _ = store.GetSyncSettings(w.ctx, w.st.DB, second.ID); !s2.Enabled {
		t.Fatal("undo should switch the second account back on")
	}
}

func TestScenarioDuplicatesLostLinks(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	start := now.Add(48 * time.Hour).Truncate(time.Minute)
	// An activity that was in the calendar before local state was lost: its event is
	// there (without calsync's tag), the link is gone, and the next sync imports it.
	orig := w.activity("Pipeline review", store.TypeMeeting, w.me.ID, start, now.Add(-3*24*time.Hour))
	if _, err := w.fake.PutEvent(w.cal, googlefake.Event{Summary: "Pipeline review", Start: &googlefake.EventDateTime{DateTime: start.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: start.Add(30 * time.Minute).Format(time.RFC3339)}}); err != nil {
		t.Fatal(err)
	}
	w.sync(w.acct.ID)
	if loc, _ := w.counts(); loc != 2 {
		t.Fatalf("scenario not reproduced: %d activities", loc)
	}
	r := w.run(Duplicates)
	d := w.finding(r, "duplicates", "")
	if d.Status != Fail || !strings.Contains(d.Summary, "lost its links") {
		t.Fatalf("duplicates: %s\n%s", d.Summary, dump(r))
	}
	w.fixAll(r)
	w.sync(w.acct.ID)
	r = w.run(Duplicates)
	if r.Exit != ExitOK {
		t.Fatalf("after merge exit %d\n%s", r.Exit, dump(r))
	}
	loc, rem := w.counts()
	if loc != 1 || rem != 1 {
		t.Fatalf("after merge: local %d remote %d", loc, rem)
	}
	// The original keeps the event's link: it is in the calendar again.
	x, err := Explain(w.ctx, w.st, &Target{Activity: mustGet(t, w, orig.ID), ID: orig.ID, Subject: orig.Subject}, time.Now())
	if err != nil || !x.Verdicts[0].In {
		t.Fatalf("explain after merge: %+v %v", x, err)
	}
}

func mustGet(t *testing.T, w *world, id string) store.Activity {
	a, err := store.GetActivity(w.ctx, w.st.DB, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestScenarioMissingScope(t *testing.T) {
	w := newWorld(t)
	w.fake.SetGrantedScopes([]string{"openid", "email"})
	w.issueToken(w.acct.ID, []string{"openid", "email"})
	if err := w.env.Sync(w.ctx, w.acct.ID); err == nil {
		t.Fatal("sync should fail without calendar scope")
	}
	r := w.run(Permissions)
	sc := w.finding(r, "scopes", w.acct.ID)
	if sc.Status != Fail || !strings.Contains(sc.Summary, "missing https://www.googleapis.com/auth/calendar") || !strings.Contains(sc.Remediation, "https://myaccount.google.com/permissions") {
		t.Fatalf("scopes: %s / %s", sc.Summary, sc.Remediation)
	}
	if len(sc.Fixes) != 1 || sc.Fixes[0].ID != "reconnect" || !sc.Fixes[0].Interactive {
		t.Fatalf("scopes should offer an interactive reconnect")
	}
	// --fix --yes cannot sign in for the person: the problem remains.
	if got := w.fixAll(r); len(got) != 0 {
		t.Fatalf("non-interactive fixes applied: %+v", got)
	}
	// A person reconnects and ticks the box.
	w.env.Reconnect = func(ctx context.Context, id string) error {
		w.fake.SetGrantedScopes(nil)
		w.issueToken(id, []string{googlefake.ScopeCalendar})
		if err := store.ClearAccountError(ctx, w.st.DB, id, time.Now()); err != nil {
			return err
		}
		return store.SetAccountState(ctx, w.st.DB, id, store.AccountConnected, time.Now())
	}
	if _, err := sc.Fixes[0].Apply(w.ctx, w.env, ""); err != nil {
		t.Fatal(err)
	}
	w.sync(w.acct.ID)
	if r = w.run(Permissions); r.Exit != ExitOK {
		t.Fatalf("after reconnect exit %d\n%s", r.Exit, dump(r))
	}
}

func TestScenarioAdminBlocked(t *testing.T) {
	w := newWorld(t)
	w.fake.SetFaults(googlefake.Faults{AdminPolicyEnforced: true})
	w.fake.ExpireAccessTokens()
	w.issueToken(w.acct.ID, []string{googlefake.ScopeCalendar})
	w.fake.ExpireAccessTokens()
	if err := w.env.Sync(w.ctx, w.acct.ID); err == nil {
		t.Fatal("sync should be refused")
	}
	r := w.run(Permissions)
	ap := w.finding(r, "admin-policy", w.acct.ID)
	if ap.Status != Fail || ap.Actor != ActorAdmin || !strings.Contains(ap.AdminNote, "calsync-test.apps.googleusercontent.com") || !strings.Contains(ap.AdminNote, "API controls") {
		t.Fatalf("admin-policy: %s %s\n%s\n%s", ap.Status, ap.Summary, ap.AdminNote, dump(r))
	}
	if r.Exit != ExitProblem {
		t.Fatalf("exit %d", r.Exit)
	}
}

func TestScenarioExpiredTokenTestingApp(t *testing.T) {
	w := newWorld(t)
	old := w.addAccount("Personal", time.Now().Add(-7*24*time.Hour-time.Hour), []string{googlefake.ScopeCalendar})
	w.fake.RevokeTokens()
	w.fake.ExpireAccessTokens()
	if err := w.env.Sync(w.ctx, old.ID); err == nil {
		t.Fatal("sync should fail with a revoked token")
	}
	r := w.run(CantConnect)
	c := w.finding(r, "connection", old.ID)
	if c.Status != Fail || !strings.Contains(c.Summary, "expired or was revoked") || !strings.Contains(c.Summary, "7 days after sign-in") {
		t.Fatalf("connection: %s\n%s", c.Summary, dump(r))
	}
	if len(c.Fixes) != 1 || c.Fixes[0].ID != "reconnect" {
		t.Fatalf("want a reconnect fix")
	}
}

func TestScenarioNetworkDown(t *testing.T) {
	w := newWorld(t)
	w.srv.Close() // the provider's host stops answering
	r := w.run(CantConnect)
	n := w.finding(r, "network", w.acct.ID)
	if n.Status != Fail || !strings.HasPrefix(n.Summary, "TCP") {
		t.Fatalf("network: %s %s", n.Status, n.Summary)
	}
	c := w.finding(r, "connection", w.acct.ID)
	if c.Status != Unverified || !c.Temporary {
		t.Fatalf("connection with the network down must be 'could not check', got %s %s", c.Status, c.Summary)
	}
	if cl := w.finding(r, "clock", w.acct.ID); cl.Status != Unverified {
		t.Fatalf("clock without an answer must be unverified, got %s", cl.Status)
	}
}

func TestScenarioAppPassword(t *testing.T) {
	w := newWorld(t)
	fake := caldavfake.New(caldavfake.Options{})
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	cal := fake.AddCalendar("work", "Work")
	normal, app := fake.Passwords()
	a, err := store.CreateAccount(w.ctx, w.st.DB, store.Account{Kind: "caldav", Name: "Nextcloud", Login: fake.User(), ServerURL: srv.URL,
		AuthKind: "password", State: store.AccountConnected, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutSecret(w.ctx, w.st.DB, a.ID, "password", []byte(normal), time.Now()); err != nil {
		t.Fatal(err)
	}
	w.settings(a.ID, func(s *store.SyncSettings) {
		s.CalendarID, s.Enabled = cal, true
		act := time.Now().Add(-time.Hour)
		s.ActivatedAt = &act
	})
	if err := w.env.Sync(w.ctx, a.ID); err == nil {
		t.Fatal("the normal password should be refused")
	}
	r := w.run(CantConnect)
	c := w.finding(r, "connection", a.ID)
	if c.Status != Fail || !strings.Contains(c.Summary, "app-specific password") || !strings.Contains(c.Remediation, "Nextcloud") {
		t.Fatalf("connection: %s / %s\n%s", c.Summary, c.Remediation, dump(r))
	}
	fx := c.Fixes[0]
	if fx.ID != "app-password" || fx.Input == nil || !fx.Input.Secret {
		t.Fatalf("want an app-password fix with a secret field, got %+v", fx)
	}
	// A wrong paste is tested live and refused; nothing is saved.
	if _, err := fx.Apply(w.ctx, w.env, "not-the-app-password"); err == nil || strings.Contains(err.Error(), "not-the-app-password") {
		t.Fatalf("wrong password: %v", err)
	}
	if _, sec, _ := store.GetSecret(w.ctx, w.st.DB, a.ID); string(sec) != normal {
		t.Fatal("a refused password must not be saved")
	}
	if _, err := fx.Apply(w.ctx, w.env, app); err != nil {
		t.Fatal(err)
	}
	w.sync(a.ID)
	r = w.run(CantConnect)
	if f := w.finding(r, "connection", a.ID); f.Status != Pass {
		t.Fatalf("after the app password: %s %s", f.Status, f.Summary)
	}
	if r.Exit != ExitOK {
		t.Fatalf("exit %d\n%s", r.Exit, dump(r))
	}
}

func TestScenarioStaleStateResyncRelinksWithoutDuplicates(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	for i := 0; i < 3; i++ {
		w.activity(fmt.Sprintf("Follow-up %d", i), store.TypeCall, w.me.ID, now.Add(time.Duration(i+1)*time.Hour), now)
	}
	w.sync(w.acct.ID)
	// Local state is lost: the links go (as after restoring an old database).
	links, err := store.ListLinks(w.ctx, w.st.DB, w.acct.ID)
	if err != nil || len(links) != 3 {
		t.Fatalf("links %d %v", len(links), err)
	}
	for _, l := range links {
		if err := store.DeleteLink(w.ctx, w.st.DB, l.ID); err != nil {
			t.Fatal(err)
		}
	}
	r := w.run(NotShowing)
	ss := w.finding(r, "stale-state", w.acct.ID)
	if ss.Status != Fail || !strings.Contains(ss.Summary, "3 of its events are not linked") || ss.Fixes[0].ID != "resync" {
		t.Fatalf("stale-state: %s %s\n%s", ss.Status, ss.Summary, dump(r))
	}
	var applied []Applied
	for _, fx := range ss.Fixes {
		a, err := fx.Apply(w.ctx, w.env, "")
		if err != nil {
			t.Fatal(err)
		}
		applied = append(applied, a)
	}
	if !strings.Contains(applied[0].Message, "0 duplicated tags, 0 unlinked calsync events") {
		t.Fatalf("resync proof: %s", applied[0].Message)
	}
	if r = w.run(NotShowing); r.Exit != ExitOK {
		t.Fatalf("after resync exit %d\n%s", r.Exit, dump(r))
	}
	if loc, rem := w.counts(); loc != 3 || rem != 3 {
		t.Fatalf("after resync local %d remote %d: nothing may be duplicated", loc, rem)
	}
}

func TestRoundTripOneWaySaysWhichDirectionIsExpected(t *testing.T) {
	w := newWorld(t)
	w.settings(w.acct.ID, func(s *store.SyncSettings) { s.Direction = store.DirToCalendar })
	r := w.run(NotShowing)
	rt := w.finding(r, "round-trip", w.acct.ID)
	if rt.Status != Pass || rt.Summary != "CRM -> calendar OK, calendar -> CRM not expected (direction to-calendar)" {
		t.Fatalf("round trip: %s %q", rt.Status, rt.Summary)
	}
	if loc, rem := w.counts(); loc != 0 || rem != 0 {
		t.Fatalf("round trip left test data: local %d remote %d", loc, rem)
	}
}

// blindList hides the probe's test event from listings: the calendar accepts events but
// never gives them back, so calendar -> CRM is broken.
type blindList struct{ providers.Provider }

func (b blindList) Changes(ctx context.Context, cal, cursor string, win providers.Window) (providers.ChangePage, error) {
	p, err := b.Provider.Changes(ctx, cal, cursor, win)
	var keep []providers.Event
	for _, e := range p.Events {
		if !strings.HasPrefix(e.Subject, probePrefix) {
			keep = append(keep, e)
		}
	}
	p.Events = keep
	return p, err
}

// tagDropper loses the ownership tag of what it lists, like a server that keeps only the
// standard iCalendar properties.
type tagDropper struct{ providers.Provider }

func (d tagDropper) Changes(ctx context.Context, cal, cursor string, win providers.Window) (providers.ChangePage, error) {
	p, err := d.Provider.Changes(ctx, cal, cursor, win)
	for i := range p.Events {
		p.Events[i].ActivityID = ""
	}
	return p, err
}

func (w *world) wrapProvider(wrap func(providers.Provider) providers.Provider) {
	open := w.env.Open
	w.env.Open = func(ctx context.Context, a store.Account, secret []byte) (providers.Provider, error) {
		p, err := open(ctx, a, secret)
		if err != nil {
			return nil, err
		}
		return wrap(p), nil
	}
}

func TestRoundTripNamesTheBrokenDirection(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(providers.Provider) providers.Provider
		want string
	}{
		{"not listed", func(p providers.Provider) providers.Provider { return blindList{p} },
			"CRM -> calendar OK, calendar -> CRM broken: the calendar accepted the test event but does not list it"},
		{"tag dropped", func(p providers.Provider) providers.Provider { return tagDropper{p} },
			"CRM -> calendar OK, calendar -> CRM broken: the calendar dropped calsync's ownership tag"},
		// Sync lists the calendar in every direction: an unlisted event fails to-calendar too.
		{"not listed, to-calendar", func(p providers.Provider) providers.Provider { return blindList{p} },
			"CRM -> calendar OK, calendar -> CRM not expected (direction to-calendar): the calendar accepted the test event but does not list it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if strings.HasSuffix(tc.name, "to-calendar") {
				w.settings(w.acct.ID, func(s *store.SyncSettings) { s.Direction = store.DirToCalendar })
			}
			w.wrapProvider(tc.wrap)
			r := w.run(NotShowing)
			rt := w.finding(r, "round-trip", w.acct.ID)
			if rt.Status != Fail || !strings.HasPrefix(rt.Summary, tc.want) {
				t.Fatalf("round trip: %s %q\n%s", rt.Status, rt.Summary, dump(r))
			}
			if r.Exit != ExitProblem {
				t.Fatalf("exit %d", r.Exit)
			}
			// The probe's event is gone again, and no activity was ever made for it.
			if loc, rem := w.counts(); loc != 0 || rem != 0 {
				t.Fatalf("probe left data: local %d remote %d", loc, rem)
			}
		})
	}
}

func TestClockSkewIsMeasuredAgainstTheProvider(t *testing.T) {
	w := newWorld(t)
	w.env.Now = func() time.Time { return time.Now().Add(-17 * time.Minute) }
	r := w.run(CantConnect)
	c := w.finding(r, "clock", w.acct.ID)
	if c.Status != Fail || !strings.Contains(c.Summary, "17m0s behind") {
		t.Fatalf("clock: %s %s", c.Status, c.Summary)
	}
}

func TestScenarioTimeZoneShift(t *testing.T) {
	w := newWorld(t)
	if err := store.SetUserTimeZone(w.ctx, w.st.DB, "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.AddCalendar(googlefake.Calendar{ID: "ny@group.calendar.google.com", Summary: "New York", TimeZone: "America/New_York", AccessRole: "owner"}); err != nil {
		t.Fatal(err)
	}
	w.cal = "ny@group.calendar.google.com"
	w.settings(w.acct.ID, func(s *store.SyncSettings) { s.CalendarID = w.cal })
	store.ReplaceCalendars(w.ctx, w.st.DB, w.acct.ID, []store.Calendar{{AccountID: w.acct.ID, RemoteID: w.cal, Name: "New York", TimeZone: "America/New_York", HasEvents: true}}, time.Now())
	now := time.Now().UTC()
	a := w.activity("Call with Gus", store.TypeCall, w.me.ID, now.Add(24*time.Hour).Truncate(time.Hour), now)
	w.sync(w.acct.ID)
	r := w.run(NotShowing)
	tz := w.finding(r, "time-zones", w.acct.ID)
	if tz.Status != Warn || !strings.Contains(tz.Summary, "Europe/Paris") || !strings.Contains(tz.Summary, "America/New_York") {
		t.Fatalf("time-zones: %s %s", tz.Status, tz.Summary)
	}
	// The event shows an hour off in the calendar.
	for _, e := range w.fake.Events(w.cal) {
		if e.ExtendedProperties != nil && e.Status != "cancelled" {
			st := a.Start.Add(time.Hour)
			e.Start = &googlefake.EventDateTime{DateTime: st.Format(time.RFC3339)}
			e.End = &googlefake.EventDateTime{DateTime: st.Add(30 * time.Minute).Format(time.RFC3339)}
			if _, err := w.fake.PutEvent(w.cal, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	r = w.run(NotShowing)
	tz = w.finding(r, "time-zones", w.acct.ID)
	if tz.Status != Fail || !strings.Contains(tz.Summary, "1h0m0s off") || len(tz.Fixes) != 1 {
		t.Fatalf("time-zones with a shifted event: %s %s", tz.Status, tz.Summary)
	}
	applied, err := tz.Fixes[0].Apply(w.ctx, w.env, "")
	if err != nil {
		t.Fatal(err)
	}
	if loc, _ := store.UserLocation(w.ctx, w.st.DB); loc.String() != "America/New_York" {
		t.Fatalf("zone %s", loc)
	}
	if _, err := Undo(w.ctx, w.env, applied.JournalID); err != nil {
		t.Fatal(err)
	}
	if loc, _ := store.UserLocation(w.ctx, w.st.DB); loc.String() != "Europe/Paris" {
		t.Fatalf("undo: zone %s", loc)
	}
}

func TestScenarioRepeatedCreatesInTheCalendar(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	a := w.activity("Renewal call", store.TypeCall, w.me.ID, now.Add(24*time.Hour).Truncate(time.Minute), now)
	w.sync(w.acct.ID)
	// Another client (or an old calsync without idempotent creates) wrote the event twice.
	st := a.Start
	if _, err := w.fake.PutEvent(w.cal, googlefake.Event{Summary: "Renewal call", Start: &googlefake.EventDateTime{DateTime: st.Format(time.RFC3339)},
		End:                &googlefake.EventDateTime{DateTime: st.Add(30 * time.Minute).Format(time.RFC3339)},
		ExtendedProperties: &googlefake.ExtendedProperties{Private: map[string]string{"calsyncActivityId": a.ID}}}); err != nil {
		t.Fatal(err)
	}
	r := w.run(Duplicates)
	ss := w.finding(r, "stale-state", w.acct.ID)
	if ss.Status != Fail || !strings.Contains(ss.Summary, "1 second copies") || !strings.Contains(ss.Remediation, "never deletes") {
		t.Fatalf("stale-state: %s %s\n%s", ss.Status, ss.Summary, dump(r))
	}
	if loc, rem := w.counts(); loc != 1 || rem != 2 {
		t.Fatalf("nothing may be deleted or imported: local %d remote %d", loc, rem)
	}
}

func TestExplainFollowsTheEngineRules(t *testing.T) {
	w := newWorld(t)
	second := w.addAccount("Personal", time.Now().Add(-time.Hour), []string{googlefake.ScopeCalendar})
	w.settings(second.ID, func(s *store.SyncSettings) { s.Enabled = false })
	now := time.Now().UTC()
	st := now.Add(24 * time.Hour)
	w.fake.PutEvent(w.cal, googlefake.Event{Summary: "Dentist", Start: &googlefake.EventDateTime{DateTime: st.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: st.Add(time.Hour).Format(time.RFC3339)}})
	w.sync(w.acct.ID)
	ids := findBySubject(w.ctx, w.st, "Dentist")
	if len(ids) != 1 {
		t.Fatalf("import: %v", ids)
	}
	w.settings(second.ID, func(s *store.SyncSettings) { s.Enabled = true })
	x, err := Explain(w.ctx, w.st, &Target{Activity: mustGet(t, w, ids[0]), ID: ids[0], Subject: "Dentist"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{}
	for _, v := range x.Verdicts {
		rules[v.AccountID] = v.Rule
	}
	if rules[w.acct.ID] != RuleImported || rules[second.ID] != RuleOtherAccount {
		t.Fatalf("rules %v", rules)
	}
	// An imported activity is in the calendar it came from, and the headline says so.
	// With two accounts the headline speaks per account: in the one it came from, not
	// in the other, and why not.
	if want := `"Dentist" is in Work (google, ana@example.com), not in Personal (google, ana@example.com): it was imported from another calendar account`; !strings.HasPrefix(x.Headline, want) {
		t.Fatalf("headline %q\nwant prefix %q", x.Headline, want)
	}
	// What the engine journals for the second account agrees.
	w.sync(second.ID)
	es, _ := store.QueryJournal(w.ctx, w.st.DB, store.JournalQuery{AccountID: second.ID, ActivityID: ids[0], Op: store.OpSkipped, Limit: 1})
	if len(es) != 1 || es[0].Reason != RuleOtherAccount {
		t.Fatalf("engine journal for the second account: %+v", es)
	}

	// Another owner's activity: the engine skips it as not-owner, explain says the same.
	b := w.activity("Bruno's demo", store.TypeMeeting, w.other.ID, now.Add(48*time.Hour), now)
	w.sync(w.acct.ID)
	x, _ = Explain(w.ctx, w.st, &Target{Activity: b, ID: b.ID, Subject: b.Subject}, time.Now())
	es, _ = store.QueryJournal(w.ctx, w.st.DB, store.JournalQuery{AccountID: w.acct.ID, ActivityID: b.ID, Limit: 1})
	if x.Verdicts[0].Rule != RuleNotOwner || len(es) != 1 || es[0].Reason != RuleNotOwner || !strings.Contains(x.Headline, "belongs to Bruno") {
		t.Fatalf("not-owner: explain %+v, journal %+v", x.Verdicts[0], es)
	}
}

func TestRoundTripRemovesLeftoversOfAnInterruptedOne(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	set, _ := store.GetSyncSettings(w.ctx, w.st.DB, w.acct.ID)
	// What a probe killed before its delete left, days ago, in its slot before the window;
	// and a person's event in the window that happens to use the same words.
	old := probeSlot(set, now.AddDate(0, 0, -5))
	w.fake.PutEvent(w.cal, googlefake.Event{Summary: probePrefix + " dead1234", Start: &googlefake.EventDateTime{DateTime: old.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: old.Add(15 * time.Minute).Format(time.RFC3339)}})
	mine := now.Add(2 * time.Hour)
	w.fake.PutEvent(w.cal, googlefake.Event{Summary: probePrefix + " notes (mine)", Start: &googlefake.EventDateTime{DateTime: mine.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: mine.Add(time.Hour).Format(time.RFC3339)}})
	w.sync(w.acct.ID)
	r := w.run(NotShowing)
	rt := w.finding(r, "round-trip", w.acct.ID)
	if rt.Status != Pass || !strings.Contains(dump(r), "removed 1 leftovers") {
		t.Fatalf("round trip: %s %s\n%s", rt.Status, rt.Summary, dump(r))
	}
	if loc, rem := w.counts(); loc != 1 || rem != 1 {
		t.Fatalf("want only the person's event and its activity left: local %d remote %d", loc, rem)
	}
}

// The 7-day Testing-app expiry counts from the last sign-in, wherever it happened: an
// account created a month ago and reconnected (Accounts tab / `account reconnect`) 7 days
// before the refusal is diagnosed from that reconnect, not from its creation.
func TestScenarioExpiredTokenTestingAppAfterAReconnect(t *testing.T) {
	w := newWorld(t)
	old := w.addAccount("Personal", time.Now().Add(-30*24*time.Hour), []string{googlefake.ScopeCalendar})
	if err := store.RecordSignIn(w.ctx, w.st.DB, old.ID, time.Now().Add(-7*24*time.Hour-time.Hour)); err != nil {
		t.Fatal(err)
	}
	w.fake.RevokeTokens()
	w.fake.ExpireAccessTokens()
	if err := w.env.Sync(w.ctx, old.ID); err == nil {
		t.Fatal("sync should fail with a revoked token")
	}
	r := w.run(CantConnect)
	c := w.finding(r, "connection", old.ID)
	if c.Status != Fail || !strings.Contains(c.Summary, "7 days after sign-in") {
		t.Fatalf("connection: %s\n%s", c.Summary, dump(r))
	}
}
