package cli

// `calsync activity revert ID`, and the up-front refusal of edits the calendar would
// refuse (issue 14: occurrences of recurring series). Kept apart from activity.go
// so the two hooks there stay one line each.

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

const revertUsage = "calsync activity revert ID [--json]\n" +
	"  puts an activity whose change did not reach its calendar (e.g. an occurrence the calendar refused)\n" +
	"  back to the calendar's version; the change made here is kept in the journal"

// refuseCalendarEdit stops an edit or deletion the activity's calendar would refuse
// (sync.EditRefusal): exit code, or exitOK when the change may go ahead.
func refuseCalendarEdit(ctx context.Context, env *Env, st *store.Store, id, what string) int {
	why, err := sync.EditRefusal(ctx, st.DB, id)
	if err != nil {
		return failf(env, "%v", err)
	}
	if why != "" {
		return failf(env, "activity %s cannot be %s here: %s. Nothing was changed.", shortID(id), what, why)
	}
	return exitOK
}

func runActivityRevert(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("activity revert", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return actFlagErr(env, c, err)
	}
	s, before, code := actOpenNamed(ctx, env, c, pos)
	if code != exitOK {
		return code
	}
	defer s.st.Close()
	eng := sync.New(s.st)
	eng.Open = sync.DefaultOpener(s.st, env.Getenv)
	eng.Now = env.Now
	res, err := eng.Revert(ctx, before.ID)
	if errors.Is(err, sync.ErrNothingToRevert) {
		return failf(env, "activity %s has no change waiting for its calendar; nothing to revert", shortID(before.ID))
	}
	a, gerr := store.GetActivity(ctx, s.st.DB, before.ID)
	if err != nil {
		if res.Links > 0 {
			fmt.Fprintf(env.Stderr, "calsync: activity %s was reset, the calendar's version comes with the next sync: %v\n", shortID(before.ID), err)
			return exitFailure
		}
		return failf(env, "%v", err)
	}
	if gerr != nil {
		return failf(env, "%v", gerr)
	}
	return s.printActivity(ctx, env, a, *asJSON, "Reverted to the calendar's version:")
}
