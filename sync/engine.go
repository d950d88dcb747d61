// Package sync is calsync's sync engine: for one account at a time, under a lease in the
// store, it pulls calendar changes since the saved change token, pushes CRM changes, and
// journals every decision with a reason code (see reasons.go) so `explain` and the Log tab
// can say why an activity is or is not in the calendar.
//
// Guarantees, and where they come from:
//   - no duplicates: a create first writes a pending link, then calls the provider, whose
//     Create is idempotent on the activity id; events carrying our ownership tag are
//     re-linked, never imported again (lost links, expired change tokens, crashes);
//   - no lost edits: when both sides changed, the conflict policy picks a winner and the
//     losing version goes to the journal;
//   - no mass deletion: a listing that suddenly lacks every linked event deletes nothing
//     without RunOptions.ConfirmMassDelete;
//   - no silent mass time shift: many synced events moved by one same whole-hour offset
//     (a time-zone mistake) are not applied without RunOptions.ConfirmTimeShift;
//   - crash safety: a page's changes and the change token that covers them are written in
//     one transaction.
//
// The engine depends only on the providers.Provider interface and reports progress to an
// Observer; it imports no UI.
package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	gosync "sync"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// Opener builds the provider of a stored account.
type Opener func(ctx context.Context, acct store.Account) (providers.Provider, error)

// Errors a run can stop with (test with errors.Is).
var (
	ErrAlreadySyncing = errors.New("already syncing")
	ErrNeedsReauth    = errors.New("account needs a new sign-in")
	ErrNotConfigured  = errors.New("sync is not set up for this account")
	ErrDisabled       = errors.New("sync is switched off for this account")
)

// Engine syncs accounts. The zero value is not usable: set Store and Open (or use New).
type Engine struct {
	Store *store.Store
	Open  Opener
	// Observer receives progress events; nil ignores them.
	Observer Observer
	// Now is the clock (tests inject one); nil means time.Now.
	Now func() time.Time
	// Sleep waits between retries; nil means a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Holder names this process in the lease (default host-pid-random).
	Holder string
	// LeaseTTL is how long a lease lives without renewal (default 2 min); a crashed run's
	// lease expires after it.
	LeaseTTL time.Duration
	// MaxAttempts bounds tries of one provider call on retryable errors (default 5);
	// RetryBudget bounds the total time a run may lose to retries (default 2 min): failed
	// attempts, timed on Now, as well as the waits between them.
	MaxAttempts int
	RetryBudget time.Duration
	BaseBackoff time.Duration // first backoff (default 1 s), doubled per attempt
	MaxBackoff  time.Duration // backoff cap (default 30 s)
	// PageSize is how many links/activities the push phase reads at once (default 200).
	PageSize int
	// FullScanEvery is how often the push phase reads the whole window even when only
	// changes since the last clean run would do (default 1 h; negative: every run).
	FullScanEvery time.Duration
}

// New returns an engine over st that opens providers with DefaultOpener.
func New(st *store.Store) *Engine {
	return &Engine{Store: st, Open: DefaultOpener(st, os.Getenv)}
}

