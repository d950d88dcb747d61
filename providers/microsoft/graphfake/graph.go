package graphfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/v1.0/"):
		s.serveGraph(w, r)
	case strings.Contains(p, "/oauth2/v2.0/"):
		s.serveEntra(w, r)
	case p == "/devicelogin":
		s.serveDeviceLogin(w, r)
	default:
		http.NotFound(w, r)
	}
}

// request is one authenticated Graph call.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	scopes []string
	base   string // scheme://host of this request, for links
	prefs  prefs
}

type prefs struct {
	maxPageSize int
	zoneName    string
	zone        *time.Location
	bodyText    bool
}

var rePrefer = regexp.MustCompile(`(?i)(odata\.maxpagesize|outlook\.timezone|outlook\.body-content-type)\s*=\s*"?([^";,]*)"?`)

func parsePrefs(r *http.Request) (prefs, error) {
	p := prefs{zoneName: "UTC", zone: time.UTC}
	for _, h := range r.Header.Values("Prefer") {
		for _, m := range rePrefer.FindAllStringSubmatch(h, -1) {
			switch strings.ToLower(m[1]) {
			case "odata.maxpagesize":
				if n, err := strconv.Atoi(strings.TrimSpace(m[2])); err == nil && n > 0 {
					p.maxPageSize = n
				}
			case "outlook.timezone":
				loc, err := loadZone(m[2])
				if err != nil {
					return p, fmt.Errorf("A valid TimeZone value must be specified. The following TimeZone value is not supported: '%s'.", m[2])
				}
				p.zoneName, p.zone = strings.TrimSpace(m[2]), loc
			case "outlook.body-content-type":
				p.bodyText = strings.EqualFold(strings.TrimSpace(m[2]), "text")
			}
		}
	}
	return p, nil
}

func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ra := s.apiFaultLocked(); f != 0 {
		writeAPIFault(s, w, f, ra)
		return
	}
	if r.URL.Path == "/v1.0/$batch" {
		// Each step is authenticated (and may be throttled) on its own, as on Graph.
		s.mu.Unlock()
		s.serveBatch(w, r)
		s.mu.Lock()
		return
	}
	scopes, ok := s.authenticateLocked(w, r)
	if !ok {
		return
	}
	pr, err := parsePrefs(r)
	if err != nil {
		s.graphError(w, http.StatusBadRequest, "TimeZoneNotSupportedException", err.Error())
		return
	}
	q := &request{w: w, r: r, scopes: scopes, base: requestBase(r), prefs: pr}
	seg := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/v1.0/"), "/")
	for i := range seg {
		if u, err := unescape(seg[i]); err == nil {
			seg[i] = u
		}
	}
	// users/{id or mail}/... is the same mailbox as me/...; a calendars('{id}') key
	// segment is the same as calendars/{id}.
	if len(seg) >= 2 && strings.EqualFold(seg[0], "users") && s.isUserLocked(seg[1]) {
		seg = append([]string{"me"}, seg[2:]...)
	}
	for i := 0; i < len(seg); i++ {
		if k, ok := keySegment(seg[i], "calendars"); ok {
			seg = append(seg[:i], append([]string{"calendars", k}, seg[i+1:]...)...)
			i++
		}
	}
	lower := make([]string, len(seg))
	for i, x := range seg {
		lower[i] = strings.ToLower(x)
	}
	m := r.Method
	switch {
	case len(seg) == 1 && lower[0] == "me" && m == "GET":
		s.getMe(q)
	case len(seg) == 2 && lower[1] == "calendars" && lower[0] == "me" && m == "GET":
		s.listCalendars(q)
	case len(seg) == 3 && lower[1] == "calendars" && lower[0] == "me" && m == "GET":
		s.getCalendar(q, seg[2])
	case len(seg) == 5 && lower[0] == "me" && lower[1] == "calendars" && lower[3] == "calendarview" && lower[4] == "delta" && m == "GET":
		s.delta(q, seg[2])
	case len(seg) == 3 && lower[0] == "me" && lower[1] == "calendarview" && lower[2] == "delta" && m == "GET":
		s.delta(q, s.defaultCalendarLocked())
	case len(seg) == 4 && lower[0] == "me" && lower[1] == "calendars" && lower[3] == "events" && m == "POST":
		s.createEvent(q, seg[2])
	case len(seg) == 4 && lower[0] == "me" && lower[1] == "calendars" && lower[3] == "events" && m == "GET":
		s.listEvents(q, seg[2])
	case len(seg) == 2 && lower[0] == "me" && lower[1] == "events" && m == "POST":
		s.createEvent(q, s.defaultCalendarLocked())
	case len(seg) == 3 && lower[0] == "me" && lower[1] == "events":
		s.eventItem(q, "", seg[2])
	case len(seg) == 5 && lower[0] == "me" && lower[1] == "calendars" && lower[3] == "events":
		s.eventItem(q, seg[2], seg[4])
	default:
		s.graphError(w, http.StatusBadRequest, "BadRequest",
			fmt.Sprintf("Resource not found for the segment '%s'.", seg[len(seg)-1]))
	}
}

