package caldavfake

import (
	"bytes"
	"crypto/subtle"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	webdavcaldav "github.com/emersion/go-webdav/caldav"
)

const (
	nsDAV    = "DAV:"
	nsCalDAV = "urn:ietf:params:xml:ns:caldav"
	nsCS     = "http://calendarserver.org/ns/"
	// tokenPrefix makes sync tokens URIs, as RFC 6578 requires (Radicale uses the same form).
	tokenPrefix = "http://calsync.invalid/ns/sync/"
	maxBody     = 16 << 20
)

// passwordLoginForbidden is the body Nextcloud sends when a two-factor account uses its
// normal password over DAV (OCA\DAV\Connector\Sabre\Exception\PasswordLoginForbidden).
const passwordLoginForbidden = `<?xml version="1.0" encoding="utf-8"?>
<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:o="http://owncloud.org/ns">
  <s:exception>OCA\DAV\Connector\Sabre\Exception\PasswordLoginForbidden</s:exception>
  <s:message/>
  <o:hint xmlns:o="o:">password login forbidden</o:hint>
</d:error>
`

// notAuthenticated is Sabre's answer to a wrong password.
const notAuthenticated = `<?xml version="1.0" encoding="utf-8"?>
<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">
  <s:exception>Sabre\DAV\Exception\NotAuthenticated</s:exception>
  <s:message>Username or password was incorrect</s:message>
</d:error>
`

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/.well-known/caldav" {
		http.Redirect(w, r, "/dav/", http.StatusMovedPermanently)
		return
	}
	if !s.authenticate(w, r) {
		return
	}
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	if f != nil {
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.retryAfter+time.Second-1)/time.Second)))
		}
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res := s.resolve(r.URL.Path)
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("DAV", "1, 2, 3, calendar-access, extended-mkcol")
		w.Header().Set("Allow", "DELETE, GET, HEAD, MKCALENDAR, MKCOL, MOVE, OPTIONS, PROPFIND, PROPPATCH, PUT, REPORT")
		w.WriteHeader(http.StatusOK)
	case "PROPFIND":
		s.propfind(w, r, res, body)
	case "REPORT":
		s.report(w, r, res, body)
	case http.MethodGet, http.MethodHead:
		s.get(w, r, res)
	case http.MethodPut:
		s.put(w, r, res, body)
	case http.MethodDelete:
		s.delete(w, r, res)
	case "MKCALENDAR":
		s.mkcalendar(w, res, body)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	s.mu.Lock()
	st := s.st
	s.mu.Unlock()
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if ok && eq(user, st.User) && eq(pass, st.AppPassword) {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="calsync fake CalDAV", charset="UTF-8"`)
	normal := ok && eq(user, st.User) && eq(pass, st.Password)
	switch {
	case s.opts.Style == ICloud:
		w.WriteHeader(http.StatusUnauthorized)
	case normal:
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, passwordLoginForbidden)
	default:
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, notAuthenticated)
	}
	return false
}

type resKind int

const (
	resNone resKind = iota
	resRoot
	resPrincipal
	resHome
	resCalendar
	resObject
)

type resource struct {
	kind    resKind
	calName string
	cal     *calendar
	file    string
	path    string
}

func (s *Server) resolve(p string) resource {
	if dp, err := url.PathUnescape(p); err == nil {
		p = dp
	}
	parts := strings.Split(trimSlash(p), "/")
	if trimSlash(p) == "" || (len(parts) == 1 && parts[0] == "dav") {
		return resource{kind: resRoot, path: "/dav/"}
	}
	if parts[0] != "dav" || len(parts) < 3 || parts[2] != s.st.User {
		return resource{}
	}
	switch {
	case parts[1] == "principals" && len(parts) == 3:
		return resource{kind: resPrincipal, path: s.principalPath()}
	case parts[1] == "calendars" && len(parts) == 3:
		return resource{kind: resHome, path: s.homePath()}
	case parts[1] == "calendars" && len(parts) == 4:
		return resource{kind: resCalendar, calName: parts[3], cal: s.st.Calendars[parts[3]], path: s.homePath() + parts[3] + "/"}
	case parts[1] == "calendars" && len(parts) == 5 && parts[4] != "":
		return resource{kind: resObject, calName: parts[3], cal: s.st.Calendars[parts[3]], file: parts[4],
			path: s.homePath() + parts[3] + "/" + parts[4]}
	}
	return resource{}
}

func (s *Server) principalPath() string { return "/dav/principals/" + s.st.User + "/" }
func (s *Server) homePath() string      { return "/dav/calendars/" + s.st.User + "/" }

func hrefEsc(p string) string {
	segs := strings.Split(p, "/")
	for i, sg := range segs {
		segs[i] = url.PathEscape(sg)
	}
	return esc(strings.Join(segs, "/"))
}

func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// --- PROPFIND ---

type propName = xml.Name

type propfindReq struct {
	AllProp *struct{} `xml:"DAV: allprop"`
	Prop    *struct {
		Names []struct {
			XMLName xml.Name
		} `xml:",any"`
	} `xml:"DAV: prop"`
}

func requestedProps(body []byte, defaults []propName) []propName {
	if len(bytes.TrimSpace(body)) == 0 {
		return defaults
	}
	var req propfindReq
	if xml.Unmarshal(body, &req) != nil || req.Prop == nil {
		return defaults
	}
	var out []propName
	for _, n := range req.Prop.Names {
		out = append(out, n.XMLName)
	}
	return out
}

var allProps = []propName{{Space: nsDAV, Local: "resourcetype"}, {Space: nsDAV, Local: "displayname"},
	{Space: nsDAV, Local: "getetag"}, {Space: nsDAV, Local: "getcontenttype"}, {Space: nsDAV, Local: "current-user-principal"}}

func (s *Server) propfind(w http.ResponseWriter, r *http.Request, res resource, body []byte) {
	if res.kind == resNone || ((res.kind == resCalendar || res.kind == resObject) && res.cal == nil) ||
		(res.kind == resObject && res.cal.Objects[res.file] == nil) {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	props := requestedProps(body, allProps)
	depth := r.Header.Get("Depth")
	resps := []string{s.propResponse(res, props)}
	if depth == "1" {
		switch res.kind {
		case resHome:
			for _, name := range sortedKeys(s.st.Calendars) {
				resps = append(resps, s.propResponse(resource{kind: resCalendar, calName: name, cal: s.st.Calendars[name],
					path: s.homePath() + name + "/"}, props))
			}
		case resCalendar:
			for _, f := range sortedKeys(res.cal.Objects) {
				resps = append(resps, s.propResponse(resource{kind: resObject, calName: res.calName, cal: res.cal, file: f,
					path: res.path + f}, props))
			}
		}
	}
	writeMultistatus(w, resps, "")
}

// propValue renders one property of a resource, ok=false when it has none (404 propstat).
func (s *Server) propValue(res resource, n propName, calData string) (string, bool) {
	key := n.Space + " " + n.Local
	switch key {
	case nsDAV + " current-user-principal":
		return `<D:current-user-principal><D:href>` + hrefEsc(s.principalPath()) + `</D:href></D:current-user-principal>`, true
	case nsDAV + " principal-URL":
		return `<D:principal-URL><D:href>` + hrefEsc(s.principalPath()) + `</D:href></D:principal-URL>`, true
	case nsDAV + " resourcetype":
		switch res.kind {
		case resObject:
			return `<D:resourcetype/>`, true
		case resPrincipal:
			return `<D:resourcetype><D:principal/><D:collection/></D:resourcetype>`, true
		case resCalendar:
			return `<D:resourcetype><C:calendar/><D:collection/></D:resourcetype>`, true
		default:
			return `<D:resourcetype><D:collection/></D:resourcetype>`, true
		}
	case nsDAV + " displayname":
		switch res.kind {
		case resCalendar:
			return `<D:displayname>` + esc(res.cal.DisplayName) + `</D:displayname>`, true
		case resPrincipal:
			return `<D:displayname>` + esc(s.st.User) + `</D:displayname>`, true
		}
	case nsCalDAV + " calendar-home-set":
		if res.kind == resPrincipal || res.kind == resRoot {
			return `<C:calendar-home-set><D:href>` + hrefEsc(s.homePath()) + `</D:href></C:calendar-home-set>`, true
		}
	case nsCalDAV + " supported-calendar-component-set":
		if res.kind == resCalendar {
			var b strings.Builder
			for _, c := range res.cal.Components {
				b.WriteString(`<C:comp name="` + esc(c) + `"/>`)
			}
			return `<C:supported-calendar-component-set>` + b.String() + `</C:supported-calendar-component-set>`, true
		}
	case nsCS + " getctag", nsDAV + " sync-token":
		if res.kind == resCalendar && !(key == nsDAV+" sync-token" && s.opts.NoSyncCollection) {
			tok := esc(tokenPrefix + strconv.FormatInt(s.st.Seq, 10))
			if n.Local == "getctag" {
				return `<CS:getctag>` + tok + `</CS:getctag>`, true
			}
			return `<D:sync-token>` + tok + `</D:sync-token>`, true
		}
	case nsDAV + " current-user-privilege-set":
		if res.kind == resObject {
			return "", false
		}
		privs := []string{"read"}
		if res.kind != resCalendar || !res.cal.ReadOnly {
			privs = append(privs, "all", "write", "write-properties", "write-content", "bind", "unbind")
		}
		var b strings.Builder
		for _, p := range privs {
			b.WriteString(`<D:privilege><D:` + p + `/></D:privilege>`)
		}
		return `<D:current-user-privilege-set>` + b.String() + `</D:current-user-privilege-set>`, true
	case nsDAV + " supported-report-set":
		if res.kind == resCalendar {
			reps := []string{"<C:calendar-query/>", "<C:calendar-multiget/>"}
			if !s.opts.NoSyncCollection {
				reps = append(reps, "<D:sync-collection/>")
			}
			var b strings.Builder
			for _, r := range reps {
				b.WriteString(`<D:supported-report><D:report>` + r + `</D:report></D:supported-report>`)
			}
			return `<D:supported-report-set>` + b.String() + `</D:supported-report-set>`, true
		}
	case nsDAV + " getetag":
		if res.kind == resObject {
			return `<D:getetag>` + esc(res.cal.Objects[res.file].ETag) + `</D:getetag>`, true
		}
	case nsDAV + " getcontenttype":
		if res.kind == resObject {
			return `<D:getcontenttype>text/calendar;charset=utf-8;component=VEVENT</D:getcontenttype>`, true
		}
	case nsDAV + " getlastmodified":
		if res.kind == resObject {
			return `<D:getlastmodified>` + res.cal.Objects[res.file].Modified.Format(http.TimeFormat) + `</D:getlastmodified>`, true
		}
	case nsDAV + " getcontentlength":
		if res.kind == resObject {
			return `<D:getcontentlength>` + strconv.Itoa(len(res.cal.Objects[res.file].Data)) + `</D:getcontentlength>`, true
		}
	case nsCalDAV + " calendar-data":
		if res.kind == resObject {
			return `<C:calendar-data>` + esc(calData) + `</C:calendar-data>`, true
		}
	}
	return "", false
}

func (s *Server) propResponse(res resource, props []propName) string {
	data := ""
	if res.kind == resObject {
		data = res.cal.Objects[res.file].Data
	}
	var found, missing strings.Builder
	for _, n := range props {
		if v, ok := s.propValue(res, n, data); ok {
			found.WriteString(v)
		} else {
			fmt.Fprintf(&missing, `<X:%s xmlns:X="%s"/>`, esc(n.Local), esc(n.Space))
		}
	}
	out := `<D:response><D:href>` + hrefEsc(res.path) + `</D:href>`
	if found.Len() > 0 {
		out += `<D:propstat><D:prop>` + found.String() + `</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`
	}
	if missing.Len() > 0 {
		out += `<D:propstat><D:prop>` + missing.String() + `</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`
	}
	return out + `</D:response>`
}

func writeMultistatus(w http.ResponseWriter, resps []string, syncToken string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	io.WriteString(w, `<?xml version='1.0' encoding='utf-8'?>`+"\n"+
		`<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/">`)
	for _, r := range resps {
		io.WriteString(w, r)
	}
	if syncToken != "" {
		io.WriteString(w, `<D:sync-token>`+esc(syncToken)+`</D:sync-token>`)
	}
	io.WriteString(w, `</D:multistatus>`)
}

