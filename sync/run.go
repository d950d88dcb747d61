package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// run is one Run in progress.
type run struct {
	e      *Engine
	acct   store.Account
	set    store.SyncSettings
	opts   RunOptions
	sum    *Summary
	holder string
	runID  string
	now    time.Time
	lastOK time.Time // start of the last successful run (zero: none)

	// scrub removes the account's stored secrets from text the run writes or reports.
	scrub func(string) string

	prov providers.Provider
	cal  string
	win  providers.Window
	meID string
	// spent is the time lost to retries so far, against RetryBudget: the failed attempts
	// (a stalled request that timed out counts in full) and the waits between them.
	spent time.Duration

	// readOnly is set when the calendar refused a write: the push phase stops.
	readOnly bool
	// touched remembers, in a dry run, activities the pull phase already counted (its
	// writes were rolled back, so the push phase would count them again).
	touched map[string]bool
	// seen holds the links the current full listing showed.
	seen map[int64]bool
	done int
	// pages counts the listing pages read (reported with the pull phase's progress).
	pages int
	// renewedAt is when the lease was last extended.
	renewedAt time.Time
	// total is the push phase's size when known (0: not known).
	total int
	// pageLinks holds the links of the events on the page being applied (pageIDs).
	pageLinks map[string]store.Link
	pageIDs   map[string]bool
	// imports are activities decided on this page, written in a batch.
	imports []store.SyncImport
	// jbuf collects the journal entries of the transaction in progress.
	jbuf []store.JournalEntry
	// unlinkedImports is whether any activity this account imported lost its link; only
	// then are untagged events matched by content (saves a query per event otherwise).
	unlinkedImports, unlinkedImportsKnown bool
	// since (zero: read everything) bounds the push phase's scans to what changed since
	// the last clean run; enteredAfter is where the window's end was then.
	since, enteredAfter time.Time
	// force lists activities to push even if the scans do not read them.
	force []string
	// retracted holds activities whose events this run deleted because they no longer
	// qualify (type or owner changed).
	retracted map[string]bool
	// held are calendar moves the time-shift guard holds back until the end of the
	// listing (timeshift.go); listingBase is the changes counted before the listing began;
	// releasing is set while held moves are applied.
	held        map[string]heldShift
	listingBase int
	releasing   bool
	// wroteAny is set before the run's first provider write; unconfirmed holds the events
	// it created or updated that the settle read has not shown yet; settling is true
	// during that read (settle.go).
	wroteAny    bool
	unconfirmed map[string]bool
	settling    bool
	// keepMark keeps the saved token marked while its increment is read (pull.go).
	keepMark bool
}

// errStop wraps an error that ends the run (auth, exhausted retries, cancellation).
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }
func (e errStop) Unwrap() error { return e.err }

func (r *run) pulls() bool { return r.set.Direction != store.DirToCalendar }
func (r *run) pushes() bool {
	return r.set.Direction != store.DirFromCalendar
}

func (r *run) do(ctx context.Context) error {
	var err error
	r.cal = r.set.CalendarID
	past, future := r.set.WindowPastDays, r.set.WindowFutureDays
	r.win = providers.Window{Start: r.now.AddDate(0, 0, -past), End: r.now.AddDate(0, 0, future)}
	r.touched = map[string]bool{}
	r.seen = map[int64]bool{}
	r.renewedAt = r.e.now() // the lease was just taken
	if r.meID, err = store.SyncMeID(ctx, r.e.Store.DB); err != nil {
		return err
	}
	if r.since, r.enteredAfter, err = r.scanSince(ctx); err != nil {
		return err
	}
	r.sum.FullScan = r.since.IsZero()
	if r.prov, err = r.e.Open(ctx, r.acct); err != nil {
		return stopErr(err)
	}
	if err := r.pull(ctx); err != nil {
		return unwrapStop(err)
	}
	if err := r.push(ctx); err != nil {
		return unwrapStop(err)
	}
	if err := r.settle(ctx); err != nil {
		return unwrapStop(err)
	}
	if !r.opts.DryRun {
		n, err := store.CountLinks(ctx, r.e.Store.DB, r.acct.ID)
		if err != nil {
			return err
		}
		r.sum.Links = n
	}
	return nil
}

