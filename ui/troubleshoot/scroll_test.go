package troubleshoot

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

// At an 80x24 terminal the root's chrome (tab bar 2 rows, status 1, help 1) leaves the
// screen 80x20.
const termW, screenH = 80, 20

const clientID = "0f0e5a1c-1111-2222-3333-444455556666"

// adminBlocked is the "admin-blocked" scenario through the store API: a Microsoft 365
// account whose sign-in the tenant refused (AADSTS65001, PROVIDERS.md), scopes granted.
func adminBlocked(t *testing.T) (*store.Store, store.Account) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	store.EnsureMe(ctx, st.DB, "Ana", now)
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "microsoft", Name: "Contoso", Login: "ana@contoso.example", AuthKind: "oauth",
		ClientID: clientID, State: store.AccountNeedsReauth, GrantedScopes: []string{"Calendars.ReadWrite", "offline_access"},
		LastErrorKind: "AdminBlocked", LastErrorMessage: "AADSTS65001: The user or administrator has not consented to use the application.", CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return st, a
}

// newScreen builds the wizard over st at the size an 80x24 terminal gives it, offline.
func newScreen(t *testing.T, st *store.Store, getenv func(string) string) *Model {
	t.Helper()
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	fixed := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	c := common.NewContext(st, getenv, func() time.Time { return fixed })
	env := doctor.NewEnv(st, getenv, func() time.Time { return fixed })
	env.Offline = true
	c.Services.Doctor = env
	m := New(c)
	m.SetSize(termW, screenH)
	return m
}

// pick chooses symptom s in the picker, by its place in the (data-driven) list.
func pick(t *testing.T, m *Model, s doctor.Symptom) {
	t.Helper()
	for i, c := range Choices {
		if c == s {
			for j := 0; j < i; j++ {
				m.Update(tea.KeyMsg{Type: tea.KeyDown})
			}
			_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
			drive(m, cmd)
			return
		}
	}
	t.Fatalf("symptom %s not in the picker", s)
}

func press(m *Model, k tea.KeyMsg) { _, cmd := m.Update(k); drive(m, cmd) }
func typeKey(m *Model, s string)   { press(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }

// fits fails when a frame is taller or wider than the screen it was given.
func fits(t *testing.T, v string) {
	t.Helper()
	ls := strings.Split(strings.TrimSuffix(v, "\n"), "\n")
	if len(ls) > screenH {
		t.Fatalf("frame is %d lines for %d:\n%s", len(ls), screenH, v)
	}
	for _, l := range ls {
		if ansi.StringWidth(l) > termW {
			t.Fatalf("line wider than %d: %q", termW, l)
		}
	}
}

// The admin-blocked step at 80x24: the note does not fit, so the step scrolls (PgDn, j,
// the mouse wheel) and every line of the note, the consent address whole, can be reached;
// the keys stay on screen whatever the scroll.
func TestAdminNoteScrollsWholeAt80x24(t *testing.T) {
	st, _ := adminBlocked(t)
	m := newScreen(t, st, nil)
	pick(t, m, doctor.Permissions)
	if m.state != stateResult || m.current.CheckID != "admin-policy" {
		t.Fatalf("stopped at %s (state %d):\n%s", m.current.CheckID, m.state, m.View())
	}
	top := m.View()
	fits(t, top)
	t.Run("top", func(t *testing.T) { golden.RequireEqual(t, []byte(top)) })
	if !strings.Contains(top, "more below") || !strings.Contains(top, "s: save note") {
		t.Fatalf("no scroll or hand-off hint:\n%s", top)
	}

	seen := map[string]bool{}
	collect := func(v string) {
		for _, l := range strings.Split(v, "\n") {
			seen[strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "│"))] = true
		}
	}
	collect(top)
	press(m, tea.KeyMsg{Type: tea.KeyPgDown})
	paged := m.View()
	fits(t, paged)
	if paged == top {
		t.Fatal("PgDn did not scroll")
	}
	t.Run("pgdown", func(t *testing.T) { golden.RequireEqual(t, []byte(paged)) })
	collect(paged)
	for i := 0; i < 40 && !m.vp.AtBottom(); i++ {
		typeKey(m, "j")
		v := m.View()
		fits(t, v)
		if !strings.Contains(v, "f: apply") && !strings.Contains(v, "n: next step") {
			t.Fatalf("the keys scrolled away:\n%s", v)
		}
		collect(v)
	}
	if !m.vp.AtBottom() {
		t.Fatal("j never reached the end of the step")
	}
	// Every word of the note was on screen; an address is never cut by the wrap: it is
	// flush left, split only at the screen's edge when wider than the screen (c and s
	// take it whole).
	var all []string
	for l := range seen {
		all = append(all, l)
	}
	shown := " " + strings.Join(all, " ") + " "
	for _, word := range strings.Fields(m.current.AdminNote) {
		if strings.HasPrefix(word, "https://") {
			for _, part := range strings.Split(ansi.Hardwrap(word, termW-2, false), "\n") {
				if !seen[part] {
					t.Errorf("address %q: piece %q not on a line of its own", word, part)
				}
			}
		} else if !strings.Contains(shown, " "+word+" ") {
			t.Errorf("note word %q never on screen", word)
		}
	}
	// k and the mouse wheel scroll back up.
	before := m.View()
	typeKey(m, "k")
	if m.View() == before {
		t.Fatal("k did not scroll up")
	}
	before = m.View()
	m.Update(tea.MouseMsg{Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress})
	if m.View() == before {
		t.Fatal("the mouse wheel did not scroll")
	}
	// A new step starts at its top.
	typeKey(m, "n")
	m.View()
	if m.vp.YOffset != 0 {
		t.Fatalf("the next step starts scrolled by %d", m.vp.YOffset)
	}
}

