package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/url"
	"strings"

	"github.com/calsync/calsync/providers"
)

const (
	nsDAV    = "DAV:"
	nsCalDAV = "urn:ietf:params:xml:ns:caldav"
	nsCS     = "http://calendarserver.org/ns/"
)

// multistatus is the 207 body of PROPFIND and REPORT (RFC 4918 14.16, RFC 6578 6.4).
type multistatus struct {
	Responses []msResponse `xml:"DAV: response"`
	SyncToken string       `xml:"DAV: sync-token"`
}

type msResponse struct {
	Hrefs     []string   `xml:"DAV: href"`
	Status    string     `xml:"DAV: status"`
	Propstats []propstat `xml:"DAV: propstat"`
}

type propstat struct {
	Prop   davProp `xml:"DAV: prop"`
	Status string  `xml:"DAV: status"`
}

type hrefProp struct {
	Hrefs []string `xml:"DAV: href"`
}

type anyElements struct {
	Children []struct {
		XMLName xml.Name
	} `xml:",any"`
}

type davProp struct {
	ResourceType         *anyElements `xml:"DAV: resourcetype"`
	DisplayName          string       `xml:"DAV: displayname"`
	ETag                 string       `xml:"DAV: getetag"`
	LastModified         string       `xml:"DAV: getlastmodified"`
	SyncToken            string       `xml:"DAV: sync-token"`
	CTag                 string       `xml:"http://calendarserver.org/ns/ getctag"`
	CalendarData         *string      `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
	CalendarTimezone     string       `xml:"urn:ietf:params:xml:ns:caldav calendar-timezone"`
	CurrentUserPrincipal *hrefProp    `xml:"DAV: current-user-principal"`
	CalendarHomeSet      *hrefProp    `xml:"urn:ietf:params:xml:ns:caldav calendar-home-set"`
	SupportedComponents  *struct {
		Comps []struct {
			Name string `xml:"name,attr"`
		} `xml:"urn:ietf:params:xml:ns:caldav comp"`
	} `xml:"urn:ietf:params:xml:ns:caldav supported-calendar-component-set"`
	Privileges *struct {
		Privileges []anyElements `xml:"DAV: privilege"`
	} `xml:"DAV: current-user-privilege-set"`
	SupportedReports *struct {
		Reports []struct {
			Report anyElements `xml:"DAV: report"`
		} `xml:"DAV: supported-report"`
	} `xml:"DAV: supported-report-set"`
}

// statusCode extracts 404 from "HTTP/1.1 404 Not Found"; 200 when empty.
func statusCode(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 200
	}
	n := 0
	for _, r := range f[1] {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// okProp merges the propstats of one response whose status is 2xx.
func (r *msResponse) okProp() davProp {
	var out davProp
	for _, ps := range r.Propstats {
		if c := statusCode(ps.Status); c < 200 || c > 299 {
			continue
		}
		p := ps.Prop
		if p.ResourceType != nil {
			out.ResourceType = p.ResourceType
		}
		if p.DisplayName != "" {
			out.DisplayName = p.DisplayName
		}
		if p.ETag != "" {
			out.ETag = p.ETag
		}
		if p.LastModified != "" {
			out.LastModified = p.LastModified
		}
		if p.SyncToken != "" {
			out.SyncToken = p.SyncToken
		}
		if p.CTag != "" {
			out.CTag = p.CTag
		}
		if p.CalendarData != nil {
			out.CalendarData = p.CalendarData
		}
		if p.CalendarTimezone != "" {
			out.CalendarTimezone = p.CalendarTimezone
		}
		if p.CurrentUserPrincipal != nil {
			out.CurrentUserPrincipal = p.CurrentUserPrincipal
		}
		if p.CalendarHomeSet != nil {
			out.CalendarHomeSet = p.CalendarHomeSet
		}
		if p.SupportedComponents != nil {
			out.SupportedComponents = p.SupportedComponents
		}
		if p.Privileges != nil {
			out.Privileges = p.Privileges
		}
		if p.SupportedReports != nil {
			out.SupportedReports = p.SupportedReports
		}
	}
	return out
}

func (a *anyElements) has(space, local string) bool {
	if a == nil {
		return false
	}
	for _, c := range a.Children {
		if c.XMLName.Local == local && (space == "" || c.XMLName.Space == space) {
			return true
		}
	}
	return false
}

// propfind sends PROPFIND with the given <prop> children (already serialised) and parses
// the multistatus.
func (c *davClient) propfind(ctx context.Context, op string, u *url.URL, depth string, props string) (*multistatus, *url.URL, error) {
	body := `<?xml version="1.0" encoding="utf-8"?>` +
		`<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/"><d:prop>` +
		props + `</d:prop></d:propfind>`
	return c.multistatus(ctx, op, "PROPFIND", u, depth, body)
}

// report sends a REPORT with the given body and parses the multistatus.
func (c *davClient) report(ctx context.Context, op string, u *url.URL, depth, body string) (*multistatus, *url.URL, error) {
	return c.multistatus(ctx, op, "REPORT", u, depth, body)
}

func (c *davClient) multistatus(ctx context.Context, op, method string, u *url.URL, depth, body string) (*multistatus, *url.URL, error) {
	resp, ms, err := c.multistatusResp(ctx, op, method, u, depth, body)
	if err != nil {
		return nil, nil, err
	}
	return ms, resp.URL, nil
}

func (c *davClient) multistatusResp(ctx context.Context, op, method string, u *url.URL, depth, body string) (*response, *multistatus, error) {
	resp, err := c.do(ctx, op, method, u, []byte(body), map[string]string{"Depth": depth})
	if err != nil {
		return nil, nil, err
	}
	if resp.Status != 207 {
		return nil, nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Status: resp.Status,
			Message: "expected a WebDAV multistatus (207)", Hint: "this address does not look like a CalDAV server; check the server URL"}
	}
	var ms multistatus
	// One event's forbidden characters must not make the whole listing unreadable.
	dec := xml.NewDecoder(bytes.NewReader(sanitizeXML(resp.Body)))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&ms); err != nil {
		return nil, nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Status: resp.Status,
			Message: "unreadable multistatus XML: " + err.Error()}
	}
	return resp, &ms, nil
}

// putFailure reads a 207 Multi-Status answer to a PUT. RFC 4918 uses 207 for requests
// on several resources, but Xandikos answers a PUT whose UID another resource of the
// calendar already uses with 207 and one response carrying "412 Precondition Failed" and
// <C:no-uid-conflict/> (RFC 4791 5.3.2.1). That is the failure it reports, not a
// success: the first non-2xx status inside is classified like a plain answer with that
// status and body. nil when every status inside is 2xx.
func (c *davClient) putFailure(op, method string, u *url.URL, resp *response) error {
	var ms multistatus
	dec := xml.NewDecoder(bytes.NewReader(sanitizeXML(resp.Body)))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&ms); err != nil {
		return &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Status: resp.Status,
			Message: "the server answered the write with an unreadable multistatus: " + err.Error()}
	}
	for _, r := range ms.Responses {
		codes := []int{statusCode(r.Status)}
		for _, ps := range r.Propstats {
			codes = append(codes, statusCode(ps.Status))
		}
		for _, code := range codes {
			if code != 0 && (code < 200 || code > 299) {
				return c.classify(op, method, u, code, resp.Header, resp.Body)
			}
		}
	}
	return nil
}

// xmlEscape escapes text for an XML element body.
func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
