// Package all registers every calendar provider kind with providers.Open. Import it for
// its side effect (import _ ".../providers/all") wherever accounts are opened.
// Each provider package registers itself in init; add new ones here.
package all

import (
	_ "github.com/calsync/calsync/providers/caldav"
	_ "github.com/calsync/calsync/providers/google"
	_ "github.com/calsync/calsync/providers/microsoft"
)
