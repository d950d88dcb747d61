package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// An activity that is one occurrence of a recurring series on a read-only calendar
// (issue 14): deleting it in the app is refused with the reason and changes nothing,
// instead of a deletion that fails every later sync.
func TestDeleteOfAReadOnlyOccurrenceIsRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.add(t, f.me.ID, store.TypeMeeting, "Standup", testNow.Add(time.Hour))
	acct, err := store.CreateAccount(ctx, f.st.DB, store.Account{Kind: "caldav", Name: "Team", Login: "ana", CreatedAt: testNow})
	if err != nil {
		t.Fatal(err)
	}
	set := store.DefaultSyncSettings(acct.ID)
	set.CalendarID, set.Direction, set.Enabled = "/cal/team/", store.DirTwoWay, true
	if err := store.PutSyncSettings(ctx, f.st.DB, set); err != nil {
		t.Fatal(err)
	}
	if err := store.ReplaceCalendars(ctx, f.st.DB, acct.ID, []store.Calendar{{RemoteID: "/cal/team/", Name: "Team", ReadOnly: true, HasEvents: true}}, testNow); err != nil {
		t.Fatal(err)
	}
	rid := "/cal/team/s.ics#20261126T090000Z"
	if _, err := store.InsertLink(ctx, f.st.DB, store.Link{ActivityID: a.ID, AccountID: acct.ID, CalendarID: "/cal/team/", RemoteID: rid,
		State: store.LinkSynced, SyncedRev: a.Rev, CreatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	if err := store.PutOccurrence(ctx, f.st.DB, store.Occurrence{AccountID: acct.ID, CalendarID: "/cal/team/", RemoteID: rid, SeriesID: "/cal/team/s.ics"}); err != nil {
		t.Fatal(err)
	}
	m, out := open(t, f, 100, 30)
	out.press(t, m, "d", "y")
	if got, _ := store.GetActivity(ctx, f.st.DB, a.ID); got.DeletedAt != nil {
		t.Fatal("a read-only occurrence was deleted")
	}
	if s := out.lastStatus(); !strings.Contains(s, "cannot be deleted here") || !strings.Contains(s, "read-only") {
		t.Fatalf("status %q does not say why", s)
	}
}
