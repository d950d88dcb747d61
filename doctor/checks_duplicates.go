package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/calsync/calsync/store"
)

func init() {
	register(&Check{ID: "duplicates", Title: "Are activities duplicated, and why?",
		Explain:  "Groups copies of the same thing by linked event id, ownership tag, iCalendar UID and subject+start+owner, then names the cause: the same calendar connected through two accounts, links lost after a reset, an echo, or repeated creates.",
		Symptoms: []Symptom{Duplicates}, Run: checkDuplicates})
}

// Duplicate causes.
const (
	CauseTwoAccounts     = "same-calendar-two-accounts"
	CauseLinksLost       = "links-lost"
	CauseEcho            = "echo"
	CauseRepeatedCreates = "repeated-creates"
)

var causeText = map[string]string{
	CauseTwoAccounts:     "the same calendar is connected through two accounts, so each event is imported once per account",
	CauseLinksLost:       "calsync lost its links (a reset or a restored database) and imported its own events again",
	CauseEcho:            "calsync's own events came back as new ones (their ownership tag was lost), an echo",
	CauseRepeatedCreates: "the same activity was created more than once",
}

// DupGroup is one set of activities that are copies of each other.
type DupGroup struct {
	By       string   `json:"by"` // remote-id | tag | ical-uid | subject-start-owner
	Key      string   `json:"key"`
	Keeper   string   `json:"keeper"`
	Extras   []string `json:"extras"`
	Cause    string   `json:"cause"`
	Accounts []string `json:"accounts,omitempty"`
}

type dupActivity struct {
	store.Activity
	links []store.Link
}

