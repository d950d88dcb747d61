// Package cli is calsync's command line: the global flags, the command table and one file
// per command (account.go, activity.go, sync.go, doctor.go, ...), each registering itself,
// so commands stay independent and tests call run() directly without building the binary.
// The demo sandbox machinery lives in package demo; main.go at the repository root only
// calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/calsync/calsync/demo"
	"github.com/calsync/calsync/runenv"
	"github.com/calsync/calsync/store/datadir"
	"github.com/spf13/cobra"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/calsync/calsync/store"
)

// version is set at build time with
// -ldflags "-X github.com/calsync/calsync/cli.version=..."; without it, versionLine uses
// the module version the go command recorded (help.go).
var version = defaultVersion

const defaultVersion = "0.1.0-dev"

// Env is what a command needs from the outside world (runenv.Env); tests build their own.
type Env = runenv.Env

// command is one `calsync NAME ...` subcommand.
type command struct {
	Name    string
	Summary string // one line for `calsync help`
	Usage   string // full usage, printed on usage errors
	Run     func(ctx context.Context, env *Env, args []string) int
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.Name]; dup {
		panic("calsync: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// errUsage marks an error in how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// usagef reports a usage error and returns exit code 2.
func usagef(env *Env, c *command, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "calsync: %s\n", fmt.Sprintf(format, args...))
	if c != nil && c.Usage != "" {
		fmt.Fprintf(env.Stderr, "usage: %s\n", c.Usage)
	}
	return exitUsage
}

// failf reports a runtime failure and returns exit code 1.
func failf(env *Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "calsync: %s\n", fmt.Sprintf(format, args...))
	return exitFailure
}

// Main runs calsync with the process's arguments, streams, environment, clock and zone,
// and returns the exit code for main to pass to os.Exit.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &Env{
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Getenv:      os.Getenv,
		Now:         time.Now,
		Local:       time.Local,
		Interactive: isTerminal(os.Stdin) && isTerminal(os.Stdout),
		Keyring:     detectOSKeyring(),
	}
	code := run(ctx, env, os.Args[1:])
	stop() // from here Ctrl-C ends the process at once, also while it waits just below
	// Fakes this process serves for a demo sandbox stay up while other commands use them.
	demo.StopServingFakes(os.Stderr, demo.DrainLimit)
	return code
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// run parses global flags, resolves the data directory and dispatches to a command.
func run(ctx context.Context, env *Env, args []string) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	fs := flag.NewFlagSet("calsync", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", "", "data directory")
	showVersion := fs.Bool("version", false, "print the version")
	tree := commandTree(env)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeHelp(env, tree)
			return exitOK
		}
		return usagef(env, nil, "%v (run `calsync help` for the commands)", err)
	}
	if *showVersion {
		fmt.Fprintln(env.Stdout, versionLine())
		return exitOK
	}
	// An empty --data-dir is a mistake (an unset shell variable, most often), not a
	// request for the default directory: say so before touching any data.
	if flagSet(fs, "data-dir") && strings.TrimSpace(*dataDir) == "" {
		return usagef(env, nil, "%v", datadir.ErrEmpty)
	}
	dir, err := resolveDataDir(*dataDir, env.Getenv)
	if err != nil {
		return usagef(env, nil, "%v", err)
	}
	env.DataDir = dir
	rest := fs.Args()
	name := ""
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	switch name {
	case "help", "-h", "--help":
		// `calsync help activity show`: that command's help.
		c := findCommand(tree, rest)
		if c == nil {
			return usagef(env, nil, "no help for %q; commands: %s", strings.Join(rest, " "), strings.Join(commandNames(), ", "))
		}
		writeHelp(env, c)
		return exitOK
	case "man":
		if len(rest) > 0 {
			if wantsHelp(rest) {
				writeHelp(env, findCommand(tree, []string{"man"}))
				return exitOK
			}
			return usagef(env, nil, "man takes no arguments, got %q (redirect the output: calsync man > calsync.1)", rest)
		}
		writeMan(env.Stdout, tree)
		return exitOK
	case "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
		// cobra writes the bash, zsh, fish and powershell scripts and answers the
		// scripts' completion requests from the same tree.
		if name == "completion" && !wantsHelp(rest) {
			if len(rest) != 1 || !slices.Contains([]string{"bash", "zsh", "fish", "powershell"}, rest[0]) {
				return usagef(env, nil, "completion needs one shell: bash, zsh, fish or powershell (got %q)", rest)
			}
		}
		tree.SetArgs(append([]string{name}, rest...))
		if err := tree.Execute(); err != nil {
			return usagef(env, nil, "%v (shells: bash, zsh, fish, powershell)", err)
		}
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		if name == "" {
			writeHelp(env, tree)
			return exitOK
		}
		return usagef(env, nil, "unknown command %q; commands: %s", name, strings.Join(commandNames(), ", "))
	}
	// -h/--help anywhere before "--" is help for the command (or subcommand) named,
	// whatever the command's own parser would make of it.
	if wantsHelp(rest) {
		writeHelp(env, findCommand(tree, append([]string{name}, rest...)))
		return exitOK
	}
	// Global flags may also follow the command name: `calsync demo --data-dir X`.
	rest, dir2, err := extractDataDir(rest)
	if err != nil {
		return usagef(env, c, "%v", err)
	}
	if dir2 != "" {
		env.DataDir = dir2
	}
	return c.Run(ctx, env, rest)
}

