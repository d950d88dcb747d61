package google

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"github.com/calsync/calsync/providers/internal/zonecache"
)

type calendarList struct {
	Items []struct {
		ID              string `json:"id"`
		Summary         string `json:"summary"`
		SummaryOverride string `json:"summaryOverride"`
		TimeZone        string `json:"timeZone"`
		AccessRole      string `json:"accessRole"`
		Primary         bool   `json:"primary"`
	} `json:"items"`
	NextPageToken string `json:"nextPageToken"`
}

type eventList struct {
	TimeZone      string            `json:"timeZone"`
	AccessRole    string            `json:"accessRole"`
	Items         []json.RawMessage `json:"items"`
	NextPageToken string            `json:"nextPageToken"`
	NextSyncToken string            `json:"nextSyncToken"`
}

// gEvent is the part of a Google event resource calsync reads and writes.
type gEvent struct {
	ID                 string     `json:"id,omitempty"`
	Etag               string     `json:"etag,omitempty"`
	Status             string     `json:"status,omitempty"`
	Updated            string     `json:"updated,omitempty"`
	Summary            *string    `json:"summary,omitempty"`
	Description        *string    `json:"description,omitempty"`
	Location           *string    `json:"location,omitempty"`
	Start              *gTime     `json:"start,omitempty"`
	End                *gTime     `json:"end,omitempty"`
	ICalUID            string     `json:"iCalUID,omitempty"`
	RecurringEventID   string     `json:"recurringEventId,omitempty"`
	ExtendedProperties *gExtProps `json:"extendedProperties,omitempty"`
	Organizer          *gPerson   `json:"organizer,omitempty"`
	GuestsCanModify    bool       `json:"guestsCanModify,omitempty"`
}

type gTime struct {
	Date     *string `json:"date"`
	DateTime *string `json:"dateTime"`
	TimeZone string  `json:"timeZone,omitempty"`
}

type gPerson struct {
	Email string `json:"email"`
	Self  bool   `json:"self"`
}

type gExtProps struct {
	Private map[string]string `json:"private,omitempty"`
}

// Cursor prefixes: calsync's cursor says which kind of Google token it carries, so a
// continuation page of a full listing stays Full and resends the window.
const (
	cursorFullPage = "full:" // pageToken of a full listing
	// cursorIncPage is a page of an increment: the syncToken the increment started from
	// (base64url) and the pageToken, joined by ".". Google's sync guide pages an
	// incremental listing by repeating the same query, syncToken included, plus
	// pageToken; a bare pageToken is not that query.
	cursorIncPage = "inc2:"
	// cursorOldIncPage is the earlier form, a bare pageToken: it cannot be replayed
	// correctly, so it restarts the listing.
	cursorOldIncPage = "inc:"
	cursorSync       = "sync:" // nextSyncToken: start of the next increment
)

// Changes lists one page; see providers.Provider.
func (c *Client) Changes(ctx context.Context, cal, cursor string, win providers.Window) (providers.ChangePage, error) {
	q := url.Values{"singleEvents": {"true"}, "maxResults": {strconv.Itoa(c.pageSize())}}
	full := true
	syncToken := ""
	switch {
	case cursor == "":
	case strings.HasPrefix(cursor, cursorFullPage):
		q.Set("pageToken", strings.TrimPrefix(cursor, cursorFullPage))
	case strings.HasPrefix(cursor, cursorIncPage):
		enc, page, ok := strings.Cut(strings.TrimPrefix(cursor, cursorIncPage), ".")
		st, err := base64.RawURLEncoding.DecodeString(enc)
		if !ok || err != nil || len(st) == 0 || page == "" {
			return providers.ChangePage{}, staleCursor()
		}
		syncToken = string(st)
		q.Set("syncToken", syncToken)
		q.Set("pageToken", page)
		full = false
	case strings.HasPrefix(cursor, cursorOldIncPage):
		return providers.ChangePage{}, staleCursor()
	default:
		syncToken = strings.TrimPrefix(cursor, cursorSync)
		q.Set("syncToken", syncToken)
		full = false
	}
	if full {
		if !win.Start.IsZero() {
			q.Set("timeMin", win.Start.UTC().Format(time.RFC3339))
		}
		if !win.End.IsZero() {
			q.Set("timeMax", win.End.UTC().Format(time.RFC3339))
		}
	} else {
		// Deleted events must reach an increment; Google sends them anyway with syncToken.
		q.Set("showDeleted", "true")
	}
	var resp eventList
	if _, err := c.do(ctx, httpapi.Request{Op: "list events", Path: eventsPath(cal), Query: q}, &resp); err != nil {
		return providers.ChangePage{}, err
	}
	return buildPage(resp, full, syncToken)
}

