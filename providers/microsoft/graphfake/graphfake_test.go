package graphfake_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/microsoft/graphfake"
)

type tc struct {
	t     *testing.T
	fake  *graphfake.Server
	srv   *httptest.Server
	token string
}

func newTC(t *testing.T, o graphfake.Options) *tc {
	f := graphfake.New(o)
	srv := httptest.NewServer(f.Handler())
	t.Cleanup(srv.Close)
	return &tc{t: t, fake: f, srv: srv, token: f.IssueToken("Calendars.ReadWrite", "User.Read", "offline_access").AccessToken}
}

// call sends a request and decodes a JSON answer into a generic map.
func (c *tc) call(method, path string, body any, hdr map[string]string) (int, http.Header, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = c.srv.URL + path
	}
	req, _ := http.NewRequest(method, u, rd)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp.StatusCode, resp.Header, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestGraphErrorEnvelope(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	c.token = ""
	st, _, m := c.call("GET", "/v1.0/me/calendars", nil, nil)
	if st != 401 || errCode(m) != "InvalidAuthenticationToken" {
		t.Fatalf("%d %v", st, m)
	}
	e := m["error"].(map[string]any)
	inner, ok := e["innerError"].(map[string]any)
	if !ok || inner["date"] == nil || inner["request-id"] == nil || e["message"] == "" {
		t.Fatalf("envelope %v lacks message/innerError.date/request-id", m)
	}
	c.token = "not-a-token"
	if st, _, m := c.call("GET", "/v1.0/me", nil, nil); st != 401 || errCode(m) != "InvalidAuthenticationToken" {
		t.Fatalf("unknown token: %d %v", st, m)
	}
}

func form(c *tc, path string, v url.Values) (int, map[string]any) {
	resp, err := http.PostForm(c.srv.URL+path, v)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestEntraTokenBodies(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	rt := c.fake.IssueToken("Calendars.ReadWrite", "offline_access").RefreshToken
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {"cid"}, "refresh_token": {rt}}
	// Entra v2 refuses a refresh without scope (AADSTS900144).
	if st, m := form(c, "/common/oauth2/v2.0/token", refresh); st != 400 || !strings.Contains(fmt.Sprint(m["error_codes"]), "900144") {
		t.Fatalf("refresh without scope: %d %v", st, m)
	}
	refresh.Set("scope", "Calendars.ReadWrite offline_access")
	st, m := form(c, "/common/oauth2/v2.0/token", refresh)
	if st != 200 {
		t.Fatalf("refresh %d %v", st, m)
	}
	scope, _ := m["scope"].(string)
	if !strings.Contains(scope, "https://graph.microsoft.com/Calendars.ReadWrite") || !strings.Contains(scope, "offline_access") ||
		strings.Contains(scope, "https://graph.microsoft.com/offline_access") {
		t.Fatalf("granted scope %q must be prefixed for Graph, plain for offline_access", scope)
	}
	if m["refresh_token"] == "" || m["token_type"] != "Bearer" || m["expires_in"] == nil {
		t.Fatalf("token body %v", m)
	}

	c.fake.SetTokenFault(graphfake.MFARequired)
	st, m = form(c, "/common/oauth2/v2.0/token", refresh)
	desc, _ := m["error_description"].(string)
	codes, _ := m["error_codes"].([]any)
	if st != 400 || m["error"] != "invalid_grant" || m["suberror"] != "basic_action" || len(codes) != 1 || codes[0] != 50076.0 ||
		!strings.HasPrefix(desc, "AADSTS50076: ") || !strings.Contains(desc, "multi-factor authentication") {
		t.Fatalf("MFA body: %d %v", st, m)
	}
	for _, f := range graphfake.TokenFaults {
		c.fake.SetTokenFault(f)
		st, m = form(c, "/common/oauth2/v2.0/token", refresh)
		desc, _ := m["error_description"].(string)
		if st != 400 || !strings.HasPrefix(desc, "AADSTS"+string(f)+": ") {
			t.Errorf("%s: %d %v", f, st, m)
		}
	}
	c.fake.SetTokenFault(graphfake.NoTokenFault)
	// No offline_access, no refresh token.
	if tok := c.fake.IssueToken("Calendars.ReadWrite"); tok.RefreshToken != "" {
		t.Fatal("refresh token without offline_access")
	}
}

