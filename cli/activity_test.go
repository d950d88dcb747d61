package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

var actBerlin, _ = time.LoadLocation("Europe/Berlin")

// actNow is Wednesday 25 November 2026, 10:00 in Berlin.
var actNow = time.Date(2026, 11, 25, 10, 0, 0, 0, actBerlin)

type actCLI struct {
	t   *testing.T
	dir string
	env map[string]string
}

func newActCLI(t *testing.T) *actCLI {
	t.Helper()
	c := &actCLI{t: t, dir: filepath.Join(t.TempDir(), "data"), env: map[string]string{"USER": "ann"}}
	st, err := store.Open(context.Background(), c.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := store.SetUserTimeZone(context.Background(), st.DB, "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *actCLI) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return c.env[k] },
		Now: func() time.Time { return actNow }}
	code = run(context.Background(), env, append([]string{"--data-dir", c.dir}, args...))
	return out.String(), errb.String(), code
}

func (c *actCLI) ok(args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
	}
	return out
}

func (c *actCLI) store() *store.Store {
	c.t.Helper()
	st, err := store.Open(context.Background(), c.dir)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

// squash collapses runs of spaces, so checks do not depend on column widths.
func squash(s string) string { return regexp.MustCompile(` +`).ReplaceAllString(s, " ") }

var idLine = regexp.MustCompile(`(?m)^id ([0-9a-f-]{36})$`)

func (c *actCLI) add(args ...string) string {
	c.t.Helper()
	out := c.ok(append([]string{"activity", "add"}, args...)...)
	m := idLine.FindStringSubmatch(out)
	if m == nil {
		c.t.Fatalf("no id in %q", out)
	}
	return m[1]
}

func TestActivityCLIFlow(t *testing.T) {
	c := newActCLI(t)
	out := c.ok("activity", "add", "--subject", "Call Acme about renewal", "--type", "call",
		"--start", "tomorrow 9:30", "--duration", "30m", "--location", "Phone")
	if !strings.Contains(out, `Added call "Call Acme about renewal" — Thu 26 Nov 09:30, ann`) {
		t.Fatalf("add said %q", out)
	}
	id := idLine.FindStringSubmatch(out)[1]
	c.add("--subject", "Offsite", "--type", "meeting", "--start", "2026-12-03")
	c.add("--subject", "Write proposal") // default: task at the next full hour (11:00)

	list := c.ok("activity", "list")
	for _, want := range []string{
		"ID        TYPE      SUBJECT",
		id[len(id)-8:] + "  call      Call Acme about renewal",
		"ann             Thu 26 Nov 09:30        30m",
		"Offsite", "Thu 03 Dec all day",
		"task      Write proposal", "Wed 25 Nov 11:00",
		"Showing 3 of 3\n",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	// Ordered by start.
	if strings.Index(list, "Write proposal") > strings.Index(list, "Call Acme") || strings.Index(list, "Call Acme") > strings.Index(list, "Offsite") {
		t.Errorf("list not in start order:\n%s", list)
	}

	show := squash(c.ok("activity", "show", id[len(id)-6:]))
	for _, want := range []string{"id " + id, "subject Call Acme about renewal", "due Thu 26 Nov 09:30 (Europe/Berlin)",
		"duration 30m", "status to do", "location Phone", "sync not linked", "revision 1"} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}

	if out := c.ok("activity", "done", id[:20]); !strings.HasPrefix(out, "Marked done call") {
		t.Errorf("done said %q", out)
	}
	if out := c.ok("activity", "done", id); !strings.HasPrefix(out, "Already done") {
		t.Errorf("second done said %q", out)
	}
	list = c.ok("activity", "list")
	if strings.Contains(list, "Call Acme") || !strings.Contains(list, "Showing 2 of 3 — filters hide 1 (status 1)") ||
		!strings.Contains(list, "To see hidden ones: --status all (+1).") {
		t.Errorf("done activity still listed or not counted:\n%s", list)
	}
	if out := c.ok("activity", "done", id, "--undo"); !strings.HasPrefix(out, "Marked to do again") {
		t.Errorf("undo said %q", out)
	}

	out = c.ok("activity", "edit", id, "--subject", "Call Acme (moved)", "--start", "today 16:00", "--duration", "1h")
	if !strings.Contains(out, `Updated call "Call Acme (moved)" — Wed 25 Nov 16:00`) {
		t.Errorf("edit said %q", out)
	}
	var j activityJSON
	if err := json.Unmarshal([]byte(c.ok("activity", "show", id, "--json")), &j); err != nil {
		t.Fatal(err)
	}
	if j.Subject != "Call Acme (moved)" || j.DurationMinutes != 60 || j.Rev != 4 || j.Done || j.TimeZone != "Europe/Berlin" ||
		!j.Start.Equal(time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)) || j.StartLocal != "2026-11-25T16:00:00+01:00" {
		t.Errorf("after edit: %+v", j)
	}

	out = c.ok("activity", "delete", id)
	if !strings.HasPrefix(out, "Deleted call") || !strings.Contains(out, "tombstone") {
		t.Errorf("delete said %q", out)
	}
	if list := c.ok("activity", "list", "--status", "all", "--owner", "all"); strings.Contains(list, "Call Acme") || !strings.Contains(list, "Showing 2 of 2") {
		t.Errorf("deleted activity listed:\n%s", list)
	}
	if show := c.ok("activity", "show", id); !strings.Contains(show, "(kept as a tombstone)") {
		t.Errorf("show of a tombstone:\n%s", show)
	}
	if _, errs, code := c.run("activity", "edit", id, "--subject", "again"); code != 1 || !strings.Contains(errs, "was deleted") {
		t.Errorf("edit of deleted: %d %q", code, errs)
	}
}

