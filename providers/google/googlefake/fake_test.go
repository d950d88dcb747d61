package googlefake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type client struct {
	t    *testing.T
	base string
	tok  string
}

func (c *client) do(method, path string, body string, hdr ...string) (int, http.Header, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if c.tok != "" {
		req.Header.Set("Authorization", "Bearer "+c.tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func start(t *testing.T, opts Options) (*Server, *client) {
	t.Helper()
	s := New(opts)
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	at, _, _ := s.IssueToken([]string{ScopeCalendar})
	return s, &client{t: t, base: base, tok: at}
}

// sameJSON compares a body with the exact JSON of PROVIDERS.md (key order aside).
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q: %v", got, err)
	}
	json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("body\n%s\nwant\n%s", got, want)
	}
}

const evBody = `{"id":"%s","summary":"x","start":{"dateTime":"2026-11-25T10:00:00Z"},"end":{"dateTime":"2026-11-25T11:00:00Z"}}`

func body(id string) string { return strings.Replace(evBody, "%s", id, 1) }

func TestDuplicateAndInvalidIDBodies(t *testing.T) {
	_, c := start(t, Options{})
	st, _, _ := c.do("POST", "/calendar/v3/calendars/primary/events", body("abcdef0123"))
	if st != 200 {
		t.Fatalf("insert %d", st)
	}
	st, _, b := c.do("POST", "/calendar/v3/calendars/primary/events", body("abcdef0123"))
	if st != 409 {
		t.Fatalf("duplicate %d", st)
	}
	sameJSON(t, b, `{"error":{"errors":[{"domain":"global","reason":"duplicate","message":"The requested identifier already exists."}],"code":409,"message":"The requested identifier already exists."}}`)
	for _, bad := range []string{"abcw0123", "ABCDEF012", "abc", "abc-def-012", "abcdef_012"} {
		st, _, b = c.do("POST", "/calendar/v3/calendars/primary/events", body(bad))
		if st != 400 || !strings.Contains(string(b), `"reason":"invalid"`) {
			t.Errorf("id %q: %d %s", bad, st, b)
		}
	}
}

func TestScopeAndAuthBodies(t *testing.T) {
	s, c := start(t, Options{})
	at, _, _ := s.IssueToken([]string{"openid", "email"})
	c.tok = at
	st, _, b := c.do("GET", "/calendar/v3/calendars/primary/events", "")
	if st != 403 {
		t.Fatalf("%d", st)
	}
	var env struct {
		Error struct {
			Code    int
			Message string
			Status  string
			Errors  []map[string]string
			Details []map[string]any
		}
	}
	json.Unmarshal(b, &env)
	e := env.Error
	if e.Code != 403 || e.Message != "Request had insufficient authentication scopes." || e.Status != "PERMISSION_DENIED" ||
		e.Errors[0]["reason"] != "insufficientPermissions" || e.Errors[0]["message"] != "Insufficient Permission" ||
		e.Details[0]["reason"] != "ACCESS_TOKEN_SCOPE_INSUFFICIENT" || e.Details[0]["@type"] != "type.googleapis.com/google.rpc.ErrorInfo" {
		t.Fatalf("insufficient scope body: %s", b)
	}
	// Read-only scope: reads work, writes get the same 403.
	at, _, _ = s.IssueToken([]string{ScopeCalendarReadonly})
	c.tok = at
	if st, _, _ := c.do("GET", "/calendar/v3/calendars/primary/events", ""); st != 200 {
		t.Fatalf("read with readonly scope: %d", st)
	}
	if st, _, b := c.do("POST", "/calendar/v3/calendars/primary/events", body("abcdef0123")); st != 403 || !strings.Contains(string(b), "insufficientPermissions") {
		t.Fatalf("write with readonly scope: %d %s", st, b)
	}
	c.tok = "ya29.bogus"
	st, h, b := c.do("GET", "/calendar/v3/users/me/calendarList", "")
	if st != 401 || !strings.Contains(string(b), `"reason":"authError"`) || !strings.Contains(string(b), "Invalid Credentials") || h.Get("WWW-Authenticate") == "" {
		t.Fatalf("bad token: %d %s", st, b)
	}
}

