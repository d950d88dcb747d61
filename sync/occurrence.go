package sync

// Occurrences of recurring series (DESIGN.md, sync engine 8). Each occurrence in the
// window is an activity linked to the occurrence's own remote id (CalDAV
// "<href>#<RECURRENCE-ID>", the Google instance id, the Graph occurrence id); the
// provider writes an edit as an exception of the series and a deletion as an EXDATE /
// cancelled instance, and an edit of the series comes back as new versions of its
// occurrences on the next pull. What follows is what the engine adds: it remembers which
// links are occurrences and whether the calendar takes changes to them, so the app and
// the CLI refuse an edit up front instead of leaving a change that fails every later
// sync; and Revert puts an occurrence (or any linked activity) whose change failed back
// to the calendar's version.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// ReasonReverted (op info): the activity was put back to the calendar's version on the
// person's request; the detail keeps the local version that was dropped.
const ReasonReverted = "reverted"

// ReasonOccurrenceRefused (op skipped): a change to an occurrence its calendar refused
// earlier is not sent again on every run; `calsync activity revert ID` puts the
// occurrence back to the calendar's version.
const ReasonOccurrenceRefused = "occurrence-refused"

// refusedOccurrence reports the recorded refusal of the link's occurrence ("" = none).
func (r *run) refusedOccurrence(ctx context.Context, l store.Link) string {
	o, err := store.GetOccurrence(ctx, r.e.Store.DB, l.AccountID, l.CalendarID, l.RemoteID)
	if err != nil {
		return ""
	}
	return o.Refusal
}

// skipRefused journals (once per change) that a refused occurrence change is not sent.
func (r *run) skipRefused(ctx context.Context, l store.Link, a store.Activity, why string) error {
	r.sum.skip(ReasonOccurrenceRefused)
	if es, err := store.QueryJournal(ctx, r.e.Store.DB, store.JournalQuery{AccountID: r.acct.ID, ActivityID: a.ID,
		Op: store.OpSkipped, Reason: ReasonOccurrenceRefused, Since: a.UpdatedAt, Limit: 1}); err != nil || len(es) > 0 {
		return err // said once for this change
	}
	return r.tx(ctx, func(h store.Handler) error {
		return r.journal(ctx, h, a.ID, l.RemoteID, store.OpSkipped, ReasonOccurrenceRefused,
			fmt.Sprintf("not sent again: %s; run `calsync activity revert %s` to take the calendar's version", why, a.ID))
	})
}

// noteRefusal remembers that the calendar refused a change to an occurrence for good
// (read-only calendar or occurrence), so later runs do not send it again and later
// edits are refused up front.
func (r *run) noteRefusal(ctx context.Context, h store.Handler, l *store.Link, err error) error {
	if l == nil {
		return nil
	}
	pe, ok := providers.AsError(err)
	if !ok || !(pe.Kind == providers.ReadOnly || pe.Kind == providers.Invalid && strings.HasPrefix(pe.Code, "recurring-")) {
		return nil
	}
	o, gerr := store.GetOccurrence(ctx, h, l.AccountID, l.CalendarID, l.RemoteID)
	if gerr != nil {
		return nil // not an occurrence
	}
	o.Refusal = "the calendar refused a change to it (" + string(pe.Kind) + ")"
	return store.PutOccurrence(ctx, h, o)
}

// occurrenceRefusal says why the provider will not take a change to ev ("" = it will).
func occurrenceRefusal(ev providers.Event) string {
	if ev.ReadOnly {
		return "the calendar marks this occurrence read-only (someone else's meeting)"
	}
	return ""
}

// noteOccurrence records that a pulled event is an occurrence of a series.
func (r *run) noteOccurrence(ctx context.Context, h store.Handler, ev providers.Event) error {
	if ev.SeriesID == "" || ev.Deleted || r.opts.DryRun {
		return nil
	}
	refusal := occurrenceRefusal(ev)
	if l, ok := r.pageLinks[ev.RemoteID]; ok && refusal == "" && l.LastError != "" {
		// A refusal learnt from a failed write stands while that change is pending.
		if o, err := store.GetOccurrence(ctx, h, r.acct.ID, r.cal, ev.RemoteID); err == nil {
			refusal = o.Refusal
		}
	}
	return store.PutOccurrence(ctx, h, store.Occurrence{AccountID: r.acct.ID, CalendarID: r.cal, RemoteID: ev.RemoteID,
		SeriesID: ev.SeriesID, Refusal: refusal})
}

