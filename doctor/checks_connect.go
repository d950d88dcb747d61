package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// Checks for "calendars can't be fetched" and "insufficient permissions".
func init() {
	register(&Check{ID: "connection", Title: "Can calsync sign in to the account and list its calendars?",
		Explain:  "Reads the account's last error and asks the provider for the calendar list; a refusal is classified (app password, expired token, password sign-in refused, permissions, network).",
		Symptoms: []Symptom{NotShowing, OneWay, CantConnect, Permissions}, PerAccount: true, Run: checkConnection})
	register(&Check{ID: "scopes", Title: "Did the sign-in grant calendar access?",
		Explain:  "On the consent screen calendar access can be left unticked: the sign-in works but every calendar call is refused. Compares the scopes granted with the ones calsync needs.",
		Symptoms: []Symptom{Permissions, CantConnect}, PerAccount: true, Run: checkScopes})
	register(&Check{ID: "admin-policy", Title: "Does an IT admin policy block calsync?",
		Explain:  "Microsoft 365 tenants and Google Workspace domains can require an administrator to approve apps; only the admin can lift that.",
		Symptoms: []Symptom{Permissions, CantConnect}, PerAccount: true, Run: checkAdminPolicy})
	register(&Check{ID: "network", Title: "Can this computer reach the provider (DNS, TCP, TLS)?",
		Explain:  "Resolves the provider's host name, opens a connection and checks its certificate, each with a short timeout, to name the layer that breaks.",
		Symptoms: []Symptom{CantConnect}, PerAccount: true, Expensive: true, Run: checkNetwork})
	register(&Check{ID: "clock", Title: "Is this computer's clock right?",
		Explain:  "Sign-ins fail when the local clock is minutes off: compares it with the provider's clock (its HTTP Date header).",
		Symptoms: []Symptom{CantConnect}, PerAccount: true, Expensive: true, Run: checkClock})
}

// appPasswordSteps tells where each provider issues app-specific passwords.
func appPasswordSteps(a store.Account) string {
	host := hostOf(a)
	switch {
	case strings.Contains(host, "icloud.com"):
		return "iCloud: sign in at https://account.apple.com > Sign-In and Security > App-Specific Passwords > +, name it \"calsync\", copy the password."
	case strings.Contains(host, "fastmail"):
		return "Fastmail: Settings > Privacy & Security > Manage app passwords and access > New app password, access \"Calendars (CalDAV)\"."
	case strings.Contains(host, "office365") || strings.Contains(host, "outlook") || a.Kind == "microsoft":
		return "Microsoft: https://account.microsoft.com/security > Advanced security options > App passwords > Create a new app password."
	case strings.Contains(host, "google"):
		return "Google: https://myaccount.google.com/apppasswords (needs 2-Step Verification)."
	}
	return "Nextcloud / ownCloud: Settings > Security > Devices & sessions > Create new app password. Other servers: look for \"app passwords\" in the security settings."
}

func hostOf(a store.Account) string {
	if ep := endpointsOf(a); ep.API != "" {
		if u, err := url.Parse(ep.API); err == nil {
			return strings.ToLower(u.Hostname())
		}
	}
	if u, err := url.Parse(a.ServerURL); err == nil {
		return strings.ToLower(u.Hostname())
	}
	return ""
}

func endpointsOf(a store.Account) providers.Endpoints {
	var ep providers.Endpoints
	_ = json.Unmarshal([]byte(a.Endpoints), &ep)
	return ep
}

