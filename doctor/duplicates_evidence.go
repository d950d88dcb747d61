package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// Duplicates are found by evidence of one origin, never by resemblance. A person's
// calendar is full of look-alikes: two team lunches at noon on the same day, the nine
// occurrences of a weekly meeting (one iCalendar UID), the same invitation in a work and a
// personal calendar. Merging any of those destroys real appointments, so a copy is only
// reported when the store shows where it came from:
//
//   - one calendar event linked to several activities (the same calendar reached through
//     two accounts: each account imported the event once);
//   - copies identical in every synced field (subject, start, end, type, owner, location,
//     done) that one sync run imported together (the calendar listed one event twice),
//     unless they are occurrences of one series (one UID, different ids);
//   - an import identical in every synced field to the one activity of the CRM that has
//     no link to that calendar any more and was entered before the import (calsync lost
//     its links and read its own event back as new); never a series occurrence, which
//     calsync does not write.
//
// Calendar events carrying one activity's ownership tag twice are found by the engine
// (journal: skipped duplicate-tag) and reported by the check without a merge. Activities
// identical in every field without such evidence are only mentioned (a note).

// Evidence kinds (DupGroup.By), strongest first.
const (
	ByRemoteID = "remote-id"       // one calendar event linked to several activities
	BySameRun  = "same-run-import" // identical copies imported by one sync run
	ByLostLink = "lost-link"       // an identical import next to the unlinked original
)

// DupGroup is one set of activities that are copies of each other, with the evidence.
type DupGroup struct {
	By       string   `json:"by"`  // strongest evidence: remote-id | same-run-import | lost-link
	Key      string   `json:"key"` // the subject, for people
	Keeper   string   `json:"keeper"`
	Extras   []string `json:"extras"`
	Cause    string   `json:"cause"`
	Accounts []string `json:"accounts,omitempty"`
	// Why says what shows the copies share one origin, in a sentence.
	Why string `json:"why"`
}

// LookAlike is a set of activities identical in every synced field with no evidence of
// one origin: left alone, mentioned in a note.
type LookAlike struct {
	Subject string    `json:"subject"`
	Start   time.Time `json:"start"`
	IDs     []string  `json:"ids"`
}

// dupScan is what the duplicates check found.
type dupScan struct {
	Groups     []DupGroup
	LookAlikes []LookAlike
	acts       map[string]*dupActivity
	accounts   map[string]store.Account
	byUID      map[string][]string // iCalendar UID -> activities linked to an event with it
}

type dupActivity struct {
	store.Activity
	links []store.Link
	// importRun is the sync run that imported the activity ("" when the journal has none).
	importRun string
}

func (a *dupActivity) local() bool { return a.Origin == "" || a.Origin == "local" }