// EditRefusal says why a change to the activity would be refused by the calendar it is
// linked to ("" when nothing refuses it): it is an occurrence of a recurring series the
// calendar will not let calsync change (a read-only calendar, an occurrence the provider
// marks read-only) while the account's sync direction would write the change there.
// The app's edit form and `calsync activity edit/delete` ask before changing anything.
func EditRefusal(ctx context.Context, h store.Handler, activityID string) (string, error) {
	occs, err := store.OccurrencesOfActivity(ctx, h, activityID)
	if err != nil || len(occs) == 0 {
		return "", err
	}
	for _, o := range occs {
		set, err := store.GetSyncSettings(ctx, h, o.AccountID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if set.Direction == store.DirFromCalendar || set.CalendarID != o.CalendarID {
			continue // local changes stay local: nothing is written to the calendar
		}
		name := o.CalendarID
		cal, err := store.GetCalendar(ctx, h, o.AccountID, o.CalendarID)
		if err == nil {
			name = cal.Name
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		acct, err := store.GetAccount(ctx, h, o.AccountID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		switch {
		case cal.ReadOnly || acct.LastErrorKind == string(providers.ReadOnly):
			return fmt.Sprintf("it is one occurrence of a recurring series in calendar %q, which is read-only: change it in the calendar (or switch the account to from-calendar)", name), nil
		case o.Refusal != "":
			return fmt.Sprintf("it is one occurrence of a recurring series in calendar %q and %s: change it in the calendar", name, o.Refusal), nil
		}
	}
	return "", nil
}

// RevertResult says what Revert did.
type RevertResult struct {
	// Links is how many calendar links were reset to the calendar's version.
	Links int
	// Restored lists the activities whose deletion here was undone.
	Restored []string
	// Summaries are the sync runs that read the calendar's versions back.
	Summaries []Summary
}

// ErrNothingToRevert: the activity has no link whose change is waiting or failed.
var ErrNothingToRevert = errors.New("nothing to revert: the activity has no change waiting for its calendar")

// Revert puts activities whose change did not reach their calendar (an occurrence edit
// the calendar refused, a failed deletion) back to the calendar's version: the local
// change is dropped (kept in the journal), a local deletion undone, and then one sync of
// each account concerned reads the events again (its change token is dropped, so the
// listing is a full one and shows the events even though they did not change there).
// Nothing is reset unless every activity has something to revert.
func (e *Engine) Revert(ctx context.Context, activityIDs ...string) (RevertResult, error) {
	var res RevertResult
	db := e.Store.DB
	type item struct {
		a    store.Activity
		todo []store.Link
	}
	var items []item
	for _, id := range activityIDs {
		a, err := store.SyncGetActivity(ctx, db, id)
		if err != nil {
			return res, err
		}
		links, err := store.LinksForActivity(ctx, db, id)
		if err != nil {
			return res, err
		}
		it := item{a: a}
		for _, l := range links {
			if l.State == store.LinkPendingCreate || l.State == store.LinkQuarantined {
				continue // no calendar version to go back to / set aside by the doctor
			}
			if l.LastError != "" || l.State == store.LinkPendingDelete || a.Rev > l.SyncedRev || a.DeletedAt != nil {
				it.todo = append(it.todo, l)
			}
		}
		if len(it.todo) == 0 {
			return res, fmt.Errorf("activity %s: %w", id, ErrNothingToRevert)
		}
		items = append(items, it)
	}
	var accounts []string
	for i := range items {
		for _, l := range items[i].todo {
			if err := e.revertLink(ctx, &items[i].a, l, &res); err != nil {
				return res, err
			}
			seen := false
			for _, id := range accounts {
				seen = seen || id == l.AccountID
			}
			if !seen {
				accounts = append(accounts, l.AccountID)
			}
		}
	}
	for _, id := range accounts {
		sum, err := e.Run(ctx, id, RunOptions{})
		res.Summaries = append(res.Summaries, sum)
		if err != nil {
			return res, fmt.Errorf("reset here; reading the calendar's version failed: %w (the next sync reads it)", err)
		}
	}
	return res, nil
}

// revertLink resets one link under its account's lease, so a running sync cannot
// write the change that is being dropped.
func (e *Engine) revertLink(ctx context.Context, a *store.Activity, l store.Link, res *RevertResult) error {
	holder := e.holder()
	if err := e.acquire(ctx, l.AccountID, holder, 0); err != nil {
		return err
	}
	defer e.release(ctx, l.AccountID, holder)
	now := e.now()
	return e.Store.Tx(ctx, func(h store.Handler) error {
		rev := a.Rev
		if a.DeletedAt != nil {
			var err error
			if rev, err = store.RestoreActivity(ctx, h, a.ID, now); err != nil {
				return err
			}
			a.DeletedAt, a.Rev = nil, rev
			res.Restored = append(res.Restored, a.ID)
		}
		// An empty etag: the next listing's version differs from "what we last saw", and
		// with nothing changed here since (SyncedRev = rev) the calendar's version is applied.
		l.State, l.LastError, l.RemoteETag, l.SyncedRev = store.LinkSynced, "", "", rev
		if err := store.UpdateLink(ctx, h, l); err != nil {
			return err
		}
		if err := store.DeleteCursor(ctx, h, l.AccountID, l.CalendarID); err != nil {
			return err
		}
		res.Links++
		detail := "put back to the calendar's version on request; the change made here is dropped: " + versionJSON("crm", eventFor(*a))
		_, err := store.AppendJournal(ctx, h, store.JournalEntry{At: now, AccountID: l.AccountID, ActivityID: a.ID,
			RemoteID: l.RemoteID, Op: store.OpInfo, Reason: ReasonReverted, Detail: detail})
		return err
	})
}

// completeSeries handles the series a page carries whole (ChangePage.CompleteSeries): a
// linked occurrence that is not on the page, and whose activity lies inside the window,
// is gone from the calendar (deleted there alone, or the rule changed), in increments too.
func (r *run) completeSeries(ctx context.Context, h store.Handler, page providers.ChangePage) error {
	for _, sid := range page.CompleteSeries {
		ids, err := store.SeriesOccurrenceLinks(ctx, h, r.acct.ID, r.cal, sid)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if r.pageIDs[id] {
				continue
			}
			l, err := store.GetLinkByRemote(ctx, h, r.acct.ID, r.cal, id)
			if err != nil {
				return err
			}
			a, err := store.SyncGetActivity(ctx, h, l.ActivityID)
			if err != nil {
				return err
			}
			if ev := eventFor(a); !r.win.Contains(ev.Start, ev.End) {
				continue // outside the expanded window: absent for that reason alone
			}
			if err := r.remoteDeleted(ctx, h, id); err != nil {
				return err
			}
		}
	}
	return nil
}
