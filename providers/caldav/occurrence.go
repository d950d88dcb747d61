package caldav

// Writing single occurrences of a recurring series (RFC 5545 3.8.4.4, 3.8.5.1; RFC 4791
// 4.1: a series and all its overrides live in one calendar object resource):
//   - an edit becomes (or rewrites) an overriding VEVENT with the same UID and a
//     RECURRENCE-ID naming the occurrence's original start; the master and the other
//     overrides are kept as the server had them;
//   - a deletion adds an EXDATE to the master and drops that occurrence's override; an
//     object holding only overrides (an invitation to single occurrences) loses the
//     override, and the resource is deleted when nothing is left.
// Both are a read-modify-write of the resource guarded by If-Match with the etag just
// read, and the caller's ifMatch is compared with the occurrence's own version
// (instanceETag), so an edit of a sibling occurrence is no conflict.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/calsync/calsync/providers"
)

// instanceETag is an occurrence's version: a hash of what calsync reads from it. It
// changes when this occurrence changes (its override, or a master edit it inherits) and
// not when a sibling is edited.
func instanceETag(ev providers.Event) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q|%q|%q|%q|%d|%d|%v|%q", ev.Subject, ev.Description, ev.Location, ev.ActivityID,
		ev.Start.Unix(), ev.End.Unix(), ev.AllDay, ev.TimeZone)
	return "occ-" + hex.EncodeToString(h.Sum(nil)[:12])
}

// splitInstanceID splits "<href>#<rid>" into the resource id and the recurrence key.
func splitInstanceID(id string) (href, rid string, ok bool) {
	href, rid, ok = strings.Cut(id, "#")
	return href, rid, ok && href != "" && rid != ""
}

// ridTime parses a recurrence key made by ridKey.
func ridTime(rid string) (time.Time, bool, error) {
	if t, err := time.ParseInLocation("20060102", rid, time.UTC); err == nil {
		return t, true, nil
	}
	t, err := time.ParseInLocation("20060102T150405Z", rid, time.UTC)
	return t, false, err
}

// occurrenceTarget is a series resource read for a write to one of its occurrences.
type occurrenceTarget struct {
	u    *url.URL
	etag string
	cal  *ical.Calendar
	z    *zones
	inst providers.Event // the occurrence as listed
	rid  string
}

// readOccurrence GETs the series resource and finds occurrence id in it. found is false
// when the resource or the occurrence is gone.
func (p *Provider) readOccurrence(ctx context.Context, op, id string) (t occurrenceTarget, found bool, err error) {
	href, rid, ok := splitInstanceID(id)
	if !ok {
		return t, false, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Message: "not an occurrence id"}
	}
	ridT, _, perr := ridTime(rid)
	if perr != nil {
		return t, false, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Message: "unreadable occurrence id"}
	}
	u, err := resolveID(p.base, href)
	if err != nil {
		return t, false, err
	}
	data, etag, err := p.getRaw(ctx, op, u)
	if providers.IsKind(err, providers.NotFound) {
		return t, false, nil
	}
	if err != nil {
		return t, false, err
	}
	calURL, _ := u.Parse("./")
	floating := p.floatingZone(ctx, calURL)
	// A window around the original start: an override may have moved the occurrence,
	// by up to a year either way.
	win := providers.Window{Start: ridT.AddDate(-1, 0, -1), End: ridT.AddDate(1, 0, 1)}
	evs, derr := decodeObjectIn(idFor(p.base, u), etag, data, win, p.now(), floating)
	if derr != nil {
		return t, false, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op,
			Message: "the server's copy of the series is not readable; not overwriting it: " + derr.Error()}
	}
	for _, ev := range evs {
		if ev.RemoteID == idFor(p.base, u)+"#"+rid {
			t.inst, found = ev, true
		}
	}
	if !found {
		return t, false, nil
	}
	cal, perr2 := parseICal(bytes.ToValidUTF8(data, []byte("\uFFFD")))
	if perr2 != nil {
		return t, false, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Message: perr2.Error()}
	}
	t.u, t.etag, t.cal, t.rid = u, etag, cal, rid
	t.z = &zones{cal: cal, floating: floating}
	return t, true, nil
}

// parts returns the series' master and the override of t.rid (either may be nil).
func (t *occurrenceTarget) parts() (master, override *ical.Component) {
	for _, c := range t.cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		rp := c.Props.Get(ical.PropRecurrenceID)
		if rp == nil {
			master = c
			continue
		}
		if w, err := t.z.when(rp); err == nil && ridKey(w.t, w.allDay) == t.rid {
			override = c
		}
	}
	return master, override
}

