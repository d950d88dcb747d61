// Package runenv is what one calsync command needs from the outside world: where its data
// lives, its terminal streams, its environment, its clock and its zone. The cli package
// fills it from the process (or a test fills it by hand) and the demo package uses the
// same value, so neither reads os.Getenv, time.Now or time.Local behind the caller's back.
package runenv

import (
	"io"
	"time"

	"github.com/calsync/calsync/store"
)

// Env is what a command needs from the outside world; tests build their own.
type Env struct {
	DataDir string // resolved --data-dir / CALSYNC_DATA_DIR / XDG default
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Now     func() time.Time
	// Local is the machine's time zone: the zone a new demo sandbox plans in and the one
	// dates typed on the command line are read in. Only cli.Main reads time.Local; tests pass
	// a zone, so nothing they check depends on the TZ of the machine running them.
	Local *time.Location
	// Interactive is true when stdin and stdout are terminals (the TUI may start).
	Interactive bool
	// Keyring finds the OS keyring for account secrets (nil: keep them in the database).
	Keyring func() (store.Keyring, string)
	// DemoBuild is set while `demo` builds a sandbox: its secrets stay in its database.
	DemoBuild bool
}

// Zone is the machine's zone as this command sees it (UTC when the caller gave none).
func (e *Env) Zone() *time.Location {
	if e.Local != nil {
		return e.Local
	}
	return time.UTC
}
