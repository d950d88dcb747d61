package googlefake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/calsync/calsync/providers/internal/zonecache"
)

var (
	readCalendarList = []string{ScopeCalendar, ScopeCalendarReadonly}
	readEvents       = []string{ScopeCalendar, ScopeCalendarReadonly, ScopeCalendarEvents, ScopeCalendarEventsReadonly}
	writeEvents      = []string{ScopeCalendar, ScopeCalendarEvents}
)

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/calendar/v3/")
	var seg []string
	for _, p := range strings.Split(raw, "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			writeErr(w, errNotFound())
			return
		}
		seg = append(seg, u)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(seg) == 3 && seg[0] == "users" && seg[1] == "me" && seg[2] == "calendarList" && r.Method == http.MethodGet:
		if s.gateLocked(w, r, "calendar.v3.CalendarList.List", readCalendarList) {
			s.calendarListLocked(w)
		}
	case len(seg) == 3 && seg[0] == "calendars" && seg[2] == "events":
		switch r.Method {
		case http.MethodGet:
			if s.gateLocked(w, r, "calendar.v3.Events.List", readEvents) {
				s.listLocked(w, r, seg[1])
			}
		case http.MethodPost:
			if s.gateLocked(w, r, "calendar.v3.Events.Insert", writeEvents) {
				s.insertLocked(w, r, seg[1])
			}
		default:
			writeErr(w, simpleErr(405, "global", "httpMethodNotAllowed", "Method Not Allowed"))
		}
	case len(seg) == 4 && seg[0] == "calendars" && seg[2] == "events":
		switch r.Method {
		case http.MethodGet:
			if s.gateLocked(w, r, "calendar.v3.Events.Get", readEvents) {
				s.getLocked(w, seg[1], seg[3])
			}
		case http.MethodPatch, http.MethodPut:
			name := "calendar.v3.Events.Patch"
			if r.Method == http.MethodPut {
				name = "calendar.v3.Events.Update"
			}
			if s.gateLocked(w, r, name, writeEvents) {
				s.updateLocked(w, r, seg[1], seg[3], r.Method == http.MethodPatch)
			}
		case http.MethodDelete:
			if s.gateLocked(w, r, "calendar.v3.Events.Delete", writeEvents) {
				s.deleteLocked(w, r, seg[1], seg[3])
			}
		default:
			writeErr(w, simpleErr(405, "global", "httpMethodNotAllowed", "Method Not Allowed"))
		}
	default:
		writeErr(w, errNotFound())
	}
}

// gateLocked applies, in Google's order, outage, credentials, rate limits and scopes.
func (s *Server) gateLocked(w http.ResponseWriter, r *http.Request, method string, need []string) bool {
	f := &s.st.Faults
	if f.ServerError {
		st := f.ServerErrorStatus
		if st == 0 {
			st = 503
		}
		s.spendFaultLocked()
		writeErr(w, errBackend(st))
		return false
	}
	scopes, ok := s.bearerLocked(r)
	if !ok {
		writeAuthErr(w)
		return false
	}
	if f.APINotEnabledProject != "" {
		writeErr(w, errAccessNotConfigured(f.APINotEnabledProject))
		return false
	}
	if f.DomainPolicy {
		writeErr(w, errDomainPolicy())
		return false
	}
	if f.RateLimited {
		ff := *f
		s.spendFaultLocked()
		writeRateLimit(w, ff)
		return false
	}
	if len(intersect(scopes, need)) == 0 {
		writeErr(w, errInsufficientScope(method))
		return false
	}
	return true
}

func (s *Server) spendFaultLocked() {
	f := &s.st.Faults
	if f.FailCount > 0 {
		f.FailCount--
		if f.FailCount == 0 {
			f.RateLimited, f.ServerError = false, false
		}
		s.dirty = true
	}
}

