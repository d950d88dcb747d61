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

// Checks for "activities don't show up", in the order of the help article: sync on,
// list filters, created before activation, settings (types, calendar, direction), the
// last error, stale state, the connection, and finally a live round trip.
func init() {
	register(&Check{ID: "accounts", Title: "Is a calendar account connected?",
		Explain:  "Nothing can sync without a connected Google, Microsoft or CalDAV account.",
		Symptoms: []Symptom{NotShowing, OneWay, Duplicates, CantConnect, Permissions, WrongTime}, Run: checkAccounts})
	register(&Check{ID: "sync-enabled", Title: "Is calendar sync switched on?",
		Explain:  "Sync runs only for accounts where it was switched on in the sync settings.",
		Symptoms: []Symptom{NotShowing, OneWay, WrongTime}, PerAccount: true, Run: checkSyncEnabled})
	register(&Check{ID: "list-filters", Title: "Do the activity list's filters hide it?",
		Explain:  "The Activities tab shows only what its owner, type, status, period and search filters let through; an activity can be synced and still be hidden there.",
		Symptoms: []Symptom{NotShowing}, Run: checkListFilters})
	register(&Check{ID: "before-activation", Title: "Was it created before sync was switched on?",
		Explain:  "Only new and changed activities sync: those untouched since sync was switched on stay out unless you backfill from a date.",
		Symptoms: []Symptom{NotShowing}, PerAccount: true, DependsOn: []string{"sync-enabled"}, Run: checkBeforeActivation})
	register(&Check{ID: "types", Title: "Is its activity type synced?",
		Explain:  "The sync settings choose which activity types (call, meeting, task, ...) go to the calendar.",
		Symptoms: []Symptom{NotShowing}, PerAccount: true, DependsOn: []string{"sync-enabled"}, Run: checkTypes})
	register(&Check{ID: "calendar", Title: "Is the right calendar chosen, and can calsync write to it?",
		Explain:  "Activities go to one calendar per account: it must exist, accept events and be writable, and it must be the one you look at.",
		Symptoms: []Symptom{NotShowing, OneWay}, PerAccount: true, DependsOn: []string{"sync-enabled"}, Run: checkCalendar})
	register(&Check{ID: "direction", Title: "Does the sync direction include this way?",
		Explain:  "Sync can go both ways, only to the calendar or only from it; the other way is then ignored on purpose.",
		Symptoms: []Symptom{NotShowing, OneWay}, PerAccount: true, DependsOn: []string{"sync-enabled"}, Run: checkDirection})
	register(&Check{ID: "last-error", Title: "Did the last sync fail?",
		Explain:  "Every run records how it ended and every sync decision is in the journal: a stopped run or a failed push or pull says why.",
		Symptoms: []Symptom{NotShowing, OneWay}, PerAccount: true, DependsOn: []string{"sync-enabled"}, Run: checkLastError})
}

func fail(summary string, ev ...Evidence) Finding {
	return Finding{Status: Fail, Summary: summary, Evidence: ev, Actor: ActorUser}
}
func pass(summary string, ev ...Evidence) Finding {
	return Finding{Status: Pass, Summary: summary, Evidence: ev}
}
func warn(summary string, ev ...Evidence) Finding {
	return Finding{Status: Warn, Summary: summary, Evidence: ev, Actor: ActorUser}
}
func skip(summary string) Finding { return Finding{Status: Skip, Summary: summary} }
func unverified(summary string, err error) Finding {
	if err != nil {
		summary += ": " + err.Error()
	}
	return Finding{Status: Unverified, Summary: summary}
}

func checkAccounts(ctx context.Context, e *Env, _ *AccountView) Finding {
	accts, err := store.ListAccounts(ctx, e.Store.DB)
	if err != nil {
		return unverified("could not read the accounts", err)
	}
	if len(accts) == 0 {
		f := fail("no calendar account is connected, so nothing can sync",
			Evidence{Observed: "0 accounts", Expected: "at least one", Source: "accounts"})
		f.Remediation = "Connect one: `calsync account add google|microsoft|caldav` or the Accounts tab (3)."
		return f
	}
	return pass(fmt.Sprintf("%d account(s) connected", len(accts)), Evidence{Observed: fmt.Sprintf("%d accounts", len(accts)), Source: "accounts"})
}

