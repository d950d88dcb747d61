package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/safetext"
)

const settingsUsage = `calsync settings show --account ID [--json]
       calsync settings set --account ID [--calendar ID] [--direction two-way|to-calendar|from-calendar]
                            [--types T,...] [--import-type T] [--backfill-from DATE|none] [--interval 5m]
                            [--conflicts newest-wins|local-wins|remote-wins] [--window-past-days N]
                            [--window-future-days N] [--enable|--disable] [--preview]
  --preview runs the next sync (the first, for an account not yet synced) dry and prints
  what it would do; nothing is saved.`

func init() {
	register(&command{
		Name:    "settings",
		Summary: "show or change how an account syncs (calendar, direction, types)",
		Usage:   settingsUsage,
		Run:     runSettings,
	})
}

func runSettings(ctx context.Context, env *Env, args []string) int {
	c := commands["settings"]
	if len(args) == 0 {
		return usagef(env, c, "settings needs a subcommand: show or set")
	}
	switch args[0] {
	case "show":
		return runSettingsShow(ctx, env, c, args[1:])
	case "set":
		return runSettingsSet(ctx, env, c, args[1:])
	}
	return usagef(env, c, "unknown settings subcommand %q; use show or set", args[0])
}

// settingsJSON is the settings as `settings show --json` prints them.
type settingsJSON struct {
	AccountID        string     `json:"account_id"`
	Enabled          bool       `json:"enabled"`
	CalendarID       string     `json:"calendar_id"`
	CalendarName     string     `json:"calendar_name,omitempty"`
	CalendarReadOnly bool       `json:"calendar_read_only"`
	Direction        string     `json:"direction"`
	DirectionMeaning string     `json:"direction_meaning"`
	Types            []string   `json:"types"`
	ImportType       string     `json:"import_type"`
	ActivatedAt      *time.Time `json:"activated_at,omitempty"`
	BackfillFrom     *time.Time `json:"backfill_from,omitempty"`
	ConflictPolicy   string     `json:"conflict_policy"`
	IntervalSeconds  int64      `json:"interval_seconds"`
	WindowPastDays   int        `json:"window_past_days"`
	WindowFutureDays int        `json:"window_future_days"`
}

// settingsLoad reads the account, its sync settings and its calendars: what settings show
// and settings set both start from. Unless code is exitOK the problem has been reported.
func settingsLoad(ctx context.Context, env *Env, m *accountsetup.Manager, accountID string) (a store.Account, s store.SyncSettings, cals []store.Calendar, code int) {
	a, err := store.GetAccount(ctx, m.Store.DB, accountID)
	if err != nil {
		return a, s, nil, acctNotFound(env, accountID, err)
	}
	if s, err = m.Settings(ctx, a.ID); err != nil {
		return a, s, nil, failf(env, "%v", err)
	}
	if cals, err = m.Calendars(ctx, a.ID); err != nil {
		return a, s, nil, failf(env, "%v", err)
	}
	return a, s, cals, exitOK
}

func settingsCalendar(cals []store.Calendar, id string) (store.Calendar, bool) {
	for _, c := range cals {
		if c.RemoteID == id {
			return c, true
		}
	}
	return store.Calendar{}, false
}