// probeURLs are the hosts an account talks to: the API and, for OAuth, the token endpoint.
func probeURLs(a store.Account) []string {
	ep := endpointsOf(a)
	api := ep.API
	if api == "" {
		api = a.ServerURL
	}
	token := ep.Token
	switch a.Kind {
	case "google":
		if api == "" {
			api = "https://www.googleapis.com/calendar/v3/"
		}
		if token == "" {
			token = "https://oauth2.googleapis.com/token"
		}
	case "microsoft":
		if api == "" {
			api = "https://graph.microsoft.com/v1.0/"
		}
		if token == "" {
			token = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
		}
	}
	out := []string{}
	if api != "" {
		out = append(out, api)
	}
	if token != "" && a.AuthKind == "oauth" {
		if ua, ub := hostPort(api), hostPort(token); ua != ub {
			out = append(out, token)
		}
	}
	return out
}

func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}

// exchangeOnline reports whether a password account points at Exchange Online, which
// refuses basic (password) sign-in for everyone since 2022.
func exchangeOnline(a store.Account) bool {
	h := hostOf(a)
	return a.AuthKind == "password" && (strings.HasSuffix(h, "office365.com") || strings.HasSuffix(h, "outlook.office.com") || strings.HasSuffix(h, "outlook.com"))
}

