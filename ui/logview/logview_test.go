package logview

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

type fixture struct {
	t   *testing.T
	st  *store.Store
	m   *Model
	act store.Activity
	acc store.Account
}

func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	store.EnsureMe(ctx, st.DB, "Me", now)
	acc, _ := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work"})
	other, _ := store.CreateAccount(ctx, st.DB, store.Account{Kind: "microsoft", Name: "Office"})
	act, _ := store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: store.TypeCall, Subject: "Call Anna\x1b]0;pwned\x07",
		Start: now.Add(24 * time.Hour)}, now)
	store.InsertLink(ctx, st.DB, store.Link{ActivityID: act.ID, AccountID: acc.ID, CalendarID: "cal", RemoteID: "ev1", State: store.LinkSynced, SyncedRev: 1})
	add := func(i int, acct, op, reason, detail string) {
		store.AppendJournal(ctx, st.DB, store.JournalEntry{At: now.Add(time.Duration(i) * time.Minute), AccountID: acct,
			ActivityID: act.ID, RemoteID: "ev1", Op: op, Reason: reason, Detail: detail})
	}
	add(1, acc.ID, store.OpPushed, "created", "")
	add(2, other.ID, store.OpSkipped, "before-activation", "last changed before sync was switched on")
	add(3, acc.ID, store.OpConflict, "remote-won", `{"side":"crm","version":{"subject":"Call Anna (old)"}}`)
	add(4, acc.ID, store.OpError, "RateLimited", `{"error":"google: RateLimited (HTTP 429)"}`)
	c := common.NewContext(st, func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}, func() time.Time { return now })
	m := New(c)
	m.SetSize(120, 20)
	f := &fixture{t: t, st: st, m: m, act: act, acc: acc}
	f.do(m.Init())
	return f
}

// do runs a command (and batches) synchronously, feeding results back like the runtime.
func (f *fixture) do(cmd tea.Cmd) {
	for cmd != nil {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				f.do(c)
			}
			return
		}
		_, cmd = f.m.Update(msg)
	}
}

func (f *fixture) press(k string) {
	var msg tea.KeyMsg
	switch k {
	case "enter":
		msg = tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		msg = tea.KeyMsg{Type: tea.KeyEsc}
	case "down":
		msg = tea.KeyMsg{Type: tea.KeyDown}
	default:
		msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
	}
	_, cmd := f.m.Update(msg)
	f.do(cmd)
}

func (f *fixture) view() string { return ansi.Strip(f.m.View()) }

func TestLogNewestFirstAndFilters(t *testing.T) {
	f := newFixture(t)
	v := f.view()
	iErr, iPush := strings.Index(v, "RateLimited"), strings.Index(v, "created")
	if iErr < 0 || iPush < 0 || iErr > iPush {
		t.Fatalf("not newest first:\n%s", v)
	}
	if strings.Contains(v, "\x1b]0;") || strings.Contains(v, "pwned\a") || !strings.Contains(v, "Call Anna") {
		t.Fatalf("activity subject not shown safely:\n%q", v)
	}
	// o cycles the operation filter: pushed first.
	f.press("o")
	v = f.view()
	if !strings.Contains(v, "Operation: pushed") || strings.Contains(v, "RateLimited") || !strings.Contains(v, "created") {
		t.Fatalf("op filter:\n%s", v)
	}
	f.press("x")
	// a cycles accounts: Work only hides Office's skip.
	f.press("a")
	v = f.view()
	if !strings.Contains(v, "Account: Work") || strings.Contains(v, "before-activation") || !strings.Contains(v, "remote-won") {
		t.Fatalf("account filter:\n%s", v)
	}
	f.press("x")
	// r cycles reasons in sorted order: RateLimited is first.
	f.press("r")
	v = f.view()
	if !strings.Contains(v, "Reason: RateLimited") || strings.Contains(v, "created") {
		t.Fatalf("reason filter:\n%s", v)
	}
	f.press("o") // pushed + RateLimited: nothing
	if v = f.view(); !strings.Contains(v, "No entries match these filters") {
		t.Fatalf("empty filter result:\n%s", v)
	}
}

func TestLogEntryOpensWithDetailAndActivity(t *testing.T) {
	f := newFixture(t)
	f.m.SetSize(120, 40)
	f.press("down") // the conflict (second newest)
	f.press("enter")
	v := f.view()
	for _, want := range []string{"Journal entry #3", "remote-won", "the calendar version won", `"subject": "Call Anna (old)"`,
		"Subject", "Call Anna", "synced rev 1", "Work"} {
		if !strings.Contains(v, want) {
			t.Fatalf("detail lacks %q:\n%s", want, v)
		}
	}
	// t asks the Troubleshoot tab about this activity.
	_, cmd := f.m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("t")})
	if msg, ok := cmd().(common.TroubleshootActivityMsg); !ok || msg.ActivityID != f.act.ID {
		t.Fatalf("troubleshoot message %#v", msg)
	}
	f.press("esc")
	if v := f.view(); !strings.Contains(v, "Account: all") {
		t.Fatalf("esc did not return to the list:\n%s", v)
	}
}

func TestLogPagesOlderEntries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := 0; i < 450; i++ {
		store.AppendJournal(ctx, f.st.DB, store.JournalEntry{AccountID: f.acc.ID, Op: store.OpInfo, Reason: "cursor-expired"})
	}
	f.do(f.m.reload())
	if len(f.m.rows) != pageSize || !f.m.more {
		t.Fatalf("first page %d rows", len(f.m.rows))
	}
	for i := 0; i < 460; i++ {
		f.press("down")
	}
	if len(f.m.rows) != 454 || f.m.more {
		t.Fatalf("after scrolling: %d rows, more=%v", len(f.m.rows), f.m.more)
	}
	if v := f.view(); !strings.Contains(v, "▸") || !strings.Contains(v, "created") {
		t.Fatalf("oldest entry not reachable:\n%s", v)
	}
}
