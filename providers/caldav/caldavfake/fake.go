// Package caldavfake is a small in-memory CalDAV server for tests and demo mode. It
// answers like the real servers calsync meets (Radicale's XML shapes, RFC 4791/6578):
// /.well-known/caldav redirect, current-user-principal, calendar-home-set, calendar
// collections with displayname, supported-calendar-component-set, getctag, sync-token and
// current-user-privilege-set; calendar-query with time-range, calendar-multiget and
// sync-collection (404 for removed members, 507 truncation when SyncPageSize is set,
// DAV:valid-sync-token for stale tokens); If-Match / If-None-Match preconditions.
//
// Authentication is what demo mode needs to show: the account's normal password is
// refused and only the app password works. Nextcloud style answers the normal password
// with 401 and the PasswordLoginForbidden body Nextcloud sends; iCloud style with a bare
// 401, exactly as ambiguous as iCloud is (the client must infer from the host).
package caldavfake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/calsync/calsync/providers/internal/loopback"
	"github.com/calsync/calsync/providers/internal/statefile"
)

// Style selects how a refused normal password is answered.
type Style string

const (
	// Nextcloud: 401 with Sabre's PasswordLoginForbidden error body.
	Nextcloud Style = "nextcloud"
	// ICloud: a bare 401 with no body, as iCloud answers every bad password.
	ICloud Style = "icloud"
)

// Options configures a Server.
type Options struct {
	User        string // default "alice"
	Password    string // the normal account password: always refused (default "account-password")
	AppPassword string // the app password: accepted (default "app-password")
	Style       Style  // default Nextcloud
	// NoSyncCollection makes calendars advertise no DAV:sync-token and refuse the
	// sync-collection REPORT, like servers without RFC 6578 (clients compare etags).
	NoSyncCollection bool
	// BrokenSyncCollection, when set, is the status every sync-collection REPORT answers
	// (403 without a DAV precondition element, 415, 500...) while calendars still
	// advertise a DAV:sync-token: how Posteo, GMX, Zimbra, SOGo and DAViCal fail
	// (PROVIDERS.md, CalDAV).
	BrokenSyncCollection int
	// SyncPageSize > 0 truncates sync-collection answers after that many members with a
	// 507 on the collection, as RFC 6578 3.6 allows; the client continues from the token.
	SyncPageSize int
	// StateFile, when set, is loaded at New if it exists and rewritten atomically after
	// every change, so demo data survives restarts on other ports.
	StateFile string
	// Now is the fake's clock: last-modified stamps, DTSTAMPs it writes, and the Date
	// header of every answer (a client compares those with its own clock). nil = time.Now.
	Now func() time.Time
}

// state is everything that survives a restart.
type state struct {
	User        string               `json:"user"`
	Password    string               `json:"password"`
	AppPassword string               `json:"app_password"`
	Calendars   map[string]*calendar `json:"calendars"`
	Seq         int64                `json:"seq"` // global change counter; sync tokens carry it
}

type calendar struct {
	DisplayName string             `json:"display_name"`
	Components  []string           `json:"components"`
	ReadOnly    bool               `json:"read_only"`
	Objects     map[string]*object `json:"objects"`
	// Changed holds the seq of the last change of every member, deleted ones included
	// (Deleted true), so sync-collection can report removals.
	Changed map[string]change `json:"changed"`
	// MinToken: tokens issued before it are no longer valid (ExpireSyncTokens).
	MinToken int64 `json:"min_token"`
}

type object struct {
	Data     string    `json:"data"`
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
}

type change struct {
	Seq     int64 `json:"seq"`
	Deleted bool  `json:"deleted"`
}

// fault is an armed failure answered to every authenticated request.
type fault struct {
	status     int
	retryAfter time.Duration
}

// Server is a running (or not yet started) fake.
type Server struct {
	opts Options

	mu    sync.Mutex
	st    state
	fault *fault

	lb loopback.Server
}

