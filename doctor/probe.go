package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// The round trip proves that the provider path works both ways without touching the
// person's data: diagnosing writes nothing but the doctor's own probe event. It creates
// that event directly through the provider, reads it back through the same listing the
// engine uses, and deletes it, all while holding the account's sync lease, so no sync
// (the app's, cron's) can import the probe while it exists. No activity is created and
// the engine does not run. What only a sync can prove (that the pending changes arrive)
// is measured with a dry run and offered as the fix sync-verify.
func init() {
	register(&Check{ID: "round-trip", Title: "Does a test event make the round trip?",
		Explain:  "Writes a tagged test event to the calendar, reads it back as sync would, and deletes it; then dry-runs the next sync to show what is still waiting. Your activities and events are not touched.",
		Symptoms: []Symptom{NotShowing, OneWay}, PerAccount: true, Expensive: true,
		DependsOn: []string{"sync-enabled", "calendar", "connection"}, Run: checkRoundTrip})
}

// probePrefix marks the probe's test event, so a crashed probe's leftover can be
// recognised and removed by the next one.
const probePrefix = "calsync round-trip test"

// ProbeNotice is what the wizard says before it runs the round trip.
const ProbeNotice = "It adds a test event to your calendar, reads it back and deletes it again; your activities and events are not touched and nothing is synced."

// probeSlot is where the probe event goes: two days before the sync window opens, so
// that even if the probe dies before deleting it, no sync ever imports it (imports stay
// inside the window, and the slot only moves further into the past).
func probeSlot(s store.SyncSettings, now time.Time) time.Time {
	from, _ := window(s, now)
	return from.AddDate(0, 0, -2).Truncate(time.Hour)
}

// leftoverZone is where earlier probes (of the last ~6 weeks) put their events.
func leftoverZone(s store.SyncSettings, now time.Time) providers.Window {
	from, _ := window(s, now)
	return providers.Window{Start: from.AddDate(0, 0, -45), End: from.Add(-time.Hour)}
}

// probeLeaseTries bounds the wait for another sync of the account to finish (counted in
// tries, not read from the clock, which tests may stop).
const probeLeaseTries = 50

