package microsoft

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"
)

// cursor is what Changes hands out as NextCursor: the Graph link to replay, the calendar
// it belongs to, and what is needed to decide whether it still fits the request.
//
// The link is kept exactly as Graph gave it and replayed verbatim (event-delta reference:
// nextLink and deltaLink are opaque; Graph may answer with another form of the same
// resource, e.g. users/{id}/calendars('{id}')/calendarView/delta). The cursor is bound to
// the calendar by Cal, never by parsing the link's path. One exception keeps the bearer
// token at home: when the link's origin (scheme and host) is not the configured API's,
// its path and query, unchanged, are sent to the configured origin. For Graph itself the
// two are the same; demo mode restarts its fake on another port.
type cursor struct {
	Version int    `json:"v"`
	Full    bool   `json:"full,omitempty"` // a page of a first (full) listing
	Start   int64  `json:"ws"`             // window of the delta round, unix seconds
	End     int64  `json:"we"`
	Cal     string `json:"cal,omitempty"` // calendar id the round lists (version 2)
	// Link is the absolute nextLink/deltaLink (version 2), or a path?query relative to
	// the API base (version 1, written by earlier calsync versions).
	Link string `json:"link"`
}

const cursorPrefix = "graph1."

func (c cursor) encode() string {
	c.Version = 2
	b, _ := json.Marshal(c)
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = errors.New("not a Microsoft Graph change cursor")

func decodeCursor(s string) (cursor, error) {
	var c cursor
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return c, errBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return c, errBadCursor
	}
	if json.Unmarshal(b, &c) != nil || (c.Version != 1 && c.Version != 2) || c.Link == "" || (c.Version == 2 && c.Cal == "") {
		return c, errBadCursor
	}
	return c, nil
}

// belongsTo reports whether the cursor lists calendar cal: by its Cal, or for a version 1
// cursor by its relative link's path, the only evidence it has.
func (c cursor) belongsTo(cal string) bool {
	if c.Version >= 2 {
		return c.Cal == cal
	}
	return linkIsFor(c.Link, cal)
}

// replayURL is the URL to request for the cursor's link against the API base: the link
// verbatim when it is on the API's origin, else its path and query on that origin (see
// cursor). A version 1 relative link is returned as is (resolved against the base).
func replayURL(base, link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil || u.Path == "" {
		return "", errors.New("the saved Graph link is unreadable")
	}
	if !u.IsAbs() {
		return link, nil
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if strings.EqualFold(u.Scheme, b.Scheme) && strings.EqualFold(u.Host, b.Host) {
		return link, nil
	}
	u.Scheme, u.Host, u.User = b.Scheme, b.Host, nil
	return u.String(), nil
}

// relativeLink turns an absolute nextLink/deltaLink into a link relative to base (the
// configured API base, e.g. https://graph.microsoft.com/v1.0). Only the path below the
// version segment and the query are kept.
func relativeLink(base, link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil || u.Path == "" {
		return "", errors.New("Graph sent an unreadable next/delta link")
	}
	b, _ := url.Parse(base)
	p := u.EscapedPath()
	prefix := "/v1.0/"
	if b != nil && b.Path != "" && b.Path != "/" {
		prefix = strings.TrimRight(b.EscapedPath(), "/") + "/"
	}
	if rest, ok := strings.CutPrefix(p, prefix); ok {
		p = rest
	} else if i := strings.Index(p, "/v1.0/"); i >= 0 {
		p = p[i+len("/v1.0/"):]
	} else {
		p = strings.TrimPrefix(p, "/")
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p, nil
}

// deltaPath is the calendarView delta resource of a calendar, relative to the API base.
func deltaPath(cal string) string {
	return "me/calendars/" + url.PathEscape(cal) + "/calendarView/delta"
}

// linkIsFor reports whether a stored link belongs to calendar cal's delta resource.
func linkIsFor(link, cal string) bool {
	p, _, _ := strings.Cut(link, "?")
	want := deltaPath(cal)
	if strings.EqualFold(p, want) {
		return true
	}
	// Graph may escape the id differently from url.PathEscape; compare unescaped.
	up, err1 := url.PathUnescape(p)
	uw, err2 := url.PathUnescape(want)
	return err1 == nil && err2 == nil && strings.EqualFold(up, uw)
}

// windowShift is how far the requested window may move from a delta round's window
// before calsync starts a new round: the round keeps the window it began with, so
// without a restart events entering a sliding window would never be listed.
const windowShift = 24 * time.Hour

func (c cursor) fits(start, end time.Time) bool {
	ds := start.Unix() - c.Start
	de := end.Unix() - c.End
	lim := int64(windowShift / time.Second)
	return ds <= lim && ds >= -lim && de <= lim && de >= -lim
}
