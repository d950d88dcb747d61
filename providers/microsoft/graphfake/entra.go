package graphfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/calsync/calsync/providers/oauth"
	"golang.org/x/oauth2"
)

// graphResource prefixes Graph scopes in token responses, as Entra does.
const graphResource = "https://graph.microsoft.com/"

// oidcScopes come back unprefixed.
var oidcScopes = map[string]bool{"openid": true, "profile": true, "email": true, "offline_access": true}

// shortScope strips the Graph resource prefix ("https://graph.microsoft.com/Calendars.ReadWrite").
func shortScope(s string) string {
	if len(s) > len(graphResource) && strings.EqualFold(s[:len(graphResource)], graphResource) {
		return s[len(graphResource):]
	}
	return s
}

func longScope(s string) string {
	if oidcScopes[strings.ToLower(s)] {
		return strings.ToLower(s)
	}
	return graphResource + s
}

// grantScopesLocked is what the tenant grants of the requested scopes.
func (s *Server) grantScopesLocked(requested []string) []string {
	allowed := s.opts.GrantedScopes
	if s.st.GrantedScopes != nil {
		allowed = s.st.GrantedScopes
	}
	var out []string
	for _, r := range requested {
		r = shortScope(r)
		if r == "" || strings.EqualFold(r, ".default") {
			continue
		}
		if allowed == nil || hasAnyScope(allowed, r) {
			out = append(out, r)
		}
	}
	return out
}

func splitScopes(v string) []string { return strings.Fields(v) }

func (s *Server) serveEntra(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tenant, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if s.opts.SingleTenant && (tenant == "common" || tenant == "organizations" || tenant == "consumers") {
		// PROVIDERS.md (Entra): "50194: a single-tenant app used on /common".
		s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_request",
			"AADSTS50194: Application '"+s.opts.ClientID+"'(calsync) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.", 50194, ""))
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") && r.Method == "POST":
		s.token(w, r)
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/devicecode") && r.Method == "POST":
		s.deviceCode(w, r)
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/authorize") && r.Method == "GET":
		s.authorize(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) entraError(w http.ResponseWriter, status int, e entraError) {
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, status, e)
}

func (s *Server) checkClient(w http.ResponseWriter, clientID string) bool {
	if s.opts.ClientID != "" && clientID != s.opts.ClientID {
		s.entraError(w, http.StatusBadRequest, s.entraErr("unauthorized_client",
			fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", clientID), 700016, ""))
		return false
	}
	if clientID == "" {
		s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_request",
			"AADSTS900144: The request body must contain the following parameter: 'client_id'.", 900144, ""))
		return false
	}
	return true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'.", 900144, ""))
		return
	}
	f := r.PostForm
	clientID := f.Get("client_id")
	if clientID == "" {
		if u, _, ok := r.BasicAuth(); ok {
			clientID = u
		}
	}
	if !s.checkClient(w, clientID) {
		return
	}
	var scopes []string
	switch f.Get("grant_type") {
	case "authorization_code":
		c := s.st.Codes[f.Get("code")]
		switch {
		case c == nil || c.Used || s.now().After(c.Expires):
			s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_grant",
				"AADSTS70008: The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.", 70008, ""))
			return
		case c.RedirectURI != f.Get("redirect_uri"):
			s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_grant",
				"AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.", 50011, ""))
			return
		case c.Challenge != "" && pkceS256(f.Get("code_verifier")) != c.Challenge:
			s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_grant",
				"AADSTS50148: The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.", 50148, ""))
			return
		}
		c.Used = true
		scopes = c.Scopes
	case "refresh_token":
		g := s.st.Refresh[f.Get("refresh_token")]
		if g == nil || g.Revoked {
			s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_grant",
				"AADSTS9002313: Invalid request. Request is malformed or invalid.", 9002313, ""))
			return
		}
		// Entra's v2 endpoint wants scope on a refresh_token grant too (PROVIDERS.md,
		// Entra; v2 refresh request reference): without it the request is refused.
		asked := splitScopes(f.Get("scope"))
		if len(asked) == 0 {
			s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_request",
				"AADSTS900144: The request body must contain the following parameter: 'scope'.", 900144, ""))
			return
		}
		scopes = intersect(g.Scopes, asked)
	case "urn:ietf:params:oauth:grant-type:device_code":
		d := s.st.Devices[f.Get("device_code")]
		switch {
		case d == nil || d.Redeemed:
			s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_grant",
				"AADSTS70000: The provided value for the 'device_code' is not valid.", 70000, ""))
			return
		case s.now().After(d.Expires):
			s.entraError(w, http.StatusBadRequest, s.entraErr("expired_token",
				"AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired.", 70020, ""))
			return
		case d.Declined:
			s.entraError(w, http.StatusBadRequest, s.entraErr("authorization_declined",
				"AADSTS70000: The user declined to authorize the application.", 70000, ""))
			return
		case !d.Approved:
			interval := time.Duration(s.opts.DeviceCodeInterval) * time.Second
			tooSoon := !d.LastPoll.IsZero() && s.now().Sub(d.LastPoll) < interval
			d.LastPoll = s.now()
			s.persistLocked()
			if s.opts.EnforcePollInterval && tooSoon {
				s.entraError(w, http.StatusBadRequest, s.entraErr("slow_down",
					"AADSTS70016: OAuth 2.0 device flow error. Polling too fast: slow down.", 70016, ""))
				return
			}
			s.entraError(w, http.StatusBadRequest, s.entraErr("authorization_pending",
				"AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.", 70016, ""))
			return
		}
		d.Redeemed = true
		scopes = d.Scopes
	default:
		s.entraError(w, http.StatusBadRequest, s.entraErr("unsupported_grant_type",
			"AADSTS70003: The app requested an unsupported grant type '"+f.Get("grant_type")+"'.", 70003, ""))
		return
	}
	if s.st.Faults.Token != NoTokenFault {
		s.persistLocked()
		s.entraError(w, http.StatusBadRequest, s.tokenFaultBody(s.st.Faults.Token, clientID))
		return
	}
	if f.Get("grant_type") == "refresh_token" {
		// The grant follows the tenant's current consent: withdrawn scopes drop out.
		scopes = s.grantScopesLocked(scopes)
	}
	body := s.issueLocked(scopes)
	s.persistLocked()
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, body)
}

