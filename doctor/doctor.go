// Package doctor turns calsync's sync symptoms into diagnoses a person can act on: checks
// that look at the store, the journal, the accounts and the providers and return findings
// (with evidence, who must act and what to do), fixes that show their impact before they
// change anything and can be undone from the journal, symptom flows that order the checks
// from cheapest and most likely to most expensive, `explain` (which rule keeps one activity
// out of the calendar) and the support bundle.
//
// It is pure logic with no UI: the Troubleshoot tab (ui/troubleshoot) and `calsync doctor`
// both drive it. A check that could not look is reported as skip or unverified, never as
// pass or fail.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Status is a finding's verdict.
type Status string

const (
	Pass Status = "pass" // looked, and this is not the cause
	Warn Status = "warn" // looked, something is unusual but may be intended
	Fail Status = "fail" // looked, and this is (part of) the cause
	Skip Status = "skip" // did not apply (no such account, a prerequisite failed)
	// Unverified means the check could not look (network down, provider refused to answer).
	// It is never shown as pass or fail.
	Unverified Status = "unverified"
)

// Actor is who must act on a finding.
type Actor string

const (
	ActorNone     Actor = ""
	ActorUser     Actor = "user"
	ActorAdmin    Actor = "admin"
	ActorProvider Actor = "provider"
)

// Symptom is one of the complaints a person brings (plus "all").
type Symptom string

const (
	NotShowing  Symptom = "not-showing"
	OneWay      Symptom = "one-way"
	Duplicates  Symptom = "duplicates"
	CantConnect Symptom = "cant-connect"
	Permissions Symptom = "permissions"
	WrongTime   Symptom = "wrong-time"
	All         Symptom = "all"
)

// Symptoms lists the symptoms in the order the help page and the wizard show them.
var Symptoms = []Symptom{NotShowing, OneWay, Duplicates, CantConnect, Permissions, WrongTime}

// SymptomTitle is the question a person would ask.
func SymptomTitle(s Symptom) string {
	switch s {
	case NotShowing:
		return "Activities don't show up in my calendar (or calendar events not in the CRM)"
	case OneWay:
		return "Sync works in one direction only"
	case Duplicates:
		return "Activities or events are duplicated"
	case CantConnect:
		return "Calendars can't be fetched / the account won't connect"
	case Permissions:
		return "Insufficient permissions"
	case WrongTime:
		return "Events are at the wrong time"
	case All:
		return "Check everything"
	}
	return string(s)
}

// ParseSymptom accepts the command-line names.
func ParseSymptom(s string) (Symptom, error) {
	for _, x := range append(Symptoms, All) {
		if string(x) == s {
			return x, nil
		}
	}
	var names []string
	for _, x := range append(Symptoms, All) {
		names = append(names, string(x))
	}
	return "", fmt.Errorf("unknown symptom %q (accepted: %s)", s, strings.Join(names, ", "))
}

// Evidence is one observation behind a finding.
type Evidence struct {
	Observed string `json:"observed"`
	Expected string `json:"expected,omitempty"`
	Source   string `json:"source"` // where it was read: "sync settings", "journal #123", "DNS"
}

// Finding is what one check concluded about one account (or about the whole app).
type Finding struct {
	CheckID     string     `json:"check"`
	Title       string     `json:"title"` // what the check looks at
	AccountID   string     `json:"account_id,omitempty"`
	ActivityID  string     `json:"activity_id,omitempty"`
	Status      Status     `json:"status"`
	Summary     string     `json:"summary"`
	Evidence    []Evidence `json:"evidence,omitempty"`
	Actor       Actor      `json:"actor,omitempty"`
	Remediation string     `json:"remediation,omitempty"`
	// AdminNote is a ready-to-send message for the IT admin when Actor is admin.
	AdminNote string `json:"admin_note,omitempty"`
	// Temporary marks an unverified finding caused by something that passes by itself
	// (network, rate limit): `calsync doctor` then exits 75 so cron retries later.
	Temporary bool   `json:"temporary,omitempty"`
	Fixes     []*Fix `json:"fixes,omitempty"`
	// Ask is what to ask the person after this step, about what calsync cannot see.
	Ask string `json:"ask,omitempty"`
	// Note is something the check noticed but has no evidence to call a problem (look-alike
	// activities that may or may not be copies): shown for the person to judge, even on a
	// pass, and never acted on by a fix.
	Note string `json:"note,omitempty"`
}

