// Package httpapi is the small JSON-over-HTTP helper the Google and Microsoft Graph clients
// share. It builds requests against a configurable base URL, encodes and decodes JSON,
// caps every response body (MaxBody), turns transport failures into Kind Network, parses
// Retry-After, and hands non-2xx answers to a per-provider Classify hook so each client
// maps its own error envelope to a providers.Kind. Nothing it returns ever carries an
// Authorization header, a token or a client secret: error text passes through Redact.
//
// Typical use (a provider client):
//
//	c := &httpapi.Client{Provider: "google", Base: "https://www.googleapis.com/calendar/v3/",
//		HTTP: oauthHTTPClient, Classify: classifyGoogle}
//	var out listResponse
//	_, err := c.Do(ctx, httpapi.Request{Op: "list events", Method: "GET",
//		Path: "calendars/" + url.PathEscape(cal) + "/events", Query: q}, &out)
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httppolicy"
)

// MaxBody is the most a provider response body may hold. A calendar page is far smaller;
// anything bigger is a broken or hostile server and is refused as Invalid. An error
// answer is cut at httppolicy.MaxErrorBody: only an excerpt of it is ever shown.
const MaxBody = httppolicy.MaxJSONPage

// defaultHTTP is used when Client.HTTP is nil: bounded, refusing foreign redirects.
var defaultHTTP = httppolicy.Client(nil, httppolicy.Policy{})

// Response is a received answer, body already read (at most MaxBody bytes).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Classifier maps a non-2xx response to a provider error. It fills at least Kind, and
// Code/Message/Hint when the envelope says more. Provider, Op, Status and RetryAfter are
// filled by Client when left empty, so a classifier only needs to read the envelope.
// Returning nil falls back to ClassifyStatus.
type Classifier func(resp *Response) *providers.Error

// Client sends JSON requests to one API.
type Client struct {
	Provider string       // "google", "microsoft": goes into every error
	Base     string       // base URL; relative request paths are resolved against it
	HTTP     *http.Client // usually TokenSource.Client (httppolicy); nil = a bounded default
	Classify Classifier   // per-provider error envelope reader; nil = ClassifyStatus
	// Now is the clock used to turn an HTTP-date Retry-After into a duration; nil = time.Now.
	Now func() time.Time
	// Header is added to every request (e.g. Prefer for Graph).
	Header http.Header
	// MaxBody overrides the package MaxBody when > 0 (tests).
	MaxBody int64
}

// Request is one call.
type Request struct {
	Op     string // what is being done, for the error ("create event")
	Method string // default GET
	// Path is relative to Client.Base ("calendars/x/events") or an absolute URL (Graph
	// nextLink). Escape path segments yourself with url.PathEscape.
	Path   string
	Query  url.Values
	Header http.Header
	// Body is JSON-encoded when non-nil; a []byte or json.RawMessage is sent as is.
	Body any
}

// Do sends req and decodes a 2xx JSON body into out (when out is non-nil and the body is
// not empty). A non-2xx answer becomes a *providers.Error via Classify; the Response is
// returned too, so callers may read headers or the raw body.
func (c *Client) Do(ctx context.Context, req Request, out any) (*Response, error) {
	resp, err := c.Send(ctx, req)
	if err != nil {
		return resp, err
	}
	if out != nil && len(bytes.TrimSpace(resp.Body)) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp, &providers.Error{Kind: providers.Invalid, Provider: c.Provider, Op: req.Op,
				Status: resp.Status, Message: "unreadable JSON answer: " + Sanitize(err.Error()), Err: err}
		}
	}
	return resp, nil
}

// Send sends req and returns the raw response; non-2xx answers become errors like Do.
func (c *Client) Send(ctx context.Context, req Request) (*Response, error) {
	hreq, err := c.build(ctx, req)
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	hresp, err := hc.Do(hreq)
	if err != nil {
		return nil, c.transportError(ctx, req.Op, err)
	}
	defer hresp.Body.Close()
	ok := hresp.StatusCode >= 200 && hresp.StatusCode < 300
	var body []byte
	if ok {
		body, err = c.readBody(hresp.Body)
	} else {
		body, err = ReadLimited(hresp.Body, httppolicy.MaxErrorBody)
		if errors.Is(err, errTooLarge) {
			err = nil // the excerpt is enough to classify
		}
	}
	resp := &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: body}
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return resp, &providers.Error{Kind: providers.Invalid, Provider: c.Provider, Op: req.Op,
				Status: hresp.StatusCode, Message: fmt.Sprintf("answer larger than %d bytes refused", c.maxBody()),
				Hint: "The server sent an oversized answer; try again later or report it."}
		}
		return resp, c.transportError(ctx, req.Op, err)
	}
	if ok {
		return resp, nil
	}
	return resp, c.classify(req.Op, resp)
}