// holdLease takes the account's sync lease for the probe and returns its release. The
// holder is named like the engine's (host-pid-random), so a probe killed mid-way frees
// the lease as soon as the next sync sees its process gone.
func holdLease(ctx context.Context, e *Env, accountID string) (func(), error) {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	holder := fmt.Sprintf("%s-%d-doctor%s", host, os.Getpid(), hex.EncodeToString(b))
	for i := 0; ; i++ {
		ok, err := store.AcquireLease(ctx, e.Store.DB, accountID, holder, 2*time.Minute, e.now())
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		if i >= probeLeaseTries {
			return nil, errors.New("another calsync is syncing this account")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = store.ReleaseLease(cctx, e.Store.DB, accountID, holder)
	}, nil
}

// probeResult is what the probe saw, step by step.
type probeResult struct {
	wrote, readBack, deleted bool
	evidence                 []Evidence
	problem                  string // the first thing that went wrong, for the summary
	failure                  *Finding
}

func checkRoundTrip(ctx context.Context, e *Env, a *AccountView) Finding {
	if e.Offline || e.Open == nil {
		return skip("the round trip needs the provider (offline)")
	}
	s := a.Settings
	p, err := e.openFor(ctx, a)
	if err != nil {
		return unverified("could not open the account", err)
	}
	release, err := holdLease(ctx, e, a.Account.ID)
	if err != nil {
		f := unverified("not checked: the account's sync lease is taken", err)
		f.Temporary = true
		return f
	}
	leftovers := removeProbeLeftovers(ctx, e, p, a)
	pushes := s.Direction != store.DirFromCalendar
	pulls := s.Direction != store.DirToCalendar
	var r probeResult
	if pushes {
		r = writeProbe(ctx, e, p, a)
	} else {
		r = readProbe(ctx, e, p, a)
	}
	release()
	if r.failure != nil {
		return *r.failure
	}
	if leftovers > 0 {
		r.evidence = append(r.evidence, Evidence{Observed: fmt.Sprintf("removed %d leftovers of an interrupted earlier round trip", leftovers), Source: "round trip"})
	}
	word := func(ok, expected bool) string {
		switch {
		case !expected:
			return "not expected (direction " + s.Direction + ")"
		case ok:
			return "OK"
		}
		return "broken"
	}
	toCal := r.wrote && r.deleted
	fromCal := r.readBack
	sum := fmt.Sprintf("CRM -> calendar %s, calendar -> CRM %s", word(toCal, pushes), word(fromCal, pulls))
	// Whatever went wrong with the test event fails the check, also in a direction the
	// account does not sync: the engine lists the calendar in every direction.
	if (pushes && !toCal) || (pulls && !fromCal) || r.problem != "" {
		if r.problem != "" {
			sum += ": " + r.problem
		}
		f := fail(sum, r.evidence...)
		f.Remediation = "Look at the failing direction's findings above (direction, calendar, connection); the test event shows what the provider does with the events calsync writes."
		return f
	}
	return pendingWork(ctx, e, a, sum, r.evidence)
}

// writeProbe creates the probe event, reads it back and deletes it.
func writeProbe(ctx context.Context, e *Env, p providers.Provider, a *AccountView) probeResult {
	var r probeResult
	s := a.Settings
	start := probeSlot(s, e.now())
	// Providers create idempotently on the tag, so the probe carries a fresh id that no
	// activity has: reading it back proves the calendar keeps calsync's ownership tag.
	tag := uuid.NewString()
	subject := fmt.Sprintf("%s %s", probePrefix, tag[:8])
	created, err := p.Create(ctx, s.CalendarID, providers.Event{ActivityID: tag, Subject: subject, Start: start, End: start.Add(15 * time.Minute), TimeZone: "UTC"})
	if err != nil {
		f := classifyProbeErr("could not create the test event in the calendar", err)
		r.failure = &f
		return r
	}
	r.wrote = true
	r.evidence = append(r.evidence, Evidence{Observed: "test event created at " + stamp(start) + " (before the sync window, so no sync imports it)", Expected: "accepted", Source: "round trip"})
	zone := providers.Window{Start: start.Add(-time.Hour), End: start.Add(2 * time.Hour)}
	evs, listErr := listAll(ctx, p, s.CalendarID, zone)
	var back *providers.Event
	for i := range evs {
		if evs[i].RemoteID == created.RemoteID || (evs[i].ActivityID == tag && tag != "") {
			back = &evs[i]
		}
	}
	switch {
	case listErr != nil:
		r.problem = "the calendar could not be listed"
		r.evidence = append(r.evidence, Evidence{Observed: "listing: " + listErr.Error(), Expected: "the test event listed", Source: "provider"})
	case back == nil:
		r.problem = "the calendar accepted the test event but does not list it"
		r.evidence = append(r.evidence, Evidence{Observed: fmt.Sprintf("%d events listed around %s, the test event not among them", len(evs), stamp(start)), Expected: "the test event listed", Source: "calendar listing"})
	case back.ActivityID != tag:
		r.problem = "the calendar dropped calsync's ownership tag (its events would be imported again as copies)"
		r.evidence = append(r.evidence, Evidence{Observed: fmt.Sprintf("test event listed with tag %q", back.ActivityID), Expected: "tag " + tag, Source: "calendar listing"})
	case !back.Start.Equal(start):
		r.problem = fmt.Sprintf("the calendar moved the test event by %s (a time-zone mismatch)", back.Start.Sub(start))
		r.evidence = append(r.evidence, Evidence{Observed: "test event listed at " + stamp(back.Start), Expected: stamp(start), Source: "calendar listing"})
	default:
		r.readBack = true
		r.evidence = append(r.evidence, Evidence{Observed: "test event listed back with its tag, at the time written", Expected: "the same", Source: "calendar listing"})
	}
	if err := p.Delete(ctx, s.CalendarID, created.RemoteID, ""); err != nil && !providers.IsKind(err, providers.NotFound) {
		if r.problem == "" {
			r.problem = "the calendar refused to delete the test event"
		}
		r.evidence = append(r.evidence, Evidence{Observed: "delete: " + err.Error(), Expected: "deleted (the next round trip removes it)", Source: "provider"})
		return r
	}
	r.deleted = true
	if after, err := listAll(ctx, p, s.CalendarID, zone); err == nil {
		for _, ev := range after {
			if ev.RemoteID == created.RemoteID {
				r.deleted = false
				if r.problem == "" {
					r.problem = "the test event is still listed after it was deleted"
				}
				r.evidence = append(r.evidence, Evidence{Observed: "test event still listed after delete", Expected: "gone", Source: "calendar listing"})
			}
		}
	}
	if r.deleted {
		r.evidence = append(r.evidence, Evidence{Observed: "test event deleted", Expected: "deleted", Source: "round trip"})
	}
	return r
}

// readProbe only reads: an import-only account must not get test data written.
func readProbe(ctx context.Context, e *Env, p providers.Provider, a *AccountView) probeResult {
	var r probeResult
	from, to := window(a.Settings, e.now())
	page, err := p.Changes(ctx, a.Settings.CalendarID, "", providers.Window{Start: from, End: to})
	if err != nil {
		f := classifyProbeErr("could not list the calendar", err)
		r.failure = &f
		return r
	}
	r.readBack = true
	r.evidence = append(r.evidence, Evidence{Observed: fmt.Sprintf("the calendar lists its events (%d on the first page); nothing written (direction %s)", len(page.Events), a.Settings.Direction), Expected: "listed", Source: "calendar listing"})
	return r
}

// pendingWork finishes a probe that worked: a dry run of the next sync (no writes
// anywhere) says what is still waiting, which only a real sync can carry and prove.
func pendingWork(ctx context.Context, e *Env, a *AccountView, sum string, ev []Evidence) Finding {
	if e.DryRun == nil {
		return pass(sum, ev...)
	}
	dry, err := e.DryRun(ctx, a.Account.ID)
	if err != nil {
		ev = append(ev, Evidence{Observed: "dry run of the next sync: " + err.Error(), Source: "sync engine (dry run)"})
		return pass(sum, ev...)
	}
	ev = append(ev, Evidence{Observed: "the next sync would " + pendingText(dry), Expected: "change nothing", Source: "sync engine (dry run, nothing written)"})
	if !dry.Changed() {
		return pass(sum, ev...)
	}
	fx := syncVerifyFix(a, dry)
	if t := e.Target; t != nil {
		if meID, err := store.SyncMeID(ctx, e.Store.DB); err == nil {
			if v := Decide(ctx, e.Store, a, t.Activity, meID, e.now()); v.Rule == RulePending || v.Rule == RuleEligible {
				f := fail(fmt.Sprintf("%q has not reached the calendar yet: it waits for the next sync (%s)", t.Subject, sum), ev...)
				f.Remediation = "Sync now (the app syncs by itself at the account's interval); the fix syncs and checks the result."
				f.Fixes = []*Fix{fx}
				return f
			}
		}
	}
	f := warn(sum+"; the next sync still has work to do: "+pendingText(dry), ev...)
	f.Remediation = "The app syncs by itself at the account's interval; sync now (the fix) to see these changes arrive."
	f.Fixes = []*Fix{fx}
	return f
}

// pendingText names the changes a (dry) run carries, leaving out what it skips by rule:
// "push 2 activities, update 123 activities from the calendar".
func pendingText(s sync.Summary) string {
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, one)
		case n > 1:
			parts = append(parts, fmt.Sprintf(many, n))
		}
	}
	add(s.Pushed-s.DeletedRemote, "push 1 activity", "push %d activities")
	add(s.DeletedRemote, "delete 1 calendar event", "delete %d calendar events")
	add(s.Imported, "import 1 event", "import %d events")
	add(s.Pulled-s.Imported-s.DeletedLocal, "update 1 activity from the calendar", "update %d activities from the calendar")
	add(s.DeletedLocal, "delete 1 activity deleted in the calendar", "delete %d activities deleted in the calendar")
	add(s.Relinked, "link 1 event again", "link %d events again")
	if len(parts) == 0 {
		return "change nothing"
	}
	return strings.Join(parts, ", ")
}

