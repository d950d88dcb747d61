package caldav

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/calsync/calsync/providers"
)

// A full listing is one calendar-query REPORT, and a server answers it with one
// multistatus holding every event of the window: 100,000 events are ~70 MB of XML. It is
// read as a stream (msStream) and handed to the engine in chunks of listingChunk
// objects (openListing), each a ChangePage with More set, so the engine parses, maps and
// writes a chunk while the rest is still arriving, and memory does not grow with the
// calendar.
const (
	// listingChunk is how many calendar objects one page of a full listing carries.
	listingChunk = 500
	// maxObjectBytes bounds one <response> of a listing (one event with its data); the
	// whole answer stays bounded by maxBodyBytes.
	maxObjectBytes = 16 << 20
	// maxOpenListings bounds listings left half-read (a caller that stopped paging);
	// the oldest is closed when another opens.
	maxOpenListings = 4
	// listingIdle closes a listing nobody asked the next page of for this long (a
	// caller that read only the first page, like the doctor's read probe).
	listingIdle = 30 * time.Second
	cursorPart  = "part1:" // the rest of an open listing; never stored
)

// msStream decodes a multistatus body one <response> at a time.
type msStream struct {
	body    io.ReadCloser
	counter *countingReader
	dec     *xml.Decoder
	// SyncToken is the multistatus-level DAV:sync-token, once the decoder passed it.
	SyncToken string
}

func newMSStream(body io.ReadCloser) *msStream {
	cr := &countingReader{r: body, max: maxBodyBytes}
	dec := xml.NewDecoder(newSanitizeReader(cr))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	return &msStream{body: body, counter: cr, dec: dec}
}

// next returns the next response, or io.EOF after the last one.
func (s *msStream) next() (*msResponse, error) {
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Space != nsDAV {
			continue
		}
		switch se.Name.Local {
		case "response":
			start := s.counter.n
			var r msResponse
			if err := s.dec.DecodeElement(&r, &se); err != nil {
				return nil, err
			}
			if s.counter.n-start > maxObjectBytes {
				return nil, fmt.Errorf("one response is larger than %d MB", maxObjectBytes>>20)
			}
			return &r, nil
		case "sync-token":
			var t string
			if err := s.dec.DecodeElement(&t, &se); err != nil {
				return nil, err
			}
			s.SyncToken = t
		}
	}
}

func (s *msStream) Close() error { return s.body.Close() }

// countingReader counts what was read and fails past max, so a stream is bounded like
// a buffered body.
type countingReader struct {
	r   io.Reader
	n   int64
	max int64
}

var errTooLarge = errors.New("answer too large")

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, errTooLarge
	}
	return n, err
}

// openMultistatus sends a REPORT or PROPFIND and returns its 207 answer as a stream.
func (c *davClient) openMultistatus(ctx context.Context, op, method string, u *url.URL, depth, body string) (*msStream, *url.URL, error) {
	resp, at, err := c.open(ctx, op, method, u, []byte(body), map[string]string{"Depth": depth})
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusMultiStatus {
		drain(resp)
		return nil, nil, &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Status: resp.StatusCode,
			Message: "expected a WebDAV multistatus (207)", Hint: "this address does not look like a CalDAV server; check the server URL"}
	}
	return newMSStream(resp.Body), at, nil
}

// streamError classifies a failure while reading a streamed multistatus.
func (c *davClient) streamError(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		return &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Status: http.StatusMultiStatus,
			Message: fmt.Sprintf("response larger than %d MB", maxBodyBytes>>20)}
	case errors.Is(err, io.ErrUnexpectedEOF), ctx.Err() != nil:
		return c.networkError(ctx, op, err)
	}
	var syn *xml.SyntaxError
	if errors.As(err, &syn) && syn.Msg == "unexpected EOF" {
		return c.networkError(ctx, op, err) // the connection ended mid-answer
	}
	if _, ok := providers.AsError(err); ok {
		return err
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) {
		return c.networkError(ctx, op, err)
	}
	return &providers.Error{Kind: providers.Invalid, Provider: providerName, Op: op, Status: http.StatusMultiStatus,
		Message: "unreadable multistatus XML: " + err.Error()}
}

// openListing is a full listing being read: the rest of its answer, what the final page
// needs (the sync state taken before it, the etag snapshot) and how to cancel it.
type openListing struct {
	id       string
	calURL   *url.URL
	win      providers.Window
	st       syncState
	stream   *msStream
	at       *url.URL
	cancel   context.CancelFunc
	floating func() *time.Location
	snap     map[string]string // href -> etag, only when there is no sync token
	opened   time.Time
	idle     *time.Timer
	closeMu  sync.Mutex // the idle timer may close it from its own goroutine
}

func (l *openListing) close() {
	l.closeMu.Lock()
	defer l.closeMu.Unlock()
	if l.stream != nil {
		l.stream.Close()
		l.stream = nil
	}
	l.cancel()
}

