package common

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Wrapped guides keep addresses and hyphenated names whole: "/.well-" + "known/caldav"
// on two lines cannot be copied.
func TestWrapBreaksAtSpacesNotHyphens(t *testing.T) {
	s := "Give the server's address; calsync finds the calendars through /.well-known/caldav. Ask Jean-Luc."
	got := Wrap(s, 72)
	if !strings.Contains(got, "/.well-known/caldav.") {
		t.Fatalf("address split:\n%s", got)
	}
	for _, l := range strings.Split(got, "\n") {
		if ansi.StringWidth(l) > 72 {
			t.Fatalf("line over 72 cells: %q", l)
		}
	}
	if strings.Join(strings.Fields(got), " ") != s {
		t.Fatalf("text changed:\n%s", got)
	}
	// A word longer than the width is still cut, so nothing runs past the edge (ansi.Wrap
	// alone leaves this address two cells over).
	url := "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"
	for _, l := range strings.Split(Wrap(url, 78), "\n") {
		if ansi.StringWidth(l) > 78 {
			t.Fatalf("address line over 78 cells: %q", l)
		}
	}
	long := strings.Repeat("a-", 30)
	for _, l := range strings.Split(Wrap(long, 20), "\n") {
		if ansi.StringWidth(l) > 20 {
			t.Fatalf("long word not cut: %q", l)
		}
	}
}

// An address in a note is never cut: it gets its own line, indentation dropped if that
// makes it fit, and the words around it still wrap.
func TestWrapKeepURLsNeverCutsAnAddress(t *testing.T) {
	url := "https://login.microsoftonline.com/organizations/adminconsent?client_id=0f0e5a1c-1111-2222-3333-444455556666"
	s := "Hello,\n\nCould you grant admin consent for this app, or open\n         " + url + "\nThank you!"
	got := WrapKeepURLs(s, 78)
	found := false
	for _, l := range strings.Split(got, "\n") {
		if l == url {
			found = true
		} else if strings.Contains(l, "https://") {
			t.Fatalf("address cut or joined: %q", l)
		} else if ansi.StringWidth(l) > 78 {
			t.Fatalf("prose line over 78 cells: %q", l)
		}
	}
	if !found {
		t.Fatalf("address not on a line of its own:\n%s", got)
	}
	short := WrapKeepURLs("  set it to Trusted (https://admin.google.com/ac/owl/list?tab=configuredApps)", 60)
	if !strings.Contains(short, "\n  (https://admin.google.com/ac/owl/list?tab=configuredApps)") {
		t.Fatalf("short address not kept whole and indented:\n%s", short)
	}
}
