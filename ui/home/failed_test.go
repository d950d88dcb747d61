package home

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/common"
)

// goneCalendar answers every call like a calendar that was deleted (404 NotFound).
type goneCalendar struct{ providers.Provider }

func (goneCalendar) Changes(context.Context, string, string, providers.Window) (providers.ChangePage, error) {
	return providers.ChangePage{}, &providers.Error{Kind: providers.NotFound, Status: 404, Code: "notFound", Message: "google list events: NotFound (HTTP 404 notFound): Not Found"}
}

// An account whose last sync failed is red on Home with its reason, never "synced just
// now", even though an earlier run succeeded; "!" opens Troubleshoot on it.
func TestHomeShowsAFailedSyncInRedWithItsCause(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store.SetUserTimeZone(ctx, st.DB, "UTC")
	store.EnsureMe(ctx, st.DB, "Ana", testNow)
	synced := testNow.Add(-10 * time.Minute)
	ok, _ := store.CreateAccount(ctx, st.DB, store.Account{Kind: "caldav", Name: "Personal", Login: "ana", LastSyncAt: &synced})
	bad, _ := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "ana@example.com", LastSyncAt: &synced})
	for _, a := range []store.Account{ok, bad} {
		set := store.DefaultSyncSettings(a.ID)
		set.CalendarID, set.Enabled = "cal", true
		if err := store.PutSyncSettings(ctx, st.DB, set); err != nil {
			t.Fatal(err)
		}
	}
	eng := &sync.Engine{Store: st, Now: func() time.Time { return testNow.Add(-2 * time.Minute) },
		Open: func(context.Context, store.Account) (providers.Provider, error) { return goneCalendar{}, nil }}
	if _, err := eng.Run(ctx, bad.ID, sync.RunOptions{}); err == nil {
		t.Fatal("the run did not fail")
	}

	m := open(t, st)
	v := m.View()
	for _, want := range []string{
		"✗ Work · Google · ana@example.com",
		"sync failed 2 min ago (Wed 25 Nov 09:58): the calendar is gone (not found) · ! why",
		"✗ 1 account failed — press ! to see why",
		"● Personal · CalDAV · ana — connected · synced 10 min ago",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("home lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "Work · Google · ana@example.com — connected") {
		t.Errorf("the failed account is shown as connected and synced:\n%s", v)
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'!'}})
	if cmd == nil {
		t.Fatal("! did nothing")
	}
	msg, isMsg := cmd().(common.TroubleshootAccountMsg)
	if !isMsg || msg.AccountID != bad.ID || msg.Reason != "NotFound" {
		t.Fatalf("! sent %#v", msg)
	}
}