func stopErr(err error) error { return errStop{err} }

func unwrapStop(err error) error {
	var s errStop
	if errors.As(err, &s) {
		return s.err
	}
	return err
}

// tx runs fn in a transaction; in a dry run the transaction is always rolled back, so
// decisions see their own effects within a page but nothing is kept.
var errDryRollback = errors.New("dry run: roll back")

func (r *run) tx(ctx context.Context, fn func(h store.Handler) error) error {
	err := r.e.Store.Tx(ctx, func(h store.Handler) error {
		r.jbuf = r.jbuf[:0]
		if err := fn(h); err != nil {
			return err
		}
		if err := store.AppendJournalBatch(ctx, h, r.jbuf); err != nil {
			return err
		}
		if r.opts.DryRun {
			return errDryRollback
		}
		return nil
	})
	if errors.Is(err, errDryRollback) {
		return nil
	}
	return err
}

// renew keeps the lease alive on long runs; losing it stops the run (someone else took
// over after we were presumed dead).
func (r *run) renew(ctx context.Context) error {
	if r.opts.DryRun {
		return nil
	}
	r.renewedAt = r.e.now()
	ok, err := store.RenewLease(ctx, r.e.Store.DB, r.acct.ID, r.holder, r.e.leaseTTL(), r.e.now())
	if err != nil {
		return err
	}
	if !ok {
		return stopErr(fmt.Errorf("%w: lost the sync lease to another process", ErrAlreadySyncing))
	}
	return nil
}

func (r *run) progress(phase string) {
	p := Progress{AccountID: r.acct.ID, AccountName: r.acct.Name, Phase: phase, Done: r.done, Summary: *r.sum}
	if phase == PhasePush {
		p.Total = max(r.total, r.done)
	}
	if phase == PhasePull {
		p.Pages = r.pages
	}
	r.e.observe(p)
}

// journal appends an entry (inside the caller's transaction).
// Entries are buffered and written by r.tx in the same transaction as the decisions
// (one multi-row insert per page instead of one statement per event).
func (r *run) journal(ctx context.Context, h store.Handler, activityID, remoteID, op, reason, detail string) error {
	r.jbuf = append(r.jbuf, store.JournalEntry{RunID: r.runID, At: r.now, AccountID: r.acct.ID,
		ActivityID: activityID, RemoteID: remoteID, Op: op, Reason: reason, Detail: r.scrub(detail)})
	return nil
}

// call runs one provider call with retries: retryable Kinds back off (honouring
// RetryAfter) within the attempt limit and the run's retry budget.
func (r *run) call(ctx context.Context, fn func() error) error {
	maxAttempts := r.e.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	budget := r.e.RetryBudget
	if budget <= 0 {
		budget = 2 * time.Minute
	}
	base := r.e.BaseBackoff
	if base <= 0 {
		base = time.Second
	}
	maxB := r.e.MaxBackoff
	if maxB <= 0 {
		maxB = 30 * time.Second
	}
	for attempt := 1; ; attempt++ {
		started := r.e.now()
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		k := providers.KindOf(err)
		if !k.Retryable() || attempt >= maxAttempts {
			return err
		}
		took := max(r.e.now().Sub(started), 0)
		r.spent += took
		d := base << (attempt - 1)
		if d > maxB || d <= 0 {
			d = maxB
		}
		if pe, ok := providers.AsError(err); ok && pe.RetryAfter > 0 {
			d = pe.RetryAfter
		}
		// The next attempt may take as long as this one did (a server that stalls until
		// the request deadline stalls again): retry only if it would still end within
		// the budget, so a dead server stops the run in time.
		if r.spent+d+took > budget {
			return err
		}
		r.spent += d
		if err := r.e.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// classify decides what a failed provider call means for the run: stop (auth, budget
// exhausted, cancellation) or skip the item (journaled by the caller).
func (r *run) classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return stopErr(err)
	}
	k := providers.KindOf(err)
	if k.StopsAccount() || k.Retryable() {
		return stopErr(err)
	}
	if k == "" {
		// Not a provider error: the store or our own bug. Stop rather than guess.
		return stopErr(err)
	}
	return nil
}

