package cli

import (
	"bytes"
	"context"
	"fmt"
	"github.com/calsync/calsync/demo"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/store"
)

// demoDupClock is the fixed "now" of the duplicates sandboxes: 2026-12-04, the day the
// healthy demo failed "Team lunch: 2 copies" for seeds 1, 3, 5, 7 and 8 (issue 12).
var demoDupClock = time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)

// buildDupSandbox builds a full-size sandbox (the demo's 300 activities, first sync
// included) for one scenario and seed on the fixed clock.
func buildDupSandbox(t *testing.T, scenario string, seed int64) (*demo.Sandbox, *Env) {
	t.Helper()
	sc, err := demo.ScenarioByName(scenario)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "sandbox")
	t.Cleanup(func() { demo.StopFakes(dir) })
	var out bytes.Buffer
	env := &Env{DataDir: dir, Stdout: &out, Stderr: &out, Now: func() time.Time { return demoDupClock },
		Getenv: func(k string) string { return map[string]string{"USER": "ann"}[k] }}
	ctx := context.Background()
	st, err := openStore(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := demo.Build(ctx, env, st, sc, seed, demoActivityCount, true)
	if err != nil {
		t.Fatalf("build %s seed %d: %v", scenario, seed, err)
	}
	return b, env
}

// duplicatesFinding runs the duplicates check offline, as `calsync doctor --symptom
// duplicates --offline` does.
func duplicatesFinding(t *testing.T, b *demo.Sandbox, env *Env) (doctor.Finding, *doctor.Env) {
	t.Helper()
	e := newDoctorEnv(b.St, env)
	e.Offline = true
	r, err := doctor.Run(b.Ctx, e, doctor.Duplicates)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.CheckID == "duplicates" {
			return f, e
		}
	}
	t.Fatalf("no duplicates finding in %+v", r.Findings)
	return doctor.Finding{}, nil
}

