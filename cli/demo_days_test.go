package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below load on machines without a zone database
)

// The demo plans "today", "this week" and "in two days" from its clock and zone, syncs
// those plans through three providers that each write times their own way, and the
// doctor judges the result against the same clock. Each of these is a place where a day
// or a zone can break what holds on the day a test was written, so the scenario table
// (doctorScenarioCases) runs here on the days that matter, in zones that matter.

// demoTestZones: a European and an American zone whose DST changes fall on different
// days, one whose DST moves the clock by 30 minutes, and one at +12:45 (+13:45 in
// summer), where the local day and the UTC day differ for most of the day.
var demoTestZones = []string{"Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"}

// demoDaysActivities is the size of each scenario's sandbox here except the healthy
// one's, which `calsync demo` makes with its 300 activities, as a person gets it (how
// many look-alikes fall on one day depends on the day, so that size matters): about 110
// sandboxes of 60 build in well under a minute on two cores, where 300 would take three
// times as long.
const demoDaysActivities = 60

// demoTestDay is a wall-clock time in whichever zone the test runs in.
type demoTestDay struct {
	name              string
	year              int
	month             time.Month
	day, hour, minute int
	why               string
}

// demoTestDays are the fixed days; the test adds today. Early-morning times put the
// clock before that night's DST change, so "today" spans it.
var demoTestDays = []demoTestDay{
	{"us-dst-starts", 2027, time.March, 14, 1, 30, "US clocks go forward at 02:00 (a Sunday)"},
	{"eu-dst-starts", 2027, time.March, 28, 1, 30, "EU clocks go forward at 01:00 UTC (a Sunday)"},
	{"south-dst-ends", 2027, time.April, 4, 1, 30, "Lord Howe goes back 30 minutes at 02:00 (01:30 happens twice), Chatham at 03:45 (a Sunday)"},
	{"eu-dst-ends", 2027, time.October, 31, 1, 30, "EU clocks go back at 01:00 UTC"},
	{"us-dst-ends", 2027, time.November, 7, 1, 30, "US clocks go back at 02:00: 01:30 happens twice"},
	{"new-years-eve", 2027, time.December, 31, 23, 0, "tomorrow and this week are in the next year"},
	{"monday", 2028, time.January, 3, 9, 0, "the first day of a week"},
	{"leap-day", 2028, time.February, 29, 12, 0, "29 February; a year later has none"},
}

// TestDemoScenariosOnEveryDayAndZone builds the healthy sandbox (`calsync demo
// --no-tui`) on every day in every zone and checks that the doctor finds nothing there
// and that `doctor --fix --yes` changes no activity; every other scenario runs on every
// day in one zone, which rotates with the day so that each scenario meets every zone
// (CALSYNC_FULL_DAY_MATRIX=1 runs each in every zone). Today is one of the days, so a
// problem of today's date shows here too.
func TestDemoScenariosOnEveryDayAndZone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a sandbox per day, zone and scenario; skipped with -short")
	}
	zones := make([]*time.Location, len(demoTestZones))
	for i, name := range demoTestZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		zones[i] = loc
	}
	full := os.Getenv("CALSYNC_FULL_DAY_MATRIX") == "1"
	today := time.Now() // the one reading of the machine's clock: every "today" run starts here
	days := append(append([]demoTestDay(nil), demoTestDays...), demoTestDay{name: "today", why: "the day the suite runs"})
	for di, d := range days {
		d := d
		t.Run(d.name, func(t *testing.T) {
			for ci, tc := range doctorScenarioCases {
				tc := tc
				for zi, loc := range zones {
					if tc.scenario != "healthy" && !full && zi != (di+ci)%len(zones) {
						continue
					}
					loc := loc
					t.Run(strings.ReplaceAll(loc.String(), "/", "_")+"/"+tc.scenario, func(t *testing.T) {
						t.Parallel()
						at := today
						if d.name != "today" {
							at = time.Date(d.year, d.month, d.day, d.hour, d.minute, 0, 0, loc)
						}
						c := &docCLI{t: t, dir: filepath.Join(t.TempDir(), "sandbox"), now: clockFrom(at), loc: loc}
						t.Logf("clock starts at %s (%s)", at.In(loc).Format("Mon 2006-01-02 15:04 MST -07:00"), d.why)
						size := demoDaysActivities
						if tc.scenario == "healthy" && (full || zi == (di+ci)%len(zones)) {
							// The demo command itself (300 activities) once per day, in
							// the rotating zone; the other zones get the smaller sandbox,
							// which keeps the whole matrix within CI's time on 2 cores.
							size = 0
						}
						checkDoctorScenario(c, tc, size)
						if tc.scenario == "healthy" {
							checkFixChangesNoActivity(c)
						}
					})
				}
			}
		})
	}
}