func (s *Server) calendarListLocked(w http.ResponseWriter) {
	type entry struct {
		Kind string `json:"kind"`
		Etag string `json:"etag"`
		Calendar
		BackgroundColor string `json:"backgroundColor"`
	}
	items := []entry{}
	for i, c := range s.st.Calendars {
		items = append(items, entry{Kind: "calendar#calendarListEntry", Etag: fmt.Sprintf(`"16%013d"`, i), Calendar: c.Calendar, BackgroundColor: "#9fe1e7"})
	}
	writeJSON(w, 200, map[string]any{"kind": "calendar#calendarList", "etag": `"p33g"`, "nextSyncToken": "CAL" + strconv.Itoa(len(items)), "items": items})
}

// listToken is what the fake packs into page and sync tokens (opaque to clients).
type listToken struct {
	Cal     string `json:"c"`
	Epoch   int64  `json:"e"`
	Since   int64  `json:"s,omitempty"` // increment: changes after this seq
	Snap    int64  `json:"n"`           // changes up to this seq belong to the listing
	Off     int    `json:"o,omitempty"`
	Sync    bool   `json:"y,omitempty"`
	TMin    string `json:"a,omitempty"`
	TMax    string `json:"b,omitempty"`
	Single  bool   `json:"g,omitempty"`
	Deleted bool   `json:"d,omitempty"`
}

func encodeToken(prefix string, t listToken) string {
	b, _ := json.Marshal(t)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(prefix, s string) (listToken, bool) {
	var t listToken
	if !strings.HasPrefix(s, prefix) {
		return t, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s[len(prefix):])
	if err != nil || json.Unmarshal(b, &t) != nil {
		return t, false
	}
	return t, true
}

func (s *Server) listLocked(w http.ResponseWriter, r *http.Request, calID string) {
	cal := s.calendarLocked(calID)
	if cal == nil {
		writeErr(w, errNotFound())
		return
	}
	q := r.URL.Query()
	max := 250
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeErr(w, errInvalid("Invalid value '"+v+"'. Values must match the following regular expression: '[0-9]+'"))
			return
		}
		max = min(n, 2500)
	}
	var tok listToken
	switch {
	case q.Get("pageToken") != "":
		t, ok := decodeToken("EhI", q.Get("pageToken"))
		if !ok || t.Cal != cal.ID {
			writeErr(w, errInvalid("Invalid page token value."))
			return
		}
		if t.Sync {
			// Paging an incremental listing repeats the same query: the same syncToken plus
			// pageToken (PROVIDERS.md, Google, after the sync guide). A bare pageToken is
			// another query, which Google does not promise to answer as the increment.
			st, ok := decodeToken("CPD", q.Get("syncToken"))
			if q.Get("syncToken") == "" || !ok || st.Cal != cal.ID || st.Snap != t.Since {
				writeErr(w, errInvalid("Invalid page token value: an incremental listing must be paged with the same syncToken."))
				return
			}
		}
		if t.Sync && t.Epoch != cal.Epoch {
			writeErr(w, errFullSyncRequired())
			return
		}
		tok = t
	case q.Get("syncToken") != "":
		for _, p := range []string{"timeMin", "timeMax", "q", "orderBy", "privateExtendedProperty", "sharedExtendedProperty", "iCalUID", "updatedMin"} {
			if q.Get(p) != "" {
				writeErr(w, errInvalid("Sync token cannot be used together with "+p+"."))
				return
			}
		}
		t, ok := decodeToken("CPD", q.Get("syncToken"))
		if !ok || t.Cal != cal.ID {
			writeErr(w, errInvalid("Invalid sync token value."))
			return
		}
		if t.Epoch != cal.Epoch {
			writeErr(w, errFullSyncRequired())
			return
		}
		tok = listToken{Cal: cal.ID, Epoch: cal.Epoch, Since: t.Snap, Snap: s.st.Seq, Sync: true,
			TMin: t.TMin, TMax: t.TMax, Single: q.Get("singleEvents") == "true", Deleted: true}
	default:
		for _, p := range []string{"timeMin", "timeMax"} {
			if v := q.Get(p); v != "" {
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					writeErr(w, simpleErr(400, "global", "badRequest", "Bad Request"))
					return
				}
			}
		}
		tok = listToken{Cal: cal.ID, Epoch: cal.Epoch, Snap: s.st.Seq, TMin: q.Get("timeMin"), TMax: q.Get("timeMax"),
			Single: q.Get("singleEvents") == "true", Deleted: q.Get("showDeleted") == "true"}
	}
	items, err := s.itemsLocked(cal, tok)
	if err != nil {
		writeErr(w, errBackend(500))
		return
	}
	end := tok.Off + max
	if end > len(items) {
		end = len(items)
	}
	page := []json.RawMessage{}
	for i := tok.Off; i < end; i++ {
		it := items[i]
		if cal.AccessRole == "freeBusyReader" && it.ev != nil {
			// Free/busy access shows when, not what.
			e := it.ev
			it = item{ev: &Event{Kind: e.Kind, Etag: e.Etag, ID: e.ID, Status: e.Status, Updated: e.Updated,
				Start: e.Start, End: e.End, RecurringEventID: e.RecurringEventID, OriginalStartTime: e.OriginalStartTime}}
		}
		page = append(page, it.json())
	}
	resp := map[string]any{"kind": "calendar#events", "etag": fmt.Sprintf(`"p3%014d"`, s.st.Seq),
		"summary": cal.Summary, "description": "", "updated": stamp(s.now()), "timeZone": cal.TimeZone,
		"accessRole": cal.AccessRole, "defaultReminders": []any{}, "items": page}
	if end < len(items) {
		next := tok
		next.Off = end
		resp["nextPageToken"] = encodeToken("EhI", next)
	} else {
		resp["nextSyncToken"] = encodeToken("CPD", listToken{Cal: cal.ID, Epoch: cal.Epoch, Snap: tok.Snap,
			TMin: tok.TMin, TMax: tok.TMax, Single: tok.Single})
	}
	writeJSON(w, 200, resp)
}

