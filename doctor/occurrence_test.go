package doctor

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// The misdiagnosis: an occurrence of a recurring series whose change the
// calendar refused (journaled with provider code recurring-instance by earlier
// versions) was blamed on "very long text, odd dates". The finding now says what it is
// and names the command that puts the occurrence back.
func TestLastErrorOfAnOccurrenceNamesRevertNotTheText(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	a := w.activity("Standup", store.TypeMeeting, w.me.ID, now.Add(48*time.Hour), now.Add(-time.Hour))
	if _, err := store.AppendJournal(w.ctx, w.st.DB, store.JournalEntry{At: now.Add(-time.Minute), AccountID: w.acct.ID, ActivityID: a.ID,
		RemoteID: "/cal/s.ics#20261201T090000Z", Op: store.OpError, Reason: "Invalid",
		Detail: `{"code":"recurring-instance","error":"caldav update event: Invalid (recurring-instance): occurrences of recurring events are read-only in calsync"}`}); err != nil {
		t.Fatal(err)
	}
	w.target(a.ID)
	f := w.finding(w.run(NotShowing), "last-error", w.acct.ID)
	if f.Status != Fail {
		t.Fatalf("last-error: %s %q", f.Status, f.Summary)
	}
	if strings.Contains(f.Remediation, "very long text") || strings.Contains(f.Remediation, "odd dates") {
		t.Fatalf("the occurrence is blamed on its text: %q", f.Remediation)
	}
	if !strings.Contains(f.Remediation, "occurrence of a recurring series") || !strings.Contains(f.Remediation, "calsync activity revert "+a.ID) {
		t.Fatalf("remediation does not say what it is and how to put it back: %q", f.Remediation)
	}
}
