package microsoft

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/internal/zonecache"
	"github.com/calsync/calsync/providers/microsoft/internal/winzones"
)

// wireEvent is the part of Graph's event resource calsync reads.
type wireEvent struct {
	ID      string `json:"id"`
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
	ODataEtag             string        `json:"@odata.etag"`
	ChangeKey             string        `json:"changeKey"`
	ICalUID               string        `json:"iCalUId"`
	Subject               string        `json:"subject"`
	Body                  *wireBody     `json:"body"`
	Location              *wireLocation `json:"location"`
	Start                 *wireDateTime `json:"start"`
	End                   *wireDateTime `json:"end"`
	IsAllDay              bool          `json:"isAllDay"`
	IsCancelled           bool          `json:"isCancelled"`
	LastModifiedDateTime  string        `json:"lastModifiedDateTime"`
	Type                  string        `json:"type"`
	SeriesMasterID        *string       `json:"seriesMasterId"`
	OriginalStartTimeZone string        `json:"originalStartTimeZone"`
	Props                 []wireProp    `json:"singleValueExtendedProperties"`
}

type wireBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

type wireLocation struct {
	DisplayName string `json:"displayName"`
}

type wireDateTime struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

type wireProp struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// wireEventIn is the body of a create or update.
type wireEventIn struct {
	Subject       string       `json:"subject"`
	Body          wireBody     `json:"body"`
	Location      wireLocation `json:"location"`
	Start         wireDateTime `json:"start"`
	End           wireDateTime `json:"end"`
	IsAllDay      bool         `json:"isAllDay"`
	TransactionID string       `json:"transactionId,omitempty"`
	Props         []wireProp   `json:"singleValueExtendedProperties,omitempty"`
}

// zone resolves a Graph zone name (a Windows name from CLDR's table, or an IANA name
// Graph echoes back) to a location and the IANA name calsync keeps; ok is false when unknown.
func zone(name string) (*time.Location, string, bool) {
	n := strings.TrimSpace(name)
	if n == "" || strings.EqualFold(n, "UTC") || strings.EqualFold(n, "tzone://Microsoft/Utc") {
		return time.UTC, "UTC", true
	}
	if iana, ok := winzones.IANA(n); ok {
		n = iana
	}
	if len(n) > 64 || strings.HasPrefix(n, "/") || strings.Contains(n, "..") || strings.ContainsAny(n, "\\\x00") {
		return nil, "", false
	}
	loc, err := zonecache.Load(n)
	if err != nil {
		return nil, "", false
	}
	return loc, n, true
}

// writeZone picks the zone an event is written in: the Windows name of its IANA zone
// (Graph refuses most IANA names on writes with TimeZoneNotSupportedException), else
// UTC, with the times converted so the instant is kept.
func writeZone(iana string) (*time.Location, string) {
	n := strings.TrimSpace(iana)
	if n == "" || strings.EqualFold(n, "UTC") {
		return time.UTC, "UTC"
	}
	if w, ok := winzones.IsWindows(n); ok {
		if loc, _, ok := zone(w); ok {
			return loc, w
		}
	}
	w, ok := winzones.Windows(n)
	if !ok {
		return time.UTC, "UTC"
	}
	loc, _, ok := zone(n)
	if !ok {
		return time.UTC, "UTC"
	}
	return loc, w
}

