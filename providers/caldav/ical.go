package caldav

// iCalendar <-> providers.Event.
//
// Recurring events: calsync expands a series into its instances inside the sync window
// (SeriesID = the series href, RemoteID = "<href>#<RECURRENCE-ID in UTC, or the date>").
// An instance is written back as RFC 5545 wants it (occurrence.go): an edit becomes an
// overriding VEVENT with RECURRENCE-ID in the same resource (master and other overrides
// kept), a deletion an EXDATE on the master. An instance's ETag is its own version (a
// hash of what calsync reads from it, see instanceETag), not the resource's: editing one
// occurrence changes the resource's etag but must not make every sibling look edited.

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"github.com/calsync/calsync/providers"
)

// PropActivityID is the ownership tag calsync writes into every VEVENT it creates.
const PropActivityID = "X-CALSYNC-ACTIVITY-ID"

const (
	prodID = "-//calsync//calsync//EN"
	// maxInstances bounds how many instances of one series are returned in a window, and
	// maxRecurrenceSteps how many occurrences are walked to get there (a daily series
	// started in 1970 is 20,000 steps; an hourly one would be 500,000).
	maxInstances       = 1000
	maxRecurrenceSteps = 100000
)

// decodeObject turns one calendar object resource into events: one event, or the
// instances of a recurring series inside win. Objects without VEVENTs (tasks) yield none.
func decodeObject(href, etag string, data []byte, win providers.Window, now time.Time) (evs []providers.Event, err error) {
	return decodeObjectIn(href, etag, data, win, now, nil)
}

// decodeObjectIn is decodeObject with the zone of floating times (DATE-TIME values with
// neither TZID nor Z): RFC 5545 3.3.5 leaves them to the reader, RFC 4791 5.2.2 names the
// calendar's calendar-timezone for them. floating is asked only when such a value occurs
// (it may cost a request); nil, or a nil answer, reads them as UTC.
func decodeObjectIn(href, etag string, data []byte, win providers.Window, now time.Time, floating func() *time.Location) (evs []providers.Event, err error) {
	// Last line of defence: one hostile event must not take down a sync run. The fuzz
	// test calls decodeEvents directly so that panics are still found and fixed.
	defer func() {
		if r := recover(); r != nil {
			evs, err = nil, fmt.Errorf("unreadable iCalendar data: %v", r)
		}
	}()
	return decodeEventsIn(href, etag, data, win, now, floating)
}

func decodeEvents(href, etag string, data []byte, win providers.Window, now time.Time) ([]providers.Event, error) {
	return decodeEventsIn(href, etag, data, win, now, nil)
}

func decodeEventsIn(href, etag string, data []byte, win providers.Window, now time.Time, floating func() *time.Location) ([]providers.Event, error) {
	if !utf8.Valid(data) {
		// Keep the event: invalid bytes become U+FFFD instead of failing the whole object.
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	cal, err := parseICal(data)
	if err != nil {
		return nil, err
	}
	z := &zones{cal: cal, floating: floating}
	var master *ical.Component
	var overrides []*ical.Component
	uid := ""
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		u := propText(c, ical.PropUID)
		if uid == "" {
			uid = u
		} else if u != uid {
			return nil, fmt.Errorf("the object holds events with different UIDs (%q, %q); CalDAV allows one per resource", clip(uid), clip(u))
		}
		if c.Props.Get(ical.PropRecurrenceID) != nil {
			overrides = append(overrides, c)
		} else if master == nil {
			master = c
		} else {
			return nil, fmt.Errorf("the object holds two events with UID %q and no RECURRENCE-ID", clip(uid))
		}
	}
	if master == nil && len(overrides) == 0 {
		return nil, nil
	}
	base := providers.Event{RemoteID: href, ETag: etag, ICalUID: uid}
	if master != nil && master.Props.Get(ical.PropRecurrenceRule) == nil && master.Props.Get(ical.PropRecurrenceDates) == nil && len(overrides) == 0 {
		ev, err := z.event(master, base)
		if err != nil {
			return nil, err
		}
		return []providers.Event{ev}, nil
	}
	return z.expand(master, overrides, base, win, now)
}

