package troubleshoot

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/common"
)

// A provider message that quoted a stored token must not reach the screen through the
// re-check after an undo, as it does not through a step or a fix (all three show the
// same check's evidence).
func TestUndoRecheckHidesStoredSecrets(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	store.EnsureMe(ctx, st.DB, "Ana", now)
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "ana@example.com",
		AuthKind: "oauth", State: store.AccountConnected, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	const refresh = "rt-7f3c9a1e55d04b2a"
	tok := `{"access_token":"at-0c1d2e3f4a5b6c7d","refresh_token":"` + refresh + `","token_type":"Bearer"}`
	if err := store.PutSecret(ctx, st.DB, a.ID, store.SecretOAuthToken, []byte(tok), now); err != nil {
		t.Fatal(err)
	}
	// What a provider error echoing the refresh token would leave as the account's error.
	if err := store.RecordAccountError(ctx, st.DB, a.ID, "AuthExpired", "invalid_grant: token "+refresh+" was revoked", now); err != nil {
		t.Fatal(err)
	}
	// A recorded settings fix, so the undo succeeds and the check runs again.
	data, _ := json.Marshal(store.DefaultSyncSettings(a.ID))
	detail, _ := json.Marshal(map[string]any{"fix": "enable-sync", "undo": "settings", "data": json.RawMessage(data), "title": "switch sync on"})
	jid, err := store.AppendJournal(ctx, st.DB, store.JournalEntry{At: now, AccountID: a.ID, Op: store.OpFixed, Reason: "fix:enable-sync", Detail: string(detail)})
	if err != nil {
		t.Fatal(err)
	}

	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	env.Offline = true // no live call: the stored error is the evidence
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	c.Services.Doctor = env
	m := New(c)
	m.SetSize(120, 60)
	sess, err := doctor.NewSession(ctx, env, doctor.All)
	if err != nil {
		t.Fatal(err)
	}
	m.sess, m.state = sess, stateVerified
	before := doctor.Finding{CheckID: "connection", AccountID: a.ID, Title: "Can calsync sign in?"}
	m.done, m.current, m.before = []doctor.Finding{before}, before, before
	m.fix = &doctor.Fix{ID: "enable-sync", Title: "switch sync on", Undoable: true}
	m.applied = &doctor.Applied{JournalID: jid}

	var got *undoneMsg
	queue := []tea.Cmd{m.undo()}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case undoneMsg:
			got = &msg
		case spinner.TickMsg, common.BusyMsg:
		}
	}
	if got == nil || got.err != nil {
		t.Fatalf("undo did not answer cleanly: %+v", got)
	}
	var seen []string
	for _, ev := range got.verified.Evidence {
		seen = append(seen, ev.Observed)
	}
	if !strings.Contains(strings.Join(seen, "\n"), "invalid_grant") {
		t.Fatalf("the re-check should show the stored error as evidence, got %q", seen)
	}
	m.Update(*got)
	if v := m.View(); strings.Contains(v, refresh) || strings.Contains(strings.Join(seen, "\n"), refresh) {
		t.Fatalf("the refresh token reached the screen after undo:\n%s", v)
	}
}

// esc out of the app-password field forgets what was typed: it is not kept in memory
// until the next time the field opens.
func TestEscForgetsATypedPassword(t *testing.T) {
	m := New(common.NewContext(nil, nil, time.Now))
	m.SetSize(100, 40)
	fx := &doctor.Fix{ID: "app-password", Title: "use an app password", Input: &doctor.Input{Label: "App password", Secret: true}}
	m.state, m.current = stateResult, doctor.Finding{Title: "sign-in", Fixes: []*doctor.Fix{fx}}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("f")})
	if !m.CapturingInput() {
		t.Fatal("the fix should ask for the password")
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("hunter2-app")})
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if m.state != stateResult {
		t.Fatalf("esc should go back to the finding, state %v", m.state)
	}
	if v := m.input.Value(); v != "" {
		t.Fatalf("the abandoned password is still held: %q", v)
	}
}

// "Why isn't this in my calendar?" heads the wizard with the explanation's headline, which
// quotes the activity's last sync error: a token in it is scrubbed, as `calsync explain`
// and the steps below it scrub it.
func TestWhyHeadlineHidesStoredSecrets(t *testing.T) {
	ctx := context.Background()
	st, act, _ := filtersHide(t)
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil || len(accts) != 1 {
		t.Fatalf("accounts: %v %v", accts, err)
	}
	a := accts[0]
	const refresh = "rt-5e6f7a8b9c0d1e2f"
	now := time.Now()
	if err := store.PutSecret(ctx, st.DB, a.ID, store.SecretOAuthToken, []byte(`{"access_token":"at-1a2b3c4d5e6f","refresh_token":"`+refresh+`"}`), now); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AppendJournal(ctx, st.DB, store.JournalEntry{At: now, AccountID: a.ID, ActivityID: act.ID, Op: store.OpError,
		Reason: "AuthExpired", Detail: `{"error":"google refresh token: AuthExpired: token ` + refresh + ` revoked"}`}); err != nil {
		t.Fatal(err)
	}
	c := common.NewContext(st, func(string) string { return "" }, time.Now)
	env := doctor.NewEnv(st, func(string) string { return "" }, time.Now)
	env.Offline = true
	c.Services.Doctor = env
	m := New(c)
	m.SetSize(160, 60)
	_, cmd := m.Update(common.TroubleshootActivityMsg{ActivityID: act.ID})
	var got *sessionMsg
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case sessionMsg:
			got = &msg
		}
	}
	if got == nil || got.err != nil {
		t.Fatalf("no session: %+v", got)
	}
	if strings.Contains(got.explain, refresh) {
		t.Fatalf("the headline carries the refresh token: %s", got.explain)
	}
}

// The note for support is built from the findings as shown, which the doctor's redactor
// scrubbed: a provider error that quoted the stored refresh token does not reach the file.
func TestSupportNoteHoldsNoSecret(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	store.EnsureMe(ctx, st.DB, "Ana", now)
	a, err := store.CreateAccount(ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "ana@example.com",
		AuthKind: "oauth", State: store.AccountConnected, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	const refresh = "rt-7f3c9a1e55d04b2a"
	tok := `{"access_token":"at-0c1d2e3f4a5b6c7d","refresh_token":"` + refresh + `","token_type":"Bearer"}`
	if err := store.PutSecret(ctx, st.DB, a.ID, store.SecretOAuthToken, []byte(tok), now); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordAccountError(ctx, st.DB, a.ID, "AuthExpired", "invalid_grant: token "+refresh+" was revoked", now); err != nil {
		t.Fatal(err)
	}
	m := newScreen(t, st, nil)
	m.SetSize(120, 60)
	pick(t, m, doctor.CantConnect)
	for i := 0; i < 40 && m.state == stateResult; i++ {
		typeKey(m, "n")
	}
	typeKey(m, "s")
	b, err := os.ReadFile(filepath.Join(st.Dir, "support-note-cant-connect.txt"))
	if err != nil {
		t.Fatalf("not saved: %v\n%s", err, m.View())
	}
	if strings.Contains(string(b), refresh) || strings.Contains(string(b), "at-0c1d2e3f4a5b6c7d") {
		t.Fatalf("the support note holds a token:\n%s", b)
	}
	if !strings.Contains(string(b), "connection") || !strings.Contains(string(b), "calsync bundle") {
		t.Fatalf("the support note does not say what was found:\n%s", b)
	}
}
