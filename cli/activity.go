package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/safetext"
)

const activityUsage = `calsync activity add --subject S [--type T] [--start TIME] [--duration 30m] [--owner ID] [--note N] [--location L] [--json]
       calsync activity list [--owner me|all|ID] [--type T,...] [--status todo|done|all]
                             [--period overdue|today|tomorrow|this-week|next-week|all] [--search Q]
                             [--limit N] [--offset N] [--json]
       calsync activity show ID [--json]
       calsync activity done ID [--undo] [--json]
       calsync activity edit ID [--subject S] [--type T] [--start TIME] [--duration D] [--owner ID] [--note N] [--location L] [--json]
       calsync activity delete ID [--json]
       calsync activity revert ID [--json]
types: call, meeting, task, deadline, email, lunch
TIME, in your time zone: 2026-11-26 14:00 | 2026-11-26 (all day) | today 14:00 | tomorrow 9:30 | today | tomorrow | 14:00 | RFC 3339
ID: the full id, or its first or last characters (the list shows the last 8), as long as they are unique`

func init() {
	register(&command{
		Name:    "activity",
		Summary: "add, list, show, edit, complete and delete activities",
		Usage:   activityUsage,
		Run:     runActivity,
	})
}

// activitySubUsage is each subcommand's usage, printed with its usage errors.
var activitySubUsage = map[string]string{
	"add": `calsync activity add --subject S [--type T] [--start TIME] [--duration 30m] [--owner ID] [--note N] [--location L] [--json]
  types: call, meeting, task (default), deadline, email, lunch
  TIME, in your time zone: 2026-11-26 14:00 | 2026-11-26 (all day) | today 14:00 | tomorrow 9:30 | today | tomorrow | 14:00 | RFC 3339
  (default: the next full hour)`,
	"list": `calsync activity list [--owner me|all|ID] [--type T,...] [--status todo|done|all]
                      [--period overdue|today|tomorrow|this-week|next-week|all] [--search Q] [--limit N] [--offset N] [--json]
  defaults: --owner me --status todo --period all --limit 100`,
	"show":   "calsync activity show ID [--json]",
	"done":   "calsync activity done ID [--undo] [--json]",
	"edit":   "calsync activity edit ID [--subject S] [--type T] [--start TIME] [--duration D] [--owner ID] [--note N] [--location L] [--json]",
	"delete": "calsync activity delete ID [--json]",
	"revert": revertUsage,
}

func runActivity(ctx context.Context, env *Env, args []string) int {
	c := commands["activity"]
	if len(args) == 0 {
		return usagef(env, c, "activity needs a subcommand: add, list, show, done, edit, delete or revert")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "ls":
		sub = "list"
	case "rm":
		sub = "delete"
	case "help", "-h", "--help":
		fmt.Fprintf(env.Stdout, "usage: %s\n", activityUsage)
		return exitOK
	}
	run := map[string]func(context.Context, *Env, *command, []string) int{
		"add": runActivityAdd, "list": runActivityList, "show": runActivityShow,
		"done": runActivityDone, "edit": runActivityEdit, "delete": runActivityDelete, "revert": runActivityRevert,
	}[sub]
	if run == nil {
		return usagef(env, c, "unknown activity subcommand %q; accepted: add, list, show, done, edit, delete, revert", sub)
	}
	usage := activitySubUsage[sub]
	if sub == "show" || sub == "done" || sub == "edit" || sub == "delete" || sub == "revert" {
		usage += "\n  ID: the full id, or its first or last characters (the list shows the last 8), as long as they are unique"
	}
	return run(ctx, env, &command{Name: "activity " + sub, Usage: usage}, rest)
}

func actFlagErr(env *Env, c *command, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(env.Stdout, "usage: %s\n", c.Usage)
		return exitOK
	}
	return usagef(env, c, "%v", err)
}

// actSession is an open store with what every activity command needs.
type actSession struct {
	st  *store.Store
	loc *time.Location
	me  store.User
	now time.Time
}

