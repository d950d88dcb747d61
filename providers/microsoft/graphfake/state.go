package graphfake

import (
	"sort"
	"strings"
	"time"
)

// state is everything that survives a restart (Options.StateFile).
type state struct {
	User      User                    `json:"user"`
	Calendars []*Calendar             `json:"calendars"`
	Events    map[string]*storedEvent `json:"events"` // by id, tombstones included
	Seq       int64                   `json:"seq"`    // change counter: every write bumps it
	// DeltaGeneration is part of every delta/skip token; bumping it expires them all.
	DeltaGeneration int `json:"delta_generation"`
	// DeltaExpiredCode is the code expired tokens answer with (SyncStateNotFound or resyncRequired).
	DeltaExpiredCode string `json:"delta_expired_code,omitempty"`

	Access  map[string]*grant       `json:"access_tokens"`
	Refresh map[string]*grant       `json:"refresh_tokens"`
	Codes   map[string]*authCode    `json:"auth_codes"`
	Devices map[string]*deviceGrant `json:"device_codes"` // by device_code
	// GrantedScopes, when non-nil, overrides Options.GrantedScopes (SetGrantedScopes).
	GrantedScopes []string `json:"granted_scopes,omitempty"`
	Faults        faults   `json:"faults"`
}

func (st *state) init() {
	if st.Events == nil {
		st.Events = map[string]*storedEvent{}
	}
	if st.Access == nil {
		st.Access = map[string]*grant{}
	}
	if st.Refresh == nil {
		st.Refresh = map[string]*grant{}
	}
	if st.Codes == nil {
		st.Codes = map[string]*authCode{}
	}
	if st.Devices == nil {
		st.Devices = map[string]*deviceGrant{}
	}
}

// Calendar is a calendar as the fake keeps it (and as seeding takes it).
type Calendar struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CanEdit   bool   `json:"canEdit"`
	IsDefault bool   `json:"isDefaultCalendar"`
	// OwnerName / OwnerAddress default to the signed-in user.
	OwnerName    string `json:"ownerName,omitempty"`
	OwnerAddress string `json:"ownerAddress,omitempty"`
	ChangeKey    string `json:"changeKey"`
}

func (st *state) addCalendar(c Calendar) *Calendar {
	if c.ID == "" {
		c.ID = randomID("AAMkAGI2TG93AAA", 24)
	}
	if c.OwnerAddress == "" {
		c.OwnerName, c.OwnerAddress = st.User.DisplayName, st.User.Mail
	}
	c.ChangeKey = randomID("", 12)
	cp := c
	st.Calendars = append(st.Calendars, &cp)
	return &cp
}

func (st *state) calendar(id string) *Calendar {
	for _, c := range st.Calendars {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// storedEvent is an event as Graph keeps it: times as written (dateTime + timeZone),
// body with its content type, extended properties by id.
type storedEvent struct {
	ID            string            `json:"id"`
	CalendarID    string            `json:"calendarId"`
	ChangeKey     string            `json:"changeKey"`
	TransactionID string            `json:"transactionId,omitempty"`
	ICalUID       string            `json:"iCalUId"`
	Subject       string            `json:"subject"`
	BodyType      string            `json:"bodyType"` // "text" or "html"
	Body          string            `json:"body"`
	Location      string            `json:"location"`
	Start         dateTimeTZ        `json:"start"`
	End           dateTimeTZ        `json:"end"`
	IsAllDay      bool              `json:"isAllDay"`
	Recurrence    *Recurrence       `json:"recurrence,omitempty"`
	Props         map[string]string `json:"props,omitempty"` // canonical id -> value
	Created       time.Time         `json:"created"`
	Modified      time.Time         `json:"modified"`
	Seq           int64             `json:"seq"`
	Deleted       bool              `json:"deleted,omitempty"`
	// Exceptions are the series' occurrences changed one by one (Graph type
	// "exception"), by occurrence id; DeletedOccurrences the ones deleted one by one.
	// PATCH / DELETE of an occurrence id makes them, as Graph does (Graph's event update
	// and delete reference: an occurrence id addresses that one instance, the series and
	// its other occurrences stay; PROVIDERS.md's Graph section does not cover recurrence).
	Exceptions         map[string]*storedEvent `json:"exceptions,omitempty"`
	DeletedOccurrences []string                `json:"deletedOccurrences,omitempty"`
	// Raw, when set, is served verbatim in listings instead of the rendered event: a
	// seeding hook for malformed events (what a broken server or a hostile sync partner
	// could leave behind).
	Raw string `json:"raw,omitempty"`
}

type dateTimeTZ struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// grant is what an access or refresh token stands for.
type grant struct {
	Scopes  []string  `json:"scopes"` // short names
	Expires time.Time `json:"expires"`
	Revoked bool      `json:"revoked,omitempty"`
}

type authCode struct {
	Scopes      []string  `json:"scopes"`
	RedirectURI string    `json:"redirect_uri"`
	Challenge   string    `json:"challenge"`
	Method      string    `json:"method"`
	Expires     time.Time `json:"expires"`
	Used        bool      `json:"used"`
}

type deviceGrant struct {
	UserCode string    `json:"user_code"`
	Scopes   []string  `json:"scopes"`
	Expires  time.Time `json:"expires"`
	Approved bool      `json:"approved"`
	Declined bool      `json:"declined"`
	Redeemed bool      `json:"redeemed"`
	LastPoll time.Time `json:"last_poll"`
}

func (st *state) bump() int64 {
	st.Seq++
	return st.Seq
}

// eventsIn lists the calendar's events (tombstones included) in a stable order.
func (st *state) eventsIn(cal string) []*storedEvent {
	var out []*storedEvent
	for _, e := range st.Events {
		if e.CalendarID == cal {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Seq != out[j].Seq {
			return out[i].Seq < out[j].Seq
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// canonicalPropID normalises an extended property id the way Exchange matches them:
// case-insensitively, with single spaces.
func canonicalPropID(id string) string {
	return strings.ToLower(strings.Join(strings.Fields(id), " "))
}

// faults are the armed fault switches. They are part of the saved state, so a demo
// scenario ("MFA required") still holds after the fake restarts on another port.
type faults struct {
	Token      TokenFault `json:"token,omitempty"`
	Skip       int        `json:"skip,omitempty"`
	FailNext   int        `json:"fail_next,omitempty"`
	FailAll    bool       `json:"fail_all,omitempty"`
	APIFault   APIFault   `json:"api_fault,omitempty"`
	RetryAfter int        `json:"retry_after,omitempty"`
}
