package sync

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/calsync/calsync/providers"
)

// memProvider is an in-memory calendar that behaves like the real services where the
// engine cares: etags that change on every write, a change log read through opaque
// cursors (paged, tokens that expire), windowed full listings, idempotent creates keyed
// on the activity id, If-Match preconditions, and injectable faults.
type memProvider struct {
	mu       gosync.Mutex
	now      func() time.Time
	seq      int
	minSeq   int // cursors older than this are expired
	events   map[string]*memEvent
	pageSize int
	// fault, when set, may fail a call before it happens ("changes", "create", "update", "delete").
	fault func(op string) error
	calls int
	// log is every change in seq order, so an increment reads only what changed.
	log []logEntry
}

type logEntry struct {
	seq int
	id  string
}

type memEvent struct {
	ev      providers.Event
	deleted bool
	seq     int
}

func newMemProvider(now func() time.Time) *memProvider {
	return &memProvider{now: now, events: map[string]*memEvent{}, pageSize: 3}
}

func (p *memProvider) perr(kind providers.Kind, op, msg string) error {
	return &providers.Error{Kind: kind, Provider: "mem", Op: op, Message: msg}
}

func (p *memProvider) before(op string) error {
	p.calls++
	if p.fault != nil {
		return p.fault(op)
	}
	return nil
}

func (p *memProvider) bump(e *memEvent) {
	p.seq++
	e.seq = p.seq
	p.log = append(p.log, logEntry{p.seq, e.ev.RemoteID})
	e.ev.ETag = fmt.Sprintf("\"e%d\"", p.seq)
	e.ev.Updated = p.now().UTC()
}

func (p *memProvider) Calendars(ctx context.Context) ([]providers.Calendar, error) {
	return []providers.Calendar{{ID: "cal", Name: "Work", Primary: true, Events: true}}, nil
}

func (p *memProvider) Access(ctx context.Context) (providers.AccessReport, error) {
	return providers.AccessReport{Login: "me@example.com", CanWrite: true}, nil
}

// Changes: cursor "" lists the window in pages ("full:<offset>:<snapshotSeq>");
// "c:<seq>" lists changes after seq ("inc:<offset>:<from>:<snapshotSeq>" for later pages).
func (p *memProvider) Changes(ctx context.Context, cal, cursor string, win providers.Window) (providers.ChangePage, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.before("changes"); err != nil {
		return providers.ChangePage{}, err
	}
	var from, offset, snap int
	full := false
	switch {
	case cursor == "":
		full, snap = true, p.seq
	case strings.HasPrefix(cursor, "full:"):
		f := strings.Split(cursor, ":")
		full = true
		offset, _ = strconv.Atoi(f[1])
		snap, _ = strconv.Atoi(f[2])
	case strings.HasPrefix(cursor, "c:"):
		from, _ = strconv.Atoi(cursor[2:])
		snap = p.seq
	case strings.HasPrefix(cursor, "inc:"):
		f := strings.Split(cursor, ":")
		offset, _ = strconv.Atoi(f[1])
		from, _ = strconv.Atoi(f[2])
		snap, _ = strconv.Atoi(f[3])
	default:
		return providers.ChangePage{}, p.perr(providers.Invalid, "list events", "bad cursor")
	}
	if !full && from < p.minSeq {
		return providers.ChangePage{}, p.perr(providers.CursorExpired, "list events", "Sync token is no longer valid, a full sync is required.")
	}
	var ids []string
	if full {
		for id, e := range p.events {
			if !e.deleted && win.Contains(e.ev.Start, e.ev.End) {
				ids = append(ids, id)
			}
		}
	} else {
		seen := map[string]bool{}
		for _, le := range p.log[sort.Search(len(p.log), func(i int) bool { return p.log[i].seq > from }):] {
			if p.events[le.id] == nil {
				continue // removed behind the change log's back (a test's doing)
			}
			if !seen[le.id] {
				seen[le.id] = true
				ids = append(ids, le.id)
			}
		}
	}
	sort.Strings(ids)
	page := providers.ChangePage{Full: full}
	end := offset + p.pageSize
	if end >= len(ids) {
		end = len(ids)
	}
	if offset > len(ids) {
		offset = len(ids)
	}
	for _, id := range ids[offset:end] {
		e := p.events[id]
		ev := e.ev
		if e.deleted {
			ev = providers.Event{RemoteID: id, Deleted: true}
		}
		page.Events = append(page.Events, ev)
	}
	if end < len(ids) {
		page.More = true
		if full {
			page.NextCursor = fmt.Sprintf("full:%d:%d", end, snap)
		} else {
			page.NextCursor = fmt.Sprintf("inc:%d:%d:%d", end, from, snap)
		}
	} else {
		// Changes made while paging come again next time: the token is the seq the
		// listing started at.
		page.NextCursor = fmt.Sprintf("c:%d", snap)
	}
	return page, nil
}

