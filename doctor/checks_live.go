package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// The expensive checks: they list the calendar, or write test data and sync.
func init() {
	register(&Check{ID: "stale-state", Title: "Does calsync's local sync state match the calendar?",
		Explain:  "Lists the calendar in full and compares it with calsync's links: events calsync believes are there but are not, and calsync's own events it no longer knows, mean the local state is stale.",
		Symptoms: []Symptom{NotShowing, Duplicates}, PerAccount: true, Expensive: true,
		DependsOn: []string{"sync-enabled", "calendar", "connection"}, Run: checkStaleState})
	register(&Check{ID: "round-trip", Title: "Does a test event make the round trip?",
		Explain:  "Creates a tagged test event in the calendar and a test activity here, syncs, checks that each arrived on the other side, and removes both.",
		Symptoms: []Symptom{NotShowing, OneWay}, PerAccount: true, Expensive: true,
		DependsOn: []string{"sync-enabled", "calendar", "connection"}, Run: checkRoundTrip})
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

// probePrefix marks the round trip's test data, so a crashed probe's leftovers can be
// recognised and removed by the next one.
const probePrefix = "calsync round-trip test"

func checkRoundTrip(ctx context.Context, e *Env, a *AccountView) Finding {
	if e.Offline || e.Open == nil || e.Sync == nil {
		return skip("the round trip needs the provider and the sync engine (offline)")
	}
	s := a.Settings
	p, err := e.openFor(ctx, a)
	if err != nil {
		return unverified("could not open the account", err)
	}
	me, err := store.Me(ctx, e.Store.DB)
	if err != nil {
		return unverified("no CRM user is \"me\"", err)
	}
	leftovers := removeProbeLeftovers(ctx, e, p, a)
	nonce := uuid.NewString()[:8]
	now := e.now()
	start := now.Add(2 * time.Hour).Truncate(time.Minute)
	pushes := s.Direction != store.DirFromCalendar
	pulls := s.Direction != store.DirToCalendar
	typ := store.TypeMeeting
	if len(s.Types) > 0 && !hasType(s.Types, typ) {
		typ = s.Types[0]
	}

	// 1. A test event in the calendar, as if the person had created it there.
	remoteSubject := fmt.Sprintf("%s %s (from the calendar)", probePrefix, nonce)
	// Providers create idempotently on an activity id, so the test event carries a fresh
	// one that no activity has yet: the engine must import it under that id.
	probeID, err := uuid.NewV7()
	if err != nil {
		return unverified("could not make a test id", err)
	}
	created, err := p.Create(ctx, s.CalendarID, providers.Event{ActivityID: probeID.String(), Subject: remoteSubject, Start: start, End: start.Add(15 * time.Minute), TimeZone: "UTC"})
	if err != nil {
		f := classifyProbeErr("could not create the test event in the calendar", err)
		return f
	}
	// 2. A test activity here.
	localSubject := fmt.Sprintf("%s %s (from the CRM)", probePrefix, nonce)
	act, err := store.CreateActivity(ctx, e.Store.DB, store.ActivityInput{OwnerID: me.ID, Type: typ, Subject: localSubject, Start: start, Duration: 15 * time.Minute}, now)
	if err != nil {
		_ = p.Delete(ctx, s.CalendarID, created.RemoteID, "")
		return unverified("could not create the test activity", err)
	}
	cleanup := func() []string {
		var problems []string
		if _, err := store.DeleteActivity(ctx, e.Store.DB, act.ID, e.now()); err != nil {
			problems = append(problems, "test activity: "+err.Error())
		}
		if err := p.Delete(ctx, s.CalendarID, created.RemoteID, ""); err != nil && !providers.IsKind(err, providers.NotFound) {
			problems = append(problems, "test event: "+err.Error())
		}
		// Sync again so the test activity's event goes and the imported copy is tombstoned.
		if err := e.Sync(ctx, a.Account.ID); err != nil {
			problems = append(problems, "clean-up sync: "+err.Error())
		}
		// Whatever the engine imported from the test event goes too.
		for _, id := range append(findBySubject(ctx, e.Store, remoteSubject), probeID.String()) {
			_, _ = store.DeleteActivity(ctx, e.Store.DB, id, e.now())
		}
		return problems
	}

	syncErr := e.Sync(ctx, a.Account.ID)

	// 3. Did each arrive on the other side?
	toCal, fromCal := false, false
	from, to := window(s, e.now())
	evs, listErr := listAll(ctx, p, s.CalendarID, providers.Window{Start: from, End: to})
	for _, ev := range evs {
		if ev.ActivityID == act.ID || ev.Subject == localSubject {
			toCal = true
		}
	}
	fromCal = len(findBySubject(ctx, e.Store, remoteSubject)) > 0
	if got, err := store.SyncGetActivity(ctx, e.Store.DB, probeID.String()); err == nil && got.DeletedAt == nil {
		fromCal = true
	}
	problems := cleanup()

	word := func(ok, expected bool) string {
		switch {
		case ok:
			return "OK"
		case !expected:
			return "not expected (direction " + s.Direction + ")"
		}
		return "broken"
	}
	sum := fmt.Sprintf("CRM -> calendar %s, calendar -> CRM %s", word(toCal, pushes), word(fromCal, pulls))
	ev := []Evidence{
		{Observed: "test activity " + boolText(toCal, "found", "not found") + " in the calendar after a sync", Expected: boolText(pushes, "found", "not found (direction)"), Source: "round trip"},
		{Observed: "test event " + boolText(fromCal, "imported", "not imported") + " as an activity after a sync", Expected: boolText(pulls, "imported", "not imported (direction)"), Source: "round trip"},
	}
	if syncErr != nil {
		ev = append(ev, Evidence{Observed: "sync: " + syncErr.Error(), Source: "sync engine"})
	}
	if listErr != nil {
		ev = append(ev, Evidence{Observed: "listing: " + listErr.Error(), Source: "provider"})
	}
	if len(problems) > 0 {
		ev = append(ev, Evidence{Observed: "clean-up: " + strings.Join(problems, "; "), Expected: "test data removed", Source: "round trip"})
	}
	if leftovers > 0 {
		ev = append(ev, Evidence{Observed: fmt.Sprintf("removed %d leftovers of an interrupted earlier round trip", leftovers), Source: "round trip"})
	}
	if (toCal || !pushes) && (fromCal || !pulls) {
		return pass(sum, ev...)
	}
	f := fail(sum, ev...)
	f.Remediation = "Look at the failing direction's findings above (direction, calendar, connection); the journal (Log tab) has the sync's decisions about the test data."
	return f
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

// findBySubject returns live activities whose subject is exactly s.
func findBySubject(ctx context.Context, st *store.Store, s string) []string {
	rows, err := st.DB.QueryContext(ctx, `SELECT id FROM activities WHERE subject = ? AND deleted_at IS NULL`, s)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// removeProbeLeftovers deletes what an interrupted round trip left behind: its test events
// (recognised by the probe's subject) and test activities. It returns how many it removed.
func removeProbeLeftovers(ctx context.Context, e *Env, p providers.Provider, a *AccountView) int {
	n := 0
	from, to := window(a.Settings, e.now())
	if evs, err := listAll(ctx, p, a.Settings.CalendarID, providers.Window{Start: from, End: to}); err == nil {
		for _, ev := range evs {
			if strings.HasPrefix(ev.Subject, probePrefix) && p.Delete(ctx, a.Settings.CalendarID, ev.RemoteID, "") == nil {
				n++
			}
		}
	}
	rows, err := e.Store.DB.QueryContext(ctx, `SELECT id FROM activities WHERE deleted_at IS NULL AND substr(subject, 1, ?) = ?`, len(probePrefix), probePrefix)
	if err != nil {
		return n
	}
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		if _, err := store.DeleteActivity(ctx, e.Store.DB, id, e.now()); err == nil {
			n++
		}
	}
	return n
}