// RunOptions tune one run.
type RunOptions struct {
	// DryRun decides everything and counts it without writing anywhere (no provider
	// writes, no store writes): the settings screen's preview.
	DryRun bool
	// ConfirmMassDelete lets a listing that lacks every linked event delete them locally.
	ConfirmMassDelete bool
	// ConfirmTimeShift lets a listing apply the moves of many synced events by one same
	// whole-hour offset (the time-shift guard, timeshift.go holds them back otherwise).
	ConfirmTimeShift bool
	// Wait is how long to wait for another run of the same account to finish before
	// giving up with ErrAlreadySyncing (0 = don't wait).
	Wait time.Duration
	// FullScan makes the push phase read every activity of the window (after links were
	// dropped outside the engine; the engine also notices fewer links by itself).
	FullScan bool
	// Force runs even when sync is switched off for the account (the settings preview
	// and "sync now" on a disabled account use DryRun instead; Force is for tests/tools).
	Force bool
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) sleep(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

var holderOnce gosync.Once
var defaultHolder string

func (e *Engine) holder() string {
	if e.Holder != "" {
		return e.Holder
	}
	holderOnce.Do(func() {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		defaultHolder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	})
	return defaultHolder
}

func (e *Engine) leaseTTL() time.Duration {
	if e.LeaseTTL > 0 {
		return e.LeaseTTL
	}
	return 2 * time.Minute
}

func (e *Engine) pageSize() int {
	if e.PageSize > 0 {
		return e.PageSize
	}
	return 200
}

func (e *Engine) observe(p Progress) {
	if e.Observer != nil {
		e.Observer(p)
	}
}

// RunAll syncs every account whose sync is switched on, one after the other. Accounts
// that need a new sign-in are reported (Failed, NeedsReauth) without calling the
// provider. The error is the first run's stopping error, if any.
func (e *Engine) RunAll(ctx context.Context, opts RunOptions) ([]Summary, error) {
	accts, err := store.ListAccounts(ctx, e.Store.DB)
	if err != nil {
		return nil, err
	}
	var out []Summary
	var first error
	for _, a := range accts {
		set, err := store.GetSyncSettings(ctx, e.Store.DB, a.ID)
		if err != nil {
			return out, err
		}
		if !set.Enabled || a.State == store.AccountDisabled {
			continue
		}
		s, err := e.Run(ctx, a.ID, opts)
		out = append(out, s)
		if err != nil && first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return out, first
}

// Run syncs one account. The Summary is filled in even when an error stops the run.
func (e *Engine) Run(ctx context.Context, accountID string, opts RunOptions) (sum Summary, err error) {
	sum = Summary{AccountID: accountID, DryRun: opts.DryRun, Started: e.now()}
	scrub := func(s string) string { return s }
	defer func() {
		sum.Finished = e.now()
		if err != nil {
			err = scrubError(err, scrub)
			// Already done by finish when the run got going (its row must say it);
			// here for runs that stopped before (needs a sign-in, already syncing).
			sum.recordStop(err)
		}
		e.observe(Progress{AccountID: accountID, AccountName: sum.AccountName, Phase: PhaseDone, Summary: sum, Err: err})
	}()
	acct, err := store.GetAccount(ctx, e.Store.DB, accountID)
	if err != nil {
		return sum, err
	}
	sum.AccountName = acct.Name
	scrub = e.secretScrubber(ctx, accountID)
	set, err := store.GetSyncSettings(ctx, e.Store.DB, accountID)
	if err != nil {
		return sum, err
	}
	switch {
	case acct.State == store.AccountNeedsReauth:
		sum.NeedsReauth = true
		return sum, fmt.Errorf("%w: %s (run `calsync account reconnect %s`)", ErrNeedsReauth, acct.Name, acct.ID)
	case acct.State == store.AccountDisabled && !opts.DryRun:
		return sum, fmt.Errorf("%w: account %s is disabled", ErrDisabled, acct.Name)
	case set.CalendarID == "":
		return sum, fmt.Errorf("%w: no calendar chosen for %s (run `calsync settings set --account %s --calendar ID`)", ErrNotConfigured, acct.Name, acct.ID)
	case !set.Enabled && !opts.DryRun && !opts.Force:
		return sum, fmt.Errorf("%w: %s (run `calsync settings set --account %s --enable`)", ErrDisabled, acct.Name, acct.ID)
	}

	holder := e.holder()
	if !opts.DryRun {
		if err := e.acquire(ctx, accountID, holder, opts.Wait); err != nil {
			return sum, err
		}
		// Released however the run ends (error, cancellation, panic) with a fresh,
		// bounded context: a cancelled run's ctx is already done, and a quit app or a
		// Ctrl-C'd `sync --watch` must not keep the next `calsync sync` waiting for the
		// TTL ("already syncing").
		defer e.release(ctx, accountID, holder)
		if set.ActivatedAt == nil {
			// Enabled without an activation time (set by hand or an old version): now
			// is when sync was switched on as far as the engine can tell.
			t := e.now()
			set.ActivatedAt = &t
			if err := store.PutSyncSettings(ctx, e.Store.DB, set); err != nil {
				return sum, err
			}
		}
	} else if set.ActivatedAt == nil {
		// A preview before switching on: "switched on now".
		t := e.now()
		set.ActivatedAt = &t
	}

	r := &run{e: e, acct: acct, set: set, opts: opts, sum: &sum, holder: holder, now: e.now(), scrub: scrub}
	if !opts.DryRun {
		// Holding the lease, no other run of this account is alive: a run row still
		// "running" belongs to a process that died (killed, power cut) and never will end.
		if err := store.AbandonRuns(ctx, e.Store.DB, accountID, r.now); err != nil {
			return sum, err
		}
		if r.runID, err = store.StartRun(ctx, e.Store.DB, accountID, r.now); err != nil {
			return sum, err
		}
		sum.RunID = r.runID
	}
	if last, err := store.LastRunWithStatus(ctx, e.Store.DB, accountID, store.RunOK); err == nil {
		r.lastOK = last.StartedAt
	}
	e.observe(Progress{AccountID: accountID, AccountName: acct.Name, Phase: PhaseStart, Summary: sum})

	err = r.do(ctx)
	if !opts.DryRun {
		r.finish(ctx, err)
	}
	return sum, err
}

// acquire takes the account's lease, waiting up to wait for another holder.
func (e *Engine) acquire(ctx context.Context, accountID, holder string, wait time.Duration) error {
	deadline := e.now().Add(wait)
	for {
		ok, err := store.AcquireLease(ctx, e.Store.DB, accountID, holder, e.leaseTTL(), e.now())
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if old, _, err := store.GetLease(ctx, e.Store.DB, accountID); err == nil && holderIsDead(old) {
			// Its process is gone (killed mid-sync): take the lease over instead of waiting
			// out its TTL. The run it left open is closed as cancelled by the run itself.
			if ok, err := store.TakeOverLease(ctx, e.Store.DB, accountID, old, holder, e.leaseTTL(), e.now()); err != nil {
				return err
			} else if ok {
				return nil
			}
			continue
		}
		if !e.now().Before(deadline) {
			return fmt.Errorf("%w: another calsync is syncing this account; try again in a minute", ErrAlreadySyncing)
		}
		step := 200 * time.Millisecond
		if left := deadline.Sub(e.now()); left < step {
			step = left
		}
		if err := e.sleep(ctx, step); err != nil {
			return err
		}
	}
}

// cleanupTimeout bounds the store writes that close a run after its ctx was cancelled
// (lease release, run status): the process is usually on its way out.
const cleanupTimeout = 5 * time.Second

// release gives the lease back with a context that outlives the run's.
func (e *Engine) release(ctx context.Context, accountID, holder string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = store.ReleaseLease(cctx, e.Store.DB, accountID, holder)
}

// cancelled reports whether a run stopped because its context ended (the app quit,
// Ctrl-C, a deadline) rather than because something went wrong.
func cancelled(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		(err != nil && ctx.Err() != nil)
}

// finish records the run's outcome on the run row and the account.
func (r *run) finish(ctx context.Context, runErr error) {
	stopped := cancelled(ctx, runErr)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	h := r.e.Store.DB
	now := r.e.now()
	status := store.RunOK
	switch {
	case stopped:
		status = store.RunCancelled
		r.sum.Cancelled = true
	case runErr != nil:
		status = store.RunFailed
	}
	// The run row keeps the whole outcome (failed, reason, temporary, errors counted),
	// so what Home, the status bar and the doctor read later is what happened.
	journaled := r.sum.stopCounted
	r.sum.Finished = now
	if runErr != nil {
		r.sum.recordStop(scrubError(runErr, r.scrub))
	}
	js, _ := json.Marshal(r.sum)
	_ = store.FinishRun(ctx, h, r.runID, status, string(js), now)
	if runErr == nil {
		if r.acct.LastErrorKind != "" && !r.readOnly {
			_ = store.ClearAccountError(ctx, h, r.acct.ID, now)
		}
		return
	}
	if stopped {
		// The person or the process stopped it; nothing is wrong with the account. What
		// was written is whole (each page is one transaction); the next run goes on.
		_ = store.AppendJournalBatch(ctx, h, []store.JournalEntry{{RunID: r.runID, At: now, AccountID: r.acct.ID,
			Op: store.OpInfo, Reason: ReasonCancelled,
			Detail: "the sync was stopped before it finished (the app quit or Ctrl-C); nothing is half-written and the next sync carries on"}})
		return
	}
	kind := string(providers.KindOf(runErr))
	if kind == "" {
		kind = ReasonInternal
	}
	if !journaled {
		// A run that stopped on a listing or a sign-in names no activity: the journal
		// still says it failed and why (the Log tab, the doctor's evidence).
		_ = store.AppendJournalBatch(ctx, h, []store.JournalEntry{{RunID: r.runID, At: now, AccountID: r.acct.ID,
			Op: store.OpError, Reason: r.sum.ErrorCode, Detail: r.scrub(errDetail(runErr))}})
	}
	_ = store.RecordAccountError(ctx, h, r.acct.ID, kind, r.scrub(oneLine(runErr)), now)
	if providers.KindOf(runErr).NeedsReauth() {
		r.sum.NeedsReauth = true
		_ = store.SetAccountState(ctx, h, r.acct.ID, store.AccountNeedsReauth, now)
	}
}

// secretScrubber removes the account's stored secrets (the OAuth token's access, refresh
// and id tokens, or the password, and the OAuth client secret) from text the engine
// stores or reports: journal details, the account's and links' last errors, the run's
// summary and error. Providers scrub their own errors; this is the backstop for one that
// quoted a secret anyway (a server echoing the request). Details are JSON, so each
// secret's JSON-escaped form goes too.
func (e *Engine) secretScrubber(ctx context.Context, accountID string) func(string) string {
	var known []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) < 4 {
			return
		}
		known = append(known, v)
		if b, err := json.Marshal(v); err == nil && string(b[1:len(b)-1]) != v {
			known = append(known, string(b[1:len(b)-1]))
		}
	}
	if kind, v, err := e.Store.AccountSecret(ctx, accountID); err == nil {
		var tok struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
			ID      string `json:"id_token"`
		}
		if kind == store.SecretOAuthToken && json.Unmarshal(v, &tok) == nil {
			add(tok.Access)
			add(tok.Refresh)
			add(tok.ID)
		} else {
			add(string(v))
		}
	}
	if cs, err := e.Store.AccountClientSecret(ctx, accountID); err == nil {
		add(string(cs))
	}
	if len(known) == 0 {
		return func(s string) string { return s }
	}
	sort.Slice(known, func(i, j int) bool { return len(known[i]) > len(known[j]) }) // a token before its prefix
	return func(s string) string {
		for _, k := range known {
			s = strings.ReplaceAll(s, k, "[secret removed]")
		}
		return s
	}
}

// scrubbedError is an error whose text had a secret removed; errors.Is and errors.As
// still reach the original (its Kind decides retries and re-authentication).
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubError returns err unchanged unless its text carries a secret.
func scrubError(err error, scrub func(string) string) error {
	if msg := scrub(err.Error()); msg != err.Error() {
		return &scrubbedError{msg: msg, err: err}
	}
	return err
}

func oneLine(err error) string {
	s := err.Error()
	if pe, ok := providers.AsError(err); ok && pe.Hint != "" {
		s += " — " + pe.Hint
	}
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