// startListing opens the calendar-query of a full listing and returns its first page.
// The request outlives this call (the next pages read on from it) but not the run: its
// context drops ctx's cancellation, is cancelled when the listing ends or is abandoned,
// and each call's own ctx interrupts a read it is waiting on; the HTTP client's timeout
// bounds the whole answer.
func (p *Provider) startListing(ctx context.Context, calURL *url.URL, st syncState, win providers.Window) (providers.ChangePage, error) {
	var idb [8]byte
	rand.Read(idb[:])
	l := &openListing{id: hex.EncodeToString(idb[:]), calURL: calURL, win: win, st: st, opened: p.now()}
	if st.Token == "" {
		l.snap = map[string]string{}
	}
	if err := p.sendListing(ctx, l); err != nil {
		return providers.ChangePage{}, err
	}
	p.mu.Lock()
	if p.listings == nil {
		p.listings = map[string]*openListing{}
	}
	for len(p.listings) >= maxOpenListings {
		var oldest *openListing
		for _, o := range p.listings {
			if oldest == nil || o.opened.Before(oldest.opened) {
				oldest = o
			}
		}
		delete(p.listings, oldest.id)
		oldest.close()
	}
	p.listings[l.id] = l
	p.mu.Unlock()
	return p.readListing(ctx, l)
}

// sendListing sends l's calendar-query and keeps its answer open in l.
func (p *Provider) sendListing(ctx context.Context, l *openListing) error {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	stream, at, err := p.c.openMultistatus(sctx, "list events", "REPORT", l.calURL, "1", queryBody(l.win, true))
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return p.c.networkError(ctx, "list events", ctx.Err())
		}
		return err
	}
	l.stream, l.at, l.cancel = stream, at, cancel
	if l.floating == nil {
		l.floating = p.floatingZone(sctx, l.calURL)
	}
	return nil
}

// continueListing reads the next page of an open listing. An unknown id (the provider
// was restarted, or the listing was abandoned and closed) means the caller must start
// the listing over.
func (p *Provider) continueListing(ctx context.Context, id string) (providers.ChangePage, error) {
	p.mu.Lock()
	l := p.listings[id]
	p.mu.Unlock()
	if l == nil {
		return providers.ChangePage{}, &providers.Error{Kind: providers.CursorExpired, Provider: providerName, Op: "list events",
			Message: "the rest of this listing is no longer available", Hint: "calsync will list the calendar again"}
	}
	if l.stream == nil {
		// The answer broke off (a network failure, returned to the caller, who retries
		// this page): ask again. The pages already delivered come again; applying an
		// event twice in one listing changes nothing.
		if err := p.sendListing(ctx, l); err != nil {
			return providers.ChangePage{}, err
		}
	}
	return p.readListing(ctx, l)
}

// readListing decodes up to listingChunk objects of l into a page. The last page
// carries the cursor for the next run. A network failure keeps the listing, closed, for
// a retry of the same page; any other failure ends it.
func (p *Provider) readListing(ctx context.Context, l *openListing) (providers.ChangePage, error) {
	if l.idle != nil {
		l.idle.Stop()
	}
	stop := context.AfterFunc(ctx, l.cancel)
	defer stop()
	page := providers.ChangePage{Full: true}
	for n := 0; n < listingChunk; {
		r, err := l.stream.next()
		if err == io.EOF {
			p.endListing(l)
			if l.st.Token != "" {
				page.NextCursor = cursorSync2 + l.st.encode()
			} else {
				page.NextCursor = cursorETag + encodeSnapshot(l.snap)
			}
			return page, nil
		}
		if err != nil {
			err = p.c.streamError(ctx, "list events", err)
			if providers.IsKind(err, providers.Network) && ctx.Err() == nil {
				l.close()
				l.idle = time.AfterFunc(listingIdle, func() { p.endListing(l) })
			} else {
				p.endListing(l)
			}
			return providers.ChangePage{}, err
		}
		for _, o := range p.objects(&multistatus{Responses: []msResponse{*r}}, l.at) {
			if o.status < 200 || o.status >= 300 || strings.HasSuffix(o.href, "/") {
				continue
			}
			p.decodeInto(&page, o, l.win, l.floating)
			if l.snap != nil {
				l.snap[o.id] = o.etag
			}
			n++
		}
	}
	page.More = true
	page.NextCursor = cursorPart + l.id
	l.idle = time.AfterFunc(listingIdle, func() { p.endListing(l) })
	return page, nil
}

func (p *Provider) endListing(l *openListing) {
	p.mu.Lock()
	delete(p.listings, l.id)
	p.mu.Unlock()
	if l.idle != nil {
		l.idle.Stop()
	}
	l.close()
}

// queryBody is a calendar-query for VEVENTs overlapping win.
func queryBody(win providers.Window, withData bool) string {
	prop := `<d:getetag/>`
	if withData {
		prop += `<c:calendar-data/>`
	}
	return `<?xml version="1.0" encoding="utf-8"?>` +
		`<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop>` + prop + `</d:prop>` +
		`<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">` + timeRange(win) +
		`</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`
}
