package microsoft

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
)

// immutableIDs asks Graph for ids that survive an event being moved between folders
// (the default ids change then, which would orphan calsync's links). It is sent on every
// event request so ids are read, written and looked up in the same form.
const immutableIDs = `IdType="ImmutableId"`

// readPrefs asks Graph for UTC times and plain-text bodies: calsync stores UTC and text.
func readPrefs() http.Header {
	h := http.Header{}
	h.Add("Prefer", immutableIDs)
	h.Add("Prefer", `outlook.timezone="UTC"`)
	h.Add("Prefer", `outlook.body-content-type="text"`)
	return h
}

type calendarList struct {
	Value []struct {
		ID                string `json:"id"`
		Name              string `json:"name"`
		CanEdit           bool   `json:"canEdit"`
		IsDefaultCalendar bool   `json:"isDefaultCalendar"`
		Owner             struct {
			Address string `json:"address"`
		} `json:"owner"`
	} `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// Calendars lists the user's calendars; canEdit false means read-only (a calendar shared
// with the user for reading), isDefaultCalendar is the primary one.
func (c *Client) Calendars(ctx context.Context) ([]providers.Calendar, error) {
	var out []providers.Calendar
	path := "me/calendars?$top=100"
	seen := map[string]bool{}
	for range 100 {
		var resp calendarList
		if _, err := c.do(ctx, httpapi.Request{Op: "list calendars", Path: path}, &resp); err != nil {
			return nil, err
		}
		c.mu.Lock()
		for _, v := range resp.Value {
			c.canEdit[v.ID] = v.CanEdit
			out = append(out, providers.Calendar{ID: v.ID, Name: v.Name, ReadOnly: !v.CanEdit,
				Primary: v.IsDefaultCalendar, Events: true})
		}
		c.mu.Unlock()
		if resp.NextLink == "" {
			return out, nil
		}
		next, err := relativeLink(c.api.Base, resp.NextLink)
		if err != nil || seen[next] {
			break
		}
		seen[next] = true
		path = next
	}
	return nil, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: "list calendars",
		Message: "calendar list paging does not end", Hint: "Try again later; if it persists, report it."}
}

// defaultWindow is used when the caller gives none: calendarView needs both ends.
func defaultWindow(now time.Time, w providers.Window) (time.Time, time.Time) {
	start, end := w.Start, w.End
	if start.IsZero() {
		start = now.AddDate(-1, 0, 0)
	}
	if end.IsZero() {
		end = now.AddDate(2, 0, 0)
	}
	return start.UTC().Truncate(time.Second), end.UTC().Truncate(time.Second)
}

type deltaPage struct {
	Value     []json.RawMessage `json:"value"`
	NextLink  string            `json:"@odata.nextLink"`
	DeltaLink string            `json:"@odata.deltaLink"`
}

// Changes reads one page of calendarView delta. cursor "" starts a round (a full listing
// of the window); otherwise it replays the nextLink / deltaLink the previous page gave.
func (c *Client) Changes(ctx context.Context, cal string, cur string, win providers.Window) (providers.ChangePage, error) {
	const op = "list changes"
	start, end := defaultWindow(c.now(), win)
	var cs cursor
	var path string
	if cur == "" {
		cs = cursor{Full: true, Start: start.Unix(), End: end.Unix()}
		q := url.Values{"startDateTime": {start.Format(time.RFC3339)}, "endDateTime": {end.Format(time.RFC3339)}}
		path = deltaPath(cal) + "?" + q.Encode()
	} else {
		var err error
		cs, err = decodeCursor(cur)
		switch {
		case err != nil || !cs.belongsTo(cal):
			return providers.ChangePage{}, &providers.Error{Kind: providers.CursorExpired, Provider: Kind, Op: op,
				Message: "the saved change cursor is not a delta link of this calendar",
				Hint:    "calsync does a full listing of the calendar instead."}
		case !cs.Full && !cs.fits(start, end):
			return providers.ChangePage{}, &providers.Error{Kind: providers.CursorExpired, Provider: Kind, Op: op,
				Message: "the sync window moved since the change token was taken",
				Hint:    "calsync does a full listing of the new window."}
		}
		path, err = replayURL(c.api.Base, cs.Link)
		if err != nil {
			return providers.ChangePage{}, &providers.Error{Kind: providers.CursorExpired, Provider: Kind, Op: op,
				Message: err.Error(), Hint: "calsync does a full listing of the calendar instead."}
		}
	}
	cs.Cal = cal
	h := readPrefs()
	size := c.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	h.Add("Prefer", fmt.Sprintf("odata.maxpagesize=%d", size))
	var page deltaPage
	if _, err := c.do(ctx, httpapi.Request{Op: op, Path: path, Header: h}, &page); err != nil {
		return providers.ChangePage{}, err
	}
	out := providers.ChangePage{Full: cs.Full}
	var removed []string
	for _, raw := range page.Value {
		ev, err := decodeEvent(raw)
		if err != nil {
			out.Bad = append(out.Bad, providers.BadEvent{RemoteID: ev.RemoteID, Err: err})
			continue
		}
		if isRemoved(raw) {
			removed = append(removed, ev.RemoteID)
			continue
		}
		out.Events = append(out.Events, ev)
	}
	if err := c.fillTags(ctx, out.Events); err != nil {
		return providers.ChangePage{}, err
	}
	win2 := providers.Window{Start: time.Unix(cs.Start, 0).UTC(), End: time.Unix(cs.End, 0).UTC()}
	for _, id := range removed {
		ev, keep, err := c.confirmRemoved(ctx, id, win2)
		if err != nil {
			return providers.ChangePage{}, err
		}
		if keep {
			out.Events = append(out.Events, ev)
		}
	}
	link := page.NextLink
	out.More = link != ""
	if !out.More {
		link = page.DeltaLink
		cs.Full = false
	}
	if link == "" {
		return providers.ChangePage{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op,
			Message: "Graph answered a delta page with neither nextLink nor deltaLink",
			Hint:    "Try again later; calsync keeps the previous change token."}
	}
	if u, err := url.Parse(link); err != nil || !u.IsAbs() {
		return providers.ChangePage{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op,
			Message: "Graph sent an unreadable next/delta link", Hint: "Try again later; calsync keeps the previous change token."}
	}
	cs.Link = link
	out.NextCursor = cs.encode()
	return out, nil
}

// isRemoved reports whether a delta entry is an @removed marker.
func isRemoved(raw json.RawMessage) bool {
	var w struct {
		Removed json.RawMessage `json:"@removed"`
	}
	return json.Unmarshal(raw, &w) == nil && len(w.Removed) > 0 && string(w.Removed) != "null"
}

// confirmRemoved decides what an @removed entry means. In a calendarView delta it marks
// an event deleted OR moved or edited out of the window (event-delta reference;
// PROVIDERS.md, Microsoft Graph): only a 404 on a GET of the event proves a deletion.
// It returns the event to report (Deleted when gone, the current event when it is still
// in the window) and keep=false when the event lives on outside the window: calsync then
// leaves the activity alone instead of deleting it.
func (c *Client) confirmRemoved(ctx context.Context, id string, win providers.Window) (providers.Event, bool, error) {
	expand := "singleValueExtendedProperties($filter=id eq '" + TagPropertyID + "')"
	path := "me/events/" + url.PathEscape(id) + "?$expand=" + strings.ReplaceAll(url.QueryEscape(expand), "+", "%20")
	resp, err := c.do(ctx, httpapi.Request{Op: "check removed event", Path: path, Header: readPrefs()}, nil)
	switch {
	case providers.IsKind(err, providers.NotFound):
		return providers.Event{RemoteID: id, Deleted: true}, true, nil
	case err != nil:
		return providers.Event{}, false, err
	}
	ev, err := decodeEvent(resp.Body)
	if err != nil {
		// Unreadable but present: not a deletion. The next full listing reports it as Bad.
		return providers.Event{}, false, nil
	}
	if ev.Deleted {
		return ev, true, nil
	}
	if !win.Contains(ev.Start, ev.End) {
		return providers.Event{}, false, nil
	}
	return ev, true, nil
}

// batchMax is how many steps calsync puts in one JSON batch. Graph accepts 20, but runs
// the steps against one mailbox in parallel and the mailbox allows 4 concurrent
// requests: bigger batches get 429 MailboxConcurrency on the extra steps (PROVIDERS.md,
// Microsoft Graph; Graph throttling and batching docs).
const batchMax = 4

// stepRetries is how many times one throttled batch step is retried alone, and
// stepMaxWait the longest Retry-After calsync waits for inside a listing; a longer
// wait ends the page as RateLimited, which the engine retries later.
const (
	stepRetries = 3
	stepMaxWait = 30 * time.Second
)

// fillTags reads the ownership tag of the page's events. calendarView delta does not
// allow $expand, so the single-value extended property has to be read per event
// (GET with $expand=singleValueExtendedProperties($filter=id eq '...')), batchMax to a
// JSON batch. A step answered 429 is retried alone after its Retry-After.
// Occurrences of a series are skipped: calsync never writes recurring events.
func (c *Client) fillTags(ctx context.Context, evs []providers.Event) error {
	const op = "read event tags"
	var idx []int
	for i, ev := range evs {
		if !ev.Deleted && ev.SeriesID == "" {
			idx = append(idx, i)
		}
	}
	expand := "singleValueExtendedProperties($filter=id eq '" + TagPropertyID + "')"
	q := "?$select=id&$expand=" + strings.ReplaceAll(url.QueryEscape(expand), "+", "%20")
	stepURL := func(i int) string { return "/me/events/" + url.PathEscape(evs[i].RemoteID) + q }
	for len(idx) > 0 {
		n := min(len(idx), batchMax)
		chunk := idx[:n]
		idx = idx[n:]
		type step struct {
			ID      string            `json:"id"`
			Method  string            `json:"method"`
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
		}
		var req struct {
			Requests []step `json:"requests"`
		}
		for k, i := range chunk {
			req.Requests = append(req.Requests, step{ID: fmt.Sprint(k), Method: "GET",
				URL: stepURL(i), Headers: map[string]string{"Prefer": immutableIDs}})
		}
		var resp struct {
			Responses []struct {
				ID      string            `json:"id"`
				Status  int               `json:"status"`
				Headers map[string]string `json:"headers"`
				Body    json.RawMessage   `json:"body"`
			} `json:"responses"`
		}
		if _, err := c.do(ctx, httpapi.Request{Op: op, Method: "POST", Path: "$batch", Body: req}, &resp); err != nil {
			return err
		}
		got := map[string]bool{}
		for _, r := range resp.Responses {
			var k int
			if _, err := fmt.Sscan(r.ID, &k); err != nil || k < 0 || k >= len(chunk) || got[r.ID] {
				continue
			}
			got[r.ID] = true
			hdr := http.Header{}
			for name, v := range r.Headers {
				hdr.Set(name, v)
			}
			ev := &evs[chunk[k]]
			if r.Status == http.StatusTooManyRequests {
				if err := c.retryTagStep(ctx, op, ev, stepURL(chunk[k]), c.subError(op, r.Status, hdr, r.Body)); err != nil {
					return err
				}
				continue
			}
			if err := c.applyTag(op, ev, r.Status, hdr, r.Body); err != nil {
				return err
			}
		}
		if len(got) != len(chunk) {
			return &providers.Error{Kind: providers.Unavailable, Provider: Kind, Op: op,
				Message: "Graph answered only part of a batch", Hint: "calsync retries later."}
		}
	}
	return nil
}

// applyTag reads one event's tag from a GET answer (a batch step or a request of its own).
func (c *Client) applyTag(op string, ev *providers.Event, status int, hdr http.Header, body []byte) error {
	switch {
	case status == http.StatusOK:
		var w wireEvent
		if json.Unmarshal(body, &w) == nil {
			for _, p := range w.Props {
				if strings.EqualFold(strings.Join(strings.Fields(p.ID), " "), TagPropertyID) {
					ev.ActivityID = p.Value
				}
			}
		}
	case status == http.StatusNotFound:
		// Deleted since the page was read: the next increment reports the removal.
	default:
		return c.sent.scrub(c.subError(op, status, hdr, body), c.ts.Redact)
	}
	return nil
}

// retryTagStep retries one throttled step alone, waiting the Retry-After Graph gave
// each time, so one throttled step does not fail the whole page.
func (c *Client) retryTagStep(ctx context.Context, op string, ev *providers.Event, stepURL string, throttled *providers.Error) error {
	last := throttled
	for range stepRetries {
		wait := last.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if wait > stepMaxWait {
			break
		}
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
		resp, err := c.api.Send(ctx, httpapi.Request{Op: op, Path: strings.TrimPrefix(stepURL, "/"),
			Header: http.Header{"Prefer": {immutableIDs}}})
		if err == nil {
			return c.applyTag(op, ev, resp.Status, resp.Header, resp.Body)
		}
		pe, ok := providers.AsError(err)
		switch {
		case ok && pe.Kind == providers.NotFound:
			return nil
		case ok && pe.Kind == providers.RateLimited:
			last = pe
		default:
			return c.sent.scrub(err, c.ts.Redact)
		}
	}
	return c.sent.scrub(last, c.ts.Redact)
}

func (c *Client) eventPath(cal, id string) string {
	return "me/calendars/" + url.PathEscape(cal) + "/events/" + url.PathEscape(id)
}

// Create writes ev with a transactionId derived from ev.ActivityID, so a retry after a
// crash is answered with the event the first attempt created.
func (c *Client) Create(ctx context.Context, cal string, ev providers.Event) (providers.Event, error) {
	const op = "create event"
	body, err := encodeEvent(ev)
	if err != nil {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Message: err.Error()}
	}
	if ev.ActivityID != "" {
		body.TransactionID = TransactionID(ev.ActivityID)
		// After a crash or a lost answer the first attempt's event may exist. Graph does
		// not document what a repeated transactionId returns, so look for the event by
		// its ownership tag first (PROVIDERS.md, Microsoft Graph).
		found, ok, err := c.findByTag(ctx, cal, ev.ActivityID)
		if err != nil {
			return providers.Event{}, c.explainDenied(ctx, cal, err)
		}
		if ok {
			return found, nil
		}
	}
	resp, err := c.do(ctx, httpapi.Request{Op: op, Method: "POST",
		Path: "me/calendars/" + url.PathEscape(cal) + "/events", Header: readPrefs(), Body: body}, nil)
	if err != nil {
		return providers.Event{}, c.explainDenied(ctx, cal, err)
	}
	return c.written(op, resp, ev)
}

// findByTag looks in cal for the event tagged with activityID (the documented filter
// on a single-value extended property).
func (c *Client) findByTag(ctx context.Context, cal, activityID string) (providers.Event, bool, error) {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	filter := "singleValueExtendedProperties/Any(ep: ep/id eq " + quote(TagPropertyID) + " and ep/value eq " + quote(activityID) + ")"
	expand := "singleValueExtendedProperties($filter=id eq '" + TagPropertyID + "')"
	q := url.Values{"$filter": {filter}, "$expand": {expand}, "$top": {"2"}}
	var list struct {
		Value []json.RawMessage `json:"value"`
	}
	if _, err := c.do(ctx, httpapi.Request{Op: "find event by tag", Path: "me/calendars/" + url.PathEscape(cal) + "/events",
		Query: q, Header: readPrefs()}, &list); err != nil {
		return providers.Event{}, false, err
	}
	for _, raw := range list.Value {
		ev, err := decodeEvent(raw)
		if err == nil && !ev.Deleted && ev.ActivityID == activityID {
			return ev, true, nil
		}
	}
	return providers.Event{}, false, nil
}

// written decodes the event a create or update returned. Graph does not echo extended
// properties unless expanded, so the tag is the one just written.
func (c *Client) written(op string, resp *httpapi.Response, ev providers.Event) (providers.Event, error) {
	got, err := decodeEvent(resp.Body)
	if err != nil {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op,
			Message: "unreadable event in the answer: " + err.Error()}
	}
	if got.ActivityID == "" {
		got.ActivityID = ev.ActivityID
	}
	return got, nil
}

// ifMatch turns a stored etag or bare changeKey into an If-Match value.
func ifMatch(etag string) string {
	if etag == "" || strings.HasPrefix(etag, "W/") || strings.HasPrefix(etag, `"`) {
		return etag
	}
	return `W/"` + etag + `"`
}

