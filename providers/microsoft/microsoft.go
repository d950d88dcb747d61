// Package microsoft is calsync's Microsoft 365 / Outlook.com provider: a small net/http
// client for Microsoft Graph (calendars with canEdit, calendarView delta with nextLink /
// deltaLink, idempotent creates with transactionId, If-Match updates and deletes, the
// ownership tag as a single-value extended property) on top of Entra ID OAuth (device
// code or loopback + PKCE sign-in, refresh errors classified by AADSTS code).
//
// Every error is a *providers.Error: the Graph envelope {"error":{"code","message"}} is
// classified by code (case-insensitively) and status; Graph's one ambiguous answer, 403
// ErrorAccessDenied for both a missing scope and a read-only calendar, is decided from
// the granted scopes and the calendar's canEdit.
//
// Rules it follows (PROVIDERS.md, Microsoft Graph and Entra; Graph event-delta,
// dateTimeTimeZone, batching and throttling references):
//   - Writes name zones by their Windows names from CLDR's windowsZones table
//     (internal/winzones, generated), falling back to UTC: Graph refuses most IANA names
//     with TimeZoneNotSupportedException. Reads resolve every Windows name in the table.
//   - nextLink/deltaLink are replayed verbatim; the cursor is bound to the calendar it
//     was taken for, never to the link's path, which Graph may spell another way.
//   - @removed in a calendarView delta also means "moved or edited out of the window":
//     only a 404 on a GET of the event is a deletion.
//   - Tag reads go in $batch requests of at most 4 steps (a mailbox serves 4 requests at
//     once); a step answered 429 is retried alone after its Retry-After.
//   - Create first looks for an event carrying the activity's tag (Graph does not say
//     what a repeated transactionId returns), so a retry after a lost answer finds it.
//   - Token refreshes send scope (Entra v2 wants it); CALSYNC_MICROSOFT_TENANT names the
//     tenant for single-tenant app registrations (AADSTS50194 on /common).
//
// The kind "microsoft" is registered with providers.Register; import providers/all.
package microsoft

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"github.com/calsync/calsync/providers/httppolicy"
	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

// Kind is the provider kind string.
const Kind = "microsoft"

// Default endpoints of the real service. "common" lets work, school and personal
// accounts sign in.
const (
	DefaultAPI        = "https://graph.microsoft.com/v1.0"
	DefaultAuth       = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
	DefaultToken      = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
	DefaultDeviceCode = "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"
)

// Graph permissions.
const (
	ScopeCalendarsReadWrite = "Calendars.ReadWrite"
	ScopeOfflineAccess      = "offline_access"
	ScopeUserRead           = "User.Read"
)

// Scopes is what calsync asks for at sign-in. User.Read lets Access name the account; it
// is consented by default for every app registration.
var Scopes = []string{ScopeCalendarsReadWrite, ScopeOfflineAccess, ScopeUserRead}

// NeededScopes is what calsync cannot work without.
var NeededScopes = []string{ScopeCalendarsReadWrite, ScopeOfflineAccess}

// TagPropertyID is the single-value extended property holding the calsync activity id.
// The GUID is calsync's own property set; it never changes.
const TagPropertyID = "String {8f2a6c1e-3b7d-4e59-a0c4-6d1f9b2e7a35} Name calsyncActivityId"

// DefaultPageSize is odata.maxpagesize for calendarView delta.
const DefaultPageSize = 50

func init() { providers.Register(Kind, Open) }

// Client is a connected Microsoft account. It implements providers.Provider.
type Client struct {
	api      *httpapi.Client
	ts       *oauth.TokenSource
	login    string
	clientID string
	// PageSize is odata.maxpagesize on delta listings.
	PageSize int
	now      func() time.Time
	// sleep waits d or until ctx ends (a throttled batch step's Retry-After); tests
	// replace it so they never wait.
	sleep func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	canEdit map[string]bool // from the last calendar listing

	sent *secretTracker // bearer tokens sent, scrubbed from error texts
}

// ClientID resolves the application (client) id: the config's, else
// CALSYNC_MICROSOFT_CLIENT_ID.
func ClientID(cfg providers.Config) string {
	if cfg.ClientID != "" {
		return cfg.ClientID
	}
	return os.Getenv("CALSYNC_MICROSOFT_CLIENT_ID")
}

// Tenant is the Entra tenant calsync signs in through: CALSYNC_MICROSOFT_TENANT (a tenant
// ID or domain), else "common". A single-tenant app registration cannot use "common"
// (AADSTS50194); its tenant must be named.
func Tenant() string {
	t := strings.TrimSpace(os.Getenv("CALSYNC_MICROSOFT_TENANT"))
	if t == "" || strings.ContainsAny(t, "/?#% ") {
		return "common"
	}
	return t
}

// withTenant puts tenant in place of the tenant segment ("common", "organizations",
// "consumers") of an Entra endpoint URL; other URLs are returned unchanged.
func withTenant(u, tenant string) string {
	if tenant == "common" {
		return u
	}
	for _, seg := range []string{"/common/", "/organizations/", "/consumers/"} {
		if i := strings.Index(u, seg+"oauth2/"); i >= 0 {
			return u[:i] + "/" + tenant + "/" + u[i+len(seg):]
		}
	}
	return u
}

