package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// The labelled corpus (testdata/duplicates/*.json): stores as sync and people leave them,
// each labelled with the groups of copies that share one origin (true duplicates) or none
// (look-alikes: series occurrences, two real lunches, one meeting in two calendars, moved
// meetings, all-day vs timed, ...). Each case holds accounts, activities, links and the
// journal entries the engine writes (imports with their run id, duplicate-tag skips).

type corpusCase struct {
	About    string `json:"about"`
	Kind     string `json:"kind"` // duplicate | look-alike | calendar-copy
	Accounts []struct {
		ID      string    `json:"id"`
		Kind    string    `json:"kind"`
		Name    string    `json:"name"`
		Login   string    `json:"login"`
		Server  string    `json:"server"`
		Created time.Time `json:"created"`
	} `json:"accounts"`
	Activities []struct {
		ID       string     `json:"id"`
		Subject  string     `json:"subject"`
		Type     string     `json:"type"`
		Start    time.Time  `json:"start"`
		Minutes  int        `json:"minutes"`
		AllDay   bool       `json:"all_day"`
		Location string     `json:"location"`
		Done     bool       `json:"done"`
		Owner    string     `json:"owner"`  // me | sofia
		Origin   string     `json:"origin"` // local | an account id
		Zone     string     `json:"zone"`
		Created  time.Time  `json:"created"`
		Deleted  *time.Time `json:"deleted"`
		Run      string     `json:"run"` // the sync run that imported it (its journal entry is in Journal)
	} `json:"activities"`
	Links []struct {
		Activity, Account, Calendar, Remote, UID, State string
	} `json:"links"`
	Journal []struct {
		Run, Account, Activity, Remote, Op, Reason string
	} `json:"journal"`
	Expect struct {
		Groups []struct {
			Keeper string   `json:"keeper"`
			Extras []string `json:"extras"`
			Cause  string   `json:"cause"`
		} `json:"groups"`
		Note bool `json:"note"`
	} `json:"expect"`
}

// corpusStore is one case loaded into a fresh store; ids maps the case's names to ids.
type corpusStore struct {
	st   *store.Store
	ids  map[string]string // case name -> activity id
	name map[string]string // activity id -> case name
}

var corpusNow = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

