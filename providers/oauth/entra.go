package oauth

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"github.com/calsync/calsync/providers"
	"golang.org/x/oauth2"
)

// Microsoft Entra ID (Azure AD) answers token requests with an OAuth error code that says
// little (nearly everything is invalid_grant) and an AADSTS number that says what
// happened. EntraClassifier decides on the number.

var reAADSTS = regexp.MustCompile(`AADSTS(\d{4,8})`)

// EntraCodes returns the AADSTS numbers of a token-endpoint error: the error_codes array
// of the JSON body, else the numbers quoted in error_description.
func EntraCodes(re *oauth2.RetrieveError) []int {
	if re == nil {
		return nil
	}
	var body struct {
		ErrorCodes []int `json:"error_codes"`
	}
	if len(re.Body) > 0 && json.Unmarshal(re.Body, &body) == nil && len(body.ErrorCodes) > 0 {
		return body.ErrorCodes
	}
	var out []int
	for _, m := range reAADSTS.FindAllStringSubmatch(re.ErrorDescription, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// EntraScope is the permission calsync asks Microsoft for; hints name it for IT admins.
const EntraScope = "Calendars.ReadWrite"

// EntraClassifier returns a Classifier for Entra token errors. clientID is named in the
// hints an IT admin needs (it identifies the app; it is not a secret).
func EntraClassifier(clientID string) Classifier {
	return func(re *oauth2.RetrieveError) *providers.Error {
		for _, n := range EntraCodes(re) {
			if pe := ClassifyAADSTS(n, clientID); pe != nil {
				return pe
			}
		}
		return nil
	}
}

// ClassifyAADSTS maps one AADSTS number to a Kind, code and hint; nil when unknown.
func ClassifyAADSTS(n int, clientID string) *providers.Error {
	app := "calsync"
	if clientID != "" {
		app = fmt.Sprintf("calsync (client ID %s)", clientID)
	}
	code := fmt.Sprintf("AADSTS%d", n)
	e := func(k providers.Kind, hint string) *providers.Error {
		return &providers.Error{Kind: k, Code: code, Hint: hint}
	}
	switch n {
	case 50076, 50079, 50158:
		return e(providers.AppPasswordRequired,
			"Your organisation now requires multi-factor sign-in, which cannot be renewed in the background: reconnect the account and complete the Microsoft sign-in (with MFA) in the browser.")
	case 65001:
		return e(providers.AdminBlocked,
			"calsync has not been given consent: reconnect and accept the permissions; if your organisation does not let users consent, ask your IT admin to grant consent to "+app+" for the scope "+EntraScope+".")
	case 90094, 90095:
		return e(providers.AdminBlocked,
			"Your organisation requires an administrator to approve calsync: send your IT admin the client ID and the scope "+EntraScope+" ("+app+"), ask for admin consent, then reconnect.")
	case 53003:
		return e(providers.AdminBlocked,
			"Your organisation's Conditional Access policy blocked the sign-in (device, location or app rules): sign in from a compliant device or network, or ask your IT admin to allow "+app+".")
	case 50105:
		return e(providers.AdminBlocked,
			"Your account is not assigned to "+app+" in your organisation: ask your IT admin to assign you to the app (Enterprise applications > Users and groups), then reconnect.")
	case 700082:
		return e(providers.AuthExpired,
			"The Microsoft sign-in expired after 90 days without use: reconnect the account.")
	case 70008:
		return e(providers.AuthExpired, "The Microsoft sign-in has expired: reconnect the account.")
	case 50173:
		return e(providers.AuthExpired,
			"The Microsoft sign-in was revoked (often after a password change or reset): reconnect the account.")
	case 70000, 9002313, 50126:
		return e(providers.AuthExpired, "The stored Microsoft sign-in is no longer accepted: reconnect the account.")
	case 70019:
		return e(providers.AuthExpired, "The sign-in code expired before it was used: start the sign-in again and enter the code promptly.")
	case 50194:
		return e(providers.SetupRequired,
			"The app registration of "+app+" is single-tenant, so it cannot sign in through Microsoft's /common endpoint: set CALSYNC_MICROSOFT_TENANT to your organisation's tenant ID or domain (e.g. contoso.onmicrosoft.com), or make the app registration multi-tenant.")
	case 70020:
		return e(providers.AuthExpired, "The sign-in code expired before it was entered: start the sign-in again.")
	case 700016:
		return e(providers.Invalid,
			"Microsoft does not know this application ID in your organisation: check CALSYNC_MICROSOFT_CLIENT_ID (or ask your IT admin to register calsync).")
	case 7000218, 700025:
		return e(providers.Invalid,
			"The app registration does not allow sign-in from desktop apps: enable 'Allow public client flows' on the app registration.")
	case 50011:
		return e(providers.Invalid,
			"The app registration lacks the redirect URI calsync uses: add http://localhost as a 'Mobile and desktop applications' redirect URI.")
	case 50020, 50034:
		return e(providers.Invalid,
			"This Microsoft account does not exist in the directory it signed in to: check the account name, or use the organisation's tenant.")
	}
	return nil
}
