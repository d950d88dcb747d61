package microsoft_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/microsoft"
	"github.com/calsync/calsync/providers/microsoft/graphfake"
	"github.com/calsync/calsync/providers/oauth"
)

var ctx = context.Background()

func window() providers.Window {
	now := time.Now().UTC()
	return providers.Window{Start: now.AddDate(0, 0, -30), End: now.AddDate(0, 0, 90)}
}

// listAll reads every page from cursor on.
func listAll(t *testing.T, p providers.Provider, cal, cur string) (evs []providers.Event, bad []providers.BadEvent, next string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		pg, err := p.Changes(ctx, cal, cur, window())
		if err != nil {
			t.Fatalf("changes: %v", err)
		}
		evs = append(evs, pg.Events...)
		bad = append(bad, pg.Bad...)
		if !pg.More {
			return evs, bad, pg.NextCursor
		}
		cur = pg.NextCursor
	}
	t.Fatal("paging does not end")
	return
}

func timedEvent(activity, subject string) providers.Event {
	start := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Hour)
	return providers.Event{ActivityID: activity, Subject: subject, Start: start, End: start.Add(30 * time.Minute), TimeZone: "Europe/Berlin"}
}

// canaries are the secrets of an env: none may appear in any error text.
func (e *env) assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	text := err.Error()
	if pe, ok := providers.AsError(err); ok {
		text += " " + pe.Hint + " " + pe.Message + " " + fmt.Sprint(pe.Err)
	}
	for _, s := range []string{e.issued.AccessToken, e.issued.RefreshToken} {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("error text leaks a token: %q", strings.ReplaceAll(text, s, "<TOKEN>"))
		}
	}
}