// parseGraphTime reads a dateTime (no offset, up to 7 fractional digits) in its zone.
func parseGraphTime(d *wireDateTime) (time.Time, error) {
	if d == nil || strings.TrimSpace(d.DateTime) == "" {
		return time.Time{}, errors.New("missing date and time")
	}
	loc, _, ok := zone(d.TimeZone)
	if !ok {
		return time.Time{}, fmt.Errorf("unknown time zone %q", clip(d.TimeZone))
	}
	s := strings.TrimSpace(d.DateTime)
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("unreadable date and time %q", clip(s))
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

var reTags = regexp.MustCompile(`(?s)<[^>]*>`)
var reBreaks = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>`)

// bodyText turns an event body into plain text. calsync asks for text bodies; an HTML
// one (a server ignoring the preference) is reduced to its text.
func bodyText(b *wireBody) string {
	if b == nil {
		return ""
	}
	s := b.Content
	if strings.EqualFold(b.ContentType, "html") {
		s = reBreaks.ReplaceAllString(s, "\n")
		s = reTags.ReplaceAllString(s, "")
		s = html.UnescapeString(s)
		s = strings.TrimSpace(s)
	}
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// ErrNoID is the cause of a BadEvent whose JSON carries no usable id.
var ErrNoID = errors.New("event without an id")

// decodeEvent reads one entry of a delta page. A malformed entry gives an error and, when
// it can be found, the entry's id (so the caller can report it and go on).
func decodeEvent(raw []byte) (providers.Event, error) {
	var w wireEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		return providers.Event{RemoteID: salvageID(raw)}, fmt.Errorf("unreadable event: %w", jsonErr(err))
	}
	if strings.TrimSpace(w.ID) == "" {
		return providers.Event{}, ErrNoID
	}
	ev := providers.Event{RemoteID: w.ID}
	if w.Removed != nil {
		ev.Deleted = true
		return ev, nil
	}
	ev.ETag = w.ODataEtag
	if ev.ETag == "" && w.ChangeKey != "" {
		ev.ETag = `W/"` + w.ChangeKey + `"`
	}
	ev.ICalUID = w.ICalUID
	ev.Subject = w.Subject
	ev.Description = bodyText(w.Body)
	if w.Location != nil {
		ev.Location = w.Location.DisplayName
	}
	ev.AllDay = w.IsAllDay
	ev.Deleted = w.IsCancelled
	if w.SeriesMasterID != nil && w.Type != "seriesMaster" {
		ev.SeriesID = *w.SeriesMasterID
	}
	if t, err := time.Parse(time.RFC3339Nano, w.LastModifiedDateTime); err == nil {
		ev.Updated = t.UTC()
	}
	for _, p := range w.Props {
		if strings.EqualFold(strings.Join(strings.Fields(p.ID), " "), TagPropertyID) {
			ev.ActivityID = p.Value
		}
	}
	origLoc, origName, origOK := zone(w.OriginalStartTimeZone)
	if origOK && w.OriginalStartTimeZone != "" {
		ev.TimeZone = origName
	}
	if w.IsAllDay {
		// All-day events float: Graph gives the date at midnight in whatever zone was asked
		// for; calsync places it at midnight in the zone it was written in.
		loc := time.UTC
		if origOK {
			loc = origLoc
		}
		s, err1 := allDayDate(w.Start, loc)
		e, err2 := allDayDate(w.End, loc)
		if err := errors.Join(err1, err2); err != nil {
			return ev, fmt.Errorf("bad all-day dates: %w", err)
		}
		ev.Start, ev.End = s.UTC(), e.UTC()
	} else {
		s, err1 := parseGraphTime(w.Start)
		e, err2 := parseGraphTime(w.End)
		if err1 != nil {
			return ev, fmt.Errorf("bad start: %w", err1)
		}
		if err2 != nil {
			return ev, fmt.Errorf("bad end: %w", err2)
		}
		ev.Start, ev.End = s.UTC(), e.UTC()
	}
	if ev.End.Before(ev.Start) {
		return ev, errors.New("event ends before it starts")
	}
	return ev, nil
}

func allDayDate(d *wireDateTime, loc *time.Location) (time.Time, error) {
	if d == nil || len(strings.TrimSpace(d.DateTime)) < 10 {
		return time.Time{}, errors.New("missing date")
	}
	day, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(d.DateTime)[:10], loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("unreadable date %q", clip(d.DateTime))
	}
	return day, nil
}

// salvageID finds the id of an entry that does not decode as an event.
func salvageID(raw []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var id string
	if json.Unmarshal(m["id"], &id) != nil {
		return ""
	}
	return id
}

// jsonErr keeps the JSON decoder's complaint but never quotes the input.
func jsonErr(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("JSON syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("field %s holds a %s", te.Field, te.Value)
	}
	return errors.New("malformed JSON")
}

// encodeEvent builds the create/update body for ev.
func encodeEvent(ev providers.Event) (wireEventIn, error) {
	loc, name := writeZone(ev.TimeZone)
	in := wireEventIn{Subject: ev.Subject, Body: wireBody{ContentType: "text", Content: ev.Description},
		Location: wireLocation{DisplayName: ev.Location}, IsAllDay: ev.AllDay}
	if ev.Start.IsZero() {
		return in, errors.New("event has no start time")
	}
	end := ev.End
	if end.IsZero() || end.Before(ev.Start) {
		end = ev.Start
	}
	if ev.AllDay {
		s := ev.Start.In(loc)
		e := end.In(loc)
		sd := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
		ed := time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, loc)
		if !ed.After(sd) {
			ed = sd.AddDate(0, 0, 1)
		}
		in.Start = wireDateTime{DateTime: sd.Format("2006-01-02T15:04:05"), TimeZone: name}
		in.End = wireDateTime{DateTime: ed.Format("2006-01-02T15:04:05"), TimeZone: name}
	} else {
		in.Start = wireDateTime{DateTime: ev.Start.In(loc).Format("2006-01-02T15:04:05"), TimeZone: name}
		in.End = wireDateTime{DateTime: end.In(loc).Format("2006-01-02T15:04:05"), TimeZone: name}
	}
	if ev.ActivityID != "" {
		in.Props = []wireProp{{ID: TagPropertyID, Value: ev.ActivityID}}
	}
	return in, nil
}
