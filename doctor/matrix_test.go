package doctor

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// Each broken setup, built through the store, the real engine and the Google fake, must
// make exactly the checks that name its cause fail (a sync that failed because of it
// also fails last-error, with the run's reason; one that failed for a reason that passes
// by itself is unverified and temporary: exit 75) — no false alarms elsewhere — and
// `--fix --yes` (every fix that needs no person) must leave the doctor at exit 0 where a
// fix exists, with nothing lost and nothing duplicated.
func TestEveryCheckAgainstEveryScenario(t *testing.T) {
	type scenario struct {
		name  string
		build func(w *world)
		// fails are the checks that must fail (for any account); nothing else may.
		fails []string
		// fixable: `--fix --yes` brings the doctor to exit 0.
		fixable bool
		// local, remote: live activities and events after the fixes (-1: not checked).
		local, remote int
		// exit is the doctor's exit code when nothing fails (0: ExitOK).
		exit int
	}
	now := time.Now().UTC()
	event := func(w *world, subject string, at time.Time) {
		if _, err := w.fake.PutEvent(w.cal, googlefake.Event{Summary: subject, Start: &googlefake.EventDateTime{DateTime: at.Format(time.RFC3339)}, End: &googlefake.EventDateTime{DateTime: at.Add(time.Hour).Format(time.RFC3339)}}); err != nil {
			w.t.Fatal(err)
		}
	}
	scenarios := []scenario{
		{name: "healthy", build: func(w *world) {
			w.activity("Call Carla", store.TypeCall, w.me.ID, now.Add(24*time.Hour), now)
			event(w, "Dentist", now.Add(30*time.Hour))
			w.sync(w.acct.ID)
		}, fixable: true, local: 2, remote: 2},
		{name: "filters-hide", build: func(w *world) {
			a := w.activity("Lunch with Dana", store.TypeLunch, w.me.ID, now.Add(24*time.Hour), now)
			store.SaveListView(w.ctx, w.st.DB, store.ListFilter{Owner: w.other.ID, Types: []store.ActivityType{store.TypeCall, store.TypeTask}}, now)
			w.sync(w.acct.ID)
			w.target(a.ID)
		}, fails: []string{"list-filters"}, fixable: true, local: 1, remote: 1},
		{name: "before-activation", build: func(w *world) {
			a := w.activity("Quarterly review", store.TypeMeeting, w.me.ID, now.Add(72*time.Hour), now.Add(-3*24*time.Hour))
			w.sync(w.acct.ID)
			w.target(a.ID)
		}, fails: []string{"before-activation"}, fixable: true, local: 1, remote: 1},
		{name: "wrong-types", build: func(w *world) {
			w.settings(w.acct.ID, func(s *store.SyncSettings) { s.Types = []store.ActivityType{store.TypeCall} })
			a := w.activity("Board meeting", store.TypeMeeting, w.me.ID, now.Add(24*time.Hour), now)
			w.sync(w.acct.ID)
			w.target(a.ID)
		}, fails: []string{"types"}, fixable: true, local: 1, remote: 1},
		{name: "one-way", build: func(w *world) {
			w.settings(w.acct.ID, func(s *store.SyncSettings) { s.Direction = store.DirToCalendar })
			w.activity("Demo for Eve", store.TypeMeeting, w.me.ID, now.Add(24*time.Hour), now)
			w.sync(w.acct.ID)
			event(w, "Made in the calendar", now.Add(5*time.Hour))
			for _, e := range w.fake.Events(w.cal) {
				if e.Summary == "Demo for Eve" {
					e.Summary = "Demo for Eve (room 4)"
					w.fake.PutEvent(w.cal, e)
				}
			}
			w.sync(w.acct.ID)
		}, fails: []string{"direction"}, fixable: true, local: 2, remote: 2},
		{name: "read-only-calendar", build: func(w *world) {
			w.fake.AddCalendar(googlefake.Calendar{ID: "team@group.calendar.google.com", Summary: "Team", TimeZone: "UTC", AccessRole: "reader"})
			w.settings(w.acct.ID, func(s *store.SyncSettings) { s.CalendarID = "team@group.calendar.google.com" })
			w.activity("Offer for Fiona", store.TypeCall, w.me.ID, now.Add(24*time.Hour), now)
			w.env.Sync(w.ctx, w.acct.ID)
		}, fails: []string{"calendar", "last-error"}, fixable: true, local: 1, remote: 1},
		{name: "duplicates-two-accounts", build: func(w *world) {
			second := w.addAccount("Work (again)", now.Add(-time.Hour), []string{googlefake.ScopeCalendar})
			event(w, "Team standup", now.Add(24*time.Hour))
			event(w, "Budget review", now.Add(48*time.Hour))
			w.sync(w.acct.ID)
			w.sync(second.ID)
		}, fails: []string{"duplicates"}, fixable: true, local: 2, remote: 2},
		{name: "duplicates-lost-links", build: func(w *world) {
			start := now.Add(48 * time.Hour).Truncate(time.Minute)
			a := w.activity("Pipeline review", store.TypeMeeting, w.me.ID, start, now.Add(-3*24*time.Hour))
			// The event an earlier calsync wrote for it: identical in every field (an
			// event of another length would be a look-alike, not evidence of a copy).
			if _, err := w.fake.PutEvent(w.cal, googlefake.Event{Summary: a.Subject, Start: &googlefake.EventDateTime{DateTime: start.Format(time.RFC3339)},
				End: &googlefake.EventDateTime{DateTime: start.Add(a.Duration).Format(time.RFC3339)}}); err != nil {
				w.t.Fatal(err)
			}
			w.sync(w.acct.ID)
		}, fails: []string{"duplicates"}, fixable: true, local: 1, remote: 1},
		{name: "missing-scope", build: func(w *world) {
			w.fake.SetGrantedScopes([]string{"openid", "email"})
			w.issueToken(w.acct.ID, []string{"openid", "email"})
			w.env.Sync(w.ctx, w.acct.ID)
		}, fails: []string{"connection", "scopes", "last-error"}, local: -1},
		{name: "admin-blocked", build: func(w *world) {
			w.fake.SetFaults(googlefake.Faults{AdminPolicyEnforced: true})
			w.fake.ExpireAccessTokens()
			w.env.Sync(w.ctx, w.acct.ID)
		}, fails: []string{"connection", "admin-policy", "last-error"}, local: -1},
		{name: "expired-token", build: func(w *world) {
			w.fake.RevokeTokens()
			w.fake.ExpireAccessTokens()
			w.env.Sync(w.ctx, w.acct.ID)
		}, fails: []string{"connection", "last-error"}, local: -1},
		{name: "network-down", build: func(w *world) {
			w.activity("Call Carla", store.TypeCall, w.me.ID, now.Add(24*time.Hour), now)
			w.sync(w.acct.ID)
			w.srv.Close()
		}, fails: []string{"network"}, local: -1},
		{name: "calendar-deleted", build: func(w *world) {
			w.activity("Call Carla", store.TypeCall, w.me.ID, now.Add(24*time.Hour), now)
			w.fake.AddCalendar(googlefake.Calendar{ID: "projects@group.calendar.google.com", Summary: "Projects", TimeZone: "UTC"})
			w.settings(w.acct.ID, func(s *store.SyncSettings) { s.CalendarID = "projects@group.calendar.google.com" })
			w.sync(w.acct.ID)
			w.fake.RemoveCalendar("projects@group.calendar.google.com")
			w.env.Sync(w.ctx, w.acct.ID)
		}, fails: []string{"calendar", "last-error"}, local: -1},
		{name: "server-down", build: func(w *world) {
			w.activity("Call Carla", store.TypeCall, w.me.ID, now.Add(24*time.Hour), now)
			w.sync(w.acct.ID)
			w.fake.SetFaults(googlefake.Faults{ServerError: true})
			w.env.Sync(w.ctx, w.acct.ID)
		}, exit: ExitTempFail, local: -1},
		{name: "timezone-shift", build: func(w *world) {
			a := w.activity("Call with Gus", store.TypeCall, w.me.ID, now.Add(24*time.Hour).Truncate(time.Hour), now)
			w.sync(w.acct.ID)
			store.SetUserTimeZone(w.ctx, w.st.DB, "Europe/Paris")
			for _, e := range w.fake.Events(w.cal) {
				if e.ExtendedProperties != nil {
					st := a.Start.Add(time.Hour)
					e.Start = &googlefake.EventDateTime{DateTime: st.Format(time.RFC3339)}
					e.End = &googlefake.EventDateTime{DateTime: st.Add(30 * time.Minute).Format(time.RFC3339)}
					w.fake.PutEvent(w.cal, e)
				}
			}
		}, fails: []string{"time-zones"}, fixable: true, local: 1, remote: 1},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w := newWorld(t)
			sc.build(w)
			r := w.run(All)
			if got, want := failing(r), strings.Join(sorted(sc.fails), ","); got != want {
				t.Fatalf("failing checks %q, want %q\n%s", got, want, dump(r))
			}
			if len(sc.fails) == 0 {
				if r.Exit != sc.exit {
					t.Fatalf("exit %d, want %d\n%s", r.Exit, sc.exit, dump(r))
				}
				return
			}
			if r.Exit != ExitProblem {
				t.Fatalf("exit %d, want 1", r.Exit)
			}
			// --fix --yes, then the doctor again (twice at most: a fix can reveal the next step).
			for i := 0; i < 2 && r.Exit != ExitOK; i++ {
				w.fixAll(r)
				if !sc.fixable {
					continue // no sync against a broken provider: its retries only wait
				}
				for _, a := range mustAccounts(t, w) {
					if s, _ := store.GetSyncSettings(w.ctx, w.st.DB, a.ID); s.Enabled {
						w.env.Sync(w.ctx, a.ID)
					}
				}
				r = w.run(All)
			}
			if sc.fixable && r.Exit != ExitOK {
				t.Fatalf("after --fix --yes: exit %d\n%s", r.Exit, dump(r))
			}
			if !sc.fixable && r.Exit == ExitOK {
				t.Fatalf("a problem that needs a person cannot be fixed unattended:\n%s", dump(r))
			}
			if sc.local >= 0 {
				if loc, rem := w.counts(); loc != sc.local || rem != sc.remote {
					t.Fatalf("after fixes: %d activities, %d events; want %d and %d", loc, rem, sc.local, sc.remote)
				}
			}
		})
	}
}

