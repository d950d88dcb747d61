package winzones

import (
	"testing"
	"time"
)

// The zones the issue names, and a few renamed ones, map to the Windows zone Outlook shows.
func TestWindowsNamesForIANA(t *testing.T) {
	for iana, want := range map[string]string{
		"Europe/Amsterdam":    "W. Europe Standard Time",
		"Europe/Madrid":       "Romance Standard Time",
		"Europe/Rome":         "W. Europe Standard Time",
		"Europe/Vienna":       "W. Europe Standard Time",
		"Europe/Zurich":       "W. Europe Standard Time",
		"America/Toronto":     "Eastern Standard Time",
		"Australia/Melbourne": "AUS Eastern Standard Time",
		"Europe/London":       "GMT Standard Time",
		"Asia/Kolkata":        "India Standard Time", // tzdata's current name for CLDR's Asia/Calcutta
		"Europe/Kyiv":         "FLE Standard Time",
		"europe/amsterdam":    "W. Europe Standard Time",
		"UTC":                 "UTC",
	} {
		got, ok := Windows(iana)
		if !ok || got != want {
			t.Errorf("Windows(%q) = %q, %v; want %q", iana, got, ok, want)
		}
	}
	if got, ok := Windows("Mars/Olympus_Mons"); ok {
		t.Errorf("Windows(unknown) = %q, want not found", got)
	}
}

func TestIANAForWindows(t *testing.T) {
	for w, want := range map[string]string{
		"W. Europe Standard Time":   "Europe/Berlin",
		"w. europe standard time":   "Europe/Berlin",
		"Romance Standard Time":     "Europe/Paris",
		"Pacific Standard Time":     "America/Los_Angeles",
		"AUS Eastern Standard Time": "Australia/Sydney",
	} {
		got, ok := IANA(w)
		if !ok || got != want {
			t.Errorf("IANA(%q) = %q, %v; want %q", w, got, ok, want)
		}
	}
	if _, ok := IANA("Europe/Berlin"); ok {
		t.Error("an IANA name is not a Windows name")
	}
}

// Every zone the table names must load, so reading a Windows zone never fails on a
// machine with tzdata (the table is generated, this guards its use).
func TestEveryTargetLoads(t *testing.T) {
	for w, z := range windowsToIANA {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("%s -> %s: %v", w, z, err)
		}
	}
	if !IsPrimaryIANA("Europe/Berlin") || IsPrimaryIANA("Europe/Amsterdam") {
		t.Error("IsPrimaryIANA: Berlin is W. Europe's territory-001 zone, Amsterdam is not")
	}
}
