package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/charmbracelet/x/term"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/ui/accountsetup"
	"github.com/calsync/calsync/ui/safetext"
)

// The account, calendars and settings commands share the account screens' logic
// (ui/accountsetup), so the command line and the app say the same thing.

const accountUsage = `calsync account add caldav --url URL --username U [--password-stdin] [--name N] [--provider icloud|fastmail|nextcloud|caldav]
         (without --password-stdin the password is asked for on the terminal, not shown)
       calsync account add google|microsoft [--client-id ID] [--client-secret-stdin | --client-secret-file F] [--name N] [--no-browser]
         (the client secret also comes from CALSYNC_GOOGLE_CLIENT_SECRET; never from the arguments)
       calsync account list [--json]
       calsync account remove ID
       calsync account reconnect ID [--password-stdin] [--no-browser]`

func init() {
	register(&command{
		Name:    "account",
		Summary: "connect, list, reconnect or remove calendar accounts",
		Usage:   accountUsage,
		Run:     runAccount,
	})
}

func runAccount(ctx context.Context, env *Env, args []string) int {
	c := commands["account"]
	if len(args) == 0 {
		return usagef(env, c, "account needs a subcommand: add, list, remove or reconnect")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "add":
		return runAccountAdd(ctx, env, c, rest)
	case "list", "ls":
		return runAccountList(ctx, env, c, rest)
	case "remove", "rm", "delete":
		return runAccountRemove(ctx, env, c, rest)
	case "reconnect":
		return runAccountReconnect(ctx, env, c, rest)
	}
	return usagef(env, c, "unknown account subcommand %q; use add, list, remove or reconnect", sub)
}

// acctManager opens the store and the account manager for a command.
func acctManager(ctx context.Context, env *Env) (*accountsetup.Manager, func(), error) {
	st, err := openStore(ctx, env)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the data directory %s: %w", env.DataDir, err)
	}
	m := accountsetup.NewManager(st, env.Getenv, env.Now)
	return m, func() { st.Close() }, nil
}

// acctParseAccountFlag parses the flags of a command that takes no arguments and needs
// --account ID; what names the command in the message that asks for it. Unless the result is
// exitOK the problem has been reported.
func acctParseAccountFlag(env *Env, c *command, fs *flag.FlagSet, args []string, accountID *string, what string) int {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usagef(env, c, "%v", err)
	}
	if len(pos) > 0 {
		return usagef(env, c, "unexpected arguments %q", pos)
	}
	if *accountID == "" {
		return usagef(env, c, "%s needs --account ID (see `calsync account list`)", what)
	}
	return exitOK
}

// acctWriteJSON prints v as indented JSON, the --json output of the account commands.
func acctWriteJSON(env *Env, v any) int {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return failf(env, "%v", err)
	}
	return exitOK
}

// acctReadClientSecret reads the OAuth client secret from stdin or a file: the first
// line, trimmed (a file saved by an editor ends with a newline).
func acctReadClientSecret(env *Env, fromStdin bool, file string) (string, error) {
	var r io.Reader = env.Stdin
	src := "stdin"
	if !fromStdin {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--client-secret-file: %w", err)
		}
		defer f.Close()
		r, src = io.LimitReader(f, 64<<10), file
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the client secret from %s: %w", src, err)
	}
	if line = strings.TrimSpace(line); line == "" {
		return "", fmt.Errorf("no client secret in %s", src)
	}
	return line, nil
}

// acctReadPassword reads one line from stdin: the password. It is never echoed.
func acctReadPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin: pipe it in, e.g. `pass show icloud-calsync | calsync account add caldav ... --password-stdin`")
	}
	return line, nil
}

// acctCanPrompt reports whether the password can be asked for on the terminal.
func acctCanPrompt(env *Env) bool {
	f, ok := env.Stdin.(*os.File)
	return ok && env.Interactive && term.IsTerminal(f.Fd())
}

