// Package caldav is calsync's CalDAV provider (RFC 4791 calendars, RFC 6578 sync,
// RFC 6764 discovery) for iCloud, Fastmail, Nextcloud, Radicale and other servers.
//
// It speaks WebDAV over net/http with its own small request layer instead of
// go-webdav's client, because calsync needs what that client hides: conditional writes
// (If-Match / If-None-Match), the response body of failures (Nextcloud's
// PasswordLoginForbidden, DAV:need-privileges, DAV:valid-sync-token), Retry-After,
// redirects that keep the PROPFIND method (/.well-known/caldav), absolute hrefs on other
// hosts (iCloud partitions) and per-event decoding so that one broken event does not
// hide the rest. iCalendar is read and written with github.com/emersion/go-ical.
//
// Changes uses sync-collection when the calendar has a DAV:sync-token, and otherwise
// compares etags of a time-range calendar-query with the snapshot kept in the cursor.
// A server that advertises sync tokens but fails the REPORT (403 without
// DAV:valid-sync-token, 415, 5xx: Posteo, GMX, Zimbra, SOGo, DAViCal) gets a full etag
// listing at once instead of an error, and etag comparison from then on: in-process for
// the account, and from run to run through the calendar's etag cursor.
// Cursor formats: "sync2:<base64 JSON syncState>" (token plus a cheap change probe; see
// syncState), "sync1:<server sync-token>" (still read) and "etag1:<base64 gzip JSON
// href->etag>" for servers without sync-collection.
package caldav

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"

	"github.com/calsync/calsync/providers"
)

func init() {
	providers.Register(providerName, func(ctx context.Context, cfg providers.Config) (providers.Provider, error) {
		return New(ctx, cfg)
	})
}

// Provider is one CalDAV account.
type Provider struct {
	c    *davClient
	base *url.URL
	user string
	now  func() time.Time

	// person is the account holder's zone (providers.Config.TimeZone), for floating
	// times in calendars without a calendar-timezone; nil = UTC.
	person *time.Location

	mu   sync.Mutex
	disc *discovered
	// floating caches each calendar's zone for floating times (see floatingZone).
	floating map[string]*time.Location
	// noSync is set once the server failed sync-collection in a way that is not about a
	// token (403 without DAV:valid-sync-token, 415, 5xx): from then on this account's
	// listings compare etags instead of asking for sync tokens (PROVIDERS.md, CalDAV).
	// The etag cursor carries the choice from run to run for each calendar.
	noSync bool
}

var _ providers.Provider = (*Provider)(nil)

// New opens a CalDAV account: cfg.Endpoints.API is the server URL (or, when empty, it is
// derived from an e-mail cfg.Login of a known service), cfg.Login the username and
// cfg.Secret the (app) password. Nothing is sent until the first call.
func New(ctx context.Context, cfg providers.Config) (*Provider, error) {
	raw := cfg.Endpoints.API
	if raw == "" {
		raw = BaseURLForLogin(cfg.Login)
	}
	if raw == "" {
		return nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: "open",
			Message: "no CalDAV server URL", Hint: "give the server URL (e.g. https://cloud.example.org/remote.php/dav)"}
	}
	base, err := parseBaseURL(raw)
	if err != nil {
		return nil, err
	}
	return &Provider{
		c:      newDAVClient(cfg.HTTPClient, cfg.Login, string(cfg.Secret), ServerForHost(base.String())),
		base:   base,
		user:   cfg.Login,
		now:    time.Now,
		person: loadLocation(cfg.TimeZone),
	}, nil
}

