package store

import (
	"context"
	"testing"
	"time"
)

// With three calendars syncing, an activity synced in one and missing from the others is
// "1/3 synced" with each account's state, never just "synced"; one whose type an account
// does not sync does not count that account; an imported activity belongs only in the
// calendar it came from.
func TestActivityRowSaysItsStatePerAccount(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	me := mustMe(t, s)
	var ids []string
	for i, name := range []string{"Work", "Outlook", "Personal"} {
		a, err := CreateAccount(ctx, s.DB, Account{Kind: "google", Name: name, CreatedAt: t0.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		set := DefaultSyncSettings(a.ID)
		set.CalendarID, set.Enabled = "cal-"+name, true
		if name == "Personal" {
			set.Types = []ActivityType{TypeMeeting} // calls do not go there
		}
		if err := PutSyncSettings(ctx, s.DB, set); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	call, err := CreateActivity(ctx, s.DB, ActivityInput{OwnerID: me, Type: TypeMeeting, Subject: "Board", Start: t0.Add(time.Hour)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InsertLink(ctx, s.DB, Link{ActivityID: call.ID, AccountID: ids[0], CalendarID: "cal-Work", RemoteID: "r1",
		State: LinkSynced, SyncedRev: call.Rev}); err != nil {
		t.Fatal(err)
	}
	r, err := GetActivityRow(ctx, s.DB, call.ID)
	if err != nil {
		t.Fatal(err)
	}
	if synced, of := r.SyncedIn(); synced != 1 || of != 3 || r.SyncState != SyncSynced {
		t.Fatalf("meeting: %d/%d (state %s) %+v", synced, of, r.SyncState, r.Accounts)
	}
	if r.Accounts[0].State != SyncSynced || r.Accounts[1].State != SyncNone || r.Accounts[2].AccountName != "Personal" {
		t.Fatalf("per account: %+v", r.Accounts)
	}

	phone, _ := CreateActivity(ctx, s.DB, ActivityInput{OwnerID: me, Type: TypeCall, Subject: "Call", Start: t0.Add(time.Hour)}, t0)
	if r, _ := GetActivityRow(ctx, s.DB, phone.ID); len(r.Accounts) != 2 {
		t.Fatalf("a call belongs in Work and Outlook only: %+v", r.Accounts)
	}
	bobs, _ := CreateActivity(ctx, s.DB, ActivityInput{OwnerID: "u-bob", Type: TypeCall, Subject: "Bob's", Start: t0.Add(time.Hour)}, t0)
	if r, _ := GetActivityRow(ctx, s.DB, bobs.ID); len(r.Accounts) != 0 {
		t.Fatalf("someone else's activity belongs in no calendar: %+v", r.Accounts)
	}
	imp, _ := CreateActivity(ctx, s.DB, ActivityInput{OwnerID: me, Type: TypeMeeting, Subject: "Dentist", Start: t0.Add(time.Hour), Origin: ids[1]}, t0)
	if r, _ := GetActivityRow(ctx, s.DB, imp.ID); len(r.Accounts) != 1 || r.Accounts[0].AccountID != ids[1] {
		t.Fatalf("an imported activity belongs in its own calendar only: %+v", r.Accounts)
	}
}
