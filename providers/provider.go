// Package providers defines what calsync needs from a calendar service: the Provider
// contract every backend implements (Google, Microsoft Graph, CalDAV), the events and
// calendars they exchange, and the error taxonomy the engine and the doctor decide on.
//
// Backends live in sub-packages, each with a faithful fake server beside it. Nothing in
// this tree imports store: refreshed tokens are handed back through SecretSaver.
package providers

import (
	"context"
	"time"
)

// Provider is one connected calendar account.
type Provider interface {
	// Calendars lists the account's calendars with their read-only flags.
	Calendars(ctx context.Context) ([]Calendar, error)
	// Changes returns one page of changes in calendar cal. cursor "" asks for a full
	// listing of the window; otherwise it is a NextCursor from an earlier page. When
	// page.More is true, call again with page.NextCursor; when it is false,
	// page.NextCursor is the change token to keep for the next run. A stale token gives
	// an *Error of Kind CursorExpired: the caller starts over with "".
	Changes(ctx context.Context, cal string, cursor string, win Window) (ChangePage, error)
	// Create writes ev as a new event. It is idempotent on ev.ActivityID: the remote id
	// is derived from it, so a retry after a crash finds the event instead of making a
	// second one, and returns it.
	Create(ctx context.Context, cal string, ev Event) (Event, error)
	// Update replaces the event ev.RemoteID if its etag still is ifMatch ("" = unconditional).
	Update(ctx context.Context, cal string, ev Event, ifMatch string) (Event, error)
	// Delete removes the event if its etag still is ifMatch ("" = unconditional).
	// Deleting an event that is already gone is not an error.
	Delete(ctx context.Context, cal, remoteID, ifMatch string) error
	// Access reports who the account is and which scopes were actually granted.
	Access(ctx context.Context) (AccessReport, error)
}

// Window bounds a listing: events ending before Start or starting after End are left out.
// Recurring events are expanded into instances inside it.
type Window struct {
	Start, End time.Time
}

// Contains reports whether an event [start, end) overlaps the window. A zero window contains everything.
func (w Window) Contains(start, end time.Time) bool {
	if w.Start.IsZero() && w.End.IsZero() {
		return true
	}
	if end.Before(start) || end.IsZero() {
		end = start
	}
	return !end.Before(w.Start) && !start.After(w.End)
}

// Calendar is one calendar of an account.
type Calendar struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone,omitempty"`
	ReadOnly bool   `json:"read_only"`
	Primary  bool   `json:"primary"`
	// Events is false for collections that hold no VEVENTs (CalDAV task lists).
	Events bool `json:"events"`
}

// Event is a calendar event as calsync sees it, whatever the provider.
type Event struct {
	RemoteID string `json:"remote_id"`      // Google event id, Graph id, CalDAV href
	ETag     string `json:"etag,omitempty"` // etag or Graph changeKey
	ICalUID  string `json:"ical_uid,omitempty"`
	// ActivityID is the ownership tag: the calsync activity this event was written for,
	// "" for events calsync did not create.
	ActivityID  string    `json:"activity_id,omitempty"`
	Subject     string    `json:"subject"`
	Description string    `json:"description,omitempty"`
	Location    string    `json:"location,omitempty"`
	Start       time.Time `json:"start"` // UTC; for all-day events midnight of the day in TimeZone
	End         time.Time `json:"end"`
	TimeZone    string    `json:"time_zone,omitempty"` // IANA name the event was written in
	AllDay      bool      `json:"all_day,omitempty"`
	// Deleted marks a removal in a change page (Google cancelled, Graph @removed, CalDAV 404).
	Deleted bool      `json:"deleted,omitempty"`
	Updated time.Time `json:"updated,omitempty"` // remote last-modified
	// SeriesID is the recurring master's id when this is an expanded instance.
	SeriesID string `json:"series_id,omitempty"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// ChangePage is one page of a listing or of an increment.
type ChangePage struct {
	Events []Event
	// Bad lists events on the page that could not be decoded; the rest still arrive.
	Bad        []BadEvent
	NextCursor string
	More       bool
	// Full is true when this page belongs to a full listing (cursor was ""), so events
	// absent from the whole listing are gone remotely.
	Full bool
	// CompleteSeries lists series (Event.SeriesID) whose occurrences inside the window are
	// all on this page (CalDAV: a changed series resource is sent whole), so an occurrence
	// of one that is not on the page is gone (an EXDATE, a changed rule) even in an increment.
	CompleteSeries []string
}

// BadEvent is a remote event that could not be understood.
type BadEvent struct {
	RemoteID string
	// Subject is the event's title when it could be read, so the person can find it.
	Subject string
	Err     error
	// Unsupported is true when the event's own content is what calsync cannot take (a
	// per-second recurrence, unreadable iCalendar): the event is set aside, it is no
	// failure of the run. False for a failure to fetch it, which a retry may cure.
	Unsupported bool
}

// AccessReport says who the account is and what it may do.
type AccessReport struct {
	Login   string   `json:"login"`
	Granted []string `json:"granted_scopes,omitempty"`
	Needed  []string `json:"needed_scopes,omitempty"`
	Missing []string `json:"missing_scopes,omitempty"`
	// CanWrite is false when the grant only allows reading (e.g. calendar.readonly).
	CanWrite bool `json:"can_write"`
}

// SecretSaver persists a secret the provider renewed (a refreshed OAuth token, as JSON).
// The store implements it; providers never import store.
type SecretSaver interface {
	SaveSecret(ctx context.Context, accountID string, secret []byte) error
}

// Endpoints overrides where a provider talks to, so fakes can stand in for the real services.
type Endpoints struct {
	API        string `json:"api,omitempty"`         // Google/Graph API base; CalDAV base URL
	Auth       string `json:"auth,omitempty"`        // OAuth authorization endpoint
	Token      string `json:"token,omitempty"`       // OAuth token endpoint
	DeviceCode string `json:"device_code,omitempty"` // OAuth device-code endpoint
}