func checkSyncEnabled(ctx context.Context, e *Env, a *AccountView) Finding {
	src := "sync settings of " + a.Label()
	if a.Account.State == store.AccountDisabled {
		f := fail(a.Label()+" is disabled", Evidence{Observed: "account state disabled", Expected: "connected", Source: "account"})
		f.Remediation = "Re-enable the account in the Accounts tab, or `calsync account reconnect " + a.Account.ID + "`."
		return f
	}
	if a.Settings.Enabled {
		ev := Evidence{Observed: "enabled", Expected: "enabled", Source: src}
		if a.Settings.ActivatedAt != nil {
			ev.Observed += " since " + stamp(*a.Settings.ActivatedAt)
		}
		return pass("calendar sync is switched on for "+a.Label(), ev)
	}
	if other, ok := syncedElsewhere(ctx, e, a); ok {
		// Stopping the second connection to one calendar is the duplicates fix, not a fault:
		// the calendar still syncs, through the other account.
		// Skip, not pass: the checks that need this account's sync running are skipped too.
		return skip(fmt.Sprintf("sync is off for %s on purpose: its calendar syncs through %s", a.Label(), other))
	}
	f := fail("calendar sync is switched off for "+a.Label(), Evidence{Observed: "disabled", Expected: "enabled", Source: src})
	if a.Settings.CalendarID == "" {
		f.Remediation = "Choose a calendar and switch sync on: `calsync settings set --account " + a.Account.ID + " --calendar ID --enable` (see `calsync calendars --account " + a.Account.ID + "`)."
		return f
	}
	f.Remediation = "Switch sync on (it stays one click away from off again)."
	f.Fixes = append(f.Fixes, settingsFix("enable-sync", "switch sync on for "+a.Label(),
		"Turns sync on; activities changed from now on (plus any backfill) go to the calendar.",
		Impact{{"enable sync", 1}}, a.Account.ID, func(s *store.SyncSettings) {
			s.Enabled = true
			if s.ActivatedAt == nil {
				now := e.now()
				s.ActivatedAt = &now
			}
		}))
	return f
}

// syncedElsewhere reports another connected account with sync switched on for the same
// calendar (same provider, login and calendar id): a's sync being off is then deliberate.
func syncedElsewhere(ctx context.Context, e *Env, a *AccountView) (string, bool) {
	if a.Settings.CalendarID == "" {
		return "", false
	}
	accts, err := store.ListAccounts(ctx, e.Store.DB)
	if err != nil {
		return "", false
	}
	for _, o := range accts {
		if o.ID == a.Account.ID || o.Kind != a.Account.Kind || o.State == store.AccountDisabled ||
			!strings.EqualFold(o.Login, a.Account.Login) {
			continue
		}
		s, err := store.GetSyncSettings(ctx, e.Store.DB, o.ID)
		if err != nil || !s.Enabled || s.CalendarID != a.Settings.CalendarID {
			continue
		}
		return (&AccountView{Account: o}).Label(), true
	}
	return "", false
}

// hiddenBy names the list filters that hide activity t: for each active dimension, would
// t show if only that dimension were applied?
func hiddenBy(ctx context.Context, st *store.Store, f store.ListFilter, t store.Activity, now time.Time) ([]string, error) {
	loc, err := store.UserLocation(ctx, st.DB)
	if err != nil {
		loc = time.UTC
	}
	open := store.ListFilter{Owner: store.OwnerAll, Status: store.StatusAll, Period: store.PeriodAll}
	var dims []string
	for _, d := range f.Active() {
		g := open
		switch d {
		case store.DimOwner:
			g.Owner = f.Owner
		case store.DimType:
			g.Types = f.Types
		case store.DimStatus:
			g.Status = f.Status
		case store.DimPeriod:
			g.Period = f.Period
		case store.DimSearch:
			g.Search = f.Search
		}
		found, err := listed(ctx, st, g, t, loc, now)
		if err != nil {
			return nil, err
		}
		if !found {
			dims = append(dims, d)
		}
	}
	return dims, nil
}

// listed reports whether activity t is among the rows filter g shows.
func listed(ctx context.Context, st *store.Store, g store.ListFilter, t store.Activity, loc *time.Location, now time.Time) (bool, error) {
	const page = 500
	for off := 0; ; off += page {
		p, err := store.ListActivities(ctx, st.DB, g, loc, now, off, page)
		if err != nil {
			return false, err
		}
		for _, r := range p.Rows {
			if r.ID == t.ID {
				return true, nil
			}
		}
		if len(p.Rows) < page {
			return false, nil
		}
	}
}

