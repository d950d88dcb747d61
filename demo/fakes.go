package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	gosync "sync"
	"syscall"
	"time"

	"github.com/calsync/calsync/providers/caldav/caldavfake"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/store"
)

// A demo sandbox talks to three fake providers running inside calsync itself, on
// 127.0.0.1. Their remote state (calendars, events, change logs, issued tokens, armed
// faults) lives in DIR/fakes/*.json, so any later command on the sandbox restarts them on
// new ports and finds the calendars exactly as they were left.

// metaDemoFakes marks a sandbox whose accounts live on the built-in fakes; its value is a
// demoFakeConfig as JSON.
const metaDemoFakes = "demo_fakes"

// demoFakeConfig is what restarting the fakes needs besides their state files: the
// options they were created with and the base URLs the accounts currently point at.
type demoFakeConfig struct {
	GoogleLogin    string            `json:"google_login"`
	TimeZone       string            `json:"time_zone"`
	CalDAVUser     string            `json:"caldav_user"`
	CalDAVPassword string            `json:"caldav_password"` // the normal (refused) password; not a working secret
	URLs           map[string]string `json:"urls"`            // kind -> base URL the accounts use
}

// Fakes are the running fake providers of one sandbox.
type Fakes struct {
	dir    string
	Google *googlefake.Server
	graph  *graphfake.Server
	CalDAV *caldavfake.Server
}

// URLs are the fakes' base URLs by provider kind.
func (f *Fakes) URLs() map[string]string {
	return map[string]string{"google": f.Google.URL(), "microsoft": f.graph.URL(), "caldav": f.CalDAV.URL()}
}

func (f *Fakes) close() {
	f.Google.Close()
	f.graph.Close()
	f.CalDAV.Close()
}

func FakesDir(dataDir string) string { return filepath.Join(dataDir, "fakes") }

// startDemoFakeServers builds the three fakes from their state files under dataDir (new,
// empty state when the files do not exist yet) and starts them on random loopback ports.
// They run on now, the command's clock: the tokens they issue, the stamps they write
// and the Date of their answers agree with what calsync compares them with.
func startDemoFakeServers(dataDir string, cfg demoFakeConfig, now func() time.Time) (*Fakes, error) {
	dir := FakesDir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make %s: %w", dir, err)
	}
	f := &Fakes{dir: dataDir}
	f.Google = googlefake.New(googlefake.Options{StateFile: filepath.Join(dir, "google.json"),
		Login: cfg.GoogleLogin, TimeZone: cfg.TimeZone, Now: now})
	g, err := graphfake.NewErr(graphfake.Options{StateFile: filepath.Join(dir, "microsoft.json"),
		AutoApproveDeviceCodes: true, DeviceCodeInterval: 1, Now: now})
	if err != nil {
		return nil, fmt.Errorf("read the Microsoft fake's state: %w", err)
	}
	f.graph = g
	f.CalDAV = caldavfake.New(caldavfake.Options{StateFile: filepath.Join(dir, "caldav.json"),
		User: cfg.CalDAVUser, Password: cfg.CalDAVPassword, AppPassword: demoCalDAVAppPassword, Now: now})
	for _, start := range []func(string) (string, error){f.Google.Start, f.graph.Start, f.CalDAV.Start} {
		if _, err := start("127.0.0.1:0"); err != nil {
			f.close()
			return nil, fmt.Errorf("start a demo provider on 127.0.0.1: %w", err)
		}
	}
	return f, nil
}

// demoCalDAVAppPassword is the sandbox CalDAV account's first app password. It is a demo
// value on a fake server, printed on purpose so people can try the app-password fix.
const demoCalDAVAppPassword = "demo-app-password"

// demoRunning holds the fakes this process runs, by data directory: every store opened
// on the same sandbox in this process shares them.
var demoRunning = struct {
	gosync.Mutex
	m map[string]*Fakes
}{m: map[string]*Fakes{}}

func registerDemoFakes(f *Fakes) {
	demoRunning.Lock()
	demoRunning.m[f.dir] = f
	demoRunning.Unlock()
	writeDemoRunFile(f)
}

func RunningFakes(dataDir string) *Fakes {
	demoRunning.Lock()
	defer demoRunning.Unlock()
	return demoRunning.m[dataDir]
}

