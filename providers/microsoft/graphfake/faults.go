package graphfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// TokenFault makes the Entra token endpoint refuse every grant (refresh, authorization
// code, device code) with one AADSTS error, as the real service does when a refresh
// token was revoked or a tenant policy changed.
type TokenFault string

// The Entra errors the fake can answer with. The value is the AADSTS number.
const (
	NoTokenFault             TokenFault = ""
	RefreshTokenInactive     TokenFault = "700082" // refresh token expired from inactivity
	GrantExpired             TokenFault = "70008"  // code or refresh token expired
	GrantRevoked             TokenFault = "50173"  // revoked, e.g. the password was reset
	MFARequired              TokenFault = "50076"  // multi-factor authentication required
	MFARequiredInteractive   TokenFault = "50079"  // user must enrol in MFA
	ConsentMissing           TokenFault = "65001"  // user or admin has not consented
	AdminConsentRequired     TokenFault = "90094"  // the grant requires admin permission
	AdminConsentRequested    TokenFault = "90095"  // admin consent required; a request may be sent
	ConditionalAccessBlocked TokenFault = "53003"  // blocked by conditional access
	UserNotAssigned          TokenFault = "50105"  // app requires assignment
)

// TokenFaults lists every TokenFault.
var TokenFaults = []TokenFault{RefreshTokenInactive, GrantExpired, GrantRevoked, MFARequired,
	MFARequiredInteractive, ConsentMissing, AdminConsentRequired, AdminConsentRequested,
	ConditionalAccessBlocked, UserNotAssigned}

// entraError is the token endpoint's error body.
type entraError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri,omitempty"`
	Suberror         string `json:"suberror,omitempty"`
	Claims           string `json:"claims,omitempty"`
}

// tokenFaultBody is what Entra answers for f (HTTP 400 for all of them).
func (s *Server) tokenFaultBody(f TokenFault, clientID string) entraError {
	app := clientID
	if app == "" {
		app = "00000000-0000-0000-0000-000000000000"
	}
	var errCode, desc, sub string
	switch f {
	case RefreshTokenInactive:
		errCode = "invalid_grant"
		desc = "AADSTS700082: The refresh token has expired due to inactivity. The token was issued on " +
			s.now().AddDate(0, 0, -91).Format("2006-01-02T15:04:05.0000000Z") + " and was inactive for 90.00:00:00."
	case GrantExpired:
		errCode = "invalid_grant"
		desc = "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."
	case GrantRevoked:
		errCode = "invalid_grant"
		desc = "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password."
	case MFARequired:
		errCode, sub = "invalid_grant", "basic_action"
		desc = "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'."
	case MFARequiredInteractive:
		errCode, sub = "invalid_grant", "basic_action"
		desc = "AADSTS50079: Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '00000003-0000-0000-c000-000000000000'."
	case ConsentMissing:
		errCode, sub = "invalid_grant", "consent_required"
		desc = fmt.Sprintf("AADSTS65001: The user or administrator has not consented to use the application with ID '%s' named 'calsync'. Send an interactive authorization request for this user and resource.", app)
	case AdminConsentRequired:
		errCode = "invalid_grant"
		desc = "AADSTS90094: The grant requires admin permission."
	case AdminConsentRequested:
		errCode = "invalid_grant"
		desc = "AADSTS90095: Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin."
	case ConditionalAccessBlocked:
		errCode = "invalid_grant"
		desc = "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."
	case UserNotAssigned:
		errCode = "invalid_grant"
		desc = fmt.Sprintf("AADSTS50105: Your administrator has configured the application calsync ('%s') to block users unless they are specifically granted ('assigned') access to the application.", app)
	}
	n, _ := strconv.Atoi(string(f))
	return s.entraErr(errCode, desc, n, sub)
}

