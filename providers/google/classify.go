package google

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"golang.org/x/oauth2"
)

// Hints, one line each: what the person should do.
const (
	hintScope        = "Calendar access was not granted: remove calsync at https://myaccount.google.com/permissions and reconnect with the calendar box ticked."
	hintReadOnly     = "You can only read this calendar: pick a calendar you own or ask its owner for \"Make changes to events\"."
	hintAuth         = "The Google sign-in expired or was revoked: reconnect the account."
	hintRate         = "Google is limiting requests: calsync will retry after the wait."
	hintAvailable    = "Google Calendar is having trouble: calsync will retry later."
	hintCursor       = "Google asked for a full resync: calsync will list the calendar again."
	hintConflict     = "The event changed in Google Calendar since calsync last read it: it will be re-read before writing."
	hintAdmin        = "Your Google Workspace administrator blocks calsync: ask them to allow it in the Admin console (API controls), then reconnect."
	hintDomainPolicy = "Your Google Workspace administrator has turned Google Calendar off for this account (or for third-party apps): ask them to turn it on in the Admin console."
	hintForbidden    = "Google refused to change this event (forbidden): it belongs to someone else; calsync leaves it and goes on."
)

var (
	reProject    = regexp.MustCompile(`project (\d{1,20})`)
	reEnableLink = regexp.MustCompile(`https://console\.(?:developers|cloud)\.google\.com/[^\s"']+`)
)

// setupHint tells the person to enable the Calendar API in the OAuth client's project,
// naming the project and the link Google's answer gives (details metadata, else message).
func setupHint(msg string, meta map[string]string) string {
	project := strings.TrimPrefix(meta["consumer"], "projects/")
	if project == "" {
		if m := reProject.FindStringSubmatch(msg); m != nil {
			project = m[1]
		}
	}
	link := meta["activationUrl"]
	if !strings.HasPrefix(link, "https://console.") {
		link = reEnableLink.FindString(msg)
	}
	link = strings.TrimRight(link, ".,;)")
	if len(link) > 300 {
		link = ""
	}
	h := "The Google Calendar API is not enabled in the Google Cloud project of calsync's OAuth client"
	if project != "" && len(project) <= 20 {
		h = "The Google Calendar API is not enabled in project " + project + " (the project of calsync's OAuth client)"
	}
	h += ": enable it"
	if link != "" {
		h += " at " + link
	}
	return h + ", wait a few minutes, then sync again."
}

type envelope struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Domain  string `json:"domain"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"errors"`
		Details []struct {
			Type     string            `json:"@type"`
			Reason   string            `json:"reason"`
			Metadata map[string]string `json:"metadata"`
		} `json:"details"`
	} `json:"error"`
}

// Classify maps a Google Calendar API error answer to a provider error, from the
// envelope's errors[0].reason and ErrorInfo details reason, falling back on the status.
func Classify(resp *httpapi.Response) *providers.Error {
	var env envelope
	_ = json.Unmarshal(resp.Body, &env)
	reason, detail := "", ""
	if len(env.Error.Errors) > 0 {
		reason = env.Error.Errors[0].Reason
	}
	var meta map[string]string
	for _, d := range env.Error.Details {
		if strings.HasSuffix(d.Type, "google.rpc.ErrorInfo") && d.Reason != "" {
			detail, meta = d.Reason, d.Metadata
		}
	}
	msg := env.Error.Message
	pe := &providers.Error{Code: firstNonEmpty(reason, detail, env.Error.Status), Message: msg}
	switch {
	case reason == "insufficientPermissions" || detail == "ACCESS_TOKEN_SCOPE_INSUFFICIENT":
		pe.Kind, pe.Hint = providers.InsufficientScope, hintScope
	case reason == "accessNotConfigured" || detail == "SERVICE_DISABLED":
		// The Calendar API is not enabled in the OAuth client's Cloud project: the first
		// error anyone with their own client meets. Not a read-only calendar.
		pe.Kind, pe.Hint = providers.SetupRequired, setupHint(msg, meta)
	case reason == "domainPolicy":
		// The Workspace domain has Calendar (or access by third-party apps) turned off.
		pe.Kind, pe.Hint = providers.SetupRequired, hintDomainPolicy
	case reason == "forbidden":
		// This one event may not be changed by this user (someone else's event, a
		// private copy): the calendar itself may still be writable, so not ReadOnly.
		pe.Kind, pe.Hint = providers.Invalid, hintForbidden
	case reason == "requiredAccessLevel" || reason == "forbiddenForNonOrganizer":
		pe.Kind, pe.Hint = providers.ReadOnly, hintReadOnly
	case reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" || reason == "quotaExceeded" ||
		reason == "dailyLimitExceeded" || resp.Status == http.StatusTooManyRequests || detail == "RATE_LIMIT_EXCEEDED":
		pe.Kind, pe.Hint = providers.RateLimited, hintRate
	case reason == "fullSyncRequired":
		pe.Kind, pe.Hint = providers.CursorExpired, hintCursor
	case reason == "authError" || resp.Status == http.StatusUnauthorized:
		pe.Kind, pe.Hint = providers.AuthExpired, hintAuth
	case reason == "conditionNotMet" || resp.Status == http.StatusPreconditionFailed:
		pe.Kind, pe.Hint = providers.Conflict, hintConflict
	case reason == "duplicate":
		pe.Kind = providers.Conflict
	case reason == "notFound" || reason == "deleted" || resp.Status == http.StatusNotFound:
		pe.Kind = providers.NotFound
	case resp.Status == http.StatusGone:
		// A 410 that is neither fullSyncRequired nor deleted: treat the token as stale.
		pe.Kind, pe.Hint = providers.CursorExpired, hintCursor
	case resp.Status >= 500:
		pe.Kind, pe.Hint = providers.Unavailable, hintAvailable
	case resp.Status == http.StatusForbidden:
		// Unknown 403 reason: not retryable, needs a person. ReadOnly is the least wrong.
		pe.Kind, pe.Hint = providers.ReadOnly, "Google refused the change ("+httpapi.Sanitize(reason)+")."
	default:
		pe.Kind = providers.Invalid
	}
	return pe
}

// ClassifyTokenError classifies Google token-endpoint errors (oauth.Classifier).
func ClassifyTokenError(re *oauth2.RetrieveError) *providers.Error {
	switch re.ErrorCode {
	case "invalid_grant":
		hint := hintAuth
		if strings.Contains(re.ErrorDescription, "expired or revoked") {
			hint = "The Google sign-in expired or was revoked (apps in \"Testing\" status expire after 7 days): reconnect the account."
		}
		return &providers.Error{Kind: providers.AuthExpired, Hint: hint}
	case "admin_policy_enforced":
		return &providers.Error{Kind: providers.AdminBlocked, Hint: hintAdmin}
	case "access_denied":
		return &providers.Error{Kind: providers.InsufficientScope, Hint: hintScope}
	}
	return nil
}
