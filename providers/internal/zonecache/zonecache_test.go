package zonecache

import "testing"

func TestLoadRemembersZonesAndNotFailures(t *testing.T) {
	a, err := Load("Europe/Berlin")
	if err != nil || a.String() != "Europe/Berlin" {
		t.Fatalf("Load(Europe/Berlin) = %v, %v", a, err)
	}
	if b, _ := Load("Europe/Berlin"); b != a {
		t.Fatal("a second Load of the same zone must return the remembered location")
	}
	if _, err := Load("Not/AZone"); err == nil {
		t.Fatal("an unknown zone must be an error")
	}
	if _, ok := zones.Load("Not/AZone"); ok {
		t.Fatal("a failed name must not be remembered")
	}
}
