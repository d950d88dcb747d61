package accountsetup

import (
	"fmt"
	"strings"
)

// graphPrefix is how Entra returns Graph scopes in a token response, while apps ask for
// them bare ("Calendars.ReadWrite").
const graphPrefix = "https://graph.microsoft.com/"

// googleFull is the full calendar scope; it covers every narrower calendar scope.
const googleFull = "https://www.googleapis.com/auth/calendar"

// consentWording is the checkbox text a person sees on the consent screen for a scope, so
// calsync can say exactly which box was left unticked.
var consentWording = map[string]string{
	googleFull:                      "See, edit, share and permanently delete all the calendars you can access using Google Calendar",
	googleFull + ".events":          "View and edit events on all your calendars",
	googleFull + ".readonly":        "See and download any calendar you can access using your Google Calendar",
	googleFull + ".events.readonly": "View events on all your calendars",
	"Calendars.ReadWrite":           "Have full access to your calendars",
	"Calendars.Read":                "Read your calendars",
	"offline_access":                "Maintain access to data you have given it access to",
	"User.Read":                     "Sign you in and read your profile",
}

// normalizeScope makes Google and Graph scopes comparable: Graph's prefix is dropped and
// case is ignored for Graph names.
func normalizeScope(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(s), graphPrefix) {
		s = s[len(graphPrefix):]
	}
	return s
}

// covers reports whether a granted scope satisfies a needed one.
func covers(granted, needed string) bool {
	g, n := normalizeScope(granted), normalizeScope(needed)
	if strings.EqualFold(g, n) {
		return true
	}
	// The full Google calendar scope includes the narrower ones.
	return g == googleFull && strings.HasPrefix(n, googleFull+".")
}

// MissingScopes returns the needed scopes no granted scope covers, in needed's order.
// Graph only omits offline_access from the granted list when it is returned as a refresh
// token, so callers pass what the token response said.
func MissingScopes(needed, granted []string) []string {
	var missing []string
	for _, n := range needed {
		if n == "" {
			continue
		}
		found := false
		for _, g := range granted {
			if covers(g, n) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, n)
		}
	}
	return missing
}

// SplitScopes splits a token response's space separated scope string.
func SplitScopes(s string) []string { return strings.Fields(s) }

// ConsentWording is what the consent screen calls scope, or the scope itself when unknown.
func ConsentWording(scope string) string {
	n := normalizeScope(scope)
	if w, ok := consentWording[n]; ok {
		return w
	}
	for k, w := range consentWording {
		if strings.EqualFold(k, n) {
			return w
		}
	}
	return n
}

// MissingScopeMessage is the sentence shown at once when a sign-in granted too little:
// it names each missing permission as the consent screen words it.
func MissingScopeMessage(kind string, missing []string) string {
	if len(missing) == 0 {
		return ""
	}
	var ticks []string
	for _, m := range missing {
		ticks = append(ticks, fmt.Sprintf("'%s'", ConsentWording(m)))
	}
	boxes := strings.Join(ticks, " and ")
	names := make([]string, len(missing))
	for i, m := range missing {
		names[i] = normalizeScope(m)
	}
	switch kind {
	case "google":
		return fmt.Sprintf("Calendar access was not granted (missing %s): sign in again and, on the consent "+
			"screen, tick %s.", strings.Join(names, ", "), boxes)
	case "microsoft":
		return fmt.Sprintf("Calendar access was not granted (missing %s): sign in again and accept %s on the "+
			"consent screen; if your organisation does not let you, ask your IT admin to grant consent for the app.",
			strings.Join(names, ", "), boxes)
	}
	return fmt.Sprintf("Permissions were not granted: %s.", strings.Join(names, ", "))
}

// NeededScopes is what calsync asks for per provider kind; a grant must cover all of it.
func NeededScopes(kind string) []string {
	switch kind {
	case "google":
		return []string{googleFull}
	case "microsoft":
		return []string{"Calendars.ReadWrite", "offline_access"}
	}
	return nil
}