// Update replaces the event's fields (and re-writes the tag) if its etag is still ifMatch.
func (c *Client) Update(ctx context.Context, cal string, ev providers.Event, etag string) (providers.Event, error) {
	const op = "update event"
	if ev.RemoteID == "" {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Message: "no remote id"}
	}
	body, err := encodeEvent(ev)
	if err != nil {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Message: err.Error()}
	}
	h := readPrefs()
	if etag != "" {
		h.Set("If-Match", ifMatch(etag))
	}
	resp, err := c.do(ctx, httpapi.Request{Op: op, Method: "PATCH", Path: c.eventPath(cal, ev.RemoteID), Header: h, Body: body}, nil)
	if err != nil {
		return providers.Event{}, c.explainDenied(ctx, cal, err)
	}
	return c.written(op, resp, ev)
}

// Delete removes the event if its etag is still ifMatch; an event already gone is fine.
func (c *Client) Delete(ctx context.Context, cal, remoteID, etag string) error {
	const op = "delete event"
	h := http.Header{"Prefer": {immutableIDs}}
	if etag != "" {
		h.Set("If-Match", ifMatch(etag))
	}
	_, err := c.do(ctx, httpapi.Request{Op: op, Method: "DELETE", Path: c.eventPath(cal, remoteID), Header: h}, nil)
	if providers.IsKind(err, providers.NotFound) {
		return nil
	}
	if err != nil {
		return c.explainDenied(ctx, cal, err)
	}
	return nil
}

