package doctor

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// benchStore holds n activities and one account with sync on; every 50th activity has a
// copy that sync imported from the calendar after calsync lost its link (identical in
// every field, the original has no link there): 1 in 50 is a duplicate with evidence.
func benchStore(b *testing.B, n int) *store.Store {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	me, _ := store.EnsureMe(ctx, st.DB, "Ana", now)
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "ana@example.com", AuthKind: "oauth",
		State: store.AccountConnected, GrantedScopes: []string{"https://www.googleapis.com/auth/calendar"}, CreatedAt: now})
	if err != nil {
		b.Fatal(err)
	}
	store.ReplaceCalendars(ctx, st.DB, a.ID, []store.Calendar{{AccountID: a.ID, RemoteID: "cal", Name: "Ana", HasEvents: true}}, now)
	s := store.DefaultSyncSettings(a.ID)
	s.CalendarID, s.Enabled = "cal", true
	act := now.Add(-time.Hour)
	s.ActivatedAt = &act
	store.PutSyncSettings(ctx, st.DB, s)
	var ins []store.ActivityInput
	for i := 0; i < n; i++ {
		subj := fmt.Sprintf("Activity %d", i)
		if i%50 == 1 {
			subj = fmt.Sprintf("Activity %d", i-1)
		}
		start := now.Add(time.Duration(i%300) * 24 * time.Hour).Truncate(24 * time.Hour)
		if i%50 == 1 {
			start = now.Add(time.Duration((i-1)%300) * 24 * time.Hour).Truncate(24 * time.Hour)
		}
		in := store.ActivityInput{OwnerID: me.ID, Type: store.AllTypes[i%len(store.AllTypes)], Subject: subj, Start: start}
		if i%50 == 1 {
			in = ins[i-1]
			in.Origin = a.ID
		}
		ins = append(ins, in)
	}
	acts, err := store.CreateActivities(ctx, st.DB, ins, now.Add(-2*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	err = st.Tx(ctx, func(h store.Handler) error {
		for i := 1; i < len(acts); i += 50 {
			l := store.Link{ActivityID: acts[i].ID, AccountID: a.ID, CalendarID: "cal", RemoteID: fmt.Sprintf("ev-%d", i), State: store.LinkSynced, CreatedAt: now}
			if _, err := store.InsertLink(ctx, h, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkDoctorAllOffline: `calsync doctor --offline` over 10,000 activities.
func BenchmarkDoctorAllOffline(b *testing.B) {
	st := benchStore(b, 10000)
	e := &Env{Store: st, Offline: true}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Run(context.Background(), e, All)
		if err != nil || r.Counts.Fail == 0 {
			b.Fatalf("%v %+v", err, r.Counts)
		}
	}
}

func BenchmarkFindDuplicates10k(b *testing.B) {
	st := benchStore(b, 10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g, err := FindDuplicates(context.Background(), st)
		if err != nil || len(g) != 200 {
			b.Fatalf("%v %d groups", err, len(g))
		}
	}
}

func BenchmarkBundle10k(b *testing.B) {
	st := benchStore(b, 10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteBundle(context.Background(), st, io.Discard, BundleOptions{Now: time.Now(), Version: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}