func runSettingsShow(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("settings show", flag.ContinueOnError)
	accountID := fs.String("account", "", "account ID")
	asJSON := fs.Bool("json", false, "print JSON")
	if code := acctParseAccountFlag(env, c, fs, args, accountID, "settings show"); code != exitOK {
		return code
	}
	m, closeStore, err := acctManager(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer closeStore()
	a, s, cals, code := settingsLoad(ctx, env, m, *accountID)
	if code != exitOK {
		return code
	}
	cal, calKnown := settingsCalendar(cals, s.CalendarID)
	dir, _ := accountsetup.DirectionByValue(s.Direction)
	if *asJSON {
		out := settingsJSON{AccountID: a.ID, Enabled: s.Enabled, CalendarID: s.CalendarID,
			CalendarName: cal.Name, CalendarReadOnly: cal.ReadOnly, Direction: s.Direction,
			DirectionMeaning: dir.Line, ImportType: string(s.ImportType), ActivatedAt: s.ActivatedAt,
			BackfillFrom: s.BackfillFrom, ConflictPolicy: s.ConflictPolicy,
			IntervalSeconds: int64(s.Interval / time.Second), WindowPastDays: s.WindowPastDays,
			WindowFutureDays: s.WindowFutureDays, Types: []string{}}
		for _, t := range s.Types {
			out.Types = append(out.Types, string(t))
		}
		return acctWriteJSON(env, out)
	}
	settingsPrint(env.Stdout, a, s, cal, calKnown, env.Zone())
	return exitOK
}

// settingsPrint shows times in loc, the zone --backfill-from dates are read in.
func settingsPrint(w io.Writer, a store.Account, s store.SyncSettings, cal store.Calendar, calKnown bool, loc *time.Location) {
	state := "off"
	if s.Enabled {
		state = "on, every " + settingsDuration(s.Interval)
	}
	if s.ActivatedAt != nil {
		state += " (first switched on " + s.ActivatedAt.In(loc).Format("2006-01-02 15:04") + ")"
	}
	calText := "none chosen"
	switch {
	case s.CalendarID != "" && calKnown:
		calText = safetext.Line(cal.Name) + " (" + safetext.Line(cal.RemoteID) + ")"
		if cal.ReadOnly {
			calText += ", read-only"
		}
	case s.CalendarID != "":
		calText = safetext.Line(s.CalendarID) + " (no longer listed by the account: reconnect it or choose another)"
	}
	dir, _ := accountsetup.DirectionByValue(s.Direction)
	var types []string
	for _, t := range s.Types {
		types = append(types, string(t))
	}
	backfill := "none: activities not changed since sync was switched on are not pushed"
	if s.BackfillFrom != nil {
		backfill = "activities starting from " + s.BackfillFrom.In(loc).Format("2006-01-02") + " on are included"
	}
	fmt.Fprintf(w, "Account:      %s (%s, %s)\n", safetext.Line(a.Name), a.ID, a.Kind)
	fmt.Fprintf(w, "Sync:         %s\n", state)
	fmt.Fprintf(w, "Calendar:     %s\n", calText)
	fmt.Fprintf(w, "Direction:    %s: %s\n", s.Direction, dir.Line)
	fmt.Fprintf(w, "Types:        %s\n", strings.Join(types, ", "))
	fmt.Fprintf(w, "Import type:  %s\n", s.ImportType)
	fmt.Fprintf(w, "Backfill:     %s\n", backfill)
	fmt.Fprintf(w, "Window:       %d days back, %d days ahead\n", s.WindowPastDays, s.WindowFutureDays)
	fmt.Fprintf(w, "Conflicts:    %s\n", s.ConflictPolicy)
}

// settingsParseDate reads --backfill-from: YYYY-MM-DD (local midnight), RFC 3339, or none.
func settingsParseDate(s string, loc *time.Location) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" {
		return nil, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		t = t.UTC()
		return &t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		t = t.UTC()
		return &t, nil
	}
	return nil, fmt.Errorf("--backfill-from %q: write a date as YYYY-MM-DD (or none)", s)
}

