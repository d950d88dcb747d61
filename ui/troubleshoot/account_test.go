package troubleshoot

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/common"
)

type readOnlyCalendar struct{ providers.Provider }

func (readOnlyCalendar) Changes(context.Context, string, string, providers.Window) (providers.ChangePage, error) {
	return providers.ChangePage{Full: true, NextCursor: "t1"}, nil
}
func (readOnlyCalendar) Create(context.Context, string, providers.Event) (providers.Event, error) {
	return providers.Event{}, &providers.Error{Kind: providers.ReadOnly, Status: 403, Code: "requiredAccessLevel", Message: "You need to have writer access to this calendar."}
}

// "!" on a failed sync (Home, the status bar) opens Troubleshoot on that account alone,
// with the symptom its reason points to and a line saying how its last sync ended.
func TestAccountMessageLooksIntoThatAccountOnly(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	me, _ := store.EnsureMe(ctx, st.DB, "Ana", now.Add(-48*time.Hour))
	var ids []string
	for _, name := range []string{"Work", "Personal"} {
		a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: name, Login: "ana@example.com", AuthKind: "oauth",
			State: store.AccountConnected, CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		s := store.DefaultSyncSettings(a.ID)
		s.CalendarID, s.Enabled = "cal", true
		act := now.Add(-time.Hour)
		s.ActivatedAt = &act
		store.PutSyncSettings(ctx, st.DB, s)
		ids = append(ids, a.ID)
	}
	store.CreateActivity(ctx, st.DB, store.ActivityInput{OwnerID: me.ID, Type: store.TypeCall, Subject: "Call", Start: now.Add(time.Hour)}, now)
	eng := &sync.Engine{Store: st, Open: func(context.Context, store.Account) (providers.Provider, error) { return readOnlyCalendar{}, nil }}
	if _, err := eng.Run(ctx, ids[1], sync.RunOptions{}); err != nil {
		t.Fatal(err)
	}

	c := common.NewContext(st, func(string) string { return "1" }, func() time.Time { return now })
	m := New(c)
	m.SetSize(120, 40)
	_, cmd := m.Update(common.TroubleshootAccountMsg{AccountID: ids[1], Reason: "ReadOnly"})
	var sm tea.Msg
	for _, c := range cmd().(tea.BatchMsg) {
		if msg, ok := c().(sessionMsg); ok {
			sm = msg
		}
	}
	if sm == nil {
		t.Fatal("no session started")
	}
	m.Update(sm)
	if m.sess == nil || len(m.sess.Accounts) != 1 || m.sess.Accounts[0].Account.ID != ids[1] || string(m.sess.Symptom) != "one-way" {
		t.Fatalf("session: %+v", m.sess)
	}
	for _, st := range m.sess.Steps {
		if st.Account != nil && st.Account.Account.ID != ids[1] {
			t.Fatalf("a step looks at another account: %s", st.Check.ID)
		}
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "The last sync of Personal") || !strings.Contains(v, "the calendar is read-only") {
		t.Fatalf("view:\n%s", v)
	}
}
