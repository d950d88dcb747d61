// Package google is calsync's Google Calendar provider: a small net/http client for the
// Calendar API v3 (calendar list with access roles, events with paging and sync tokens,
// idempotent creates with ids derived from the activity id, If-Match updates and deletes,
// the private extended property tag) on top of OAuth 2.0 with loopback + PKCE sign-in.
// Google never frees a deleted event's id, so creating an activity's event again
// restores calsync's deleted event under that id with the new content.
// Every error is a *providers.Error classified from Google's error envelope.
//
// Rules it follows (PROVIDERS.md, Google): an incremental listing is paged by repeating
// the same query, the same syncToken plus pageToken (the sync guide), so an increment's
// page cursor carries its syncToken; 403 accessNotConfigured (Calendar API off in the
// OAuth client's project) and domainPolicy are SetupRequired, account-wide, with the
// project and link to enable it, not a read-only calendar; 403 forbidden concerns one
// event, not the calendar.
//
// The kind "google" is registered with providers.Register; import providers/all.
package google

import (
	"context"
	"encoding/base32"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

// Kind is the provider kind string.
const Kind = "google"

// Scopes.
const (
	ScopeCalendar         = "https://www.googleapis.com/auth/calendar"
	ScopeCalendarReadonly = "https://www.googleapis.com/auth/calendar.readonly"
	ScopeEvents           = "https://www.googleapis.com/auth/calendar.events"
	ScopeEventsReadonly   = "https://www.googleapis.com/auth/calendar.events.readonly"
)

// Scopes is what calsync asks for at sign-in.
var Scopes = []string{ScopeCalendar}

// Default endpoints of the real service.
const (
	DefaultAPI   = "https://www.googleapis.com/calendar/v3/"
	DefaultAuth  = "https://accounts.google.com/o/oauth2/v2/auth"
	DefaultToken = "https://oauth2.googleapis.com/token"
)

// TagProperty is the private extended property holding the calsync activity id.
const TagProperty = "calsyncActivityId"

// DefaultPageSize is maxResults on event listings.
const DefaultPageSize = 250

func init() { providers.Register(Kind, Open) }

// Client is a connected Google account. It implements providers.Provider.
type Client struct {
	api   *httpapi.Client
	ts    *oauth.TokenSource
	login string
	// PageSize is maxResults for event listings (Google allows up to 2500).
	PageSize int
}

// ClientCredentials resolves the OAuth client id/secret: the config's, else
// CALSYNC_GOOGLE_CLIENT_ID / CALSYNC_GOOGLE_CLIENT_SECRET.
func ClientCredentials(cfg providers.Config) (id, secret string) {
	id, secret = cfg.ClientID, cfg.ClientSecret
	if id == "" {
		id = os.Getenv("CALSYNC_GOOGLE_CLIENT_ID")
	}
	if secret == "" {
		secret = os.Getenv("CALSYNC_GOOGLE_CLIENT_SECRET")
	}
	return id, secret
}

// OAuthConfig is the oauth2 configuration for cfg (endpoints overridable for the fake).
func OAuthConfig(cfg providers.Config) oauth2.Config {
	id, secret := ClientCredentials(cfg)
	auth, tok := cfg.Endpoints.Auth, cfg.Endpoints.Token
	if auth == "" {
		auth = DefaultAuth
	}
	if tok == "" {
		tok = DefaultToken
	}
	return oauth2.Config{ClientID: id, ClientSecret: secret, Scopes: append([]string(nil), Scopes...),
		Endpoint: oauth2.Endpoint{AuthURL: auth, TokenURL: tok, AuthStyle: oauth2.AuthStyleInParams}}
}

// Open is the providers.Factory for "google": cfg.Secret is the stored token (see
// oauth.EncodeSecret).
func Open(ctx context.Context, cfg providers.Config) (providers.Provider, error) {
	return New(cfg)
}

// New builds a Client from cfg.
func New(cfg providers.Config) (*Client, error) {
	tok, granted, err := oauth.DecodeSecret(cfg.Secret)
	if err != nil {
		return nil, &providers.Error{Kind: providers.AuthExpired, Provider: Kind, Op: "open",
			Message: err.Error(), Hint: "The stored Google sign-in is unreadable: reconnect the account."}
	}
	oc := OAuthConfig(cfg)
	if oc.ClientID == "" {
		return nil, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: "open",
			Message: "no OAuth client id", Hint: "Set CALSYNC_GOOGLE_CLIENT_ID (and CALSYNC_GOOGLE_CLIENT_SECRET) or give the client id when adding the account."}
	}
	base := cfg.HTTPClient
	ts := oauth.NewTokenSource(oauth.TokenSourceOptions{Provider: Kind, Config: &oc, Token: tok, Granted: granted,
		AccountID: cfg.AccountID, Saver: cfg.Saver, HTTPClient: base, Classify: ClassifyTokenError})
	api := cfg.Endpoints.API
	if api == "" {
		api = DefaultAPI
	}
	return &Client{api: &httpapi.Client{Provider: Kind, Base: api, HTTP: ts.Client(base, api), Classify: Classify},
		ts: ts, login: cfg.Login, PageSize: DefaultPageSize}, nil
}

