package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/calsync/calsync/doctor"
)

func init() {
	register(&command{
		Name:    "bundle",
		Summary: "write a support bundle (zip): doctor report, settings, journal tail, versions; never a secret",
		Usage:   "calsync bundle [-o FILE] [--include-private]",
		Run:     runBundle,
	})
}

func runBundle(ctx context.Context, env *Env, args []string) int {
	c := commands["bundle"]
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "")
	private := fs.Bool("include-private", false, "")
	if err := fs.Parse(args); err != nil {
		return usagef(env, c, "%v", err)
	}
	if fs.NArg() > 0 {
		return usagef(env, c, "unexpected argument %q", fs.Arg(0))
	}
	now := env.Now()
	if *out == "" {
		*out = fmt.Sprintf("calsync-bundle-%s.zip", now.UTC().Format("20060102-150405"))
	}
	st, err := openStore(ctx, env)
	if err != nil {
		// A corrupt or newer-schema database needs the person, as for every command.
		return openFailed(env, err)
	}
	defer st.Close()
	e := newDoctorEnv(st, env)
	// A bundle never probes the network nor writes test data into a calendar.
	e.Offline = true
	rep, err := doctor.Run(ctx, e, doctor.All)
	if err != nil {
		return failf(env, "%v", err)
	}
	var buf bytes.Buffer
	if err := doctor.WriteBundle(ctx, st, &buf, doctor.BundleOptions{IncludePrivate: *private, Version: version, Now: now, Report: rep}); err != nil {
		return failf(env, "%v", err)
	}
	path := *out
	if path != "-" {
		if !filepath.IsAbs(path) {
			if wd, err := os.Getwd(); err == nil {
				path = filepath.Join(wd, path)
			}
		}
		// Write beside, then rename: a half-written bundle never carries the final name.
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
			return failf(env, "write %s: %v", tmp, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return failf(env, "write %s: %v", path, err)
		}
		what := "everything typed (subjects, notes, locations, searches, names, account labels, addresses) pseudonymised"
		if *private {
			what = "subjects, names and addresses included (--include-private)"
		}
		fmt.Fprintf(env.Stdout, "Wrote %s (%d bytes): doctor report, settings, journal tail, versions; no secrets; %s.\n", path, buf.Len(), what)
		return exitOK
	}
	if _, err := env.Stdout.Write(buf.Bytes()); err != nil {
		return failf(env, "%v", err)
	}
	return exitOK
}
