package sync

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/store"
)

// lastOutcome reads the account's recorded outcome back from the store.
func (h *harness) lastOutcome() Outcome {
	h.t.Helper()
	acct, err := store.GetAccount(h.ctx, h.st.DB, h.acct.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	o, err := LastOutcome(h.ctx, h.st.DB, acct)
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

// A run that stops before it finishes (the calendar was deleted: 404 on the listing; the
// server is down: 503) is a failed run everywhere it is told: the summary counts the
// error and says why, the run row keeps that (failed, reason, temporary), the journal has
// an error entry, and LastOutcome reads it back. A later good run clears it.
func TestStoppedRunIsRecordedAsFailed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(g *googleRemote)
		reason string
		temp   bool
	}{
		{"calendar deleted", func(g *googleRemote) {
			if err := g.fake.RemoveCalendar(g.cal); err != nil {
				t.Fatal(err)
			}
		}, "NotFound", false},
		{"server down", func(g *googleRemote) {
			g.fake.SetFaults(googlefake.Faults{ServerError: true})
		}, "Unavailable", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, googleFactory, store.DirTwoWay)
			h.localCreate("Call Ann", store.TypeCall)
			h.sync()
			if o := h.lastOutcome(); o.State != OutcomeOK || o.Errors != 0 {
				t.Fatalf("after a good run: %+v", o)
			}
			tc.break_(h.rem.(*googleRemote))
			h.tick()
			s, err := h.runWith(RunOptions{})
			if err == nil {
				t.Fatal("the run did not fail")
			}
			if !s.Failed || s.Errors != 1 || s.ErrorCode != tc.reason || s.Temporary != tc.temp || s.ErrorKind[tc.reason] != 1 {
				t.Fatalf("summary %+v", s)
			}
			if line := s.Line(); !strings.Contains(line, "errors 1") || !strings.Contains(line, tc.reason) {
				t.Fatalf("summary line %q hides the failure", line)
			}
			run, err := store.LastRun(h.ctx, h.st.DB, h.acct.ID)
			if err != nil || run.Status != store.RunFailed {
				t.Fatalf("run %+v %v", run, err)
			}
			var stored Summary
			if err := json.Unmarshal([]byte(run.Summary), &stored); err != nil {
				t.Fatal(err)
			}
			if !stored.Failed || stored.Errors != 1 || stored.ErrorCode != tc.reason || stored.Temporary != tc.temp || stored.Error == "" {
				t.Fatalf("the run row does not keep the outcome: %s", run.Summary)
			}
			if js := h.journal(store.JournalQuery{RunID: run.ID, Op: store.OpError}); len(js) != 1 || js[0].Reason != tc.reason {
				t.Fatalf("journal of the failed run:\n%s", h.dumpJournal())
			}
			o := h.lastOutcome()
			if o.State != OutcomeFailed || o.Reason != tc.reason || o.Temporary != tc.temp || o.Errors != 1 || o.Message == "" || o.RunID != run.ID || !o.Bad() {
				t.Fatalf("outcome %+v", o)
			}
		})
	}
}

// A run that goes through but fails some items (the calendar became read-only) is a
// partial failure: not temporary, with the reason and the first error's message.
func TestPartlyFailedRunIsRecordedAsPartial(t *testing.T) {
	h := newHarness(t, googleFactory, store.DirTwoWay)
	g := h.rem.(*googleRemote)
	if err := g.fake.SetAccessRole(g.cal, "reader"); err != nil {
		t.Fatal(err)
	}
	h.localCreate("Call Ann", store.TypeCall)
	s := h.sync()
	if s.Failed || s.Errors != 1 || s.ErrorKind["ReadOnly"] != 1 || s.FirstError == "" {
		t.Fatalf("summary %+v", s)
	}
	o := h.lastOutcome()
	if o.State != OutcomePartial || o.Reason != "ReadOnly" || o.Temporary || !strings.Contains(o.Message, "ReadOnly") {
		t.Fatalf("outcome %+v", o)
	}

	// Writable again: the next run is clean and the outcome says so.
	if err := g.fake.SetAccessRole(g.cal, "owner"); err != nil {
		t.Fatal(err)
	}
	h.tick()
	h.sync()
	if o := h.lastOutcome(); o.State != OutcomeOK || o.Bad() || o.Errors != 0 {
		t.Fatalf("after a clean run: %+v", o)
	}
}

// An account whose run never got going (it needs a sign-in) reports failed with its
// reason, and a cancelled run is no failure.
func TestRunThatNeverStartedCountsItsError(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	if err := store.SetAccountState(h.ctx, h.st.DB, h.acct.ID, store.AccountNeedsReauth, h.clock); err != nil {
		t.Fatal(err)
	}
	s, err := h.runWith(RunOptions{})
	if err == nil || !s.Failed || s.Errors != 1 || s.ErrorCode != ReasonNeedsReauth || s.Temporary {
		t.Fatalf("summary %+v, err %v", s, err)
	}
	if o := h.lastOutcome(); o.State != OutcomeNever {
		t.Fatalf("no run was recorded, yet the outcome is %+v", o)
	}
}
