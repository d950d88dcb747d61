package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/calsync/calsync/store"
)

// Explanation answers "why is (or isn't) this activity in my calendar?" for every account.
type Explanation struct {
	ActivityID string               `json:"activity_id"`
	Subject    string               `json:"subject"`
	Headline   string               `json:"headline"`
	Verdicts   []AccountVerdict     `json:"accounts"`
	Journal    []store.JournalEntry `json:"journal"`
}

// AccountVerdict is the verdict for one account.
type AccountVerdict struct {
	Account string `json:"account"`
	Verdict
}

// Explain applies the engine's rules to the target activity in each account, first rule
// first, with the evidence from the settings and the activity's latest journal entries.
func Explain(ctx context.Context, st *store.Store, t *Target, now time.Time) (Explanation, error) {
	x := Explanation{ActivityID: t.ID, Subject: t.Subject}
	accts, err := LoadAccounts(ctx, st)
	if err != nil {
		return x, err
	}
	meID, err := store.SyncMeID(ctx, st.DB)
	if err != nil {
		return x, err
	}
	x.Journal, err = store.QueryJournal(ctx, st.DB, store.JournalQuery{ActivityID: t.ID, Limit: 10})
	if err != nil {
		return x, err
	}
	if len(accts) == 0 {
		x.Headline = fmt.Sprintf("%q is not in any calendar: no calendar account is connected", t.Subject)
		x.Verdicts = []AccountVerdict{}
		return x, nil
	}
	for _, a := range accts {
		v := Decide(ctx, st, a, t.Activity, meID, now)
		v.Link = nil
		x.Verdicts = append(x.Verdicts, AccountVerdict{Account: a.Label(), Verdict: v})
	}
	x.Headline = headline(t.Subject, x.Verdicts)
	return x, nil
}

// headline says where the activity is, per account when there are several: "is in Work
// and Personal, not in Outlook: <why not>", so one calendar's "synced" never stands for
// the one the person looks at.
func headline(subject string, vs []AccountVerdict) string {
	var in, coming, out []AccountVerdict
	for _, v := range vs {
		switch {
		case v.In && (v.Rule == RuleSynced || v.Rule == RuleImported):
			in = append(in, v)
		case v.In:
			coming = append(coming, v)
		default:
			out = append(out, v)
		}
	}
	names := func(vs []AccountVerdict) string {
		var s []string
		for _, v := range vs {
			s = append(s, v.Account)
		}
		switch len(s) {
		case 0:
			return ""
		case 1:
			return s[0]
		}
		return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
	}
	var parts []string
	if len(in) > 0 {
		parts = append(parts, "is in "+names(in))
	}
	if len(coming) > 0 {
		parts = append(parts, "is on its way to "+names(coming)+" (next sync)")
	}
	if len(out) == 0 {
		if len(vs) == 1 {
			return fmt.Sprintf("%q %s: %s", subject, parts[0], vs[0].Summary)
		}
		return fmt.Sprintf("%q %s", subject, strings.Join(parts, "; it "))
	}
	if len(parts) == 0 {
		if len(out) == 1 {
			return fmt.Sprintf("%q is not in your calendar: %s", subject, out[0].Summary)
		}
		return fmt.Sprintf("%q is not in any of your calendars (%s): %s", subject, names(out), out[0].Summary)
	}
	return fmt.Sprintf("%q %s, not in %s: %s", subject, strings.Join(parts, "; it "), names(out), out[0].Summary)
}
