package activities

import (
	"testing"

	"github.com/calsync/calsync/store"
)

// The Sync column speaks per account when the activity belongs in several calendars.
func TestSyncColumnCountsCalendars(t *testing.T) {
	acc := func(states ...string) []store.AccountSync {
		var out []store.AccountSync
		for _, s := range states {
			out = append(out, store.AccountSync{AccountID: "a" + s, State: s})
		}
		return out
	}
	for _, tc := range []struct {
		row         store.ActivityRow
		label, mood string
	}{
		{store.ActivityRow{SyncState: store.SyncSynced, Accounts: acc(store.SyncSynced)}, "synced", store.SyncSynced},
		{store.ActivityRow{SyncState: store.SyncSynced, Accounts: acc(store.SyncSynced, store.SyncNone, store.SyncNone)}, "1/3 synced", store.SyncPending},
		{store.ActivityRow{SyncState: store.SyncSynced, Accounts: acc(store.SyncSynced, store.SyncSynced)}, "2/2 synced", store.SyncSynced},
		{store.ActivityRow{SyncState: store.SyncSynced, Accounts: acc(store.SyncSynced, store.SyncError, store.SyncNone)}, "error 1/3", store.SyncError},
		{store.ActivityRow{Accounts: acc(store.SyncNone, store.SyncNone)}, "not synced", store.SyncNone},
	} {
		if label, mood := rowSync(tc.row); label != tc.label || mood != tc.mood {
			t.Errorf("%+v: %q (%s), want %q (%s)", tc.row.Accounts, label, mood, tc.label, tc.mood)
		}
	}
}
