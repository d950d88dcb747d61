package googlefake

import (
	"encoding/json"
	"net/url"
	"testing"
)

// A deleted event keeps its id: get shows it cancelled, insert under its id is a 409
// duplicate, an update that does not revive it is refused as deleted, and an update
// setting status confirmed brings it back under the same id, as a change in the next
// increment.
func TestDeletedEventKeepsItsIDAndIsRestoredByConfirmingIt(t *testing.T) {
	_, c := start(t, Options{})
	const path = "/calendar/v3/calendars/primary/events"
	if st, _, b := c.do("POST", path, body("restore01")); st != 200 {
		t.Fatalf("insert %d %s", st, b)
	}
	_, full, _ := c.list(url.Values{})
	if st, _, _ := c.do("DELETE", path+"/restore01", ""); st != 204 {
		t.Fatalf("delete %d", st)
	}

	st, _, b := c.do("GET", path+"/restore01", "")
	var got Event
	json.Unmarshal(b, &got)
	if st != 200 || got.ID != "restore01" || got.Status != "cancelled" {
		t.Fatalf("get of a deleted event: %d %s", st, b)
	}
	st, _, b = c.do("POST", path, body("restore01"))
	if st != 409 {
		t.Fatalf("insert under a deleted id: %d %s", st, b)
	}
	sameJSON(t, b, `{"error":{"errors":[{"domain":"global","reason":"duplicate","message":"The requested identifier already exists."}],"code":409,"message":"The requested identifier already exists."}}`)

	if st, _, b := c.do("PATCH", path+"/restore01", `{"summary":"still gone"}`); st != 410 {
		t.Fatalf("patch without reviving it: %d %s", st, b)
	}
	if st, _, _ := c.do("PATCH", path+"/restore01", `{"status":"confirmed","summary":"back"}`, "If-Match", `"stale"`); st != 412 {
		t.Fatalf("restore with a stale etag: %d", st)
	}
	st, _, b = c.do("PATCH", path+"/restore01", `{"status":"confirmed","summary":"back"}`, "If-Match", got.Etag)
	var back Event
	json.Unmarshal(b, &back)
	if st != 200 || back.ID != "restore01" || back.Status != "confirmed" || back.Summary != "back" || back.Etag == got.Etag {
		t.Fatalf("restore: %d %s", st, b)
	}

	_, inc, _ := c.list(url.Values{"syncToken": {full.NextSyncToken}})
	if len(inc.Items) != 1 || inc.Items[0].ID != "restore01" || inc.Items[0].Status != "confirmed" || inc.Items[0].Summary != "back" {
		t.Fatalf("increment after the restore: %+v", inc.Items)
	}
	_, now, _ := c.list(url.Values{})
	if len(now.Items) != 1 || now.Items[0].Status != "confirmed" {
		t.Fatalf("listing after the restore: %+v", now.Items)
	}
	if st, _, _ := c.do("POST", path, body("restore01")); st != 409 {
		t.Fatalf("insert under a restored id: %d", st)
	}
}
