package doctor

import "testing"

// explain opens with where the activity is per account: in one calendar and not in
// another is said as such, never "is in ... (synced)" alone; an imported activity is in
// the calendar it came from.
func TestExplainHeadlineSpeaksPerAccount(t *testing.T) {
	v := func(acct string, in bool, rule, summary string) AccountVerdict {
		return AccountVerdict{Account: acct, Verdict: Verdict{In: in, Rule: rule, Summary: summary}}
	}
	synced := "it is in the calendar (synced)"
	for _, tc := range []struct {
		vs   []AccountVerdict
		want string
	}{
		{[]AccountVerdict{v("Work", true, RuleSynced, synced), v("Outlook", false, RuleTypeNotSynced, "its type \"call\" is not among the synced types (meeting)")},
			`"Call Ann" is in Work, not in Outlook: its type "call" is not among the synced types (meeting)`},
		{[]AccountVerdict{v("Work", true, RuleSynced, synced), v("Outlook", true, RuleSynced, synced), v("Personal", false, RuleLastError, "its last sync attempt failed: 403")},
			`"Call Ann" is in Work and Outlook, not in Personal: its last sync attempt failed: 403`},
		{[]AccountVerdict{v("Work", true, RuleSynced, synced), v("Outlook", true, RulePending, "it is waiting for the next sync run")},
			`"Call Ann" is in Work; it is on its way to Outlook (next sync)`},
		{[]AccountVerdict{v("Work", true, RuleSynced, synced)}, `"Call Ann" is in Work: ` + synced},
		{[]AccountVerdict{v("Work", true, RuleImported, "it was imported from this calendar, so its event is there"), v("Outlook", false, RuleOtherAccount, "it was imported from another calendar account")},
			`"Call Ann" is in Work, not in Outlook: it was imported from another calendar account`},
		{[]AccountVerdict{v("Work", false, RuleNotOwner, "the activity belongs to Bruno")}, `"Call Ann" is not in your calendar: the activity belongs to Bruno`},
	} {
		if got := headline("Call Ann", tc.vs); got != tc.want {
			t.Errorf("headline\n got %s\nwant %s", got, tc.want)
		}
	}
}