// parseICal runs go-ical's decoder, which panics on some malformed content lines (found
// by FuzzDecodeObject: "0;0="); those become an error for this one object.
func parseICal(data []byte) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("unreadable iCalendar data: malformed content line")
		}
	}()
	cal, err = ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, fmt.Errorf("unreadable iCalendar data: %v", err)
	}
	return cal, nil
}

// expand returns the instances of a series inside win (a zero window means one year back
// to two years ahead of now), with RECURRENCE-ID overrides applied.
func (z *zones) expand(master *ical.Component, overrides []*ical.Component, base providers.Event, win providers.Window, now time.Time) ([]providers.Event, error) {
	if win.Start.IsZero() && win.End.IsZero() {
		win = providers.Window{Start: now.AddDate(-1, 0, 0), End: now.AddDate(2, 0, 0)}
	}
	seriesID := base.RemoteID
	byRID := map[string]*ical.Component{}
	for _, o := range overrides {
		rid, err := z.when(o.Props.Get(ical.PropRecurrenceID))
		if err != nil {
			return nil, fmt.Errorf("RECURRENCE-ID: %v", err)
		}
		byRID[ridKey(rid.t, rid.allDay)] = o
	}
	var out []providers.Event
	add := func(c *ical.Component, rid string, start, end *time.Time) error {
		if strings.EqualFold(propText(c, ical.PropStatus), "CANCELLED") {
			return nil
		}
		ev, err := z.event(c, base)
		if err != nil {
			return err
		}
		if start != nil {
			ev.Start, ev.End = *start, *end
		}
		if !win.Contains(ev.Start, ev.End) {
			return nil
		}
		ev.RemoteID = seriesID + "#" + rid
		ev.SeriesID = seriesID
		ev.ETag = instanceETag(ev)
		out = append(out, ev)
		return nil
	}
	if master != nil {
		first, err := z.event(master, base)
		if err != nil {
			return nil, err
		}
		startW, err := z.when(master.Props.Get(ical.PropDateTimeStart))
		if err != nil {
			return nil, err
		}
		dur := first.End.Sub(first.Start)
		set, err := z.recurrenceSet(master, startW)
		if err != nil {
			return nil, err
		}
		next, err := safeIterator(set)
		if err != nil {
			return nil, err
		}
		lo := win.Start.Add(-dur)
		for steps := 0; steps < maxRecurrenceSteps && len(out) < maxInstances; steps++ {
			t, ok, err := safeNext(next)
			if err != nil {
				return nil, err
			}
			if !ok || (!win.End.IsZero() && t.After(win.End)) {
				break
			}
			if t.Before(lo) {
				continue
			}
			key := ridKey(t, startW.allDay)
			if o, ok := byRID[key]; ok {
				delete(byRID, key)
				if err := add(o, key, nil, nil); err != nil {
					return nil, err
				}
				continue
			}
			s, e := t.UTC(), t.Add(dur).UTC()
			if err := add(master, key, &s, &e); err != nil {
				return nil, err
			}
		}
	}
	// Overrides that moved an instance from outside the walked range, or objects that
	// hold only overrides (invitations to single occurrences).
	keys := make([]string, 0, len(byRID))
	for k := range byRID {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := add(byRID[k], k, nil, nil); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// safeNext steps rrule-go's iterator, which panics on some rules (found by
// FuzzDecodeObject: a DTSTART in year 0); that becomes an error for this one object.
func safeNext(next func() (time.Time, bool)) (t time.Time, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, ok, err = time.Time{}, false, fmt.Errorf("RRULE: the recurrence cannot be expanded")
		}
	}()
	t, ok = next()
	return t, ok, nil
}

func safeIterator(set *rrule.Set) (next func() (time.Time, bool), err error) {
	defer func() {
		if r := recover(); r != nil {
			next, err = nil, fmt.Errorf("RRULE: the recurrence cannot be expanded")
		}
	}()
	return set.Iterator(), nil
}

