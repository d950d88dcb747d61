// Package conformance is the one test suite every calendar provider runs, so the sync
// engine can rely on the same behaviour from Google, Microsoft Graph and CalDAV.
//
// A provider's test calls Run with a Harness:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Harness{
//			Name: "google",
//			New: func(t *testing.T) *conformance.Env {
//				fake := googlefake.New(googlefake.Options{})
//				... start it, sign in, open the provider ...
//				return &conformance.Env{
//					Provider: p,
//					Calendar: "primary",
//					Inject: func(f conformance.Fault) error { ... },
//				}
//			},
//		})
//	}
//
// New is called once per subtest and must return an isolated remote (a fresh fake, or a
// fresh calendar on a shared server) with one empty, writable calendar. Cleanup goes in
// t.Cleanup.
//
// Inject arms one fault on that remote. From then on, until the Env is discarded, the
// calls the fault affects must fail exactly as the real service fails (same status, same
// body), so the provider's classifier is what is under test, not the harness. Faults on
// the OAuth refresh path (RevokedRefreshToken, MFARequired, AdminConsentRequired,
// MissingScope) must also make the provider's current access token unusable (expire it
// in the fake, or make the client believe it expired) so the next call has to refresh.
// A fault the provider cannot have (CalDAV has no OAuth; Google has no MFA error) is
// answered with ErrUnsupported: the suite then skips that case visibly, never passes it.
//
// What the suite checks: calendars list the test calendar as writable; create; a retried
// create makes one event; read back (subject, description, location, times, the
// ownership tag); all-day events; update with the etag; a stale etag -> Conflict on update
// and delete; delete, and deleting again is not an error; increments show each create /
// update / delete exactly once; a full listing and an increment across pages hold every
// event once; an
// expired cursor -> CursorExpired and a full listing then works; an event calsync did not
// write has no tag (when AddForeign is given); an event created and then deleted in the
// calendar is seen deleted from a cursor read after the create (delete-after-own-write);
// editing one occurrence of a series (AddSeries) changes that occurrence only, keeps the
// others and their versions, and a stale version is a Conflict; deleting one occurrence
// removes it alone, and deleting it again is not an error; each fault -> its Kind
// (ExpectedKind).
package conformance

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
)

// Fault is a failure the remote side can be made to produce.
type Fault string

const (
	RevokedRefreshToken  Fault = "revoked-refresh-token"  // refresh token expired or revoked
	MFARequired          Fault = "mfa-required"           // token endpoint demands multi-factor auth
	AdminConsentRequired Fault = "admin-consent-required" // tenant/workspace policy blocks the app
	ReadOnlyCalendar     Fault = "read-only-calendar"     // writes to Env.Calendar are refused
	MissingScope         Fault = "missing-scope"          // the grant lacks calendar access
	RateLimit            Fault = "rate-limit"             // 429 (or provider equivalent) with Retry-After
	ServerError          Fault = "server-error"           // 5xx on every API call
	ExpiredCursor        Fault = "expired-cursor"         // every change token issued so far is invalid
)

// Faults lists every Fault in the order the suite runs them.
var Faults = []Fault{RevokedRefreshToken, MFARequired, AdminConsentRequired, ReadOnlyCalendar,
	MissingScope, RateLimit, ServerError, ExpiredCursor}

// ExpectedKind is the Kind a provider must report for a fault.
func ExpectedKind(f Fault) providers.Kind {
	switch f {
	case RevokedRefreshToken:
		return providers.AuthExpired
	case MFARequired:
		return providers.AppPasswordRequired
	case AdminConsentRequired:
		return providers.AdminBlocked
	case ReadOnlyCalendar:
		return providers.ReadOnly
	case MissingScope:
		return providers.InsufficientScope
	case RateLimit:
		return providers.RateLimited
	case ServerError:
		return providers.Unavailable
	case ExpiredCursor:
		return providers.CursorExpired
	}
	return ""
}

// ErrUnsupported is what Inject / AddForeign return for something the provider cannot have.
var ErrUnsupported = errors.ErrUnsupported

// Env is one isolated remote with a provider connected to it.
type Env struct {
	Provider providers.Provider
	// Calendar is the id of an empty calendar the account may write to.
	Calendar string
	// Inject arms a fault (see the package comment). Required.
	Inject func(f Fault) error
	// AddForeign puts an event calsync did not write straight into the remote calendar
	// (as another client would) and returns its remote id. Optional.
	AddForeign func(subject string, start, end time.Time) (remoteID string, err error)
	// DeleteForeign deletes an event straight in the remote calendar, as another client
	// would (the person deleting it in their calendar app). Optional: without it the
	// suite deletes through the provider.
	DeleteForeign func(remoteID string) error
	// AddSeries puts a recurring series calsync did not write straight into the remote
	// calendar (as another client would): count daily occurrences of dur from start, with
	// subject. It returns the series id the provider reports as Event.SeriesID of its
	// occurrences. Optional: without it the occurrence cases are skipped, visibly.
	AddSeries func(subject string, start time.Time, dur time.Duration, count int) (seriesID string, err error)
	// Window is the sync window to list; zero = 30 days back to 90 days ahead of now.
	Window providers.Window
}

// Harness makes Envs.
type Harness struct {
	Name string
	New  func(t *testing.T) *Env
}