// item is one entry of a listing: an event, or raw JSON served verbatim.
type item struct {
	ev  *Event
	raw json.RawMessage
	key time.Time // start, for ordering full listings
}

func (it item) json() json.RawMessage {
	if it.raw != nil {
		return it.raw
	}
	b, _ := json.Marshal(it.ev)
	return b
}

// itemsLocked builds the whole result the page is cut from; only the page is marshalled.
func (s *Server) itemsLocked(cal *calendar, tok listToken) ([]item, error) {
	tmin, _ := time.Parse(time.RFC3339, tok.TMin)
	tmax, _ := time.Parse(time.RFC3339, tok.TMax)
	loc, err := zonecache.Load(cal.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var stored []*storedEvent
	for _, se := range cal.Events {
		if tok.Sync && (se.Seq <= tok.Since || se.Seq > tok.Snap) {
			continue
		}
		stored = append(stored, se)
	}
	if tok.Sync {
		sort.Slice(stored, func(i, j int) bool { return stored[i].Seq < stored[j].Seq })
	}
	var out, raws []item
	emit := func(e Event) {
		it := item{ev: &e}
		if !tok.Sync {
			it.key, _, _ = e.Start.parse(loc)
		}
		out = append(out, it)
	}
	for _, se := range stored {
		if se.Raw != nil {
			if tok.Sync {
				out = append(out, item{raw: se.Raw})
			} else {
				raws = append(raws, item{raw: se.Raw})
			}
			continue
		}
		e := se.Event
		cancelled := e.Status == "cancelled"
		if cancelled && !tok.Deleted {
			continue
		}
		if len(e.Recurrence) > 0 && tok.Single {
			ins, err := instances(e, cal.TimeZone, tmin, tmax)
			if err != nil {
				continue
			}
			for _, in := range ins {
				if _, exception := cal.Events[in.ID]; exception {
					continue // listed on its own
				}
				if cancelled {
					in = minimalCancelled(in)
				}
				emit(in)
			}
			continue
		}
		if cancelled {
			emit(minimalCancelled(e))
			continue
		}
		if len(e.Recurrence) > 0 && !tok.Sync {
			// A master is listed when any of its instances falls in the window.
			if ins, err := instances(e, cal.TimeZone, tmin, tmax); err == nil && len(ins) > 0 {
				emit(e)
			}
			continue
		}
		if !tok.Sync && (!tmin.IsZero() || !tmax.IsZero()) {
			st, _, err1 := e.Start.parse(loc)
			en, _, err2 := e.End.parse(loc)
			if err1 == nil && err2 == nil {
				if !tmin.IsZero() && !en.After(tmin) {
					continue
				}
				if !tmax.IsZero() && !st.Before(tmax) {
					continue
				}
			}
		}
		emit(e)
	}
	if !tok.Sync {
		sort.Slice(out, func(i, j int) bool {
			if !out[i].key.Equal(out[j].key) {
				return out[i].key.Before(out[j].key)
			}
			return out[i].ev.ID < out[j].ev.ID
		})
		sort.Slice(raws, func(i, j int) bool { return string(raws[i].raw) < string(raws[j].raw) })
		out = append(out, raws...)
	}
	return out, nil
}

// writableCalendarLocked finds a calendar the caller may write events to. When it cannot,
// it answers as Google does (404, or 403 requiredAccessLevel) and returns nil.
func (s *Server) writableCalendarLocked(w http.ResponseWriter, calID string) *calendar {
	cal := s.calendarLocked(calID)
	if cal == nil {
		writeErr(w, errNotFound())
		return nil
	}
	if !writable(cal) {
		writeErr(w, errRequiredAccessLevel())
		return nil
	}
	return cal
}

// eventOrInstanceLocked finds event id in cal. Changing or deleting one instance of a series
// makes it an exception, stored on its own, so an instance id materialises one.
func (s *Server) eventOrInstanceLocked(cal *calendar, id string) (*storedEvent, bool) {
	if se, ok := cal.Events[id]; ok {
		return se, true
	}
	return s.materialiseLocked(cal, id)
}

func writable(cal *calendar) bool { return cal.AccessRole == "owner" || cal.AccessRole == "writer" }

func (s *Server) getLocked(w http.ResponseWriter, calID, id string) {
	cal := s.calendarLocked(calID)
	if cal == nil {
		writeErr(w, errNotFound())
		return
	}
	se, ok := cal.Events[id]
	if !ok {
		if in, ok := virtualInstance(cal, id); ok {
			writeJSON(w, 200, in)
			return
		}
		writeErr(w, errNotFound())
		return
	}
	if se.Raw != nil {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Write(se.Raw)
		return
	}
	writeJSON(w, 200, se.Event)
}

func readEvent(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeErr(w, simpleErr(400, "global", "badRequest", "Bad Request"))
		return nil, false
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		writeErr(w, simpleErr(400, "global", "parseError", "Parse Error"))
		return nil, false
	}
	return m, true
}

