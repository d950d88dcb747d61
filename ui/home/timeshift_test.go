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

// shiftedCalendar lists every event an hour later than calsync wrote it, as a calendar app
// that read the times in another zone would leave them.
type shiftedCalendar struct {
	providers.Provider
	events []providers.Event
}

func (c shiftedCalendar) Changes(context.Context, string, string, providers.Window) (providers.ChangePage, error) {
	return providers.ChangePage{Events: c.events, NextCursor: "next", Full: true}, nil
}

// A sync that held back a mass time shift shows on Home with what happened and a way to
// answer: m asks "move them?", n drops the question, y asks the background sync to run
// the account with the shift confirmed.
func TestHomeOffersToAcceptAHeldTimeShift(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	store.SetUserTimeZone(ctx, st.DB, "UTC")
	store.EnsureMe(ctx, st.DB, "Ana", testNow)
	acct, _ := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "ana@example.com"})
	set := store.DefaultSyncSettings(acct.ID)
	set.CalendarID, set.Enabled = "cal", true
	if err := store.PutSyncSettings(ctx, st.DB, set); err != nil {
		t.Fatal(err)
	}
	var cal shiftedCalendar
	for i := 0; i < 12; i++ {
		a, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: store.TypeCall, Subject: "Call " + string(rune('A'+i)),
			Start: testNow.Add(time.Duration(24+i) * time.Hour).Truncate(time.Hour), Duration: 30 * time.Minute, TimeZone: "UTC"}, testNow.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		rid := "ev-" + a.ID
		if _, err := store.InsertLink(ctx, st.DB, store.Link{ActivityID: a.ID, AccountID: acct.ID, CalendarID: "cal", RemoteID: rid,
			RemoteETag: `"1"`, SyncedRev: a.Rev, State: store.LinkSynced, CreatedAt: testNow.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		cal.events = append(cal.events, providers.Event{RemoteID: rid, ETag: `"2"`, ActivityID: a.ID, Subject: a.Subject,
			Start: a.Start.Add(time.Hour), End: a.Start.Add(90 * time.Minute), TimeZone: "UTC"})
	}
	eng := &sync.Engine{Store: st, Now: func() time.Time { return testNow.Add(-2 * time.Minute) },
		Open: func(context.Context, store.Account) (providers.Provider, error) { return cal, nil }}
	if s, err := eng.Run(ctx, acct.ID, sync.RunOptions{}); err != nil || s.TimeShiftGuard != 12 {
		t.Fatalf("setup: the guard did not hold: %v %+v", err, s)
	}

	m := open(t, st)
	m.SetSize(80, 24)
	v := m.View()
	for _, want := range []string{"sync held back moves 2 min ago (Wed 25 Nov 09:58): events moved in the calendar, waiting for you", "The calendar moved 12 synced events 1 hour later; none was applied here",
		"m to accept the calendar's times"} {
		if !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
			t.Errorf("home lacks %q:\n%s", want, v)
		}
	}
	key := func(r rune) tea.Cmd {
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		return cmd
	}
	if cmd := key('m'); cmd != nil {
		t.Fatal("m acted before asking")
	}
	if v := m.View(); !strings.Contains(v, "Move 12 activities 1 hour later to match the calendar? y yes · n no") {
		t.Fatalf("no question after m:\n%s", v)
	}
	if cmd := key('n'); cmd != nil || strings.Contains(m.View(), "to match the calendar?") {
		t.Fatal("n did not drop the question")
	}
	key('m')
	cmd := key('y')
	if cmd == nil {
		t.Fatal("y did nothing")
	}
	if msg, ok := cmd().(common.ConfirmTimeShiftMsg); !ok || msg.AccountID != acct.ID {
		t.Fatalf("y sent %#v", msg)
	}
}
