package troubleshoot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// drive runs a Cmd chain synchronously (tests only): every message it produces goes back
// into Update until nothing is left; spinner ticks are dropped.
func drive(m *Model, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for i := 0; len(queue) > 0 && i < 500; i++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil, spinner.TickMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// Golden: the symptom picker and a stopped step (evidence, fix, impact) at 80x24.
func TestGoldenWizard80x24(t *testing.T) {
	st, _, _ := filtersHide(t)
	fixed := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	c := common.NewContext(st, func(string) string { return "" }, func() time.Time { return fixed })
	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	env.Offline = true
	c.Services.Doctor = env
	m := New(c)
	m.SetSize(80, 24)
	t.Run("picker", func(t *testing.T) { golden.RequireEqual(t, []byte(m.View())) })

	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	drive(m, cmd)
	if m.state != stateResult || m.current.CheckID != "list-filters" {
		t.Fatalf("state %d at %s", m.state, m.current.CheckID)
	}
	view := m.View()
	// The owner's name is stable; the activity ids are not part of the view.
	t.Run("filters", func(t *testing.T) { golden.RequireEqual(t, []byte(view)) })
}

func TestLongFlowsKeepTheCurrentStepOnScreen(t *testing.T) {
	st, _, _ := filtersHide(t)
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	env.Offline = true
	c.Services.Doctor = env
	m := New(c)
	m.Update(tea.KeyMsg{Type: tea.KeyUp})              // wraps to the last entry
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter}) // check everything
	drive(m, cmd)
	for i := 0; i < 30 && m.state == stateResult; i++ {
		_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
		drive(m, cmd)
	}
	m.SetSize(80, 16)
	v := m.View()
	if n := strings.Count(v, "\n"); n > 16 {
		t.Fatalf("view is %d lines for a height of 16:\n%s", n, v)
	}
	if !strings.Contains(v, "earlier steps") || !strings.Contains(v, "Done.") {
		t.Fatalf("the current step must stay visible, older ones summarised:\n%s", v)
	}
}

// "Did this fix it?" — no: the wizard keeps the fix but still offers its undo.
func TestNotFixedKeepsTheUndo(t *testing.T) {
	st, _, view := filtersHide(t)
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	env.Offline = true
	c.Services.Doctor = env
	m := New(c)
	m.SetSize(100, 40)
	key := func(s string) {
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)})
		drive(m, cmd)
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	drive(m, cmd)
	key("f")
	key("y")
	if m.state != stateVerified {
		t.Fatalf("state %d:\n%s", m.state, m.View())
	}
	key("n")
	if !strings.Contains(m.View(), "the fix stays applied (u undoes it)") {
		t.Fatalf("view:\n%s", m.View())
	}
	key("u")
	got, _ := store.LoadListView(context.Background(), st.DB)
	if got.Owner != view.Owner {
		t.Fatalf("u after \"no\" did not undo: %+v", got)
	}
}

// With several accounts, a check that runs once per account names the account: three
// bare "Is calendar sync switched on?" lines would not say which is which.
func TestPerAccountStepsNameTheirAccount(t *testing.T) {
	st, _, _ := filtersHide(t)
	ctx := context.Background()
	now := time.Now()
	b, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "caldav", Name: "Home NAS", Login: "ana", AuthKind: "password",
		State: store.AccountConnected, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	s := store.DefaultSyncSettings(b.ID)
	if err := store.PutSyncSettings(ctx, st.DB, s); err != nil {
		t.Fatal(err)
	}
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	env.Offline = true
	c.Services.Doctor = env
	m := New(c)
	m.SetSize(120, 60)
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter}) // activities don't show up
	drive(m, cmd)
	for i := 0; i < 40 && m.state == stateResult; i++ {
		_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
		drive(m, cmd)
	}
	v := m.View()
	for _, want := range []string{"Is calendar sync switched on? — Work", "Is calendar sync switched on? — Home NAS"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q in:\n%s", want, v)
		}
	}
}

// A wrapped finding continues under its text, whatever the colour profile: the status
// prefix is styled, so its escape codes must not count as indentation.
func TestWrappedFindingIndentIgnoresColourCodes(t *testing.T) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	st, _, _ := filtersHide(t)
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	env.Offline = true
	c.Services.Doctor = env
	m := New(c)
	m.SetSize(60, 40)
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	drive(m, cmd)
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "✗ Problem  ") && i+1 < len(lines) {
			next := lines[i+1]
			indent := len(next) - len(strings.TrimLeft(next, " "))
			if want := len([]rune("✗ Problem  ")); indent != want {
				t.Fatalf("continuation indented %d, want %d:\n%s\n%s", indent, want, l, next)
			}
			return
		}
	}
	t.Fatalf("no wrapped problem line:\n%s", strings.Join(lines, "\n"))
}
