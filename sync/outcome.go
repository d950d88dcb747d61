package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/calsync/calsync/store"
)

// Outcome states: how an account's last sync went.
const (
	OutcomeNever   = "never"   // no run finished yet
	OutcomeOK      = "ok"      // the run finished and nothing failed
	OutcomePartial = "partial" // the run finished but some items failed (a read-only calendar)
	OutcomeFailed  = "failed"  // the run stopped before it finished (sign-in, calendar gone, network)
)

// Outcome is how an account's last sync went, read back from its run row: what Home, the
// status bar, the doctor's last-sync check and `calsync sync` say about it. A run stopped
// from outside (the app quit) tells nothing about the account and is passed over.
type Outcome struct {
	AccountID   string    `json:"account_id"`
	AccountName string    `json:"account_name,omitempty"`
	RunID       string    `json:"run_id,omitempty"`
	At          time.Time `json:"at,omitzero"` // when the run ended
	State       string    `json:"state"`       // never | ok | partial | failed
	Errors      int       `json:"errors"`
	// Reason is the reason code of what failed: the stopping error's (a provider Kind or
	// the engine's, see StopReason), else the most frequent item failure's.
	Reason      string `json:"reason,omitempty"`
	Message     string `json:"message,omitempty"`
	Temporary   bool   `json:"temporary,omitempty"`
	NeedsReauth bool   `json:"needs_reauth,omitempty"`
	// TimeShift counts the moves the time-shift guard held back (Summary.TimeShiftGuard),
	// by TimeShiftHours; the run went through, the moves wait for a confirmation.
	TimeShift      int `json:"time_shift_guard,omitempty"`
	TimeShiftHours int `json:"time_shift_hours,omitempty"`
}

// Bad reports whether the last sync failed, wholly or in part.
func (o Outcome) Bad() bool { return o.State == OutcomeFailed || o.State == OutcomePartial }

// Outcome condenses the summary of a finished run.
func (s Summary) Outcome() Outcome {
	o := Outcome{AccountID: s.AccountID, AccountName: s.AccountName, RunID: s.RunID, At: s.Finished,
		State: OutcomeOK, Errors: s.Errors, Temporary: s.Temporary, NeedsReauth: s.NeedsReauth}
	switch {
	case s.Failed && !s.Cancelled:
		o.State, o.Reason, o.Message = OutcomeFailed, s.ErrorCode, s.Error
	case s.Errors > 0:
		o.State, o.Reason, o.Message = OutcomePartial, mostFrequent(s.ErrorKind), s.FirstError
		o.Temporary = false // the run went through; what failed fails again until mended
	case s.TimeShiftGuard > 0:
		// Nothing failed, but the run left changes unapplied until the person says which
		// time is right: shown like a partial failure so Home and the status bar ask.
		o.State, o.Reason = OutcomePartial, ReasonTimeShiftGuard
		o.Message = fmt.Sprintf("the calendar moved %d synced events %s; not applied until you confirm", s.TimeShiftGuard, ShiftText(s.TimeShiftHours))
	}
	o.TimeShift, o.TimeShiftHours = s.TimeShiftGuard, s.TimeShiftHours
	return o
}

// mostFrequent is the reason with the highest count (ties: the first in name order).
func mostFrequent(byReason map[string]int) string {
	best, n := "", 0
	for r, c := range byReason {
		if c > n || (c == n && r < best) {
			best, n = r, c
		}
	}
	return best
}

// LastOutcome reads how the account's last finished run went (State never when none did).
func LastOutcome(ctx context.Context, h store.Handler, acct store.Account) (Outcome, error) {
	runs, err := store.ListRuns(ctx, h, acct.ID, 20)
	if err != nil {
		return Outcome{}, err
	}
	for _, r := range runs {
		if r.Status != store.RunOK && r.Status != store.RunFailed {
			continue // running, or cancelled: says nothing about the account
		}
		var s Summary
		if err := json.Unmarshal([]byte(r.Summary), &s); err != nil {
			return Outcome{}, errors.New("the summary of run " + r.ID + " is unreadable: " + err.Error())
		}
		if r.Status == store.RunFailed && !s.Failed {
			// A row written before outcomes were recorded: failed, reason unknown.
			s.Failed, s.ErrorCode = true, ReasonInternal
			if s.Errors == 0 {
				s.Errors = 1
			}
		}
		s.AccountID, s.AccountName, s.RunID = acct.ID, acct.Name, r.ID
		if r.FinishedAt != nil {
			s.Finished = *r.FinishedAt
		}
		o := s.Outcome()
		if o.Message == "" && o.Bad() {
			o.Message = acct.LastErrorMessage
		}
		return o, nil
	}
	return Outcome{AccountID: acct.ID, AccountName: acct.Name, State: OutcomeNever}, nil
}

// LastOutcomes is LastOutcome of every account, in the accounts' order.
func LastOutcomes(ctx context.Context, h store.Handler) ([]Outcome, error) {
	accts, err := store.ListAccounts(ctx, h)
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, 0, len(accts))
	for _, a := range accts {
		o, err := LastOutcome(ctx, h, a)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Headline says in a few words what went wrong, for Home and the status bar ("" when
// nothing did): "the calendar is read-only", "sign-in expired".
func (o Outcome) Headline() string {
	if !o.Bad() {
		return ""
	}
	switch o.Reason {
	case "NotFound":
		return "the calendar is gone (not found)"
	case "ReadOnly":
		return "the calendar is read-only"
	case "AuthExpired":
		return "the sign-in expired"
	case "AppPasswordRequired":
		return "it needs an app password"
	case "InsufficientScope":
		return "calendar access was not granted"
	case "AdminBlocked":
		return "an admin blocks calsync"
	case "Network":
		return "the server cannot be reached"
	case "Unavailable":
		return "the server is down"
	case "RateLimited":
		return "the provider is rate limiting"
	case "Invalid":
		return "the calendar refused an event"
	case "Conflict":
		return "an event could not be written"
	case ReasonAlreadySyncing:
		return "another sync was running"
	case ReasonNeedsReauth:
		return "it needs a new sign-in"
	case ReasonNotConfigured:
		return "no calendar is chosen"
	case ReasonSyncOff:
		return "sync is switched off"
	case ReasonTimeShiftGuard:
		return "events moved in the calendar, waiting for you"
	case ReasonInternal, "":
		return "calsync failed (internal error)"
	}
	return o.Reason
}