// acctPassword reads the password from stdin (--password-stdin) or asks for it on the
// terminal without echoing it, after the provider's guide to app passwords.
func acctPassword(env *Env, fromStdin bool, choice accountsetup.Choice, user string) (string, error) {
	if fromStdin || !acctCanPrompt(env) {
		return acctReadPassword(env.Stdin)
	}
	fmt.Fprintf(env.Stderr, "%s\nApp password for %s (not shown): ", choice.Guide, safetext.Line(user))
	b, err := term.ReadPassword(env.Stdin.(*os.File).Fd())
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if len(b) == 0 {
		return "", errors.New("no password given")
	}
	return string(b), nil
}

// acctPrompter prints what a waiting sign-in needs the person to do, on stderr.
func acctPrompter(env *Env) func(accountsetup.Prompt) {
	return func(p accountsetup.Prompt) {
		switch {
		case p.UserCode != "":
			fmt.Fprintf(env.Stderr, "To sign in, open %s on any device and enter the code:\n\n    %s\n\n",
				safetext.Line(p.VerificationURL), safetext.Line(p.UserCode))
			if !p.ExpiresAt.IsZero() {
				fmt.Fprintf(env.Stderr, "The code expires at %s. Waiting…\n", p.ExpiresAt.In(env.Zone()).Format("15:04:05"))
			}
		case p.AuthURL != "" && p.BrowserOpened:
			fmt.Fprintln(env.Stderr, "(a browser window opened with that address)")
		case p.AuthURL != "":
			fmt.Fprintf(env.Stderr, "Open this address in a browser to sign in:\n\n    %s\n\n"+
				"The browser must run on this computer: the sign-in returns to 127.0.0.1 here. Waiting…\n", safetext.Clean(p.AuthURL))
		}
	}
}

// acctConnectFailed prints why a connection failed, with the next step, and returns 1.
func acctConnectFailed(env *Env, choice accountsetup.Choice, err error) int {
	a := accountsetup.Explain(choice, err, nil)
	fmt.Fprintf(env.Stderr, "calsync: %s\n", a.String())
	if a.Kind != "" && a.Kind.Retryable() {
		return exitTempFail
	}
	return exitFailure
}

