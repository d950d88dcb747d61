package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// push writes CRM changes to the calendar: first activities that have a link (edits,
// deletions, interrupted creates and deletes), then eligible activities without one.
func (r *run) push(ctx context.Context) error {
	r.done, r.total = 0, 0
	var after int64
	first := true
	for {
		batch, err := store.SyncDirtyLinks(ctx, r.e.Store.DB, r.acct.ID, r.cal, after, r.e.pageSize(), r.since)
		if err != nil {
			return err
		}
		if first {
			// Count only when there is more than a batch: a long push gets a progress
			// bar, a quiet run no extra query.
			first = false
			r.total += len(batch)
			if len(batch) == r.e.pageSize() {
				if r.total, err = store.SyncCountDirtyLinks(ctx, r.e.Store.DB, r.acct.ID, r.cal); err != nil {
					return err
				}
			}
		}
		for _, la := range batch {
			after = la.Link.ID
			if r.opts.DryRun && r.touched[la.Activity.ID] {
				continue
			}
			if err := r.maybeRenew(ctx); err != nil {
				return err
			}
			if err := r.pushLinked(ctx, la.Link, la.Activity); err != nil {
				return err
			}
			r.done++
		}
		r.progress(PhasePush)
		if err := r.renew(ctx); err != nil {
			return err
		}
		if len(batch) < r.e.pageSize() {
			break
		}
	}
	lastID := ""
	first = true
	for {
		batch, err := store.SyncUnlinkedActivities(ctx, r.e.Store.DB, r.acct.ID, r.cal, r.win.Start, r.win.End, lastID, r.e.pageSize(),
			r.since, r.enteredAfter)
		if err != nil {
			return err
		}
		if first {
			first = false
			n := len(batch)
			if n == r.e.pageSize() {
				if n, err = store.SyncCountUnlinked(ctx, r.e.Store.DB, r.acct.ID, r.cal, r.win.Start, r.win.End); err != nil {
					return err
				}
			}
			r.total += n
		}
		for _, a := range batch {
			lastID = a.ID
			if r.opts.DryRun && r.touched[a.ID] {
				continue
			}
			if err := r.maybeRenew(ctx); err != nil {
				return err
			}
			if err := r.pushNew(ctx, a); err != nil {
				return err
			}
			r.done++
		}
		r.progress(PhasePush)
		if err := r.renew(ctx); err != nil {
			return err
		}
		if len(batch) < r.e.pageSize() {
			break
		}
	}
	// Activities this run unlinked on purpose (a local-wins conflict with a calendar
	// deletion) are written again even if the scan above did not read them.
	for _, id := range r.force {
		a, err := store.SyncGetActivity(ctx, r.e.Store.DB, id)
		if err != nil {
			return err
		}
		if _, err := store.GetLinkByActivity(ctx, r.e.Store.DB, r.acct.ID, r.cal, id); err == nil || a.DeletedAt != nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := r.pushNew(ctx, a); err != nil {
			return err
		}
	}
	return r.journalOutsideWindow(ctx)
}

// journalOutsideWindow records why activities changed since the last run but outside
// the sync window are not in the calendar (the unlinked query above only reads the
// window). At most a few hundred per run; older ones were journaled when they changed.
func (r *run) journalOutsideWindow(ctx context.Context) error {
	since := r.lastOK
	if since.IsZero() || !r.set.UpdatedAt.Before(since) {
		since = time.Time{}
	}
	acts, err := store.SyncUnlinkedOutsideWindow(ctx, r.e.Store.DB, r.acct.ID, r.cal, r.win.Start, r.win.End, since, 500)
	if err != nil || len(acts) == 0 {
		return err
	}
	return r.tx(ctx, func(h store.Handler) error {
		for _, a := range acts {
			if reason, _ := r.eligible(a); reason != "" {
				continue // not pushed for another reason anyway; journaled when in the window
			}
			r.sum.skip(ReasonOutsideWindow)
			if err := r.journal(ctx, h, a.ID, "", store.OpSkipped, ReasonOutsideWindow,
				fmt.Sprintf("starts %s; the sync window is %s to %s", a.Start.Format("2006-01-02"),
					r.win.Start.Format("2006-01-02"), r.win.End.Format("2006-01-02"))); err != nil {
				return err
			}
		}
		return nil
	})
}

