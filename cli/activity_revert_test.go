package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/caldav/radicaletest"
)

// The recurring-event story through the CLI, on a real CalDAV server: occurrences
// of an imported series are edited and deleted with `activity edit/delete` and reach the
// calendar as an override and an EXDATE; once the calendar refuses (made read-only) the
// refused change fails one sync only, a further edit is refused up front with the reason,
// and `activity revert` takes the calendar's version back.
func TestActivityOccurrenceEditDeleteRefuseRevert(t *testing.T) {
	srv := radicaletest.Start(t, radicaletest.Options{Rights: radicaletest.OwnerRights})
	cal := srv.MakeCalendar(t, srv.User, srv.Password, "work", "Work")
	cli := newAcctCLI(t)
	cli.env["USER"] = "ann"
	if code, out, errOut := cli.run(srv.Password+"\n", "account", "add", "caldav", "--url", srv.URL, "--username", srv.User,
		"--password-stdin", "--name", "Home"); code != exitOK {
		t.Fatalf("account add: %d\n%s\n%s", code, out, errOut)
	}
	acct := cli.accounts()[0].ID
	if code, out, errOut := cli.run("", "settings", "set", "--account", acct, "--calendar", cal, "--enable"); code != exitOK {
		t.Fatalf("settings: %d\n%s\n%s", code, out, errOut)
	}
	dav := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.SetBasicAuth(srv.User, srv.Password)
		req.Header.Set("Content-Type", "text/calendar")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	start := cli.now.Add(48 * time.Hour).UTC()
	f := "20060102T150405Z"
	series := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\nBEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" +
		start.Format(f) + "\r\nDTEND:" + start.Add(time.Hour).Format(f) + "\r\nRRULE:FREQ=DAILY;COUNT=3\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if st, _ := dav(http.MethodPut, cal+"standup.ics", series); st/100 != 2 {
		t.Fatalf("PUT series: %d", st)
	}
	sync := func(wantCode int) string {
		t.Helper()
		cli.now = cli.now.Add(time.Minute)
		code, out, errOut := cli.run("", "sync")
		if code != wantCode {
			t.Fatalf("sync: exit %d, want %d\n%s\n%s", code, wantCode, out, errOut)
		}
		return out
	}
	sync(exitOK)
	code, out, errOut := cli.run("", "activity", "list", "--owner", "all", "--status", "all", "--json")
	if code != exitOK {
		t.Fatalf("list: %d %s", code, errOut)
	}
	var list listOutput
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	sort.Slice(list.Rows, func(i, j int) bool { return list.Rows[i].Start.Before(list.Rows[j].Start) })
	if len(list.Rows) != 3 {
		t.Fatalf("%d activities imported, want the 3 occurrences:\n%s", len(list.Rows), out)
	}
	occ := list.Rows

	cli.now = cli.now.Add(time.Minute)
	if code, out, errOut := cli.run("", "activity", "edit", occ[0].ID, "--subject", "Standup with Bob"); code != exitOK {
		t.Fatalf("edit occurrence: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := cli.run("", "activity", "delete", occ[1].ID); code != exitOK {
		t.Fatalf("delete occurrence: %d\n%s%s", code, out, errOut)
	}
	sync(exitOK)
	_, ics := dav(http.MethodGet, cal+"standup.ics", "")
	for _, want := range []string{"RRULE:FREQ=DAILY;COUNT=3", "RECURRENCE-ID:" + start.Format(f), "SUMMARY:Standup with Bob",
		"EXDATE:" + start.Add(24*time.Hour).Format(f)} {
		if !strings.Contains(ics, want) {
			t.Errorf("calendar resource lacks %q:\n%s", want, ics)
		}
	}
	if out := sync(exitOK); !strings.Contains(out, "pulled 0, pushed 0") {
		t.Fatalf("quiet sync after the occurrence writes: %s", out)
	}

	// The calendar becomes read-only: the change fails one sync, not every later one.
	srv.SetRights(t, fmt.Sprintf("[ro]\nuser: %s\ncollection: %s/work(/.*)?\npermissions: r\n", srv.User, srv.User)+radicaletest.OwnerRights)
	cli.now = cli.now.Add(time.Minute)
	if code, out, errOut := cli.run("", "activity", "edit", occ[2].ID, "--subject", "Standup (refused)"); code != exitOK {
		t.Fatalf("edit before the refusal is known: %d\n%s%s", code, out, errOut)
	}
	sync(exitFailure)
	sync(exitOK)
	code, _, errOut = cli.run("", "activity", "edit", occ[2].ID, "--subject", "again")
	if code != exitFailure || !strings.Contains(errOut, "cannot be edited here") || !strings.Contains(errOut, "occurrence of a recurring series") {
		t.Fatalf("a further edit of a refused occurrence: exit %d\n%s", code, errOut)
	}
	code, out, errOut = cli.run("", "activity", "revert", occ[2].ID)
	if code != exitOK || !strings.Contains(out, "Reverted to the calendar's version:") || !strings.Contains(out, `"Standup"`) {
		t.Fatalf("revert: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := cli.run("", "activity", "revert", occ[2].ID); code != exitFailure || !strings.Contains(errOut, "nothing to revert") {
		t.Fatalf("second revert: exit %d %s", code, errOut)
	}
	if out := sync(exitOK); !strings.Contains(out, "pushed 0") {
		t.Fatalf("sync after revert: %s", out)
	}
}
