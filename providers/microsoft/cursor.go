package microsoft

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"
)

// cursor is what Changes hands out as NextCursor: the Graph link to replay plus what is
// needed to decide whether it still fits the request.
//
// The link is stored relative to the API base (path below /v1.0 plus the query), never as
// the absolute URL Graph sent: demo mode restarts the fake on another port, and a stored
// absolute URL would point at a dead port. Replaying re-joins it with the configured base,
// which for the real service is the same URL Graph gave.
type cursor struct {
	Version int    `json:"v"`
	Full    bool   `json:"full,omitempty"` // a page of a first (full) listing
	Start   int64  `json:"ws"`             // window of the delta round, unix seconds
	End     int64  `json:"we"`
	Link    string `json:"link"` // path?query relative to the API base
}

const cursorPrefix = "graph1."

func (c cursor) encode() string {
	c.Version = 1
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
	if json.Unmarshal(b, &c) != nil || c.Version != 1 || c.Link == "" {
		return c, errBadCursor
	}
	return c, nil
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