// actOpen opens the store; the first run of any command makes the person "me".
func actOpen(ctx context.Context, env *Env) (*actSession, error) {
	st, err := openStore(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("cannot open the data directory %s: %w", env.DataDir, err)
	}
	now := env.Now()
	me, err := store.EnsureMe(ctx, st.DB, env.Getenv("USER"), now)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("cannot prepare the data directory %s: %w", env.DataDir, err)
	}
	loc, err := store.UserLocation(ctx, st.DB)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calsync: %v\n", err)
	}
	return &actSession{st: st, loc: loc, me: me, now: now}, nil
}

// parseWhen reads --start in loc: store.ParseWhen, shared with the app's add/edit form so
// both accept the same forms (store.WhenForms). A date without a time is all day.
func parseWhen(s string, loc *time.Location, now time.Time) (t time.Time, allDay bool, err error) {
	return store.ParseWhen(s, loc, now)
}

// parseDurationFlag reads "30m", "1h30m", "90" (minutes) or "0".
func parseDurationFlag(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Minute, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("cannot read %q as a duration; accepted: 30m, 1h, 1h30m, 90 (minutes) or 0", s)
	}
	return d, nil
}

// resolveOwner turns me, a user id, a unique id prefix or a unique name into a user id.
func resolveOwner(ctx context.Context, h store.Handler, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "me") {
		return store.OwnerMe, nil
	}
	users, err := store.ListUsers(ctx, h)
	if err != nil {
		return "", err
	}
	var byPrefix, byName []store.User
	for _, u := range users {
		if u.ID == s {
			return u.ID, nil
		}
		if strings.HasPrefix(u.ID, s) {
			byPrefix = append(byPrefix, u)
		}
		if strings.EqualFold(u.Name, s) {
			byName = append(byName, u)
		}
	}
	if len(byPrefix) == 1 {
		return byPrefix[0].ID, nil
	}
	if len(byName) == 1 {
		return byName[0].ID, nil
	}
	var known []string
	for _, u := range users {
		known = append(known, fmt.Sprintf("%s (%s)", u.ID, safetext.Line(u.Name)))
	}
	return "", fmt.Errorf("no single user matches %q; accepted: me, or one of %s", s, strings.Join(known, ", "))
}

// fieldFlag names the command-line flag behind a store field.
func fieldFlag(field string) string {
	if i := strings.LastIndex(field, "."); i >= 0 {
		field = field[i+1:]
	}
	switch field {
	case "time_zone":
		return "time zone"
	case "is_me", "id", "name":
		return field
	}
	return "--" + field
}

// storeErr turns a store error into the right exit: bad input is a usage error (2).
func storeErr(env *Env, c *command, err error) int {
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		return usagef(env, c, "%s: %s", fieldFlag(ve.Field), ve.Problem)
	}
	return failf(env, "%v", err)
}

// actOpenNamed opens the store and reads the activity the one ID argument names: how show,
// done and delete begin. Unless code is exitOK the problem has been reported and the store
// is closed again; otherwise the caller closes s.st.
func actOpenNamed(ctx context.Context, env *Env, c *command, pos []string) (s *actSession, a store.Activity, code int) {
	s, err := actOpen(ctx, env)
	if err != nil {
		return nil, store.Activity{}, failf(env, "%v", err)
	}
	id, code := s.resolveID(ctx, env, c, pos)
	if code == exitOK {
		if a, err = store.GetActivity(ctx, s.st.DB, id); err != nil {
			code = failf(env, "%v", err)
		}
	}
	if code != exitOK {
		s.st.Close()
		return nil, store.Activity{}, code
	}
	return s, a, exitOK
}

// resolveID finds the activity an ID argument names.
func (s *actSession) resolveID(ctx context.Context, env *Env, c *command, pos []string) (string, int) {
	if len(pos) != 1 {
		return "", usagef(env, c, "give exactly one activity ID (got %d arguments); `calsync activity list` shows the ids", len(pos))
	}
	id, err := store.ResolveActivityID(ctx, s.st.DB, pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return "", failf(env, "no activity has an id starting with %q; `calsync activity list --owner all --status all` shows them all", pos[0])
	}
	if err != nil {
		// Whatever is wrong with the ID (no such activity, not an id at all, more than
		// one match) the person must look it up: 1, as explain and doctor --activity.
		return "", failf(env, "%v", err)
	}
	return id, exitOK
}

