package accounts

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/common"
)

// refusingBackend refuses every connection, like a provider saying no, and may refuse
// saving with a fixed error.
type refusingBackend struct {
	accountsetup.Backend
	saveErr error
}

func (refusingBackend) Accounts(context.Context) ([]store.Account, error) { return nil, nil }
func (refusingBackend) ClientDefaults(string) (string, string)            { return "id.example", "secret" }
func (b refusingBackend) Connect(_ context.Context, d accountsetup.Draft, _ func(accountsetup.Prompt)) (*accountsetup.Connection, error) {
	if b.saveErr != nil {
		return &accountsetup.Connection{Draft: d, Login: "pat@example.com"}, nil
	}
	return nil, &providers.Error{Kind: providers.InsufficientScope, Provider: "google",
		Message: "Request had insufficient authentication scopes."}
}
func (b refusingBackend) Save(context.Context, *accountsetup.Connection) (store.Account, error) {
	return store.Account{}, b.saveErr
}

// assertFits fails when any line of view is wider than w or the view is taller than h.
func assertFits(t *testing.T, view string, w, h int) {
	t.Helper()
	if got := lipgloss.Height(view); got > h {
		t.Errorf("view is %d rows, the screen has %d:\n%s", got, h, view)
	}
	for _, l := range strings.Split(view, "\n") {
		if ansi.StringWidth(l) > w {
			t.Errorf("line wider than %d: %q", w, l)
		}
	}
}

// The empty list's sentence wraps instead of being cut at the edge (it was cut at 100
// columns after "or anot").
func TestEmptyListSentenceWrapsAtEveryWidth(t *testing.T) {
	for _, w := range []int{60, 80, 100, 200} {
		m := viewModel(t)
		m.SetSize(w, 20)
		m.Update(loadedMsg{gen: m.gen})
		v := m.View()
		assertFits(t, v, w, 20)
		flat := strings.Join(strings.Fields(v), " ")
		if !strings.Contains(flat, "Press a to add Google, Microsoft 365, iCloud, Fastmail, Nextcloud or another CalDAV calendar.") {
			t.Errorf("at %d columns the sentence is not whole:\n%s", w, v)
		}
	}
}

// At 80x24 (20 rows for the screen) the Google form after a refusal shows the reason, the
// guide's address and the focused field with its help, and nothing runs past the bottom;
// moving on scrolls the later fields into view.
func TestAddAccountFormWithErrorFitsEightyByTwentyFour(t *testing.T) {
	c := common.NewContext(nil, nil, time.Now)
	m := New(c, refusingBackend{})
	h := harness{m: m, last: &frame{}}
	tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(80, 22)) // the harness keeps 2 rows
	defer tm.Quit()
	lastFrame[tm] = h.last
	tm.Type("a")
	waitFor(t, tm, "Which calendar do you want to connect?")
	keys(tm, tea.KeyEnter) // Google
	googleSubmit(t, tm)
	waitFor(t, tm, "InsufficientScope:", "┃ OAuth client ID", "enter next", "console.cloud.google.com/apis/credentials")
	assertFits(t, screen(h.last), 80, 20)
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ OAuth client secret", "> ***")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ Name in calsync (optional)", "enter submit")
	assertFits(t, screen(h.last), 80, 20)
}

// Adding an account that is already connected says which one and what to press instead,
// not a raw error with an internal id.
func TestAddingAConnectedAccountAgainSaysToReconnectIt(t *testing.T) {
	c := common.NewContext(nil, nil, time.Now)
	m := New(c, refusingBackend{saveErr: &accountsetup.AlreadyConnectedError{Login: "pat@example.com",
		Existing: store.Account{ID: "01abc", Name: "Work"}}})
	h := harness{m: m, last: &frame{}}
	tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(100, 40))
	defer tm.Quit()
	lastFrame[tm] = h.last
	tm.Type("a")
	waitFor(t, tm, "Which calendar do you want to connect?")
	keys(tm, tea.KeyEnter)
	googleSubmit(t, tm)
	waitFor(t, tm, `Not added: pat@example.com is already connected as "Work".`,
		`press esc, select "Work" in the list and press r (reconnect).`, "┃ OAuth client ID")
	if strings.Contains(screen(h.last), "01abc") {
		t.Error("the internal account id is shown")
	}
}

// The app's environment (package main's, which demo mode extends with its fakes and demo
// OAuth clients) is what the Add account form prefills from, not the process's.
func TestAddAccountPrefillsFromTheAppEnvironment(t *testing.T) {
	env := map[string]string{"CALSYNC_GOOGLE_CLIENT_ID": "from-app-env.apps.example", "CALSYNC_GOOGLE_CLIENT_SECRET": "s3"}
	c := common.NewContext(nil, func(k string) string { return env[k] }, time.Now)
	m := New(c, nil)
	id, secret := m.backend.ClientDefaults("google")
	if id != "from-app-env.apps.example" || secret != "s3" {
		t.Fatalf("prefilled %q / %q, want the app environment's client", id, secret)
	}
}

