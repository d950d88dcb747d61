// Package oskeyring keeps calsync's account secrets in the operating system's keyring
// (macOS Keychain, Windows Credential Manager, the freedesktop Secret Service on Linux:
// GNOME Keyring, KWallet) through github.com/zalando/go-keyring, and detects when there is
// none (a headless server, no D-Bus session) so the caller can keep secrets in its
// database instead and say so.
package oskeyring

import (
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/calsync/calsync/store"
)

// Service is the name calsync's items carry in the keyring ("calsync" in Seahorse or
// Keychain Access).
const Service = "calsync"

// Keyring is the OS keyring under one service name. Every call is bounded by Timeout: a
// locked Secret Service may wait for an unlock prompt nobody answers.
type Keyring struct {
	Service string
	Timeout time.Duration
}

// Name says which keyring this is, for people.
func (k *Keyring) Name() string {
	switch runtime.GOOS {
	case "darwin":
		return "macOS Keychain"
	case "windows":
		return "Windows Credential Manager"
	}
	return "Secret Service keyring"
}

// Values are stored base64-encoded: the Secret Service and Keychain take text, and a
// token's JSON or a password may hold any byte.
func (k *Keyring) Set(key string, value []byte) error {
	return k.bounded(func() error {
		return gokeyring.Set(k.Service, key, base64.StdEncoding.EncodeToString(value))
	})
}

func (k *Keyring) Get(key string) ([]byte, error) {
	var s string
	err := k.bounded(func() error {
		var err error
		s, err = gokeyring.Get(k.Service, key)
		return err
	})
	if err != nil {
		return nil, err
	}
	v, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("keyring item %s/%s was not written by calsync", k.Service, key)
	}
	return v, nil
}

func (k *Keyring) Delete(key string) error {
	return k.bounded(func() error { return gokeyring.Delete(k.Service, key) })
}

// bounded runs fn with the timeout and maps the library's not-found to store.ErrNotFound.
// The library's errors never contain the value (it is not passed to them).
func (k *Keyring) bounded(fn func() error) error {
	t := k.Timeout
	if t <= 0 {
		t = 30 * time.Second
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if errors.Is(err, gokeyring.ErrNotFound) {
			return fmt.Errorf("keyring: %w", store.ErrNotFound)
		}
		return err
	case <-time.After(t):
		return fmt.Errorf("the %s did not answer within %s (is it locked?)", k.Name(), t)
	}
}

// Detect returns the OS keyring when it answers, or nil and why not, in words for the
// person ("no D-Bus session (headless)"). getenv is the process environment.
// CALSYNC_KEYRING=off keeps secrets in the database on purpose.
func Detect(getenv func(string) string, timeout time.Duration) (*Keyring, string) {
	switch strings.ToLower(strings.TrimSpace(getenv("CALSYNC_KEYRING"))) {
	case "off", "database", "no", "0":
		return nil, "CALSYNC_KEYRING=off"
	}
	if runtime.GOOS != "darwin" && runtime.GOOS != "windows" && getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		// Without a session bus the library would try to autolaunch one; a machine with
		// no desktop session has no Secret Service to find anyway.
		return nil, "no D-Bus session, so no Secret Service (a headless machine)"
	}
	k := &Keyring{Service: Service, Timeout: timeout}
	// Reading an item that does not exist answers quickly and never prompts.
	if _, err := k.Get("probe"); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "the " + k.Name() + " is not usable: " + oneLine(err.Error())
	}
	k.Timeout = 0 // later calls may wait for an unlock prompt: the default bound
	return k, ""
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

var _ store.Keyring = (*Keyring)(nil)