func describeFilterWith(d string, f store.ListFilter, ownerNames func(string) string) string {
	switch d {
	case store.DimOwner:
		if f.Owner != store.OwnerMe && f.Owner != store.OwnerAll && ownerNames != nil {
			if n := ownerNames(f.Owner); n != "" {
				return "owner: " + n
			}
		}
		return "owner: " + f.Owner
	case store.DimType:
		return "types: " + typesText(f.Types)
	case store.DimStatus:
		return "status: " + f.Status
	case store.DimPeriod:
		return "period: " + f.Period
	case store.DimSearch:
		return fmt.Sprintf("search: %q", f.Search)
	}
	return d
}

func checkListFilters(ctx context.Context, e *Env, _ *AccountView) Finding {
	ownerNames := func(id string) string {
		if u, err := store.GetUser(ctx, e.Store.DB, id); err == nil {
			return u.Name
		}
		return ""
	}
	describeFilter := func(d string, f store.ListFilter) string { return describeFilterWith(d, f, ownerNames) }
	f, err := store.LoadListView(ctx, e.Store.DB)
	if err != nil {
		return unverified("could not read the saved list filters", err)
	}
	now := e.now()
	var active []string
	for _, d := range f.Active() {
		active = append(active, describeFilter(d, f))
	}
	ev := Evidence{Observed: "filters: " + strings.Join(active, "; "), Expected: "owner all, every type", Source: "saved activity-list view"}
	if len(active) == 0 {
		ev.Observed = "no filter"
	}
	resetFix := func(n int) *Fix {
		return listViewFix(f, n)
	}
	if t := e.Target; t != nil {
		if t.Activity.DeletedAt != nil {
			return skip("the activity is deleted, so no list shows it")
		}
		dims, err := hiddenBy(ctx, e.Store, f, t.Activity, now)
		if err != nil {
			return unverified("could not evaluate the list filters", err)
		}
		if len(dims) == 0 {
			return pass(fmt.Sprintf("the list filters let %q through", t.Subject), ev)
		}
		var names []string
		for _, d := range dims {
			names = append(names, describeFilter(d, f))
		}
		out := fail(fmt.Sprintf("the activity list hides %q: filter %s", t.Subject, strings.Join(names, " and ")), ev)
		out.Remediation = "In the Activities tab set Owner to All and select every type (the list's \"show hidden\" action), or let calsync reset them."
		if containsAny(dims, store.DimOwner, store.DimType) {
			out.Fixes = []*Fix{resetFix(1)}
		} else {
			out.Remediation = "Clear the " + strings.Join(dims, " and ") + " filter in the Activities tab."
		}
		return out
	}
	loc, err := store.UserLocation(ctx, e.Store.DB)
	if err != nil {
		loc = time.UTC
	}
	page, err := store.CountActivities(ctx, e.Store.DB, f, loc, now)
	if err != nil {
		return unverified("could not count what the list filters hide", err)
	}
	ev.Observed += fmt.Sprintf(" (showing %d of %d; hidden %d)", page.Shown, page.Total, page.Hidden)
	// Owner and type filters that hide your own activities are what the help article
	// means by "check for filters"; status/period/search are everyday narrowing.
	// Your own activities that the owner and type filters hide: those that show with
	// "owner me, every type" minus those that show with the current owner and types.
	meHidden := 0
	mineAll := f
	mineAll.Owner, mineAll.Types = store.OwnerMe, nil
	a, err := store.CountActivities(ctx, e.Store.DB, mineAll, loc, now)
	if err != nil {
		return unverified("could not count what the list filters hide", err)
	}
	meHidden = a.Shown
	if f.Owner == store.OwnerMe || f.Owner == store.OwnerAll {
		mineNow := f
		mineNow.Owner = store.OwnerMe
		b, err := store.CountActivities(ctx, e.Store.DB, mineNow, loc, now)
		if err != nil {
			return unverified("could not count what the list filters hide", err)
		}
		meHidden -= b.Shown
	}
	if meHidden > 0 {
		out := fail(fmt.Sprintf("the activity list's owner/type filters hide %d of your own activities", meHidden), ev)
		out.Remediation = "Set Owner to All (or Me) and select every type in the Activities tab."
		out.Fixes = []*Fix{resetFix(meHidden)}
		return out
	}
	if page.Hidden > 0 {
		// Other people's and finished activities out of sight is what the list is for.
		ev.Expected = "none of your own activities hidden by the owner or type filter"
		return pass(fmt.Sprintf("the owner and type filters hide none of your activities (the list hides %d others: %s)", page.Hidden, hiddenText(page)), ev)
	}
	return pass("the list filters hide nothing", ev)
}

