package store

import (
	"strings"
	"testing"
	"time"
)

func TestParseWhenReadsWhatPeopleType(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	// 23:30 UTC on Nov 30 is already Dec 1 in Berlin: "today" is the user's day.
	now := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, berlin) }
	cases := map[string]struct {
		want   time.Time
		allDay bool
	}{
		"2026-11-26 14:00":          {at(2026, 11, 26, 14, 0), false},
		" 2026-11-26T14:00 ":        {at(2026, 11, 26, 14, 0), false},
		"2026-11-26":                {at(2026, 11, 26, 0, 0), true},
		"today 14:00":               {at(2026, 12, 1, 14, 0), false},
		"TOMORROW 9:30":             {at(2026, 12, 2, 9, 30), false},
		"today":                     {at(2026, 12, 1, 0, 0), true},
		"tomorrow":                  {at(2026, 12, 2, 0, 0), true},
		"7:05":                      {at(2026, 12, 1, 7, 5), false},
		"2026-11-26T14:00:00-05:00": {time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC), false},
	}
	for in, c := range cases {
		got, allDay, err := ParseWhen(in, berlin, now)
		if err != nil || !got.Equal(c.want) || allDay != c.allDay {
			t.Errorf("%q: %s %v %v, want %s %v", in, got, allDay, err, c.want, c.allDay)
		}
	}
	// New Year's Eve: tomorrow is in the next year.
	if got, _, _ := ParseWhen("tomorrow 8:00", berlin, time.Date(2026, 12, 31, 12, 0, 0, 0, berlin)); !got.Equal(at(2027, 1, 1, 8, 0)) {
		t.Errorf("tomorrow on Dec 31: %s", got)
	}
	for _, bad := range []string{"", "next friday", "today 25:00", "today 9:5", "2026-13-01", "26/11/2026", "24:00"} {
		if _, _, err := ParseWhen(bad, berlin, now); err == nil || !strings.Contains(err.Error(), "accepted:") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