func davError(w http.ResponseWriter, status int, element string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, `<?xml version='1.0' encoding='utf-8'?>`+"\n"+
		`<D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`+element+`</D:error>`)
}

func needPrivileges(w http.ResponseWriter, path, priv string) {
	davError(w, http.StatusForbidden, `<D:need-privileges><D:resource><D:href>`+hrefEsc(path)+
		`</D:href><D:privilege><D:`+priv+`/></D:privilege></D:resource></D:need-privileges>`)
}

// --- REPORT ---

type compFilter struct {
	Name      string `xml:"name,attr"`
	TimeRange *struct {
		Start string `xml:"start,attr"`
		End   string `xml:"end,attr"`
	} `xml:"urn:ietf:params:xml:ns:caldav time-range"`
	Comps []compFilter `xml:"urn:ietf:params:xml:ns:caldav comp-filter"`
}

type reportReq struct {
	XMLName xml.Name
	Prop    *struct {
		Names []struct {
			XMLName xml.Name
		} `xml:",any"`
	} `xml:"DAV: prop"`
	Hrefs     []string `xml:"DAV: href"`
	SyncToken *string  `xml:"DAV: sync-token"`
	Filter    *struct {
		Comp compFilter `xml:"urn:ietf:params:xml:ns:caldav comp-filter"`
	} `xml:"urn:ietf:params:xml:ns:caldav filter"`
}