func hiddenText(p store.ListPage) string {
	var parts []string
	for _, h := range p.HiddenList() {
		parts = append(parts, fmt.Sprintf("%d by %s", h.Count, h.Dim))
	}
	if len(parts) == 0 {
		return "by several filters at once"
	}
	return strings.Join(parts, ", ")
}

func containsAny(list []string, xs ...string) bool {
	for _, a := range list {
		for _, x := range xs {
			if a == x {
				return true
			}
		}
	}
	return false
}

// listViewFix resets the owner and type filters, keeping status, period and search.
func listViewFix(prev store.ListFilter, reappear int) *Fix {
	fx := &Fix{ID: "reset-list-filters", Title: "reset the activity list's owner and type filters (owner all, every type)",
		Impact: Impact{{"activities reappearing", reappear}}, Undoable: true}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		cur, err := store.LoadListView(ctx, e.Store.DB)
		if err != nil {
			return Applied{}, err
		}
		next := cur.Reset(store.DimOwner).Reset(store.DimType)
		jid, err := recordFix(ctx, e, fx, "", "", "list-view", cur, func(h store.Handler) error {
			return store.SaveListView(ctx, h, next, e.now())
		})
		if err != nil {
			return Applied{}, err
		}
		return Applied{JournalID: jid, Message: "the activity list now shows every owner and type"}, nil
	}
	return fx
}

// eligibleStats scans the account's candidates for the not-showing checks: my live,
// unlinked activities in the window, split by the rule that keeps them out.
type eligibleStats struct {
	beforeActivation []store.Activity
	wrongType        map[store.ActivityType]int
}