// Problem reports whether the finding needs someone to act.
func (f Finding) Problem() bool { return f.Status == Fail }

// Impact counts what a fix would change, e.g. {"merge": 37, "delete": 0}.
type Impact []ImpactItem

// ImpactItem is one counted effect of a fix.
type ImpactItem struct {
	What  string `json:"what"`
	Count int    `json:"count"`
}

func (im Impact) String() string {
	var parts []string
	for _, it := range im {
		parts = append(parts, fmt.Sprintf("%s %d", it.What, it.Count))
	}
	return strings.Join(parts, ", ")
}

// Input describes a value a fix needs from the person (an app password).
type Input struct {
	Label  string `json:"label"`
	Secret bool   `json:"secret"`
}

// Fix is a change that removes a finding's cause. Apply records how to undo it in the
// journal (op "fixed", JSON undo data) before changing anything; Undo reverses it and
// journals "undone"; verifying is re-running the check (Session.Verify).
type Fix struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Impact      Impact `json:"impact,omitempty"`
	// Input is non-nil when the fix needs a value typed by the person; such fixes are
	// not applied by `doctor --fix --yes`.
	Input *Input `json:"input,omitempty"`
	// Interactive fixes need a person at the keyboard (a browser sign-in).
	Interactive bool `json:"interactive,omitempty"`
	// Decision fixes act on a choice only the person can make (which of two times is
	// right): offered and applied on request, never by `doctor --fix --yes`.
	Decision bool `json:"decision,omitempty"`
	Undoable bool `json:"undoable"`
	// Rows lists every row the fix will change, for fixes that act on chosen rows (the
	// merge of duplicates): shown before it is applied, and the fix acts on no other.
	Rows []FixRow `json:"rows,omitempty"`

	CheckID   string `json:"-"`
	AccountID string `json:"-"`
	apply     func(ctx context.Context, e *Env, input string) (Applied, error)
}

// FixRow is one row a fix will change.
type FixRow struct {
	ID     string `json:"id"`               // the activity changed
	Keeper string `json:"keeper,omitempty"` // merge: the activity it is merged into
	Text   string `json:"text"`             // what and why, for people
}

// Applied is the result of applying a fix.
type Applied struct {
	FixID     string `json:"fix"`
	JournalID int64  `json:"journal_id,omitempty"` // the "fixed" entry; pass it to Undo
	Message   string `json:"message"`
}

// Apply runs the fix. input is the value asked for by Fix.Input ("" otherwise).
func (f *Fix) Apply(ctx context.Context, e *Env, input string) (Applied, error) {
	if f.apply == nil {
		return Applied{}, fmt.Errorf("fix %s cannot be applied here", f.ID)
	}
	if f.Input != nil && input == "" {
		return Applied{}, fmt.Errorf("fix %s needs %s", f.ID, strings.ToLower(f.Input.Label))
	}
	a, err := f.apply(ctx, e, input)
	a.FixID = f.ID
	return a, err
}

// Check is one diagnosis.
type Check struct {
	ID    string
	Title string // what it looks at, shown before it runs ("Is sync switched on?")
	// Explain says in a sentence or two what the check does and why it matters.
	Explain  string
	Symptoms []Symptom
	// DependsOn names checks that must not have failed for this one to mean anything.
	DependsOn []string
	// PerAccount checks run once per account; the others once.
	PerAccount bool
	// Expensive checks talk to the network or write test data; flows put them last.
	Expensive bool
	Run       func(ctx context.Context, e *Env, acct *AccountView) Finding
}

// Serves reports whether the check belongs to symptom s.
func (c *Check) Serves(s Symptom) bool {
	if s == All {
		return true
	}
	for _, x := range c.Symptoms {
		if x == s {
			return true
		}
	}
	return false
}

