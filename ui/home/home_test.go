package home

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func open(t *testing.T, st *store.Store) *Model {
	t.Helper()
	lipgloss.SetColorProfile(termenv.Ascii)
	c := common.NewContext(st, func(string) string { return "" }, func() time.Time { return testNow })
	m := New(c)
	m.SetSize(100, 30)
	m.Update(m.Init()())
	return m
}

func TestHomeShowsAccountsStateCountsAndWayIn(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := store.SetUserTimeZone(ctx, st.DB, "UTC"); err != nil {
		t.Fatal(err)
	}
	me, err := store.EnsureMe(ctx, st.DB, "Ana", testNow)
	if err != nil {
		t.Fatal(err)
	}
	synced := testNow.Add(-5 * time.Minute)
	if _, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work \x1b[2JGoogle",
		Login: "ana@example.com", LastSyncAt: &synced}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateAccount(ctx, st.DB, store.Account{ID: "acc-fm", Kind: "caldav", Name: "Fastmail",
		State: store.AccountNeedsReauth, LastErrorKind: "AppPasswordRequired",
		LastErrorMessage: "the server wants an app password\a"}); err != nil {
		t.Fatal(err)
	}
	for i, d := range []time.Duration{-2 * time.Hour, time.Hour, 30 * time.Hour} { // overdue, today, later
		if _, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: me.ID, Type: store.TypeCall,
			Subject: "call " + string(rune('a'+i)), Start: testNow.Add(d), TimeZone: "UTC"}, testNow); err != nil {
			t.Fatal(err)
		}
	}
	m := open(t, st)
	v := m.View()
	for _, want := range []string{
		"● Work Google · ana@example.com — connected · synced 5 min ago",
		"✗ Fastmail · CalDAV — needs sign-in: press 3, or calsync account reconnect acc-fm",
		// The stored error is shown as what to do about it.
		"The server refused the password.",
		"Last sync: 5 min ago",
		"Yours to do: 3 · 1 overdue · 2 today",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("home lacks %q:\n%s", want, v)
		}
	}
	if strings.ContainsAny(v, "\x1b\a") {
		t.Fatalf("stored text drawn with control characters: %q", v)
	}
	// The root asks for the tab right after the key (common.TabRequester).
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("t")})
	if tab, ok := m.RequestedTab(); !ok || tab != common.TabTroubleshoot {
		t.Fatalf("t should open Troubleshoot, got %d %v", tab, ok)
	}
	if _, ok := m.RequestedTab(); ok {
		t.Fatal("a request is answered once")
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a")})
	if tab, ok := m.RequestedTab(); !ok || tab != common.TabActivities {
		t.Fatalf("a should open Activities, got %d %v", tab, ok)
	}
}

func TestHomeEmptyStoreSaysWhatToDo(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v := open(t, st).View()
	for _, want := range []string{"No accounts yet", "calsync account add google|microsoft|caldav", "None yet", "calsync demo"} {
		if !strings.Contains(v, want) {
			t.Errorf("empty home lacks %q:\n%s", want, v)
		}
	}
}

// At 80 columns an account whose name, login and state do not fit on one line gets its
// state on the next line instead of having it cut off ("synced just …", or the stopped
// state lost entirely).
func TestHomeAccountStateIsNeverCutAtEightyColumns(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := store.SetUserTimeZone(ctx, st.DB, "UTC"); err != nil {
		t.Fatal(err)
	}
	synced := testNow.Add(-3 * time.Minute)
	for _, a := range []store.Account{
		{Kind: "microsoft", Name: "Outlook (Microsoft 365)", Login: "dana@contoso.example", LastSyncAt: &synced},
		{Kind: "microsoft", Name: "Stopped (Microsoft 365)", Login: "dana@contoso.example", State: store.AccountDisabled, LastSyncAt: &synced},
		{Kind: "caldav", Name: "Home", Login: "pat"},
	} {
		if _, err := store.CreateAccount(ctx, st.DB, a); err != nil {
			t.Fatal(err)
		}
	}
	m := open(t, st)
	m.SetSize(80, 24)
	v := m.View()
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "…") || lipgloss.Width(l) > 78 {
			t.Errorf("line cut or too wide: %q", l)
		}
	}
	flat := strings.Join(strings.Fields(v), " ")
	for _, want := range []string{
		"● Outlook (Microsoft 365) · dana@contoso.example connected · synced 3 min ago (Wed 25 Nov 09:57)",
		"○ Stopped (Microsoft 365) · dana@contoso.example sync stopped · synced 3 min ago",
		"● Home · CalDAV · pat — connected · never synced", // fits: one line
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("home lacks %q:\n%s", want, v)
		}
	}
}

// The reconnect command and the error under a broken account wrap at 80 columns: a
// command cut in the middle of its account id cannot be run.
func TestHomeBrokenAccountCommandIsWholeAtEightyColumns(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id := "01a21462-a7dc-7274-9d1e-5a3c2b1d0e9f"
	msg := "google list events: AuthExpired (HTTP 400 invalid_grant): Token has been expired or revoked."
	if _, err := store.CreateAccount(ctx, st.DB, store.Account{ID: id, Kind: "google", Name: "Work (Google)",
		Login: "alex.morgan@gmail.com", State: store.AccountNeedsReauth, LastErrorKind: "AuthExpired",
		LastErrorMessage: msg}); err != nil {
		t.Fatal(err)
	}
	m := open(t, st)
	m.SetSize(80, 24)
	v := m.View()
	flat := strings.Join(strings.Fields(v), " ")
	advice := "Google Calendar no longer accepts calsync's sign-in (expired or revoked). Sign in again."
	for _, want := range []string{"calsync account reconnect " + id, advice} {
		if !strings.Contains(flat, want) {
			t.Errorf("home lacks %q:\n%s", want, v)
		}
	}
	for _, l := range strings.Split(v, "\n") {
		if lipgloss.Width(l) > 78 {
			t.Errorf("line too wide: %q", l)
		}
	}
}