func runAccountAdd(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("account add", flag.ContinueOnError)
	serverURL := fs.String("url", "", "CalDAV server URL")
	username := fs.String("username", "", "CalDAV user name")
	passwordStdin := fs.Bool("password-stdin", false, "read the (app) password from stdin")
	name := fs.String("name", "", "display name")
	providerID := fs.String("provider", "", "icloud, fastmail, nextcloud or caldav (guides and URL)")
	clientID := fs.String("client-id", "", "OAuth client ID")
	// A client secret in the arguments shows in `ps` and the shell history: it comes from
	// stdin, a file or CALSYNC_GOOGLE_CLIENT_SECRET. --client-secret VALUE is refused.
	clientSecretArg := fs.String("client-secret", "", "refused: use --client-secret-stdin, --client-secret-file or the environment")
	clientSecretStdin := fs.Bool("client-secret-stdin", false, "read the OAuth client secret from stdin")
	clientSecretFile := fs.String("client-secret-file", "", "read the OAuth client secret from this file")
	noBrowser := fs.Bool("no-browser", false, "do not try to open a browser")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usagef(env, c, "%v", err)
	}
	if len(pos) != 1 {
		return usagef(env, c, "account add needs the provider: google, microsoft or caldav")
	}
	kind := pos[0]
	if flagSet(fs, "client-secret") {
		_ = *clientSecretArg // never echoed: the value is a secret
		secVar := "CALSYNC_" + strings.ToUpper(kind) + "_CLIENT_SECRET"
		return usagef(env, c, "a client secret in the arguments is visible to every user in the process list and stays in your shell history: use --client-secret-stdin, --client-secret-file FILE or %s", secVar)
	}
	if *clientSecretStdin && *clientSecretFile != "" {
		return usagef(env, c, "give the client secret once: --client-secret-stdin or --client-secret-file")
	}
	var choice accountsetup.Choice
	switch kind {
	case "google", "microsoft":
		choice, _ = accountsetup.ChoiceByID(kind)
		if *serverURL != "" || *username != "" || *passwordStdin {
			return usagef(env, c, "%s signs in through the browser: --url, --username and --password-stdin are for caldav", kind)
		}
	case "caldav", "icloud", "fastmail", "nextcloud":
		id := kind
		if *providerID != "" {
			id = *providerID
		}
		ch, ok := accountsetup.ChoiceByID(id)
		if !ok || !ch.IsCalDAV() {
			return usagef(env, c, "--provider %q: use icloud, fastmail, nextcloud or caldav", id)
		}
		*serverURL = accountsetup.NormalizeServerURL(*serverURL)
		if *serverURL == "" {
			*serverURL = ch.ServerURL
		}
		if id == "caldav" && *serverURL != "" {
			ch = accountsetup.ChoiceForServer(*serverURL)
		}
		choice = ch
		if *serverURL == "" {
			return usagef(env, c, "account add caldav needs --url (the server address, e.g. https://cloud.example.org)")
		}
		if err := accountsetup.ValidateServerURL(*serverURL); err != nil {
			return usagef(env, c, "--url: %v", err)
		}
		if strings.TrimSpace(*username) == "" {
			return usagef(env, c, "account add caldav needs --username")
		}
		if !*passwordStdin && !acctCanPrompt(env) {
			return usagef(env, c, "give the password on stdin with --password-stdin (a password in the arguments ends up in your shell history)")
		}
	default:
		return usagef(env, c, "unknown provider %q: use google, microsoft or caldav", kind)
	}

	m, closeStore, err := acctManager(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer closeStore()
	m.NoBrowser = *noBrowser

	d := accountsetup.Draft{Choice: choice, Name: *name, ServerURL: *serverURL, Username: strings.TrimSpace(*username)}
	if choice.IsCalDAV() {
		pw, err := acctPassword(env, *passwordStdin, choice, d.Username)
		if err != nil {
			return usagef(env, c, "%v", err)
		}
		d.Password = pw
	} else {
		d.ClientID, d.ClientSecret = m.ClientDefaults(choice.Kind)
		if *clientID != "" {
			d.ClientID = *clientID
		}
		if *clientSecretStdin || *clientSecretFile != "" {
			cs, err := acctReadClientSecret(env, *clientSecretStdin, *clientSecretFile)
			if err != nil {
				return usagef(env, c, "%v", err)
			}
			d.ClientSecret = cs
		}
		if err := accountsetup.ValidateClientID(d.ClientID); err != nil {
			idVar, _ := accountsetup.ClientEnv(choice.Kind)
			return usagef(env, c, "no OAuth client ID: pass --client-id or set %s.\n%s", idVar, choice.Guide)
		}
	}
	conn, err := m.Connect(ctx, d, acctPrompter(env))
	if err != nil {
		return acctConnectFailed(env, choice, err)
	}
	a, err := m.Save(ctx, conn)
	if err != nil {
		return failf(env, "connected, but not saved: %v", err)
	}
	fmt.Fprintf(env.Stdout, "Connected %s (%s, %s) as account %s.\n", safetext.Line(a.Name), a.Kind, safetext.Line(a.Login), a.ID)
	acctSaySecretPlace(ctx, env, m.Store, a.ID)
	acctPrintCalendars(env, conn)
	calID := "ID"
	for _, cal := range conn.Calendars {
		if cal.Events && !cal.ReadOnly && (calID == "ID" || cal.Primary) {
			calID = cal.ID
		}
	}
	fmt.Fprintf(env.Stdout, "Next: choose how it syncs. See what the first sync would do, then switch it on:\n"+
		"  calsync settings set --account %s --calendar %s --direction two-way --enable --preview\n"+
		"  calsync settings set --account %s --calendar %s --direction two-way --enable\n",
		a.ID, acctShellQuote(calID), a.ID, acctShellQuote(calID))
	return exitOK
}

// acctSaySecretPlace says where the new sign-in's secret went: the keyring, or the
// database and why (a headless machine has no keyring, and the person should know).
func acctSaySecretPlace(ctx context.Context, env *Env, st *store.Store, accountID string) {
	switch loc, _ := store.SecretLocation(ctx, st.DB, accountID); loc {
	case store.InKeyring:
		fmt.Fprintf(env.Stdout, "Its password or token is kept in %s.\n", st.KeyringStatus())
	case store.InDatabase:
		fmt.Fprintf(env.Stdout, "Its password or token is kept in %s, %s (mode 0600).\n",
			st.KeyringStatus(), filepath.Join(st.Dir, store.DBFileName))
	}
}