func intersect(have, asked []string) []string {
	var out []string
	for _, a := range asked {
		if hasAnyScope(have, shortScope(a)) {
			out = append(out, shortScope(a))
		}
	}
	return out
}

// TokenResponse is the token endpoint's success body.
type TokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

func (s *Server) issueLocked(scopes []string) TokenResponse {
	var long []string
	var graph []string
	offline := false
	for _, sc := range scopes {
		if strings.EqualFold(sc, "offline_access") {
			offline = true
		}
		long = append(long, longScope(sc))
		graph = append(graph, sc)
	}
	at := "eyJ0eXAiOiJKV1QiLCJub25jZSI6" + randomToken(32)
	life := s.opts.TokenLifetime
	s.st.Access[at] = &grant{Scopes: graph, Expires: s.now().Add(life)}
	out := TokenResponse{TokenType: "Bearer", Scope: strings.Join(long, " "),
		ExpiresIn: int(life / time.Second), ExtExpiresIn: int(life / time.Second), AccessToken: at}
	if offline {
		rt := "0.AXoA" + randomToken(48)
		s.st.Refresh[rt] = &grant{Scopes: graph}
		out.RefreshToken = rt
	}
	return out
}

// IssueToken grants scopes (short names; "offline_access" adds a refresh token) without
// a sign-in, and returns what the token endpoint would have answered: for tests and demo
// seeding. Options.GrantedScopes / SetGrantedScopes still narrow the grant.
func (s *Server) IssueToken(scopes ...string) TokenResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.issueLocked(s.grantScopesLocked(scopes))
	s.persistLocked()
	return t
}

