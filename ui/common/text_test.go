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
