// Package syncstatus runs the sync engine in the background of the app and shows its
// progress in the status bar: a Runner syncs every enabled account on its interval (and
// at once on "sync now"), streaming engine progress through a channel; the Model drains
// that channel with a re-armed wait command (Bubble Tea examples/realtime) and draws one
// status-bar segment, with a progress bar when a phase's size is known.
//
// Wiring (root model, package ui):
//
//	r := syncstatus.NewRunner(engine)          // engine: *sync.Engine from package main
//	st := syncstatus.New(ctx, r)               // ctx: *common.Context
//	Init:       tea.Batch(..., st.Init(), st.LoadOutcomes()) // the scheduler, the wait, the recorded outcomes
//	Update:     cmd := st.Update(msg)          // every message; returns the re-armed wait
//	keys:       if key.Matches(msg, st.Keys.SyncNow) { cmd = st.SyncNow() }
//	            if key.Matches(msg, st.Keys.Cause) { cmd = st.ShowCause() } // "!" on a failure
//	statusBar:  right-hand side = st.View()
//	quit:       r.Stop()                          // cancels a run and waits for it (bounded)
package syncstatus

import (
	"context"
	"fmt"
	"strings"
	gosync "sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
	"github.com/calsync/calsync/ui/common"
	"github.com/calsync/calsync/ui/safetext"
)

// ProgressMsg carries one engine progress event to the UI.
type ProgressMsg struct{ sync.Progress }

// IdleMsg says the runner finished a round (all due accounts synced) and why it ran.
type IdleMsg struct {
	Summaries []sync.Summary
	Err       error
}

// Runner owns the background sync loop. Its methods are safe from any goroutine.
type Runner struct {
	eng    *sync.Engine
	events chan tea.Msg
	kick   chan kickReq // an account to sync now ("" = all due and all enabled)
	stop   context.CancelFunc
	once   gosync.Once
	// stopped closes on Stop, so a run's final event never blocks a loop nobody drains;
	// exited closes when the loop (and any run it had in flight) returned.
	stopped  chan struct{}
	exited   chan struct{}
	stopOnce gosync.Once
	// Tick is how often the scheduler looks for due accounts (default 30 s).
	Tick time.Duration
}

// NewRunner wraps an engine; its Observer is replaced to feed the channel.
func NewRunner(eng *sync.Engine) *Runner {
	r := &Runner{eng: eng, events: make(chan tea.Msg, 64), kick: make(chan kickReq, 4), Tick: 30 * time.Second,
		stopped: make(chan struct{}), exited: make(chan struct{})}
	eng.Observer = r.observe
	return r
}

// observe forwards engine progress. Intermediate events are dropped when the UI lags
// (the next one carries newer counts); the final one of a run always goes through.
func (r *Runner) observe(p sync.Progress) {
	if p.Phase == sync.PhaseDone {
		select {
		case r.events <- ProgressMsg{p}:
		case <-r.stopped: // the app is gone: nobody will read it
		}
		return
	}
	select {
	case r.events <- ProgressMsg{p}:
	default:
	}
}

// Start launches the scheduler (once). It returns at once.
func (r *Runner) Start() {
	r.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		r.stop = cancel
		go func() {
			defer close(r.exited)
			r.loop(ctx)
		}()
	})
}

// StopTimeout bounds how long Stop waits for a cancelled run to wind down.
const StopTimeout = 3 * time.Second

// Stop ends the scheduler: a run in progress is cancelled (its transaction rolls back,
// nothing is half-written) and Stop waits, up to StopTimeout, for it to record itself as
// cancelled and give back the account's sync lease, so a `calsync sync` right after
// quitting does not find the account "already syncing". It reports whether the loop
// ended in time. Safe to call more than once, and before Start.
func (r *Runner) Stop() bool {
	r.stopOnce.Do(func() {
		if r.stopped != nil {
			close(r.stopped)
		}
	})
	r.once.Do(func() {}) // a Start after Stop does nothing
	if r.stop == nil {
		return true
	}
	r.stop()
	t := time.NewTimer(StopTimeout)
	defer t.Stop()
	select {
	case <-r.exited:
		return true
	case <-t.C:
		return false
	}
}

