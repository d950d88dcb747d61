package accountsetup

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/caldav/caldavfake"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

func TestPreviewSentenceNamesEventsLeftBehind(t *testing.T) {
	p := Preview{Next: true, Skipped: map[string]int{"type-not-synced": 2}, LeftBehind: 2, LeftBehindTypes: "meeting"}
	want := "the next sync will skip 2 of types that are not synced; 2 events calsync made for types no longer synced (meeting) will stay in the calendar, no longer updated (`calsync doctor` offers to remove them)"
	if got := p.Sentence(); got != want {
		t.Fatalf("Sentence() = %q\nwant          %q", got, want)
	}
}

// Unticking a type in the settings: the preview says how many events calsync made for it
// stay behind in the calendar (the dry run alone would say nothing about them), and the
// preview itself changes nothing.
func TestPreviewCountsEventsLeftBehindByUntickedTypes(t *testing.T) {
	ctx := context.Background()
	fake := caldavfake.New(caldavfake.Options{})
	fake.AddCalendar("work", "Work")
	hs := httptest.NewServer(fake.Handler())
	defer hs.Close()
	_, app := fake.Passwords()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if _, err := store.EnsureMe(ctx, st.DB, "Pat", now.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	m := NewManager(st, nil, time.Now)
	c, _ := ChoiceByID("caldav")
	conn, err := m.Connect(ctx, Draft{Choice: c, ServerURL: hs.URL, Username: fake.User(), Password: app}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Save(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	s := store.DefaultSyncSettings(a.ID)
	s.CalendarID, s.Enabled = conn.Calendars[0].ID, true
	act := now.Add(-time.Hour)
	s.ActivatedAt = &act
	if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
		t.Fatal(err)
	}
	for i, typ := range []store.ActivityType{store.TypeMeeting, store.TypeMeeting, store.TypeCall} {
		if _, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: typ, Subject: "Item", Start: now.Add(time.Duration(i+24) * time.Hour), Duration: time.Hour}, now); err != nil {
			t.Fatal(err)
		}
	}
	eng := sync.New(st)
	eng.Open = sync.DefaultOpener(st, func(string) string { return "" })
	if sum, err := eng.Run(ctx, a.ID, sync.RunOptions{}); err != nil || sum.Created != 3 {
		t.Fatalf("sync: %v %+v", err, sum)
	}
	s, _ = store.GetSyncSettings(ctx, st.DB, a.ID)
	s.Types = []store.ActivityType{store.TypeCall}
	p, err := m.Preview(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if p.LeftBehind != 2 || p.LeftBehindTypes != "meeting" || !strings.Contains(p.Sentence(), "2 events calsync made for types no longer synced (meeting) will stay in the calendar") {
		t.Fatalf("preview %+v: %q", p, p.Sentence())
	}
	// Ticking every type again: nothing stays behind.
	s.Types = append([]store.ActivityType(nil), store.AllTypes...)
	if p, err := m.Preview(ctx, s); err != nil || p.LeftBehind != 0 {
		t.Fatalf("all types: %v %+v", err, p)
	}
}