// StopFakes stops the fakes this process runs for dataDir (tests; the process ending
// stops them too). Their state is already on disk.
func StopFakes(dataDir string) {
	demoRunning.Lock()
	f := demoRunning.m[dataDir]
	delete(demoRunning.m, dataDir)
	demoRunning.Unlock()
	if f != nil {
		f.close()
		os.Remove(filepath.Join(FakesDir(dataDir), "running.json"))
	}
	ReleaseLease(dataDir)
}

// RunFile says which process serves a sandbox's fakes and where, so a second calsync
// process on the same sandbox (a `calsync sync` while the app is open) uses those instead
// of starting its own copies, which would each keep their own version of the calendars.
type RunFile struct {
	PID  int               `json:"pid"`
	URLs map[string]string `json:"urls"`
}

func writeDemoRunFile(f *Fakes) {
	b, _ := json.Marshal(RunFile{PID: os.Getpid(), URLs: f.URLs()})
	path := filepath.Join(FakesDir(f.dir), "running.json")
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		os.Rename(tmp, path)
	}
}

// lockDemoFakes takes an exclusive lock on the sandbox's fakes directory (released by the
// returned func). Without a lock file it returns a no-op: the race it guards is rare.
func lockDemoFakes(dataDir string) func() {
	dir := FakesDir(dataDir)
	if os.MkdirAll(dir, 0o700) != nil {
		return func() {}
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return func() {}
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX) != nil {
		f.Close()
		return func() {}
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}

// servedElsewhere reports whether another live process serves the sandbox's fakes at the
// URLs the accounts point at.
func servedElsewhere(dataDir string, urls map[string]string) bool {
	b, err := os.ReadFile(filepath.Join(FakesDir(dataDir), "running.json"))
	if err != nil {
		return false
	}
	var rf RunFile
	if json.Unmarshal(b, &rf) != nil || rf.PID <= 0 || rf.PID == os.Getpid() {
		return false
	}
	if syscall.Kill(rf.PID, 0) != nil && !errors.Is(syscall.Kill(rf.PID, 0), syscall.EPERM) {
		return false
	}
	for kind, u := range urls {
		if rf.URLs[kind] != u || !listening(u) {
			return false
		}
	}
	return len(urls) > 0
}

func listening(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return false
	}
	c, err := net.DialTimeout("tcp", u.Host, 300*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// pointAccountsAt rewrites every account's endpoints and server URL from the fakes' old
// base URLs to their new ones, in one transaction, and records the new ones.
func pointAccountsAt(ctx context.Context, st *store.Store, cfg demoFakeConfig, now urlsByKind, at time.Time) error {
	return st.Tx(ctx, func(h store.Handler) error {
		accts, err := store.ListAccounts(ctx, h)
		if err != nil {
			return err
		}
		for _, a := range accts {
			nu := now[a.Kind]
			if nu == "" {
				continue
			}
			// Every loopback origin in the account is its fake's: replacing them all, rather
			// than only the URL recorded in the config, also mends a sandbox whose accounts
			// and config disagree (left so by older versions racing on the restart).
			endpoints := loopbackOrigin.ReplaceAllLiteralString(a.Endpoints, nu)
			serverURL := loopbackOrigin.ReplaceAllLiteralString(a.ServerURL, nu)
			if endpoints == a.Endpoints && serverURL == a.ServerURL {
				continue
			}
			a.Endpoints, a.ServerURL = endpoints, serverURL
			if err := store.UpdateAccount(ctx, h, a, at); err != nil {
				return fmt.Errorf("point account %s at the restarted demo provider: %w", a.ID, err)
			}
		}
		cfg.URLs = now
		b, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		return store.SetMeta(ctx, h, metaDemoFakes, string(b))
	})
}

type urlsByKind = map[string]string

// loopbackOrigin matches the origin of a fake's URL (the fakes listen on 127.0.0.1).
var loopbackOrigin = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

// loadDemoFakeConfig reads the sandbox marker; ok is false for a normal data directory.
func loadDemoFakeConfig(ctx context.Context, h store.Handler) (cfg demoFakeConfig, ok bool, err error) {
	v, ok, err := store.GetMeta(ctx, h, metaDemoFakes)
	if err != nil || !ok {
		return cfg, false, err
	}
	if err := json.Unmarshal([]byte(v), &cfg); err != nil {
		return cfg, false, fmt.Errorf("the demo sandbox's provider settings are unreadable (%v); make a new sandbox with `calsync demo`", err)
	}
	return cfg, true, nil
}