func TestAuthCodeWithPKCE(t *testing.T) {
	c := newTC(t, graphfake.Options{GrantedScopes: []string{"User.Read", "offline_access"}})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifier := "v3r1f13r-v3r1f13r-v3r1f13r-v3r1f13r-v3r1f13r"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {"cid"}, "response_type": {"code"}, "redirect_uri": {"http://localhost:5555/"},
		"scope": {"https://graph.microsoft.com/Calendars.ReadWrite offline_access User.Read"}, "state": {"st8"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	resp, err := noRedirect.Get(c.srv.URL + "/common/oauth2/v2.0/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Host != "localhost:5555" || loc.Query().Get("state") != "st8" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %v", resp.StatusCode, loc)
	}
	code := loc.Query().Get("code")
	ex := url.Values{"grant_type": {"authorization_code"}, "client_id": {"cid"}, "code": {code},
		"redirect_uri": {"http://localhost:5555/"}, "code_verifier": {"wrong"}}
	if st, m := form(c, "/common/oauth2/v2.0/token", ex); st != 400 || !strings.HasPrefix(m["error_description"].(string), "AADSTS50148") {
		t.Fatalf("wrong verifier: %d %v", st, m)
	}
	ex.Set("code_verifier", verifier)
	st, m := form(c, "/common/oauth2/v2.0/token", ex)
	if st != 200 || m["scope"] != "offline_access https://graph.microsoft.com/User.Read" {
		t.Fatalf("exchange: %d %v (the tenant grants only User.Read + offline_access)", st, m)
	}
	if st, _ := form(c, "/common/oauth2/v2.0/token", ex); st != 400 {
		t.Fatal("an authorization code must work once")
	}
}

func TestDeltaPagingLinksAndIncrements(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	cal := c.fake.DefaultCalendar()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 5 {
		e, _ := c.fake.PutEvent(cal, graphfake.Event{Subject: fmt.Sprint("e", i), Start: start.Add(time.Duration(i) * time.Hour), End: start.Add(time.Duration(i)*time.Hour + 30*time.Minute)})
		ids = append(ids, e.ID)
	}
	c.fake.PutEvent(cal, graphfake.Event{Subject: "outside", Start: start.AddDate(1, 0, 0), End: start.AddDate(1, 0, 0).Add(time.Hour)})
	base := "/v1.0/me/calendars/" + cal + "/calendarView/delta"
	if st, _, m := c.call("GET", base+"?startDateTime=2026-11-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z&$expand=singleValueExtendedProperties", nil, nil); st != 400 || errCode(m) != "ErrorInvalidUrlQuery" {
		t.Fatalf("delta must refuse $expand: %d %v", st, m)
	}
	if st, _, m := c.call("GET", base, nil, nil); st != 400 || errCode(m) != "ErrorInvalidParameter" {
		t.Fatalf("delta without a window: %d %v", st, m)
	}
	hdr := map[string]string{"Prefer": "odata.maxpagesize=2", "Host": "graph.example:8443"}
	next := c.srv.URL + base + "?startDateTime=2026-11-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
	seen := map[string]int{}
	pages := 0
	var delta string
	for next != "" {
		st, h, m := c.call("GET", next, nil, hdr)
		if st != 200 {
			t.Fatalf("page %d: %d %v", pages, st, m)
		}
		pages++
		if h.Get("Preference-Applied") != "odata.maxpagesize=2" {
			t.Errorf("Preference-Applied %q", h.Get("Preference-Applied"))
		}
		for _, v := range m["value"].([]any) {
			seen[v.(map[string]any)["id"].(string)]++
		}
		n, _ := m["@odata.nextLink"].(string)
		d, _ := m["@odata.deltaLink"].(string)
		if (n == "") == (d == "") {
			t.Fatalf("page %d has nextLink %q and deltaLink %q: exactly one expected", pages, n, d)
		}
		for _, l := range []string{n, d} {
			if l != "" && !strings.HasPrefix(l, "http://graph.example:8443/v1.0/") {
				t.Fatalf("link %q not built from the request's host", l)
			}
		}
		next, delta = strings.Replace(n, "http://graph.example:8443", c.srv.URL, 1), d
	}
	if pages != 3 || len(seen) != 5 {
		t.Fatalf("%d pages, %d distinct events (%v)", pages, len(seen), seen)
	}
	delta = strings.Replace(delta, "http://graph.example:8443", c.srv.URL, 1)

	// An update and a delete show up once each in the next round.
	if st, _, m := c.call("PATCH", "/v1.0/me/events/"+ids[0], map[string]any{"subject": "renamed"}, nil); st != 200 {
		t.Fatalf("patch %d %v", st, m)
	}
	if st, _, _ := c.call("DELETE", "/v1.0/me/events/"+ids[1], nil, nil); st != 204 {
		t.Fatalf("delete %d", st)
	}
	st, _, m := c.call("GET", delta, nil, nil)
	vals := m["value"].([]any)
	if st != 200 || len(vals) != 2 {
		t.Fatalf("increment: %d %v", st, m)
	}
	byID := map[string]map[string]any{}
	for _, v := range vals {
		byID[v.(map[string]any)["id"].(string)] = v.(map[string]any)
	}
	if byID[ids[0]]["subject"] != "renamed" {
		t.Errorf("updated event: %v", byID[ids[0]])
	}
	if r, _ := byID[ids[1]]["@removed"].(map[string]any); r["reason"] != "deleted" {
		t.Errorf("deleted event: %v", byID[ids[1]])
	}
}

