package googlefake

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/calsync/calsync/providers/internal/zonecache"
)

// Event is a Google Calendar event resource (the fields calsync and the fake use).
type Event struct {
	Kind               string              `json:"kind,omitempty"`
	Etag               string              `json:"etag,omitempty"`
	ID                 string              `json:"id,omitempty"`
	Status             string              `json:"status,omitempty"`
	HTMLLink           string              `json:"htmlLink,omitempty"`
	Created            string              `json:"created,omitempty"`
	Updated            string              `json:"updated,omitempty"`
	Summary            string              `json:"summary,omitempty"`
	Description        string              `json:"description,omitempty"`
	Location           string              `json:"location,omitempty"`
	Creator            *Person             `json:"creator,omitempty"`
	Organizer          *Person             `json:"organizer,omitempty"`
	Start              *EventDateTime      `json:"start,omitempty"`
	End                *EventDateTime      `json:"end,omitempty"`
	Recurrence         []string            `json:"recurrence,omitempty"`
	RecurringEventID   string              `json:"recurringEventId,omitempty"`
	OriginalStartTime  *EventDateTime      `json:"originalStartTime,omitempty"`
	Transparency       string              `json:"transparency,omitempty"`
	ICalUID            string              `json:"iCalUID,omitempty"`
	Sequence           int                 `json:"sequence"`
	ExtendedProperties *ExtendedProperties `json:"extendedProperties,omitempty"`
	EventType          string              `json:"eventType,omitempty"`
}

// Person is a creator or organizer.
type Person struct {
	Email string `json:"email,omitempty"`
	Self  bool   `json:"self,omitempty"`
}

// EventDateTime is Google's start/end: Date (all-day, "2006-01-02") or DateTime (RFC 3339).
type EventDateTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

// ExtendedProperties holds private (per-calendar copy) and shared properties.
type ExtendedProperties struct {
	Private map[string]string `json:"private,omitempty"`
	Shared  map[string]string `json:"shared,omitempty"`
}

// parse returns the instant and whether it is all-day, in loc for dates.
func (d *EventDateTime) parse(loc *time.Location) (time.Time, bool, error) {
	if d == nil {
		return time.Time{}, false, fmt.Errorf("missing")
	}
	if d.DateTime != "" {
		t, err := time.Parse(time.RFC3339, d.DateTime)
		return t, false, err
	}
	if d.Date != "" {
		if d.TimeZone != "" {
			if l, err := zonecache.Load(d.TimeZone); err == nil {
				loc = l
			}
		}
		t, err := time.ParseInLocation("2006-01-02", d.Date, loc)
		return t, true, err
	}
	return time.Time{}, false, fmt.Errorf("neither date nor dateTime")
}

// normalise rewrites dateTime in the event's (or calendar's) zone with its offset, as
// Google answers.
func (d *EventDateTime) normalise(calTZ string) {
	if d == nil || d.DateTime == "" {
		return
	}
	t, err := time.Parse(time.RFC3339, d.DateTime)
	if err != nil {
		return
	}
	tz := d.TimeZone
	if tz == "" {
		tz = calTZ
	}
	if loc, err := zonecache.Load(tz); err == nil {
		t = t.In(loc)
	}
	d.DateTime = t.Format(time.RFC3339)
}

var idAlphabet = "abcdefghijklmnopqrstuv0123456789"

// ValidID reports whether id is acceptable as a client-chosen Google event id.
func ValidID(id string) bool {
	if len(id) < 5 || len(id) > 1024 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !strings.ContainsRune(idAlphabet, rune(id[i])) {
			return false
		}
	}
	return true
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// minimalCancelled is what Google sends for a deleted event in an increment.
func minimalCancelled(e Event) Event {
	return Event{Kind: "calendar#event", Etag: e.Etag, ID: e.ID, Status: "cancelled",
		RecurringEventID: e.RecurringEventID, OriginalStartTime: e.OriginalStartTime}
}

// instances expands a recurring master within [tmin, tmax). Instances carry Google's id
// scheme: master id + "_" + original start (UTC basic format, or date for all-day).
func instances(e Event, calTZ string, tmin, tmax time.Time) ([]Event, error) {
	loc, err := zonecache.Load(firstNonEmpty(e.Start.TimeZone, calTZ))
	if err != nil {
		loc = time.UTC
	}
	start, allDay, err := e.Start.parse(loc)
	if err != nil {
		return nil, err
	}
	end, _, err := e.End.parse(loc)
	if err != nil {
		return nil, err
	}
	dur := end.Sub(start)
	set, err := rrule.StrSliceToRRuleSetInLoc(e.Recurrence, loc)
	if err != nil {
		return nil, err
	}
	set.DTStart(start.In(loc))
	if tmin.IsZero() {
		tmin = start
	}
	if tmax.IsZero() {
		tmax = start.AddDate(2, 0, 0)
	}
	var out []Event
	for _, t := range set.Between(tmin.Add(-dur), tmax, true) {
		if !t.Add(dur).After(tmin) || !t.Before(tmax) {
			continue
		}
		in := e
		in.Recurrence = nil
		in.RecurringEventID = e.ID
		if allDay {
			in.ID = e.ID + "_" + t.Format("20060102")
			in.Start = &EventDateTime{Date: t.Format("2006-01-02")}
			in.End = &EventDateTime{Date: t.Add(dur).Format("2006-01-02")}
			in.OriginalStartTime = &EventDateTime{Date: t.Format("2006-01-02")}
		} else {
			in.ID = e.ID + "_" + t.UTC().Format("20060102T150405Z")
			in.Start = &EventDateTime{DateTime: t.Format(time.RFC3339), TimeZone: e.Start.TimeZone}
			in.End = &EventDateTime{DateTime: t.Add(dur).In(loc).Format(time.RFC3339), TimeZone: e.End.TimeZone}
			in.OriginalStartTime = &EventDateTime{DateTime: t.Format(time.RFC3339), TimeZone: e.Start.TimeZone}
		}
		out = append(out, in)
		if len(out) >= 2500 {
			break
		}
	}
	return out, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// mergePatch applies an RFC 7396 JSON merge patch (what PATCH does for Google resources).
func mergePatch(dst map[string]any, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergePatch(dm, pm)
				continue
			}
			nm := map[string]any{}
			mergePatch(nm, pm)
			dst[k] = nm
			continue
		}
		dst[k] = v
	}
}

func toMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	m := map[string]any{}
	json.Unmarshal(b, &m)
	return m
}

// sortEvents orders a full listing by start, then id (stable across pages).
func sortEvents(evs []Event, calTZ string) {
	key := func(e Event) time.Time {
		t, _, _ := e.Start.parse(time.UTC)
		return t
	}
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := key(evs[i]), key(evs[j])
		if !a.Equal(b) {
			return a.Before(b)
		}
		return evs[i].ID < evs[j].ID
	})
}