// s saves the IT-admin note whole to a file named for it in the data directory, readable
// by the owner only, and says where; c copies it with OSC 52 and says what to do when the
// terminal ignores that.
func TestAdminNoteSaveAndCopy(t *testing.T) {
	st, a := adminBlocked(t)
	m := newScreen(t, st, func(k string) string {
		if k == "TERM" {
			return "xterm-256color"
		}
		return ""
	})
	var term bytes.Buffer
	m.ctx.Terminal = &term
	pick(t, m, doctor.Permissions)
	note := m.current.AdminNote
	if !strings.Contains(note, "adminconsent?client_id="+clientID) {
		t.Fatalf("unexpected note:\n%s", note)
	}
	// At 120 columns the consent address fits: on one line, whole, never "…".
	m.SetSize(120, 60)
	url := "https://login.microsoftonline.com/organizations/adminconsent?client_id=" + clientID
	whole := false
	for _, l := range strings.Split(m.View(), "\n") {
		whole = whole || strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "│")) == url
	}
	if !whole {
		t.Fatalf("the address is not whole on a line at 120 columns:\n%s", m.View())
	}
	m.SetSize(termW, screenH)

	typeKey(m, "s")
	path := filepath.Join(st.Dir, "admin-note-"+a.Login+".txt")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("s did not save the note: %v\n%s", err, m.View())
	}
	if string(b) != strings.TrimRight(note, "\n")+"\n" {
		t.Fatalf("saved note is not the note:\n%s", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("note saved with mode %v", fi.Mode().Perm())
	}
	flat := strings.Join(strings.Fields(ansi.Strip(m.View())), " ")
	if !strings.Contains(flat, path) {
		t.Fatalf("the path is not shown:\n%s", m.View())
	}

	typeKey(m, "c")
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(note)) + "\x07"
	if term.String() != want {
		t.Fatalf("c wrote %q", term.String())
	}
	flat = strings.Join(strings.Fields(ansi.Strip(m.View())), " ")
	if !strings.Contains(flat, "Copied by OSC 52") || !strings.Contains(flat, "press s to save it") {
		t.Fatalf("copy not reported honestly:\n%s", m.View())
	}
}

