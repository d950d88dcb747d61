package doctor

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestExitCode(t *testing.T) {
	f := func(st Status, temp bool) Finding { return Finding{Status: st, Temporary: temp} }
	cases := []struct {
		name string
		in   []Finding
		want int
	}{
		{"nothing", nil, 0},
		{"all pass", []Finding{f(Pass, false), f(Skip, false)}, 0},
		{"warnings are not problems", []Finding{f(Pass, false), f(Warn, false)}, 0},
		{"fail", []Finding{f(Pass, false), f(Fail, false)}, 1},
		{"fail beats could-not-check", []Finding{f(Unverified, true), f(Fail, false)}, 1},
		{"could not check", []Finding{f(Pass, false), f(Unverified, false)}, 3},
		{"temporary", []Finding{f(Unverified, false), f(Unverified, true)}, 75},
	}
	for _, c := range cases {
		if got := ExitCode(c.in); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}

func TestParseSymptom(t *testing.T) {
	for _, s := range []string{"not-showing", "one-way", "duplicates", "cant-connect", "permissions", "all"} {
		if _, err := ParseSymptom(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	_, err := ParseSymptom("slow")
	if err == nil || !strings.Contains(err.Error(), "not-showing") {
		t.Fatalf("want an error listing accepted names, got %v", err)
	}
}

func TestAdminNoteNamesClientScopesAndWhere(t *testing.T) {
	n := AdminNote("microsoft", "11111111-2222-3333-4444-555555555555", "90094", "ana@contoso.com")
	for _, want := range []string{"11111111-2222-3333-4444-555555555555", "Calendars.ReadWrite", "offline_access", "AADSTS90094", "adminconsent?client_id=", "Enterprise applications"} {
		if !strings.Contains(n, want) {
			t.Errorf("microsoft note lacks %q:\n%s", want, n)
		}
	}
	if n := AdminNote("microsoft", "cid", "53003", "x"); !strings.Contains(n, "Conditional Access") {
		t.Errorf("53003 note should name Conditional Access:\n%s", n)
	}
	g := AdminNote("google", "123.apps.googleusercontent.com", "admin_policy_enforced", "bo@example.com")
	for _, want := range []string{"123.apps.googleusercontent.com", "https://www.googleapis.com/auth/calendar", "admin_policy_enforced", "API controls", "admin.google.com"} {
		if !strings.Contains(g, want) {
			t.Errorf("google note lacks %q:\n%s", want, g)
		}
	}
	if AADSTSCode("microsoft sign in: AdminBlocked (HTTP 400 AADSTS65001): consent") != "65001" {
		t.Error("AADSTS code not extracted")
	}
}

func TestRedactorRemovesSecretsAndPseudonymises(t *testing.T) {
	r := NewRedactor(false)
	r.AddSecret([]byte(`{"access_token":"ya29.CANARYaccess","refresh_token":"1//CANARYrefresh-token","token_type":"Bearer"}`))
	r.AddSecret([]byte("hunter2-CANARY-pw"))
	r.AddPrivate("subject", "Lunch with Ana Lopez")
	in := `push failed for "Lunch with Ana Lopez" by ana@contoso.com: 401 with token 1//CANARYrefresh-token; password=hunter2-CANARY-pw Authorization: Bearer abc.def https://u:pw@host/x`
	out := r.Text(in)
	for _, bad := range []string{"CANARY", "Ana Lopez", "ana@contoso.com", "abc.def", "u:pw@"} {
		if strings.Contains(out, bad) {
			t.Errorf("redacted text still has %q: %s", bad, out)
		}
	}
	if !strings.Contains(out, "subject-") || !strings.Contains(out, "@example.invalid") {
		t.Errorf("expected pseudonyms in %s", out)
	}
	// Stable inside one bundle.
	if r.Pseudonym("subject", "x") != r.Pseudonym("subject", "x") {
		t.Error("pseudonyms must be stable")
	}
	// With private data allowed, subjects stay but secrets still go.
	p := NewRedactor(true)
	p.AddSecret([]byte("hunter2-CANARY-pw"))
	p.AddPrivate("subject", "Lunch with Ana Lopez")
	out = p.Text(in)
	if !strings.Contains(out, "Lunch with Ana Lopez") || strings.Contains(out, "CANARY") {
		t.Errorf("include-private: %s", out)
	}
}

func TestProberReportsEachLayerAndSkew(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(-10*time.Minute).UTC().Format(http.TimeFormat))
	}))
	defer srv.Close()
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	p := &Prober{Timeout: 2 * time.Second, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"}}
	res := p.Probe(context.Background(), srv.URL)
	if st, bad := res.Failed(); bad {
		t.Fatalf("probe of a healthy server failed at %s: %s", st.Layer, st.Detail)
	}
	if !res.HasSkew || res.Skew > -9*time.Minute || res.Skew < -11*time.Minute {
		t.Fatalf("skew %v (measured %v), want about -10m", res.Skew, res.HasSkew)
	}

	// Untrusted certificate: the TLS layer fails and says so.
	res = (&Prober{Timeout: 2 * time.Second}).Probe(context.Background(), srv.URL)
	st, bad := res.Failed()
	if !bad || st.Layer != "tls" || !strings.Contains(st.Detail, "certificate") {
		t.Fatalf("want a TLS certificate failure, got %+v", res.Steps)
	}

	// Nothing listening: TCP fails.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	res = (&Prober{Timeout: time.Second}).Probe(context.Background(), "http://"+addr)
	if st, bad := res.Failed(); !bad || st.Layer != "tcp" {
		t.Fatalf("want a TCP failure, got %+v", res.Steps)
	}

	// Unresolvable name: DNS fails (the .invalid TLD never resolves).
	res = (&Prober{Timeout: time.Second}).Probe(context.Background(), "https://calsync-probe.invalid/")
	if st, bad := res.Failed(); !bad || st.Layer != "dns" {
		t.Fatalf("want a DNS failure, got %+v", res.Steps)
	}
}