// kickReq is a request for an immediate run.
type kickReq struct {
	id string
	// confirmShift runs the account with the time-shift guard's moves confirmed.
	confirmShift bool
}

// SyncNow asks for an immediate run of accountID ("" = every enabled account).
func (r *Runner) SyncNow(accountID string) {
	select {
	case r.kick <- kickReq{id: accountID}:
	default: // a request is already queued
	}
}

// ConfirmTimeShift asks for an immediate run of accountID with the moves the time-shift
// guard held back confirmed (sync.RunOptions.ConfirmTimeShift). It waits for room in the
// queue rather than being dropped like a second "sync now": the person asked for it.
func (r *Runner) ConfirmTimeShift(accountID string) {
	if accountID == "" {
		return
	}
	go func() {
		select {
		case r.kick <- kickReq{id: accountID, confirmShift: true}:
		case <-r.stopped:
		}
	}()
}

// Wait is the command that delivers the next event; re-arm it after each one.
func (r *Runner) Wait() tea.Cmd {
	return func() tea.Msg { return <-r.events }
}

func (r *Runner) loop(ctx context.Context) {
	next := map[string]time.Time{}
	tick := r.Tick
	if tick <= 0 {
		tick = 30 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	run := func(req kickReq, all bool) {
		sums, err := r.round(ctx, next, req, all)
		if len(sums) > 0 || err != nil {
			select {
			case r.events <- IdleMsg{Summaries: sums, Err: err}:
			case <-ctx.Done():
			}
		}
	}
	run(kickReq{}, false)
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-r.kick:
			run(req, req.id == "")
		case <-t.C:
			run(kickReq{}, false)
		}
	}
}

// round syncs the accounts that are due (or forced).
func (r *Runner) round(ctx context.Context, next map[string]time.Time, req kickReq, all bool) ([]sync.Summary, error) {
	st := r.eng.Store
	accts, err := store.ListAccounts(ctx, st.DB)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var sums []sync.Summary
	var first error
	for _, a := range accts {
		set, err := store.GetSyncSettings(ctx, st.DB, a.ID)
		if err != nil {
			return sums, err
		}
		forced := all || req.id == a.ID
		if !set.Enabled || a.State != store.AccountConnected {
			continue
		}
		if t, ok := next[a.ID]; ok && now.Before(t) && !forced {
			continue
		}
		opts := sync.RunOptions{Wait: 5 * time.Second}
		opts.ConfirmTimeShift = req.confirmShift && req.id == a.ID
		s, err := r.eng.Run(ctx, a.ID, opts)
		if ctx.Err() != nil {
			return sums, ctx.Err()
		}
		sums = append(sums, s)
		if err != nil && first == nil {
			first = err
		}
		iv := set.Interval
		if iv < time.Minute {
			iv = time.Minute
		}
		if s.Temporary {
			iv = time.Minute
		}
		next[a.ID] = time.Now().Add(iv)
	}
	return sums, first
}

// Keys of the sync status widget.
type Keys struct {
	SyncNow key.Binding
	// Cause opens Troubleshoot on the account whose last sync failed (only while one did).
	Cause key.Binding
}

// DefaultKeys binds "sync now" to ctrl+r (ctrl+s is flow control in many terminals) and
// "why did it fail" to "!".
func DefaultKeys() Keys {
	return Keys{SyncNow: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "sync now")),
		Cause: key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "why sync failed"))}
}

// OutcomesMsg carries the accounts' recorded last outcomes, read when the app starts
// (the root routes it to the widget): a sync that failed before the app was opened (from
// cron, or the last session) shows at once.
type OutcomesMsg struct {
	Outcomes []sync.Outcome
	Err      error
}

