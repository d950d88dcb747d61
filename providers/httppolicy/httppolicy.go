// Package httppolicy is the one outbound HTTP policy every provider client (Google, Graph,
// CalDAV) and the OAuth flows use, so that how far a credential travels and how long a
// request may take are decided in one place and tested once:
//
//   - Credentials (Authorization header, basic auth, bearer tokens, cookies, secrets in a
//     form body) belong to one origin: scheme, host and port. They are attached only to
//     requests to that origin, never after a downgrade from https to http.
//   - A redirect to another origin is refused with a clear error (a *providers.Error of
//     Kind Invalid), unless a Share rule names it; the only such rule is iCloud's partition
//     redirect, allowed from an icloud.com host to another *.icloud.com host over https.
//   - Every request is bounded: connect, TLS handshake and response-header deadlines in the
//     transport, a whole-request deadline (headers and body) on the client, and a size limit
//     per kind of answer (see the Max* constants).
//
// Typical use:
//
//	hc := httppolicy.Client(cfg.HTTPClient, httppolicy.Policy{})          // bounded, refuses foreign redirects
//	rt := httppolicy.Authorize(hc.Transport, apiOrigin, nil, addBearer)  // token only to the API's origin
package httppolicy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
)

// Size limits per kind of answer. A calendar page or a token answer is far smaller; a
// bigger one is a broken or hostile server, refused rather than buffered.
const (
	MaxJSONPage    = 8 << 20  // one Google/Graph JSON answer (a page of 250 events is ~1 MB)
	MaxMultistatus = 64 << 20 // one CalDAV multistatus (2,000 events with long notes is ~10 MB)
	MaxTokenAnswer = 64 << 10 // an OAuth token/device-code answer is a few KB
	MaxErrorBody   = 64 << 10 // an error page: only an excerpt is ever shown
)

// MaxRedirects is how many redirects one request may follow.
const MaxRedirects = 5

// Limits are the deadlines of one request. Zero fields take the Default value.
type Limits struct {
	Connect        time.Duration // TCP connect (DNS included)
	TLSHandshake   time.Duration
	ResponseHeader time.Duration // from request sent to response headers received
	// Request bounds the whole request: connect, headers and reading the whole body. A
	// server that trickles bytes ends here.
	Request time.Duration
}

// Default limits: a stalled call ends within a minute, so the sync engine's 2-minute retry
// budget (which counts time spent in requests) stops a run against a dead server in time.
var Default = Limits{Connect: 10 * time.Second, TLSHandshake: 10 * time.Second,
	ResponseHeader: 30 * time.Second, Request: 60 * time.Second}

func (l Limits) withDefaults() Limits {
	if l.Connect <= 0 {
		l.Connect = Default.Connect
	}
	if l.TLSHandshake <= 0 {
		l.TLSHandshake = Default.TLSHandshake
	}
	if l.ResponseHeader <= 0 {
		l.ResponseHeader = Default.ResponseHeader
	}
	if l.Request <= 0 {
		l.Request = Default.Request
	}
	return l
}

// NewTransport is an http.Transport with l's connect, TLS and header deadlines (proxy from
// the environment, as http.DefaultTransport).
func NewTransport(l Limits) *http.Transport {
	l = l.withDefaults()
	d := &net.Dialer{Timeout: l.Connect, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   l.TLSHandshake,
		ResponseHeaderTimeout: l.ResponseHeader,
		ExpectContinueTimeout: time.Second,
	}
}

// shared is the transport of every client with the default limits, so that connections
// are reused across provider clients (each sync opens its providers afresh).
var shared = NewTransport(Default)

func transportFor(l Limits) http.RoundTripper {
	if l.withDefaults() == Default {
		return shared
	}
	return NewTransport(l)
}

// ShareFunc reports whether credentials belonging to origin from may also go to to. Same
// origin needs no rule; nil shares with nobody else.
type ShareFunc func(from, to *url.URL) bool

// Policy is the redirect and deadline policy of one client.
type Policy struct {
	Limits Limits
	Share  ShareFunc
	// FollowCrossOrigin makes a redirect to another origin continue without the
	// credentials instead of failing (no provider uses it: a foreign answer would be
	// misread as "wrong password").
	FollowCrossOrigin bool
}

// Client returns a copy of base (nil = a new client over NewTransport) that follows p: its
// CheckRedirect refuses redirects that would carry credentials elsewhere, and it gets the
// whole-request deadline unless base already has a Timeout (tests inject short ones). A
// base transport is kept as is (tests bring TLS test servers' transports).
func Client(base *http.Client, p Policy) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	if c.Transport == nil {
		c.Transport = transportFor(p.Limits)
	}
	if c.Timeout <= 0 {
		c.Timeout = p.Limits.withDefaults().Request
	}
	c.CheckRedirect = p.CheckRedirect
	return c
}

