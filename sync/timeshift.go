package sync

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// The mass time-shift guard (issue 14).
//
// A calendar app or server that reads times in another zone moves every event by the same
// whole number of hours: in the timezone-shift demo all 115 synced events moved an hour,
// and the next sync moved 115 activities with no question asked. Like the mass-delete
// guard (pull.go, vanished), a run that would move many synced events by one same
// whole-hour offset applies none of those moves and asks:
//   - during a listing, an update of a linked event whose only change is a whole-hour
//     shift of its start and end is held back (holdShift) instead of applied;
//   - at the end of the listing, in its last page's transaction (decideShifts), the guard
//     trips when one offset accounts for TimeShiftGuardMin or more events and for most of
//     the listing's changes. Tripped, those moves are not applied: the run journals why
//     (time-shift-guard), counts them in Summary.TimeShiftGuard / TimeShiftHours and does
//     not save the change token, so the next run sees them again and asks again. Not
//     tripped (or with RunOptions.ConfirmTimeShift), the held moves are applied there,
//     before the token is saved, exactly as they would have been.
//
// The listing's other changes are applied page by page as usual; re-listing them next
// time is a no-op (their etags match the links).

// TimeShiftGuardMin is the fewest same-offset moves that trip the guard: a person moving a
// few meetings by an hour is an ordinary edit.
const TimeShiftGuardMin = 10

// heldShift is a move held back until the end of the listing.
type heldShift struct {
	linkID   int64
	linkETag string // the link's etag when held: a newer one means something newer was applied
	offset   time.Duration
	subject  string
	ev       providers.Event
}

// shiftOnly returns the whole-hour offset by which ev moved act when that move is the
// event's only change: same text, same duration, timed (all-day events carry no zone), and
// less than a day (what a time-zone mistake can do).
func shiftOnly(act store.Activity, ev providers.Event) (time.Duration, bool) {
	if act.AllDay || ev.AllDay {
		return 0, false
	}
	d := ev.Start.UTC().Truncate(time.Second).Sub(act.Start.UTC())
	if d == 0 || d%time.Hour != 0 || d <= -24*time.Hour || d >= 24*time.Hour {
		return 0, false
	}
	moved := act
	moved.Start = act.Start.Add(d)
	return d, sameContent(moved, ev)
}

// holdShift holds back a calendar update that only shifts the event by whole hours (see the
// top of the file). It reports whether it did; the caller applies the update otherwise.
func (r *run) holdShift(link store.Link, act store.Activity, ev providers.Event) bool {
	if r.releasing {
		return false
	}
	d, ok := shiftOnly(act, ev)
	if !ok {
		return false
	}
	if r.held == nil {
		r.held = map[string]heldShift{}
	}
	r.held[ev.RemoteID] = heldShift{linkID: link.ID, linkETag: link.RemoteETag, offset: d, subject: act.Subject, ev: ev}
	return true
}

// unhold forgets a held move when the listing shows the event again: the newer version is
// decided on its own.
func (r *run) unhold(remoteID string) { delete(r.held, remoteID) }

// startListing resets what the guard counts: each listing is judged on its own.
func (r *run) startListing() {
	r.held = nil
	r.listingBase = r.sum.Pulled + r.sum.Conflicts + r.sum.Relinked
}

// decideShifts decides the held moves at the end of a listing, in its last page's
// transaction. It reports whether the listing's change token may be saved (false when the
// guard tripped: the next run must see the moves again).
func (r *run) decideShifts(ctx context.Context, h store.Handler) (bool, error) {
	if len(r.held) == 0 {
		return true, nil
	}
	ids := make([]string, 0, len(r.held))
	by := map[time.Duration]int{}
	for id, m := range r.held {
		ids = append(ids, id)
		by[m.offset]++
	}
	sort.Strings(ids)
	var offset time.Duration
	n := 0
	for d, c := range by {
		if c > n || c == n && d < offset {
			offset, n = d, c
		}
	}
	changes := r.sum.Pulled + r.sum.Conflicts + r.sum.Relinked - r.listingBase + len(r.held)
	trip := n >= TimeShiftGuardMin && n*2 > changes && !r.opts.ConfirmTimeShift
	held := r.held
	r.held = nil
	r.releasing = true
	defer func() { r.releasing = false }()
	var examples []string
	for _, id := range ids {
		m := held[id]
		if trip && m.offset == offset {
			if len(examples) < 3 {
				examples = append(examples, fmt.Sprintf("%q", oneLineText(m.subject)))
			}
			continue
		}
		if err := r.releaseShift(ctx, h, id, m); err != nil {
			return false, err
		}
	}
	if !trip {
		return true, nil
	}
	first := r.sum.TimeShiftGuard == 0 // a second listing in the same run (the settle read) asks once
	r.sum.TimeShiftGuard, r.sum.TimeShiftHours = n, int(offset/time.Hour)
	if !first {
		return false, nil
	}
	more := ""
	if n > len(examples) {
		more = fmt.Sprintf(" and %d more", n-len(examples))
	}
	return false, r.journal(ctx, h, "", "", store.OpInfo, ReasonTimeShiftGuard,
		fmt.Sprintf("the calendar moved %d synced events %s (%s%s) and changed nothing else about them; "+
			"none of these moves was applied here. A time-zone setting that differs between the CRM and the calendar "+
			"(or a calendar app) is the likely cause: see `calsync doctor --symptom wrong-time`. "+
			"If the new times are right, run `calsync sync --account %s --confirm-time-shift`",
			n, ShiftText(r.sum.TimeShiftHours), strings.Join(examples, ", "), more, r.acct.ID))
}

// releaseShift applies a held move as the listing would have, unless something newer was
// applied to the link since it was held (or the link is gone).
func (r *run) releaseShift(ctx context.Context, h store.Handler, remoteID string, m heldShift) error {
	link, err := store.GetLinkByRemote(ctx, h, r.acct.ID, r.cal, remoteID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if link.ID != m.linkID || link.RemoteETag != m.linkETag || link.State != store.LinkSynced {
		return nil
	}
	act, err := store.SyncGetActivity(ctx, h, link.ActivityID)
	if err != nil {
		return err
	}
	return r.remoteChanged(ctx, h, link, act, m.ev)
}

// ShiftText says a whole-hour offset for people: "1 hour later", "2 hours earlier".
func ShiftText(hours int) string {
	dir := "later"
	if hours < 0 {
		dir, hours = "earlier", -hours
	}
	return fmt.Sprintf("%d %s %s", hours, plural(hours, "hour", "hours"), dir)
}

func oneLineText(s string) string {
	s = strings.Join(strings.Fields(strings.Map(func(c rune) rune {
		if visible(c) < 0 {
			return ' '
		}
		return c
	}, s)), " ")
	return cut(s, 60)
}
