// Package googlefake is an in-memory Google Calendar API v3 and Google OAuth server that
// answers like the real services (paths, JSON shapes, paging, sync tokens, etags and the
// exact error bodies listed in shared/PROVIDERS.md), so the Google client can be tested —
// and demo mode can run — without Google. It returns what Google returns, not what a
// client would like: a client that misreads Google misreads the fake too. Like Google, it
// keeps deleted events (status cancelled, still served by get) and never frees their ids:
// an insert under one is a 409 duplicate, and only an update that sets status confirmed
// (or tentative) brings the event back. It refuses what Google refuses: a page token of
// an incremental listing sent without its syncToken (the sync guide repeats the query),
// and, as faults, answers 403 accessNotConfigured, domainPolicy and forbidden.
//
// Paths served (prefix with URL()):
//
//	/calendar/v3/...        Calendar API (calendarList, events list/get/insert/patch/update/delete)
//	/o/oauth2/v2/auth       authorization endpoint that consents at once and redirects
//	/token                  token endpoint (authorization_code with PKCE, refresh_token)
//
// Endpoints() gives these as providers.Endpoints. Fault switches (Faults, RevokeTokens,
// SetGrantedScopes, SetAccessRole, ExpireSyncTokens, ExpireAccessTokens) and seeding
// methods (AddCalendar, PutEvent, PutRawEvent) are plain Go calls. With Options.StateFile
// set, all state survives restarts: it is loaded in New and rewritten atomically after
// every mutating request.
package googlefake

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/internal/loopback"
	"github.com/calsync/calsync/providers/internal/statefile"
)

// Scopes Google knows for Calendar.
const (
	ScopeCalendar               = "https://www.googleapis.com/auth/calendar"
	ScopeCalendarReadonly       = "https://www.googleapis.com/auth/calendar.readonly"
	ScopeCalendarEvents         = "https://www.googleapis.com/auth/calendar.events"
	ScopeCalendarEventsReadonly = "https://www.googleapis.com/auth/calendar.events.readonly"
)

// Options configures a fake.
type Options struct {
	// StateFile, when set, is loaded at New (if it exists) and rewritten after every
	// mutating request.
	StateFile string
	// Login is the account's e-mail: the id of its primary calendar. Default
	// "demo.user@gmail.com".
	Login string
	// TimeZone of the primary calendar. Default "UTC".
	TimeZone string
	// ClientID / ClientSecret, when set, are required at the token endpoint.
	ClientID     string
	ClientSecret string
	// GrantScopes, when non-nil, is what consent grants: the asked scopes intersected with
	// it (a user unticking calendar access at granular consent). nil = grant all asked.
	GrantScopes []string
	// AccessTokenTTL is an access token's lifetime. Default 3599 s, like Google.
	AccessTokenTTL time.Duration
	// Now is the fake's clock (token expiry, the 7-day testing expiry, updated stamps).
	Now func() time.Time
	// NoPrimary skips creating the primary calendar at New.
	NoPrimary bool
}

// Faults are switches that make the fake fail like Google does.
type Faults struct {
	// AdminPolicyEnforced: consent redirects with error=admin_policy_enforced and the
	// token endpoint answers 400 admin_policy_enforced (Workspace admin blocked the app).
	AdminPolicyEnforced bool
	// TestingAppExpiry: refresh tokens older than 7 days are refused with invalid_grant,
	// as for apps in "Testing" publishing status.
	TestingAppExpiry bool
	// RateLimited: API calls answer RateLimitStatus (429 default, or 403) with reason
	// RateLimitReason (rateLimitExceeded default; userRateLimitExceeded, quotaExceeded)
	// and Retry-After: RetryAfterSeconds (omitted when 0).
	RateLimited       bool
	RateLimitStatus   int
	RateLimitReason   string
	RetryAfterSeconds int
	// ServerError: API calls answer ServerErrorStatus (503 default; 500 backendError).
	ServerError       bool
	ServerErrorStatus int
	// FailCount > 0 makes RateLimited / ServerError fire that many times, then clear.
	FailCount int
	// APINotEnabledProject, when set, answers every API call with 403 accessNotConfigured
	// for that project number (the Calendar API is off in the OAuth client's project).
	APINotEnabledProject string
	// DomainPolicy answers every API call with 403 domainPolicy (Calendar turned off by
	// the Workspace domain).
	DomainPolicy bool
	// ForbiddenEvents lists event ids whose update and delete answer 403 forbidden
	// (someone else's event on a writable calendar).
	ForbiddenEvents []string
}

// Calendar is a calendarList entry.
type Calendar struct {
	ID         string `json:"id"`
	Summary    string `json:"summary"`
	TimeZone   string `json:"timeZone"`
	AccessRole string `json:"accessRole"` // owner | writer | reader | freeBusyReader
	Primary    bool   `json:"primary,omitempty"`
}

// Server is one fake Google.
type Server struct {
	opts Options

	mu    sync.Mutex
	st    *state
	dirty bool

	handler http.Handler
	lb      loopback.Server
}

