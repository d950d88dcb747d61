package doctor

import (
	"reflect"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/store"
)

// Every undoable settings fix puts the account's settings back exactly as they were, and
// records both steps in the journal.
func TestEverySettingsFixUndoesExactly(t *testing.T) {
	now := time.Now().UTC()
	cases := []struct {
		fix   string
		setup func(w *world) Finding
	}{
		{"enable-sync", func(w *world) Finding {
			w.settings(w.acct.ID, func(s *store.SyncSettings) { s.Enabled = false })
			return w.finding(w.run(NotShowing), "sync-enabled", w.acct.ID)
		}},
		{"add-type", func(w *world) Finding {
			w.settings(w.acct.ID, func(s *store.SyncSettings) { s.Types = []store.ActivityType{store.TypeCall} })
			w.target(w.activity("Board meeting", store.TypeMeeting, w.me.ID, now.Add(time.Hour), now).ID)
			return w.finding(w.run(NotShowing), "types", w.acct.ID)
		}},
		{"backfill", func(w *world) Finding {
			w.target(w.activity("Old one", store.TypeCall, w.me.ID, now.Add(time.Hour), now.Add(-72*time.Hour)).ID)
			return w.finding(w.run(NotShowing), "before-activation", w.acct.ID)
		}},
		{"use-writable-calendar", func(w *world) Finding {
			w.fake.AddCalendar(googlefake.Calendar{ID: "ro@group.calendar.google.com", Summary: "RO", TimeZone: "UTC", AccessRole: "reader"})
			w.settings(w.acct.ID, func(s *store.SyncSettings) { s.CalendarID = "ro@group.calendar.google.com" })
			return w.finding(w.run(OneWay), "calendar", w.acct.ID)
		}},
		{"two-way", func(w *world) Finding {
			w.settings(w.acct.ID, func(s *store.SyncSettings) { s.Direction = store.DirFromCalendar })
			w.target(w.activity("Mine", store.TypeCall, w.me.ID, now.Add(time.Hour), now).ID)
			return w.finding(w.run(NotShowing), "direction", w.acct.ID)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.fix, func(t *testing.T) {
			w := newWorld(t)
			f := tc.setup(w)
			before, _ := store.GetSyncSettings(w.ctx, w.st.DB, w.acct.ID)
			var fx *Fix
			for _, x := range f.Fixes {
				if x.ID == tc.fix {
					fx = x
				}
			}
			if f.Status != Fail || fx == nil || !fx.Undoable {
				t.Fatalf("want a failing finding with an undoable %s fix, got %s %q %+v", tc.fix, f.Status, f.Summary, f.Fixes)
			}
			a, err := fx.Apply(w.ctx, w.env, "")
			if err != nil {
				t.Fatal(err)
			}
			changed, _ := store.GetSyncSettings(w.ctx, w.st.DB, w.acct.ID)
			if same(before, changed) {
				t.Fatal("the fix changed nothing")
			}
			if _, err := Undo(w.ctx, w.env, a.JournalID); err != nil {
				t.Fatal(err)
			}
			after, _ := store.GetSyncSettings(w.ctx, w.st.DB, w.acct.ID)
			if !same(before, after) {
				t.Fatalf("undo left\n%+v\nwant\n%+v", after, before)
			}
			undone, _ := store.QueryJournal(w.ctx, w.st.DB, store.JournalQuery{Op: store.OpUndone, Limit: 5})
			if len(undone) != 1 || undone[0].AccountID != w.acct.ID {
				t.Fatalf("journal: %+v", undone)
			}
		})
	}
}

func same(a, b store.SyncSettings) bool {
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	norm := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		u := p.UTC().Truncate(time.Second)
		return &u
	}
	a.ActivatedAt, b.ActivatedAt = norm(a.ActivatedAt), norm(b.ActivatedAt)
	a.BackfillFrom, b.BackfillFrom = norm(a.BackfillFrom), norm(b.BackfillFrom)
	return reflect.DeepEqual(a, b)
}
