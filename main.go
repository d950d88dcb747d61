// Command calsync keeps CRM activities in sync with Google, Microsoft 365 and CalDAV
// calendars, and walks a person from a sync symptom to its cause, a fix and proof it worked.
//
// main only wires: the commands live in package cli, the demo sandbox in package demo.
package main

import (
	"os"

	"github.com/calsync/calsync/cli"
)

func main() {
	os.Exit(cli.Main())
}
