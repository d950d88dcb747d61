package microsoft

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
)

// graphErrorBody is Graph's error envelope.
type graphErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			RequestID string `json:"request-id"`
			Date      string `json:"date"`
		} `json:"innerError"`
	} `json:"error"`
}

// Classify maps a Graph error answer to a provider error, by the envelope's code
// (compared case-insensitively: Graph spells SyncStateNotFound and resyncRequired
// differently) and status. 403 ErrorAccessDenied is reported as InsufficientScope here;
// writes refine it with explainDenied, which can tell a read-only calendar apart.
func Classify(resp *httpapi.Response) *providers.Error {
	var env graphErrorBody
	_ = json.Unmarshal(resp.Body, &env)
	code := env.Error.Code
	low := strings.ToLower(code)
	pe := &providers.Error{Code: code, Message: env.Error.Message}
	if id := env.Error.InnerError.RequestID; id != "" && len(id) <= 64 {
		pe.Message += " (request-id " + id + ")"
	}
	switch {
	case low == "syncstatenotfound" || low == "resyncrequired" || low == "syncstateinvalid" || resp.Status == http.StatusGone:
		pe.Kind = providers.CursorExpired
		pe.Hint = "Microsoft no longer knows the saved change token: calsync does a full listing of the calendar."
	case low == "mailboxnotenabledforrestapi" || low == "mailboxnotsupportedforrestapi" || low == "errormailboxnotenabledforrestapi":
		// The account signed in but has no Exchange Online mailbox (unlicensed, or hosted
		// on-premises): signing in again will not help.
		pe.Kind = providers.Invalid
		pe.Hint = "This Microsoft account has no Exchange Online mailbox (no licence, or the mailbox is on-premises): use an account with an Outlook mailbox, or connect the server over CalDAV."
	case resp.Status == http.StatusUnauthorized || low == "invalidauthenticationtoken":
		pe.Kind = providers.AuthExpired
		pe.Hint = "The Microsoft sign-in expired or was revoked: reconnect the account."
	case resp.Status == http.StatusForbidden && (low == "erroraccessdenied" || low == "authorization_requestdenied" || low == "accessdenied"):
		pe.Kind = providers.InsufficientScope
		pe.Hint = "Microsoft refused access: reconnect the account and allow calendar access (Calendars.ReadWrite); if your organisation restricts apps, ask your IT admin."
	case resp.Status == http.StatusNotFound || low == "erroritemnotfound" || low == "itemnotfound":
		pe.Kind = providers.NotFound
		pe.Hint = "The event or calendar no longer exists in Microsoft 365."
	case resp.Status == http.StatusPreconditionFailed || resp.Status == http.StatusConflict || low == "errorirresolvableconflict":
		pe.Kind = providers.Conflict
		pe.Hint = "The event changed in Outlook since calsync last read it; calsync re-reads it and decides again."
	case resp.Status == http.StatusTooManyRequests || low == "toomanyrequests" || low == "applicationthrottled" || low == "errortoomanyobjectsopened":
		pe.Kind = providers.RateLimited
		pe.Hint = "Microsoft asks calsync to slow down; it retries after the delay Microsoft gave."
	case resp.Status >= 500 || low == "servicenotavailable":
		pe.Kind = providers.Unavailable
		pe.Hint = "Microsoft 365 is having trouble; calsync retries later."
	case resp.Status == http.StatusForbidden:
		pe.Kind = providers.InsufficientScope
		pe.Hint = "Microsoft refused access: reconnect the account and allow calendar access; if your organisation restricts apps, ask your IT admin."
	default:
		pe.Kind = providers.Invalid
		pe.Hint = "Microsoft refused the request as malformed; if it keeps happening, report it with the request-id."
	}
	return pe
}

// explainDenied decides what a 403 ErrorAccessDenied on a write to cal means. Graph says
// the same thing for a missing Calendars.ReadWrite grant and for a calendar shared
// read-only, so the evidence is: the scopes the token response granted, then the
// calendar's canEdit as Graph lists it now.
func (c *Client) explainDenied(ctx context.Context, cal string, err error) error {
	pe, ok := providers.AsError(err)
	if !ok || pe.Status != http.StatusForbidden || pe.Kind != providers.InsufficientScope {
		return err
	}
	granted := c.ts.Granted()
	if len(granted) > 0 && !canWrite(granted) {
		cp := *pe
		cp.Hint = "calsync was not granted Calendars.ReadWrite: reconnect the account and accept calendar access (if your organisation requires it, ask your IT admin to consent)."
		return &cp
	}
	var cj struct {
		CanEdit *bool  `json:"canEdit"`
		Name    string `json:"name"`
	}
	_, cerr := c.do(ctx, httpapi.Request{Op: "read calendar", Path: "me/calendars/" + url.PathEscape(cal),
		Query: url.Values{"$select": {"canEdit,name"}}}, &cj)
	if cerr != nil {
		if providers.KindOf(cerr).Retryable() {
			// No evidence now; a retry will decide. Better than guessing the wrong fix.
			return cerr
		}
		c.mu.Lock()
		known, ok := c.canEdit[cal]
		c.mu.Unlock()
		if ok {
			cj.CanEdit = &known
		}
	}
	if cj.CanEdit != nil && !*cj.CanEdit {
		c.mu.Lock()
		c.canEdit[cal] = false
		c.mu.Unlock()
		cp := *pe
		cp.Kind = providers.ReadOnly
		cp.Hint = "This calendar is shared with you read-only: choose a calendar you can edit, or ask its owner for edit access."
		return &cp
	}
	cp := *pe
	cp.Hint = "Microsoft refused the write although the calendar is editable: reconnect the account and accept calendar access; if it persists, your IT admin may restrict calsync's mailbox access."
	return &cp
}

// subError classifies one step of a JSON batch as if it had been a request of its own.
func (c *Client) subError(op string, status int, hdr http.Header, body []byte) *providers.Error {
	resp := &httpapi.Response{Status: status, Header: hdr, Body: body}
	pe := Classify(resp)
	pe.Provider, pe.Op, pe.Status = Kind, op, status
	pe.Message = httpapi.Sanitize(pe.Message)
	if pe.Kind == providers.RateLimited || pe.Kind == providers.Unavailable {
		pe.RetryAfter = httpapi.ParseRetryAfter(hdr.Get("Retry-After"), c.now())
	}
	return pe
}