// staleCursor is the answer to a cursor that cannot be replayed: the engine starts over.
func staleCursor() error {
	return &providers.Error{Kind: providers.CursorExpired, Provider: Kind, Op: "list events",
		Message: "the saved change cursor cannot be replayed", Hint: hintCursor}
}

// buildPage converts a decoded list answer. Items that cannot be understood go to Bad
// with their id; the rest of the page still arrives.
// syncToken is the token an increment started from ("" for a full listing): the next
// page's cursor carries it.
func buildPage(resp eventList, full bool, syncToken string) (providers.ChangePage, error) {
	page := providers.ChangePage{Full: full}
	readOnly := readOnlyRole(resp.AccessRole)
	for _, raw := range resp.Items {
		ev, err := decodeEvent(raw, resp.TimeZone)
		if err != nil {
			page.Bad = append(page.Bad, providers.BadEvent{RemoteID: ev.RemoteID, Err: err})
			continue
		}
		ev.ReadOnly = ev.ReadOnly || readOnly
		page.Events = append(page.Events, ev)
	}
	switch {
	case resp.NextPageToken != "":
		page.More = true
		if full {
			page.NextCursor = cursorFullPage + resp.NextPageToken
		} else {
			page.NextCursor = cursorIncPage + base64.RawURLEncoding.EncodeToString([]byte(syncToken)) + "." + resp.NextPageToken
		}
	case resp.NextSyncToken != "":
		page.NextCursor = cursorSync + resp.NextSyncToken
	default:
		return page, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: "list events",
			Message: "the last page carries no nextSyncToken", Hint: "Try again later; if it persists, report it."}
	}
	return page, nil
}

func (c *Client) pageSize() int {
	if c.PageSize <= 0 {
		return DefaultPageSize
	}
	return min(c.PageSize, 2500)
}

func eventsPath(cal string) string { return "calendars/" + url.PathEscape(cal) + "/events" }

func eventPath(cal, id string) string { return eventsPath(cal) + "/" + url.PathEscape(id) }

// decodeEvent turns one item into an Event. On error the returned Event still carries the
// id when it could be read, so the bad event can be reported by id.
func decodeEvent(raw json.RawMessage, calTZ string) (providers.Event, error) {
	var g gEvent
	if err := json.Unmarshal(raw, &g); err != nil {
		var idOnly struct {
			ID any `json:"id"`
		}
		id := ""
		if json.Unmarshal(raw, &idOnly) == nil {
			if s, ok := idOnly.ID.(string); ok {
				id = s
			}
		}
		return providers.Event{RemoteID: id}, fmt.Errorf("undecodable event: %s", httpapi.Sanitize(err.Error()))
	}
	ev := providers.Event{RemoteID: g.ID, ETag: g.Etag, ICalUID: g.ICalUID, SeriesID: g.RecurringEventID}
	if g.ID == "" {
		return ev, fmt.Errorf("event without id")
	}
	if g.ExtendedProperties != nil {
		ev.ActivityID = g.ExtendedProperties.Private[TagProperty]
	}
	if g.Status == "cancelled" {
		ev.Deleted = true
		return ev, nil
	}
	if g.Summary != nil {
		ev.Subject = *g.Summary
	}
	if g.Description != nil {
		ev.Description = *g.Description
	}
	if g.Location != nil {
		ev.Location = *g.Location
	}
	if g.Updated != "" {
		t, err := time.Parse(time.RFC3339, g.Updated)
		if err != nil {
			return ev, fmt.Errorf("bad updated time %q", httpapi.Sanitize(g.Updated))
		}
		ev.Updated = t.UTC()
	}
	var err error
	var startAll, endAll bool
	var startTZ string
	if ev.Start, startAll, startTZ, err = parseTime(g.Start, calTZ); err != nil {
		return ev, fmt.Errorf("bad start: %w", err)
	}
	if ev.End, endAll, _, err = parseTime(g.End, calTZ); err != nil {
		return ev, fmt.Errorf("bad end: %w", err)
	}
	if startAll != endAll {
		return ev, fmt.Errorf("start and end mix date and dateTime")
	}
	if ev.End.Before(ev.Start) {
		return ev, fmt.Errorf("ends before it starts")
	}
	ev.AllDay, ev.TimeZone = startAll, startTZ
	if g.Organizer != nil && !g.Organizer.Self && !g.GuestsCanModify {
		// Someone else's meeting: changes made here would only change our copy.
		ev.ReadOnly = true
	}
	return ev, nil
}