// itemFailed journals a failed write of one activity; it returns a stop error when the
// failure ends the run.
func (r *run) itemFailed(ctx context.Context, a store.Activity, remoteID string, link *store.Link, err error) error {
	if st := r.classify(err); st != nil {
		if k := providers.KindOf(err); k != "" {
			r.sum.fail(string(k), r.scrub(oneLine(err)))
			r.sum.stopCounted = true // journaled here, with the activity it concerns
			_ = r.tx(context.WithoutCancel(ctx), func(h store.Handler) error {
				return r.journal(ctx, h, a.ID, remoteID, store.OpError, string(k), errDetail(err))
			})
		}
		return st
	}
	reason := ReasonForError(err)
	r.sum.fail(reason, r.scrub(oneLine(err)))
	if providers.IsKind(err, providers.ReadOnly) && !r.readOnly {
		// Every other write would fail the same way: stop writing and tell the account.
		r.readOnly = true
		_ = store.RecordAccountError(context.WithoutCancel(ctx), r.e.Store.DB, r.acct.ID, string(providers.ReadOnly), r.scrub(oneLine(err)), r.e.now())
	}
	return r.tx(ctx, func(h store.Handler) error {
		if err := r.noteRefusal(ctx, h, link, err); err != nil {
			return err
		}
		if link != nil && link.ID != 0 {
			link.LastError = r.scrub(oneLine(err))
			if e := store.UpdateLink(ctx, h, *link); e != nil {
				return e
			}
		}
		return r.journal(ctx, h, a.ID, remoteID, store.OpError, reason, errDetail(err))
	})
}

// pushLinked handles an activity that has a link and changed (or an interrupted write).
func (r *run) pushLinked(ctx context.Context, l store.Link, a store.Activity) error {
	if l.State == store.LinkQuarantined {
		return nil // the doctor put it aside; leave it
	}
	if !r.pushes() {
		// from-calendar: local changes stay local. Acknowledge them once so they are
		// not reconsidered every run.
		r.sum.skip(ReasonDirection)
		return r.tx(ctx, func(h store.Handler) error {
			l.SyncedRev = a.Rev
			if l.State == store.LinkPendingCreate {
				return store.DeleteLink(ctx, h, l.ID)
			}
			if err := store.UpdateLink(ctx, h, l); err != nil {
				return err
			}
			return r.journal(ctx, h, a.ID, l.RemoteID, store.OpSkipped, ReasonDirection,
				"changed here; the direction is from-calendar, so the calendar is not written")
		})
	}
	if r.readOnly {
		r.sum.skip(ReasonReadOnlyCalendar)
		return nil
	}
	if reason, detail := r.noLongerSynced(a, l); reason != "" {
		return r.retract(ctx, l, a, reason, detail)
	}
	if l.State != store.LinkPendingCreate {
		if why := r.refusedOccurrence(ctx, l); why != "" {
			return r.skipRefused(ctx, l, a, why)
		}
	}
	switch {
	case l.State == store.LinkPendingCreate && a.DeletedAt != nil:
		// Deleted before its create completed. The pull found no tagged event for it,
		// so nothing exists remotely: forget the link.
		return r.tx(ctx, func(h store.Handler) error { return store.DeleteLink(ctx, h, l.ID) })
	case l.State == store.LinkPendingCreate:
		return r.create(ctx, a, l)
	case l.State == store.LinkPendingDelete || a.DeletedAt != nil:
		return r.deleteRemote(ctx, l, a)
	}
	var out providers.Event
	ev := eventFor(a)
	ev.RemoteID = l.RemoteID
	if r.opts.DryRun {
		r.sum.Pushed++
		return nil
	}
	if err := r.beforeWrite(ctx); err != nil {
		return err
	}
	err := r.call(ctx, func() error {
		var err error
		out, err = r.prov.Update(ctx, r.cal, ev, l.RemoteETag)
		return err
	})
	if err == nil {
		r.wrote(out.RemoteID)
	}
	if providers.IsKind(err, providers.NotFound) {
		// Gone from the calendar without the listing saying so (moved to another
		// calendar, deleted after we listed): handled as a calendar-side deletion.
		return r.tx(ctx, func(h store.Handler) error { return r.remoteDeleted(ctx, h, l.RemoteID) })
	}
	if err != nil {
		return r.itemFailed(ctx, a, l.RemoteID, &l, err)
	}
	return r.tx(ctx, func(h store.Handler) error {
		l.RemoteETag, l.SyncedRev, l.State, l.LastError = out.ETag, a.Rev, store.LinkSynced, ""
		if out.ICalUID != "" {
			l.ICalUID = out.ICalUID
		}
		l.RemoteUpdated = timePtr(out.Updated)
		l.LastSyncedAt = &r.now
		if err := store.UpdateLink(ctx, h, l); err != nil {
			return err
		}
		r.sum.Pushed++
		return r.journal(ctx, h, a.ID, l.RemoteID, store.OpPushed, ReasonUpdated, "")
	})
}

