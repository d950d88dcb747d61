package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/calsync/calsync/doctor"
	_ "github.com/calsync/calsync/providers/all"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/safetext"
)

func init() {
	register(&command{
		Name:    "doctor",
		Summary: "find why sync misbehaves, show the evidence, and fix it",
		Usage: "calsync doctor [--symptom not-showing|one-way|duplicates|cant-connect|permissions|wrong-time|all]\n" +
			"               [--activity ID | --search TEXT] [--json] [--fix [--yes]] [--offline]\n" +
			"       calsync doctor --undo JOURNAL-ID     (undo a fix; the id is printed when it is applied)\n" +
			"--offline skips every check that contacts a provider, including the round trip (which adds a\n" +
			"tagged test event to the calendar, reads it back and deletes it). Diagnosing never syncs and\n" +
			"changes no activity; what waits for a sync is offered as the fix sync-verify.\n" +
			"exit: 0 nothing wrong, 1 problem found (or remains after --fix), 2 usage/config error,\n" +
			"      3 some checks could not run and none failed, 75 temporary failure (network, rate limit)",
		Run: runDoctor,
	})
}

// newDoctorEnv builds the doctor's environment over an open store: providers opened the
// way the engine opens them, fixes synced through the real engine.
func newDoctorEnv(st *store.Store, env *Env) *doctor.Env {
	return doctor.NewEnv(st, env.Getenv, env.Now)
}

type doctorOutput struct {
	doctor.Report
	Applied []appliedFix   `json:"applied,omitempty"`
	After   *doctor.Report `json:"after_fixes,omitempty"`
}

type appliedFix struct {
	Check     string `json:"check"`
	AccountID string `json:"account_id,omitempty"`
	doctor.Applied
	Error   string `json:"error,omitempty"`
	Skipped string `json:"skipped,omitempty"`
}

