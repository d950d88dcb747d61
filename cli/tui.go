package cli

import (
	"context"
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui"
	"github.com/calsync/calsync/ui/common"
)

func init() {
	register(&command{
		Name:    "",
		Summary: "open the terminal app (the default with no command)",
		Usage:   "calsync [--data-dir DIR]",
		Run:     runTUI,
	})
}

// runTUI opens the store in the data directory and runs the app on it.
func runTUI(ctx context.Context, env *Env, args []string) int {
	if len(args) > 0 {
		return usagef(env, commands[""], "unexpected arguments %q", args)
	}
	if !env.Interactive {
		return notATerminal(env)
	}
	st, err := openStore(ctx, env)
	if err != nil {
		return failf(env, "cannot open the data directory %s: %v", env.DataDir, err)
	}
	defer st.Close()
	return openApp(ctx, env, st)
}

// notATerminal explains what to use instead when the app cannot draw.
func notATerminal(env *Env) int {
	fmt.Fprintln(env.Stderr, "calsync: the terminal app needs a terminal (stdin and stdout are not both one).")
	fmt.Fprintln(env.Stderr, "Use the commands instead, for example:")
	fmt.Fprintln(env.Stderr, "  calsync activity list        the activity list (add --json for scripts)")
	fmt.Fprintln(env.Stderr, "  calsync account list         your calendar accounts")
	fmt.Fprintln(env.Stderr, "  calsync sync                 sync now")
	fmt.Fprintln(env.Stderr, "  calsync doctor               find out why activities don't show")
	fmt.Fprintln(env.Stderr, "  calsync help                 every command")
	return exitFailure
}

// openApp runs the terminal app on an open store until the person quits. `calsync demo`
// calls it on its sandbox store.
func openApp(ctx context.Context, env *Env, st *store.Store) int {
	if !env.Interactive {
		return notATerminal(env)
	}
	// A fresh data directory has no "me" yet; the list's "my activities" needs one.
	if _, err := store.EnsureMe(ctx, st.DB, env.Getenv("USER"), env.Now()); err != nil {
		return failf(env, "cannot prepare the data directory %s: %v", env.DataDir, err)
	}
	c := common.NewContext(st, env.Getenv, env.Now)
	c.Terminal = env.Stdout // OSC 52 copies (Troubleshoot's c) go to the program's terminal
	// The app syncs in the background with the same engine `calsync sync` uses; the store's
	// lease keeps it from overlapping a cron run.
	eng := sync.New(st)
	eng.Open = sync.DefaultOpener(st, env.Getenv)
	eng.Now = env.Now
	c.Services.Engine = eng
	root := ui.New(c)
	defer root.Stop()
	// The theme's adaptive colours ask the terminal for its background (OSC 11) the first
	// time a style renders. Asked here, before Bubble Tea owns the terminal: asked from
	// the first View it blocks the frame up to termenv's timeout, and the terminal's answer
	// is read by Bubble Tea as typed keys (lipgloss#73, bubbletea#1036).
	if !common.NoColorRequested(env.Getenv) {
		lipgloss.SetHasDarkBackground(lipgloss.HasDarkBackground())
	}
	// Mouse reports let the wheel scroll a Troubleshoot step; selecting text with the
	// mouse then takes shift in most terminals (the wizard's c and s copy and save notes).
	p := tea.NewProgram(root, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithMouseCellMotion(),
		tea.WithInput(env.Stdin), tea.WithOutput(env.Stdout))
	if _, err := p.Run(); err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return exitOK // interrupted by a signal: leave quietly
		}
		return failf(env, "the terminal app stopped: %v", err)
	}
	return exitOK
}