// FindDuplicates groups live activities that are copies of one origin. It reads the
// activities and links in bulk, not one query per activity.
func FindDuplicates(ctx context.Context, st *store.Store) ([]DupGroup, error) {
	s, err := scanDuplicates(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	return s.Groups, nil
}

// scanDuplicates reads through h (the database or the merge's transaction, so the merge
// can compare what it is about to change with what was diagnosed).
func scanDuplicates(ctx context.Context, h store.Handler) (*dupScan, error) {
	s := &dupScan{acts: map[string]*dupActivity{}, accounts: map[string]store.Account{}, byUID: map[string][]string{}}
	rows, err := h.QueryContext(ctx, `SELECT id, owner_id, type, subject, location, start_at, duration_min, all_day, done,
		origin, created_at FROM activities WHERE deleted_at IS NULL`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a dupActivity
		var start, created, mins int64
		if err := rows.Scan(&a.ID, &a.OwnerID, &a.Type, &a.Subject, &a.Location, &start, &mins, &a.AllDay, &a.Done,
			&a.Origin, &created); err != nil {
			rows.Close()
			return nil, err
		}
		a.Start, a.CreatedAt, a.Duration = time.Unix(start, 0).UTC(), time.Unix(created, 0).UTC(), time.Duration(mins)*time.Minute
		s.acts[a.ID] = &a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	accts, err := store.ListAccounts(ctx, h)
	if err != nil {
		return nil, err
	}
	for _, ac := range accts {
		s.accounts[ac.ID] = ac
		ls, err := store.ListLinks(ctx, h, ac.ID)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if a := s.acts[l.ActivityID]; a != nil {
				a.links = append(a.links, l)
				if l.ICalUID != "" {
					s.byUID[l.ICalUID] = append(s.byUID[l.ICalUID], a.ID)
				}
			}
		}
	}
	// Activities identical in every synced field, the only ones the content rules look at.
	buckets := map[string][]string{}
	for _, id := range sortedKeys(s.acts) {
		k := contentKey(s.acts[id])
		buckets[k] = append(buckets[k], id)
	}
	var imported []string
	for _, ids := range buckets {
		if len(ids) < 2 {
			continue
		}
		for _, id := range ids {
			if !s.acts[id].local() {
				imported = append(imported, id)
			}
		}
	}
	sort.Strings(imported)
	runs, err := store.JournalRunsOf(ctx, h, store.OpPulled, sync.ReasonImported, imported)
	if err != nil {
		return nil, err
	}
	for id, run := range runs {
		s.acts[id].importRun = run
	}
	s.group(buckets)
	return s, nil
}

// contentKey is equal for activities identical in every field sync writes or reads:
// owner, type, subject, start, end (duration, all-day), location and done.
func contentKey(a *dupActivity) string {
	return strings.Join([]string{a.OwnerID, string(a.Type), strings.TrimSpace(a.Subject), fmt.Sprint(a.Start.Unix()),
		fmt.Sprint(int64(a.Duration / time.Minute)), fmt.Sprint(a.AllDay), strings.TrimSpace(a.Location), fmt.Sprint(a.Done)}, "\x00")
}

// calendarKey names one remote calendar whichever account reaches it: the provider, its
// server and the calendar's id. An alias that means "this login's own calendar"
// ("primary", or no id) is only the same calendar for the same login.
func (s *dupScan) calendarKey(accountID, calendarID string) string {
	ac, ok := s.accounts[accountID]
	if !ok {
		return "account:" + accountID + "\x00" + calendarID
	}
	server := strings.TrimRight(strings.ToLower(strings.TrimSpace(ac.ServerURL)), "/")
	k := ac.Kind + "\x00" + server + "\x00" + calendarID
	if calendarID == "" || strings.EqualFold(calendarID, "primary") {
		k += "\x00" + strings.ToLower(strings.TrimSpace(ac.Login))
	}
	return k
}

// liveLink reports whether a link stands for an event in the calendar (quarantined links
// and creates that never got an id do not).
func liveLink(l store.Link) bool {
	return l.State != store.LinkQuarantined && !strings.HasPrefix(l.RemoteID, "pending:")
}

// group joins activities by the evidence rules (union-find, so a copy shown by two rules
// makes one group) and collects the look-alikes no rule covers.
func (s *dupScan) group(buckets map[string][]string) {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		parent[x] = find(p)
		return parent[x]
	}
	kinds := map[string]map[string]bool{}    // root -> evidence kinds
	why := map[string][]string{}             // root -> evidence sentences
	accounts := map[string]map[string]bool{} // root -> accounts the evidence names
	locals := map[string]int{}               // root -> activities of the CRM in the group
	for id, a := range s.acts {
		if a.local() {
			locals[id] = 1
		}
	}
	union := func(kind, a, b, sentence string, accts ...string) bool {
		ra, rb := find(a), find(b)
		if ra == rb {
			return false
		}
		parent[rb] = ra
		locals[ra] += locals[rb]
		for _, m := range []map[string]map[string]bool{kinds, accounts} {
			if m[ra] == nil {
				m[ra] = map[string]bool{}
			}
			for k := range m[rb] {
				m[ra][k] = true
			}
		}
		kinds[ra][kind] = true
		for _, ac := range accts {
			accounts[ra][ac] = true
		}
		why[ra] = append(why[ra], why[rb]...)
		if sentence != "" {
			why[ra] = append(why[ra], sentence)
		}
		return true
	}

	// 1. One calendar event linked to several activities.
	type linked struct{ act, account string }
	byEvent := map[string][]linked{}
	eventName := map[string][2]string{}
	for _, id := range sortedKeys(s.acts) {
		for _, l := range s.acts[id].links {
			if !liveLink(l) {
				continue
			}
			k := s.calendarKey(l.AccountID, l.CalendarID) + "\x00" + l.RemoteID
			byEvent[k] = append(byEvent[k], linked{id, l.AccountID})
			eventName[k] = [2]string{l.CalendarID, l.RemoteID}
		}
	}
	for _, k := range sortedKeys(byEvent) {
		ls := byEvent[k]
		for _, x := range ls[1:] {
			if x.act == ls[0].act {
				continue
			}
			names := []string{s.accountName(ls[0].account), s.accountName(x.account)}
			union(ByRemoteID, ls[0].act, x.act, fmt.Sprintf("calendar event %s in calendar %s is linked to both, through %s",
				shortRemote(eventName[k][1]), eventName[k][0], strings.Join(uniq(names), " and ")), ls[0].account, x.account)
		}
	}

	// 2. Identical copies one sync run imported.
	for _, bk := range sortedKeys(buckets) {
		ids := buckets[bk]
		if len(ids) < 2 {
			continue
		}
		byRun := map[string][]string{}
		for _, id := range ids {
			if a := s.acts[id]; !a.local() && a.importRun != "" {
				byRun[a.Origin+"\x00"+a.importRun] = append(byRun[a.Origin+"\x00"+a.importRun], id)
			}
		}
		for _, rk := range sortedKeys(byRun) {
			same := byRun[rk]
			a := s.acts[same[0]]
			for i, x := range same {
				for _, y := range same[i+1:] {
					if s.occurrences(x, y) {
						continue
					}
					union(BySameRun, x, y, fmt.Sprintf("identical in every field and imported by the same sync run (%s) of %s",
						short(a.importRun), s.accountName(a.Origin)), a.Origin)
				}
			}
		}
	}

	// 3. An import identical to an activity of the CRM that lost its link to that
	// calendar: calsync read its own (untagged) event back as new. Only when exactly one
	// such activity exists: with two identical candidates nothing says which one the event
	// was made for.
	for _, bk := range sortedKeys(buckets) {
		ids := buckets[bk]
		if len(ids) < 2 {
			continue
		}
		for _, id := range ids {
			imp := s.acts[id]
			if imp.local() {
				continue
			}
			var from store.Link
			for _, l := range imp.links {
				if l.AccountID == imp.Origin && liveLink(l) {
					from = l
					break
				}
			}
			if from.ID == 0 || s.inSeries(from) {
				// No calendar to compare with; or an occurrence of a recurring event,
				// which calsync never writes (an activity is one appointment), so it
				// cannot be calsync's own event read back.
				continue
			}
			var cands []string
			for _, cid := range ids {
				c := s.acts[cid]
				if !c.local() || c.CreatedAt.After(imp.CreatedAt) || hasEventIn(c, from.AccountID, from.CalendarID) {
					continue
				}
				cands = append(cands, cid)
			}
			if len(cands) != 1 {
				continue
			}
			// Two activities of the CRM are joined only by an event they share, never
			// through imports that each look like one of them.
			if locals[find(cands[0])] > 0 && locals[find(id)] > 0 {
				continue
			}
			union(ByLostLink, cands[0], id, fmt.Sprintf("imported by %s on %s, identical in every field to an activity entered before it that has no link to that calendar",
				s.accountName(imp.Origin), imp.CreatedAt.Format("2006-01-02")), imp.Origin)
		}
	}

	members := map[string][]string{}
	for _, id := range sortedKeys(s.acts) {
		members[find(id)] = append(members[find(id)], id)
	}
	for _, root := range sortedKeys(members) {
		ms := members[root]
		if len(ms) < 2 {
			continue
		}
		g := DupGroup{Keeper: s.pickKeeper(ms), Accounts: sortedKeys(accounts[root])}
		g.Key = s.acts[g.Keeper].Subject
		for _, m := range ms {
			if m != g.Keeper {
				g.Extras = append(g.Extras, m)
			}
		}
		switch k := kinds[root]; {
		case k[ByRemoteID]:
			g.By, g.Cause = ByRemoteID, CauseTwoAccounts
		case k[BySameRun]:
			g.By, g.Cause = BySameRun, CauseImportedTwice
		default:
			g.By, g.Cause = ByLostLink, CauseLinksLost
		}
		g.Why = strings.Join(uniq(why[root]), "; ")
		s.Groups = append(s.Groups, g)
	}
	sort.Slice(s.Groups, func(i, j int) bool { return s.Groups[i].Keeper < s.Groups[j].Keeper })

	// Look-alikes: identical copies no rule joined. Only suspicious ones are mentioned:
	// some entered in the CRM, or several imported from one calendar. The same meeting
	// imported from two different calendars is what the person has, not a copy.
	for _, bk := range sortedKeys(buckets) {
		ids := buckets[bk]
		if len(ids) < 2 {
			continue
		}
		roots := map[string]bool{}
		suspicious := false
		fromCal := map[string][]string{} // calendar -> imports from it
		for _, id := range ids {
			roots[find(id)] = true
			a := s.acts[id]
			if a.local() {
				suspicious = true
				continue
			}
			for _, l := range a.links {
				if l.AccountID == a.Origin && liveLink(l) {
					k := s.calendarKey(l.AccountID, l.CalendarID)
					for _, o := range fromCal[k] {
						// Occurrences of one series are what the calendar holds.
						suspicious = suspicious || !s.occurrences(o, id)
					}
					fromCal[k] = append(fromCal[k], id)
				}
			}
		}
		if len(roots) < 2 {
			continue // all one group of copies
		}
		if suspicious {
			a := s.acts[ids[0]]
			s.LookAlikes = append(s.LookAlikes, LookAlike{Subject: a.Subject, Start: a.Start, IDs: ids})
		}
	}
	sort.Slice(s.LookAlikes, func(i, j int) bool {
		x, y := s.LookAlikes[i], s.LookAlikes[j]
		return x.Start.Before(y.Start) || x.Start.Equal(y.Start) && x.IDs[0] < y.IDs[0]
	})
}