func runDoctor(ctx context.Context, env *Env, args []string) int {
	c := commands["doctor"]
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	symptom := fs.String("symptom", "all", "")
	activity := fs.String("activity", "", "")
	search := fs.String("search", "", "")
	asJSON := fs.Bool("json", false, "")
	fix := fs.Bool("fix", false, "")
	yes := fs.Bool("yes", false, "")
	offline := fs.Bool("offline", false, "")
	undo := fs.Int64("undo", 0, "")
	if err := fs.Parse(args); err != nil {
		return usagef(env, c, "%v", err)
	}
	if flagSet(fs, "undo") {
		if fs.NFlag() > 1 || fs.NArg() > 0 {
			return usagef(env, c, "--undo takes only the journal id of the fix")
		}
		return runDoctorUndo(ctx, env, *undo)
	}
	if fs.NArg() > 0 {
		return usagef(env, c, "unexpected argument %q", fs.Arg(0))
	}
	sym, err := doctor.ParseSymptom(*symptom)
	if err != nil {
		return usagef(env, c, "%v", err)
	}
	if *activity != "" && *search != "" {
		return usagef(env, c, "give --activity or --search, not both")
	}
	if *yes && !*fix {
		return usagef(env, c, "--yes only goes with --fix")
	}
	if *fix && !*yes && !env.Interactive {
		return usagef(env, c, "--fix asks before each change, but standard input is not a terminal; add --yes to apply every fix without asking")
	}
	st, err := openStore(ctx, env)
	if err != nil {
		// A corrupt or newer-schema database needs the person, as for every command.
		return openFailed(env, err)
	}
	defer st.Close()
	e := newDoctorEnv(st, env)
	e.Offline = e.Offline || *offline
	if *activity != "" || *search != "" {
		t, err := doctor.ResolveTarget(ctx, st, *activity, *search)
		if err != nil {
			// An unknown activity is a failure the person must act on (as for explain
			// and activity show), not a usage error.
			return failf(env, "%v", err)
		}
		e.Target = t
		if sym == doctor.All && *symptom == "all" && !flagSet(fs, "symptom") {
			sym = doctor.NotShowing
		}
	}
	rep, err := doctor.Run(ctx, e, sym)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calsync: %v\n", err)
		return exitUsage
	}
	scrub := doctor.SecretRedactor(ctx, st)
	rep = scrub.Report(rep)
	out := doctorOutput{Report: rep}
	if !*asJSON {
		printReport(env.Stdout, rep)
	}
	if *fix {
		if env.Interactive && !*yes {
			// A person is at the terminal: a fresh sign-in runs the same flow as
			// `calsync account reconnect` (browser or password prompt).
			e.Reconnect = func(ctx context.Context, id string) error {
				if code := runAccountReconnect(ctx, env, commands["account"], []string{id}); code != exitOK {
					return fmt.Errorf("the sign-in did not complete (exit %d)", code)
				}
				return nil
			}
		}
		out.Applied = applyFixes(ctx, env, e, rep, *yes, *asJSON)
		after, err := doctor.Run(ctx, e, sym)
		if err != nil {
			fmt.Fprintf(env.Stderr, "calsync: %v\n", err)
			return exitUsage
		}
		// Scrubbed by a redactor that knows the secrets the fixes saved (an app password).
		after = doctor.SecretRedactor(ctx, st).Report(after)
		out.After = &after
		if !*asJSON {
			fmt.Fprintln(env.Stdout)
			fmt.Fprintln(env.Stdout, "After the fixes:")
			printReport(env.Stdout, after)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return failf(env, "write JSON: %v", err)
		}
	}
	if out.After != nil {
		return out.After.Exit
	}
	return rep.Exit
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// applyFixes applies the fixes of failing findings: all of them with --yes, else after
// asking on the terminal, where the fixes of warnings are offered too (syncing what waits,
// removing events left behind): a warning may be intended, so nothing is done about it
// unattended. Fixes that need typed input, a browser or a decision are left to the person.
func applyFixes(ctx context.Context, env *Env, e *doctor.Env, rep doctor.Report, yes, quiet bool) []appliedFix {
	in := bufio.NewReader(env.Stdin)
	say := func(format string, args ...any) {
		if !quiet {
			fmt.Fprintf(env.Stdout, format, args...)
		}
	}
	var out []appliedFix
	done := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Status != doctor.Fail && (yes || f.Status != doctor.Warn) {
			continue
		}
		for _, fx := range f.Fixes {
			key := fx.ID + "@" + fx.AccountID
			if done[key] {
				continue
			}
			done[key] = true
			rec := appliedFix{Check: f.CheckID, AccountID: f.AccountID}
			rec.FixID = fx.ID
			title := safetext.Line(fx.Title)
			if fx.Input != nil && yes {
				rec.Skipped = "needs " + strings.ToLower(fx.Input.Label) + " (run without --yes on a terminal, or use the Troubleshoot tab)"
				say("skipped %s: %s\n", title, rec.Skipped)
				out = append(out, rec)
				continue
			}
			if fx.Decision && yes {
				rec.Skipped = "only you can decide this (run `calsync doctor` without --yes on a terminal, or use the Troubleshoot tab)"
				say("skipped %s: %s\n", title, rec.Skipped)
				out = append(out, rec)
				continue
			}
			if fx.Interactive && (yes || e.Reconnect == nil) {
				rec.Skipped = "needs a fresh sign-in: run `calsync account reconnect " + fx.AccountID + "`"
				say("skipped %s: %s\n", title, rec.Skipped)
				out = append(out, rec)
				continue
			}
			input := ""
			if !yes {
				impact := ""
				if len(fx.Impact) > 0 {
					impact = " (" + fx.Impact.String() + ")"
				}
				fmt.Fprintf(env.Stdout, "Apply: %s%s? [y/N] ", title, impact)
				ans, _ := in.ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
					rec.Skipped = "declined"
					out = append(out, rec)
					continue
				}
				if fx.Input != nil {
					fmt.Fprintf(env.Stdout, "%s: ", fx.Input.Label)
					if f, ok := env.Stdin.(*os.File); ok && fx.Input.Secret && term.IsTerminal(f.Fd()) {
						// Not echoed: an app password must not stay on the screen.
						b, _ := term.ReadPassword(f.Fd())
						fmt.Fprintln(env.Stdout)
						input = strings.TrimSpace(string(b))
					} else {
						line, _ := in.ReadString('\n')
						input = strings.TrimSpace(line)
					}
				}
			}
			a, err := fx.Apply(ctx, e, input)
			// Fix messages and errors reach the terminal and --json like findings do, so
			// they are scrubbed the same way; the scrubber is built after the fix so it
			// knows a password the fix saved, and the typed input is a secret either way.
			scrub := doctor.SecretRedactor(ctx, e.Store)
			scrub.AddSecret([]byte(input))
			a.Message = scrub.Text(a.Message)
			rec.Applied = a
			rec.FixID = fx.ID
			if err != nil {
				rec.Error = scrub.Text(err.Error())
				say("could not apply %s: %s\n", title, safetext.Line(rec.Error))
			} else {
				if fx.Undoable {
					say("applied %s: %s (undo: calsync doctor --undo %d)\n", title, safetext.Line(a.Message), a.JournalID)
				} else {
					say("applied %s: %s\n", title, safetext.Line(a.Message))
				}
			}
			out = append(out, rec)
		}
	}
	if len(out) == 0 {
		say("no fix to apply\n")
	}
	return out
}