func TestEventRepresentation(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	cal := c.fake.DefaultCalendar()
	prop := "String {8f2a6c1e-3b7d-4e59-a0c4-6d1f9b2e7a35} Name calsyncActivityId"
	body := map[string]any{"subject": "Lunch", "body": map[string]string{"contentType": "text", "content": "line1\nline2 <b>"},
		"start":         map[string]string{"dateTime": "2026-12-01T12:00:00", "timeZone": "Europe/Berlin"},
		"end":           map[string]string{"dateTime": "2026-12-01T13:00:00", "timeZone": "Europe/Berlin"},
		"transactionId": "tx-1", "singleValueExtendedProperties": []map[string]string{{"id": prop, "value": "act-9"}}}
	st, _, ev := c.call("POST", "/v1.0/me/calendars/"+cal+"/events", body, nil)
	if st != 201 {
		t.Fatalf("create %d %v", st, ev)
	}
	id := ev["id"].(string)
	if _, ok := ev["singleValueExtendedProperties"]; ok {
		t.Error("extended properties must not come back unless expanded")
	}
	start := ev["start"].(map[string]any)
	if start["dateTime"] != "2026-12-01T11:00:00.0000000" || start["timeZone"] != "UTC" || ev["originalStartTimeZone"] != "Europe/Berlin" {
		t.Errorf("default representation must be UTC with 7 fractional digits: %v / %v", start, ev["originalStartTimeZone"])
	}
	if b := ev["body"].(map[string]any); b["contentType"] != "html" || !strings.Contains(b["content"].(string), "line1<br>line2 &lt;b&gt;") {
		t.Errorf("default body must be HTML: %v", b)
	}
	if !strings.HasPrefix(ev["@odata.etag"].(string), `W/"`) || ev["changeKey"] == "" {
		t.Errorf("etag %v changeKey %v", ev["@odata.etag"], ev["changeKey"])
	}
	// Retried POST with the same transactionId: the same event, not a second one.
	st, _, again := c.call("POST", "/v1.0/me/calendars/"+cal+"/events", body, nil)
	if st != 201 || again["id"] != id || len(c.fake.Events(cal)) != 1 {
		t.Fatalf("retried create: %d id %v events %d", st, again["id"], len(c.fake.Events(cal)))
	}
	pref := map[string]string{"Prefer": `outlook.timezone="Pacific Standard Time", outlook.body-content-type="text"`}
	expand := "?$expand=" + url.QueryEscape("singleValueExtendedProperties($filter=id eq '"+prop+"')")
	st, _, got := c.call("GET", "/v1.0/me/events/"+id+expand, nil, pref)
	if st != 200 {
		t.Fatalf("get %d %v", st, got)
	}
	if s := got["start"].(map[string]any); s["dateTime"] != "2026-12-01T03:00:00.0000000" || s["timeZone"] != "Pacific Standard Time" {
		t.Errorf("Prefer outlook.timezone not honoured: %v", s)
	}
	if b := got["body"].(map[string]any); b["contentType"] != "text" || b["content"] != "line1\nline2 <b>" {
		t.Errorf("text body: %v", b)
	}
	props, _ := got["singleValueExtendedProperties"].([]any)
	if len(props) != 1 || props[0].(map[string]any)["value"] != "act-9" {
		t.Errorf("expanded property: %v", got["singleValueExtendedProperties"])
	}
	if st, _, m := c.call("GET", "/v1.0/me/events/"+id+"?$expand=singleValueExtendedProperties", nil, nil); st != 400 {
		t.Errorf("$expand without the id filter: %d %v", st, m)
	}
	// Stale If-Match.
	st, _, m := c.call("PATCH", "/v1.0/me/events/"+id, map[string]any{"subject": "x"}, map[string]string{"If-Match": `W/"stale"`})
	if st != 412 || errCode(m) != "ErrorIrresolvableConflict" {
		t.Fatalf("stale If-Match: %d %v", st, m)
	}
	// Unknown property.
	if st, _, m := c.call("PATCH", "/v1.0/me/events/"+id, map[string]any{"subjekt": "x"}, nil); st != 400 || errCode(m) != "RequestBodyRead" {
		t.Fatalf("unknown property: %d %v", st, m)
	}
	// Read-only calendar and missing scope give the same 403.
	c.fake.SetCanEdit(cal, false)
	st1, _, m1 := c.call("PATCH", "/v1.0/me/events/"+id, map[string]any{"subject": "x"}, nil)
	c.fake.SetCanEdit(cal, true)
	c.token = c.fake.IssueToken("Calendars.Read").AccessToken
	st2, _, m2 := c.call("PATCH", "/v1.0/me/events/"+id, map[string]any{"subject": "x"}, nil)
	e1, e2 := m1["error"].(map[string]any), m2["error"].(map[string]any)
	if st1 != 403 || st2 != 403 || e1["code"] != "ErrorAccessDenied" || e1["code"] != e2["code"] || e1["message"] != e2["message"] ||
		e1["message"] != "Access is denied. Check credentials and try again." {
		t.Fatalf("403s differ: %v / %v", m1, m2)
	}
	if st, _, _ := c.call("DELETE", "/v1.0/me/events/"+id, nil, nil); st != 403 {
		t.Fatal("delete without Calendars.ReadWrite")
	}
}

