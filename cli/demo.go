package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/calsync/calsync/demo"
	"os"
	"strconv"
	"strings"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/store/datadir"
)

const demoUsage = `calsync demo [--data-dir DIR] [--scenario NAME] [--list] [--no-tui] [--seed N]
  Makes a sandbox with 3 people, about 300 activities and three calendar accounts
  (Google, Microsoft 365, CalDAV) on fake providers running inside calsync on 127.0.0.1,
  syncs it, and opens the app on it. --scenario builds one of the broken setups calsync
  exists to fix (--list names them). Without --data-dir the sandbox is a new temporary
  directory; with it, the sandbox persists there and every other command works on it
  (calsync --data-dir DIR sync | doctor | explain | activity list ...).`

// demoActivityCount is how many activities a sandbox gets.
const demoActivityCount = 300

func init() {
	register(&command{
		Name:    "demo",
		Summary: "try calsync in a sandbox with a demo team and 300 activities",
		Usage:   demoUsage,
		Run:     runDemo,
	})
}

func runDemo(ctx context.Context, env *Env, args []string) int {
	c := commands["demo"]
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	noTUI := fs.Bool("no-tui", false, "only make the sandbox and print how to use it")
	seed := fs.Int64("seed", demo.SeedDefault, "seed of the generated activities")
	scenarioName := fs.String("scenario", "healthy", "the setup to build (see --list)")
	list := fs.Bool("list", false, "name the scenarios and exit")
	pos, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(env.Stdout, "usage: %s\n", demoUsage)
			return exitOK
		}
		return usagef(env, c, "%v", err)
	}
	if len(pos) > 0 {
		return usagef(env, c, "unexpected argument %q", pos[0])
	}
	if *list {
		for _, sc := range demo.Scenarios {
			fmt.Fprintf(env.Stdout, "%-24s %s\n", sc.Name, sc.Line)
		}
		return exitOK
	}
	sc, err := demo.ScenarioByName(*scenarioName)
	if err != nil {
		return usagef(env, c, "%v", err)
	}

	// Only an explicit --data-dir is used as the sandbox: the default data directory (or
	// $CALSYNC_DATA_DIR) may hold the person's real data.
	dir := env.DataDir
	if def, err := resolveDataDir("", env.Getenv); err != nil || def == dir {
		tmp, err := os.MkdirTemp("", "calsync-demo-")
		if err != nil {
			return failf(env, "cannot make a sandbox directory: %v", err)
		}
		dir = tmp
	}
	env.DataDir = dir
	env.DemoBuild = true // its fake credentials stay in the sandbox, not the OS keyring
	// A sandbox goes only where nothing else lives: a directory holding other files is
	// someone's, and is refused before anything (a database) is written into it.
	if found, err := datadir.Inspect(dir); err != nil {
		return failf(env, "cannot use %s for a sandbox: %v", dir, err)
	} else if len(found.Foreign) > 0 {
		return failf(env, "%s is not empty (%s) and is not a demo sandbox; give --data-dir an empty or new directory", dir, strings.Join(found.Foreign[:min(3, len(found.Foreign))], ", "))
	}
	st, err := openStore(ctx, env)
	if err != nil {
		return failf(env, "cannot open the sandbox %s: %v", dir, err)
	}
	defer st.Close()

	now := env.Now()
	loc, err := store.UserLocation(ctx, st.DB)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calsync: %v\n", err)
	}
	prior, isDemo, err := store.GetMeta(ctx, st.DB, demo.MetaSeed)
	if err != nil {
		return failf(env, "cannot read the sandbox %s: %v", dir, err)
	}
	var users []store.User
	var sandbox *demo.Sandbox
	count := 0
	if isDemo {
		// Reuse it: a sandbox keeps what the person did in it.
		page, err := store.CountActivities(ctx, st.DB, store.ListFilter{Owner: store.OwnerAll, Status: store.StatusAll}, loc, now)
		if err != nil {
			return failf(env, "cannot read the sandbox %s: %v", dir, err)
		}
		count = page.Total
		if users, err = store.ListUsers(ctx, st.DB); err != nil {
			return failf(env, "cannot read the sandbox %s: %v", dir, err)
		}
		if built, _, _ := store.GetMeta(ctx, st.DB, demo.MetaScenario); built != "" && built != sc.Name && flagSet(fs, "scenario") {
			return failf(env, "%s holds the %q scenario; give --data-dir a new directory for %q", dir, built, sc.Name)
		}
		fmt.Fprintf(env.Stdout, "Reusing the demo sandbox in %s (seed %s): %d people, %d activities.\n", dir, prior, len(users), count)
		if built, _, _ := store.GetMeta(ctx, st.DB, demo.MetaScenario); built != "" {
			if bsc, err := demo.ScenarioByName(built); err == nil {
				sc, sandbox = bsc, &demo.Sandbox{}
				if id, ok, _ := store.GetMeta(ctx, st.DB, demo.MetaTarget); ok {
					if a, err := store.GetActivity(ctx, st.DB, id); err == nil {
						sandbox.Target = &a
					}
				}
			}
		}
	} else {
		existing, err := store.ListUsers(ctx, st.DB)
		if err != nil {
			return failf(env, "cannot read %s: %v", dir, err)
		}
		page, err := store.CountActivities(ctx, st.DB, store.ListFilter{Owner: store.OwnerAll, Status: store.StatusAll}, loc, now)
		if err != nil {
			return failf(env, "cannot read %s: %v", dir, err)
		}
		// A fresh data directory has only me (made on open); anything more is someone's data.
		if len(existing) > 1 || page.Total > 0 {
			return failf(env, "%s already holds calsync data that is not a demo sandbox; give --data-dir an empty or new directory", dir)
		}
		// When the app opens, it runs the first sync itself in the background (progress in
		// the status bar), so the first screen shows at once; headless, it runs here.
		b, err := demo.Build(ctx, env, st, sc, *seed, demoActivityCount, *noTUI || !env.Interactive)
		if err != nil {
			return failf(env, "cannot build the sandbox %s: %v", dir, err)
		}
		sandbox = b
		users = b.Users
		page, err = store.CountActivities(ctx, st.DB, store.ListFilter{Owner: store.OwnerAll, Status: store.StatusAll}, b.Loc, now)
		if err != nil {
			return failf(env, "cannot read the sandbox %s: %v", dir, err)
		}
		count = page.Total
		fmt.Fprintf(env.Stdout, "Made a demo sandbox in %s: %d people, %d activities (scenario %s).\n", dir, len(users), count, sc.Name)
	}
	for _, u := range users {
		me := ""
		if u.IsMe {
			me = " (me)"
		}
		fmt.Fprintf(env.Stdout, "  %s%s  id %s\n", u.Name, me, u.ID)
	}
	q := strconv.Quote(dir)
	if q == `"`+dir+`"` {
		q = dir
	}
	demo.PrintAccounts(ctx, env, st)
	if sandbox != nil {
		demo.PrintScenario(env, sandbox, sc, q)
	}
	fmt.Fprintf(env.Stdout, `
Try it (every command works on the sandbox):
  calsync --data-dir %[1]s                                        the terminal app
  calsync --data-dir %[1]s activity list                          my open activities
  calsync --data-dir %[1]s activity list --owner all --period this-week
  calsync --data-dir %[1]s activity list --period overdue
  calsync --data-dir %[1]s activity list --status all --search müller
  calsync --data-dir %[1]s activity add --subject "Call Zoë" --type call --start "tomorrow 9:30"
  calsync --data-dir %[1]s account list                           the three demo calendar accounts
  calsync --data-dir %[1]s sync                                   sync them now
  calsync --data-dir %[1]s doctor                                 check everything
calsync demo --list names broken setups to try: calsync demo --scenario NAME --data-dir NEW-DIR
(from the source tree, "go run . --data-dir %[1]s ..." does the same)
When done: rm -r %[1]s
`, q)

	if *noTUI || !env.Interactive {
		if sandbox != nil && !env.Interactive && !*noTUI {
			fmt.Fprintln(env.Stdout, "(no terminal: the app did not open; the sandbox's providers stop when calsync exits and restart with the next command)")
		}
		return exitOK
	}
	return openApp(ctx, env, st)
}
