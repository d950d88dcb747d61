package microsoft

import (
	"net/http"
	"strings"
	"sync"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
)

// secretTracker remembers the bearer tokens this client sent, so that a server echoing
// one back in an error message (a proxy, a misbehaving gateway) cannot get it into an
// error text: pattern-based redaction only catches tokens it recognises by shape.
type secretTracker struct {
	next http.RoundTripper

	mu   sync.Mutex
	vals []string
}

// maxTracked bounds the memory: the current token and a few recently refreshed ones.
const maxTracked = 8

func (s *secretTracker) RoundTrip(r *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		s.add(tok)
	}
	return s.next.RoundTrip(r)
}

func (s *secretTracker) add(v string) {
	if len(v) < 8 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.vals {
		if x == v {
			return
		}
	}
	s.vals = append(s.vals, v)
	if len(s.vals) > maxTracked {
		s.vals = s.vals[len(s.vals)-maxTracked:]
	}
}

func (s *secretTracker) secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.vals...)
}

// scrub removes every tracked secret from a provider error's texts; also, when given,
// whatever more redact knows (the token source's current tokens and client secret).
func (s *secretTracker) scrub(err error, redact func(string) string) error {
	pe, ok := providers.AsError(err)
	if !ok {
		return err
	}
	sec := s.secrets()
	cp := *pe
	cp.Message = httpapi.RedactString(cp.Message, sec...)
	cp.Hint = httpapi.RedactString(cp.Hint, sec...)
	if redact != nil {
		cp.Message, cp.Hint = redact(cp.Message), redact(cp.Hint)
	}
	if cp.Err != nil {
		for _, x := range sec {
			if strings.Contains(cp.Err.Error(), x) {
				cp.Err = httpapi.Redact(cp.Err, sec...)
				break
			}
		}
	}
	return &cp
}
