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

// forEachSearchPath runs body twice: with every search answered by SQL, and with every
// search on a *sql.DB answered by the in-memory copy (built at the first search however
// small the list, then kept current through the change log).
func forEachSearchPath(t *testing.T, body func(t *testing.T)) {
	t.Helper()
	t.Run("sql", func(t *testing.T) {
		setSearchPath(t, false)
		body(t)
	})
	t.Run("memory", func(t *testing.T) {
		setSearchPath(t, true)
		body(t)
	})
}

func setSearchPath(t *testing.T, memory bool) {
	t.Helper()
	off, minRows, bg := searchIndexOff, searchIndexMinRows, searchIndexInBackground
	t.Cleanup(func() { searchIndexOff, searchIndexMinRows, searchIndexInBackground = off, minRows, bg })
	searchIndexOff, searchIndexMinRows, searchIndexInBackground = !memory, 0, false
}

// listBoth runs the same list query on both paths.
func listBoth(t *testing.T, h Handler, f ListFilter, loc *time.Location, now time.Time, offset, limit int) (sqlPage, memPage ListPage) {
	t.Helper()
	ctx := context.Background()
	var err error
	searchIndexOff = true
	sqlPage, err = ListActivities(ctx, h, f, loc, now, offset, limit)
	searchIndexOff = false
	if err != nil {
		t.Fatal(err)
	}
	if memPage, err = ListActivities(ctx, h, f, loc, now, offset, limit); err != nil {
		t.Fatal(err)
	}
	return sqlPage, memPage
}

func pageSummary(p ListPage) string {
	var ids []string
	for _, r := range p.Rows {
		ids = append(ids, r.ID+" "+r.Subject)
	}
	return fmt.Sprintf("total %d shown %d hidden %d by %v rows [%s]", p.Total, p.Shown, p.Hidden, p.HiddenBy, strings.Join(ids, ", "))
}

