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
