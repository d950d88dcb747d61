// Command calsync keeps CRM activities in sync with Google, Microsoft 365 and CalDAV
// calendars, and walks a person from a sync symptom to its cause, a fix and proof it worked.
//
// main.go holds the entry point, the global flags and the command table; each command
// lives in its own cmd_*.go file and registers itself, so commands stay independent and
// tests call run() directly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/store/datadir"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Env is what a command needs from the outside world; tests build their own.
type Env struct {
	DataDir string // resolved --data-dir / CALSYNC_DATA_DIR / XDG default
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Now     func() time.Time
	// Local is the machine's time zone: the zone a new demo sandbox plans in and the one
	// dates typed on the command line are read in. Only main reads time.Local; tests pass
	// a zone, so nothing they check depends on the TZ of the machine running them.
	Local *time.Location
	// Interactive is true when stdin and stdout are terminals (the TUI may start).
	Interactive bool
	// Keyring finds the OS keyring for account secrets (nil: keep them in the database).
	Keyring func() (store.Keyring, string)
	// DemoBuild is set while `demo` builds a sandbox: its secrets stay in its database.
	DemoBuild bool
}

// local is the machine's zone as this command sees it (UTC when the caller gave none).
func (e *Env) local() *time.Location {
	if e.Local != nil {
		return e.Local
	}
	return time.UTC
}

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

// Exit codes shared by every command.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitPartial  = 3  // doctor: some checks could not run, none failed
	exitTempFail = 75 // EX_TEMPFAIL: network, rate limit
)

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

func main() {
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
	stopServingDemoFakes(os.Stderr, demoDrainLimit)
	os.Exit(code)
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
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(env.Stdout)
			return exitOK
		}
		return usagef(env, nil, "%v (run `calsync help` for the commands)", err)
	}
	if flagSet(fs, "data-dir") && *dataDir == "" {
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
		printHelp(env.Stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		if name == "" {
			printHelp(env.Stdout)
			return exitOK
		}
		return usagef(env, nil, "unknown command %q; commands: %s", name, strings.Join(commandNames(), ", "))
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
			if dir == "" {
				return nil, "", datadir.ErrEmpty
			}
		case strings.HasPrefix(a, "--data-dir=") || strings.HasPrefix(a, "-data-dir="):
			dir = a[strings.Index(a, "=")+1:]
			if dir == "" {
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
	// A demo sandbox's providers run inside calsync (demo_runtime.go): restart them for
	// whatever command this is.
	if err := startDemoFakesIfSandbox(ctx, env, s); err != nil {
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

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "calsync — keep CRM activities in sync with your calendar, and fix it when it isn't.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: calsync [--data-dir DIR] [COMMAND] [ARGS]")
	fmt.Fprintln(w, "       (no command opens the terminal app)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The data directory is --data-dir, else $CALSYNC_DATA_DIR, else $XDG_DATA_HOME/calsync (~/.local/share/calsync).")
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
			fmt.Fprintf(env.Stdout, "calsync %s (schema v%d)\n", version, store.LatestSchemaVersion())
			return exitOK
		},
	})
}