func runActivityAdd(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("activity add", flag.ContinueOnError)
	subject := fs.String("subject", "", "what the activity is")
	typ := fs.String("type", "task", "call, meeting, task, deadline, email or lunch")
	start := fs.String("start", "", "when it starts")
	dur := fs.String("duration", "0", "how long")
	owner := fs.String("owner", "me", "whose it is")
	note := fs.String("note", "", "a note")
	location := fs.String("location", "", "where")
	asJSON := fs.Bool("json", false, "print the new activity as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return actFlagErr(env, c, err)
	}
	if len(pos) > 0 {
		return usagef(env, c, "unexpected argument %q (put the subject in --subject \"...\")", pos[0])
	}
	if !flagSet(fs, "subject") {
		return usagef(env, c, "--subject is required: say what the activity is")
	}
	t, err := store.ParseActivityType(*typ)
	if err != nil {
		return usagef(env, c, "--type: %s", err.(*store.ValidationError).Problem)
	}
	d, err := parseDurationFlag(*dur)
	if err != nil {
		return usagef(env, c, "--duration: %v", err)
	}
	s, err := actOpen(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer s.st.Close()
	in := store.ActivityInput{Type: t, Subject: *subject, Note: *note, Location: *location,
		Duration: d, TimeZone: store.TimeZoneName(s.loc)}
	if flagSet(fs, "start") {
		when, allDay, err := parseWhen(*start, s.loc, s.now)
		if err != nil {
			return usagef(env, c, "--start: %v", err)
		}
		in.Start, in.AllDay = when, allDay
	} else {
		// No time given: the next full hour, so it shows up as upcoming today.
		in.Start = s.now.In(s.loc).Truncate(time.Hour).Add(time.Hour)
	}
	if in.OwnerID, err = resolveOwner(ctx, s.st.DB, *owner); err != nil {
		return usagef(env, c, "--owner: %v", err)
	}
	a, err := store.CreateActivity(ctx, s.st.DB, in, s.now)
	if err != nil {
		return storeErr(env, c, err)
	}
	return s.printActivity(ctx, env, a, *asJSON, "Added")
}

func runActivityList(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("activity list", flag.ContinueOnError)
	owner := fs.String("owner", "me", "me, all or a user id")
	types := fs.String("type", "", "comma-separated types")
	status := fs.String("status", store.StatusTodo, "todo, done or all")
	period := fs.String("period", store.PeriodAll, "overdue, today, tomorrow, this-week, next-week or all")
	search := fs.String("search", "", "text in subject, location or note")
	limit := fs.Int("limit", 100, "list at most N")
	offset := fs.Int("offset", 0, "skip the first N")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return actFlagErr(env, c, err)
	}
	if len(pos) > 0 {
		return usagef(env, c, "unexpected argument %q (to search, use --search %q)", pos[0], pos[0])
	}
	if *limit < 0 || *offset < 0 {
		return usagef(env, c, "--limit and --offset must be 0 or more")
	}
	f := store.ListFilter{Status: *status, Period: *period, Search: *search}
	for _, t := range strings.Split(*types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			f.Types = append(f.Types, store.ActivityType(t))
		}
	}
	// Check the values before touching the data directory.
	if err := (store.ListFilter{Owner: store.OwnerAll, Types: f.Types, Status: f.Status, Period: f.Period, Search: f.Search}).Validate(); err != nil {
		return storeErr(env, c, err)
	}
	s, err := actOpen(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer s.st.Close()
	switch strings.ToLower(strings.TrimSpace(*owner)) {
	case "all":
		f.Owner = store.OwnerAll
	default:
		if f.Owner, err = resolveOwner(ctx, s.st.DB, *owner); err != nil {
			return usagef(env, c, "--owner: %v", err)
		}
	}
	p, err := store.ListActivities(ctx, s.st.DB, f, s.loc, s.now, *offset, *limit)
	if err != nil {
		return storeErr(env, c, err)
	}
	if *asJSON {
		return s.writeJSON(env, listJSON(f, p, s.loc))
	}
	s.printTable(env.Stdout, p)
	printListFooter(env.Stdout, p, len(p.Rows))
	return exitOK
}

