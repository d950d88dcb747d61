package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

var berlin = mustLoc("Europe/Berlin")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// fixtureNow is Wednesday 25 November 2026, 10:00 in Berlin; the week runs Mon 23 - Sun 29.
var fixtureNow = time.Date(2026, 11, 25, 10, 0, 0, 0, berlin)

func openListTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type fixture struct {
	s             *Store
	me, bob, cleo User
	ids           map[string]string // subject -> id
}

// newFixture stores a small, hand-checked set of activities (see the comments for which
// filters each one passes).
func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	s := openListTest(t)
	f := fixture{s: s, ids: map[string]string{}}
	var err error
	if f.me, err = EnsureMe(ctx, s.DB, "Ann", fixtureNow); err != nil {
		t.Fatal(err)
	}
	if f.bob, err = CreateUser(ctx, s.DB, User{Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	if f.cleo, err = CreateUser(ctx, s.DB, User{Name: "Cléo"}); err != nil {
		t.Fatal(err)
	}
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, berlin) }
	add := func(subject, owner string, typ ActivityType, start time.Time, done, allDay bool) {
		a, err := CreateActivity(ctx, s.DB, ActivityInput{OwnerID: owner, Type: typ, Subject: subject,
			Start: start, TimeZone: "Europe/Berlin", Duration: 30 * time.Minute, AllDay: allDay, Done: done,
			Note: "note of " + subject}, fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[subject] = a.ID
	}
	add("Call Acme", "me", TypeCall, at(25, 9, 0), false, false)                 // today, overdue
	add("Lunch with Zoë", "me", TypeLunch, at(25, 12, 30), false, false)         // today
	add("Quarterly review", "me", TypeMeeting, at(26, 14, 0), false, false)      // tomorrow
	add("Send contract", "me", TypeEmail, at(20, 11, 0), true, false)            // last week, done
	add("Deadline MÜLLER GmbH", "me", TypeDeadline, at(1+30, 0, 0), false, true) // Tue 1 Dec: next week
	add("Prepare slides", "me", TypeTask, at(24, 0, 0), false, true)             // yesterday all-day: overdue
	add("Call Bob's client", f.bob.ID, TypeCall, at(25, 15, 0), false, false)    // today
	add("Bob lunch", f.bob.ID, TypeLunch, at(27, 12, 0), true, false)            // Friday, done
	add("Cléo task", f.cleo.ID, TypeTask, time.Date(2026, 10, 1, 9, 0, 0, 0, berlin), false, false)
	add("Team day", "me", TypeMeeting, at(25, 0, 0), false, true) // all-day today: not overdue
	add("Deleted call", "me", TypeCall, at(25, 8, 0), false, false)
	add("Done call", "me", TypeCall, at(25, 8, 0), true, false) // today, done
	if _, err := DeleteActivity(ctx, s.DB, f.ids["Deleted call"], fixtureNow); err != nil {
		t.Fatal(err)
	}
	return f
}

func subjects(p ListPage) string {
	var out []string
	for _, r := range p.Rows {
		out = append(out, r.Subject)
	}
	return strings.Join(out, "|")
}

func TestListHandCountedFixture(t *testing.T) { forEachSearchPath(t, testListHandCountedFixture) }

