package caldav

import (
	"net/url"
	"strings"
)

// KnownServer is a CalDAV service whose entry point and password rules calsync knows, so
// account setup can pre-fill the URL and show where to create an app password.
type KnownServer struct {
	ID   string // "icloud", "fastmail", "nextcloud", "generic"
	Name string // shown to the person
	// URL is the discovery entry point. For Nextcloud it is a template: "<server>" is
	// replaced by the person's server (see NextcloudURL).
	URL string
	// Hosts are the host names (lower case) that identify this service in a URL or a login.
	Hosts []string
	// AppPasswordRequired: the service refuses the normal account password for CalDAV
	// once two-factor authentication is on (iCloud always, Fastmail always).
	AppPasswordRequired bool
	// AppPasswordGuide says where to create an app password; AppPasswordURL links there.
	AppPasswordGuide string
	AppPasswordURL   string
}

// KnownServers lists the services account setup offers by name; "generic" covers every
// other CalDAV server (Radicale, Baïkal, SOGo, Zimbra, on-premises installs).
var KnownServers = []KnownServer{
	{
		ID: "icloud", Name: "iCloud", URL: "https://caldav.icloud.com",
		Hosts:               []string{"caldav.icloud.com", "icloud.com", "me.com", "mac.com"},
		AppPasswordRequired: true,
		AppPasswordGuide:    "create an app-specific password at appleid.apple.com -> Sign-In and Security -> App-Specific Passwords, and use it instead of your Apple ID password",
		AppPasswordURL:      "https://appleid.apple.com/account/manage",
	},
	{
		ID: "fastmail", Name: "Fastmail", URL: "https://caldav.fastmail.com/dav/",
		Hosts:               []string{"caldav.fastmail.com", "fastmail.com", "fastmail.fm", "app.fastmail.com"},
		AppPasswordRequired: true,
		AppPasswordGuide:    "create an app password in Fastmail: Settings -> Privacy & Security -> Integrations -> App passwords (with CalDAV access), and use it instead of your normal password",
		AppPasswordURL:      "https://app.fastmail.com/settings/security/integrations",
	},
	{
		ID: "nextcloud", Name: "Nextcloud", URL: "<server>/remote.php/dav",
		AppPasswordGuide: "create an app password in Nextcloud: Settings -> Security -> Devices & sessions -> Create new app password, and use it instead of your normal password",
	},
	{
		ID: "generic", Name: "Other CalDAV server", URL: "",
		AppPasswordGuide: "if your account uses two-factor authentication, create an app password in your server's security settings and use it instead of your normal password",
	},
}

// Server returns the known server with the given ID.
func Server(id string) (KnownServer, bool) {
	for _, s := range KnownServers {
		if s.ID == id {
			return s, true
		}
	}
	return KnownServer{}, false
}

// NextcloudURL turns a Nextcloud address ("cloud.example.org", "https://cloud.example.org/")
// into its CalDAV entry point.
func NextcloudURL(server string) string {
	s := strings.TrimRight(normalizeURL(server), "/")
	if strings.HasSuffix(s, "/remote.php/dav") {
		return s
	}
	return s + "/remote.php/dav"
}

// ServerForHost returns the known service a URL, host name or e-mail login belongs to.
// Nextcloud is recognised by its /remote.php/dav path; anything else is "generic".
func ServerForHost(urlOrLogin string) KnownServer {
	host := strings.ToLower(urlOrLogin)
	if i := strings.LastIndex(host, "@"); i >= 0 && !strings.Contains(host, "/") {
		host = host[i+1:]
	} else if u, err := url.Parse(normalizeURL(urlOrLogin)); err == nil && u.Host != "" {
		if strings.Contains(u.Path, "/remote.php/") {
			s, _ := Server("nextcloud")
			return s
		}
		host = strings.ToLower(u.Hostname())
	}
	for _, s := range KnownServers {
		for _, h := range s.Hosts {
			// p42-caldav.icloud.com is iCloud too (its partition servers).
			if host == h || strings.HasSuffix(host, "."+h) || (s.ID == "icloud" && strings.HasSuffix(host, "-caldav.icloud.com")) {
				return s
			}
		}
	}
	s, _ := Server("generic")
	return s
}

// BaseURLForLogin guesses the discovery URL from an e-mail login when no URL was given:
// the known service's entry point, else https://<domain> (RFC 6764 /.well-known lookup).
func BaseURLForLogin(login string) string {
	i := strings.LastIndex(login, "@")
	if i < 0 || i == len(login)-1 {
		return ""
	}
	s := ServerForHost(login)
	if s.URL != "" && !strings.Contains(s.URL, "<server>") {
		return s.URL
	}
	return "https://" + strings.ToLower(login[i+1:])
}

// normalizeURL adds https:// when the person typed a bare host name.
func normalizeURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "://") {
		return s
	}
	return "https://" + s
}

// Hint is the one-line advice for a refused password on this service.
func (s KnownServer) Hint() string {
	h := s.AppPasswordGuide
	if s.AppPasswordURL != "" {
		h += " (" + s.AppPasswordURL + ")"
	}
	if s.AppPasswordRequired {
		h = s.Name + " requires an app-specific password: " + h
	}
	return h
}

func genericGuide() string {
	s, _ := Server("generic")
	return s.AppPasswordGuide
}
