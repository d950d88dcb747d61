package sync

import (
	"context"
	"strings"
	"testing"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

func (h *harness) retype(id string, typ store.ActivityType) {
	h.t.Helper()
	h.tick()
	if _, err := store.UpdateActivity(h.ctx, h.st.DB, id, store.ActivityPatch{Type: &typ}, h.clock); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) reassign(id, ownerID string) {
	h.t.Helper()
	h.tick()
	if _, err := store.UpdateActivity(h.ctx, h.st.DB, id, store.ActivityPatch{OwnerID: &ownerID}, h.clock); err != nil {
		h.t.Fatal(err)
	}
}

func meetingsAndCalls(s *store.SyncSettings) {
	s.Types = []store.ActivityType{store.TypeMeeting, store.TypeCall}
}

// A meeting calsync put in the calendar that later becomes a task (tasks not synced)
// leaves the calendar: the event calsync created is deleted, the journal says why, the
// activity stays in the CRM, nothing comes back on later runs, and when it is a meeting
// again it is created anew (on Google, where ids of deleted events are never freed, the
// deleted event is restored under its id).
func TestRetypedActivityLeavesTheCalendarAndComesBack(t *testing.T) {
	for _, f := range []struct {
		name string
		mk   remoteFactory
	}{{"mem", memFactory}, {"graph", graphFactory}, {"google", googleFactory}} {
		t.Run(f.name, func(t *testing.T) {
			for _, dir := range []string{store.DirTwoWay, store.DirToCalendar} {
				t.Run(dir, func(t *testing.T) {
					h := newHarness(t, f.mk, dir, meetingsAndCalls)
					id := h.localCreate("Board review", store.TypeMeeting)
					kept := h.localCreate("Call Ann", store.TypeCall)
					h.sync()
					ev, ok := h.remoteOf(id)
					if !ok {
						t.Fatal("meeting not pushed")
					}

					h.retype(id, store.TypeTask)
					s := h.sync()
					if _, still := h.rem.Live()[ev.RemoteID]; still {
						t.Fatalf("the event of an activity changed to a task is still in the calendar\n%s", h.dumpJournal())
					}
					if s.DeletedRemote != 1 {
						t.Fatalf("summary %+v", s)
					}
					if !h.hasJournal(id, store.OpPushed, ReasonTypeNotSynced, "type changed to task") {
						t.Fatalf("no journal entry saying why it left the calendar:\n%s", h.dumpJournal())
					}
					if _, err := store.GetLinkByActivity(h.ctx, h.st.DB, h.acct.ID, "", id); err == nil {
						t.Fatal("the link of a retracted activity is kept")
					}
					if _, ok := h.remoteOf(kept); !ok || len(h.rem.Live()) != 1 {
						t.Fatalf("other events touched: %d live", len(h.rem.Live()))
					}
					// Later runs neither re-create it nor take the deletion as a calendar-side
					// delete of the activity.
					h.tick()
					s = h.sync()
					h.tick()
					s2 := h.sync()
					if s.Created+s2.Created != 0 || len(h.rem.Live()) != 1 {
						t.Fatalf("re-created: %+v %+v", s, s2)
					}
					if a := h.activity(id); a.DeletedAt != nil || a.Type != store.TypeTask {
						t.Fatalf("the activity itself changed: %+v", a)
					}

					// A meeting again: pushed again, once.
					h.retype(id, store.TypeMeeting)
					s = h.sync()
					if f.name == "google" {
						// Google keeps a deleted event's id and calsync's event id is derived
						// from the activity id: the deleted event itself comes back.
						if back, ok := h.remoteOf(id); !ok || back.RemoteID != ev.RemoteID {
							t.Fatalf("google: the deleted event was not restored under its id: %+v\n%s", back, h.dumpJournal())
						}
					}
					if s.Created != 1 {
						t.Fatalf("not pushed again when synced again: %+v\n%s", s, h.dumpJournal())
					}
					if got := h.remoteBySubject("Board review"); len(got) != 1 {
						t.Fatalf("%d events for the meeting after re-typing it", len(got))
					}
					if l, err := store.GetLinkByActivity(h.ctx, h.st.DB, h.acct.ID, "", id); err != nil || l.State != store.LinkSynced {
						t.Fatalf("link after coming back: %+v %v", l, err)
					}
					h.tick()
					if s = h.sync(); s.Changed() || s.Errors != 0 || len(h.rem.Live()) != 2 {
						t.Fatalf("run after coming back: %+v, %d live\n%s", s, len(h.rem.Live()), h.dumpJournal())
					}
				})
			}
		})
	}
}

// Handing an activity to a colleague takes it out of my calendar; a from-calendar
// account never deletes events for it; and an event imported from the calendar is the
// person's own, so re-typing its activity never deletes it.
func TestReassignedActivityLeavesTheCalendarOnlyWhenCalsyncMadeIt(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay, meetingsAndCalls)
	colleague, err := store.CreateUser(h.ctx, h.st.DB, store.User{Name: "Bo"})
	if err != nil {
		t.Fatal(err)
	}
	id := h.localCreate("Site visit", store.TypeMeeting)
	remoteID := h.remoteCreate("Dentist")
	h.sync()
	imported, ok := h.activityOf(remoteID)
	if !ok {
		t.Fatal("calendar event not imported")
	}
	ev, _ := h.remoteOf(id)

	h.reassign(id, colleague.ID)
	h.retype(imported.ID, store.TypeTask)
	h.sync()
	live := h.rem.Live()
	if _, still := live[ev.RemoteID]; still {
		t.Fatal("the event of an activity given to another owner is still in my calendar")
	}
	if !h.hasJournal(id, store.OpPushed, ReasonNotOwner, "another owner") {
		t.Fatalf("no not-owner journal entry:\n%s", h.dumpJournal())
	}
	if _, still := live[remoteID]; !still {
		t.Fatal("an event the person made in the calendar was deleted because its activity was re-typed")
	}

	// from-calendar: the CRM never writes the calendar, not even to delete.
	f := newHarness(t, memFactory, store.DirTwoWay, meetingsAndCalls)
	fid := f.localCreate("Kick-off", store.TypeMeeting)
	f.sync()
	set, _ := store.GetSyncSettings(f.ctx, f.st.DB, f.acct.ID)
	set.Direction, set.UpdatedAt = store.DirFromCalendar, f.clock
	store.PutSyncSettings(f.ctx, f.st.DB, set)
	f.retype(fid, store.TypeTask)
	f.sync()
	if _, ok := f.remoteOf(fid); !ok || len(f.rem.Live()) != 1 {
		t.Fatal("a from-calendar account deleted an event")
	}
	if f.hasJournal(fid, store.OpPushed, ReasonTypeNotSynced, "") || !strings.Contains(f.dumpJournal(), ReasonDirection) {
		t.Fatalf("from-calendar journal:\n%s", f.dumpJournal())
	}
}