// New builds a server; with Options.StateFile it loads the saved state when present.
func New(opts Options) *Server {
	if opts.User == "" {
		opts.User = "alice"
	}
	if opts.Password == "" {
		opts.Password = "account-password"
	}
	if opts.AppPassword == "" {
		opts.AppPassword = "app-password"
	}
	if opts.Style == "" {
		opts.Style = Nextcloud
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, st: state{User: opts.User, Password: opts.Password, AppPassword: opts.AppPassword,
		Calendars: map[string]*calendar{}}}
	if opts.StateFile != "" {
		var st state
		if found, err := statefile.Load(opts.StateFile, &st); found && err == nil && st.Calendars != nil {
			s.st = st
		}
	}
	return s
}

// Handler serves the CalDAV API.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
func (s *Server) Start(addr string) (string, error) {
	s.lb.Clock = s.opts.Now // answers are dated by the fake's clock
	return s.lb.Start(addr, s.Handler())
}

// URL is the base URL after Start ("" before).
func (s *Server) URL() string { return s.lb.URL() }

// Close stops serving.
func (s *Server) Close() error { return s.lb.Close() }

// User returns the account name.
func (s *Server) User() string { s.mu.Lock(); defer s.mu.Unlock(); return s.st.User }

// Passwords returns the normal (refused) and app (accepted) passwords.
func (s *Server) Passwords() (normal, app string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Password, s.st.AppPassword
}

// SetAppPassword replaces the app password (revoking the old one: it now gets 401).
func (s *Server) SetAppPassword(pw string) {
	s.mu.Lock()
	s.st.AppPassword = pw
	s.saveLocked()
	s.mu.Unlock()
}

// RequireNewAppPassword turns the current app password into one the server treats like
// the normal account password (refused with the Style's answer), as after an account
// switched to two-factor authentication. A new app password can be set with SetAppPassword.
func (s *Server) RequireNewAppPassword() {
	s.mu.Lock()
	s.st.Password, s.st.AppPassword = s.st.AppPassword, s.st.AppPassword+"-revoked-"+strconv.FormatInt(s.st.Seq, 10)
	s.saveLocked()
	s.mu.Unlock()
}

// CalendarPath is the collection path (and calsync calendar id) of calendar name.
func (s *Server) CalendarPath(name string) string {
	return "/dav/calendars/" + s.User() + "/" + name + "/"
}

// AddCalendar creates calendar name (components default to VEVENT) and returns its path.
func (s *Server) AddCalendar(name, displayName string, components ...string) string {
	if len(components) == 0 {
		components = []string{"VEVENT"}
	}
	s.mu.Lock()
	if _, ok := s.st.Calendars[name]; !ok {
		s.st.Calendars[name] = &calendar{DisplayName: displayName, Components: components,
			Objects: map[string]*object{}, Changed: map[string]change{}}
		s.st.Seq++
		s.saveLocked()
	}
	s.mu.Unlock()
	return s.CalendarPath(name)
}

// SetReadOnly makes calendar name refuse writes (403 DAV:need-privileges) and drop the
// write privileges from current-user-privilege-set.
func (s *Server) SetReadOnly(name string, ro bool) {
	s.mu.Lock()
	if c := s.st.Calendars[name]; c != nil {
		c.ReadOnly = ro
		s.saveLocked()
	}
	s.mu.Unlock()
}

// PutEvent stores iCalendar text as <calendar>/<file> (as another client would) and
// returns its href and etag. The data is stored as given, even when malformed, so tests
// can serve broken events.
func (s *Server) PutEvent(cal, file, ics string) (href, etag string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.Calendars[cal]
	if c == nil {
		return "", "", fmt.Errorf("caldavfake: no calendar %q", cal)
	}
	etag = s.storeLocked(c, file, ics)
	s.saveLocked()
	return "/dav/calendars/" + s.st.User + "/" + cal + "/" + file, etag, nil
}

// DeleteEvent removes <calendar>/<file> as another client would.
func (s *Server) DeleteEvent(cal, file string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.Calendars[cal]
	if c == nil || c.Objects[file] == nil {
		return fmt.Errorf("caldavfake: no event %s/%s", cal, file)
	}
	s.removeLocked(c, file)
	s.saveLocked()
	return nil
}

