package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// Events left behind: when a type stops being synced (a fix undone, a type unticked in
// the settings), the engine leaves the events it already made for that type in the
// calendar — it only retracts an event when its activity changes — and nothing says so.
// This check names them, with the links that prove calsync made them; its fix deletes
// them from the calendar (the activities stay), and undo writes them again.
func init() {
	register(&Check{ID: "left-behind", Title: "Did calsync leave events of types it no longer syncs in the calendar?",
		Explain:  "Events calsync made for activity types that are no longer synced stay in the calendar and are no longer updated or removed; they can be taken out (the activities stay).",
		Symptoms: []Symptom{NotShowing, Duplicates}, PerAccount: true, Run: checkLeftBehind})
	undoers["left-behind"] = undoLeftBehind
}

// LeftBehind is one event calsync made for an activity whose type is no longer synced.
// It is also the fix's undo record, which lives in the journal: ids only, no subject.
type LeftBehind struct {
	Link    store.Link         `json:"link"`
	Type    store.ActivityType `json:"type"`
	Subject string             `json:"-"`
	Start   time.Time          `json:"-"`
}

// FindLeftBehind lists the events calsync made in calendarID for the CRM's own activities
// whose type is not among types: synced links (calsync wrote the event and saw it last
// time) of live activities created here, unchanged since (a changed one is retracted by
// the next sync anyway). Imported activities are never counted: their events are the
// person's own.
func FindLeftBehind(ctx context.Context, h store.Handler, accountID, calendarID string, types []store.ActivityType) ([]LeftBehind, error) {
	if calendarID == "" {
		return nil, nil
	}
	q := `SELECT l.id, l.activity_id, l.remote_id, l.remote_etag, l.ical_uid, l.synced_rev, l.created_at,
		a.subject, a.type, a.start_at
		FROM links l JOIN activities a ON a.id = l.activity_id
		WHERE l.account_id = ? AND l.calendar_id = ? AND l.state = 'synced'
		AND a.deleted_at IS NULL AND a.origin IN ('local', '') AND a.rev <= l.synced_rev`
	args := []any{accountID, calendarID}
	if len(types) > 0 {
		q += ` AND a.type NOT IN (?` + strings.Repeat(",?", len(types)-1) + `)`
		for _, t := range types {
			args = append(args, string(t))
		}
	}
	rows, err := h.QueryContext(ctx, q+` ORDER BY a.start_at, l.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LeftBehind
	for rows.Next() {
		var lb LeftBehind
		var created, start int64
		l := &lb.Link
		if err := rows.Scan(&l.ID, &l.ActivityID, &l.RemoteID, &l.RemoteETag, &l.ICalUID, &l.SyncedRev, &created,
			&lb.Subject, &lb.Type, &start); err != nil {
			return nil, err
		}
		l.AccountID, l.CalendarID, l.State = accountID, calendarID, store.LinkSynced
		l.CreatedAt, lb.Start = time.Unix(created, 0).UTC(), time.Unix(start, 0).UTC()
		out = append(out, lb)
	}
	return out, rows.Err()
}

// leftBehindTypes says which types the events belong to: "3 meetings, 1 lunch".
func leftBehindTypes(lbs []LeftBehind) string {
	n := map[store.ActivityType]int{}
	for _, lb := range lbs {
		n[lb.Type]++
	}
	var parts []string
	for _, t := range store.AllTypes {
		if n[t] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[t], t))
		}
	}
	return strings.Join(parts, ", ")
}

// leftBehindList names up to max events: `"Board meeting" (meeting, 2026-12-07)`.
func leftBehindList(lbs []LeftBehind, max int) string {
	var parts []string
	for i, lb := range lbs {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(lbs)-max))
			break
		}
		parts = append(parts, fmt.Sprintf("%q (%s, %s)", safeName(lb.Subject), lb.Type, day(lb.Start)))
	}
	return strings.Join(parts, ", ")
}

func checkLeftBehind(ctx context.Context, e *Env, a *AccountView) Finding {
	s := a.Settings
	if s.CalendarID == "" {
		return skip("no calendar is chosen for " + a.Label())
	}
	lbs, err := FindLeftBehind(ctx, e.Store.DB, a.Account.ID, s.CalendarID, s.Types)
	if err != nil {
		return unverified("could not read the links", err)
	}
	src := "links of " + a.Label() + " (calsync created these events and last saw them synced)"
	ev := Evidence{Observed: "synced types: " + typesText(s.Types), Expected: "no calsync event of another type in the calendar", Source: "sync settings of " + a.Label()}
	if len(lbs) == 0 {
		return pass("no event of a type that is no longer synced is in the calendar", ev)
	}
	evs := []Evidence{ev}
	// Online, the calendar itself confirms the events inside the sync window; those it
	// no longer lists are gone already (the stale-state check speaks of them).
	if !e.Offline && e.Open != nil {
		if p, err := e.openFor(ctx, a); err == nil {
			from, to := window(s, e.now())
			if listed, err := listAll(ctx, p, s.CalendarID, providers.Window{Start: from, End: to}); err == nil {
				there := map[string]bool{}
				for _, x := range listed {
					there[x.RemoteID] = true
				}
				var keep []LeftBehind
				confirmed := 0
				for _, lb := range lbs {
					inWindow := !lb.Start.Before(from) && !lb.Start.After(to)
					switch {
					case there[lb.Link.RemoteID]:
						confirmed++
						keep = append(keep, lb)
					case !inWindow:
						keep = append(keep, lb)
					}
				}
				evs = append(evs, Evidence{Observed: fmt.Sprintf("%d of them listed in the calendar just now (%d outside the sync window, not listed)", confirmed, len(keep)-confirmed),
					Expected: "0", Source: "calendar listing"})
				lbs = keep
			}
		}
	}
	if len(lbs) == 0 {
		return pass("no event of a type that is no longer synced is in the calendar", evs...)
	}
	evs = append(evs, Evidence{Observed: fmt.Sprintf("%d calsync events of types no longer synced (%s): %s", len(lbs), leftBehindTypes(lbs), leftBehindList(lbs, 10)),
		Expected: "none", Source: src})
	f := warn(fmt.Sprintf("%d events calsync made for types that are no longer synced (%s) are still in the calendar; calsync no longer updates or removes them", len(lbs), leftBehindTypes(lbs)), evs...)
	f.Remediation = "If you no longer want them in the calendar, remove them (the activities stay here, and undo writes the events again); or sync those types again."
	f.Fixes = []*Fix{removeLeftBehindFix(a, lbs)}
	return f
}

// removeLeftBehindFix deletes exactly the events the finding named, no others.
func removeLeftBehindFix(a *AccountView, lbs []LeftBehind) *Fix {
	id, cal := a.Account.ID, a.Settings.CalendarID
	named := map[int64]bool{}
	for _, lb := range lbs {
		named[lb.Link.ID] = true
	}
	fx := &Fix{ID: "remove-left-behind", Title: fmt.Sprintf("remove %d events of types no longer synced from %s", len(lbs), a.Label()),
		Description: "Deletes from the calendar: " + leftBehindList(lbs, 20) + ". The activities stay here; undo writes the events again.",
		Impact:      Impact{{"delete from the calendar", len(lbs)}, {"activities changed", 0}}, Undoable: true}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		if e.Offline || e.Open == nil {
			return Applied{}, errors.New("removing events needs the provider (offline)")
		}
		p, err := e.openFor(ctx, a)
		if err != nil {
			return Applied{}, err
		}
		// No sync may run meanwhile: it would see the deletions of still-linked events
		// and delete their activities.
		release, err := holdLease(ctx, e, id)
		if err != nil {
			return Applied{}, err
		}
		defer release()
		set, err := store.GetSyncSettings(ctx, e.Store.DB, id)
		if err != nil {
			return Applied{}, err
		}
		// Act only on what the evidence covered and still holds now.
		now, err := FindLeftBehind(ctx, e.Store.DB, id, set.CalendarID, set.Types)
		if err != nil {
			return Applied{}, err
		}
		var todo []LeftBehind
		for _, lb := range now {
			if named[lb.Link.ID] && set.CalendarID == cal {
				todo = append(todo, lb)
			}
		}
		if len(todo) == 0 {
			return Applied{Message: "nothing to remove any more"}, nil
		}
		// The links go first, with the undo record: if calsync dies before the calendar
		// answers, an event left there carries its tag and is linked again by a sync.
		jid, err := recordFix(ctx, e, fx, id, "", "left-behind", todo, func(h store.Handler) error {
			for _, lb := range todo {
				if err := store.DeleteLink(ctx, h, lb.Link.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return Applied{}, err
		}
		removed, failed := 0, []string{}
		for _, lb := range todo {
			err := p.Delete(ctx, cal, lb.Link.RemoteID, "")
			if err != nil && !providers.IsKind(err, providers.NotFound) {
				failed = append(failed, fmt.Sprintf("%q: %v", safeName(lb.Subject), err))
				// Still there: keep knowing it, so the doctor keeps naming it.
				_ = e.Store.Tx(ctx, func(h store.Handler) error {
					_, err := store.InsertLink(ctx, h, lb.Link)
					return err
				})
				continue
			}
			removed++
			_, _ = store.AppendJournal(ctx, e.Store.DB, store.JournalEntry{At: e.now(), AccountID: id, ActivityID: lb.Link.ActivityID,
				RemoteID: lb.Link.RemoteID, Op: store.OpPushed, Reason: sync.ReasonTypeNotSynced,
				Detail: fmt.Sprintf("deleted from the calendar by the doctor (remove-left-behind): %ss are no longer synced", lb.Type)})
		}
		msg := fmt.Sprintf("removed %d events from the calendar; the activities stay", removed)
		if len(failed) > 0 {
			return Applied{JournalID: jid, Message: msg}, fmt.Errorf("%d events could not be removed: %s", len(failed), strings.Join(failed, "; "))
		}
		return Applied{JournalID: jid, Message: msg}, nil
	}
	return fx
}

// undoLeftBehind writes the removed events again (creates are idempotent on the activity
// id, and Google restores a deleted event under its old id) and links them.
func undoLeftBehind(ctx context.Context, h store.Handler, e *Env, data json.RawMessage) error {
	var lbs []LeftBehind
	if err := json.Unmarshal(data, &lbs); err != nil {
		return err
	}
	if len(lbs) == 0 {
		return nil
	}
	if e.Open == nil || e.Offline {
		return errors.New("writing the events again needs the provider (offline)")
	}
	acct, err := store.GetAccount(ctx, h, lbs[0].Link.AccountID)
	if err != nil {
		return err
	}
	p, err := e.Open(ctx, acct, nil)
	if err != nil {
		return err
	}
	for _, lb := range lbs {
		act, err := store.SyncGetActivity(ctx, h, lb.Link.ActivityID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && act.DeletedAt != nil) {
			continue // deleted since: nothing to put back
		} else if err != nil {
			return err
		}
		if _, err := store.GetLinkByActivity(ctx, h, lb.Link.AccountID, lb.Link.CalendarID, act.ID); err == nil {
			continue // linked again meanwhile (a sync found the event, or the type is synced again)
		}
		out, err := p.Create(ctx, lb.Link.CalendarID, sync.EventFor(act))
		if err != nil {
			return fmt.Errorf("write %q again: %w", safeName(act.Subject), err)
		}
		now := e.now()
		l := lb.Link
		l.ID, l.RemoteID, l.RemoteETag, l.SyncedRev, l.State, l.LastError = 0, out.RemoteID, out.ETag, act.Rev, store.LinkSynced, ""
		if out.ICalUID != "" {
			l.ICalUID = out.ICalUID
		}
		l.LastSyncedAt, l.CreatedAt = &now, now
		if _, err := store.InsertLink(ctx, h, l); err != nil {
			return err
		}
	}
	return nil
}
