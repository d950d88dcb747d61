package caldav_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
)

const testSecret = "hunter2-secret-pw"

// hostTransport sends every request to addr while the provider believes it talks to the
// host in its URL (caldav.icloud.com, caldav.fastmail.com).
type hostTransport struct{ addr string }

func (tr hostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host = "http", tr.addr
	return http.DefaultTransport.RoundTrip(r2)
}

func cannedServer(t *testing.T, status int, header map[string]string, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		if strings.HasPrefix(body, "<") {
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestErrorClassification(t *testing.T) {
	const validSyncToken = `<?xml version="1.0" encoding="utf-8"?><d:error xmlns:d="DAV:"><d:valid-sync-token/></d:error>`
	const needPrivileges = `<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:need-privileges><D:resource><D:href>/cal/x.ics</D:href><D:privilege><D:write-content/></D:privilege></D:resource></D:need-privileges></D:error>`
	const nextcloud = `<?xml version="1.0" encoding="utf-8"?>
<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:o="http://owncloud.org/ns">
  <s:exception>OCA\DAV\Connector\Sabre\Exception\PasswordLoginForbidden</s:exception>
  <s:message/>
  <o:hint xmlns:o="o:">password login forbidden</o:hint>
</d:error>`
	type call func(p *caldav.Provider) error
	sync := func(p *caldav.Provider) error {
		_, err := p.Changes(context.Background(), "/cal/", "sync1:http://x/ns/sync/1", providers.Window{})
		return err
	}
	put := func(p *caldav.Provider) error {
		_, err := p.Create(context.Background(), "/cal/", providers.Event{ActivityID: "a1", Subject: "s", Start: time.Now(), End: time.Now()})
		return err
	}
	cals := func(p *caldav.Provider) error { _, err := p.Calendars(context.Background()); return err }
	cases := []struct {
		name       string
		host       string // pretend URL host; "" = the test server itself
		status     int
		header     map[string]string
		body       string
		call       call
		want       providers.Kind
		hint       string
		retryAfter time.Duration
	}{
		{name: "plain 401 on a generic server", status: 401, call: cals, want: providers.AuthExpired, hint: "username or password"},
		{name: "Nextcloud PasswordLoginForbidden", status: 401, body: nextcloud, call: cals, want: providers.AppPasswordRequired, hint: "Devices & sessions"},
		{name: "iCloud bare 401", host: "caldav.icloud.com", status: 401, call: cals, want: providers.AppPasswordRequired, hint: "appleid.apple.com"},
		{name: "iCloud partition host bare 401", host: "p42-caldav.icloud.com", status: 401, call: cals, want: providers.AppPasswordRequired, hint: "App-Specific Passwords"},
		{name: "Fastmail bare 401", host: "caldav.fastmail.com", status: 401, call: cals, want: providers.AppPasswordRequired, hint: "app.fastmail.com/settings/security/integrations"},
		{name: "403 need-privileges on PUT", status: 403, body: needPrivileges, call: put, want: providers.ReadOnly},
		{name: "403 bare on PUT (Radicale rights)", status: 403, body: "Access to the requested resource forbidden.", call: put, want: providers.ReadOnly},
		{name: "403 valid-calendar-data on PUT is the data, not access", status: 403,
			body: `<?xml version="1.0"?><d:error xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav"><cal:valid-calendar-data/></d:error>`, call: put, want: providers.Invalid},
		{name: "403 no-uid-conflict on PUT", status: 403,
			body: `<?xml version="1.0"?><D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:no-uid-conflict><D:href>/cal/other.ics</D:href></C:no-uid-conflict></D:error>`, call: put, want: providers.Conflict},
		{name: "403 valid-sync-token", status: 403, body: validSyncToken, call: sync, want: providers.CursorExpired},
		{name: "409 valid-sync-token", status: 409, body: validSyncToken, call: sync, want: providers.CursorExpired},
		{name: "410 valid-sync-token", status: 410, body: validSyncToken, call: sync, want: providers.CursorExpired},
		{name: "404", status: 404, call: sync, want: providers.NotFound},
		{name: "412 on a write that is not a retried create", status: 412, call: func(p *caldav.Provider) error {
			return p.Delete(context.Background(), "/cal/", "/cal/x.ics", `"old"`)
		}, want: providers.Conflict},
		{name: "429 with Retry-After seconds", status: 429, header: map[string]string{"Retry-After": "7"}, call: sync, want: providers.RateLimited, retryAfter: 7 * time.Second},
		{name: "503 with Retry-After date", status: 503, header: map[string]string{"Retry-After": time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat)}, call: sync, want: providers.RateLimited, retryAfter: time.Minute},
		{name: "500", status: 500, body: "Internal Server Error", call: sync, want: providers.Unavailable},
		{name: "502", status: 502, call: cals, want: providers.Unavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := cannedServer(t, c.status, c.header, c.body)
			cfg := providers.Config{Kind: "caldav", Login: "alice@example.org", Secret: []byte(testSecret),
				Endpoints: providers.Endpoints{API: srv.URL + "/"}}
			if c.host != "" {
				cfg.Endpoints.API = "https://" + c.host + "/"
				cfg.HTTPClient = &http.Client{Transport: hostTransport{addr: strings.TrimPrefix(srv.URL, "http://")}}
			}
			p, err := caldav.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = c.call(p)
			pe, ok := providers.AsError(err)
			if !ok {
				t.Fatalf("error %v is not a *providers.Error", err)
			}
			if pe.Kind != c.want {
				t.Fatalf("Kind %s, want %s (%v)", pe.Kind, c.want, err)
			}
			if pe.Status != c.status {
				t.Errorf("Status %d, want %d", pe.Status, c.status)
			}
			if c.hint != "" && !strings.Contains(pe.Hint, c.hint) {
				t.Errorf("hint %q does not mention %q", pe.Hint, c.hint)
			}
			if c.retryAfter > 0 && pe.RetryAfter < c.retryAfter {
				t.Errorf("RetryAfter %v, want at least %v", pe.RetryAfter, c.retryAfter)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(pe.Hint, testSecret) {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestNetworkErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p, err := caldav.New(context.Background(), providers.Config{Login: "u", Secret: []byte(testSecret),
		Endpoints: providers.Endpoints{API: "http://u:" + testSecret + "@" + addr + "/dav/"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Calendars(context.Background())
	if !providers.IsKind(err, providers.Network) {
		t.Fatalf("connection refused: %v, want Network", err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("error leaks the password from the URL: %v", err)
	}

	// TLS to a plain-HTTP server fails in the handshake: Network too.
	srv := cannedServer(t, 207, nil, "")
	p, _ = caldav.New(context.Background(), providers.Config{Login: "u", Secret: []byte(testSecret),
		Endpoints: providers.Endpoints{API: strings.Replace(srv.URL, "http://", "https://", 1)}})
	_, err = p.Calendars(context.Background())
	if !providers.IsKind(err, providers.Network) {
		t.Fatalf("TLS to a plain server: %v, want Network", err)
	}
}

func TestKnownServers(t *testing.T) {
	for _, c := range []struct{ in, id string }{
		{"https://caldav.icloud.com", "icloud"}, {"https://p12-caldav.icloud.com/123/calendars/", "icloud"},
		{"someone@icloud.com", "icloud"}, {"someone@me.com", "icloud"},
		{"https://caldav.fastmail.com/dav/", "fastmail"}, {"someone@fastmail.com", "fastmail"},
		{"cloud.example.org/remote.php/dav", "nextcloud"}, {"https://radicale.example.org/", "generic"},
	} {
		if got := caldav.ServerForHost(c.in).ID; got != c.id {
			t.Errorf("ServerForHost(%q) = %s, want %s", c.in, got, c.id)
		}
	}
	if got := caldav.NextcloudURL("cloud.example.org/"); got != "https://cloud.example.org/remote.php/dav" {
		t.Errorf("NextcloudURL = %q", got)
	}
	if got := caldav.BaseURLForLogin("a@icloud.com"); got != "https://caldav.icloud.com" {
		t.Errorf("BaseURLForLogin(icloud) = %q", got)
	}
	if got := caldav.BaseURLForLogin("a@example.org"); got != "https://example.org" {
		t.Errorf("BaseURLForLogin(example.org) = %q", got)
	}
	for _, s := range caldav.KnownServers {
		if s.AppPasswordGuide == "" || s.Name == "" {
			t.Errorf("known server %s lacks a name or guide", s.ID)
		}
	}
}