func (s *Server) isUserLocked(id string) bool {
	u := s.st.User
	return id == u.ID || strings.EqualFold(id, u.Mail) || strings.EqualFold(id, u.UserPrincipalName)
}

// keySegment splits an OData key segment like calendars('AAMk...') into its key.
func keySegment(seg, name string) (string, bool) {
	rest, ok := strings.CutPrefix(seg, name+"('")
	if !ok || !strings.HasSuffix(rest, "')") {
		return "", false
	}
	return strings.TrimSuffix(rest, "')"), true
}

func unescape(s string) (string, error) {
	return urlPathUnescape(s)
}

func (s *Server) defaultCalendarLocked() string {
	for _, c := range s.st.Calendars {
		if c.IsDefault {
			return c.ID
		}
	}
	return ""
}

// authenticateLocked checks the bearer token and returns its scopes.
func (s *Server) authenticateLocked(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		s.graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return nil, false
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		s.graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
		return nil, false
	}
	g := s.st.Access[strings.TrimSpace(tok)]
	if g == nil {
		s.graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).")
		return nil, false
	}
	if g.Revoked || !s.now().Before(g.Expires) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token", error_description="Lifetime validation failed, the token is expired."`)
		s.graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
		return nil, false
	}
	return g.Scopes, true
}

func canReadCalendars(scopes []string) bool {
	return hasAnyScope(scopes, "Calendars.Read", "Calendars.ReadWrite", "Calendars.Read.Shared", "Calendars.ReadWrite.Shared", "Calendars.ReadBasic")
}

func canWriteCalendars(scopes []string) bool {
	return hasAnyScope(scopes, "Calendars.ReadWrite", "Calendars.ReadWrite.Shared")
}

