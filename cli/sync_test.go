package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/calsync/calsync/providers/google"
	"github.com/calsync/calsync/providers/google/googlefake"
	"github.com/calsync/calsync/store"
	"github.com/calsync/calsync/sync"
)

func TestSyncCommandPushesPullsAndReportsAuthFailure(t *testing.T) {
	cli, fake := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	if code, out, errOut := cli.run("", "account", "add", "google", "--name", "Work"); code != 0 {
		t.Fatalf("add: %d\n%s\n%s", code, out, errOut)
	}
	id := cli.accounts()[0].ID
	if code, out, errOut := cli.run("", "settings", "set", "--account", id, "--calendar", "pat@example.com", "--enable"); code != 0 {
		t.Fatalf("settings: %d\n%s\n%s", code, out, errOut)
	}
	st := cli.store()
	ctx := context.Background()
	store.EnsureMe(ctx, st.DB, "Pat", cli.now)
	cli.now = cli.now.Add(time.Minute)
	if _, err := store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: store.TypeCall, Subject: "Call \x1b[31mAnna",
		Start: cli.now.Add(24 * time.Hour), Duration: 30 * time.Minute}, cli.now); err != nil {
		t.Fatal(err)
	}
	start := cli.now.Add(48 * time.Hour)
	if _, err := fake.PutEvent("pat@example.com", googlefake.Event{Summary: "Dentist",
		Start: &googlefake.EventDateTime{DateTime: start.Format(time.RFC3339)},
		End:   &googlefake.EventDateTime{DateTime: start.Add(time.Hour).Format(time.RFC3339)}}); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := cli.run("", "sync", "--json")
	if code != 0 {
		t.Fatalf("sync --json: exit %d\n%s\n%s", code, out, errOut)
	}
	var sums []sync.Summary
	if err := json.Unmarshal([]byte(out), &sums); err != nil || len(sums) != 1 {
		t.Fatalf("not JSON summaries: %v\n%s", err, out)
	}
	if s := sums[0]; s.Pushed != 1 || s.Imported != 1 || s.Failed {
		t.Fatalf("summary %+v", s)
	}
	evs := fake.Events("pat@example.com")
	tagged := 0
	for _, e := range evs {
		if e.ExtendedProperties != nil && e.ExtendedProperties.Private[google.TagProperty] != "" {
			tagged++
		}
	}
	if len(evs) != 2 || tagged != 1 {
		t.Fatalf("calendar holds %d events (%d tagged)", len(evs), tagged)
	}
	// Human output: one line per account, escape sequences stripped.
	code, out, _ = cli.run("", "sync", "--account", id[:8])
	if code != 0 || !strings.Contains(out, "Work: pulled 0, pushed 0") {
		t.Fatalf("second sync: %d %s", code, out)
	}
	// A revoked sign-in: exit 1 and the fix named.
	fake.RevokeTokens()
	fake.ExpireAccessTokens()
	cli.now = cli.now.Add(time.Minute)
	code, out, _ = cli.run("", "sync")
	if code != exitFailure || !strings.Contains(out, "calsync account reconnect "+id) {
		t.Fatalf("revoked: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "1//0") || strings.Contains(out, "ya29") {
		t.Fatal("a token leaked into the output")
	}
	a, _ := store.GetAccount(ctx, st.DB, id)
	if a.State != store.AccountNeedsReauth {
		t.Fatalf("account state %q", a.State)
	}
}