// occurrences reports whether two imports are different occurrences of one series:
// events of one calendar with the same iCalendar UID under different ids (a moved
// occurrence can land on the time of another, identical in every field).
func (s *dupScan) occurrences(x, y string) bool {
	for _, lx := range s.acts[x].links {
		for _, ly := range s.acts[y].links {
			if liveLink(lx) && liveLink(ly) && lx.ICalUID != "" && lx.ICalUID == ly.ICalUID && lx.RemoteID != ly.RemoteID &&
				s.calendarKey(lx.AccountID, lx.CalendarID) == s.calendarKey(ly.AccountID, ly.CalendarID) {
				return true
			}
		}
	}
	return false
}

// inSeries reports whether the linked event is an occurrence of a recurring event: a
// CalDAV instance id ("<href>#<RECURRENCE-ID>", see providers/caldav), or another event
// of the same calendar with its UID under a different id.
func (s *dupScan) inSeries(l store.Link) bool {
	if strings.Contains(l.RemoteID, "#") {
		return true
	}
	if l.ICalUID == "" {
		return false
	}
	k := s.calendarKey(l.AccountID, l.CalendarID)
	for _, id := range s.byUID[l.ICalUID] {
		for _, o := range s.acts[id].links {
			if liveLink(o) && o.ICalUID == l.ICalUID && o.RemoteID != l.RemoteID && s.calendarKey(o.AccountID, o.CalendarID) == k {
				return true
			}
		}
	}
	return false
}

// hasEventIn reports whether a has a working link to the calendar (its own event there).
func hasEventIn(a *dupActivity, accountID, calendarID string) bool {
	for _, l := range a.links {
		if l.AccountID == accountID && l.CalendarID == calendarID && (l.State == store.LinkSynced || l.State == store.LinkPendingDelete) {
			return true
		}
	}
	return false
}

func (s *dupScan) accountName(id string) string {
	if ac, ok := s.accounts[id]; ok && ac.Name != "" {
		return ac.Name
	}
	return id
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func shortRemote(id string) string {
	if len(id) > 24 {
		return "…" + id[len(id)-23:]
	}
	return id
}

// pickKeeper keeps the CRM's own activity (origin local) if there is one, else the oldest.
func (s *dupScan) pickKeeper(members []string) string {
	best := members[0]
	for _, m := range members[1:] {
		a, b := s.acts[m], s.acts[best]
		al, bl := a.local(), b.local()
		switch {
		case al && !bl:
			best = m
		case al == bl && (a.CreatedAt.Before(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID):
			best = m
		}
	}
	return best
}