// Model is the status-bar segment.
type Model struct {
	ctx    *common.Context
	runner *Runner
	Keys   Keys

	running map[string]sync.Progress // account id -> latest progress of a run in flight
	// started is when the UI first heard of each run in flight (to tell long runs from
	// quick ones); beats counts its progress events, which step the listing's marching
	// indicator: it moves as pages arrive and stands still when the calendar stalls.
	started  map[string]time.Time
	beats    map[string]int
	last     *sync.Summary // the last finished run
	lastAt   time.Time
	lastErr  string
	finished int
	// outcomes is how each account's last sync went (order: accounts as first heard of),
	// so a failure of one account is not hidden by the next account's success; heard
	// marks accounts whose outcome came from a run of this session (newer than the store's).
	outcomes map[string]sync.Outcome
	order    []string
	heard    map[string]bool
}

// A run is "long" (and gets a bar) once it has lasted LongRunAfter or handles at least
// LongRunItems items: quick runs keep a one-line count instead of a bar that flickers
// in and out.
const (
	LongRunAfter = time.Second
	LongRunItems = 100
	barWidth     = 12
)

// New builds the widget over a runner (nil: the widget shows nothing and SyncNow is a no-op).
func New(ctx *common.Context, r *Runner) *Model {
	return &Model{ctx: ctx, runner: r, Keys: DefaultKeys(), running: map[string]sync.Progress{},
		started: map[string]time.Time{}, beats: map[string]int{}, outcomes: map[string]sync.Outcome{}, heard: map[string]bool{}}
}

// LoadOutcomes reads the recorded outcomes of every account (the root runs it at start
// and routes the OutcomesMsg back here).
func (m *Model) LoadOutcomes() tea.Cmd {
	if m.ctx == nil || m.ctx.Services.Store == nil {
		return nil
	}
	st := m.ctx.Services.Store
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		os, err := sync.LastOutcomes(ctx, st.DB)
		return OutcomesMsg{Outcomes: os, Err: err}
	}
}

func (m *Model) setOutcome(o sync.Outcome) {
	if _, ok := m.outcomes[o.AccountID]; !ok {
		m.order = append(m.order, o.AccountID)
	}
	m.outcomes[o.AccountID] = o
}

// Failed returns the first account whose last sync failed, wholly or in part.
func (m *Model) Failed() (sync.Outcome, bool) {
	for _, id := range m.order {
		if o := m.outcomes[id]; o.Bad() {
			return o, true
		}
	}
	return sync.Outcome{}, false
}

// failedCount is how many accounts' last sync failed.
func (m *Model) failedCount() int {
	n := 0
	for _, o := range m.outcomes {
		if o.Bad() {
			n++
		}
	}
	return n
}

// ShowCause opens Troubleshoot on the first failing account (nil when none failed).
func (m *Model) ShowCause() tea.Cmd {
	o, ok := m.Failed()
	if !ok {
		return nil
	}
	return common.TroubleshootAccount(o.AccountID, o.Reason)
}

// Init starts the background scheduler and the first wait.
func (m *Model) Init() tea.Cmd {
	if m.runner == nil {
		return nil
	}
	m.runner.Start()
	return m.runner.Wait()
}

// SyncNow asks for a run of every enabled account and says so in the status bar.
func (m *Model) SyncNow() tea.Cmd {
	if m.runner == nil {
		return common.Status("sync is not available")
	}
	m.runner.SyncNow("")
	return common.Status("sync started")
}

// ConfirmTimeShift runs accountID once with the held time shift confirmed and says so.
func (m *Model) ConfirmTimeShift(accountID string) tea.Cmd {
	if m.runner == nil {
		return common.Status("sync is not available")
	}
	m.runner.ConfirmTimeShift(accountID)
	return common.Status("moving the activities to the calendar's times…")
}

