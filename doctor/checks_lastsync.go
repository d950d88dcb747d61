package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// checkLastSync is the last-error check for a whole account: how its last run ended, as
// the engine recorded it (sync.LastOutcome), with the journal's error entries of that run
// as evidence. A run that stopped for a reason that passes by itself (network, rate
// limit, an outage) is unverified and temporary, so `calsync doctor` exits 75 as cron
// expects; any other failure is a fail with what to do.
func checkLastSync(ctx context.Context, e *Env, a *AccountView) Finding {
	o, err := sync.LastOutcome(ctx, e.Store.DB, a.Account)
	if err != nil {
		return unverified("could not read the last sync run", err)
	}
	src := "sync run " + o.RunID
	switch o.State {
	case sync.OutcomeNever:
		return pass("no sync run of "+a.Label()+" yet, so no sync error", Evidence{Observed: "no finished runs", Source: "sync runs"})
	case sync.OutcomeOK:
		return pass("the last sync run ("+stamp(o.At)+") finished without errors",
			Evidence{Observed: "finished, 0 errors", Expected: "finished, 0 errors", Source: src})
	}
	ev := []Evidence{outcomeEvidence(o)}
	if o.Reason == sync.ReasonTimeShiftGuard {
		// Nothing failed: the run held back a mass time shift for the person to judge. The
		// time-zone check explains it and offers the ways out.
		return warn(fmt.Sprintf("the last sync of %s (%s) went through but held back %d events moved %s: see the time-zone check (calsync doctor --symptom wrong-time)",
			a.Label(), stamp(o.At), o.TimeShift, sync.ShiftText(o.TimeShiftHours)), ev...)
	}
	if f, ok := signInRenewedSince(ctx, e, a, o); ok {
		return f
	}
	es, err := store.QueryJournal(ctx, e.Store.DB, store.JournalQuery{AccountID: a.Account.ID, RunID: o.RunID, Op: store.OpError, Limit: 1000})
	if err != nil {
		return unverified("could not read the journal", err)
	}
	if len(es) > 0 {
		ev = append(ev, journalEvidence(es[0]))
	}
	what := "the last sync of " + a.Label()
	if o.State == sync.OutcomeFailed {
		what += fmt.Sprintf(" (%s) stopped before it finished: %s", stamp(o.At), reasonText(o.Reason))
	} else {
		what += fmt.Sprintf(" (%s) went through with %s: %s", stamp(o.At), errorsText(o.Errors, es), reasonText(o.Reason))
	}
	if o.Temporary {
		f := Finding{Status: Unverified, Temporary: true, Actor: ActorProvider, Evidence: ev,
			Summary: what + "; that passes by itself and the next sync retries"}
		f.Remediation = remediationForReason(o.Reason)
		return f
	}
	f := fail(what, ev...)
	f.Remediation = remediationForReason(o.Reason)
	return f
}

// lastRunStopped is the finding for an account whose last run stopped before it
// finished (ok false when it did not).
func lastRunStopped(ctx context.Context, e *Env, a *AccountView) (Finding, bool) {
	o, err := sync.LastOutcome(ctx, e.Store.DB, a.Account)
	if err != nil || o.State != sync.OutcomeFailed {
		return Finding{}, false
	}
	return checkLastSync(ctx, e, a), true
}

func outcomeEvidence(o sync.Outcome) Evidence {
	state := "stopped before it finished"
	if o.State == sync.OutcomePartial {
		state = "finished"
	}
	obs := fmt.Sprintf("%s at %s, %d error(s), reason %s", state, stamp(o.At), o.Errors, o.Reason)
	if o.Temporary {
		obs += " (temporary)"
	}
	if o.Message != "" {
		obs += ": " + o.Message
	}
	return Evidence{Observed: obs, Expected: "finished, 0 errors", Source: "sync run " + o.RunID}
}