func TestThrottleAndServerErrors(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	c.fake.FailNext(2, graphfake.Throttled, 3*time.Second)
	for range 2 {
		st, h, m := c.call("GET", "/v1.0/me/calendars", nil, nil)
		if st != 429 || h.Get("Retry-After") != "3" || errCode(m) != "TooManyRequests" {
			t.Fatalf("%d %v %v", st, h, m)
		}
	}
	if st, _, _ := c.call("GET", "/v1.0/me/calendars", nil, nil); st != 200 {
		t.Fatal("fault outlived its count")
	}
	c.fake.FailNext(-1, graphfake.ServiceUnavailable, time.Second)
	for range 3 {
		if st, _, m := c.call("GET", "/v1.0/me", nil, nil); st != 503 || errCode(m) != "ServiceNotAvailable" {
			t.Fatalf("%d %v", st, m)
		}
	}
	c.fake.ClearFaults()
	if st, _, _ := c.call("GET", "/v1.0/me", nil, nil); st != 200 {
		t.Fatal("ClearFaults")
	}
}

func TestCalendarsPageAtTen(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	for i := range 11 {
		c.fake.AddCalendar(graphfake.Calendar{Name: fmt.Sprint("cal ", i), CanEdit: i%2 == 0})
	}
	st, _, m := c.call("GET", "/v1.0/me/calendars", nil, nil)
	if st != 200 || len(m["value"].([]any)) != 10 || m["@odata.nextLink"] == nil {
		t.Fatalf("%d %v", st, m)
	}
	st, _, m = c.call("GET", m["@odata.nextLink"].(string), nil, nil)
	if st != 200 || len(m["value"].([]any)) != 2 || m["@odata.nextLink"] != nil {
		t.Fatalf("second page: %d %v", st, m)
	}
}

