package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"golang.org/x/oauth2"
)

// LoopbackOptions configures an installed-app sign-in through a loopback redirect.
type LoopbackOptions struct {
	Provider string                  // "google", "microsoft": goes into errors
	Config   oauth2.Config           // ClientID, ClientSecret, Endpoint, Scopes; RedirectURL is set here
	AuthOpts []oauth2.AuthCodeOption // extra authorization parameters (access_type=offline, prompt=consent)
	// RedirectPath is the path of the redirect URI ("/" when empty); Entra apps register
	// e.g. http://localhost with no path, Google accepts any path on 127.0.0.1.
	RedirectPath string
	// RedirectHost is the host name put in the redirect URI: "127.0.0.1" (default) or
	// "localhost" for providers that insist. The listener binds 127.0.0.1 either way.
	RedirectHost string
	// OpenBrowser opens the authorization URL. nil = DefaultOpenBrowser (xdg-open / open
	// when present). Demo mode sets an HTTP GET against the fake's auto-consent page.
	// Set NoBrowser to never try.
	OpenBrowser func(url string) error
	NoBrowser   bool
	// OnBrowserError, when set, receives the reason the browser could not be opened (the
	// URL was shown anyway). nil with ShowURL nil = a line on Out.
	OnBrowserError func(err error)
	// ShowURL is always called with the authorization URL before the browser is tried.
	// nil = print it to Out.
	ShowURL func(url string)
	Out     io.Writer // default os.Stderr
	// HTTPClient talks to the token endpoint (through TokenClient); nil = the bounded default.
	HTTPClient *http.Client
	Classify   Classifier
	// Timeout bounds the whole wait for the browser's answer (DefaultSignInTimeout when
	// zero): a sign-in nobody completes must not keep a listener open for ever.
	Timeout time.Duration
}

// DefaultSignInTimeout is how long a loopback sign-in waits for the browser.
const DefaultSignInTimeout = 5 * time.Minute

// Timeout is the wait Wait applies (opts.Timeout or DefaultSignInTimeout).
func (o LoopbackOptions) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultSignInTimeout
}

// Grant is the result of a successful sign-in.
type Grant struct {
	Token   *oauth2.Token
	Granted []string // scopes the token response says were granted
	Asked   []string // scopes that were asked for
}

// Secret encodes the grant as the stored secret (see EncodeSecret).
func (g *Grant) Secret() ([]byte, error) { return EncodeSecret(g.Token, g.Granted) }

// Missing returns the asked scopes that were not granted.
func (g *Grant) Missing() []string {
	var out []string
	for _, a := range g.Asked {
		found := false
		for _, s := range g.Granted {
			if s == a {
				found = true
			}
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// Flow is a loopback sign-in in progress: URL is ready to show, Wait blocks for the callback.
type Flow struct {
	URL string

	opts     LoopbackOptions
	ln       net.Listener
	srv      *http.Server
	state    string
	verifier string
	result   chan callback
	once     sync.Once
	closed   chan struct{}
}

type callback struct {
	code    string
	errCode string
	errDesc string
}

// Addr is the listener's address (tests check it binds loopback only).
func (f *Flow) Addr() net.Addr { return f.ln.Addr() }

// StartLoopback listens on 127.0.0.1 at a random port and builds the authorization URL
// (PKCE S256 challenge and a random state). Call Wait next; Close releases the listener
// if Wait is never called.
func StartLoopback(opts LoopbackOptions) (*Flow, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, &providers.Error{Kind: providers.Network, Provider: opts.Provider, Op: "sign in",
			Message: "cannot listen on 127.0.0.1: " + httpapi.Sanitize(err.Error()), Err: err}
	}
	path := opts.RedirectPath
	if path == "" {
		path = "/"
	}
	host := opts.RedirectHost
	if host == "" {
		host = "127.0.0.1"
	}
	port := ln.Addr().(*net.TCPAddr).Port
	opts.Config.RedirectURL = fmt.Sprintf("http://%s:%d%s", host, port, path)
	f := &Flow{opts: opts, ln: ln, state: randomString(32), verifier: oauth2.GenerateVerifier(),
		result: make(chan callback, 1), closed: make(chan struct{})}
	authOpts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier)}, opts.AuthOpts...)
	f.URL = opts.Config.AuthCodeURL(f.state, authOpts...)
	mux := http.NewServeMux()
	mux.HandleFunc(path, f.handle)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *Flow) handle(w http.ResponseWriter, r *http.Request) {
	path := f.opts.RedirectPath
	if path == "" {
		path = "/"
	}
	if r.URL.Path != path {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	cb := callback{code: q.Get("code"), errCode: q.Get("error"), errDesc: q.Get("error_description")}
	if cb.code == "" && cb.errCode == "" {
		// Not an authorization answer (a probe, a favicon-like request): ignore it.
		http.Error(w, "calsync is waiting for the sign-in answer.", http.StatusBadRequest)
		return
	}
	got := q.Get("state")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if subtle.ConstantTimeCompare([]byte(got), []byte(f.state)) != 1 {
		// Not the answer to this sign-in: any local process (or a stale browser tab) can
		// reach the loopback port. It is refused and ignored; the sign-in keeps waiting
		// for the real answer.
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, page("Not the sign-in calsync is waiting for",
			"This answer does not match the sign-in calsync started (state mismatch), so it was ignored. "+
				"If you are signing in, finish in the browser tab calsync opened; calsync is still waiting."))
		return
	}
	delivered := false
	f.once.Do(func() { f.result <- cb; delivered = true })
	switch {
	case !delivered:
		http.Error(w, "This sign-in has already been answered.", http.StatusConflict)
	case cb.errCode != "":
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, page("Sign-in not completed", "The provider answered: "+httpapi.Sanitize(cb.errCode+" "+cb.errDesc)+". Return to calsync."))
	default:
		fmt.Fprint(w, page("Signed in", "calsync received the sign-in. You can close this tab and return to calsync."))
	}
}

