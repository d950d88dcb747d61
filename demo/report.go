package demo

import (
	"context"
	"fmt"
	"github.com/calsync/calsync/runenv"
	"strings"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/safetext"
)

// PrintAccounts lists the sandbox's accounts with their state, as `account list` does.
func PrintAccounts(ctx context.Context, env *runenv.Env, st *store.Store) {
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil || len(accts) == 0 {
		return
	}
	fmt.Fprintln(env.Stdout, "Calendar accounts (on fake providers at 127.0.0.1):")
	for _, a := range accts {
		state := a.State
		if a.LastErrorKind != "" {
			state += " (" + a.LastErrorKind + ")"
		}
		fmt.Fprintf(env.Stdout, "  %-28s %-10s %-22s %s\n", safetext.Line(a.Name), a.Kind, safetext.Line(a.Login), state)
	}
}

// PrintScenario says what the first sync did, what is broken, and what to try.
func PrintScenario(env *runenv.Env, b *Sandbox, sc *Scenario, dir string) {
	if len(b.Summaries) > 0 {
		fmt.Fprintln(env.Stdout, "Syncs run while building it:")
		for _, s := range b.Summaries {
			line := s.Line()
			if s.Failed {
				line = "stopped: " + s.Error
			}
			fmt.Fprintf(env.Stdout, "  %s: %s\n", safetext.Line(s.AccountName), safetext.Line(line))
		}
	}
	fmt.Fprintf(env.Stdout, "\nScenario %s: %s\n", sc.Name, sc.Line)
	subject := ""
	if b.Target != nil {
		subject = b.Target.Subject
		fmt.Fprintf(env.Stdout, "The activity it is about: %q (id %s)\n", safetext.Line(subject), b.Target.ID)
	}
	if b.secretNote != "" {
		fmt.Fprintln(env.Stdout, b.secretNote)
	}
	if len(sc.Try) > 0 {
		fmt.Fprintln(env.Stdout, "See it and fix it:")
		for _, t := range sc.Try {
			line := fmt.Sprintf(t, dir, subject)
			fmt.Fprintf(env.Stdout, "  %s\n", strings.TrimSpace(line))
		}
		fmt.Fprintln(env.Stdout, "  or open the app and use the Troubleshoot tab (4)")
	}
}
