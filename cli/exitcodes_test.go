package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// exitCodeDataDir is the state of the data directory a case runs on.
type exitCodeDataDir int

const (
	dataFresh   exitCodeDataDir = iota // a working store, no accounts, no activities
	dataCorrupt                        // calsync.db is not a database
	dataNewer                          // calsync.db was written by a newer calsync
)

func (d exitCodeDataDir) String() string {
	return [...]string{"fresh", "corrupt", "newer-schema"}[d]
}

// makeExitCodeDataDir builds a data directory in the given state.
func makeExitCodeDataDir(t *testing.T, kind exitCodeDataDir) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	switch kind {
	case dataNewer:
		if _, err := st.DB.ExecContext(ctx, "PRAGMA user_version = 9999"); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if kind == dataCorrupt {
		for _, suffix := range []string{"-wal", "-shm"} {
			os.Remove(filepath.Join(dir, store.DBFileName+suffix))
		}
		if err := os.WriteFile(filepath.Join(dir, store.DBFileName), bytes.Repeat([]byte("not a database "), 400), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestExitCodeTable runs every command with each kind of failure and checks the exit
// code the README's table promises: 1 for what the person must act on (an unknown
// activity or account, a corrupt or newer-schema database), 2 for a wrong call.
func TestExitCodeTable(t *testing.T) {
	type tc struct {
		why  string
		data exitCodeDataDir
		args []string
		want int
	}
	var cases []tc
	// 2: an unknown flag, on every command and subcommand.
	for _, args := range [][]string{
		{"account", "add", "google"}, {"account", "list"}, {"account", "remove", "x"}, {"account", "reconnect", "x"},
		{"activity", "add"}, {"activity", "list"}, {"activity", "show", "x"}, {"activity", "done", "x"},
		{"activity", "edit", "x"}, {"activity", "delete", "x"}, {"activity", "revert", "x"},
		{"bundle"}, {"calendars"}, {"demo"}, {"doctor"}, {"explain", "x"},
		{"settings", "show", "--account", "x"}, {"settings", "set", "--account", "x"}, {"sync"}, {"version"}, {},
	} {
		cases = append(cases, tc{"unknown flag", dataFresh, append(append([]string{}, args...), "--no-such-flag"), exitUsage})
	}
	// 2: other wrong calls.
	cases = append(cases,
		tc{"unknown command", dataFresh, []string{"synk"}, exitUsage},
		tc{"unknown subcommand", dataFresh, []string{"account", "lst"}, exitUsage},
		tc{"unknown subcommand", dataFresh, []string{"activity", "shw"}, exitUsage},
		tc{"unknown subcommand", dataFresh, []string{"settings", "st"}, exitUsage},
		tc{"bad duration", dataFresh, []string{"sync", "--wait", "soon"}, exitUsage},
		tc{"negative duration", dataFresh, []string{"sync", "--wait", "-5s"}, exitUsage},
		tc{"bad enum", dataFresh, []string{"doctor", "--symptom", "everything"}, exitUsage},
		tc{"bad number", dataFresh, []string{"activity", "list", "--limit", "-1"}, exitUsage},
		tc{"empty required value", dataFresh, []string{"activity", "add", "--subject", ""}, exitUsage},
		tc{"empty --data-dir", dataFresh, []string{"--data-dir", "", "activity", "list"}, exitUsage},
		tc{"empty --data-dir after the command", dataFresh, []string{"activity", "list", "--data-dir="}, exitUsage},
	)
	// 1: an unknown activity.
	for _, args := range [][]string{
		{"activity", "show", "0abc"}, {"activity", "done", "0abc"}, {"activity", "edit", "0abc", "--subject", "x"},
		{"activity", "delete", "0abc"}, {"activity", "revert", "0abc"}, {"explain", "0abc"}, {"doctor", "--offline", "--activity", "0abc"},
		{"activity", "show", "nope"}, {"explain", "nope"}, {"doctor", "--offline", "--activity", "nope"},
	} {
		cases = append(cases, tc{"unknown activity", dataFresh, args, exitFailure})
	}
	// 1: an unknown account.
	for _, args := range [][]string{
		{"sync", "--account", "nope"}, {"settings", "show", "--account", "nope"}, {"settings", "set", "--account", "nope", "--enable"},
		{"calendars", "--account", "nope"}, {"account", "remove", "nope"},
	} {
		cases = append(cases, tc{"unknown account", dataFresh, args, exitFailure})
	}
	// 1: a database calsync cannot use, for every command that opens it.
	for _, data := range []exitCodeDataDir{dataCorrupt, dataNewer} {
		for _, args := range [][]string{
			{"account", "list"}, {"account", "remove", "x"}, {"activity", "list"}, {"activity", "show", "x"},
			{"activity", "add", "--subject", "Call"}, {"bundle", "-o", "BUNDLE"}, {"calendars", "--account", "x"},
			{"doctor", "--offline"}, {"explain", "x"}, {"settings", "show", "--account", "x"}, {"sync"},
		} {
			cases = append(cases, tc{"database", data, args, exitFailure})
		}
	}
	for _, c := range cases {
		name := c.why + "/" + c.data.String() + "/" + strings.Join(c.args, "_")
		t.Run(name, func(t *testing.T) {
			dir := makeExitCodeDataDir(t, c.data)
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "BUNDLE", filepath.Join(t.TempDir(), "b.zip"))
			}
			var out, errb bytes.Buffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
				Getenv: func(k string) string { return map[string]string{"USER": "ann"}[k] },
				Now:    func() time.Time { return time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC) }}
			code := run(context.Background(), env, append([]string{"--data-dir", dir}, args...))
			if code != c.want {
				t.Errorf("calsync %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, c.want, out.String(), errb.String())
			}
			if c.want != exitOK && !strings.Contains(errb.String(), "calsync: ") {
				t.Errorf("calsync %s: exit %d but nothing on stderr says why:\n%s", strings.Join(args, " "), code, errb.String())
			}
		})
	}
}