// version is a JSON snapshot of one side, written as a conflict's losing version.
func versionJSON(side string, ev providers.Event) string {
	b, _ := json.Marshal(struct {
		Side  string          `json:"side"`
		Event providers.Event `json:"version"`
	}{side, ev})
	return string(b)
}

func errDetail(err error) string {
	d := map[string]any{"error": err.Error()}
	if pe, ok := providers.AsError(err); ok {
		if pe.Hint != "" {
			d["hint"] = pe.Hint
		}
		if pe.Status != 0 {
			d["status"] = pe.Status
		}
		if pe.Code != "" {
			d["code"] = pe.Code
		}
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func (r *run) synced(t store.ActivityType) bool { return slices.Contains(r.set.Types, t) }

// freshNews reports whether a skip decision about a is new information worth a journal
// entry: the activity or the settings changed since the last successful run. Counting
// happens every run; journaling only when something could have changed the answer,
// so a quiet run writes nothing.
func (r *run) freshNews(a store.Activity) bool {
	return r.lastOK.IsZero() || !a.UpdatedAt.Before(r.lastOK) || !r.set.UpdatedAt.Before(r.lastOK)
}

// touch remembers, in a dry run only, that the pull phase counted this activity.
func (r *run) touch(id string) {
	if r.opts.DryRun {
		r.touched[id] = true
	}
}

// maybeRenew extends the lease when a third of its life has passed: a batch of slow or
// throttled writes must not outlive it.
func (r *run) maybeRenew(ctx context.Context) error {
	if r.e.now().Sub(r.renewedAt) < r.e.leaseTTL()/3 {
		return nil
	}
	return r.renew(ctx)
}

// scanSince decides how much the push phase must read. Everything (zero) unless the last
// successful run was clean (no item errors, no read-only skips), a whole-window pass
// happened within Engine.FullScanEvery, and the settings did not change since; then
// only what changed since that run started (minus a margin for clocks of other
// processes) plus what entered the window meanwhile.
func (r *run) scanSince(ctx context.Context) (since, enteredAfter time.Time, err error) {
	every := r.e.FullScanEvery
	if every == 0 {
		every = time.Hour
	}
	// A dry run is a preview: its counts must cover everything.
	if every < 0 || r.opts.FullScan || r.opts.DryRun {
		return time.Time{}, time.Time{}, nil
	}
	clean, err := store.LastRunWithStatus(ctx, r.e.Store.DB, r.acct.ID, store.RunOK)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, time.Time{}, nil
	} else if err != nil {
		return time.Time{}, time.Time{}, err
	}
	var s Summary
	if json.Unmarshal([]byte(clean.Summary), &s) != nil || s.Errors > 0 || s.Skipped[ReasonReadOnlyCalendar] > 0 {
		return time.Time{}, time.Time{}, nil
	}
	// Fewer links than that run left means someone else dropped links (the doctor's
	// resync, a restore): their activities must be found again.
	n, err := store.CountLinks(ctx, r.e.Store.DB, r.acct.ID)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if n < s.Links {
		return time.Time{}, time.Time{}, nil
	}
	full, err := store.LastRunWithFlag(ctx, r.e.Store.DB, r.acct.ID, "full_scan")
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, time.Time{}, nil
	} else if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if r.now.Sub(full.StartedAt) > every {
		return time.Time{}, time.Time{}, nil
	}
	since = clean.StartedAt.Add(-2 * time.Minute)
	if !r.set.UpdatedAt.Before(since) {
		return time.Time{}, time.Time{}, nil
	}
	return since, since.AddDate(0, 0, r.set.WindowFutureDays), nil
}