// FindDuplicates groups live activities that are copies of each other. It reads the
// activities and links in bulk (two queries per account), not one query per activity.
func FindDuplicates(ctx context.Context, st *store.Store) ([]DupGroup, error) {
	rows, err := st.DB.QueryContext(ctx, `SELECT id, owner_id, subject, start_at, origin, created_at FROM activities WHERE deleted_at IS NULL`)
	if err != nil {
		return nil, err
	}
	acts := map[string]*dupActivity{}
	for rows.Next() {
		var a dupActivity
		var start, created int64
		if err := rows.Scan(&a.ID, &a.OwnerID, &a.Subject, &start, &a.Origin, &created); err != nil {
			rows.Close()
			return nil, err
		}
		a.Start, a.CreatedAt = time.Unix(start, 0).UTC(), time.Unix(created, 0).UTC()
		acts[a.ID] = &a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	for _, ac := range accts {
		ls, err := store.ListLinks(ctx, st.DB, ac.ID)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if a := acts[l.ActivityID]; a != nil {
				a.links = append(a.links, l)
			}
		}
	}
	// Union-find over the four keys so one copy found by two keys makes one group.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if parent[x] == "" || parent[x] == x {
			return x
		}
		parent[x] = find(parent[x])
		return parent[x]
	}
	how := map[string]string{}
	union := func(by, a, b string) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[rb] = ra
			if how[ra] == "" {
				how[ra] = by
			}
		}
	}
	byKey := func(by string, keyOf func(a *dupActivity) []string) {
		first := map[string]string{}
		for _, id := range sortedKeys(acts) {
			for _, k := range keyOf(acts[id]) {
				if k == "" {
					continue
				}
				if f, ok := first[k]; ok && f != id {
					union(by, f, id)
				} else if !ok {
					first[k] = id
				}
			}
		}
	}
	byKey("remote-id", func(a *dupActivity) (ks []string) {
		for _, l := range a.links {
			if l.State != store.LinkQuarantined && !strings.HasPrefix(l.RemoteID, "pending:") {
				ks = append(ks, l.CalendarID+"\x00"+l.RemoteID)
			}
		}
		return
	})
	byKey("ical-uid", func(a *dupActivity) (ks []string) {
		for _, l := range a.links {
			if l.State != store.LinkQuarantined && l.ICalUID != "" {
				ks = append(ks, l.ICalUID)
			}
		}
		return
	})
	byKey("subject-start-owner", func(a *dupActivity) []string {
		return []string{strings.ToLower(strings.TrimSpace(a.Subject)) + "\x00" + fmt.Sprint(a.Start.Unix()) + "\x00" + a.OwnerID}
	})
	groups := map[string][]string{}
	for _, id := range sortedKeys(acts) {
		r := find(id)
		groups[r] = append(groups[r], id)
	}
	var out []DupGroup
	for root, members := range groups {
		if len(members) < 2 {
			continue
		}
		g := DupGroup{By: how[root], Key: acts[members[0]].Subject}
		g.Keeper = pickKeeper(members, acts)
		for _, m := range members {
			if m != g.Keeper {
				g.Extras = append(g.Extras, m)
			}
		}
		g.Cause, g.Accounts = causeOf(members, acts)
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Keeper < out[j].Keeper })
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// pickKeeper keeps the CRM's own activity (origin local) if there is one, else the oldest.
func pickKeeper(members []string, acts map[string]*dupActivity) string {
	best := members[0]
	for _, m := range members[1:] {
		a, b := acts[m], acts[best]
		al, bl := a.Origin == "local", b.Origin == "local"
		switch {
		case al && !bl:
			best = m
		case al == bl && (a.CreatedAt.Before(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID):
			best = m
		}
	}
	return best
}

func causeOf(members []string, acts map[string]*dupActivity) (string, []string) {
	origins := map[string]bool{}
	var locals []*dupActivity
	for _, m := range members {
		a := acts[m]
		if a.Origin == "local" || a.Origin == "" {
			locals = append(locals, a)
		} else {
			origins[a.Origin] = true
		}
	}
	accts := sortedKeys(origins)
	switch {
	case len(origins) >= 2:
		return CauseTwoAccounts, accts
	case len(locals) >= 1 && len(origins) == 1:
		// Our own activity came back from the account it was sent to. If it still has a
		// working link there, the event lost its tag and was read as new (an echo); if the
		// link there is gone or never completed, calsync lost its links.
		for _, l := range locals[0].links {
			if l.AccountID == accts[0] && l.State == store.LinkSynced {
				return CauseEcho, accts
			}
		}
		return CauseLinksLost, accts
	}
	return CauseRepeatedCreates, accts
}

func checkDuplicates(ctx context.Context, e *Env, _ *AccountView) Finding {
	groups, err := FindDuplicates(ctx, e.Store)
	if err != nil {
		return unverified("could not read activities and links", err)
	}
	// Remote copies the engine refused to link (a second event with the same tag).
	dupTags, _ := store.QueryJournal(ctx, e.Store.DB, store.JournalQuery{Op: store.OpSkipped, Reason: "duplicate-tag", Limit: 1000})
	if len(groups) == 0 && len(dupTags) == 0 {
		return pass("no duplicated activities", Evidence{Observed: "0 groups of copies", Source: "activities and links"})
	}
	extras := 0
	byCause := map[string]int{}
	for _, g := range groups {
		extras += len(g.Extras)
		byCause[g.Cause] += len(g.Extras)
	}
	var causes []string
	var ev []Evidence
	for _, c := range []string{CauseTwoAccounts, CauseLinksLost, CauseEcho, CauseRepeatedCreates} {
		if byCause[c] > 0 {
			causes = append(causes, causeText[c])
			ev = append(ev, Evidence{Observed: fmt.Sprintf("%d extra copies: %s", byCause[c], c), Expected: "0", Source: "activities, links (grouped by linked event id, iCalendar UID, subject+start+owner)"})
		}
	}
	for i, g := range groups {
		if i == 5 {
			ev = append(ev, Evidence{Observed: fmt.Sprintf("... and %d more groups", len(groups)-5), Source: "activities"})
			break
		}
		ev = append(ev, Evidence{Observed: fmt.Sprintf("%q: %d copies (matched by %s), keeping %s", g.Key, len(g.Extras)+1, g.By, short(g.Keeper)), Source: "activities"})
	}
	if len(dupTags) > 0 {
		ev = append(ev, Evidence{Observed: fmt.Sprintf("%d calendar events carry the tag of an activity that already has its event", len(dupTags)), Expected: "0", Source: "journal (skipped: duplicate-tag)"})
		causes = append(causes, "the calendar holds some events twice (repeated creates); calsync left the second copies alone")
	}
	sum := fmt.Sprintf("%d activities are extra copies in %d groups", extras, len(groups))
	if extras == 0 {
		sum = fmt.Sprintf("%d calendar events are second copies of events calsync already linked", len(dupTags))
	}
	f := fail(sum+": "+strings.Join(causes, "; "), ev...)
	if byCause[CauseTwoAccounts] > 0 {
		f.Remediation = "Stop sync on one of the two accounts that reach the same calendar, then merge the copies."
		if fx := stopSyncFix(ctx, e, groups); fx != nil {
			f.Fixes = append(f.Fixes, fx)
		}
	} else {
		f.Remediation = "Merge the copies: the extra ones are quarantined (hidden, kept, undoable), nothing is deleted in the calendar."
	}
	if extras > 0 {
		f.Fixes = append(f.Fixes, mergeFix(groups))
	}
	if len(dupTags) > 0 && extras == 0 {
		f.Remediation = "Delete the second copies in the calendar by hand; calsync never deletes events it cannot attribute."
	}
	return f
}

func short(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// stopSyncFix switches sync off on the account that was connected last among those that
// import copies of the same calendar.
func stopSyncFix(ctx context.Context, e *Env, groups []DupGroup) *Fix {
	seen := map[string]bool{}
	var candidates []store.Account
	for _, g := range groups {
		if g.Cause != CauseTwoAccounts {
			continue
		}
		for _, id := range g.Accounts {
			if seen[id] {
				continue
			}
			seen[id] = true
			if a, err := store.GetAccount(ctx, e.Store.DB, id); err == nil {
				candidates = append(candidates, a)
			}
		}
	}
	if len(candidates) < 2 {
		return nil
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].CreatedAt.Before(candidates[j].CreatedAt) })
	last := candidates[len(candidates)-1]
	v := &AccountView{Account: last}
	return settingsFix("stop-sync", "stop sync on "+v.Label()+" (it reaches the same calendar as "+candidates[0].Name+")",
		"The account stays connected; switch sync back on any time.", Impact{{"stop sync", 1}}, last.ID,
		func(s *store.SyncSettings) { s.Enabled = false })
}

