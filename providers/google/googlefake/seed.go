package googlefake

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// AddCalendar adds a calendar to the account's list. TimeZone defaults to UTC and
// AccessRole to "owner".
func (s *Server) AddCalendar(c Calendar) error {
	if c.ID == "" {
		return errors.New("googlefake: calendar needs an id")
	}
	if c.TimeZone == "" {
		c.TimeZone = "UTC"
	}
	if c.AccessRole == "" {
		c.AccessRole = "owner"
	}
	if c.Summary == "" {
		c.Summary = c.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calendarLocked(c.ID) != nil {
		return fmt.Errorf("googlefake: calendar %q exists", c.ID)
	}
	s.st.Calendars = append(s.st.Calendars, &calendar{Calendar: c, Events: map[string]*storedEvent{}})
	s.dirty = true
	s.saveLocked()
	return nil
}

// Calendars returns the calendar list ("primary" is Options.Login).
func (s *Server) Calendars() []Calendar {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Calendar
	for _, c := range s.st.Calendars {
		out = append(out, c.Calendar)
	}
	return out
}

// RemoveCalendar deletes a calendar with its events (its owner deleted it, or it was
// unshared): like Google (shared/PROVIDERS.md, NotFound: 404 notFound), every later call
// on it (list, get, insert, update, delete) answers 404 notFound and calendarList no
// longer has it.
func (s *Server) RemoveCalendar(calID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.st.Calendars {
		if c.ID == calID || (calID == "primary" && c.Primary) {
			s.st.Calendars = append(s.st.Calendars[:i], s.st.Calendars[i+1:]...)
			s.dirty = true
			s.saveLocked()
			return nil
		}
	}
	return errNoCalendar
}

// SetAccessRole changes the account's role on a calendar: "reader" or "freeBusyReader"
// makes writes fail with 403 requiredAccessLevel.
func (s *Server) SetAccessRole(calID, role string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil {
		return errNoCalendar
	}
	c.AccessRole = role
	s.dirty = true
	s.saveLocked()
	return nil
}

// PutEvent stores e as if another client wrote it (no scope or role checks), creating or
// replacing it, and returns it as Google would answer. An empty ID gets a random one.
func (s *Server) PutEvent(calID string, e Event) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil {
		return Event{}, errNoCalendar
	}
	if e.ID == "" {
		e.ID = randomID()
	}
	if eb := validate(&e, c.TimeZone); eb != nil {
		return Event{}, fmt.Errorf("googlefake: %s", eb.Message)
	}
	now := stamp(s.now())
	if e.Kind == "" {
		e.Kind = "calendar#event"
	}
	if e.Status == "" {
		e.Status = "confirmed"
	}
	if e.Created == "" {
		e.Created = now
	}
	e.Updated = now
	if e.ICalUID == "" {
		e.ICalUID = e.ID + "@google.com"
	}
	var seq int64
	e.Etag, seq = s.etagLocked()
	c.Events[e.ID] = &storedEvent{Event: e, Seq: seq}
	s.dirty = true
	s.saveLocked()
	return e, nil
}

// PutRawEvent stores raw JSON that listings and increments serve verbatim, to test how a
// client copes with an event it cannot decode. id is the map key (and should be raw's id).
func (s *Server) PutRawEvent(calID, id string, raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil {
		return errNoCalendar
	}
	_, seq := s.etagLocked()
	c.Events[id] = &storedEvent{Raw: json.RawMessage(append([]byte(nil), raw...)), Seq: seq}
	s.dirty = true
	s.saveLocked()
	return nil
}

// DeleteEvent cancels an event as another client would.
func (s *Server) DeleteEvent(calID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil {
		return errNoCalendar
	}
	se, ok := c.Events[id]
	if !ok {
		return errors.New("googlefake: no such event")
	}
	s.cancelSeriesLocked(c, se)
	s.saveLocked()
	return nil
}

// Events returns every stored event of a calendar, cancelled ones included (raw ones
// decoded as far as possible).
func (s *Server) Events(calID string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calendarLocked(calID)
	if c == nil {
		return nil
	}
	var out []Event
	for id, se := range c.Events {
		if se.Raw != nil {
			out = append(out, Event{ID: id})
			continue
		}
		out = append(out, se.Event)
	}
	sortEvents(out, c.TimeZone)
	return out
}

// SetFaults replaces the fault switches.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Faults = f
	s.dirty = true
	s.saveLocked()
}

// Faults returns the current fault switches.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Faults
}

// RevokeTokens revokes every refresh token and access token issued so far (the user
// removed calsync at myaccount.google.com/permissions): API calls answer 401 authError and
// refreshes 400 invalid_grant "Token has been expired or revoked.".
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range s.st.Refresh {
		rt.Revoked = true
	}
	s.st.Access = map[string]*accessToken{}
	s.dirty = true
	s.saveLocked()
}

// ExpireAccessTokens makes every issued access token expired, so clients must refresh.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, at := range s.st.Access {
		at.Expiry = past
	}
	s.dirty = true
	s.saveLocked()
}

// SetGrantedScopes restricts what consent grants from now on (asked ∩ scopes) and narrows
// every existing grant the same way, as when a user or admin withdraws calendar access.
// nil restores "grant whatever is asked" for future consents.
func (s *Server) SetGrantedScopes(scopes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if scopes == nil {
		s.st.GrantScopes, s.st.GrantSet = nil, false
	} else {
		s.st.GrantScopes, s.st.GrantSet = append([]string{}, scopes...), true
		for _, rt := range s.st.Refresh {
			rt.Scopes = intersect(rt.Scopes, scopes)
		}
		for _, at := range s.st.Access {
			at.Scopes = intersect(at.Scopes, scopes)
		}
	}
	s.dirty = true
	s.saveLocked()
}

// ExpireSyncTokens invalidates every sync token and increment page token issued for
// calID ("" = all calendars): they then answer 410 fullSyncRequired.
func (s *Server) ExpireSyncTokens(calID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.st.Calendars {
		if calID == "" || c.ID == calID {
			c.Epoch++
		}
	}
	s.dirty = true
	s.saveLocked()
}

// IssueToken mints a refresh token and an access token for scopes without going through
// consent (test and demo seeding). It returns the token response fields.
func (s *Server) IssueToken(scopes []string) (accessToken, refreshTok string, expiry time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	refreshTok = "1//0" + randomToken(40)
	s.st.Refresh[refreshTok] = &refreshToken{Scopes: scopes, Issued: s.now()}
	accessToken = s.issueAccessLocked(scopes)
	s.saveLocked()
	return accessToken, refreshTok, s.now().Add(s.opts.AccessTokenTTL)
}