func TestSyncCommandUsageAndExitCodes(t *testing.T) {
	cli := newAcctCLI(t)
	if code, _, errOut := cli.run("", "sync", "extra"); code != exitUsage || !strings.Contains(errOut, "--account") {
		t.Fatalf("usage: %d %s", code, errOut)
	}
	if code, _, errOut := cli.run("", "sync", "--account", "nope"); code != exitFailure || !strings.Contains(errOut, "no account") {
		t.Fatalf("unknown account: %d %s", code, errOut)
	}
	if code, out, _ := cli.run("", "sync"); code != 0 || !strings.Contains(out, "Nothing to sync") {
		t.Fatalf("no accounts: %d %s", code, out)
	}
	cases := []struct {
		sums []sync.Summary
		want int
	}{
		{[]sync.Summary{{}}, exitOK},
		{[]sync.Summary{{Failed: true, Temporary: true}}, exitTempFail},
		{[]sync.Summary{{Failed: true, Temporary: true}, {Failed: true}}, exitFailure},
		{[]sync.Summary{{Errors: 1}}, exitFailure},
		{[]sync.Summary{{MassDeleteGuard: 3}}, exitFailure},
		{[]sync.Summary{{TimeShiftGuard: 12, TimeShiftHours: 1}}, exitFailure},
	}
	for i, c := range cases {
		if got := syncExit(c.sums, nil); got != c.want {
			t.Errorf("case %d: exit %d, want %d", i, got, c.want)
		}
	}
}

