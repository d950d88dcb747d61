package accounts

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/common"
)

var fixedNow = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

// The list draws local times; goldens must not depend on the machine's zone.
func init() { time.Local = time.UTC }

func viewModel(t *testing.T) *Model {
	t.Helper()
	c := common.NewContext(nil, func(string) string { return "" }, func() time.Time { return fixedNow })
	m := New(c, accountsetup.NewManager(nil, nil, nil))
	m.SetSize(80, 20)
	return m
}

// The list at 80 columns: state words, what each account syncs, the last error under its
// row, and the reconnect hint for the selected account that needs it. Hostile text from
// the store is drawn cleaned.
func TestListViewGolden(t *testing.T) {
	m := viewModel(t)
	errAt := fixedNow.Add(-time.Hour)
	synced := fixedNow.Add(-10 * time.Minute)
	m.Update(loadedMsg{gen: m.gen, accounts: []store.Account{
		{ID: "a1", Kind: "google", Name: "Work \x1b[2JGoogle", Login: "pat@example.com", State: store.AccountNeedsReauth,
			LastErrorKind: "AuthExpired", LastErrorMessage: "Token has been expired or revoked.", LastErrorAt: &errAt},
		{ID: "a2", Kind: "caldav", Name: "Home", Login: "pat@icloud.com", State: store.AccountConnected, LastSyncAt: &synced},
		{ID: "a3", Kind: "microsoft", Name: "Office", Login: "pat@contoso.com", State: store.AccountDisabled},
	}, syncs: map[string]string{"a1": "syncs two-way with Work", "a2": "syncs from-calendar with Holidays (off)",
		"a3": "not set up yet: press enter to choose a calendar"}})
	golden.RequireEqual(t, []byte(m.View()))
}

// Waiting for a device code sign-in: the address, the code and the time left.
func TestDeviceCodeViewGolden(t *testing.T) {
	m := viewModel(t)
	c, _ := accountsetup.ChoiceByID("microsoft")
	m.draft = &accountsetup.Draft{Choice: c}
	m.mode = modeConnecting
	m.prompt = accountsetup.Prompt{UserCode: "FJ2LK7XDM", VerificationURL: "https://microsoft.com/devicelogin",
		ExpiresAt: fixedNow.Add(14*time.Minute + 5*time.Second)}
	golden.RequireEqual(t, []byte(m.View()))
}
