package sync

import (
	"context"
	"errors"
	"fmt"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// pull reads every change since the saved cursor, a page at a time; each page is applied
// in one transaction, and the last page's transaction also stores the new cursor.
func (r *run) pull(ctx context.Context) error {
	h := r.e.Store.DB
	cursor, verify := "", false
	if c, err := store.GetCursor(ctx, h, r.acct.ID, r.cal); err == nil {
		cursor, verify = c.Token, c.BeforeWrites
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// A token older than writes no later token confirmed (settle.go): its increment is
	// read first, as usual (deletions it reports are applied one by one), keeping the
	// mark; then a full listing finds what the increment may leave out, an event
	// written then and deleted since.
	r.keepMark = verify
	err := r.pullFrom(ctx, cursor)
	r.keepMark = false
	if err != nil || !verify || r.sum.FullListing {
		return err
	}
	if err := r.tx(ctx, func(h store.Handler) error {
		return r.journal(ctx, h, "", "", store.OpInfo, ReasonUnconfirmedWrites,
			"the saved change token is older than calsync's own last writes to this calendar; listing the calendar in full so a deletion of a just-written event is seen")
	}); err != nil {
		return err
	}
	return r.pullFrom(ctx, "")
}

// pullFrom reads a listing from cursor (full when ""), starting over in full once when
// the token expired.
func (r *run) pullFrom(ctx context.Context, cursor string) error {
	restarted := false
	for {
		err := r.listing(ctx, cursor)
		if providers.IsKind(err, providers.CursorExpired) && cursor != "" && !restarted {
			// The change token expired: start over with a full listing. Tagged events
			// are re-linked by their activity id, so nothing is imported twice.
			restarted, cursor = true, ""
			if err := r.tx(ctx, func(h store.Handler) error {
				if err := store.DeleteCursor(ctx, h, r.acct.ID, r.cal); err != nil {
					return err
				}
				return r.journal(ctx, h, "", "", store.OpInfo, ReasonCursorExpired,
					"the calendar's change token expired; doing a full listing")
			}); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// listing walks one listing (full when cursor is "") to its end.
func (r *run) listing(ctx context.Context, cursor string) error {
	full := cursor == ""
	if full {
		r.sum.FullListing = true
	}
	// seen holds the links a full listing showed, to find events that vanished. Links
	// are few next to events; the events themselves are streamed page by page.
	r.seen = map[int64]bool{}
	seen := r.seen
	r.startListing()
	events := 0
	tok := cursor
	for {
		var page providers.ChangePage
		err := r.call(ctx, func() error {
			var err error
			page, err = r.prov.Changes(ctx, r.cal, tok, r.win)
			return err
		})
		if err != nil {
			if providers.IsKind(err, providers.CursorExpired) {
				return err
			}
			if st := r.classify(err); st != nil {
				return st
			}
			// Any other listing failure (calendar gone, invalid) stops the run too:
			// without the changes we cannot push safely.
			return stopErr(err)
		}
		full = full || page.Full
		events += len(page.Events)
		r.confirm(page)
		err = r.tx(ctx, func(h store.Handler) error {
			// One query for the links of the whole page instead of one per event.
			ids := make([]string, 0, len(page.Events))
			for _, ev := range page.Events {
				if ev.RemoteID != "" {
					ids = append(ids, ev.RemoteID)
				}
			}
			var err error
			if r.pageLinks, err = store.SyncLinksByRemote(ctx, h, r.acct.ID, r.cal, ids); err != nil {
				return err
			}
			r.pageIDs = make(map[string]bool, len(ids))
			for _, id := range ids {
				r.pageIDs[id] = true
			}
			defer func() { r.pageLinks, r.pageIDs, r.imports = nil, nil, r.imports[:0] }()
			for _, ev := range page.Events {
				if err := r.pullEvent(ctx, h, ev, seen); err != nil {
					return err
				}
			}
			if err := r.flushImports(ctx, h); err != nil {
				return err
			}
			if err := r.completeSeries(ctx, h, page); err != nil {
				return err
			}
			for _, bad := range page.Bad {
				if err := r.badEvent(ctx, h, bad); err != nil {
					return err
				}
			}
			if page.More {
				return nil
			}
			keep := true
			if full {
				var err error
				if keep, err = r.vanished(ctx, h, seen, events); err != nil {
					return err
				}
			}
			if keep {
				var err error
				if keep, err = r.decideShifts(ctx, h); err != nil {
					return err
				}
			}
			if !keep {
				// A guard tripped: keep the old token so the next run sees the same
				// changes again and asks again.
				return nil
			}
			if page.NextCursor == "" {
				return store.DeleteCursor(ctx, h, r.acct.ID, r.cal)
			}
			// The mark (settle.go) stays while an increment of a marked token is verified,
			// and after a settle read that did not show every event the run wrote.
			mark := r.keepMark && !full || r.settling && len(r.unconfirmed) > 0
			return store.PutCursor(ctx, h, store.Cursor{AccountID: r.acct.ID, CalendarID: r.cal,
				Token: page.NextCursor, TakenAt: r.now, BeforeWrites: mark})
		})
		if err != nil {
			return err
		}
		r.done += len(page.Events)
		r.pages++
		r.progress(PhasePull)
		if err := r.renew(ctx); err != nil {
			return err
		}
		if !page.More {
			return nil
		}
		tok = page.NextCursor
	}
}

// badEvent records a listed event that could not be decoded. One the provider calls
// unsupported (its content, not a failure to fetch it) is set aside by name with the
// reason: skipped, not an error of the run, so it neither fails the run nor makes every
// later run scan in full.
func (r *run) badEvent(ctx context.Context, h store.Handler, bad providers.BadEvent) error {
	if !bad.Unsupported {
		r.sum.fail(ReasonForError(bad.Err), r.scrub(oneLine(bad.Err)))
		return r.journal(ctx, h, "", bad.RemoteID, store.OpError, ReasonForError(bad.Err), errDetail(bad.Err))
	}
	r.sum.skip(ReasonUnsupportedEvent)
	name := bad.Subject
	if name == "" {
		name = "(no title)"
	}
	return r.journal(ctx, h, "", bad.RemoteID, store.OpSkipped, ReasonUnsupportedEvent,
		fmt.Sprintf("calendar event %q is set aside, calsync cannot read it: %v", name, bad.Err))
}

// pullEvent applies one remote event.
func (r *run) pullEvent(ctx context.Context, h store.Handler, ev providers.Event, seen map[int64]bool) error {
	if ev.RemoteID == "" {
		r.sum.fail(string(providers.Invalid), "the calendar sent an event without an id")
		return r.journal(ctx, h, ev.ActivityID, "", store.OpError, string(providers.Invalid), "event without an id")
	}
	r.unhold(ev.RemoteID)
	if ev.Deleted {
		return r.remoteDeleted(ctx, h, ev.RemoteID)
	}
	if err := r.noteOccurrence(ctx, h, ev); err != nil {
		return err
	}
	link, err := r.linkByRemote(ctx, h, ev.RemoteID)
	switch {
	case err == nil:
		seen[link.ID] = true
		if ev.ETag != "" && ev.ETag == link.RemoteETag {
			return nil // our own write coming back, or nothing new
		}
		switch link.State {
		case store.LinkQuarantined:
			return nil
		case store.LinkPendingDelete:
			// Edited in the calendar while our delete was under way: the deletion
			// still wins, but the calendar's version is kept in the journal.
			link.RemoteETag = ev.ETag
			if err := store.UpdateLink(ctx, h, link); err != nil {
				return err
			}
			r.sum.Conflicts++
			return r.journal(ctx, h, link.ActivityID, ev.RemoteID, store.OpConflict, ReasonLocalWon, versionJSON("calendar", ev))
		}
		act, err := store.SyncGetActivity(ctx, h, link.ActivityID)
		if err != nil {
			return err
		}
		return r.remoteChanged(ctx, h, link, act, ev)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if ev.ActivityID != "" {
		// Tagged events look activities up by id: write pending imports first.
		if err := r.flushImports(ctx, h); err != nil {
			return err
		}
		return r.tagged(ctx, h, ev, seen)
	}
	// An untagged event (made in the calendar) that we imported before but whose link
	// was lost: link it again by content rather than importing a copy.
	if !r.unlinkedImportsKnown {
		// Asked once per run, and only when an untagged new event shows up.
		var err error
		if r.unlinkedImports, err = store.SyncHasUnlinkedImports(ctx, h, r.acct.ID, r.cal); err != nil {
			return err
		}
		r.unlinkedImportsKnown = true
	}
	if r.unlinkedImports {
		want := activityFrom(store.Activity{}, ev)
		if act, err := store.SyncFindUnlinkedImport(ctx, h, r.acct.ID, r.cal, want.Subject, want.Start); err == nil {
			if act.Origin != r.acct.ID {
				if err := store.SyncAdoptImport(ctx, h, act.ID, r.acct.ID); err != nil {
					return err
				}
				return r.relink(ctx, h, act, ev, "an event imported through a removed account; linked again by subject and start instead of importing a copy")
			}
			return r.relink(ctx, h, act, ev, "an event imported earlier lost its link; linked again by subject and start instead of importing a copy")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return r.importEvent(ctx, h, ev, "")
}

// relink links ev to act again after the link was lost. SyncedRev 0 means "unknown":
// identical content is synced, otherwise the conflict policy decides.
func (r *run) relink(ctx context.Context, h store.Handler, act store.Activity, ev providers.Event, why string) error {
	link, err := store.InsertLink(ctx, h, store.Link{ActivityID: act.ID, AccountID: r.acct.ID, CalendarID: r.cal,
		RemoteID: ev.RemoteID, ICalUID: ev.ICalUID, State: store.LinkSynced, CreatedAt: r.now})
	if err != nil {
		return err
	}
	r.seen[link.ID] = true
	r.sum.Relinked++
	if err := r.journal(ctx, h, act.ID, ev.RemoteID, store.OpPulled, ReasonRelinked, why); err != nil {
		return err
	}
	return r.remoteChanged(ctx, h, link, act, ev)
}

// tagged handles an unlinked event that carries our ownership tag: it was written by
// calsync for ev.ActivityID, so it is linked again, never imported as something new.
func (r *run) tagged(ctx context.Context, h store.Handler, ev providers.Event, seen map[int64]bool) error {
	link, err := store.GetLinkByActivity(ctx, h, r.acct.ID, r.cal, ev.ActivityID)
	if err == nil {
		seen[link.ID] = true
		if link.State == store.LinkPendingCreate {
			// A create whose answer we never recorded (crash, timeout): it happened.
			act, err := store.SyncGetActivity(ctx, h, link.ActivityID)
			if err != nil {
				return err
			}
			// Whether the event still shows what we wrote or was edited since is
			// unknown (SyncedRev 0): remoteChanged syncs identical content and lets
			// the conflict policy decide otherwise, journaling the loser.
			link.RemoteID, link.RemoteETag, link.ICalUID, link.State = ev.RemoteID, "", ev.ICalUID, store.LinkSynced
			link.SyncedRev = 0
			r.sum.Relinked++
			if err := store.UpdateLink(ctx, h, link); err != nil {
				return err
			}
			if err := r.journal(ctx, h, act.ID, ev.RemoteID, store.OpPulled, ReasonRelinked,
				"the event created by an interrupted run was found and linked"); err != nil {
				return err
			}
			return r.remoteChanged(ctx, h, link, act, ev)
		}
		// The activity is already linked to another event: this one is a copy (the same
		// calendar connected twice, an event duplicated by hand). Never import it.
		r.sum.skip(ReasonDuplicateTag)
		return r.journal(ctx, h, ev.ActivityID, ev.RemoteID, store.OpSkipped, ReasonDuplicateTag,
			fmt.Sprintf("another event (%s) is already linked to this activity", link.RemoteID))
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	act, err := store.SyncGetActivity(ctx, h, ev.ActivityID)
	if errors.Is(err, store.ErrNotFound) {
		// Our tag, but the activity is unknown here (a new database): restore it under
		// the same id so a second reset still finds it.
		return r.importEvent(ctx, h, ev, ev.ActivityID)
	}
	if err != nil {
		return err
	}
	return r.relink(ctx, h, act, ev, "the event carries this activity's tag; linked again instead of importing a copy")
}

// importEvent creates an activity from a calendar-only event (if the direction pulls and
// the event is in the window). id is the activity id to use ("" = new).
func (r *run) importEvent(ctx context.Context, h store.Handler, ev providers.Event, id string) error {
	if !r.pulls() {
		r.sum.skip(ReasonDirection)
		return r.journal(ctx, h, id, ev.RemoteID, store.OpSkipped, ReasonDirection,
			"calendar-only event not imported: the direction is to-calendar")
	}
	if !r.win.Contains(ev.Start, ev.End) {
		r.sum.skip(ReasonOutsideWindow)
		return r.journal(ctx, h, id, ev.RemoteID, store.OpSkipped, ReasonOutsideWindow,
			fmt.Sprintf("starts %s, outside the sync window", ev.Start.Format("2006-01-02")))
	}
	a := activityFrom(store.Activity{ID: id, OwnerID: r.meID, Type: r.set.ImportType, Origin: r.acct.ID}, ev)
	a, err := store.NormalizeImport(a, r.now)
	if err != nil {
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			r.sum.fail(string(providers.Invalid), r.scrub(oneLine(err)))
			return r.journal(ctx, h, "", ev.RemoteID, store.OpError, string(providers.Invalid), errDetail(err))
		}
		return err
	}
	// Written in batches (flushImports): a first import of thousands of events costs a
	// few statements per page instead of several per event.
	r.imports = append(r.imports, store.SyncImport{Activity: a, Link: store.Link{ActivityID: a.ID, AccountID: r.acct.ID,
		CalendarID: r.cal, RemoteID: ev.RemoteID, RemoteETag: ev.ETag, ICalUID: ev.ICalUID, SyncedRev: a.Rev,
		RemoteUpdated: timePtr(ev.Updated), State: store.LinkSynced, LastSyncedAt: &r.now, CreatedAt: r.now}})
	r.sum.Pulled++
	r.sum.Imported++
	r.touch(a.ID)
	return r.journal(ctx, h, a.ID, ev.RemoteID, store.OpPulled, ReasonImported, "")
}

// remoteChanged handles a linked event whose etag moved.
func (r *run) remoteChanged(ctx context.Context, h store.Handler, link store.Link, act store.Activity, ev providers.Event) error {
	r.touch(act.ID)
	ackRemote := func() error {
		link.RemoteETag, link.ICalUID = ev.ETag, ev.ICalUID
		link.RemoteUpdated = timePtr(ev.Updated)
		return store.UpdateLink(ctx, h, link)
	}
	if sameContent(act, ev) {
		if act.DeletedAt == nil {
			link.SyncedRev = act.Rev
			link.LastSyncedAt = &r.now
		}
		return ackRemote()
	}
	localChanged := act.Rev > link.SyncedRev
	if act.DeletedAt != nil {
		if !r.pushes() {
			link.SyncedRev = act.Rev
			r.sum.skip(ReasonDirection)
			if err := ackRemote(); err != nil {
				return err
			}
			return r.journal(ctx, h, act.ID, ev.RemoteID, store.OpSkipped, ReasonDirection,
				"deleted here; the direction is from-calendar so the event stays")
		}
		// Deleted here, edited there: the deletion is pushed (the push phase deletes the
		// event); the calendar's edit is kept in the journal.
		r.sum.Conflicts++
		if err := ackRemote(); err != nil {
			return err
		}
		return r.journal(ctx, h, act.ID, ev.RemoteID, store.OpConflict, ReasonLocalWon, versionJSON("calendar", ev))
	}
	switch {
	case r.set.Direction == store.DirToCalendar:
		// Remote edits are not pulled; the next local change overwrites them. Remember
		// the etag so that overwrite is not refused as a conflict.
		r.sum.skip(ReasonDirection)
		if err := ackRemote(); err != nil {
			return err
		}
		return r.journal(ctx, h, act.ID, ev.RemoteID, store.OpSkipped, ReasonDirection,
			versionJSON("calendar", ev))
	case !localChanged:
		if r.holdShift(link, act, ev) {
			return nil // decided at the end of the listing (timeshift.go)
		}
		return r.applyRemote(ctx, h, link, act, ev, store.OpPulled, ReasonUpdated, "")
	case r.set.Direction == store.DirFromCalendar:
		r.sum.Conflicts++
		return r.applyRemote(ctx, h, link, act, ev, store.OpConflict, ReasonRemoteWon, versionJSON("crm", eventFor(act)))
	}
	// Both changed since the last sync.
	r.sum.Conflicts++
	if r.localWins(act, ev) {
		if err := ackRemote(); err != nil {
			return err
		}
		return r.journal(ctx, h, act.ID, ev.RemoteID, store.OpConflict, ReasonLocalWon, versionJSON("calendar", ev))
	}
	return r.applyRemote(ctx, h, link, act, ev, store.OpConflict, ReasonRemoteWon, versionJSON("crm", eventFor(act)))
}

// localWins applies the conflict policy.
func (r *run) localWins(act store.Activity, ev providers.Event) bool {
	switch r.set.ConflictPolicy {
	case store.PolicyLocalWins:
		return true
	case store.PolicyRemoteWins:
		return false
	}
	// newest-wins; a tie (or an event without a modification time) goes to the CRM.
	return ev.Updated.IsZero() || !ev.Updated.After(act.UpdatedAt)
}

// applyRemote writes the event's content onto the activity and records it as synced.
func (r *run) applyRemote(ctx context.Context, h store.Handler, link store.Link, act store.Activity, ev providers.Event, op, reason, detail string) error {
	rev, err := store.SyncUpdateActivity(ctx, h, activityFrom(act, ev), r.now)
	if err != nil {
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			r.sum.fail(string(providers.Invalid), r.scrub(oneLine(err)))
			return r.journal(ctx, h, act.ID, ev.RemoteID, store.OpError, string(providers.Invalid), errDetail(err))
		}
		return err
	}
	link.SyncedRev, link.RemoteETag, link.ICalUID, link.State = rev, ev.ETag, ev.ICalUID, store.LinkSynced
	link.RemoteUpdated = timePtr(ev.Updated)
	link.LastSyncedAt = &r.now
	if err := store.UpdateLink(ctx, h, link); err != nil {
		return err
	}
	r.sum.Pulled++
	return r.journal(ctx, h, act.ID, ev.RemoteID, op, reason, detail)
}

// remoteDeleted handles an event that is gone from the calendar.
func (r *run) remoteDeleted(ctx context.Context, h store.Handler, remoteID string) error {
	link, err := r.linkByRemote(ctx, h, remoteID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // never linked (or already handled)
	}
	if err != nil {
		return err
	}
	act, err := store.SyncGetActivity(ctx, h, link.ActivityID)
	if err != nil {
		return err
	}
	r.touch(act.ID)
	if link.State == store.LinkPendingDelete || act.DeletedAt != nil {
		// Deleted on both sides (or our own delete whose answer was lost).
		if err := store.DeleteLink(ctx, h, link.ID); err != nil {
			return err
		}
		if link.State == store.LinkPendingDelete {
			r.sum.Pushed++
			r.sum.DeletedRemote++
			reason, detail := ReasonDeleted, "completed after an interruption"
			if why, d := r.noLongerSynced(act, link); why != "" && act.DeletedAt == nil {
				// A retraction (type or owner changed) whose answer was lost: say why.
				reason, detail = why, "deleted from the calendar (completed after an interruption): "+d
				r.markRetracted(act.ID)
			}
			return r.journal(ctx, h, act.ID, remoteID, store.OpPushed, reason, detail)
		}
		return nil
	}
	if !r.pulls() {
		// to-calendar: the CRM keeps the activity. The link is set aside (quarantined)
		// rather than dropped, so the activity is not pushed again as new: the person
		// removed it from their calendar on purpose (on Google a create would restore it).
		link.State, link.SyncedRev, link.LastError = store.LinkQuarantined, act.Rev, "deleted in the calendar"
		if err := store.UpdateLink(ctx, h, link); err != nil {
			return err
		}
		return r.journal(ctx, h, act.ID, remoteID, store.OpInfo, ReasonUnlinked,
			"the event was deleted in the calendar; the direction is to-calendar, so the activity stays here and is not written again")
	}
	if act.Rev > link.SyncedRev && r.set.Direction == store.DirTwoWay {
		// Edited here, deleted there.
		r.sum.Conflicts++
		if r.set.ConflictPolicy == store.PolicyLocalWins {
			if err := store.DeleteLink(ctx, h, link.ID); err != nil {
				return err
			}
			r.force = append(r.force, act.ID)
			return r.journal(ctx, h, act.ID, remoteID, store.OpConflict, ReasonLocalWon,
				"deleted in the calendar but edited here: the activity is kept and written again")
		}
		if _, err := store.SyncTombstoneActivity(ctx, h, act.ID, r.now); err != nil {
			return err
		}
		if err := store.DeleteLink(ctx, h, link.ID); err != nil {
			return err
		}
		r.sum.Pulled++
		r.sum.DeletedLocal++
		return r.journal(ctx, h, act.ID, remoteID, store.OpConflict, ReasonRemoteWon, versionJSON("crm", eventFor(act)))
	}
	if _, err := store.SyncTombstoneActivity(ctx, h, act.ID, r.now); err != nil {
		return err
	}
	if err := store.DeleteLink(ctx, h, link.ID); err != nil {
		return err
	}
	r.sum.Pulled++
	r.sum.DeletedLocal++
	return r.journal(ctx, h, act.ID, remoteID, store.OpPulled, ReasonDeleted, "")
}

// vanished runs at the end of a full listing: linked events it did not show are gone,
// unless the listing showed nothing at all while links exist (the mass-delete guard).
// It reports whether the new cursor may be kept.
func (r *run) vanished(ctx context.Context, h store.Handler, seen map[int64]bool, events int) (bool, error) {
	var gone []store.Link
	var after int64
	for {
		page, err := store.SyncSyncedLinksBefore(ctx, h, r.acct.ID, r.cal, after, r.now, 500)
		if err != nil {
			return false, err
		}
		for _, la := range page {
			after = la.Link.ID
			if seen[la.Link.ID] {
				continue
			}
			ev := eventFor(la.Activity)
			if !r.win.Contains(ev.Start, ev.End) {
				continue // outside the listed window: absent for that reason alone
			}
			gone = append(gone, la.Link)
		}
		if len(page) < 500 {
			break
		}
	}
	if len(gone) == 0 {
		return true, nil
	}
	if events == 0 && !r.opts.ConfirmMassDelete {
		r.sum.MassDeleteGuard = len(gone)
		return false, r.journal(ctx, h, "", "", store.OpInfo, ReasonMassDeleteGuard,
			fmt.Sprintf("the calendar listing came back empty while %d linked events should be there; nothing was deleted. "+
				"If they really were deleted, run `calsync sync --account %s --confirm-mass-delete`", len(gone), r.acct.ID))
	}
	for _, l := range gone {
		if err := r.remoteDeleted(ctx, h, l.RemoteID); err != nil {
			return false, err
		}
	}
	return true, nil
}

// linkByRemote finds the link of a remote event, from the page's preloaded links when
// the event is on the current page.
func (r *run) linkByRemote(ctx context.Context, h store.Handler, remoteID string) (store.Link, error) {
	if r.pageIDs[remoteID] {
		if l, ok := r.pageLinks[remoteID]; ok {
			return l, nil
		}
		return store.Link{}, fmt.Errorf("link for remote event %s: %w", remoteID, store.ErrNotFound)
	}
	return store.GetLinkByRemote(ctx, h, r.acct.ID, r.cal, remoteID)
}

// flushImports writes the activities imported so far on this page.
func (r *run) flushImports(ctx context.Context, h store.Handler) error {
	if len(r.imports) == 0 {
		return nil
	}
	err := store.SyncInsertImports(ctx, h, r.imports, r.now)
	r.imports = r.imports[:0]
	return err
}
