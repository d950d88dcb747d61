package doctor

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/calsync/calsync/store"
)

// Redactor removes secrets from text, and (unless private data is allowed) replaces
// personal text — subjects, notes, locations, names, e-mail addresses — with stable
// pseudonyms, so a support bundle still shows that two rows are the same subject without
// saying what it is.
type Redactor struct {
	// secrets are exact values that must never leave: tokens, passwords, and the parts of
	// OAuth token JSON. Longest first so a token is removed before its prefix.
	secrets []string
	// private maps known personal strings to their pseudonym kind ("subject", "person").
	private     map[string]privEntry
	keepPrivate bool
	key         []byte
}

// NewRedactor returns a redactor with a fresh random key: pseudonyms are stable inside one
// bundle and meaningless across bundles.
func NewRedactor(includePrivate bool) *Redactor {
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	return &Redactor{private: map[string]privEntry{}, keepPrivate: includePrivate, key: key}
}

// AddSecret registers a secret value. OAuth token JSON is split into its string fields,
// each registered too, so a token quoted alone in an error message is still caught.
func (r *Redactor) AddSecret(v []byte) {
	s := strings.TrimSpace(string(v))
	if len(s) < 4 {
		return
	}
	r.secrets = append(r.secrets, s)
	if b, err := json.Marshal(s); err == nil && string(b[1:len(b)-1]) != s {
		r.secrets = append(r.secrets, string(b[1:len(b)-1]))
	}
	var m map[string]any
	if json.Unmarshal(v, &m) == nil {
		for _, x := range m {
			if str, ok := x.(string); ok && len(str) >= 8 {
				r.secrets = append(r.secrets, str)
			}
		}
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// AddPrivate registers personal text of the given kind (subject, note, location, person, login).
func (r *Redactor) AddPrivate(kind, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	if len(v) < 3 {
		// Too short to replace wherever it occurs ("mü" is inside other words); caught
		// where a message quotes it, as search: "mü".
		r.private[strconv.Quote(v)] = privEntry{kind, v}
		return
	}
	r.private[v] = privEntry{kind, v}
	// Text quoted inside JSON (engine details) carries escapes: catch that form too.
	if b, err := json.Marshal(v); err == nil {
		if esc := string(b[1 : len(b)-1]); esc != v {
			r.private[esc] = privEntry{kind, v}
		}
	}
}

type privEntry struct{ kind, canonical string }

// Pseudonym is kind-<8 hex> for v, stable for this redactor.
func (r *Redactor) Pseudonym(kind, v string) string {
	if r.keepPrivate || v == "" {
		return v
	}
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(v))
	return kind + "-" + hex.EncodeToString(m.Sum(nil))[:8]
}

// Patterns that look like credentials even when calsync never stored them. Prose such as
// "refuses the normal password: ..." is left alone: only header, form (key=value) and JSON
// ("key": "value") shapes are matched.
var secretPatterns = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?i)\bBearer\s+[A-Za-z0-9._~+/=-]{4,}`), "Bearer [secret removed]"},
	{regexp.MustCompile(`(?i)\bBasic\s+[A-Za-z0-9+/=]{8,}`), "Basic [secret removed]"},
	{regexp.MustCompile(`(?i)\b(access_token|refresh_token|id_token|client_secret|password|passwd|pwd|app_password|code|code_verifier|device_code)=([^\s&"',;\[]+)`), "${1}=[secret removed]"},
	{regexp.MustCompile(`(?i)("(?:access_token|refresh_token|id_token|client_secret|password|passwd|app_password|secret|token|device_code)"\s*:\s*")([^"]*)(")`), "${1}[secret removed]${3}"},
	{regexp.MustCompile(`\bya29\.[A-Za-z0-9._-]+`), "[secret removed]"},
	{regexp.MustCompile(`\b1//[A-Za-z0-9._-]{10,}`), "[secret removed]"},
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`), "[secret removed]"},
	{regexp.MustCompile(`(?i)(https?://)[^/\s:@]+:[^/\s@]+@`), "${1}[secret removed]@"},
}

var quotedSearchRE = regexp.MustCompile(`search: "(?:[^"\\]|\\.)*"`)

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// Text scrubs s: known secrets and credential-looking values always; personal text and
// e-mail addresses unless private data was allowed.
func (r *Redactor) Text(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "[secret removed]")
	}
	for _, p := range secretPatterns {
		s = p.re.ReplaceAllString(s, p.with)
	}
	if r.keepPrivate {
		return s
	}
	// The doctor quotes list searches as search: "text" (checks_notshowing); the text
	// may be one the person no longer has saved, so it is pseudonymised by its shape.
	s = quotedSearchRE.ReplaceAllStringFunc(s, func(m string) string {
		q := strings.TrimPrefix(m, "search: ")
		v, err := strconv.Unquote(q)
		if err != nil {
			return m
		}
		return "search: " + strconv.Quote(r.Pseudonym("search", strings.TrimSpace(v)))
	})
	// Longest first so "Lunch with Ana Lopez" goes before "Ana Lopez".
	keys := make([]string, 0, len(r.private))
	for k := range r.private {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		if strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, r.Pseudonym(r.private[k].kind, r.private[k].canonical))
		}
	}
	return emailRE.ReplaceAllStringFunc(s, func(m string) string { return r.Pseudonym("address", m) + "@example.invalid" })
}