// parseTime reads a start/end. All-day dates are midnight in the event's (or calendar's)
// zone; the returned zone name is the one the event was written in.
func parseTime(t *gTime, calTZ string) (time.Time, bool, string, error) {
	if t == nil {
		return time.Time{}, false, "", fmt.Errorf("missing")
	}
	tz := firstNonEmpty(t.TimeZone, calTZ, "UTC")
	loc, err := zonecache.Load(tz)
	if err != nil {
		loc, tz = time.UTC, "UTC"
	}
	switch {
	case t.DateTime != nil && *t.DateTime != "":
		v, err := time.Parse(time.RFC3339, *t.DateTime)
		if err != nil {
			return time.Time{}, false, "", fmt.Errorf("dateTime %q is not RFC 3339", httpapi.Sanitize(*t.DateTime))
		}
		return v.UTC(), false, tz, nil
	case t.Date != nil && *t.Date != "":
		v, err := time.ParseInLocation("2006-01-02", *t.Date, loc)
		if err != nil {
			return time.Time{}, false, "", fmt.Errorf("date %q is not YYYY-MM-DD", httpapi.Sanitize(*t.Date))
		}
		return v.UTC(), true, tz, nil
	}
	return time.Time{}, false, "", fmt.Errorf("neither date nor dateTime")
}

// encodeEvent builds the JSON body for insert/patch. Both date and dateTime are always
// sent (one as null) so a PATCH can switch an event between timed and all-day.
func encodeEvent(ev providers.Event) (map[string]any, error) {
	if ev.End.Before(ev.Start) {
		return nil, fmt.Errorf("event ends before it starts")
	}
	// The zone is always sent: without it Google reads an all-day date in the calendar's
	// zone, and the event would not read back as written.
	tz := firstNonEmpty(ev.TimeZone, "UTC")
	loc, err := zonecache.Load(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", httpapi.Sanitize(tz))
	}
	when := func(t time.Time) map[string]any {
		m := map[string]any{}
		if ev.AllDay {
			m["date"], m["dateTime"] = t.In(loc).Format("2006-01-02"), nil
		} else {
			m["date"], m["dateTime"] = nil, t.In(loc).Format(time.RFC3339)
		}
		m["timeZone"] = tz
		return m
	}
	end := ev.End
	if ev.AllDay && !end.After(ev.Start) {
		end = ev.Start.AddDate(0, 0, 1) // Google refuses an empty all-day range
	}
	body := map[string]any{"summary": ev.Subject, "description": ev.Description, "location": ev.Location,
		"start": when(ev.Start), "end": when(end)}
	if ev.ActivityID != "" {
		body["extendedProperties"] = map[string]any{"private": map[string]string{TagProperty: ev.ActivityID}}
	}
	return body, nil
}

func (c *Client) readEvent(ctx context.Context, op, cal string, resp *httpapi.Response) (providers.Event, error) {
	ev, err := decodeEvent(resp.Body, "")
	if err != nil {
		return ev, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Status: resp.Status,
			Message: err.Error(), Err: err}
	}
	return ev, nil
}