// lockedBuffer is an io.Writer the test reads while the command writes.
type lockedBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSyncWatchSyncsUntilInterrupted(t *testing.T) {
	cli, fake := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	if code, out, errOut := cli.run("", "account", "add", "google", "--name", "Work"); code != 0 {
		t.Fatalf("add: %d\n%s\n%s", code, out, errOut)
	}
	id := cli.accounts()[0].ID
	cli.run("", "settings", "set", "--account", id, "--calendar", "pat@example.com", "--enable")
	st := cli.store()
	ctx := context.Background()
	store.EnsureMe(ctx, st.DB, "Pat", cli.now)
	cli.now = cli.now.Add(time.Minute)
	store.CreateActivity(ctx, st.DB, store.ActivityInput{Type: store.TypeCall, Subject: "Call Bo",
		Start: cli.now.Add(24 * time.Hour)}, cli.now)

	out, errb := &lockedBuffer{}, &lockedBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errb,
		Getenv: func(k string) string { return cli.env[k] }, Now: func() time.Time { return cli.now }}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() { done <- run(wctx, env, []string{"--data-dir", cli.dir, "sync", "--watch"}) }()
	deadline := time.After(20 * time.Second)
	for !strings.Contains(out.String(), "pushed 1") {
		select {
		case <-deadline:
			cancel()
			t.Fatalf("no sync in watch mode:\n%s\n%s", out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("watch exit %d", code)
	}
	if n := len(fake.Events("pat@example.com")); n != 1 {
		t.Fatalf("%d events", n)
	}
	if code, _, errOut := cli.run("", "sync", "--watch", "--dry-run"); code != exitUsage || !strings.Contains(errOut, "do not go together") {
		t.Fatalf("watch + dry-run: %d %s", code, errOut)
	}
}

// Ctrl-C while `sync --watch` is in the middle of a run (here: waiting out a rate
// limit): the command exits at once, the run is recorded as cancelled and the lease is
// free, so the next `calsync sync` is not told "already syncing".
func TestSyncWatchInterruptedMidRunReleasesTheLease(t *testing.T) {
	cli, fake := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	if code, out, errOut := cli.run("", "account", "add", "google", "--name", "Work"); code != 0 {
		t.Fatalf("add: %d\n%s\n%s", code, out, errOut)
	}
	id := cli.accounts()[0].ID
	cli.run("", "settings", "set", "--account", id, "--calendar", "pat@example.com", "--enable")
	st := cli.store()
	ctx := context.Background()
	fake.SetFaults(googlefake.Faults{RateLimited: true, RetryAfterSeconds: 60, FailCount: 1000})

	out, errb := &lockedBuffer{}, &lockedBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errb,
		Getenv: func(k string) string { return cli.env[k] }, Now: func() time.Time { return cli.now }}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- run(wctx, env, []string{"--data-dir", cli.dir, "sync", "--watch"}) }()
	deadline := time.After(20 * time.Second)
	for {
		if r, err := store.LastRun(ctx, st.DB, id); err == nil && r.Status == store.RunRunning {
			break // the run holds the lease and waits on Retry-After
		}
		select {
		case <-deadline:
			t.Fatalf("the watch never started a run:\n%s\n%s", out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("watch exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sync --watch did not stop on Ctrl-C")
	}
	if holder, _, err := store.GetLease(ctx, st.DB, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lease still held by %q after Ctrl-C", holder)
	}
	if r, err := store.LastRun(ctx, st.DB, id); err != nil || r.Status != store.RunCancelled {
		t.Fatalf("run %+v %v, want cancelled", r, err)
	}
	fake.SetFaults(googlefake.Faults{})
	if code, o, e := cli.run("", "sync", "--wait", "0s"); code != exitOK {
		t.Fatalf("sync right after Ctrl-C: %d\n%s\n%s", code, o, e)
	}
}

// A sync that fails is reported as failed everywhere the CLI tells it: the summary counts
// the error and names the reason, `calsync sync` and `calsync doctor` exit 75 when the
// failure passes by itself (the provider asks to wait longer than a run may) and 1 when
// a person must act (the calendar was deleted), and the doctor's last-sync check says
// which, with the run as evidence.
func TestFailedSyncIsReportedAsFailedByTheCLI(t *testing.T) {
	cli, fake := googleCLI(t, googlefake.Options{Login: "pat@example.com"})
	if code, out, errOut := cli.run("", "account", "add", "google", "--name", "Work"); code != 0 {
		t.Fatalf("add: %d\n%s\n%s", code, out, errOut)
	}
	id := cli.accounts()[0].ID
	if err := fake.AddCalendar(googlefake.Calendar{ID: "projects@group.calendar.google.com", Summary: "Projects"}); err != nil {
		t.Fatal(err)
	}
	cli.run("", "calendars", "--account", id, "--refresh")
	if code, out, errOut := cli.run("", "settings", "set", "--account", id, "--calendar", "projects@group.calendar.google.com", "--enable"); code != 0 {
		t.Fatalf("settings: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := cli.run("", "sync"); code != exitOK {
		t.Fatalf("first sync: %d\n%s\n%s", code, out, errOut)
	}

	fake.SetFaults(googlefake.Faults{RateLimited: true, RetryAfterSeconds: 3600})
	cli.now = cli.now.Add(time.Minute)
	code, out, _ := cli.run("", "sync", "--wait", "0s")
	if code != exitTempFail || !strings.Contains(out, "errors 1 (the run stopped: RateLimited)") {
		t.Fatalf("rate limited: exit %d, want 75\n%s", code, out)
	}
	code, out, _ = cli.run("", "doctor", "--offline", "--symptom", "not-showing")
	if code != exitTempFail || !strings.Contains(out, "UNCHECKED Did the last sync fail?") || !strings.Contains(out, "passes by itself") {
		t.Fatalf("doctor after a temporary failure: exit %d, want 75\n%s", code, out)
	}

	fake.SetFaults(googlefake.Faults{})
	if err := fake.RemoveCalendar("projects@group.calendar.google.com"); err != nil {
		t.Fatal(err)
	}
	cli.now = cli.now.Add(time.Minute)
	code, out, _ = cli.run("", "sync", "--wait", "0s")
	if code != exitFailure || !strings.Contains(out, "errors 1 (the run stopped: NotFound)") || !strings.Contains(out, "failed: ") {
		t.Fatalf("calendar deleted: exit %d, want 1\n%s", code, out)
	}
	code, out, _ = cli.run("", "doctor", "--offline", "--symptom", "not-showing")
	if code != exitFailure || !strings.Contains(out, "FAIL      Did the last sync fail?") ||
		!strings.Contains(out, "stopped before it finished: the calendar (or an event) no longer exists (NotFound)") ||
		strings.Contains(out, "had no errors") {
		t.Fatalf("doctor after the calendar was deleted: exit %d, want 1\n%s", code, out)
	}
}
