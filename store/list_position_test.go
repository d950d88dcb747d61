package store

import (
	"context"
	"testing"
	"time"
)

// Every listed activity's position is its index in ListActivities' order (ties on the
// start time included); one the filters hide is not listed.
func TestListPositionMatchesTheList(t *testing.T) {
	forEachSearchPath(t, func(t *testing.T) {
		for _, search := range []string{"", "A 1"} {
			t.Run("search="+search, func(t *testing.T) { testListPosition(t, search) })
		}
	})
}

func testListPosition(t *testing.T, search string) {
	ctx := context.Background()
	s, now, created := tiedStartsFixture(t, 40, func(int) bool { return false })
	f := ListFilter{Owner: OwnerMe, Search: search}
	all, err := ListActivities(ctx, s.DB, f, time.UTC, now, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Rows) < 5 {
		t.Fatalf("%d rows", len(all.Rows))
	}
	for i, r := range all.Rows {
		pos, listed, err := ListPosition(ctx, s.DB, f, time.UTC, now, r.ID)
		if err != nil || !listed || pos != i {
			t.Fatalf("row %d (%s): pos %d listed %v err %v", i, r.ID, pos, listed, err)
		}
	}
	hidden := created[0] // Bo's: the owner filter hides it
	if pos, listed, err := ListPosition(ctx, s.DB, f, time.UTC, now, hidden.ID); err != nil || listed || pos != 0 {
		t.Fatalf("hidden activity: pos %d listed %v err %v", pos, listed, err)
	}
	if _, listed, err := ListPosition(ctx, s.DB, f, time.UTC, now, "no-such-id"); err != nil || listed {
		t.Fatalf("missing activity: listed %v err %v", listed, err)
	}
}

// BenchmarkListPosition100k finds the last listed activity's place among 100,000 (the
// worst case: every row before it is counted) — what adding an activity costs on top of
// the write before the app's cursor moves to it.
func BenchmarkListPosition100k(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s, owners := benchStore(b, now)
	if _, err := CreateActivities(ctx, s.DB, benchInputs(100_000, owners, now), now); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    ListFilter
	}{
		{"default", DefaultListFilter()},
		{"no-filters", ListFilter{Owner: OwnerAll, Status: StatusAll, Period: PeriodAll}},
	} {
		b.Run(c.name, func(b *testing.B) {
			last, err := ListActivitiesAfter(ctx, s.DB, c.f, time.UTC, now, nil, true, 1)
			if err != nil || len(last) != 1 {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, listed, err := ListPosition(ctx, s.DB, c.f, time.UTC, now, last[0].ID); err != nil || !listed {
					b.Fatal(listed, err)
				}
			}
		})
	}
}
