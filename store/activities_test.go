package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func meStore(t *testing.T) (*Store, User) {
	t.Helper()
	s := openListTest(t)
	me, err := EnsureMe(context.Background(), s.DB, "Ann", fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	return s, me
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestActivityLifecycleBumpsRev(t *testing.T) {
	ctx := context.Background()
	s, me := meStore(t)
	t0 := fixtureNow
	a, err := CreateActivity(ctx, s.DB, ActivityInput{Type: TypeMeeting, Subject: "  Kickoff  ", Start: t0,
		TimeZone: "Europe/Berlin", Duration: 45 * time.Minute, Location: "Room 2"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Rev != 1 || a.OwnerID != me.ID || a.Subject != "Kickoff" || a.Origin != "local" || len(a.ID) != 36 || a.ID[14] != '7' {
		t.Fatalf("created %+v", a)
	}
	got, err := GetActivity(ctx, s.DB, a.ID)
	if err != nil || got.Subject != "Kickoff" || !got.Start.Equal(t0) || got.Duration != 45*time.Minute || got.Location != "Room 2" {
		t.Fatalf("read back %+v %v", got, err)
	}

	t1 := t0.Add(time.Hour)
	subj := "Kickoff with Acme"
	a, err = UpdateActivity(ctx, s.DB, a.ID, ActivityPatch{Subject: &subj}, t1)
	if err != nil || a.Rev != 2 || !a.UpdatedAt.Equal(t1) || a.Subject != subj {
		t.Fatalf("update: %+v %v", a, err)
	}
	// A patch that changes nothing is not a change.
	a, err = UpdateActivity(ctx, s.DB, a.ID, ActivityPatch{Subject: &subj}, t1.Add(time.Hour))
	if err != nil || a.Rev != 2 || !a.UpdatedAt.Equal(t1) {
		t.Fatalf("no-op update bumped: %+v %v", a, err)
	}
	t2 := t1.Add(time.Hour)
	a, err = SetActivityDone(ctx, s.DB, a.ID, true, t2)
	if err != nil || !a.Done || a.DoneAt == nil || !a.DoneAt.Equal(t2) || a.Rev != 3 {
		t.Fatalf("done: %+v %v", a, err)
	}
	if a, _ = SetActivityDone(ctx, s.DB, a.ID, true, t2.Add(time.Hour)); a.Rev != 3 {
		t.Fatalf("done twice bumped rev to %d", a.Rev)
	}
	a, err = SetActivityDone(ctx, s.DB, a.ID, false, t2)
	if err != nil || a.Done || a.DoneAt != nil || a.Rev != 4 {
		t.Fatalf("undone: %+v %v", a, err)
	}
	t3 := t2.Add(time.Hour)
	a, err = DeleteActivity(ctx, s.DB, a.ID, t3)
	if err != nil || a.DeletedAt == nil || a.Rev != 5 || !a.UpdatedAt.Equal(t3) {
		t.Fatalf("delete: %+v %v", a, err)
	}
	// The tombstone stays readable, is not listed or counted, and refuses edits.
	got, err = GetActivity(ctx, s.DB, a.ID)
	if err != nil || got.DeletedAt == nil || got.Rev != 5 {
		t.Fatalf("tombstone: %+v %v", got, err)
	}
	if again, err := DeleteActivity(ctx, s.DB, a.ID, t3.Add(time.Hour)); err != nil || again.Rev != 5 {
		t.Fatalf("second delete: %+v %v", again, err)
	}
	if _, err := UpdateActivity(ctx, s.DB, a.ID, ActivityPatch{Subject: &subj}, t3); !errors.Is(err, ErrDeleted) {
		t.Fatalf("edit of a deleted activity: %v", err)
	}
	if _, err := SetActivityDone(ctx, s.DB, a.ID, true, t3); !errors.Is(err, ErrDeleted) {
		t.Fatalf("done of a deleted activity: %v", err)
	}
	p, err := ListActivities(ctx, s.DB, ListFilter{Owner: "all", Status: "all"}, berlin, t3, 0, 10)
	if err != nil || p.Total != 0 || len(p.Rows) != 0 {
		t.Fatalf("tombstone listed: %+v %v", p, err)
	}
	if _, err := GetActivity(ctx, s.DB, "01234567-89ab-7def-8123-456789abcdef"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing activity: %v", err)
	}
}

func TestActivityBadInput(t *testing.T) {
	ctx := context.Background()
	s, _ := meStore(t)
	ok := ActivityInput{Subject: "Call", Start: fixtureNow}
	cases := []struct {
		field string
		edit  func(in *ActivityInput)
	}{
		{"subject", func(in *ActivityInput) { in.Subject = "" }},
		{"subject", func(in *ActivityInput) { in.Subject = " \t\n " }},
		{"subject", func(in *ActivityInput) { in.Subject = "\x1b\x07\r" }},
		{"subject", func(in *ActivityInput) { in.Subject = strings.Repeat("é", MaxSubjectChars+1) }},
		{"type", func(in *ActivityInput) { in.Type = "visit" }},
		{"duration", func(in *ActivityInput) { in.Duration = -30 * time.Minute }},
		{"duration", func(in *ActivityInput) { in.Duration = 90 * time.Second }},
		{"duration", func(in *ActivityInput) { in.Duration = 40 * 24 * time.Hour }},
		{"note", func(in *ActivityInput) { in.Note = strings.Repeat("n", MaxNoteBytes+1) }},
		{"location", func(in *ActivityInput) { in.Location = strings.Repeat("l", MaxLocationChars+1) }},
		{"start", func(in *ActivityInput) { in.Start = time.Time{} }},
		{"start", func(in *ActivityInput) { in.Start = time.Date(20260, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"time_zone", func(in *ActivityInput) { in.TimeZone = "Mars/Olympus" }},
		{"owner", func(in *ActivityInput) { in.OwnerID = "no-such-user" }},
	}
	for _, c := range cases {
		in := ok
		c.edit(&in)
		_, err := CreateActivity(ctx, s.DB, in, fixtureNow)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("want a %s error, got %v", c.field, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.field+": ") {
			t.Errorf("message %q does not start with the field", err)
		}
	}
	if err := func() error {
		_, err := CreateActivity(ctx, s.DB, ActivityInput{Subject: "x", Type: "visit", Start: fixtureNow}, fixtureNow)
		return err
	}(); !strings.Contains(err.Error(), "call, meeting, task, deadline, email, lunch") {
		t.Errorf("type error does not list the types: %v", err)
	}
	if n := countRows(t, s.DB, "activities"); n != 0 {
		t.Fatalf("%d rows written by rejected input", n)
	}

	// A bulk import with one bad row writes nothing at all.
	ins := []ActivityInput{ok, ok, {Subject: "", Start: fixtureNow}, ok}
	_, err := CreateActivities(ctx, s.DB, ins, fixtureNow)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "activities[2].subject" {
		t.Fatalf("bulk: %v", err)
	}
	if n := countRows(t, s.DB, "activities"); n != 0 {
		t.Fatalf("bulk wrote %d rows before failing", n)
	}

	// An edit that breaks a rule changes nothing.
	a, err := CreateActivity(ctx, s.DB, ok, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	empty := ""
	if _, err := UpdateActivity(ctx, s.DB, a.ID, ActivityPatch{Subject: &empty}, fixtureNow); !errors.As(err, &ve) {
		t.Fatalf("empty subject edit: %v", err)
	}
	if got, _ := GetActivity(ctx, s.DB, a.ID); got.Subject != "Call" || got.Rev != 1 {
		t.Fatalf("rejected edit changed the row: %+v", got)
	}
}

func TestActivityHostileTextIsStoredSafely(t *testing.T) {
	ctx := context.Background()
	s, _ := meStore(t)
	bigNote := strings.Repeat("Line of meeting minutes. ", 4200) // ~100 KB
	in := ActivityInput{
		Subject:  "Pay \x1b[2Jnow\x07 \xff\xfe bill\x00",
		Note:     bigNote + "\x1b]52;c;ZXZpbA==\x07",
		Location: "Zürich \xc3",
		Start:    fixtureNow,
	}
	a, err := CreateActivity(ctx, s.DB, in, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	got, err := GetActivity(ctx, s.DB, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Invalid UTF-8 becomes U+FFFD and NUL goes; escapes stay (safetext strips them when drawn).
	if got.Subject != "Pay \x1b[2Jnow\x07 \uFFFD bill" {
		t.Errorf("subject stored as %q", got.Subject)
	}
	if got.Location != "Zürich \uFFFD" {
		t.Errorf("location stored as %q", got.Location)
	}
	if len(got.Note) != len(in.Note) || got.Note != in.Note {
		t.Errorf("100 KB note not stored intact (%d bytes)", len(got.Note))
	}
	p, err := ListActivities(ctx, s.DB, ListFilter{Search: "meeting minutes"}, berlin, fixtureNow, 0, 5)
	if err != nil || p.Shown != 1 {
		t.Fatalf("search in the big note: %+v %v", p, err)
	}
}

func TestAllDayIsMidnightInItsZone(t *testing.T) {
	ctx := context.Background()
	s, _ := meStore(t)
	a, err := CreateActivity(ctx, s.DB, ActivityInput{Subject: "Offsite", AllDay: true, TimeZone: "Asia/Kolkata",
		Start: time.Date(2026, 11, 26, 15, 47, 0, 0, mustLoc("Asia/Kolkata"))}, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 26, 0, 0, 0, 0, mustLoc("Asia/Kolkata"))
	if !a.Start.Equal(want) {
		t.Fatalf("all-day start %s, want %s", a.Start, want)
	}
}

func TestResolveActivityID(t *testing.T) {
	ctx := context.Background()
	s, _ := meStore(t)
	a, _ := CreateActivity(ctx, s.DB, ActivityInput{Subject: "One", Start: fixtureNow}, fixtureNow)
	b, _ := CreateActivity(ctx, s.DB, ActivityInput{Subject: "Two", Start: fixtureNow}, fixtureNow)
	if id, err := ResolveActivityID(ctx, s.DB, strings.ToUpper(a.ID)); err != nil || id != a.ID {
		t.Fatalf("full id: %s %v", id, err)
	}
	common := 0
	for common < len(a.ID) && a.ID[common] == b.ID[common] {
		common++
	}
	if id, err := ResolveActivityID(ctx, s.DB, b.ID[:common+1]); err != nil || id != b.ID {
		t.Fatalf("unique prefix: %s %v", id, err)
	}
	var ve *ValidationError
	if _, err := ResolveActivityID(ctx, s.DB, a.ID[:common]); !errors.As(err, &ve) || !strings.Contains(err.Error(), "more than one") {
		t.Fatalf("ambiguous prefix: %v", err)
	}
	if _, err := ResolveActivityID(ctx, s.DB, "ffff"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown prefix: %v", err)
	}
	if _, err := ResolveActivityID(ctx, s.DB, "x' OR 1=1"); !errors.As(err, &ve) {
		t.Fatalf("not an id: %v", err)
	}
}

func TestUsersExactlyOneMe(t *testing.T) {
	ctx := context.Background()
	s := openListTest(t)
	if _, err := Me(ctx, s.DB); !errors.Is(err, ErrNotFound) {
		t.Fatalf("me before first run: %v", err)
	}
	me, err := EnsureMe(ctx, s.DB, "", fixtureNow)
	if err != nil || me.Name != "Me" || !me.IsMe {
		t.Fatalf("first run: %+v %v", me, err)
	}
	again, err := EnsureMe(ctx, s.DB, "Someone else", fixtureNow)
	if err != nil || again.ID != me.ID || again.Name != "Me" {
		t.Fatalf("second run made another me: %+v %v", again, err)
	}
	var ve *ValidationError
	if _, err := CreateUser(ctx, s.DB, User{Name: "Imposter", IsMe: true}); !errors.As(err, &ve) || ve.Field != "is_me" {
		t.Fatalf("second me: %v", err)
	}
	if _, err := CreateUser(ctx, s.DB, User{Name: " "}); !errors.As(err, &ve) || ve.Field != "name" {
		t.Fatalf("empty name: %v", err)
	}
	if _, err := CreateUser(ctx, s.DB, User{ID: "all", Name: "All"}); !errors.As(err, &ve) || ve.Field != "id" {
		t.Fatalf("reserved id: %v", err)
	}
	bob, err := CreateUser(ctx, s.DB, User{ID: "bob", Name: "Bob", Email: "bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateUser(ctx, s.DB, User{ID: "bob", Name: "Bob 2"}); !errors.As(err, &ve) || ve.Field != "id" {
		t.Fatalf("duplicate id: %v", err)
	}
	us, err := ListUsers(ctx, s.DB)
	if err != nil || len(us) != 2 || us[0].ID != me.ID || us[1].ID != bob.ID || us[1].Email != "bob@example.com" {
		t.Fatalf("list users: %+v %v", us, err)
	}
}

func TestMetaTimeZoneAndListView(t *testing.T) {
	ctx := context.Background()
	s := openListTest(t)
	loc, err := UserLocation(ctx, s.DB)
	if err != nil || loc != time.Local {
		t.Fatalf("default location %v %v", loc, err)
	}
	var ve *ValidationError
	if err := SetUserTimeZone(ctx, s.DB, "Europe/Atlantis"); !errors.As(err, &ve) {
		t.Fatalf("bad zone: %v", err)
	}
	if err := SetUserTimeZone(ctx, s.DB, "Asia/Kolkata"); err != nil {
		t.Fatal(err)
	}
	if loc, err := UserLocation(ctx, s.DB); err != nil || loc.String() != "Asia/Kolkata" {
		t.Fatalf("saved location %v %v", loc, err)
	}
	if v, ok, err := GetMeta(ctx, s.DB, "nothing"); ok || v != "" || err != nil {
		t.Fatalf("missing meta: %q %v %v", v, ok, err)
	}

	f, err := LoadListView(ctx, s.DB)
	if err != nil || f.Owner != "me" || f.Status != "todo" || f.Period != "all" || len(f.Types) != 0 {
		t.Fatalf("default view %+v %v", f, err)
	}
	want := ListFilter{Owner: "all", Types: []ActivityType{"lunch", "call"}, Status: "done", Period: "next-week", Search: "acme"}
	if err := SaveListView(ctx, s.DB, want, fixtureNow); err != nil {
		t.Fatal(err)
	}
	got, err := LoadListView(ctx, s.DB)
	if err != nil || got.Owner != "all" || len(got.Types) != 2 || got.Types[0] != TypeCall || got.Types[1] != TypeLunch ||
		got.Status != "done" || got.Period != "next-week" || got.Search != "acme" {
		t.Fatalf("saved view read back as %+v %v", got, err)
	}
	if err := SaveListView(ctx, s.DB, ListFilter{Period: "someday"}, fixtureNow); !errors.As(err, &ve) || ve.Field != "period" {
		t.Fatalf("bad view saved: %v", err)
	}
}

func TestMigrationsFromEmptyAndOnReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.SchemaVersion(ctx); v != LatestSchemaVersion() || v < 2 {
		t.Fatalf("schema version %d", v)
	}
	a, err := CreateActivity(ctx, s.DB, ActivityInput{OwnerID: ensureTestMe(t, s).ID, Subject: "Survives", Start: fixtureNow}, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got, err := GetActivity(ctx, s.DB, a.ID); err != nil || got.Subject != "Survives" {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if len(s.Tightened) != 0 {
		t.Fatalf("reopen tightened %v", s.Tightened)
	}
}

func ensureTestMe(t *testing.T, s *Store) User {
	me, err := EnsureMe(context.Background(), s.DB, "Ann", fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	return me
}

// TestMigration2BackfillsVersion1Data: a database made by schema v1 with activities in it
// gets search text and week counts for them.
func TestMigration2BackfillsVersion1Data(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, DBFileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := migrationFS.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(v1), "PRAGMA user_version = 1",
		`INSERT INTO users (id, name, is_me, created_at) VALUES ('u1', 'Ann', 1, 0)`,
		`INSERT INTO activities (id, owner_id, type, subject, start_at, created_at, updated_at) VALUES
			('a1', 'u1', 'call', 'Old CALL', ` + itoa(fixtureNow.Unix()) + `, 0, 0),
			('a2', 'u1', 'task', 'Old task', ` + itoa(fixtureNow.Unix()) + `, 0, 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	os.Chmod(path, 0o600)
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := ListActivities(ctx, s.DB, ListFilter{Period: "today", Search: "old call"}, berlin, fixtureNow, 0, 10)
	if err != nil || p.Total != 2 || p.Shown != 1 || p.HiddenBy["search"] != 1 {
		t.Fatalf("after migrating v1 data: %+v %v", p, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestPermissionsTightened(t *testing.T) {
	ctx := context.Background()
	check := func(dir string) {
		t.Helper()
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("dir mode %v %v", fi.Mode().Perm(), err)
		}
		for _, name := range []string{DBFileName, DBFileName + "-wal", DBFileName + "-shm"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				if name == DBFileName {
					t.Fatal(err)
				}
				continue
			}
			if fi.Mode().Perm()&0o077 != 0 {
				t.Fatalf("%s mode %v", name, fi.Mode().Perm())
			}
		}
	}
	fresh := filepath.Join(t.TempDir(), "new", "calsync")
	s, err := Open(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	check(fresh)
	if len(s.Tightened) != 0 {
		t.Fatalf("fresh dir reported as tightened: %v", s.Tightened)
	}
	ensureTestMe(t, s)
	s.Close()

	// Made wide by hand (or by an old version): tightened and reported, once.
	os.Chmod(fresh, 0o755)
	os.Chmod(filepath.Join(fresh, DBFileName), 0o644)
	s, err = Open(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	check(fresh)
	if len(s.Tightened) != 2 {
		t.Fatalf("tightened %v, want the directory and the database", s.Tightened)
	}
	s.Close()
	s, err = Open(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Tightened) != 0 {
		t.Fatalf("reported again: %v", s.Tightened)
	}
}
