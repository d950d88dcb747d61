// Package graphfake is a local stand-in for Microsoft Graph (calendars and events) and
// the Entra ID (Azure AD) v2.0 token endpoints, faithful enough that a client tested
// against it classifies real Graph answers the same way.
//
// It reproduces what Graph does, not what a client would like: event times come back in
// UTC unless `Prefer: outlook.timezone` asks otherwise, bodies come back as HTML unless
// `Prefer: outlook.body-content-type="text"` asks for text, calendarView delta does not
// accept $expand (so the single-value extended property tag has to be read with a GET of
// the event and `$expand=singleValueExtendedProperties($filter=id eq '...')`), pages are
// cut at `Prefer: odata.maxpagesize`, nextLink/deltaLink carry the fake's own current base
// URL, errors use the Graph envelope {"error":{"code","message","innerError"}}, and Entra
// errors carry the AADSTS codes of the real service.
//
// It refuses what Graph and Entra refuse: event writes in an IANA zone outside Graph's
// short list (TimeZoneNotSupportedException; Windows names come from CLDR via
// microsoft/internal/winzones), $batch steps beyond a mailbox's 4 concurrent requests
// (429 ApplicationThrottled MailboxConcurrency), a refresh_token grant without scope
// (AADSTS900144), and with Options.SingleTenant the /common endpoints (AADSTS50194). Its
// delta links name the calendar as users/{id}/calendars('{id}'), another form of the
// resource, and @removed marks both deleted events and events moved out of the window.
//
// Use from Go (tests, demo mode):
//
//	f := graphfake.New(graphfake.Options{StateFile: path, AutoApproveDeviceCodes: true})
//	base, _ := f.Start("127.0.0.1:0")        // or httptest.NewServer(f.Handler())
//	ep := graphfake.Endpoints(base)           // providers.Endpoints for the microsoft provider
//	tok := f.IssueToken("Calendars.ReadWrite", "offline_access", "User.Read") // skip sign-in
//	cal := f.AddCalendar(graphfake.Calendar{Name: "Team", CanEdit: false})
//	f.PutEvent(cal, graphfake.Event{Subject: "Standup", Start: t0, End: t1})
//	f.Inject(graphfake.FaultMFARequired, "") // or SetTokenFault, FailNext, ExpireDeltaTokens, ...
//
// Sign-in works through the real endpoints too: the authorization endpoint consents at
// once and redirects to the loopback redirect_uri, and device codes are approved with
// Approve(userCode), the /devicelogin page, or Options.AutoApproveDeviceCodes.
//
// The fault switches (SetTokenFault, FailNext/FailAfter, ExpireDeltaTokens, SetCanEdit,
// SetGrantedScopes, or Inject by name) make it produce each failure in PROVIDERS.md's
// table. Demo mode runs it on a loopback port (Start) and keeps its state — calendars,
// events, change log, issued tokens and armed faults — in Options.StateFile, so a restart
// on another port finds everything as it was.
package graphfake

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/internal/loopback"
	"github.com/calsync/calsync/providers/internal/statefile"
)

// Options configures a Server.
type Options struct {
	// StateFile, when set, is loaded at New if it exists and rewritten atomically after
	// every change, so calendars, events, the change log and issued tokens survive a
	// restart on another port.
	StateFile string
	// Now is the fake's clock (token expiry, device code expiry and polling, timestamps).
	// nil = time.Now.
	Now func() time.Time
	// GrantedScopes limits what the token endpoint grants, as short Graph names
	// ("Calendars.ReadWrite", "User.Read", "offline_access"). nil grants everything asked.
	GrantedScopes []string
	// AutoApproveDeviceCodes approves every device code as soon as it is issued (demo mode:
	// nobody is there to type the code into a browser).
	AutoApproveDeviceCodes bool
	// DeviceCodeInterval is the polling interval the device code endpoint announces, in
	// seconds (Entra says 5). 0 = 5.
	DeviceCodeInterval int
	// EnforcePollInterval answers slow_down to a device code poll that comes sooner than
	// the announced interval after the previous one.
	EnforcePollInterval bool
	// TokenLifetime is how long issued access tokens live. 0 = one hour.
	TokenLifetime time.Duration
	// User is the signed-in user. Zero = a demo user.
	User User
	// ClientID, when set, is the only application id the token endpoints accept.
	ClientID string
	// DeltaTokenTTL, when > 0, makes delta and skip links older than this answer 410
	// SyncStateNotFound, as Graph's do after a while unused.
	DeltaTokenTTL time.Duration
	// Calendar, when non-empty, names the default calendar created for a new (not loaded)
	// state; "" = "Calendar" as in Outlook.
	Calendar string
	// SingleTenant makes the app registration single-tenant, as Entra does for one made
	// after 2018-10-15 without multi-tenant sign-in: the /common (and /organizations,
	// /consumers) endpoints answer AADSTS50194 and only a named tenant works.
	SingleTenant bool
}

