package graphfake

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/calsync/calsync/providers/microsoft/internal/winzones"
	"github.com/google/uuid"
)

// Event is an event as seeding methods take it and as Events reports it: what another
// Outlook client would have written straight into the mailbox.
type Event struct {
	ID       string // "" = a new id (PutEvent)
	Subject  string
	Body     string // plain text
	Location string
	Start    time.Time
	End      time.Time
	// TimeZone is the zone the event is written in (IANA or Windows name); "" = UTC.
	TimeZone   string
	AllDay     bool
	Recurrence *Recurrence
	// Props are single-value extended properties by id ("String {GUID} Name X"). Events
	// reports the ids lower-cased, as the fake matches them case-insensitively.
	Props         map[string]string
	TransactionID string
	ChangeKey     string // filled on output
}

// ErrNoCalendar is returned by seeding methods given an unknown calendar id.
var ErrNoCalendar = errors.New("graphfake: no such calendar")

// AddCalendar adds a calendar (ID "" = a new Exchange-like id) and returns its id.
func (s *Server) AddCalendar(c Calendar) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	nc := s.st.addCalendar(c)
	s.persistLocked()
	return nc.ID
}

// Calendars lists the calendars.
func (s *Server) Calendars() []Calendar {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Calendar, 0, len(s.st.Calendars))
	for _, c := range s.st.Calendars {
		out = append(out, *c)
	}
	return out
}

// DefaultCalendar is the id of the default calendar.
func (s *Server) DefaultCalendar() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.defaultCalendarLocked()
}

// SetCanEdit makes a calendar writable or read-only (a calendar shared with the user
// for reading): writes to it then get 403 ErrorAccessDenied and it lists canEdit false.
func (s *Server) SetCanEdit(cal string, canEdit bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.calendar(cal)
	if c == nil {
		return ErrNoCalendar
	}
	c.CanEdit = canEdit
	c.ChangeKey = randomID("", 12)
	return s.persistLocked()
}

// PutEvent creates e in cal (or replaces the event with e.ID there) as another client
// would, recording a change for delta. It returns the stored event.
func (s *Server) PutEvent(cal string, e Event) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.calendar(cal) == nil {
		return Event{}, ErrNoCalendar
	}
	zone := e.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	if !writableZone(zone) {
		// Outlook and the other clients store Windows zone names: an IANA zone Graph
		// would refuse is kept as its Windows name (PROVIDERS.md, Microsoft Graph).
		w, ok := winzones.Windows(zone)
		if !ok {
			return Event{}, fmt.Errorf("time zone %q is not supported by Graph", zone)
		}
		zone = w
	}
	loc, err := loadZone(zone)
	if err != nil {
		return Event{}, err
	}
	now := s.now()
	se := s.st.Events[e.ID]
	if e.ID == "" || se == nil {
		se = &storedEvent{ID: e.ID, CalendarID: cal, Created: now,
			ICalUID: "040000008200E00074C5B7101A82E008" + strings.ToUpper(strings.ReplaceAll(uuid.NewString(), "-", ""))}
		if se.ID == "" {
			se.ID = randomID("AAMkAGI2THVSAAA", 30)
		}
	}
	se.CalendarID, se.Subject, se.Body, se.BodyType, se.Location = cal, e.Subject, e.Body, "text", e.Location
	se.Start = dateTimeTZ{DateTime: e.Start.In(loc).Format(graphDateTime), TimeZone: zone}
	se.End = dateTimeTZ{DateTime: e.End.In(loc).Format(graphDateTime), TimeZone: zone}
	se.IsAllDay, se.Recurrence, se.TransactionID = e.AllDay, e.Recurrence, e.TransactionID
	se.Props = map[string]string{}
	for k, v := range e.Props {
		se.Props[canonicalPropID(k)] = v
	}
	se.Deleted, se.Raw, se.Modified = false, "", now
	se.ChangeKey = randomID("DwAAABYAAAA", 12)
	se.Seq = s.st.bump()
	s.st.Events[se.ID] = se
	if err := s.persistLocked(); err != nil {
		return Event{}, err
	}
	return exportEvent(se), nil
}

// PutRawEvent makes the calendar hold an event whose JSON in delta listings is raw,
// verbatim — a malformed or hostile event such as a broken sync partner leaves behind.
func (s *Server) PutRawEvent(cal, id, raw string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.calendar(cal) == nil {
		return ErrNoCalendar
	}
	now := s.now()
	s.st.Events[id] = &storedEvent{ID: id, CalendarID: cal, Raw: raw, Created: now, Modified: now,
		ChangeKey: randomID("DwAAABYAAAA", 12), Seq: s.st.bump()}
	return s.persistLocked()
}

// DeleteEvent deletes an event as another client would.
func (s *Server) DeleteEvent(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.st.Events[id]
	if e == nil || e.Deleted {
		return ErrNoEvent
	}
	e.Deleted, e.Modified, e.Seq = true, s.now(), s.st.bump()
	return s.persistLocked()
}

// ErrNoEvent is returned for an unknown or deleted event id.
var ErrNoEvent = errors.New("graphfake: no such event")

// Events lists the calendar's live events (series masters, not occurrences).
func (s *Server) Events(cal string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.st.eventsIn(cal) {
		if !e.Deleted {
			out = append(out, exportEvent(e))
		}
	}
	return out
}

// Event returns one live event.
func (s *Server) Event(id string) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.st.Events[id]
	if e == nil || e.Deleted {
		return Event{}, ErrNoEvent
	}
	return exportEvent(e), nil
}

func exportEvent(e *storedEvent) Event {
	st, _ := e.Start.absolute()
	en, _ := e.End.absolute()
	out := Event{ID: e.ID, Subject: e.Subject, Location: e.Location, Start: st.UTC(), End: en.UTC(),
		TimeZone: e.Start.TimeZone, AllDay: e.IsAllDay, Recurrence: e.Recurrence,
		TransactionID: e.TransactionID, ChangeKey: e.ChangeKey, Props: map[string]string{}}
	b, _ := renderBody(e, true)
	out.Body = b.Content
	for k, v := range e.Props {
		out.Props[k] = v
	}
	return out
}
