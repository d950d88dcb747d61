package graphfake

import (
	"fmt"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Recurrence is Graph's patternedRecurrence.
type Recurrence struct {
	Pattern RecurrencePattern `json:"pattern"`
	Range   RecurrenceRange   `json:"range"`
}

type RecurrencePattern struct {
	Type           string   `json:"type"` // daily, weekly, absoluteMonthly, relativeMonthly, absoluteYearly, relativeYearly
	Interval       int      `json:"interval"`
	Month          int      `json:"month"`
	DayOfMonth     int      `json:"dayOfMonth"`
	DaysOfWeek     []string `json:"daysOfWeek,omitempty"`
	FirstDayOfWeek string   `json:"firstDayOfWeek,omitempty"`
	Index          string   `json:"index,omitempty"` // first, second, third, fourth, last
}

type RecurrenceRange struct {
	Type                string `json:"type"` // endDate, noEnd, numbered
	StartDate           string `json:"startDate"`
	EndDate             string `json:"endDate,omitempty"`
	RecurrenceTimeZone  string `json:"recurrenceTimeZone,omitempty"`
	NumberOfOccurrences int    `json:"numberOfOccurrences"`
}

var weekdays = map[string]rrule.Weekday{"monday": rrule.MO, "tuesday": rrule.TU, "wednesday": rrule.WE,
	"thursday": rrule.TH, "friday": rrule.FR, "saturday": rrule.SA, "sunday": rrule.SU}

var indexes = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}

// rule builds the recurrence rule for a series that starts at dtstart (in its zone).
func (r *Recurrence) rule(dtstart time.Time) (*rrule.RRule, error) {
	p := r.Pattern
	opt := rrule.ROption{Dtstart: dtstart, Interval: p.Interval}
	if opt.Interval <= 0 {
		opt.Interval = 1
	}
	var days []rrule.Weekday
	for _, d := range p.DaysOfWeek {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			return nil, fmt.Errorf("unknown day of week %q", d)
		}
		days = append(days, wd)
	}
	switch strings.ToLower(p.Type) {
	case "daily":
		opt.Freq = rrule.DAILY
	case "weekly":
		opt.Freq = rrule.WEEKLY
		opt.Byweekday = days
		if fd, ok := weekdays[strings.ToLower(p.FirstDayOfWeek)]; ok {
			opt.Wkst = fd
		}
	case "absolutemonthly":
		opt.Freq = rrule.MONTHLY
		opt.Bymonthday = []int{p.DayOfMonth}
	case "relativemonthly":
		opt.Freq = rrule.MONTHLY
		opt.Byweekday = days
		opt.Bysetpos = []int{indexes[strings.ToLower(p.Index)]}
	case "absoluteyearly":
		opt.Freq = rrule.YEARLY
		opt.Bymonth = []int{p.Month}
		opt.Bymonthday = []int{p.DayOfMonth}
	case "relativeyearly":
		opt.Freq = rrule.YEARLY
		opt.Bymonth = []int{p.Month}
		opt.Byweekday = days
		opt.Bysetpos = []int{indexes[strings.ToLower(p.Index)]}
	default:
		return nil, fmt.Errorf("unknown recurrence pattern type %q", p.Type)
	}
	switch strings.ToLower(r.Range.Type) {
	case "enddate":
		end, err := time.ParseInLocation("2006-01-02", r.Range.EndDate, dtstart.Location())
		if err != nil {
			return nil, fmt.Errorf("bad recurrence end date %q", r.Range.EndDate)
		}
		opt.Until = end.AddDate(0, 0, 1).Add(-time.Second)
	case "numbered":
		if r.Range.NumberOfOccurrences <= 0 {
			return nil, fmt.Errorf("numbered recurrence needs numberOfOccurrences")
		}
		opt.Count = r.Range.NumberOfOccurrences
	case "noend", "":
	default:
		return nil, fmt.Errorf("unknown recurrence range type %q", r.Range.Type)
	}
	return rrule.NewRRule(opt)
}

// occurrences lists the starts of the series' instances that overlap [from, to), given
// the series' first start and duration. Expansion stops at 5000 instances.
func (r *Recurrence) occurrences(first time.Time, dur time.Duration, from, to time.Time) ([]time.Time, error) {
	rr, err := r.rule(first)
	if err != nil {
		return nil, err
	}
	starts := rr.Between(from.Add(-dur), to, true)
	var out []time.Time
	for _, st := range starts {
		if overlaps(st, st.Add(dur), from, to) {
			out = append(out, st)
		}
		if len(out) >= 5000 {
			break
		}
	}
	return out, nil
}

// overlaps is calendarView's rule: an instance is in the view when it starts before the
// view ends and ends after the view starts (a zero-length one when it starts inside).
func overlaps(start, end, from, to time.Time) bool {
	if !end.After(start) {
		return !start.Before(from) && start.Before(to)
	}
	return start.Before(to) && end.After(from)
}