// floatingZone returns the zone floating times of calendar calURL are read in: its
// calendar-timezone (RFC 4791 5.2.2), else the person's zone, else UTC (nil). It is
// looked up on first use only, once per calendar while the provider lives (a run).
func (p *Provider) floatingZone(ctx context.Context, calURL *url.URL) func() *time.Location {
	return func() *time.Location {
		key := calURL.String()
		p.mu.Lock()
		loc, ok := p.floating[key]
		p.mu.Unlock()
		if ok {
			return loc
		}
		loc = p.person
		if _, ms, err := p.propfindDated(ctx, "read calendar time zone", calURL, `<c:calendar-timezone/>`); err == nil {
			for _, r := range ms.Responses {
				if l := locationForTZID(tzidFromCalendarTimezone(r.okProp().CalendarTimezone)); l != nil {
					loc = l
				}
			}
		}
		p.mu.Lock()
		if p.floating == nil {
			p.floating = map[string]*time.Location{}
		}
		p.floating[key] = loc
		p.mu.Unlock()
		return loc
	}
}

func (p *Provider) discovery(ctx context.Context) (*discovered, error) {
	p.mu.Lock()
	d := p.disc
	p.mu.Unlock()
	if d != nil {
		return d, nil
	}
	d, err := p.c.discover(ctx, p.base)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.disc = d
	p.mu.Unlock()
	return d, nil
}

// Calendars lists the calendar collections of the account's calendar home.
func (p *Provider) Calendars(ctx context.Context) ([]providers.Calendar, error) {
	d, err := p.discovery(ctx)
	if err != nil {
		return nil, err
	}
	return p.c.calendars(ctx, d.home, p.base)
}

// Access reports the login and whether any event calendar may be written. Password
// accounts have no scopes.
func (p *Provider) Access(ctx context.Context) (providers.AccessReport, error) {
	cals, err := p.Calendars(ctx)
	if err != nil {
		return providers.AccessReport{}, err
	}
	r := providers.AccessReport{Login: p.user}
	for _, c := range cals {
		if c.Events && !c.ReadOnly {
			r.CanWrite = true
		}
	}
	return r, nil
}

const (
	cursorSync  = "sync1:" // bare sync-token (older cursors)
	cursorSync2 = "sync2:" // syncState as base64 JSON
	cursorETag  = "etag1:"
	// multigetBatch keeps calendar-multiget bodies and responses moderate.
	multigetBatch = 200
)

// Changes lists calendar cal (cursor "") or what changed since cursor.
//
// Removals come as Event{RemoteID: href, Deleted: true}; a removed series also removes
// its expanded instances (their SeriesID is that href). In increments, changed events
// arrive even when they moved outside win, so the caller can tell "moved away" from
// "deleted"; recurring series are expanded inside win, and a changed series re-sends
// all its instances there (an instance the change removed, e.g. by a new EXDATE, is
// absent from them and from the next full listing, which is where it shows as gone).
func (p *Provider) Changes(ctx context.Context, cal, cursor string, win providers.Window) (providers.ChangePage, error) {
	calURL, err := p.collectionURL(cal)
	if err != nil {
		return providers.ChangePage{}, err
	}
	switch {
	case cursor == "":
		return p.fullListing(ctx, calURL, win)
	case strings.HasPrefix(cursor, cursorSync):
		return p.increment(ctx, calURL, syncState{Token: strings.TrimPrefix(cursor, cursorSync)}, win)
	case strings.HasPrefix(cursor, cursorSync2):
		st, err := decodeSyncState(strings.TrimPrefix(cursor, cursorSync2))
		if err != nil {
			return providers.ChangePage{}, &providers.Error{Kind: providers.CursorExpired, Provider: providerName, Op: "list changes",
				Message: "unreadable sync cursor", Hint: "calsync will list the calendar again"}
		}
		return p.increment(ctx, calURL, st, win)
	case strings.HasPrefix(cursor, cursorETag):
		snap, err := decodeSnapshot(strings.TrimPrefix(cursor, cursorETag))
		if err != nil {
			return providers.ChangePage{}, &providers.Error{Kind: providers.CursorExpired, Provider: providerName, Op: "list changes",
				Message: "unreadable etag snapshot in cursor", Hint: "calsync will list the calendar again"}
		}
		return p.etagCompare(ctx, calURL, snap, win)
	default:
		return providers.ChangePage{}, &providers.Error{Kind: providers.CursorExpired, Provider: providerName, Op: "list changes",
			Message: "cursor is not a CalDAV cursor", Hint: "calsync will list the calendar again"}
	}
}

