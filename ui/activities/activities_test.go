package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

// seedTeam: 10 of my calls, 4 of my tasks, 30 meetings of Bo's, from tomorrow on.
func seedTeam(t *testing.T) *fixture {
	f := newFixture(t)
	start := testNow.Add(24 * time.Hour)
	f.addMany(t, 10, f.me.ID, store.TypeCall, "Call", start)
	f.addMany(t, 4, f.me.ID, store.TypeTask, "Task", start.Add(30*time.Minute))
	f.addMany(t, 30, f.other.ID, store.TypeMeeting, "Bo meeting", start)
	return f
}

func TestBannerCountsWhatFiltersHide(t *testing.T) {
	f := seedTeam(t)
	m, _ := open(t, f, 100, 30)
	if got, want := m.Banner(), "Showing 14 of 44 — filters hide 30 (owner 30) · R resets filters"; got != want {
		t.Fatalf("banner\n got %q\nwant %q", got, want)
	}
	if !strings.Contains(m.View(), "Showing 14 of 44") {
		t.Fatal("banner not drawn")
	}
}

func TestSwitchingATypeOffAndResetting(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	// t focuses the first type (call); space switches it off.
	out.press(t, m, "t", "space")
	if got, want := m.Banner(), "Showing 4 of 44 — filters hide 40 (owner 30, type 10) · R resets filters"; got != want {
		t.Fatalf("after switching calls off\n got %q\nwant %q", got, want)
	}
	view := m.View()
	if strings.Contains(view, "Call 0") || !strings.Contains(view, "Task 0") {
		t.Fatalf("calls should be gone and tasks shown:\n%s", view)
	}
	if !strings.Contains(view, "☐ call") {
		t.Fatalf("the call toggle should read off:\n%s", view)
	}
	out.press(t, m, "esc", "R")
	if got, want := m.Banner(), "Showing all 44 activities"; got != want {
		t.Fatalf("after R\n got %q\nwant %q", got, want)
	}
	if strings.Contains(m.View(), "filters hide") {
		t.Fatal("banner still drawn after reset")
	}
}

func TestEachTypeOnItsOwnAndAll(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	// Switch calls off, then meetings: my 4 tasks stay.
	out.press(t, m, "t", "space", "l", "space")
	if m.shown != 4 || len(m.filter.Types) != 4 {
		t.Fatalf("calls and meetings off: shown %d types %v", m.shown, m.filter.Types)
	}
	// "all" (left of call) brings every type back.
	out.press(t, m, "h", "h", "space")
	if len(m.filter.Types) != 0 || m.shown != 14 {
		t.Fatalf("all types: types %v shown %d", m.filter.Types, m.shown)
	}
	// Only tasks: switch every other type off one by one.
	out.press(t, m, "l", "space", "l", "space", "l", "l", "space", "l", "space", "l", "space")
	if len(m.filter.Types) != 1 || m.filter.Types[0] != store.TypeTask || m.shown != 4 {
		t.Fatalf("only tasks: %v shown %d", m.filter.Types, m.shown)
	}
	out.press(t, m, "h", "h", "h")
	if m.filterPos != filterFirstType+2 {
		t.Fatalf("focus on %d, want the task toggle", m.filterPos)
	}
	out.press(t, m, "space") // tasks are the last: refused
	if m.shown != 4 || !strings.Contains(out.lastStatus(), "At least one type") {
		t.Fatalf("switching off the last type: shown %d status %q", m.shown, out.lastStatus())
	}
}