// parseFlags parses a command's flags wherever they stand among its positional
// arguments (`activity show ID --json` as well as `activity show --json ID`) and returns
// the positional ones; after "--" everything is positional.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// extractDataDir pulls a --data-dir flag out of a command's own arguments.
func extractDataDir(args []string) (rest []string, dir string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(rest, args[i:]...), dir, nil
		case a == "--data-dir" || a == "-data-dir":
			if i+1 >= len(args) {
				return nil, "", errors.New("--data-dir needs a directory")
			}
			dir = args[i+1]
			i++
			if strings.TrimSpace(dir) == "" {
				return nil, "", datadir.ErrEmpty
			}
		case strings.HasPrefix(a, "--data-dir=") || strings.HasPrefix(a, "-data-dir="):
			dir = a[strings.Index(a, "=")+1:]
			if strings.TrimSpace(dir) == "" {
				return nil, "", datadir.ErrEmpty
			}
		default:
			rest = append(rest, a)
		}
	}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, "", err
		}
		dir = abs
	}
	return rest, dir, nil
}

// resolveDataDir applies --data-dir, then CALSYNC_DATA_DIR, then $XDG_DATA_HOME/calsync,
// then ~/.local/share/calsync.
func resolveDataDir(flagValue string, getenv func(string) string) (string, error) {
	dir := flagValue
	if dir == "" {
		dir = getenv("CALSYNC_DATA_DIR")
	}
	if dir == "" {
		if x := getenv("XDG_DATA_HOME"); x != "" {
			dir = filepath.Join(x, "calsync")
		}
	}
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("cannot find a data directory: set --data-dir or CALSYNC_DATA_DIR")
			}
			home = h
		}
		dir = filepath.Join(home, ".local", "share", "calsync")
	}
	return filepath.Abs(dir)
}

// openStore opens the store in env.DataDir and says once when it had to tighten permissions.
func openStore(ctx context.Context, env *Env) (*store.Store, error) {
	s, err := store.Open(ctx, env.DataDir)
	if err != nil {
		return nil, err
	}
	for _, p := range s.Tightened {
		fmt.Fprintf(env.Stderr, "calsync: %s was readable by others; permissions tightened to owner-only\n", p)
	}
	useKeyring(ctx, env, s)
	// The first run on a data directory makes the person "me", whatever the command.
	if _, err := store.EnsureMe(ctx, s.DB, env.Getenv("USER"), env.Now()); err != nil {
		s.Close()
		return nil, fmt.Errorf("prepare %s: %w", env.DataDir, err)
	}
	// A demo sandbox's providers run inside calsync (demo/runtime.go): restart them for
	// whatever command this is.
	if err := demo.StartFakesIfSandbox(ctx, env, s); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func commandNames() []string {
	var names []string
	for n := range commands {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func init() {
	register(&command{
		Name:    "version",
		Summary: "print calsync's version",
		Usage:   "calsync version",
		Run: func(ctx context.Context, env *Env, args []string) int {
			if len(args) > 0 {
				return usagef(env, commands["version"], "version takes no arguments, got %q", args)
			}
			fmt.Fprintln(env.Stdout, versionLine())
			return exitOK
		},
	})
}