// Run runs the whole suite as subtests of t.
func Run(t *testing.T, h Harness) {
	if h.New == nil {
		t.Fatal("conformance: Harness.New is nil")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := h.New(t)
			if e == nil || e.Provider == nil || e.Calendar == "" {
				t.Fatal("conformance: Harness.New returned no provider or calendar")
			}
			c.run(t, newSuite(t, e))
		})
	}
	for _, f := range Faults {
		t.Run("fault/"+string(f), func(t *testing.T) {
			e := h.New(t)
			if e.Inject == nil {
				t.Fatal("conformance: Env.Inject is nil")
			}
			runFault(t, newSuite(t, e), f)
		})
	}
}

type suite struct {
	*Env
	ctx  context.Context
	base time.Time // start of the first test event, inside the window
	n    int
}

func newSuite(t *testing.T, e *Env) *suite {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	now := time.Now().UTC()
	if e.Window.Start.IsZero() && e.Window.End.IsZero() {
		e.Window = providers.Window{Start: now.AddDate(0, 0, -30), End: now.AddDate(0, 0, 90)}
	}
	base := now.Add(48 * time.Hour).Truncate(time.Hour)
	if !e.Window.Contains(base, base.Add(time.Hour)) {
		base = e.Window.Start.Add(24 * time.Hour).Truncate(time.Hour)
	}
	return &suite{Env: e, ctx: ctx, base: base}
}

// event builds a distinct timed event owned by a fresh activity id.
func (s *suite) event(subject string) providers.Event {
	s.n++
	start := s.base.Add(time.Duration(s.n) * 2 * time.Hour)
	return providers.Event{
		ActivityID:  fmt.Sprintf("0199a1b2-c3d4-7e5f-8a9b-%012d", time.Now().UnixNano()%1e12+int64(s.n)),
		Subject:     subject,
		Description: "Notes for " + subject + "\nsecond line",
		Location:    "Room 4",
		Start:       start,
		End:         start.Add(45 * time.Minute),
		TimeZone:    "UTC",
	}
}

// listing is a complete listing or increment, every page concatenated.
type listing struct {
	events []providers.Event
	bad    []providers.BadEvent
	cursor string
	pages  int
}

func (l listing) count(remoteID string) int {
	n := 0
	for _, e := range l.events {
		if e.RemoteID == remoteID {
			n++
		}
	}
	return n
}

func (l listing) find(remoteID string) (providers.Event, bool) {
	for _, e := range l.events {
		if e.RemoteID == remoteID {
			return e, true
		}
	}
	return providers.Event{}, false
}

func (s *suite) list(cursor string) (listing, error) {
	var l listing
	full := cursor == ""
	for {
		p, err := s.Provider.Changes(s.ctx, s.Calendar, cursor, s.Window)
		if err != nil {
			return l, err
		}
		l.pages++
		if p.Full != full {
			return l, fmt.Errorf("page %d: Full=%v for cursor %q", l.pages, p.Full, cursor)
		}
		l.events = append(l.events, p.Events...)
		l.bad = append(l.bad, p.Bad...)
		if !p.More {
			l.cursor = p.NextCursor
			if l.cursor == "" {
				return l, fmt.Errorf("last page gave no cursor to keep")
			}
			return l, nil
		}
		if p.NextCursor == "" || p.NextCursor == cursor {
			return l, fmt.Errorf("page %d says More but gives cursor %q", l.pages, p.NextCursor)
		}
		if l.pages > 1000 {
			return l, fmt.Errorf("more than 1000 pages: paging does not end")
		}
		cursor = p.NextCursor
	}
}

func (s *suite) mustList(t *testing.T, cursor string) listing {
	t.Helper()
	l, err := s.list(cursor)
	if err != nil {
		t.Fatalf("listing (cursor %q): %v", cursor, err)
	}
	if len(l.bad) > 0 {
		t.Fatalf("listing reported undecodable events: %+v", l.bad)
	}
	return l
}

func (s *suite) mustCreate(t *testing.T, ev providers.Event) providers.Event {
	t.Helper()
	got, err := s.Provider.Create(s.ctx, s.Calendar, ev)
	if err != nil {
		t.Fatalf("create %q: %v", ev.Subject, err)
	}
	if got.RemoteID == "" || got.ETag == "" {
		t.Fatalf("create %q returned no remote id or etag: %+v", ev.Subject, got)
	}
	return got
}

func sameEvent(t *testing.T, what string, want, got providers.Event) {
	t.Helper()
	if got.Subject != want.Subject || got.Description != want.Description || got.Location != want.Location {
		t.Errorf("%s: text = %q / %q / %q, want %q / %q / %q", what, got.Subject, got.Description,
			got.Location, want.Subject, want.Description, want.Location)
	}
	if !got.Start.Equal(want.Start) || !got.End.Equal(want.End) {
		t.Errorf("%s: time = %v..%v, want %v..%v", what, got.Start, got.End, want.Start, want.End)
	}
	if got.AllDay != want.AllDay {
		t.Errorf("%s: AllDay = %v, want %v", what, got.AllDay, want.AllDay)
	}
	if got.ActivityID != want.ActivityID {
		t.Errorf("%s: ownership tag = %q, want %q", what, got.ActivityID, want.ActivityID)
	}
	if got.Deleted {
		t.Errorf("%s: marked deleted", what)
	}
}

func wantKind(t *testing.T, what string, err error, k providers.Kind) *providers.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want Kind %s", what, k)
	}
	pe, ok := providers.AsError(err)
	if !ok {
		t.Fatalf("%s: error %T %q is not a *providers.Error (want Kind %s)", what, err, err, k)
	}
	if pe.Kind != k {
		t.Fatalf("%s: Kind %s, want %s (error: %v)", what, pe.Kind, k, err)
	}
	if pe.Hint == "" && k.NeedsReauth() {
		t.Errorf("%s: Kind %s has no hint telling the person what to do", what, k)
	}
	return pe
}
