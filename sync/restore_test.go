package sync

import (
	"testing"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// Where the calendar still refuses to bring calsync's deleted event back (Google can no
// longer restore an event purged from its trash, and the id stays taken), the refusal is
// said once, the activity stays, and later runs are quiet.
func TestRefusedRestoreIsSetAsideOnce(t *testing.T) {
	h := newHarness(t, googleFactory, store.DirTwoWay, meetingsAndCalls)
	id := h.localCreate("Board review", store.TypeMeeting)
	h.sync()
	h.retype(id, store.TypeTask)
	h.sync()
	h.rem.SetFault(func(op string) error {
		if op != "create" {
			return nil
		}
		return &providers.Error{Kind: providers.Conflict, Provider: "google", Op: "create event", Status: 409, Code: "duplicate",
			Message: "the event for this activity was deleted in Google Calendar and its id cannot be reused"}
	})
	h.retype(id, store.TypeMeeting)
	s := h.sync()
	if s.Created != 0 || s.Errors != 1 || !h.hasJournal(id, store.OpError, "Conflict", "does not let an event be created again") {
		t.Fatalf("refused restore: %+v\n%s", s, h.dumpJournal())
	}
	h.tick()
	if s = h.sync(); s.Errors != 0 || s.Created != 0 || h.activity(id).DeletedAt != nil {
		t.Fatalf("after the refused restore: %+v", s)
	}
	if l, err := store.GetLinkByActivity(h.ctx, h.st.DB, h.acct.ID, "", id); err != nil || l.State != store.LinkQuarantined {
		t.Fatalf("link after the refused restore: %+v %v", l, err)
	}
}
