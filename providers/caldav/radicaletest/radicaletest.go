// Package radicaletest starts a throw-away Radicale CalDAV server for tests and
// benchmarks: its own temp dir, a free loopback port, htpasswd users with plain
// passwords. Tests skip when radicale is not installed (Debian package "radicale"),
// and fail instead when CALSYNC_REQUIRE_RADICALE=1 (CI sets it).
package radicaletest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Default credentials of the owner account.
const (
	User     = "alice"
	Password = "s3cret-app-pw"
)

// Options configures a server. The zero value gives one user (alice) with owner_only rights.
type Options struct {
	// Users adds accounts (name -> password) besides alice.
	Users map[string]string
	// Rights, when set, is a Radicale from_file rights file used instead of owner_only.
	Rights string
	// Seed runs before the server starts with the collections root folder
	// (".../collection-root"), so benchmarks can write many items as files.
	Seed func(root string) error
	// InMemory puts the storage folder on /dev/shm when there is one: Radicale fsyncs
	// every file it writes, and the history entry per seeded item it writes once takes
	// minutes on a busy disk (benchmarks on large seeded calendars).
	InMemory bool
}

// Server is a running Radicale.
type Server struct {
	URL      string // http://127.0.0.1:PORT
	Dir      string
	User     string
	Password string
	cmd      *exec.Cmd
	log      *bytes.Buffer
	exited   chan error
}

// Available reports whether the radicale binary is installed.
func Available() bool {
	_, err := exec.LookPath("radicale")
	return err == nil
}

// Require skips tb (or fails it under CALSYNC_REQUIRE_RADICALE=1) when radicale is missing.
func Require(tb testing.TB) {
	tb.Helper()
	if Available() {
		return
	}
	msg := "radicale is not installed (Debian/Ubuntu: apt-get install radicale); the CalDAV integration tests need it"
	if os.Getenv("CALSYNC_REQUIRE_RADICALE") == "1" {
		tb.Fatal(msg + " and CALSYNC_REQUIRE_RADICALE=1 forbids skipping")
	}
	tb.Skip(msg)
}

// Start runs a Radicale for the duration of tb.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	Require(tb)
	dir := tb.TempDir()
	if opts.InMemory {
		if d, err := os.MkdirTemp("/dev/shm", "calsync-radicale-"); err == nil {
			tb.Cleanup(func() { os.RemoveAll(d) })
			dir = d
		}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // the free port may be taken in between
		s, err := start(dir, opts)
		if err == nil {
			tb.Cleanup(s.stop)
			return s
		}
		lastErr = err
	}
	tb.Fatalf("radicale did not start: %v", lastErr)
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

func start(dir string, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	coll := filepath.Join(dir, "collections")
	root := filepath.Join(coll, "collection-root")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	var users strings.Builder
	fmt.Fprintf(&users, "%s:%s\n", User, Password)
	for u, p := range opts.Users {
		fmt.Fprintf(&users, "%s:%s\n", u, p)
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(users.String()), 0o600); err != nil {
		return nil, err
	}
	rights := "[rights]\ntype = owner_only\n"
	if opts.Rights != "" {
		rf := filepath.Join(dir, "rights")
		if err := os.WriteFile(rf, []byte(opts.Rights), 0o600); err != nil {
			return nil, err
		}
		rights = "[rights]\ntype = from_file\nfile = " + rf + "\n"
	}
	cfg := fmt.Sprintf(`[server]
hosts = 127.0.0.1:%d
[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0
%s[storage]
filesystem_folder = %s
[logging]
level = warning
`, port, filepath.Join(dir, "users"), rights, coll)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	if opts.Seed != nil {
		if err := opts.Seed(root); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	var log bytes.Buffer
	cmd := exec.Command("radicale", "--config", filepath.Join(dir, "config"))
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Dir: dir, User: User, Password: Password, cmd: cmd, log: &log}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second) // generous: CI machines can be busy
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("radicale exited: %v: %s", err, log.String())
		default:
		}
		resp, err := http.Get(s.URL + "/.well-known/caldav")
		if err == nil {
			resp.Body.Close()
			s.exited = exited
			return s, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, fmt.Errorf("radicale did not answer within 60s: %s", log.String())
}

