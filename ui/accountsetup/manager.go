package accountsetup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/calsync/calsync/providers/httppolicy"
	"net/http"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	_ "github.com/calsync/calsync/providers/all" // providers.Open for every kind
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/oauth"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

// Manager is the real Backend: the store, the providers (through their sign-in flows and
// fakes' endpoints when overridden) and the engine's dry run. The Accounts screen, the
// settings screen and the `calsync account|calendars|settings` commands all use it.
type Manager struct {
	Store  *store.Store
	Getenv func(string) string
	Now    func() time.Time
	// HTTPClient talks to providers; nil = the httppolicy default (providers wrap it again).
	HTTPClient *http.Client
	// OpenBrowser opens a sign-in URL. nil = the system browser when there is one, or an
	// HTTP GET when CALSYNC_OPEN_BROWSER=http-get (tests and demo mode against the fakes,
	// whose authorization pages consent at once).
	OpenBrowser func(url string) error
	// NoBrowser never tries to open a browser (the URL is still shown).
	NoBrowser bool
	// Device tunes the Microsoft device-code polling (tests set a fast clock); its
	// provider, config and callbacks are filled per sign-in.
	Device oauth.DeviceOptions
}

var _ Backend = (*Manager)(nil)

// NewManager builds a Manager on st. getenv may be nil (no overrides, no prefilled client).
func NewManager(st *store.Store, getenv func(string) string, now func() time.Time) *Manager {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if now == nil {
		now = time.Now
	}
	return &Manager{Store: st, Getenv: getenv, Now: now}
}

func (m *Manager) httpClient() *http.Client {
	if m.HTTPClient != nil {
		return m.HTTPClient
	}
	// Providers wrap it again; the policy is here too so nothing else using it is unbounded.
	return httppolicy.Client(nil, httppolicy.Policy{})
}

func (m *Manager) openBrowser() func(string) error {
	if m.OpenBrowser != nil {
		return m.OpenBrowser
	}
	if m.Getenv("CALSYNC_OPEN_BROWSER") == "http-get" {
		// A browser stand-in: it carries no credentials and must follow the consent
		// page's redirect to the loopback listener (another origin).
		hc := httppolicy.Client(m.HTTPClient, httppolicy.Policy{FollowCrossOrigin: true})
		return func(u string) error {
			resp, err := hc.Get(u)
			if err != nil {
				return err
			}
			resp.Body.Close()
			return nil
		}
	}
	return nil
}

// ClientDefaults reads the OAuth client for kind from the environment.
func (m *Manager) ClientDefaults(kind string) (string, string) {
	idVar, secretVar := ClientEnv(kind)
	var id, secret string
	if idVar != "" {
		id = strings.TrimSpace(m.Getenv(idVar))
	}
	if secretVar != "" {
		secret = strings.TrimSpace(m.Getenv(secretVar))
	}
	return id, secret
}

// EndpointOverrides reads CALSYNC_<KIND>_API_URL, _AUTH_URL, _TOKEN_URL and
// _DEVICE_CODE_URL: where tests and demo mode point a new account at the fakes.
func EndpointOverrides(kind string, getenv func(string) string) providers.Endpoints {
	p := "CALSYNC_" + strings.ToUpper(kind) + "_"
	return providers.Endpoints{
		API:        getenv(p + "API_URL"),
		Auth:       getenv(p + "AUTH_URL"),
		Token:      getenv(p + "TOKEN_URL"),
		DeviceCode: getenv(p + "DEVICE_CODE_URL"),
	}
}

// errNoStore guards a screen built without a data directory (some UI tests).
var errNoStore = errors.New("no data directory is open")

// Accounts lists the stored accounts.
func (m *Manager) Accounts(ctx context.Context) ([]store.Account, error) {
	if m.Store == nil {
		return nil, errNoStore
	}
	return store.ListAccounts(ctx, m.Store.DB)
}