func page(title, body string) string {
	return "<!doctype html><meta charset=utf-8><title>" + html.EscapeString(title) + "</title><h1>" +
		html.EscapeString(title) + "</h1><p>" + html.EscapeString(body) + "</p>"
}

// Wait shows the URL, tries the browser, waits for one callback with the right state (or
// ctx, or the sign-in timeout), closes the listener and exchanges the code with the PKCE
// verifier. Cancelling ctx (Ctrl+C, esc) ends it at once.
func (f *Flow) Wait(ctx context.Context) (*Grant, error) {
	defer f.Close()
	timeout := f.opts.timeout()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	show := f.opts.ShowURL
	if show == nil {
		out := f.opts.Out
		if out == nil {
			out = os.Stderr
		}
		show = func(u string) {
			fmt.Fprintf(out, "Open this address in a browser to sign in:\n\n  %s\n\ncalsync waits up to %s for the sign-in; Ctrl+C cancels.\n\n",
				u, humanDuration(timeout))
		}
	}
	show(f.URL)
	if !f.opts.NoBrowser {
		open := f.opts.OpenBrowser
		if open == nil {
			open = DefaultOpenBrowser
		}
		go func() {
			err := open(f.URL)
			if err != nil && f.opts.OnBrowserError != nil {
				f.opts.OnBrowserError(httpapi.Redact(err, f.state))
				return
			}
			if err != nil && f.opts.ShowURL == nil {
				out := f.opts.Out
				if out == nil {
					out = os.Stderr
				}
				fmt.Fprintf(out, "(no browser opened: %s; open the address above yourself)\n", httpapi.Sanitize(err.Error()))
			}
		}()
	}
	var cb callback
	select {
	case <-wctx.Done():
		if ctx.Err() != nil {
			return nil, &providers.Error{Kind: providers.Network, Provider: f.opts.Provider, Op: "sign in",
				Code: "cancelled", Message: "sign-in cancelled", Err: ctx.Err(),
				Hint: "Start the sign-in again when you are ready."}
		}
		return nil, &providers.Error{Kind: providers.Network, Provider: f.opts.Provider, Op: "sign in",
			Code: "timeout", Message: fmt.Sprintf("no answer from the browser within %s", humanDuration(timeout)),
			Err: wctx.Err(), Hint: "Start the sign-in again and complete it in the browser on this computer."}
	case cb = <-f.result:
	}
	f.Close()
	if cb.errCode != "" {
		re := &oauth2.RetrieveError{ErrorCode: cb.errCode, ErrorDescription: cb.errDesc}
		return nil, scrub(TokenError(f.opts.Provider, "sign in", re, f.opts.Classify), f.verifier, f.state)
	}
	hc := TokenClient(f.opts.HTTPClient)
	xctx := context.WithValue(ctx, oauth2.HTTPClient, hc)
	tok, err := f.opts.Config.Exchange(xctx, cb.code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, scrub(TokenError(f.opts.Provider, "sign in", err, f.opts.Classify),
			f.verifier, cb.code, f.opts.Config.ClientSecret)
	}
	return &Grant{Token: tok, Granted: GrantedScopes(tok, f.opts.Config.Scopes),
		Asked: append([]string(nil), f.opts.Config.Scopes...)}, nil
}

// Close stops the listener. It is safe to call more than once.
func (f *Flow) Close() error {
	select {
	case <-f.closed:
		return nil
	default:
	}
	close(f.closed)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := f.srv.Shutdown(ctx)
	f.ln.Close()
	return err
}

// Loopback runs a whole sign-in: StartLoopback then Wait.
func Loopback(ctx context.Context, opts LoopbackOptions) (*Grant, error) {
	f, err := StartLoopback(opts)
	if err != nil {
		return nil, err
	}
	return f.Wait(ctx)
}

// DefaultOpenBrowser opens url with xdg-open (Linux/BSD) or open (macOS) when available,
// without waiting for the browser. It fails when no opener or no display is present.
func DefaultOpenBrowser(url string) error {
	name := "xdg-open"
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		return exec.Command("rundll32", "url.dll,FileProtocolHandler", url).Start()
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("no graphical display")
		}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s not found", name)
	}
	cmd := exec.Command(path, url)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

// humanDuration spells d for people ("5 minutes", "90 seconds").
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		if d == time.Minute {
			return "1 minute"
		}
		return fmt.Sprintf("%d minutes", d/time.Minute)
	case d >= time.Second:
		return fmt.Sprintf("%d seconds", d/time.Second)
	default:
		return d.String()
	}
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b), "=")
}