func TestRecurringWeeklyInCalendarView(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	cal := c.fake.DefaultCalendar()
	mon := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) // a Monday
	c.fake.PutEvent(cal, graphfake.Event{Subject: "Sync", Start: mon, End: mon.Add(time.Hour), TimeZone: "Europe/Berlin",
		Recurrence: &graphfake.Recurrence{Pattern: graphfake.RecurrencePattern{Type: "weekly", Interval: 1, DaysOfWeek: []string{"monday", "thursday"}},
			Range: graphfake.RecurrenceRange{Type: "endDate", StartDate: "2026-11-30", EndDate: "2026-12-13"}}})
	st, _, m := c.call("GET", "/v1.0/me/calendars/"+cal+"/calendarView/delta?startDateTime=2026-11-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z", nil, map[string]string{"Prefer": "odata.maxpagesize=50"})
	if st != 200 {
		t.Fatal(st, m)
	}
	var days []string
	for _, v := range m["value"].([]any) {
		e := v.(map[string]any)
		if e["type"] != "occurrence" || e["seriesMasterId"] == nil {
			t.Fatalf("calendarView must list occurrences, not the master: %v", e)
		}
		days = append(days, e["start"].(map[string]any)["dateTime"].(string)[:10])
	}
	want := "2026-11-30 2026-12-03 2026-12-07 2026-12-10"
	if strings.Join(days, " ") != want {
		t.Fatalf("occurrences %v, want %s", days, want)
	}
}

func TestStateFileSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	f1 := graphfake.New(graphfake.Options{StateFile: path})
	cal := f1.AddCalendar(graphfake.Calendar{Name: "Work", CanEdit: true})
	ev, err := f1.PutEvent(cal, graphfake.Event{Subject: "kept", Start: time.Now(), End: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	tok := f1.IssueToken("Calendars.ReadWrite", "offline_access")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	f2, err := graphfake.NewErr(graphfake.Options{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f2.Event(ev.ID); err != nil || got.Subject != "kept" {
		t.Fatalf("event after restart: %+v %v", got, err)
	}
	srv := httptest.NewServer(f2.Handler())
	defer srv.Close()
	c := &tc{t: t, fake: f2, srv: srv, token: tok.AccessToken}
	if st, _, m := c.call("GET", "/v1.0/me/calendars", nil, nil); st != 200 || len(m["value"].([]any)) != 2 {
		t.Fatalf("token or calendars lost across restart: %d %v", st, m)
	}
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := graphfake.NewErr(graphfake.Options{StateFile: path}); err == nil {
		t.Fatal("a corrupt state file must be reported")
	}
}

func TestBatchLimitsAndSteps(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	var reqs []map[string]string
	for i := range 21 {
		reqs = append(reqs, map[string]string{"id": fmt.Sprint(i), "method": "GET", "url": "/me"})
	}
	if st, _, _ := c.call("POST", "/v1.0/$batch", map[string]any{"requests": reqs}, nil); st != 400 {
		t.Fatal("more than 20 steps accepted")
	}
	st, _, m := c.call("POST", "/v1.0/$batch", map[string]any{"requests": []map[string]string{
		{"id": "a", "method": "GET", "url": "/me"}, {"id": "b", "method": "GET", "url": "/me/events/nope"}}}, nil)
	if st != 200 {
		t.Fatal(st, m)
	}
	rs := m["responses"].([]any)
	if len(rs) != 2 || rs[0].(map[string]any)["status"] != 200.0 || rs[1].(map[string]any)["status"] != 404.0 {
		t.Fatalf("steps: %v", rs)
	}
}

func TestDeviceLoginPage(t *testing.T) {
	c := newTC(t, graphfake.Options{ClientID: "cid"})
	st, m := form(c, "/organizations/oauth2/v2.0/devicecode", url.Values{"client_id": {"cid"}, "scope": {"Calendars.ReadWrite offline_access"}})
	if st != 200 || m["interval"] != 5.0 || m["expires_in"] != 900.0 {
		t.Fatalf("%d %v", st, m)
	}
	uc := m["user_code"].(string)
	if codes := c.fake.PendingUserCodes(); len(codes) != 1 || codes[0] != uc {
		t.Fatalf("pending %v", codes)
	}
	resp, err := http.PostForm(m["verification_uri"].(string), url.Values{"user_code": {uc}, "action": {"approve"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("approve through the page: %v %v", resp, err)
	}
	resp.Body.Close()
	st, tok := form(c, "/organizations/oauth2/v2.0/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {"cid"}, "device_code": {m["device_code"].(string)}})
	if st != 200 || tok["access_token"] == nil {
		t.Fatalf("token after approval: %d %v", st, tok)
	}
}

func TestNamedFaultsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	f1 := graphfake.New(graphfake.Options{StateFile: path})
	rt := f1.IssueToken("Calendars.ReadWrite", "offline_access").RefreshToken
	if err := f1.Inject(graphfake.FaultMFARequired, ""); err != nil {
		t.Fatal(err)
	}
	if err := f1.Inject("no-such-fault", ""); err == nil || !strings.Contains(err.Error(), graphfake.FaultRateLimit) {
		t.Fatalf("unknown fault: %v", err)
	}
	f2, err := graphfake.NewErr(graphfake.Options{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f2.Handler())
	defer srv.Close()
	c := &tc{t: t, fake: f2, srv: srv}
	st, m := form(c, "/common/oauth2/v2.0/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"c"}, "refresh_token": {rt}, "scope": {"Calendars.ReadWrite offline_access"}})
	if st != 400 || !strings.HasPrefix(m["error_description"].(string), "AADSTS50076") {
		t.Fatalf("armed fault lost across restart: %d %v", st, m)
	}
	f2.ClearFaults()
	if st, _ := form(c, "/common/oauth2/v2.0/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"c"}, "refresh_token": {rt}, "scope": {"Calendars.ReadWrite offline_access"}}); st != 200 {
		t.Fatal("ClearFaults")
	}
	for _, name := range graphfake.FaultNames {
		if err := f2.Inject(name, ""); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestIssueSecretOpensAProvider(t *testing.T) {
	f := graphfake.New(graphfake.Options{})
	b, err := f.IssueSecret("Calendars.ReadWrite", "offline_access")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		AccessToken  string   `json:"access_token"`
		RefreshToken string   `json:"refresh_token"`
		Granted      []string `json:"granted_scopes"`
	}
	if err := json.Unmarshal(b, &s); err != nil || s.AccessToken == "" || s.RefreshToken == "" ||
		strings.Join(s.Granted, " ") != "Calendars.ReadWrite offline_access" {
		t.Fatalf("secret %+v %v", s, err)
	}
}

func TestDeltaTokenTTL(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	c := newTC(t, graphfake.Options{DeltaTokenTTL: 7 * 24 * time.Hour, Now: func() time.Time { return now }})
	c.token = c.fake.IssueToken("Calendars.Read").AccessToken
	cal := c.fake.DefaultCalendar()
	st, _, m := c.call("GET", "/v1.0/me/calendars/"+cal+"/calendarView/delta?startDateTime=2026-11-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z", nil, nil)
	if st != 200 {
		t.Fatal(st, m)
	}
	link := m["@odata.deltaLink"].(string)
	now = now.Add(6 * 24 * time.Hour)
	c.token = c.fake.IssueToken("Calendars.Read").AccessToken
	if st, _, m := c.call("GET", link, nil, nil); st != 200 {
		t.Fatalf("a 6-day-old delta link: %d %v", st, m)
	}
	now = now.Add(2 * 24 * time.Hour)
	c.token = c.fake.IssueToken("Calendars.Read").AccessToken
	if st, _, m := c.call("GET", link, nil, nil); st != 410 || errCode(m) != "SyncStateNotFound" {
		t.Fatalf("an 8-day-old delta link: %d %v", st, m)
	}
}

// PROVIDERS.md (Microsoft Graph): writes accept Windows zone names and a short list of
// IANA names; Europe/Amsterdam is not one of them.
func TestWritesRefuseUnsupportedZones(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	cal := c.fake.DefaultCalendar()
	body := func(zone string) map[string]any {
		return map[string]any{"subject": "Zone " + zone,
			"start": map[string]string{"dateTime": "2026-12-10T09:00:00", "timeZone": zone},
			"end":   map[string]string{"dateTime": "2026-12-10T10:00:00", "timeZone": zone}}
	}
	for zone, want := range map[string]int{
		"Europe/Amsterdam":        400,
		"America/Toronto":         400,
		"W. Europe Standard Time": 201,
		"Europe/Berlin":           201,
		"UTC":                     201,
	} {
		st, _, m := c.call("POST", "/v1.0/me/calendars/"+cal+"/events", body(zone), nil)
		if st != want {
			t.Errorf("%s: status %d, want %d (%v)", zone, st, want, m)
		}
		if want == 400 && errCode(m) != "TimeZoneNotSupportedException" {
			t.Errorf("%s: code %q", zone, errCode(m))
		}
	}
	// Another client (Outlook) seeding an IANA zone stores its Windows name.
	ev, err := c.fake.PutEvent(cal, graphfake.Event{Subject: "Seeded", Start: time.Date(2026, 12, 11, 8, 0, 0, 0, time.UTC),
		End: time.Date(2026, 12, 11, 9, 0, 0, 0, time.UTC), TimeZone: "Europe/Amsterdam"})
	if err != nil || ev.TimeZone != "W. Europe Standard Time" {
		t.Fatalf("seeded zone %q, %v", ev.TimeZone, err)
	}
}

// PROVIDERS.md ($batch): a mailbox serves 4 requests at once and Graph runs a batch's
// steps in parallel, so steps beyond the 4th get 429 MailboxConcurrency; steps chained
// with dependsOn run one after another and are not throttled.
func TestBatchOverMailboxConcurrencyThrottled(t *testing.T) {
	c := newTC(t, graphfake.Options{})
	var reqs []map[string]any
	for i := range 6 {
		reqs = append(reqs, map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "/me"})
	}
	_, _, m := c.call("POST", "/v1.0/$batch", map[string]any{"requests": reqs}, nil)
	rs := m["responses"].([]any)
	for i, r := range rs {
		st := r.(map[string]any)
		want := 200.0
		if i >= 4 {
			want = 429
		}
		if st["status"] != want {
			t.Fatalf("step %d: %v, want %v", i, st["status"], want)
		}
		if want == 429 {
			h := st["headers"].(map[string]any)
			body := st["body"].(map[string]any)["error"].(map[string]any)
			if h["Retry-After"] == nil || body["code"] != "ApplicationThrottled" || !strings.Contains(body["message"].(string), "MailboxConcurrency") {
				t.Fatalf("throttled step: %v", st)
			}
		}
	}
	for i := 1; i < len(reqs); i++ {
		reqs[i]["dependsOn"] = []string{fmt.Sprint(i - 1)}
	}
	_, _, m = c.call("POST", "/v1.0/$batch", map[string]any{"requests": reqs}, nil)
	for i, r := range m["responses"].([]any) {
		if r.(map[string]any)["status"] != 200.0 {
			t.Fatalf("chained step %d throttled: %v", i, r)
		}
	}
}

// PROVIDERS.md (Entra): a single-tenant app registration cannot sign in through /common
// (AADSTS50194); a named tenant works.
func TestSingleTenantAppRefusedOnCommon(t *testing.T) {
	c := newTC(t, graphfake.Options{SingleTenant: true, ClientID: "cid"})
	rt := c.fake.IssueToken("Calendars.ReadWrite", "offline_access").RefreshToken
	v := url.Values{"grant_type": {"refresh_token"}, "client_id": {"cid"}, "refresh_token": {rt}, "scope": {"Calendars.ReadWrite offline_access"}}
	if st, m := form(c, "/common/oauth2/v2.0/token", v); st != 400 || !strings.Contains(fmt.Sprint(m["error_codes"]), "50194") {
		t.Fatalf("/common: %d %v", st, m)
	}
	if st, m := form(c, "/contoso.onmicrosoft.com/oauth2/v2.0/token", v); st != 200 {
		t.Fatalf("named tenant: %d %v", st, m)
	}
}
