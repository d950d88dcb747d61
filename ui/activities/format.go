package activities

import (
	"fmt"
	"sync"
	"time"

	"github.com/calsync/calsync/store"
)

// zones caches loaded time zones. time.LoadLocation reads and parses the zone file on
// every call, and these formatters run in View: each zone is read from disk once per
// process instead of on every redraw of an all-day row or the detail pane.
var zones sync.Map // name -> *time.Location

// loadZone is time.LoadLocation; tests count its calls.
var loadZone = time.LoadLocation

func cachedZone(name string) (*time.Location, error) {
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location), nil
	}
	z, err := loadZone(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, z)
	return z, nil
}

// dayKey identifies the local day, so cached rows saying "today" are redrawn at midnight.
func dayKey(now time.Time, loc *time.Location) int64 {
	y, m, d := now.In(loc).Date()
	return int64(y)*10000 + int64(m)*100 + int64(d)
}

// formatDue is a short, relative due date: "today 14:30", "tomorrow", "Mon 24 Nov 09:00",
// "3 Feb 2027".
func formatDue(a store.Activity, loc *time.Location, now time.Time) string {
	t := a.Start.In(loc)
	if a.AllDay {
		// An all-day activity is a calendar date in its own zone, not an instant.
		if z, err := cachedZone(a.TimeZone); err == nil {
			d := a.Start.In(z)
			t = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		}
	}
	n := now.In(loc)
	days := daysBetween(n, t)
	clock := ""
	if !a.AllDay {
		clock = " " + t.Format("15:04")
	}
	switch {
	case days == 0:
		return "today" + clock
	case days == 1:
		return "tomorrow" + clock
	case days == -1:
		return "yesterday" + clock
	case t.Year() == n.Year():
		return t.Format("Mon 2 Jan") + clock
	default:
		return t.Format("2 Jan 2006") + clock
	}
}

func daysBetween(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// formatWhen is the full date for the detail pane in the person's zone (named zone), with
// the zone it was planned in when that differs.
func formatWhen(a store.Activity, loc *time.Location, zone string) string {
	if a.AllDay {
		z, err := cachedZone(a.TimeZone)
		if err != nil {
			z = time.UTC
		}
		return a.Start.In(z).Format("Mon 2 Jan 2006") + " (all day)"
	}
	t := a.Start.In(loc)
	s := t.Format("Mon 2 Jan 2006 15:04")
	if a.Duration > 0 {
		s += "–" + t.Add(a.Duration).Format("15:04")
	}
	s += " " + zone
	if a.TimeZone != "" && a.TimeZone != zone {
		s += " (planned in " + a.TimeZone + ")"
	}
	return s
}

// formatDuration: "30m", "1h30", "2d"; "all day"; "" for no time.
func formatDuration(d time.Duration, allDay bool) string {
	switch {
	case allDay:
		return "day"
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	default:
		return fmt.Sprintf("%dh%02d", d/time.Hour, (d%time.Hour)/time.Minute)
	}
}

// overdue matches the store's definition: a timed activity once its start passed, an
// all-day one once its day is over.
func overdue(a store.Activity, loc *time.Location, now time.Time) bool {
	if a.Done {
		return false
	}
	if a.AllDay {
		today, _, _ := store.PeriodRange(store.PeriodToday, loc, now)
		return a.Start.Before(today)
	}
	return a.Start.Before(now)
}

// rowSync is the Sync column: the link's state when the activity belongs in one calendar;
// per account when it belongs in several ("2/3 synced", "error 1/3"), so an activity in
// one calendar and missing from another is never just "synced". state picks the colour.
func rowSync(r store.ActivityRow) (label, state string) {
	synced, of := r.SyncedIn()
	if of <= 1 {
		return syncLabel(r.SyncState), r.SyncState
	}
	linked, bad := 0, false
	for _, a := range r.Accounts {
		if a.State != store.SyncNone {
			linked++
		}
		if a.State == store.SyncError || a.State == store.SyncQuarantined {
			bad = true
		}
	}
	switch {
	case bad:
		return fmt.Sprintf("error %d/%d", synced, of), store.SyncError
	case linked == 0:
		return syncLabel(store.SyncNone), store.SyncNone
	case synced == of:
		return fmt.Sprintf("%d/%d synced", synced, of), store.SyncSynced
	}
	return fmt.Sprintf("%d/%d synced", synced, of), store.SyncPending
}

func syncLabel(state string) string {
	switch state {
	case store.SyncNone:
		return "not synced"
	case store.SyncPending:
		return "pending"
	case store.SyncSynced:
		return "synced"
	case store.SyncError:
		return "error"
	case store.SyncQuarantined:
		return "quarantined"
	}
	return state
}

func statusLabel(s string) string {
	switch s {
	case store.StatusTodo:
		return "to do"
	case store.StatusDone:
		return "done"
	}
	return "all"
}

func periodLabel(p string) string {
	switch p {
	case store.PeriodOverdue:
		return "overdue"
	case store.PeriodToday:
		return "today"
	case store.PeriodTomorrow:
		return "tomorrow"
	case store.PeriodThisWeek:
		return "this week"
	case store.PeriodNextWeek:
		return "next week"
	}
	return "any time"
}

func (m *Model) ownerLabel(owner string) string {
	switch owner {
	case "", store.OwnerMe:
		return "me"
	case store.OwnerAll:
		return "everyone"
	}
	for _, u := range m.users {
		if u.ID == owner {
			if u.IsMe {
				return "me"
			}
			return cleanLine(u.Name)
		}
	}
	return owner
}

func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
}