// noLongerSynced says why a linked activity that calsync put in the calendar must come
// out of it again ("" when it stays): it was changed to a type that is not synced, or
// handed to another owner. Only events calsync created from a CRM activity qualify; an
// event imported from this calendar belongs to the person and is never deleted for it.
func (r *run) noLongerSynced(a store.Activity, l store.Link) (reason, detail string) {
	if a.DeletedAt != nil || (a.Origin != "local" && a.Origin != "") {
		return "", ""
	}
	switch {
	case a.OwnerID != r.meID:
		return ReasonNotOwner, "no longer synced: the activity was given to another owner; only your own activities go to your calendar"
	case !r.synced(a.Type):
		return ReasonTypeNotSynced, fmt.Sprintf("no longer synced: type changed to %s, which is not selected for sync", a.Type)
	}
	return "", ""
}

// retract takes out of the calendar the event of an activity that no longer qualifies
// (see noLongerSynced) and drops its link, so it is not written again; if it qualifies
// again later, it is unlinked and pushed like a new activity.
func (r *run) retract(ctx context.Context, l store.Link, a store.Activity, reason, detail string) error {
	if l.State == store.LinkPendingCreate {
		// Its create never completed and the pull found no tagged event: nothing to
		// delete, only the link to forget.
		r.sum.skip(reason)
		return r.tx(ctx, func(h store.Handler) error {
			if err := store.DeleteLink(ctx, h, l.ID); err != nil {
				return err
			}
			return r.journal(ctx, h, a.ID, "", store.OpSkipped, reason, detail)
		})
	}
	r.markRetracted(a.ID)
	return r.deleteRemoteFor(ctx, l, a, reason, "deleted from the calendar: "+detail)
}

// markRetracted remembers that this run took the activity's event out of the calendar
// and journaled why, so the unlinked scan of the same run need not journal it again.
func (r *run) markRetracted(id string) {
	if r.retracted == nil {
		r.retracted = map[string]bool{}
	}
	r.retracted[id] = true
}

// retractedEarlier reports whether calsync itself took this activity's event out of the
// calendar in an earlier run (see retract).
func (r *run) retractedEarlier(ctx context.Context, activityID string) bool {
	for _, reason := range []string{ReasonTypeNotSynced, ReasonNotOwner} {
		es, err := store.QueryJournal(ctx, r.e.Store.DB, store.JournalQuery{AccountID: r.acct.ID, ActivityID: activityID,
			Op: store.OpPushed, Reason: reason, Limit: 1})
		if err == nil && len(es) > 0 {
			return true
		}
	}
	return false
}

// cannotRecreate handles a calendar that refuses to create an activity's event again
// after calsync deleted it (Google keeps the ids of deleted events and the event id is
// derived from the activity id; its client restores the deleted event, so this is left
// for an event Google can no longer restore): the link is set aside with the reason,
// once, instead of failing the same way on every run.
func (r *run) cannotRecreate(ctx context.Context, a store.Activity, l store.Link, cause error) error {
	const why = "calsync removed this activity's event when it stopped qualifying, and the calendar does not let an event be created again under the same id; it stays here, unsynced (copy it to a new activity to put it in the calendar)"
	r.sum.fail(string(providers.Conflict), r.scrub("cannot be created again in the calendar: "+oneLine(cause)))
	return r.tx(ctx, func(h store.Handler) error {
		l.State, l.SyncedRev, l.LastError = store.LinkQuarantined, a.Rev, "cannot be created again in the calendar"
		if err := store.UpdateLink(ctx, h, l); err != nil {
			return err
		}
		return r.journal(ctx, h, a.ID, "", store.OpError, string(providers.Conflict), why+": "+oneLine(cause))
	})
}

// deleteRemote deletes the event of a tombstoned activity: the link is marked
// pending_delete first, so an interrupted delete is finished by the next run.
func (r *run) deleteRemote(ctx context.Context, l store.Link, a store.Activity) error {
	return r.deleteRemoteFor(ctx, l, a, ReasonDeleted, "")
}