func fromMap(m map[string]any) (Event, error) {
	var e Event
	b, _ := json.Marshal(m)
	err := json.Unmarshal(b, &e)
	return e, err
}

// validate checks times the way Google does on insert/update.
func validate(e *Event, calTZ string) *errBody {
	if e.Start == nil || (e.Start.Date == "" && e.Start.DateTime == "") {
		b := errRequired("Missing start time.")
		return &b
	}
	if e.End == nil || (e.End.Date == "" && e.End.DateTime == "") {
		b := errRequired("Missing end time.")
		return &b
	}
	if (e.Start.Date == "") != (e.End.Date == "") {
		b := errInvalid("Start and end times must either both be date or both be dateTime.")
		return &b
	}
	loc, err := zonecache.Load(calTZ)
	if err != nil {
		loc = time.UTC
	}
	for _, d := range []*EventDateTime{e.Start, e.End} {
		if d.TimeZone != "" {
			if _, err := zonecache.Load(d.TimeZone); err != nil {
				b := errInvalid("Invalid time zone definition for start time.")
				return &b
			}
		}
	}
	st, allDay, err1 := e.Start.parse(loc)
	en, _, err2 := e.End.parse(loc)
	if err1 != nil || err2 != nil {
		b := simpleErr(400, "global", "invalid", "Invalid start time.")
		if err1 == nil {
			b = simpleErr(400, "global", "invalid", "Invalid end time.")
		}
		return &b
	}
	if en.Before(st) || (allDay && !en.After(st)) {
		b := errTimeRangeEmpty()
		return &b
	}
	if len(e.Recurrence) > 0 {
		if _, err := instances(*e, calTZ, st, st.AddDate(0, 0, 1)); err != nil {
			b := errInvalid("Invalid recurrence rule.")
			return &b
		}
	}
	e.Start.normalise(calTZ)
	e.End.normalise(calTZ)
	return nil
}

