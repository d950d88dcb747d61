package cli

// The exit codes of every calsync command, in one place (the README's "Exit codes" table
// says the same). A script can tell "I called it wrong" (2) from "something needs a
// person" (1) from "try again later" (75), whatever the command.
const (
	// exitOK: the command did what it was asked.
	exitOK = 0
	// exitFailure: a failure the person must act on: an unknown activity, account or
	// calendar, a corrupt or newer-schema database, a provider refusing a sign-in, a sync
	// that stopped on an error, a doctor finding left unfixed.
	exitFailure = 1
	// exitUsage: the command was called wrong: an unknown command or flag, a bad flag
	// value, a missing or empty required value. Nothing was changed.
	exitUsage = 2
	// exitPartial: doctor only: some checks could not run and none failed.
	exitPartial = 3
	// exitTempFail (EX_TEMPFAIL from sysexits.h): temporary, try again later: the network,
	// a rate limit, a server down, another sync of the same account running.
	exitTempFail = 75
)

// openFailed reports that the data directory's store could not be opened (a corrupt
// database, a schema newer than this calsync, no permission) and returns exitFailure:
// the person must act, whichever command found it.
func openFailed(env *Env, err error) int {
	return failf(env, "cannot open the data directory %s: %v", env.DataDir, err)
}