func TestActivityCLIUsageErrors(t *testing.T) {
	c := newActCLI(t)
	id := c.add("--subject", "One")
	cases := []struct {
		args []string
		want []string // in stderr
	}{
		{[]string{"activity"}, []string{"needs a subcommand"}},
		{[]string{"activity", "frobnicate"}, []string{`unknown activity subcommand "frobnicate"`, "add, list, show, done, edit, delete"}},
		{[]string{"activity", "add"}, []string{"--subject is required"}},
		{[]string{"activity", "add", "--subject", "  "}, []string{"--subject: must not be empty"}},
		{[]string{"activity", "add", "--subject", "x", "--type", "visit"}, []string{`--type: unknown type "visit"`, "call, meeting, task, deadline, email, lunch"}},
		{[]string{"activity", "add", "--subject", "x", "--start", "next friday"}, []string{`--start: cannot read "next friday"`, "tomorrow 9:30", "2026-11-26"}},
		{[]string{"activity", "add", "--subject", "x", "--start", "2026-02-30 10:00"}, []string{"--start: cannot read"}},
		{[]string{"activity", "add", "--subject", "x", "--duration", "-30m"}, []string{"--duration: must not be negative"}},
		{[]string{"activity", "add", "--subject", "x", "--duration", "soon"}, []string{`--duration: cannot read "soon"`, "1h30m"}},
		{[]string{"activity", "add", "--subject", "x", "--note", strings.Repeat("n", store.MaxNoteBytes+1)}, []string{"--note: is 1048577 bytes; at most 1048576"}},
		{[]string{"activity", "add", "--subject", "x", "--owner", "nobody"}, []string{`--owner: no single user matches "nobody"`, "me, or one of"}},
		{[]string{"activity", "add", "--subjct", "x"}, []string{"flag provided but not defined: -subjct"}},
		{[]string{"activity", "list", "--period", "someday"}, []string{`--period: unknown period "someday"`, "overdue, today, tomorrow, this-week, next-week, all"}},
		{[]string{"activity", "list", "--status", "open"}, []string{`--status: unknown status "open"`, "todo, done, all"}},
		{[]string{"activity", "list", "--type", "call,visit"}, []string{`--type: unknown type "visit"`}},
		{[]string{"activity", "list", "--limit", "-1"}, []string{"--limit and --offset must be 0 or more"}},
		{[]string{"activity", "list", "acme"}, []string{`unexpected argument "acme"`, "--search"}},
		{[]string{"activity", "show"}, []string{"give exactly one activity ID"}},
		{[]string{"activity", "show", id[:8]}, nil}, // resolved below: unique today, so not an error
		{[]string{"activity", "edit", id}, []string{"nothing to change"}},
	}
	// An ID that names no activity is not a wrong call but something to look up: 1, as
	// for explain and doctor --activity (the exit-code table in exitcodes.go).
	if _, errs, code := c.run("activity", "show", "not-hex!"); code != exitFailure || !strings.Contains(errs, "is not an activity id") {
		t.Errorf("activity show not-hex!: exit %d %q", code, errs)
	}
	for _, tc := range cases {
		_, errs, code := c.run(tc.args...)
		if tc.want == nil {
			continue
		}
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tc.args, code, errs)
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, errs)
			}
		}
		if !strings.Contains(errs, "usage: calsync activity") {
			t.Errorf("%v: no usage line", tc.args)
		}
	}
	// A prefix shared by two activities says so; like every ID that names no single
	// activity it is 1, as for explain and doctor --activity (exitcodes.go).
	id2 := c.add("--subject", "Two")
	common := 0
	for id[common] == id2[common] {
		common++
	}
	if _, errs, code := c.run("activity", "show", id[:common]); code != exitFailure || !strings.Contains(errs, "matches more than one activity") {
		t.Errorf("ambiguous prefix: %d %q", code, errs)
	}
	// Not found is a failure (1), and says how to see every id.
	if _, errs, code := c.run("activity", "done", "ffffffff"); code != 1 || !strings.Contains(errs, "--owner all --status all") {
		t.Errorf("unknown id: %d %q", code, errs)
	}
	// Nothing was written by the rejected adds.
	st := c.store()
	p, err := store.CountActivities(context.Background(), st.DB, store.ListFilter{Owner: "all", Status: "all"}, actBerlin, actNow)
	if err != nil || p.Total != 2 {
		t.Fatalf("rejected input stored something: total %d %v", p.Total, err)
	}
}