func (s *Server) etagLocked() (string, int64) {
	s.st.Seq++
	return fmt.Sprintf(`"33%014d"`, s.st.Seq), s.st.Seq
}

func (s *Server) insertLocked(w http.ResponseWriter, r *http.Request, calID string) {
	cal := s.writableCalendarLocked(w, calID)
	if cal == nil {
		return
	}
	m, ok := readEvent(w, r)
	if !ok {
		return
	}
	e, err := fromMap(m)
	if err != nil {
		writeErr(w, simpleErr(400, "global", "parseError", "Parse Error"))
		return
	}
	if e.ID != "" {
		if !ValidID(e.ID) {
			writeErr(w, errInvalidID())
			return
		}
		if _, taken := cal.Events[e.ID]; taken {
			writeErr(w, errDuplicate())
			return
		}
	} else {
		e.ID = randomID()
	}
	if eb := validate(&e, cal.TimeZone); eb != nil {
		writeErr(w, *eb)
		return
	}
	now := stamp(s.now())
	e.Kind, e.Status, e.Created, e.Updated = "calendar#event", "confirmed", now, now
	e.ICalUID = e.ID + "@google.com"
	e.HTMLLink = "https://www.google.com/calendar/event?eid=" + base64.RawURLEncoding.EncodeToString([]byte(e.ID+" "+cal.ID))
	e.Creator = &Person{Email: s.opts.Login, Self: true}
	e.Organizer = &Person{Email: cal.ID, Self: true}
	e.RecurringEventID, e.OriginalStartTime, e.Sequence = "", nil, 0
	if e.EventType == "" {
		e.EventType = "default"
	}
	var seq int64
	e.Etag, seq = s.etagLocked()
	cal.Events[e.ID] = &storedEvent{Event: e, Seq: seq}
	s.dirty = true
	writeJSON(w, 200, e)
}

func (s *Server) updateLocked(w http.ResponseWriter, r *http.Request, calID, id string, patch bool) {
	cal := s.writableCalendarLocked(w, calID)
	if cal == nil {
		return
	}
	se, ok := s.eventOrInstanceLocked(cal, id)
	if !ok || se.Raw != nil {
		writeErr(w, errNotFound())
		return
	}
	if slices.Contains(s.st.Faults.ForbiddenEvents, id) {
		writeErr(w, errForbidden())
		return
	}
	m, ok := readEvent(w, r)
	if !ok {
		return
	}
	// A deleted (cancelled) event keeps its id and its fields. Google brings it back when
	// an update sets its status to confirmed (or tentative); any other write to it is
	// refused as deleted.
	restored := ""
	if se.Event.Status == "cancelled" {
		st, _ := m["status"].(string)
		if st != "confirmed" && st != "tentative" {
			writeErr(w, errDeleted())
			return
		}
		restored = st
	}
	if im := r.Header.Get("If-Match"); im != "" && im != "*" && im != se.Event.Etag {
		writeErr(w, errConditionNotMet())
		return
	}
	old := se.Event
	var base map[string]any
	if patch {
		base = toMap(old)
		mergePatch(base, m)
	} else {
		base = m
	}
	e, err := fromMap(base)
	if err != nil {
		writeErr(w, simpleErr(400, "global", "parseError", "Parse Error"))
		return
	}
	if eb := validate(&e, cal.TimeZone); eb != nil {
		writeErr(w, *eb)
		return
	}
	e.ID, e.Kind, e.Created, e.ICalUID, e.HTMLLink = old.ID, old.Kind, old.Created, old.ICalUID, old.HTMLLink
	e.Creator, e.Organizer, e.Status = old.Creator, old.Organizer, "confirmed"
	if restored != "" {
		e.Status = restored
	}
	e.RecurringEventID, e.OriginalStartTime = old.RecurringEventID, old.OriginalStartTime
	e.Sequence = old.Sequence
	if *e.Start != *old.Start || *e.End != *old.End {
		e.Sequence++
	}
	e.Updated = stamp(s.now())
	e.Etag, se.Seq = s.etagLocked()
	se.Event = e
	s.dirty = true
	writeJSON(w, 200, e)
}