// errorsText is "3 errors (2 ReadOnly, 1 Invalid)" from the run's journal entries.
func errorsText(n int, es []store.JournalEntry) string {
	byReason := map[string]int{}
	for _, j := range es {
		byReason[j.Reason]++
	}
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if byReason[reasons[i]] != byReason[reasons[j]] {
			return byReason[reasons[i]] > byReason[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	var parts []string
	for _, r := range reasons {
		parts = append(parts, fmt.Sprintf("%d %s", byReason[r], r))
	}
	s := fmt.Sprintf("%d error", n)
	if n != 1 {
		s += "s"
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// reasonText says a reason code in words.
func reasonText(reason string) string {
	switch reason {
	case "NotFound":
		return "the calendar (or an event) no longer exists (NotFound)"
	case "ReadOnly":
		return "the calendar refuses writes (ReadOnly)"
	case "AuthExpired":
		return "the sign-in expired or was revoked (AuthExpired)"
	case "AppPasswordRequired":
		return "the server wants an app password (AppPasswordRequired)"
	case "InsufficientScope":
		return "the sign-in did not grant calendar access (InsufficientScope)"
	case "AdminBlocked":
		return "an administrator blocks calsync (AdminBlocked)"
	case "Network":
		return "the provider could not be reached (Network)"
	case "Unavailable":
		return "the provider is down or failing (Unavailable)"
	case "RateLimited":
		return "the provider asked calsync to slow down (RateLimited)"
	case sync.ReasonAlreadySyncing:
		return "another calsync was syncing the account"
	case sync.ReasonNeedsReauth:
		return "the account needs a fresh sign-in"
	case sync.ReasonInternal:
		return "calsync itself failed (internal)"
	case sync.ReasonTimeShiftGuard:
		return "many events moved by the same hours in the calendar; sync held the moves back (time-shift-guard)"
	}
	return reason
}

// SymptomForReason is the symptom whose flow looks into a sync failure with this reason
// code (Home's and the status bar's "!" open Troubleshoot on it).
func SymptomForReason(reason string) Symptom {
	switch reason {
	case "AuthExpired", "AppPasswordRequired", "AdminBlocked", "Network", "Unavailable", "RateLimited", sync.ReasonNeedsReauth:
		return CantConnect
	case "InsufficientScope":
		return Permissions
	case "ReadOnly":
		return OneWay
	case sync.ReasonTimeShiftGuard:
		return WrongTime
	}
	return NotShowing
}

// FocusAccount narrows the session to one account (a failed sync opened from Home or the
// status bar) and returns a line saying how that account's last sync ended.
func (s *Session) FocusAccount(ctx context.Context, accountID string) string {
	var keep []*AccountView
	for _, a := range s.Accounts {
		if a.Account.ID == accountID {
			keep = append(keep, a)
		}
	}
	if len(keep) == 0 {
		return ""
	}
	s.Accounts, s.Steps = keep, Plan(s.Symptom, keep)
	a := keep[0]
	o, err := sync.LastOutcome(ctx, s.Env.Store.DB, a.Account)
	if err != nil || !o.Bad() {
		return "Checking " + a.Label() + " only."
	}
	msg := o.Headline()
	if o.Message != "" {
		msg += " (" + o.Message + ")"
	}
	if o.TimeShift > 0 {
		return fmt.Sprintf("The last sync of %s held back moves: %s. The checks below look at this account only.", a.Label(), msg)
	}
	return fmt.Sprintf("The last sync of %s failed: %s. The checks below look at this account only.", a.Label(), msg)
}

// renewedBy names, for each sign-in fix, the failure reasons it removes. Both fixes test
// the new sign-in against the server before they save it (checks_connect.go), so once
// one was applied after a run that failed for such a reason, that run's cause is gone.
var renewedBy = map[string][]string{
	"fix:app-password": {"AppPasswordRequired", "AuthExpired"},
	"fix:reconnect":    {"AuthExpired", "InsufficientScope", sync.ReasonNeedsReauth},
}

// signInRenewedSince is the finding for a run that failed on its sign-in when a sign-in
// fix was applied after it: the failure is history, said with both entries as evidence,
// and the next sync is what proves the account works again.
func signInRenewedSince(ctx context.Context, e *Env, a *AccountView, o sync.Outcome) (Finding, bool) {
	if o.Temporary || o.State != sync.OutcomeFailed {
		return Finding{}, false
	}
	fixes, err := store.QueryJournal(ctx, e.Store.DB, store.JournalQuery{AccountID: a.Account.ID, Op: store.OpFixed, Since: o.At, Limit: 100})
	if err != nil {
		return Finding{}, false
	}
	for _, j := range fixes {
		if j.At.Before(o.At) {
			continue
		}
		for _, reason := range renewedBy[j.Reason] {
			if reason != o.Reason {
				continue
			}
			return pass(fmt.Sprintf("the last sync of %s (%s) failed: %s; the sign-in was renewed and tested after it (%s), so the next sync runs with it",
				a.Label(), stamp(o.At), reasonText(o.Reason), stamp(j.At)),
				outcomeEvidence(o), journalEvidence(j)), true
		}
	}
	return Finding{}, false
}
