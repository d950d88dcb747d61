package doctor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// The expensive checks that list the calendar (the round trip is in probe.go).
func init() {
	register(&Check{ID: "stale-state", Title: "Does calsync's local sync state match the calendar?",
		Explain:  "Lists the calendar in full and compares it with calsync's links: events calsync believes are there but are not, and calsync's own events it no longer knows, mean the local state is stale.",
		Symptoms: []Symptom{NotShowing, Duplicates}, PerAccount: true, Expensive: true,
		DependsOn: []string{"sync-enabled", "calendar", "connection"}, Run: checkStaleState})
}

// listAll reads the whole window of the calendar (every page).
func listAll(ctx context.Context, p providers.Provider, cal string, win providers.Window) ([]providers.Event, error) {
	var out []providers.Event
	cursor := ""
	for i := 0; i < 10000; i++ {
		page, err := p.Changes(ctx, cal, cursor, win)
		if err != nil {
			return nil, err
		}
		for _, ev := range page.Events {
			if !ev.Deleted {
				out = append(out, ev)
			}
		}
		if !page.More {
			return out, nil
		}
		cursor = page.NextCursor
	}
	return nil, errors.New("the listing did not end after 10000 pages")
}

func (e *Env) openFor(ctx context.Context, a *AccountView) (providers.Provider, error) {
	if e.Open == nil {
		return nil, errors.New("no provider access here")
	}
	return e.Open(ctx, a.Account, nil)
}

type staleReport struct {
	missing       []store.Link // synced links whose event is gone
	untracked     int          // calsync-tagged events with no link
	dupTags       int          // extra events sharing a tag
	events        int
	cursorTakenAt *time.Time
}

func inspectState(ctx context.Context, e *Env, a *AccountView) (staleReport, error) {
	var r staleReport
	p, err := e.openFor(ctx, a)
	if err != nil {
		return r, err
	}
	from, to := window(a.Settings, e.now())
	evs, err := listAll(ctx, p, a.Settings.CalendarID, providers.Window{Start: from, End: to})
	if err != nil {
		return r, err
	}
	r.events = len(evs)
	remote := map[string]bool{}
	tags := map[string]int{}
	for _, ev := range evs {
		remote[ev.RemoteID] = true
		if ev.ActivityID != "" {
			tags[ev.ActivityID]++
		}
	}
	links, err := store.ListLinks(ctx, e.Store.DB, a.Account.ID)
	if err != nil {
		return r, err
	}
	linked := map[string]bool{}
	for _, l := range links {
		if l.CalendarID != a.Settings.CalendarID {
			continue
		}
		linked[l.ActivityID] = true
		if l.State != store.LinkSynced {
			continue
		}
		act, err := store.SyncGetActivity(ctx, e.Store.DB, l.ActivityID)
		if err != nil || act.DeletedAt != nil {
			continue
		}
		if act.Start.Add(act.Duration).Before(from) || act.Start.After(to) {
			continue
		}
		if !remote[l.RemoteID] {
			r.missing = append(r.missing, l)
		}
	}
	for id, n := range tags {
		if !linked[id] {
			r.untracked++
		}
		if n > 1 {
			r.dupTags += n - 1
		}
	}
	if c, err := store.GetCursor(ctx, e.Store.DB, a.Account.ID, a.Settings.CalendarID); err == nil {
		t := c.TakenAt
		r.cursorTakenAt = &t
	}
	return r, nil
}

func checkStaleState(ctx context.Context, e *Env, a *AccountView) Finding {
	if e.Offline || e.Open == nil {
		return skip("needs to talk to the provider (offline)")
	}
	r, err := inspectState(ctx, e, a)
	if err != nil {
		f := unverified("could not list the calendar", err)
		f.Temporary = providers.KindOf(err).Retryable()
		return f
	}
	cur := "no change token"
	if r.cursorTakenAt != nil {
		cur = "change token taken " + stamp(*r.cursorTakenAt)
	}
	ev := Evidence{Observed: fmt.Sprintf("%d events listed; %d linked events missing; %d calsync events not linked; %s", r.events, len(r.missing), r.untracked, cur),
		Expected: "every linked event listed, every calsync event linked", Source: "full listing of the calendar vs links"}
	if r.dupTags > 0 {
		ev.Observed += fmt.Sprintf("; %d extra events carry the tag of an activity that already has one", r.dupTags)
	}
	if len(r.missing) == 0 && r.untracked == 0 && r.dupTags == 0 {
		return pass("calsync's local state matches the calendar", ev)
	}
	if len(r.missing) == 0 && r.untracked == 0 {
		f := fail(fmt.Sprintf("the calendar holds %d second copies of calsync's events (repeated creates, matched by their ownership tag)", r.dupTags), ev)
		f.Remediation = "calsync keeps its link to one copy and never deletes events it cannot attribute; delete the second copies in the calendar (same title and time)."
		return f
	}
	f := fail(fmt.Sprintf("calsync's local state is stale: %d events it thinks are in the calendar are gone, %d of its events are not linked", len(r.missing), r.untracked), ev)
	f.Remediation = "Reset the change tokens and sync from a full listing: tagged events are re-linked, not imported again."
	f.Fixes = []*Fix{resyncFix(a)}
	return f
}

// resyncFix drops the account's change tokens and runs a full sync, then proves that no
// event is duplicated by counting ownership tags in a fresh listing.
func resyncFix(a *AccountView) *Fix {
	id := a.Account.ID
	fx := &Fix{ID: "resync", Title: "reset sync state and resync " + a.Label() + " from a full listing",
		Impact: Impact{{"reset change tokens", 1}, {"delete", 0}}}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		if e.Sync == nil {
			return Applied{}, errors.New("cannot sync here")
		}
		jid, err := recordFix(ctx, e, fx, id, "", "none", struct{}{}, func(h store.Handler) error {
			return store.DeleteCursors(ctx, h, id)
		})
		if err != nil {
			return Applied{}, err
		}
		if err := e.Sync(ctx, id); err != nil {
			return Applied{JournalID: jid}, fmt.Errorf("the change tokens were reset but the sync failed: %w", err)
		}
		accts, err := LoadAccounts(ctx, e.Store)
		if err != nil {
			return Applied{JournalID: jid}, err
		}
		for _, v := range accts {
			if v.Account.ID == id {
				r, err := inspectState(ctx, e, v)
				if err != nil {
					return Applied{JournalID: jid, Message: "resynced; could not re-list to prove it"}, nil
				}
				return Applied{JournalID: jid, Message: fmt.Sprintf("resynced: %d events, %d duplicated tags, %d unlinked calsync events", r.events, r.dupTags, r.untracked)}, nil
			}
		}
		return Applied{JournalID: jid, Message: "resynced"}, nil
	}
	return fx
}

func boolText(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func classifyProbeErr(what string, err error) Finding {
	k := providers.KindOf(err)
	f := Finding{Status: Fail, Summary: what + ": " + err.Error(), Actor: ActorUser}
	switch {
	case k.Retryable():
		f.Status, f.Temporary = Unverified, true
	case k == providers.ReadOnly:
		f.Summary = "the calendar refuses writes: CRM -> calendar broken (read-only calendar)"
		f.Remediation = "Choose a calendar you can edit."
	}
	return f
}
