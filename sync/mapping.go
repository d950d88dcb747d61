package sync

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// eventFor is the calendar event an activity is written as.
func eventFor(a store.Activity) providers.Event {
	ev := providers.Event{
		ActivityID:  a.ID,
		Subject:     a.Subject,
		Description: a.Note,
		Location:    a.Location,
		Start:       a.Start.UTC(),
		TimeZone:    a.TimeZone,
		AllDay:      a.AllDay,
	}
	switch {
	case a.AllDay:
		days := int((a.Duration + 24*time.Hour - 1) / (24 * time.Hour))
		if days < 1 {
			days = 1
		}
		loc, err := time.LoadLocation(a.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		ev.End = a.Start.In(loc).AddDate(0, 0, days).UTC()
	default:
		// Duration 0 means "no time": a zero-length event at the start.
		ev.End = ev.Start.Add(a.Duration)
	}
	return ev
}

// EventFor is the calendar event calsync writes for activity a (with its ownership tag):
// the doctor re-creates events with it when a removal is undone.
func EventFor(a store.Activity) providers.Event { return eventFor(a) }

// activityFrom copies an event's calendar-visible fields onto a (keeping id, owner, type).
// Values a CRM activity cannot hold are made to fit rather than refused: an untitled event
// gets "(no title)", sub-minute durations round, over-long text is cut.
func activityFrom(a store.Activity, ev providers.Event) store.Activity {
	a.Subject = strings.TrimSpace(ev.Subject)
	if a.Subject == "" || strings.TrimSpace(strings.Map(visible, a.Subject)) == "" {
		a.Subject = "(no title)"
	}
	a.Subject = cut(a.Subject, store.MaxSubjectChars)
	a.Location = cut(strings.TrimSpace(ev.Location), store.MaxLocationChars)
	a.Note = ev.Description
	if len(a.Note) > store.MaxNoteBytes {
		a.Note = strings.ToValidUTF8(a.Note[:store.MaxNoteBytes], "")
	}
	a.Start = ev.Start.UTC().Truncate(time.Second)
	a.TimeZone = ev.TimeZone
	if _, err := time.LoadLocation(a.TimeZone); err != nil || a.TimeZone == "" || strings.ContainsAny(a.TimeZone, " \t\n") {
		a.TimeZone = "UTC"
	}
	a.AllDay = ev.AllDay
	d := ev.End.Sub(ev.Start).Round(time.Minute)
	if d < 0 || ev.End.IsZero() {
		d = 0
	}
	if d > store.MaxDuration {
		d = store.MaxDuration
	}
	a.Duration = d
	return a
}

func visible(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return -1
	}
	return r
}

func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max])
}

// normText makes text comparable across providers that rewrite line ends or trim.
func normText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// sameContent reports whether the event already shows what the activity says, so no
// write is needed in either direction. Compared in event space: an activity with no
// duration and its zero-length event are the same.
func sameContent(a store.Activity, ev providers.Event) bool {
	want := eventFor(a)
	got := ev
	// Compare what the activity would become if it took the event's values: that
	// absorbs rounding and the fitting activityFrom does.
	back := eventFor(activityFrom(a, got))
	return normText(want.Subject) == normText(back.Subject) &&
		normText(want.Description) == normText(back.Description) &&
		normText(want.Location) == normText(back.Location) &&
		want.Start.Equal(back.Start) && want.End.Equal(back.End) && want.AllDay == back.AllDay
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
