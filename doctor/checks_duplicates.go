package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

func init() {
	register(&Check{ID: "duplicates", Title: "Are activities duplicated, and why?",
		Explain: "Looks for copies that share one origin: one calendar event linked to two activities (the same calendar connected through two accounts), " +
			"an event imported again next to the activity it was made for (calsync lost its links), one sync run importing an event twice, " +
			"and calendar events carrying one activity's tag twice. Activities that only look alike (two lunches at noon, the occurrences of a weekly meeting) are never merged.",
		Symptoms: []Symptom{Duplicates}, Run: checkDuplicates})
}

// Duplicate causes.
const (
	CauseTwoAccounts   = "same-calendar-two-accounts"
	CauseLinksLost     = "links-lost"
	CauseImportedTwice = "imported-twice"
)

var causeText = map[string]string{
	CauseTwoAccounts:   "the same calendar is connected through two accounts, so each event is imported once per account",
	CauseLinksLost:     "calsync lost its links (a reset or a restored database) and imported its own events again",
	CauseImportedTwice: "one sync run imported the same event more than once (the calendar listed it twice)",
}

func checkDuplicates(ctx context.Context, e *Env, _ *AccountView) Finding {
	scan, err := scanDuplicates(ctx, e.Store.DB)
	if err != nil {
		return unverified("could not read activities and links", err)
	}
	groups := scan.Groups
	// Calendar events carrying the tag of an activity that already has its event: the
	// engine refused to link them (our tag on two events for one activity).
	dupTags, err := store.QueryJournal(ctx, e.Store.DB, store.JournalQuery{Op: store.OpSkipped, Reason: sync.ReasonDuplicateTag, Limit: 1000})
	if err != nil {
		return unverified("could not read the journal", err)
	}
	loc := userLocation(ctx, e.Store.DB)
	if len(groups) == 0 && len(dupTags) == 0 {
		f := pass("no duplicated activities", Evidence{Observed: "0 groups of copies with one origin",
			Source: "activities, links and journal (same linked event, identical imports of one run, imports next to an unlinked original)"})
		if len(scan.LookAlikes) > 0 {
			f.Summary = fmt.Sprintf("no duplicated activities (%d sets of look-alikes left alone: nothing shows they are copies)", len(scan.LookAlikes))
			f.Note = lookAlikeNote(scan.LookAlikes, loc)
		}
		return f
	}
	extras := 0
	byCause := map[string]int{}
	for _, g := range groups {
		extras += len(g.Extras)
		byCause[g.Cause] += len(g.Extras)
	}
	var causes []string
	var ev []Evidence
	for _, c := range []string{CauseTwoAccounts, CauseLinksLost, CauseImportedTwice} {
		if byCause[c] > 0 {
			causes = append(causes, causeText[c])
			ev = append(ev, Evidence{Observed: fmt.Sprintf("%d extra copies: %s", byCause[c], c), Expected: "0", Source: "activities, links, journal"})
		}
	}
	for i, g := range groups {
		if i == 5 {
			ev = append(ev, Evidence{Observed: fmt.Sprintf("... and %d more groups", len(groups)-5), Source: "activities"})
			break
		}
		ev = append(ev, Evidence{Observed: fmt.Sprintf("%q: %d copies, keeping %s: %s", g.Key, len(g.Extras)+1, short(g.Keeper), g.Why), Source: "activities, links"})
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
	if len(scan.LookAlikes) > 0 {
		f.Note = lookAlikeNote(scan.LookAlikes, loc)
	}
	if byCause[CauseTwoAccounts] > 0 {
		f.Remediation = "Stop sync on one of the two accounts that reach the same calendar, then merge the copies."
		if fx := stopSyncFix(ctx, e, groups); fx != nil {
			f.Fixes = append(f.Fixes, fx)
		}
	} else {
		f.Remediation = "Merge the copies: the extra ones are quarantined (hidden, kept, undoable), nothing is deleted in the calendar."
	}
	if extras > 0 {
		f.Fixes = append(f.Fixes, mergeFix(scan, loc))
	}
	if len(dupTags) > 0 && extras == 0 {
		f.Remediation = "Delete the second copies in the calendar by hand; calsync never deletes events it cannot attribute."
	}
	return f
}

// lookAlikeNote names a few look-alike sets for the person to judge.
func lookAlikeNote(ls []LookAlike, loc *time.Location) string {
	var parts []string
	for i, l := range ls {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ls)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%q %s (%d)", l.Subject, l.Start.In(loc).Format("Mon 2 Jan 2006 15:04"), len(l.IDs)))
	}
	return "Identical in every field, but nothing shows one origin (no shared calendar event, not imported together, not an import next to an unlinked original), " +
		"so they were left alone: " + strings.Join(parts, ", ") + ". If one is an extra copy, delete it yourself."
}