// ridProp names the occurrence the way the master's DTSTART is written (same TZID,
// UTC, floating or DATE), as RFC 5545 3.8.4.4 wants for RECURRENCE-ID and 3.8.5.1 for
// EXDATE.
func (t *occurrenceTarget) ridProp(name string, master *ical.Component) *ical.Prop {
	ridT, allDay, _ := ridTime(t.rid)
	p := &ical.Prop{Name: name, Params: ical.Params{}}
	if allDay {
		p.Params.Set(ical.ParamValue, "DATE")
		p.Value = t.rid
		return p
	}
	if master != nil {
		if ds := master.Props.Get(ical.PropDateTimeStart); ds != nil {
			if w, err := t.z.when(ds); err == nil && !w.allDay && !strings.HasSuffix(strings.TrimSpace(ds.Value), "Z") {
				if tzid := ds.Params.Get(ical.PropTimezoneID); tzid != "" {
					p.Params.Set(ical.PropTimezoneID, tzid)
				}
				p.Value = ridT.In(w.t.Location()).Format("20060102T150405")
				return p
			}
		}
	}
	p.Value = ridT.UTC().Format("20060102T150405Z")
	return p
}

// put writes the modified resource back, guarded by the etag it was read with.
func (p *Provider) putOccurrence(ctx context.Context, op string, t occurrenceTarget) error {
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(t.cal); err != nil {
		return &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Message: "cannot encode the series: " + err.Error()}
	}
	hdr := map[string]string{"Content-Type": "text/calendar; charset=utf-8"}
	if t.etag != "" {
		hdr["If-Match"] = t.etag
	}
	resp, err := p.c.do(ctx, op, http.MethodPut, t.u, buf.Bytes(), hdr)
	if err == nil && resp.Status == http.StatusMultiStatus {
		err = p.c.putFailure(op, http.MethodPut, t.u, resp)
	}
	return err
}

func occurrenceConflict(op string) error {
	return &providers.Error{Kind: providers.Conflict, Provider: providerName, Op: op, Status: http.StatusPreconditionFailed,
		Code: "etag-mismatch", Hint: "the occurrence changed on the server since calsync last read it"}
}

// updateOccurrence writes ev as the override of its occurrence.
func (p *Provider) updateOccurrence(ctx context.Context, op string, ev providers.Event, ifMatch string) (providers.Event, error) {
	t, found, err := p.readOccurrence(ctx, op, ev.RemoteID)
	if err != nil {
		return providers.Event{}, err
	}
	if !found {
		return providers.Event{}, &providers.Error{Kind: providers.NotFound, Provider: providerName, Op: op, Status: http.StatusNotFound,
			Message: "the occurrence is no longer in the series"}
	}
	if ifMatch != "" && !etagEqual(ifMatch, t.inst.ETag) {
		return providers.Event{}, occurrenceConflict(op)
	}
	master, override := t.parts()
	if override == nil {
		if master == nil {
			return providers.Event{}, &providers.Error{Kind: providers.NotFound, Provider: providerName, Op: op, Status: http.StatusNotFound,
				Message: "the occurrence is no longer in the series"}
		}
		// A new override starts as a copy of the master without its recurrence: it keeps
		// what calsync does not manage (organizer, attendees, alarms, categories).
		override = ical.NewComponent(ical.CompEvent)
		for name, props := range master.Props {
			switch name {
			case ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, "EXRULE",
				ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDuration:
				continue
			}
			override.Props[name] = append([]ical.Prop(nil), props...)
		}
		for _, c := range master.Children {
			override.Children = append(override.Children, c)
		}
		override.Props.Set(t.ridProp(ical.PropRecurrenceID, master))
		t.cal.Children = append(t.cal.Children, override)
	}
	fillVEvent(t.cal, override, ev, p.now())
	if err := p.putOccurrence(ctx, op, t); err != nil {
		return providers.Event{}, err
	}
	// Read back what a listing will show, with the occurrence's new version.
	back, found, err := p.readOccurrence(ctx, op, ev.RemoteID)
	if err != nil {
		return providers.Event{}, err
	}
	if !found {
		return providers.Event{}, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op,
			Message: "the server did not keep the occurrence's override"}
	}
	return back.inst, nil
}

// deleteOccurrence removes one occurrence: EXDATE on the master, its override dropped.
func (p *Provider) deleteOccurrence(ctx context.Context, op, id, ifMatch string) error {
	t, found, err := p.readOccurrence(ctx, op, id)
	if err != nil || !found {
		return err // an occurrence already gone is no error
	}
	if ifMatch != "" && !etagEqual(ifMatch, t.inst.ETag) {
		return occurrenceConflict(op)
	}
	master, override := t.parts()
	if override != nil {
		kept := t.cal.Children[:0]
		for _, c := range t.cal.Children {
			if c != override {
				kept = append(kept, c)
			}
		}
		t.cal.Children = kept
	}
	if master != nil {
		master.Props.Add(t.ridProp(ical.PropExceptionDates, master))
		stamp := p.now().UTC().Truncate(time.Second)
		master.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
		master.Props.SetDateTime(ical.PropLastModified, stamp)
	} else if !hasEvent(t.cal) {
		hdr := map[string]string{}
		if t.etag != "" {
			hdr["If-Match"] = t.etag
		}
		_, err := p.c.do(ctx, op, http.MethodDelete, t.u, nil, hdr)
		if providers.IsKind(err, providers.NotFound) {
			return nil
		}
		return err
	}
	return p.putOccurrence(ctx, op, t)
}

func hasEvent(cal *ical.Calendar) bool {
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent {
			return true
		}
	}
	return false
}
