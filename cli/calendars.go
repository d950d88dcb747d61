package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/safetext"
)

func init() {
	register(&command{
		Name:    "calendars",
		Summary: "list an account's calendars (read-only ones marked)",
		Usage:   "calsync calendars --account ID [--refresh] [--json]",
		Run:     runCalendars,
	})
}

func runCalendars(ctx context.Context, env *Env, args []string) int {
	c := commands["calendars"]
	fs := flag.NewFlagSet("calendars", flag.ContinueOnError)
	accountID := fs.String("account", "", "account ID")
	asJSON := fs.Bool("json", false, "print JSON")
	refresh := fs.Bool("refresh", false, "list the calendars from the provider again")
	if code := acctParseAccountFlag(env, c, fs, args, accountID, "calendars"); code != exitOK {
		return code
	}
	m, closeStore, err := acctManager(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer closeStore()
	cals, err := m.Calendars(ctx, *accountID)
	if err != nil {
		return acctNotFound(env, *accountID, err)
	}
	if *refresh {
		a, err := store.GetAccount(ctx, m.Store.DB, *accountID)
		if err != nil {
			return acctNotFound(env, *accountID, err)
		}
		if cals, err = m.RefreshCalendars(ctx, a.ID); err != nil {
			return acctConnectFailed(env, accountsetup.ChoiceForAccount(a.Kind, a.ServerURL), err)
		}
	}
	s, err := m.Settings(ctx, *accountID)
	if err != nil {
		return failf(env, "%v", err)
	}
	if *asJSON {
		type calJSON struct {
			store.Calendar
			Synced bool `json:"synced"`
		}
		out := make([]calJSON, 0, len(cals))
		for _, cal := range cals {
			out = append(out, calJSON{Calendar: cal, Synced: cal.RemoteID == s.CalendarID})
		}
		return acctWriteJSON(env, out)
	}
	if len(cals) == 0 {
		fmt.Fprintf(env.Stdout, "Account %s has no calendars on record. Reconnect it to list them again: calsync account reconnect %s\n",
			*accountID, *accountID)
		return exitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tACCESS\tNOTES")
	for _, cal := range cals {
		access := "read-write"
		if cal.ReadOnly {
			access = "read-only"
		}
		var notes []string
		if cal.Primary {
			notes = append(notes, "primary")
		}
		if cal.RemoteID == s.CalendarID {
			notes = append(notes, "synced")
		}
		if !cal.HasEvents {
			notes = append(notes, "no events")
		}
		if cal.ReadOnly {
			notes = append(notes, "calendar-to-CRM only")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", safetext.Line(cal.RemoteID), safetext.Line(cal.Name), access, strings.Join(notes, ", "))
	}
	tw.Flush()
	return exitOK
}