func (p *Provider) collectionURL(cal string) (*url.URL, error) {
	u, err := resolveID(p.base, cal)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	return u, nil
}

// fullListing takes the sync-token first and lists second, so a change made during the
// listing shows up again in the next increment instead of being missed.
func (p *Provider) fullListing(ctx context.Context, calURL *url.URL, win providers.Window) (providers.ChangePage, error) {
	p.mu.Lock()
	noSync := p.noSync
	p.mu.Unlock()
	var st syncState
	if !noSync {
		var err error
		st, err = p.probe(ctx, calURL, "", true)
		if err != nil {
			return providers.ChangePage{}, err
		}
	}
	objs, err := p.query(ctx, calURL, win, true)
	if err != nil {
		return providers.ChangePage{}, err
	}
	page := providers.ChangePage{Full: true}
	snap := map[string]string{}
	floating := p.floatingZone(ctx, calURL)
	for _, o := range objs {
		p.decodeInto(&page, o, win, floating)
		snap[o.id] = o.etag
	}
	if st.Token != "" {
		page.NextCursor = cursorSync2 + st.encode()
	} else {
		page.NextCursor = cursorETag + encodeSnapshot(snap)
	}
	return page, nil
}

// syncState is what a sync cursor remembers: the RFC 6578 token, plus a cheap
// "did anything change" probe of the collection taken just before that token was
// used, so that a run where nothing changed costs one small PROPFIND.
//
// Probes: "ctag" (CS:getctag: iCloud, Nextcloud, Fastmail, SOGo keep it in a database
// and change it with every change) or "lm" (DAV:getlastmodified of the collection:
// Radicale computes it from file times with stat() alone, while its getctag and
// sync-collection parse every event, ~100 ms for 2,000 events). getlastmodified has
// one-second resolution, so it is trusted only when the last change was at least two
// seconds before the probe (both by the server's clock: the Date header of the same
// answer); otherwise sync-collection runs. A reverse proxy whose clock runs ahead of the
// server's could hide a change made in the very second of a probe until the next change;
// a full listing (cursor "") always sees everything.
type syncState struct {
	Token string `json:"t"`
	Probe string `json:"p,omitempty"`
	Value string `json:"v,omitempty"`
	Date  int64  `json:"d,omitempty"` // server Date of the probe, unix seconds
}

func (st syncState) encode() string {
	b, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSyncState(s string) (syncState, error) {
	var st syncState
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, err
	}
	if st.Token == "" {
		return st, fmt.Errorf("no token")
	}
	return st, nil
}

// probe reads the collection's change probe; with withToken also its sync-token and
// the kind of probe the server supports (kind "" = find out).
func (p *Provider) probe(ctx context.Context, calURL *url.URL, kind string, withToken bool) (syncState, error) {
	props := ""
	if withToken {
		props += `<d:sync-token/>`
	}
	switch kind {
	case "lm":
		props += `<d:getlastmodified/>`
	case "ctag":
		props += `<cs:getctag/>`
	case "":
		props += `<d:getlastmodified/>`
	}
	resp, ms, err := p.propfindDated(ctx, "read sync token", calURL, props)
	if err != nil {
		return syncState{}, err
	}
	st := syncState{Date: resp}
	var lm, ctag string
	for _, r := range ms.Responses {
		pr := r.okProp()
		if t := strings.TrimSpace(pr.SyncToken); t != "" {
			st.Token = t
		}
		lm, ctag = strings.TrimSpace(pr.LastModified), strings.TrimSpace(pr.CTag)
	}
	switch {
	case kind == "ctag" || (kind == "" && lm == ""):
		if kind == "" {
			// No getlastmodified on this collection: ask for getctag (cheap on the servers
			// that lack the former).
			d, ms2, err := p.propfindDated(ctx, "read sync token", calURL, `<cs:getctag/>`)
			if err != nil {
				return syncState{}, err
			}
			st.Date = d
			for _, r := range ms2.Responses {
				ctag = strings.TrimSpace(r.okProp().CTag)
			}
		}
		if ctag != "" {
			st.Probe, st.Value = "ctag", ctag
		}
	default:
		if lm != "" {
			st.Probe, st.Value = "lm", lm
		}
	}
	return st, nil
}