func TestOwnerCyclesThroughUsersAndStatusPeriod(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	_ = m.View() // rows drawn without the owner column get cached
	out.press(t, m, "o")
	if m.filter.Owner != store.OwnerAll || m.shown != 44 {
		t.Fatalf("owner all: %q shown %d", m.filter.Owner, m.shown)
	}
	// With everyone's activities the owner column appears, on every row.
	for _, line := range strings.Split(m.View(), "\n") {
		if strings.Contains(line, "Call ") && !strings.Contains(line, " me ") {
			t.Fatalf("row without owner after switching to everyone: %q", line)
		}
	}
	out.press(t, m, "o")
	if m.filter.Owner != f.other.ID || m.shown != 30 || !strings.Contains(m.View(), "Owner Bo") {
		t.Fatalf("owner Bo: %q shown %d\n%s", m.filter.Owner, m.shown, m.View())
	}
	out.press(t, m, "o")
	if m.filter.Owner != store.OwnerMe {
		t.Fatalf("owner should come back to me, got %q", m.filter.Owner)
	}
	out.press(t, m, "p") // overdue: nothing, everything is in the future
	if m.filter.Period != store.PeriodOverdue || m.shown != 0 {
		t.Fatalf("period overdue: %q shown %d", m.filter.Period, m.shown)
	}
	if !strings.Contains(m.View(), "Nothing matches these filters. Press R to reset them.") {
		t.Fatalf("empty filtered list should say how to get activities back:\n%s", m.View())
	}
}

func TestFiltersPersistAcrossRestarts(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	out.press(t, m, "o", "s", "t", "space")
	m2, _ := open(t, f, 100, 30)
	if m2.filter.Owner != store.OwnerAll || m2.filter.Status != store.StatusDone || len(m2.filter.Types) != 5 {
		t.Fatalf("filter not restored: %+v", m2.filter)
	}
	if m2.Banner() != m.Banner() {
		t.Fatalf("banner differs after restart: %q vs %q", m2.Banner(), m.Banner())
	}
}

func TestSearchNarrowsAndEscRestores(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	out.press(t, m, "/")
	if !m.CapturingInput() {
		t.Fatal("search field should capture typing (so q and digits do not quit or switch tabs)")
	}
	out.press(t, m, "T", "a", "s", "k", " ", "3")
	if m.shown != 1 || !strings.Contains(m.Banner(), "search") {
		t.Fatalf("search “Task 3”: shown %d banner %q", m.shown, m.Banner())
	}
	out.press(t, m, "esc")
	if m.filter.Search != "" || m.shown != 14 || m.CapturingInput() {
		t.Fatalf("esc should undo the search: %q shown %d", m.filter.Search, m.shown)
	}
	out.press(t, m, "/", "q", "enter")
	if m.filter.Search != "q" {
		t.Fatalf("enter should keep the search, got %q", m.filter.Search)
	}
	// "/" starts afresh; in the filter bar, enter on Search edits the current one.
	out.press(t, m, "/", "T", "a", "s", "k", "enter")
	if m.filter.Search != "Task" {
		t.Fatalf("a new search should replace the old one, got %q", m.filter.Search)
	}
	out.press(t, m, "f", "l", "l", "l", "enter", " ", "1", "enter")
	if m.filter.Search != "Task 1" {
		t.Fatalf("editing the search from the filter bar: %q", m.filter.Search)
	}
}

func TestHostileSubjectIsDrawnHarmless(t *testing.T) {
	f := newFixture(t)
	evil := "Pay \x1b[2Jnow\x1b]52;c;ZXZpbA==\x07 ring\a done"
	a := f.add(t, f.me.ID, store.TypeCall, evil, testNow.Add(time.Hour))
	// The location and owner name are drawn too.
	loc := "Room \x1b[31m5\x9b1m"
	if _, err := store.UpdateActivity(context.Background(), f.st.DB, a.ID, store.ActivityPatch{Location: &loc}, testNow); err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{80, 200} {
		m, out := open(t, f, w, 30)
		out.press(t, m, "enter") // detail pane on narrow terminals
		view := m.View()
		for _, bad := range []string{"\x1b", "\a", "\x9b", "]52;"} {
			if strings.Contains(view, bad) {
				t.Fatalf("width %d: view holds %q:\n%q", w, bad, view)
			}
		}
		if !strings.Contains(view, "Pay now ring done") || !strings.Contains(view, "Room 5") {
			t.Fatalf("width %d: the readable text should stay:\n%s", w, view)
		}
		// The delete question quotes the subject too.
		out.press(t, m, "d")
		if q := m.View(); strings.Contains(q, "\x1b") || !strings.Contains(q, "Delete “Pay now ring done”?") {
			t.Fatalf("width %d: delete question:\n%q", w, q)
		}
	}
}