func (s *Server) report(w http.ResponseWriter, r *http.Request, res resource, body []byte) {
	if res.kind != resCalendar || res.cal == nil {
		if res.kind == resCalendar {
			http.Error(w, "Not Found", http.StatusNotFound)
			return
		}
		davError(w, http.StatusForbidden, `<D:supported-report/>`)
		return
	}
	var req reportReq
	if err := xml.Unmarshal(body, &req); err != nil {
		http.Error(w, "Bad Request: invalid XML", http.StatusBadRequest)
		return
	}
	var props []propName
	if req.Prop != nil {
		for _, n := range req.Prop.Names {
			props = append(props, n.XMLName)
		}
	}
	switch req.XMLName.Space + " " + req.XMLName.Local {
	case nsCalDAV + " calendar-query":
		s.calendarQuery(w, res, req, props)
	case nsCalDAV + " calendar-multiget":
		s.multiget(w, res, req, props)
	case nsDAV + " sync-collection":
		s.syncCollection(w, res, req, props)
	default:
		davError(w, http.StatusForbidden, `<D:supported-report/>`)
	}
}

func (s *Server) objectResource(res resource, file string) resource {
	return resource{kind: resObject, calName: res.calName, cal: res.cal, file: file, path: res.path + file}
}

func (s *Server) calendarQuery(w http.ResponseWriter, res resource, req reportReq, props []propName) {
	var start, end time.Time
	wantEvent := false
	if req.Filter != nil {
		for _, c := range req.Filter.Comp.Comps {
			if strings.EqualFold(c.Name, "VEVENT") {
				wantEvent = true
				if c.TimeRange != nil {
					start, _ = time.Parse("20060102T150405Z", c.TimeRange.Start)
					end, _ = time.Parse("20060102T150405Z", c.TimeRange.End)
				}
			}
		}
	}
	var resps []string
	for _, f := range sortedKeys(res.cal.Objects) {
		if matches(res.cal.Objects[f].Data, wantEvent, start, end) {
			resps = append(resps, s.propResponse(s.objectResource(res, f), props))
		}
	}
	writeMultistatus(w, resps, "")
}