// The fixed days are what their names say in the zones they are about: a test that
// claims to cover a DST change must put its clock on that change's day.
func TestDemoTestDaysAreTheDaysTheyClaim(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	// changes reports whether loc's UTC offset changes during the local day d.
	changes := func(d demoTestDay, loc *time.Location) bool {
		start := time.Date(d.year, d.month, d.day, 0, 0, 0, 0, loc)
		_, off0 := start.Zone()
		_, off1 := time.Date(d.year, d.month, d.day, 23, 59, 0, 0, loc).Zone()
		return off0 != off1
	}
	byName := map[string]demoTestDay{}
	for _, d := range demoTestDays {
		byName[d.name] = d
	}
	for _, c := range []struct {
		day  string
		zone string
	}{{"us-dst-starts", "America/New_York"}, {"us-dst-ends", "America/New_York"},
		{"eu-dst-starts", "Europe/Paris"}, {"eu-dst-ends", "Europe/Paris"},
		{"south-dst-ends", "Australia/Lord_Howe"}, {"south-dst-ends", "Pacific/Chatham"}} {
		if !changes(byName[c.day], zone(c.zone)) {
			t.Errorf("%s: %s does not change its offset that day", c.day, c.zone)
		}
	}
	// Lord Howe's change is 30 minutes; Chatham is 45 minutes past the hour.
	lh := zone("Australia/Lord_Howe")
	_, before := time.Date(2027, 4, 3, 12, 0, 0, 0, lh).Zone()
	_, after := time.Date(2027, 4, 5, 12, 0, 0, 0, lh).Zone()
	if before-after != 30*60 {
		t.Errorf("Lord Howe's DST change is %ds, want 1800", before-after)
	}
	if _, off := time.Date(2027, 6, 1, 12, 0, 0, 0, zone("Pacific/Chatham")).Zone(); off != 12*3600+45*60 {
		t.Errorf("Chatham in winter is %ds from UTC, want +12:45", off)
	}
	want := map[string]time.Weekday{"us-dst-starts": time.Sunday, "eu-dst-starts": time.Sunday,
		"south-dst-ends": time.Sunday, "monday": time.Monday}
	for name, wd := range want {
		d := byName[name]
		if got := time.Date(d.year, d.month, d.day, 12, 0, 0, 0, time.UTC).Weekday(); got != wd {
			t.Errorf("%s is a %s, want a %s", name, got, wd)
		}
	}
	if d := byName["leap-day"]; d.month != time.February || d.day != 29 {
		t.Errorf("leap-day is %d-%02d", d.month, d.day)
	}
	if d := byName["new-years-eve"]; d.month != time.December || d.day != 31 {
		t.Errorf("new-years-eve is %d-%02d", d.month, d.day)
	}
}

// checkFixChangesNoActivity runs `doctor --fix --yes` on a sandbox the doctor found
// healthy and checks that no activity changed: none added, removed or edited (the
// revision counts every edit). Sync bookkeeping may move on; the person's data may not.
func checkFixChangesNoActivity(c *docCLI) {
	c.t.Helper()
	before := c.activitySnapshot()
	fixed := c.doctorJSON("doctor", "--fix", "--yes")
	if len(fixed.Applied) > 0 {
		c.t.Errorf("--fix --yes on a healthy sandbox applied %d fixes: %+v", len(fixed.Applied), fixed.Applied)
	}
	after := c.activitySnapshot()
	var diffs []string
	for id, b := range before {
		a, ok := after[id]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("gone: %s %q", id, b.Subject))
		case !reflect.DeepEqual(a, b):
			diffs = append(diffs, fmt.Sprintf("changed: %s %q rev %d -> %d", id, b.Subject, b.Rev, a.Rev))
		}
	}
	for id, a := range after {
		if _, ok := before[id]; !ok {
			diffs = append(diffs, fmt.Sprintf("new: %s %q at %s", id, a.Subject, a.StartLocal))
		}
	}
	if len(diffs) > 0 {
		c.t.Fatalf("doctor --fix --yes on a healthy sandbox changed %d activities:\n%s", len(diffs), strings.Join(diffs, "\n"))
	}
}

// activitySnapshot is every live activity by id, without its sync
// state.
func (c *docCLI) activitySnapshot() map[string]activityJSON {
	c.t.Helper()
	_, out, stderr := c.run("", "activity", "list", "--owner", "all", "--status", "all", "--limit", "100000", "--json")
	var l listOutput
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		c.t.Fatalf("activity list: %v\n%s\n%s", err, out, stderr)
	}
	if len(l.Rows) != l.Total {
		c.t.Fatalf("activity list shows %d of %d", len(l.Rows), l.Total)
	}
	m := make(map[string]activityJSON, len(l.Rows))
	for _, r := range l.Rows {
		r.Sync = nil
		m[r.ID] = r
	}
	return m
}