func (p *Provider) propfindDated(ctx context.Context, op string, u *url.URL, props string) (int64, *multistatus, error) {
	body := `<?xml version="1.0" encoding="utf-8"?>` +
		`<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/"><d:prop>` +
		props + `</d:prop></d:propfind>`
	resp, ms, err := p.c.multistatusResp(ctx, op, "PROPFIND", u, "0", body)
	if err != nil {
		return 0, nil, err
	}
	var date int64
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		date = t.Unix()
	}
	return date, ms, nil
}

// unchanged reports whether a fresh probe proves that nothing changed since st.
func (st syncState) unchanged(now syncState) bool {
	if st.Probe == "" || st.Probe != now.Probe || st.Value == "" || st.Value != now.Value {
		return false
	}
	if st.Probe == "lm" {
		lm, err := http.ParseTime(st.Value)
		return err == nil && st.Date != 0 && lm.Unix()+2 <= st.Date
	}
	return true
}

// increment answers an increment from a sync cursor: the probe first, sync-collection
// only when the probe cannot prove that nothing changed.
func (p *Provider) increment(ctx context.Context, calURL *url.URL, st syncState, win providers.Window) (providers.ChangePage, error) {
	var now syncState
	if st.Probe != "" {
		var err error
		now, err = p.probe(ctx, calURL, st.Probe, false)
		if err != nil {
			return providers.ChangePage{}, err
		}
		if st.unchanged(now) {
			return providers.ChangePage{NextCursor: cursorSync2 + st.encode()}, nil
		}
	}
	page, token, err := p.syncCollection(ctx, calURL, st.Token, win)
	if err != nil {
		if syncCollectionBroken(err) {
			// Posteo, GMX, Zimbra, SOGo, DAViCal advertise sync tokens and then fail the
			// REPORT: fall back for good to listing hrefs and etags, now, instead of
			// failing every run.
			p.mu.Lock()
			p.noSync = true
			p.mu.Unlock()
			return p.fullListing(ctx, calURL, win)
		}
		return page, err
	}
	next := syncState{Token: token}
	if !page.More {
		// A truncated page must not carry a probe: the next call has to continue.
		next.Probe, next.Value, next.Date = now.Probe, now.Value, now.Date
	}
	page.NextCursor = cursorSync2 + next.encode()
	return page, nil
}

// object is one calendar object resource from a REPORT.
type object struct {
	id, href, etag string
	data           *string // nil when only etags were asked for
	status         int
}

func (p *Provider) objects(ms *multistatus, at *url.URL) []object {
	var out []object
	for _, r := range ms.Responses {
		for _, h := range r.Hrefs {
			u, err := at.Parse(strings.TrimSpace(h))
			if err != nil {
				continue
			}
			o := object{id: idFor(p.base, u), href: u.EscapedPath(), status: statusCode(r.Status)}
			if len(r.Propstats) > 0 {
				pr := r.okProp()
				o.etag, o.data = pr.ETag, pr.CalendarData
				if r.Status == "" {
					o.status = 200
				}
			}
			out = append(out, o)
		}
	}
	return out
}

func timeRange(win providers.Window) string {
	if win.Start.IsZero() && win.End.IsZero() {
		return ""
	}
	s := `<c:time-range`
	if !win.Start.IsZero() {
		s += ` start="` + win.Start.UTC().Format("20060102T150405Z") + `"`
	}
	if !win.End.IsZero() {
		s += ` end="` + win.End.UTC().Format("20060102T150405Z") + `"`
	}
	return s + `/>`
}