func runSettingsSet(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("settings set", flag.ContinueOnError)
	accountID := fs.String("account", "", "account ID")
	calendar := fs.String("calendar", "", "calendar ID (see `calsync calendars`)")
	direction := fs.String("direction", "", "two-way, to-calendar or from-calendar")
	types := fs.String("types", "", "synced activity types, comma separated")
	importType := fs.String("import-type", "", "type of activities imported from the calendar")
	backfill := fs.String("backfill-from", "", "also push activities from this date (YYYY-MM-DD, or none)")
	interval := fs.Duration("interval", 0, "background sync interval (e.g. 5m)")
	conflicts := fs.String("conflicts", "", "who wins when both sides changed: newest-wins, local-wins, remote-wins")
	pastDays := fs.Int("window-past-days", 0, "sync events from this many days back")
	futureDays := fs.Int("window-future-days", 0, "sync events up to this many days ahead")
	enable := fs.Bool("enable", false, "switch sync on")
	disable := fs.Bool("disable", false, "switch sync off")
	preview := fs.Bool("preview", false, "dry run: print what the first sync would do, save nothing")
	dryRun := fs.Bool("dry-run", false, "same as --preview")
	if code := acctParseAccountFlag(env, c, fs, args, accountID, "settings set"); code != exitOK {
		return code
	}
	if *enable && *disable {
		return usagef(env, c, "--enable and --disable contradict each other; give one")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *direction != "" {
		if _, ok := accountsetup.DirectionByValue(*direction); !ok {
			return usagef(env, c, "--direction %q: use %s", *direction, strings.Join(accountsetup.DirectionValues(), ", "))
		}
	}
	var err error
	var parsedTypes []store.ActivityType
	if set["types"] {
		if parsedTypes, err = accountsetup.ParseTypes(*types); err != nil {
			return usagef(env, c, "--types: %v", err)
		}
	}
	if *importType != "" && !accountsetup.ValidType(store.ActivityType(*importType)) {
		return usagef(env, c, "--import-type %q: use one of call, meeting, task, deadline, email, lunch", *importType)
	}
	var backfillAt *time.Time
	if set["backfill-from"] {
		if backfillAt, err = settingsParseDate(*backfill, env.Zone()); err != nil {
			return usagef(env, c, "%v", err)
		}
	}
	switch *conflicts {
	case "", store.PolicyNewestWins, store.PolicyLocalWins, store.PolicyRemoteWins:
	default:
		return usagef(env, c, "--conflicts %q: use newest-wins, local-wins or remote-wins", *conflicts)
	}
	if (set["window-past-days"] && (*pastDays < 0 || *pastDays > 3650)) || (set["window-future-days"] && (*futureDays < 1 || *futureDays > 3650)) {
		return usagef(env, c, "the sync window is 0..3650 days back and 1..3650 days ahead")
	}
	if set["interval"] && *interval < accountsetup.MinInterval {
		return usagef(env, c, "--interval %s: the shortest is %s", *interval, accountsetup.MinInterval)
	}

	m, closeStore, err := acctManager(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer closeStore()
	a, s, cals, code := settingsLoad(ctx, env, m, *accountID)
	if code != exitOK {
		return code
	}
	if set["calendar"] {
		s.CalendarID = *calendar
	}
	if *direction != "" {
		s.Direction = *direction
	}
	if set["types"] {
		s.Types = parsedTypes
	}
	if *importType != "" {
		s.ImportType = store.ActivityType(*importType)
	}
	if set["backfill-from"] {
		s.BackfillFrom = backfillAt
	}
	if set["interval"] {
		s.Interval = *interval
	}
	if *conflicts != "" {
		s.ConflictPolicy = *conflicts
	}
	if set["window-past-days"] {
		s.WindowPastDays = *pastDays
	}
	if set["window-future-days"] {
		s.WindowFutureDays = *futureDays
	}
	if *enable {
		s.Enabled = true
	}
	if *disable {
		s.Enabled = false
	}
	if err := accountsetup.ValidateSettings(s, cals); err != nil {
		fmt.Fprintf(env.Stderr, "calsync: not saved: %v\n", err)
		if s.CalendarID == "" || !settingsKnown(cals, s.CalendarID) {
			fmt.Fprintf(env.Stderr, "The calendars are listed by: calsync calendars --account %s\n", a.ID)
		}
		return exitFailure
	}

	prepared := m.Prepare(s)
	p, perr := m.Preview(ctx, prepared)
	if *preview || *dryRun {
		if perr != nil {
			return settingsPreviewFailed(env, a, perr)
		}
		fmt.Fprintf(env.Stdout, "Dry run, nothing saved: %s.\n", p.Sentence())
		return exitOK
	}
	saved, err := m.ApplySettings(ctx, s)
	if err != nil {
		return failf(env, "not saved: %v", err)
	}
	cal, known := settingsCalendar(cals, saved.CalendarID)
	fmt.Fprintln(env.Stdout, "Saved.")
	settingsPrint(env.Stdout, a, saved, cal, known, env.Zone())
	if perr != nil {
		fmt.Fprintf(env.Stderr, "calsync: the dry run before saving failed, so calsync cannot say what the first sync will do: %s\n",
			accountsetup.Explain(accountsetup.ChoiceForAccount(a.Kind, a.ServerURL), perr, nil).String())
	} else if saved.Enabled {
		fmt.Fprintf(env.Stdout, "Preview: %s.\n", p.Sentence())
	}
	return exitOK
}

func settingsKnown(cals []store.Calendar, id string) bool {
	_, ok := settingsCalendar(cals, id)
	return ok
}

func settingsPreviewFailed(env *Env, a store.Account, err error) int {
	adv := accountsetup.Explain(accountsetup.ChoiceForAccount(a.Kind, a.ServerURL), err, nil)
	fmt.Fprintf(env.Stderr, "calsync: the dry run failed: %s\n", adv.String())
	if pe, ok := providers.AsError(err); ok && pe.Kind.Retryable() {
		return exitTempFail
	}
	return exitFailure
}

// settingsDuration writes 5m0s as "5m" and 1h0m0s as "1h".
func settingsDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}
