package doctor

import (
	"fmt"
	"regexp"
	"strings"
)

// Scopes calsync asks for, per provider kind (PROVIDERS.md).
var neededScopes = map[string][]string{
	"google":    {"https://www.googleapis.com/auth/calendar"},
	"microsoft": {"Calendars.ReadWrite", "offline_access"},
}

// googleWriteScopes are the grants that let calsync write events.
var googleWriteScopes = []string{"https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.events"}

// RevokePage is where a person removes calsync's access to start consent afresh.
func RevokePage(kind string) string {
	switch kind {
	case "google":
		return "https://myaccount.google.com/permissions"
	case "microsoft":
		return "https://myapps.microsoft.com (or https://account.live.com/consent/Manage for personal accounts)"
	}
	return ""
}

var aadstsRE = regexp.MustCompile(`AADSTS(\d{5,6})`)

// AADSTSCode extracts the Entra error number from a stored provider error ("" if none).
// The error Kind decides what happened; the number only refines the admin note.
func AADSTSCode(s string) string {
	if m := aadstsRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// aadstsMeaning explains the Entra codes PROVIDERS.md lists.
func aadstsMeaning(code string) string {
	switch code {
	case "65001":
		return "the app has not been given consent in this organisation"
	case "90094", "90095":
		return "the organisation requires an administrator to approve apps that ask for these permissions"
	case "53003":
		return "a Conditional Access policy blocked the sign-in"
	case "50105":
		return "the user is not assigned to the app in this organisation"
	}
	return ""
}

// AdminNote is a ready-to-send message asking the IT admin to allow calsync. kind is the
// provider, clientID the OAuth client, code the provider's refusal (AADSTS number or
// Google's admin_policy_enforced), login the person's account.
func AdminNote(kind, clientID, code, login string) string {
	if clientID == "" {
		clientID = "(the client ID shown in calsync's account details)"
	}
	scopes := strings.Join(neededScopes[kind], ", ")
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	switch kind {
	case "microsoft":
		fmt.Fprintf(&b, "I use calsync to keep my CRM activities in my Microsoft 365 calendar (account %s). ", login)
		reason := aadstsMeaning(code)
		if reason == "" {
			reason = "our tenant's policy blocks the app"
		}
		if code != "" {
			fmt.Fprintf(&b, "Signing in fails with AADSTS%s: %s.\n\n", code, reason)
		} else {
			fmt.Fprintf(&b, "Signing in fails: %s.\n\n", reason)
		}
		if code == "53003" {
			b.WriteString("Could you check which Conditional Access policy blocked it (Microsoft Entra admin center > Monitoring > Sign-in logs) and allow this app:\n")
		} else {
			b.WriteString("Could you grant admin consent for this app:\n")
		}
		fmt.Fprintf(&b, "  Application (client) ID: %s\n", clientID)
		fmt.Fprintf(&b, "  Delegated permissions:   %s\n", scopes)
		b.WriteString("  Where: Microsoft Entra admin center > Identity > Applications > Enterprise applications >\n")
		b.WriteString("         Admin consent requests (or Consent and permissions), or open\n")
		fmt.Fprintf(&b, "         https://login.microsoftonline.com/organizations/adminconsent?client_id=%s\n", clientID)
	case "google":
		fmt.Fprintf(&b, "I use calsync to keep my CRM activities in my Google Calendar (account %s). ", login)
		b.WriteString("Google refuses the sign-in with admin_policy_enforced: our Workspace blocks third-party apps that ask for calendar access.\n\n")
		b.WriteString("Could you allow this app:\n")
		fmt.Fprintf(&b, "  OAuth client ID: %s\n", clientID)
		fmt.Fprintf(&b, "  Scopes:          %s\n", scopes)
		b.WriteString("  Where: Google Admin console > Security > Access and data control > API controls >\n")
		b.WriteString("         Manage third-party app access > Configure new app > search the client ID >\n")
		b.WriteString("         set it to Trusted (https://admin.google.com/ac/owl/list?tab=configuredApps)\n")
	default:
		fmt.Fprintf(&b, "I use calsync to sync my CRM activities with our calendar server (account %s), and the server refuses it by policy.\n", login)
		b.WriteString("Could you allow CalDAV access (or app passwords) for my account?\n")
	}
	b.WriteString("\nThe app only reads and writes events in the calendar I choose. Thank you!\n")
	return b.String()
}