// Report is the outcome of a doctor run.
type Report struct {
	Symptom  Symptom   `json:"symptom"`
	Target   *Target   `json:"target,omitempty"`
	Findings []Finding `json:"findings"`
	Counts   Counts    `json:"counts"`
	Exit     int       `json:"exit_code"`
}

// Counts tallies findings by status.
type Counts struct {
	Pass, Warn, Fail, Skip, Unverified int
}

// MarshalJSON uses lower-case keys.
func (c Counts) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]int{"pass": c.Pass, "warn": c.Warn, "fail": c.Fail, "skip": c.Skip, "unverified": c.Unverified})
}

// Exit codes of `calsync doctor`.
const (
	ExitOK       = 0
	ExitProblem  = 1
	ExitUsage    = 2
	ExitPartial  = 3
	ExitTempFail = 75
)

// ExitCode is 1 when any finding failed; else 75 when a check could not run for a
// temporary reason; else 3 when some checks could not run; else 0. Warnings and skips
// never change it.
func ExitCode(findings []Finding) int {
	var fail, temp, unverified bool
	for _, f := range findings {
		switch f.Status {
		case Fail:
			fail = true
		case Unverified:
			unverified = true
			if f.Temporary {
				temp = true
			}
		}
	}
	switch {
	case fail:
		return ExitProblem
	case temp:
		return ExitTempFail
	case unverified:
		return ExitPartial
	}
	return ExitOK
}

func tally(fs []Finding) Counts {
	var c Counts
	for _, f := range fs {
		switch f.Status {
		case Pass:
			c.Pass++
		case Warn:
			c.Warn++
		case Fail:
			c.Fail++
		case Skip:
			c.Skip++
		case Unverified:
			c.Unverified++
		}
	}
	return c
}

// Flow returns the checks serving symptom s, most likely for that symptom first (see
// symptomFirst), then cheapest first. Expensive checks (network probes, the round trip)
// come last, so a flow stops being slow only when the cheap explanations are exhausted.
// The wizard and `calsync doctor --symptom` both walk this order.
func Flow(s Symptom) []*Check {
	var out []*Check
	for _, c := range registry {
		if c.Serves(s) {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Expensive != out[j].Expensive {
			return !out[i].Expensive
		}
		return rankFor(s, out[i].ID) < rankFor(s, out[j].ID)
	})
	return out
}

// symptomFirst is, per symptom, the checks most likely to explain that symptom, in order;
// they run before the rest of its flow (which keeps flowOrder). "Sync works in one
// direction only" is nearly always the direction setting, so it is checked before anything
// asks the person about calendars; duplicates are looked for before what causes them.
// A symptom missing here uses flowOrder alone.
var symptomFirst = map[Symptom][]string{
	OneWay:      {"direction", "last-error", "sync-enabled", "calendar"},
	Duplicates:  {"duplicates", "left-behind"},
	Permissions: {"scopes", "admin-policy", "connection"},
}

// rankFor is a check's place in symptom s's flow.
func rankFor(s Symptom, id string) int {
	first := symptomFirst[s]
	for i, x := range first {
		if x == id {
			return i
		}
	}
	return len(first) + rank(id)
}

// flowOrder ranks checks from cheapest and most likely to most expensive: store reads
// first (the help article's order), then questions to the provider, then network probes,
// and the round trip, which writes test data, last.
var flowOrder = []string{"accounts", "sync-enabled", "list-filters", "before-activation", "types", "left-behind", "calendar",
	"direction", "last-error", "time-zones", "duplicates", "connection", "secret-storage", "scopes", "admin-policy", "network", "clock",
	"stale-state", "round-trip"}

func rank(id string) int {
	for i, x := range flowOrder {
		if x == id {
			return i
		}
	}
	return len(flowOrder)
}

// CheckByID finds a registered check.
func CheckByID(id string) *Check {
	for _, c := range registry {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// registry holds the checks in their natural order (the order of the help article).
var registry []*Check

func register(c *Check) { registry = append(registry, c) }

// Checks returns every registered check in order.
func Checks() []*Check { return append([]*Check(nil), registry...) }
