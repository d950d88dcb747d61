package conformance

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
)

type testCase struct {
	name string
	run  func(t *testing.T, s *suite)
}

var cases = []testCase{
	{"calendars", testCalendars},
	{"create-read-back", testCreateReadBack},
	{"retried-create-makes-one-event", testRetriedCreate},
	{"all-day", testAllDay},
	{"zero-duration", testZeroDuration},
	{"crlf-text", testCRLFText},
	{"update-with-etag", testUpdate},
	{"stale-etag-conflict", testStaleETag},
	{"delete", testDelete},
	{"increments-show-each-change-once", testIncrements},
	{"delete-after-own-write", testDeleteAfterOwnWrite},
	{"full-listing-pages", testPaging},
	{"increment-pages", testIncrementPaging},
	{"expired-cursor-full-listing", testExpiredCursor},
	{"tag-round-trips", testTag},
	{"access", testAccess},
	{"occurrence-edit", testOccurrenceEdit},
	{"occurrence-delete", testOccurrenceDelete},
}

func testCalendars(t *testing.T, s *suite) {
	cals, err := s.Provider.Calendars(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cals {
		if c.ID == s.Calendar {
			if c.ReadOnly {
				t.Fatalf("test calendar %q listed read-only", c.ID)
			}
			if !c.Events {
				t.Fatalf("test calendar %q listed as holding no events", c.ID)
			}
			return
		}
	}
	t.Fatalf("calendar %q not in %+v", s.Calendar, cals)
}

func testCreateReadBack(t *testing.T, s *suite) {
	ev := s.event("Call Alice — ünïcødé")
	got := s.mustCreate(t, ev)
	sameEvent(t, "create result", ev, got)
	l := s.mustList(t, "")
	back, ok := l.find(got.RemoteID)
	if !ok {
		t.Fatalf("created event %q not in full listing (%d events)", got.RemoteID, len(l.events))
	}
	sameEvent(t, "read back", ev, back)
	if back.ETag != got.ETag {
		t.Errorf("etag read back %q, create returned %q", back.ETag, got.ETag)
	}
}

func testRetriedCreate(t *testing.T, s *suite) {
	ev := s.event("Retried create")
	first := s.mustCreate(t, ev)
	second, err := s.Provider.Create(s.ctx, s.Calendar, ev)
	if err != nil {
		t.Fatalf("retried create must find the event, got %v", err)
	}
	if second.RemoteID != first.RemoteID {
		t.Fatalf("retried create made %q, first was %q", second.RemoteID, first.RemoteID)
	}
	l := s.mustList(t, "")
	n := 0
	for _, e := range l.events {
		if e.ActivityID == ev.ActivityID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d events carry activity %s after a retried create, want 1", n, ev.ActivityID)
	}
}

func testAllDay(t *testing.T, s *suite) {
	ev := s.event("Conference day")
	day := time.Date(s.base.Year(), s.base.Month(), s.base.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 3)
	ev.AllDay, ev.Start, ev.End = true, day, day.AddDate(0, 0, 1)
	got := s.mustCreate(t, ev)
	l := s.mustList(t, "")
	back, ok := l.find(got.RemoteID)
	if !ok {
		t.Fatal("all-day event not listed")
	}
	sameEvent(t, "all-day read back", ev, back)
}

// testZeroDuration: an activity with duration 0 (a reminder, a call logged at a moment)
// is written and read back as starting and ending at the same time. CalDAV must not
// write DTEND equal to DTSTART (RFC 5545 3.8.2.2); the provider leaves DTEND out.
func testZeroDuration(t *testing.T, s *suite) {
	ev := s.event("Reminder")
	ev.End = ev.Start
	got := s.mustCreate(t, ev)
	sameEvent(t, "zero-duration create result", ev, got)
	back, ok := s.mustList(t, "").find(got.RemoteID)
	if !ok {
		t.Fatal("zero-duration event not listed")
	}
	sameEvent(t, "zero-duration read back", ev, back)
}

// testCRLFText: a note pasted from Windows (CR LF) or an old Mac (lone CR) is written and
// reads back with its line breaks; a provider may normalise them to LF.
func testCRLFText(t *testing.T, s *suite) {
	ev := s.event("Pasted notes")
	ev.Description = "first line\r\nsecond line\rthird line"
	got, err := s.Provider.Create(s.ctx, s.Calendar, ev)
	if err != nil {
		t.Fatalf("create with CR LF in the text: %v", err)
	}
	ev.RemoteID = got.RemoteID
	ev.Location = "Room\r\n5"
	up, err := s.Provider.Update(s.ctx, s.Calendar, ev, got.ETag)
	if err != nil {
		t.Fatalf("update with CR LF in the text: %v", err)
	}
	back, ok := s.mustList(t, "").find(up.RemoteID)
	if !ok {
		t.Fatal("event with CR LF text not listed")
	}
	lf := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n") }
	if lf(back.Description) != lf(ev.Description) || lf(back.Location) != lf(ev.Location) {
		t.Fatalf("read back %q / %q, want the lines of %q / %q", back.Description, back.Location, ev.Description, ev.Location)
	}
}

func testUpdate(t *testing.T, s *suite) {
	ev := s.event("Before")
	got := s.mustCreate(t, ev)
	ev.RemoteID = got.RemoteID
	ev.Subject, ev.Location = "After", "Room 9"
	ev.Start, ev.End = ev.Start.Add(time.Hour), ev.End.Add(90*time.Minute)
	up, err := s.Provider.Update(s.ctx, s.Calendar, ev, got.ETag)
	if err != nil {
		t.Fatalf("update with current etag: %v", err)
	}
	if up.ETag == "" || up.ETag == got.ETag {
		t.Errorf("update returned etag %q, before it was %q: it must change", up.ETag, got.ETag)
	}
	sameEvent(t, "update result", ev, up)
	back, ok := s.mustList(t, "").find(got.RemoteID)
	if !ok {
		t.Fatal("updated event not listed")
	}
	sameEvent(t, "updated read back", ev, back)
}

func testStaleETag(t *testing.T, s *suite) {
	ev := s.event("Contended")
	got := s.mustCreate(t, ev)
	ev.RemoteID = got.RemoteID
	ev.Subject = "First writer"
	if _, err := s.Provider.Update(s.ctx, s.Calendar, ev, got.ETag); err != nil {
		t.Fatal(err)
	}
	ev.Subject = "Second writer with a stale etag"
	_, err := s.Provider.Update(s.ctx, s.Calendar, ev, got.ETag)
	wantKind(t, "update with stale etag", err, providers.Conflict)
	err = s.Provider.Delete(s.ctx, s.Calendar, got.RemoteID, got.ETag)
	wantKind(t, "delete with stale etag", err, providers.Conflict)
	back, ok := s.mustList(t, "").find(got.RemoteID)
	if !ok || back.Subject != "First writer" {
		t.Fatalf("after refused writes the event is %+v (listed %v), want the first writer's", back, ok)
	}
}

func testDelete(t *testing.T, s *suite) {
	got := s.mustCreate(t, s.event("To delete"))
	keep := s.mustCreate(t, s.event("To keep"))
	if err := s.Provider.Delete(s.ctx, s.Calendar, got.RemoteID, got.ETag); err != nil {
		t.Fatalf("delete: %v", err)
	}
	l := s.mustList(t, "")
	if e, ok := l.find(got.RemoteID); ok && !e.Deleted {
		t.Fatal("deleted event still in full listing")
	}
	if _, ok := l.find(keep.RemoteID); !ok {
		t.Fatal("delete removed another event")
	}
	if err := s.Provider.Delete(s.ctx, s.Calendar, got.RemoteID, ""); err != nil {
		t.Fatalf("deleting an event already gone must not fail: %v", err)
	}
	if err := s.Provider.Delete(s.ctx, s.Calendar, got.RemoteID, got.ETag); err != nil {
		t.Fatalf("deleting an event already gone (with its old etag) must not fail: %v", err)
	}
}

func testIncrements(t *testing.T, s *suite) {
	s.mustCreate(t, s.event("Already there"))
	c0 := s.mustList(t, "").cursor

	ev := s.event("Incremental")
	got := s.mustCreate(t, ev)
	inc := s.mustList(t, c0)
	if n := inc.count(got.RemoteID); n != 1 {
		t.Fatalf("increment after create holds the event %d times, want 1", n)
	}
	if e, _ := inc.find(got.RemoteID); e.Deleted || e.Subject != ev.Subject {
		t.Fatalf("increment after create: %+v", e)
	}

	ev.RemoteID, ev.Subject = got.RemoteID, "Incremental, renamed"
	up, err := s.Provider.Update(s.ctx, s.Calendar, ev, got.ETag)
	if err != nil {
		t.Fatal(err)
	}
	inc2 := s.mustList(t, inc.cursor)
	if n := inc2.count(got.RemoteID); n != 1 {
		t.Fatalf("increment after update holds the event %d times, want 1", n)
	}
	if e, _ := inc2.find(got.RemoteID); e.Deleted || e.Subject != ev.Subject {
		t.Fatalf("increment after update: %+v", e)
	}

	if err := s.Provider.Delete(s.ctx, s.Calendar, got.RemoteID, up.ETag); err != nil {
		t.Fatal(err)
	}
	inc3 := s.mustList(t, inc2.cursor)
	if n := inc3.count(got.RemoteID); n != 1 {
		t.Fatalf("increment after delete holds the event %d times, want 1", n)
	}
	if e, _ := inc3.find(got.RemoteID); !e.Deleted {
		t.Fatalf("increment after delete does not mark it deleted: %+v", e)
	}

	inc4 := s.mustList(t, inc3.cursor)
	if n := inc4.count(got.RemoteID); n != 0 {
		t.Fatalf("an increment with no changes repeats the deleted event %d times", n)
	}
}

// testDeleteAfterOwnWrite is the case behind the engine's settle read (sync/settle.go): a
// server may leave out of an increment what was created and deleted after the token
// (RFC 6578 allows it; Xandikos does), so a cursor taken before calsync's own create
// never shows that the person deleted the event. The engine therefore reads on after its
// writes; the suite checks what that relies on: the increment after the writes holds
// the created event (that is how the engine confirms its writes), and from the cursor
// it ends with, a deletion in the calendar shows up, on every provider.
func testDeleteAfterOwnWrite(t *testing.T, s *suite) {
	s.mustCreate(t, s.event("Already there"))
	before := s.mustList(t, "").cursor
	got := s.mustCreate(t, s.event("Pushed, then deleted in the calendar"))
	settle := s.mustList(t, before)
	if n := settle.count(got.RemoteID); n != 1 {
		t.Fatalf("the increment read after calsync's own create holds the event %d times, want 1: the engine could not confirm its write", n)
	}
	if s.DeleteForeign != nil {
		if err := s.DeleteForeign(got.RemoteID); err != nil {
			t.Fatal(err)
		}
	} else if err := s.Provider.Delete(s.ctx, s.Calendar, got.RemoteID, ""); err != nil {
		t.Fatal(err)
	}
	inc := s.mustList(t, settle.cursor)
	if e, ok := inc.find(got.RemoteID); !ok || !e.Deleted {
		t.Fatalf("a deletion after the settle read is missing from the next increment (listed %v: %+v)", ok, e)
	}
	if e, ok := s.mustList(t, "").find(got.RemoteID); ok && !e.Deleted {
		t.Fatal("the deleted event is still in a full listing")
	}
}

func testPaging(t *testing.T, s *suite) {
	const n = 7
	ids := map[string]bool{}
	for i := 0; i < n; i++ {
		ids[s.mustCreate(t, s.event("Paged")).RemoteID] = true
	}
	l := s.mustList(t, "")
	for id := range ids {
		if c := l.count(id); c != 1 {
			t.Errorf("event %s appears %d times in a %d-page full listing, want 1", id, c, l.pages)
		}
	}
}

// testIncrementPaging: an increment too big for one page (one edited weekly series can be
// many instances) arrives whole. Google pages an increment by repeating the syncToken
// with the pageToken; a client sending a bare pageToken is refused by the fake.
func testIncrementPaging(t *testing.T, s *suite) {
	c0 := s.mustList(t, "").cursor
	const n = 7
	ids := map[string]bool{}
	for i := 0; i < n; i++ {
		ids[s.mustCreate(t, s.event("Incremental page")).RemoteID] = true
	}
	l := s.mustList(t, c0)
	for id := range ids {
		if c := l.count(id); c != 1 {
			t.Errorf("event %s appears %d times in a %d-page increment, want 1", id, c, l.pages)
		}
	}
}

func testExpiredCursor(t *testing.T, s *suite) {
	got := s.mustCreate(t, s.event("Survives resync"))
	c := s.mustList(t, "").cursor
	if err := s.Inject(ExpiredCursor); err != nil {
		if errors.Is(err, ErrUnsupported) {
			t.Skip("provider cannot expire a change token")
		}
		t.Fatal(err)
	}
	_, err := s.list(c)
	wantKind(t, "listing with an expired cursor", err, providers.CursorExpired)
	l, err := s.list("")
	if err != nil {
		t.Fatalf("full listing after CursorExpired: %v", err)
	}
	if _, ok := l.find(got.RemoteID); !ok {
		t.Fatal("full listing after CursorExpired lost an event")
	}
	if _, err := s.list(l.cursor); err != nil {
		t.Fatalf("the new cursor does not work: %v", err)
	}
}

func testTag(t *testing.T, s *suite) {
	ev := s.event("Tagged")
	got := s.mustCreate(t, ev)
	if got.ActivityID != ev.ActivityID {
		t.Fatalf("create returned tag %q, want %q", got.ActivityID, ev.ActivityID)
	}
	var foreign string
	if s.AddForeign != nil {
		id, err := s.AddForeign("Written by someone else", s.base, s.base.Add(time.Hour))
		if err != nil && !errors.Is(err, ErrUnsupported) {
			t.Fatal(err)
		}
		foreign = id
	}
	l := s.mustList(t, "")
	back, ok := l.find(got.RemoteID)
	if !ok || back.ActivityID != ev.ActivityID {
		t.Fatalf("tag read back %q (listed %v), want %q", back.ActivityID, ok, ev.ActivityID)
	}
	if foreign != "" {
		f, ok := l.find(foreign)
		if !ok {
			t.Fatalf("foreign event %q not listed", foreign)
		}
		if f.ActivityID != "" {
			t.Fatalf("foreign event carries tag %q", f.ActivityID)
		}
	}
}

func testAccess(t *testing.T, s *suite) {
	r, err := s.Provider.Access(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.CanWrite {
		t.Fatalf("fresh account reports CanWrite=false: %+v", r)
	}
	if len(r.Missing) > 0 {
		t.Fatalf("fresh account reports missing scopes %v", r.Missing)
	}
}

func runFault(t *testing.T, s *suite, f Fault) {
	want := ExpectedKind(f)
	// Writes and a cursor taken before the fault, so the fault is what fails.
	var cursor string
	if f == ExpiredCursor {
		s.mustCreate(t, s.event("Before fault"))
		cursor = s.mustList(t, "").cursor
	}
	if err := s.Inject(f); err != nil {
		if errors.Is(err, ErrUnsupported) {
			t.Skipf("provider cannot have fault %s", f)
		}
		t.Fatalf("inject %s: %v", f, err)
	}
	var err error
	switch f {
	case ReadOnlyCalendar:
		_, err = s.Provider.Create(s.ctx, s.Calendar, s.event("Refused"))
	case ExpiredCursor:
		_, err = s.list(cursor)
	default:
		_, err = s.list("")
	}
	pe := wantKind(t, string(f), err, want)
	if f == RateLimit && pe.RetryAfter <= 0 {
		t.Errorf("RateLimited without RetryAfter: %v", err)
	}
	if f == MissingScope {
		r, aerr := s.Provider.Access(s.ctx)
		if aerr == nil && len(r.Missing) == 0 {
			t.Errorf("Access reports nothing missing after %s: %+v", f, r)
		}
	}
}

// occurrences lists the series' occurrences, in start order, and fails unless there are want.
func (s *suite) occurrences(t *testing.T, seriesID string, want int) []providers.Event {
	t.Helper()
	var out []providers.Event
	for _, e := range s.mustList(t, "").events {
		if e.SeriesID == seriesID && !e.Deleted {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	if len(out) != want {
		t.Fatalf("series %s lists %d occurrences, want %d: %+v", seriesID, len(out), want, out)
	}
	return out
}

func (s *suite) addSeries(t *testing.T, subject string) (string, []providers.Event) {
	t.Helper()
	if s.AddSeries == nil {
		t.Skip("harness has no AddSeries: occurrence writes not checked for this provider")
	}
	id, err := s.AddSeries(subject, s.base.Add(3*time.Hour), time.Hour, 4)
	if err != nil {
		t.Fatalf("add series: %v", err)
	}
	return id, s.occurrences(t, id, 4)
}

// testOccurrenceEdit edits the second occurrence of a daily series: it alone changes
// (an exception in the calendar), the others keep their content and version, a write
// with the occurrence's old version is a Conflict, and a sibling's listed version still
// allows editing the sibling.
func testOccurrenceEdit(t *testing.T, s *suite) {
	id, occ := s.addSeries(t, "Standup")
	ev := occ[1]
	ev.Subject, ev.Location, ev.Description = "Standup (moved)", "Room 2", "moved for the review"
	ev.Start, ev.End = ev.Start.Add(2*time.Hour), ev.End.Add(2*time.Hour)
	ev.ActivityID = ""
	up, err := s.Provider.Update(s.ctx, s.Calendar, ev, occ[1].ETag)
	if err != nil {
		t.Fatalf("edit one occurrence: %v", err)
	}
	if up.RemoteID != occ[1].RemoteID || up.ETag == "" || up.ETag == occ[1].ETag {
		t.Errorf("edit returned id %q etag %q; want id %q and a new etag (was %q)", up.RemoteID, up.ETag, occ[1].RemoteID, occ[1].ETag)
	}
	after := s.occurrences(t, id, 4)
	for i, e := range after {
		if i == 1 {
			if e.RemoteID != occ[1].RemoteID || e.Subject != ev.Subject || e.Location != ev.Location ||
				!e.Start.Equal(ev.Start) || !e.End.Equal(ev.End) {
				t.Errorf("edited occurrence reads back %+v, want %q at %v..%v", e, ev.Subject, ev.Start, ev.End)
			}
			continue
		}
		if e.RemoteID != occ[i].RemoteID || e.Subject != "Standup" || !e.Start.Equal(occ[i].Start) {
			t.Errorf("occurrence %d changed with its sibling: %+v, was %+v", i, e, occ[i])
		}
	}
	stale := ev
	stale.Subject = "written with the old version"
	_, err = s.Provider.Update(s.ctx, s.Calendar, stale, occ[1].ETag)
	wantKind(t, "occurrence edit with a stale version", err, providers.Conflict)
	// The sibling did not change: its listed version still allows writing it.
	sib := occ[2]
	sib.Subject = "Standup (sibling)"
	if _, err := s.Provider.Update(s.ctx, s.Calendar, sib, occ[2].ETag); err != nil {
		t.Fatalf("editing a sibling with the version listed before the first edit: %v", err)
	}
	final := s.occurrences(t, id, 4)
	if final[1].Subject != ev.Subject || final[2].Subject != sib.Subject || final[0].Subject != "Standup" || final[3].Subject != "Standup" {
		t.Errorf("after two occurrence edits: %q %q %q %q", final[0].Subject, final[1].Subject, final[2].Subject, final[3].Subject)
	}
}

// testOccurrenceDelete deletes the third occurrence: it alone is gone from the listing
// (EXDATE / a cancelled instance), and deleting it again is not an error.
func testOccurrenceDelete(t *testing.T, s *suite) {
	id, occ := s.addSeries(t, "Weekly review")
	if err := s.Provider.Delete(s.ctx, s.Calendar, occ[2].RemoteID, occ[2].ETag); err != nil {
		t.Fatalf("delete one occurrence: %v", err)
	}
	after := s.occurrences(t, id, 3)
	for i, e := range after {
		j := i
		if i >= 2 {
			j = i + 1
		}
		if e.RemoteID != occ[j].RemoteID || e.Subject != "Weekly review" || !e.Start.Equal(occ[j].Start) {
			t.Errorf("after deleting occurrence 2, occurrence %d is %+v, want %+v", j, e, occ[j])
		}
	}
	if err := s.Provider.Delete(s.ctx, s.Calendar, occ[2].RemoteID, occ[2].ETag); err != nil {
		t.Fatalf("deleting an occurrence already gone must not fail: %v", err)
	}
	// The series itself is still there: a sibling can still be edited.
	sib := after[0]
	sib.Subject = "Weekly review (first)"
	if _, err := s.Provider.Update(s.ctx, s.Calendar, sib, after[0].ETag); err != nil {
		t.Fatalf("editing a sibling after a deletion: %v", err)
	}
	s.occurrences(t, id, 3)
}