// matches applies a VEVENT comp-filter with an optional time-range (RFC 4791 9.9).
// Unparseable objects match, so clients see (and report) them instead of missing them.
func matches(data string, wantEvent bool, start, end time.Time) bool {
	cal, err := ical.NewDecoder(strings.NewReader(data)).Decode()
	if err != nil {
		return true
	}
	events := cal.Events()
	if wantEvent && len(events) == 0 {
		return false
	}
	if start.IsZero() && end.IsZero() {
		return true
	}
	for _, ev := range events {
		if ev.Props.Get(ical.PropRecurrenceRule) != nil || ev.Props.Get(ical.PropRecurrenceDates) != nil {
			ok, err := webdavcaldav.Match(webdavcaldav.CompFilter{Name: "VCALENDAR", Comps: []webdavcaldav.CompFilter{
				{Name: "VEVENT", Start: start, End: end}}}, &webdavcaldav.CalendarObject{Data: cal})
			if err != nil || ok {
				return true
			}
			continue
		}
		s, err1 := ev.DateTimeStart(time.UTC)
		e, err2 := ev.DateTimeEnd(time.UTC)
		if err1 != nil || err2 != nil {
			return true
		}
		if e.Before(s) {
			e = s
		}
		if e.Equal(s) {
			if (end.IsZero() || s.Before(end)) && !s.Before(start) {
				return true
			}
			continue
		}
		if (end.IsZero() || s.Before(end)) && (start.IsZero() || e.After(start)) {
			return true
		}
	}
	return false
}

