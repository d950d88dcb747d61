package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// offlineAccount stores an account whose last sync failed with kind/msg, as the engine
// records it, and runs the cant-connect and permissions flows without the network.
func offlineAccount(t *testing.T, a store.Account, kind, msg string) (Report, Report, store.Account) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := store.EnsureMe(ctx, st.DB, "Ana", time.Now()); err != nil {
		t.Fatal(err)
	}
	a.CreatedAt = time.Now().Add(-30 * 24 * time.Hour)
	a, err = store.CreateAccount(ctx, st.DB, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.RecordAccountError(ctx, st.DB, a.ID, kind, msg, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := store.SetAccountState(ctx, st.DB, a.ID, store.AccountNeedsReauth, time.Now()); err != nil {
		t.Fatal(err)
	}
	e := &Env{Store: st, Offline: true}
	cc, err := Run(ctx, e, CantConnect)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := Run(ctx, e, Permissions)
	if err != nil {
		t.Fatal(err)
	}
	return cc, pm, a
}

func findingOf(t *testing.T, r Report, id string) Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.CheckID == id {
			return f
		}
	}
	t.Fatalf("no %s finding:\n%s", id, dump(r))
	return Finding{}
}

func TestMicrosoftAdminConsentGivesANoteForTheAdmin(t *testing.T) {
	_, pm, _ := offlineAccount(t, store.Account{Kind: "microsoft", Name: "Contoso", Login: "ana@contoso.com", AuthKind: "oauth",
		ClientID: "0f7c2e51-1111-2222-3333-444455556666", GrantedScopes: []string{"https://graph.microsoft.com/Calendars.ReadWrite", "offline_access"}},
		"AdminBlocked", "microsoft sign in: AdminBlocked (HTTP 400 invalid_grant): AADSTS90094: Admin consent is required for the permissions requested by this application.")
	f := findingOf(t, pm, "admin-policy")
	if f.Status != Fail || f.Actor != ActorAdmin || !strings.Contains(f.Summary, "AADSTS90094") {
		t.Fatalf("admin-policy: %+v", f)
	}
	for _, want := range []string{"0f7c2e51-1111-2222-3333-444455556666", "Calendars.ReadWrite, offline_access", "adminconsent"} {
		if !strings.Contains(f.AdminNote, want) {
			t.Errorf("admin note lacks %q:\n%s", want, f.AdminNote)
		}
	}
	if pm.Exit != ExitProblem {
		t.Fatalf("exit %d", pm.Exit)
	}
	// The granted scopes are fine: the scope check passes (from the stored grant).
	if s := findingOf(t, pm, "scopes"); s.Status != Pass {
		t.Fatalf("scopes: %s %s", s.Status, s.Summary)
	}
}

func TestExchangeOnlineRefusingPasswordPointsToMicrosoftSignIn(t *testing.T) {
	cc, _, _ := offlineAccount(t, store.Account{Kind: "microsoft", Name: "Contoso", Login: "ana@contoso.com", AuthKind: "oauth"},
		"AppPasswordRequired", "microsoft sign in: AppPasswordRequired: AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication")
	f := findingOf(t, cc, "connection")
	if f.Status != Fail || !strings.Contains(f.Summary, "two-factor authentication for this account (AADSTS50076)") || !strings.Contains(f.Remediation, "Microsoft sign-in") {
		t.Fatalf("connection: %s / %s", f.Summary, f.Remediation)
	}
	if len(f.Fixes) != 1 || f.Fixes[0].ID != "reconnect" {
		t.Fatalf("fixes %+v", f.Fixes)
	}

	// A password account on Exchange Online: basic sign-in is gone, use a Microsoft account.
	cc, _, _ = offlineAccount(t, store.Account{Kind: "caldav", Name: "Office", Login: "ana@contoso.com", AuthKind: "password", ServerURL: "https://outlook.office365.com/"},
		"AppPasswordRequired", "caldav discover: AppPasswordRequired (HTTP 401)")
	f = findingOf(t, cc, "connection")
	if !strings.Contains(f.Summary, "Exchange Online refuses password sign-in") || !strings.Contains(f.Remediation, "calsync account add microsoft") {
		t.Fatalf("exchange password: %s / %s", f.Summary, f.Remediation)
	}

	cc, _, _ = offlineAccount(t, store.Account{Kind: "caldav", Name: "Office", Login: "ana@contoso.com", AuthKind: "password", ServerURL: "https://outlook.office365.com/EWS/"},
		"AuthExpired", "caldav list calendars: AuthExpired (HTTP 401)")
	f = findingOf(t, cc, "connection")
	if !strings.Contains(f.Summary, "Exchange Online no longer accepts password") || !strings.Contains(f.Remediation, "calsync account add microsoft") {
		t.Fatalf("exchange basic auth: %s / %s", f.Summary, f.Remediation)
	}
}

func TestICloudAppPasswordStepsAreProviderSpecific(t *testing.T) {
	cc, _, _ := offlineAccount(t, store.Account{Kind: "caldav", Name: "iCloud", Login: "ana@icloud.com", AuthKind: "password", ServerURL: "https://caldav.icloud.com/"},
		"AppPasswordRequired", "caldav discover: AppPasswordRequired (HTTP 401)")
	f := findingOf(t, cc, "connection")
	if !strings.Contains(f.Remediation, "App-Specific Passwords") || f.Fixes[0].ID != "app-password" || f.Fixes[0].Input == nil {
		t.Fatalf("icloud: %s / %+v", f.Remediation, f.Fixes)
	}
	// Offline, the live checks do not pretend: network and clock are skipped, not passed.
	for _, id := range []string{"network", "clock"} {
		if g := findingOf(t, cc, id); g.Status != Skip {
			t.Fatalf("%s offline: %s", id, g.Status)
		}
	}
}