func TestForbiddenWriteReadOnlyCalendarVsMissingScope(t *testing.T) {
	// Same 403 ErrorAccessDenied body from Graph; calsync must tell the two apart.
	ro := newEnv(t, graphfake.Options{})
	shared := ro.fake.AddCalendar(graphfake.Calendar{Name: "Team (shared)", CanEdit: false, OwnerName: "Boss", OwnerAddress: "boss@contoso.example"})
	cals, err := ro.client.Calendars(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cals {
		if c.ID == shared && !c.ReadOnly {
			t.Fatal("canEdit false calendar not listed read-only")
		}
		if c.ID != shared && (!c.Primary || c.ReadOnly) {
			t.Fatalf("default calendar listed %+v", c)
		}
	}
	_, err = ro.client.Create(ctx, shared, timedEvent("a1", "x"))
	if pe, _ := providers.AsError(err); pe == nil || pe.Kind != providers.ReadOnly || pe.Code != "ErrorAccessDenied" || pe.Status != 403 {
		t.Fatalf("write to read-only calendar: %v", err)
	}

	ns := newEnv(t, graphfake.Options{})
	ns.signIn(t, "Calendars.Read", "User.Read", "offline_access")
	_, err = ns.client.Create(ctx, ns.fake.DefaultCalendar(), timedEvent("a1", "x"))
	pe, _ := providers.AsError(err)
	if pe == nil || pe.Kind != providers.InsufficientScope || pe.Code != "ErrorAccessDenied" || !strings.Contains(pe.Hint, "Calendars.ReadWrite") {
		t.Fatalf("write without Calendars.ReadWrite: %v (hint %q)", err, pe.Hint)
	}
	r, err := ns.client.Access(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.CanWrite || len(r.Missing) != 1 || r.Missing[0] != "Calendars.ReadWrite" || r.Login != "dana@contoso.example" {
		t.Fatalf("access with read-only grant: %+v", r)
	}
	if strings.Join(r.Granted, " ") != "Calendars.Read User.Read offline_access" {
		t.Fatalf("granted scopes must be reported as asked for, without the resource prefix: %v", r.Granted)
	}
	// Reading still works with Calendars.Read.
	if _, _, cur := listAll(t, ns.client, ns.fake.DefaultCalendar(), ""); cur == "" {
		t.Fatal("no cursor")
	}
}

func TestEntraRefreshErrorsByAADSTS(t *testing.T) {
	want := map[graphfake.TokenFault]providers.Kind{
		graphfake.RefreshTokenInactive: providers.AuthExpired, graphfake.GrantExpired: providers.AuthExpired,
		graphfake.GrantRevoked: providers.AuthExpired, graphfake.MFARequired: providers.AppPasswordRequired,
		graphfake.MFARequiredInteractive: providers.AppPasswordRequired, graphfake.ConsentMissing: providers.AdminBlocked,
		graphfake.AdminConsentRequired: providers.AdminBlocked, graphfake.AdminConsentRequested: providers.AdminBlocked,
		graphfake.ConditionalAccessBlocked: providers.AdminBlocked, graphfake.UserNotAssigned: providers.AdminBlocked,
	}
	if len(want) != len(graphfake.TokenFaults) {
		t.Fatalf("table covers %d of %d faults", len(want), len(graphfake.TokenFaults))
	}
	for _, f := range graphfake.TokenFaults {
		t.Run(string(f), func(t *testing.T) {
			e := newEnv(t, graphfake.Options{})
			e.fake.SetTokenFault(f)
			_, err := e.client.Calendars(ctx)
			pe, ok := providers.AsError(err)
			if !ok || pe.Kind != want[f] {
				t.Fatalf("got %v, want %s", err, want[f])
			}
			if pe.Code != "AADSTS"+string(f) || pe.Hint == "" || pe.Provider != "microsoft" {
				t.Errorf("code %q hint %q provider %q", pe.Code, pe.Hint, pe.Provider)
			}
			e.assertNoSecrets(t, err)
			if f == graphfake.AdminConsentRequired && (!strings.Contains(pe.Hint, testClientID) || !strings.Contains(pe.Hint, "Calendars.ReadWrite")) {
				t.Errorf("admin consent hint must give the IT admin client ID and scope: %q", pe.Hint)
			}
		})
	}
}

func TestThrottlingCarriesRetryAfter(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	e.fake.FailNext(1, graphfake.ApplicationThrottled, 42*time.Second)
	_, err := e.client.Calendars(ctx)
	pe, _ := providers.AsError(err)
	if pe == nil || pe.Kind != providers.RateLimited || pe.RetryAfter != 42*time.Second || pe.Code != "ApplicationThrottled" {
		t.Fatalf("throttled: %+v", pe)
	}
	if !pe.Kind.Retryable() {
		t.Fatal("RateLimited must be retryable")
	}
	if _, err := e.client.Calendars(ctx); err != nil {
		t.Fatalf("after the throttle passed: %v", err)
	}
}

// One step of a tag batch answered 429 is retried alone after its Retry-After; the page
// succeeds. A step that stays throttled fails the page as RateLimited.
func TestThrottledStepInsideTagBatch(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	if _, err := e.client.Create(ctx, cal, timedEvent("act-1", "one")); err != nil {
		t.Fatal(err)
	}
	// Let the delta GET and the $batch POST through, throttle the first step inside.
	e.fake.FailAfter(2, 1, graphfake.Throttled, 9*time.Second)
	pg, err := e.client.Changes(ctx, cal, "", window())
	if err != nil {
		t.Fatalf("one throttled step failed the page: %v", err)
	}
	if len(pg.Events) != 1 || pg.Events[0].ActivityID != "act-1" {
		t.Fatalf("tag not read on the retry: %+v", pg.Events)
	}
	if len(e.slept) != 1 || e.slept[0] != 9*time.Second {
		t.Fatalf("waited %v, want the step's Retry-After (9s) once", e.slept)
	}

	e.slept = nil
	e.fake.FailAfter(2, -1, graphfake.Throttled, 9*time.Second)
	_, err = e.client.Changes(ctx, cal, "", window())
	e.fake.ClearFaults()
	pe, _ := providers.AsError(err)
	if pe == nil || pe.Kind != providers.RateLimited || pe.RetryAfter != 9*time.Second {
		t.Fatalf("a step throttled on every retry must fail the page as RateLimited, got %v", err)
	}
	if len(e.slept) != 3 {
		t.Fatalf("retried %d times, want 3", len(e.slept))
	}
}

// A mailbox allows 4 concurrent requests and Graph runs a batch's steps in parallel:
// calsync's tag batches hold at most 4 steps, so a page of many events reads every tag
// without a single 429 MailboxConcurrency.
func TestTagBatchesRespectMailboxConcurrency(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	e.client.PageSize = 50
	for i := range 9 {
		if _, err := e.client.Create(ctx, cal, timedEvent(fmt.Sprint("act-", i), fmt.Sprint("Event ", i))); err != nil {
			t.Fatal(err)
		}
	}
	evs, _, _ := listAll(t, e.client, cal, "")
	if len(evs) != 9 {
		t.Fatalf("%d events", len(evs))
	}
	for _, ev := range evs {
		if ev.ActivityID == "" {
			t.Fatalf("tag of %q not read", ev.Subject)
		}
	}
	if len(e.slept) != 0 {
		t.Fatalf("calsync was throttled (waited %v): its batches exceed the mailbox's 4 concurrent requests", e.slept)
	}
}

func TestExpiredDeltaTokenCodesCaseInsensitive(t *testing.T) {
	for _, code := range []string{"SyncStateNotFound", "resyncRequired"} {
		e := newEnv(t, graphfake.Options{})
		cal := e.fake.DefaultCalendar()
		_, _, cur := listAll(t, e.client, cal, "")
		e.fake.ExpireDeltaTokens(code)
		_, err := e.client.Changes(ctx, cal, cur, window())
		if pe, _ := providers.AsError(err); pe == nil || pe.Kind != providers.CursorExpired || pe.Status != 410 || pe.Code != code {
			t.Fatalf("%s: %v", code, err)
		}
	}
}

func TestMalformedEventsReportedWithIDAndSkipped(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Hour)
	good1, _ := e.fake.PutEvent(cal, graphfake.Event{Subject: "good one", Start: start, End: start.Add(time.Hour)})
	bads := map[string]string{
		"BAD-date":    `{"id":"BAD-date","subject":"x","start":{"dateTime":"yesterday","timeZone":"UTC"},"end":{"dateTime":"2026-01-01T00:00:00","timeZone":"UTC"}}`,
		"BAD-zone":    `{"id":"BAD-zone","subject":"x","start":{"dateTime":"2026-01-01T00:00:00","timeZone":"Mars/Olympus"},"end":{"dateTime":"2026-01-01T01:00:00","timeZone":"UTC"}}`,
		"BAD-type":    `{"id":"BAD-type","subject":12,"start":{"dateTime":"2026-01-01T00:00:00","timeZone":"UTC"}}`,
		"BAD-order":   `{"id":"BAD-order","subject":"x","start":{"dateTime":"2026-01-02T00:00:00","timeZone":"UTC"},"end":{"dateTime":"2026-01-01T00:00:00","timeZone":"UTC"}}`,
		"BAD-nostart": `{"id":"BAD-nostart","subject":"x"}`,
	}
	for id, raw := range bads {
		if err := e.fake.PutRawEvent(cal, id, raw); err != nil {
			t.Fatal(err)
		}
	}
	good2, _ := e.fake.PutEvent(cal, graphfake.Event{Subject: "good two", Start: start, End: start.Add(time.Hour)})
	e.client.PageSize = 4
	evs, bad, _ := listAll(t, e.client, cal, "")
	seen := map[string]bool{}
	for _, ev := range evs {
		seen[ev.RemoteID] = true
	}
	if !seen[good1.ID] || !seen[good2.ID] || len(evs) != 2 {
		t.Fatalf("good events around malformed ones must arrive: %+v", evs)
	}
	gotBad := map[string]bool{}
	for _, b := range bad {
		if b.Err == nil {
			t.Errorf("bad event %q without a reason", b.RemoteID)
		}
		gotBad[b.RemoteID] = true
	}
	for id := range bads {
		if !gotBad[id] {
			t.Errorf("malformed event %s not reported (bad: %+v)", id, bad)
		}
	}
}

func TestRefreshedTokenIsSavedWithGrantedScopes(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	e.fake.ExpireAccessTokens()
	if _, err := e.client.Calendars(ctx); err != nil {
		t.Fatalf("after access token expiry the client must refresh: %v", err)
	}
	if len(e.saver.saved) != 1 {
		t.Fatalf("saved %d secrets, want 1", len(e.saver.saved))
	}
	tok, granted, err := oauth.DecodeSecret(e.saver.saved[0])
	if err != nil || tok.AccessToken == e.issued.AccessToken || tok.RefreshToken == "" {
		t.Fatalf("saved secret: err %v, same token %v", err, tok.AccessToken == e.issued.AccessToken)
	}
	found := false
	for _, g := range granted {
		found = found || g == "https://graph.microsoft.com/Calendars.ReadWrite"
	}
	if !found {
		t.Fatalf("granted scopes not kept: %v", granted)
	}
}

func TestCreateUsesDeterministicTransactionID(t *testing.T) {
	if microsoft.TransactionID("a") != microsoft.TransactionID("a") || microsoft.TransactionID("a") == microsoft.TransactionID("b") {
		t.Fatal("TransactionID must be a function of the activity id")
	}
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	got, err := e.client.Create(ctx, cal, timedEvent("0199-act", "Call"))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := e.fake.Event(got.RemoteID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.TransactionID != microsoft.TransactionID("0199-act") {
		t.Fatalf("transactionId %q", stored.TransactionID)
	}
	if stored.Props[strings.ToLower(microsoft.TagPropertyID)] != "0199-act" {
		t.Fatalf("tag not written as extended property: %v", stored.Props)
	}
	if stored.TimeZone != "W. Europe Standard Time" {
		t.Fatalf("event written in %q, want the Windows name of the activity's zone", stored.TimeZone)
	}
}

// Graph refuses most IANA names on writes (TimeZoneNotSupportedException): an activity
// in Europe/Amsterdam, Madrid, Toronto or Melbourne is written with the Windows name
// CLDR gives, at the same instant, and reads back at that instant.
func TestWritesUseWindowsZoneNames(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	for iana, want := range map[string]string{
		"Europe/Amsterdam":    "W. Europe Standard Time",
		"Europe/Madrid":       "Romance Standard Time",
		"America/Toronto":     "Eastern Standard Time",
		"Australia/Melbourne": "AUS Eastern Standard Time",
		"Mars/Nowhere":        "UTC", // unknown: UTC, never a name Graph refuses
	} {
		ev := timedEvent("act-"+iana, "Meeting in "+iana)
		ev.TimeZone = iana
		got, err := e.client.Create(ctx, cal, ev)
		if err != nil {
			t.Fatalf("%s: %v", iana, err)
		}
		stored, err := e.fake.Event(got.RemoteID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.TimeZone != want {
			t.Errorf("%s written as %q, want %q", iana, stored.TimeZone, want)
		}
		if !stored.Start.Equal(ev.Start) || !got.Start.Equal(ev.Start) {
			t.Errorf("%s: start moved: stored %v, read %v, want %v", iana, stored.Start, got.Start, ev.Start)
		}
	}
}

func TestRecurringSeriesExpandedIntoOccurrences(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	start := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Hour)
	master, err := e.fake.PutEvent(cal, graphfake.Event{Subject: "Standup", Start: start, End: start.Add(15 * time.Minute),
		TimeZone: "Pacific Standard Time",
		Recurrence: &graphfake.Recurrence{Pattern: graphfake.RecurrencePattern{Type: "daily", Interval: 1},
			Range: graphfake.RecurrenceRange{Type: "numbered", StartDate: start.Format("2006-01-02"), NumberOfOccurrences: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	e.client.PageSize = 2
	evs, bad, _ := listAll(t, e.client, cal, "")
	if len(bad) != 0 || len(evs) != 5 {
		t.Fatalf("got %d occurrences (%d bad), want 5", len(evs), len(bad))
	}
	ids := map[string]bool{}
	for i, ev := range evs {
		if ev.SeriesID != master.ID || ids[ev.RemoteID] || ev.RemoteID == master.ID {
			t.Fatalf("occurrence %d: %+v", i, ev)
		}
		ids[ev.RemoteID] = true
		if ev.TimeZone != "America/Los_Angeles" {
			t.Errorf("occurrence zone %q", ev.TimeZone)
		}
		if ev.End.Sub(ev.Start) != 15*time.Minute {
			t.Errorf("occurrence length %v", ev.End.Sub(ev.Start))
		}
	}
}

func TestWindowMovedMakesCursorExpire(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	_, _, cur := listAll(t, e.client, cal, "")
	w := window()
	w.Start, w.End = w.Start.AddDate(0, 0, 3), w.End.AddDate(0, 0, 3)
	_, err := e.client.Changes(ctx, cal, cur, w)
	if !providers.IsKind(err, providers.CursorExpired) {
		t.Fatalf("cursor of an old window: %v", err)
	}
	if _, err := e.client.Changes(ctx, "another-calendar", cur, window()); !providers.IsKind(err, providers.CursorExpired) {
		t.Fatalf("cursor of another calendar: %v", err)
	}
	if _, err := e.client.Changes(ctx, cal, "garbage", window()); !providers.IsKind(err, providers.CursorExpired) {
		t.Fatalf("garbage cursor: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	ev := timedEvent("w-1", "x")
	ev.RemoteID = "AAMkAGI2THVSAAAnothere="
	if _, err := e.client.Update(ctx, cal, ev, ""); !providers.IsKind(err, providers.NotFound) {
		t.Fatalf("update of a missing event: %v", err)
	}
	got, err := e.client.Create(ctx, cal, timedEvent("w-2", "y"))
	if err != nil {
		t.Fatal(err)
	}
	e.fake.FailNext(1, graphfake.InternalError, 0)
	got.Subject = "z"
	if _, err := e.client.Update(ctx, cal, got, got.ETag); !providers.IsKind(err, providers.Unavailable) {
		t.Fatalf("500 on update: %v", err)
	}
	e.fake.FailNext(1, graphfake.GatewayTimeout, 0)
	if err := e.client.Delete(ctx, cal, got.RemoteID, got.ETag); !providers.IsKind(err, providers.Unavailable) {
		t.Fatalf("504 on delete: %v", err)
	}
	// A bare changeKey works as an etag too.
	ck := strings.TrimSuffix(strings.TrimPrefix(got.ETag, `W/"`), `"`)
	if err := e.client.Delete(ctx, cal, got.RemoteID, ck); err != nil {
		t.Fatalf("delete with bare changeKey: %v", err)
	}
}

// TestDemoRestartOnAnotherPort is demo mode: the fake keeps its state in a file, comes
// back on a new port, and the cursor taken before still works against the new address.
func TestDemoRestartOnAnotherPort(t *testing.T) {
	state := filepath.Join(t.TempDir(), "graph.json")
	f1 := graphfake.New(graphfake.Options{StateFile: state, ClientID: testClientID})
	url1, err := f1.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tok := f1.IssueToken(microsoft.Scopes...)
	secret, _ := oauth.EncodeSecret(oauthToken(tok), strings.Fields(tok.Scope))
	open := func(base string) providers.Provider {
		p, err := providers.Open(ctx, providers.Config{Kind: "microsoft", ClientID: testClientID,
			Endpoints: graphfake.Endpoints(base), Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		p.(*microsoft.Client).PageSize = 2
		return p
	}
	p1 := open(url1)
	cal := f1.DefaultCalendar()
	for i := range 3 {
		if _, err := p1.Create(ctx, cal, timedEvent(fmt.Sprint("demo-", i), "before restart")); err != nil {
			t.Fatal(err)
		}
	}
	// Stop in the middle of a full listing: the page cursor holds a nextLink.
	pg, err := p1.Changes(ctx, cal, "", window())
	if err != nil || !pg.More {
		t.Fatalf("first page: %v more=%v", err, pg.More)
	}
	f1.Close()

	f2, err := graphfake.NewErr(graphfake.Options{StateFile: state, ClientID: testClientID})
	if err != nil {
		t.Fatal(err)
	}
	url2, err := f2.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if url2 == url1 {
		t.Skip("the OS gave the same port twice")
	}
	p2 := open(url2)
	rest, _, cur := listAll(t, p2, cal, pg.NextCursor)
	if len(pg.Events)+len(rest) != 3 {
		t.Fatalf("listing resumed across the restart holds %d+%d events, want 3", len(pg.Events), len(rest))
	}
	added, err := p2.Create(ctx, cal, timedEvent("demo-after", "after restart"))
	if err != nil {
		t.Fatal(err)
	}
	inc, _, _ := listAll(t, p2, cal, cur)
	if len(inc) != 1 || inc[0].RemoteID != added.RemoteID || inc[0].ActivityID != "demo-after" {
		t.Fatalf("increment after restart: %+v", inc)
	}
	// Links Graph hands out name the current address, never the old port.
	resp := rawGET(t, url2+"/v1.0/me/calendars/"+cal+"/calendarView/delta?startDateTime=2020-01-01T00:00:00Z&endDateTime=2030-01-01T00:00:00Z", tok.AccessToken)
	if !strings.Contains(resp, url2) || strings.Contains(resp, url1) {
		t.Fatalf("delta links do not carry the current base URL: %s", resp)
	}
}

func rawGET(t *testing.T, u, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestDeviceSignInThenUse(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, graphfake.Options{Now: clock})
	var shown oauth.DeviceCode
	grant, err := microsoft.SignInDevice(ctx, e.cfg, func(c oauth.DeviceCode) {
		shown = c
		e.fake.Approve(c.UserCode)
	}, oauth.DeviceOptions{Now: clock, Sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if shown.UserCode == "" || shown.ExpiresAt.IsZero() {
		t.Fatalf("code shown: %+v", shown)
	}
	if m := grant.Missing(); len(m) != 0 {
		t.Fatalf("device sign-in granted %v, Grant.Missing says %v", grant.Granted, m)
	}
	secret, err := grant.Secret()
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.cfg
	cfg.Secret = secret
	p, err := providers.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.(*microsoft.Client).SetClock(clock)
	r, err := p.Access(ctx)
	if err != nil || r.Login != "dana@contoso.example" || !r.CanWrite || len(r.Missing) != 0 {
		t.Fatalf("access after device sign-in: %+v, %v", r, err)
	}
}

func TestLoopbackSignInThenUse(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	grant, err := microsoft.SignInLoopback(ctx, e.cfg, oauth.LoopbackOptions{ShowURL: func(string) {},
		OpenBrowser: func(u string) error {
			// Demo mode's "browser": the fake consents at once and redirects to the loopback.
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	if m := grant.Missing(); len(m) != 0 {
		t.Fatalf("loopback sign-in granted %v, Grant.Missing says %v", grant.Granted, m)
	}
	secret, _ := grant.Secret()
	cfg := e.cfg
	cfg.Secret = secret
	p, err := providers.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Calendars(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestLoopbackSignInAdminConsentRequired(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	e.fake.SetTokenFault(graphfake.AdminConsentRequired)
	_, err := microsoft.SignInLoopback(ctx, e.cfg, oauth.LoopbackOptions{ShowURL: func(string) {},
		OpenBrowser: func(u string) error {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}})
	pe, _ := providers.AsError(err)
	if pe == nil || pe.Kind != providers.AdminBlocked || pe.Code != "AADSTS90094" {
		t.Fatalf("admin consent on the consent page: %v", err)
	}
}

func TestOpenWithoutClientIDOrSecret(t *testing.T) {
	t.Setenv("CALSYNC_MICROSOFT_CLIENT_ID", "")
	_, err := providers.Open(ctx, providers.Config{Kind: "microsoft", Secret: []byte(`{"access_token":"x"}`)})
	if pe, _ := providers.AsError(err); pe == nil || pe.Kind != providers.Invalid || !strings.Contains(pe.Hint, "CALSYNC_MICROSOFT_CLIENT_ID") {
		t.Fatalf("no client id: %v", err)
	}
	t.Setenv("CALSYNC_MICROSOFT_CLIENT_ID", "from-env")
	if _, err := providers.Open(ctx, providers.Config{Kind: "microsoft", Secret: []byte(`{"access_token":"x"}`)}); err != nil {
		t.Fatalf("client id from the environment: %v", err)
	}
	_, err = providers.Open(ctx, providers.Config{Kind: "microsoft", ClientID: "c", Secret: []byte(`{"access_token":"canary-123456"`)})
	if !providers.IsKind(err, providers.AuthExpired) || strings.Contains(err.Error(), "canary-123456") {
		t.Fatalf("unreadable secret: %v", err)
	}
}

func TestZonesRoundTrip(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	day := time.Now().In(berlin).AddDate(0, 0, 5)
	mid := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, berlin)
	allDay := providers.Event{ActivityID: "z-1", Subject: "Holiday", AllDay: true, TimeZone: "Europe/Berlin",
		Start: mid.UTC(), End: mid.AddDate(0, 0, 2).UTC()}
	at := time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, tokyo)
	timed := providers.Event{ActivityID: "z-2", Subject: "Tokyo call", TimeZone: "Asia/Tokyo", Start: at.UTC(), End: at.Add(time.Hour).UTC(),
		Description: "agenda:\n1. a\n2. b <not html> & more"}
	for _, ev := range []providers.Event{allDay, timed} {
		if _, err := e.client.Create(ctx, cal, ev); err != nil {
			t.Fatal(err)
		}
	}
	evs, _, _ := listAll(t, e.client, cal, "")
	byAct := map[string]providers.Event{}
	for _, ev := range evs {
		byAct[ev.ActivityID] = ev
	}
	for _, want := range []providers.Event{allDay, timed} {
		got := byAct[want.ActivityID]
		if !got.Start.Equal(want.Start) || !got.End.Equal(want.End) || got.AllDay != want.AllDay ||
			got.TimeZone != want.TimeZone || got.Description != want.Description {
			t.Errorf("%s read back as %+v, want %+v", want.Subject, got, want)
		}
	}
}

func TestEventDeletedBetweenPageAndTagRead(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	kept, _ := e.client.Create(ctx, cal, timedEvent("keep", "kept"))
	gone, _ := e.client.Create(ctx, cal, timedEvent("gone", "deleted meanwhile"))
	// Another client deletes one event after the delta page went out, before the tags are read.
	inner := e.srv.Config.Handler
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/$batch") {
			e.fake.DeleteEvent(gone.RemoteID)
		}
		inner.ServeHTTP(w, r)
	})
	evs, bad, cur := listAll(t, e.client, cal, "")
	if len(bad) != 0 || len(evs) != 2 {
		t.Fatalf("page: %d events, %d bad", len(evs), len(bad))
	}
	for _, ev := range evs {
		if ev.RemoteID == kept.RemoteID && ev.ActivityID != "keep" {
			t.Fatalf("tag of the surviving event lost: %+v", ev)
		}
	}
	e.srv.Config.Handler = inner
	inc, _, _ := listAll(t, e.client, cal, cur)
	if len(inc) != 1 || inc[0].RemoteID != gone.RemoteID || !inc[0].Deleted {
		t.Fatalf("the deletion must arrive with the next increment: %+v", inc)
	}
}

func TestForbiddenWriteWhileCalendarLookupThrottled(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	e.fake.SetCanEdit(cal, false)
	// The write's 403 goes through; the canEdit lookup that would explain it is throttled.
	e.fake.FailAfter(1, 1, graphfake.Throttled, 5*time.Second)
	_, err := e.client.Create(ctx, cal, timedEvent("t-1", "x"))
	if !providers.IsKind(err, providers.RateLimited) {
		t.Fatalf("without evidence the answer must be 'retry', got %v", err)
	}
	if _, err := e.client.Create(ctx, cal, timedEvent("t-1", "x")); !providers.IsKind(err, providers.ReadOnly) {
		t.Fatalf("retried: %v", err)
	}
}

// Graph's links are opaque and may name the calendar in another form than the request
// did (the fake answers users/{id}/calendars('{id}')/...): calsync replays them verbatim
// and binds the cursor to the calendar it was taken for.
func TestDeltaLinksReplayedVerbatimAndBoundToCalendar(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	other := e.fake.AddCalendar(graphfake.Calendar{Name: "Other", CanEdit: true})
	if _, err := e.client.Create(ctx, cal, timedEvent("act-1", "First")); err != nil {
		t.Fatal(err)
	}
	_, _, cur := listAll(t, e.client, cal, "")
	if _, err := e.client.Create(ctx, cal, timedEvent("act-2", "Second")); err != nil {
		t.Fatal(err)
	}
	evs, _, _ := listAll(t, e.client, cal, cur)
	if len(evs) != 1 || evs[0].Subject != "Second" {
		t.Fatalf("increment through the replayed deltaLink: %+v", evs)
	}
	_, err := e.client.Changes(ctx, other, cur, window())
	if !providers.IsKind(err, providers.CursorExpired) {
		t.Fatalf("a cursor of another calendar must not be replayed: %v", err)
	}
}

// In a calendarView delta @removed also marks an event moved out of the window; only a
// 404 on a GET proves a deletion. A meeting pushed beyond the window must not come back
// as Deleted (the engine would delete the CRM activity); a deleted one must.
func TestRemovedConfirmedWithGet(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	moved, err := e.client.Create(ctx, cal, timedEvent("act-moved", "Pushed out"))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.client.Create(ctx, cal, timedEvent("act-gone", "Cancelled"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, cur := listAll(t, e.client, cal, "")

	later := timedEvent("act-moved", "Pushed out")
	later.RemoteID = moved.RemoteID
	later.Start = window().End.AddDate(0, 1, 0).Truncate(time.Hour)
	later.End = later.Start.Add(time.Hour)
	if _, err := e.client.Update(ctx, cal, later, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.client.Delete(ctx, cal, gone.RemoteID, ""); err != nil {
		t.Fatal(err)
	}
	evs, _, _ := listAll(t, e.client, cal, cur)
	for _, ev := range evs {
		if ev.RemoteID == moved.RemoteID && ev.Deleted {
			t.Fatal("an event moved out of the window was reported deleted")
		}
	}
	found := false
	for _, ev := range evs {
		found = found || (ev.RemoteID == gone.RemoteID && ev.Deleted)
	}
	if !found {
		t.Fatalf("the deleted event is not reported deleted: %+v", evs)
	}
}

// A single-tenant app registration cannot refresh through /common (AADSTS50194): a setup
// error naming CALSYNC_MICROSOFT_TENANT; with the tenant set, the same sign-in works.
func TestSingleTenantAppNeedsTenantSetting(t *testing.T) {
	t.Setenv("CALSYNC_MICROSOFT_TENANT", "")
	e := newEnv(t, graphfake.Options{SingleTenant: true})
	e.fake.ExpireAccessTokens()
	_, err := e.client.Calendars(ctx)
	pe, ok := providers.AsError(err)
	if !ok || pe.Kind != providers.SetupRequired || pe.Code != "AADSTS50194" || !strings.Contains(pe.Hint, "CALSYNC_MICROSOFT_TENANT") {
		t.Fatalf("single-tenant app on /common: %v (hint %q)", err, pe.Hint)
	}
	t.Setenv("CALSYNC_MICROSOFT_TENANT", "contoso.onmicrosoft.com")
	p, err := providers.Open(ctx, e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Calendars(ctx); err != nil {
		t.Fatalf("with the tenant named: %v", err)
	}
}

// A create whose answer was lost left its event in the calendar (here under another
// transactionId, which Graph's docs do not promise to recognise anyway). The retry finds
// it by the ownership tag instead of making a duplicate.
func TestCreateAfterLostAnswerFindsEventByTag(t *testing.T) {
	e := newEnv(t, graphfake.Options{})
	cal := e.fake.DefaultCalendar()
	ev := timedEvent("act-lost", "Quarterly review")
	first, err := e.fake.PutEvent(cal, graphfake.Event{Subject: ev.Subject, Start: ev.Start, End: ev.End,
		TimeZone: "W. Europe Standard Time", TransactionID: "from-an-earlier-attempt",
		Props: map[string]string{microsoft.TagPropertyID: "act-lost"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.client.Create(ctx, cal, ev)
	if err != nil {
		t.Fatal(err)
	}
	if got.RemoteID != first.ID || got.ActivityID != "act-lost" {
		t.Fatalf("create returned %q (tag %q), want the existing %q", got.RemoteID, got.ActivityID, first.ID)
	}
	if n := len(e.fake.Events(cal)); n != 1 {
		t.Fatalf("%d events in the calendar, want 1 (no duplicate)", n)
	}
}