func TestSpaceTogglesDoneAndDeleteAsksFirst(t *testing.T) {
	f := newFixture(t)
	a := f.add(t, f.me.ID, store.TypeCall, "Call Carla", testNow.Add(time.Hour))
	f.add(t, f.me.ID, store.TypeTask, "Send offer", testNow.Add(2*time.Hour))
	m, out := open(t, f, 100, 30)
	out.press(t, m, "s", "s") // status all: done activities stay visible
	out.press(t, m, "space")
	got, _ := store.GetActivity(context.Background(), f.st.DB, a.ID)
	if !got.Done {
		t.Fatal("space should mark the activity done")
	}
	if !strings.Contains(out.lastStatus(), "Done: “Call Carla”") {
		t.Fatalf("status %q", out.lastStatus())
	}
	if row, _ := m.Selected(); !row.Done {
		t.Fatal("the list should show it done after the reload")
	}
	busy := 0
	for _, msg := range out.msgs {
		if b, ok := msg.(common.BusyMsg); ok {
			if b.Busy {
				busy++
			} else {
				busy--
			}
		}
	}
	if busy != 0 {
		t.Fatalf("busy marks not balanced (%d): quitting would keep asking", busy)
	}

	out.press(t, m, "d")
	if !strings.Contains(m.View(), "Delete “Call Carla”?") || !m.CapturingInput() {
		t.Fatalf("d should ask first:\n%s", m.View())
	}
	out.press(t, m, "n")
	if got, _ := store.GetActivity(context.Background(), f.st.DB, a.ID); got.DeletedAt != nil {
		t.Fatal("n must keep the activity")
	}
	out.press(t, m, "d", "y")
	if got, _ := store.GetActivity(context.Background(), f.st.DB, a.ID); got.DeletedAt == nil {
		t.Fatal("y should delete (tombstone) the activity")
	}
	if m.total != 1 || strings.Contains(m.View(), "Call Carla") {
		t.Fatalf("deleted activity still listed: total %d", m.total)
	}
}

func TestWhyAsksTroubleshootForTheSelectedActivity(t *testing.T) {
	f := newFixture(t)
	f.add(t, f.me.ID, store.TypeCall, "First", testNow.Add(time.Hour))
	b := f.add(t, f.me.ID, store.TypeCall, "Second", testNow.Add(2*time.Hour))
	m, out := open(t, f, 100, 30)
	out.press(t, m, "down", "w")
	var got []string
	for _, msg := range out.msgs {
		if tm, ok := msg.(common.TroubleshootActivityMsg); ok {
			got = append(got, tm.ActivityID)
		}
	}
	if len(got) != 1 || got[0] != b.ID {
		t.Fatalf("troubleshoot requests %v, want [%s]", got, b.ID)
	}
}

