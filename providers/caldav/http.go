package caldav

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"github.com/calsync/calsync/providers/httppolicy"
)

const (
	providerName = "caldav"
	// maxBodyBytes bounds a multistatus body; 2,000 events with large descriptions stay
	// far below it, a hostile server cannot make us buffer gigabytes.
	maxBodyBytes  = httppolicy.MaxMultistatus
	maxErrorBytes = httppolicy.MaxErrorBody
)

// policy is the outbound HTTP policy for CalDAV: the password goes to the configured
// origin, and to another *.icloud.com host over https only (iCloud's partition redirect).
var policy = httppolicy.Policy{Share: httppolicy.ICloudPartitions}

// davClient sends WebDAV requests with basic auth, follows redirects itself (net/http
// turns a redirected PROPFIND into a GET, which breaks /.well-known discovery) and turns
// every failure into a classified *providers.Error. The password never leaves this struct.
type davClient struct {
	http     *http.Client
	user     string
	password string
	// server decides whether a bare 401 means "use an app password".
	server KnownServer
}

func newDAVClient(hc *http.Client, user, password string, server KnownServer) *davClient {
	c := httppolicy.Client(hc, policy)
	// Redirects are followed by do, under policy.Redirect.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &davClient{http: c, user: user, password: password, server: server}
}

// response is a successful reply with its body already read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	URL    *url.URL // final URL after redirects; hrefs in Body resolve against it
}

// do sends one request and returns the response for 2xx/207, or a *providers.Error.
func (c *davClient) do(ctx context.Context, op, method string, u *url.URL, body []byte, header map[string]string) (*response, error) {
	resp, u, err := c.open(ctx, op, method, u, body, header)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, c.networkError(ctx, op, err)
	}
	if len(data) > maxBodyBytes {
		return nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Status: resp.StatusCode,
			Message: fmt.Sprintf("response larger than %d MB", maxBodyBytes>>20)}
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: data, URL: u}, nil
}

// open sends one request and returns the 2xx response with its body still unread (the
// caller closes it) and the final URL after redirects, or a *providers.Error. Listings
// read the body as a stream (stream.go); everything else goes through do.
func (c *davClient) open(ctx context.Context, op, method string, u *url.URL, body []byte, header map[string]string) (*http.Response, *url.URL, error) {
	origin := u
	for hop := 0; ; hop++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
		if err != nil {
			return nil, nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Message: "bad request URL", Err: stripURLError(err)}
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if body != nil && req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
		}
		// Credentials go to the origin the person configured and, after a redirect, to an
		// iCloud partition (pNN-caldav.icloud.com) over https only: httppolicy decides.
		if c.user != "" && policy.MayCarry(origin, u) {
			req.SetBasicAuth(c.user, c.password)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, nil, c.networkError(ctx, op, err)
		}
		if isRedirect(resp.StatusCode) && resp.Header.Get("Location") != "" {
			loc, perr := u.Parse(resp.Header.Get("Location"))
			drain(resp)
			if perr != nil {
				return nil, nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Status: resp.StatusCode, Message: "redirect to an invalid address"}
			}
			if c.user != "" || hop >= httppolicy.MaxRedirects {
				if err := policy.Redirect(origin, loc, hop+1); err != nil {
					pe := err.(*providers.Error)
					pe.Provider, pe.Op, pe.Status = providerName, op, resp.StatusCode
					return nil, nil, pe
				}
			}
			u = loc
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, u, nil
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		resp.Body.Close()
		return nil, nil, c.classify(op, method, u, resp.StatusCode, resp.Header, data)
	}
}

func isRedirect(code int) bool {
	return code == 301 || code == 302 || code == 303 || code == 307 || code == 308
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
}

// networkError classifies transport failures: DNS, TCP, TLS and timeouts are Network.
func (c *davClient) networkError(ctx context.Context, op string, err error) error {
	err = stripURLError(err)
	e := &providers.Error{Kind: providers.Network, Provider: providerName, Op: op, Err: err}
	var tlsErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case ctx.Err() != nil:
		e.Message = "cancelled: " + ctx.Err().Error()
	case errors.As(err, &tlsErr), errors.As(err, &recErr):
		e.Message = "TLS failed: " + err.Error()
		e.Hint = "the server's certificate could not be verified, or the address is not an https CalDAV server; check the URL"
	case errors.As(err, &dnsErr):
		e.Message = "host not found: " + dnsErr.Name
		e.Hint = "check the server address and your internet connection"
	case errors.As(err, &opErr):
		e.Message = err.Error()
		e.Hint = "the server could not be reached; check the address, your connection or proxy, then retry"
	default:
		e.Message = err.Error()
		e.Hint = "the connection failed; retry later"
	}
	return e
}