func loadCorpusCase(t *testing.T, c corpusCase) corpusStore {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cs := corpusStore{st: st, ids: map[string]string{}, name: map[string]string{}}
	me, err := store.EnsureMe(ctx, st.DB, "Alex Morgan", corpusNow.AddDate(0, -2, 0))
	if err != nil {
		t.Fatal(err)
	}
	sofia, err := store.CreateUser(ctx, st.DB, store.User{Name: "Sofía Hernández", CreatedAt: corpusNow.AddDate(0, -2, 0)})
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{"": me.ID, "me": me.ID, "sofia": sofia.ID}
	for _, a := range c.Accounts {
		if _, err := store.CreateAccount(ctx, st.DB, store.Account{ID: a.ID, Kind: a.Kind, Name: a.Name, Login: a.Login,
			ServerURL: a.Server, State: store.AccountConnected, CreatedAt: a.Created}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range c.Activities {
		owner, ok := owners[a.Owner]
		if !ok {
			t.Fatalf("activity %s: unknown owner %q", a.ID, a.Owner)
		}
		act, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: owner, Type: store.ActivityType(a.Type), Subject: a.Subject,
			Location: a.Location, Start: a.Start, TimeZone: a.Zone, Duration: time.Duration(a.Minutes) * time.Minute, AllDay: a.AllDay,
			Done: a.Done, Origin: a.Origin}, a.Created)
		if err != nil {
			t.Fatalf("activity %s: %v", a.ID, err)
		}
		if a.Deleted != nil {
			if _, err := store.DeleteActivity(ctx, st.DB, act.ID, *a.Deleted); err != nil {
				t.Fatal(err)
			}
		}
		cs.ids[a.ID], cs.name[act.ID] = act.ID, a.ID
	}
	for _, l := range c.Links {
		id, ok := cs.ids[l.Activity]
		if !ok {
			t.Fatalf("link to unknown activity %q", l.Activity)
		}
		remote := l.Remote
		if strings.HasPrefix(remote, "pending:") {
			remote = store.PendingRemoteID(id)
		}
		if _, err := store.InsertLink(ctx, st.DB, store.Link{ActivityID: id, AccountID: l.Account, CalendarID: l.Calendar, RemoteID: remote,
			ICalUID: l.UID, State: l.State, CreatedAt: corpusNow.AddDate(0, 0, -1)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range c.Journal {
		if _, err := store.AppendJournal(ctx, st.DB, store.JournalEntry{RunID: j.Run, At: corpusNow.AddDate(0, 0, -1), AccountID: j.Account,
			ActivityID: cs.ids[j.Activity], RemoteID: j.Remote, Op: j.Op, Reason: j.Reason}); err != nil {
			t.Fatal(err)
		}
	}
	return cs
}

func readCorpus(t *testing.T) map[string]corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "duplicates", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]corpusCase{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c corpusCase
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = c
	}
	return out
}

// pairs lists "a|b" for every two members of one group (a < b): what a group claims.
func pairs(groups [][]string) map[string]bool {
	out := map[string]bool{}
	for _, g := range groups {
		for i, a := range g {
			for _, b := range g[i+1:] {
				x, y := a, b
				if y < x {
					x, y = y, x
				}
				out[x+"|"+y] = true
			}
		}
	}
	return out
}

// score counts true and false claims against the labels.
type score struct{ tp, fp, fn int }

func (s *score) add(got, want map[string]bool) {
	for k := range got {
		if want[k] {
			s.tp++
		} else {
			s.fp++
		}
	}
	for k := range want {
		if !got[k] {
			s.fn++
		}
	}
}

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

func (s score) String() string {
	return fmt.Sprintf("precision %.0f%% (%d of %d), recall %.0f%% (%d of %d)", 100*s.precision(), s.tp, s.tp+s.fp,
		100*s.recall(), s.tp, s.tp+s.fn)
}

// TestDuplicatesCorpus runs the duplicates check on every labelled case: the groups it
// finds, their keepers and causes, the merge's rows, the look-alike note and the verdict
// must be the labels, and precision and recall over the corpus must both be 100%. The
// rule the check used before (link, iCalendar UID, subject+start+owner) is scored too,
// for comparison, in the test log.
func TestDuplicatesCorpus(t *testing.T) {
	corpus := readCorpus(t)
	kinds := map[string]int{}
	for _, c := range corpus {
		kinds[c.Kind]++
	}
	if len(corpus) < 40 || kinds["duplicate"] < 10 || kinds["look-alike"] < 20 {
		t.Fatalf("the corpus needs at least 40 cases, 10 duplicates and 20 look-alikes: %d cases %v", len(corpus), kinds)
	}
	var pairNew, pairOld, rowNew, rowOld score
	ctx := context.Background()
	for _, name := range sortedKeys(corpus) {
		c := corpus[name]
		cs := loadCorpusCase(t, c)
		var want [][]string
		wantRows := map[string]bool{}
		for _, g := range c.Expect.Groups {
			want = append(want, append([]string{g.Keeper}, g.Extras...))
			for _, x := range g.Extras {
				wantRows[x] = true
			}
		}
		named := func(groups []DupGroup) (gs [][]string, rows map[string]bool) {
			rows = map[string]bool{}
			for _, g := range groups {
				m := []string{cs.name[g.Keeper]}
				for _, x := range g.Extras {
					m = append(m, cs.name[x])
					rows[cs.name[x]] = true
				}
				gs = append(gs, m)
			}
			return gs, rows
		}
		scan, err := scanDuplicates(ctx, cs.st.DB)
		if err != nil {
			t.Fatal(err)
		}
		got, gotRows := named(scan.Groups)
		pairNew.add(pairs(got), pairs(want))
		rowNew.add(gotRows, wantRows)
		old, err := oldRuleGroups(ctx, cs.st)
		if err != nil {
			t.Fatal(err)
		}
		oldGroups, oldRows := named(old)
		pairOld.add(pairs(oldGroups), pairs(want))
		rowOld.add(oldRows, wantRows)

		t.Run(name, func(t *testing.T) {
			var gotText, wantText []string
			for _, g := range scan.Groups {
				gotText = append(gotText, groupText(cs.name[g.Keeper], namesOf(cs, g.Extras), g.Cause))
			}
			for _, g := range c.Expect.Groups {
				wantText = append(wantText, groupText(g.Keeper, g.Extras, g.Cause))
			}
			sort.Strings(gotText)
			sort.Strings(wantText)
			if strings.Join(gotText, "; ") != strings.Join(wantText, "; ") {
				t.Errorf("%s\ngroups: %q\nwant:   %q", c.About, gotText, wantText)
			}
			e := &Env{Store: cs.st, Now: func() time.Time { return corpusNow }, Offline: true}
			f := checkDuplicates(ctx, e, nil)
			wantStatus := Pass
			if len(c.Expect.Groups) > 0 || c.Kind == "calendar-copy" {
				wantStatus = Fail
			}
			if f.Status != wantStatus {
				t.Errorf("status %s (%s), want %s", f.Status, f.Summary, wantStatus)
			}
			if (f.Note != "") != c.Expect.Note {
				t.Errorf("note %q, want a note: %v", f.Note, c.Expect.Note)
			}
			var merge *Fix
			for _, fx := range f.Fixes {
				if fx.ID == "merge" {
					merge = fx
				}
			}
			if len(wantRows) == 0 {
				if merge != nil {
					t.Fatalf("a merge is offered with nothing to merge: %+v", merge.Rows)
				}
				return
			}
			if merge == nil {
				t.Fatalf("no merge fix: %+v", f.Fixes)
			}
			shown := map[string]bool{}
			for _, row := range merge.Rows {
				shown[cs.name[row.ID]] = true
				if !strings.Contains(row.Text, short(row.ID)) || !strings.Contains(row.Text, short(row.Keeper)) {
					t.Errorf("row text %q does not name the copy and its keeper", row.Text)
				}
			}
			if fmt.Sprint(sortedKeys(shown)) != fmt.Sprint(sortedKeys(wantRows)) {
				t.Fatalf("merge rows %v, want %v", sortedKeys(shown), sortedKeys(wantRows))
			}
			// Applying it quarantines exactly those rows, leaves nothing to merge, and
			// undo brings them back.
			before := liveActivities(t, cs)
			applied, err := merge.Apply(ctx, e, "")
			if err != nil {
				t.Fatal(err)
			}
			after := liveActivities(t, cs)
			var gone []string
			for n := range before {
				if !after[n] {
					gone = append(gone, n)
				}
			}
			sort.Strings(gone)
			if fmt.Sprint(gone) != fmt.Sprint(sortedKeys(wantRows)) {
				t.Fatalf("quarantined %v, want %v", gone, sortedKeys(wantRows))
			}
			if g, err := FindDuplicates(ctx, cs.st); err != nil || len(g) != 0 {
				t.Fatalf("after the merge: %v %+v", err, g)
			}
			if _, err := Undo(ctx, e, applied.JournalID); err != nil {
				t.Fatal(err)
			}
			if back := liveActivities(t, cs); len(back) != len(before) {
				t.Fatalf("after undo %d live activities, want %d", len(back), len(before))
			}
		})
	}
	t.Logf("corpus: %d cases (%d duplicates, %d look-alikes, %d calendar copies)", len(corpus), kinds["duplicate"], kinds["look-alike"], kinds["calendar-copy"])
	t.Logf("evidence rule, pairs of copies:    %s", pairNew)
	t.Logf("evidence rule, rows merged:        %s", rowNew)
	t.Logf("old rule (link, UID, subject+start+owner), pairs: %s", pairOld)
	t.Logf("old rule (link, UID, subject+start+owner), rows:  %s", rowOld)
	if pairNew.precision() != 1 || pairNew.recall() != 1 || rowNew.precision() != 1 || rowNew.recall() != 1 {
		t.Errorf("want 100%% precision and recall: pairs %s; rows %s", pairNew, rowNew)
	}
	if pairOld.precision() == 1 {
		t.Error("the old rule scores 100% precision: the corpus no longer holds the look-alikes it merged")
	}
}

func groupText(keeper string, extras []string, cause string) string {
	xs := append([]string(nil), extras...)
	sort.Strings(xs)
	return keeper + " <- " + strings.Join(xs, ",") + " (" + cause + ")"
}

func namesOf(cs corpusStore, ids []string) []string {
	var out []string
	for _, id := range ids {
		out = append(out, cs.name[id])
	}
	return out
}

func liveActivities(t *testing.T, cs corpusStore) map[string]bool {
	t.Helper()
	rows, err := cs.st.DB.Query(`SELECT id FROM activities WHERE deleted_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[cs.name[id]] = true
	}
	return out
}

// A merge acts only on the rows it showed: when the copies change between the diagnosis
// and the merge (one deleted by hand, a new one imported), it refuses and changes nothing.
func TestMergeRefusesWhenTheCopiesChanged(t *testing.T) {
	ctx := context.Background()
	corpus := readCorpus(t)
	for _, change := range []string{"a copy was deleted", "a new copy appeared"} {
		t.Run(change, func(t *testing.T) {
			cs := loadCorpusCase(t, corpus["d02-two-accounts-four-events"])
			e := &Env{Store: cs.st, Now: func() time.Time { return corpusNow }, Offline: true}
			f := checkDuplicates(ctx, e, nil)
			var merge *Fix
			for _, fx := range f.Fixes {
				if fx.ID == "merge" {
					merge = fx
				}
			}
			if merge == nil || len(merge.Rows) != 4 {
				t.Fatalf("want a merge of 4 rows: %+v", f)
			}
			switch change {
			case "a copy was deleted":
				if _, err := store.DeleteActivity(ctx, cs.st.DB, merge.Rows[0].ID, corpusNow); err != nil {
					t.Fatal(err)
				}
			default:
				a, err := store.CreateActivity(ctx, cs.st.DB, store.ActivityInput{Type: store.TypeMeeting, Subject: "Dentist",
					Start: time.Date(2026, 12, 8, 8, 30, 0, 0, time.UTC), Duration: 30 * time.Minute, Origin: "again2"}, corpusNow)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := store.CreateAccount(ctx, cs.st.DB, store.Account{ID: "again2", Kind: "google", Login: "alex.morgan@gmail.com", CreatedAt: corpusNow}); err != nil {
					t.Fatal(err)
				}
				var l store.Link
				for _, x := range mustLinks(t, cs, merge.Rows[0].Keeper) {
					l = x
				}
				l.ActivityID, l.AccountID = a.ID, "again2"
				if _, err := store.InsertLink(ctx, cs.st.DB, l); err != nil {
					t.Fatal(err)
				}
				cs.name[a.ID] = "new"
			}
			before := liveActivities(t, cs)
			_, err := merge.Apply(ctx, e, "")
			if !errors.Is(err, ErrDuplicatesChanged) {
				t.Fatalf("merge after a change: %v, want ErrDuplicatesChanged", err)
			}
			if after := liveActivities(t, cs); len(after) != len(before) {
				t.Fatalf("the refused merge changed activities: %d -> %d", len(before), len(after))
			}
			if fixed, _ := store.QueryJournal(ctx, cs.st.DB, store.JournalQuery{Op: store.OpFixed}); len(fixed) != 0 {
				t.Fatalf("the refused merge left a journal entry: %+v", fixed)
			}
		})
	}
}

func mustLinks(t *testing.T, cs corpusStore, id string) []store.Link {
	t.Helper()
	ls, err := store.LinksForActivity(context.Background(), cs.st.DB, id)
	if err != nil || len(ls) == 0 {
		t.Fatalf("links of %s: %v %v", id, ls, err)
	}
	return ls
}

// oldRuleGroups is the rule the duplicates check used until issue 12, kept only to score
// it on the corpus: union of activities sharing a linked event id, an iCalendar UID, or
// subject (case-folded) + start + owner.
func oldRuleGroups(ctx context.Context, st *store.Store) ([]DupGroup, error) {
	s, err := scanDuplicates(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			parent[x] = find(p)
			return parent[x]
		}
		return x
	}
	byKey := func(keyOf func(a *dupActivity) []string) {
		first := map[string]string{}
		for _, id := range sortedKeys(s.acts) {
			for _, k := range keyOf(s.acts[id]) {
				if f, ok := first[k]; ok && f != id {
					if ra, rb := find(f), find(id); ra != rb {
						parent[rb] = ra
					}
				} else if !ok {
					first[k] = id
				}
			}
		}
	}
	byKey(func(a *dupActivity) (ks []string) {
		for _, l := range a.links {
			if l.State != store.LinkQuarantined && !strings.HasPrefix(l.RemoteID, "pending:") {
				ks = append(ks, l.CalendarID+"\x00"+l.RemoteID)
			}
		}
		return
	})
	byKey(func(a *dupActivity) (ks []string) {
		for _, l := range a.links {
			if l.State != store.LinkQuarantined && l.ICalUID != "" {
				ks = append(ks, l.ICalUID)
			}
		}
		return
	})
	byKey(func(a *dupActivity) []string {
		return []string{strings.ToLower(strings.TrimSpace(a.Subject)) + "\x00" + fmt.Sprint(a.Start.Unix()) + "\x00" + a.OwnerID}
	})
	members := map[string][]string{}
	for _, id := range sortedKeys(s.acts) {
		members[find(id)] = append(members[find(id)], id)
	}
	var out []DupGroup
	for _, ms := range members {
		if len(ms) < 2 {
			continue
		}
		g := DupGroup{Keeper: s.pickKeeper(ms)}
		for _, m := range ms {
			if m != g.Keeper {
				g.Extras = append(g.Extras, m)
			}
		}
		out = append(out, g)
	}
	return out, nil
}