// query runs a calendar-query for VEVENTs overlapping win.
func (p *Provider) query(ctx context.Context, calURL *url.URL, win providers.Window, withData bool) ([]object, error) {
	prop := `<d:getetag/>`
	if withData {
		prop += `<c:calendar-data/>`
	}
	body := `<?xml version="1.0" encoding="utf-8"?>` +
		`<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>` + prop + `</d:prop>` +
		`<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">` + timeRange(win) +
		`</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`
	ms, at, err := p.c.report(ctx, "list events", calURL, "1", body)
	if err != nil {
		return nil, err
	}
	var out []object
	for _, o := range p.objects(ms, at) {
		if o.status >= 200 && o.status < 300 && !strings.HasSuffix(o.href, "/") {
			out = append(out, o)
		}
	}
	return out, nil
}

// multiget fetches objects by href, in batches.
func (p *Provider) multiget(ctx context.Context, calURL *url.URL, hrefs []string) ([]object, error) {
	var out []object
	for len(hrefs) > 0 {
		n := min(len(hrefs), multigetBatch)
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">` +
			`<d:prop><d:getetag/><c:calendar-data/></d:prop>`)
		for _, h := range hrefs[:n] {
			b.WriteString(`<d:href>` + xmlEscape(h) + `</d:href>`)
		}
		b.WriteString(`</c:calendar-multiget>`)
		hrefs = hrefs[n:]
		ms, at, err := p.c.report(ctx, "fetch events", calURL, "1", b.String())
		if err != nil {
			return nil, err
		}
		out = append(out, p.objects(ms, at)...)
	}
	return out, nil
}

func (p *Provider) decodeInto(page *providers.ChangePage, o object, win providers.Window, floating func() *time.Location) {
	if o.data == nil {
		page.Bad = append(page.Bad, providers.BadEvent{RemoteID: o.id, Err: fmt.Errorf("the server sent no calendar data")})
		return
	}
	evs, err := decodeObjectIn(o.id, o.etag, []byte(*o.data), win, p.now(), floating)
	if err != nil {
		page.Bad = append(page.Bad, providers.BadEvent{RemoteID: o.id, Subject: summaryOf(*o.data), Err: err, Unsupported: true})
		return
	}
	page.Events = append(page.Events, evs...)
	if len(evs) > 0 && evs[0].SeriesID == o.id {
		page.CompleteSeries = append(page.CompleteSeries, o.id)
	}
}

// syncCollectionBroken reports whether a sync-collection failure means the server does
// not really support it (403 without DAV:valid-sync-token, 415, 501, 5xx other than a
// 503 outage, or a refused report), rather than a stale token or a sign-in problem.
func syncCollectionBroken(err error) bool {
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind == providers.CursorExpired || pe.Kind.NeedsReauth() || pe.Code == "need-privileges" {
		return false
	}
	switch {
	case pe.Code == "supported-report":
		return true
	case pe.Status == http.StatusForbidden || pe.Status == http.StatusUnsupportedMediaType ||
		pe.Status == http.StatusBadRequest || pe.Status == http.StatusMethodNotAllowed || pe.Status == http.StatusNotImplemented:
		return true
	case pe.Status >= 500 && pe.Status != http.StatusServiceUnavailable:
		return true
	}
	return false
}