func (s *Server) getMe(q *request) {
	if !hasAnyScope(q.scopes, "User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "Directory.Read.All") {
		s.graphError(q.w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	u := s.st.User
	writeJSON(q.w, http.StatusOK, map[string]any{
		"@odata.context":    q.base + "/v1.0/$metadata#users/$entity",
		"businessPhones":    []string{},
		"displayName":       u.DisplayName,
		"givenName":         nil,
		"jobTitle":          nil,
		"mail":              u.Mail,
		"mobilePhone":       nil,
		"officeLocation":    nil,
		"preferredLanguage": "en-US",
		"surname":           nil,
		"userPrincipalName": u.UserPrincipalName,
		"id":                u.ID,
	})
}

type calendarJSON struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	Color               string   `json:"color"`
	HexColor            string   `json:"hexColor"`
	IsDefaultCalendar   bool     `json:"isDefaultCalendar"`
	ChangeKey           string   `json:"changeKey"`
	CanShare            bool     `json:"canShare"`
	CanViewPrivateItems bool     `json:"canViewPrivateItems"`
	CanEdit             bool     `json:"canEdit"`
	AllowedProviders    []string `json:"allowedOnlineMeetingProviders"`
	DefaultProvider     string   `json:"defaultOnlineMeetingProvider"`
	IsTallyingResponses bool     `json:"isTallyingResponses"`
	IsRemovable         bool     `json:"isRemovable"`
	Owner               struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"owner"`
}

func calJSON(c *Calendar) calendarJSON {
	j := calendarJSON{ID: c.ID, Name: c.Name, Color: "auto", IsDefaultCalendar: c.IsDefault,
		ChangeKey: c.ChangeKey, CanShare: c.CanEdit && c.IsDefault, CanViewPrivateItems: c.CanEdit,
		CanEdit: c.CanEdit, AllowedProviders: []string{"teamsForBusiness"}, DefaultProvider: "teamsForBusiness",
		IsTallyingResponses: c.IsDefault, IsRemovable: !c.IsDefault}
	j.Owner.Name, j.Owner.Address = c.OwnerName, c.OwnerAddress
	return j
}

// calendarsPageSize is Graph's default page size for collections like me/calendars.
const calendarsPageSize = 10

func (s *Server) listCalendars(q *request) {
	if !canReadCalendars(q.scopes) {
		s.accessDenied(q.w)
		return
	}
	skip, _ := strconv.Atoi(q.r.URL.Query().Get("$skip"))
	if skip < 0 {
		skip = 0
	}
	top := calendarsPageSize
	if t, err := strconv.Atoi(q.r.URL.Query().Get("$top")); err == nil && t > 0 && t <= 1000 {
		top = t
	}
	out := map[string]any{"@odata.context": q.base + "/v1.0/$metadata#users('" + s.st.User.ID + "')/calendars"}
	vals := []calendarJSON{}
	for i := skip; i < len(s.st.Calendars) && i < skip+top; i++ {
		vals = append(vals, calJSON(s.st.Calendars[i]))
	}
	if skip+top < len(s.st.Calendars) {
		out["@odata.nextLink"] = fmt.Sprintf("%s/v1.0/me/calendars?$top=%d&$skip=%d", q.base, top, skip+top)
	}
	out["value"] = vals
	writeJSON(q.w, http.StatusOK, out)
}

func (s *Server) getCalendar(q *request, id string) {
	if !canReadCalendars(q.scopes) {
		s.accessDenied(q.w)
		return
	}
	c := s.st.calendar(id)
	if c == nil {
		s.itemNotFound(q.w)
		return
	}
	writeJSON(q.w, http.StatusOK, calJSON(c))
}

// eventJSON is the Graph event resource, in Graph's property order.
type eventJSON struct {
	ODataEtag                  string         `json:"@odata.etag"`
	ID                         string         `json:"id"`
	CreatedDateTime            string         `json:"createdDateTime"`
	LastModifiedDateTime       string         `json:"lastModifiedDateTime"`
	ChangeKey                  string         `json:"changeKey"`
	Categories                 []string       `json:"categories"`
	TransactionID              *string        `json:"transactionId"`
	OriginalStartTimeZone      string         `json:"originalStartTimeZone"`
	OriginalEndTimeZone        string         `json:"originalEndTimeZone"`
	ICalUID                    string         `json:"iCalUId"`
	ReminderMinutesBeforeStart int            `json:"reminderMinutesBeforeStart"`
	IsReminderOn               bool           `json:"isReminderOn"`
	HasAttachments             bool           `json:"hasAttachments"`
	Subject                    string         `json:"subject"`
	BodyPreview                string         `json:"bodyPreview"`
	Importance                 string         `json:"importance"`
	Sensitivity                string         `json:"sensitivity"`
	IsAllDay                   bool           `json:"isAllDay"`
	IsCancelled                bool           `json:"isCancelled"`
	IsOrganizer                bool           `json:"isOrganizer"`
	ShowAs                     string         `json:"showAs"`
	Type                       string         `json:"type"`
	SeriesMasterID             *string        `json:"seriesMasterId"`
	WebLink                    string         `json:"webLink"`
	Body                       bodyJSON       `json:"body"`
	Start                      dateTimeTZ     `json:"start"`
	End                        dateTimeTZ     `json:"end"`
	Location                   locationJSON   `json:"location"`
	Recurrence                 *Recurrence    `json:"recurrence"`
	Organizer                  map[string]any `json:"organizer"`
	Props                      []propJSON     `json:"singleValueExtendedProperties,omitempty"`
}

type bodyJSON struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type locationJSON struct {
	DisplayName  string `json:"displayName"`
	LocationType string `json:"locationType"`
	UniqueIDType string `json:"uniqueIdType"`
}

type propJSON struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// instance is one appearance of an event in a calendar view: the event itself, or one
// occurrence of a series.
type instance struct {
	ev    *storedEvent
	id    string
	start time.Time // occurrence start (series) or the event's start
	end   time.Time
	occ   bool
	// master is the series of an exception (ev is then the exception itself).
	master *storedEvent
}

// occurrenceDeleted reports whether occurrence id of series e was deleted on its own.
func (e *storedEvent) occurrenceDeleted(id string) bool {
	for _, d := range e.DeletedOccurrences {
		if d == id {
			return true
		}
	}
	return false
}

// occurrence is the instance of series e starting (originally) at st, with its exception.
func (e *storedEvent) occurrence(st time.Time, dur time.Duration) (instance, bool) {
	id := occurrenceID(e.ID, st)
	if e.occurrenceDeleted(id) {
		return instance{}, false
	}
	if ex := e.Exceptions[id]; ex != nil {
		xs, err1 := ex.Start.absolute()
		xe, err2 := ex.End.absolute()
		if err1 == nil && err2 == nil {
			return instance{ev: ex, id: id, start: xs, end: xe, occ: true, master: e}, true
		}
	}
	return instance{ev: e, id: id, start: st, end: st.Add(dur), occ: true}, true
}

func occurrenceID(masterID string, start time.Time) string {
	return "AAMkOcc" + base64.URLEncoding.EncodeToString([]byte(masterID+"|"+strconv.FormatInt(start.Unix(), 10)))
}

func parseOccurrenceID(id string) (master string, start time.Time, ok bool) {
	rest, found := strings.CutPrefix(id, "AAMkOcc")
	if !found {
		return "", time.Time{}, false
	}
	b, err := base64.URLEncoding.DecodeString(rest)
	if err != nil {
		return "", time.Time{}, false
	}
	m, secs, found := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !found || err != nil {
		return "", time.Time{}, false
	}
	return m, time.Unix(n, 0), true
}

// instancesIn expands e inside [from, to). A malformed stored event yields itself.
func instancesIn(e *storedEvent, from, to time.Time) []instance {
	start, err1 := e.Start.absolute()
	end, err2 := e.End.absolute()
	if err1 != nil || err2 != nil {
		return []instance{{ev: e, id: e.ID}}
	}
	if e.Recurrence == nil {
		if overlaps(start, end, from, to) {
			return []instance{{ev: e, id: e.ID, start: start, end: end}}
		}
		return nil
	}
	dur := end.Sub(start)
	starts, err := e.Recurrence.occurrences(start, dur, from, to)
	if err != nil {
		return nil
	}
	out := make([]instance, 0, len(starts))
	for _, st := range starts {
		if in, ok := e.occurrence(st, dur); ok {
			out = append(out, in)
		}
	}
	return out
}

func (s *Server) renderInstance(in instance, pr prefs, expand []string) eventJSON {
	e := in.ev
	j := eventJSON{
		ODataEtag: `W/"` + e.ChangeKey + `"`, ID: in.id,
		CreatedDateTime: graphTimestamp(e.Created), LastModifiedDateTime: graphTimestamp(e.Modified),
		ChangeKey: e.ChangeKey, Categories: []string{},
		OriginalStartTimeZone: e.Start.TimeZone, OriginalEndTimeZone: e.End.TimeZone,
		ICalUID: e.ICalUID, ReminderMinutesBeforeStart: 15, IsReminderOn: true,
		Subject: e.Subject, Importance: "normal", Sensitivity: "normal", IsAllDay: e.IsAllDay,
		IsOrganizer: true, ShowAs: "busy", Type: "singleInstance",
		WebLink:  "https://outlook.office365.com/owa/?itemid=" + e.ID + "&exvsurl=1&path=/calendar/item",
		Location: locationJSON{DisplayName: e.Location, LocationType: "default", UniqueIDType: "unknown"},
		Organizer: map[string]any{"emailAddress": map[string]string{
			"name": s.st.User.DisplayName, "address": s.st.User.Mail}},
	}
	if e.TransactionID != "" && !in.occ {
		t := e.TransactionID
		j.TransactionID = &t
	}
	if e.Location == "" {
		j.Location.LocationType, j.Location.UniqueIDType = "default", "unknown"
	}
	j.Body, j.BodyPreview = renderBody(e, pr.bodyText)
	switch {
	case in.occ && in.master != nil:
		j.Type = "exception"
		m := in.master.ID
		j.SeriesMasterID = &m
		j.ICalUID = in.master.ICalUID
	case in.occ:
		j.Type = "occurrence"
		m := e.ID
		j.SeriesMasterID = &m
		j.ICalUID = e.ICalUID
	case e.Recurrence != nil:
		j.Type = "seriesMaster"
		j.Recurrence = e.Recurrence
	}
	switch {
	case e.IsAllDay && in.occ:
		j.Start = renderAllDay(dateTimeTZ{DateTime: in.start.Format(graphDateTime)}, pr.zoneName)
		j.End = renderAllDay(dateTimeTZ{DateTime: in.end.Format(graphDateTime)}, pr.zoneName)
	case e.IsAllDay:
		j.Start, j.End = renderAllDay(e.Start, pr.zoneName), renderAllDay(e.End, pr.zoneName)
	case in.start.IsZero():
		j.Start, j.End = e.Start, e.End
	default:
		j.Start, j.End = render(in.start, pr.zoneName, pr.zone), render(in.end, pr.zoneName, pr.zone)
	}
	for _, want := range expand {
		for id, v := range e.Props {
			if id == canonicalPropID(want) {
				j.Props = append(j.Props, propJSON{ID: canonicalDisplayID(want), Value: v})
			}
		}
	}
	return j
}

// canonicalDisplayID is how Graph echoes an extended property id: type word capitalised,
// GUID lower case, "Name" literal.
func canonicalDisplayID(id string) string {
	f := strings.Fields(id)
	if len(f) >= 4 {
		f[1] = strings.ToLower(f[1])
	}
	return strings.Join(f, " ")
}

var reTags = regexp.MustCompile(`(?s)<[^>]*>`)

// renderBody converts between text and HTML as Exchange does: a text body read as HTML
// is wrapped and its line breaks become <br>; an HTML body read as text loses its tags.
func renderBody(e *storedEvent, wantText bool) (bodyJSON, string) {
	text := e.Body
	if e.BodyType == "html" {
		t := strings.ReplaceAll(e.Body, "<br>", "\r\n")
		text = html.UnescapeString(reTags.ReplaceAllString(t, ""))
		text = strings.TrimSpace(text)
	}
	preview := strings.Join(strings.Fields(text), " ")
	if r := []rune(preview); len(r) > 255 {
		preview = string(r[:255])
	}
	if wantText {
		return bodyJSON{ContentType: "text", Content: text}, preview
	}
	if e.BodyType == "html" {
		return bodyJSON{ContentType: "html", Content: e.Body}, preview
	}
	h := "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n</head><body><div>" +
		strings.ReplaceAll(html.EscapeString(text), "\n", "<br>") + "</div></body></html>"
	return bodyJSON{ContentType: "html", Content: h}, preview
}

var reExpandProp = regexp.MustCompile(`(?i)^singleValueExtendedProperties\(\$filter=id\s+eq\s+'([^']*)'\)$`)

// parseExpand reads $expand=singleValueExtendedProperties($filter=id eq '...'), the form
// Graph documents for reading one extended property.
func parseExpand(v string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	m := reExpandProp.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return nil, fmt.Errorf("Parsing OData Select and Expand failed: Could not find a property named '%s' on type 'microsoft.graph.event'.", v)
	}
	return []string{m[1]}, nil
}