func TestWindowHoldsOnlyVisibleRowsPlusMargin(t *testing.T) {
	f := newFixture(t)
	f.addMany(t, 600, f.me.ID, store.TypeCall, "Row", testNow.Add(time.Hour))
	m, out := open(t, f, 100, 30)
	v := m.visibleRows()
	if len(m.rows) > 3*v || m.shown != 600 {
		t.Fatalf("holds %d rows for %d visible (shown %d)", len(m.rows), v, m.shown)
	}
	out.press(t, m, "end")
	if m.cursor != 599 || len(m.rows) > 3*v {
		t.Fatalf("end: cursor %d, %d rows loaded", m.cursor, len(m.rows))
	}
	if row, ok := m.Selected(); !ok || row.Subject != "Row 599" {
		t.Fatalf("last row not loaded: %+v %v", row.Subject, ok)
	}
	if !strings.Contains(m.View(), "Row 599") {
		t.Fatal("last row not drawn")
	}
	// Walk back up and down a page and a row at a time: every visible row is loaded when
	// drawn, holds what the store has at that position, and the window stays small.
	check := func(step string) {
		t.Helper()
		for p := m.top; p < min(m.top+v, m.shown); p++ {
			if _, ok := m.rowAt(p); !ok {
				t.Fatalf("%s: row %d visible but not loaded (window %d+%d)", step, p, m.winOffset, len(m.rows))
			}
		}
		page, err := store.ListActivities(context.Background(), f.st.DB, m.filter, m.loc, testNow, m.winOffset, len(m.rows))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range page.Rows {
			if m.rows[i].ID != r.ID {
				t.Fatalf("%s: window row %d (position %d) is %q, the store has %q there", step, i, m.winOffset+i, m.rows[i].Subject, r.Subject)
			}
		}
		if len(m.rows) > 4*v {
			t.Fatalf("%s: window grew to %d rows", step, len(m.rows))
		}
	}
	for i := 0; i < 10; i++ {
		out.press(t, m, "pgup")
		check("pgup")
	}
	for i := 0; i < 3*v; i++ {
		out.press(t, m, "up")
		check("up")
	}
	for i := 0; i < 25; i++ {
		out.press(t, m, "pgdown")
		check("pgdown")
	}
	// Done deep in the list: the row leaves the to-do list, the window is re-read in place.
	before, _ := m.Selected()
	out.press(t, m, "space")
	check("space")
	if after, _ := m.Selected(); after.ID == before.ID || m.shown != 599 {
		t.Fatalf("after done: cursor still on %q, shown %d", after.Subject, m.shown)
	}
	if !strings.HasSuffix(out.lastStatus(), "” — the status filter hides it") {
		t.Fatalf("status %q should say why the row went", out.lastStatus())
	}
	out.press(t, m, "home")
	check("home")
	if row, _ := m.Selected(); row.Subject != "Row 0" {
		t.Fatalf("home: %q", row.Subject)
	}
	if m.cache.len() > rowCacheMax {
		t.Fatalf("row cache grew to %d", m.cache.len())
	}
}

func TestStaleAnswersAreDropped(t *testing.T) {
	f := seedTeam(t)
	m, _ := open(t, f, 100, 30)
	old := m.queryCmd() // asked under the default filter...
	m.filter.Owner = store.OwnerAll
	fresh := m.queryCmd() // ...then the filter changed
	m.Update(fresh())
	if m.shown != 44 {
		t.Fatalf("fresh answer: shown %d", m.shown)
	}
	m.Update(old()) // the slow, older answer arrives last
	if m.shown != 44 {
		t.Fatalf("stale answer overwrote the list: shown %d", m.shown)
	}
}

func TestEmptyStoreSaysHowToStart(t *testing.T) {
	f := newFixture(t)
	m, _ := open(t, f, 80, 20)
	v := m.View()
	if !strings.Contains(v, "No activities yet") || !strings.Contains(v, "a") {
		t.Fatalf("empty list:\n%s", v)
	}
	// The help offers what can be done with no rows, not "w why not in calendar?".
	if h := helpKeys(m.ShortHelp()); h != "a" {
		t.Fatalf("help on an empty store: %q", h)
	}
	// Everything filtered away: the way back comes first.
	f.add(t, f.other.ID, store.TypeCall, "Not mine", testNow.Add(time.Hour))
	m, _ = open(t, f, 80, 20)
	if h := helpKeys(m.ShortHelp()); !strings.HasPrefix(h, "R,") {
		t.Fatalf("help with everything filtered away: %q\n%s", h, m.View())
	}
}

func helpKeys(bs []key.Binding) string {
	var ks []string
	for _, b := range bs {
		ks = append(ks, b.Help().Key)
	}
	return strings.Join(ks, ",")
}