func TestReadOnlyCalendarAndEtagBodies(t *testing.T) {
	s, c := start(t, Options{})
	_, _, b := c.do("POST", "/calendar/v3/calendars/primary/events", body("abcdef0123"))
	var ev Event
	json.Unmarshal(b, &ev)
	st, _, b := c.do("PATCH", "/calendar/v3/calendars/primary/events/abcdef0123", `{"summary":"y"}`, "If-Match", `"stale"`)
	if st != 412 {
		t.Fatalf("%d", st)
	}
	sameJSON(t, b, `{"error":{"errors":[{"domain":"global","reason":"conditionNotMet","message":"Precondition Failed","locationType":"header","location":"If-Match"}],"code":412,"message":"Precondition Failed"}}`)
	st, _, b = c.do("PATCH", "/calendar/v3/calendars/primary/events/abcdef0123", `{"summary":"y"}`, "If-Match", ev.Etag)
	var up Event
	json.Unmarshal(b, &up)
	if st != 200 || up.Summary != "y" || up.Etag == ev.Etag || up.Start.DateTime != "2026-11-25T10:00:00Z" {
		t.Fatalf("patch: %d %s", st, b)
	}
	s.SetAccessRole(s.Calendars()[0].ID, "reader")
	st, _, b = c.do("DELETE", "/calendar/v3/calendars/primary/events/abcdef0123", "")
	if st != 403 {
		t.Fatalf("%d", st)
	}
	sameJSON(t, b, `{"error":{"errors":[{"domain":"calendar","reason":"requiredAccessLevel","message":"You need to have writer access to this calendar."}],"code":403,"message":"You need to have writer access to this calendar."}}`)
	s.SetAccessRole("primary", "owner")
	if st, _, _ := c.do("DELETE", "/calendar/v3/calendars/primary/events/abcdef0123", ""); st != 204 {
		t.Fatalf("delete %d", st)
	}
	st, _, b = c.do("DELETE", "/calendar/v3/calendars/primary/events/abcdef0123", "")
	if st != 410 || !strings.Contains(string(b), `"reason":"deleted"`) {
		t.Fatalf("delete again %d %s", st, b)
	}
}

type listResp struct {
	Items         []Event
	NextPageToken string
	NextSyncToken string
}

func (c *client) list(q url.Values) (int, listResp, []byte) {
	st, _, b := c.do("GET", "/calendar/v3/calendars/primary/events?"+q.Encode(), "")
	var r listResp
	json.Unmarshal(b, &r)
	return st, r, b
}

func TestPagingSyncTokensAndExpiry(t *testing.T) {
	s, c := start(t, Options{})
	for _, id := range []string{"aaaaa1", "aaaaa2", "aaaaa3"} {
		c.do("POST", "/calendar/v3/calendars/primary/events", body(id))
	}
	_, p1, _ := c.list(url.Values{"maxResults": {"2"}})
	if len(p1.Items) != 2 || p1.NextPageToken == "" || p1.NextSyncToken != "" {
		t.Fatalf("page 1: %+v", p1)
	}
	_, p2, _ := c.list(url.Values{"maxResults": {"2"}, "pageToken": {p1.NextPageToken}})
	if len(p2.Items) != 1 || p2.NextPageToken != "" || p2.NextSyncToken == "" {
		t.Fatalf("page 2: %+v", p2)
	}
	c.do("DELETE", "/calendar/v3/calendars/primary/events/aaaaa2", "")
	_, inc, _ := c.list(url.Values{"syncToken": {p2.NextSyncToken}})
	if len(inc.Items) != 1 || inc.Items[0].ID != "aaaaa2" || inc.Items[0].Status != "cancelled" || inc.Items[0].Summary != "" {
		t.Fatalf("increment: %+v", inc)
	}
	if st, _, _ := c.list(url.Values{"syncToken": {inc.NextSyncToken}, "timeMin": {"2026-01-01T00:00:00Z"}}); st != 400 {
		t.Fatalf("syncToken with timeMin: %d", st)
	}
	s.ExpireSyncTokens("")
	st, _, b := c.list(url.Values{"syncToken": {inc.NextSyncToken}})
	if st != 410 {
		t.Fatalf("%d", st)
	}
	sameJSON(t, b, `{"error":{"errors":[{"domain":"calendar","reason":"fullSyncRequired","message":"Sync token is no longer valid, a full sync is required."}],"code":410,"message":"Sync token is no longer valid, a full sync is required."}}`)
}

func TestRateLimitRetryAfterAndServerError(t *testing.T) {
	s, c := start(t, Options{})
	s.SetFaults(Faults{RateLimited: true, RetryAfterSeconds: 7, FailCount: 1})
	st, h, b := c.do("GET", "/calendar/v3/users/me/calendarList", "")
	if st != 429 || h.Get("Retry-After") != "7" || !strings.Contains(string(b), "rateLimitExceeded") {
		t.Fatalf("%d %v %s", st, h, b)
	}
	if st, _, _ := c.do("GET", "/calendar/v3/users/me/calendarList", ""); st != 200 {
		t.Fatalf("after FailCount: %d", st)
	}
	s.SetFaults(Faults{ServerError: true})
	if st, _, _ := c.do("GET", "/calendar/v3/users/me/calendarList", ""); st != 503 {
		t.Fatalf("%d", st)
	}
}