// OAuthConfig is the oauth2 configuration for cfg (endpoints overridable for the fake).
// Microsoft desktop apps are public clients: there is no client secret.
func OAuthConfig(cfg providers.Config) oauth2.Config {
	ep := cfg.Endpoints
	tenant := Tenant()
	pick := func(v, def string) string {
		if v != "" {
			return withTenant(v, tenant)
		}
		return withTenant(def, tenant)
	}
	return oauth2.Config{ClientID: ClientID(cfg), ClientSecret: cfg.ClientSecret,
		Scopes: append([]string(nil), Scopes...),
		Endpoint: oauth2.Endpoint{AuthURL: pick(ep.Auth, DefaultAuth), TokenURL: pick(ep.Token, DefaultToken),
			DeviceAuthURL: pick(ep.DeviceCode, DefaultDeviceCode), AuthStyle: oauth2.AuthStyleInParams}}
}

// Open is the providers.Factory for "microsoft": cfg.Secret is the stored token (see
// oauth.EncodeSecret).
func Open(ctx context.Context, cfg providers.Config) (providers.Provider, error) {
	return New(cfg)
}

// New builds a Client from cfg.
func New(cfg providers.Config) (*Client, error) {
	tok, granted, err := oauth.DecodeSecret(cfg.Secret)
	if err != nil {
		return nil, &providers.Error{Kind: providers.AuthExpired, Provider: Kind, Op: "open",
			Message: err.Error(), Hint: "The stored Microsoft sign-in is unreadable: reconnect the account."}
	}
	oc := OAuthConfig(cfg)
	if oc.ClientID == "" {
		return nil, &providers.Error{Kind: providers.Invalid, Provider: Kind, Op: "open",
			Message: "no application (client) id",
			Hint:    "Set CALSYNC_MICROSOFT_CLIENT_ID or give the client id when adding the account."}
	}
	c := &Client{login: cfg.Login, clientID: oc.ClientID, PageSize: DefaultPageSize, now: time.Now,
		sleep: sleepCtx, canEdit: map[string]bool{}}
	// The API transport remembers the bearer tokens it sends (see secretTracker); the
	// stored refresh token is known up front.
	apiHTTP := httppolicy.Client(cfg.HTTPClient, httppolicy.Policy{})
	next := apiHTTP.Transport
	c.sent = &secretTracker{next: next}
	c.sent.add(tok.AccessToken)
	c.sent.add(tok.RefreshToken)
	apiHTTP.Transport = c.sent
	c.ts = oauth.NewTokenSource(oauth.TokenSourceOptions{Provider: Kind, Config: &oc, Token: tok,
		Granted: granted, AccountID: cfg.AccountID, Saver: cfg.Saver, HTTPClient: cfg.HTTPClient,
		Classify: oauth.EntraClassifier(oc.ClientID), Now: func() time.Time { return c.now() },
		RefreshScopes: oc.Scopes})
	api := cfg.Endpoints.API
	if api == "" {
		api = DefaultAPI
	}
	c.api = &httpapi.Client{Provider: Kind, Base: normalizeBase(api), HTTP: c.ts.Client(apiHTTP, normalizeBase(api)),
		Classify: Classify, Now: func() time.Time { return c.now() }}
	return c, nil
}

// normalizeBase accepts "https://graph.microsoft.com" as well as ".../v1.0".
func normalizeBase(api string) string {
	api = strings.TrimRight(api, "/")
	if i := strings.Index(api, "://"); i >= 0 && !strings.Contains(api[i+3:], "/") {
		api += "/v1.0"
	}
	return api
}

// TokenSource exposes the token source (granted scopes, save errors).
func (c *Client) TokenSource() *oauth.TokenSource { return c.ts }

// SetClock makes token expiry and Retry-After dates use now (tests).
func (c *Client) SetClock(now func() time.Time) { c.now = now }

// SetSleep replaces how the client waits out a Retry-After inside a listing (tests).
func (c *Client) SetSleep(sleep func(ctx context.Context, d time.Duration) error) { c.sleep = sleep }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// do sends a request; a 401 on a token that looked valid (revoked, or expired early) is
// retried once after forcing a refresh, whose own failure (an AADSTS error) then explains it.
func (c *Client) do(ctx context.Context, req httpapi.Request, out any) (*httpapi.Response, error) {
	resp, err := c.api.Do(ctx, req, out)
	if pe, ok := providers.AsError(err); ok && pe.Kind == providers.AuthExpired && pe.Status == http.StatusUnauthorized {
		c.ts.Invalidate()
		resp, err = c.api.Do(ctx, req, out)
	}
	if err != nil {
		err = c.sent.scrub(err, c.ts.Redact)
	}
	return resp, err
}

// TransactionID is the Graph transactionId calsync sends when creating the event for an
// activity: derived from the activity id alone, so a create retried after a crash is
// recognised by Graph and answered with the event the first attempt made.
func TransactionID(activityID string) string {
	h := sha256.Sum256([]byte("calsync-activity:" + activityID))
	return "calsync-" + hex.EncodeToString(h[:16])
}

// shortScope drops the resource prefix Entra puts on granted Graph scopes.
func shortScope(s string) string {
	const res = "https://graph.microsoft.com/"
	if len(s) > len(res) && strings.EqualFold(s[:len(res)], res) {
		return s[len(res):]
	}
	return s
}

func shortScopes(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, shortScope(s))
	}
	return out
}

// hasScope reports whether granted (as the token response spelled them) holds any of want.
func hasScope(granted []string, want ...string) bool {
	for _, g := range granted {
		for _, w := range want {
			if strings.EqualFold(shortScope(g), w) {
				return true
			}
		}
	}
	return false
}

func canWrite(granted []string) bool {
	return hasScope(granted, ScopeCalendarsReadWrite, "Calendars.ReadWrite.Shared")
}

func canRead(granted []string) bool {
	return canWrite(granted) || hasScope(granted, "Calendars.Read", "Calendars.Read.Shared", "Calendars.ReadBasic")
}