// stripURLError drops the request URL from *url.Error: it may carry user info.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// classify maps an HTTP failure to a Kind per PROVIDERS.md. DAV precondition elements in
// the body win over the status code, because servers disagree on the status.
func (c *davClient) classify(op, method string, u *url.URL, status int, h http.Header, body []byte) error {
	e := &providers.Error{Provider: providerName, Op: op, Status: status}
	davErr := davErrorElement(body)
	e.Code = davErr
	// Error pages may echo the request (debug pages, proxies quoting the Authorization
	// header, "bad password ..."): the message is stored, journaled and printed, so the
	// credentials come out here, as they do in the OAuth providers' errors.
	e.Message = httpapi.RedactString(shortText(body, davErr), c.password,
		base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.password)))
	switch {
	case davErr == "valid-sync-token" || davErr == "sync-token-invalid":
		e.Kind = providers.CursorExpired
		e.Hint = "the server no longer knows the last sync position; calsync will list the calendar again"
	case status == http.StatusUnauthorized:
		switch {
		case bytes.Contains(body, []byte("PasswordLoginForbidden")):
			e.Kind = providers.AppPasswordRequired
			e.Code = "PasswordLoginForbidden"
			ks, _ := Server("nextcloud")
			e.Hint = "this account uses two-factor authentication: " + ks.Hint()
		case c.server.AppPasswordRequired || ServerForHost(u.String()).AppPasswordRequired:
			// iCloud and Fastmail answer any bad password with a bare 401; with two-factor
			// authentication (mandatory on new Apple IDs) only an app password works.
			ks := c.server
			if !ks.AppPasswordRequired {
				ks = ServerForHost(u.String())
			}
			e.Kind = providers.AppPasswordRequired
			e.Hint = ks.Hint()
		default:
			e.Kind = providers.AuthExpired
			e.Hint = "the server refused the username or password; check them, or " + genericGuide()
		}
	case davErr == "no-uid-conflict":
		e.Kind = providers.Conflict
		e.Hint = "another event in this calendar already has the same UID"
	case davErr != "" && davErr != "need-privileges" && (status == http.StatusForbidden || status == http.StatusConflict ||
		status == http.StatusBadRequest || status == http.StatusUnsupportedMediaType || status == http.StatusRequestEntityTooLarge):
		// A CalDAV precondition on the data (RFC 4791 5.3.2.1): the server refuses this
		// event, not the account's access.
		e.Kind = providers.Invalid
		e.Hint = "the server refused the event data (" + davErr + "); the event is kept and reported"
	case status == http.StatusForbidden:
		switch {
		case davErr == "need-privileges" || method == http.MethodPut || method == http.MethodDelete || method == "PROPPATCH":
			e.Kind = providers.ReadOnly
			e.Hint = "you may read but not change this calendar; pick a calendar you own or ask its owner for write access"
		default:
			e.Kind = providers.ReadOnly
			e.Hint = "the server refuses access to this resource; check that the calendar is shared with this account"
		}
	case status == http.StatusPreconditionFailed:
		e.Kind = providers.Conflict
		e.Hint = "the event changed on the server since calsync last read it"
	case status == http.StatusConflict:
		e.Kind = providers.Conflict
	case status == http.StatusNotFound:
		e.Kind = providers.NotFound
	case status == http.StatusGone:
		e.Kind = providers.NotFound
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		e.Kind = providers.RateLimited
		e.RetryAfter = retryAfter(h.Get("Retry-After"))
		e.Hint = "the server asks calsync to slow down; it will retry later"
	case status >= 500:
		e.Kind = providers.Unavailable
		e.RetryAfter = retryAfter(h.Get("Retry-After"))
		e.Hint = "the CalDAV server had an internal error; retry later"
	default:
		e.Kind = providers.Invalid
		if status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented {
			e.Hint = "this address does not look like a CalDAV calendar; check the server URL"
		}
	}
	return e
}

// davErrorElement returns the local name of the first child of a <D:error> body
// (e.g. "valid-sync-token", "need-privileges"), or "".
func davErrorElement(body []byte) string {
	i := bytes.Index(body, []byte("error"))
	if i < 0 {
		return ""
	}
	for _, name := range []string{"valid-sync-token", "sync-token-invalid", "need-privileges", "no-uid-conflict",
		"valid-calendar-data", "valid-calendar-object-resource", "supported-calendar-component", "supported-calendar-data",
		"max-resource-size", "min-date-time", "max-date-time", "max-instances", "max-attendees-per-instance",
		"supported-report", "number-of-matches-within-limits"} {
		if bytes.Contains(body, []byte(":"+name)) || bytes.Contains(body, []byte("<"+name)) {
			return name
		}
	}
	return ""
}

// shortText keeps a readable one-line excerpt of an error body (HTML and XML are skipped).
func shortText(body []byte, davErr string) string {
	if davErr != "" {
		return "DAV:" + davErr
	}
	s := strings.TrimSpace(string(body))
	if s == "" || strings.HasPrefix(s, "<") {
		if i := bytes.Index(body, []byte("<s:message>")); i >= 0 { // Sabre/Nextcloud
			s = string(body[i+len("<s:message>"):])
			if j := strings.Index(s, "<"); j >= 0 {
				s = s[:j]
			}
		} else {
			return ""
		}
	}
	s = strings.ToValidUTF8(s, "?")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 200 {
		r := []rune(s)
		s = string(r[:200]) + "…"
	}
	return s
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}
