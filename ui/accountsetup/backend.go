package accountsetup

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// Backend is what the account and settings screens need. The screens only see this
// interface so their Update/View can be tested alone; Manager is the real one.
type Backend interface {
	// Accounts lists the stored accounts.
	Accounts(ctx context.Context) ([]store.Account, error)
	// Connect tests a draft: it signs in (OAuth) or logs in (CalDAV), lists the calendars
	// and compares granted scopes with the needed ones. Nothing is saved. prompt receives
	// what the person must see while it waits (sign-in URL, device code); it may be nil.
	Connect(ctx context.Context, d Draft, prompt func(Prompt)) (*Connection, error)
	// Save stores a tested connection: a new account, or, when the draft has ReconnectID,
	// a fresh sign-in for that account that keeps its settings and links.
	Save(ctx context.Context, c *Connection) (store.Account, error)
	// SetEnabled stops (false) or resumes (true) an account's sync.
	SetEnabled(ctx context.Context, accountID string, enabled bool) error
	// Remove deletes the account, its secret, settings and links; activities stay.
	Remove(ctx context.Context, accountID string) error
	// Calendars lists the account's stored calendars.
	Calendars(ctx context.Context, accountID string) ([]store.Calendar, error)
	// Settings reads the account's sync settings (defaults when none were saved).
	Settings(ctx context.Context, accountID string) (store.SyncSettings, error)
	// Preview dry-runs the first sync with s as if it were saved, changing nothing.
	Preview(ctx context.Context, s store.SyncSettings) (Preview, error)
	// ApplySettings saves s (setting activated_at the first time sync is enabled).
	ApplySettings(ctx context.Context, s store.SyncSettings) (store.SyncSettings, error)
	// ClientDefaults is the OAuth client prefilled for kind (from CALSYNC_* variables).
	ClientDefaults(kind string) (clientID, clientSecret string)
}

// Draft is what the add-account form collected.
type Draft struct {
	Choice    Choice
	Name      string // display name; "" = derived from the login
	ServerURL string // CalDAV
	Username  string // CalDAV
	// Password is the CalDAV app password. It is never printed, logged or put in an error.
	Password     string
	ClientID     string // OAuth
	ClientSecret string // OAuth (Google desktop clients have one; it is not secret in practice)
	// ReconnectID is the account being signed in again, "" for a new account.
	ReconnectID string
	// Endpoints override where the provider lives (tests, demo mode).
	Endpoints providers.Endpoints
}

// Prompt is what a waiting sign-in shows.
type Prompt struct {
	// AuthURL is the page to sign in at (loopback flow); always shown, even when the
	// browser opened, because opening can silently fail.
	AuthURL       string
	BrowserOpened bool
	// UserCode and VerificationURL are the device-code flow's: type UserCode at
	// VerificationURL before ExpiresAt. With AuthURL, ExpiresAt is when the loopback
	// sign-in stops waiting for the browser.
	UserCode        string
	VerificationURL string
	ExpiresAt       time.Time
}

// Connection is a tested draft, ready to save.
type Connection struct {
	Draft     Draft
	Login     string
	Granted   []string
	Missing   []string
	Calendars []providers.Calendar
	// Secret is the token JSON or the password, stored as-is; never printed.
	Secret     []byte
	SecretKind string // oauth_token | password
}

// ScopeError says a sign-in succeeded but did not grant everything calsync needs.
type ScopeError struct {
	Kind    string // provider kind
	Missing []string
}

func (e *ScopeError) Error() string {
	return fmt.Sprintf("%s: %s (missing %s)", e.Kind, providers.InsufficientScope, strings.Join(e.Missing, ", "))
}

// Preview is what a dry run of the first sync with new settings would do.
type Preview struct {
	Push    int // activities created in the calendar
	Update  int // calendar events updated
	Delete  int // calendar events deleted
	Import  int // calendar events imported as activities
	Pulled  int // activities changed from the calendar
	Skipped map[string]int
	// Conflicts and Errors would need attention.
	Conflicts int
	Errors    int
	// Next is set when the account has synced under earlier settings: the preview is of
	// the next sync, and "the first sync" would mislead.
	Next bool
	// LeftBehind counts the events calsync made for types these settings no longer
	// sync: no sync removes them (the doctor's fix remove-left-behind can), and
	// LeftBehindTypes says of which types ("meeting, lunch").
	LeftBehind      int
	LeftBehindTypes string
}

// skipWording turns the engine's skip reason codes into words.
var skipWording = map[string]string{
	"before-activation":  "created before sync was switched on",
	"type-not-synced":    "of types that are not synced",
	"not-owner":          "owned by someone else",
	"outside-window":     "outside the sync window",
	"direction":          "the sync direction does not carry",
	"other-account":      "imported from another calendar account",
	"duplicate-tag":      "duplicate events already linked",
	"read-only-calendar": "the calendar is read-only",
}

// Sentence is the preview as a person reads it: "the first sync will push 42 activities,
// import 17 events, skip 8 created before sync was switched on".
func (p Preview) Sentence() string {
	var parts []string
	add := func(n int, one, many string) {
		if n == 1 {
			parts = append(parts, one)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf(many, n))
		}
	}
	add(p.Push, "push 1 activity", "push %d activities")
	add(p.Update, "update 1 calendar event", "update %d calendar events")
	add(p.Delete, "delete 1 calendar event", "delete %d calendar events")
	add(p.Import, "import 1 event", "import %d events")
	add(p.Pulled, "update 1 activity from the calendar", "update %d activities from the calendar")
	reasons := make([]string, 0, len(p.Skipped))
	for r := range p.Skipped {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if p.Skipped[reasons[i]] != p.Skipped[reasons[j]] {
			return p.Skipped[reasons[i]] > p.Skipped[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	for _, r := range reasons {
		n := p.Skipped[r]
		if n == 0 {
			continue
		}
		w, ok := skipWording[r]
		if !ok {
			w = "(" + r + ")"
		}
		parts = append(parts, fmt.Sprintf("skip %d %s", n, w))
	}
	add(p.Conflicts, "meet 1 conflict", "meet %d conflicts")
	add(p.Errors, "fail on 1 item", "fail on %d items")
	which := "the first sync"
	if p.Next {
		which = "the next sync"
	}
	out := which + " will change nothing"
	if len(parts) > 0 {
		out = which + " will " + strings.Join(parts, ", ")
	}
	if p.LeftBehind > 0 {
		events := fmt.Sprintf("%d events", p.LeftBehind)
		if p.LeftBehind == 1 {
			events = "1 event"
		}
		out += fmt.Sprintf("; %s calsync made for types no longer synced (%s) will stay in the calendar, no longer updated (`calsync doctor` offers to remove them)",
			events, p.LeftBehindTypes)
	}
	return out
}
