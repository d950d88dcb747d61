package sync

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// Cursor after own writes.
//
// The pull phase saves the change token it read before the push phase writes. A server
// may leave out of a later increment what was created and deleted after that token
// (RFC 6578 allows it; Xandikos does), so an event calsync pushed and the person then
// deleted would never show as deleted: the activity would stay "synced" forever. So:
//   - before its first write, a run marks the saved token (cursors.before_writes);
//   - after the push phase, a run that wrote reads on from that token (the settle read):
//     its own writes come back (their etags match the links: nothing to apply), any
//     change made meanwhile is applied as in any pull, and the token at its end, which
//     covers the writes, replaces the marked one;
//   - an event written in this run that the settle read did not show leaves the token
//     marked, journaled as unconfirmed-writes;
//   - a run that finds its token marked (settle read failed, crash mid-push, unconfirmed
//     writes) reads its increment as usual and then lists the calendar in full, where a
//     missing event is a deletion.

// beforeWrite is called before every provider write of the run; the first marks the
// saved token as older than the run's writes (committed before the write goes out, so a
// crash in between still leaves the mark).
func (r *run) beforeWrite(ctx context.Context) error {
	if r.wroteAny || r.opts.DryRun {
		return nil
	}
	r.wroteAny = true
	return store.MarkCursorBeforeWrites(ctx, r.e.Store.DB, r.acct.ID, r.cal)
}

// wrote records an event this run created or updated, for the settle read to confirm.
func (r *run) wrote(remoteID string) {
	if remoteID == "" {
		return
	}
	if r.unconfirmed == nil {
		r.unconfirmed = map[string]bool{}
	}
	r.unconfirmed[remoteID] = true
}

// settle is the read after the run's own writes (see the comment at the top).
func (r *run) settle(ctx context.Context) error {
	if !r.wroteAny || r.opts.DryRun {
		return nil
	}
	c, err := store.GetCursor(ctx, r.e.Store.DB, r.acct.ID, r.cal)
	if errors.Is(err, store.ErrNotFound) {
		return nil // no token to keep: the next run lists in full anyway
	} else if err != nil {
		return err
	}
	r.settling = true
	defer func() { r.settling = false }()
	r.sum.Settled = true
	err = r.listing(ctx, c.Token)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		// The writes are done; only their confirmation failed. The token stays marked,
		// so the next run lists in full; the run itself is not failed for it.
		if providers.IsKind(err, providers.CursorExpired) {
			if derr := store.DeleteCursor(ctx, r.e.Store.DB, r.acct.ID, r.cal); derr != nil {
				return derr
			}
		}
		return r.tx(ctx, func(h store.Handler) error {
			return r.journal(ctx, h, "", "", store.OpInfo, ReasonUnconfirmedWrites,
				"the calendar's changes could not be read after this run's writes ("+unwrapStop(err).Error()+
					"); the next sync lists the calendar in full so that nothing written here is missed")
		})
	}
	if len(r.unconfirmed) == 0 {
		return nil
	}
	// The listing's last page stored its token still marked (pull.go); say which.
	ids := make([]string, 0, len(r.unconfirmed))
	for id := range r.unconfirmed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return r.tx(ctx, func(h store.Handler) error {
		for _, id := range ids {
			if err := r.journal(ctx, h, "", id, store.OpInfo, ReasonUnconfirmedWrites,
				fmt.Sprintf("written in this run but not among the calendar's changes read after the writes; "+
					"the next sync lists the calendar in full to check it (%d unconfirmed)", len(ids))); err != nil {
				return err
			}
		}
		return nil
	})
}

// confirm notes the events of a settle page: each was seen after the writes.
func (r *run) confirm(page providers.ChangePage) {
	if !r.settling {
		return
	}
	for _, ev := range page.Events {
		delete(r.unconfirmed, ev.RemoteID)
	}
}