func failing(r Report) string {
	seen := map[string]bool{}
	var ids []string
	for _, f := range r.Findings {
		if f.Status == Fail && !seen[f.CheckID] {
			seen[f.CheckID] = true
			ids = append(ids, f.CheckID)
		}
	}
	return strings.Join(sorted(ids), ",")
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func mustAccounts(t *testing.T, w *world) []store.Account {
	as, err := store.ListAccounts(context.Background(), w.st.DB)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// For one activity, a run that stopped before reaching it (the calendar was deleted) is
// what "Did the last sync fail?" reports, not the activity's older "pushed" entry.
func TestLastSyncForOneActivityReportsAStoppedRun(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	a := w.activity("Call Carla", store.TypeCall, w.me.ID, now.Add(24*time.Hour), now)
	w.fake.AddCalendar(googlefake.Calendar{ID: "projects@group.calendar.google.com", Summary: "Projects", TimeZone: "UTC"})
	w.settings(w.acct.ID, func(s *store.SyncSettings) { s.CalendarID = "projects@group.calendar.google.com" })
	w.sync(w.acct.ID)
	w.target(a.ID)
	if f := w.finding(w.run(NotShowing), "last-error", w.acct.ID); f.Status != Pass {
		t.Fatalf("after a good sync: %s %s", f.Status, f.Summary)
	}
	w.fake.RemoveCalendar("projects@group.calendar.google.com")
	w.env.Sync(w.ctx, w.acct.ID)
	f := w.finding(w.run(NotShowing), "last-error", w.acct.ID)
	if f.Status != Fail || !strings.Contains(f.Summary, "stopped before it finished") || !strings.Contains(f.Summary, "NotFound") || len(f.Evidence) < 2 {
		t.Fatalf("after the calendar was deleted: %s %s %+v", f.Status, f.Summary, f.Evidence)
	}
}

// A run that failed on its sign-in stays a failure until a sign-in fix is applied after
// it; a sign-in fix does not excuse a failure it cannot have removed (a deleted calendar).
func TestLastSyncFailureOnSignInEndsWithARenewedSignIn(t *testing.T) {
	w := newWorld(t)
	w.fake.RevokeTokens()
	w.fake.ExpireAccessTokens()
	w.env.Sync(w.ctx, w.acct.ID)
	if f := w.finding(w.run(NotShowing), "last-error", w.acct.ID); f.Status != Fail {
		t.Fatalf("after a sync refused for its sign-in: %s %s", f.Status, f.Summary)
	}
	o, err := sync.LastOutcome(w.ctx, w.st.DB, w.acct)
	if err != nil {
		t.Fatal(err)
	}
	fixed := func(reason string, at time.Time) {
		if _, err := store.AppendJournal(w.ctx, w.st.DB, store.JournalEntry{At: at, AccountID: w.acct.ID, Op: store.OpFixed, Reason: reason, Detail: `{"fix":"x"}`}); err != nil {
			t.Fatal(err)
		}
	}
	fixed("fix:reset-list-filters", o.At.Add(time.Second)) // not a sign-in fix
	if f := w.finding(w.run(NotShowing), "last-error", w.acct.ID); f.Status != Fail {
		t.Fatalf("after an unrelated fix: %s %s", f.Status, f.Summary)
	}
	fixed("fix:reconnect", o.At.Add(-time.Minute)) // before the failed run
	if f := w.finding(w.run(NotShowing), "last-error", w.acct.ID); f.Status != Fail {
		t.Fatalf("after a sign-in older than the failed run: %s %s", f.Status, f.Summary)
	}
	fixed("fix:reconnect", o.At.Add(time.Minute))
	f := w.finding(w.run(NotShowing), "last-error", w.acct.ID)
	if f.Status != Pass || !strings.Contains(f.Summary, "renewed") || len(f.Evidence) != 2 {
		t.Fatalf("after a fresh sign-in: %s %s %+v", f.Status, f.Summary, f.Evidence)
	}
}