// TokenSource exposes the token source (granted scopes, save errors).
func (c *Client) TokenSource() *oauth.TokenSource { return c.ts }

// SetClock sets the clock that turns an HTTP-date Retry-After into a wait (tests).
func (c *Client) SetClock(now func() time.Time) { c.api.Now = now }

// do sends a request; a 401 on a token that looked valid (revoked, or expired early) is
// retried once after forcing a refresh, whose own failure (invalid_grant) then explains it.
func (c *Client) do(ctx context.Context, req httpapi.Request, out any) (*httpapi.Response, error) {
	resp, err := c.api.Do(ctx, req, out)
	if pe, ok := providers.AsError(err); ok && pe.Kind == providers.AuthExpired && pe.Status == http.StatusUnauthorized {
		c.ts.Invalidate()
		resp, err = c.api.Do(ctx, req, out)
	}
	if pe, ok := providers.AsError(err); ok {
		pe.Message = c.ts.Redact(pe.Message)
	}
	return resp, err
}

var idEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// EventID is the Google event id calsync uses for an activity: the activity id's bytes in
// lowercase base32hex (characters a-v and 0-9, as Google requires), so a retried create
// after a crash hits the same id and Google answers 409 instead of making a second event.
// Ids too short are padded with a fixed prefix; too long ones are refused by Create.
func EventID(activityID string) string {
	id := strings.ToLower(idEncoding.EncodeToString([]byte(activityID)))
	if len(id) < 5 {
		id = "cs000" + id
	}
	return id
}

// ActivityIDFromEventID reverses EventID (false when id was not made by EventID).
func ActivityIDFromEventID(id string) (string, bool) {
	id = strings.TrimPrefix(id, "cs000")
	b, err := idEncoding.DecodeString(strings.ToUpper(id))
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Calendars lists the calendar list with read-only flags from accessRole.
func (c *Client) Calendars(ctx context.Context) ([]providers.Calendar, error) {
	var out []providers.Calendar
	page := ""
	for i := 0; i < 100; i++ {
		q := url.Values{"maxResults": {"250"}}
		if page != "" {
			q.Set("pageToken", page)
		}
		var resp calendarList
		if _, err := c.do(ctx, httpapi.Request{Op: "list calendars", Path: "users/me/calendarList", Query: q}, &resp); err != nil {
			return nil, err
		}
		for _, e := range resp.Items {
			out = append(out, providers.Calendar{ID: e.ID, Name: firstNonEmpty(e.SummaryOverride, e.Summary, e.ID),
				TimeZone: e.TimeZone, ReadOnly: readOnlyRole(e.AccessRole), Primary: e.Primary, Events: true})
		}
		if resp.NextPageToken == "" {
			return out, nil
		}
		page = resp.NextPageToken
	}
	return nil, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: "list calendars", Message: "calendar list paging does not end"}
}

func readOnlyRole(role string) bool { return role == "reader" || role == "freeBusyReader" }

// Access reports the login (the primary calendar's id is the account e-mail) and scopes.
func (c *Client) Access(ctx context.Context) (providers.AccessReport, error) {
	granted := c.ts.Granted()
	r := providers.AccessReport{Login: c.login, Granted: granted, Needed: append([]string(nil), Scopes...)}
	has := func(s string) bool {
		for _, g := range granted {
			if g == s {
				return true
			}
		}
		return false
	}
	r.CanWrite = has(ScopeCalendar) || has(ScopeEvents)
	canRead := has(ScopeCalendar) || has(ScopeCalendarReadonly) // calendarList needs one of these
	if !has(ScopeCalendar) && !(has(ScopeEvents) && has(ScopeCalendarReadonly)) {
		r.Missing = []string{ScopeCalendar}
	}
	if r.Login == "" && canRead {
		cals, err := c.Calendars(ctx)
		if err != nil {
			if providers.IsKind(err, providers.InsufficientScope) {
				if len(r.Missing) == 0 {
					r.Missing = []string{ScopeCalendar}
				}
				r.CanWrite = false
				return r, nil
			}
			return r, err
		}
		for _, cal := range cals {
			if cal.Primary {
				r.Login = cal.ID
			}
		}
		// A refresh during the call may have changed the grant.
		if g := c.ts.Granted(); len(g) != len(granted) {
			return c.Access(ctx)
		}
	}
	return r, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

var errNoActivity = errors.New("event has no activity id")
