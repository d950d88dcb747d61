package googlefake

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// The bodies below are Google's, byte for byte in structure (see PROVIDERS.md); clients
// classify on error.errors[0].reason and error.details[].reason.

type errItem struct {
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Message      string `json:"message"`
	LocationType string `json:"locationType,omitempty"`
	Location     string `json:"location,omitempty"`
}

type errDetail struct {
	Type     string            `json:"@type"`
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

type errBody struct {
	Errors  []errItem   `json:"errors"`
	Code    int         `json:"code"`
	Message string      `json:"message"`
	Status  string      `json:"status,omitempty"`
	Details []errDetail `json:"details,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(v)
	w.Write(b)
}

func writeErr(w http.ResponseWriter, e errBody) {
	writeJSON(w, e.Code, map[string]errBody{"error": e})
}

func simpleErr(code int, domain, reason, msg string) errBody {
	return errBody{Errors: []errItem{{Domain: domain, Reason: reason, Message: msg}}, Code: code, Message: msg}
}

func errNotFound() errBody { return simpleErr(404, "global", "notFound", "Not Found") }

func errDeleted() errBody { return simpleErr(410, "global", "deleted", "Resource has been deleted") }

func errDuplicate() errBody {
	return simpleErr(409, "global", "duplicate", "The requested identifier already exists.")
}

func errInvalidID() errBody { return simpleErr(400, "global", "invalid", "Invalid resource id value.") }

func errInvalid(msg string) errBody { return simpleErr(400, "global", "invalid", msg) }

func errRequired(msg string) errBody { return simpleErr(400, "global", "required", msg) }

func errTimeRangeEmpty() errBody {
	return simpleErr(400, "global", "timeRangeEmpty", "The specified time range is empty.")
}

func errConditionNotMet() errBody {
	return errBody{Errors: []errItem{{Domain: "global", Reason: "conditionNotMet", Message: "Precondition Failed",
		LocationType: "header", Location: "If-Match"}}, Code: 412, Message: "Precondition Failed"}
}

func errFullSyncRequired() errBody {
	return simpleErr(410, "calendar", "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
}

func errRequiredAccessLevel() errBody {
	return simpleErr(403, "calendar", "requiredAccessLevel", "You need to have writer access to this calendar.")
}

func errAuth() errBody {
	return errBody{Errors: []errItem{{Domain: "global", Reason: "authError", Message: "Invalid Credentials",
		LocationType: "header", Location: "Authorization"}}, Code: 401,
		Message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
		Status:  "UNAUTHENTICATED"}
}

func errInsufficientScope(method string) errBody {
	return errBody{Errors: []errItem{{Domain: "global", Reason: "insufficientPermissions", Message: "Insufficient Permission"}},
		Code: 403, Message: "Request had insufficient authentication scopes.", Status: "PERMISSION_DENIED",
		Details: []errDetail{{Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
			Domain: "googleapis.com", Metadata: map[string]string{"method": method, "service": "calendar-json.googleapis.com"}}}}
}

func errRateLimit(status int, reason string) errBody {
	msg := "Rate Limit Exceeded"
	switch reason {
	case "userRateLimitExceeded":
		msg = "User Rate Limit Exceeded"
	case "quotaExceeded":
		msg = "Calendar usage limits exceeded."
	}
	st := "RESOURCE_EXHAUSTED"
	if status == 403 {
		st = "PERMISSION_DENIED"
	}
	domain := "usageLimits"
	if reason == "quotaExceeded" {
		domain = "usageLimits"
	}
	return errBody{Errors: []errItem{{Domain: domain, Reason: reason, Message: msg}}, Code: status, Message: msg, Status: st}
}

func errBackend(status int) errBody {
	if status == 500 {
		return errBody{Errors: []errItem{{Domain: "global", Reason: "backendError", Message: "Backend Error"}},
			Code: 500, Message: "Backend Error", Status: "INTERNAL"}
	}
	return errBody{Errors: []errItem{{Domain: "global", Reason: "backendError", Message: "The service is currently unavailable."}},
		Code: status, Message: "The service is currently unavailable.", Status: "UNAVAILABLE"}
}

func writeAuthErr(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	writeErr(w, errAuth())
}

func writeRateLimit(w http.ResponseWriter, f Faults) {
	if f.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfterSeconds))
	}
	status := f.RateLimitStatus
	if status == 0 {
		status = 429
	}
	reason := f.RateLimitReason
	if reason == "" {
		reason = "rateLimitExceeded"
	}
	writeErr(w, errRateLimit(status, reason))
}

// OAuth token endpoint errors: RFC 6749 shape.
func writeOAuthErr(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// errAccessNotConfigured is Google's answer when the Calendar API is not enabled in the
// Cloud project of the OAuth client (PROVIDERS.md, Google: "accessNotConfigured ... a
// setup error, not a read-only calendar").
func errAccessNotConfigured(project string) errBody {
	link := "https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=" + project
	msg := "Google Calendar API has not been used in project " + project + " before or it is disabled. Enable it by visiting " +
		link + " then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
	return errBody{Errors: []errItem{{Domain: "usageLimits", Reason: "accessNotConfigured", Message: msg}},
		Code: 403, Message: msg, Status: "PERMISSION_DENIED",
		Details: []errDetail{{Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: "SERVICE_DISABLED", Domain: "googleapis.com",
			Metadata: map[string]string{"consumer": "projects/" + project, "service": "calendar-json.googleapis.com",
				"activationUrl": link}}}}
}

// errDomainPolicy: the Workspace domain has Calendar turned off for the user or for apps.
func errDomainPolicy() errBody {
	return simpleErr(403, "calendar", "domainPolicy", "The domain administrators have disabled Google Calendar for this account.")
}

// errForbidden: this user may not change this event (not its organizer).
func errForbidden() errBody {
	return simpleErr(403, "global", "forbidden", "Forbidden")
}