func scanCandidates(ctx context.Context, e *Env, a *AccountView) (eligibleStats, error) {
	st := eligibleStats{wrongType: map[store.ActivityType]int{}}
	me, err := store.Me(ctx, e.Store.DB)
	if err != nil {
		return st, err
	}
	from, to := window(a.Settings, e.now())
	// First-push candidates as the engine sees them: my live CRM activities in the window
	// without a link in this calendar. One read-only query, in bulk.
	rows, err := e.Store.DB.QueryContext(ctx, `SELECT a.id, a.type, a.subject, a.start_at, a.updated_at, a.created_at
		FROM activities a WHERE a.deleted_at IS NULL AND a.owner_id = ? AND a.origin IN ('local', '')
		AND a.start_at BETWEEN ? AND ?
		AND NOT EXISTS (SELECT 1 FROM links l WHERE l.activity_id = a.id AND l.account_id = ? AND l.calendar_id = ?)`,
		me.ID, from.Unix(), to.Unix(), a.Account.ID, a.Settings.CalendarID)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var act store.Activity
		var start, updated, created int64
		if err := rows.Scan(&act.ID, &act.Type, &act.Subject, &start, &updated, &created); err != nil {
			return st, err
		}
		act.OwnerID, act.Origin = me.ID, "local"
		act.Start, act.UpdatedAt, act.CreatedAt = time.Unix(start, 0).UTC(), time.Unix(updated, 0).UTC(), time.Unix(created, 0).UTC()
		if !hasType(a.Settings.Types, act.Type) {
			st.wrongType[act.Type]++
			continue
		}
		if beforeActivation(a.Settings, act) {
			st.beforeActivation = append(st.beforeActivation, act)
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	sort.Slice(st.beforeActivation, func(i, j int) bool { return st.beforeActivation[i].Start.Before(st.beforeActivation[j].Start) })
	return st, nil
}

// importOnly is the skip for push-side checks on accounts that never send activities.
func importOnly(a *AccountView) (Finding, bool) {
	if a.Settings.Direction == store.DirFromCalendar {
		return skip(a.Label() + " only imports from its calendar (direction from-calendar): CRM activities are not sent there"), true
	}
	return Finding{}, false
}

func checkBeforeActivation(ctx context.Context, e *Env, a *AccountView) Finding {
	if f, ok := importOnly(a); ok {
		return f
	}
	s := a.Settings
	src := "sync settings of " + a.Label()
	if s.ActivatedAt == nil {
		return skip("sync was never switched on for this account")
	}
	act := stamp(*s.ActivatedAt)
	backfill := func(from time.Time, n int) *Fix {
		from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
		return settingsFix("backfill", "backfill from "+day(from),
			"Includes activities starting on or after "+day(from)+" even though nobody changed them since sync was switched on.",
			Impact{{"push", n}}, a.Account.ID, func(ss *store.SyncSettings) { ss.BackfillFrom = &from })
	}
	if t := e.Target; t != nil {
		ta := t.Activity
		links, _ := store.LinksForActivity(ctx, e.Store.DB, ta.ID)
		for _, l := range links {
			if l.AccountID == a.Account.ID {
				return pass("the activity is already linked to this calendar", Evidence{Observed: "link " + l.State, Source: "links"})
			}
		}
		ev := Evidence{Observed: "last changed " + stamp(ta.UpdatedAt) + ", created " + stamp(ta.CreatedAt), Expected: "changed on or after " + act, Source: src}
		if !beforeActivation(s, ta) {
			return pass(fmt.Sprintf("%q was changed after sync was switched on (or a backfill covers it)", t.Subject), ev)
		}
		f := fail(fmt.Sprintf("%q was created before sync was switched on (%s) and not changed since, so it is not synced", t.Subject, act), ev)
		f.Remediation = "Backfill from its date (or edit the activity) to include it."
		f.Fixes = []*Fix{backfill(ta.Start, 1)}
		return f
	}
	st, err := scanCandidates(ctx, e, a)
	if err != nil {
		return unverified("could not read activities", err)
	}
	n := len(st.beforeActivation)
	ev := Evidence{Observed: fmt.Sprintf("%d of your activities in the sync window are unchanged since %s", n, act), Expected: "0, or a backfill date", Source: src}
	if n == 0 {
		return pass("no activity in the sync window is held back by the activation date", ev)
	}
	f := warn(fmt.Sprintf("%d activities created before sync was switched on (%s) are not synced; this is by design, backfill to include them", n, act), ev)
	f.Fixes = []*Fix{backfill(st.beforeActivation[0].Start, n)}
	return f
}

func checkTypes(ctx context.Context, e *Env, a *AccountView) Finding {
	if f, ok := importOnly(a); ok {
		return f
	}
	s := a.Settings
	ev := Evidence{Observed: "synced types: " + typesText(s.Types), Source: "sync settings of " + a.Label()}
	addType := func(t store.ActivityType, n int) *Fix {
		return settingsFix("add-type", fmt.Sprintf("also sync %ss", t), "", Impact{{"push", n}}, a.Account.ID,
			func(ss *store.SyncSettings) {
				if !hasType(ss.Types, t) {
					ss.Types = append(ss.Types, t)
				}
			})
	}
	if t := e.Target; t != nil {
		ev.Expected = "includes " + string(t.Activity.Type)
		if hasType(s.Types, t.Activity.Type) {
			return pass(fmt.Sprintf("%ss are synced", t.Activity.Type), ev)
		}
		f := fail(fmt.Sprintf("%q is a %s, and %ss are not synced (synced: %s)", t.Subject, t.Activity.Type, t.Activity.Type, typesText(s.Types)), ev)
		f.Remediation = "Add the type in the sync settings."
		f.Fixes = []*Fix{addType(t.Activity.Type, 1)}
		return f
	}
	if len(s.Types) == 0 {
		f := fail("no activity type is selected for sync, so nothing goes to the calendar", ev)
		f.Fixes = []*Fix{settingsFix("all-types", "sync every activity type", "", nil, a.Account.ID, func(ss *store.SyncSettings) {
			ss.Types = append([]store.ActivityType(nil), store.AllTypes...)
		})}
		return f
	}
	st, err := scanCandidates(ctx, e, a)
	if err != nil {
		return unverified("could not read activities", err)
	}
	if len(st.wrongType) == 0 {
		return pass("every activity type you use in the sync window is synced", ev)
	}
	var parts []string
	var top store.ActivityType
	for _, t := range store.AllTypes {
		if n := st.wrongType[t]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, t))
			if top == "" || st.wrongType[t] > st.wrongType[top] {
				top = t
			}
		}
	}
	ev.Observed += "; not synced: " + strings.Join(parts, ", ")
	f := warn("some of your activities are of types that are not synced: "+strings.Join(parts, ", "), ev)
	f.Fixes = []*Fix{addType(top, st.wrongType[top])}
	return f
}