func TestFormSubmitWritesAndCancelDoesNot(t *testing.T) {
	t.Parallel() // huh's cursor timers make form tests wait; let them wait together
	f := newFixture(t)
	m, out := open(t, f, 100, 30)
	out.press(t, m, "a")
	if m.form == nil || !m.CapturingInput() {
		t.Fatal("a should open the form and capture typing")
	}
	// Cancel: nothing is written.
	out.press(t, m, "esc")
	if m.form != nil || m.total != 0 || out.lastStatus() != "Nothing saved" {
		t.Fatalf("cancel: form %v total %d status %q", m.form != nil, m.total, out.lastStatus())
	}
	// Submit: the values the form collected are stored.
	out.press(t, m, "a")
	m.formVals.Subject = "Lunch with Dee"
	m.formVals.Type = string(store.TypeLunch)
	m.formVals.Start = "2026-11-27 12:30"
	m.formVals.Duration = "1h30m"
	m.formVals.Location = "Café"
	_, cmd := m.Update(formDoneMsg{id: m.formID})
	out.drive(t, m, cmd)
	if m.form != nil || m.total != 1 {
		t.Fatalf("submit: form open %v total %d", m.form != nil, m.total)
	}
	row, _ := m.Selected()
	if row.Subject != "Lunch with Dee" || row.Type != store.TypeLunch || row.Duration != 90*time.Minute ||
		!row.Start.Equal(time.Date(2026, 11, 27, 12, 30, 0, 0, time.UTC)) || row.OwnerID != f.me.ID {
		t.Fatalf("stored %+v", row.Activity)
	}
	// Edit changes the same activity.
	out.press(t, m, "e")
	if m.formVals.editID != row.ID || m.formVals.Subject != "Lunch with Dee" || m.formVals.Duration != "1h30m" {
		t.Fatalf("edit form prefilled with %+v", *m.formVals)
	}
	m.formVals.Subject = "Lunch with Dee and Eli"
	_, cmd = m.Update(formDoneMsg{id: m.formID})
	out.drive(t, m, cmd)
	got, _ := store.GetActivity(context.Background(), f.st.DB, row.ID)
	if got.Subject != "Lunch with Dee and Eli" || got.Rev != 2 {
		t.Fatalf("after edit: %q rev %d", got.Subject, got.Rev)
	}
}

func TestFormValidators(t *testing.T) {
	if validSubject("  ") == nil || validSubject("ok") != nil {
		t.Fatal("subject validator")
	}
	// The start reads what `calsync activity add --start` reads, in the user's zone.
	for in, want := range map[string]struct {
		at     time.Time
		allDay bool
	}{
		"2026-11-26 14:00":          {time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC), false},
		"today 14:00":               {time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC), false},
		"tomorrow 9:30":             {time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC), false},
		"16:45":                     {time.Date(2026, 11, 25, 16, 45, 0, 0, time.UTC), false},
		"2026-12-01":                {time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), true},
		"tomorrow":                  {time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), true},
		"2026-11-26T14:00:00+01:00": {time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC), false},
	} {
		got, allDay, err := parseStart(in, time.UTC, testNow)
		if err != nil || !got.Equal(want.at) || allDay != want.allDay {
			t.Errorf("start %q: %v %v %v", in, got, allDay, err)
		}
	}
	for _, bad := range []string{"next friday", "26/11/2026", "today 25:00", ""} {
		if _, _, err := parseStart(bad, time.UTC, testNow); err == nil || !strings.Contains(err.Error(), "tomorrow 9:30") {
			t.Errorf("start %q: %v", bad, err)
		}
	}
	for in, want := range map[string]time.Duration{"": 0, "0": 0, "45m": 45 * time.Minute, "1h30m": 90 * time.Minute} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Fatalf("duration %q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"-5m", "30s", "abc", "800h"} {
		if _, err := parseDuration(bad); err == nil {
			t.Fatalf("duration %q accepted", bad)
		}
	}
}

