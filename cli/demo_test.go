package cli

import (
	"context"
	"encoding/json"
	"github.com/calsync/calsync/demo"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

func TestDemoMakesARealisticSandbox(t *testing.T) {
	c := &actCLI{t: t, dir: filepath.Join(t.TempDir(), "sandbox"), env: map[string]string{"USER": "ann"}}
	out := c.ok("demo", "--no-tui")
	t.Cleanup(func() { demo.StopFakes(c.dir) })
	if !strings.Contains(out, "Made a demo sandbox in "+c.dir+": 3 people, 310 activities (scenario healthy).") ||
		!strings.Contains(out, "calsync --data-dir "+c.dir+" activity list") || !strings.Contains(out, "ann (me)") {
		t.Fatalf("demo said:\n%s", out)
	}
	var lj listOutput
	if err := json.Unmarshal([]byte(c.ok("activity", "list", "--owner", "all", "--status", "all", "--limit", "1000", "--json")), &lj); err != nil {
		t.Fatal(err)
	}
	// 300 made in the CRM, 10 imported from the three calendars.
	if lj.Total != 310 || len(lj.Rows) != 310 {
		t.Fatalf("total %d rows %d", lj.Total, len(lj.Rows))
	}
	types, owners := map[string]int{}, map[string]int{}
	var done, allDay, past, future, accented, withNote, withLocation int
	for _, r := range lj.Rows {
		types[r.Type]++
		owners[r.OwnerName]++
		if r.Done {
			done++
		}
		if r.AllDay {
			allDay++
		}
		if r.Start.Before(actNow) {
			past++
		} else {
			future++
		}
		if strings.ContainsFunc(r.Subject, func(r rune) bool { return r > 127 && r != '—' }) {
			accented++
		}
		if r.Note != "" {
			withNote++
		}
		if r.Location != "" {
			withLocation++
		}
	}
	if len(types) != 6 || len(owners) != 3 || owners["ann"] < 100 || owners["Sofía Hernández"] < 30 || owners["Jürgen Weiß"] < 30 {
		t.Errorf("types %v owners %v", types, owners)
	}
	for _, n := range []struct {
		name     string
		got, min int
	}{{"done", done, 60}, {"all-day", allDay, 5}, {"past", past, 80}, {"future", future, 80},
		{"accented", accented, 30}, {"notes", withNote, 50}, {"locations", withLocation, 30}} {
		if n.got < n.min {
			t.Errorf("%s: %d, want at least %d", n.name, n.got, n.min)
		}
	}
	if done > past {
		t.Errorf("%d done but only %d past", done, past)
	}
	// Each period filter has something to show for me.
	for _, p := range []string{"overdue", "today", "this-week", "next-week"} {
		var pj listOutput
		if err := json.Unmarshal([]byte(c.ok("activity", "list", "--period", p, "--json")), &pj); err != nil {
			t.Fatal(err)
		}
		if pj.Shown == 0 {
			t.Errorf("period %s shows nothing in the demo", p)
		}
	}

	// Running it again reuses the sandbox instead of doubling it.
	out = c.ok("demo", "--no-tui")
	if !strings.Contains(out, "Reusing the demo sandbox") || !strings.Contains(out, "3 people, 310 activities") {
		t.Errorf("second demo said:\n%s", out)
	}
}

func TestDemoIsDeterministic(t *testing.T) {
	owners := []string{"me", "u2", "u3"}
	a := demo.Activities(7, 300, actNow, actBerlin, owners)
	b := demo.Activities(7, 300, actNow, actBerlin, owners)
	other := demo.Activities(8, 300, actNow, actBerlin, owners)
	same, differs := true, false
	for i := range a {
		if a[i] != b[i] {
			same = false
		}
		if a[i] != other[i] {
			differs = true
		}
	}
	if !same || !differs {
		t.Fatalf("same seed same data: %v; other seed other data: %v", same, differs)
	}
	// Every generated activity passes the store's validation.
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sum, err := demo.Seed(ctx, st, 7, 300, actNow, actBerlin)
	if err != nil || sum.Activities != 300 || len(sum.Users) != 3 {
		t.Fatalf("seed: %+v %v", sum, err)
	}
}

func TestDemoRefusesRealDataAndUsesATempDirByDefault(t *testing.T) {
	c := newActCLI(t)
	c.add("--subject", "My real work")
	out, errs, code := c.run("demo", "--no-tui")
	if code != 1 || !strings.Contains(errs, "not a demo sandbox") || out != "" {
		t.Fatalf("demo over real data: %d %q %q", code, out, errs)
	}
	if list := c.ok("activity", "list", "--owner", "all"); !strings.Contains(list, "Showing 1 of 1") {
		t.Fatalf("real data changed:\n%s", list)
	}

	// No --data-dir: a new temporary directory, never the default data directory.
	home := t.TempDir()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var stdout, stderr strings.Builder
	env := &Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string {
		return map[string]string{"HOME": home, "TMPDIR": tmp}[k]
	}, Now: func() time.Time { return actNow }}
	if code := run(context.Background(), env, []string{"demo", "--no-tui"}); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "calsync")); !os.IsNotExist(err) {
		t.Errorf("demo touched the default data directory: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(tmp, "calsync-demo-*", store.DBFileName))
	for _, m := range matches {
		demo.StopFakes(filepath.Dir(m))
	}
	if len(matches) != 1 || !strings.Contains(stdout.String(), filepath.Dir(matches[0])) {
		t.Errorf("sandbox %v not announced in:\n%s", matches, stdout.String())
	}
}

func TestDemoUsageErrors(t *testing.T) {
	c := newActCLI(t)
	for _, args := range [][]string{{"demo", "--scenarioo"}, {"demo", "extra"}, {"demo", "--seed", "x"}} {
		if _, errs, code := c.run(args...); code != 2 || !strings.Contains(errs, "usage: calsync demo") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
}