// missingScope: a Google account that granted read-only calendar access.
func missingScope(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	store.EnsureMe(ctx, st.DB, "Ana", now)
	if _, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "ana@example.com", AuthKind: "oauth",
		State: store.AccountNeedsReauth, GrantedScopes: []string{"https://www.googleapis.com/auth/calendar.readonly"},
		LastErrorKind: "InsufficientScope", LastErrorMessage: "Request had insufficient authentication scopes.", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return st
}

// The confirm prompt at 80x24 always shows the question it confirms, with its keys, and
// the cause and action are on screen before it (the evidence behind e).
func TestConfirmShowsItsQuestionAt80x24(t *testing.T) {
	st := missingScope(t)
	m := newScreen(t, st, nil)
	pick(t, m, doctor.Permissions)
	if m.current.CheckID != "scopes" || len(m.current.Fixes) == 0 {
		t.Fatalf("stopped at %s:\n%s", m.current.CheckID, m.View())
	}
	v := m.View()
	fits(t, v)
	t.Run("result", func(t *testing.T) { golden.RequireEqual(t, []byte(v)) })
	if strings.Contains(v, "seen: granted") {
		t.Fatalf("evidence shown before e:\n%s", v)
	}
	typeKey(m, "e")
	if d := m.View(); !strings.Contains(strings.Join(strings.Fields(d), " "), "seen: granted:") {
		// The evidence may be below the fold: scroll to find it.
		found := false
		for i := 0; i < 20 && !found; i++ {
			typeKey(m, "j")
			found = strings.Contains(m.View(), "seen: granted:")
		}
		if !found {
			t.Fatalf("e did not show the evidence:\n%s", d)
		}
	}
	typeKey(m, "e")
	typeKey(m, "f")
	if m.state != stateConfirm {
		t.Fatalf("f did not ask:\n%s", m.View())
	}
	c := m.View()
	fits(t, c)
	t.Run("confirm", func(t *testing.T) { golden.RequireEqual(t, []byte(c)) })
	flat := strings.Join(strings.Fields(c), " ")
	if !strings.Contains(flat, "Apply: sign in again to") || !strings.Contains(flat, "y: apply · n/esc: cancel") {
		t.Fatalf("the question is not on screen with its keys:\n%s", c)
	}
	// Still there when the body is scrolled to its end.
	for i := 0; i < 20; i++ {
		typeKey(m, "j")
	}
	if flat := strings.Join(strings.Fields(m.View()), " "); !strings.Contains(flat, "Apply: sign in again to") {
		t.Fatalf("the question scrolled away:\n%s", m.View())
	}
}

// Plain language first: the cause and one sentence of action; the evidence and the rest
// of the advice appear with e.
func TestEvidenceSitsBehindE(t *testing.T) {
	st, _, _ := filtersHide(t)
	m := newScreen(t, st, nil)
	m.SetSize(100, 40)
	pick(t, m, doctor.NotShowing)
	v := m.View()
	if strings.Contains(v, "seen: filters") || !strings.Contains(v, "e: details") {
		t.Fatalf("evidence shown at once, or e not offered:\n%s", v)
	}
	typeKey(m, "e")
	if v := m.View(); !strings.Contains(v, "seen: filters") || !strings.Contains(v, "e: hide details") {
		t.Fatalf("e did not show the evidence:\n%s", v)
	}
}

