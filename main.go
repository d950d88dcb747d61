// Command calsync keeps CRM activities in sync with Google, Microsoft 365 and CalDAV
// calendars, and walks a person from a sync symptom to its cause, a fix and proof it worked.
//
// main only wires: the commands live in package cli, the demo sandbox in package demo.
package main

// The man page is generated from the command tree (`calsync man`): `go generate` writes
// man/calsync.1 for packagers.
//go:generate sh -c "mkdir -p man && go run . man > man/calsync.1"

import (
	"os"

	"github.com/calsync/calsync/cli"
)

func main() {
	os.Exit(cli.Main())
}