// Events returns the stored iCalendar text of calendar cal by file name.
func (s *Server) Events(cal string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	if c := s.st.Calendars[cal]; c != nil {
		for n, o := range c.Objects {
			out[n] = o.Data
		}
	}
	return out
}

// ExpireSyncTokens invalidates every sync token issued so far (like a server that
// pruned its change log): sync-collection answers 403 DAV:valid-sync-token.
func (s *Server) ExpireSyncTokens() {
	s.mu.Lock()
	s.st.Seq++
	for _, c := range s.st.Calendars {
		c.MinToken = s.st.Seq
	}
	s.saveLocked()
	s.mu.Unlock()
}

// RateLimit answers every authenticated request with 429 and Retry-After until ClearFault.
func (s *Server) RateLimit(retryAfter time.Duration) { s.Fail(http.StatusTooManyRequests, retryAfter) }

// Fail answers every authenticated request with status (e.g. 500, 503) until ClearFault;
// retryAfter > 0 adds a Retry-After header.
func (s *Server) Fail(status int, retryAfter time.Duration) {
	s.mu.Lock()
	s.fault = &fault{status: status, retryAfter: retryAfter}
	s.mu.Unlock()
}

// ClearFault disarms Fail / RateLimit.
func (s *Server) ClearFault() {
	s.mu.Lock()
	s.fault = nil
	s.mu.Unlock()
}

func etagOf(data string, seq int64) string {
	h := sha256.Sum256([]byte(data + "\x00" + strconv.FormatInt(seq, 10)))
	return `"` + hex.EncodeToString(h[:10]) + `"`
}

func (s *Server) storeLocked(c *calendar, file, data string) string {
	s.st.Seq++
	o := &object{Data: data, ETag: etagOf(data, s.st.Seq), Modified: s.opts.Now().UTC().Truncate(time.Second)}
	c.Objects[file] = o
	c.Changed[file] = change{Seq: s.st.Seq}
	return o.ETag
}

func (s *Server) removeLocked(c *calendar, file string) {
	s.st.Seq++
	delete(c.Objects, file)
	c.Changed[file] = change{Seq: s.st.Seq, Deleted: true}
}

// saveLocked writes the state file atomically (temp file + rename).
func (s *Server) saveLocked() {
	if s.opts.StateFile == "" {
		return
	}
	_ = statefile.Save(s.opts.StateFile, &s.st)
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func trimSlash(p string) string { return strings.Trim(p, "/") }

// ClientFor returns an http.Client that sends requests for host (e.g.
// "caldav.icloud.com") to this server over plain HTTP, so a provider configured with the
// real service's URL talks to the fake and classifies answers by the real host name
// (iCloud's bare 401 means "app password required" only there). Call after Start.
func (s *Server) ClientFor(host string) *http.Client {
	return &http.Client{Transport: hostRewrite{host: host, addr: strings.TrimPrefix(s.URL(), "http://")}}
}

type hostRewrite struct{ host, addr string }

func (h hostRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.EqualFold(r.URL.Hostname(), h.host) {
		return http.DefaultTransport.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host = "http", h.addr
	return http.DefaultTransport.RoundTrip(r2)
}

// EventICS renders a simple timed event as another calendar client would write it (no
// calsync tag), for seeding with PutEvent; it is stamped with the machine's clock.
func EventICS(uid, summary string, start, end time.Time) string {
	return EventICSStamped(uid, summary, start, end, time.Now())
}

// EventICSStamped is EventICS written at stamp (its DTSTAMP, which clients read as the
// event's last change): seeding on a test's or the demo's clock uses that clock.
func EventICSStamped(uid, summary string, start, end, stamp time.Time) string {
	f := "20060102T150405Z"
	esc := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calsync//caldavfake//EN\r\nBEGIN:VEVENT\r\nUID:" + esc(uid) +
		"\r\nDTSTAMP:" + stamp.UTC().Format(f) + "\r\nDTSTART:" + start.UTC().Format(f) + "\r\nDTEND:" + end.UTC().Format(f) +
		"\r\nSUMMARY:" + esc(summary) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}
