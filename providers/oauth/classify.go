package oauth

import (
	"errors"
	"net/http"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"golang.org/x/oauth2"
)

// Classifier turns a token-endpoint (or authorization-redirect) error into a provider
// error. It returns nil to leave the decision to ClassifyDefault. Provider packages pass
// their own (Microsoft reads AADSTS codes from re.Body / re.ErrorDescription).
// re.Response is nil when the error came back on the authorization redirect.
type Classifier func(re *oauth2.RetrieveError) *providers.Error

// TokenError classifies any error from a token exchange or refresh. Provider, op and the
// provider's classifier are used; the result's text holds only the error code and the
// sanitised description, never the request.
func TokenError(provider, op string, err error, classify Classifier) *providers.Error {
	if err == nil {
		return nil
	}
	if pe, ok := providers.AsError(err); ok {
		if pe.Provider == "" || pe.Op == "" { // a refused redirect (httppolicy) knows neither
			cp := *pe
			if cp.Provider == "" {
				cp.Provider = provider
			}
			if cp.Op == "" {
				cp.Op = op
			}
			return &cp
		}
		return pe
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return &providers.Error{Kind: providers.Network, Provider: provider, Op: op,
			Message: httpapi.Sanitize(err.Error()), Hint: "Check the network connection and try again.",
			Err: httpapi.Redact(err)}
	}
	var pe *providers.Error
	if classify != nil {
		pe = classify(re)
	}
	if pe == nil {
		pe = ClassifyDefault(re)
	}
	pe.Provider, pe.Op = provider, op
	if pe.Code == "" {
		pe.Code = re.ErrorCode
	}
	if pe.Message == "" {
		pe.Message = re.ErrorDescription
	}
	pe.Message = httpapi.Sanitize(pe.Message)
	if re.Response != nil {
		if pe.Status == 0 {
			pe.Status = re.Response.StatusCode
		}
		if pe.RetryAfter == 0 && (pe.Kind == providers.RateLimited || pe.Kind == providers.Unavailable) {
			pe.RetryAfter = httpapi.ParseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now())
		}
	}
	return pe
}

// scrub removes known secret values (client secret, code, verifier, refresh token) from
// an error's text: a token endpoint may echo parts of the request back in its description.
func scrub(pe *providers.Error, secrets ...string) *providers.Error {
	if pe == nil {
		return nil
	}
	pe.Message = httpapi.RedactString(pe.Message, secrets...)
	pe.Code = httpapi.RedactString(pe.Code, secrets...)
	pe.Hint = httpapi.RedactString(pe.Hint, secrets...)
	return pe
}

// ClassifyDefault knows the RFC 6749 codes plus Google's admin_policy_enforced.
func ClassifyDefault(re *oauth2.RetrieveError) *providers.Error {
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	switch re.ErrorCode {
	case "invalid_grant":
		return &providers.Error{Kind: providers.AuthExpired,
			Hint: "The sign-in has expired or was revoked: reconnect the account to sign in again."}
	case "admin_policy_enforced":
		return &providers.Error{Kind: providers.AdminBlocked,
			Hint: "Your organisation's administrator blocks calsync: ask them to allow it (trust the app), then reconnect."}
	case "access_denied", "consent_required", "interaction_required":
		return &providers.Error{Kind: providers.InsufficientScope,
			Hint: "Access was not granted: reconnect the account and allow calendar access."}
	case "invalid_scope":
		return &providers.Error{Kind: providers.InsufficientScope,
			Hint: "The requested calendar permission was refused: reconnect and allow calendar access."}
	case "invalid_client", "unauthorized_client":
		return &providers.Error{Kind: providers.Invalid,
			Hint: "The OAuth client ID or secret is wrong: check the calsync client settings (CALSYNC_*_CLIENT_ID)."}
	case "temporarily_unavailable", "server_error":
		return &providers.Error{Kind: providers.Unavailable, Hint: "The sign-in service is unavailable; try again later."}
	case "slow_down":
		return &providers.Error{Kind: providers.RateLimited, Hint: "Too many sign-in requests; wait a little."}
	}
	switch {
	case status == http.StatusTooManyRequests:
		return &providers.Error{Kind: providers.RateLimited, Hint: "Too many sign-in requests; wait a little."}
	case status >= 500:
		return &providers.Error{Kind: providers.Unavailable, Hint: "The sign-in service is unavailable; try again later."}
	case status == http.StatusUnauthorized:
		return &providers.Error{Kind: providers.AuthExpired, Hint: "Reconnect the account to sign in again."}
	}
	return &providers.Error{Kind: providers.Invalid, Hint: "The sign-in service refused the request; reconnect the account."}
}