// User is who /me answers for.
type User struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
	Mail              string `json:"mail"`
}

// Server is a fake Graph + Entra endpoint.
type Server struct {
	opts Options

	mu sync.Mutex
	st *state

	lb loopback.Server // the listener Start opens
}

// New makes a server, loading Options.StateFile when it exists. A state file that exists
// but cannot be read makes New start from a fresh state (and overwrite it on the first
// change); use NewErr to be told instead.
func New(opts Options) *Server {
	s, err := NewErr(opts)
	if err != nil {
		s = &Server{opts: withDefaults(opts), st: freshState(withDefaults(opts))}
	}
	return s
}

// NewErr is New that reports an unreadable state file instead of starting afresh.
func NewErr(opts Options) (*Server, error) {
	opts = withDefaults(opts)
	s := &Server{opts: opts}
	if opts.StateFile != "" {
		var st state
		found, err := statefile.Load(opts.StateFile, &st)
		if err != nil {
			return nil, fmt.Errorf("graphfake: state file: %w", err)
		}
		if found {
			st.init()
			s.st = &st
			return s, nil
		}
	}
	s.st = freshState(opts)
	return s, nil
}

func withDefaults(o Options) Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DeviceCodeInterval <= 0 {
		o.DeviceCodeInterval = 5
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	if o.User.UserPrincipalName == "" {
		o.User = User{ID: "6e7b768e-07e2-4810-8459-485f84f8f204", DisplayName: "Dana Demo",
			UserPrincipalName: "dana@contoso.example", Mail: "dana@contoso.example"}
	}
	if o.Calendar == "" {
		o.Calendar = "Calendar"
	}
	return o
}

func freshState(o Options) *state {
	st := &state{User: o.User}
	st.init()
	st.addCalendar(Calendar{Name: o.Calendar, CanEdit: true, IsDefault: true})
	return st
}

// Handler serves Graph under /v1.0/ and Entra under /{tenant}/oauth2/v2.0/.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Start listens on addr (e.g. "127.0.0.1:0") and serves until Close. It returns the base
// URL (scheme://host:port, no trailing slash).
func (s *Server) Start(addr string) (string, error) {
	s.lb.Clock = s.opts.Now // answers are dated by the fake's clock
	return s.lb.Start(addr, s.Handler())
}

// URL is the base URL Start returned ("" before Start).
func (s *Server) URL() string { return s.lb.URL() }

// Endpoints are the provider endpoints for a base URL (Start's, or an httptest server's).
// The tenant segment is "common" as for multi-tenant apps.
func Endpoints(base string) providers.Endpoints {
	base = strings.TrimRight(base, "/")
	return providers.Endpoints{
		API:        base + "/v1.0",
		Auth:       base + "/common/oauth2/v2.0/authorize",
		Token:      base + "/common/oauth2/v2.0/token",
		DeviceCode: base + "/common/oauth2/v2.0/devicecode",
	}
}

// Close stops the listener started by Start.
func (s *Server) Close() error { return s.lb.Close() }

// persistLocked writes the state file (temp file + rename) when one is configured.
func (s *Server) persistLocked() error {
	if s.opts.StateFile == "" {
		return nil
	}
	return statefile.Save(s.opts.StateFile, s.st)
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// randomID makes an opaque id shaped like Exchange ids: URL-safe base64 that ends in
// "=", so clients that forget to escape path segments break here as they would on Graph.
func randomID(prefix string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return prefix + base64.URLEncoding.EncodeToString(b)
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