// Connect tests d without saving anything.
func (m *Manager) Connect(ctx context.Context, d Draft, prompt func(Prompt)) (*Connection, error) {
	if prompt == nil {
		prompt = func(Prompt) {}
	}
	if d.ReconnectID != "" {
		a, err := store.GetAccount(ctx, m.Store.DB, d.ReconnectID)
		if err != nil {
			return nil, err
		}
		// A reconnect signs in again where the account already lives.
		var ep providers.Endpoints
		_ = json.Unmarshal([]byte(a.Endpoints), &ep)
		d.Endpoints = ep
		if d.ServerURL == "" {
			d.ServerURL = a.ServerURL
		}
	} else if d.Endpoints == (providers.Endpoints{}) {
		d.Endpoints = EndpointOverrides(d.Choice.Kind, m.Getenv)
	}
	switch d.Choice.Kind {
	case "caldav":
		return m.connectCalDAV(ctx, d)
	case "google", "microsoft":
		return m.connectOAuth(ctx, d, prompt)
	}
	return nil, fmt.Errorf("unknown provider %q", d.Choice.Kind)
}

func (m *Manager) connectCalDAV(ctx context.Context, d Draft) (*Connection, error) {
	if err := ValidateServerURL(d.ServerURL); err != nil {
		return nil, err
	}
	if err := ValidateUsername(d.Username); err != nil {
		return nil, err
	}
	if err := ValidatePassword(d.Password); err != nil {
		return nil, err
	}
	server := NormalizeServerURL(d.ServerURL)
	if d.ReconnectID == "" && d.Choice.ServerURL != "" && d.Endpoints.API != "" && server == d.Choice.ServerURL {
		// CALSYNC_CALDAV_API_URL stands in for a known service's fixed address (iCloud,
		// Fastmail) so tests and demo mode reach the fake through the same form.
		server = d.Endpoints.API
	}
	if d.Choice.ID == "nextcloud" {
		server = caldav.NextcloudURL(server)
	}
	disc, err := caldav.DiscoverWithClient(ctx, m.httpClient(), server, strings.TrimSpace(d.Username), d.Password)
	if err != nil {
		return nil, err
	}
	d.ServerURL = disc.BaseURL
	if d.ServerURL == "" {
		d.ServerURL = server
	}
	d.Endpoints.API = d.ServerURL
	return &Connection{
		Draft:      d,
		Login:      strings.TrimSpace(d.Username),
		Calendars:  disc.Calendars,
		Secret:     []byte(d.Password),
		SecretKind: store.SecretPassword,
	}, nil
}