func acctPrintCalendars(env *Env, conn *accountsetup.Connection) {
	if len(conn.Calendars) == 0 {
		fmt.Fprintln(env.Stdout, "The account has no calendars.")
		return
	}
	fmt.Fprintf(env.Stdout, "%d calendar(s):\n", len(conn.Calendars))
	for _, cal := range conn.Calendars {
		var notes []string
		if cal.Primary {
			notes = append(notes, "primary")
		}
		if cal.ReadOnly {
			notes = append(notes, "read-only")
		}
		if !cal.Events {
			notes = append(notes, "no events")
		}
		n := ""
		if len(notes) > 0 {
			n = " (" + strings.Join(notes, ", ") + ")"
		}
		fmt.Fprintf(env.Stdout, "  %s  %s%s\n", safetext.Line(cal.ID), safetext.Line(cal.Name), n)
	}
}

// accountJSON is an account as `account list --json` prints it: never a secret.
type accountJSON struct {
	store.Account
	Calendars int `json:"calendars"`
	// SecretStoredIn says where its token or password lives: keyring, database, or ""
	// when it has none (never the secret itself).
	SecretStoredIn string `json:"secret_stored_in"`
}

func runAccountList(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("account list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return usagef(env, c, "%v", err)
	}
	if len(pos) > 0 {
		return usagef(env, c, "account list takes no arguments, got %q", pos)
	}
	m, closeStore, err := acctManager(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer closeStore()
	as, err := m.Accounts(ctx)
	if err != nil {
		return failf(env, "cannot read the accounts: %v", err)
	}
	if *asJSON {
		out := make([]accountJSON, 0, len(as))
		for _, a := range as {
			cals, _ := m.Calendars(ctx, a.ID)
			loc, _ := store.SecretLocation(ctx, m.Store.DB, a.ID)
			out = append(out, accountJSON{Account: a, Calendars: len(cals), SecretStoredIn: loc})
		}
		return acctWriteJSON(env, out)
	}
	if len(as) == 0 {
		fmt.Fprintln(env.Stdout, "No accounts. Add one with `calsync account add google|microsoft|caldav`.")
		return exitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPROVIDER\tLOGIN\tSTATE\tSECRET IN\tLAST SYNC\tLAST ERROR")
	inDB := 0
	for _, a := range as {
		loc, _ := store.SecretLocation(ctx, m.Store.DB, a.ID)
		switch loc {
		case "":
			loc = "none"
		case store.InDatabase:
			inDB++
		}
		last := "never"
		if a.LastSyncAt != nil {
			last = a.LastSyncAt.In(env.Zone()).Format("2006-01-02 15:04")
		}
		lastErr := "-"
		if a.LastErrorKind != "" {
			lastErr = safetext.Line(a.LastErrorKind)
			if a.LastErrorMessage != "" {
				lastErr += ": " + safetext.Line(a.LastErrorMessage)
			}
		}
		// Every stored field is cleaned: a table is drawn on a terminal too.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", safetext.Line(a.ID), safetext.Line(a.Name), safetext.Line(a.Kind),
			safetext.Line(a.Login), safetext.Line(a.State), loc, last, lastErr)
	}
	tw.Flush()
	if inDB > 0 {
		// Say why, so "database" on a desktop is a surprise to look into, not a mystery.
		fmt.Fprintf(env.Stdout, "\nSecrets marked database are in %s (mode 0600); new ones go to %s.\n",
			filepath.Join(m.Store.Dir, store.DBFileName), m.Store.KeyringStatus())
	}
	for _, a := range as {
		if a.State == store.AccountNeedsReauth {
			fmt.Fprintf(env.Stdout, "\n%s needs a fresh sign-in: calsync account reconnect %s\n", safetext.Line(a.Name), a.ID)
		}
	}
	return exitOK
}

// acctOneID parses an ID argument and the given flags.
func acctOneID(env *Env, c *command, fs *flag.FlagSet, args []string, what string) (string, int) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return "", usagef(env, c, "%v", err)
	}
	if len(pos) != 1 {
		return "", usagef(env, c, "account %s needs one account ID (see `calsync account list`)", what)
	}
	return pos[0], -1
}

