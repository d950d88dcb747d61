package googlefake

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const adminPolicyDesc = "Access to your account data is restricted by policies within your organization. Please contact the administrator for more information about these policies."

// handleAuth is the consent page, answered at once: it checks the request as Google does
// for an installed app, then redirects to the loopback redirect_uri with code and state.
func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if err != nil || ru.Scheme != "http" || (ru.Hostname() != "127.0.0.1" && ru.Hostname() != "localhost" && ru.Hostname() != "::1") {
		// Google shows an error page and does not redirect to an unknown URI.
		http.Error(w, "Error 400: redirect_uri_mismatch", http.StatusBadRequest)
		return
	}
	if q.Get("client_id") == "" || (s.opts.ClientID != "" && q.Get("client_id") != s.opts.ClientID) {
		http.Error(w, "Error 401: invalid_client", http.StatusUnauthorized)
		return
	}
	back := func(v url.Values) {
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		ru.RawQuery = v.Encode()
		http.Redirect(w, r, ru.String(), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	}
	method := q.Get("code_challenge_method")
	if q.Get("code_challenge") != "" && method == "" {
		method = "plain"
	}
	asked := strings.Fields(q.Get("scope"))
	if len(asked) == 0 {
		back(url.Values{"error": {"invalid_request"}, "error_description": {"Missing required parameter: scope"}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Faults.AdminPolicyEnforced {
		back(url.Values{"error": {"admin_policy_enforced"}, "error_description": {adminPolicyDesc}})
		return
	}
	granted := s.grantLocked(asked)
	code := "4/0" + randomToken(32)
	s.st.Codes[code] = &authCode{ClientID: q.Get("client_id"), RedirectURI: redirect,
		Challenge: q.Get("code_challenge"), Method: method, Scopes: granted, Expiry: s.now().Add(10 * time.Minute),
		Offline: q.Get("access_type") == "offline"}
	s.dirty = true
	back(url.Values{"code": {code}, "scope": {strings.Join(granted, " ")}})
}

// grantLocked is what consent grants for asked.
func (s *Server) grantLocked(asked []string) []string {
	if !s.st.GrantSet {
		return append([]string(nil), asked...)
	}
	return intersect(asked, s.st.GrantScopes)
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeOAuthErr(w, http.StatusMethodNotAllowed, "invalid_request", "Method not allowed")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthErr(w, 400, "invalid_request", "Bad Request")
		return
	}
	clientID, clientSecret, ok := r.BasicAuth()
	if !ok {
		clientID, clientSecret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if clientID == "" {
		writeOAuthErr(w, 400, "invalid_request", "Could not determine client ID from request.")
		return
	}
	if (s.opts.ClientID != "" && clientID != s.opts.ClientID) ||
		(s.opts.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(clientSecret), []byte(s.opts.ClientSecret)) != 1) {
		writeOAuthErr(w, 401, "invalid_client", "Unauthorized")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.Faults.AdminPolicyEnforced {
		writeOAuthErr(w, 400, "admin_policy_enforced", adminPolicyDesc)
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		s.exchangeLocked(w, r, clientID)
	case "refresh_token":
		s.refreshLocked(w, r)
	default:
		writeOAuthErr(w, 400, "unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
	}
}

func (s *Server) exchangeLocked(w http.ResponseWriter, r *http.Request, clientID string) {
	code := r.PostForm.Get("code")
	ac, ok := s.st.Codes[code]
	if !ok || s.now().After(ac.Expiry) || ac.ClientID != clientID {
		writeOAuthErr(w, 400, "invalid_grant", "Malformed auth code.")
		return
	}
	delete(s.st.Codes, code) // single use
	s.dirty = true
	if r.PostForm.Get("redirect_uri") != ac.RedirectURI {
		writeOAuthErr(w, 400, "redirect_uri_mismatch", "Bad Request")
		return
	}
	if ac.Challenge != "" {
		v := r.PostForm.Get("code_verifier")
		want := v
		if ac.Method == "S256" {
			sum := sha256.Sum256([]byte(v))
			want = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if v == "" || subtle.ConstantTimeCompare([]byte(want), []byte(ac.Challenge)) != 1 {
			writeOAuthErr(w, 400, "invalid_grant", "Bad Request")
			return
		}
	}
	at := s.issueAccessLocked(ac.Scopes)
	resp := map[string]any{"access_token": at, "expires_in": int(s.opts.AccessTokenTTL / time.Second),
		"scope": strings.Join(ac.Scopes, " "), "token_type": "Bearer"}
	// Like Google, a refresh token only for access_type=offline.
	if ac.Offline {
		rt := "1//0" + randomToken(40)
		s.st.Refresh[rt] = &refreshToken{Scopes: ac.Scopes, Issued: s.now()}
		resp["refresh_token"] = rt
	}
	writeJSON(w, 200, resp)
}

func (s *Server) refreshLocked(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.st.Refresh[r.PostForm.Get("refresh_token")]
	expiredTesting := ok && s.st.Faults.TestingAppExpiry && s.now().Sub(rt.Issued) > 7*24*time.Hour
	if !ok || rt.Revoked || expiredTesting {
		writeOAuthErr(w, 400, "invalid_grant", "Token has been expired or revoked.")
		return
	}
	at := s.issueAccessLocked(rt.Scopes)
	writeJSON(w, 200, map[string]any{"access_token": at, "expires_in": int(s.opts.AccessTokenTTL / time.Second),
		"scope": strings.Join(rt.Scopes, " "), "token_type": "Bearer"})
}

func (s *Server) issueAccessLocked(scopes []string) string {
	at := "ya29.fake-" + randomToken(48)
	s.st.Access[at] = &accessToken{Scopes: scopes, Expiry: s.now().Add(s.opts.AccessTokenTTL)}
	s.dirty = true
	// Expired access tokens are dropped so the state file does not grow without bound.
	for k, v := range s.st.Access {
		if s.now().After(v.Expiry.Add(time.Hour)) {
			delete(s.st.Access, k)
		}
	}
	return at
}

// bearerLocked returns the scopes of the request's access token, or ok=false.
func (s *Server) bearerLocked(r *http.Request) ([]string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return nil, false
	}
	at, ok := s.st.Access[strings.TrimSpace(h[7:])]
	if !ok || !s.now().Before(at.Expiry) {
		return nil, false
	}
	return at.Scopes, true
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