func (s *Server) deleteLocked(w http.ResponseWriter, r *http.Request, calID, id string) {
	cal := s.writableCalendarLocked(w, calID)
	if cal == nil {
		return
	}
	se, ok := s.eventOrInstanceLocked(cal, id)
	if !ok {
		writeErr(w, errNotFound())
		return
	}
	if slices.Contains(s.st.Faults.ForbiddenEvents, id) {
		writeErr(w, errForbidden())
		return
	}
	if se.Event.Status == "cancelled" {
		writeErr(w, errDeleted())
		return
	}
	if im := r.Header.Get("If-Match"); im != "" && im != "*" && se.Raw == nil && im != se.Event.Etag {
		writeErr(w, errConditionNotMet())
		return
	}
	s.cancelSeriesLocked(cal, se)
	w.WriteHeader(http.StatusNoContent)
}

// cancelSeriesLocked cancels a recurring master's exceptions with it, as Google does.
func (s *Server) cancelSeriesLocked(cal *calendar, master *storedEvent) {
	for _, ex := range cal.Events {
		if ex.Raw == nil && ex.Event.RecurringEventID == master.Event.ID && ex.Event.Status != "cancelled" {
			s.cancelLocked(ex)
		}
	}
	s.cancelLocked(master)
}

func (s *Server) cancelLocked(se *storedEvent) {
	if se.Raw != nil {
		se.Event.ID = rawID(se.Raw)
		se.Raw = nil
	}
	se.Event.Status = "cancelled"
	se.Event.Updated = stamp(s.now())
	se.Event.Etag, se.Seq = s.etagLocked()
	s.dirty = true
}

func rawID(raw json.RawMessage) string {
	var v struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &v)
	return v.ID
}

func randomID() string {
	b := []byte(randomToken(26))
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// virtualInstance finds the not-yet-materialised instance id of a recurring master
// ("master_20261110T090000Z" or "master_20261110").
func virtualInstance(cal *calendar, id string) (Event, bool) {
	i := strings.LastIndexByte(id, '_')
	if i <= 0 {
		return Event{}, false
	}
	master, ok := cal.Events[id[:i]]
	if !ok || master.Raw != nil || len(master.Event.Recurrence) == 0 || master.Event.Status == "cancelled" {
		return Event{}, false
	}
	var orig time.Time
	var err error
	if len(id)-i-1 == 8 {
		orig, err = time.Parse("20060102", id[i+1:])
	} else {
		orig, err = time.Parse("20060102T150405Z", id[i+1:])
	}
	if err != nil {
		return Event{}, false
	}
	ins, err := instances(master.Event, cal.TimeZone, orig.Add(-48*time.Hour), orig.Add(48*time.Hour))
	if err != nil {
		return Event{}, false
	}
	for _, in := range ins {
		if in.ID == id {
			return in, true
		}
	}
	return Event{}, false
}

// materialiseLocked turns a virtual instance into a stored exception (same etag, so an
// If-Match with the instance's etag still holds).
func (s *Server) materialiseLocked(cal *calendar, id string) (*storedEvent, bool) {
	in, ok := virtualInstance(cal, id)
	if !ok {
		return nil, false
	}
	se := &storedEvent{Event: in, Seq: cal.Events[in.RecurringEventID].Seq}
	cal.Events[id] = se
	s.dirty = true
	return se, true
}
