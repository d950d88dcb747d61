package accounts

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/common"
)

// A Troubleshoot fix (the app password accepted) clears an account's error: the open
// Accounts list shows it without being re-activated.
func TestListReloadsWhenAFixChangesAnAccount(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := store.EnsureMe(ctx, st.DB, "Ana", fixedNow); err != nil {
		t.Fatal(err)
	}
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "caldav", Name: "Nextcloud", Login: "ana",
		ServerURL: "https://cloud.example/remote.php/dav", AuthKind: "password", State: store.AccountConnected, CreatedAt: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.RecordAccountError(ctx, st.DB, a.ID, "AuthExpired", "the server refused the password", fixedNow); err != nil {
		t.Fatal(err)
	}
	c := common.NewContext(st, func(string) string { return "" }, func() time.Time { return fixedNow })
	m := New(c, accountsetup.NewManager(st, c.Getenv, c.Now))
	m.SetSize(100, 24)
	m.Update(m.Init()())
	if v := m.View(); !strings.Contains(v, "AuthExpired") {
		t.Fatalf("the list should show the account's error:\n%s", v)
	}
	if err := store.ClearAccountError(ctx, st.DB, a.ID, fixedNow); err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(common.StateChangedMsg{What: common.ChangedAccounts, AccountID: a.ID, Source: "Troubleshoot"})
	if cmd == nil {
		t.Fatal("a state change should reload the list")
	}
	for _, msg := range flatten(cmd) {
		m.Update(msg)
	}
	if v := m.View(); strings.Contains(v, "AuthExpired") {
		t.Fatalf("the fixed account's error should be gone:\n%s", v)
	}
}

// flatten runs cmd and the commands of the batches it returns, and returns their messages.
func flatten(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, flatten(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}
