package all

import (
	"testing"

	"github.com/calsync/calsync/providers"
)

func TestGoogleRegistered(t *testing.T) {
	for _, k := range providers.RegisteredKinds() {
		if k == "google" {
			return
		}
	}
	t.Fatalf("google not registered: %v", providers.RegisteredKinds())
}