func (s *Server) stop() {
	s.cmd.Process.Kill()
	<-s.exited
}

// Log returns what Radicale printed (warnings and errors), for failure messages.
func (s *Server) Log() string { return s.log.String() }

// MakeCalendar creates the calendar collection /<user>/<name>/ with MKCALENDAR and
// returns its path. comps lists the supported components ("VEVENT" when empty).
func (s *Server) MakeCalendar(tb testing.TB, user, password, name, displayName string, comps ...string) string {
	tb.Helper()
	if len(comps) == 0 {
		comps = []string{"VEVENT"}
	}
	var cs strings.Builder
	for _, c := range comps {
		fmt.Fprintf(&cs, `<C:comp name="%s"/>`, c)
	}
	body := `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:set><D:prop><D:displayname>` + displayName + `</D:displayname>` +
		`<C:supported-calendar-component-set>` + cs.String() + `</C:supported-calendar-component-set>` +
		`</D:prop></D:set></C:mkcalendar>`
	path := "/" + user + "/" + name + "/"
	req, _ := http.NewRequest("MKCALENDAR", s.URL+path, strings.NewReader(body))
	req.SetBasicAuth(user, password)
	req.Header.Set("Content-Type", "application/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("MKCALENDAR %s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("MKCALENDAR %s: HTTP %d\n%s", path, resp.StatusCode, s.Log())
	}
	return path
}

// SeedCalendar writes a calendar collection and its items straight into Radicale's
// storage folder (use it from Options.Seed, before the server starts): far faster than
// PUTting thousands of events. items maps file names ("x.ics") to iCalendar text.
func SeedCalendar(root, user, name, displayName string, items map[string]string) error {
	dir := filepath.Join(root, user, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	props := fmt.Sprintf(`{"C:supported-calendar-component-set": "VEVENT", "D:displayname": %q, "tag": "VCALENDAR"}`, displayName)
	if err := os.WriteFile(filepath.Join(dir, ".Radicale.props"), []byte(props), 0o600); err != nil {
		return err
	}
	for n, data := range items {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(data), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// SeedCalendarFunc is SeedCalendar for large calendars: item(i) gives the file name and
// iCalendar text of item i of n, written one at a time instead of held in a map.
func SeedCalendarFunc(root, user, name, displayName string, n int, item func(i int) (file, ics string)) error {
	if err := SeedCalendar(root, user, name, displayName, nil); err != nil {
		return err
	}
	dir := filepath.Join(root, user, name)
	for i := 0; i < n; i++ {
		f, data := item(i)
		if err := os.WriteFile(filepath.Join(dir, f), []byte(data), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// SetPassword changes (or adds) a user's password; Radicale reads the htpasswd file on
// every login, so the old password is refused from the next request on.
func (s *Server) SetPassword(tb testing.TB, user, password string) {
	tb.Helper()
	path := filepath.Join(s.Dir, "users")
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, user+":") {
			line, found = user+":"+password, true
		}
		out = append(out, line)
	}
	if !found {
		out = append(out, user+":"+password)
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	if user == User {
		s.Password = password
	}
}

// SetRights replaces the rights file (only with Options.Rights set); Radicale reads it
// on every request.
func (s *Server) SetRights(tb testing.TB, rights string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(s.Dir, "rights"), []byte(rights), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// CollectionDir is the storage folder of /<user>/<name>/.
func (s *Server) CollectionDir(user, name string) string {
	return filepath.Join(s.Dir, "collections", "collection-root", user, name)
}

// ForgetSyncTokens deletes the sync-token history Radicale keeps for a collection, so
// every token issued so far is answered with 403 DAV:valid-sync-token.
func (s *Server) ForgetSyncTokens(tb testing.TB, user, name string) {
	tb.Helper()
	if err := os.RemoveAll(filepath.Join(s.CollectionDir(user, name), ".Radicale.cache", "sync-token")); err != nil {
		tb.Fatal(err)
	}
}

// OwnerRights is a from_file rights set equivalent to owner_only, for tests that then
// restrict single calendars with SetRights.
const OwnerRights = `
[root]
user: .+
collection:
permissions: R
[principal]
user: .+
collection: {user}
permissions: RW
[own]
user: .+
collection: {user}/[^/]+
permissions: rw
`
