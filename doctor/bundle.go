package doctor

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/calsync/calsync/store"
)

// BundleOptions say what goes into a support bundle.
type BundleOptions struct {
	// IncludePrivate keeps subjects, notes, locations, names and addresses readable.
	// Secrets are removed either way.
	IncludePrivate bool
	Version        string // calsync's version
	Now            time.Time
	// Report is the doctor's report to include (run offline by the caller: a bundle never
	// writes test data into someone's calendar).
	Report Report
	// JournalTail is how many of the newest journal entries to include (default 500).
	JournalTail int
}

// BundleFiles names the files a bundle holds.
var BundleFiles = []string{"README.txt", "doctor.json", "settings.json", "journal.jsonl", "versions.txt"}

// WriteBundle writes a zip with the doctor's JSON, the settings, the journal tail and the
// versions. Every string is scrubbed: secrets always (tokens, passwords — the stored ones
// and anything that looks like one), personal text unless IncludePrivate. As a last guard
// the finished archive is searched for every stored secret and refused if one is found.
func WriteBundle(ctx context.Context, st *store.Store, w io.Writer, o BundleOptions) error {
	r := NewRedactor(o.IncludePrivate)
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil {
		return err
	}
	var secrets [][]byte
	for _, a := range accts {
		if _, v, err := st.AccountSecret(ctx, a.ID); err == nil {
			r.AddSecret(v)
			secrets = append(secrets, v)
		}
		// The OAuth client secret is kept beside the token and is just as secret.
		if cs, err := st.AccountClientSecret(ctx, a.ID); err == nil && len(bytes.TrimSpace(cs)) >= 4 {
			r.AddSecret(cs)
			secrets = append(secrets, cs)
		}
		r.AddPrivate("account", a.Name)
		r.AddPrivate("address", a.Login)
	}
	if err := registerPrivate(ctx, st, r); err != nil {
		return err
	}
	// Text the person typed into a search is theirs too: the saved one, and the one the
	// report was asked about. Findings quote it (search: "chlo"), so it is registered,
	// short ones in their quoted form.
	if lv, err := store.LoadListView(ctx, st.DB); err == nil {
		r.AddPrivate("search", lv.Search)
	}
	if o.Report.Target != nil {
		r.AddPrivate("search", o.Report.Target.Search)
		r.AddPrivate("subject", o.Report.Target.Subject)
	}

	settings := map[string]any{}
	var accounts []map[string]any
	for _, a := range accts {
		s, _ := store.GetSyncSettings(ctx, st.DB, a.ID)
		cals, _ := store.ListCalendars(ctx, st.DB, a.ID)
		var calOut []map[string]any
		for _, c := range cals {
			calOut = append(calOut, map[string]any{"id": r.Field("calendar-id", c.RemoteID), "name": r.Field("calendar", c.Name),
				"read_only": c.ReadOnly, "primary": c.Primary, "has_events": c.HasEvents, "time_zone": c.TimeZone,
				"chosen": c.RemoteID == s.CalendarID})
		}
		links, _ := store.CountLinksByState(ctx, st.DB, a.ID)
		runs, _ := store.ListRuns(ctx, st.DB, a.ID, 20)
		s.CalendarID = r.Field("calendar-id", s.CalendarID)
		accounts = append(accounts, map[string]any{
			"id": a.ID, "kind": a.Kind, "name": r.Field("account", a.Name), "login": r.Field("address", a.Login),
			"server_host": hostOf(a), "auth_kind": a.AuthKind, "state": a.State, "granted_scopes": a.GrantedScopes,
			"client_id": a.ClientID, "last_error_kind": a.LastErrorKind, "last_error_message": a.LastErrorMessage,
			"last_error_at": a.LastErrorAt, "last_sync_at": a.LastSyncAt, "created_at": a.CreatedAt,
			"sync_settings": s, "calendars": calOut, "links_by_state": links, "recent_runs": runs,
		})
	}
	settings["accounts"] = accounts
	if lv, err := store.LoadListView(ctx, st.DB); err == nil {
		lv.Search = r.Field("search", lv.Search)
		if lv.Owner != store.OwnerMe && lv.Owner != store.OwnerAll {
			lv.Owner = r.Field("user", lv.Owner)
		}
		settings["list_view"] = lv
	}
	var nActs int
	_ = st.DB.QueryRowContext(ctx, `SELECT count(*) FROM activities`).Scan(&nActs)
	settings["activities"] = nActs

	tail := o.JournalTail
	if tail <= 0 {
		tail = 500
	}
	journal, err := store.QueryJournal(ctx, st.DB, store.JournalQuery{Limit: tail})
	if err != nil {
		return err
	}

	files := map[string][]byte{}
	var errs []error
	put := func(name string, v any) {
		b, err := scrubJSON(r, v, true, false)
		errs = append(errs, err)
		files[name] = b
	}
	put("doctor.json", o.Report)
	put("settings.json", settings)
	var jl bytes.Buffer
	for i := len(journal) - 1; i >= 0; i-- { // oldest first, like a log
		// The journal keeps earlier versions of things (a calendar-side subject that lost
		// a conflict, the list filter a fix replaced): text no table holds any more, so
		// it is pseudonymised by the field it sits in.
		b, err := scrubJSON(r, journal[i], false, true)
		errs = append(errs, err)
		jl.Write(b)
		jl.WriteByte('\n')
	}
	files["journal.jsonl"] = jl.Bytes()
	schema, _ := st.SchemaVersion(ctx)
	files["versions.txt"] = []byte(fmt.Sprintf("calsync %s\nschema v%d (latest known v%d)\n%s %s/%s\ncreated %s\n",
		o.Version, schema, store.LatestSchemaVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH, o.Now.UTC().Format(time.RFC3339)))
	priv := "Everything the person typed is replaced by pseudonyms: subjects, notes, locations, search texts\n(saved and asked about), people's names, account labels, calendar names and e-mail addresses,\nalso earlier versions of them kept in the journal (the same text gets the same pseudonym inside\nthis bundle, so copies can still be recognised)."
	if o.IncludePrivate {
		priv = "This bundle was made with --include-private: subjects, names and addresses are readable."
	}
	files["README.txt"] = []byte("calsync support bundle\n\n" +
		"doctor.json    the doctor's findings (run without network probes)\n" +
		"settings.json  accounts (no secrets), sync settings, calendars, link counts, recent sync runs, list view\n" +
		"journal.jsonl  the newest " + fmt.Sprint(tail) + " journal entries, oldest first\n" +
		"versions.txt   calsync, schema and Go versions\n\n" +
		"No token or password is ever included: stored secrets are not exported, and any text that\n" +
		"contains one (or looks like a credential) has it replaced by [secret removed].\n" + priv + "\n")
	if err := errors.Join(errs...); err != nil {
		return err
	}

	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, name := range BundleFiles {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: o.Now})
		if err != nil {
			return err
		}
		if _, err := fw.Write(files[name]); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	// Last guard, on the uncompressed contents.
	for _, b := range files {
		for _, s := range secrets {
			for _, part := range secretParts(s) {
				if bytes.Contains(b, part) {
					return errors.New("refusing to write the bundle: a secret survived redaction (this is a calsync bug; please report it without the bundle)")
				}
			}
		}
	}
	_, err = w.Write(zbuf.Bytes())
	return err
}