// screen is the frame the person sees now, without the status line the harness adds.
func screen(f *frame) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.view
}

// Every provider's guide address is drawn whole at 80 columns (wrapped if need be, never
// cut): the Microsoft one is longer than the screen.
func TestGuideAddressesAreNotCut(t *testing.T) {
	for _, c := range accountsetup.Choices() {
		if c.GuideURL == "" {
			continue
		}
		m := viewModel(t)
		m.SetSize(80, 20)
		m.startForm(&accountsetup.Draft{Choice: c})
		v := m.View()
		assertFits(t, v, 80, 20)
		var joined strings.Builder
		for _, l := range strings.Split(v, "\n") {
			joined.WriteString(strings.TrimRight(l, " "))
		}
		if !strings.Contains(joined.String(), c.GuideURL) {
			t.Errorf("%s: %s is not shown whole:\n%s", c.ID, c.GuideURL, v)
		}
	}
}

// Account names as the demo and people give them ("Outlook (Microsoft 365)") are drawn
// whole at 80 columns: the provider moves under the row there, and has its own column
// on wide terminals.
func TestListShowsWholeNamesAtEightyColumns(t *testing.T) {
	accts := []store.Account{
		{ID: "a1", Kind: "microsoft", Name: "Outlook (Microsoft 365)", Login: "dana@contoso.example", State: store.AccountConnected},
		{ID: "a2", Kind: "caldav", Name: "Personal (CalDAV)", Login: "alex", State: store.AccountDisabled},
	}
	for _, w := range []int{80, 120, 200} {
		m := viewModel(t)
		m.SetSize(w, 20)
		m.Update(loadedMsg{gen: m.gen, accounts: accts, syncs: map[string]string{"a1": "syncs two-way with Calendar"}})
		v := m.View()
		assertFits(t, v, w, 20)
		for _, want := range []string{"Outlook (Microsoft 365)", "dana@contoso.example", "sync stopped"} {
			if !strings.Contains(v, want) {
				t.Errorf("at %d columns %q is not whole:\n%s", w, want, v)
			}
		}
		provider := "Microsoft · syncs two-way with Calendar"
		if w >= 100 {
			provider = "microsoft "
		}
		if !strings.Contains(v, provider) {
			t.Errorf("at %d columns the provider (%q) is not shown:\n%s", w, provider, v)
		}
	}
}

// A long last error wraps under its account (the end of it often says what to do), and
// its kind is not said twice when the message names it.
func TestLongLastErrorWraps(t *testing.T) {
	m := viewModel(t)
	m.SetSize(80, 20)
	msg := "google list events: Unavailable (HTTP 503 backendError): The service is currently unavailable, try later."
	m.Update(loadedMsg{gen: m.gen, accounts: []store.Account{{ID: "a1", Kind: "google", Name: "Work", Login: "pat@example.com",
		State: store.AccountConnected, LastErrorKind: "Unavailable", LastErrorMessage: msg}}})
	v := m.View()
	assertFits(t, v, 80, 20)
	if !strings.Contains(strings.Join(strings.Fields(v), " "), "! "+msg) || strings.Contains(v, "Unavailable: google") {
		t.Fatalf("error not whole:\n%s", v)
	}
}

// An error whose remedy is the person's is shown as what to do, not as the provider's
// words: an admin-blocked Microsoft account's trace and correlation ids used to push
// "ask IT" off the screen.
func TestLastErrorSaysWhatToDo(t *testing.T) {
	m := viewModel(t)
	m.SetSize(80, 20)
	raw := "microsoft list changes: AdminBlocked (HTTP 400 AADSTS90094): AADSTS90094: The grant requires admin " +
		"permission. Trace ID: fad3a64c-9cc2-4890-958b-2dc132b1993f Correlation ID: 913874fe-3ce9-4460-a529-472e81e1b14f"
	m.Update(loadedMsg{gen: m.gen, accounts: []store.Account{
		{ID: "a1", Kind: "microsoft", Name: "Office", Login: "dana@contoso.com", State: store.AccountNeedsReauth,
			LastErrorKind: "AdminBlocked", LastErrorMessage: raw},
		{ID: "a2", Kind: "caldav", Name: "iCloud", ServerURL: "https://caldav.icloud.com", Login: "pat@icloud.com",
			State: store.AccountNeedsReauth, LastErrorKind: "AppPasswordRequired", LastErrorMessage: "HTTP 401"},
	}})
	v := m.View()
	assertFits(t, v, 80, 20)
	flat := strings.Join(strings.Fields(v), " ")
	for _, want := range []string{"! AdminBlocked: Your organisation's policy blocks calsync. Only an administrator can fix this",
		"! AppPasswordRequired: iCloud refused the password. Accounts with two-factor authentication need an app-specific password"} {
		if !strings.Contains(flat, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "Trace ID") {
		t.Errorf("provider noise shown:\n%s", v)
	}
}

// A refusal that wraps over several lines under the form is drawn whole at 80x24, and a
// bare host name is taken as an https address instead of being refused.
func TestFormRefusalWrapsOnScreen(t *testing.T) {
	c := common.NewContext(nil, nil, time.Now)
	m := New(c, refusingBackend{})
	h := harness{m: m, last: &frame{}}
	tm := teatest.NewTestModel(t, h, teatest.WithInitialTermSize(80, 22))
	defer tm.Quit()
	lastFrame[tm] = h.last
	tm.Type("a")
	waitFor(t, tm, "Which calendar do you want to connect?")
	keys(tm, tea.KeyDown, tea.KeyDown, tea.KeyDown, tea.KeyDown, tea.KeyDown, tea.KeyEnter) // other CalDAV
	waitFor(t, tm, "┃ Server address")
	tm.Type("%%a-rather-long-server-name.internal.example.com/dav")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, `"https://%%a-rather-long-server-name.internal.example.com/dav" is not an address; it looks like https://dav.example.com`)
	assertFits(t, screen(h.last), 80, 20)
	keys(tm, tea.KeyCtrlU)
	tm.Type("cloud.example.com")
	keys(tm, tea.KeyEnter)
	waitFor(t, tm, "┃ User name")
}

