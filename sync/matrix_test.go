package sync

import (
	"fmt"
	"testing"

	"github.com/calsync/calsync/store"
)

// pair creates one activity/event pair already in sync, the way the direction makes
// them: from the CRM for two-way and to-calendar, from the calendar for from-calendar.
func (h *harness) pair(subject string, direction string) (activityID, remoteID string) {
	h.t.Helper()
	if direction == store.DirFromCalendar {
		remoteID = h.remoteCreate(subject)
		h.sync()
		a, ok := h.activityOf(remoteID)
		if !ok {
			h.t.Fatalf("setup: event %s not imported\n%s", subject, h.dumpJournal())
		}
		return a.ID, remoteID
	}
	activityID = h.localCreate(subject, store.TypeMeeting)
	h.sync()
	ev, ok := h.remoteOf(activityID)
	if !ok {
		h.t.Fatalf("setup: activity %s not pushed\n%s", subject, h.dumpJournal())
	}
	return activityID, ev.RemoteID
}

// runMatrix checks every direction x (created / edited / deleted) x (local / remote /
// both) combination against one calendar implementation.
func runMatrix(t *testing.T, mk remoteFactory) {
	dirs := []string{store.DirTwoWay, store.DirToCalendar, store.DirFromCalendar}
	for _, dir := range dirs {
		pushes, pulls := dir != store.DirFromCalendar, dir != store.DirToCalendar
		t.Run(dir+"/created/local", func(t *testing.T) {
			h := newHarness(t, mk, dir)
			id := h.localCreate("Call Anna", store.TypeCall)
			s := h.sync()
			ev, ok := h.remoteOf(id)
			if pushes {
				if !ok || ev.Subject != "Call Anna" || ev.ActivityID != id || s.Created != 1 {
					t.Fatalf("not pushed: %v %+v %s", ok, s, h.dumpJournal())
				}
				if !h.hasJournal(id, store.OpPushed, ReasonCreated, "") {
					t.Fatal("push not journaled")
				}
			} else {
				if len(h.remoteBySubject("Call Anna")) != 0 || s.Skipped[ReasonDirection] != 1 {
					t.Fatalf("from-calendar pushed: %+v", s)
				}
				if !h.hasJournal(id, store.OpSkipped, ReasonDirection, "") {
					t.Fatal("skip not journaled with reason direction")
				}
			}
			// A second run changes nothing and duplicates nothing.
			s2 := h.sync()
			if s2.Changed() || len(h.remoteBySubject("Call Anna")) > 1 {
				t.Fatalf("second run not idle: %+v", s2)
			}
		})
		t.Run(dir+"/created/remote", func(t *testing.T) {
			h := newHarness(t, mk, dir)
			rid := h.remoteCreate("Dentist")
			s := h.sync()
			a, ok := h.activityOf(rid)
			if pulls {
				if !ok || a.Subject != "Dentist" || a.Type != store.TypeMeeting || a.Origin != h.acct.ID || s.Imported != 1 {
					t.Fatalf("not imported: %v %+v %+v", ok, a, s)
				}
			} else if ok || len(h.localBySubject("Dentist")) != 0 || s.Skipped[ReasonDirection] != 1 {
				t.Fatalf("to-calendar imported a calendar-only event: %+v", s)
			}
			if s2 := h.sync(); s2.Changed() || len(h.localBySubject("Dentist")) > 1 || len(h.remoteBySubject("Dentist")) != 1 {
				t.Fatalf("second run: %+v", s2)
			}
		})
		t.Run(dir+"/created/both", func(t *testing.T) {
			h := newHarness(t, mk, dir)
			id := h.localCreate("Local one", store.TypeTask)
			h.remoteCreate("Remote one")
			h.sync()
			h.sync()
			wantLocal, wantRemote := 2, 2
			if !pushes {
				wantRemote = 1
			}
			if !pulls {
				wantLocal = 1
			}
			if n := len(h.liveActivities()); n != wantLocal {
				t.Fatalf("local activities %d, want %d", n, wantLocal)
			}
			if n := len(h.rem.Live()); n != wantRemote {
				t.Fatalf("remote events %d, want %d", n, wantRemote)
			}
			if _, ok := h.remoteOf(id); ok != pushes {
				t.Fatalf("local one pushed=%v", ok)
			}
		})
		t.Run(dir+"/edited/local", func(t *testing.T) {
			h := newHarness(t, mk, dir)
			id, rid := h.pair("Lunch", dir)
			h.localEdit(id, "Lunch with Bo")
			s := h.sync()
			got := h.rem.Live()[rid].Subject
			if pushes && (got != "Lunch with Bo" || s.Pushed != 1) {
				t.Fatalf("edit not pushed: %q %+v", got, s)
			}
			if !pushes {
				if got != "Lunch" || !h.hasJournal(id, store.OpSkipped, ReasonDirection, "") {
					t.Fatalf("from-calendar pushed an edit or did not journal it: %q", got)
				}
				if h.activity(id).Subject != "Lunch with Bo" {
					t.Fatal("local edit lost")
				}
			}
			if s2 := h.sync(); s2.Changed() {
				t.Fatalf("second run: %+v", s2)
			}
		})
		t.Run(dir+"/edited/remote", func(t *testing.T) {
			h := newHarness(t, mk, dir)
			id, rid := h.pair("Review", dir)
			h.remoteEdit(rid, "Review (moved)")
			s := h.sync()
			got := h.activity(id).Subject
			if pulls && (got != "Review (moved)" || s.Pulled != 1) {
				t.Fatalf("remote edit not pulled: %q %+v", got, s)
			}
			if !pulls {
				if got != "Review" || !h.hasJournal(id, store.OpSkipped, ReasonDirection, "Review (moved)") {
					t.Fatalf("to-calendar pulled an edit or did not journal it: %q\n%s", got, h.dumpJournal())
				}
				// The next local change overwrites the calendar's edit.
				h.localEdit(id, "Review v2")
				h.sync()
				if ev := h.rem.Live()[rid]; ev.Subject != "Review v2" {
					t.Fatalf("local change did not overwrite the remote edit: %q\n%s", ev.Subject, h.dumpJournal())
				}
			}
		})
		t.Run(dir+"/edited/both", func(t *testing.T) {
			h := newHarness(t, mk, dir)
			id, rid := h.pair("Plan", dir)
			h.localEdit(id, "Plan (crm)")
			h.remoteEdit(rid, "Plan (calendar)") // later: newest wins -> calendar
			s := h.sync()
			h.sync()
			local, remote := h.activity(id).Subject, h.rem.Live()[rid].Subject
			switch dir {
			case store.DirTwoWay:
				if local != "Plan (calendar)" || remote != "Plan (calendar)" || s.Conflicts != 1 {
					t.Fatalf("newest change should win: %q / %q %+v", local, remote, s)
				}
				if !h.hasJournal(id, store.OpConflict, ReasonRemoteWon, "Plan (crm)") {
					t.Fatalf("losing CRM version not journaled\n%s", h.dumpJournal())
				}
			case store.DirToCalendar:
				if local != "Plan (crm)" || remote != "Plan (crm)" {
					t.Fatalf("to-calendar: CRM should overwrite: %q / %q", local, remote)
				}
				if !h.hasJournal(id, store.OpSkipped, ReasonDirection, "Plan (calendar)") {
					t.Fatalf("overwritten calendar version not journaled\n%s", h.dumpJournal())
				}
			case store.DirFromCalendar:
				if local != "Plan (calendar)" || remote != "Plan (calendar)" {
					t.Fatalf("from-calendar: calendar should win: %q / %q", local, remote)
				}
				if !h.hasJournal(id, store.OpConflict, ReasonRemoteWon, "Plan (crm)") {
					t.Fatalf("losing CRM version not journaled\n%s", h.dumpJournal())
				}
			}
		})
		t.Run(dir+"/deleted/local", func(t *testing.T) {
			h := newHarness(t, mk, dir)
			id, rid := h.pair("Old call", dir)
			h.localDelete(id)
			s := h.sync()
			_, exists := h.rem.Live()[rid]
			if pushes && (exists || s.DeletedRemote != 1) {
				t.Fatalf("delete not pushed: %v %+v", exists, s)
			}
			if !pushes && (!exists || !h.hasJournal(id, store.OpSkipped, ReasonDirection, "")) {
				t.Fatalf("from-calendar deleted the event or did not journal: %v", exists)
			}
			if s2 := h.sync(); s2.Changed() {
				t.Fatalf("second run: %+v", s2)
			}
		})
		t.Run(dir+"/deleted/remote", func(t *testing.T) {
			h := newHarness(t, mk, dir)
			id, rid := h.pair("Standup", dir)
			h.remoteDelete(rid)
			s := h.sync()
			a := h.activity(id)
			if pulls {
				if a.DeletedAt == nil || s.DeletedLocal != 1 {
					t.Fatalf("remote delete not pulled: %+v %+v", a, s)
				}
			} else {
				// to-calendar: the CRM keeps the activity; it is not written again
				// (the person removed it from the calendar on purpose).
				if a.DeletedAt != nil {
					t.Fatal("to-calendar tombstoned a CRM activity")
				}
				if len(h.rem.Live()) != 0 || !h.hasJournal(id, store.OpInfo, ReasonUnlinked, "") {
					t.Fatalf("to-calendar wrote the event again or did not journal: %v\n%s", h.rem.Live(), h.dumpJournal())
				}
				// Even after an edit: the link stays set aside for the person to decide.
				h.localEdit(id, "Standup v2")
				if s := h.sync(); s.Errors != 0 || len(h.rem.Live()) != 0 {
					t.Fatalf("quarantined link pushed: %+v", s)
				}
			}
			if s2 := h.sync(); s2.Changed() {
				t.Fatalf("second run: %+v", s2)
			}
		})
		t.Run(dir+"/deleted/both", func(t *testing.T) {
			h := newHarness(t, mk, dir)
			id, rid := h.pair("Gone", dir)
			h.localDelete(id)
			h.remoteDelete(rid)
			s := h.sync()
			if s.Errors != 0 || s.Conflicts != 0 {
				t.Fatalf("both deleted: %+v", s)
			}
			if h.activity(id).DeletedAt == nil || len(h.rem.Live()) != 0 {
				t.Fatal("not gone on both sides")
			}
			if n, _ := store.CountLinks(h.ctx, h.st.DB, h.acct.ID); n != 0 {
				t.Fatalf("%d links left", n)
			}
		})
	}
}

func TestDirectionMatrixMem(t *testing.T) { runMatrix(t, memFactory) }

var _ = fmt.Sprint
