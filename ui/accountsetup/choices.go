// Package accountsetup is the logic behind connecting a calendar account and choosing how
// it syncs, shared by the Accounts screen, the sync settings screen and the `calsync
// account` / `calsync settings` commands: which providers can be picked and what each one
// needs, the guide to creating an app password or an OAuth client, comparing granted
// scopes with needed ones, turning a provider error into the sentence a person can act on,
// the plain-language meaning of each sync direction, and the rules that keep a read-only
// calendar away from a direction that writes.
//
// It holds no Bubble Tea code, so the screens and the command line say the same thing.
package accountsetup

import (
	"fmt"
	"net/url"
	"strings"
)

// Auth is how a choice signs in.
type Auth string

const (
	AuthOAuthLoopback Auth = "oauth-loopback" // browser sign-in redirected to 127.0.0.1
	AuthDeviceCode    Auth = "device-code"    // code typed on another device (Microsoft)
	AuthPassword      Auth = "password"       // CalDAV username + app password
)

// Choice is one entry of the "Add account" provider picker.
type Choice struct {
	ID    string // google, microsoft, icloud, fastmail, nextcloud, caldav
	Label string // what the picker shows
	Kind  string // provider kind stored on the account: google | microsoft | caldav
	Auth  Auth
	// ServerURL is where a CalDAV account starts discovery; "" means the person types it.
	ServerURL string
	// ServerHint is the placeholder shown when the person must type the server.
	ServerHint string
	// UsernameHint tells what the login is (Apple ID e-mail, full Fastmail address, ...).
	UsernameHint string
	// Guide says where to create the app password or OAuth client, step by step.
	Guide string
	// GuideURL is the exact page to open for Guide; "" when it depends on the server.
	GuideURL string
	// AppPasswordPath is the short "where to click" used in error messages.
	AppPasswordPath string
	// NeedsAppPassword is true when the service refuses the normal password whenever
	// two-factor authentication is on (which it always is for iCloud and Fastmail).
	NeedsAppPassword bool
}

// IsCalDAV reports whether the choice is a username + password account.
func (c Choice) IsCalDAV() bool { return c.Kind == "caldav" }

// Choices lists the picker in display order.
func Choices() []Choice {
	return []Choice{
		{
			ID: "google", Label: "Google Calendar", Kind: "google", Auth: AuthOAuthLoopback,
			Guide:    GoogleClientGuide,
			GuideURL: "https://console.cloud.google.com/apis/credentials",
		},
		{
			ID: "microsoft", Label: "Microsoft 365 / Outlook.com / Exchange Online", Kind: "microsoft",
			Auth:     AuthDeviceCode,
			Guide:    MicrosoftClientGuide,
			GuideURL: "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
		},
		{
			ID: "icloud", Label: "iCloud", Kind: "caldav", Auth: AuthPassword,
			ServerURL:        "https://caldav.icloud.com",
			UsernameHint:     "your Apple ID e-mail address",
			NeedsAppPassword: true,
			AppPasswordPath:  "appleid.apple.com -> Sign-In and Security -> App-Specific Passwords",
			Guide: "iCloud needs an app-specific password (two-factor authentication is always on): " +
				"sign in at appleid.apple.com -> Sign-In and Security -> App-Specific Passwords -> " +
				"Generate, name it \"calsync\", and paste the xxxx-xxxx-xxxx-xxxx password here.",
			GuideURL: "https://appleid.apple.com/account/manage",
		},
		{
			ID: "fastmail", Label: "Fastmail", Kind: "caldav", Auth: AuthPassword,
			ServerURL:        "https://caldav.fastmail.com/dav/",
			UsernameHint:     "your full Fastmail address",
			NeedsAppPassword: true,
			AppPasswordPath:  "Fastmail Settings -> Privacy & Security -> Integrations -> App passwords",
			Guide: "Fastmail needs an app password: Settings -> Privacy & Security -> " +
				"Integrations -> App passwords -> New app password, give it CalDAV access, " +
				"and paste it here.",
			GuideURL: "https://app.fastmail.com/settings/security/integrations",
		},
		{
			ID: "nextcloud", Label: "Nextcloud", Kind: "caldav", Auth: AuthPassword,
			ServerHint:      "https://cloud.example.com",
			UsernameHint:    "your Nextcloud user name",
			AppPasswordPath: "Nextcloud Settings -> Security -> Devices & sessions -> Create new app password",
			Guide: "With two-factor authentication on, Nextcloud needs an app password: " +
				"Settings -> Security -> Devices & sessions -> app name \"calsync\" -> " +
				"Create new app password, and paste it here. calsync adds /remote.php/dav itself.",
		},
		{
			ID: "caldav", Label: "Other CalDAV server", Kind: "caldav", Auth: AuthPassword,
			ServerHint:      "https://dav.example.com",
			UsernameHint:    "your user name on that server",
			AppPasswordPath: "the service's security settings",
			Guide: "Give the server's address; calsync finds the calendars through " +
				"/.well-known/caldav. If the account uses two-factor authentication, create " +
				"an app password in the service's security settings and use it here.",
		},
	}
}