// The real huh form, driven by keys: typing goes into the form (not to the global keys),
// enter walks the fields, and submitting stores the activity without quitting.
func TestFormDrivenByKeys(t *testing.T) {
	t.Parallel() // huh's cursor timers make form tests wait; let them wait together
	f := newFixture(t)
	m, out := open(t, f, 100, 30)
	out.press(t, m, "a")
	if !strings.Contains(m.View(), "New activity") {
		t.Fatalf("form not drawn:\n%s", m.View())
	}
	out.press(t, m, "Quick q2 sync") // one paste: q and 2 are text here
	for i := 0; i < 8; i++ {         // subject, type, owner, start, duration, all day, location, note
		out.press(t, m, "enter")
	}
	if m.form != nil {
		t.Fatalf("form still open:\n%s", m.View())
	}
	if out.lastStatus() != "Added “Quick q2 sync”" || m.total != 1 {
		t.Fatalf("status %q total %d", out.lastStatus(), m.total)
	}
	row, _ := m.Selected()
	if row.Subject != "Quick q2 sync" || row.Type != store.TypeCall || row.Duration != 30*time.Minute ||
		!row.Start.Equal(time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)) {
		t.Fatalf("stored %+v", row.Activity)
	}
	for _, msg := range out.msgs {
		if _, ok := msg.(tea.QuitMsg); ok {
			t.Fatal("the form quit the program")
		}
	}
}

func TestBannerNarrowFormsKeepTheWayBack(t *testing.T) {
	m := New(testContext(nil))
	m.total, m.shown, m.hidden = 100000, 16632, 83368
	m.hiddenBy = []store.HiddenCount{{Dim: "owner", Count: 49982}, {Dim: "status", Count: 8142}}
	for w, want := range map[int]string{
		// The counts are what each filter alone hides; the rest are named so they add up.
		0:   "Showing 16,632 of 100,000 — filters hide 83,368 (owner 49,982, status 8,142, 25,244 by several) · R resets filters",
		100: "Filters hide 83,368 of 100,000 (owner 49,982, status 8,142, 25,244 by several) · R resets filters",
		80:  "Filters hide 83,368 of 100,000 (owner 49,982, status 8,142) · R resets filters",
		70:  "Filters hide 83,368 of 100,000 (owner 49,982, status 8,142) · R resets",
		50:  "Filters hide 83,368 of 100,000 · R resets filters",
	} {
		if got := m.bannerFitting(w); got != want {
			t.Errorf("width %d:\n got %q\nwant %q", w, got, want)
		}
	}
	if common.Count(1234567) != "1,234,567" || common.Count(999) != "999" || common.Count(1000) != "1,000" {
		t.Fatal("Count")
	}
}

func TestOwnerPickerChoosesAnyUser(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	out.press(t, m, "O")
	if !m.CapturingInput() || !strings.Contains(m.View(), "Show the activities of") {
		t.Fatalf("picker not open:\n%s", m.View())
	}
	out.press(t, m, "down", "down", "enter") // me, everyone, Bo
	if m.filter.Owner != f.other.ID || m.shown != 30 || m.picker != nil {
		t.Fatalf("picked %q, shown %d", m.filter.Owner, m.shown)
	}
	out.press(t, m, "O", "up", "esc")
	if m.filter.Owner != f.other.ID {
		t.Fatal("esc must keep the owner")
	}
	// From the filter bar, enter on Owner opens the picker too.
	out.press(t, m, "f", "enter", "home")
	out.press(t, m, "up", "up", "enter")
	if m.filter.Owner != store.OwnerMe || m.shown != 14 {
		t.Fatalf("back to me: %q shown %d", m.filter.Owner, m.shown)
	}
}