func TestTokenEndpointRevokedBody(t *testing.T) {
	s, c := start(t, Options{})
	_, rt, _ := s.IssueToken([]string{ScopeCalendar})
	s.RevokeTokens()
	resp, err := http.PostForm(c.base+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("%d", resp.StatusCode)
	}
	sameJSON(t, b, `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`)
}

func TestAuthEndpointRefusesNonLoopbackRedirect(t *testing.T) {
	_, c := start(t, Options{})
	nc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {"x"}, "redirect_uri": {"https://evil.example/cb"}, "response_type": {"code"}, "scope": {ScopeCalendar}, "state": {"s"}}
	resp, err := nc.Get(c.base + "/o/oauth2/v2/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Fatalf("non-loopback redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q.Set("redirect_uri", "http://127.0.0.1:5555/")
	resp, _ = nc.Get(c.base + "/o/oauth2/v2/auth?" + q.Encode())
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Host != "127.0.0.1:5555" || loc.Query().Get("state") != "s" || loc.Query().Get("code") == "" {
		t.Fatalf("consent redirect: %d %v", resp.StatusCode, loc)
	}
}

func TestStateFileSurvivesRestartOnNewPort(t *testing.T) {
	file := filepath.Join(t.TempDir(), "google.json")
	s1 := New(Options{StateFile: file})
	base1, err := s1.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	at, _, _ := s1.IssueToken([]string{ScopeCalendar})
	c := &client{t: t, base: base1, tok: at}
	c.do("POST", "/calendar/v3/calendars/primary/events", body("persist01"))
	_, l1, _ := c.list(nil)
	s1.Close()

	s2 := New(Options{StateFile: file})
	base2, err := s2.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	c.base = base2
	if base2 == base1 {
		t.Log("same port reused; still fine")
	}
	st, l2, b := c.list(url.Values{"syncToken": {l1.NextSyncToken}})
	if st != 200 || len(l2.Items) != 0 {
		t.Fatalf("sync token or access token lost across restart: %d %s", st, b)
	}
	_, full, _ := c.list(nil)
	if len(full.Items) != 1 || full.Items[0].ID != "persist01" {
		t.Fatalf("events lost: %+v", full)
	}
}

func TestRecurringInstancesAndCancelledSeries(t *testing.T) {
	s, c := start(t, Options{})
	m, err := s.PutEvent("primary", Event{ID: "series01", Summary: "Daily",
		Start: &EventDateTime{DateTime: "2026-11-01T09:00:00Z"}, End: &EventDateTime{DateTime: "2026-11-01T09:15:00Z"},
		Recurrence: []string{"RRULE:FREQ=DAILY;COUNT=30"}})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"singleEvents": {"true"}, "timeMin": {"2026-11-10T00:00:00Z"}, "timeMax": {"2026-11-13T00:00:00Z"}}
	_, l, _ := c.list(q)
	if len(l.Items) != 3 || l.Items[0].ID != "series01_20261110T090000Z" || l.Items[0].RecurringEventID != m.ID || l.Items[0].Recurrence != nil {
		t.Fatalf("instances: %+v", l.Items)
	}
	_, master, _ := c.list(url.Values{"timeMin": q["timeMin"], "timeMax": q["timeMax"]})
	if len(master.Items) != 1 || len(master.Items[0].Recurrence) != 1 {
		t.Fatalf("without singleEvents: %+v", master.Items)
	}
	s.DeleteEvent("primary", "series01")
	_, inc, _ := c.list(url.Values{"singleEvents": {"true"}, "syncToken": {l.NextSyncToken}})
	if len(inc.Items) != 3 || inc.Items[1].Status != "cancelled" || inc.Items[1].ID != "series01_20261111T090000Z" {
		t.Fatalf("cancelled series increment: %+v", inc.Items)
	}
}

func TestFreeBusyReaderSeesOnlyTimes(t *testing.T) {
	s, c := start(t, Options{})
	if err := s.AddCalendar(Calendar{ID: "boss@example.com", AccessRole: "freeBusyReader"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutEvent("boss@example.com", Event{Summary: "Secret merger", Description: "d",
		Start: &EventDateTime{DateTime: "2026-11-25T10:00:00Z"}, End: &EventDateTime{DateTime: "2026-11-25T11:00:00Z"}}); err != nil {
		t.Fatal(err)
	}
	_, _, b := c.do("GET", "/calendar/v3/calendars/boss%40example.com/events", "")
	var r listResp
	json.Unmarshal(b, &r)
	if len(r.Items) != 1 || r.Items[0].Summary != "" || r.Items[0].Start == nil || strings.Contains(string(b), "merger") {
		t.Fatalf("free/busy listing: %s", b)
	}
}
