package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Paging forward and backward from any row gives exactly the rows OFFSET gives, ties on
// the start time included.
func TestListActivitiesAfterMatchesOffsetPaging(t *testing.T) {
	forEachSearchPath(t, func(t *testing.T) {
		for _, search := range []string{"", "A 1"} {
			t.Run("search="+search, func(t *testing.T) { testListActivitiesAfterMatchesOffsetPaging(t, search) })
		}
	})
}

// tiedStartsFixture opens a store with n activities of two owners (every third is Bo's,
// the rest mine), all types, four subjects, and groups of five sharing a start time, so
// that the id decides their order. done says which are done.
func tiedStartsFixture(t *testing.T, n int, done func(i int) bool) (*Store, time.Time, []Activity) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	me, err := EnsureMe(ctx, s.DB, "Ann", now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := CreateUser(ctx, s.DB, User{Name: "Bo", CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	var ins []ActivityInput
	for i := 0; i < n; i++ {
		owner := me.ID
		if i%3 == 0 {
			owner = other.ID
		}
		ins = append(ins, ActivityInput{OwnerID: owner, Type: AllTypes[i%len(AllTypes)], Subject: fmt.Sprintf("a %d", i%4),
			Start: now.Add(time.Duration(i/5) * time.Hour), TimeZone: "UTC", Done: done(i)})
	}
	created, err := CreateActivities(ctx, s.DB, ins, now)
	if err != nil {
		t.Fatal(err)
	}
	return s, now, created
}

func testListActivitiesAfterMatchesOffsetPaging(t *testing.T, search string) {
	ctx := context.Background()
	s, now, _ := tiedStartsFixture(t, 90, func(i int) bool { return i%7 == 0 })
	f := ListFilter{Owner: OwnerMe, Types: []ActivityType{TypeCall, TypeMeeting, TypeTask, TypeEmail}, Search: search}
	all, err := ListActivities(ctx, s.DB, f, time.UTC, now, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := len(all.Rows)
	if n < 20 && search == "" || n < 5 || n != all.Shown {
		t.Fatalf("%d rows of %d shown", n, all.Shown)
	}
	ids := func(rs []ActivityRow) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	want := ids(all.Rows)
	for i := 0; i < n; i++ {
		a := AnchorOf(all.Rows[i].Activity)
		fwd, err := ListActivitiesAfter(ctx, s.DB, f, time.UTC, now, &a, false, 7)
		if err != nil {
			t.Fatal(err)
		}
		if got, exp := ids(fwd), want[i+1:min(n, i+8)]; !sameIDs(got, exp) {
			t.Fatalf("after row %d: %v, want %v", i, got, exp)
		}
		back, err := ListActivitiesAfter(ctx, s.DB, f, time.UTC, now, &a, true, 7)
		if err != nil {
			t.Fatal(err)
		}
		var exp []string
		for j := i - 1; j >= max(0, i-7); j-- {
			exp = append(exp, want[j])
		}
		if got := ids(back); !sameIDs(got, exp) {
			t.Fatalf("before row %d: %v, want %v", i, got, exp)
		}
	}
	last, err := ListActivitiesAfter(ctx, s.DB, f, time.UTC, now, nil, true, 3)
	if err != nil || len(last) != 3 || last[0].ID != want[n-1] || last[2].ID != want[n-3] {
		t.Fatalf("the last rows: %v %v", ids(last), err)
	}
	first, err := ListActivitiesAfter(ctx, s.DB, f, time.UTC, now, nil, false, 2)
	if err != nil || !sameIDs(ids(first), want[:2]) {
		t.Fatalf("the first rows: %v %v", ids(first), err)
	}
}

func sameIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
