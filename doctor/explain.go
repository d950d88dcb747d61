package doctor

import (
	"context"
	"fmt"
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
	first := x.Verdicts[0]
	for _, v := range x.Verdicts {
		if v.In {
			first = v
			break
		}
	}
	if first.In {
		x.Headline = fmt.Sprintf("%q is in (or on its way to) the calendar of %s: %s", t.Subject, first.Account, first.Summary)
	} else {
		x.Headline = fmt.Sprintf("%q is not in your calendar: %s", t.Subject, first.Summary)
	}
	return x, nil
}
