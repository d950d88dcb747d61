package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	_ "github.com/calsync/calsync/providers/all" // providers.Open for every kind
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/safetext"
)

const syncUsage = `calsync sync [--account ID] [--watch] [--json] [--dry-run] [--confirm-mass-delete] [--confirm-time-shift] [--wait DURATION]`

func init() {
	register(&command{
		Name:    "sync",
		Summary: "sync activities with the connected calendars now (or keep syncing with --watch)",
		Usage:   syncUsage,
		Run:     runSync,
	})
}

// syncOptions is what `calsync sync` was asked to do.
type syncOptions struct {
	account     string
	watch, json bool
	run         sync.RunOptions
}

func runSync(ctx context.Context, env *Env, args []string) int {
	c := commands["sync"]
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o syncOptions
	fs.StringVar(&o.account, "account", "", "account id (default: every account with sync switched on)")
	fs.BoolVar(&o.watch, "watch", false, "keep running, syncing each account on its interval")
	fs.BoolVar(&o.json, "json", false, "print the summaries as JSON")
	fs.BoolVar(&o.run.DryRun, "dry-run", false, "say what would happen without changing anything")
	fs.BoolVar(&o.run.ConfirmMassDelete, "confirm-mass-delete", false, "allow deleting activities whose events all vanished from a listing")
	fs.BoolVar(&o.run.ConfirmTimeShift, "confirm-time-shift", false, "apply the moves of many synced events by the same whole number of hours (held back otherwise)")
	fs.DurationVar(&o.run.Wait, "wait", 10*time.Second, "how long to wait for another running sync of the same account")
	if err := fs.Parse(args); err != nil {
		return usagef(env, c, "%v", err)
	}
	if fs.NArg() > 0 {
		return usagef(env, c, "sync takes no arguments, got %q (use --account ID)", fs.Args())
	}
	if o.run.Wait < 0 {
		return usagef(env, c, "--wait %s: give how long to wait, 0 or more (e.g. 30s)", o.run.Wait)
	}
	if o.watch && o.run.DryRun {
		return usagef(env, c, "--watch and --dry-run do not go together")
	}
	st, err := openStore(ctx, env)
	if err != nil {
		return failf(env, "cannot open the data directory %s: %v", env.DataDir, err)
	}
	defer st.Close()
	if o.account != "" {
		id, err := resolveAccount(ctx, st, o.account)
		if err != nil {
			// An unknown account is 1, as in settings, calendars and account remove.
			return failf(env, "%v", err)
		}
		o.account = id
	}
	eng := sync.New(st)
	eng.Open = sync.DefaultOpener(st, env.Getenv)
	eng.Now = env.Now
	if !o.watch {
		sums, err := syncOnce(ctx, eng, o)
		return reportSync(env, o, sums, err)
	}
	return watchSync(ctx, env, st, eng, o)
}

