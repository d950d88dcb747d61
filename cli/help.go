package cli

import (
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"github.com/calsync/calsync/store"
)

// calsync's help, --version, shell completions and man page come from a cobra command
// tree (github.com/spf13/cobra: the library gh, kubectl, soft-serve and crush use, so
// `calsync help sync`, `calsync sync -h` and `calsync completion zsh` behave as people
// expect from those tools). The tree is built from the command table (register) and
// each command's usage text; the commands still parse their own flags, which is what
// keeps flags among positional arguments (`activity show ID --json`) working as before.

// subcommandSummaries are the subcommands of the commands that dispatch on one.
var subcommandSummaries = map[string][][2]string{
	"account": {
		{"add", "connect a Google, Microsoft 365 or CalDAV calendar account"},
		{"list", "list the connected accounts and their state"},
		{"remove", "disconnect an account and forget its secrets"},
		{"reconnect", "sign in again to an account that needs it"},
	},
	"activity": {
		{"add", "add an activity"},
		{"list", "list activities (default: yours, to do)"},
		{"show", "show one activity"},
		{"done", "mark an activity done (--undo: to do again)"},
		{"edit", "change an activity"},
		{"delete", "delete an activity"},
		{"revert", "take back a change still waiting for its calendar"},
	},
	"settings": {
		{"show", "show an account's sync settings"},
		{"set", "change an account's sync settings"},
	},
}

// commandExamples are shown under each command's help.
var commandExamples = map[string]string{
	"account":   "  calsync account add google\n  printf '%s' \"$APP_PASSWORD\" | calsync account add caldav --provider icloud --url https://caldav.icloud.com --username me@icloud.com --password-stdin\n  calsync account list --json",
	"activity":  "  calsync activity add --subject \"Call Acme\" --type call --start \"tomorrow 9:30\"\n  calsync activity list --period this-week\n  calsync activity show 1a2b3c4d --json",
	"bundle":    "  calsync bundle -o support.zip",
	"calendars": "  calsync calendars --account 019a --refresh",
	"demo":      "  calsync demo\n  calsync demo --scenario duplicates --no-tui",
	"doctor":    "  calsync doctor\n  calsync doctor --symptom duplicates --fix\n  calsync doctor --undo 12",
	"explain":   "  calsync explain 1a2b3c4d\n  calsync explain --search \"Team lunch\"",
	"settings":  "  calsync settings show --account 019a\n  calsync settings set --account 019a --direction two-way --types call,meeting --preview",
	"sync":      "  calsync sync\n  calsync sync --account 019a --dry-run\n  calsync sync --watch",
	"version":   "  calsync version\n  calsync --version",
}

// versionLine is what `calsync version` and `calsync --version` print: the -ldflags -X
// version when the build set one, else the module version the go command recorded
// (`go install ...@v1.2.3`), plus the commit when known, and the schema version.
func versionLine() string {
	v := version
	commit := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if version == defaultVersion && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = strings.TrimPrefix(bi.Main.Version, "v")
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				commit = s.Value[:12]
			}
		}
	}
	if commit != "" {
		return fmt.Sprintf("calsync %s (schema v%d, commit %s)", v, store.LatestSchemaVersion(), commit)
	}
	return fmt.Sprintf("calsync %s (schema v%d)", v, store.LatestSchemaVersion())
}

// commandTree is the cobra tree for help, completions and the man page.
func commandTree(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "calsync [--data-dir DIR] [COMMAND]",
		Short: "keep CRM activities in sync with your calendar, and fix it when it isn't",
		Long: "calsync keeps CRM activities in sync with Google, Microsoft 365 and CalDAV calendars,\n" +
			"and walks you from a sync symptom to its cause, a fix and proof it worked.\n" +
			"Without a command it opens the terminal app.\n\n" +
			"The data directory is --data-dir, else $CALSYNC_DATA_DIR, else $XDG_DATA_HOME/calsync (~/.local/share/calsync).\n" +
			"Exit codes: 0 ok, 1 a failure to act on, 2 usage, 3 doctor: checks could not run, 75 temporary.",
		Version:           versionLine(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{},
		Run:               func(*cobra.Command, []string) {},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.PersistentFlags().String("data-dir", "", "data directory")
	names := commandNames()
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		cc := &cobra.Command{
			Use:                n,
			Short:              c.Summary,
			Long:               c.Summary + ".\n\nUsage:\n  " + c.Usage,
			Example:            commandExamples[n],
			DisableFlagParsing: true,
			Run:                func(*cobra.Command, []string) {},
		}
		for _, sub := range subcommandSummaries[n] {
			long := sub[1] + "."
			if u := activitySubUsage[sub[0]]; n == "activity" && u != "" {
				long += "\n\nUsage:\n  " + u
			}
			cc.AddCommand(&cobra.Command{Use: sub[0], Short: sub[1], Long: long, DisableFlagParsing: true,
				Run: func(*cobra.Command, []string) {}})
		}
		root.AddCommand(cc)
	}
	root.AddCommand(&cobra.Command{Use: "man", Short: "write calsync's man page (roff) to standard output",
		Example: "  calsync man > calsync.1 && man ./calsync.1", Run: func(*cobra.Command, []string) {}})
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetHelpFunc(func(c *cobra.Command, _ []string) { writeHelp(env, c) })
	return root
}

