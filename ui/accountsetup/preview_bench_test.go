package accountsetup

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/caldav/caldavfake"
	"github.com/calsync/calsync/store"
)

// BenchmarkPreview10kActivities measures the settings screen's dry run (snapshot of the
// database + engine dry run against the CalDAV fake) with 10,000 activities on record.
func BenchmarkPreview10kActivities(b *testing.B) {
	ctx := context.Background()
	fake := caldavfake.New(caldavfake.Options{})
	fake.AddCalendar("work", "Work")
	hs := httptest.NewServer(fake.Handler())
	defer hs.Close()
	_, app := fake.Passwords()
	st, err := store.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if _, err := store.EnsureMe(ctx, st.DB, "Pat", now.Add(-48*time.Hour)); err != nil {
		b.Fatal(err)
	}
	ins := make([]store.ActivityInput, 10000)
	for i := range ins {
		ins[i] = store.ActivityInput{Type: store.TypeMeeting, Subject: "Meeting", Start: now.Add(time.Duration(i-5000) * time.Hour), Duration: time.Hour}
	}
	if _, err := store.CreateActivities(ctx, st.DB, ins, now.Add(-24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	m := NewManager(st, nil, time.Now)
	c, _ := ChoiceByID("caldav")
	conn, err := m.Connect(ctx, Draft{Choice: c, ServerURL: hs.URL, Username: fake.User(), Password: app}, nil)
	if err != nil {
		b.Fatal(err)
	}
	a, err := m.Save(ctx, conn)
	if err != nil {
		b.Fatal(err)
	}
	s := store.DefaultSyncSettings(a.ID)
	s.CalendarID, s.Enabled = conn.Calendars[0].ID, true
	b.ResetTimer()
	for range b.N {
		p, err := m.Preview(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		if p.Skipped["before-activation"] == 0 {
			b.Fatalf("preview counted nothing: %+v", p)
		}
	}
}