// liveError asks the provider for its calendars; it returns nil when that works.
func liveError(ctx context.Context, e *Env, a store.Account) (err error, tried bool) {
	if e.Offline || e.Open == nil {
		return nil, false
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	p, err := e.Open(cctx, a, nil)
	if err != nil {
		return err, true
	}
	_, err = p.Calendars(cctx)
	return err, true
}

func checkConnection(ctx context.Context, e *Env, a *AccountView) Finding {
	acct := a.Account
	kind, msg := providers.Kind(acct.LastErrorKind), acct.LastErrorMessage
	ev := []Evidence{{Observed: "state " + acct.State, Expected: store.AccountConnected, Source: "account " + a.Label()}}
	if kind != "" {
		at := ""
		if acct.LastErrorAt != nil {
			at = " at " + stamp(*acct.LastErrorAt)
		}
		ev = append(ev, Evidence{Observed: fmt.Sprintf("last error%s: %s: %s", at, kind, msg), Source: "account " + a.Label()})
	}
	live, tried := liveError(ctx, e, acct)
	if tried {
		if live == nil {
			ev = append(ev, Evidence{Observed: "listed the calendars just now", Expected: "listing works", Source: "live call to " + acct.Kind})
			if acct.State != store.AccountConnected || kind.NeedsReauth() {
				f := warn("the account answers again; the stored error is from before (the next sync clears it)", ev...)
				return f
			}
			return pass("calsync signs in to "+a.Label()+" and lists its calendars", ev...)
		}
		kind, msg = providers.KindOf(live), live.Error()
		if kind == "" {
			kind = providers.Network
		}
		ev = append(ev, Evidence{Observed: "listing calendars failed: " + msg, Expected: "listing works", Source: "live call to " + acct.Kind})
	}
	if kind == "" {
		if acct.State == store.AccountNeedsReauth {
			kind = providers.AuthExpired
		} else {
			f := pass("no connection error recorded for "+a.Label(), ev...)
			if !tried {
				f.Summary += " (not tested live)"
			}
			return f
		}
	}
	return classify(ctx, e, a, kind, msg, ev)
}

// classify turns an error Kind into the finding a person can act on.
func classify(ctx context.Context, e *Env, a *AccountView, kind providers.Kind, msg string, ev []Evidence) Finding {
	acct := a.Account
	var f Finding
	switch kind {
	case providers.AppPasswordRequired:
		if acct.Kind == "microsoft" && acct.AuthKind == "oauth" {
			code := AADSTSCode(msg)
			if code == "" {
				code = "50076"
			}
			f = fail(fmt.Sprintf("Microsoft now requires two-factor authentication for this account (AADSTS%s): the saved sign-in cannot renew itself", code), ev...)
			f.Remediation = "Sign in again with the Microsoft sign-in (browser or device code), where two-factor works; no app password is needed."
			f.Fixes = []*Fix{reconnectFix(a)}
			return f
		}
		if acct.Kind == "microsoft" || exchangeOnline(acct) {
			f = fail("Exchange Online refuses password sign-in for this account (two-factor authentication or a tenant policy)", ev...)
			f.Remediation = "Use the Microsoft sign-in instead of a password: add a Microsoft account (`calsync account add microsoft`) and sign in in the browser, where two-factor works."
			return f
		}
		f = fail(a.Label()+" refuses the normal password: accounts with two-factor authentication need an app-specific password", ev...)
		f.Remediation = appPasswordSteps(acct) + " Then paste it here: calsync tests it against the server before saving it."
		f.Fixes = []*Fix{appPasswordFix(a)}
		return f
	case providers.AuthExpired:
		if exchangeOnline(acct) {
			f = fail("Exchange Online no longer accepts password (basic) sign-in", ev...)
			f.Remediation = "Remove this account and add a Microsoft account (`calsync account add microsoft`): it signs in through Microsoft, with two-factor."
			return f
		}
		if acct.AuthKind == "password" {
			f = fail("the server refuses the stored password for "+acct.Login, ev...)
			f.Remediation = "If the account has two-factor authentication it needs an app password. " + appPasswordSteps(acct)
			f.Fixes = []*Fix{appPasswordFix(a)}
			return f
		}
		f = fail("the sign-in for "+a.Label()+" expired or was revoked", ev...)
		f.Remediation = "Sign in again (a fresh sign-in, not a token refresh)."
		if acct.Kind == "google" {
			connected := lastSignIn(ctx, e, acct)
			failed := e.now()
			if acct.LastErrorAt != nil {
				failed = *acct.LastErrorAt
			}
			days := failed.Sub(connected).Hours() / 24
			ev := Evidence{Observed: fmt.Sprintf("signed in %s, refused %s (%.1f days later)", stamp(connected), stamp(failed), days),
				Expected: "refresh tokens of published apps do not expire", Source: "account"}
			f.Evidence = append(f.Evidence, ev)
			if math.Abs(days-7) < 1 {
				f.Summary += ": 7 days after sign-in, which is Google's limit for OAuth apps in \"Testing\" publishing status"
				f.Remediation = "Sign in again now. For good: in Google Cloud Console > APIs & Services > OAuth consent screen, publish the app (\"In production\"), or use calsync's default client; Testing apps lose their sign-in every 7 days."
			} else {
				f.Remediation += " If it happens every 7 days, the OAuth client's app is in Testing status: publish it."
			}
		}
		f.Fixes = []*Fix{reconnectFix(a)}
		return f
	case providers.InsufficientScope:
		f = fail("the sign-in did not grant calendar access (the box was left unticked on the consent screen)", ev...)
		f.Remediation = scopeRemediation(acct)
		f.Fixes = []*Fix{reconnectFix(a)}
		return f
	case providers.AdminBlocked:
		// The note for the admin comes with the admin-policy check, once.
		f = adminFinding(a, msg, ev)
		f.AdminNote = ""
		f.Remediation = "Only your IT admin can allow calsync: the admin-policy check has a note to send them."
		return f
	case providers.Network:
		f = Finding{Status: Unverified, Temporary: true, Summary: "the provider could not be reached (network); the network check names the layer", Evidence: ev}
		f.Remediation = "Check the connection (VPN, proxy, firewall); the network check tests DNS, TCP and TLS to " + hostOf(acct) + "."
		return f
	case providers.RateLimited, providers.Unavailable:
		return Finding{Status: Unverified, Temporary: true, Summary: "the provider is busy or down right now (" + string(kind) + "); sync retries by itself", Evidence: ev, Actor: ActorProvider}
	case providers.ReadOnly:
		f = fail("the calendar refuses writes (read-only)", ev...)
		f.Remediation = "Choose a calendar you can edit, or set direction from-calendar."
		return f
	}
	f = fail(fmt.Sprintf("the provider refused: %s", kind), ev...)
	f.Remediation = remediationForReason("error:" + string(kind))
	return f
}

// lastSignIn is when the account last signed in: as recorded by account setup (add or
// reconnect, from the app or the command line), else its last reconnect fix, else its
// creation (accounts saved before the sign-in time was kept).
func lastSignIn(ctx context.Context, e *Env, a store.Account) time.Time {
	at, ok, _ := store.LastSignIn(ctx, e.Store.DB, a.ID)
	es, _ := store.QueryJournal(ctx, e.Store.DB, store.JournalQuery{AccountID: a.ID, Op: store.OpFixed, Reason: "fix:reconnect", Limit: 1})
	if len(es) > 0 && (!ok || es[0].At.After(at)) {
		return es[0].At
	}
	if ok {
		return at
	}
	return a.CreatedAt
}

func scopeRemediation(a store.Account) string {
	switch a.Kind {
	case "google":
		return "Remove calsync's access at " + RevokePage("google") + " so Google asks again, then reconnect and tick \"See, edit, share and permanently delete all the calendars you can access\"."
	case "microsoft":
		return "Reconnect and accept \"Have full access to your calendars\" (Calendars.ReadWrite). To start over, remove the app at " + RevokePage("microsoft") + "."
	}
	return "Reconnect and grant calendar access."
}

func reconnectFix(a *AccountView) *Fix {
	id := a.Account.ID
	fx := &Fix{ID: "reconnect", Title: "sign in again to " + a.Label() + " (fresh sign-in)", Interactive: true,
		Impact: Impact{{"new sign-in", 1}}}
	fx.apply = func(ctx context.Context, e *Env, _ string) (Applied, error) {
		if e.Reconnect == nil {
			return Applied{}, errors.New("a fresh sign-in needs a person at the keyboard: run `calsync account reconnect " + id + "`")
		}
		// The journal entry records when the fresh sign-in happened (the 7-day check reads it);
		// there is nothing to undo: the old sign-in no longer worked.
		if err := e.Reconnect(ctx, id); err != nil {
			return Applied{}, err
		}
		jid, _ := store.AppendJournal(ctx, e.Store.DB, store.JournalEntry{At: e.now(), AccountID: id, Op: store.OpFixed, Reason: "fix:reconnect", Detail: `{"fix":"reconnect","undo":"none","title":"fresh sign-in"}`})
		return Applied{JournalID: jid, Message: "signed in again"}, nil
	}
	return fx
}

// appPasswordFix takes a pasted app password, tests it live against the server and saves
// it only when the server accepts it. The old password is not kept (it did not work, and
// secrets never go to the journal), so this fix has no undo.
func appPasswordFix(a *AccountView) *Fix {
	acct := a.Account
	fx := &Fix{ID: "app-password", Title: "use an app-specific password for " + a.Label(),
		Input: &Input{Label: "App password", Secret: true}, Impact: Impact{{"replace password", 1}}}
	fx.apply = func(ctx context.Context, e *Env, pw string) (Applied, error) {
		pw = strings.TrimSpace(pw)
		if e.Open == nil {
			return Applied{}, errors.New("cannot test the password here (no provider access)")
		}
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		p, err := e.Open(cctx, acct, []byte(pw))
		if err == nil {
			_, err = p.Calendars(cctx)
		}
		if err != nil {
			return Applied{}, fmt.Errorf("the server refused this password, nothing was saved: %s", strings.ReplaceAll(err.Error(), pw, "[password]"))
		}
		now := e.now()
		var jid int64
		err = e.Store.Tx(ctx, func(h store.Handler) error {
			var err error
			jid, err = store.AppendJournal(ctx, h, store.JournalEntry{At: now, AccountID: acct.ID, Op: store.OpFixed, Reason: "fix:app-password",
				Detail: `{"fix":"app-password","undo":"none","title":"app password saved after a successful test"}`})
			if err != nil {
				return err
			}
			if err := e.Store.SetAccountSecret(ctx, h, acct.ID, store.SecretPassword, []byte(pw), now); err != nil {
				return err
			}
			if err := store.ClearAccountError(ctx, h, acct.ID, now); err != nil {
				return err
			}
			return store.SetAccountState(ctx, h, acct.ID, store.AccountConnected, now)
		})
		if err != nil {
			return Applied{}, err
		}
		return Applied{JournalID: jid, Message: "the server accepted the app password; saved"}, nil
	}
	return fx
}

func adminFinding(a *AccountView, msg string, ev []Evidence) Finding {
	acct := a.Account
	code := AADSTSCode(msg)
	if acct.Kind == "google" {
		code = "admin_policy_enforced"
	}
	f := Finding{Status: Fail, Actor: ActorAdmin, Evidence: ev}
	switch {
	case acct.Kind == "microsoft" && code != "":
		f.Summary = fmt.Sprintf("your organisation blocks calsync (AADSTS%s: %s); only your IT admin can allow it", code, aadstsMeaning(code))
	case acct.Kind == "google":
		f.Summary = "your Google Workspace admin blocks third-party apps from calendar access (admin_policy_enforced)"
	default:
		f.Summary = "an admin policy blocks calsync for " + a.Label()
	}
	f.AdminNote = AdminNote(acct.Kind, acct.ClientID, code, acct.Login)
	f.Remediation = "Send the note below to your IT admin; once they approve, reconnect."
	return f
}

// grantedWrite reports whether the granted scopes allow writing calendar events.
func scopeStatus(kind string, granted []string) (ok bool, readOnly bool, missing []string) {
	has := func(s string) bool {
		for _, g := range granted {
			g = strings.TrimPrefix(g, "https://graph.microsoft.com/")
			if strings.EqualFold(g, s) {
				return true
			}
		}
		return false
	}
	switch kind {
	case "google":
		for _, s := range googleWriteScopes {
			if has(s) {
				return true, false, nil
			}
		}
		ro := has("https://www.googleapis.com/auth/calendar.readonly") || has("https://www.googleapis.com/auth/calendar.events.readonly")
		return false, ro, []string{"https://www.googleapis.com/auth/calendar"}
	case "microsoft":
		for _, s := range neededScopes["microsoft"] {
			if !has(s) {
				missing = append(missing, s)
			}
		}
		return len(missing) == 0, has("Calendars.Read") && !has("Calendars.ReadWrite"), missing
	}
	return true, false, nil
}

func checkScopes(ctx context.Context, e *Env, a *AccountView) Finding {
	acct := a.Account
	if acct.AuthKind != "oauth" {
		return skip(a.Label() + " signs in with a password: there are no scopes to grant")
	}
	granted := acct.GrantedScopes
	src := "token response at sign-in"
	var missing []string
	if !e.Offline && e.Open != nil {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		if p, err := e.Open(cctx, acct, nil); err == nil {
			if rep, err := p.Access(cctx); err == nil {
				granted, missing, src = rep.Granted, rep.Missing, "live access report from "+acct.Kind
			}
		}
		cancel()
	}
	if len(granted) == 0 && len(missing) == 0 {
		return unverified("calsync does not know which scopes were granted (none recorded, and the provider could not be asked)", nil)
	}
	ok, ro, miss := scopeStatus(acct.Kind, granted)
	if len(missing) == 0 {
		missing = miss
	}
	shown := strings.Join(granted, " ")
	if shown == "" {
		shown = "nothing for calendars"
	}
	ev := Evidence{Observed: "granted: " + shown, Expected: "needed: " + strings.Join(neededScopes[acct.Kind], " "), Source: src}
	if ok && len(missing) == 0 {
		return pass("calendar access was granted", ev)
	}
	sum := "calendar access was not granted: missing " + strings.Join(missing, ", ")
	if ro {
		sum = "only read access to calendars was granted: missing " + strings.Join(missing, ", ")
	}
	f := fail(sum, ev)
	f.Remediation = scopeRemediation(acct)
	f.Fixes = []*Fix{reconnectFix(a)}
	return f
}

func checkAdminPolicy(ctx context.Context, e *Env, a *AccountView) Finding {
	acct := a.Account
	if acct.AuthKind != "oauth" {
		return skip(a.Label() + " does not use an organisation sign-in")
	}
	if providers.Kind(acct.LastErrorKind) == providers.AdminBlocked {
		return adminFinding(a, acct.LastErrorMessage, []Evidence{{Observed: acct.LastErrorKind + ": " + acct.LastErrorMessage, Expected: "no admin block", Source: "account " + a.Label()}})
	}
	return pass("no admin policy refusal recorded", Evidence{Observed: "last error: " + orNone(acct.LastErrorKind), Source: "account " + a.Label()})
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (e *Env) prober() *Prober {
	if e.Prober != nil {
		return e.Prober
	}
	return &Prober{Timeout: 3 * time.Second}
}

func checkNetwork(ctx context.Context, e *Env, a *AccountView) Finding {
	if e.Offline {
		return skip("network checks are off (offline mode)")
	}
	urls := probeURLs(a.Account)
	if len(urls) == 0 {
		return skip("no server address is known for " + a.Label())
	}
	var ev []Evidence
	for _, u := range urls {
		res := e.prober().Probe(ctx, u)
		for _, s := range res.Steps {
			exp := "ok"
			ev = append(ev, Evidence{Observed: s.Detail, Expected: exp, Source: strings.ToUpper(s.Layer) + " " + res.Host})
		}
		if st, bad := res.Failed(); bad {
			f := fail(fmt.Sprintf("%s: %s", strings.ToUpper(st.Layer), st.Detail), ev...)
			switch st.Layer {
			case "dns":
				f.Remediation = "This computer cannot look up " + res.Host + ": check the internet connection, DNS settings or VPN, and the server address in the account."
			case "tcp":
				f.Remediation = "The host is known but does not accept connections on port " + res.Port + ": a firewall or proxy may block it, or the server is down."
			case "tls":
				f.Remediation = "The secure connection fails: a company proxy or antivirus that inspects HTTPS, or a wrong date on this computer, are the usual causes."
			default:
				f.Remediation = "The server does not answer HTTP properly; try again later."
				f.Status, f.Temporary = Unverified, true
			}
			if strings.Contains(st.Detail, "timed out") {
				f.Status, f.Temporary = Unverified, true
			}
			return f
		}
	}
	return pass("DNS, TCP and TLS to the provider work", ev...)
}

func checkClock(ctx context.Context, e *Env, a *AccountView) Finding {
	if e.Offline {
		return skip("network checks are off (offline mode)")
	}
	urls := probeURLs(a.Account)
	if len(urls) == 0 {
		return skip("no server address is known for " + a.Label())
	}
	p := *e.prober()
	if p.Now == nil {
		p.Now = e.now
	}
	res := p.Probe(ctx, urls[0])
	if !res.HasSkew {
		return unverified("could not read the provider's clock (no answer or no Date header)", nil)
	}
	skew := res.Skew.Round(time.Second)
	ev := Evidence{Observed: fmt.Sprintf("provider clock minus local clock: %s", skew), Expected: "within " + MaxClockSkew.String(), Source: "HTTP Date header of " + res.Host}
	if skew > MaxClockSkew || skew < -MaxClockSkew {
		dir := "behind"
		if skew < 0 {
			dir = "ahead"
		}
		f := fail(fmt.Sprintf("this computer's clock is %s %s the provider's: sign-ins and tokens fail", absDur(skew), dir), ev)
		f.Remediation = "Turn on automatic date and time (NTP) in the system settings, and check the time zone."
		return f
	}
	return pass("the local clock agrees with the provider's", ev)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