func (s *Server) entraErr(code, desc string, n int, sub string) entraError {
	trace, corr := uuid.NewString(), uuid.NewString()
	ts := s.now().Format("2006-01-02 15:04:05Z")
	return entraError{Error: code,
		ErrorDescription: fmt.Sprintf("%s Trace ID: %s Correlation ID: %s Timestamp: %s", desc, trace, corr, ts),
		ErrorCodes:       []int{n}, Timestamp: ts, TraceID: trace, CorrelationID: corr,
		ErrorURI: fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", n), Suberror: sub}
}

// APIFault is a failure of Graph itself.
type APIFault int

const (
	// Throttled: 429 TooManyRequests with Retry-After.
	Throttled APIFault = iota + 1
	// ApplicationThrottled: 429 ApplicationThrottled (mailbox concurrency) with Retry-After.
	ApplicationThrottled
	// ServiceUnavailable: 503 ServiceNotAvailable with Retry-After.
	ServiceUnavailable
	// InternalError: 500 ErrorInternalServerError.
	InternalError
	// GatewayTimeout: 504 UnknownError.
	GatewayTimeout
	// BadToken: 401 InvalidAuthenticationToken, whatever the token.
	BadToken
)

// SetTokenFault makes the token endpoint refuse every grant with f (NoTokenFault clears
// it). Every access token issued so far stops working at once (401
// InvalidAuthenticationToken, "Lifetime validation failed"), so a client's next call has
// to refresh and meets the fault — the way a revoked grant shows up in practice.
func (s *Server) SetTokenFault(f TokenFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Faults.Token = f
	if f != NoTokenFault {
		s.expireAccessTokensLocked()
	}
	s.persistLocked()
}

// ExpireAccessTokens makes every access token issued so far answer 401 as expired.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireAccessTokensLocked()
	s.persistLocked()
}

func (s *Server) expireAccessTokensLocked() {
	past := s.now().Add(-time.Minute)
	for _, g := range s.st.Access {
		if g.Expires.After(past) {
			g.Expires = past
		}
	}
}

// FailNext makes the next n Graph API requests (token endpoints excluded) fail with f;
// n < 0 means every request until ClearFaults. retryAfter is sent as Retry-After (in
// whole seconds, at least 1) on 429 and 503.
func (s *Server) FailNext(n int, f APIFault, retryAfter time.Duration) {
	s.FailAfter(0, n, f, retryAfter)
}

// FailAfter is FailNext after letting skip requests through first: a way to hit one
// step inside a JSON batch, or the second page of a listing.
func (s *Server) FailAfter(skip, n int, f APIFault, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Faults.Skip = skip
	s.st.Faults.APIFault = f
	s.st.Faults.FailAll = n < 0
	s.st.Faults.FailNext = n
	secs := int((retryAfter + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	s.st.Faults.RetryAfter = secs
	s.persistLocked()
}

// ClearFaults disarms FailNext and SetTokenFault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Faults = faults{}
	s.persistLocked()
}

// ExpireDeltaTokens makes every delta and skip token issued so far answer 410 with code
// (SyncStateNotFound when ""; "resyncRequired" also occurs on Graph).
func (s *Server) ExpireDeltaTokens(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		code = "SyncStateNotFound"
	}
	s.st.DeltaGeneration++
	s.st.DeltaExpiredCode = code
	s.persistLocked()
}

// SetGrantedScopes changes what the token endpoint grants from now on (short names; none
// at all grants nothing; ClearGrantedScopes goes back to Options.GrantedScopes) and, like SetTokenFault, expires current access tokens so the
// client's next call refreshes and gets the new, narrower grant — what happens when a
// user withdraws calendar access in their account's app permissions.
func (s *Server) SetGrantedScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if scopes == nil {
		scopes = []string{}
	}
	s.st.GrantedScopes = scopes
	s.expireAccessTokensLocked()
	s.persistLocked()
}

// ClearGrantedScopes undoes SetGrantedScopes: Options.GrantedScopes applies again.
func (s *Server) ClearGrantedScopes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.GrantedScopes = nil
	s.persistLocked()
}

// apiFaultLocked returns the fault to answer with now, consuming one FailNext.
func (s *Server) apiFaultLocked() (APIFault, int) {
	f := s.st.Faults
	if f.APIFault == 0 || (!f.FailAll && f.FailNext <= 0) {
		return 0, 0
	}
	if f.Skip > 0 {
		s.st.Faults.Skip--
		s.persistLocked()
		return 0, 0
	}
	if !f.FailAll {
		s.st.Faults.FailNext--
		s.persistLocked()
	}
	return f.APIFault, f.RetryAfter
}