// A crash around the delete of a retraction is finished by the next run, which still
// says why the event left the calendar; a dry run only counts it.
func TestRetractionSurvivesACrashAndDryRunWritesNothing(t *testing.T) {
	for _, after := range []bool{false, true} {
		h := newHarness(t, memFactory, store.DirTwoWay, meetingsAndCalls)
		id := h.localCreate("Board review", store.TypeMeeting)
		h.sync()
		h.retype(id, store.TypeTask)
		if s, err := h.runWith(RunOptions{DryRun: true}); err != nil || s.DeletedRemote != 1 || len(h.rem.Live()) != 1 {
			t.Fatalf("dry run: %+v %v, %d live", s, err, len(h.rem.Live()))
		}
		// Calls: 1 listing, 2 the delete.
		h.wrap = func(p providers.Provider, cancel context.CancelFunc) providers.Provider {
			return &crashingProvider{Provider: p, n: 2, after: after, cancel: cancel}
		}
		if _, err := h.runWith(RunOptions{}); err == nil {
			t.Fatal("the crash did not stop the run")
		}
		h.wrap = nil
		h.sync()
		if len(h.rem.Live()) != 0 {
			t.Fatalf("after=%v: event still there after the crashed retraction was resumed", after)
		}
		if !h.hasJournal(id, store.OpPushed, ReasonTypeNotSynced, "type changed to task") {
			t.Fatalf("after=%v: journal:\n%s", after, h.dumpJournal())
		}
		if _, err := store.GetLinkByActivity(h.ctx, h.st.DB, h.acct.ID, "", id); err == nil {
			t.Fatalf("after=%v: link kept", after)
		}
	}
}