func (c *Client) build(ctx context.Context, req Request) (*http.Request, error) {
	u, err := c.resolve(req.Path)
	if err != nil {
		return nil, &providers.Error{Kind: providers.Invalid, Provider: c.Provider, Op: req.Op,
			Message: "bad request URL: " + Sanitize(err.Error())}
	}
	if len(req.Query) > 0 {
		q := u.Query()
		for k, vs := range req.Query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	var body io.Reader
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if req.Body != nil {
		var b []byte
		switch v := req.Body.(type) {
		case []byte:
			b = v
		case json.RawMessage:
			b = v
		default:
			b, err = json.Marshal(v)
			if err != nil {
				return nil, &providers.Error{Kind: providers.Invalid, Provider: c.Provider, Op: req.Op,
					Message: "cannot encode request: " + Sanitize(err.Error()), Err: err}
			}
		}
		body = bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, &providers.Error{Kind: providers.Invalid, Provider: c.Provider, Op: req.Op,
			Message: "bad request: " + Sanitize(err.Error())}
	}
	hreq.Header.Set("Accept", "application/json")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	for k, vs := range req.Header {
		hreq.Header.Del(k)
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	return hreq, nil
}

func (c *Client) resolve(p string) (*url.URL, error) {
	ref, err := url.Parse(p)
	if err != nil {
		return nil, err
	}
	if ref.IsAbs() {
		return ref, nil
	}
	base, err := url.Parse(c.Base)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		if base.RawPath != "" {
			base.RawPath += "/"
		}
	}
	return base.ResolveReference(&url.URL{Path: strings.TrimPrefix(ref.Path, "/"),
		RawPath: strings.TrimPrefix(ref.RawPath, "/"), RawQuery: ref.RawQuery}), nil
}

var errTooLarge = errors.New("body too large")

func (c *Client) maxBody() int64 {
	if c.MaxBody > 0 {
		return c.MaxBody
	}
	return MaxBody
}

func (c *Client) readBody(r io.Reader) ([]byte, error) {
	return ReadLimited(r, c.maxBody())
}

// ReadLimited reads all of r but refuses more than max bytes.
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > max {
		return b[:max], errTooLarge
	}
	return b, nil
}

// transportError turns a failure to get any answer into an error. A *providers.Error
// already in the chain (the token source classified a refresh failure) wins; a cancelled
// context is reported as Network with the context error so callers can tell.
func (c *Client) transportError(ctx context.Context, op string, err error) error {
	if pe, ok := providers.AsError(err); ok {
		cp := *pe
		if cp.Provider == "" {
			cp.Provider = c.Provider
		}
		if cp.Op == "" || cp.Op == "refresh token" {
			cp.Op = op
		}
		return &cp
	}
	return &providers.Error{Kind: providers.Network, Provider: c.Provider, Op: op,
		Message: Sanitize(err.Error()), Hint: "Check the network connection and try again.",
		Err: Redact(err)}
}

func (c *Client) classify(op string, resp *Response) error {
	var pe *providers.Error
	if c.Classify != nil {
		pe = c.Classify(resp)
	}
	if pe == nil {
		pe = ClassifyStatus(resp)
	}
	if pe.Provider == "" {
		pe.Provider = c.Provider
	}
	if pe.Op == "" {
		pe.Op = op
	}
	if pe.Status == 0 {
		pe.Status = resp.Status
	}
	pe.Message = Sanitize(pe.Message)
	if pe.RetryAfter == 0 && (pe.Kind == providers.RateLimited || pe.Kind == providers.Unavailable) {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		pe.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now())
	}
	return pe
}

// ClassifyStatus maps a status code alone to a Kind: the fallback when an envelope says
// nothing more specific.
func ClassifyStatus(resp *Response) *providers.Error {
	return &providers.Error{Kind: KindForStatus(resp.Status), Status: resp.Status}
}

// KindForStatus is the status-only guess. 403 is ambiguous on every provider (scope,
// read-only, rate limit), so it is only ReadOnly here when nothing better is known.
func KindForStatus(status int) providers.Kind {
	switch {
	case status == http.StatusUnauthorized:
		return providers.AuthExpired
	case status == http.StatusForbidden:
		return providers.ReadOnly
	case status == http.StatusNotFound, status == http.StatusGone:
		return providers.NotFound
	case status == http.StatusConflict, status == http.StatusPreconditionFailed:
		return providers.Conflict
	case status == http.StatusTooManyRequests:
		return providers.RateLimited
	case status >= 500:
		return providers.Unavailable
	default:
		return providers.Invalid
	}
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP-date relative to
// now. Missing, malformed or past values give 0; absurd values are capped at one day.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := parseUint(v); err == nil {
		d = time.Duration(n) * time.Second
		if n > 86400 {
			d = 24 * time.Hour
		}
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	if d > 24*time.Hour {
		d = 24 * time.Hour
	}
	return d
}

func parseUint(s string) (int64, error) {
	if s == "" || len(s) > 12 {
		return 0, errors.New("not a number")
	}
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errors.New("not a number")
		}
		n = n*10 + int64(r-'0')
	}
	return n, nil
}
