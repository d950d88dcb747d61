package troubleshoot

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

// driver runs the screen's commands like the runtime would, keeping the messages meant
// for the root and the other screens.
type driver struct {
	t    *testing.T
	m    *Model
	sent []tea.Msg
}

func newDriver(t *testing.T, st *store.Store) *driver {
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	env.Offline = true
	c.Services.Doctor = env
	m := New(c)
	m.SetSize(120, 48)
	return &driver{t: t, m: m}
}

func (d *driver) run(cmd tea.Cmd) {
	d.t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 500 {
			d.t.Fatal("commands keep coming")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		var msg tea.Msg
		select {
		case msg = <-ch:
		case <-time.After(2 * time.Second):
			continue
		}
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if v := reflect.ValueOf(msg); v.IsValid() && v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			for i := 0; i < v.Len(); i++ {
				queue = append(queue, v.Index(i).Interface().(tea.Cmd))
			}
			continue
		}
		switch msg.(type) {
		case nil:
			continue
		case common.StateChangedMsg, common.DataChangedMsg, common.BusyMsg, common.StatusMsg, common.SwitchTabMsg:
			d.sent = append(d.sent, msg)
			continue
		}
		_, next := d.m.Update(msg)
		queue = append(queue, next)
	}
}

func (d *driver) press(keys ...string) {
	for _, k := range keys {
		msg := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		if k == "enter" {
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		}
		_, cmd := d.m.Update(msg)
		d.run(cmd)
	}
}

func (d *driver) view() string { return strings.Join(strings.Fields(d.m.View()), " ") }

func (d *driver) stateChanges() []common.StateChangedMsg {
	var out []common.StateChangedMsg
	for _, m := range d.sent {
		if s, ok := m.(common.StateChangedMsg); ok {
			out = append(out, s)
		}
	}
	return out
}

// Applying the filters fix, and undoing it, tells every screen that the list filters
// changed (the list then shows them; see ui's TestFiltersFixReachesTheOpenActivityList).
func TestFiltersFixAndItsUndoAnnounceAFilterChange(t *testing.T) {
	st, _, _ := filtersHide(t)
	d := newDriver(t, st)
	d.press("enter")
	if v := d.view(); !strings.Contains(v, "Do the activity list's filters hide it?") {
		t.Fatalf("the wizard should stop at the list filters:\n%s", d.m.View())
	}
	d.press("f", "y")
	got := d.stateChanges()
	if len(got) != 1 || got[0].What != common.ChangedFilters || got[0].Source != "Troubleshoot" {
		t.Fatalf("after the fix: %+v", got)
	}
	d.press("u")
	if got := d.stateChanges(); len(got) != 2 || got[1].What != common.ChangedFilters {
		t.Fatalf("after the undo: %+v", got)
	}
}

// A settings fix names its account, so only that account's settings screen reloads; a
// fix the table does not know makes every screen reload rather than none.
func TestFixChangesNameWhatAndWhichAccount(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want common.Changed
	}{
		{"reset-list-filters", common.ChangedFilters},
		{"enable-sync", common.ChangedSettings},
		{"add-type", common.ChangedSettings},
		{"set-time-zone", common.ChangedTimeZone},
		{"app-password", common.ChangedAccounts},
		{"merge", common.ChangedActivities},
		{"a-fix-added-later", common.ChangedEverything},
	} {
		c := changeOf(&doctor.Fix{ID: tc.id, AccountID: "acc-1"})
		if c.what != tc.want || c.accountID != "acc-1" {
			t.Errorf("%s: %+v, want %v for acc-1", tc.id, c, tc.want)
		}
	}
}

// The person switches sync on in the Accounts tab while the wizard shows "sync is off":
// the wizard says its finding may be out of date, r checks again on the settings as they
// are now, and the step passes.
func TestRecheckReadsSettingsChangedInAnotherTab(t *testing.T) {
	st, _, _ := filtersHide(t)
	ctx := context.Background()
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil || len(accts) != 1 {
		t.Fatal(accts, err)
	}
	s, err := store.GetSyncSettings(ctx, st.DB, accts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	s.Enabled = false
	if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, st)
	d.press("enter")
	if v := d.view(); !strings.Contains(v, "calendar sync is switched off") || !strings.Contains(v, "r: check again") {
		t.Fatalf("the wizard should stop at sync switched off, offering r:\n%s", d.m.View())
	}
	s.Enabled = true
	if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
		t.Fatal(err)
	}
	_, cmd := d.m.Update(common.StateChangedMsg{What: common.ChangedSettings, AccountID: accts[0].ID, Source: "Accounts"})
	d.run(cmd)
	if v := d.view(); !strings.Contains(v, "sync settings changed in Accounts since this was checked: press r to check again") {
		t.Fatalf("the wizard should say its finding may be out of date:\n%s", d.m.View())
	}
	d.press("r")
	v := d.view()
	if strings.Contains(v, "calendar sync is switched off") {
		t.Fatalf("r should check again on the new settings:\n%s", d.m.View())
	}
	if !strings.Contains(v, "✓ OK Is calendar sync switched on?") {
		t.Fatalf("the step should now pass and the wizard move on:\n%s", d.m.View())
	}
}