// syncVerifyFix runs the real sync the diagnosis did not, then dry-runs again to prove
// nothing is left waiting. A sync cannot be undone; its decisions are in the journal.
func syncVerifyFix(a *AccountView, dry sync.Summary) *Fix {
	id := a.Account.ID
	fx := &Fix{ID: "sync-verify", Title: "sync " + a.Label() + " now and check that nothing is left waiting",
		Description: "Runs the sync the diagnosis left out; it would " + pendingText(dry) + ".",
		Impact:      Impact{{"push", dry.Pushed}, {"pull", dry.Pulled}}}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		if e.Sync == nil || e.Offline {
			return Applied{}, errors.New("cannot sync here (offline)")
		}
		jid, err := recordFix(ctx, e, fx, id, "", "none", struct{}{}, func(store.Handler) error { return nil })
		if err != nil {
			return Applied{}, err
		}
		if err := e.Sync(ctx, id); err != nil {
			return Applied{JournalID: jid}, fmt.Errorf("the sync failed: %w", err)
		}
		msg := "synced"
		if e.DryRun != nil {
			if again, err := e.DryRun(ctx, id); err == nil {
				if again.Changed() {
					msg += "; still waiting: " + pendingText(again)
				} else {
					msg += "; nothing is left waiting"
				}
			}
		}
		return Applied{JournalID: jid, Message: msg}, nil
	}
	return fx
}

// removeProbeLeftovers deletes test events an interrupted probe left in its slot before
// the sync window (recognised by the probe's subject). It returns how many it removed.
// Nothing else is touched: events in the sync window belong to the person or to sync.
func removeProbeLeftovers(ctx context.Context, e *Env, p providers.Provider, a *AccountView) int {
	n := 0
	evs, err := listAll(ctx, p, a.Settings.CalendarID, leftoverZone(a.Settings, e.now()))
	if err != nil {
		return 0
	}
	for _, ev := range evs {
		if strings.HasPrefix(ev.Subject, probePrefix) && p.Delete(ctx, a.Settings.CalendarID, ev.RemoteID, "") == nil {
			n++
		}
	}
	return n
}
