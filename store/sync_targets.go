package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// AccountSync is how an activity stands in one account's calendar: the list's Sync
// column, `activity show` and `explain` speak per account when there are several.
type AccountSync struct {
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name"`
	// State is SyncNone ("": not in that calendar) or a link's pending | synced | error |
	// quarantined.
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// syncTarget is an account activities are sent to or imported from.
type syncTarget struct {
	id, name string
	pushes   bool
	types    []ActivityType
	meID     string
}

// wants reports whether the account's settings send activity a to its calendar (or a
// came from it): the cheap rules (direction, origin, owner, type). The activation date
// and the sync window are explain's to tell; an activity they hold back shows as not
// in that calendar, which it is not.
func (t syncTarget) wants(a Activity) bool {
	if a.Origin != "" && a.Origin != "local" {
		return a.Origin == t.id
	}
	return t.pushes && a.OwnerID == t.meID && slices.Contains(t.types, a.Type)
}

// syncTargets lists the accounts that sync (switched on, not disabled, a calendar chosen).
func syncTargets(ctx context.Context, h Handler) ([]syncTarget, error) {
	me, err := SyncMeID(ctx, h)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	q, err := h.QueryContext(ctx, `SELECT a.id, a.name, s.direction, s.types FROM accounts a
		JOIN sync_settings s ON s.account_id = a.id
		WHERE s.enabled = 1 AND a.state != ? AND s.calendar_id != '' ORDER BY a.created_at, a.id`, AccountDisabled)
	if err != nil {
		return nil, fmt.Errorf("read sync settings: %w", err)
	}
	defer q.Close()
	var out []syncTarget
	for q.Next() {
		var t syncTarget
		var dir, types string
		if err := q.Scan(&t.id, &t.name, &dir, &types); err != nil {
			return nil, err
		}
		t.pushes, t.types, t.meID = dir != DirFromCalendar, ParseTypes(types), me
		out = append(out, t)
	}
	return out, q.Err()
}

// SyncedIn counts the calendars the activity is synced in, of those it belongs in (the
// accounts whose settings want it, plus any that hold a link to it).
func (r ActivityRow) SyncedIn() (synced, of int) {
	for _, a := range r.Accounts {
		if a.State == SyncSynced {
			synced++
		}
	}
	return synced, len(r.Accounts)
}

// accountLink is one link of an activity as attachLinks reads it.
type accountLink struct {
	account, state, lastErr string
}

// fillAccounts sets r.Accounts: one entry per account that wants the activity or holds a
// link to it, in the accounts' order.
func fillAccounts(r *ActivityRow, targets []syncTarget, names map[string]string, links []accountLink) {
	r.Accounts = nil
	byAccount := map[string]accountLink{}
	for _, l := range links {
		if _, ok := byAccount[l.account]; !ok { // links come live first, then newest
			byAccount[l.account] = l
		}
	}
	seen := map[string]bool{}
	for _, t := range targets {
		l, linked := byAccount[t.id]
		if !linked && !t.wants(r.Activity) {
			continue
		}
		seen[t.id] = true
		as := AccountSync{AccountID: t.id, AccountName: t.name}
		if linked {
			as.State, as.Error = l.state, l.lastErr
		}
		r.Accounts = append(r.Accounts, as)
	}
	for _, l := range links { // linked in an account that no longer syncs
		if seen[l.account] {
			continue
		}
		seen[l.account] = true
		r.Accounts = append(r.Accounts, AccountSync{AccountID: l.account, AccountName: names[l.account], State: l.state, Error: l.lastErr})
	}
}