func (s *Server) multiget(w http.ResponseWriter, res resource, req reportReq, props []propName) {
	var resps []string
	for _, h := range req.Hrefs {
		u, err := url.Parse(strings.TrimSpace(h))
		if err != nil {
			continue
		}
		p, _ := url.PathUnescape(u.Path)
		file := ""
		if strings.HasPrefix(p, res.path) {
			file = strings.TrimPrefix(p, res.path)
		}
		if file == "" || strings.Contains(file, "/") || res.cal.Objects[file] == nil {
			resps = append(resps, `<D:response><D:href>`+esc(strings.TrimSpace(h))+`</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>`)
			continue
		}
		resps = append(resps, s.propResponse(s.objectResource(res, file), props))
	}
	writeMultistatus(w, resps, "")
}

func (s *Server) syncCollection(w http.ResponseWriter, res resource, req reportReq, props []propName) {
	if s.opts.NoSyncCollection {
		davError(w, http.StatusForbidden, `<D:supported-report/>`)
		return
	}
	if st := s.opts.BrokenSyncCollection; st != 0 {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(st)
		io.WriteString(w, "<html><body><h1>"+http.StatusText(st)+"</h1></body></html>")
		return
	}
	var since int64
	if req.SyncToken != nil && strings.TrimSpace(*req.SyncToken) != "" {
		t := strings.TrimSpace(*req.SyncToken)
		n, err := strconv.ParseInt(strings.TrimPrefix(t, tokenPrefix), 10, 64)
		if !strings.HasPrefix(t, tokenPrefix) || err != nil || n < res.cal.MinToken || n > s.st.Seq {
			davError(w, http.StatusForbidden, `<D:valid-sync-token/>`)
			return
		}
		since = n
	}
	type member struct {
		file string
		ch   change
	}
	var ms []member
	for f, ch := range res.cal.Changed {
		if ch.Seq > since && !(since == 0 && ch.Deleted) {
			ms = append(ms, member{f, ch})
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].ch.Seq < ms[j].ch.Seq })
	token := s.st.Seq
	truncated := false
	if s.opts.SyncPageSize > 0 && len(ms) > s.opts.SyncPageSize {
		ms = ms[:s.opts.SyncPageSize]
		token = ms[len(ms)-1].ch.Seq
		truncated = true
	}
	var resps []string
	for _, m := range ms {
		if m.ch.Deleted {
			resps = append(resps, `<D:response><D:href>`+hrefEsc(res.path+m.file)+`</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>`)
			continue
		}
		resps = append(resps, s.propResponse(s.objectResource(res, m.file), props))
	}
	if truncated {
		resps = append(resps, `<D:response><D:href>`+hrefEsc(res.path)+`</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status></D:response>`)
	}
	writeMultistatus(w, resps, tokenPrefix+strconv.FormatInt(token, 10))
}