var statusLabel = map[doctor.Status]string{
	doctor.Pass: "PASS", doctor.Warn: "WARN", doctor.Fail: "FAIL", doctor.Skip: "SKIP", doctor.Unverified: "UNCHECKED",
}

// printReport writes the human report. Every text from the store or a provider goes
// through safetext first.
func printReport(w io.Writer, r doctor.Report) {
	fmt.Fprintf(w, "calsync doctor: %s\n", doctor.SymptomTitle(r.Symptom))
	if r.Target != nil {
		fmt.Fprintf(w, "about activity %s %q\n", r.Target.ID, safetext.Line(r.Target.Subject))
	}
	for _, f := range r.Findings {
		acct := ""
		if f.AccountID != "" {
			acct = " [" + safetext.Line(f.AccountID) + "]"
		}
		fmt.Fprintf(w, "%-9s %s%s\n          %s\n", statusLabel[f.Status], f.Title, acct, safetext.Line(f.Summary))
		if f.Note != "" {
			fmt.Fprintf(w, "          note: %s\n", safetext.Line(f.Note))
		}
		if f.Status == doctor.Pass || f.Status == doctor.Skip {
			if f.Ask != "" {
				fmt.Fprintf(w, "          ? %s\n", safetext.Line(f.Ask))
			}
			continue
		}
		for _, ev := range f.Evidence {
			line := "observed: " + safetext.Line(ev.Observed)
			if ev.Expected != "" {
				line += "; expected: " + safetext.Line(ev.Expected)
			}
			fmt.Fprintf(w, "          - %s (%s)\n", line, safetext.Line(ev.Source))
		}
		if f.Remediation != "" {
			fmt.Fprintf(w, "          what to do: %s\n", safetext.Line(f.Remediation))
		}
		for _, fx := range f.Fixes {
			impact := ""
			if len(fx.Impact) > 0 {
				impact = " [" + fx.Impact.String() + "]"
			}
			fmt.Fprintf(w, "          fix %s: %s%s\n", fx.ID, safetext.Line(fx.Title), impact)
			// Every row the fix would change, before anyone is asked to apply it.
			for _, row := range fx.Rows {
				fmt.Fprintf(w, "            - %s\n", safetext.Line(row.Text))
			}
		}
		if f.AdminNote != "" {
			fmt.Fprintf(w, "          note for your IT admin:\n")
			for _, l := range strings.Split(strings.TrimRight(f.AdminNote, "\n"), "\n") {
				fmt.Fprintf(w, "            | %s\n", safetext.Clean(l))
			}
		}
		if f.Ask != "" {
			fmt.Fprintf(w, "          ? %s\n", safetext.Line(f.Ask))
		}
	}
	c := r.Counts
	fmt.Fprintf(w, "%d pass, %d warn, %d fail, %d skipped, %d could not be checked (exit %d)\n", c.Pass, c.Warn, c.Fail, c.Skip, c.Unverified, r.Exit)
	if c.Fail > 0 {
		hasFix := false
		for _, f := range r.Findings {
			if f.Status == doctor.Fail && len(f.Fixes) > 0 {
				hasFix = true
			}
		}
		if hasFix {
			fmt.Fprintln(w, "Run `calsync doctor --fix` to apply the fixes; each applied fix prints how to undo it (`calsync doctor --undo ID`).")
		}
	}
}

func runDoctorUndo(ctx context.Context, env *Env, id int64) int {
	if id <= 0 {
		return usagef(env, commands["doctor"], "--undo needs the journal id of a fix (a positive number)")
	}
	st, err := openStore(ctx, env)
	if err != nil {
		// A corrupt or newer-schema database needs the person, as for every command.
		return openFailed(env, err)
	}
	defer st.Close()
	msg, err := doctor.Undo(ctx, newDoctorEnv(st, env), id)
	if err != nil {
		return failf(env, "%v", err)
	}
	fmt.Fprintln(env.Stdout, safetext.Line(msg))
	return exitOK
}