// Save stores a tested connection in one transaction.
func (m *Manager) Save(ctx context.Context, c *Connection) (store.Account, error) {
	if c == nil {
		return store.Account{}, errors.New("nothing to save")
	}
	now := m.Now()
	d := c.Draft
	ep, _ := json.Marshal(d.Endpoints)
	var saved store.Account
	err := m.Store.Tx(ctx, func(h store.Handler) error {
		var a store.Account
		if d.ReconnectID != "" {
			old, err := store.GetAccount(ctx, h, d.ReconnectID)
			if err != nil {
				return err
			}
			if old.Login != "" && c.Login != "" && !strings.EqualFold(old.Login, c.Login) {
				return fmt.Errorf("you signed in as %s, but this account is %s: sign in as %s, or add %s as a new account",
					c.Login, old.Login, old.Login, c.Login)
			}
			a = old
			if c.Login != "" {
				a.Login = c.Login
			}
			if d.ServerURL != "" {
				a.ServerURL = d.ServerURL
			}
			a.Endpoints = string(ep)
			a.ClientID = d.ClientID
			if a.State != store.AccountDisabled {
				a.State = store.AccountConnected
			}
			a.GrantedScopes = c.Granted
			a.LastErrorKind, a.LastErrorMessage, a.LastErrorAt = "", "", nil
			if err := store.UpdateAccount(ctx, h, a, now); err != nil {
				return err
			}
		} else {
			existing, err := store.ListAccounts(ctx, h)
			if err != nil {
				return err
			}
			for _, e := range existing {
				if sameAccount(e, d.Choice.Kind, c.Login, d.ServerURL) {
					// The same calendar connected twice is a classic source of duplicates.
					return &AlreadyConnectedError{Login: c.Login, Existing: e}
				}
			}
			name := strings.TrimSpace(d.Name)
			if name == "" {
				name = c.Login
			}
			if name == "" {
				name = d.Choice.Label
			}
			authKind := "oauth"
			if d.Choice.Kind == "caldav" {
				authKind = "password"
			}
			a, err = store.CreateAccount(ctx, h, store.Account{
				Kind: d.Choice.Kind, Name: name, Login: c.Login, ServerURL: d.ServerURL,
				Endpoints: string(ep), ClientID: d.ClientID, AuthKind: authKind,
				State: store.AccountConnected, GrantedScopes: c.Granted, CreatedAt: now, UpdatedAt: now,
			})
			if err != nil {
				return err
			}
		}
		if err := m.Store.SetAccountSecret(ctx, h, a.ID, c.SecretKind, c.Secret, now); err != nil {
			return err
		}
		if err := store.RecordSignIn(ctx, h, a.ID, now); err != nil {
			return err
		}
		// The OAuth client secret goes with the token, so later refreshes work without
		// CALSYNC_*_CLIENT_SECRET in the environment (it stays a secret: never printed).
		if cs := strings.TrimSpace(d.ClientSecret); c.SecretKind == store.SecretOAuthToken && cs != "" {
			if err := m.Store.SetAccountClientSecret(ctx, h, a.ID, []byte(cs)); err != nil {
				return err
			}
		}
		if err := store.ReplaceCalendars(ctx, h, a.ID, storeCalendars(a.ID, c.Calendars, now), now); err != nil {
			return err
		}
		var err error
		saved, err = store.GetAccount(ctx, h, a.ID)
		return err
	})
	return saved, err
}

func sameAccount(a store.Account, kind, login, serverURL string) bool {
	if a.Kind != kind || login == "" || !strings.EqualFold(a.Login, login) {
		return false
	}
	if kind != "caldav" {
		return true
	}
	return hostOf(a.ServerURL) == hostOf(serverURL)
}

func storeCalendars(accountID string, cals []providers.Calendar, now time.Time) []store.Calendar {
	out := make([]store.Calendar, 0, len(cals))
	for _, c := range cals {
		out = append(out, store.Calendar{AccountID: accountID, RemoteID: c.ID, Name: c.Name, TimeZone: c.TimeZone,
			ReadOnly: c.ReadOnly, Primary: c.Primary, HasEvents: c.Events, SeenAt: now})
	}
	return out
}

// SetEnabled stops or resumes an account's sync. Stopping keeps everything; resuming a
// never-activated account records activated_at only when a calendar was chosen.
func (m *Manager) SetEnabled(ctx context.Context, accountID string, on bool) error {
	now := m.Now()
	return m.Store.Tx(ctx, func(h store.Handler) error {
		a, err := store.GetAccount(ctx, h, accountID)
		if err != nil {
			return err
		}
		s, err := store.GetSyncSettings(ctx, h, accountID)
		if err != nil {
			return err
		}
		if !on {
			if err := store.SetAccountState(ctx, h, accountID, store.AccountDisabled, now); err != nil {
				return err
			}
			if s.Enabled {
				_, err = store.EnableSync(ctx, h, accountID, false, now)
			}
			return err
		}
		if a.State == store.AccountDisabled {
			if err := store.SetAccountState(ctx, h, accountID, store.AccountConnected, now); err != nil {
				return err
			}
		}
		if s.CalendarID != "" {
			_, err = store.EnableSync(ctx, h, accountID, true, now)
		}
		return err
	})
}

// Remove deletes the account; activities and the journal stay. Its secrets in the OS
// keyring go after the account is gone (a keyring that fails then leaves an orphan item,
// never an account without its secret).
func (m *Manager) Remove(ctx context.Context, accountID string) error {
	if err := m.Store.Tx(ctx, func(h store.Handler) error { return store.DeleteAccount(ctx, h, accountID) }); err != nil {
		return err
	}
	return m.Store.DeleteAccountSecrets(ctx, m.Store.DB, accountID)
}

