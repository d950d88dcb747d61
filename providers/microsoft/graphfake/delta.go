package graphfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"
)

var urlPathUnescape = url.PathUnescape

// deltaToken is what the fake hides in $skiptoken / $deltatoken. Clients must treat it as
// opaque and replay the links verbatim.
type deltaToken struct {
	Cal   string `json:"c"`
	Start int64  `json:"s"`
	End   int64  `json:"e"`
	From  int64  `json:"f"` // changes after this sequence...
	To    int64  `json:"t"` // ...up to this one belong to the round (skip tokens only)
	Full  bool   `json:"full,omitempty"`
	// AfterSeq/AfterID: the last item already sent in this round.
	AfterSeq int64  `json:"as,omitempty"`
	AfterID  string `json:"ai,omitempty"`
	Gen      int    `json:"g"`
	Issued   int64  `json:"i,omitempty"` // when the link was made (unix), for Options.DeltaTokenTTL
}

func encodeToken(t deltaToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (deltaToken, error) {
	var t deltaToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, err
	}
	err = json.Unmarshal(b, &t)
	return t, err
}

type deltaItem struct {
	seq     int64
	id      string
	removed bool
	in      instance
}

// defaultDeltaPageSize is the page size without Prefer: odata.maxpagesize.
const defaultDeltaPageSize = 10

func (s *Server) delta(q *request, cal string) {
	if !canReadCalendars(q.scopes) {
		s.accessDenied(q.w)
		return
	}
	c := s.st.calendar(cal)
	if c == nil {
		s.itemNotFound(q.w)
		return
	}
	params := map[string]string{}
	for k, v := range q.r.URL.Query() {
		params[strings.ToLower(k)] = v[0]
	}
	for _, bad := range []string{"$select", "$expand", "$filter", "$orderby", "$top", "$search"} {
		if _, ok := params[bad]; ok {
			s.graphError(q.w, http.StatusBadRequest, "ErrorInvalidUrlQuery",
				"The following parameters are not supported with change tracking over the 'CalendarView' resource: '$orderby, $search, $select, $expand, $filter, $top'.")
			return
		}
	}
	var tok deltaToken
	switch {
	case params["$skiptoken"] != "" || params["$deltatoken"] != "":
		raw, isSkip := params["$skiptoken"], true
		if raw == "" {
			raw, isSkip = params["$deltatoken"], false
		}
		t, err := decodeToken(raw)
		if err != nil || t.Cal != cal {
			s.graphError(q.w, http.StatusBadRequest, "ErrorInvalidUrlQuery", "The value of the delta or skip token is not valid.")
			return
		}
		expired := s.opts.DeltaTokenTTL > 0 && s.now().Sub(time.Unix(t.Issued, 0)) > s.opts.DeltaTokenTTL
		if t.Gen != s.st.DeltaGeneration || expired {
			code := s.st.DeltaExpiredCode
			if code == "" {
				code = "SyncStateNotFound"
			}
			msg := "The sync state generation is not found. Please resync."
			if strings.EqualFold(code, "resyncRequired") {
				msg = "Resync required. Replace any local items with the server's items to avoid duplication or loss of data."
			}
			s.graphError(q.w, http.StatusGone, code, msg)
			return
		}
		if !isSkip {
			// A new round: everything after the last round's end, up to now.
			t.From, t.To, t.Full, t.AfterSeq, t.AfterID = t.To, s.st.Seq, false, 0, ""
		}
		tok = t
	default:
		from, err1 := parseWindowParam(params["startdatetime"])
		to, err2 := parseWindowParam(params["enddatetime"])
		if params["startdatetime"] == "" || params["enddatetime"] == "" {
			s.graphError(q.w, http.StatusBadRequest, "ErrorInvalidParameter",
				"This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
			return
		}
		if err1 != nil || err2 != nil {
			s.graphError(q.w, http.StatusBadRequest, "ErrorInvalidParameter", "The parameter 'startDateTime' or 'endDateTime' is not a valid date and time.")
			return
		}
		tok = deltaToken{Cal: cal, Start: from.Unix(), End: to.Unix(), From: 0, To: s.st.Seq, Full: true, Gen: s.st.DeltaGeneration}
	}
	from, to := time.Unix(tok.Start, 0).UTC(), time.Unix(tok.End, 0).UTC()

	var items []deltaItem
	for _, e := range s.st.eventsIn(cal) {
		if e.Seq <= tok.From || e.Seq > tok.To {
			continue
		}
		if e.Raw != "" {
			items = append(items, deltaItem{seq: e.Seq, id: e.ID, in: instance{ev: e, id: e.ID}})
			continue
		}
		ins := instancesIn(e, from, to)
		// @removed covers both a deletion and an event moved or edited out of the window
		// (event-delta reference; PROVIDERS.md, Microsoft Graph): the marker is the same,
		// and only a GET of the event (404 or not) tells them apart.
		if e.Deleted || len(ins) == 0 {
			if tok.Full {
				continue // a first round only lists what is there
			}
			ids := []string{e.ID}
			if e.Recurrence != nil {
				ids = nil
				for _, in := range ins {
					ids = append(ids, in.id)
				}
			}
			for _, id := range ids {
				items = append(items, deltaItem{seq: e.Seq, id: id, removed: true})
			}
			continue
		}
		for _, in := range ins {
			items = append(items, deltaItem{seq: e.Seq, id: in.id, in: in})
		}
		if !tok.Full {
			// Occurrences deleted one by one leave the series as removals.
			for _, id := range e.DeletedOccurrences {
				items = append(items, deltaItem{seq: e.Seq, id: id, removed: true})
			}
		}
	}
	sortedInstances(items)
	start := 0
	for start < len(items) && (items[start].seq < tok.AfterSeq || (items[start].seq == tok.AfterSeq && items[start].id <= tok.AfterID)) {
		start++
	}
	size := q.prefs.maxPageSize
	if size <= 0 {
		size = defaultDeltaPageSize
	}
	if size > 1000 {
		size = 1000
	}
	end := min(start+size, len(items))
	page := items[start:end]

	values := make([]json.RawMessage, 0, len(page))
	for _, it := range page {
		var b []byte
		switch {
		case it.removed:
			b, _ = json.Marshal(map[string]any{"@odata.type": "#microsoft.graph.event", "id": it.id,
				"@removed": map[string]string{"reason": "deleted"}})
		case it.in.ev.Raw != "":
			b = []byte(it.in.ev.Raw)
		default:
			j := s.renderInstance(it.in, q.prefs, nil)
			m, _ := json.Marshal(j)
			b = append([]byte(`{"@odata.type":"#microsoft.graph.event",`), m[1:]...)
		}
		values = append(values, b)
	}
	// Graph's links are opaque and need not repeat the request's path: it answers with
	// another form of the same resource (event-delta reference; PROVIDERS.md, Microsoft
	// Graph: "bind the cursor to the calendar, not to the link's path"). The fake uses
	// the users/{id}/calendars('{id}') form so a client that parses the path fails.
	link := q.base + "/v1.0/users/" + url.PathEscape(s.st.User.ID) + "/calendars('" + url.PathEscape(cal) + "')/calendarView/delta?"
	out := map[string]any{"@odata.context": q.base + "/v1.0/$metadata#Collection(event)", "value": values}
	if end < len(items) {
		next := tok
		next.AfterSeq, next.AfterID, next.Issued = page[len(page)-1].seq, page[len(page)-1].id, s.now().Unix()
		out["@odata.nextLink"] = link + "$skiptoken=" + encodeToken(next)
	} else {
		last := tok
		last.AfterSeq, last.AfterID, last.Full, last.Issued = 0, "", false, s.now().Unix()
		out["@odata.deltaLink"] = link + "$deltatoken=" + encodeToken(last)
	}
	q.w.Header().Set("Preference-Applied", fmt.Sprintf("odata.maxpagesize=%d", size))
	writeJSON(q.w, http.StatusOK, out)
}

func parseWindowParam(v string) (time.Time, error) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date")
}

