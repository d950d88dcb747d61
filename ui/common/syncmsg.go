package common

import tea "github.com/charmbracelet/bubbletea"

// TroubleshootAccountMsg asks the Troubleshoot screen to look into one account whose last
// sync failed (Home's and the status bar's "!"). Reason is the failure's reason code
// (sync.Outcome.Reason), which picks the symptom to walk through. The root switches to
// Troubleshoot and forwards it.
type TroubleshootAccountMsg struct {
	AccountID string
	Reason    string
}

// TroubleshootAccount returns a Cmd that opens Troubleshoot on an account.
func TroubleshootAccount(accountID, reason string) tea.Cmd {
	return func() tea.Msg { return TroubleshootAccountMsg{AccountID: accountID, Reason: reason} }
}

// ConfirmTimeShiftMsg asks the background sync to run one account once with the
// time-shift guard's held moves confirmed (sync.RunOptions.ConfirmTimeShift): the person
// said the calendar's new times are right. The root routes it to the sync status widget.
type ConfirmTimeShiftMsg struct{ AccountID string }

// ConfirmTimeShift returns a Cmd that asks for that run.
func ConfirmTimeShift(accountID string) tea.Cmd {
	return func() tea.Msg { return ConfirmTimeShiftMsg{AccountID: accountID} }
}