// findCommand is the tree's command for a path like ["activity", "show"] (flags and
// positional arguments after the last command name are ignored), or nil.
func findCommand(root *cobra.Command, path []string) *cobra.Command {
	c := root
	for _, p := range path {
		if strings.HasPrefix(p, "-") {
			continue
		}
		next := (*cobra.Command)(nil)
		for _, s := range c.Commands() {
			if s.Name() == p || s.HasAlias(p) {
				next = s
			}
		}
		if next == nil {
			if c == root {
				return nil
			}
			break
		}
		c = next
	}
	return c
}

// helpStyles colour the help's headings on a colour terminal and are plain text
// otherwise: NO_COLOR set, or output that is not a terminal (a pipe, a file, a test).
func helpStyles(env *Env) (heading, name lipgloss.Style) {
	r := lipgloss.NewRenderer(env.Stdout)
	if env.Getenv("NO_COLOR") != "" || !env.Interactive {
		r.SetColorProfile(termenv.Ascii)
	}
	return r.NewStyle().Bold(true).Foreground(lipgloss.Color("12")), r.NewStyle().Foreground(lipgloss.Color("10"))
}

// writeHelp prints one command's help: what it does, usage, subcommands, flags, examples.
func writeHelp(env *Env, c *cobra.Command) {
	h, nm := helpStyles(env)
	w := env.Stdout
	desc := c.Long
	if desc == "" {
		desc = c.Short
	}
	fmt.Fprintln(w, desc)
	if !strings.Contains(desc, "Usage:") {
		fmt.Fprintf(w, "\n%s\n  %s\n", h.Render("Usage:"), c.UseLine())
	}
	if subs := c.Commands(); len(subs) > 0 {
		fmt.Fprintf(w, "\n%s\n", h.Render("Commands:"))
		width := 0
		for _, s := range subs {
			if s.IsAvailableCommand() && len(s.Name()) > width {
				width = len(s.Name())
			}
		}
		for _, s := range subs {
			if s.IsAvailableCommand() {
				fmt.Fprintf(w, "  %s%s  %s\n", nm.Render(s.Name()), strings.Repeat(" ", width-len(s.Name())), s.Short)
			}
		}
	}
	fmt.Fprintf(w, "\n%s\n", h.Render("Global flags:"))
	fmt.Fprintln(w, "  --data-dir DIR   data directory (default $CALSYNC_DATA_DIR, else ~/.local/share/calsync)")
	fmt.Fprintln(w, "  -h, --help       help for this command")
	if c.Parent() == nil {
		fmt.Fprintln(w, "  --version        print the version")
	}
	if c.Example != "" {
		fmt.Fprintf(w, "\n%s\n%s\n", h.Render("Examples:"), c.Example)
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nRun `%s COMMAND --help` for more about a command.\n", c.CommandPath())
	}
}

// wantsHelp says whether args ask for help (-h/--help before any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "--help" || a == "-help" {
			return true
		}
	}
	return false
}

// writeMan writes the man page for the whole tree as roff (man(7)).
func writeMan(w io.Writer, root *cobra.Command) {
	esc := func(s string) string {
		s = strings.ReplaceAll(s, `\`, `\e`)
		var b strings.Builder
		for _, line := range strings.Split(s, "\n") {
			if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
				line = `\&` + line
			}
			b.WriteString(line + "\n")
		}
		return strings.TrimRight(b.String(), "\n")
	}
	fmt.Fprintf(w, ".TH CALSYNC 1 \"\" \"calsync %s\" \"User Commands\"\n", strings.TrimPrefix(root.Version, "calsync "))
	fmt.Fprintf(w, ".SH NAME\ncalsync \\- %s\n", esc(root.Short))
	fmt.Fprintf(w, ".SH SYNOPSIS\n.B calsync\n[\\-\\-data\\-dir DIR] [COMMAND] [ARGS]\n")
	fmt.Fprintf(w, ".SH DESCRIPTION\n.nf\n%s\n.fi\n", esc(root.Long))
	fmt.Fprintf(w, ".SH COMMANDS\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			if !s.IsAvailableCommand() {
				continue
			}
			fmt.Fprintf(w, ".TP\n.B %s\n%s\n", esc(strings.TrimPrefix(s.CommandPath(), "calsync ")), esc(s.Short))
			if strings.Contains(s.Long, "Usage:") {
				fmt.Fprintf(w, ".nf\n%s\n.fi\n", esc(s.Long[strings.Index(s.Long, "Usage:"):]))
			}
			if s.Example != "" {
				fmt.Fprintf(w, ".nf\nExamples:\n%s\n.fi\n", esc(s.Example))
			}
			walk(s)
		}
	}
	walk(root)
	fmt.Fprintf(w, ".SH EXIT STATUS\n.TP\n0\nok\n.TP\n1\na failure you must act on (unknown activity, account or calendar; a corrupt or newer database)\n.TP\n2\nusage: unknown command or flag, bad or empty value\n.TP\n3\ndoctor: some checks could not run, none failed\n.TP\n75\ntemporary: network, rate limit, server down, another sync running\n")
	fmt.Fprintf(w, ".SH ENVIRONMENT\n.TP\nCALSYNC_DATA_DIR\nthe data directory when \\-\\-data\\-dir is not given\n.TP\nNO_COLOR\nplain help text\n")
}
