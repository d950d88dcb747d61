package providers

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
)

// Config is everything needed to open a Provider for one stored account.
type Config struct {
	AccountID string
	Kind      string // "google", "microsoft", "caldav"
	Login     string
	Endpoints Endpoints
	// ClientID / ClientSecret for OAuth kinds (from the account or CALSYNC_* variables).
	ClientID     string
	ClientSecret string
	// Secret is the stored secret: an OAuth token as JSON, or a CalDAV password.
	Secret []byte
	// Saver receives renewed secrets (refreshed tokens). May be nil.
	Saver      SecretSaver
	HTTPClient *http.Client
	// TimeZone is the person's IANA zone ("" = unknown). CalDAV reads floating times
	// (no TZID, no Z) of a calendar that names no zone of its own in it.
	TimeZone string
}

// Factory opens a provider of one kind.
type Factory func(ctx context.Context, cfg Config) (Provider, error)

var (
	regMu     sync.RWMutex
	factories = map[string]Factory{}
)

// Register makes a provider kind available to Open. Provider packages call it from init;
// import providers/all to get every kind.
func Register(kind string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	factories[kind] = f
}

// Open builds the provider for cfg.Kind.
func Open(ctx context.Context, cfg Config) (Provider, error) {
	regMu.RLock()
	f, ok := factories[cfg.Kind]
	regMu.RUnlock()
	if !ok {
		return nil, &Error{Kind: Invalid, Provider: cfg.Kind, Op: "open",
			Message: fmt.Sprintf("unknown provider kind %q (known: %v)", cfg.Kind, RegisteredKinds())}
	}
	return f(ctx, cfg)
}

// RegisteredKinds lists the kinds Open accepts.
func RegisteredKinds() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var ks []string
	for k := range factories {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