// Create inserts ev with the id derived from its activity id. A 409 duplicate means the id
// is taken: by an earlier attempt that already made the event (fetched and returned), or
// by calsync's own event that was deleted since — Google keeps deleted events (status
// cancelled) and never frees their ids, so such an event is restored instead: an update
// setting status confirmed with the new content brings it back under the same id.
func (c *Client) Create(ctx context.Context, cal string, ev providers.Event) (providers.Event, error) {
	const op = "create event"
	if ev.ActivityID == "" {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Message: errNoActivity.Error()}
	}
	id := EventID(ev.ActivityID)
	if len(id) > 1024 {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Message: "activity id too long for a Google event id"}
	}
	body, err := encodeEvent(ev)
	if err != nil {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Message: err.Error()}
	}
	body["id"] = id
	resp, err := c.do(ctx, httpapi.Request{Op: op, Method: http.MethodPost, Path: eventsPath(cal), Body: body}, nil)
	if err == nil {
		return c.readEvent(ctx, op, cal, resp)
	}
	pe, ok := providers.AsError(err)
	if !ok || pe.Code != "duplicate" {
		return providers.Event{}, err
	}
	resp, err = c.do(ctx, httpapi.Request{Op: "fetch existing event", Path: eventPath(cal, id)}, nil)
	if err != nil {
		return providers.Event{}, err
	}
	got, err := c.readEvent(ctx, op, cal, resp)
	if err != nil {
		return got, err
	}
	// The id is derived from this activity id, so an event there is ours unless it is
	// tagged for another activity (a cancelled one may come back without its tag).
	if got.ActivityID != ev.ActivityID && (got.ActivityID != "" || !got.Deleted) {
		return got, &providers.Error{Kind: providers.Conflict, Provider: Kind, Op: op, Status: http.StatusConflict, Code: "duplicate",
			Message: "an event with this id exists but belongs to another activity"}
	}
	if got.Deleted {
		return c.restore(ctx, cal, id, got.ETag, ev)
	}
	return got, nil
}

// restore brings back calsync's deleted event id with ev's content. The If-Match on the
// deleted event's etag keeps a concurrent change from being overwritten (Conflict).
// Where Google refuses (the event was purged for good), the create is a Conflict the
// engine sets aside, as before restoring existed.
func (c *Client) restore(ctx context.Context, cal, id, etag string, ev providers.Event) (providers.Event, error) {
	const op = "restore deleted event"
	body, err := encodeEvent(ev)
	if err != nil {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Message: err.Error()}
	}
	body["status"] = "confirmed"
	req := httpapi.Request{Op: op, Method: http.MethodPatch, Path: eventPath(cal, id), Body: body}
	if etag != "" {
		req.Header = http.Header{"If-Match": {etag}}
	}
	resp, err := c.do(ctx, req, nil)
	if providers.IsKind(err, providers.NotFound) {
		return providers.Event{}, &providers.Error{Kind: providers.Conflict, Provider: Kind, Op: "create event", Status: http.StatusConflict, Code: "duplicate",
			Message: "the event for this activity was deleted in Google Calendar and its id cannot be reused",
			Hint:    "The event was deleted in the calendar; decide whether the activity should stay unsynced.", Err: err}
	}
	if err != nil {
		return providers.Event{}, err
	}
	out, err := c.readEvent(ctx, op, cal, resp)
	if err == nil && out.Deleted {
		return out, &providers.Error{Kind: providers.Conflict, Provider: Kind, Op: op, Status: resp.Status,
			Message: "Google kept the event deleted after restoring it"}
	}
	return out, err
}

// Update patches the event if its etag is still ifMatch.
func (c *Client) Update(ctx context.Context, cal string, ev providers.Event, ifMatch string) (providers.Event, error) {
	const op = "update event"
	if ev.RemoteID == "" {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Message: "event has no remote id"}
	}
	body, err := encodeEvent(ev)
	if err != nil {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: op, Message: err.Error()}
	}
	req := httpapi.Request{Op: op, Method: http.MethodPatch, Path: eventPath(cal, ev.RemoteID), Body: body}
	if ifMatch != "" {
		req.Header = http.Header{"If-Match": {ifMatch}}
	}
	resp, err := c.do(ctx, req, nil)
	if err != nil {
		return providers.Event{}, err
	}
	return c.readEvent(ctx, op, cal, resp)
}

// Delete removes the event if its etag is still ifMatch; an event already gone is fine.
func (c *Client) Delete(ctx context.Context, cal, remoteID, ifMatch string) error {
	req := httpapi.Request{Op: "delete event", Method: http.MethodDelete, Path: eventPath(cal, remoteID)}
	if ifMatch != "" {
		req.Header = http.Header{"If-Match": {ifMatch}}
	}
	_, err := c.do(ctx, req, nil)
	if providers.IsKind(err, providers.NotFound) {
		return nil
	}
	return err
}
