package caldav

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httppolicy"
)

// Discovery is what account setup learns from a CalDAV server (RFC 6764 + RFC 4791 6.2).
type Discovery struct {
	// BaseURL is the entry point that answered (after /.well-known redirects).
	BaseURL string
	// Principal and HomeSet are absolute URLs of the user's principal and calendar home.
	Principal string
	HomeSet   string
	Calendars []providers.Calendar
	// Server is the known service the URL belongs to ("generic" for anything else).
	Server KnownServer
}

// Discover finds the calendars of user at baseURL (a bare host, a server URL or the known
// entry point of iCloud, Fastmail or Nextcloud). Errors are *providers.Error; a refused
// password gives AuthExpired or AppPasswordRequired with a hint naming where to create one.
func Discover(ctx context.Context, baseURL, user, password string) (*Discovery, error) {
	return DiscoverWithClient(ctx, nil, baseURL, user, password)
}

// DiscoverWithClient is Discover over a given http.Client (nil = a default one).
func DiscoverWithClient(ctx context.Context, hc *http.Client, baseURL, user, password string) (*Discovery, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	server := ServerForHost(base.String())
	c := newDAVClient(hc, user, password, server)
	d, err := c.discover(ctx, base)
	if err != nil {
		return nil, err
	}
	d.Calendars, err = c.calendars(ctx, d.home, d.principal)
	if err != nil {
		return nil, err
	}
	return &d.Discovery, nil
}

func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(normalizeURL(s))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: "discover",
			Message: "not a server address", Hint: "give the CalDAV server as https://host or https://host/path"}
	}
	u.User = nil // a password in the URL must not end up in errors or stored ids
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

type discovered struct {
	Discovery
	base, principal, home *url.URL
}

// discover walks entry point -> current-user-principal -> calendar-home-set.
func (c *davClient) discover(ctx context.Context, base *url.URL) (*discovered, error) {
	var candidates []*url.URL
	if base.Path != "" && base.Path != "/" {
		candidates = append(candidates, base)
	}
	candidates = append(candidates, base.ResolveReference(&url.URL{Path: "/.well-known/caldav"}), base.ResolveReference(&url.URL{Path: "/"}))
	var lastErr error
	for _, cand := range candidates {
		ms, at, err := c.propfind(ctx, "discover", cand, "0", `<d:current-user-principal/><c:calendar-home-set/><d:resourcetype/>`)
		if err != nil {
			k := providers.KindOf(err)
			// A refused redirect is the answer, not a reason to try the next entry point.
			if k.NeedsReauth() || k == providers.Network || k == providers.RateLimited || httppolicy.Refused(err) {
				return nil, err
			}
			lastErr = err
			continue
		}
		for _, r := range ms.Responses {
			p := r.okProp()
			var principal *url.URL
			if p.CurrentUserPrincipal != nil && len(p.CurrentUserPrincipal.Hrefs) > 0 {
				principal, _ = at.Parse(strings.TrimSpace(p.CurrentUserPrincipal.Hrefs[0]))
			} else if p.CalendarHomeSet != nil {
				principal = at // the entry point is the principal itself
			}
			if principal == nil {
				continue
			}
			home, err := c.homeSet(ctx, principal)
			if err != nil {
				return nil, err
			}
			d := &discovered{base: at, principal: principal, home: home}
			d.BaseURL, d.Principal, d.HomeSet = at.String(), principal.String(), home.String()
			d.Server = c.server
			return d, nil
		}
		lastErr = nil
	}
	e := &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: "discover",
		Message: fmt.Sprintf("no CalDAV service found at %s", base.Redacted()),
		Hint:    "check the server URL (Nextcloud: https://SERVER/remote.php/dav, iCloud: https://caldav.icloud.com, Fastmail: https://caldav.fastmail.com/dav/)"}
	if pe, ok := providers.AsError(lastErr); ok {
		e.Status, e.Err = pe.Status, lastErr
		if pe.Kind == providers.Unavailable {
			e.Kind, e.Hint = providers.Unavailable, pe.Hint
		}
	}
	return nil, e
}

