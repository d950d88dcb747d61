package caldav_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
)

// A server whose error page echoes the request's credentials (a debug page, a proxy that
// quotes the Authorization header, a message naming the refused password) must not put
// them into the error calsync stores, journals and prints.
func TestErrorBodiesThatEchoTheCredentialsAreScrubbed(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("alice@example.org:" + testSecret))
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"500 quoting the password", http.StatusInternalServerError, "login check failed for password " + testSecret + " (backend timeout)"},
		{"401 quoting the header", http.StatusUnauthorized, "rejected Authorization: Basic " + basic},
		{"sabre message quoting the password", http.StatusBadRequest,
			`<?xml version="1.0"?><d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"><s:message>bad secret ` + testSecret + `</s:message></d:error>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := cannedServer(t, tc.status, nil, tc.body)
			p, err := caldav.New(context.Background(), providers.Config{Kind: "caldav", Login: "alice@example.org",
				Secret: []byte(testSecret), Endpoints: providers.Endpoints{API: srv.URL + "/"}})
			if err == nil {
				// A call on a known calendar: no discovery rewords the server's message.
				_, err = p.Changes(context.Background(), "/cal/", "sync1:http://x/ns/sync/1", providers.Window{})
			}
			if err == nil {
				t.Fatal("the server refused: an error was expected")
			}
			msg := err.Error()
			if pe, ok := providers.AsError(err); ok {
				msg += " " + pe.Hint + " " + pe.Code
			}
			if strings.Contains(msg, testSecret) || strings.Contains(msg, basic) {
				t.Fatalf("the error carries the credentials: %s", msg)
			}
		})
	}
}