// resolveAccount accepts an account id or a unique prefix of one.
func resolveAccount(ctx context.Context, st *store.Store, idOrPrefix string) (string, error) {
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, a := range accts {
		if a.ID == idOrPrefix {
			return a.ID, nil
		}
		if strings.HasPrefix(a.ID, idOrPrefix) {
			ids = append(ids, a.ID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", fmt.Errorf("no account %q (see `calsync account list`)", idOrPrefix)
	}
	return "", fmt.Errorf("%q matches %d accounts; give more of the id", idOrPrefix, len(ids))
}

func syncOnce(ctx context.Context, eng *sync.Engine, o syncOptions) ([]sync.Summary, error) {
	if o.account != "" {
		s, err := eng.Run(ctx, o.account, o.run)
		return []sync.Summary{s}, err
	}
	return eng.RunAll(ctx, o.run)
}

// syncExit is the exit code for a set of summaries: 0 when all went through, 75 when
// every failure is temporary (network, rate limit, another sync running), else 1.
func syncExit(sums []sync.Summary, err error) int {
	temp, hard := false, false
	for _, s := range sums {
		switch {
		case s.Failed && s.Temporary:
			temp = true
		case s.Failed, s.Errors > 0, s.MassDeleteGuard > 0, s.TimeShiftGuard > 0:
			hard = true
		}
	}
	if err != nil && len(sums) == 0 {
		hard = true
	}
	switch {
	case hard:
		return exitFailure
	case temp:
		return exitTempFail
	}
	return exitOK
}

func reportSync(env *Env, o syncOptions, sums []sync.Summary, err error) int {
	if o.json {
		if sums == nil {
			sums = []sync.Summary{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(sums)
	} else {
		if len(sums) == 0 && err == nil {
			fmt.Fprintln(env.Stdout, "Nothing to sync: no account has sync switched on (calsync settings set --account ID --enable).")
		}
		for _, s := range sums {
			printSummary(env.Stdout, s)
		}
	}
	if err != nil && len(sums) == 0 {
		fmt.Fprintf(env.Stderr, "calsync: %s\n", safetext.Line(err.Error()))
	}
	return syncExit(sums, err)
}

func printSummary(w io.Writer, s sync.Summary) {
	name := safetext.Line(s.AccountName)
	if name == "" {
		name = s.AccountID
	}
	prefix := ""
	if s.DryRun {
		prefix = "(dry run) "
	}
	fmt.Fprintf(w, "%s%s: %s\n", prefix, name, s.Line())
	if s.DryRun && !s.Failed {
		fmt.Fprintf(w, "  %s\n", s.Preview())
	}
	if s.MassDeleteGuard > 0 {
		fmt.Fprintf(w, "  nothing deleted: the calendar listing came back empty while %d linked events should be there.\n"+
			"  If they really were deleted, run: calsync sync --account %s --confirm-mass-delete\n", s.MassDeleteGuard, s.AccountID)
	}
	if s.TimeShiftGuard > 0 {
		fmt.Fprintf(w, "  nothing moved: the calendar moved %d synced events %s and changed nothing else about them,\n"+
			"  which is what a wrong time-zone setting does. Find out which time is right: calsync doctor --symptom wrong-time\n"+
			"  If the calendar's new times are right, run: calsync sync --account %s --confirm-time-shift\n",
			s.TimeShiftGuard, sync.ShiftText(s.TimeShiftHours), s.AccountID)
	}
	if s.Cancelled {
		fmt.Fprintf(w, "  stopped before it finished (interrupted); nothing is half-written and the next sync carries on\n")
	} else if s.Failed {
		what := "failed"
		if s.Temporary {
			what = "stopped (temporary; it will be retried)"
		}
		fmt.Fprintf(w, "  %s: %s\n", what, safetext.Line(s.Error))
		if s.NeedsReauth {
			fmt.Fprintf(w, "  sign in again: calsync account reconnect %s\n", s.AccountID)
		}
	}
	if s.Errors > 0 {
		fmt.Fprintf(w, "  see why: calsync doctor --symptom all, or the Log tab\n")
	}
}

// watchSync keeps syncing each enabled account on its interval until interrupted.
func watchSync(ctx context.Context, env *Env, st *store.Store, eng *sync.Engine, o syncOptions) int {
	next := map[string]time.Time{}
	fmt.Fprintln(env.Stderr, "calsync: syncing on each account's interval; press Ctrl-C to stop")
	for {
		ids, err := dueAccounts(ctx, st, o.account)
		if err != nil {
			return failf(env, "%v", err)
		}
		wake := env.Now().Add(time.Minute)
		for _, a := range ids {
			if t, ok := next[a.id]; ok && env.Now().Before(t) {
				if t.Before(wake) {
					wake = t
				}
				continue
			}
			s, _ := eng.Run(ctx, a.id, o.run)
			if ctx.Err() != nil {
				return exitOK
			}
			if o.json {
				json.NewEncoder(env.Stdout).Encode(s)
			} else {
				fmt.Fprintf(env.Stdout, "%s ", env.Now().Format("15:04:05"))
				printSummary(env.Stdout, s)
			}
			n := env.Now().Add(a.interval)
			if s.Temporary {
				n = env.Now().Add(time.Minute) // try again soon
			}
			next[a.id] = n
			if n.Before(wake) {
				wake = n
			}
		}
		d := wake.Sub(env.Now())
		if d < time.Second {
			d = time.Second
		}
		select {
		case <-ctx.Done():
			return exitOK
		case <-time.After(d):
		}
	}
}

type dueAccount struct {
	id       string
	interval time.Duration
}

func dueAccounts(ctx context.Context, st *store.Store, only string) ([]dueAccount, error) {
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	var out []dueAccount
	for _, a := range accts {
		if only != "" && a.ID != only {
			continue
		}
		set, err := store.GetSyncSettings(ctx, st.DB, a.ID)
		if err != nil {
			return nil, err
		}
		if !set.Enabled || a.State != store.AccountConnected {
			continue
		}
		iv := set.Interval
		if iv < time.Minute {
			iv = time.Minute
		}
		out = append(out, dueAccount{id: a.ID, interval: iv})
	}
	return out, nil
}