func (z *zones) recurrenceSet(master *ical.Component, start when) (*rrule.Set, error) {
	set := &rrule.Set{}
	set.DTStart(start.t)
	if p := master.Props.Get(ical.PropRecurrenceRule); p != nil {
		opt, err := rrule.StrToROptionInLocation(p.Value, start.t.Location())
		if err != nil {
			return nil, fmt.Errorf("RRULE: %v", err)
		}
		if opt.Freq == rrule.SECONDLY || opt.Freq == rrule.MINUTELY {
			return nil, fmt.Errorf("RRULE: %s recurrence is not supported", opt.Freq)
		}
		opt.Dtstart = start.t
		r, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, fmt.Errorf("RRULE: %v", err)
		}
		set.RRule(r)
	} else {
		set.RDate(start.t)
	}
	for _, p := range master.Props.Values(ical.PropRecurrenceDates) {
		if strings.EqualFold(p.Params.Get(ical.ParamValue), "PERIOD") {
			continue
		}
		ts, err := z.whenList(&p)
		if err != nil {
			return nil, fmt.Errorf("RDATE: %v", err)
		}
		for _, t := range ts {
			set.RDate(t)
		}
	}
	for _, p := range master.Props.Values(ical.PropExceptionDates) {
		ts, err := z.whenList(&p)
		if err != nil {
			return nil, fmt.Errorf("EXDATE: %v", err)
		}
		for _, t := range ts {
			set.ExDate(t)
		}
	}
	return set, nil
}

// ridKey names an instance by its original start: UTC date-time, or the date for all-day series.
func ridKey(t time.Time, allDay bool) string {
	if allDay {
		return t.Format("20060102")
	}
	return t.UTC().Format("20060102T150405Z")
}

// event decodes one VEVENT's own fields.
func (z *zones) event(c *ical.Component, base providers.Event) (providers.Event, error) {
	ev := base
	ev.Subject = propText(c, ical.PropSummary)
	ev.Description = propText(c, ical.PropDescription)
	ev.Location = propText(c, ical.PropLocation)
	ev.ActivityID = strings.TrimSpace(propText(c, PropActivityID))
	start, err := z.when(c.Props.Get(ical.PropDateTimeStart))
	if err != nil {
		return ev, fmt.Errorf("DTSTART: %v", err)
	}
	ev.Start, ev.AllDay, ev.TimeZone = start.t.UTC(), start.allDay, start.tzName
	switch {
	case c.Props.Get(ical.PropDateTimeEnd) != nil:
		end, err := z.when(c.Props.Get(ical.PropDateTimeEnd))
		if err != nil {
			return ev, fmt.Errorf("DTEND: %v", err)
		}
		ev.End = end.t.UTC()
	case c.Props.Get(ical.PropDuration) != nil:
		d, err := c.Props.Get(ical.PropDuration).Duration()
		if err != nil {
			return ev, fmt.Errorf("DURATION: %v", err)
		}
		ev.End = ev.Start.Add(d)
	case start.allDay:
		ev.End = ev.Start.AddDate(0, 0, 1) // RFC 5545 3.6.1: a DATE start without end lasts one day
	default:
		ev.End = ev.Start
	}
	if ev.End.Before(ev.Start) {
		ev.End = ev.Start
	}
	for _, name := range []string{ical.PropLastModified, ical.PropDateTimeStamp} {
		if p := c.Props.Get(name); p != nil {
			if w, err := z.when(p); err == nil {
				ev.Updated = w.t.UTC()
				break
			}
		}
	}
	return ev, nil
}

func propText(c *ical.Component, name string) string {
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	s, err := p.Text()
	if err != nil {
		s = p.Value
	}
	return stripControls(s)
}