func pkceS256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// authorize consents at once (there is no one to click) and redirects back to the
// client's loopback redirect_uri with code and state — or with the error Entra would
// put there when a tenant policy fault is armed.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if err != nil || redirect == "" || (ru.Scheme != "http" && ru.Scheme != "https") {
		http.Error(w, "AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.", http.StatusBadRequest)
		return
	}
	if s.opts.ClientID != "" && q.Get("client_id") != s.opts.ClientID {
		http.Error(w, "AADSTS700016: Application with identifier '"+html.EscapeString(q.Get("client_id"))+"' was not found in the directory.", http.StatusBadRequest)
		return
	}
	rq := ru.Query()
	rq.Set("state", q.Get("state"))
	switch f := s.st.Faults.Token; f {
	case ConsentMissing, AdminConsentRequired, AdminConsentRequested, ConditionalAccessBlocked, UserNotAssigned:
		e := s.tokenFaultBody(f, q.Get("client_id"))
		code := "access_denied"
		if f == ConsentMissing {
			code = "consent_required"
		}
		rq.Set("error", code)
		rq.Set("error_description", e.ErrorDescription)
		rq.Set("error_uri", e.ErrorURI)
	default:
		if q.Get("response_type") != "code" {
			rq.Set("error", "unsupported_response_type")
			rq.Set("error_description", "AADSTS70005: response_type 'token' is not enabled for the application.")
			break
		}
		code := "1.AXoA" + randomToken(40)
		s.st.Codes[code] = &authCode{Scopes: s.grantScopesLocked(splitScopes(q.Get("scope"))), RedirectURI: redirect,
			Challenge: q.Get("code_challenge"), Method: q.Get("code_challenge_method"), Expires: s.now().Add(10 * time.Minute)}
		s.persistLocked()
		rq.Set("code", code)
	}
	ru.RawQuery = rq.Encode()
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

// userCodeAlphabet is what Entra user codes are made of (no 0/O/1/I confusion).
const userCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func newUserCode() string {
	b := make([]byte, 9)
	rand.Read(b)
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(b)
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'.", 900144, ""))
		return
	}
	if !s.checkClient(w, r.PostForm.Get("client_id")) {
		return
	}
	scopes := splitScopes(r.PostForm.Get("scope"))
	if len(scopes) == 0 {
		s.entraError(w, http.StatusBadRequest, s.entraErr("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'.", 900144, ""))
		return
	}
	dc := "DAQABAAEAAAD" + randomToken(48)
	uc := newUserCode()
	s.st.Devices[dc] = &deviceGrant{UserCode: uc, Scopes: s.grantScopesLocked(scopes),
		Expires: s.now().Add(15 * time.Minute), Approved: s.opts.AutoApproveDeviceCodes}
	s.persistLocked()
	verify := requestBase(r) + "/devicelogin"
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code":        uc,
		"device_code":      dc,
		"verification_uri": verify,
		"expires_in":       900,
		"interval":         s.opts.DeviceCodeInterval,
		"message":          fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, uc),
	})
}

// Approve approves the pending device code whose user code is userCode, as a person
// typing it at the verification page would. It reports whether one was found.
func (s *Server) Approve(userCode string) bool { return s.decide(userCode, true) }

// Decline refuses the device code, as a person pressing "Cancel" at the sign-in page.
func (s *Server) Decline(userCode string) bool { return s.decide(userCode, false) }

func (s *Server) decide(userCode string, approve bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.st.Devices {
		if strings.EqualFold(d.UserCode, strings.TrimSpace(userCode)) && !d.Redeemed {
			d.Approved, d.Declined = approve, !approve
			s.persistLocked()
			return true
		}
	}
	return false
}

// PendingUserCodes lists user codes issued and not yet approved, declined or redeemed.
func (s *Server) PendingUserCodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.st.Devices {
		if !d.Approved && !d.Declined && !d.Redeemed {
			out = append(out, d.UserCode)
		}
	}
	return out
}

// serveDeviceLogin is the verification page: GET shows a form, POST approves or declines.
func (s *Server) serveDeviceLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method == "POST" {
		r.ParseForm()
		ok := s.decide(r.PostForm.Get("user_code"), r.PostForm.Get("action") != "deny")
		if !ok {
			http.Error(w, "That code didn't work. Check the code and try again.", http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "<html><body><p>You have signed in to calsync on your device. You may now close this window.</p></body></html>")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<html><body><form method="post"><p>Enter code</p><input name="user_code">`+
		`<button name="action" value="approve">Next</button><button name="action" value="deny">Cancel</button></form></body></html>`)
}

// IssueSecret is IssueToken encoded as the secret calsync stores for a Microsoft account
// (oauth.EncodeSecret: token, expiry, granted scopes), for demo seeding and tests that
// skip the sign-in.
func (s *Server) IssueSecret(scopes ...string) ([]byte, error) {
	t := s.IssueToken(scopes...)
	var granted []string
	for _, sc := range strings.Fields(t.Scope) {
		granted = append(granted, shortScope(sc))
	}
	return oauth.EncodeSecret(&oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType,
		RefreshToken: t.RefreshToken, Expiry: s.opts.Now().Add(time.Duration(t.ExpiresIn) * time.Second)}, granted)
}
