package microsoft_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/microsoft"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

// errorTexts is everything of an error a log line, the journal or a --json output could show.
func errorTexts(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error() + " " + fmt.Sprintf("%+v %#v", err, err)
	if pe, ok := providers.AsError(err); ok {
		s += " " + pe.Message + " " + pe.Hint + " " + pe.Code
		if pe.Err != nil {
			s += " " + pe.Err.Error()
		}
	}
	return s
}

// TestHostileServerEchoingSecrets: a server (or proxy) that quotes the credentials it
// received in its error messages must not get them into calsync's errors.
func TestHostileServerEchoingSecrets(t *testing.T) {
	const at = "canaryAccessToken0123456789abcdef"
	const rt = "canaryRefreshToken0123456789abcdef"
	const at2 = "canaryRenewedAccessToken0123456789"
	calls, apiCalls, refreshes := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		b, _ := io.ReadAll(r.Body)
		echo := r.Header.Get("Authorization") + " " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + " " + string(b)
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/token") {
			// Every other refresh fails, quoting what it got; the others renew the token.
			refreshes++
			if refreshes%2 == 1 {
				w.WriteHeader(400)
				json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant",
					"error_description": "AADSTS70000: refresh token " + rt + " is bad; you sent " + echo, "error_codes": []int{70000}})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"access_token": at2, "token_type": "Bearer", "expires_in": 3600,
				"scope": "https://graph.microsoft.com/Calendars.ReadWrite"})
			return
		}
		apiCalls++
		status := []int{400, 401, 403, 404, 409, 429, 500}[apiCalls%7]
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": "Echo",
			"message": "you sent " + echo + " token " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}})
	}))
	defer srv.Close()
	secret, _ := oauth.EncodeSecret(&oauth2.Token{AccessToken: at, RefreshToken: rt, Expiry: time.Now().Add(time.Hour)}, []string{"https://graph.microsoft.com/Calendars.ReadWrite"})
	p, err := providers.Open(ctx, providers.Config{Kind: microsoft.Kind, ClientID: "cid", Secret: secret,
		Endpoints: providers.Endpoints{API: srv.URL + "/v1.0", Token: srv.URL + "/common/oauth2/v2.0/token"}})
	if err != nil {
		t.Fatal(err)
	}
	ev := providers.Event{RemoteID: "r", ActivityID: "a", Subject: "s", Start: time.Now(), End: time.Now().Add(time.Hour)}
	for i := range 14 {
		var errs []error
		_, e1 := p.Calendars(ctx)
		_, e2 := p.Changes(ctx, "cal", "", providers.Window{})
		_, e3 := p.Create(ctx, "cal", ev)
		_, e4 := p.Update(ctx, "cal", ev, "W/\"x\"")
		e5 := p.Delete(ctx, "cal", "r", "")
		_, e6 := p.Access(ctx)
		errs = append(errs, e1, e2, e3, e4, e5, e6)
		for j, err := range errs {
			if err == nil {
				continue
			}
			txt := errorTexts(err)
			if strings.Contains(txt, at) || strings.Contains(txt, rt) || strings.Contains(txt, at2) {
				masked := strings.NewReplacer(at, "<AT>", rt, "<RT>", at2, "<AT2>").Replace(txt)
				t.Fatalf("round %d call %d: a token leaked into the error (masked here): %s", i, j, masked)
			}
		}
	}
	if apiCalls < 50 || refreshes < 2 {
		t.Fatalf("only %d API requests and %d refreshes reached the server", apiCalls, refreshes)
	}
}

// TestNoTokensInErrorsAcrossFaults runs the fake's faults and checks every error text
// against the tokens the fake issued.
func TestNoTokensInErrorsAcrossFaults(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	var errs []error
	rec := func(err error) { errs = append(errs, err) }
	e.fake.FailNext(1, graphfake.Throttled, time.Second)
	_, err := e.client.Calendars(ctx)
	rec(err)
	e.fake.ExpireDeltaTokens("")
	_, err = e.client.Changes(ctx, cal, "graph1.bogus", window())
	rec(err)
	e.fake.SetCanEdit(cal, false)
	_, err = e.client.Create(ctx, cal, timedEvent("x", "y"))
	rec(err)
	e.fake.SetTokenFault(graphfake.MFARequired)
	_, err = e.client.Access(ctx)
	rec(err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("fault %d gave no error", i)
		}
		e.assertNoSecrets(t, err)
	}
}