// Calendars lists the account's stored calendars.
func (m *Manager) Calendars(ctx context.Context, accountID string) ([]store.Calendar, error) {
	if _, err := store.GetAccount(ctx, m.Store.DB, accountID); err != nil {
		return nil, err
	}
	return store.ListCalendars(ctx, m.Store.DB, accountID)
}

// Settings reads the account's sync settings.
func (m *Manager) Settings(ctx context.Context, accountID string) (store.SyncSettings, error) {
	if _, err := store.GetAccount(ctx, m.Store.DB, accountID); err != nil {
		return store.SyncSettings{}, err
	}
	return store.GetSyncSettings(ctx, m.Store.DB, accountID)
}

// Prepare fills what saving s will set: activated_at the first time sync is switched on.
// The preview runs on the prepared settings so it skips what the real run will skip.
func (m *Manager) Prepare(s store.SyncSettings) store.SyncSettings {
	if s.Enabled && s.ActivatedAt == nil {
		now := m.Now().UTC().Truncate(time.Second)
		s.ActivatedAt = &now
	}
	if s.ConflictPolicy == "" {
		s.ConflictPolicy = store.PolicyNewestWins
	}
	return s
}

// ApplySettings validates s against the account's calendars and saves it. Switching sync
// on for the first time records activated_at; switching it on resumes a stopped account.
func (m *Manager) ApplySettings(ctx context.Context, s store.SyncSettings) (store.SyncSettings, error) {
	now := m.Now()
	var saved store.SyncSettings
	err := m.Store.Tx(ctx, func(h store.Handler) error {
		a, err := store.GetAccount(ctx, h, s.AccountID)
		if err != nil {
			return err
		}
		cals, err := store.ListCalendars(ctx, h, s.AccountID)
		if err != nil {
			return err
		}
		if err := ValidateSettings(s, cals); err != nil {
			return err
		}
		s = m.Prepare(s)
		s.UpdatedAt = now
		if err := store.PutSyncSettings(ctx, h, s); err != nil {
			return err
		}
		if s.Enabled && a.State == store.AccountDisabled {
			if err := store.SetAccountState(ctx, h, a.ID, store.AccountConnected, now); err != nil {
				return err
			}
		}
		saved, err = store.GetSyncSettings(ctx, h, s.AccountID)
		return err
	})
	return saved, err
}

// RefreshCalendars lists the account's calendars from the provider again and stores them
// (a calendar created or shared after setup appears; one deleted disappears). Settings
// keep their calendar id even if it vanished, so the doctor can say so.
func (m *Manager) RefreshCalendars(ctx context.Context, accountID string) ([]store.Calendar, error) {
	a, err := store.GetAccount(ctx, m.Store.DB, accountID)
	if err != nil {
		return nil, err
	}
	cfg, err := sync.ProviderConfig(ctx, m.Store, a, m.Getenv)
	if err != nil {
		return nil, err
	}
	cfg.HTTPClient = m.httpClient()
	p, err := providers.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cals, err := p.Calendars(ctx)
	if err != nil {
		return nil, err
	}
	now := m.Now()
	if err := m.Store.Tx(ctx, func(h store.Handler) error {
		return store.ReplaceCalendars(ctx, h, a.ID, storeCalendars(a.ID, cals, now), now)
	}); err != nil {
		return nil, err
	}
	return store.ListCalendars(ctx, m.Store.DB, a.ID)
}

// AlreadyConnectedError refuses adding an account that is already connected: the same
// calendar connected twice is a classic source of duplicates.
type AlreadyConnectedError struct {
	Login    string
	Existing store.Account
}

func (e *AlreadyConnectedError) Error() string {
	return fmt.Sprintf("%s is already connected as account %s (%q); use reconnect on it instead of adding it again",
		e.Login, e.Existing.ID, e.Existing.Name)
}