// deleteRemoteFor is deleteRemote journaling the deletion with reason and detail.
func (r *run) deleteRemoteFor(ctx context.Context, l store.Link, a store.Activity, reason, detail string) error {
	if r.opts.DryRun {
		r.sum.Pushed++
		r.sum.DeletedRemote++
		return nil
	}
	// A retried pending delete keeps the etag precondition too: an interrupted attempt
	// either deleted the event (deleting again is not an error) or changed nothing.
	ifMatch := l.RemoteETag
	if l.State != store.LinkPendingDelete {
		l.State = store.LinkPendingDelete
		if err := r.tx(ctx, func(h store.Handler) error { return store.UpdateLink(ctx, h, l) }); err != nil {
			return err
		}
	}
	if err := r.beforeWrite(ctx); err != nil {
		return err
	}
	err := r.call(ctx, func() error { return r.prov.Delete(ctx, r.cal, l.RemoteID, ifMatch) })
	if providers.IsKind(err, providers.NotFound) {
		err = nil
	}
	if providers.IsKind(err, providers.Conflict) {
		// Edited in the calendar since we listed it: keep the link synced so the next
		// pull sees the edit and the conflict policy decides.
		l.State = store.LinkSynced
		r.sum.Conflicts++
		return r.tx(ctx, func(h store.Handler) error {
			if err := store.UpdateLink(ctx, h, l); err != nil {
				return err
			}
			return r.journal(ctx, h, a.ID, l.RemoteID, store.OpConflict, string(providers.Conflict),
				"the event changed in the calendar after it was listed; the next sync decides")
		})
	}
	if err != nil {
		return r.itemFailed(ctx, a, l.RemoteID, &l, err)
	}
	return r.tx(ctx, func(h store.Handler) error {
		if err := store.DeleteLink(ctx, h, l.ID); err != nil {
			return err
		}
		r.sum.Pushed++
		r.sum.DeletedRemote++
		return r.journal(ctx, h, a.ID, l.RemoteID, store.OpPushed, reason, detail)
	})
}

// pushNew decides about an activity without a link and creates its event if eligible.
func (r *run) pushNew(ctx context.Context, a store.Activity) error {
	reason, detail := r.eligible(a)
	if reason != "" && r.retracted[a.ID] {
		return nil // this run deleted its event and journaled why
	}
	if reason != "" {
		r.sum.skip(reason)
		if !r.freshNews(a) {
			return nil
		}
		return r.tx(ctx, func(h store.Handler) error {
			return r.journal(ctx, h, a.ID, "", store.OpSkipped, reason, detail)
		})
	}
	if r.readOnly {
		r.sum.skip(ReasonReadOnlyCalendar)
		return nil
	}
	l := store.Link{ActivityID: a.ID, AccountID: r.acct.ID, CalendarID: r.cal, RemoteID: store.PendingRemoteID(a.ID),
		State: store.LinkPendingCreate, CreatedAt: r.now}
	if r.opts.DryRun {
		r.sum.Pushed++
		r.sum.Created++
		return nil
	}
	// The pending link goes in before the call: if we crash after the provider created
	// the event, the next run finds it by its tag or creates it idempotently again.
	err := r.tx(ctx, func(h store.Handler) error {
		var err error
		l, err = store.InsertLink(ctx, h, l)
		return err
	})
	if err != nil {
		return err
	}
	return r.create(ctx, a, l)
}

// eligible says why an unlinked activity is not pushed ("" when it is).
func (r *run) eligible(a store.Activity) (reason, detail string) {
	switch {
	case !r.pushes():
		return ReasonDirection, "the direction is from-calendar: activities are not written to the calendar"
	case a.Origin != "local" && a.Origin != r.acct.ID && a.Origin != "":
		return ReasonOtherAccount, "imported from another calendar account (" + a.Origin + ")"
	case a.OwnerID != r.meID:
		return ReasonNotOwner, "owned by another user; only your own activities go to your calendar"
	case !r.synced(a.Type):
		return ReasonTypeNotSynced, fmt.Sprintf("type %s is not selected for sync", a.Type)
	}
	act := r.set.ActivatedAt
	backfilled := r.set.BackfillFrom != nil && !a.Start.Before(*r.set.BackfillFrom)
	if act != nil && a.UpdatedAt.Before(*act) && !backfilled && a.Origin != r.acct.ID {
		layout := CutoffLayout(a.UpdatedAt, *act)
		return ReasonBeforeActivation, fmt.Sprintf("last changed %s, before sync was switched on (%s); set a backfill date to include it",
			a.UpdatedAt.UTC().Format(layout), act.UTC().Format(layout))
	}
	return "", ""
}

