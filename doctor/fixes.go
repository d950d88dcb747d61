package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/calsync/calsync/store"
)

// undoRecord is the JSON kept in a "fixed" journal entry's detail: enough to put back
// exactly what the fix changed.
type undoRecord struct {
	Fix   string          `json:"fix"`
	Kind  string          `json:"undo"` // settings | list-view | merge | account-state
	Data  json.RawMessage `json:"data"`
	Title string          `json:"title"`
}

// undoers reverse one kind of change inside the undo transaction.
var undoers = map[string]func(ctx context.Context, h store.Handler, e *Env, data json.RawMessage) error{}

// recordFix writes the undo record to the journal, then runs change, in one transaction:
// if the change fails nothing is recorded, and a change is never made without its undo
// record.
func recordFix(ctx context.Context, e *Env, fix *Fix, accountID, activityID, kind string, data any,
	change func(h store.Handler) error) (int64, error) {
	var id int64
	err := e.Store.Tx(ctx, func(h store.Handler) error {
		var err error
		if id, err = appendFixRecord(ctx, h, e, fix, accountID, activityID, kind, data); err != nil {
			return err
		}
		return change(h)
	})
	return id, err
}

// appendFixRecord writes a fix's undo record inside the caller's transaction h, for
// fixes that must read and check what they change in that same transaction (merge).
func appendFixRecord(ctx context.Context, h store.Handler, e *Env, fix *Fix, accountID, activityID, kind string, data any) (int64, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return 0, err
	}
	detail, _ := json.Marshal(undoRecord{Fix: fix.ID, Kind: kind, Data: raw, Title: fix.Title})
	return store.AppendJournal(ctx, h, store.JournalEntry{At: e.now(), AccountID: accountID, ActivityID: activityID,
		Op: store.OpFixed, Reason: "fix:" + fix.ID, Detail: string(detail)})
}

// ErrAlreadyUndone is returned when a fix was undone before.
var ErrAlreadyUndone = errors.New("this fix was already undone")

// Undo reverses the fix recorded in journal entry fixedID and journals "undone".
func Undo(ctx context.Context, e *Env, fixedID int64) (string, error) {
	ent, err := store.GetJournalEntry(ctx, e.Store.DB, fixedID)
	if err != nil {
		return "", err
	}
	if ent.Op != store.OpFixed {
		return "", fmt.Errorf("journal entry %d is a %q entry, not a fix", fixedID, ent.Op)
	}
	var rec undoRecord
	if err := json.Unmarshal([]byte(ent.Detail), &rec); err != nil {
		return "", fmt.Errorf("journal entry %d has no usable undo record: %w", fixedID, err)
	}
	undo, ok := undoers[rec.Kind]
	if !ok {
		return "", fmt.Errorf("fix %s (%s) cannot be undone", rec.Fix, rec.Kind)
	}
	marker := "undo:" + strconv.FormatInt(fixedID, 10)
	err = e.Store.Tx(ctx, func(h store.Handler) error {
		done, err := store.QueryJournal(ctx, h, store.JournalQuery{Op: store.OpUndone, Reason: marker, Limit: 1})
		if err != nil {
			return err
		}
		if len(done) > 0 {
			return ErrAlreadyUndone
		}
		if _, err := store.AppendJournal(ctx, h, store.JournalEntry{At: e.now(), AccountID: ent.AccountID, ActivityID: ent.ActivityID,
			Op: store.OpUndone, Reason: marker, Detail: "undid " + rec.Title}); err != nil {
			return err
		}
		return undo(ctx, h, e, rec.Data)
	})
	if err != nil {
		return "", err
	}
	return "undone: " + rec.Title, nil
}

// Settings fixes keep the whole previous settings row: undo puts it back.
func init() {
	undoers["settings"] = func(ctx context.Context, h store.Handler, e *Env, data json.RawMessage) error {
		var prev store.SyncSettings
		if err := json.Unmarshal(data, &prev); err != nil {
			return err
		}
		prev.UpdatedAt = e.now()
		return store.PutSyncSettings(ctx, h, prev)
	}
	undoers["list-view"] = func(ctx context.Context, h store.Handler, e *Env, data json.RawMessage) error {
		var prev store.ListFilter
		if err := json.Unmarshal(data, &prev); err != nil {
			return err
		}
		return store.SaveListView(ctx, h, prev, e.now())
	}
}

// settingsFix builds a fix that edits an account's sync settings with change.
func settingsFix(id, title, desc string, impact Impact, accountID string, change func(s *store.SyncSettings)) *Fix {
	fx := &Fix{ID: id, Title: title, Description: desc, Impact: impact, Undoable: true}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		prev, err := store.GetSyncSettings(ctx, e.Store.DB, accountID)
		if err != nil {
			return Applied{}, err
		}
		next := prev
		next.Types = append([]store.ActivityType(nil), prev.Types...)
		change(&next)
		next.UpdatedAt = e.now()
		if err := store.ValidateSyncSettings(next); err != nil {
			return Applied{}, err
		}
		// Calendar changes skipped while the direction did not pull were passed by the
		// change token, and their etags acknowledged: a direction that now pulls needs a
		// full listing that compares every linked event's content again, so the edits
		// made in the calendar meanwhile come back (identical ones are just acknowledged).
		pullsNow := next.Direction != store.DirToCalendar && prev.Direction == store.DirToCalendar
		jid, err := recordFix(ctx, e, fx, accountID, "", "settings", prev, func(h store.Handler) error {
			if pullsNow {
				if err := store.DeleteCursors(ctx, h, accountID); err != nil {
					return err
				}
				links, err := store.ListLinks(ctx, h, accountID)
				if err != nil {
					return err
				}
				for _, l := range links {
					if l.State == store.LinkSynced && l.RemoteETag != "" {
						l.RemoteETag = ""
						if err := store.UpdateLink(ctx, h, l); err != nil {
							return err
						}
					}
				}
			}
			return store.PutSyncSettings(ctx, h, next)
		})
		if err != nil {
			return Applied{}, err
		}
		msg := title + " (applied)"
		if e.Sync != nil && next.Enabled && !e.Offline {
			if err := e.Sync(ctx, accountID); err != nil {
				msg += "; the sync run after it failed: " + err.Error()
			} else {
				msg += "; synced"
			}
		}
		return Applied{JournalID: jid, Message: msg}, nil
	}
	return fx
}