// Access reports the account (mail, else user principal name) and the granted scopes
// against NeededScopes.
func (c *Client) Access(ctx context.Context) (providers.AccessReport, error) {
	r := providers.AccessReport{Login: c.login, Needed: append([]string(nil), NeededScopes...)}
	var me struct {
		Mail              string `json:"mail"`
		UserPrincipalName string `json:"userPrincipalName"`
	}
	_, err := c.do(ctx, httpapi.Request{Op: "read account", Path: "me",
		Query: url.Values{"$select": {"mail,userPrincipalName"}}}, &me)
	switch {
	case err == nil:
		if me.Mail != "" {
			r.Login = me.Mail
		} else if me.UserPrincipalName != "" {
			r.Login = me.UserPrincipalName
		}
	case providers.IsKind(err, providers.InsufficientScope):
		// Without User.Read the account cannot be named; the scopes still say enough.
	default:
		return r, err
	}
	granted := shortScopes(c.ts.Granted())
	r.Granted = granted
	if len(granted) == 0 {
		// The token response did not list scopes: find out by reading the calendar list.
		if _, err := c.Calendars(ctx); err != nil {
			if providers.IsKind(err, providers.InsufficientScope) {
				r.Missing = []string{ScopeCalendarsReadWrite}
				return r, nil
			}
			return r, err
		}
		r.CanWrite = true
		return r, nil
	}
	r.CanWrite = canWrite(granted)
	if !r.CanWrite {
		r.Missing = append(r.Missing, ScopeCalendarsReadWrite)
	}
	if !hasScope(granted, ScopeOfflineAccess) {
		if tok, err := c.ts.TokenContext(ctx); err != nil || tok.RefreshToken == "" {
			r.Missing = append(r.Missing, ScopeOfflineAccess)
		}
	}
	return r, nil
}

var _ providers.Provider = (*Client)(nil)
