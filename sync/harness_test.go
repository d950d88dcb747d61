package sync

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// remote is the calendar side of a test: the provider the engine talks to plus what a
// person does in their calendar app. memRemote wraps memProvider; the Google and Graph
// fakes get their own adapters.
type remote interface {
	Provider() providers.Provider
	UserCreate(subject string, start time.Time, d time.Duration) string
	UserEdit(id, subject string) bool
	UserDelete(id string) bool
	// Live lists the events that exist now, by remote id.
	Live() map[string]providers.Event
	ExpireCursors()
	// SetFault makes calls fail ("changes", "create", "update", "delete"); nil clears.
	SetFault(f func(op string) error)
	Name() string
}

type memRemote struct{ p *memProvider }

func (m memRemote) Provider() providers.Provider { return m.p }
func (m memRemote) UserCreate(s string, st time.Time, d time.Duration) string {
	return m.p.userCreate(s, st, d)
}
func (m memRemote) UserEdit(id, s string) bool       { return m.p.userEdit(id, s) }
func (m memRemote) UserDelete(id string) bool        { return m.p.userDelete(id) }
func (m memRemote) Live() map[string]providers.Event { return m.p.live() }
func (m memRemote) ExpireCursors()                   { m.p.expireCursors() }
func (m memRemote) SetFault(f func(op string) error) { m.p.mu.Lock(); m.p.fault = f; m.p.mu.Unlock() }
func (m memRemote) Name() string                     { return "mem" }

// fastTempDir is a temporary directory on tmpfs when there is one: the model test opens
// hundreds of databases and would otherwise wait on fsync.
func fastTempDir(t testing.TB) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "calsync-sync-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type harness struct {
	t     testing.TB
	ctx   context.Context
	st    *store.Store
	rem   remote
	clock time.Time
	acct  store.Account
	me    string
	slept []time.Duration
	// wrap, when set, wraps the provider of the next runs (crash injection).
	wrap func(p providers.Provider, cancel context.CancelFunc) providers.Provider
}

type remoteFactory func(t testing.TB, now func() time.Time) remote

func memFactory(t testing.TB, now func() time.Time) remote { return memRemote{newMemProvider(now)} }

func newHarness(t testing.TB, mk remoteFactory, direction string, tweak ...func(*store.SyncSettings)) *harness {
	t.Helper()
	st, err := store.Open(context.Background(), fastTempDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, ctx: context.Background(), st: st, clock: base}
	h.rem = mk(t, func() time.Time { return h.clock })
	me, err := store.EnsureMe(h.ctx, st.DB, "Me", base)
	if err != nil {
		t.Fatal(err)
	}
	h.me = me.ID
	h.acct, err = store.CreateAccount(h.ctx, st.DB, store.Account{Kind: "google", Name: "Work", Login: "me@example.com", CreatedAt: base})
	if err != nil {
		t.Fatal(err)
	}
	set := store.DefaultSyncSettings(h.acct.ID)
	set.CalendarID = calendarIDOf(t, h.rem)
	set.Direction = direction
	set.Enabled = true
	act := base.Add(-time.Hour)
	set.ActivatedAt = &act
	set.UpdatedAt = base.Add(-time.Hour)
	for _, f := range tweak {
		f(&set)
	}
	if err := store.PutSyncSettings(h.ctx, st.DB, set); err != nil {
		t.Fatal(err)
	}
	return h
}

func calendarIDOf(t testing.TB, r remote) string {
	cals, err := r.Provider().Calendars(context.Background())
	if err != nil || len(cals) == 0 {
		t.Fatalf("calendars: %v %v", cals, err)
	}
	for _, c := range cals {
		if c.Primary {
			return c.ID
		}
	}
	return cals[0].ID
}

func (h *harness) engine(ctx context.Context, cancel context.CancelFunc) *Engine {
	return &Engine{
		Store: h.st,
		Open: func(ctx context.Context, a store.Account) (providers.Provider, error) {
			p := h.rem.Provider()
			if h.wrap != nil {
				p = h.wrap(p, cancel)
			}
			return p, nil
		},
		Now: func() time.Time { return h.clock },
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.slept = append(h.slept, d)
			h.clock = h.clock.Add(d)
			return ctx.Err()
		},
		Holder: "test",
	}
}

func (h *harness) runWith(opts RunOptions) (Summary, error) {
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	h.clock = h.clock.Add(time.Second)
	return h.engine(ctx, cancel).Run(ctx, h.acct.ID, opts)
}

