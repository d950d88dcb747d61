package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WhenForms lists what ParseWhen accepts, for help texts and error messages (the CLI's
// --start and the app's add/edit form read times the same way).
const WhenForms = `"2026-11-26 14:00", "2026-11-26" (all day), "today 14:00", "tomorrow 9:30", "today", "tomorrow", "14:00" or RFC 3339 like "2026-11-26T14:00:00+01:00"`

// ParseWhen reads an activity's start as a person types it, in loc (the user's time
// zone), with now deciding what "today" is. A date without a time ("2026-11-26",
// "today", "tomorrow") is an all-day activity: allDay is true and start is midnight of
// that day in loc.
func ParseWhen(s string, loc *time.Location, now time.Time) (start time.Time, allDay bool, err error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("cannot read %q as a time; accepted: %s", s, WhenForms)
	if s == "" {
		return time.Time{}, false, bad
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, false, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, false, nil
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, true, nil
	}
	day, clock, _ := strings.Cut(strings.ToLower(s), " ")
	y, m, d := now.In(loc).Date()
	switch day {
	case "today":
	case "tomorrow":
		d++ // time.Date carries the 31st + 1 into the next month
	default:
		// Just a clock time: today.
		if h, min, ok := parseClock(day); ok && clock == "" {
			return time.Date(y, m, d, h, min, 0, 0, loc), false, nil
		}
		return time.Time{}, false, bad
	}
	clock = strings.TrimSpace(clock)
	if clock == "" {
		return time.Date(y, m, d, 0, 0, 0, 0, loc), true, nil
	}
	h, min, ok := parseClock(clock)
	if !ok {
		return time.Time{}, false, bad
	}
	return time.Date(y, m, d, h, min, 0, 0, loc), false, nil
}

// parseClock reads "9:30", "14:00" or "14".
func parseClock(s string) (h, m int, ok bool) {
	hs, ms, hasMin := strings.Cut(s, ":")
	h, err := strconv.Atoi(hs)
	if err != nil || h < 0 || h > 23 || len(hs) > 2 {
		return 0, 0, false
	}
	if hasMin {
		if len(ms) != 2 {
			return 0, 0, false
		}
		if m, err = strconv.Atoi(ms); err != nil || m < 0 || m > 59 {
			return 0, 0, false
		}
	}
	return h, m, true
}