func writeAPIFault(s *Server, w http.ResponseWriter, f APIFault, retryAfter int) {
	ra := strconv.Itoa(retryAfter)
	switch f {
	case Throttled:
		w.Header().Set("Retry-After", ra)
		s.graphError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
	case ApplicationThrottled:
		w.Header().Set("Retry-After", ra)
		s.graphError(w, http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
	case ServiceUnavailable:
		w.Header().Set("Retry-After", ra)
		s.graphError(w, http.StatusServiceUnavailable, "ServiceNotAvailable", "The service is temporarily unavailable. Please try again later.")
	case InternalError:
		s.graphError(w, http.StatusInternalServerError, "ErrorInternalServerError", "An internal server error occurred. The operation failed.")
	case GatewayTimeout:
		s.graphError(w, http.StatusGatewayTimeout, "UnknownError", "")
	case BadToken:
		s.graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
	}
}

// graphError writes the Graph error envelope.
func (s *Server) graphError(w http.ResponseWriter, status int, code, msg string) {
	reqID := uuid.NewString()
	body := map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]string{
			"date":              s.now().Format("2006-01-02T15:04:05"),
			"request-id":        reqID,
			"client-request-id": reqID,
		},
	}}
	w.Header().Set("request-id", reqID)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// accessDenied is Graph's answer both to a missing scope and to a write on a calendar
// the user may only read: the same 403, so a client has to tell them apart from other
// evidence (the granted scopes, the calendar's canEdit).
func (s *Server) accessDenied(w http.ResponseWriter) {
	s.graphError(w, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
}

func (s *Server) itemNotFound(w http.ResponseWriter) {
	s.graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
}

func hasAnyScope(have []string, want ...string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

// Named faults, for demo scenarios and command lines: each name arms what PROVIDERS.md's
// table lists for Microsoft.
const (
	FaultRevokedRefreshToken = "revoked-refresh-token"  // AADSTS700082 on refresh
	FaultPasswordReset       = "password-reset"         // AADSTS50173 on refresh
	FaultMFARequired         = "mfa-required"           // AADSTS50076 on refresh
	FaultConsentMissing      = "consent-missing"        // AADSTS65001
	FaultAdminConsent        = "admin-consent-required" // AADSTS90094
	FaultConditionalAccess   = "conditional-access"     // AADSTS53003
	FaultUserNotAssigned     = "user-not-assigned"      // AADSTS50105
	FaultReadOnlyCalendar    = "read-only-calendar"     // canEdit false + 403 ErrorAccessDenied on writes
	FaultMissingScope        = "missing-scope"          // grants drop Calendars.*; 403 ErrorAccessDenied
	FaultRateLimit           = "rate-limit"             // 429 TooManyRequests + Retry-After on every call
	FaultServerError         = "server-error"           // 503 ServiceNotAvailable on every call
	FaultExpiredDeltaToken   = "expired-delta-token"    // 410 SyncStateNotFound
)

// FaultNames lists the names Inject accepts.
var FaultNames = []string{FaultRevokedRefreshToken, FaultPasswordReset, FaultMFARequired, FaultConsentMissing,
	FaultAdminConsent, FaultConditionalAccess, FaultUserNotAssigned, FaultReadOnlyCalendar, FaultMissingScope,
	FaultRateLimit, FaultServerError, FaultExpiredDeltaToken}

// ErrUnknownFault is returned by Inject for a name not in FaultNames.
var ErrUnknownFault = errors.New("graphfake: unknown fault")

// Inject arms a named fault. cal is the calendar a calendar fault applies to ("" = the
// default calendar). Rate-limit and server-error faults last until ClearFaults.
func (s *Server) Inject(name, cal string) error {
	if cal == "" {
		cal = s.DefaultCalendar()
	}
	switch name {
	case FaultRevokedRefreshToken:
		s.SetTokenFault(RefreshTokenInactive)
	case FaultPasswordReset:
		s.SetTokenFault(GrantRevoked)
	case FaultMFARequired:
		s.SetTokenFault(MFARequired)
	case FaultConsentMissing:
		s.SetTokenFault(ConsentMissing)
	case FaultAdminConsent:
		s.SetTokenFault(AdminConsentRequired)
	case FaultConditionalAccess:
		s.SetTokenFault(ConditionalAccessBlocked)
	case FaultUserNotAssigned:
		s.SetTokenFault(UserNotAssigned)
	case FaultReadOnlyCalendar:
		return s.SetCanEdit(cal, false)
	case FaultMissingScope:
		s.SetGrantedScopes("User.Read", "offline_access")
	case FaultRateLimit:
		s.FailNext(-1, Throttled, 30*time.Second)
	case FaultServerError:
		s.FailNext(-1, ServiceUnavailable, 10*time.Second)
	case FaultExpiredDeltaToken:
		s.ExpireDeltaTokens("")
	default:
		return fmt.Errorf("%w %q (known: %s)", ErrUnknownFault, name, strings.Join(FaultNames, ", "))
	}
	return nil
}