func (c *davClient) homeSet(ctx context.Context, principal *url.URL) (*url.URL, error) {
	ms, at, err := c.propfind(ctx, "find calendar home", principal, "0", `<c:calendar-home-set/>`)
	if err != nil {
		return nil, err
	}
	for _, r := range ms.Responses {
		p := r.okProp()
		if p.CalendarHomeSet != nil && len(p.CalendarHomeSet.Hrefs) > 0 {
			return at.Parse(strings.TrimSpace(p.CalendarHomeSet.Hrefs[0]))
		}
	}
	return nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: "find calendar home",
		Message: "the principal has no calendar-home-set", Hint: "this account has no calendars on the server, or the URL points to a non-CalDAV service"}
}

const calendarProps = `<d:resourcetype/><d:displayname/><c:supported-calendar-component-set/><cs:getctag/>` +
	`<d:sync-token/><d:current-user-privilege-set/><c:calendar-timezone/>`

// calendars lists the calendar collections in the home set. ids are made relative to
// the base host (see idFor).
func (c *davClient) calendars(ctx context.Context, home, base *url.URL) ([]providers.Calendar, error) {
	ms, at, err := c.propfind(ctx, "list calendars", home, "1", calendarProps)
	if err != nil {
		return nil, err
	}
	var out []providers.Calendar
	for _, r := range ms.Responses {
		if len(r.Hrefs) == 0 {
			continue
		}
		p := r.okProp()
		if !p.ResourceType.has(nsCalDAV, "calendar") {
			continue
		}
		u, err := at.Parse(strings.TrimSpace(r.Hrefs[0]))
		if err != nil {
			continue
		}
		cal := calendarFromProp(u, p)
		cal.ID = idFor(base, u)
		out = append(out, cal)
	}
	// CalDAV has no "primary" flag; the first writable event calendar is the best guess
	// (it is the default calendar on iCloud, Fastmail and Nextcloud).
	for i := range out {
		if out[i].Events && !out[i].ReadOnly {
			out[i].Primary = true
			break
		}
	}
	return out, nil
}

func calendarFromProp(u *url.URL, p davProp) providers.Calendar {
	cal := providers.Calendar{Name: strings.TrimSpace(p.DisplayName)}
	if cal.Name == "" {
		cal.Name = lastSegment(u.Path)
	}
	// A missing supported-calendar-component-set means "any component" (RFC 4791 5.2.3).
	cal.Events = p.SupportedComponents == nil || len(p.SupportedComponents.Comps) == 0
	if p.SupportedComponents != nil {
		for _, comp := range p.SupportedComponents.Comps {
			if strings.EqualFold(comp.Name, "VEVENT") {
				cal.Events = true
			}
		}
	}
	cal.ReadOnly = !canWrite(p)
	if tz := tzidFromCalendarTimezone(p.CalendarTimezone); tz != "" {
		cal.TimeZone = tz
	}
	return cal
}

// canWrite reads current-user-privilege-set; servers that do not report it are assumed
// writable (a write then fails with 403, which is classified ReadOnly).
func canWrite(p davProp) bool {
	if p.Privileges == nil {
		return true
	}
	for _, pr := range p.Privileges.Privileges {
		if pr.has(nsDAV, "all") || pr.has(nsDAV, "write") || pr.has(nsDAV, "write-content") || pr.has(nsDAV, "bind") {
			return true
		}
	}
	return false
}

func lastSegment(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		p = p[i+1:]
	}
	if s, err := url.PathUnescape(p); err == nil {
		return s
	}
	return p
}

// idFor renders u as a path when it is on base's host (stable across scheme and port
// changes of the same server), else as an absolute URL (iCloud partition hosts).
func idFor(base, u *url.URL) string {
	if base != nil && strings.EqualFold(u.Host, base.Host) {
		return u.EscapedPath()
	}
	v := *u
	v.User, v.RawQuery, v.Fragment = nil, "", ""
	return v.String()
}

// resolveID turns an id from idFor back into a URL.
func resolveID(base *url.URL, id string) (*url.URL, error) {
	u, err := base.Parse(id)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Message: fmt.Sprintf("not a CalDAV href: %q", id)}
	}
	return u, nil
}