// syncCollection reads one RFC 6578 increment. A 507 on the collection means the server
// truncated the result: the page says More and the next call continues from its token.
func (p *Provider) syncCollection(ctx context.Context, calURL *url.URL, token string, win providers.Window) (providers.ChangePage, string, error) {
	body := `<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:">` +
		`<d:sync-token>` + xmlEscape(token) + `</d:sync-token><d:sync-level>1</d:sync-level>` +
		`<d:prop><d:getetag/></d:prop></d:sync-collection>`
	ms, at, err := p.c.report(ctx, "list changes", calURL, "0", body)
	if err != nil {
		return providers.ChangePage{}, "", err
	}
	page := providers.ChangePage{}
	if strings.TrimSpace(ms.SyncToken) == "" {
		return providers.ChangePage{}, "", &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: "list changes",
			Message: "sync-collection answer without a sync-token"}
	}
	var changed []string
	ids := map[string]string{}
	for _, o := range p.objects(ms, at) {
		switch {
		case o.status == 507 || strings.TrimRight(o.href, "/") == strings.TrimRight(calURL.EscapedPath(), "/"):
			if o.status == 507 {
				page.More = true
			}
		case o.status == 404 || o.status == 410:
			page.Events = append(page.Events, providers.Event{RemoteID: o.id, Deleted: true})
		case strings.HasSuffix(o.href, "/"):
			// a sub-collection; calendars have none
		default:
			changed = append(changed, o.href)
			ids[o.href] = o.id
		}
	}
	if err := p.fetchChanged(ctx, calURL, changed, &page, win); err != nil {
		return providers.ChangePage{}, "", err
	}
	return page, strings.TrimSpace(ms.SyncToken), nil
}

func (p *Provider) fetchChanged(ctx context.Context, calURL *url.URL, hrefs []string, page *providers.ChangePage, win providers.Window) error {
	if len(hrefs) == 0 {
		return nil
	}
	objs, err := p.multiget(ctx, calURL, hrefs)
	if err != nil {
		return err
	}
	floating := p.floatingZone(ctx, calURL)
	for _, o := range objs {
		switch {
		case o.status == 404 || o.status == 410:
			// deleted between the listing and the fetch
			page.Events = append(page.Events, providers.Event{RemoteID: o.id, Deleted: true})
		case o.status >= 200 && o.status < 300:
			p.decodeInto(page, o, win, floating)
		default:
			page.Bad = append(page.Bad, providers.BadEvent{RemoteID: o.id, Err: fmt.Errorf("the server answered %d for this event", o.status)})
		}
	}
	return nil
}

