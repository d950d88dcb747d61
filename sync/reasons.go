package sync

import (
	"context"
	"errors"

	"github.com/calsync/calsync/providers"
)

// Reason codes written to the journal's reason column. The op column says what happened
// (store.OpPushed, OpPulled, OpSkipped, OpConflict, OpError, OpInfo); the reason says why
// or how. The doctor's `explain` and the Log tab read them; keep them stable.
const (
	// op pushed (calendar changed) / pulled (CRM changed)
	ReasonCreated  = "created"  // pushed: event created
	ReasonImported = "imported" // pulled: activity created from a calendar event
	ReasonUpdated  = "updated"  // pushed/pulled: the other side was updated
	ReasonDeleted  = "deleted"  // pushed: event deleted; pulled: activity tombstoned
	ReasonRelinked = "relinked" // pulled: an event carrying our ownership tag was linked again (no import)

	// op skipped
	ReasonBeforeActivation = "before-activation" // not changed since sync was switched on (see backfill)
	ReasonTypeNotSynced    = "type-not-synced"   // the activity type is not selected for sync
	ReasonNotOwner         = "not-owner"         // only my own activities go to my calendar
	ReasonOutsideWindow    = "outside-window"    // outside the sync window
	ReasonDirection        = "direction"         // the sync direction does not carry this change
	ReasonOtherAccount     = "other-account"     // imported from another calendar account: not copied across
	ReasonDuplicateTag     = "duplicate-tag"     // a second event carries the tag of an already linked activity
	ReasonReadOnlyCalendar = "read-only-calendar"
	// ReasonUnsupportedEvent: a calendar event calsync cannot read (a per-second or
	// per-minute recurrence, unreadable iCalendar) is set aside; the run goes on.
	ReasonUnsupportedEvent = "unsupported-event"

	// op conflict (both sides changed since the last sync); Detail holds the losing version
	ReasonLocalWon  = "local-won"
	ReasonRemoteWon = "remote-won"

	// op info
	ReasonMassDeleteGuard = "mass-delete-guard" // a listing came back empty while links exist: nothing deleted
	// ReasonTimeShiftGuard: many synced events moved in the calendar by one same whole-hour
	// offset; none of the moves was applied (timeshift.go).
	ReasonTimeShiftGuard = "time-shift-guard"
	ReasonCursorExpired  = "cursor-expired" // the change token expired: full listing, re-linking by tag
	ReasonUnlinked       = "unlinked"       // the event is gone; the link was dropped, the activity kept
	ReasonCancelled      = "cancelled"      // the run was stopped (app quit, Ctrl-C) before it finished
	// ReasonUnconfirmedWrites: the change token saved before this account's own writes was
	// not replaced by one read after them (sync/settle.go), so the next run lists in full.
	ReasonUnconfirmedWrites = "unconfirmed-writes"

	// op error: the reason is the provider error Kind ("RateLimited", "AuthExpired", ...),
	// or ReasonInternal when the failure was not the provider's.
	ReasonInternal = "internal"

	// Reason codes of a run that stopped before it began (Summary.ErrorCode, Outcome.Reason).
	ReasonAlreadySyncing = "already-syncing" // another run of the account holds the lease
	ReasonNeedsReauth    = "needs-reauth"    // the account needs a fresh sign-in
	ReasonNotConfigured  = "not-configured"  // no calendar chosen
	ReasonSyncOff        = "sync-off"        // sync or the account is switched off
)

// StopReason is the reason code of an error that stopped a run: the engine's own
// (already syncing, needs a sign-in, ...) or the provider Kind, else "internal".
func StopReason(err error) string {
	switch {
	case errors.Is(err, ErrAlreadySyncing):
		return ReasonAlreadySyncing
	case errors.Is(err, ErrNeedsReauth):
		return ReasonNeedsReauth
	case errors.Is(err, ErrNotConfigured):
		return ReasonNotConfigured
	case errors.Is(err, ErrDisabled):
		return ReasonSyncOff
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ReasonCancelled
	}
	return ReasonForError(err)
}

// ReasonForError is the journal reason for a failed call: its Kind, or "internal".
func ReasonForError(err error) string {
	if k := providers.KindOf(err); k != "" {
		return string(k)
	}
	return ReasonInternal
}