// secretParts is the stored secret and, for OAuth JSON, each long string inside it.
func secretParts(v []byte) [][]byte {
	out := [][]byte{bytes.TrimSpace(v)}
	var m map[string]any
	if json.Unmarshal(v, &m) == nil {
		for _, x := range m {
			if s, ok := x.(string); ok && len(s) >= 8 {
				out = append(out, []byte(s))
			}
		}
	}
	return out
}

// registerPrivate registers every personal string the store holds.
func registerPrivate(ctx context.Context, st *store.Store, r *Redactor) error {
	rows, err := st.DB.QueryContext(ctx, `SELECT subject, note, location FROM activities`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var s, n, l string
		if err := rows.Scan(&s, &n, &l); err != nil {
			rows.Close()
			return err
		}
		r.AddPrivate("subject", s)
		r.AddPrivate("note", n)
		r.AddPrivate("location", l)
	}
	rows.Close()
	users, err := store.ListUsers(ctx, st.DB)
	if err != nil {
		return err
	}
	for _, u := range users {
		r.AddPrivate("person", u.Name)
		r.AddPrivate("address", u.Email)
	}
	rows, err = st.DB.QueryContext(ctx, `SELECT name FROM calendars`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			r.AddPrivate("calendar", n)
		}
	}
	return rows.Err()
}

// freeTextKeys are JSON fields whose value is text a person typed (in calsync or in their
// calendar), with the pseudonym kind it gets. Applied by field name only where the
// document's shape is calsync's own record of activities and events (the journal), since
// elsewhere "note" is the doctor's own prose.
var freeTextKeys = map[string]string{
	"subject":     "subject",
	"note":        "note",
	"description": "note", // an event's body is the activity's note
	"location":    "location",
	"search":      "search",
}

// scrubJSON marshals v, then scrubs every string value (so escaping cannot hide a secret
// or a subject from the redactor), and marshals again. byKey also pseudonymises the values
// of freeTextKeys whole, registered or not.
func scrubJSON(r *Redactor, v any, indent, byKey bool) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	tree = scrubTree(r, tree, byKey)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func scrubTree(r *Redactor, v any, byKey bool) any {
	switch x := v.(type) {
	case string:
		return r.Text(x)
	case []any:
		for i := range x {
			x[i] = scrubTree(r, x[i], byKey)
		}
		return x
	case map[string]any:
		for k, val := range x {
			// Detail fields of the journal can hold JSON documents as strings: scrub inside.
			if s, ok := val.(string); ok && strings.HasPrefix(strings.TrimSpace(s), "{") {
				var inner any
				if json.Unmarshal([]byte(s), &inner) == nil {
					b, _ := json.Marshal(scrubTree(r, inner, byKey))
					x[k] = r.Text(string(b))
					continue
				}
			}
			if kind, ok := freeTextKeys[k]; ok && byKey {
				if s, ok := val.(string); ok {
					x[k] = r.Field(kind, strings.TrimSpace(s))
					continue
				}
			}
			x[k] = scrubTree(r, val, byKey)
		}
		return x
	}
	return v
}