func TestSplitSentence(t *testing.T) {
	for _, c := range []struct{ in, first, rest string }{
		{"Choose another calendar. Then sync.", "Choose another calendar.", "Then sync."},
		{"Reconnect and accept \"Full access\" (Calendars.ReadWrite). To start over, remove the app at https://myapps.microsoft.com.",
			"Reconnect and accept \"Full access\" (Calendars.ReadWrite).", "To start over, remove the app at https://myapps.microsoft.com."},
		{"Run `calsync sync. Now` first, e.g. today.", "Run `calsync sync. Now` first, e.g. today.", ""},
		{"", "", ""},
	} {
		f, r := splitSentence(c.in)
		if f != c.first || r != c.rest {
			t.Errorf("splitSentence(%q) = %q, %q", c.in, f, r)
		}
	}
}

// twoAccountsTwoCalendars: two accounts, each with two event calendars, sync on.
func twoAccountsTwoCalendars(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	store.EnsureMe(ctx, st.DB, "Ana", now.Add(-48*time.Hour))
	for _, name := range []string{"Work", "Home"} {
		a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: name, Login: strings.ToLower(name) + "@example.com", AuthKind: "oauth",
			State: store.AccountConnected, GrantedScopes: []string{"https://www.googleapis.com/auth/calendar"}, CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		store.ReplaceCalendars(ctx, st.DB, a.ID, []store.Calendar{
			{AccountID: a.ID, RemoteID: "cal", Name: "Ana", Primary: true, HasEvents: true},
			{AccountID: a.ID, RemoteID: "team", Name: "Team", HasEvents: true}}, now)
		s := store.DefaultSyncSettings(a.ID)
		s.CalendarID, s.Enabled = "cal", true
		act := now.Add(-time.Hour)
		s.ActivatedAt = &act
		store.PutSyncSettings(ctx, st.DB, s)
	}
	return st
}

// "Is this the calendar you look at?" is asked once per run, not once per account.
func TestCalendarQuestionOncePerRun(t *testing.T) {
	st := twoAccountsTwoCalendars(t)
	m := newScreen(t, st, nil)
	m.SetSize(120, 60)
	pick(t, m, doctor.NotShowing)
	asked := 0
	for i := 0; i < 40 && m.state == stateResult; i++ {
		if m.current.Ask != "" && m.current.CheckID == "calendar" {
			asked++
		}
		typeKey(m, "n")
	}
	if m.state != stateDone {
		t.Fatalf("did not finish:\n%s", m.View())
	}
	if asked != 1 {
		t.Fatalf("asked about the calendar %d times", asked)
	}
	// With one calendar in the account the question cannot matter and is not asked.
	st2, _, _ := filtersHide(t)
	m = newScreen(t, st2, nil)
	m.SetSize(120, 60)
	pick(t, m, doctor.NotShowing)
	for i := 0; i < 40 && m.state == stateResult; i++ {
		if m.current.Ask != "" && m.current.CheckID == "calendar" {
			t.Fatalf("asked about the only calendar:\n%s", m.View())
		}
		typeKey(m, "n")
	}
}

// The end counts the fixes applied and the problems left, and a problem with no fix says
// who can act on it.
func TestDoneCountsFixesAndSaysWhoCanAct(t *testing.T) {
	st, _, _ := filtersHide(t)
	m := newScreen(t, st, nil)
	m.SetSize(100, 40)
	pick(t, m, doctor.NotShowing)
	typeKey(m, "f")
	typeKey(m, "y")
	typeKey(m, "y") // did this fix it? yes
	for i := 0; i < 40 && m.state == stateResult; i++ {
		typeKey(m, "n")
	}
	if v := m.View(); !strings.Contains(v, "Done. 1 fix applied, 0 problems left.") {
		t.Fatalf("end state:\n%s", v)
	}

	st2, _ := adminBlocked(t)
	m = newScreen(t, st2, nil)
	m.SetSize(100, 60)
	pick(t, m, doctor.Permissions)
	for i := 0; i < 40 && m.state == stateResult; i++ {
		typeKey(m, "n")
	}
	v := strings.Join(strings.Fields(m.View()), " ")
	if !strings.Contains(v, "0 fixes applied") || strings.Contains(v, "0 problems left") || !strings.Contains(v, "Who can act: your IT admin") {
		t.Fatalf("end state:\n%s", m.View())
	}
	// What is left needs the admin: s at the end saves their note.
	if !strings.Contains(v, "s: save the note for your IT admin") {
		t.Fatalf("end state:\n%s", m.View())
	}
	typeKey(m, "s")
	if _, err := os.ReadFile(filepath.Join(st2.Dir, "admin-note-ana@contoso.example.txt")); err != nil {
		t.Fatalf("admin note not saved from the end: %v\n%s", err, m.View())
	}
}