// --- objects ---

func (s *Server) get(w http.ResponseWriter, r *http.Request, res resource) {
	if res.kind != resObject || res.cal == nil || res.cal.Objects[res.file] == nil {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	o := res.cal.Objects[res.file]
	w.Header().Set("Content-Type", "text/calendar;charset=utf-8")
	w.Header().Set("ETag", o.ETag)
	w.Header().Set("Last-Modified", o.Modified.Format(http.TimeFormat))
	if r.Method == http.MethodHead {
		return
	}
	io.WriteString(w, o.Data)
}

// preconditions checks If-Match / If-None-Match (RFC 7232) against the current object.
func preconditions(r *http.Request, o *object) bool {
	if im := r.Header.Get("If-Match"); im != "" {
		if o == nil {
			return false
		}
		if strings.TrimSpace(im) != "*" && strings.TrimSpace(im) != o.ETag {
			return false
		}
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if o != nil && (strings.TrimSpace(inm) == "*" || strings.TrimSpace(inm) == o.ETag) {
			return false
		}
	}
	return true
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, res resource, body []byte) {
	if res.kind != resObject {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	if res.cal == nil {
		http.Error(w, "Conflict: no parent collection", http.StatusConflict)
		return
	}
	if res.cal.ReadOnly {
		needPrivileges(w, res.path, "write-content")
		return
	}
	existing := res.cal.Objects[res.file]
	if !preconditions(r, existing) {
		http.Error(w, "Precondition Failed", http.StatusPreconditionFailed)
		return
	}
	cal, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
	if err != nil {
		davError(w, http.StatusForbidden, `<C:valid-calendar-data/>`)
		return
	}
	if _, _, err := webdavcaldav.ValidateCalendarObject(cal); err != nil {
		davError(w, http.StatusForbidden, `<C:valid-calendar-object-resource/>`)
		return
	}
	etag := s.storeLocked(res.cal, res.file, string(body))
	s.saveLocked()
	w.Header().Set("ETag", etag)
	if existing == nil {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, res resource) {
	if res.kind != resObject || res.cal == nil || res.cal.Objects[res.file] == nil {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	if res.cal.ReadOnly {
		needPrivileges(w, res.path, "unbind")
		return
	}
	if !preconditions(r, res.cal.Objects[res.file]) {
		http.Error(w, "Precondition Failed", http.StatusPreconditionFailed)
		return
	}
	s.removeLocked(res.cal, res.file)
	s.saveLocked()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) mkcalendar(w http.ResponseWriter, res resource, body []byte) {
	if res.kind != resCalendar {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	if res.cal != nil {
		davError(w, http.StatusMethodNotAllowed, `<D:resource-must-be-null/>`)
		return
	}
	var req struct {
		Set struct {
			Prop struct {
				DisplayName string `xml:"DAV: displayname"`
				Comps       struct {
					Comps []struct {
						Name string `xml:"name,attr"`
					} `xml:"urn:ietf:params:xml:ns:caldav comp"`
				} `xml:"urn:ietf:params:xml:ns:caldav supported-calendar-component-set"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: set"`
	}
	xml.Unmarshal(body, &req)
	comps := []string{}
	for _, c := range req.Set.Prop.Comps.Comps {
		comps = append(comps, c.Name)
	}
	if len(comps) == 0 {
		comps = []string{"VEVENT", "VTODO"}
	}
	s.st.Seq++
	s.st.Calendars[res.calName] = &calendar{DisplayName: req.Set.Prop.DisplayName, Components: comps,
		Objects: map[string]*object{}, Changed: map[string]change{}}
	s.saveLocked()
	w.WriteHeader(http.StatusCreated)
}
