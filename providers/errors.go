package providers

import (
	"errors"
	"fmt"
	"time"
)

// Kind is why a provider call failed. The engine and the doctor decide on it, never on text.
type Kind string

const (
	AuthExpired         Kind = "AuthExpired"         // token expired or revoked: sign in again
	AppPasswordRequired Kind = "AppPasswordRequired" // two-factor account refusing the normal password
	InsufficientScope   Kind = "InsufficientScope"   // calendar access not granted at consent
	AdminBlocked        Kind = "AdminBlocked"        // tenant/workspace policy blocks the app
	// SetupRequired: the app's own setup is incomplete or switched off for the whole
	// account (Google: Calendar API not enabled in the OAuth client's project,
	// accessNotConfigured; Calendar disabled by the domain, domainPolicy). Signing in again
	// does not help; the Hint says what to enable and where.
	SetupRequired Kind = "SetupRequired"
	ReadOnly      Kind = "ReadOnly"      // no write access to the calendar
	RateLimited   Kind = "RateLimited"   // slow down; see RetryAfter
	CursorExpired Kind = "CursorExpired" // change token no longer valid: full sync
	NotFound      Kind = "NotFound"
	Conflict      Kind = "Conflict"    // etag mismatch or id already taken
	Unavailable   Kind = "Unavailable" // 5xx
	Network       Kind = "Network"     // DNS, TCP, TLS, timeouts
	Invalid       Kind = "Invalid"     // malformed request or response
)

// Kinds lists every Kind, for tests and documentation.
var Kinds = []Kind{AuthExpired, AppPasswordRequired, InsufficientScope, AdminBlocked, SetupRequired, ReadOnly,
	RateLimited, CursorExpired, NotFound, Conflict, Unavailable, Network, Invalid}

// Error is the only error type a Provider returns. Its text never holds a token or password.
type Error struct {
	Kind       Kind
	Provider   string        // "google", "microsoft", "caldav"
	Op         string        // what was being done, e.g. "list events"
	Status     int           // HTTP status, 0 when none
	Code       string        // provider code: reason, Graph code, AADSTS number, DAV element
	Message    string        // the provider's message, sanitised and shortened
	Hint       string        // one line telling the person what to do
	RetryAfter time.Duration // for RateLimited / Unavailable
	Err        error         // underlying cause, if any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s", e.Provider, e.Kind)
	if e.Op != "" {
		s = fmt.Sprintf("%s %s: %s", e.Provider, e.Op, e.Kind)
	}
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != "" {
			s += " " + e.Code
		}
		s += ")"
	} else if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns the *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}

// KindOf returns err's Kind, "" when err is nil or not a provider error.
func KindOf(err error) Kind {
	if pe, ok := AsError(err); ok {
		return pe.Kind
	}
	return ""
}

// IsKind reports whether err is a provider error of kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Retryable reports whether the same call may succeed later without anyone acting.
func (k Kind) Retryable() bool {
	return k == RateLimited || k == Unavailable || k == Network
}

// NeedsReauth reports whether the account must sign in again (or get a new password).
func (k Kind) NeedsReauth() bool {
	return k == AuthExpired || k == AppPasswordRequired || k == InsufficientScope || k == AdminBlocked
}

// StopsAccount reports whether every call on the account would fail the same way until
// someone acts: a sign-in, or a setup change (SetupRequired).
func (k Kind) StopsAccount() bool {
	return k.NeedsReauth() || k == SetupRequired
}