func acctNotFound(env *Env, id string, err error) int {
	if errors.Is(err, store.ErrNotFound) {
		return failf(env, "no account %q (see `calsync account list`)", id)
	}
	return failf(env, "%v", err)
}

func runAccountRemove(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("account remove", flag.ContinueOnError)
	id, code := acctOneID(env, c, fs, args, "remove")
	if code >= 0 {
		return code
	}
	m, closeStore, err := acctManager(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer closeStore()
	a, err := store.GetAccount(ctx, m.Store.DB, id)
	if err != nil {
		return acctNotFound(env, id, err)
	}
	if err := m.Remove(ctx, id); err != nil {
		return failf(env, "cannot remove account %s: %v", id, err)
	}
	fmt.Fprintf(env.Stdout, "Removed %s (%s). Its activities stay in the CRM; events already in the calendar stay there.\n",
		safetext.Line(a.Name), id)
	// Its links are gone: adding the same calendar again cannot tell the events made there
	// from new ones.
	fmt.Fprintln(env.Stdout, "If you add this calendar again, the events made in it are imported a second time; "+
		"`calsync doctor --symptom duplicates` merges them. (Next time, "+
		"`calsync settings set --account ID --disable` pauses sync and keeps the links.)")
	return exitOK
}

func runAccountReconnect(ctx context.Context, env *Env, c *command, args []string) int {
	fs := flag.NewFlagSet("account reconnect", flag.ContinueOnError)
	passwordStdin := fs.Bool("password-stdin", false, "read the new (app) password from stdin")
	noBrowser := fs.Bool("no-browser", false, "do not try to open a browser")
	clientID := fs.String("client-id", "", "OAuth client ID (default: the account's)")
	id, code := acctOneID(env, c, fs, args, "reconnect")
	if code >= 0 {
		return code
	}
	m, closeStore, err := acctManager(ctx, env)
	if err != nil {
		return failf(env, "%v", err)
	}
	defer closeStore()
	m.NoBrowser = *noBrowser
	a, err := store.GetAccount(ctx, m.Store.DB, id)
	if err != nil {
		return acctNotFound(env, id, err)
	}
	choice := accountsetup.ChoiceForAccount(a.Kind, a.ServerURL)
	d := accountsetup.Draft{Choice: choice, Name: a.Name, ServerURL: a.ServerURL, Username: a.Login,
		ClientID: a.ClientID, ReconnectID: a.ID}
	if choice.IsCalDAV() {
		if !*passwordStdin && !acctCanPrompt(env) {
			return usagef(env, c, "reconnecting a CalDAV account needs the new password on stdin: --password-stdin")
		}
		pw, err := acctPassword(env, *passwordStdin, choice, a.Login)
		if err != nil {
			return usagef(env, c, "%v", err)
		}
		d.Password = pw
	} else {
		envID, envSecret := m.ClientDefaults(choice.Kind)
		if *clientID != "" {
			d.ClientID = *clientID
		}
		if d.ClientID == "" {
			d.ClientID = envID
		}
		if d.ClientID == envID {
			d.ClientSecret = envSecret
		}
		if err := accountsetup.ValidateClientID(d.ClientID); err != nil {
			idVar, _ := accountsetup.ClientEnv(choice.Kind)
			return usagef(env, c, "no OAuth client ID: pass --client-id or set %s", idVar)
		}
	}
	conn, err := m.Connect(ctx, d, acctPrompter(env))
	if err != nil {
		return acctConnectFailed(env, choice, err)
	}
	saved, err := m.Save(ctx, conn)
	if err != nil {
		return failf(env, "signed in, but not saved: %v", err)
	}
	fmt.Fprintf(env.Stdout, "Reconnected %s (%s). Its sync settings and links are kept.\n",
		safetext.Line(saved.Name), saved.ID)
	acctSaySecretPlace(ctx, env, m.Store, saved.ID)
	return exitOK
}

// acctShellQuote quotes s for a copy-pasted command line when it holds anything unusual.
func acctShellQuote(s string) string {
	s = safetext.Line(s)
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._-/:+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