// mailboxConcurrency is how many requests one mailbox serves at once.
const mailboxConcurrency = 4

// serveBatch answers POST /v1.0/$batch (JSON batching): each step runs through the
// handler with the batch's Authorization, and its own status/headers/body come back.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Requests []struct {
			ID        string            `json:"id"`
			Method    string            `json:"method"`
			URL       string            `json:"url"`
			Headers   map[string]string `json:"headers"`
			Body      json.RawMessage   `json:"body"`
			DependsOn []string          `json:"dependsOn"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20)).Decode(&in); err != nil {
		s.lockedError(w, http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload.")
		return
	}
	if len(in.Requests) > 20 {
		s.lockedError(w, http.StatusBadRequest, "BadRequest", "Number of batch request steps exceeds the maximum of 20.")
		return
	}
	type stepOut struct {
		ID      string            `json:"id"`
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body,omitempty"`
	}
	out := struct {
		Responses []stepOut `json:"responses"`
	}{Responses: []stepOut{}}
	// Graph runs the steps against one mailbox in parallel, and a mailbox allows 4
	// concurrent requests: the steps beyond the 4th that do not wait on another (dependsOn)
	// get 429 ApplicationThrottled "MailboxConcurrency" with a Retry-After (PROVIDERS.md,
	// Microsoft Graph, $batch).
	parallel := 0
	for _, st := range in.Requests {
		if len(st.DependsOn) == 0 {
			parallel++
			if parallel > mailboxConcurrency {
				rec := httptest.NewRecorder()
				rec.Header().Set("Retry-After", "1")
				s.lockedError(rec, http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
				so := stepOut{ID: st.ID, Status: rec.Code, Headers: map[string]string{"Retry-After": "1"}}
				so.Body = json.RawMessage(strings.TrimSpace(rec.Body.String()))
				out.Responses = append(out.Responses, so)
				continue
			}
		}
		u := st.URL
		if !strings.HasPrefix(u, "/") {
			u = "/" + u
		}
		var body *strings.Reader
		if len(st.Body) > 0 {
			body = strings.NewReader(string(st.Body))
		} else {
			body = strings.NewReader("")
		}
		sub := httptest.NewRequest(strings.ToUpper(st.Method), "/v1.0"+u, body)
		sub.Host = r.Host
		sub.Header.Set("Authorization", r.Header.Get("Authorization"))
		for _, p := range r.Header.Values("Prefer") {
			sub.Header.Add("Prefer", p)
		}
		for k, v := range st.Headers {
			sub.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		if strings.HasPrefix(sub.URL.Path, "/v1.0/$batch") {
			s.lockedError(rec, http.StatusBadRequest, "BadRequest", "Nested batch requests are not supported.")
		} else {
			s.serveGraph(rec, sub)
		}
		so := stepOut{ID: st.ID, Status: rec.Code, Headers: map[string]string{}}
		for k := range rec.Header() {
			so.Headers[k] = rec.Header().Get(k)
		}
		if b := strings.TrimSpace(rec.Body.String()); b != "" {
			so.Body = json.RawMessage(b)
		}
		out.Responses = append(out.Responses, so)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) lockedError(w http.ResponseWriter, status int, code, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.graphError(w, status, code, msg)
}
