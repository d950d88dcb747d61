package sync

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/store"
)

// seriesRemote is a CalDAV remote whose raw resources a test can write and read, as
// another CalDAV client would.
type seriesRemote interface {
	remote
	putRaw(file, ics string) (id string)
	getRaw(id string) string
}

func (c *caldavRemote) putRaw(file, ics string) string {
	href, _, err := c.fake.PutEvent("work", file, ics)
	if err != nil {
		panic(err)
	}
	return href
}

func (c *caldavRemote) getRaw(id string) string { return c.fake.Events("work")[path.Base(id)] }

func (c *realRemote) putRaw(file, ics string) string {
	if st, body := c.http(http.MethodPut, c.cal+file, ics); st/100 != 2 {
		panic(fmt.Sprintf("PUT %s: %d %s", file, st, body))
	}
	return c.cal + file
}

func (c *realRemote) getRaw(id string) string {
	_, body := c.http(http.MethodGet, id, "")
	return body
}

// dailySeriesICS is a daily series of count one-hour occurrences from start, written
// with a TZID as desktop clients do.
func dailySeriesICS(uid, subject string, start time.Time, count int) string {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	f := "20060102T150405"
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//other client//EN\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n" +
		"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
		"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Berlin:" + start.In(berlin).Format(f) + "\r\nDTEND;TZID=Europe/Berlin:" + start.Add(time.Hour).In(berlin).Format(f) +
		"\r\nRRULE:FREQ=DAILY;COUNT=" + fmt.Sprint(count) + "\r\nSUMMARY:" + subject + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// occurrencesOf lists the live activities linked to occurrences of series href, by start.
func (h *harness) occurrencesOf(href string) []store.Activity {
	h.t.Helper()
	var out []store.Activity
	for _, a := range h.liveActivities() {
		ls, err := store.LinksForActivity(h.ctx, h.st.DB, a.ID)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, l := range ls {
			if strings.HasPrefix(l.RemoteID, href+"#") {
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

func (h *harness) liveSeries(href string) []providers.Event {
	h.t.Helper()
	set, _ := store.GetSyncSettings(h.ctx, h.st.DB, h.acct.ID)
	page, err := h.rem.Provider().Changes(h.ctx, set.CalendarID, "", providers.Window{Start: base.AddDate(0, 0, -1), End: base.AddDate(0, 1, 0)})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []providers.Event
	for _, ev := range page.Events {
		if ev.SeriesID == href {
			out = append(out, ev)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

func noErrors(t *testing.T, what string, s Summary) {
	t.Helper()
	if s.Errors != 0 || s.Failed {
		t.Fatalf("%s: %d errors (%s), want none: %+v", what, s.Errors, s.FirstError, s)
	}
}

// The recurring-events case, end to end on the CalDAV fake, Radicale and
// Xandikos: an imported daily series; one occurrence edited here becomes an override in
// the calendar, another deleted here an EXDATE; every sync after that is clean; a
// change to the series in the calendar reaches the occurrences here (the edited one
// keeps its own subject).
func TestOccurrenceEditAndDeleteReachTheCalendar(t *testing.T) {
	for _, mk := range []remoteFactory{caldavFactory, radicaleFactory, xandikosFactory} {
		h := newHarness(t, mk, store.DirTwoWay)
		t.Run(h.rem.Name(), func(t *testing.T) {
			h.t = t
			rem := h.rem.(seriesRemote)
			uid := fmt.Sprintf("series-%d", time.Now().UnixNano())
			href := rem.putRaw(uid+".ics", dailySeriesICS(uid, "Standup", base.Add(48*time.Hour), 4))
			noErrors(t, "import", h.sync())
			occ := h.occurrencesOf(href)
			if len(occ) != 4 {
				t.Fatalf("%d occurrences imported, want 4\n%s", len(occ), h.dumpJournal())
			}

			h.localEdit(occ[1].ID, "Standup with the client")
			s := h.sync()
			noErrors(t, "occurrence edit", s)
			if s.Pushed != 1 {
				t.Fatalf("occurrence edit: pushed %d, want 1\n%s", s.Pushed, h.dumpJournal())
			}
			raw := rem.getRaw(href)
			for _, want := range []string{"RRULE:FREQ=DAILY;COUNT=4", "RECURRENCE-ID;TZID=Europe/Berlin:", "SUMMARY:Standup with the client"} {
				if !strings.Contains(strings.Join(unfold(raw), "\n"), want) {
					t.Errorf("series resource lacks %q:\n%s", want, raw)
				}
			}

			h.localDelete(occ[2].ID)
			noErrors(t, "occurrence delete", h.sync())
			if !strings.Contains(rem.getRaw(href), "EXDATE;TZID=Europe/Berlin:") {
				t.Errorf("no EXDATE after deleting an occurrence:\n%s", rem.getRaw(href))
			}
			live := h.liveSeries(href)
			if len(live) != 3 || live[1].Subject != "Standup with the client" || live[0].Subject != "Standup" || live[2].Subject != "Standup" {
				t.Fatalf("calendar after edit and delete: %+v", live)
			}
			s = h.sync()
			noErrors(t, "quiet run", s)
			if s.Pushed != 0 || s.Pulled != 0 {
				t.Fatalf("quiet run moved something: %+v\n%s", s, h.dumpJournal())
			}

			// The series renamed in the calendar (master only): the occurrences follow,
			// the edited one keeps its own subject.
			h.tick()
			raw = rem.getRaw(href)
			rem.putRaw(path.Base(href), strings.Replace(strings.Join(unfold(raw), "\r\n"), "SUMMARY:Standup\r\n", "SUMMARY:Daily sync\r\n", 1))
			noErrors(t, "series edit", h.sync())
			got := h.occurrencesOf(href)
			if len(got) != 3 || got[0].Subject != "Daily sync" || got[1].Subject != "Standup with the client" || got[2].Subject != "Daily sync" {
				var subj []string
				for _, a := range got {
					subj = append(subj, a.Subject)
				}
				t.Fatalf("after the series edit the occurrences here are %q\n%s", subj, h.dumpJournal())
			}

			// Another client deletes the last occurrence (an EXDATE on the master): the
			// increment carries the series whole, so it is gone here too.
			h.tick()
			berlin, _ := time.LoadLocation("Europe/Berlin")
			raw = strings.Join(unfold(rem.getRaw(href)), "\r\n")
			raw = strings.Replace(raw, "RRULE:FREQ=DAILY;COUNT=4\r\n", "RRULE:FREQ=DAILY;COUNT=4\r\nEXDATE;TZID=Europe/Berlin:"+
				occ[3].Start.In(berlin).Format("20060102T150405")+"\r\n", 1)
			rem.putRaw(path.Base(href), raw)
			s = h.sync()
			noErrors(t, "EXDATE in the calendar", s)
			if got := h.occurrencesOf(href); len(got) != 2 || s.DeletedLocal != 1 || s.FullListing {
				t.Fatalf("after an EXDATE in the calendar: %d occurrences here, run %+v\n%s", len(got), s, h.dumpJournal())
			}
		})
	}
}

// A refused occurrence edit (here: the calendar refuses the write) leaves the run
// partial once and can be put back to the calendar's version by Revert; afterwards
// syncs are clean again.
func TestRevertPutsAFailedOccurrenceBack(t *testing.T) {
	h := newHarness(t, caldavFactory, store.DirTwoWay)
	rem := h.rem.(seriesRemote)
	href := rem.putRaw("s.ics", dailySeriesICS("s", "Standup", base.Add(48*time.Hour), 3))
	noErrors(t, "import", h.sync())
	occ := h.occurrencesOf(href)
	if len(occ) != 3 {
		t.Fatalf("%d occurrences, want 3", len(occ))
	}
	h.localEdit(occ[0].ID, "edited here")
	h.localDelete(occ[1].ID)
	h.rem.SetFault(func(op string) error {
		if op == "update" || op == "delete" {
			return &providers.Error{Kind: providers.Invalid, Provider: "caldav", Op: op, Code: "refused", Message: "refused by the server"}
		}
		return nil
	})
	if s := h.sync(); s.Errors != 2 {
		t.Fatalf("refused writes: %d errors, want 2: %+v", s.Errors, s)
	}
	h.rem.SetFault(nil)
	eng := h.engine(h.ctx, func() {})
	res, err := eng.Revert(h.ctx, occ[0].ID, occ[1].ID)
	if err != nil {
		t.Fatalf("revert: %v\n%s", err, h.dumpJournal())
	}
	if res.Links != 2 || len(res.Restored) != 1 || res.Restored[0] != occ[1].ID || len(res.Summaries) != 1 {
		t.Fatalf("revert result %+v", res)
	}
	noErrors(t, "revert's sync", res.Summaries[0])
	got := h.occurrencesOf(href)
	if len(got) != 3 || got[0].Subject != "Standup" || got[1].Subject != "Standup" {
		t.Fatalf("after revert: %+v", got)
	}
	if !h.hasJournal(occ[0].ID, store.OpInfo, ReasonReverted, "edited here") {
		t.Errorf("the dropped local version is not in the journal\n%s", h.dumpJournal())
	}
	if live := h.liveSeries(href); len(live) != 3 {
		t.Fatalf("calendar changed by the revert: %+v", live)
	}
	s := h.sync()
	noErrors(t, "after revert", s)
	if s.Pushed != 0 {
		t.Fatalf("after revert something was pushed: %+v", s)
	}
	if _, err := eng.Revert(h.ctx, occ[2].ID); !errors.Is(err, ErrNothingToRevert) {
		t.Fatalf("revert of an unchanged occurrence: %v, want ErrNothingToRevert", err)
	}
}

// EditRefusal refuses an occurrence on a read-only calendar while the direction writes
// there, and says nothing for a from-calendar account or an ordinary event.
func TestEditRefusalForReadOnlyOccurrences(t *testing.T) {
	h := newHarness(t, caldavFactory, store.DirTwoWay)
	rem := h.rem.(seriesRemote)
	href := rem.putRaw("s.ics", dailySeriesICS("s", "Standup", base.Add(48*time.Hour), 2))
	single := h.remoteCreate("One-off")
	noErrors(t, "import", h.sync())
	occ := h.occurrencesOf(href)
	one, _ := h.activityOf(single)
	set, _ := store.GetSyncSettings(h.ctx, h.st.DB, h.acct.ID)
	if err := store.ReplaceCalendars(h.ctx, h.st.DB, h.acct.ID, []store.Calendar{{RemoteID: set.CalendarID, Name: "Team", ReadOnly: true}}, h.clock); err != nil {
		t.Fatal(err)
	}
	why, err := EditRefusal(h.ctx, h.st.DB, occ[0].ID)
	if err != nil || !strings.Contains(why, "read-only") || !strings.Contains(why, "Team") {
		t.Fatalf("refusal = %q, %v; want the read-only calendar named", why, err)
	}
	if why, _ := EditRefusal(h.ctx, h.st.DB, one.ID); why != "" {
		t.Fatalf("an ordinary event is refused: %q", why)
	}
	set.Direction = store.DirFromCalendar
	if err := store.PutSyncSettings(h.ctx, h.st.DB, set); err != nil {
		t.Fatal(err)
	}
	if why, _ := EditRefusal(h.ctx, h.st.DB, occ[0].ID); why != "" {
		t.Fatalf("from-calendar keeps changes local, yet refused: %q", why)
	}
}

// A change to an occurrence the calendar refuses for good (read-only) fails one run;
// later runs do not send it again (skipped, no error), further edits of it are refused
// up front, and revert takes the calendar's version.
func TestRefusedOccurrenceChangeFailsOnce(t *testing.T) {
	h := newHarness(t, caldavFactory, store.DirTwoWay)
	rem := h.rem.(seriesRemote)
	href := rem.putRaw("s.ics", dailySeriesICS("s", "Standup", base.Add(48*time.Hour), 2))
	noErrors(t, "import", h.sync())
	occ := h.occurrencesOf(href)
	h.localEdit(occ[0].ID, "edited here")
	h.rem.SetFault(func(op string) error {
		if op == "update" || op == "delete" || op == "create" {
			return &providers.Error{Kind: providers.ReadOnly, Provider: "caldav", Op: op, Status: 403, Message: "forbidden"}
		}
		return nil
	})
	if s := h.sync(); s.Errors != 1 {
		t.Fatalf("refused write: %d errors, want 1: %+v", s.Errors, s)
	}
	for i := 0; i < 2; i++ {
		s := h.sync()
		noErrors(t, "run after the refusal", s)
		if s.Skipped[ReasonOccurrenceRefused] != 1 {
			t.Fatalf("run after the refusal: %+v, want the occurrence skipped", s)
		}
	}
	if why, _ := EditRefusal(h.ctx, h.st.DB, occ[0].ID); !strings.Contains(why, "refused") {
		t.Fatalf("a further edit is not refused up front: %q", why)
	}
	if !h.hasJournal(occ[0].ID, store.OpSkipped, ReasonOccurrenceRefused, "calsync activity revert") {
		t.Errorf("the skip does not name the way out\n%s", h.dumpJournal())
	}
	res, err := h.engine(h.ctx, func() {}).Revert(h.ctx, occ[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	noErrors(t, "revert", res.Summaries[0])
	if got := h.activity(occ[0].ID); got.Subject != "Standup" {
		t.Fatalf("after revert the subject is %q", got.Subject)
	}
	if s := h.sync(); s.Errors != 0 || s.Skipped[ReasonOccurrenceRefused] != 0 {
		t.Fatalf("after revert: %+v", s)
	}
}

// seriesAdder is a remote that can hold a series made in the calendar.
type seriesAdder interface {
	remote
	addSeries(subject string, start time.Time, count int) (seriesID string)
}

func (g *googleRemote) addSeries(subject string, start time.Time, count int) string {
	ev, err := g.fake.PutEvent(g.cal, googlefake.Event{Summary: subject, Start: g.dt(start), End: g.dt(start.Add(time.Hour)),
		Recurrence: []string{fmt.Sprintf("RRULE:FREQ=DAILY;COUNT=%d", count)}})
	if err != nil {
		panic(err)
	}
	return ev.ID
}

func (g *graphRemote) addSeries(subject string, start time.Time, count int) string {
	ev, err := g.fake.PutEvent(g.cal, graphfake.Event{Subject: subject, Start: start, End: start.Add(time.Hour), TimeZone: "UTC",
		Recurrence: &graphfake.Recurrence{Pattern: graphfake.RecurrencePattern{Type: "daily", Interval: 1},
			Range: graphfake.RecurrenceRange{Type: "numbered", StartDate: start.UTC().Format("2006-01-02"), RecurrenceTimeZone: "UTC", NumberOfOccurrences: count}}})
	if err != nil {
		panic(err)
	}
	return ev.ID
}

// seriesActivities lists the live activities linked to occurrences of seriesID, by start.
func (h *harness) seriesActivities(seriesID string) []store.Activity {
	h.t.Helper()
	var out []store.Activity
	for _, a := range h.liveActivities() {
		occ, err := store.OccurrencesOfActivity(h.ctx, h.st.DB, a.ID)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, o := range occ {
			if o.SeriesID == seriesID {
				out = append(out, a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// The same story on Google (instances) and Graph (occurrences): an occurrence edited
// here is patched as an exception, one deleted here is cancelled / deleted alone, the
// runs stay clean, and a later quiet run moves nothing.
func TestOccurrenceWritesGoogleAndGraph(t *testing.T) {
	for _, mk := range []remoteFactory{googleFactory, graphFactory} {
		h := newHarness(t, mk, store.DirTwoWay)
		t.Run(h.rem.Name(), func(t *testing.T) {
			h.t = t
			series := h.rem.(seriesAdder).addSeries("Standup", base.Add(48*time.Hour), 4)
			noErrors(t, "import", h.sync())
			occ := h.seriesActivities(series)
			if len(occ) != 4 {
				t.Fatalf("%d occurrences imported, want 4\n%s", len(occ), h.dumpJournal())
			}
			h.localEdit(occ[1].ID, "Standup with the client")
			if s := h.sync(); s.Pushed != 1 || s.Errors != 0 {
				t.Fatalf("occurrence edit: %+v\n%s", s, h.dumpJournal())
			}
			h.localDelete(occ[2].ID)
			if s := h.sync(); s.Pushed != 1 || s.Errors != 0 {
				t.Fatalf("occurrence delete: %+v\n%s", s, h.dumpJournal())
			}
			for i := 0; i < 2; i++ {
				if s := h.sync(); s.Pushed != 0 || s.Pulled != 0 || s.Errors != 0 {
					t.Fatalf("quiet run %d: %+v\n%s", i, s, h.dumpJournal())
				}
			}
			set, _ := store.GetSyncSettings(h.ctx, h.st.DB, h.acct.ID)
			page, err := h.rem.Provider().Changes(h.ctx, set.CalendarID, "", providers.Window{Start: base.AddDate(0, 0, -1), End: base.AddDate(0, 1, 0)})
			if err != nil {
				t.Fatal(err)
			}
			var subj []string
			for _, ev := range page.Events {
				if ev.SeriesID == series && !ev.Deleted {
					subj = append(subj, ev.Start.Format("01-02")+" "+ev.Subject)
				}
			}
			sort.Strings(subj)
			want := []string{occ[0].Start.Format("01-02") + " Standup", occ[1].Start.Format("01-02") + " Standup with the client",
				occ[3].Start.Format("01-02") + " Standup"}
			if strings.Join(subj, "|") != strings.Join(want, "|") {
				t.Fatalf("calendar holds %q, want %q", subj, want)
			}
			if got := h.seriesActivities(series); len(got) != 3 {
				t.Fatalf("%d occurrences here after the delete, want 3", len(got))
			}
		})
	}
}
