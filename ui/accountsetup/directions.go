package accountsetup

import (
	"fmt"
	"strings"
	"time"

	"github.com/calsync/calsync/store"
)

// Direction is one sync type with the sentence that tells a person what it does.
type Direction struct {
	Value  string // store.DirTwoWay, ...
	Label  string
	Line   string // plain-language meaning
	Writes bool   // writes to the calendar, so it needs a calendar the account can edit
}

// Directions lists the sync types in the order the settings screen offers them.
func Directions() []Direction {
	return []Direction{
		{Value: store.DirTwoWay, Label: "Two-way", Writes: true,
			Line: "Activities appear in the calendar and calendar events come back as activities; an edit on either side reaches the other."},
		{Value: store.DirToCalendar, Label: "CRM to calendar", Writes: true,
			Line: "Activities are written to the calendar. Events made in the calendar are not imported, and edits made there to calsync's events are overwritten by the next change in the CRM."},
		{Value: store.DirFromCalendar, Label: "Calendar to CRM", Writes: false,
			Line: "Calendar events are imported as activities. Nothing is ever written to the calendar, so a read-only calendar works."},
	}
}

// DirectionByValue finds a direction by its stored value.
func DirectionByValue(v string) (Direction, bool) {
	for _, d := range Directions() {
		if d.Value == v {
			return d, true
		}
	}
	return Direction{}, false
}

// DirectionValues lists the accepted --direction values.
func DirectionValues() []string {
	var vs []string
	for _, d := range Directions() {
		vs = append(vs, d.Value)
	}
	return vs
}

// DirectionsFor lists the directions a calendar allows: a read-only calendar only syncs
// from the calendar to the CRM.
func DirectionsFor(cal store.Calendar) []Direction {
	var ds []Direction
	for _, d := range Directions() {
		if d.Writes && cal.ReadOnly {
			continue
		}
		ds = append(ds, d)
	}
	return ds
}

// ReadOnlyRefusal explains why a direction cannot be used with a read-only calendar;
// "" when the pair is fine.
func ReadOnlyRefusal(cal store.Calendar, direction string) string {
	d, ok := DirectionByValue(direction)
	if !ok || !d.Writes || !cal.ReadOnly {
		return ""
	}
	return fmt.Sprintf("%q is read-only for this account: calsync cannot write activities to it, so %s "+
		"sync would only ever work one way. Choose a calendar you can edit, or the direction %q (calendar to CRM).",
		cal.Name, d.Label, store.DirFromCalendar)
}

// ParseTypes reads a comma separated list of activity types ("call,meeting").
func ParseTypes(s string) ([]store.ActivityType, error) {
	var out []store.ActivityType
	seen := map[store.ActivityType]bool{}
	for _, part := range strings.Split(s, ",") {
		p := store.ActivityType(strings.ToLower(strings.TrimSpace(part)))
		if p == "" {
			continue
		}
		if !ValidType(p) {
			return nil, fmt.Errorf("unknown activity type %q; the types are %s", p, typeNames())
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("give at least one activity type: %s", typeNames())
	}
	return out, nil
}

// ValidType reports whether t is one of the CRM's activity types.
func ValidType(t store.ActivityType) bool {
	for _, a := range store.AllTypes {
		if a == t {
			return true
		}
	}
	return false
}

func typeNames() string {
	var ns []string
	for _, t := range store.AllTypes {
		ns = append(ns, string(t))
	}
	return strings.Join(ns, ", ")
}

// ValidateSettings checks settings against the account's calendars before they are saved.
// Every problem is a sentence a person can act on.
func ValidateSettings(s store.SyncSettings, cals []store.Calendar) error {
	if _, ok := DirectionByValue(s.Direction); !ok {
		return fmt.Errorf("unknown direction %q; choose %s", s.Direction, strings.Join(DirectionValues(), ", "))
	}
	if len(s.Types) == 0 && s.Direction != store.DirFromCalendar {
		return fmt.Errorf("choose at least one activity type to sync")
	}
	for _, t := range s.Types {
		if !ValidType(t) {
			return fmt.Errorf("unknown activity type %q; the types are %s", t, typeNames())
		}
	}
	if !ValidType(s.ImportType) {
		return fmt.Errorf("unknown import type %q; the types are %s", s.ImportType, typeNames())
	}
	if s.Interval != 0 && s.Interval < MinInterval {
		return fmt.Errorf("the sync interval must be at least %s", MinInterval)
	}
	if s.CalendarID == "" {
		if s.Enabled {
			return fmt.Errorf("choose a calendar before switching sync on")
		}
		return nil
	}
	for _, c := range cals {
		if c.RemoteID != s.CalendarID {
			continue
		}
		if !c.HasEvents {
			return fmt.Errorf("%q holds no events (it is a task list); choose another calendar", c.Name)
		}
		if why := ReadOnlyRefusal(c, s.Direction); why != "" {
			return fmt.Errorf("%s", why)
		}
		return nil
	}
	return fmt.Errorf("calendar %q is not one of this account's calendars; run `calsync calendars --account %s` to list them",
		s.CalendarID, s.AccountID)
}

// MinInterval is the shortest background sync interval offered; shorter only burns the
// providers' rate limits.
const MinInterval = time.Minute
