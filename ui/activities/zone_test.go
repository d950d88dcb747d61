package activities

import (
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// Drawing an all-day activity (its row, its detail pane) reads its zone from disk once,
// not on every redraw: View must not do file I/O each frame.
func TestAllDayZoneIsReadOnceNotPerRedraw(t *testing.T) {
	loads := 0
	orig := loadZone
	loadZone = func(name string) (*time.Location, error) { loads++; return orig(name) }
	t.Cleanup(func() { loadZone = orig })
	zones.Delete("Pacific/Auckland")

	a := store.Activity{Start: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC), AllDay: true, TimeZone: "Pacific/Auckland"}
	now := time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		if got := formatDue(a, time.UTC, now); got != "Mon 2 Mar" {
			t.Fatalf("formatDue = %q, want the Auckland date Mon 2 Mar", got)
		}
		if got := formatWhen(a, time.UTC, "UTC"); got != "Mon 2 Mar 2026 (all day)" {
			t.Fatalf("formatWhen = %q", got)
		}
	}
	if loads != 1 {
		t.Fatalf("the zone was loaded %d times for 10 draws, want once", loads)
	}
}