func TestFlowsOrderCheapFirstAndCoverEverySymptom(t *testing.T) {
	for _, s := range append(Symptoms, All) {
		flow := Flow(s)
		if len(flow) == 0 {
			t.Fatalf("%s: empty flow", s)
		}
		seenExpensive := false
		for _, c := range flow {
			if c.Expensive {
				seenExpensive = true
			} else if seenExpensive {
				t.Errorf("%s: cheap check %s runs after an expensive one", s, c.ID)
			}
			if rank(c.ID) == len(flowOrder) {
				t.Errorf("check %s has no place in flowOrder", c.ID)
			}
		}
	}
	if ids := flowIDs(NotShowing); ids[0] != "accounts" || ids[1] != "sync-enabled" || ids[2] != "list-filters" || ids[len(ids)-1] != "round-trip" {
		t.Fatalf("not-showing flow: %v", ids)
	}
	if ids := flowIDs(CantConnect); ids[0] != "accounts" || ids[1] != "connection" {
		t.Fatalf("cant-connect flow: %v", ids)
	}
	// One direction only: the direction setting is the likely cause, checked first (before
	// any "is this the calendar you look at?" question).
	if ids := flowIDs(OneWay); ids[0] != "direction" || ids[len(ids)-1] != "round-trip" {
		t.Fatalf("one-way flow: %v", ids)
	}
	if ids := flowIDs(Duplicates); ids[0] != "duplicates" {
		t.Fatalf("duplicates flow: %v", ids)
	}
	if ids := flowIDs(Permissions); ids[0] != "scopes" {
		t.Fatalf("permissions flow: %v", ids)
	}
}

func flowIDs(s Symptom) []string {
	var ids []string
	for _, c := range Flow(s) {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestRedactorLeavesProseAlone(t *testing.T) {
	r := NewRedactor(true)
	for _, s := range []string{
		"Personal refuses the normal password: accounts with two-factor authentication need an app-specific password",
		`{"code":"requiredAccessLevel","status":403}`,
		"caldav read sync token: AppPasswordRequired (HTTP 401 PasswordLoginForbidden)",
		"change token taken 2026-11-25 20:02 UTC",
	} {
		if got := r.Text(s); got != s {
			t.Errorf("prose changed:\n  %s\n  %s", s, got)
		}
	}
	for in, want := range map[string]string{
		"https://app.example/cb?code=4/0AbCdEf&state=x": "https://app.example/cb?code=[secret removed]&state=x",
		`{"password":"hunter2"}`:                        `{"password":"[secret removed]"}`,
		"Authorization: Bearer abc.def":                 "Authorization: Bearer [secret removed]",
	} {
		if got := r.Text(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}