// create calls the provider's idempotent Create for a pending link and records the result.
func (r *run) create(ctx context.Context, a store.Activity, l store.Link) error {
	if r.opts.DryRun {
		r.sum.Pushed++
		r.sum.Created++
		return nil
	}
	var out providers.Event
	if err := r.beforeWrite(ctx); err != nil {
		return err
	}
	err := r.call(ctx, func() error {
		var err error
		out, err = r.prov.Create(ctx, r.cal, eventFor(a))
		return err
	})
	if err == nil {
		r.wrote(out.RemoteID)
	}
	// Only a create an earlier run already attempted can have been deleted meanwhile; a
	// first attempt refused as a conflict is an ordinary (journaled) error.
	// An activity whose event calsync itself deleted comes first: its id being taken by
	// a deleted event is expected then, and is no reason to delete the activity.
	if providers.IsKind(err, providers.Conflict) && l.ID != 0 && r.retractedEarlier(ctx, a.ID) {
		return r.cannotRecreate(ctx, a, l, err)
	}
	if providers.IsKind(err, providers.Conflict) && l.ID != 0 && l.CreatedAt.Before(r.now) {
		return r.createdThenDeleted(ctx, a, l, err)
	}
	if err != nil {
		return r.itemFailed(ctx, a, "", &l, err)
	}
	if out.RemoteID == "" {
		return r.itemFailed(ctx, a, "", &l, &providers.Error{Kind: providers.Invalid, Op: "create event",
			Message: "the provider returned no event id"})
	}
	return r.tx(ctx, func(h store.Handler) error {
		// The event might already be linked (found by its tag in this run's listing).
		if other, err := store.GetLinkByRemote(ctx, h, r.acct.ID, r.cal, out.RemoteID); err == nil && other.ID != l.ID {
			if err := store.DeleteLink(ctx, h, l.ID); err != nil {
				return err
			}
			return nil
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		l.RemoteID, l.RemoteETag, l.ICalUID, l.State, l.LastError = out.RemoteID, out.ETag, out.ICalUID, store.LinkSynced, ""
		l.SyncedRev = a.Rev
		if !sameContent(a, out) {
			// An idempotent create handed back an older version written by an
			// interrupted run: push the current one next time.
			l.SyncedRev = 0
		}
		l.RemoteUpdated = timePtr(out.Updated)
		l.LastSyncedAt = &r.now
		if err := store.UpdateLink(ctx, h, l); err != nil {
			return err
		}
		r.sum.Pushed++
		r.sum.Created++
		return r.journal(ctx, h, a.ID, out.RemoteID, store.OpPushed, ReasonCreated, "")
	})
}

// createdThenDeleted handles a create refused because the activity's event id is taken
// by a deleted event (Google keeps ids of deleted events): an interrupted earlier run
// created the event and the person deleted it in the calendar before this run could
// record it. That is a calendar-side deletion, handled like one. (The Google client now
// restores such an event instead of refusing, so on Google this is reached only when the
// restore is refused; the person's deletion in that window is then undone, not pulled.)
func (r *run) createdThenDeleted(ctx context.Context, a store.Activity, l store.Link, cause error) error {
	return r.tx(ctx, func(h store.Handler) error {
		if !r.pulls() || r.set.ConflictPolicy == store.PolicyLocalWins {
			// The activity stays; it cannot be written under its id again, so the link is
			// set aside for the person (or the doctor) to decide.
			l.State, l.SyncedRev, l.LastError = store.LinkQuarantined, a.Rev, "deleted in the calendar"
			if err := store.UpdateLink(ctx, h, l); err != nil {
				return err
			}
			return r.journal(ctx, h, a.ID, "", store.OpInfo, ReasonUnlinked,
				"the event was deleted in the calendar and its id cannot be reused; the activity stays here, unsynced: "+oneLine(cause))
		}
		if _, err := store.SyncTombstoneActivity(ctx, h, a.ID, r.now); err != nil {
			return err
		}
		if err := store.DeleteLink(ctx, h, l.ID); err != nil {
			return err
		}
		r.sum.Pulled++
		r.sum.DeletedLocal++
		r.sum.Conflicts++
		return r.journal(ctx, h, a.ID, "", store.OpConflict, ReasonRemoteWon, versionJSON("crm", eventFor(a)))
	})
}