// summaryOf finds an undecodable object's SUMMARY by scanning its lines, so the event
// set aside can be named.
func summaryOf(data string) string {
	data = strings.NewReplacer("\r\n ", "", "\r\n\t", "", "\n ", "", "\n\t", "").Replace(data)
	for _, line := range strings.Split(data, "\n") {
		name, value, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok && strings.EqualFold(strings.SplitN(name, ";", 2)[0], ical.PropSummary) {
			value = strings.NewReplacer(`\n`, " ", `\N`, " ", `\,`, ",", `\;`, ";", `\\`, `\`).Replace(value)
			return clip(stripControls(strings.ToValidUTF8(value, "\uFFFD")))
		}
	}
	return ""
}

func clip(s string) string {
	if len(s) > 60 {
		return strings.ToValidUTF8(s[:60], "") + "…"
	}
	return s
}

// when is a parsed DATE or DATE-TIME.
type when struct {
	t      time.Time // in its zone (UTC for DATE, Z and floating values)
	allDay bool
	tzName string // IANA name when the value had a TZID calsync could resolve to one
}

// zones resolves TZIDs: IANA names directly, vendor-prefixed names
// ("/mozilla.org/20050126_1/Europe/Berlin"), common Windows names, and otherwise the
// object's own VTIMEZONE.
type zones struct {
	cal   *ical.Calendar
	cache map[string]zoneInfo
	// floating gives the zone of floating times (nil: UTC); see decodeObjectIn.
	floating func() *time.Location
}

type zoneInfo struct {
	loc  *time.Location
	name string
	vtz  *ical.Component
}

func (z *zones) when(p *ical.Prop) (when, error) {
	if p == nil {
		return when{}, errors.New("missing")
	}
	ts, err := z.parse(p, strings.TrimSpace(p.Value))
	if err != nil {
		return when{}, err
	}
	return ts, nil
}

func (z *zones) whenList(p *ical.Prop) ([]time.Time, error) {
	var out []time.Time
	for _, v := range strings.Split(p.Value, ",") {
		w, err := z.parse(p, strings.TrimSpace(v))
		if err != nil {
			return nil, err
		}
		out = append(out, w.t)
	}
	return out, nil
}

func (z *zones) parse(p *ical.Prop, v string) (when, error) {
	isDate := strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || (len(v) == 8 && !strings.Contains(v, "T"))
	if isDate {
		t, err := time.ParseInLocation("20060102", v, time.UTC)
		if err != nil {
			return when{}, fmt.Errorf("invalid date %q", clip(v))
		}
		return when{t: t, allDay: true}, nil
	}
	if strings.HasSuffix(v, "Z") {
		t, err := time.ParseInLocation("20060102T150405Z", v, time.UTC)
		if err != nil {
			return when{}, fmt.Errorf("invalid date-time %q", clip(v))
		}
		return when{t: t}, nil
	}
	local, err := time.ParseInLocation("20060102T150405", v, time.UTC)
	if err != nil {
		return when{}, fmt.Errorf("invalid date-time %q", clip(v))
	}
	tzid := p.Params.Get(ical.PropTimezoneID)
	if tzid == "" {
		// Floating time: the same wall-clock time wherever the reader is; read in the
		// calendar's zone (or the person's), UTC when neither is known.
		if z.floating != nil {
			if loc := z.floating(); loc != nil {
				return when{t: wallIn(local, loc)}, nil
			}
		}
		return when{t: local}, nil
	}
	zi, err := z.zone(tzid, local)
	if err != nil {
		return when{}, err
	}
	if zi.loc != nil {
		return when{t: wallIn(local, zi.loc), tzName: zi.name}, nil
	}
	off, err := vtimezoneOffset(zi.vtz, local)
	if err != nil {
		return when{}, fmt.Errorf("time zone %q: %v", clip(tzid), err)
	}
	return when{t: wallIn(local, time.FixedZone(tzid, off))}, nil
}

func wallIn(local time.Time, loc *time.Location) time.Time {
	return time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), 0, loc)
}

// windowsZones maps the Windows zone names Outlook and Exchange put in TZID.
var windowsZones = map[string]string{
	"W. Europe Standard Time": "Europe/Berlin", "Romance Standard Time": "Europe/Paris",
	"Central Europe Standard Time": "Europe/Budapest", "GMT Standard Time": "Europe/London",
	"Eastern Standard Time": "America/New_York", "Central Standard Time": "America/Chicago",
	"Mountain Standard Time": "America/Denver", "Pacific Standard Time": "America/Los_Angeles",
	"UTC": "UTC", "Tokyo Standard Time": "Asia/Tokyo", "India Standard Time": "Asia/Kolkata",
	"AUS Eastern Standard Time": "Australia/Sydney", "China Standard Time": "Asia/Shanghai",
	"E. Europe Standard Time": "Europe/Chisinau", "FLE Standard Time": "Europe/Kiev",
}

var locCache sync.Map // tzid -> *time.Location (nil when unknown)

func loadLocation(name string) *time.Location {
	if v, ok := locCache.Load(name); ok {
		return v.(*time.Location)
	}
	var loc *time.Location
	if name != "" && len(name) < 100 && !strings.Contains(name, "..") {
		if l, err := time.LoadLocation(name); err == nil {
			loc = l
		}
	}
	locCache.Store(name, loc)
	return loc
}

func (z *zones) zone(tzid string, at time.Time) (zoneInfo, error) {
	if zi, ok := z.cache[tzid]; ok {
		return zi, nil
	}
	zi := z.resolve(tzid)
	if zi.loc == nil && zi.vtz == nil {
		return zi, fmt.Errorf("unknown time zone %q and no VTIMEZONE for it", clip(tzid))
	}
	if z.cache == nil {
		z.cache = map[string]zoneInfo{}
	}
	z.cache[tzid] = zi
	return zi, nil
}

func (z *zones) resolve(tzid string) zoneInfo {
	name := strings.Trim(tzid, `"`)
	if l := loadLocation(name); l != nil {
		return zoneInfo{loc: l, name: name}
	}
	if w, ok := windowsZones[name]; ok {
		return zoneInfo{loc: loadLocation(w), name: w}
	}
	parts := strings.Split(strings.Trim(name, "/"), "/")
	for i := 1; i < len(parts); i++ {
		cand := strings.Join(parts[i:], "/")
		if l := loadLocation(cand); l != nil {
			return zoneInfo{loc: l, name: cand}
		}
	}
	for _, c := range z.cal.Children {
		if c.Name == ical.CompTimezone && propText(c, ical.PropTimezoneID) == tzid {
			return zoneInfo{vtz: c}
		}
	}
	return zoneInfo{}
}

// vtimezoneOffset returns the UTC offset (seconds) a VTIMEZONE defines at a local wall
// time: the observance (STANDARD/DAYLIGHT) with the latest onset not after it.
func vtimezoneOffset(vtz *ical.Component, local time.Time) (int, error) {
	bestOnset := time.Time{}
	best, earliestFrom := 0, 0
	found := false
	var earliest time.Time
	for _, obs := range vtz.Children {
		if obs.Name != "STANDARD" && obs.Name != "DAYLIGHT" {
			continue
		}
		to, err := parseOffset(propText(obs, "TZOFFSETTO"))
		if err != nil {
			return 0, err
		}
		from, _ := parseOffset(propText(obs, "TZOFFSETFROM"))
		p := obs.Props.Get(ical.PropDateTimeStart)
		if p == nil {
			continue
		}
		onset, err := time.ParseInLocation("20060102T150405", strings.TrimSpace(p.Value), time.UTC)
		if err != nil {
			continue
		}
		if earliest.IsZero() || onset.Before(earliest) {
			earliest, earliestFrom = onset, from
		}
		last := time.Time{}
		if !onset.After(local) {
			last = onset
		}
		if rp := obs.Props.Get(ical.PropRecurrenceRule); rp != nil && !onset.After(local) {
			if opt, err := rrule.StrToROptionInLocation(rp.Value, time.UTC); err == nil && opt.Freq == rrule.YEARLY {
				opt.Dtstart = onset
				if r, err := rrule.NewRRule(*opt); err == nil {
					if t := safeBefore(r, local); !t.IsZero() {
						last = t
					}
				}
			}
		}
		if !last.IsZero() && (!found || last.After(bestOnset)) {
			bestOnset, best, found = last, to, true
		}
	}
	if !found {
		if earliest.IsZero() {
			return 0, errors.New("VTIMEZONE has no usable STANDARD or DAYLIGHT part")
		}
		return earliestFrom, nil
	}
	return best, nil
}

func safeBefore(r *rrule.RRule, t time.Time) (last time.Time) {
	defer func() {
		if recover() != nil {
			last = time.Time{}
		}
	}()
	return r.Before(t, true)
}

func parseOffset(s string) (int, error) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 {
		return 0, fmt.Errorf("invalid UTC offset %q", clip(s))
	}
	sign := 1
	switch s[0] {
	case '-':
		sign = -1
	case '+':
	default:
		return 0, fmt.Errorf("invalid UTC offset %q", clip(s))
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil {
		return 0, fmt.Errorf("invalid UTC offset %q", clip(s))
	}
	h, m, sec := n/100, n%100, 0
	if len(s) == 7 {
		h, m, sec = n/10000, (n/100)%100, n%100
	}
	return sign * (h*3600 + m*60 + sec), nil
}

// locationForTZID resolves a TZID the way event values are resolved (IANA names,
// vendor-prefixed names, Windows names); nil when unknown.
func locationForTZID(tzid string) *time.Location {
	if tzid == "" {
		return nil
	}
	return (&zones{cal: ical.NewCalendar()}).resolve(tzid).loc
}

// tzidFromCalendarTimezone reads the TZID of a calendar-timezone property (a VCALENDAR
// with one VTIMEZONE).
func tzidFromCalendarTimezone(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(strings.ToUpper(line), "TZID:") {
			return strings.TrimSpace(line[5:])
		}
	}
	return ""
}

// encodeEvent writes ev into cal (a new calendar when nil): the master VEVENT's summary,
// description, location, times and the ownership tag are replaced; everything else an
// existing event carries (attendees, alarms, categories) is kept.
func encodeEvent(cal *ical.Calendar, ev providers.Event, uid string, now time.Time) ([]byte, error) {
	if cal == nil {
		cal = ical.NewCalendar()
		cal.Props.SetText(ical.PropProductID, prodID)
		cal.Props.SetText(ical.PropVersion, "2.0")
	}
	var vev *ical.Component
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent && c.Props.Get(ical.PropRecurrenceID) == nil {
			vev = c
			break
		}
	}
	if vev == nil {
		vev = ical.NewComponent(ical.CompEvent)
		vev.Props.SetText(ical.PropUID, uid)
		cal.Children = append(cal.Children, vev)
	}
	fillVEvent(cal, vev, ev, now)
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fillVEvent writes ev's fields (text, times, tag, stamps) into vev, a VEVENT of cal;
// cal gets the VTIMEZONE the times need.
func fillVEvent(cal *ical.Calendar, vev *ical.Component, ev providers.Event, now time.Time) {
	stamp := now.UTC().Truncate(time.Second)
	vev.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
	vev.Props.SetDateTime(ical.PropLastModified, stamp)
	if p := vev.Props.Get(ical.PropSequence); p != nil {
		if n, err := p.Int(); err == nil {
			vev.Props.Set(&ical.Prop{Name: ical.PropSequence, Params: ical.Params{}, Value: strconv.Itoa(n + 1)})
		}
	}
	setText := func(name, v string) {
		v = outgoingText(v)
		if v == "" {
			vev.Props.Del(name)
			return
		}
		vev.Props.SetText(name, v)
	}
	setText(ical.PropSummary, ev.Subject)
	setText(ical.PropDescription, ev.Description)
	setText(ical.PropLocation, ev.Location)
	if ev.ActivityID != "" {
		vev.Props.SetText(PropActivityID, ev.ActivityID)
	}
	vev.Props.Del(ical.PropDateTimeEnd)
	vev.Props.Del(ical.PropDuration)
	start, end := ev.Start, ev.End
	if end.Before(start) {
		end = start
	}
	loc := loadLocation(ev.TimeZone)
	switch {
	case ev.AllDay:
		if loc == nil {
			loc = time.UTC
		}
		sd, ed := dateOnly(start.In(loc)), dateOnly(end.In(loc))
		if !ed.After(sd) {
			ed = sd.AddDate(0, 0, 1)
		}
		vev.Props.SetDate(ical.PropDateTimeStart, sd)
		vev.Props.SetDate(ical.PropDateTimeEnd, ed)
	case loc != nil && loc != time.UTC && ev.TimeZone != "UTC" && ev.TimeZone != "Etc/UTC":
		vev.Props.SetDateTime(ical.PropDateTimeStart, start.In(loc))
		if end.After(start) {
			vev.Props.SetDateTime(ical.PropDateTimeEnd, end.In(loc))
		}
		if !hasVTimezone(cal, ev.TimeZone) {
			// VTIMEZONEs go first, as most clients write them.
			cal.Children = append([]*ical.Component{vtimezoneFor(loc, ev.TimeZone, start)}, cal.Children...)
		}
	default:
		vev.Props.SetDateTime(ical.PropDateTimeStart, start.UTC())
		if end.After(start) {
			vev.Props.SetDateTime(ical.PropDateTimeEnd, end.UTC())
		}
	}
	// A zero-duration event has no DTEND: RFC 5545 3.8.2.2 wants DTEND later than
	// DTSTART, and 3.6.1 gives a DATE-TIME start without DTEND or DURATION no duration,
	// which is what the reader (event) makes of it.
}

// outgoingText makes text safe to write as an iCalendar TEXT value: a CR LF (a note
// pasted from Windows) or a lone CR becomes LF, which is written escaped as \n (RFC 5545
// 3.3.11; go-ical refuses a raw CR in a value, so one pasted note failed every push);
// other control characters but tab are dropped, invalid UTF-8 becomes U+FFFD.
func outgoingText(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	v = strings.ReplaceAll(v, "\r\n", "\n")
	v = strings.ReplaceAll(v, "\r", "\n")
	return stripControls(v)
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func hasVTimezone(cal *ical.Calendar, tzid string) bool {
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone && propText(c, ical.PropTimezoneID) == tzid {
			return true
		}
	}
	return false
}

// vtimezoneFor describes loc's offsets around t as a VTIMEZONE (RFC 5545 3.6.5). Go does
// not expose its zone rules, so the transitions from a year before to three years after
// t are found by probing and written as dated observances.
func vtimezoneFor(loc *time.Location, tzid string, t time.Time) *ical.Component {
	vtz := ical.NewComponent(ical.CompTimezone)
	vtz.Props.SetText(ical.PropTimezoneID, tzid)
	from := time.Date(t.Year()-1, 1, 1, 0, 0, 0, 0, loc)
	to := time.Date(t.Year()+3, 1, 1, 0, 0, 0, 0, loc)
	_, prevOff := from.Zone()
	addObs := func(at time.Time, fromOff int) {
		name, off := at.Zone()
		kind := "STANDARD"
		if at.IsDST() {
			kind = "DAYLIGHT"
		}
		obs := ical.NewComponent(kind)
		local := at.UTC().Add(time.Duration(fromOff) * time.Second)
		obs.Props.Set(&ical.Prop{Name: ical.PropDateTimeStart, Params: ical.Params{}, Value: local.Format("20060102T150405")})
		obs.Props.Set(&ical.Prop{Name: "TZOFFSETFROM", Params: ical.Params{}, Value: formatOffset(fromOff)})
		obs.Props.Set(&ical.Prop{Name: "TZOFFSETTO", Params: ical.Params{}, Value: formatOffset(off)})
		if name != "" && !strings.ContainsAny(name, "+-0123456789") {
			obs.Props.SetText("TZNAME", name)
		}
		vtz.Children = append(vtz.Children, obs)
	}
	addObs(from, prevOff)
	for day := from; day.Before(to); day = day.Add(24 * time.Hour) {
		next := day.Add(24 * time.Hour)
		if _, off := next.Zone(); off != prevOff {
			lo, hi := day, next // offset changes in (lo, hi]
			for hi.Sub(lo) > time.Second {
				mid := lo.Add(hi.Sub(lo) / 2)
				if _, o := mid.Zone(); o == prevOff {
					lo = mid
				} else {
					hi = mid
				}
			}
			addObs(hi, prevOff)
			_, prevOff = hi.Zone()
		}
	}
	return vtz
}

func formatOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, (sec%3600)/60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}