// Update handles the runner's messages; it returns the re-armed wait (and, when a run
// finished, DataChanged so lists reload and a status line on failures).
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ProgressMsg:
		p := msg.Progress
		cmds := []tea.Cmd{m.runner.Wait()}
		if p.Phase == sync.PhaseDone {
			delete(m.running, p.AccountID)
			delete(m.started, p.AccountID)
			delete(m.beats, p.AccountID)
			s := p.Summary
			m.last, m.lastAt, m.finished = &s, m.now(), m.finished+1
			m.lastErr = ""
			if p.Err != nil {
				m.lastErr = safetext.Line(fmt.Sprintf("%s: %s", name(p), p.Err.Error()))
				cmds = append(cmds, common.StatusErr(fmt.Errorf("sync %s", m.lastErr)))
			}
			changed := s.Changed()
			// A run stopped from outside, or one that found another calsync syncing the
			// account (cron), says nothing about the account: the other run records that.
			if !s.Cancelled && s.ErrorCode != sync.ReasonAlreadySyncing {
				o := s.Outcome()
				o.AccountID, o.AccountName, o.At = p.AccountID, name(p), m.now()
				if p.Err != nil && o.State != sync.OutcomeFailed {
					o.State, o.Message = sync.OutcomeFailed, p.Err.Error()
				}
				// A failure (or its end) is news for Home even when no data changed.
				changed = changed || o.Bad() || m.outcomes[p.AccountID].Bad()
				m.setOutcome(o)
				m.heard[p.AccountID] = true
			}
			if changed {
				cmds = append(cmds, common.DataChanged("sync"))
			}
		} else {
			if _, ok := m.started[p.AccountID]; !ok {
				m.started[p.AccountID] = m.now()
			}
			if p.Phase != m.running[p.AccountID].Phase {
				m.beats[p.AccountID] = 0
			}
			m.beats[p.AccountID]++
			m.running[p.AccountID] = p
		}
		return tea.Batch(cmds...)
	case IdleMsg:
		return m.runner.Wait()
	case OutcomesMsg:
		for _, o := range msg.Outcomes {
			if !m.heard[o.AccountID] { // a run of this session already said newer
				m.setOutcome(o)
			}
		}
		return nil
	}
	return nil
}

func (m *Model) now() time.Time {
	if m.ctx != nil && m.ctx.Now != nil {
		return m.ctx.Now()
	}
	return time.Now()
}

// Running reports whether a sync is in flight (the root may ask before quitting).
func (m *Model) Running() bool { return len(m.running) > 0 }

func name(p sync.Progress) string {
	if p.AccountName != "" {
		return p.AccountName
	}
	return p.AccountID
}

