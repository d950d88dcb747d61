package doctor

import (
	"context"
	"fmt"
	"runtime/debug"
)

// Step is one check ready to run for one account (or for the whole app when Account is nil).
type Step struct {
	Check   *Check
	Account *AccountView
}

// Key identifies the step's result for dependency lookups.
func (s Step) Key() string { return stepKey(s.Check.ID, s.Account) }

func stepKey(checkID string, a *AccountView) string {
	if a == nil {
		return checkID
	}
	return checkID + "@" + a.Account.ID
}

// Plan expands a symptom's flow into steps: per-account checks once per account.
func Plan(s Symptom, accts []*AccountView) []Step {
	var steps []Step
	for _, c := range Flow(s) {
		if !c.PerAccount {
			steps = append(steps, Step{Check: c})
			continue
		}
		for _, a := range accts {
			steps = append(steps, Step{Check: c, Account: a})
		}
	}
	return steps
}

// Session runs a flow step by step, remembering results so later checks can depend on
// earlier ones. The CLI runs it to the end; the wizard steps through it.
type Session struct {
	Env      *Env
	Symptom  Symptom
	Accounts []*AccountView
	Steps    []Step
	Results  map[string]Finding
}

// NewSession loads the accounts and plans the flow for symptom s.
func NewSession(ctx context.Context, e *Env, s Symptom) (*Session, error) {
	accts, err := LoadAccounts(ctx, e.Store)
	if err != nil {
		return nil, err
	}
	return &Session{Env: e, Symptom: s, Accounts: accts, Steps: Plan(s, accts), Results: map[string]Finding{}}, nil
}

// RunStep runs steps[i], honouring its dependencies, and records the finding.
func (s *Session) RunStep(ctx context.Context, i int) Finding {
	st := s.Steps[i]
	f := s.runGuarded(ctx, st)
	s.Results[st.Key()] = f
	return f
}

func (s *Session) runGuarded(ctx context.Context, st Step) Finding {
	for _, dep := range st.Check.DependsOn {
		key := stepKey(dep, st.Account)
		if CheckByID(dep) != nil && !CheckByID(dep).PerAccount {
			key = dep
		}
		prev, ran := s.Results[key]
		if !ran {
			// The dependency is not part of this flow: run it quietly to know.
			if c := CheckByID(dep); c != nil {
				prev = RunCheck(ctx, s.Env, c, st.Account)
				s.Results[key] = prev
				ran = true
			}
		}
		if ran && (prev.Status == Fail || prev.Status == Unverified || prev.Status == Skip) {
			f := base(st.Check, st.Account)
			f.Status = Skip
			f.Summary = fmt.Sprintf("not checked: it needs %q to pass first (%s)", CheckByID(dep).Title, prev.Status)
			return f
		}
	}
	return RunCheck(ctx, s.Env, st.Check, st.Account)
}

// RunAll runs every step and returns the report.
func (s *Session) RunAll(ctx context.Context) Report {
	var fs []Finding
	for i := range s.Steps {
		fs = append(fs, s.RunStep(ctx, i))
	}
	return NewReport(s.Symptom, s.Env.Target, fs)
}

// NewReport tallies findings and computes the exit code.
func NewReport(sym Symptom, t *Target, fs []Finding) Report {
	if fs == nil {
		fs = []Finding{}
	}
	return Report{Symptom: sym, Target: t, Findings: fs, Counts: tally(fs), Exit: ExitCode(fs)}
}

// Verify re-runs the check behind a finding (after a fix, or when the person asks).
func (s *Session) Verify(ctx context.Context, f Finding) Finding {
	c := CheckByID(f.CheckID)
	var acct *AccountView
	if f.AccountID != "" {
		// Reload: a fix may have changed the account's settings.
		if accts, err := LoadAccounts(ctx, s.Env.Store); err == nil {
			s.Accounts = accts
		}
		for _, a := range s.Accounts {
			if a.Account.ID == f.AccountID {
				acct = a
			}
		}
	}
	nf := RunCheck(ctx, s.Env, c, acct)
	s.Results[stepKey(c.ID, acct)] = nf
	return nf
}

// RunCheck runs one check, turning a panic into an unverified finding so one broken
// check never hides the others' results.
func RunCheck(ctx context.Context, e *Env, c *Check, a *AccountView) (f Finding) {
	defer func() {
		if r := recover(); r != nil {
			f = base(c, a)
			f.Status = Unverified
			f.Summary = fmt.Sprintf("the check crashed (%v); this is a calsync bug", r)
			f.Evidence = []Evidence{{Observed: string(debug.Stack()[:min(400, len(debug.Stack()))]), Source: "doctor"}}
		}
	}()
	if err := ctx.Err(); err != nil {
		f = base(c, a)
		f.Status = Unverified
		f.Summary = "not checked: " + err.Error()
		return f
	}
	f = c.Run(ctx, e, a)
	f.CheckID = c.ID
	f.Title = c.Title
	if a != nil {
		f.AccountID = a.Account.ID
	}
	if e.Target != nil && f.ActivityID == "" {
		f.ActivityID = e.Target.ID
	}
	for _, fx := range f.Fixes {
		fx.CheckID = c.ID
		if a != nil {
			fx.AccountID = a.Account.ID
		}
	}
	return f
}

func base(c *Check, a *AccountView) Finding {
	f := Finding{CheckID: c.ID, Title: c.Title}
	if a != nil {
		f.AccountID = a.Account.ID
	}
	return f
}

// Run is the one-call doctor: run every check of symptom s and report.
func Run(ctx context.Context, e *Env, s Symptom) (Report, error) {
	sess, err := NewSession(ctx, e, s)
	if err != nil {
		return Report{}, err
	}
	return sess.RunAll(ctx), nil
}
