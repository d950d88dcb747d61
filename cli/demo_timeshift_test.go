package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// activityStarts is every live activity's start (UTC unix seconds), by id.
func activityStarts(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	rows, err := st.DB.QueryContext(context.Background(), `SELECT id, start_at FROM activities WHERE deleted_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		out[id] = at
	}
	return out
}

// Issue 14: in timezone-shift every synced event moved an hour in the calendar. Syncing
// must move no activity until the person confirms; the doctor's wrong-time symptom
// explains the held moves, and `doctor --fix --yes` does not confirm them unattended.
func TestTimeZoneShiftScenarioMovesNothingUntilConfirmed(t *testing.T) {
	t.Parallel()
	c, b := buildScenario(t, "timezone-shift")
	st := c.store()
	before := activityStarts(t, st)
	unchanged := func(when string) {
		t.Helper()
		now := activityStarts(t, st)
		for id, at := range before {
			if now[id] != at {
				t.Fatalf("%s: activity %s moved from %d to %d", when, id, at, now[id])
			}
		}
	}

	out, errs, code := c.run("sync")
	if code != exitFailure || !strings.Contains(out, "nothing moved") || !strings.Contains(out, "--confirm-time-shift") ||
		!strings.Contains(out, "1 hour later") {
		t.Fatalf("sync: exit %d\n%s%s", code, out, errs)
	}
	unchanged("after a sync")
	if out, _, _ := c.run("sync"); !strings.Contains(out, "held ") {
		t.Fatalf("the next sync did not ask again:\n%s", out)
	}
	unchanged("after a second sync")

	r, code := c.doctor("--symptom", "wrong-time")
	if ok, s := r.failing("time-zones", b.Google.ID); !ok || code != exitFailure || !strings.Contains(s, "sync held these moves back") {
		t.Fatalf("time-zones: exit %d, %s", code, s)
	}
	out, errs, _ = c.run("doctor", "--symptom", "wrong-time", "--fix", "--yes")
	if !strings.Contains(out, "skipped accept the calendar's times") || !strings.Contains(out, "only you can decide this") {
		t.Fatalf("doctor --fix --yes did not leave the decision to the person:\n%s%s", out, errs)
	}
	unchanged("after doctor --fix --yes")

	out, errs, code = c.run("sync", "--account", b.Google.ID, "--confirm-time-shift")
	if code != exitOK {
		t.Fatalf("confirmed sync: exit %d\n%s%s", code, out, errs)
	}
	now := activityStarts(t, st)
	if got, want := now[b.Target.ID], before[b.Target.ID]+int64(time.Hour/time.Second); got != want {
		t.Fatalf("the target activity starts at %d after confirming, want %d", got, want)
	}
	if out, _, code := c.run("sync"); code != exitOK || strings.Contains(out, "held ") {
		t.Fatalf("after confirming, a sync still holds moves: exit %d\n%s", code, out)
	}
}