func TestActivityCLIFooterNamesWhatFiltersHide(t *testing.T) {
	c := newActCLI(t)
	c.add("--subject", "Mine today", "--type", "call", "--start", "today 15:00")
	done := c.add("--subject", "Mine done", "--type", "call", "--start", "today 8:00")
	c.ok("activity", "done", done)
	c.add("--subject", "Mine next month", "--type", "email", "--start", "2026-12-28 09:00")
	st := c.store()
	ctx := context.Background()
	bob, err := store.CreateUser(ctx, st.DB, store.User{Name: "Bob Martin"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Bob's call", "Bob's other call"} {
		if _, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: bob.ID, Type: store.TypeCall, Subject: s, Start: actNow}, actNow); err != nil {
			t.Fatal(err)
		}
	}
	out := c.ok("activity", "list", "--type", "call", "--period", "today")
	for _, want := range []string{"Mine today", "Showing 1 of 5 — filters hide 4 (owner 2, status 1, 1 by more than one filter)",
		"To see hidden ones: --owner all (+2), --status all (+1)."} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	// --owner takes a name as well as an id.
	out = c.ok("activity", "list", "--owner", "bob martin")
	if !strings.Contains(out, "Bob's other call") || !strings.Contains(out, "Showing 2 of 5") {
		t.Errorf("owner by name:\n%s", out)
	}
	out = c.ok("activity", "list", "--owner", "all", "--limit", "2")
	if !strings.Contains(out, "Showing 4 of 5") || !strings.Contains(out, "Listed 1 to 2 of the 4; use --offset and --limit for more.") {
		t.Errorf("limited list:\n%s", out)
	}

	var lj listOutput
	if err := json.Unmarshal([]byte(c.ok("activity", "list", "--type", "call", "--period", "today", "--json")), &lj); err != nil {
		t.Fatal(err)
	}
	if lj.Total != 5 || lj.Shown != 1 || lj.Hidden != 4 || lj.HiddenBy["owner"] != 2 || lj.HiddenBy["status"] != 1 ||
		lj.HiddenBy["type"] != 0 || len(lj.Rows) != 1 || lj.Rows[0].Subject != "Mine today" || lj.Rows[0].OwnerName != "ann" ||
		lj.Filter.Period != "today" || lj.Filter.Owner != "me" {
		t.Errorf("list JSON %+v", lj)
	}
	// Empty lists are [] in JSON, never null.
	if out := c.ok("activity", "list", "--search", "nothing like this", "--json"); !strings.Contains(out, `"rows": []`) {
		t.Errorf("empty JSON list: %s", out)
	}
}

func TestActivityCLIHostileTextNeverReachesTheTerminal(t *testing.T) {
	c := newActCLI(t)
	id := c.add("--subject", "Pay \x1b[2J\x1b]52;c;ZXZpbA==\x07now \xff", "--location", "Room\r\n7",
		"--note", strings.Repeat("minutes ", 12800)+"\x1b[31mred")
	for _, args := range [][]string{{"activity", "list"}, {"activity", "show", id}} {
		out := c.ok(args...)
		if strings.ContainsAny(out, "\x1b\x07\r") {
			t.Errorf("%v printed control characters: %q", args, out)
		}
		if !strings.Contains(out, "Pay now \uFFFD") && !strings.Contains(out, "Pay now") {
			t.Errorf("%v lost the readable text: %q", args, out[:min(200, len(out))])
		}
	}
	var j activityJSON
	if err := json.Unmarshal([]byte(c.ok("activity", "show", id, "--json")), &j); err != nil {
		t.Fatal(err)
	}
	// JSON keeps the stored text (escaped by JSON), with invalid UTF-8 repaired.
	if j.Subject != "Pay \x1b[2J\x1b]52;c;ZXZpbA==\x07now \uFFFD" || len(j.Note) < 100_000 {
		t.Errorf("JSON subject %q, note %d bytes", j.Subject, len(j.Note))
	}
}