// The copy follows every kind of write (the store's own, big imports, raw SQL of other
// writers, hard deletes, restores, rolled-back transactions) and answers exactly what SQL
// answers: counts, windows and keyset pages.
func TestSearchIndexFollowsWrites(t *testing.T) {
	setSearchPath(t, true)
	ctx := context.Background()
	s := openListTest(t)
	rng := rand.New(rand.NewSource(11))
	base := time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC)
	me, _ := EnsureMe(ctx, s.DB, "Ann", base)
	bob, _ := CreateUser(ctx, s.DB, User{Name: "Bob"})
	owners := []string{me.ID, bob.ID}
	words := []string{"acme", "Zoë", "renewal", "MÜLLER", "50%", "snake_case"}
	input := func() ActivityInput {
		return ActivityInput{
			OwnerID: owners[rng.Intn(2)], Type: AllTypes[rng.Intn(6)],
			Subject:  words[rng.Intn(len(words))] + " " + words[rng.Intn(len(words))],
			Note:     words[rng.Intn(len(words))],
			Start:    base.Add(time.Duration(rng.Intn(60*24)-30*24) * time.Hour),
			TimeZone: "Europe/Berlin", AllDay: rng.Intn(6) == 0, Done: rng.Intn(3) == 0,
		}
	}
	batch := func(n int) []ActivityInput {
		ins := make([]ActivityInput, n)
		for i := range ins {
			ins[i] = input()
		}
		return ins
	}
	created, err := CreateActivities(ctx, s.DB, batch(1200), base) // the bulk path: one logged range
	if err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		var out []string
		for _, a := range created {
			out = append(out, a.ID)
		}
		return out
	}
	check := func(round int) {
		t.Helper()
		for trial := 0; trial < 8; trial++ {
			f := ListFilter{
				Owner:  []string{"me", "all", bob.ID}[rng.Intn(3)],
				Status: Statuses[rng.Intn(3)],
				Period: Periods[rng.Intn(len(Periods))],
				Search: []string{"acme", "zoë", "MÜL", "50%", "e_c", "ne", "x"}[rng.Intn(7)],
			}
			if rng.Intn(2) == 0 {
				f.Types = []ActivityType{AllTypes[rng.Intn(6)], AllTypes[rng.Intn(6)]}
			}
			now := base.Add(time.Duration(rng.Intn(20*24)-10*24) * time.Hour)
			offset := []int{0, 0, 3}[rng.Intn(3)]
			a, b := listBoth(t, s.DB, f, berlin, now, offset, 20)
			if pageSummary(a) != pageSummary(b) {
				t.Fatalf("round %d, filter %+v at %s offset %d:\n sql    %s\n memory %s", round, f, now, offset, pageSummary(a), pageSummary(b))
			}
			if len(a.Rows) == 0 {
				continue
			}
			anchor := AnchorOf(a.Rows[rng.Intn(len(a.Rows))].Activity)
			for _, backward := range []bool{false, true} {
				searchIndexOff = true
				x, err1 := ListActivitiesAfter(ctx, s.DB, f, berlin, now, &anchor, backward, 5)
				searchIndexOff = false
				y, err2 := ListActivitiesAfter(ctx, s.DB, f, berlin, now, &anchor, backward, 5)
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				if pa, pb := pageSummary(ListPage{Rows: x}), pageSummary(ListPage{Rows: y}); pa != pb {
					t.Fatalf("round %d, filter %+v after %v backward %v:\n sql    %s\n memory %s", round, f, anchor, backward, pa, pb)
				}
			}
		}
	}
	check(0)
	if x := searchIndexFor(s.DB); !x.ready || len(x.rows) != 1200 {
		t.Fatalf("the copy was not built from the import: ready %v, %d rows", x.ready, len(x.rows))
	}
	for round := 1; round <= 40; round++ {
		writes := 1 + rng.Intn(4)
		if round%10 == 0 {
			writes = 80 // more than the one-by-one refresh handles
		}
		for w := 0; w < writes; w++ {
			all := ids()
			id := all[rng.Intn(len(all))]
			switch rng.Intn(11) {
			case 0:
				a, err := CreateActivity(ctx, s.DB, input(), base)
				if err != nil {
					t.Fatal(err)
				}
				created = append(created, a)
			case 1:
				subject := words[rng.Intn(len(words))] + " edited"
				start := base.Add(time.Duration(rng.Intn(400)-200) * time.Hour)
				typ := AllTypes[rng.Intn(6)]
				_, err = UpdateActivity(ctx, s.DB, id, ActivityPatch{Subject: &subject, Start: &start, Type: &typ}, base)
			case 2:
				o := owners[rng.Intn(2)]
				_, err = UpdateActivity(ctx, s.DB, id, ActivityPatch{OwnerID: &o}, base)
			case 3:
				_, err = SetActivityDone(ctx, s.DB, id, rng.Intn(2) == 0, base)
			case 4:
				_, err = DeleteActivity(ctx, s.DB, id, base)
			case 5:
				_, err = RestoreActivity(ctx, s.DB, id, base)
			case 6: // another writer's SQL, without search_fold
				_, err = s.DB.ExecContext(ctx, `UPDATE activities SET subject = ?, note = '' WHERE id = ?`, "Raw "+words[rng.Intn(len(words))], id)
			case 7:
				newID := fmt.Sprintf("raw-%d-%d", round, w)
				_, err = s.DB.ExecContext(ctx, `INSERT INTO activities (id, owner_id, type, subject, start_at, done, created_at, updated_at)
					VALUES (?, ?, 'call', ?, ?, 0, ?, ?)`, newID, owners[rng.Intn(2)], "RAW "+words[rng.Intn(len(words))],
					base.Add(time.Duration(rng.Intn(200)-100)*time.Hour).Unix(), base.Unix(), base.Unix())
				created = append(created, Activity{ID: newID})
			case 8: // a hard delete (nothing in the store does it, but nothing stops it)
				_, err = s.DB.ExecContext(ctx, `DELETE FROM activities WHERE id = ? AND id NOT IN (SELECT activity_id FROM links)`, id)
			case 9: // a transaction that is rolled back leaves nothing behind
				tx, err2 := s.DB.BeginTx(ctx, nil)
				if err2 != nil {
					t.Fatal(err2)
				}
				if _, err2 = CreateActivities(ctx, tx, batch(3), base); err2 != nil {
					t.Fatal(err2)
				}
				// Inside the transaction the new rows are listed (by SQL: the copy is never used there).
				p, err2 := ListActivities(ctx, tx, ListFilter{Owner: OwnerAll, Status: StatusAll, Search: "a"}, berlin, base, 0, 0)
				if err2 != nil || p.Total != countLive(t, tx)+0 {
					t.Fatalf("inside a transaction: %+v %v", p, err2)
				}
				if err2 = tx.Rollback(); err2 != nil {
					t.Fatal(err2)
				}
			case 10:
				if round%10 == 5 {
					more, err := CreateActivities(ctx, s.DB, batch(1000+rng.Intn(50)), base) // the bulk path again
					if err != nil {
						t.Fatal(err)
					}
					created = append(created, more...)
				} else {
					more, err := CreateActivities(ctx, s.DB, batch(1+rng.Intn(5)), base)
					if err != nil {
						t.Fatal(err)
					}
					created = append(created, more...)
				}
			}
			if err != nil && !errors.Is(err, ErrDeleted) && !errors.Is(err, ErrNotFound) {
				t.Fatal(err)
			}
			err = nil
		}
		check(round)
	}
	if x := searchIndexFor(s.DB); len(x.rows) != countLive(t, s.DB) {
		t.Fatalf("the copy holds %d activities, the table %d live ones", len(x.rows), countLive(t, s.DB))
	}
}