func remoteIDFor(activityID string) string { return "ev-" + activityID }

func (p *memProvider) Create(ctx context.Context, cal string, ev providers.Event) (providers.Event, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.before("create"); err != nil {
		return providers.Event{}, err
	}
	if ev.ActivityID == "" {
		return providers.Event{}, p.perr(providers.Invalid, "create event", "no activity id")
	}
	id := remoteIDFor(ev.ActivityID)
	if e, ok := p.events[id]; ok && !e.deleted {
		return e.ev, nil // idempotent: the retry finds the first create
	}
	ev.RemoteID = id
	e := &memEvent{ev: ev}
	p.bump(e)
	p.events[id] = e
	return e.ev, nil
}

func (p *memProvider) Update(ctx context.Context, cal string, ev providers.Event, ifMatch string) (providers.Event, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.before("update"); err != nil {
		return providers.Event{}, err
	}
	e, ok := p.events[ev.RemoteID]
	if !ok || e.deleted {
		return providers.Event{}, p.perr(providers.NotFound, "update event", "Not Found")
	}
	if ifMatch != "" && ifMatch != e.ev.ETag {
		return providers.Event{}, p.perr(providers.Conflict, "update event", "Precondition Failed")
	}
	tag := e.ev.ActivityID
	if ev.ActivityID != "" {
		tag = ev.ActivityID
	}
	e.ev = ev
	e.ev.ActivityID = tag
	p.bump(e)
	return e.ev, nil
}

func (p *memProvider) Delete(ctx context.Context, cal, remoteID, ifMatch string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.before("delete"); err != nil {
		return err
	}
	e, ok := p.events[remoteID]
	if !ok || e.deleted {
		return nil
	}
	if ifMatch != "" && ifMatch != e.ev.ETag {
		return p.perr(providers.Conflict, "delete event", "Precondition Failed")
	}
	e.deleted = true
	p.bump(e)
	return nil
}

// ---- what a person does in the calendar app ----

var remoteSerial int

func (p *memProvider) userCreate(subject string, start time.Time, d time.Duration) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	remoteSerial++
	id := fmt.Sprintf("user-%d", remoteSerial)
	e := &memEvent{ev: providers.Event{RemoteID: id, Subject: subject, Start: start, End: start.Add(d), TimeZone: "UTC"}}
	p.bump(e)
	p.events[id] = e
	return id
}

func (p *memProvider) userEdit(id, subject string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.events[id]
	if !ok || e.deleted {
		return false
	}
	e.ev.Subject = subject
	p.bump(e)
	return true
}

func (p *memProvider) userDelete(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.events[id]
	if !ok || e.deleted {
		return false
	}
	e.deleted = true
	p.bump(e)
	return true
}

func (p *memProvider) live() map[string]providers.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]providers.Event{}
	for id, e := range p.events {
		if !e.deleted {
			out[id] = e.ev
		}
	}
	return out
}

// expireCursors makes every change token issued so far stale (410 fullSyncRequired).
func (p *memProvider) expireCursors() {
	p.mu.Lock()
	p.minSeq = p.seq + 1
	p.mu.Unlock()
}

// crashingProvider simulates the process dying around the n-th provider call: before it
// (nothing happens remotely) or after it (the remote changed, the answer is lost). It
// cancels the run's context so every later store write fails like a dead process's.
type crashingProvider struct {
	providers.Provider
	n      int
	after  bool
	cancel context.CancelFunc
	calls  int
	fired  bool
}

var errCrash = context.Canceled

func (c *crashingProvider) hit(do func() error) error {
	c.calls++
	if c.fired || c.calls != c.n {
		if c.fired {
			return errCrash
		}
		return do()
	}
	c.fired = true
	if c.after {
		_ = do()
	}
	c.cancel()
	return errCrash
}

func (c *crashingProvider) Changes(ctx context.Context, cal, cursor string, win providers.Window) (page providers.ChangePage, err error) {
	err = c.hit(func() error { page, err = c.Provider.Changes(ctx, cal, cursor, win); return err })
	return
}
func (c *crashingProvider) Create(ctx context.Context, cal string, ev providers.Event) (out providers.Event, err error) {
	err = c.hit(func() error { out, err = c.Provider.Create(ctx, cal, ev); return err })
	return
}
func (c *crashingProvider) Update(ctx context.Context, cal string, ev providers.Event, ifMatch string) (out providers.Event, err error) {
	err = c.hit(func() error { out, err = c.Provider.Update(ctx, cal, ev, ifMatch); return err })
	return
}
func (c *crashingProvider) Delete(ctx context.Context, cal, remoteID, ifMatch string) error {
	return c.hit(func() error { return c.Provider.Delete(ctx, cal, remoteID, ifMatch) })
}
