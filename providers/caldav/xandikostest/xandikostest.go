// Package xandikostest starts a throw-away Xandikos CalDAV server for tests: its own temp
// dir, a free loopback port, no authentication (Xandikos has none; see
// /work/shared/PROVIDERS.md: principal /user/, default calendar /user/calendars/calendar/).
// It is the second real server beside Radicale (radicaletest): Xandikos keeps its data in
// git, answers sync-collection from git history, and leaves out of a diff what was created
// and deleted after the token (RFC 6578 allows it), which Radicale does not.
//
// Tests skip when xandikos is not installed (Debian package "xandikos"), and fail instead
// when CALSYNC_REQUIRE_XANDIKOS=1 (CI sets it).
package xandikostest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Principal is the only user's principal and CalendarHome its calendar home.
const (
	Principal    = "/user/"
	CalendarHome = "/user/calendars/"
)

// Server is a running Xandikos.
type Server struct {
	URL    string // http://127.0.0.1:PORT
	Dir    string
	cmd    *exec.Cmd
	mu     sync.Mutex
	log    *bytes.Buffer
	exited chan error
}

// Available reports whether the xandikos binary is installed.
func Available() bool {
	_, err := exec.LookPath("xandikos")
	return err == nil
}

// Require skips tb (or fails it under CALSYNC_REQUIRE_XANDIKOS=1) when xandikos is missing.
func Require(tb testing.TB) {
	tb.Helper()
	if Available() {
		return
	}
	msg := "xandikos is not installed (Debian/Ubuntu: apt-get install xandikos); the CalDAV integration tests need it"
	if os.Getenv("CALSYNC_REQUIRE_XANDIKOS") == "1" {
		tb.Fatal(msg + " and CALSYNC_REQUIRE_XANDIKOS=1 forbids skipping")
	}
	tb.Skip(msg)
}

// Start runs a Xandikos for the duration of tb.
func Start(tb testing.TB) *Server {
	tb.Helper()
	Require(tb)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken in between
		s, err := start(tb.TempDir())
		if err == nil {
			tb.Cleanup(s.stop)
			return s
		}
		lastErr = err
	}
	tb.Fatalf("xandikos did not start: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer is a bytes.Buffer safe for the process's output goroutine and readers.
type syncBuffer struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (b syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func start(dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Dir: dir, log: &bytes.Buffer{}}
	cmd := exec.Command("xandikos", "-d", dir, "--defaults", "-l", "127.0.0.1", "-p", fmt.Sprint(port))
	out := syncBuffer{mu: &s.mu, buf: s.log}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second) // generous: CI machines can be busy
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("xandikos exited: %v: %s", err, s.Log())
		default:
		}
		// The default calendar exists once --defaults has run and the server listens.
		req, _ := http.NewRequest("PROPFIND", s.URL+CalendarHome+"calendar/", nil)
		req.Header.Set("Depth", "0")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusMultiStatus {
				s.exited = exited
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return nil, fmt.Errorf("xandikos did not answer within 60s: %s", s.Log())
}

func (s *Server) stop() {
	s.cmd.Process.Kill()
	<-s.exited
}

// Log returns what Xandikos printed, for failure messages.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// MakeCalendar creates the calendar collection /user/calendars/<name>/ with MKCALENDAR
// and returns its path.
func (s *Server) MakeCalendar(tb testing.TB, name, displayName string) string {
	tb.Helper()
	body := `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:set><D:prop><D:displayname>` + displayName + `</D:displayname>` +
		`<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>` +
		`</D:prop></D:set></C:mkcalendar>`
	path := CalendarHome + name + "/"
	s.do(tb, "MKCALENDAR", path, "application/xml", body, http.StatusCreated)
	return path
}

// Put writes a raw iCalendar object at path, as another client would.
func (s *Server) Put(tb testing.TB, path, ics string) {
	tb.Helper()
	s.do(tb, http.MethodPut, path, "text/calendar", ics, 0)
}

// Delete removes a resource, as another client would.
func (s *Server) Delete(tb testing.TB, path string) {
	tb.Helper()
	s.do(tb, http.MethodDelete, path, "", "", 0)
}

func (s *Server) do(tb testing.TB, method, path, ctype, body string, want int) {
	tb.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	if (want != 0 && resp.StatusCode != want) || (want == 0 && resp.StatusCode/100 != 2) {
		tb.Fatalf("%s %s: HTTP %d\n%s", method, path, resp.StatusCode, s.Log())
	}
}