func testListHandCountedFixture(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cases := []struct {
		name     string
		filter   ListFilter
		rows     string
		hiddenBy map[string]int
	}{
		{"default: my open activities", DefaultListFilter(),
			"Prepare slides|Team day|Call Acme|Lunch with Zoë|Quarterly review|Deadline MÜLLER GmbH",
			// owner alone hides Bob's call and Cléo's task; status alone hides my two done
			// ones; Bob's done lunch fails both and is in no single count.
			map[string]int{"owner": 2, "status": 2}},
		{"everything", ListFilter{Owner: "all", Status: "all", Period: "all"},
			"Cléo task|Send contract|Prepare slides|Team day|Done call|Call Acme|Lunch with Zoë|Call Bob's client|Quarterly review|Bob lunch|Deadline MÜLLER GmbH",
			map[string]int{}},
		{"today, all owners, any status", ListFilter{Owner: "all", Status: "all", Period: "today"},
			"Team day|Done call|Call Acme|Lunch with Zoë|Call Bob's client",
			map[string]int{"period": 6}},
		{"overdue mine", ListFilter{Owner: "me", Status: "all", Period: "overdue"},
			// Send contract is past but done; Team day is all-day today; Call Acme started at 9.
			"Prepare slides|Call Acme",
			map[string]int{"owner": 1, "period": 6}},
		{"tomorrow", ListFilter{Owner: "me", Period: "tomorrow"}, "Quarterly review",
			map[string]int{"owner": 0, "status": 0, "period": 5}},
		{"this week, mine, to do", ListFilter{Period: "this-week"},
			"Prepare slides|Team day|Call Acme|Lunch with Zoë|Quarterly review",
			// owner: Bob's call (Bob's lunch is done too); status: Done call; period: Deadline.
			map[string]int{"owner": 1, "status": 1, "period": 1}},
		{"next week", ListFilter{Owner: "all", Status: "all", Period: "next-week"}, "Deadline MÜLLER GmbH",
			map[string]int{"period": 10}},
		{"calls and lunches of all", ListFilter{Owner: "all", Types: []ActivityType{"lunch", "CALL"}},
			"Call Acme|Lunch with Zoë|Call Bob's client",
			// type alone: the five open meetings, tasks and deadlines; status: two done ones.
			map[string]int{"type": 5, "status": 2}},
		{"Bob's", ListFilter{Owner: f.bob.ID, Status: "all"}, "Call Bob's client|Bob lunch",
			map[string]int{"owner": 9}},
		{"search folds case beyond ASCII", ListFilter{Owner: "all", Status: "all", Search: "müller"},
			"Deadline MÜLLER GmbH", map[string]int{"search": 10}},
		{"search the note", ListFilter{Owner: "all", Search: "NOTE OF CALL"}, "Call Acme|Call Bob's client",
			// "note of Done call" does not contain it; Deleted call is gone; the other six
			// open activities are hidden by the search alone.
			map[string]int{"status": 0, "search": 6}},
		{"all five filters", ListFilter{Owner: "me", Types: []ActivityType{"call"}, Status: "todo", Period: "today", Search: "call"},
			"Call Acme",
			map[string]int{"owner": 1, "type": 0, "status": 1, "period": 0, "search": 0}},
		{"nothing matches", ListFilter{Owner: "all", Status: "done", Search: "zoë"}, "",
			map[string]int{"status": 1, "search": 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ListActivities(ctx, f.s.DB, c.filter, berlin, fixtureNow, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if got := subjects(p); got != c.rows {
				t.Errorf("rows\n got %s\nwant %s", got, c.rows)
			}
			if p.Total != 11 {
				t.Errorf("total %d, want 11 (12 stored, 1 deleted)", p.Total)
			}
			if p.Shown != len(p.Rows) || p.Hidden != p.Total-p.Shown {
				t.Errorf("shown %d hidden %d with %d rows", p.Shown, p.Hidden, len(p.Rows))
			}
			if fmt.Sprint(p.HiddenBy) != fmt.Sprint(c.hiddenBy) {
				t.Errorf("hidden by %v, want %v", p.HiddenBy, c.hiddenBy)
			}
		})
	}
}

func TestListPagingIsAWindowOverTheSameOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	all := ListFilter{Owner: "all", Status: "all"}
	whole, err := ListActivities(ctx, f.s.DB, all, berlin, fixtureNow, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var paged []string
	for off := 0; off < whole.Shown; off += 4 {
		p, err := ListActivities(ctx, f.s.DB, all, berlin, fixtureNow, off, 4)
		if err != nil {
			t.Fatal(err)
		}
		if p.Shown != whole.Shown || p.Offset != off || len(p.Rows) > 4 {
			t.Fatalf("page at %d: shown %d offset %d rows %d", off, p.Shown, p.Offset, len(p.Rows))
		}
		for _, r := range p.Rows {
			paged = append(paged, r.Subject)
		}
	}
	if strings.Join(paged, "|") != subjects(whole) {
		t.Fatalf("pages %v != whole %s", paged, subjects(whole))
	}
	for i := 1; i < len(whole.Rows); i++ {
		if whole.Rows[i].Start.Before(whole.Rows[i-1].Start) {
			t.Fatalf("not ordered by start at %d", i)
		}
	}
	past, err := ListActivities(ctx, f.s.DB, all, berlin, fixtureNow, 50, 10)
	if err != nil || len(past.Rows) != 0 || past.Rows == nil || past.Total != 11 {
		t.Fatalf("offset past the end: %+v %v", past, err)
	}
	counts, err := CountActivities(ctx, f.s.DB, all, berlin, fixtureNow)
	if err != nil || len(counts.Rows) != 0 || counts.Shown != 11 {
		t.Fatalf("counts only: %+v %v", counts, err)
	}
	if whole.Rows[0].OwnerName != "Cléo" {
		t.Errorf("owner name %q", whole.Rows[0].OwnerName)
	}
}

func TestListSearchIsLiteral(t *testing.T) { forEachSearchPath(t, testListSearchIsLiteral) }

func testListSearchIsLiteral(t *testing.T) {
	ctx := context.Background()
	s := openListTest(t)
	if _, err := EnsureMe(ctx, s.DB, "Ann", fixtureNow); err != nil {
		t.Fatal(err)
	}
	for _, subj := range []string{"50% off", "500 off", "snake_case", "snakeXcase", `back\slash`} {
		if _, err := CreateActivity(ctx, s.DB, ActivityInput{Subject: subj, Start: fixtureNow}, fixtureNow); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]string{"50%": "50% off", "e_c": "snake_case", `k\s`: `back\slash`, "  SNAKEX\t": "snakeXcase"} {
		p, err := ListActivities(ctx, s.DB, ListFilter{Search: q}, berlin, fixtureNow, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := subjects(p); got != want {
			t.Errorf("search %q found %q, want %q", q, got, want)
		}
	}
}

func TestListSearchFindsRowsWrittenWithoutSearchFold(t *testing.T) {
	forEachSearchPath(t, testListSearchFindsRowsWrittenWithoutSearchFold)
}

func testListSearchFindsRowsWrittenWithoutSearchFold(t *testing.T) {
	// The sync engine may write activities with its own SQL; search must still find them.
	ctx := context.Background()
	s := openListTest(t)
	me, _ := EnsureMe(ctx, s.DB, "Ann", fixtureNow)
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO activities (id, owner_id, type, subject, start_at, created_at, updated_at)
		VALUES ('x1', ?, 'call', 'Imported From Google', ?, ?, ?)`, me.ID, fixtureNow.Unix(), fixtureNow.Unix(), fixtureNow.Unix()); err != nil {
		t.Fatal(err)
	}
	p, err := ListActivities(ctx, s.DB, ListFilter{Search: "from google"}, berlin, fixtureNow, 0, 10)
	if err != nil || subjects(p) != "Imported From Google" || p.Total != 1 {
		t.Fatalf("raw insert not found: %+v %v", p, err)
	}
	if _, err := s.DB.ExecContext(ctx, `UPDATE activities SET subject = 'Renamed Remotely' WHERE id = 'x1'`); err != nil {
		t.Fatal(err)
	}
	p, err = ListActivities(ctx, s.DB, ListFilter{Search: "renamed remotely"}, berlin, fixtureNow, 0, 10)
	if err != nil || p.Shown != 1 {
		t.Fatalf("raw update not found: %+v %v", p, err)
	}
}

func TestListFilterValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bad := map[string]ListFilter{
		"status": {Status: "open"},
		"period": {Period: "yesterday"},
		"type":   {Types: []ActivityType{"call", "visit"}},
		"owner":  {Owner: "nobody-here"},
		"search": {Search: strings.Repeat("x", MaxSearchChars+1)},
	}
	for field, lf := range bad {
		_, err := ListActivities(ctx, f.s.DB, lf, berlin, fixtureNow, 0, 10)
		ve, ok := err.(*ValidationError)
		if !ok || ve.Field != field {
			t.Errorf("%s: got %v, want a ValidationError for %s", field, err, field)
			continue
		}
		if field == "period" && !strings.Contains(err.Error(), "this-week") {
			t.Errorf("period error does not list the accepted values: %v", err)
		}
	}
	if err := (ListFilter{}).Validate(); err != nil {
		t.Errorf("the zero filter means the defaults: %v", err)
	}
	all := ListFilter{Types: AllTypes}
	if got := all.Active(); strings.Join(got, ",") != "owner,status" {
		t.Errorf("all six types is no type filter: active %v", got)
	}
}

func TestListSyncStateFromLinks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	db := f.s.DB
	if _, err := db.ExecContext(ctx, `INSERT INTO accounts (id, kind, name, auth_kind, created_at, updated_at)
		VALUES ('acc1', 'google', 'Work', 'oauth', 0, 0), ('acc2', 'caldav', 'Home', 'password', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	link := func(subject, acct, remote, state, lastErr string, syncedRev int64) {
		if _, err := db.ExecContext(ctx, `INSERT INTO links (activity_id, account_id, calendar_id, remote_id, state,
			last_error, synced_rev, last_synced_at, created_at) VALUES (?, ?, 'primary', ?, ?, ?, ?, 100, 0)`,
			f.ids[subject], acct, remote, state, lastErr, syncedRev); err != nil {
			t.Fatal(err)
		}
	}
	link("Call Acme", "acc1", "r1", LinkSynced, "", 1)
	link("Lunch with Zoë", "acc1", "r2", LinkSynced, "", 0) // local change not pushed yet
	link("Quarterly review", "acc1", "r3", LinkPendingCreate, "", 0)
	link("Prepare slides", "acc1", "r4", LinkSynced, "403 insufficient scope", 1)
	// A quarantined duplicate and a live link: the live one is what the list shows.
	link("Team day", "acc2", "r5", LinkQuarantined, "", 1)
	link("Team day", "acc1", "r6", LinkSynced, "", 1)
	link("Deadline MÜLLER GmbH", "acc2", "r7", LinkQuarantined, "", 1)
	p, err := ListActivities(ctx, db, DefaultListFilter(), berlin, fixtureNow, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Call Acme": "synced", "Lunch with Zoë": "pending", "Quarterly review": "pending",
		"Prepare slides": "error", "Team day": "synced", "Deadline MÜLLER GmbH": "quarantined"}
	for _, r := range p.Rows {
		if r.SyncState != want[r.Subject] {
			t.Errorf("%s: sync %q, want %q", r.Subject, r.SyncState, want[r.Subject])
		}
		if r.Subject == "Team day" && (r.LinkRemoteID != "r6" || r.LinkAccountID != "acc1") {
			t.Errorf("Team day shows link %s/%s", r.LinkAccountID, r.LinkRemoteID)
		}
		if r.Subject == "Prepare slides" && r.LinkError == "" {
			t.Errorf("link error not shown")
		}
		if r.Subject == "Call Acme" && (r.LastSyncedAt == nil || r.LastSyncedAt.Unix() != 100) {
			t.Errorf("last synced %v", r.LastSyncedAt)
		}
	}
}

// referencePasses is the list's definition written the slow, obvious way.
func referencePasses(a Activity, dim string, f ListFilter, meID string, loc *time.Location, now time.Time) bool {
	switch dim {
	case DimOwner:
		switch f.Owner {
		case "all":
			return true
		case "me":
			return a.OwnerID == meID
		}
		return a.OwnerID == f.Owner
	case DimType:
		if len(f.Types) == 0 {
			return true
		}
		for _, t := range f.Types {
			if t == a.Type {
				return true
			}
		}
		return false
	case DimStatus:
		return f.Status == "all" || (f.Status == "done") == a.Done
	case DimPeriod:
		y, m, d := now.In(loc).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, loc)
		monday := time.Date(y, m, d-(int(now.In(loc).Weekday())+6)%7, 0, 0, 0, 0, loc)
		in := func(from, to time.Time) bool { return !a.Start.Before(from) && a.Start.Before(to) }
		switch f.Period {
		case "all":
			return true
		case "overdue":
			if a.Done {
				return false
			}
			if a.AllDay {
				return a.Start.Before(today)
			}
			return a.Start.Before(now)
		case "today":
			return in(today, today.AddDate(0, 0, 1))
		case "tomorrow":
			return in(today.AddDate(0, 0, 1), today.AddDate(0, 0, 2))
		case "this-week":
			return in(monday, monday.AddDate(0, 0, 7))
		case "next-week":
			return in(monday.AddDate(0, 0, 7), monday.AddDate(0, 0, 14))
		}
	case DimSearch:
		return f.Search == "" || strings.Contains(SearchFold(a.Subject, a.Location, a.Note), strings.ToLower(f.Search))
	}
	panic(dim)
}

// TestListCountsMatchReference checks the pre-counted weeks plus the exact window against
// the obvious definition, on random activities clustered around random "now"s, across
// time zones with DST and half-hour offsets, for every filter combination.
func TestListCountsMatchReference(t *testing.T) { forEachSearchPath(t, testListCountsMatchReference) }

func testListCountsMatchReference(t *testing.T) {
	ctx := context.Background()
	s := openListTest(t)
	rng := rand.New(rand.NewSource(7))
	base := time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC) // DST starts in Europe on 29 March
	me, _ := EnsureMe(ctx, s.DB, "Ann", base)
	bob, _ := CreateUser(ctx, s.DB, User{Name: "Bob"})
	owners := []string{me.ID, bob.ID}
	zones := []string{"Europe/Berlin", "Asia/Kolkata", "America/New_York", "Pacific/Auckland"}
	words := []string{"acme", "Zoë", "renewal", "MÜLLER"}
	var ins []ActivityInput
	for i := 0; i < 1500; i++ {
		spread := 30 * 24 * time.Hour
		if i%5 == 0 {
			spread = 400 * 24 * time.Hour
		}
		ins = append(ins, ActivityInput{
			OwnerID: owners[rng.Intn(2)], Type: AllTypes[rng.Intn(6)],
			Subject:  words[rng.Intn(4)] + " " + words[rng.Intn(4)],
			Start:    base.Add(time.Duration(rng.Int63n(int64(2*spread))) - spread).Truncate(time.Minute),
			TimeZone: zones[rng.Intn(4)], AllDay: rng.Intn(6) == 0, Done: rng.Intn(3) == 0,
		})
	}
	created, err := CreateActivities(ctx, s.DB, ins, base)
	if err != nil {
		t.Fatal(err)
	}
	// A big import suspends the counting trigger; later single writes must be counted again.
	one, err := CreateActivity(ctx, s.DB, ActivityInput{Subject: "acme after import", Start: base, Type: TypeCall}, base)
	if err != nil {
		t.Fatal(err)
	}
	created = append(created, one)
	// Some edits and deletes, so the triggers' bookkeeping is exercised too.
	for i := 0; i < 200; i++ {
		a := &created[rng.Intn(len(created))]
		switch rng.Intn(4) {
		case 0:
			start := a.Start.Add(time.Duration(rng.Intn(200)-100) * time.Hour)
			typ := AllTypes[rng.Intn(6)]
			*a, err = UpdateActivity(ctx, s.DB, a.ID, ActivityPatch{Start: &start, Type: &typ}, base)
		case 1:
			*a, err = SetActivityDone(ctx, s.DB, a.ID, !a.Done, base)
		case 2:
			*a, err = DeleteActivity(ctx, s.DB, a.ID, base)
		case 3:
			o := owners[rng.Intn(2)]
			*a, err = UpdateActivity(ctx, s.DB, a.ID, ActivityPatch{OwnerID: &o}, base)
		}
		if err != nil && !errors.Is(err, ErrDeleted) {
			t.Fatal(err)
		}
	}
	for trial := 0; trial < 60; trial++ {
		loc := mustLoc(zones[rng.Intn(4)])
		now := base.Add(time.Duration(rng.Int63n(int64(40*24*time.Hour))) - 20*24*time.Hour)
		if trial == 0 {
			now = time.Date(2026, 3, 29, 0, 30, 0, 0, berlin) // the night DST starts
		}
		f := ListFilter{
			Owner:  []string{"me", "all", bob.ID}[rng.Intn(3)],
			Status: Statuses[rng.Intn(3)],
			Period: Periods[rng.Intn(len(Periods))],
		}
		if rng.Intn(2) == 0 {
			f.Types = []ActivityType{AllTypes[rng.Intn(6)], AllTypes[rng.Intn(6)]}
		}
		if rng.Intn(3) == 0 {
			f.Search = strings.ToUpper(words[rng.Intn(4)][:3])
		}
		nf := f.normalized()
		p, err := ListActivities(ctx, s.DB, f, loc, now, 0, 5000)
		if err != nil {
			t.Fatal(err)
		}
		want := ListPage{HiddenBy: map[string]int{}}
		active := nf.Active()
		var wantRows []string
		for _, a := range created {
			if a.DeletedAt != nil {
				continue
			}
			want.Total++
			var failed []string
			for _, d := range active {
				if !referencePasses(a, d, nf, me.ID, loc, now) {
					failed = append(failed, d)
				}
			}
			if len(failed) == 0 {
				want.Shown++
				wantRows = append(wantRows, a.ID)
			}
			if len(failed) == 1 {
				want.HiddenBy[failed[0]]++
			}
		}
		for _, d := range active {
			want.HiddenBy[d] += 0
		}
		if p.Total != want.Total || p.Shown != want.Shown || fmt.Sprint(p.HiddenBy) != fmt.Sprint(want.HiddenBy) {
			t.Fatalf("filter %+v in %s at %s:\n got total %d shown %d hidden by %v\nwant total %d shown %d hidden by %v",
				f, loc, now, p.Total, p.Shown, p.HiddenBy, want.Total, want.Shown, want.HiddenBy)
		}
		got := map[string]bool{}
		for _, r := range p.Rows {
			got[r.ID] = true
		}
		for _, id := range wantRows {
			if !got[id] {
				t.Fatalf("filter %+v: row %s missing", f, id)
			}
		}
	}
}