func countLive(t *testing.T, h Handler) int {
	t.Helper()
	var n int
	if err := h.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM activities WHERE deleted_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The change log keeps only its recent past. A copy that fell behind further than that
// cannot know what the pruned entries changed, so it reads everything again.
func TestSearchIndexReloadsWhenChangesWerePruned(t *testing.T) {
	setSearchPath(t, true)
	ctx := context.Background()
	s := openListTest(t)
	EnsureMe(ctx, s.DB, "Ann", fixtureNow)
	for _, subj := range []string{"alpha one", "alpha two", "beta"} {
		if _, err := CreateActivity(ctx, s.DB, ActivityInput{Subject: subj, Start: fixtureNow}, fixtureNow); err != nil {
			t.Fatal(err)
		}
	}
	f := ListFilter{Search: "alpha"}
	if p, err := ListActivities(ctx, s.DB, f, berlin, fixtureNow, 0, 10); err != nil || p.Shown != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := s.DB.ExecContext(ctx, `UPDATE activities SET deleted_at = 1 WHERE subject = 'alpha one'`); err != nil {
		t.Fatal(err)
	}
	// 12,000 later changes (of activities that do not exist) push that one out of the log.
	if _, err := s.DB.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
		INSERT INTO activity_changes (first_id, last_id) SELECT 'gone', 'gone' FROM n`); err != nil {
		t.Fatal(err)
	}
	var kept, oldest int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*), MIN(seq) FROM activity_changes`).Scan(&kept, &oldest); err != nil || kept > 11000 || oldest < 100 {
		t.Fatalf("the log was not pruned: %d entries from %d (%v)", kept, oldest, err)
	}
	if p, err := ListActivities(ctx, s.DB, f, berlin, fixtureNow, 0, 10); err != nil || subjects(p) != "alpha two" {
		t.Fatalf("after the log was pruned: %s %v", pageSummary(p), err)
	}
	// A single entry missing in the middle (removed by hand) is noticed too.
	if _, err := s.DB.ExecContext(ctx, `UPDATE activities SET deleted_at = 1 WHERE subject = 'alpha two'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM activity_changes WHERE seq = (SELECT MAX(seq) FROM activity_changes)`); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateActivity(ctx, s.DB, ActivityInput{Subject: "alpha three", Start: fixtureNow}, fixtureNow); err != nil {
		t.Fatal(err)
	}
	if p, err := ListActivities(ctx, s.DB, f, berlin, fixtureNow, 0, 10); err != nil || subjects(p) != "alpha three" {
		t.Fatalf("after an entry was removed: %s %v", pageSummary(p), err)
	}
}

// A process's first searches are answered by SQL; the second starts building the copy in
// the background, and the answers do not change when the copy takes over.
func TestSearchIndexBuildsInTheBackground(t *testing.T) {
	ctx := context.Background()
	s := openListTest(t)
	off, minRows, bg := searchIndexOff, searchIndexMinRows, searchIndexInBackground
	t.Cleanup(func() { searchIndexOff, searchIndexMinRows, searchIndexInBackground = off, minRows, bg })
	searchIndexOff, searchIndexMinRows, searchIndexInBackground = false, 100, true
	EnsureMe(ctx, s.DB, "Ann", fixtureNow)
	var ins []ActivityInput
	for i := 0; i < 150; i++ {
		ins = append(ins, ActivityInput{Subject: fmt.Sprintf("item %d", i), Start: fixtureNow.Add(time.Duration(i) * time.Hour)})
	}
	if _, err := CreateActivities(ctx, s.DB, ins, fixtureNow); err != nil {
		t.Fatal(err)
	}
	f := ListFilter{Search: "item 1"}
	first, err := ListActivities(ctx, s.DB, f, berlin, fixtureNow, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	x := searchIndexFor(s.DB)
	x.mu.Lock()
	started := x.building || x.ready
	x.mu.Unlock()
	if started {
		t.Fatal("a single search (a one-shot command) started building the copy")
	}
	if _, err := ListActivities(ctx, s.DB, f, berlin, fixtureNow, 0, 100); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		x.mu.Lock()
		ready := x.ready
		x.mu.Unlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the copy was never built")
		}
		time.Sleep(time.Millisecond) // waiting for a goroutine, not timing anything
	}
	later, err := ListActivities(ctx, s.DB, f, berlin, fixtureNow, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if first.Shown != 61 || pageSummary(first) != pageSummary(later) {
		t.Fatalf("first %s\nlater %s", pageSummary(first), pageSummary(later))
	}
}