// A fix's exact rows and a finding's note are on screen before the person confirms, as
// `calsync doctor` prints them; a passed step keeps its note under it.
func TestRowsAndNotesShownBeforeConfirming(t *testing.T) {
	st, _, _ := filtersHide(t)
	m := newScreen(t, st, nil)
	m.SetSize(100, 40)
	fx := &doctor.Fix{ID: "merge", Title: "merge 2 copies into their originals", Undoable: true,
		Impact: doctor.Impact{{What: "merge", Count: 2}},
		Rows: []doctor.FixRow{{ID: "a1", Keeper: "a0", Text: "\"Call Bruno\" 3 Dec 10:00 into the one made 1 Dec"},
			{ID: "a2", Keeper: "a0", Text: "\"Call Bruno\" 4 Dec 10:00 into the one made 1 Dec"}}}
	m.state, m.sess = stateResult, &doctor.Session{Symptom: doctor.Duplicates, Steps: []doctor.Step{{Check: doctor.CheckByID("duplicates")}}}
	m.done = []doctor.Finding{{CheckID: "accounts", Title: "Is a calendar account connected?", Status: doctor.Pass, Note: "two look-alike activities may be copies"}, {}}
	m.current = doctor.Finding{CheckID: "duplicates", Title: "Are activities duplicated?", Status: doctor.Fail, Summary: "2 copies",
		Note: "1 more pair looks alike but was made by hand", Fixes: []*doctor.Fix{fx}}
	m.done[1] = m.current
	v := m.View()
	for _, want := range []string{"note: two look-alike activities may be copies", "note: 1 more pair looks alike", "- \"Call Bruno\" 3 Dec 10:00", "- \"Call Bruno\" 4 Dec 10:00"} {
		if !strings.Contains(v, want) {
			t.Errorf("result lacks %q:\n%s", want, v)
		}
	}
	typeKey(m, "f")
	v = m.View()
	if !strings.Contains(v, "- \"Call Bruno\" 4 Dec 10:00") || !strings.Contains(v, "Apply: merge 2 copies") {
		t.Fatalf("confirm lacks the rows:\n%s", v)
	}
}

// NO_COLOR: the selection is carried by a marker, not by colour alone.
func TestNoColorSelectionHasMarkers(t *testing.T) {
	st, _, _ := filtersHide(t)
	m := newScreen(t, st, func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	})
	m.Update(tea.KeyMsg{Type: tea.KeyDown})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "> "+doctor.SymptomTitle(Choices[1])) || !strings.Contains(v, "  "+doctor.SymptomTitle(Choices[0])) {
		t.Fatalf("picker cursor not marked:\n%s", v)
	}
	m.state = stateResult
	m.current = doctor.Finding{CheckID: "calendar", Title: "Which calendar?", Status: doctor.Fail, Summary: "read-only",
		Fixes: []*doctor.Fix{{ID: "a", Title: "first fix"}, {ID: "b", Title: "second fix"}}}
	m.sess = &doctor.Session{Steps: []doctor.Step{{Check: doctor.CheckByID("calendar")}}}
	m.done = []doctor.Finding{m.current}
	m.cursor = 1
	v = ansi.Strip(m.View())
	if !strings.Contains(v, "  > fix: second fix") || !strings.Contains(v, "    fix: first fix") {
		t.Fatalf("fix choice not marked:\n%s", v)
	}
}