func runActivityShow(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("activity show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return actFlagErr(env, c, err)
	}
	s, a, code := actOpenNamed(ctx, env, c, pos)
	if code != exitOK {
		return code
	}
	defer s.st.Close()
	return s.printActivity(ctx, env, a, *asJSON, "")
}

func runActivityDone(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("activity done", flag.ContinueOnError)
	undo := fs.Bool("undo", false, "mark it to do again")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return actFlagErr(env, c, err)
	}
	s, before, code := actOpenNamed(ctx, env, c, pos)
	if code != exitOK {
		return code
	}
	defer s.st.Close()
	id := before.ID
	a, err := store.SetActivityDone(ctx, s.st.DB, id, !*undo, s.now)
	if errors.Is(err, store.ErrDeleted) {
		return failf(env, "activity %s was deleted; it cannot be marked done", shortID(id))
	}
	if err != nil {
		return storeErr(env, c, err)
	}
	verb := "Marked done"
	switch {
	case *undo && before.Rev == a.Rev:
		verb = "Already to do"
	case *undo:
		verb = "Marked to do again"
	case before.Rev == a.Rev:
		verb = "Already done"
	}
	return s.printActivity(ctx, env, a, *asJSON, verb)
}

func runActivityEdit(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("activity edit", flag.ContinueOnError)
	subject := fs.String("subject", "", "")
	typ := fs.String("type", "", "")
	start := fs.String("start", "", "")
	dur := fs.String("duration", "", "")
	owner := fs.String("owner", "", "")
	note := fs.String("note", "", "")
	location := fs.String("location", "", "")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return actFlagErr(env, c, err)
	}
	var p store.ActivityPatch
	if flagSet(fs, "subject") {
		p.Subject = subject
	}
	if flagSet(fs, "note") {
		p.Note = note
	}
	if flagSet(fs, "location") {
		p.Location = location
	}
	if flagSet(fs, "type") {
		t, err := store.ParseActivityType(*typ)
		if err != nil {
			return usagef(env, c, "--type: %s", err.(*store.ValidationError).Problem)
		}
		p.Type = &t
	}
	if flagSet(fs, "duration") {
		d, err := parseDurationFlag(*dur)
		if err != nil {
			return usagef(env, c, "--duration: %v", err)
		}
		p.Duration = &d
	}
	s, err := actOpen(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer s.st.Close()
	if flagSet(fs, "start") {
		when, allDay, err := parseWhen(*start, s.loc, s.now)
		if err != nil {
			return usagef(env, c, "--start: %v", err)
		}
		tz := store.TimeZoneName(s.loc)
		p.Start, p.AllDay, p.TimeZone = &when, &allDay, &tz
	}
	if flagSet(fs, "owner") {
		o, err := resolveOwner(ctx, s.st.DB, *owner)
		if err != nil {
			return usagef(env, c, "--owner: %v", err)
		}
		p.OwnerID = &o
	}
	id, code := s.resolveID(ctx, env, c, pos)
	if code != exitOK {
		return code
	}
	if p.IsEmpty() {
		return usagef(env, c, "nothing to change: give at least one of --subject, --type, --start, --duration, --owner, --note, --location")
	}
	before, err := store.GetActivity(ctx, s.st.DB, id)
	if err != nil {
		return failf(env, "%v", err)
	}
	if code := refuseCalendarEdit(ctx, env, s.st, id, "edited"); code != exitOK {
		return code
	}
	a, err := store.UpdateActivity(ctx, s.st.DB, id, p, s.now)
	if errors.Is(err, store.ErrDeleted) {
		return failf(env, "activity %s was deleted; it cannot be edited", shortID(id))
	}
	if err != nil {
		return storeErr(env, c, err)
	}
	verb := "Updated"
	if a.Rev == before.Rev {
		verb = "No change to"
	}
	return s.printActivity(ctx, env, a, *asJSON, verb)
}