type state struct {
	Seq         int64                    `json:"seq"`
	Calendars   []*calendar              `json:"calendars"`
	Codes       map[string]*authCode     `json:"codes"`
	Access      map[string]*accessToken  `json:"access"`
	Refresh     map[string]*refreshToken `json:"refresh"`
	Faults      Faults                   `json:"faults"`
	GrantScopes []string                 `json:"grant_scopes"`
	GrantSet    bool                     `json:"grant_set"`
}

type calendar struct {
	Calendar
	Epoch  int64                   `json:"epoch"`
	Events map[string]*storedEvent `json:"events"`
}

type storedEvent struct {
	Event Event           `json:"event"`
	Raw   json.RawMessage `json:"raw,omitempty"` // served verbatim (malformed seeding)
	Seq   int64           `json:"seq"`
}

type authCode struct {
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Challenge   string    `json:"challenge"`
	Method      string    `json:"method"`
	Scopes      []string  `json:"scopes"`
	Expiry      time.Time `json:"expiry"`
	Offline     bool      `json:"offline"` // access_type=offline: a refresh token is issued
}

type accessToken struct {
	Scopes []string  `json:"scopes"`
	Expiry time.Time `json:"expiry"`
}

type refreshToken struct {
	Scopes  []string  `json:"scopes"`
	Issued  time.Time `json:"issued"`
	Revoked bool      `json:"revoked"`
}

// New builds a fake, loading Options.StateFile when it exists.
func New(opts Options) *Server {
	if opts.Login == "" {
		opts.Login = "demo.user@gmail.com"
	}
	if opts.TimeZone == "" {
		opts.TimeZone = "UTC"
	}
	if opts.AccessTokenTTL == 0 {
		opts.AccessTokenTTL = 3599 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts}
	if opts.StateFile != "" {
		// An unreadable file starts a fresh state, overwritten on the first change.
		var st state
		if found, err := statefile.Load(opts.StateFile, &st); found && err == nil {
			s.st = &st
		}
	}
	if s.st == nil {
		s.st = &state{}
		if opts.GrantScopes != nil {
			s.st.GrantScopes, s.st.GrantSet = opts.GrantScopes, true
		}
		if !opts.NoPrimary {
			s.st.Calendars = append(s.st.Calendars, &calendar{Calendar: Calendar{ID: opts.Login,
				Summary: opts.Login, TimeZone: opts.TimeZone, AccessRole: "owner", Primary: true},
				Events: map[string]*storedEvent{}})
		}
	}
	if s.st.Codes == nil {
		s.st.Codes = map[string]*authCode{}
	}
	if s.st.Access == nil {
		s.st.Access = map[string]*accessToken{}
	}
	if s.st.Refresh == nil {
		s.st.Refresh = map[string]*refreshToken{}
	}
	for _, c := range s.st.Calendars {
		if c.Events == nil {
			c.Events = map[string]*storedEvent{}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/o/oauth2/v2/auth", s.handleAuth)
	mux.HandleFunc("/o/oauth2/auth", s.handleAuth)
	mux.HandleFunc("/token", s.handleToken)
	mux.HandleFunc("/calendar/v3/", s.handleAPI)
	s.handler = s.persisting(mux)
	return s
}

// Handler serves the fake (for httptest.NewServer).
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on addr (e.g. "127.0.0.1:0") and serves; it returns the base URL.
func (s *Server) Start(addr string) (string, error) {
	s.lb.Clock = s.opts.Now // answers are dated by the fake's clock
	return s.lb.Start(addr, s.handler)
}

// URL is the base URL after Start ("" before).
func (s *Server) URL() string { return s.lb.URL() }

// Close stops serving (state is already saved).
func (s *Server) Close() error { return s.lb.Close() }

// Endpoints returns the API / Auth / Token URLs under base (URL() when base is "").
type Endpoints struct{ API, Auth, Token string }

// EndpointsAt gives the fake's endpoint URLs for a base URL (httptest URL or URL()).
func EndpointsAt(base string) Endpoints {
	base = strings.TrimRight(base, "/")
	return Endpoints{API: base + "/calendar/v3/", Auth: base + "/o/oauth2/v2/auth", Token: base + "/token"}
}

// Endpoints is EndpointsAt(URL()).
func (s *Server) Endpoints() Endpoints { return EndpointsAt(s.URL()) }

// persisting saves state after any request that changed it.
func (s *Server) persisting(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.saveLocked()
	})
}

// saveLocked writes the state file if anything changed. Callers hold s.mu.
func (s *Server) saveLocked() {
	if !s.dirty || s.opts.StateFile == "" {
		s.dirty = false
		return
	}
	s.dirty = false
	_ = statefile.Save(s.opts.StateFile, s.st)
}

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) calendarLocked(id string) *calendar {
	for _, c := range s.st.Calendars {
		if c.ID == id || (id == "primary" && c.Primary) {
			return c
		}
	}
	return nil
}

var errNoCalendar = errors.New("googlefake: no such calendar")

// ProviderEndpoints is EndpointsAt(base) as providers.Endpoints, ready for providers.Config.
func ProviderEndpoints(base string) providers.Endpoints {
	e := EndpointsAt(base)
	return providers.Endpoints{API: e.API, Auth: e.Auth, Token: e.Token}
}