// Editing an activity with hostile text: the form shows it cleaned, and saving a change
// to one field leaves the others as stored.
func TestEditFormShowsCleanTextAndWritesOnlyChanges(t *testing.T) {
	t.Parallel() // huh's cursor timers make form tests wait; let them wait together
	f := newFixture(t)
	a, err := store.CreateActivity(context.Background(), f.st.DB, store.ActivityInput{
		Subject: "Pay \x1b[2Jnow\x07", Note: "line one\x1b]52;c;ZXZpbA==\x07\nline two", Location: "Room\x1b[31m 5",
		Type: store.TypeCall, Start: testNow.Add(time.Hour), TimeZone: "UTC",
	}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	m, out := open(t, f, 100, 30)
	out.press(t, m, "e")
	if v := m.View(); strings.ContainsAny(v, "\x1b\a") || !strings.Contains(v, "Pay now") {
		t.Fatalf("form view:\n%q", v)
	}
	if m.formVals.Note != "line one\nline two" {
		t.Fatalf("note in the form: %q", m.formVals.Note)
	}
	m.formVals.Duration = "45m"
	_, cmd := m.Update(formDoneMsg{id: m.formID})
	out.drive(t, m, cmd)
	got, _ := store.GetActivity(context.Background(), f.st.DB, a.ID)
	if got.Duration != 45*time.Minute || got.Subject != a.Subject || got.Note != a.Note || got.Location != a.Location {
		t.Fatalf("after edit: %+v", got)
	}
}

// A refresh that read the saved filter before a toggle was saved must not undo the toggle.
func TestRefreshDoesNotUndoANewerFilter(t *testing.T) {
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	stale := m.setupCmd()() // read while the filter is still the saved default
	out.press(t, m, "o")
	m.Update(stale)
	if m.filter.Owner != store.OwnerAll {
		t.Fatalf("refresh reverted the owner filter to %q", m.filter.Owner)
	}
}

// The detail pane says where the activity is in the calendar and how its last sync went.
func TestDetailPaneShowsSyncInformation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	synced := f.add(t, f.me.ID, store.TypeCall, "Synced call", testNow.Add(time.Hour))
	failing := f.add(t, f.me.ID, store.TypeMeeting, "Failing meeting", testNow.Add(2*time.Hour))
	f.add(t, f.me.ID, store.TypeTask, "Local task", testNow.Add(3*time.Hour))
	acct, err := store.CreateAccount(ctx, f.st.DB, store.Account{Kind: "google", Name: "Work Google", Login: "ana@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.ReplaceCalendars(ctx, f.st.DB, acct.ID, []store.Calendar{{AccountID: acct.ID, RemoteID: "cal-1", Name: "Ana's \x1b[2Jcalendar"}}, testNow); err != nil {
		t.Fatal(err)
	}
	at := testNow.Add(-10 * time.Minute)
	if _, err := store.InsertLink(ctx, f.st.DB, store.Link{ActivityID: synced.ID, AccountID: acct.ID, CalendarID: "cal-1",
		RemoteID: "ev-synced", SyncedRev: synced.Rev, State: store.LinkSynced, LastSyncedAt: &at}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.InsertLink(ctx, f.st.DB, store.Link{ActivityID: failing.ID, AccountID: acct.ID, CalendarID: "cal-1",
		RemoteID: "ev-failing", State: store.LinkSynced, LastError: "403 insufficient scope\x07", LastSyncedAt: &at}); err != nil {
		t.Fatal(err)
	}
	m, out := open(t, f, 100, 30)
	out.press(t, m, "enter")
	v := m.View()
	for _, want := range []string{"Sync  synced · last synced Wed 25 Nov 09:50 (10 min ago)", "In    Work Google › Ana's calendar", "Event ev-synced"} {
		if !strings.Contains(v, want) {
			t.Fatalf("detail lacks %q:\n%s", want, v)
		}
	}
	out.press(t, m, "down")
	v = m.View()
	for _, want := range []string{"Sync  error", "Error 403 insufficient scope", "Event ev-failing"} {
		if !strings.Contains(v, want) {
			t.Fatalf("detail lacks %q:\n%s", want, v)
		}
	}
	out.press(t, m, "down")
	if v = m.View(); !strings.Contains(v, "not in a calendar yet · w tells why") {
		t.Fatalf("unlinked activity:\n%s", v)
	}
	if strings.ContainsAny(v, "\x1b\a") {
		t.Fatal("control characters drawn")
	}
}

// An activity saved where the filters hide it is not silently lost from view.
func TestSavingAHiddenActivitySaysSo(t *testing.T) {
	t.Parallel()
	f := seedTeam(t)
	m, out := open(t, f, 100, 30)
	out.press(t, m, "a")
	m.formVals.Subject = "Visible one"
	_, cmd := m.Update(formDoneMsg{id: m.formID})
	out.drive(t, m, cmd)
	if out.lastStatus() != "Added “Visible one”" {
		t.Fatalf("status %q", out.lastStatus())
	}
	out.press(t, m, "a")
	m.formVals.Subject = "Bo's new one"
	m.formVals.Owner = f.other.ID
	_, cmd = m.Update(formDoneMsg{id: m.formID})
	out.drive(t, m, cmd)
	if out.lastStatus() != "Added “Bo's new one” — filters hide it; R shows all" {
		t.Fatalf("status %q", out.lastStatus())
	}
}

// A start the form cannot read is refused where the person sees it: at 80x20 the error
// under the group was drawn one row below the screen, so enter seemed to do nothing.
func TestFormErrorIsOnScreenAtEightyByTwenty(t *testing.T) {
	t.Parallel() // huh's cursor timers make form tests wait; let them wait together
	f := newFixture(t)
	m, out := open(t, f, 80, 20)
	out.press(t, m, "a", "Call Zoë", "enter", "enter", "enter") // subject, type, owner
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlU})          // clear the proposed start
	out.drive(t, m, cmd)
	out.press(t, m, "next friday", "enter")
	v := m.View()
	if h := lipgloss.Height(v); h > 20 {
		t.Fatalf("form is %d rows on a 20-row screen:\n%s", h, v)
	}
	if !strings.Contains(v, "write e.g. 2026-11-26 14:00, today 14:00 or tomorrow 9:30") {
		t.Fatalf("the refusal is not on the screen:\n%s", v)
	}
}

