package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// runPlain runs calsync in-process the way a script would (no terminal) and returns
// exit code, stdout and stderr.
func runPlain(t *testing.T, environ map[string]string, interactive bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Interactive: interactive,
		Getenv: func(k string) string { return environ[k] },
		Now:    func() time.Time { return time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC) }}
	code := run(context.Background(), env, append([]string{"--data-dir", t.TempDir()}, args...))
	return code, out.String(), errb.String()
}

// TestHelpOnEveryCommand: -h, --help (also after positional arguments) and `help PATH`
// answer on every command and subcommand with its usage, exit 0 and touch no data.
func TestHelpOnEveryCommand(t *testing.T) {
	paths := [][]string{{}}
	for _, n := range commandNames() {
		paths = append(paths, []string{n})
		for _, sub := range subcommandSummaries[n] {
			paths = append(paths, []string{n, sub[0]})
		}
	}
	for _, p := range paths {
		for _, form := range [][]string{
			append(append([]string{}, p...), "--help"),
			append(append([]string{}, p...), "-h"),
			append([]string{"help"}, p...),
			append(append([]string{}, p...), "ID", "--help"), // among positional arguments
		} {
			if len(p) == 0 && len(form) > 1 && form[0] == "ID" {
				continue // the root takes no positional argument
			}
			code, out, errOut := runPlain(t, nil, false, form...)
			if code != exitOK || errOut != "" {
				t.Errorf("calsync %s: exit %d, stderr %q", strings.Join(form, " "), code, errOut)
				continue
			}
			if !strings.Contains(out, "Usage:") || !strings.Contains(out, "--data-dir") {
				t.Errorf("calsync %s: no usage or flags:\n%s", strings.Join(form, " "), out)
			}
			if len(p) == 1 && !strings.Contains(out, "Examples:") {
				t.Errorf("calsync %s: no examples:\n%s", strings.Join(form, " "), out)
			}
			if len(p) > 0 && !strings.Contains(out, "calsync "+p[0]) {
				t.Errorf("calsync %s: help does not name the command:\n%s", strings.Join(form, " "), out)
			}
		}
	}
	if code, _, errOut := runPlain(t, nil, false, "help", "synk"); code != exitUsage || !strings.Contains(errOut, "no help for") {
		t.Errorf("help on an unknown command: exit %d %q", code, errOut)
	}
	// "--" ends the flags: what follows is an argument, not a request for help.
	if code, _, _ := runPlain(t, nil, false, "activity", "show", "--", "--help"); code == exitOK {
		t.Errorf("activity show -- --help printed help instead of looking for the activity \"--help\"")
	}
}

// TestHelpIsPlainWithoutColour: help written to a pipe, or with NO_COLOR set, carries no
// escape sequence.
func TestHelpIsPlainWithoutColour(t *testing.T) {
	for _, tc := range []struct {
		environ     map[string]string
		interactive bool
	}{{nil, false}, {map[string]string{"NO_COLOR": "1"}, true}} {
		_, out, _ := runPlain(t, tc.environ, tc.interactive, "--help")
		if strings.Contains(out, "\x1b") || !strings.Contains(out, "Commands:") {
			t.Errorf("help (NO_COLOR=%q, interactive=%v) is not plain text:\n%q", tc.environ["NO_COLOR"], tc.interactive, out)
		}
	}
}

func TestVersionFlagAndCommandAgree(t *testing.T) {
	code1, v1, _ := runPlain(t, nil, false, "--version")
	code2, v2, _ := runPlain(t, nil, false, "version")
	if code1 != exitOK || code2 != exitOK || v1 != v2 || !strings.HasPrefix(v1, "calsync "+version) {
		t.Errorf("--version %d %q, version %d %q", code1, v1, code2, v2)
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "complete", "zsh": "#compdef calsync", "fish": "complete -c calsync", "powershell": "Register-ArgumentCompleter"} {
		code, out, errOut := runPlain(t, nil, false, "completion", shell)
		if code != exitOK || !strings.Contains(out, marker) {
			t.Errorf("completion %s: exit %d, stderr %q, no %q in the script", shell, code, errOut, marker)
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if code, _, _ := runPlain(t, nil, false, args...); code != exitUsage {
			t.Errorf("calsync %s: exit %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
	}
	// The scripts ask calsync for the commands: the answer names them.
	if code, out, _ := runPlain(t, nil, false, "__complete", "act"); code != exitOK || !strings.Contains(out, "activity") {
		t.Errorf("__complete act: exit %d %q", code, out)
	}
}

func TestManPageNamesEveryCommand(t *testing.T) {
	code, out, _ := runPlain(t, nil, false, "man")
	if code != exitOK || !strings.HasPrefix(out, ".TH CALSYNC 1") || !strings.Contains(out, ".SH EXIT STATUS") {
		t.Fatalf("man: exit %d\n%s", code, out)
	}
	for _, n := range commandNames() {
		if !strings.Contains(out, ".B "+n+"\n") {
			t.Errorf("the man page has no entry for %s", n)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, ".") && !strings.HasPrefix(line, ".TH") && !strings.HasPrefix(line, ".SH") &&
			!strings.HasPrefix(line, ".TP") && !strings.HasPrefix(line, ".B ") && !strings.HasPrefix(line, ".nf") && !strings.HasPrefix(line, ".fi") {
			t.Errorf("text line read as a roff request: %q", line)
		}
	}
}