// On a tall terminal the form keeps its own height (its help right under the fields, not
// at the bottom of the screen); on a short narrow one the shortened guide wraps too.
func TestFormHeightFollowsTheTerminal(t *testing.T) {
	c, _ := accountsetup.ChoiceByID("microsoft")

	m := viewModel(t)
	m.SetSize(120, 38)
	m.startForm(&accountsetup.Draft{Choice: c})
	lines := strings.Split(m.View(), "\n")
	last, help := -1, -1
	for i, l := range lines {
		if strings.Contains(l, "Name in calsync") {
			last = i
		}
		if strings.Contains(l, "enter next") {
			help = i
		}
	}
	if last < 0 || help < 0 || help-last > 4 {
		t.Fatalf("help %d rows under the last field:\n%s", help-last, m.View())
	}

	m = viewModel(t)
	m.SetSize(70, 18)
	m.startForm(&accountsetup.Draft{Choice: c})
	v := m.View()
	assertFits(t, v, 70, 18)
	if !strings.Contains(strings.Join(strings.Fields(v), " "), "a taller window shows the steps here") {
		t.Fatalf("shortened guide cut:\n%s", v)
	}
}

// Every stored field the list draws is cleaned, the provider kind and error kind too.
func TestListDrawsStoredKindsCleaned(t *testing.T) {
	for _, w := range []int{80, 120} {
		m := viewModel(t)
		m.SetSize(w, 20)
		m.Update(loadedMsg{gen: m.gen, accounts: []store.Account{{ID: "a1", Kind: "weird\x1b[2J", Name: "X",
			State: store.AccountNeedsReauth, LastErrorKind: "Odd\x1b]52;c;AAAA\a", LastErrorMessage: "boom"}}})
		if v := m.View(); strings.ContainsAny(v, "\x1b\a") {
			t.Fatalf("control characters drawn at %d columns: %q", w, v)
		}
	}
}

// Removing forgets the links, so a later re-add imports the calendar's own events again
// (seen in the sandbox: three duplicates). The question says so and offers the pause.
func TestRemoveQuestionWarnsAboutReAddingAndFits(t *testing.T) {
	m := viewModel(t)
	m.SetSize(80, 20)
	errMsg := "caldav read sync token: AppPasswordRequired (HTTP 401) — this account uses two-factor authentication"
	m.Update(loadedMsg{gen: m.gen, accounts: []store.Account{
		{ID: "a0", Kind: "google", Name: "Work", Login: "pat@example.com", State: store.AccountNeedsReauth,
			LastErrorKind: "AuthExpired", LastErrorMessage: errMsg},
		{ID: "a1", Kind: "caldav", Name: "Home", Login: "pat", State: store.AccountNeedsReauth,
			LastErrorKind: "AppPasswordRequired", LastErrorMessage: errMsg},
		{ID: "a2", Kind: "microsoft", Name: "Office", Login: "pat@contoso.com", State: store.AccountConnected},
	}, syncs: map[string]string{"a0": "syncs two-way with Work", "a1": "syncs two-way with Home", "a2": "syncs two-way with Calendar"}})
	m.Update(tea.KeyMsg{Type: tea.KeyDown})
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")})
	v := m.View()
	assertFits(t, v, 80, 20)
	flat := strings.Join(strings.Fields(strings.NewReplacer("║", " ", "╔", " ", "╗", " ", "╚", " ", "╝", " ", "═", " ").Replace(v)), " ")
	for _, want := range []string{"Remove Home?", "imports the events made in it a second time",
		"press n and then s (stop sync)", "y: remove n: keep"} {
		if !strings.Contains(flat, want) {
			t.Errorf("remove question lacks %q:\n%s", want, v)
		}
	}
}
