package microsoft

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/httpapi"
	"github.com/calsync/calsync/providers/oauth"
)

func TestClassifyGraphEnvelope(t *testing.T) {
	body := func(code string) []byte {
		return []byte(`{"error":{"code":"` + code + `","message":"m","innerError":{"date":"2026-11-25T10:00:00","request-id":"rid-1"}}}`)
	}
	cases := []struct {
		status int
		code   string
		want   providers.Kind
	}{
		{410, "SyncStateNotFound", providers.CursorExpired},
		{410, "syncstatenotfound", providers.CursorExpired},
		{410, "RESYNCREQUIRED", providers.CursorExpired},
		{400, "resyncRequired", providers.CursorExpired},
		{401, "InvalidAuthenticationToken", providers.AuthExpired},
		{403, "ErrorAccessDenied", providers.InsufficientScope},
		{403, "Authorization_RequestDenied", providers.InsufficientScope},
		{404, "ErrorItemNotFound", providers.NotFound},
		{404, "MailboxNotEnabledForRESTAPI", providers.Invalid},
		{412, "ErrorIrresolvableConflict", providers.Conflict},
		{409, "ErrorIrresolvableConflict", providers.Conflict},
		{429, "TooManyRequests", providers.RateLimited},
		{429, "ApplicationThrottled", providers.RateLimited},
		{503, "ServiceNotAvailable", providers.Unavailable},
		{500, "generalException", providers.Unavailable},
		{504, "UnknownError", providers.Unavailable},
		{400, "ErrorInvalidRequest", providers.Invalid},
	}
	for _, c := range cases {
		pe := Classify(&httpapi.Response{Status: c.status, Header: http.Header{}, Body: body(c.code)})
		if pe.Kind != c.want || pe.Code != c.code || pe.Hint == "" || pe.Message != "m (request-id rid-1)" {
			t.Errorf("%d %s: %+v, want %s", c.status, c.code, pe, c.want)
		}
	}
	// Not JSON at all (a proxy's HTML page): decided on the status.
	if pe := Classify(&httpapi.Response{Status: 502, Body: []byte("<html>bad gateway</html>")}); pe.Kind != providers.Unavailable {
		t.Errorf("502 html: %+v", pe)
	}
}

func TestSubErrorRetryAfter(t *testing.T) {
	c := &Client{now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	h := http.Header{}
	h.Set("Retry-After", "12")
	pe := c.subError("read event tags", 429, h, []byte(`{"error":{"code":"TooManyRequests","message":"slow"}}`))
	if pe.Kind != providers.RateLimited || pe.RetryAfter != 12*time.Second || pe.Provider != Kind || pe.Op != "read event tags" {
		t.Fatalf("%+v", pe)
	}
}

func TestEntraSetupAndExpiredCodeErrors(t *testing.T) {
	if pe := oauth.ClassifyAADSTS(50194, "cid"); pe == nil || pe.Kind != providers.SetupRequired || !strings.Contains(pe.Hint, "CALSYNC_MICROSOFT_TENANT") {
		t.Fatalf("50194: %+v", pe)
	}
	if pe := oauth.ClassifyAADSTS(70019, "cid"); pe == nil || pe.Kind != providers.AuthExpired || !strings.Contains(pe.Hint, "sign-in again") {
		t.Fatalf("70019: %+v", pe)
	}
}
