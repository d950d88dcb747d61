package all

import (
	"slices"
	"testing"

	"github.com/calsync/calsync/providers"
)

func TestEveryKindRegistered(t *testing.T) {
	got := providers.RegisteredKinds()
	for _, k := range []string{"caldav", "google", "microsoft"} {
		if !slices.Contains(got, k) {
			t.Errorf("%s not registered: %v", k, got)
		}
	}
}