// lookAlikes counts live activities sharing subject, start and owner with another: what
// the old rule merged. The test is only meaningful while some seed has them.
func lookAlikes(t *testing.T, st *store.Store) (n int, subjects []string) {
	t.Helper()
	rows, err := st.DB.Query(`SELECT lower(trim(subject)), COUNT(*) FROM activities WHERE deleted_at IS NULL
		GROUP BY lower(trim(subject)), start_at, owner_id HAVING COUNT(*) > 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var c int
		if err := rows.Scan(&s, &c); err != nil {
			t.Fatal(err)
		}
		n += c
		subjects = append(subjects, s)
	}
	return n, subjects
}

func TestDemoHealthyHasNoDuplicatesForEverySeed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ten full sandboxes")
	}
	var withLookAlikes atomic.Int32
	t.Run("seeds", func(t *testing.T) {
		for seed := int64(0); seed <= 9; seed++ {
			seed := seed
			t.Run(fmt.Sprint(seed), func(t *testing.T) {
				t.Parallel()
				b, env := buildDupSandbox(t, "healthy", seed)
				if n, subjects := lookAlikes(t, b.St); n > 0 {
					withLookAlikes.Add(1)
					t.Logf("seed %d: %d activities share subject, start and owner with another (%s)", seed, n, strings.Join(subjects, ", "))
				}
				f, _ := duplicatesFinding(t, b, env)
				if f.Status != doctor.Pass || len(f.Fixes) > 0 {
					t.Fatalf("healthy sandbox, seed %d: duplicates %s: %s\n%+v", seed, f.Status, f.Summary, f.Evidence)
				}
			})
		}
	})
	if withLookAlikes.Load() == 0 && !t.Failed() {
		t.Fatal("no seed has look-alike activities any more: this test no longer covers two real lunches at the same time")
	}
}

// The duplicates scenarios, built on a seed whose healthy sandbox has two real "Team
// lunch" activities at one time: the copies are found, the merge lists exactly them and
// quarantines nothing else, and it can be undone.
func TestDemoDuplicatesScenariosMergeOnlyTheCopies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds full sandboxes")
	}
	for _, tc := range []struct {
		scenario string
		cause    string
		subjects []string // what the merge must quarantine, one copy each
	}{
		{"duplicates-two-accounts", "two accounts", []string{"Car service", "Coffee with Priya Raman", "Dentist", "Yoga class"}},
		{"duplicates-lost-links", "lost its links", []string{"Call Marta Kowalska about pricing", "Kickoff: Kyōto Ceramics onboarding", "Pipeline review with Acme Corp"}},
	} {
		tc := tc
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			b, env := buildDupSandbox(t, tc.scenario, 1)
			if n, _ := lookAlikes(t, b.St); n == 0 {
				t.Fatal("seed 1 no longer has look-alikes on the fixed clock; pick a seed that does")
			}
			before := liveIDs(t, b.St)
			f, e := duplicatesFinding(t, b, env)
			if f.Status != doctor.Fail || !strings.Contains(f.Summary, tc.cause) {
				t.Fatalf("duplicates: %s %s\n%+v", f.Status, f.Summary, f.Evidence)
			}
			var merge *doctor.Fix
			for _, fx := range f.Fixes {
				if fx.ID == "merge" {
					merge = fx
				}
			}
			if merge == nil {
				t.Fatalf("no merge fix: %+v", f.Fixes)
			}
			var shown []string
			for _, row := range merge.Rows {
				a, err := store.GetActivity(b.Ctx, b.St.DB, row.ID)
				if err != nil {
					t.Fatal(err)
				}
				shown = append(shown, a.Subject)
				if a.Origin == "local" {
					t.Errorf("the merge would quarantine an activity entered in the CRM: %q", a.Subject)
				}
			}
			sort.Strings(shown)
			if strings.Join(shown, "|") != strings.Join(tc.subjects, "|") {
				t.Fatalf("merge rows %q, want %q", shown, tc.subjects)
			}
			// `calsync doctor` shows every row under the merge before anything is applied.
			var out bytes.Buffer
			cli := &Env{Stdout: &out, Stderr: &out, Now: env.Now, Getenv: env.Getenv}
			run(b.Ctx, cli, []string{"--data-dir", env.DataDir, "doctor", "--symptom", "duplicates", "--offline"})
			text := out.String()
			at := strings.Index(text, "fix merge:")
			for _, row := range merge.Rows {
				if i := strings.Index(text, row.Text); at < 0 || i < at {
					t.Fatalf("the report does not list %q under the merge:\n%s", row.Text, text)
				}
			}
			applied, err := merge.Apply(b.Ctx, e, "")
			if err != nil {
				t.Fatal(err)
			}
			after := liveIDs(t, b.St)
			var gone []string
			for id := range before {
				if !after[id] {
					gone = append(gone, id)
				}
			}
			var rows []string
			for _, row := range merge.Rows {
				rows = append(rows, row.ID)
			}
			sort.Strings(gone)
			sort.Strings(rows)
			if strings.Join(gone, ",") != strings.Join(rows, ",") {
				t.Fatalf("quarantined %v, but the merge showed %v", gone, rows)
			}
			if n, _ := lookAlikes(t, b.St); n == 0 {
				t.Fatal("the merge removed the look-alike Team lunches")
			}
			if g, err := doctor.FindDuplicates(b.Ctx, b.St); err != nil || len(g) != 0 {
				t.Fatalf("after the merge: %v %+v", err, g)
			}
			if _, err := doctor.Undo(b.Ctx, e, applied.JournalID); err != nil {
				t.Fatal(err)
			}
			if n := len(liveIDs(t, b.St)); n != len(before) {
				t.Fatalf("after undo %d live activities, want %d", n, len(before))
			}
		})
	}
}

func liveIDs(t *testing.T, st *store.Store) map[string]bool {
	t.Helper()
	rows, err := st.DB.Query(`SELECT id FROM activities WHERE deleted_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	return out
}
