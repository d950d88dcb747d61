package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/calsync/calsync/doctor"
	"github.com/calsync/calsync/ui/safetext"
)

func init() {
	register(&command{
		Name:    "explain",
		Summary: "say which rule keeps an activity out of (or puts it in) the calendar",
		Usage:   "calsync explain ID | --search TEXT [--json]",
		Run:     runExplain,
	})
}

func runExplain(ctx context.Context, env *Env, args []string) int {
	c := commands["explain"]
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	search := fs.String("search", "", "")
	asJSON := fs.Bool("json", false, "")
	// Accept the id before or after the flags.
	var id string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usagef(env, c, "%v", err)
	}
	if fs.NArg() > 0 {
		if id != "" || fs.NArg() > 1 {
			return usagef(env, c, "give one activity id")
		}
		id = fs.Arg(0)
	}
	if id != "" && *search != "" {
		return usagef(env, c, "give an activity id or --search, not both")
	}
	if id == "" && *search == "" {
		return usagef(env, c, "give an activity id or --search TEXT")
	}
	st, err := openStore(ctx, env)
	if err != nil {
		// A corrupt or newer-schema database needs the person, as for every command.
		return openFailed(env, err)
	}
	defer st.Close()
	t, err := doctor.ResolveTarget(ctx, st, id, *search)
	if err != nil {
		return failf(env, "%v", err)
	}
	x, err := doctor.Explain(ctx, st, t, env.Now())
	if err != nil {
		return failf(env, "%v", err)
	}
	x = doctor.SecretRedactor(ctx, st).Explanation(x)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(x); err != nil {
			return failf(env, "write JSON: %v", err)
		}
		return exitOK
	}
	w := env.Stdout
	fmt.Fprintln(w, safetext.Line(x.Headline))
	for _, v := range x.Verdicts {
		mark := "out"
		if v.In {
			mark = "in "
		}
		fmt.Fprintf(w, "  [%s] %s: %s (rule %s)\n", mark, safetext.Line(v.Account), safetext.Line(v.Summary), v.Rule)
		for _, ev := range v.Evidence {
			line := safetext.Line(ev.Observed)
			if ev.Expected != "" {
				line += "; expected " + safetext.Line(ev.Expected)
			}
			fmt.Fprintf(w, "        %s (%s)\n", line, safetext.Line(ev.Source))
		}
	}
	if len(x.Journal) > 0 {
		fmt.Fprintln(w, "Latest journal entries:")
		for _, j := range x.Journal {
			fmt.Fprintf(w, "  #%d %s %s %s %s\n", j.ID, j.At.Format("2006-01-02 15:04"), j.Op, safetext.Line(j.Reason), safetext.Line(j.Detail))
		}
	}
	return exitOK
}