func TestActivityCLIFirstRunMakesMeAndTightensOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.DBFileName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &actCLI{t: t, dir: dir, env: map[string]string{}}
	_, errs, code := c.run("activity", "list")
	if code != 0 || strings.Count(errs, "permissions tightened to owner-only") != 2 {
		t.Fatalf("first run: %d %q", code, errs)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Join(dir, store.DBFileName)); fi.Mode().Perm() != 0o600 {
		t.Errorf("db %v", fi.Mode().Perm())
	}
	if _, errs, _ := c.run("activity", "list"); errs != "" {
		t.Errorf("second run said %q", errs)
	}
	us, err := store.ListUsers(context.Background(), c.store().DB)
	if err != nil || len(us) != 1 || !us[0].IsMe || us[0].Name != "Me" {
		t.Fatalf("users after first run: %+v %v", us, err)
	}
}

func TestParseWhen(t *testing.T) {
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, actBerlin) }
	cases := map[string]struct {
		want   time.Time
		allDay bool
	}{
		"2026-11-26 14:00":          {at(2026, 11, 26, 14, 0), false},
		"2026-11-26T14:00":          {at(2026, 11, 26, 14, 0), false},
		"2026-11-26":                {at(2026, 11, 26, 0, 0), true},
		"today 14:00":               {at(2026, 11, 25, 14, 0), false},
		"Tomorrow 9:30":             {at(2026, 11, 26, 9, 30), false},
		"today":                     {at(2026, 11, 25, 0, 0), true},
		"tomorrow":                  {at(2026, 11, 26, 0, 0), true},
		"16:45":                     {at(2026, 11, 25, 16, 45), false},
		"2026-11-26T14:00:00-05:00": {time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC), false},
		"2026-03-29 02:30":          {at(2026, 3, 29, 2, 30), false}, // in the DST gap: Go moves it forward
	}
	for in, c := range cases {
		got, allDay, err := parseWhen(in, actBerlin, actNow)
		if err != nil || !got.Equal(c.want) || allDay != c.allDay {
			t.Errorf("%q: %s %v %v, want %s %v", in, got, allDay, err, c.want, c.allDay)
		}
	}
	for _, bad := range []string{"", "next friday", "today 25:00", "today 9:5", "2026-13-01", "26/11/2026", "tomorrow at noon"} {
		if _, _, err := parseWhen(bad, actBerlin, actNow); err == nil || !strings.Contains(err.Error(), "accepted:") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestVersionNamesTheSchema(t *testing.T) {
	c := newActCLI(t)
	out := c.ok("version")
	if want := "calsync " + version + " (schema v" + strconv.Itoa(store.LatestSchemaVersion()) + ")\n"; out != want || store.LatestSchemaVersion() < 3 {
		t.Errorf("version said %q, want %q", out, want)
	}
	if _, errs, code := c.run("version", "extra"); code != 2 || !strings.Contains(errs, "takes no arguments") {
		t.Errorf("version extra: %d %q", code, errs)
	}
}

func TestDataDirPrecedence(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		flag string
		env  map[string]string
		want string
	}{
		{"/x/flag", map[string]string{"CALSYNC_DATA_DIR": "/x/env", "XDG_DATA_HOME": "/x/xdg", "HOME": "/x/home"}, "/x/flag"},
		{"", map[string]string{"CALSYNC_DATA_DIR": "/x/env", "XDG_DATA_HOME": "/x/xdg", "HOME": "/x/home"}, "/x/env"},
		{"", map[string]string{"XDG_DATA_HOME": "/x/xdg", "HOME": "/x/home"}, "/x/xdg/calsync"},
		{"", map[string]string{"HOME": "/x/home"}, "/x/home/.local/share/calsync"},
	}
	for _, c := range cases {
		if got, err := resolveDataDir(c.flag, env(c.env)); err != nil || got != c.want {
			t.Errorf("flag %q env %v: %q %v, want %q", c.flag, c.env, got, err, c.want)
		}
	}

	// End to end: CALSYNC_DATA_DIR is used, and --data-dir after the command wins over it.
	base := t.TempDir()
	fromEnv, fromFlag := filepath.Join(base, "env"), filepath.Join(base, "flag")
	runIn := func(args ...string) int {
		var out, errb bytes.Buffer
		e := &Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return actNow },
			Getenv: env(map[string]string{"CALSYNC_DATA_DIR": fromEnv, "HOME": base})}
		return run(context.Background(), e, args)
	}
	if code := runIn("activity", "add", "--subject", "in env dir"); code != 0 {
		t.Fatal(code)
	}
	if code := runIn("activity", "add", "--subject", "in flag dir", "--data-dir", fromFlag); code != 0 {
		t.Fatal(code)
	}
	for dir, want := range map[string]string{fromEnv: "in env dir", fromFlag: "in flag dir"} {
		c := &actCLI{t: t, dir: dir}
		if out := c.ok("activity", "list"); !strings.Contains(out, want) || !strings.Contains(out, "Showing 1 of 1") {
			t.Errorf("%s holds:\n%s", dir, out)
		}
	}
}