// A long subject in a status sentence is shortened so the part after it, which says why
// the row left the list, still fits the 80-column status bar.
func TestStatusSentenceKeepsItsTailWithALongSubject(t *testing.T) {
	f := newFixture(t)
	f.add(t, f.me.ID, store.TypeCall, "Prepare the pricing sheet and the contract draft for Çelik Yapı before Friday", testNow.Add(time.Hour))
	m, out := open(t, f, 80, 20)
	out.press(t, m, "space")
	got := out.lastStatus()
	if got != "Done: “Prepare the pricing s…” — the status filter hides it" || lipgloss.Width(got) > 62 {
		t.Fatalf("status %q (%d cells)", got, lipgloss.Width(got))
	}
}

// After adding, the cursor is on the new activity wherever the list puts it (here far
// below the loaded window), and the form read the start the way the CLI does.
func TestAddMovesTheCursorToTheNewActivity(t *testing.T) {
	t.Parallel() // huh's cursor timers make form tests wait; let them wait together
	f := newFixture(t)
	f.addMany(t, 200, f.me.ID, store.TypeCall, "Call", testNow.Add(90*time.Minute)) // 11:30, 12:30, ...
	m, out := open(t, f, 100, 30)
	for _, c := range []struct {
		start  string
		pos    int
		at     time.Time
		allDay bool
	}{
		// Calls from Nov 25 11:30 to Nov 26 13:30 come before it: 27 rows.
		{"tomorrow 14:15", 27, time.Date(2026, 11, 26, 14, 15, 0, 0, time.UTC), false},
		// Dec 3, all day: after the 181 calls up to Dec 2 23:30 and the review above.
		{"2026-12-03", 182, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), true},
	} {
		out.press(t, m, "a")
		subject := "Review " + strings.Fields(c.start)[0]
		m.formVals.Subject = subject
		m.formVals.Start = c.start
		_, cmd := m.Update(formDoneMsg{id: m.formID})
		out.drive(t, m, cmd)
		if got := out.lastStatus(); got != "Added “"+subject+"”" {
			t.Fatalf("status %q", got)
		}
		row, ok := m.Selected()
		if !ok || m.cursor != c.pos || row.Subject != subject {
			t.Fatalf("%s: cursor %d on %q (loaded %v), want %d", c.start, m.cursor, row.Subject, ok, c.pos)
		}
		if !row.Start.Equal(c.at) || row.AllDay != c.allDay {
			t.Fatalf("%s: stored start %s all day %v", c.start, row.Start, row.AllDay)
		}
		if !strings.Contains(m.View(), subject) {
			t.Fatalf("%s: the new row is not on the screen:\n%s", c.start, m.View())
		}
	}
}