// View is the status-bar segment: the run in progress with counts (on long runs with a
// bar: filled when the phase's size is known, a marching block while a listing of unknown
// size is read), else when the last sync finished and how it went.
func (m *Model) View() string {
	st := m.ctx.Styles
	for id, p := range m.running { // at most one at a time: the engine runs accounts in turn
		s := p.Summary
		label := "⟳ " + safetext.Line(name(p)) + ": "
		long := m.now().Sub(m.started[id]) >= LongRunAfter || max(p.Done, p.Total) >= LongRunItems
		switch p.Phase {
		case sync.PhasePull:
			if !long {
				return st.StatusBusy.Render(fmt.Sprintf("%sreading calendar… %d events, %d imported", label, p.Done, s.Imported))
			}
			bar := m.bar(Marching(m.beats[id]-1, barWidth))
			counts := " " + common.Count(p.Done) + " events, " + common.Count(s.Imported) + " imported"
			pages := ""
			if p.Pages > 0 {
				pages = " (page " + common.Count(p.Pages) + ")"
			}
			return m.fit(
				st.StatusBusy.Render(label+"reading calendar ")+bar+st.StatusBusy.Render(counts+pages),
				st.StatusBusy.Render(label+"reading ")+bar+st.StatusBusy.Render(counts),
				st.StatusBusy.Render("⟳ ")+bar+st.StatusBusy.Render(counts))
		case sync.PhasePush:
			if p.Total > 0 && long {
				bar := m.bar(Bar(p.Done, p.Total, barWidth))
				counts := st.StatusBusy.Render(" pushed " + common.Count(p.Done) + "/" + common.Count(p.Total))
				return m.fit(st.StatusBusy.Render(label+"writing ")+bar+counts, st.StatusBusy.Render("⟳ ")+bar+counts)
			}
			return st.StatusBusy.Render(fmt.Sprintf("%swriting… %d pushed", label, s.Pushed))
		default:
			return st.StatusBusy.Render(label + "syncing…")
		}
	}
	if o, ok := m.Failed(); ok {
		// Red until that account syncs cleanly: which account, what went wrong, and the
		// key that opens the cause.
		what := "sync failed"
		if o.State == sync.OutcomePartial {
			what = "sync partly failed"
		}
		if o.TimeShift > 0 {
			what = "sync held back moves"
		}
		ago := humanAgo(m.now().Sub(o.At))
		if o.At.IsZero() {
			ago = ""
		}
		more := ""
		if n := m.failedCount(); n > 1 {
			more = fmt.Sprintf(" (+%d more)", n-1)
		}
		acct := safetext.Line(o.AccountName)
		if acct == "" {
			acct = o.AccountID
		}
		why := safetext.Line(o.Headline())
		return m.fit(
			st.StatusError.Render(strings.TrimSpace(fmt.Sprintf("✗ %s: %s %s", acct, what, ago))+": "+why+more)+st.StatusInfo.Render(" — ! why"),
			st.StatusError.Render("✗ "+acct+": "+why+more)+st.StatusInfo.Render(" — !"),
			st.StatusError.Render("✗ "+acct+more+" — !"))
	}
	if m.last == nil {
		return ""
	}
	ago := humanAgo(m.now().Sub(m.lastAt))
	if m.lastErr != "" {
		return st.StatusError.Render("✗ sync failed " + ago)
	}
	s := *m.last
	text := fmt.Sprintf("✓ synced %s", ago)
	if s.Pulled+s.Pushed > 0 {
		text += fmt.Sprintf(" (↓%d ↑%d)", s.Pulled, s.Pushed)
	}
	if s.Conflicts+s.Errors > 0 {
		return st.StatusBusy.Render(text + fmt.Sprintf(", %d conflicts, %d errors — see Log", s.Conflicts, s.Errors))
	}
	return st.StatusInfo.Render(text)
}

// fit returns the first of the segments (fullest first) that leaves a third of the status
// bar to the screen's own messages (the root drops a segment that does not fit); the last
// one when none does.
func (m *Model) fit(segments ...string) string {
	for _, seg := range segments {
		if m.ctx.Width <= 0 || lipgloss.Width(seg) <= m.ctx.Width*2/3 {
			return seg
		}
	}
	return segments[len(segments)-1]
}

// bar colours a bar drawn by Bar or Marching: filled cells in the accent colour, empty
// ones subtle. The glyphs differ too (█ and ░), so it reads the same under NO_COLOR.
func (m *Model) bar(b string) string {
	st := m.ctx.Styles
	var out strings.Builder
	for _, r := range b {
		switch r {
		case '█':
			out.WriteString(st.Command.Render(string(r)))
		case '░':
			out.WriteString(st.TabRule.Render(string(r)))
		default:
			out.WriteString(st.StatusBusy.Render(string(r)))
		}
	}
	return out.String()
}

// Bar draws a width-cell progress bar for done of total.
func Bar(done, total, width int) string {
	if total <= 0 || width <= 0 {
		return ""
	}
	done = min(max(done, 0), total)
	full := done * width / total
	return "[" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + "]"
}

// Marching draws a width-cell indeterminate bar: a block of three cells that moves one
// cell per step and bounces at the ends, for work whose size is not known.
func Marching(step, width int) string {
	const block = 3
	step = max(step, 0)
	if width < block {
		return ""
	}
	span := width - block
	pos := 0
	if span > 0 {
		pos = step % (2 * span)
		if pos > span {
			pos = 2*span - pos
		}
	}
	return "[" + strings.Repeat("░", pos) + strings.Repeat("█", block) + strings.Repeat("░", span-pos) + "]"
}

func humanAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}