// mergeUndo is what merge changed, to put back.
type mergeUndo struct {
	Activities []mergedActivity `json:"activities"`
	Links      []store.Link     `json:"links"` // links as they were before
	// Removed are the keepers' unfinished links (pending_create) replaced by a copy's
	// working link; undo puts them back.
	Removed []store.Link `json:"removed,omitempty"`
}

type mergedActivity struct {
	ID        string     `json:"id"`
	Keeper    string     `json:"keeper"`
	DeletedAt *time.Time `json:"deleted_at"`
}

// mergeFix quarantines the extra copies: each is tombstoned (kept in the store, hidden
// from lists, never hard-deleted) and its calendar link is handed to the keeper when the
// keeper has none there, or else quarantined so the engine neither pushes nor deletes
// through it. No calendar event is deleted.
func mergeFix(groups []DupGroup) *Fix {
	n := 0
	for _, g := range groups {
		n += len(g.Extras)
	}
	fx := &Fix{ID: "merge", Title: fmt.Sprintf("merge %d extra copies into their originals", n),
		Description: "Extra copies are quarantined (hidden and kept, not deleted); no calendar event is deleted.",
		Impact:      Impact{{"merge", n}, {"delete", 0}}, Undoable: true}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		// Recompute: the groups may have changed since the plan was shown.
		groups, err := FindDuplicates(ctx, e.Store)
		if err != nil {
			return Applied{}, err
		}
		var undo mergeUndo
		now := e.now()
		type step struct{ keeper, extra string }
		var steps []step
		for _, g := range groups {
			for _, x := range g.Extras {
				a, err := store.GetActivity(ctx, e.Store.DB, x)
				if err != nil {
					return Applied{}, err
				}
				undo.Activities = append(undo.Activities, mergedActivity{ID: x, Keeper: g.Keeper, DeletedAt: a.DeletedAt})
				ls, err := store.LinksForActivity(ctx, e.Store.DB, x)
				if err != nil {
					return Applied{}, err
				}
				undo.Links = append(undo.Links, ls...)
				for _, l := range ls {
					if kl, err := store.GetLinkByActivity(ctx, e.Store.DB, l.AccountID, l.CalendarID, g.Keeper); err == nil &&
						kl.State == store.LinkPendingCreate && l.State == store.LinkSynced {
						undo.Removed = append(undo.Removed, kl)
					}
				}
				steps = append(steps, step{g.Keeper, x})
			}
		}
		jid, err := recordFix(ctx, e, fx, "", "", "merge", undo, func(h store.Handler) error {
			for _, s := range steps {
				rev, err := store.SyncTombstoneActivity(ctx, h, s.extra, now)
				if err != nil {
					return err
				}
				ls, err := store.LinksForActivity(ctx, h, s.extra)
				if err != nil {
					return err
				}
				for _, l := range ls {
					kl, kerr := store.GetLinkByActivity(ctx, h, l.AccountID, l.CalendarID, s.keeper)
					if kerr == nil && kl.State == store.LinkPendingCreate && l.State == store.LinkSynced {
						// The keeper's create never completed (its event is this copy's):
						// the copy's working link replaces it.
						if err := store.DeleteLink(ctx, h, kl.ID); err != nil {
							return err
						}
						kerr = store.ErrNotFound
					}
					if kerr != nil && l.State != store.LinkQuarantined {
						keeper, err := store.GetActivity(ctx, h, s.keeper)
						if err != nil {
							return err
						}
						l.ActivityID = s.keeper
						l.SyncedRev = keeper.Rev
					} else {
						l.State = store.LinkQuarantined
						l.SyncedRev = rev
					}
					if err := store.UpdateLink(ctx, h, l); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return Applied{}, err
		}
		return Applied{JournalID: jid, Message: fmt.Sprintf("merged %d copies (quarantined, nothing deleted)", len(steps))}, nil
	}
	return fx
}

func init() {
	undoers["merge"] = func(ctx context.Context, h store.Handler, e *Env, data json.RawMessage) error {
		var u mergeUndo
		if err := json.Unmarshal(data, &u); err != nil {
			return err
		}
		for _, l := range u.Links {
			if err := store.UpdateLink(ctx, h, l); err != nil {
				return err
			}
		}
		for _, l := range u.Removed {
			if _, err := store.InsertLink(ctx, h, l); err != nil {
				return err
			}
		}
		for _, a := range u.Activities {
			if a.DeletedAt == nil {
				if _, err := store.RestoreActivity(ctx, h, a.ID, e.now()); err != nil {
					return err
				}
			}
		}
		return nil
	}
}