// Origin is u's scheme://host:port in lower case with the default port made explicit.
func Origin(u *url.URL) string {
	if u == nil {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// SameOrigin reports whether a and b have the same scheme, host and port.
func SameOrigin(a, b *url.URL) bool { return Origin(a) == Origin(b) }

// MayCarry reports whether credentials belonging to origin may be sent to u: same origin,
// or a Share rule allows it and u is https. Never on a downgrade to http.
func (p Policy) MayCarry(origin, u *url.URL) bool {
	if strings.EqualFold(origin.Scheme, "https") && !strings.EqualFold(u.Scheme, "https") {
		return false
	}
	if SameOrigin(origin, u) {
		return true
	}
	return p.Share != nil && strings.EqualFold(u.Scheme, "https") && p.Share(origin, u)
}

// Redirect decides one redirect hop from a request whose credentials belong to origin to
// the address to: nil to follow (credentials allowed, see MayCarry), or a
// *providers.Error saying why it was refused. Clients that follow redirects themselves
// (CalDAV) call it; CheckRedirect calls it for net/http.
func (p Policy) Redirect(origin, to *url.URL, hops int) error {
	if hops > MaxRedirects {
		return &providers.Error{Kind: providers.Invalid, Code: "too_many_redirects",
			Message: fmt.Sprintf("more than %d redirects", MaxRedirects),
			Hint:    "The server keeps redirecting; check the server address."}
	}
	if strings.EqualFold(origin.Scheme, "https") && !strings.EqualFold(to.Scheme, "https") {
		return &providers.Error{Kind: providers.Invalid, Code: "insecure_redirect",
			Message: fmt.Sprintf("refused a redirect from %s to %s (https to http)", Origin(origin), Origin(to)),
			Hint:    "The server tried to move the connection to unencrypted http; calsync does not send your sign-in there. Check the server address."}
	}
	if p.MayCarry(origin, to) || p.FollowCrossOrigin {
		return nil
	}
	return &providers.Error{Kind: providers.Invalid, Code: "cross_origin_redirect",
		Message: fmt.Sprintf("refused a redirect from %s to %s", Origin(origin), Origin(to)),
		Hint:    "The server redirected to another server; calsync sends your sign-in only to the server it belongs to. Check the server address."}
}

// Refused reports whether err is a redirect this policy refused.
func Refused(err error) bool {
	pe, ok := providers.AsError(err)
	return ok && (pe.Code == "insecure_redirect" || pe.Code == "cross_origin_redirect" || pe.Code == "too_many_redirects")
}

// CheckRedirect is an http.Client CheckRedirect applying Redirect against the origin of
// the first request of the chain. When it continues to a foreign origin
// (FollowCrossOrigin), headers carrying credentials are removed.
func (p Policy) CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	origin := via[0].URL
	if err := p.Redirect(origin, req.URL, len(via)); err != nil {
		return err
	}
	if !p.MayCarry(origin, req.URL) {
		StripCredentials(req.Header)
	}
	return nil
}

// StripCredentials removes the headers that carry credentials.
func StripCredentials(h http.Header) {
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
		h.Del(k)
	}
}

// originOfChain is the URL of the first request of req's redirect chain.
func originOfChain(req *http.Request) *url.URL {
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return first.URL
}

// Authorize returns a transport that calls attach (which sets the credential on the
// request) only for requests the credential may go to: requests to origin (or a Share
// rule's host over https), and only when the redirect chain started there. Everything
// else is sent without it. origin nil means the origin of each chain's first request.
func Authorize(next http.RoundTripper, origin *url.URL, share ShareFunc, attach func(*http.Request) error) http.RoundTripper {
	if next == nil {
		next = shared
	}
	return &authorizer{next: next, origin: origin, p: Policy{Share: share}, attach: attach}
}

type authorizer struct {
	next   http.RoundTripper
	origin *url.URL
	p      Policy
	attach func(*http.Request) error
}

func (a *authorizer) RoundTrip(req *http.Request) (*http.Response, error) {
	first := originOfChain(req)
	origin := a.origin
	if origin == nil {
		origin = first
	}
	r2 := req.Clone(req.Context())
	StripCredentials(r2.Header)
	if a.p.MayCarry(origin, first) && a.p.MayCarry(origin, req.URL) {
		if err := a.attach(r2); err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
	}
	return a.next.RoundTrip(r2)
}

// ErrTooLarge is returned by a LimitBody reader past its limit.
var ErrTooLarge = errors.New("answer too large")

// LimitBody returns a transport whose response bodies fail with ErrTooLarge after max
// bytes (for answers read by code we do not control, such as golang.org/x/oauth2's token
// exchange).
func LimitBody(next http.RoundTripper, max int64) http.RoundTripper {
	if next == nil {
		next = shared
	}
	return limitTransport{next: next, max: max}
}

type limitTransport struct {
	next http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// At the limit: one more byte means the answer is too large.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// ICloudPartitions is the Share rule for iCloud: Apple answers caldav.icloud.com with a
// redirect to the account's partition (p42-caldav.icloud.com), which needs the same
// password. Allowed only from an icloud.com host to another *.icloud.com host over https.
func ICloudPartitions(from, to *url.URL) bool {
	isICloud := func(u *url.URL) bool {
		h := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		return h == "icloud.com" || strings.HasSuffix(h, ".icloud.com")
	}
	return isICloud(from) && isICloud(to) && strings.EqualFold(to.Scheme, "https") &&
		strings.EqualFold(from.Scheme, "https") && (to.Port() == "" || to.Port() == "443")
}