func (s *Server) findInstanceLocked(id string) (instance, bool) {
	if e := s.st.Events[id]; e != nil && !e.Deleted {
		st, _ := e.Start.absolute()
		en, _ := e.End.absolute()
		return instance{ev: e, id: id, start: st, end: en}, true
	}
	if m, st, ok := parseOccurrenceID(id); ok {
		if e := s.st.Events[m]; e != nil && !e.Deleted && e.Recurrence != nil {
			first, err1 := e.Start.absolute()
			end, err2 := e.End.absolute()
			if err1 == nil && err2 == nil {
				starts, _ := e.Recurrence.occurrences(first, end.Sub(first), st, st.Add(time.Second))
				for _, x := range starts {
					if x.Equal(st) {
						return e.occurrence(x, end.Sub(first))
					}
				}
			}
		}
	}
	return instance{}, false
}

func (s *Server) eventItem(q *request, cal, id string) {
	if !canReadCalendars(q.scopes) {
		s.accessDenied(q.w)
		return
	}
	in, ok := s.findInstanceLocked(id)
	if !ok || (cal != "" && in.ev.CalendarID != cal) {
		s.itemNotFound(q.w)
		return
	}
	switch q.r.Method {
	case "GET":
		expand, err := parseExpand(q.r.URL.Query().Get("$expand"))
		if err != nil {
			s.graphError(q.w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		j := s.renderInstance(in, q.prefs, expand)
		if sel := q.r.URL.Query().Get("$select"); sel != "" {
			writeJSON(q.w, http.StatusOK, selectFields(j, sel))
			return
		}
		writeJSON(q.w, http.StatusOK, j)
	case "PATCH":
		s.updateEvent(q, in)
	case "DELETE":
		s.deleteEvent(q, in)
	default:
		s.graphError(q.w, http.StatusMethodNotAllowed, "Request_BadRequest", "The HTTP method is not allowed for this resource.")
	}
}

// selectFields keeps the $select'ed properties (plus @odata.etag and id, which Graph always returns).
func selectFields(j eventJSON, sel string) map[string]any {
	b, _ := json.Marshal(j)
	var all map[string]any
	json.Unmarshal(b, &all)
	out := map[string]any{"@odata.etag": all["@odata.etag"], "id": all["id"]}
	for _, f := range strings.Split(sel, ",") {
		f = strings.TrimSpace(f)
		for k, v := range all {
			if strings.EqualFold(k, f) {
				out[k] = v
			}
		}
	}
	if v, ok := all["singleValueExtendedProperties"]; ok {
		out["singleValueExtendedProperties"] = v
	}
	return out
}

// eventInput is a POST/PATCH body. Pointers tell "absent" from "empty".
type eventInput struct {
	Subject *string `json:"subject"`
	Body    *struct {
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	} `json:"body"`
	Location *struct {
		DisplayName string `json:"displayName"`
	} `json:"location"`
	Start         *dateTimeTZ `json:"start"`
	End           *dateTimeTZ `json:"end"`
	IsAllDay      *bool       `json:"isAllDay"`
	TransactionID *string     `json:"transactionId"`
	Recurrence    *Recurrence `json:"recurrence"`
	Props         []propJSON  `json:"singleValueExtendedProperties"`
}

// knownEventProps are event properties Graph accepts in a body; anything else is a 400.
var knownEventProps = map[string]bool{"subject": true, "body": true, "location": true, "start": true,
	"end": true, "isallday": true, "transactionid": true, "recurrence": true,
	"singlevalueextendedproperties": true, "showas": true, "importance": true, "sensitivity": true,
	"categories": true, "isreminderon": true, "reminderminutesbeforestart": true, "attendees": true,
	"isonlinemeeting": true, "onlinemeetingprovider": true, "responserequested": true,
	"allownewtimeproposals": true, "locations": true, "@odata.type": true, "hideattendees": true,
	"originalstarttimezone": true, "originalendtimezone": true, "multivalueextendedproperties": true}

var rePropID = regexp.MustCompile(`(?i)^String \{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\} Name \S.*$`)

func (s *Server) readInput(q *request) (*eventInput, bool) {
	b, err := io.ReadAll(io.LimitReader(q.r.Body, 4<<20))
	if err != nil {
		s.graphError(q.w, http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload.")
		return nil, false
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		s.graphError(q.w, http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
		return nil, false
	}
	for k := range raw {
		if !knownEventProps[strings.ToLower(k)] {
			s.graphError(q.w, http.StatusBadRequest, "RequestBodyRead",
				fmt.Sprintf("The property '%s' does not exist on type 'microsoft.graph.event'. Make sure to only use property names that are defined by the type or mark the type as open type.", k))
			return nil, false
		}
	}
	var in eventInput
	if err := json.Unmarshal(b, &in); err != nil {
		s.graphError(q.w, http.StatusBadRequest, "RequestBodyRead", "Cannot convert the JSON payload: "+err.Error())
		return nil, false
	}
	for _, p := range in.Props {
		if !rePropID.MatchString(strings.TrimSpace(p.ID)) {
			s.graphError(q.w, http.StatusBadRequest, "ErrorInvalidProperty", "The extended property id is not valid.")
			return nil, false
		}
	}
	return &in, true
}

// apply copies in onto e and validates the result; it returns a Graph error (status,
// code, message) when the event would be invalid.
func applyInput(e *storedEvent, in *eventInput) (int, string, string) {
	if in.Subject != nil {
		e.Subject = *in.Subject
	}
	if in.Body != nil {
		e.BodyType = strings.ToLower(in.Body.ContentType)
		if e.BodyType != "html" {
			e.BodyType = "text"
		}
		e.Body = in.Body.Content
	}
	if in.Location != nil {
		e.Location = in.Location.DisplayName
	}
	if in.Start != nil {
		e.Start = *in.Start
	}
	if in.End != nil {
		e.End = *in.End
	}
	if in.IsAllDay != nil {
		e.IsAllDay = *in.IsAllDay
	}
	if in.Recurrence != nil {
		r := *in.Recurrence
		e.Recurrence = &r
	}
	for _, p := range in.Props {
		if e.Props == nil {
			e.Props = map[string]string{}
		}
		e.Props[canonicalPropID(p.ID)] = p.Value
	}
	if e.Start.DateTime == "" || e.End.DateTime == "" {
		return 400, "ErrorInvalidRequest", "Your request can't be completed. The start and end time must be specified."
	}
	for _, d := range []dateTimeTZ{e.Start, e.End} {
		loc, err := loadZone(d.TimeZone)
		if err != nil || ((in.Start != nil || in.End != nil) && !writableZone(d.TimeZone)) {
			return 400, "TimeZoneNotSupportedException", fmt.Sprintf("A valid TimeZone value must be specified. The following TimeZone value is not supported: '%s'.", d.TimeZone)
		}
		if _, err := parseDateTime(d.DateTime, loc); err != nil {
			return 400, "BadRequest", err.Error()
		}
	}
	st, _ := e.Start.absolute()
	en, _ := e.End.absolute()
	if en.Before(st) {
		return 400, "ErrorInvalidParameter", "The end time of the event must be after its start time."
	}
	if e.IsAllDay {
		sl, _ := loadZone(e.Start.TimeZone)
		el, _ := loadZone(e.End.TimeZone)
		a, b := st.In(sl), en.In(el)
		if a.Hour()+a.Minute()+a.Second() != 0 || b.Hour()+b.Minute()+b.Second() != 0 || !en.After(st) {
			return 400, "ErrorInvalidRequest", "Your request can't be completed. The start and end time of an all-day event must be at midnight and cover at least one day."
		}
	}
	if e.Recurrence != nil {
		if _, err := e.Recurrence.rule(st); err != nil {
			return 400, "ErrorInvalidRequest", "Your request can't be completed. " + err.Error()
		}
	}
	return 0, "", ""
}

var reFilterProp = regexp.MustCompile(`(?i)^singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*(\w+)/id\s+eq\s+'((?:[^']|'')*)'\s+and\s+(\w+)/value\s+eq\s+'((?:[^']|'')*)'\s*\)$`)

// listEvents answers GET me/calendars/{id}/events, with the documented filter on a
// single-value extended property (singleValueExtendedProperties/Any(ep: ep/id eq '...'
// and ep/value eq '...')), which is how a client finds the event it tagged.
func (s *Server) listEvents(q *request, cal string) {
	if !canReadCalendars(q.scopes) {
		s.accessDenied(q.w)
		return
	}
	if s.st.calendar(cal) == nil {
		s.itemNotFound(q.w)
		return
	}
	expand, err := parseExpand(q.r.URL.Query().Get("$expand"))
	if err != nil {
		s.graphError(q.w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	var propID, propValue string
	if f := strings.TrimSpace(q.r.URL.Query().Get("$filter")); f != "" {
		m := reFilterProp.FindStringSubmatch(f)
		if m == nil || !strings.EqualFold(m[1], m[2]) || !strings.EqualFold(m[1], m[4]) {
			s.graphError(q.w, http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
			return
		}
		propID, propValue = canonicalPropID(strings.ReplaceAll(m[3], "''", "'")), strings.ReplaceAll(m[5], "''", "'")
	}
	vals := []eventJSON{}
	for _, e := range s.st.eventsIn(cal) {
		if e.Deleted || e.Raw != "" {
			continue
		}
		if propID != "" && (e.Props == nil || e.Props[propID] != propValue) {
			continue
		}
		st, _ := e.Start.absolute()
		en, _ := e.End.absolute()
		vals = append(vals, s.renderInstance(instance{ev: e, id: e.ID, start: st, end: en}, q.prefs, expand))
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"@odata.context": q.base + "/v1.0/$metadata#users('" + s.st.User.ID + "')/calendars('" + cal + "')/events", "value": vals})
}

func (s *Server) createEvent(q *request, cal string) {
	c := s.st.calendar(cal)
	if !canReadCalendars(q.scopes) {
		s.accessDenied(q.w)
		return
	}
	if c == nil {
		s.itemNotFound(q.w)
		return
	}
	if !canWriteCalendars(q.scopes) || !c.CanEdit {
		s.accessDenied(q.w)
		return
	}
	in, ok := s.readInput(q)
	if !ok {
		return
	}
	// transactionId makes POST idempotent: a retry gets the event the first try made.
	if in.TransactionID != nil && *in.TransactionID != "" {
		for _, e := range s.st.Events {
			if !e.Deleted && e.TransactionID == *in.TransactionID {
				st, _ := e.Start.absolute()
				en, _ := e.End.absolute()
				writeJSON(q.w, http.StatusCreated, s.renderInstance(instance{ev: e, id: e.ID, start: st, end: en}, q.prefs, nil))
				return
			}
		}
	}
	now := s.now()
	e := &storedEvent{ID: randomID("AAMkAGI2THVSAAA", 30), CalendarID: cal, ChangeKey: randomID("DwAAABYAAAA", 12),
		ICalUID: "040000008200E00074C5B7101A82E008" + strings.ToUpper(strings.ReplaceAll(uuid.NewString(), "-", "")),
		Created: now, Modified: now, BodyType: "text"}
	if in.TransactionID != nil {
		e.TransactionID = *in.TransactionID
	}
	if st, code, msg := applyInput(e, in); st != 0 {
		s.graphError(q.w, st, code, msg)
		return
	}
	e.Seq = s.st.bump()
	s.st.Events[e.ID] = e
	s.persistLocked()
	q.w.Header().Set("Location", q.base+"/v1.0/me/events('"+e.ID+"')")
	st, _ := e.Start.absolute()
	en, _ := e.End.absolute()
	writeJSON(q.w, http.StatusCreated, s.renderInstance(instance{ev: e, id: e.ID, start: st, end: en}, q.prefs, nil))
}

// ifMatchOK compares an If-Match header (W/"ck", "ck", ck or *) with the change key.
func ifMatchOK(h, changeKey string) bool {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return true
	}
	h = strings.TrimPrefix(h, "W/")
	h = strings.Trim(h, `"`)
	return h == changeKey
}

func (s *Server) writable(q *request, e *storedEvent) bool {
	c := s.st.calendar(e.CalendarID)
	if !canWriteCalendars(q.scopes) || c == nil || !c.CanEdit {
		s.accessDenied(q.w)
		return false
	}
	return true
}

func (s *Server) conflict(w http.ResponseWriter) {
	s.graphError(w, http.StatusPreconditionFailed, "ErrorIrresolvableConflict",
		"The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.")
}

func (s *Server) updateEvent(q *request, in instance) {
	if !s.writable(q, in.ev) {
		return
	}
	if !ifMatchOK(q.r.Header.Get("If-Match"), in.ev.ChangeKey) {
		s.conflict(q.w)
		return
	}
	if in.occ {
		s.updateOccurrence(q, in)
		return
	}
	input, ok := s.readInput(q)
	if !ok {
		return
	}
	if input.TransactionID != nil {
		s.graphError(q.w, http.StatusBadRequest, "ErrorInvalidRequest", "Your request can't be completed. transactionId can only be set when an event is created.")
		return
	}
	cp := *in.ev
	cp.Props = map[string]string{}
	for k, v := range in.ev.Props {
		cp.Props[k] = v
	}
	if st, code, msg := applyInput(&cp, input); st != 0 {
		s.graphError(q.w, st, code, msg)
		return
	}
	cp.ChangeKey = randomID("DwAAABYAAAA", 12)
	cp.Modified = s.now()
	cp.Seq = s.st.bump()
	cp.Raw = ""
	*in.ev = cp
	s.persistLocked()
	st, _ := cp.Start.absolute()
	en, _ := cp.End.absolute()
	writeJSON(q.w, http.StatusOK, s.renderInstance(instance{ev: in.ev, id: cp.ID, start: st, end: en}, q.prefs, nil))
}

func (s *Server) deleteEvent(q *request, in instance) {
	if !s.writable(q, in.ev) {
		return
	}
	if !ifMatchOK(q.r.Header.Get("If-Match"), in.ev.ChangeKey) {
		s.conflict(q.w)
		return
	}
	if in.occ {
		// One occurrence: it leaves the series; the series and its other exceptions stay.
		m := in.ev
		if in.master != nil {
			m = in.master
		}
		delete(m.Exceptions, in.id)
		m.DeletedOccurrences = append(m.DeletedOccurrences, in.id)
		m.Seq = s.st.bump()
		s.persistLocked()
		q.w.WriteHeader(http.StatusNoContent)
		return
	}
	in.ev.Deleted = true
	in.ev.Seq = s.st.bump()
	in.ev.Modified = s.now()
	s.persistLocked()
	q.w.WriteHeader(http.StatusNoContent)
}

// sortedInstances orders delta items by (change sequence, id): a stable order in which a
// later change always sorts after the current page's position.
func sortedInstances(items []deltaItem) {
	sort.Slice(items, func(i, j int) bool {
		if items[i].seq != items[j].seq {
			return items[i].seq < items[j].seq
		}
		return items[i].id < items[j].id
	})
}

// updateOccurrence applies a PATCH to one occurrence of a series: it becomes (or stays)
// an exception with its own changeKey; the series master and its changeKey are
// unchanged, so the other occurrences keep their versions. The series' change sequence
// moves, so the next delta round carries the exception.
func (s *Server) updateOccurrence(q *request, in instance) {
	input, ok := s.readInput(q)
	if !ok {
		return
	}
	if input.TransactionID != nil {
		s.graphError(q.w, http.StatusBadRequest, "ErrorInvalidRequest", "Your request can't be completed. transactionId can only be set when an event is created.")
		return
	}
	master := in.master
	cp := *in.ev
	if master == nil {
		master = in.ev
		cp.ID, cp.Recurrence, cp.TransactionID = in.id, nil, ""
		cp.Exceptions, cp.DeletedOccurrences = nil, nil
		if master.IsAllDay {
			cp.Start = dateTimeTZ{DateTime: in.start.Format(graphDateTime), TimeZone: master.Start.TimeZone}
			cp.End = dateTimeTZ{DateTime: in.end.Format(graphDateTime), TimeZone: master.End.TimeZone}
		} else {
			cp.Start = dateTimeTZ{DateTime: in.start.UTC().Format(graphDateTime), TimeZone: "UTC"}
			cp.End = dateTimeTZ{DateTime: in.end.UTC().Format(graphDateTime), TimeZone: "UTC"}
		}
	}
	cp.Props = map[string]string{}
	for k, v := range in.ev.Props {
		cp.Props[k] = v
	}
	if st, code, msg := applyInput(&cp, input); st != 0 {
		s.graphError(q.w, st, code, msg)
		return
	}
	cp.ChangeKey = randomID("DwAAABYAAAA", 12)
	cp.Modified = s.now()
	cp.Raw = ""
	if master.Exceptions == nil {
		master.Exceptions = map[string]*storedEvent{}
	}
	master.Exceptions[in.id] = &cp
	master.Seq = s.st.bump()
	s.persistLocked()
	st, _ := cp.Start.absolute()
	en, _ := cp.End.absolute()
	writeJSON(q.w, http.StatusOK, s.renderInstance(instance{ev: &cp, id: in.id, start: st, end: en, occ: true, master: master}, q.prefs, nil))
}
