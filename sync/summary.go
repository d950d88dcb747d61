package sync

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
)

// Summary is what one run did (or, with DryRun, would do) for one account.
type Summary struct {
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name,omitempty"`
	RunID       string `json:"run_id,omitempty"`
	DryRun      bool   `json:"dry_run,omitempty"`

	Pulled   int `json:"pulled"`   // calendar changes applied to the CRM (imports + updates + deletions)
	Imported int `json:"imported"` // of Pulled: activities created from events
	Pushed   int `json:"pushed"`   // CRM changes written to the calendar (creates + updates + deletions)
	Created  int `json:"created"`  // of Pushed: events created
	// DeletedLocal counts activities tombstoned because their event was deleted;
	// DeletedRemote counts events deleted because their activity was.
	DeletedLocal  int `json:"deleted_local"`
	DeletedRemote int `json:"deleted_remote"`
	Relinked      int `json:"relinked"`

	Skipped   map[string]int `json:"skipped,omitempty"` // by reason code
	Conflicts int            `json:"conflicts"`
	// Errors counts what failed: items (journaled, the run went on) and the error that
	// stopped the run, if one did (a run that never got going still failed once: the
	// summary must never say "errors 0" for it). ErrorKind counts them by reason code.
	Errors    int            `json:"errors"`
	ErrorKind map[string]int `json:"error_kinds,omitempty"`
	// FirstError is the first item failure in a sentence (a stopped run's is Error), so
	// Home and the status bar can say what went wrong without reading the journal.
	FirstError string `json:"first_error,omitempty"`

	// MassDeleteGuard counts the links whose events a listing suddenly lacked; when > 0
	// nothing was deleted and the run wants RunOptions.ConfirmMassDelete.
	MassDeleteGuard int `json:"mass_delete_guard,omitempty"`
	// TimeShiftGuard counts the synced events the calendar moved by one same whole-hour
	// offset, TimeShiftHours (negative: earlier); when > 0 none of those moves was applied
	// and the run wants RunOptions.ConfirmTimeShift.
	TimeShiftGuard int  `json:"time_shift_guard,omitempty"`
	TimeShiftHours int  `json:"time_shift_hours,omitempty"`
	FullListing    bool `json:"full_listing,omitempty"`
	// Settled is true when, after writing, the run read the calendar's changes again so
	// the saved change token covers its own writes (settle.go).
	Settled bool `json:"settled,omitempty"`
	// FullScan is true when the push phase read every activity of the window rather
	// than only what changed since the last clean run.
	FullScan bool `json:"full_scan,omitempty"`
	// Links is how many links the account had when the run ended.
	Links int `json:"links"`

	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`

	// Failed is true when the run stopped early; Error says why in a sentence that tells
	// the person what to do. Temporary marks failures that go away by themselves
	// (network, rate limits, outages): `calsync sync` exits 75 for them.
	Failed bool   `json:"failed"`
	Error  string `json:"error,omitempty"`
	// ErrorCode is the stopping error's reason code: its provider Kind, or one of the
	// engine's (StopReason).
	ErrorCode   string `json:"error_kind,omitempty"`
	Temporary   bool   `json:"temporary,omitempty"`
	NeedsReauth bool   `json:"needs_reauth,omitempty"`
	// Cancelled is true when the run was stopped from outside (the app quit, Ctrl-C)
	// rather than failing; its run row says "cancelled".
	Cancelled bool `json:"cancelled,omitempty"`

	// stopCounted is set when the stopping error was already counted as an item error
	// (a write that failed in a way that ends the run).
	stopCounted bool
}

func (s *Summary) skip(reason string) {
	if s.Skipped == nil {
		s.Skipped = map[string]int{}
	}
	s.Skipped[reason]++
}

func (s *Summary) fail(reason, msg string) {
	s.Errors++
	if s.ErrorKind == nil {
		s.ErrorKind = map[string]int{}
	}
	s.ErrorKind[reason]++
	if s.FirstError == "" {
		s.FirstError = msg
	}
}

// recordStop fills in why the run stopped (err, already scrubbed of secrets): failed, the
// reason code, whether it passes by itself, and the error itself counted once. A run
// stopped from outside (cancelled) is not an error. Calling it again changes nothing.
func (s *Summary) recordStop(err error) {
	if err == nil || s.Failed {
		return
	}
	s.Failed = true
	if s.Error == "" {
		s.Error = err.Error()
	}
	s.ErrorCode = StopReason(err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		s.Cancelled = true
	}
	if errors.Is(err, ErrAlreadySyncing) || s.Cancelled {
		s.Temporary = true // the other run finishes by itself; an interrupted one goes on next time
	}
	if k := providers.KindOf(err); k != "" {
		s.Temporary = s.Temporary || k.Retryable()
	}
	if s.Cancelled {
		s.ErrorCode = ReasonCancelled
		return
	}
	if !s.stopCounted {
		s.fail(s.ErrorCode, oneLine(err))
	}
}

// SkippedTotal is the number of skipped items over all reasons.
func (s Summary) SkippedTotal() int {
	n := 0
	for _, v := range s.Skipped {
		n += v
	}
	return n
}

// Changed reports whether the run changed anything on either side.
func (s Summary) Changed() bool { return s.Pulled+s.Pushed+s.Relinked > 0 }

// Line is the summary in one line, as `calsync sync` prints it.
func (s Summary) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pulled %d, pushed %d", s.Pulled, s.Pushed)
	if s.DeletedLocal+s.DeletedRemote > 0 {
		fmt.Fprintf(&b, " (deleted %d here, %d in the calendar)", s.DeletedLocal, s.DeletedRemote)
	}
	if n := s.SkippedTotal(); n > 0 {
		keys := make([]string, 0, len(s.Skipped))
		for k := range s.Skipped {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, s.Skipped[k]))
		}
		fmt.Fprintf(&b, ", skipped %d (%s)", n, strings.Join(parts, ", "))
	}
	if s.TimeShiftGuard > 0 {
		fmt.Fprintf(&b, ", held %d moved %s (%s)", s.TimeShiftGuard, ShiftText(s.TimeShiftHours), ReasonTimeShiftGuard)
	}
	fmt.Fprintf(&b, ", conflicts %d, errors %d", s.Conflicts, s.Errors)
	if s.Failed && !s.Cancelled {
		fmt.Fprintf(&b, " (the run stopped: %s)", s.ErrorCode)
	}
	return b.String()
}

// Preview is the DryRun summary as the settings screen says it: "the first sync will
// push 42 activities, import 17 events, skip 8 created before sync was switched on".
func (s Summary) Preview() string {
	var parts []string
	if s.Pushed > 0 {
		parts = append(parts, fmt.Sprintf("push %d %s", s.Pushed, plural(s.Pushed, "activity", "activities")))
	}
	if s.Imported > 0 {
		parts = append(parts, fmt.Sprintf("import %d %s", s.Imported, plural(s.Imported, "event", "events")))
	}
	if u := s.Pulled - s.Imported; u > 0 {
		parts = append(parts, fmt.Sprintf("update %d %s from the calendar", u, plural(u, "activity", "activities")))
	}
	if n := s.Skipped[ReasonBeforeActivation]; n > 0 {
		parts = append(parts, fmt.Sprintf("skip %d created before sync was switched on", n))
	}
	if n := s.Skipped[ReasonTypeNotSynced]; n > 0 {
		parts = append(parts, fmt.Sprintf("skip %d of types not synced", n))
	}
	if n := s.Skipped[ReasonNotOwner]; n > 0 {
		parts = append(parts, fmt.Sprintf("skip %d owned by others", n))
	}
	if n := s.Skipped[ReasonDirection]; n > 0 {
		parts = append(parts, fmt.Sprintf("leave %d alone because of the sync direction", n))
	}
	if s.TimeShiftGuard > 0 {
		parts = append(parts, fmt.Sprintf("hold back %d %s the calendar moved %s, until you confirm", s.TimeShiftGuard,
			plural(s.TimeShiftGuard, "event", "events"), ShiftText(s.TimeShiftHours)))
	}
	if len(parts) == 0 {
		return "the sync has nothing to do"
	}
	return "the sync will " + strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Phases of a run, as reported to the Observer.
const (
	PhaseStart = "start"
	PhasePull  = "pull"
	PhasePush  = "push"
	PhaseDone  = "done"
)

// Progress is one event of a run: where it is and what it did so far.
type Progress struct {
	AccountID   string
	AccountName string
	Phase       string
	// Done counts items handled in this phase; Total is how many there are, 0 when not
	// known yet (a listing's size is only known at its end).
	Done, Total int
	// Pages counts the listing pages read so far in the pull phase: listings do not say
	// how many events they hold, so this (with Done) is how far a first import has got.
	Pages   int
	Summary Summary // counts so far; the final one with PhaseDone
	Err     error   // with PhaseDone: why the run stopped, nil when it finished
}

// Observer receives progress. It is called on the engine's goroutine and must not block
// for long (the UI's observer hands events to a channel).
type Observer func(Progress)
