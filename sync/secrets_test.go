package sync

import (
	"strings"
	"testing"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// A provider error that quotes the account's token (a server echoing the request) must not
// carry it into what the engine writes and reports: journal details, the account's last
// error (account list --json, the Accounts tab) and the run summary (sync --json). The
// providers scrub their own errors; the engine does not rely on every one of them doing so.
func TestEngineKeepsStoredSecretsOutOfJournalAndErrors(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	const refresh = "1//rt-0a9b8c7d6e5f4a3b"
	const access = "at-5f4e3d2c1b0a9f8e"
	tok := `{"access_token":"` + access + `","refresh_token":"` + refresh + `"}`
	if err := store.PutSecret(h.ctx, h.st.DB, h.acct.ID, store.SecretOAuthToken, []byte(tok), base); err != nil {
		t.Fatal(err)
	}
	if err := store.PutClientSecret(h.ctx, h.st.DB, h.acct.ID, []byte("cs-77aa88bb99cc")); err != nil {
		t.Fatal(err)
	}
	leaks := func(s string) bool {
		return strings.Contains(s, refresh) || strings.Contains(s, access) || strings.Contains(s, "cs-77aa88bb99cc")
	}

	// An item the calendar refuses: journaled, the run goes on.
	h.localCreate("Call Dana", store.TypeCall)
	mem := h.rem.(memRemote)
	mem.SetFault(func(op string) error {
		if op == "create" {
			return &providers.Error{Kind: providers.Invalid, Provider: "mem", Op: op,
				Message: "bad request from token " + access + " (client cs-77aa88bb99cc)"}
		}
		return nil
	})
	h.runWith(RunOptions{})
	for _, j := range h.journal(store.JournalQuery{Limit: 100}) {
		if leaks(j.Detail) || leaks(j.Reason) {
			t.Fatalf("journal entry #%d carries a secret: %s", j.ID, j.Detail)
		}
	}
	if !h.hasJournal("", store.OpError, string(providers.Invalid), "bad request from token") {
		t.Fatalf("the refusal should be journaled:\n%s", h.dumpJournal())
	}

	// A refusal that stops the run: the account's last error and the summary.
	mem.SetFault(func(op string) error {
		return &providers.Error{Kind: providers.AuthExpired, Provider: "mem", Op: op, Message: "invalid_grant for " + refresh}
	})
	sum, err := h.runWith(RunOptions{})
	if err == nil {
		t.Fatal("the run should stop on AuthExpired")
	}
	if leaks(sum.Error) {
		t.Fatalf("the summary carries a secret: %s", sum.Error)
	}
	a, gerr := store.GetAccount(h.ctx, h.st.DB, h.acct.ID)
	if gerr != nil {
		t.Fatal(gerr)
	}
	if leaks(a.LastErrorMessage) || !strings.Contains(a.LastErrorMessage, "invalid_grant") {
		t.Fatalf("last error %q: a secret, or the message lost", a.LastErrorMessage)
	}
	if leaks(err.Error()) {
		t.Fatalf("the returned error carries a secret: %v", err)
	}
	if providers.KindOf(err) != providers.AuthExpired {
		t.Fatalf("the error's kind must survive the scrubbing: %v", providers.KindOf(err))
	}
}