// Field pseudonymises one field of a known kind (it need not be registered first).
func (r *Redactor) Field(kind, v string) string {
	if r.keepPrivate {
		return r.Text(v)
	}
	if v == "" {
		return ""
	}
	return r.Pseudonym(kind, v)
}

// SecretRedactor knows every stored secret and keeps personal text: what the doctor's own
// output (terminal, --json, the wizard) passes through, so a provider message that
// quoted a token could not carry it further.
func SecretRedactor(ctx context.Context, st *store.Store) *Redactor {
	r := NewRedactor(true)
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil {
		return r
	}
	for _, a := range accts {
		if _, v, err := st.AccountSecret(ctx, a.ID); err == nil {
			r.AddSecret(v)
		}
		if cs, err := st.AccountClientSecret(ctx, a.ID); err == nil && len(cs) > 0 {
			r.AddSecret(cs)
		}
	}
	return r
}

// Finding returns f with every text field scrubbed.
func (r *Redactor) Finding(f Finding) Finding {
	f.Summary, f.Remediation, f.AdminNote, f.Ask = r.Text(f.Summary), r.Text(f.Remediation), r.Text(f.AdminNote), r.Text(f.Ask)
	f.Note = r.Text(f.Note)
	// Fixes with rows (a merge) are copied with their rows scrubbed, so the caller's keep
	// their text; a copy applies the same change.
	fixes, copied := f.Fixes, false
	for i, fx := range f.Fixes {
		if len(fx.Rows) == 0 {
			continue
		}
		if !copied {
			fixes, copied = append([]*Fix(nil), f.Fixes...), true
		}
		c := *fx
		c.Rows = make([]FixRow, len(fx.Rows))
		for j, row := range fx.Rows {
			row.Text = r.Text(row.Text)
			c.Rows[j] = row
		}
		fixes[i] = &c
	}
	f.Fixes = fixes
	ev := make([]Evidence, len(f.Evidence))
	for i, e := range f.Evidence {
		ev[i] = Evidence{Observed: r.Text(e.Observed), Expected: r.Text(e.Expected), Source: r.Text(e.Source)}
	}
	f.Evidence = ev
	return f
}

// Report returns rep with every finding scrubbed.
func (r *Redactor) Report(rep Report) Report {
	fs := make([]Finding, len(rep.Findings))
	for i, f := range rep.Findings {
		fs[i] = r.Finding(f)
	}
	rep.Findings = fs
	return rep
}

// Explanation returns x with its verdicts and journal entries scrubbed.
func (r *Redactor) Explanation(x Explanation) Explanation {
	x.Headline = r.Text(x.Headline)
	vs := make([]AccountVerdict, len(x.Verdicts))
	for i, v := range x.Verdicts {
		v.Summary = r.Text(v.Summary)
		ev := make([]Evidence, len(v.Evidence))
		for j, e := range v.Evidence {
			ev[j] = Evidence{Observed: r.Text(e.Observed), Expected: r.Text(e.Expected), Source: r.Text(e.Source)}
		}
		v.Evidence = ev
		vs[i] = v
	}
	x.Verdicts = vs
	js := make([]store.JournalEntry, len(x.Journal))
	for i, j := range x.Journal {
		j.Detail, j.Reason = r.Text(j.Detail), r.Text(j.Reason)
		js[i] = j
	}
	x.Journal = js
	return x
}
