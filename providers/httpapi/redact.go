package httpapi

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// MaxMessage is how long a provider message may be once sanitised.
const MaxMessage = 300

var (
	// "Bearer abc", "Authorization: Basic abc".
	reAuthHeader = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/=]+`)
	// key=value in queries, forms and log lines.
	reKV = regexp.MustCompile(`(?i)\b(access_token|refresh_token|id_token|code_verifier|client_secret|code|password|passwd|token|assertion|device_code|sig|signature)=([^&\s"']*)`)
	// "key":"value" in JSON.
	reJSON = regexp.MustCompile(`(?i)"(access_token|refresh_token|id_token|code_verifier|client_secret|password|device_code|assertion)"\s*:\s*"(?:[^"\\]|\\.)*"`)
	// Google access tokens and refresh tokens have recognisable prefixes.
	reGoogleTok = regexp.MustCompile(`\b(ya29\.|1//)[A-Za-z0-9\-._~+/]+`)
)

// Sanitize makes provider or transport text safe to put in an error: secrets are
// replaced by [redacted], control characters removed, and the text shortened to MaxMessage.
func Sanitize(s string) string {
	s = RedactString(s)
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' {
			return ' '
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > MaxMessage {
		s = string(r[:MaxMessage-1]) + "…"
	}
	return s
}

// RedactString replaces anything that looks like a credential in s, plus every value in
// extra (known secrets such as the current token), with [redacted].
func RedactString(s string, extra ...string) string {
	for _, x := range extra {
		if len(x) >= 4 {
			s = strings.ReplaceAll(s, x, "[redacted]")
		}
	}
	s = reAuthHeader.ReplaceAllString(s, "$1 [redacted]")
	s = reKV.ReplaceAllString(s, "$1=[redacted]")
	s = reJSON.ReplaceAllString(s, `"$1":"[redacted]"`)
	s = reGoogleTok.ReplaceAllString(s, "[redacted]")
	return s
}

// RedactURL returns u with credential-like query values and any userinfo removed.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return RedactString(u)
	}
	p.User = nil
	if p.RawQuery != "" {
		p.RawQuery = RedactString(p.RawQuery)
	}
	return p.String()
}

// Redact wraps err so its text is sanitised. errors.Is/As still reach the cause's
// underlying reason (context.Canceled, net errors), but not a *url.Error, whose text
// carries the full request URL.
func Redact(err error, extra ...string) error {
	if err == nil {
		return nil
	}
	var re *redacted
	if errors.As(err, &re) && len(extra) == 0 {
		return err
	}
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	msg := Sanitize(RedactString(err.Error(), extra...))
	return &redacted{msg: msg, cause: cause, hideCause: cause == err}
}

type redacted struct {
	msg       string
	cause     error
	hideCause bool
}

func (r *redacted) Error() string { return r.msg }

// Unwrap exposes the cause only when it is not the same (unsanitised) error.
func (r *redacted) Unwrap() error {
	if r.hideCause {
		// Keep sentinel checks working without exposing text.
		for _, s := range []error{contextCanceled, contextDeadline} {
			if errors.Is(r.cause, s) {
				return s
			}
		}
		return nil
	}
	return r.cause
}