func checkCalendar(ctx context.Context, e *Env, a *AccountView) Finding {
	s := a.Settings
	src := "sync settings of " + a.Label()
	if s.CalendarID == "" {
		f := fail("no calendar is chosen for "+a.Label(), Evidence{Observed: "none", Expected: "a calendar", Source: src})
		f.Remediation = "Pick one: `calsync calendars --account " + a.Account.ID + "`, then `calsync settings set --account " + a.Account.ID + " --calendar ID`."
		return f
	}
	calSrc := "calendars of " + a.Label() + " as last listed"
	if live, err := liveCalendars(ctx, e, a); err == nil {
		a.Calendars, calSrc = live, "calendars of "+a.Label()+" listed just now"
	}
	cal, ok := a.Calendar()
	if !ok {
		listed := make([]string, 0, len(a.Calendars))
		for _, c := range a.Calendars {
			listed = append(listed, c.Name)
		}
		f := fail("the chosen calendar no longer exists in "+a.Label()+" (deleted, or unshared)",
			Evidence{Observed: fmt.Sprintf("calendar %q not among the %d listed (%s)", s.CalendarID, len(a.Calendars), strings.Join(listed, ", ")), Expected: "the chosen calendar is listed", Source: calSrc})
		f.Remediation = "Choose another calendar in the sync settings (`calsync calendars --account " + a.Account.ID + "`)."
		return f
	}
	ev := Evidence{Observed: fmt.Sprintf("%q (%s), read-only=%v", cal.Name, cal.RemoteID, cal.ReadOnly), Source: calSrc}
	if !cal.HasEvents {
		f := fail(fmt.Sprintf("the chosen calendar %q holds no events (a task list?)", cal.Name), ev)
		f.Remediation = "Choose a calendar that holds events."
		return f
	}
	if cal.ReadOnly && s.Direction != store.DirFromCalendar {
		ev.Expected = "writable (direction " + s.Direction + " writes to it)"
		f := fail(fmt.Sprintf("the chosen calendar %q is read-only for %s: activities cannot be written to it", cal.Name, a.Account.Login), ev)
		f.Actor = ActorUser
		f.Remediation = "Choose a calendar you own (or ask its owner for edit rights), or set direction from-calendar if you only want to import."
		var writable []string
		var best *store.Calendar
		for i, c := range a.Calendars {
			if !c.ReadOnly && c.HasEvents {
				writable = append(writable, c.Name)
				if best == nil || c.Primary {
					best = &a.Calendars[i]
				}
			}
		}
		if best != nil {
			f.Remediation += " Writable calendars: " + strings.Join(writable, ", ") + "."
			to := best.RemoteID
			f.Fixes = []*Fix{settingsFix("use-writable-calendar", fmt.Sprintf("sync with %q (writable) instead of %q", best.Name, cal.Name),
				"Activities go to the writable calendar from now on; the read-only one is left as it is.",
				Impact{{"change calendar", 1}}, a.Account.ID, func(ss *store.SyncSettings) { ss.CalendarID = to })}
		}
		return f
	}
	out := pass(fmt.Sprintf("activities go to %q, which exists and accepts them", cal.Name), ev)
	// The question only matters when the account has another calendar the person could
	// be looking at instead.
	if eventCalendars(a.Calendars) > 1 {
		out.Ask = fmt.Sprintf("Is %q in %s the calendar you are looking at? Other calendars of the same account do not get CRM activities.", safeName(cal.Name), a.Account.Login)
	}
	return out
}

// eventCalendars counts the calendars that hold events (not task lists).
func eventCalendars(cals []store.Calendar) int {
	n := 0
	for _, c := range cals {
		if c.HasEvents {
			n++
		}
	}
	return n
}