func runActivityDelete(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("activity delete", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return actFlagErr(env, c, err)
	}
	s, before, code := actOpenNamed(ctx, env, c, pos)
	if code != exitOK {
		return code
	}
	defer s.st.Close()
	if before.DeletedAt == nil {
		if code := refuseCalendarEdit(ctx, env, s.st, before.ID, "deleted"); code != exitOK {
			return code
		}
	}
	a, err := store.DeleteActivity(ctx, s.st.DB, before.ID, s.now)
	if err != nil {
		return storeErr(env, c, err)
	}
	verb := "Deleted"
	if before.DeletedAt != nil {
		verb = "Already deleted"
	}
	return s.printActivity(ctx, env, a, *asJSON, verb)
}

// shortID is what the list shows of an id: its last 8 characters. UUIDv7 ids begin with
// their creation time, so activities made in the same minute share a long prefix; the
// end is random.
func shortID(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// ---- output ----

// activityJSON is the stable JSON form of an activity (and of a list row).
type activityJSON struct {
	ID              string     `json:"id"`
	Type            string     `json:"type"`
	Subject         string     `json:"subject"`
	Note            string     `json:"note"`
	Location        string     `json:"location"`
	OwnerID         string     `json:"owner_id"`
	OwnerName       string     `json:"owner_name"`
	Start           time.Time  `json:"start"`
	StartLocal      string     `json:"start_local"`
	TimeZone        string     `json:"time_zone"`
	AllDay          bool       `json:"all_day"`
	DurationMinutes int64      `json:"duration_minutes"`
	Done            bool       `json:"done"`
	DoneAt          *time.Time `json:"done_at"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	DeletedAt       *time.Time `json:"deleted_at"`
	Rev             int64      `json:"rev"`
	Origin          string     `json:"origin"`
	Sync            *syncJSON  `json:"sync"`
	// Accounts is the activity's state in each calendar it belongs in (Sync is the most
	// relevant link only).
	Accounts []store.AccountSync `json:"accounts,omitempty"`
}

type syncJSON struct {
	State        string     `json:"state"` // pending | synced | error | quarantined
	AccountID    string     `json:"account_id"`
	CalendarID   string     `json:"calendar_id"`
	RemoteID     string     `json:"remote_id"`
	Error        string     `json:"error"`
	LastSyncedAt *time.Time `json:"last_synced_at"`
}

func toJSON(r store.ActivityRow, loc *time.Location) activityJSON {
	j := activityJSON{ID: r.ID, Type: string(r.Type), Subject: r.Subject, Note: r.Note, Location: r.Location,
		OwnerID: r.OwnerID, OwnerName: r.OwnerName, Start: r.Start, StartLocal: r.Start.In(loc).Format(time.RFC3339),
		TimeZone: r.TimeZone, AllDay: r.AllDay, DurationMinutes: int64(r.Duration / time.Minute), Done: r.Done,
		DoneAt: r.DoneAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, DeletedAt: r.DeletedAt, Rev: r.Rev,
		Origin: r.Origin}
	if r.SyncState != "" {
		j.Sync = &syncJSON{State: r.SyncState, AccountID: r.LinkAccountID, CalendarID: r.LinkCalendarID,
			RemoteID: r.LinkRemoteID, Error: r.LinkError, LastSyncedAt: r.LastSyncedAt}
	}
	j.Accounts = r.Accounts
	return j
}

type listOutput struct {
	Filter   store.ListFilter `json:"filter"`
	Total    int              `json:"total"`
	Shown    int              `json:"shown"`
	Hidden   int              `json:"hidden"`
	HiddenBy map[string]int   `json:"hidden_by"`
	Offset   int              `json:"offset"`
	Rows     []activityJSON   `json:"rows"`
}

func listJSON(f store.ListFilter, p store.ListPage, loc *time.Location) listOutput {
	if f.Types == nil {
		f.Types = []store.ActivityType{}
	}
	out := listOutput{Filter: f, Total: p.Total, Shown: p.Shown, Hidden: p.Hidden, HiddenBy: p.HiddenBy,
		Offset: p.Offset, Rows: []activityJSON{}}
	for _, r := range p.Rows {
		out.Rows = append(out.Rows, toJSON(r, loc))
	}
	return out
}

func (s *actSession) writeJSON(env *Env, v any) int {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return failf(env, "write JSON: %v", err)
	}
	return exitOK
}

// row reads the activity as the list shows it (owner name, sync state).
func (s *actSession) row(ctx context.Context, a store.Activity) store.ActivityRow {
	r, err := store.GetActivityRow(ctx, s.st.DB, a.ID)
	if err != nil {
		return store.ActivityRow{Activity: a}
	}
	r.Activity = a
	return r
}

// printActivity prints one activity: a one-line confirmation after a change (verb), the
// full card for show (verb ""), or JSON.
func (s *actSession) printActivity(ctx context.Context, env *Env, a store.Activity, asJSON bool, verb string) int {
	r := s.row(ctx, a)
	if asJSON {
		return s.writeJSON(env, toJSON(r, s.loc))
	}
	w := env.Stdout
	if verb != "" {
		fmt.Fprintf(w, "%s %s %q — %s, %s\n", verb, a.Type, truncCell(safetext.Line(a.Subject), 60), formatDue(a, s.loc, s.now), safetext.Line(r.OwnerName))
		fmt.Fprintf(w, "id %s\n", a.ID)
		if verb == "Deleted" {
			fmt.Fprintln(w, "It stays as a tombstone so that sync removes its calendar event too.")
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	line("id", a.ID)
	line("subject", safetext.Line(a.Subject))
	line("type", string(a.Type))
	line("owner", fmt.Sprintf("%s (%s)", safetext.Line(r.OwnerName), a.OwnerID))
	zone := store.TimeZoneName(s.loc)
	line("due", formatDue(a, s.loc, s.now)+" ("+zone+")")
	if a.TimeZone != "" && a.TimeZone != zone {
		line("planned in", a.TimeZone)
	}
	line("duration", formatDuration(a.Duration))
	status := "to do"
	if a.Done {
		status = "done"
		if a.DoneAt != nil {
			status += " " + a.DoneAt.In(s.loc).Format("2006-01-02 15:04")
		}
	}
	line("status", status)
	if a.Location != "" {
		line("location", safetext.Line(a.Location))
	}
	line("sync", syncCell(r))
	if _, of := r.SyncedIn(); of > 1 {
		for _, as := range r.Accounts {
			name := as.AccountName
			if name == "" {
				name = as.AccountID
			}
			state := as.State
			if state == store.SyncNone {
				state = "not in it"
			}
			line("  in "+safetext.Line(name), state)
		}
	}
	if r.LinkError != "" {
		line("sync error", safetext.Line(r.LinkError))
	}
	if r.LinkRemoteID != "" {
		line("calendar event", safetext.Line(r.LinkAccountID+" / "+r.LinkCalendarID+" / "+r.LinkRemoteID))
	}
	line("origin", safetext.Line(a.Origin))
	line("revision", strconv.FormatInt(a.Rev, 10))
	line("created", a.CreatedAt.In(s.loc).Format("2006-01-02 15:04"))
	line("updated", a.UpdatedAt.In(s.loc).Format("2006-01-02 15:04"))
	if a.DeletedAt != nil {
		line("deleted", a.DeletedAt.In(s.loc).Format("2006-01-02 15:04")+" (kept as a tombstone)")
	}
	tw.Flush()
	if a.Note != "" {
		fmt.Fprintln(w, "note:")
		for _, l := range strings.Split(a.Note, "\n") {
			fmt.Fprintf(w, "  %s\n", safetext.Line(l))
		}
	}
	return exitOK
}

// syncCell is the activity's sync state; per account when it belongs in several
// calendars ("2/3 synced"), so one calendar's "synced" never stands for all.
func syncCell(r store.ActivityRow) string {
	if synced, of := r.SyncedIn(); of > 1 && r.SyncState != "" {
		bad := false
		for _, a := range r.Accounts {
			bad = bad || a.State == store.SyncError || a.State == store.SyncQuarantined
		}
		if bad {
			return fmt.Sprintf("error %d/%d", synced, of)
		}
		return fmt.Sprintf("%d/%d synced", synced, of)
	}
	if r.SyncState == "" {
		return "not linked"
	}
	return r.SyncState
}

// formatDue shows when an activity is due in the person's time zone, with the year only
// when it is not this year.
func formatDue(a store.Activity, loc *time.Location, now time.Time) string {
	t := a.Start.In(loc)
	if a.AllDay {
		// An all-day activity is a date in its own zone; show that date.
		if z, err := time.LoadLocation(a.TimeZone); err == nil {
			t = a.Start.In(z)
		}
	}
	layout := "Mon 02 Jan"
	if t.Year() != now.In(loc).Year() {
		layout = "Mon 02 Jan 2006"
	}
	if a.AllDay {
		return t.Format(layout) + " all day"
	}
	return t.Format(layout + " 15:04")
}

func formatDuration(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

// truncCell cuts s to at most n terminal cells, ending in "…" when cut.
func truncCell(s string, n int) string {
	if runewidth.StringWidth(s) <= n {
		return s
	}
	return runewidth.Truncate(s, n, "…")
}

// padCell pads s with spaces to n terminal cells (tabwriter counts runes, not cells).
func padCell(s string, n int) string {
	return runewidth.FillRight(truncCell(s, n), n)
}

func (s *actSession) printTable(w io.Writer, p store.ListPage) {
	if len(p.Rows) == 0 {
		return
	}
	const subjW, ownerW = 40, 14
	fmt.Fprintf(w, "%-8s  %-8s  %s  %s  %-22s  %-6s  %-4s  %s\n", "ID", "TYPE", padCell("SUBJECT", subjW),
		padCell("OWNER", ownerW), "DUE", "DUR", "DONE", "SYNC")
	for _, r := range p.Rows {
		done := ""
		if r.Done {
			done = "✓"
		}
		sync := syncCell(r)
		if sync == "not linked" {
			sync = "-"
		}
		fmt.Fprintf(w, "%-8s  %-8s  %s  %s  %-22s  %-6s  %s  %s\n", shortID(r.ID), r.Type,
			padCell(safetext.Line(r.Subject), subjW), padCell(safetext.Line(r.OwnerName), ownerW),
			formatDue(r.Activity, s.loc, s.now), formatDuration(r.Duration), padCell(done, 4), sync)
	}
}

// resetFlag says how to undo one filter on the command line.
var resetFlag = map[string]string{
	store.DimOwner:  "--owner all",
	store.DimType:   "no --type",
	store.DimStatus: "--status all",
	store.DimPeriod: "--period all",
	store.DimSearch: "no --search",
}

// printListFooter says how many activities the filters hide, and which filter hides how
// many — the first thing to know when "my activity doesn't show up".
func printListFooter(w io.Writer, p store.ListPage, listed int) {
	line := fmt.Sprintf("Showing %d of %d", p.Shown, p.Total)
	if p.Hidden > 0 {
		var parts []string
		single := 0
		for _, h := range p.HiddenList() {
			parts = append(parts, fmt.Sprintf("%s %d", h.Dim, h.Count))
			single += h.Count
		}
		if rest := p.Hidden - single; rest > 0 {
			parts = append(parts, fmt.Sprintf("%d by more than one filter", rest))
		}
		line += fmt.Sprintf(" — filters hide %d (%s)", p.Hidden, strings.Join(parts, ", "))
	}
	fmt.Fprintln(w, line)
	if listed < p.Shown {
		fmt.Fprintf(w, "Listed %d to %d of the %d; use --offset and --limit for more.\n", p.Offset+min(1, listed), p.Offset+listed, p.Shown)
	}
	if p.Hidden > 0 {
		var how []string
		for _, h := range p.HiddenList() {
			how = append(how, fmt.Sprintf("%s (+%d)", resetFlag[h.Dim], h.Count))
		}
		if len(how) > 0 {
			fmt.Fprintf(w, "To see hidden ones: %s.\n", strings.Join(how, ", "))
		}
	}
}
