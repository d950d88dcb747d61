package doctor

import (
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// Explain's before-activation wording shows seconds when the activity's last change and
// the activation share a minute ("changed 10:04, before sync was switched on (10:04)"
// read as a contradiction).
func TestExplainBeforeActivationShowsSecondsWithinAMinute(t *testing.T) {
	w := newWorld(t)
	minute := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	act := minute.Add(40 * time.Second)
	w.settings(w.acct.ID, func(s *store.SyncSettings) { s.ActivatedAt = &act; s.BackfillFrom = nil })
	a := w.activity("Old call", store.TypeCall, w.me.ID, time.Now().Add(48*time.Hour), minute.Add(10*time.Second))
	x, err := Explain(w.ctx, w.st, &Target{Activity: a, ID: a.ID, Subject: a.Subject}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if x.Verdicts[0].Rule != RuleBeforeActivation {
		t.Fatalf("rule %q, want before-activation: %s", x.Verdicts[0].Rule, x.Headline)
	}
	changed, activated := minute.Add(10*time.Second).Format("15:04:05"), act.Format("15:04:05")
	if !strings.Contains(x.Headline, changed) || !strings.Contains(x.Headline, activated) {
		t.Fatalf("headline %q: want %s and %s", x.Headline, changed, activated)
	}
}