// safeName keeps a calendar name on one line inside a sentence; the UI and CLI still pass
// every text through safetext before drawing it.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// directionSkips sorts the engine's "skipped: direction" decisions of the last 30 days:
// edits of linked items (an edit the person made that the other side never got) versus
// new items the direction leaves out by design. Distinct items, not journal lines.
func directionSkips(ctx context.Context, e *Env, accountID string) (edits, fresh int) {
	es, _ := store.QueryJournal(ctx, e.Store.DB, store.JournalQuery{AccountID: accountID, Op: store.OpSkipped, Reason: "direction", Since: e.now().AddDate(0, 0, -30), Limit: 10000})
	seenEdit, seenNew := map[string]bool{}, map[string]bool{}
	for _, j := range es {
		linked := j.ActivityID != "" && j.RemoteID != "" && !strings.HasPrefix(j.RemoteID, "pending:")
		key := j.ActivityID + "|" + j.RemoteID
		if linked {
			seenEdit[key] = true
		} else {
			seenNew[key] = true
		}
	}
	return len(seenEdit), len(seenNew)
}

func checkDirection(ctx context.Context, e *Env, a *AccountView) Finding {
	s := a.Settings
	ev := Evidence{Observed: "direction " + s.Direction, Source: "sync settings of " + a.Label()}
	twoWay := func(reason string) *Fix {
		return settingsFix("two-way", "sync both ways", reason, Impact{{"change direction", 1}}, a.Account.ID,
			func(ss *store.SyncSettings) { ss.Direction = store.DirTwoWay })
	}
	if t := e.Target; t != nil {
		imported := t.Activity.Origin != "" && t.Activity.Origin != "local"
		switch {
		case !imported && s.Direction == store.DirFromCalendar:
			ev.Expected = store.DirTwoWay + " or " + store.DirToCalendar
			f := fail("sync only goes from the calendar to the CRM, so this CRM activity is never sent", ev)
			f.Fixes = []*Fix{twoWay("CRM activities will be sent to the calendar too.")}
			return f
		case imported && s.Direction == store.DirToCalendar:
			ev.Expected = store.DirTwoWay + " or " + store.DirFromCalendar
			f := fail("sync only goes from the CRM to the calendar, so edits made in the calendar never come back", ev)
			f.Fixes = []*Fix{twoWay("Calendar edits will come back to the CRM.")}
			return f
		}
		return pass("the direction ("+s.Direction+") includes this activity's way", ev)
	}
	edits, fresh := directionSkips(ctx, e, a.Account.ID)
	ev.Source += " and the journal (skipped: direction, last 30 days)"
	switch s.Direction {
	case store.DirTwoWay:
		return pass("sync goes both ways", ev)
	case store.DirToCalendar:
		ev.Observed += fmt.Sprintf("; %d edits made in the calendar ignored, %d calendar-only events not imported", edits, fresh)
		if edits > 0 {
			ev.Expected = store.DirTwoWay
			f := fail(fmt.Sprintf("sync only goes to the calendar, and %d changes made in the calendar were ignored because of it", edits), ev)
			f.Remediation = "If you edit in the calendar, sync both ways. Otherwise edit in the CRM: calendar edits are overwritten by the next CRM change."
			f.Fixes = []*Fix{twoWay("Calendar edits (also the ones ignored so far) come back to the CRM.")}
			return f
		}
		f := warn("sync only goes to the calendar: events created or edited in the calendar are not brought into the CRM", ev)
		f.Fixes = []*Fix{twoWay("Calendar events come into the CRM too.")}
		return f
	default:
		ev.Observed += fmt.Sprintf("; %d CRM edits of imported events not sent, %d CRM activities not sent", edits, fresh)
		if edits > 0 {
			ev.Expected = store.DirTwoWay
			f := fail(fmt.Sprintf("sync only comes from the calendar, and %d changes made in the CRM to calendar events were not sent because of it", edits), ev)
			f.Remediation = "If you edit in the CRM, sync both ways; otherwise edit those events in the calendar."
			f.Fixes = []*Fix{twoWay("CRM changes are sent to the calendar too.")}
			return f
		}
		// An import-only calendar (a colleague's, a personal one) is a normal choice.
		f := warn("sync only comes from the calendar: CRM activities are not sent to it", ev)
		f.Fixes = []*Fix{twoWay("CRM activities will be sent to the calendar too.")}
		return f
	}
}