// ChoiceByID finds a picker entry by its id ("google", "icloud", ...).
func ChoiceByID(id string) (Choice, bool) {
	for _, c := range Choices() {
		if c.ID == id {
			return c, true
		}
	}
	return Choice{}, false
}

// ChoiceForServer picks the CalDAV entry that matches a server URL, so an iCloud account
// added from the command line with --url gets iCloud's guide.
func ChoiceForServer(serverURL string) Choice {
	host := hostOf(serverURL)
	for _, c := range Choices() {
		if c.IsCalDAV() && c.ServerURL != "" && strings.EqualFold(host, hostOf(c.ServerURL)) {
			return c
		}
	}
	switch {
	case strings.HasSuffix(host, "icloud.com"):
		c, _ := ChoiceByID("icloud")
		return c
	case strings.HasSuffix(host, "fastmail.com"):
		c, _ := ChoiceByID("fastmail")
		return c
	case strings.Contains(strings.ToLower(serverURL), "/remote.php/"):
		c, _ := ChoiceByID("nextcloud")
		return c
	}
	c, _ := ChoiceByID("caldav")
	return c
}

func hostOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// The client guides explain in a few lines how to get an OAuth client, because calsync is
// a desktop program that ships no client of its own.
const (
	GoogleClientGuide = "calsync signs in with your own Google OAuth client: in " +
		"console.cloud.google.com -> APIs & Services, enable the Google Calendar API, then " +
		"Credentials -> Create credentials -> OAuth client ID -> Desktop app. Copy the client " +
		"ID and secret here, or set CALSYNC_GOOGLE_CLIENT_ID and CALSYNC_GOOGLE_CLIENT_SECRET."
	MicrosoftClientGuide = "calsync signs in with your own Microsoft app registration: in " +
		"entra.microsoft.com -> App registrations -> New registration (personal and work " +
		"accounts), then Authentication -> Allow public client flows: Yes, and API " +
		"permissions -> Microsoft Graph -> Calendars.ReadWrite (delegated). Copy the " +
		"Application (client) ID here, or set CALSYNC_MICROSOFT_CLIENT_ID. Exchange accounts " +
		"use this Microsoft sign-in, not a password."
)

// ClientEnv names the environment variables that prefill the OAuth client fields.
func ClientEnv(kind string) (idVar, secretVar string) {
	switch kind {
	case "google":
		return "CALSYNC_GOOGLE_CLIENT_ID", "CALSYNC_GOOGLE_CLIENT_SECRET"
	case "microsoft":
		return "CALSYNC_MICROSOFT_CLIENT_ID", ""
	}
	return "", ""
}

// ValidateServerURL is the form validator for a CalDAV server address.
func ValidateServerURL(s string) error {
	s = NormalizeServerURL(s)
	if s == "" {
		return fmt.Errorf("enter the server address, e.g. https://dav.example.com")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an address; it looks like https://dav.example.com", s)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("the address must start with https://")
	}
	if u.User != nil {
		return fmt.Errorf("put the user name in its own field, not in the address")
	}
	return nil
}

// NormalizeServerURL reads a server address as people type it: "cloud.example.com" is
// https://cloud.example.com (calsync never sends a password over plain http unless asked
// to with an explicit http://).
func NormalizeServerURL(s string) string {
	s = strings.TrimSpace(s)
	if s != "" && !strings.Contains(s, "://") {
		s = "https://" + s
	}
	return s
}

// ValidateUsername is the form validator for a CalDAV login.
func ValidateUsername(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("enter the user name")
	}
	return nil
}

// ValidatePassword is the form validator for an app password. It never repeats the value.
func ValidatePassword(s string) error {
	if s == "" {
		return fmt.Errorf("enter the app password")
	}
	if strings.ContainsAny(s, "\r\n") {
		return fmt.Errorf("the password contains a line break; paste it again")
	}
	return nil
}

// ValidateClientID is the form validator for an OAuth client id.
func ValidateClientID(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return fmt.Errorf("enter the client ID (see the steps above)")
	}
	if strings.ContainsAny(s, " \t") {
		return fmt.Errorf("a client ID has no spaces")
	}
	return nil
}

// ChoiceForAccount finds the picker entry a stored account was made from, for its guides.
func ChoiceForAccount(kind, serverURL string) Choice {
	if kind == "caldav" {
		return ChoiceForServer(serverURL)
	}
	c, ok := ChoiceByID(kind)
	if !ok {
		return Choice{ID: kind, Label: kind, Kind: kind}
	}
	return c
}