func userLocation(ctx context.Context, h store.Handler) *time.Location {
	if loc, err := store.UserLocation(ctx, h); err == nil && loc != nil {
		return loc
	}
	return time.UTC
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

// ErrDuplicatesChanged is returned by the merge when the copies are no longer the ones
// the diagnosis showed (a sync ran, someone edited or deleted one): nothing is merged.
var ErrDuplicatesChanged = errors.New("the copies changed since the diagnosis, so nothing was merged; run the doctor again to see them as they are now")

// mergePlan is the diagnosed extra -> keeper mapping the merge is allowed to act on.
func mergePlan(groups []DupGroup) map[string]string {
	p := map[string]string{}
	for _, g := range groups {
		for _, x := range g.Extras {
			p[x] = g.Keeper
		}
	}
	return p
}

func samePlan(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// mergeRows lists, for people, every activity the merge will quarantine and why.
func mergeRows(scan *dupScan, loc *time.Location) []FixRow {
	var rows []FixRow
	for _, g := range scan.Groups {
		for _, x := range g.Extras {
			a := scan.acts[x]
			from := "entered in the CRM"
			if !a.local() {
				from = "imported by " + scan.accountName(a.Origin)
			}
			rows = append(rows, FixRow{ID: x, Keeper: g.Keeper, Text: fmt.Sprintf("%q %s, %s (%s) -> merged into %s: %s",
				a.Subject, a.Start.In(loc).Format("Mon 2 Jan 2006 15:04"), from, short(x), short(g.Keeper), g.Why)})
		}
	}
	return rows
}

// mergeFix quarantines exactly the extra copies the diagnosis showed (Fix.Rows): each is
// tombstoned (kept in the store, hidden from lists, never hard-deleted) and its calendar
// link is handed to the keeper when the keeper has none there, or else quarantined so the
// engine neither pushes nor deletes through it. No calendar event is deleted. The groups
// are read again inside the merge's transaction; if they differ from the diagnosis the
// merge refuses, so it never acts on rows the person was not shown.
func mergeFix(scan *dupScan, loc *time.Location) *Fix {
	plan := mergePlan(scan.Groups)
	n := len(plan)
	fx := &Fix{ID: "merge", Title: fmt.Sprintf("merge %d extra copies into their originals", n),
		Description: "Only the rows listed are quarantined (hidden and kept, not deleted); no calendar event is deleted.",
		Impact:      Impact{{"merge", n}, {"delete", 0}}, Undoable: true, Rows: mergeRows(scan, loc)}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		var jid int64
		now := e.now()
		err := e.Store.Tx(ctx, func(h store.Handler) error {
			cur, err := scanDuplicates(ctx, h)
			if err != nil {
				return err
			}
			if !samePlan(plan, mergePlan(cur.Groups)) {
				return ErrDuplicatesChanged
			}
			var undo mergeUndo
			type step struct{ keeper, extra string }
			var steps []step
			for _, x := range sortedKeys(plan) {
				keeper := plan[x]
				a, err := store.GetActivity(ctx, h, x)
				if err != nil {
					return err
				}
				undo.Activities = append(undo.Activities, mergedActivity{ID: x, Keeper: keeper, DeletedAt: a.DeletedAt})
				ls, err := store.LinksForActivity(ctx, h, x)
				if err != nil {
					return err
				}
				undo.Links = append(undo.Links, ls...)
				for _, l := range ls {
					if kl, err := store.GetLinkByActivity(ctx, h, l.AccountID, l.CalendarID, keeper); err == nil &&
						kl.State == store.LinkPendingCreate && l.State == store.LinkSynced {
						undo.Removed = append(undo.Removed, kl)
					}
				}
				steps = append(steps, step{keeper, x})
			}
			if jid, err = appendFixRecord(ctx, h, e, fx, "", "", "merge", undo); err != nil {
				return err
			}
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
		return Applied{JournalID: jid, Message: fmt.Sprintf("merged %d copies (quarantined, nothing deleted)", n)}, nil
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