func checkLastError(ctx context.Context, e *Env, a *AccountView) Finding {
	if t := e.Target; t != nil {
		// The whole run stopped (sign-in, calendar gone, network): whatever the activity's
		// own journal says is older than that.
		if f, stopped := lastRunStopped(ctx, e, a); stopped {
			return f
		}
		es, err := store.QueryJournal(ctx, e.Store.DB, store.JournalQuery{AccountID: a.Account.ID, ActivityID: t.ID, Limit: 20})
		if err != nil {
			return unverified("could not read the journal", err)
		}
		for _, j := range es {
			switch j.Op {
			case store.OpPushed, store.OpPulled, store.OpFixed, store.OpUndone, store.OpInfo:
				return pass(fmt.Sprintf("its last sync (%s, %s) succeeded", j.Op, stamp(j.At)), journalEvidence(j))
			case store.OpError:
				f := fail(fmt.Sprintf("the last sync of %q failed: %s", t.Subject, strings.TrimSpace(j.Reason+" "+j.Detail)), journalEvidence(j))
				f.Remediation = remediationForReason(j.Reason)
				if occurrenceError(ctx, e, t.ID, j) {
					f.Remediation = fmt.Sprintf("It is one occurrence of a recurring series and the calendar did not take the change (%s). "+
						"Put it back to the calendar's version with `calsync activity revert %s`, and change the occurrence in the calendar.", j.Reason, t.ID)
				}
				return f
			}
		}
		if len(es) == 0 {
			return pass("the journal has no sync attempt for it (no error either)", Evidence{Observed: "no entries", Source: "journal"})
		}
		return pass("no failed attempt in its recent journal entries", journalEvidence(es[0]))
	}
	return checkLastSync(ctx, e, a)
}

func journalEvidence(j store.JournalEntry) Evidence {
	return Evidence{Observed: strings.TrimSpace(fmt.Sprintf("%s %s %s", j.Op, j.Reason, j.Detail)), Source: fmt.Sprintf("journal #%d (%s)", j.ID, stamp(j.At))}
}

// remediationForReason turns an engine reason code (error:<Kind>) into what to do.
func remediationForReason(reason string) string {
	kind := strings.TrimPrefix(reason, "error:")
	switch kind {
	case "ReadOnly":
		return "The calendar refuses writes: choose a calendar you can edit."
	case "AuthExpired", "AppPasswordRequired", "InsufficientScope", "AdminBlocked":
		return "The account cannot sign in: run the \"calendars can't be fetched\" and \"permissions\" checks (`calsync doctor --symptom cant-connect`)."
	case "RateLimited", "Unavailable", "Network", "already-syncing":
		return "A temporary problem at the provider or on the network: the next sync retries by itself."
	case "NotFound":
		return "The chosen calendar is gone (deleted or unshared): choose another in the sync settings (`calsync calendars --account ID`, then `calsync settings set --account ID --calendar ID`)."
	case "needs-reauth":
		return "Sign in again: `calsync account reconnect ID`, or r in the Accounts tab."
	case "Invalid":
		return "The provider rejected an event calsync wrote: the Log tab (or `calsync explain ID`) names the activity and the provider's reason. " +
			"Change what it names and sync again, or take the calendar's version back with `calsync activity revert ID`."
	case "Conflict":
		return "The event changed on both sides; the next sync resolves it with the conflict policy."
	}
	return "See the journal (Log tab) for the full detail."
}

// liveCalendars lists the account's calendars now (read-only flags change remotely
// without calsync hearing of it).
func liveCalendars(ctx context.Context, e *Env, a *AccountView) ([]store.Calendar, error) {
	if e.Offline || e.Open == nil {
		return nil, fmt.Errorf("offline")
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	p, err := e.Open(cctx, a.Account, nil)
	if err != nil {
		return nil, err
	}
	cals, err := p.Calendars(cctx)
	if err != nil {
		return nil, err
	}
	out := make([]store.Calendar, 0, len(cals))
	for _, c := range cals {
		out = append(out, store.Calendar{AccountID: a.Account.ID, RemoteID: c.ID, Name: c.Name, TimeZone: c.TimeZone,
			ReadOnly: c.ReadOnly, Primary: c.Primary, HasEvents: c.Events})
	}
	return out, nil
}

// occurrenceError reports whether a failed write concerns an occurrence of a recurring
// series: the activity is linked to one (store occurrences), or the journal's provider
// code says so (entries written before occurrences were recorded: recurring-instance).
func occurrenceError(ctx context.Context, e *Env, activityID string, j store.JournalEntry) bool {
	if occ, err := store.OccurrencesOfActivity(ctx, e.Store.DB, activityID); err == nil && len(occ) > 0 {
		return true
	}
	var d struct {
		Code string `json:"code"`
	}
	return json.Unmarshal([]byte(j.Detail), &d) == nil && strings.HasPrefix(d.Code, "recurring-")
}