// etagCompare is the increment for servers without sync-collection: list hrefs and etags
// in the window and compare them with the snapshot from the previous run.
func (p *Provider) etagCompare(ctx context.Context, calURL *url.URL, snap map[string]string, win providers.Window) (providers.ChangePage, error) {
	objs, err := p.query(ctx, calURL, win, false)
	if err != nil {
		return providers.ChangePage{}, err
	}
	page := providers.ChangePage{}
	now := map[string]string{}
	var fetch []string
	for _, o := range objs {
		now[o.id] = o.etag
		if old, ok := snap[o.id]; !ok || old != o.etag || o.etag == "" {
			fetch = append(fetch, o.href)
		}
	}
	if err := p.fetchChanged(ctx, calURL, fetch, &page, win); err != nil {
		return providers.ChangePage{}, err
	}
	// An href missing from the window may be deleted or may have moved out of it: only
	// a 404 counts as a deletion. Events that moved out stay in the snapshot, so they are
	// reported once, when they change, not on every run.
	var missing []string
	for id := range snap {
		if _, ok := now[id]; !ok {
			if u, err := resolveID(p.base, id); err == nil {
				missing = append(missing, u.EscapedPath())
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		objs, err := p.multiget(ctx, calURL, missing)
		if err != nil {
			return providers.ChangePage{}, err
		}
		found := map[string]bool{}
		for _, o := range objs {
			found[o.id] = true
			switch {
			case o.status == 404 || o.status == 410:
				page.Events = append(page.Events, providers.Event{RemoteID: o.id, Deleted: true})
			case o.status >= 200 && o.status < 300:
				now[o.id] = o.etag
				if o.etag == "" || o.etag != snap[o.id] {
					p.decodeInto(&page, o, win, p.floatingZone(ctx, calURL))
				}
			default:
				now[o.id] = snap[o.id] // unknown state: keep it and ask again next time
			}
		}
		// Servers may leave hrefs that are gone out of a multiget answer.
		for _, h := range missing {
			u, _ := calURL.Parse(h)
			if id := idFor(p.base, u); !found[id] {
				page.Events = append(page.Events, providers.Event{RemoteID: id, Deleted: true})
			}
		}
	}
	page.NextCursor = cursorETag + encodeSnapshot(now)
	return page, nil
}

func encodeSnapshot(m map[string]string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	json.NewEncoder(zw).Encode(m)
	zw.Close()
	return base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

func decodeSnapshot(s string) (map[string]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := json.NewDecoder(io.LimitReader(zr, 64<<20)).Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// Create writes ev as <calendar>/<activity-id>.ics with If-None-Match: *, so a create
// retried after a crash finds the first one (412) and returns it instead of duplicating.
func (p *Provider) Create(ctx context.Context, cal string, ev providers.Event) (providers.Event, error) {
	const op = "create event"
	if strings.TrimSpace(ev.ActivityID) == "" {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Message: "event has no activity id"}
	}
	calURL, err := p.collectionURL(cal)
	if err != nil {
		return providers.Event{}, err
	}
	u := calURL.JoinPath(resourceName(ev.ActivityID) + ".ics")
	uid := ev.ICalUID
	if uid == "" {
		uid = ev.ActivityID
	}
	body, err := encodeEvent(nil, ev, uid, p.now())
	if err != nil {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Message: "cannot encode event: " + err.Error()}
	}
	resp, err := p.c.do(ctx, op, http.MethodPut, u, body, map[string]string{"If-None-Match": "*", "Content-Type": "text/calendar; charset=utf-8"})
	if err == nil && resp.Status == http.StatusMultiStatus {
		err = p.c.putFailure(op, http.MethodPut, u, resp)
	}
	if pe, ok := providers.AsError(err); ok && pe.Code == "no-uid-conflict" {
		// Another resource holds this UID: not a retry of our create (that would be
		// the same resource), so not something to read back.
		return providers.Event{}, err
	}
	if providers.IsKind(err, providers.Conflict) {
		// Already there: a retry of a create that reached the server.
		got, gerr := p.get(ctx, op, u)
		if gerr != nil {
			return providers.Event{}, err
		}
		return got, nil
	}
	if err != nil {
		return providers.Event{}, err
	}
	return p.written(ctx, op, u, resp, ev, uid)
}

// resourceName maps an activity id to a safe file name: activity ids are UUIDs, but a
// "/" or ".." must never address another collection.
func resourceName(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// written builds the event returned by a PUT; without an ETag header (allowed when the
// server changed the data) it is read back.
func (p *Provider) written(ctx context.Context, op string, u *url.URL, resp *response, ev providers.Event, uid string) (providers.Event, error) {
	etag := resp.Header.Get("ETag")
	if etag == "" || strings.HasPrefix(etag, "W/") {
		return p.get(ctx, op, u)
	}
	ev.RemoteID, ev.ETag, ev.ICalUID = idFor(p.base, u), etag, uid
	ev.Updated = p.now().UTC().Truncate(time.Second)
	ev.Deleted, ev.SeriesID, ev.ReadOnly = false, "", false
	return ev, nil
}

// get reads one event resource.
func (p *Provider) get(ctx context.Context, op string, u *url.URL) (providers.Event, error) {
	data, etag, err := p.getRaw(ctx, op, u)
	if err != nil {
		return providers.Event{}, err
	}
	calURL, _ := u.Parse("./")
	evs, err := decodeObjectIn(idFor(p.base, u), etag, data, providers.Window{}, p.now(), p.floatingZone(ctx, calURL))
	if err != nil || len(evs) == 0 {
		msg := "no event in the resource"
		if err != nil {
			msg = err.Error()
		}
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Message: msg}
	}
	return evs[0], nil
}

func (p *Provider) getRaw(ctx context.Context, op string, u *url.URL) ([]byte, string, error) {
	resp, err := p.c.do(ctx, op, http.MethodGet, u, nil, map[string]string{"Accept": "text/calendar"})
	if err != nil {
		return nil, "", err
	}
	return resp.Body, resp.Header.Get("ETag"), nil
}

func seriesError(op string) error {
	return &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Code: "recurring-series",
		Message: "the event became a recurring series in the calendar",
		Hint:    "change the series in your calendar app; calsync writes single occurrences, not whole series"}
}

// Update rewrites the event at ev.RemoteID if its etag is still ifMatch. Fields calsync
// does not manage (attendees, alarms, categories) are kept from the server's copy.
func (p *Provider) Update(ctx context.Context, cal string, ev providers.Event, ifMatch string) (providers.Event, error) {
	const op = "update event"
	if strings.Contains(ev.RemoteID, "#") {
		return p.updateOccurrence(ctx, op, ev, ifMatch)
	}
	u, err := resolveID(p.base, ev.RemoteID)
	if err != nil {
		return providers.Event{}, err
	}
	data, etag, err := p.getRaw(ctx, op, u)
	if err != nil {
		return providers.Event{}, err
	}
	if ifMatch != "" && !etagEqual(etag, ifMatch) {
		return providers.Event{}, &providers.Error{Kind: providers.Conflict, Provider: providerName, Op: op, Status: http.StatusPreconditionFailed,
			Code: "etag-mismatch", Hint: "the event changed on the server since calsync last read it"}
	}
	existing, err := parseICal(data)
	if err != nil {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op,
			Message: "the server's copy is not valid iCalendar; not overwriting it: " + err.Error()}
	}
	uid := ""
	for _, c := range existing.Children {
		if c.Name == ical.CompEvent {
			uid = propText(c, ical.PropUID)
			if c.Props.Get(ical.PropRecurrenceRule) != nil || c.Props.Get(ical.PropRecurrenceID) != nil {
				// The resource became a series since calsync linked it as one event:
				// rewriting its master would move every occurrence.
				return providers.Event{}, seriesError(op)
			}
		}
	}
	if ev.ActivityID == "" {
		ev.ActivityID = existingActivityID(existing)
	}
	body, err := encodeEvent(existing, ev, uid, p.now())
	if err != nil {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Message: "cannot encode event: " + err.Error()}
	}
	hdr := map[string]string{"Content-Type": "text/calendar; charset=utf-8"}
	if etag != "" {
		hdr["If-Match"] = etag // also guards the read-modify-write when ifMatch is ""
	}
	resp, err := p.c.do(ctx, op, http.MethodPut, u, body, hdr)
	if err == nil && resp.Status == http.StatusMultiStatus {
		err = p.c.putFailure(op, http.MethodPut, u, resp)
	}
	if err != nil {
		return providers.Event{}, err
	}
	return p.written(ctx, op, u, resp, ev, uid)
}

func existingActivityID(cal *ical.Calendar) string {
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent {
			if s := propText(c, PropActivityID); s != "" {
				return s
			}
		}
	}
	return ""
}

// Delete removes the event if its etag is still ifMatch; a missing event is not an error.
func (p *Provider) Delete(ctx context.Context, cal, remoteID, ifMatch string) error {
	const op = "delete event"
	if strings.Contains(remoteID, "#") {
		return p.deleteOccurrence(ctx, op, remoteID, ifMatch)
	}
	u, err := resolveID(p.base, remoteID)
	if err != nil {
		return err
	}
	hdr := map[string]string{}
	if ifMatch != "" {
		hdr["If-Match"] = quoteETag(ifMatch)
	}
	_, err = p.c.do(ctx, op, http.MethodDelete, u, nil, hdr)
	if providers.IsKind(err, providers.NotFound) {
		return nil
	}
	return err
}

func quoteETag(s string) string {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `W/"`) {
		return s
	}
	return `"` + s + `"`
}

func etagEqual(a, b string) bool {
	norm := func(s string) string { return strings.Trim(strings.TrimPrefix(strings.TrimSpace(s), "W/"), `"`) }
	return norm(a) == norm(b)
}
