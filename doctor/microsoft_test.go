package doctor

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/providers/oauth"
	"github.com/calsync/calsync/store"
)

// Every Entra refusal the Graph fake reproduces, through the real Microsoft provider and
// the real engine: the doctor names the cause and who must act.
func TestMicrosoftTokenRefusals(t *testing.T) {
	const clientID = "0f7c2e51-1111-2222-3333-444455556666"
	cases := []struct {
		fault   graphfake.TokenFault
		check   string
		actor   Actor
		summary string
	}{
		{graphfake.AdminConsentRequired, "admin-policy", ActorAdmin, "AADSTS90094"},
		{graphfake.AdminConsentRequested, "admin-policy", ActorAdmin, "AADSTS90095"},
		{graphfake.ConsentMissing, "admin-policy", ActorAdmin, "AADSTS65001"},
		{graphfake.ConditionalAccessBlocked, "admin-policy", ActorAdmin, "AADSTS53003"},
		{graphfake.UserNotAssigned, "admin-policy", ActorAdmin, "AADSTS50105"},
		{graphfake.MFARequired, "connection", ActorUser, "requires two-factor authentication for this account (AADSTS50076)"},
		{graphfake.MFARequiredInteractive, "connection", ActorUser, "(AADSTS50079)"},
		{graphfake.GrantRevoked, "connection", ActorUser, "expired or was revoked"},
		{graphfake.RefreshTokenInactive, "connection", ActorUser, "expired or was revoked"},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			w := newWorld(t)
			fake := graphfake.New(graphfake.Options{})
			srv := httptest.NewServer(fake.Handler())
			t.Cleanup(srv.Close)
			ep, _ := json.Marshal(graphfake.Endpoints(srv.URL))
			a, err := store.CreateAccount(w.ctx, w.st.DB, store.Account{Kind: "microsoft", Name: "Contoso", Login: "ana@contoso.com",
				Endpoints: string(ep), ClientID: clientID, AuthKind: "oauth", State: store.AccountConnected,
				GrantedScopes: []string{"Calendars.ReadWrite", "offline_access"}, CreatedAt: time.Now().Add(-24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			tok := fake.IssueToken("Calendars.ReadWrite", "offline_access")
			// An access token that has run out, so the first call refreshes and meets the fault.
			sec, _ := oauth.EncodeSecret(&oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: "Bearer", Expiry: time.Now().Add(-time.Minute)}, []string{"Calendars.ReadWrite", "offline_access"})
			if err := store.PutSecret(w.ctx, w.st.DB, a.ID, "oauth_token", sec, time.Now()); err != nil {
				t.Fatal(err)
			}
			w.settings(a.ID, func(s *store.SyncSettings) {
				s.CalendarID, s.Enabled = fake.DefaultCalendar(), true
				act := time.Now().Add(-time.Hour)
				s.ActivatedAt = &act
			})
			fake.SetTokenFault(tc.fault)
			if err := w.env.Sync(w.ctx, a.ID); err == nil {
				t.Fatal("sync should be refused")
			}
			r := w.run(All)
			f := w.finding(r, tc.check, a.ID)
			if f.Status != Fail || f.Actor != tc.actor || !strings.Contains(f.Summary, tc.summary) {
				t.Fatalf("%s: %s %s %q\n%s", tc.check, f.Status, f.Actor, f.Summary, dump(r))
			}
			if tc.actor == ActorAdmin && (!strings.Contains(f.AdminNote, clientID) || !strings.Contains(f.AdminNote, "Calendars.ReadWrite")) {
				t.Fatalf("admin note:\n%s", f.AdminNote)
			}
			if r.Exit != ExitProblem {
				t.Fatalf("exit %d", r.Exit)
			}
		})
	}
}