// sync runs the engine and fails the test on an error.
func (h *harness) sync() Summary {
	h.t.Helper()
	s, err := h.runWith(RunOptions{})
	if err != nil {
		h.t.Fatalf("sync: %v (summary %+v)", err, s)
	}
	return s
}

func (h *harness) tick() { h.clock = h.clock.Add(time.Minute) }

func (h *harness) localCreate(subject string, typ store.ActivityType) string {
	h.t.Helper()
	h.tick()
	a, err := store.CreateActivity(h.ctx, h.st.DB, store.ActivityInput{Type: typ, Subject: subject,
		Start: base.Add(24 * time.Hour), Duration: 30 * time.Minute}, h.clock)
	if err != nil {
		h.t.Fatal(err)
	}
	return a.ID
}

func (h *harness) localEdit(id, subject string) {
	h.t.Helper()
	h.tick()
	if _, err := store.UpdateActivity(h.ctx, h.st.DB, id, store.ActivityPatch{Subject: &subject}, h.clock); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) localDelete(id string) {
	h.t.Helper()
	h.tick()
	if _, err := store.DeleteActivity(h.ctx, h.st.DB, id, h.clock); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) remoteCreate(subject string) string {
	h.tick()
	return h.rem.UserCreate(subject, base.Add(48*time.Hour), time.Hour)
}

func (h *harness) remoteEdit(id, subject string) {
	h.t.Helper()
	h.tick()
	if !h.rem.UserEdit(id, subject) {
		h.t.Fatalf("remote edit of %s: no such event", id)
	}
}

func (h *harness) remoteDelete(id string) {
	h.t.Helper()
	h.tick()
	if !h.rem.UserDelete(id) {
		h.t.Fatalf("remote delete of %s: no such event", id)
	}
}

func (h *harness) activity(id string) store.Activity {
	h.t.Helper()
	a, err := store.GetActivity(h.ctx, h.st.DB, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// liveActivities lists the activities that are not tombstoned, by id.
func (h *harness) liveActivities() map[string]store.Activity {
	h.t.Helper()
	rows, err := h.st.DB.Query(`SELECT id FROM activities WHERE deleted_at IS NULL`)
	if err != nil {
		h.t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	out := map[string]store.Activity{}
	for _, id := range ids {
		out[id] = h.activity(id)
	}
	return out
}

func (h *harness) remoteOf(activityID string) (providers.Event, bool) {
	l, err := store.GetLinkByActivity(h.ctx, h.st.DB, h.acct.ID, "", activityID)
	if err != nil {
		return providers.Event{}, false
	}
	ev, ok := h.rem.Live()[l.RemoteID]
	return ev, ok
}

func (h *harness) activityOf(remoteID string) (store.Activity, bool) {
	h.t.Helper()
	cal := calendarIDOf(h.t, h.rem)
	l, err := store.GetLinkByRemote(h.ctx, h.st.DB, h.acct.ID, cal, remoteID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Activity{}, false
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return h.activity(l.ActivityID), true
}

func (h *harness) journal(q store.JournalQuery) []store.JournalEntry {
	h.t.Helper()
	q.Limit = 10000
	js, err := store.QueryJournal(h.ctx, h.st.DB, q)
	if err != nil {
		h.t.Fatal(err)
	}
	return js
}

func (h *harness) hasJournal(activityID, op, reason, detailContains string) bool {
	for _, e := range h.journal(store.JournalQuery{ActivityID: activityID, Op: op, Reason: reason}) {
		if strings.Contains(e.Detail, detailContains) {
			return true
		}
	}
	return false
}

func (h *harness) dumpJournal() string {
	var b strings.Builder
	for _, e := range h.journal(store.JournalQuery{}) {
		js, _ := json.Marshal(e)
		b.Write(js)
		b.WriteByte('\n')
	}
	return b.String()
}

// remoteBySubject finds live events with that subject.
func (h *harness) remoteBySubject(subject string) []providers.Event {
	var out []providers.Event
	for _, ev := range h.rem.Live() {
		if ev.Subject == subject {
			out = append(out, ev)
		}
	}
	return out
}

func (h *harness) localBySubject(subject string) []store.Activity {
	var out []store.Activity
	for _, a := range h.liveActivities() {
		if a.Subject == subject {
			out = append(out, a)
		}
	}
	return out
}
