package accountsetup

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// Advice is a failed connection explained: its Kind (what the screen shows as a label) and
// the sentence saying what happened and what to do next.
type Advice struct {
	Kind providers.Kind // "" when the error is not a provider error
	Text string
}

// String is the one-line form used by the command line: "Kind: text".
func (a Advice) String() string {
	if a.Kind == "" {
		return a.Text
	}
	return string(a.Kind) + ": " + a.Text
}

// Explain turns an error from testing a connection into Advice for the person adding or
// reconnecting account choice. missing are the scopes found missing, if known.
func Explain(choice Choice, err error, missing []string) Advice {
	if err == nil {
		return Advice{}
	}
	if errors.Is(err, ErrCancelled) {
		return Advice{Text: "Sign-in cancelled; nothing was saved."}
	}
	var se *ScopeError
	if errors.As(err, &se) {
		return Advice{Kind: providers.InsufficientScope, Text: MissingScopeMessage(choice.Kind, se.Missing)}
	}
	pe, ok := providers.AsError(err)
	if !ok {
		return Advice{Text: oneLine(err.Error())}
	}
	label := choice.Label
	if label == "" {
		label = pe.Provider
	}
	a := Advice{Kind: pe.Kind}
	// OAuth answers whose code says more than their kind.
	switch pe.Code {
	case "expired_token":
		a.Text = "The sign-in code expired before it was entered. Start the sign-in again and enter the new code before it expires."
		return a
	case "authorization_declined", "access_denied":
		a.Text = "The sign-in was declined. Start it again and accept calsync's request for calendar access; " +
			"if your organisation does not let you, ask your IT admin."
		return a
	}
	switch pe.Kind {
	case providers.AppPasswordRequired:
		a.Text = fmt.Sprintf("%s refused the password. Accounts with two-factor authentication need an %s: %s.",
			shortLabel(choice), appPasswordName(choice), appPasswordPath(choice))
	case providers.AuthExpired:
		if choice.IsCalDAV() {
			if choice.NeedsAppPassword {
				// iCloud and Fastmail answer any refused password with a bare 401; the person
				// chose one of them, which says more than the host name of a proxy or fake.
				a.Kind = providers.AppPasswordRequired
				a.Text = fmt.Sprintf("%s refused the password. Accounts with two-factor authentication need an %s: %s.",
					shortLabel(choice), appPasswordName(choice), appPasswordPath(choice))
			} else {
				a.Text = fmt.Sprintf("%s refused the user name or password. Check both; if the account uses "+
					"two-factor authentication, create an app password in %s and use it instead.",
					shortLabel(choice), appPasswordPath(choice))
			}
		} else {
			a.Text = fmt.Sprintf("%s no longer accepts calsync's sign-in (expired or revoked). Sign in again.", label)
		}
	case providers.InsufficientScope:
		if len(missing) > 0 {
			a.Text = MissingScopeMessage(choice.Kind, missing)
		} else {
			a.Text = MissingScopeMessage(choice.Kind, NeededScopes(choice.Kind))
		}
	case providers.AdminBlocked:
		code := ""
		if pe.Code != "" {
			code = " (" + pe.Code + ")"
		}
		a.Text = fmt.Sprintf("Your organisation's policy blocks calsync%s. Only an administrator can fix this: "+
			"ask IT to grant admin consent for the app or to allow it for your account.", code)
	case providers.ReadOnly:
		a.Text = "The account may only read this calendar: choose a calendar you can edit, or sync " +
			"from the calendar to the CRM only."
	case providers.RateLimited:
		wait := "a minute"
		if pe.RetryAfter > 0 {
			wait = pe.RetryAfter.Round(time.Second).String()
		}
		a.Text = fmt.Sprintf("%s asked calsync to slow down. Try again in %s.", label, wait)
	case providers.Unavailable:
		a.Text = fmt.Sprintf("%s is not answering properly right now%s. Nothing was saved; try again in a few minutes.",
			label, statusSuffix(pe.Status))
	case providers.Network:
		a.Text = "Could not reach the server. Check the address and your internet connection, then try again."
	case providers.NotFound:
		if choice.IsCalDAV() {
			a.Text = "No CalDAV calendars were found at that address. Check the server URL " +
				"(for Nextcloud it is https://YOUR-SERVER/remote.php/dav)."
		} else {
			a.Text = fmt.Sprintf("%s did not find the account's calendars.", label)
		}
	case providers.Invalid:
		a.Text = fmt.Sprintf("%s answered something calsync did not understand%s. Check the address; if it is "+
			"right, this is a calsync bug worth reporting.", label, statusSuffix(pe.Status))
	default:
		a.Text = oneLine(pe.Error())
	}
	if pe.Hint != "" && (pe.Kind == providers.Invalid || pe.Kind == providers.NotFound || a.Text == "") {
		a.Text += " " + oneLine(pe.Hint)
	}
	return a
}

// AccountAdvice is what to do about an account's stored last error, for the kinds whose
// remedy is the person's (a new app password, a fresh sign-in, ticking a permission, an
// admin, another calendar): the advice the add form gives for the same kind. "" for the
// rest (network, rate limits, server trouble), whose stored message says more.
func AccountAdvice(a store.Account) string {
	kind := providers.Kind(a.LastErrorKind)
	switch kind {
	case providers.AppPasswordRequired, providers.AuthExpired, providers.InsufficientScope,
		providers.AdminBlocked, providers.ReadOnly:
	default:
		return ""
	}
	return Explain(ChoiceForAccount(a.Kind, a.ServerURL), &providers.Error{Kind: kind, Provider: a.Kind}, nil).Text
}

// ErrCancelled is returned by a sign-in the person cancelled.
var ErrCancelled = errors.New("sign-in cancelled")

func shortLabel(c Choice) string {
	switch c.ID {
	case "caldav", "":
		return "The server"
	}
	return c.Label
}

func appPasswordName(c Choice) string {
	if c.ID == "icloud" {
		return "app-specific password"
	}
	return "app password"
}

func appPasswordPath(c Choice) string {
	if c.AppPasswordPath != "" {
		return c.AppPasswordPath
	}
	return "the service's security settings"
}

func statusSuffix(status int) string {
	if status == 0 {
		return ""
	}
	return fmt.Sprintf(" (HTTP %d)", status)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
