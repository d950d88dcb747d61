package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mustAccount(t *testing.T, s *Store) Account {
	t.Helper()
	a, err := CreateAccount(context.Background(), s.DB, Account{Kind: "google", Login: "me@example.com", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustMe(t *testing.T, s *Store) string {
	t.Helper()
	if _, err := s.DB.Exec(`INSERT INTO users (id, name, is_me, created_at) VALUES ('u-me','Me',1,0), ('u-bob','Bob',0,0)`); err != nil {
		t.Fatal(err)
	}
	return "u-me"
}

func TestAccountLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := mustAccount(t, s)
	if a.ID == "" || a.State != AccountConnected || a.AuthKind != "oauth" || a.Name != "me@example.com" || a.Endpoints != "{}" {
		t.Fatalf("defaults not applied: %+v", a)
	}
	if err := SetAccountState(ctx, s.DB, a.ID, AccountNeedsReauth, t0); err != nil {
		t.Fatal(err)
	}
	if err := SetAccountState(ctx, s.DB, a.ID, "broken", t0); err == nil {
		t.Fatal("invalid state accepted")
	}
	if err := RecordAccountError(ctx, s.DB, a.ID, "AuthExpired", "token revoked", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := SetAccountScopes(ctx, s.DB, a.ID, []string{"cal.read", "cal.write"}, t0); err != nil {
		t.Fatal(err)
	}
	got, err := GetAccount(ctx, s.DB, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != AccountNeedsReauth || got.LastErrorKind != "AuthExpired" || got.LastErrorAt == nil ||
		!got.LastErrorAt.Equal(t0.Add(time.Hour)) || strings.Join(got.GrantedScopes, " ") != "cal.read cal.write" {
		t.Fatalf("got %+v", got)
	}
	if err := ClearAccountError(ctx, s.DB, a.ID, t0); err != nil {
		t.Fatal(err)
	}
	got, _ = GetAccount(ctx, s.DB, a.ID)
	if got.LastErrorKind != "" || got.LastErrorAt != nil {
		t.Fatalf("error not cleared: %+v", got)
	}
	got.Name = "Work"
	if err := UpdateAccount(ctx, s.DB, got, t0); err != nil {
		t.Fatal(err)
	}
	list, _ := ListAccounts(ctx, s.DB)
	if len(list) != 1 || list[0].Name != "Work" {
		t.Fatalf("list %+v", list)
	}
	if _, err := GetAccount(ctx, s.DB, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
	if err := SetAccountState(ctx, s.DB, "nope", AccountConnected, t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
}

func TestSecretsNeverInAccountOutput(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := mustAccount(t, s)
	const secret = `{"access_token":"ya29.SECRET-ACCESS","refresh_token":"1//SECRET-REFRESH"}`
	if err := PutSecret(ctx, s.DB, a.ID, SecretOAuthToken, []byte(secret), t0); err != nil {
		t.Fatal(err)
	}
	kind, v, err := GetSecret(ctx, s.DB, a.ID)
	if err != nil || kind != SecretOAuthToken || string(v) != secret {
		t.Fatalf("GetSecret = %q %q %v", kind, v, err)
	}
	// A refreshed token arrives through the SecretSaver method.
	if err := s.SaveSecret(ctx, a.ID, []byte(`{"access_token":"ya29.SECRET-NEW"}`)); err != nil {
		t.Fatal(err)
	}
	_, v, _ = GetSecret(ctx, s.DB, a.ID)
	if !strings.Contains(string(v), "SECRET-NEW") {
		t.Fatalf("refreshed token not stored: %s", v)
	}
	got, _ := GetAccount(ctx, s.DB, a.ID)
	js, _ := json.Marshal(got)
	for _, out := range []string{string(js), fmt.Sprintf("%v", got), fmt.Sprintf("%+v", got)} {
		if strings.Contains(out, "SECRET") {
			t.Fatalf("secret leaked: %s", out)
		}
	}
	if err := PutSecret(ctx, s.DB, a.ID, "plaintext", []byte("x"), t0); err == nil {
		t.Fatal("unknown secret kind accepted")
	}
	if _, _, err := GetSecret(ctx, s.DB, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing secret: %v", err)
	}
}

func TestDeleteAccountKeepsActivities(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	me := mustMe(t, s)
	a := mustAccount(t, s)
	act, err := SyncInsertActivity(ctx, s.DB, Activity{OwnerID: me, Type: TypeMeeting, Subject: "Imported", Start: t0, Origin: a.ID}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InsertLink(ctx, s.DB, Link{ActivityID: act.ID, AccountID: a.ID, CalendarID: "c", RemoteID: "r1", State: LinkSynced}); err != nil {
		t.Fatal(err)
	}
	_ = PutSecret(ctx, s.DB, a.ID, SecretOAuthToken, []byte("tok"), t0)
	_ = PutCursor(ctx, s.DB, Cursor{AccountID: a.ID, CalendarID: "c", Token: "t"})
	_ = PutSyncSettings(ctx, s.DB, DefaultSyncSettings(a.ID))
	_, _ = AppendJournal(ctx, s.DB, JournalEntry{AccountID: a.ID, ActivityID: act.ID, Op: OpPulled})
	if err := DeleteAccount(ctx, s.DB, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := SyncGetActivity(ctx, s.DB, act.ID); err != nil {
		t.Fatalf("activity gone with its account: %v", err)
	}
	for _, tbl := range []string{"links", "secrets", "cursors", "sync_settings", "accounts"} {
		var n int
		s.DB.QueryRow(`SELECT count(*) FROM ` + tbl).Scan(&n)
		if n != 0 {
			t.Errorf("%s still has %d rows", tbl, n)
		}
	}
	if js, _ := QueryJournal(ctx, s.DB, JournalQuery{ActivityID: act.ID}); len(js) != 1 {
		t.Errorf("journal lost: %v", js)
	}
}

func TestSyncSettingsDefaultsAndValidation(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := mustAccount(t, s)
	got, err := GetSyncSettings(ctx, s.DB, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Direction != DirTwoWay || len(got.Types) != len(AllTypes) || got.ImportType != TypeMeeting ||
		got.ConflictPolicy != PolicyNewestWins || got.Enabled || got.WindowPastDays != 30 || got.WindowFutureDays != 365 ||
		got.Interval != 5*time.Minute {
		t.Fatalf("defaults %+v", got)
	}
	got.Direction = "sideways"
	if err := PutSyncSettings(ctx, s.DB, got); err == nil || !strings.Contains(err.Error(), "two-way") {
		t.Fatalf("bad direction: %v", err)
	}
	got.Direction = DirToCalendar
	got.Types = []ActivityType{TypeCall, TypeMeeting}
	got.CalendarID = "primary"
	if err := PutSyncSettings(ctx, s.DB, got); err != nil {
		t.Fatal(err)
	}
	on, err := EnableSync(ctx, s.DB, a.ID, true, t0)
	if err != nil || on.ActivatedAt == nil || !on.ActivatedAt.Equal(t0) {
		t.Fatalf("enable: %+v %v", on, err)
	}
	// Switching off and on again keeps the first activation time.
	EnableSync(ctx, s.DB, a.ID, false, t0.Add(time.Hour))
	on, _ = EnableSync(ctx, s.DB, a.ID, true, t0.Add(2*time.Hour))
	got, _ = GetSyncSettings(ctx, s.DB, a.ID)
	if !got.Enabled || !got.ActivatedAt.Equal(t0) || got.Direction != DirToCalendar || len(got.Types) != 2 || got.CalendarID != "primary" {
		t.Fatalf("round trip %+v", got)
	}
}

func TestCalendarsReplace(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := mustAccount(t, s)
	ReplaceCalendars(ctx, s.DB, a.ID, []Calendar{{RemoteID: "b", Name: "Team", ReadOnly: true, HasEvents: true}, {RemoteID: "a", Name: "Me", Primary: true, HasEvents: true}}, t0)
	ReplaceCalendars(ctx, s.DB, a.ID, []Calendar{{RemoteID: "a", Name: "Me", Primary: true, HasEvents: true}, {RemoteID: "c", Name: "Tasks"}}, t0)
	cs, err := ListCalendars(ctx, s.DB, a.ID)
	if err != nil || len(cs) != 2 || cs[0].RemoteID != "a" || !cs[0].Primary || cs[1].RemoteID != "c" || cs[1].HasEvents {
		t.Fatalf("calendars %+v %v", cs, err)
	}
	if _, err := GetCalendar(ctx, s.DB, a.ID, "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("vanished calendar still there: %v", err)
	}
}

func TestLinksAndDirtyQueries(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	me := mustMe(t, s)
	a := mustAccount(t, s)
	x, _ := SyncInsertActivity(ctx, s.DB, Activity{OwnerID: me, Type: TypeCall, Subject: "x", Start: t0}, t0)
	y, _ := SyncInsertActivity(ctx, s.DB, Activity{OwnerID: me, Type: TypeCall, Subject: "y", Start: t0}, t0)
	z, _ := SyncInsertActivity(ctx, s.DB, Activity{OwnerID: me, Type: TypeCall, Subject: "z", Start: t0.AddDate(2, 0, 0)}, t0)
	l, err := InsertLink(ctx, s.DB, Link{ActivityID: x.ID, AccountID: a.ID, CalendarID: "c", RemoteID: PendingRemoteID(x.ID)})
	if err != nil || l.State != LinkPendingCreate || l.ID == 0 {
		t.Fatalf("insert %+v %v", l, err)
	}
	// The unique key refuses a second link to the same remote event.
	if _, err := InsertLink(ctx, s.DB, Link{ActivityID: y.ID, AccountID: a.ID, CalendarID: "c", RemoteID: PendingRemoteID(x.ID)}); err == nil {
		t.Fatal("duplicate remote id accepted")
	}
	dirty, _ := SyncDirtyLinks(ctx, s.DB, a.ID, "c", 0, 10, time.Time{})
	if len(dirty) != 1 || dirty[0].Activity.Subject != "x" {
		t.Fatalf("pending create not dirty: %+v", dirty)
	}
	l.RemoteID, l.State, l.SyncedRev, l.RemoteETag = "r-x", LinkSynced, x.Rev, "e1"
	if err := UpdateLink(ctx, s.DB, l); err != nil {
		t.Fatal(err)
	}
	if dirty, _ := SyncDirtyLinks(ctx, s.DB, a.ID, "c", 0, 10, time.Time{}); len(dirty) != 0 {
		t.Fatalf("synced link dirty: %+v", dirty)
	}
	x.Subject = "x2"
	rev, err := SyncUpdateActivity(ctx, s.DB, x, t0)
	if err != nil || rev != 2 {
		t.Fatalf("update rev %d %v", rev, err)
	}
	if dirty, _ := SyncDirtyLinks(ctx, s.DB, a.ID, "c", 0, 10, time.Time{}); len(dirty) != 1 || dirty[0].Activity.Subject != "x2" {
		t.Fatalf("edited activity not dirty: %+v", dirty)
	}
	un, _ := SyncUnlinkedActivities(ctx, s.DB, a.ID, "c", t0.Add(-time.Hour), t0.AddDate(1, 0, 0), "", 10, time.Time{}, time.Time{})
	if len(un) != 1 || un[0].ID != y.ID {
		t.Fatalf("unlinked in window = %+v, want only y (x linked, z outside)", un)
	}
	if got, err := GetLinkByRemote(ctx, s.DB, a.ID, "c", "r-x"); err != nil || got.ActivityID != x.ID {
		t.Fatalf("by remote %+v %v", got, err)
	}
	if got, err := GetLinkByActivity(ctx, s.DB, a.ID, "", x.ID); err != nil || got.RemoteID != "r-x" {
		t.Fatalf("by activity %+v %v", got, err)
	}
	if _, err := GetLinkByActivity(ctx, s.DB, a.ID, "c", z.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("z has no link: %v", err)
	}
	rev, _ = SyncTombstoneActivity(ctx, s.DB, x.ID, t0)
	got, _ := SyncGetActivity(ctx, s.DB, x.ID)
	if got.DeletedAt == nil || got.Rev != rev || rev != 3 {
		t.Fatalf("tombstone %+v", got)
	}
	n, _ := CountLinks(ctx, s.DB, a.ID)
	by, _ := CountLinksByState(ctx, s.DB, a.ID)
	if n != 1 || by[LinkSynced] != 1 {
		t.Fatalf("counts %d %v", n, by)
	}
	DeleteLink(ctx, s.DB, l.ID)
	if n, _ := CountLinks(ctx, s.DB, ""); n != 0 {
		t.Fatal("link not deleted")
	}
}

func TestCursors(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := mustAccount(t, s)
	if _, err := GetCursor(ctx, s.DB, a.ID, "c"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	PutCursor(ctx, s.DB, Cursor{AccountID: a.ID, CalendarID: "c", Token: "t1", TakenAt: t0})
	PutCursor(ctx, s.DB, Cursor{AccountID: a.ID, CalendarID: "c", Token: "t2", TakenAt: t0})
	c, err := GetCursor(ctx, s.DB, a.ID, "c")
	if err != nil || c.Token != "t2" || !c.TakenAt.Equal(t0) {
		t.Fatalf("%+v %v", c, err)
	}
	if js, _ := json.Marshal(c); strings.Contains(string(js), "t2") {
		t.Fatalf("cursor token in JSON: %s", js)
	}
	DeleteCursors(ctx, s.DB, a.ID)
	if _, err := GetCursor(ctx, s.DB, a.ID, "c"); !errors.Is(err, ErrNotFound) {
		t.Fatal("cursor survived DeleteCursors")
	}
}

// A token marked as older than the account's own writes stays marked until a new token
// replaces it; marking a calendar without a token does nothing.
func TestCursorBeforeWritesMark(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := mustAccount(t, s)
	if err := MarkCursorBeforeWrites(ctx, s.DB, a.ID, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := GetCursor(ctx, s.DB, a.ID, "c"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("marking created a cursor: %v", err)
	}
	PutCursor(ctx, s.DB, Cursor{AccountID: a.ID, CalendarID: "c", Token: "t1", TakenAt: t0})
	if err := MarkCursorBeforeWrites(ctx, s.DB, a.ID, "c"); err != nil {
		t.Fatal(err)
	}
	if c, err := GetCursor(ctx, s.DB, a.ID, "c"); err != nil || !c.BeforeWrites || c.Token != "t1" {
		t.Fatalf("after marking: %+v %v", c, err)
	}
	PutCursor(ctx, s.DB, Cursor{AccountID: a.ID, CalendarID: "c", Token: "t2", TakenAt: t0})
	if c, err := GetCursor(ctx, s.DB, a.ID, "c"); err != nil || c.BeforeWrites {
		t.Fatalf("a new token kept the mark: %+v %v", c, err)
	}
	PutCursor(ctx, s.DB, Cursor{AccountID: a.ID, CalendarID: "c", Token: "t3", TakenAt: t0, BeforeWrites: true})
	if c, err := GetCursor(ctx, s.DB, a.ID, "c"); err != nil || !c.BeforeWrites {
		t.Fatalf("a token stored marked lost the mark: %+v %v", c, err)
	}
}

func TestJournalQueryNewestFirstAndFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for i := 0; i < 10; i++ {
		op, reason := OpPushed, "created"
		if i%3 == 0 {
			op, reason = OpSkipped, "before-activation"
		}
		acct := "a1"
		if i%2 == 1 {
			acct = "a2"
		}
		if _, err := AppendJournal(ctx, s.DB, JournalEntry{At: t0.Add(time.Duration(i) * time.Minute), AccountID: acct,
			ActivityID: fmt.Sprint("act", i), Op: op, Reason: reason, Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := QueryJournal(ctx, s.DB, JournalQuery{})
	if len(all) != 10 || all[0].Detail != "9" || all[9].Detail != "0" {
		t.Fatalf("not newest first: %+v", all)
	}
	sk, _ := QueryJournal(ctx, s.DB, JournalQuery{Op: OpSkipped, AccountID: "a1"})
	if len(sk) != 2 || sk[0].Detail != "6" || sk[1].Detail != "0" {
		t.Fatalf("filtered %+v", sk)
	}
	page, _ := QueryJournal(ctx, s.DB, JournalQuery{BeforeID: all[2].ID, Limit: 3})
	if len(page) != 3 || page[0].Detail != "6" {
		t.Fatalf("paging %+v", page)
	}
	pre, _ := QueryJournal(ctx, s.DB, JournalQuery{ReasonPrefix: "before"})
	if len(pre) != 4 {
		t.Fatalf("prefix %d", len(pre))
	}
	one, err := GetJournalEntry(ctx, s.DB, all[0].ID)
	if err != nil || one.Detail != "9" || !one.At.Equal(t0.Add(9*time.Minute)) {
		t.Fatalf("%+v %v", one, err)
	}
	if _, err := AppendJournal(ctx, s.DB, JournalEntry{}); err == nil {
		t.Fatal("entry without op accepted")
	}
}

func TestLeaseExclusiveUntilExpiry(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	ok, err := AcquireLease(ctx, s.DB, "a1", "tui", time.Minute, t0)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := AcquireLease(ctx, s.DB, "a1", "cron", time.Minute, t0.Add(30*time.Second)); ok {
		t.Fatal("second holder got a live lease")
	}
	if ok, _ := AcquireLease(ctx, s.DB, "a2", "cron", time.Minute, t0); !ok {
		t.Fatal("leases are per account")
	}
	if ok, _ := RenewLease(ctx, s.DB, "a1", "tui", time.Minute, t0.Add(50*time.Second)); !ok {
		t.Fatal("renew failed")
	}
	if ok, _ := AcquireLease(ctx, s.DB, "a1", "cron", time.Minute, t0.Add(70*time.Second)); ok {
		t.Fatal("renewed lease taken")
	}
	// The holder crashed: after expiry another process takes over and the old one cannot renew.
	if ok, _ := AcquireLease(ctx, s.DB, "a1", "cron", time.Minute, t0.Add(2*time.Minute)); !ok {
		t.Fatal("expired lease not taken over")
	}
	if ok, _ := RenewLease(ctx, s.DB, "a1", "tui", time.Minute, t0.Add(2*time.Minute)); ok {
		t.Fatal("old holder renewed a lease it lost")
	}
	ReleaseLease(ctx, s.DB, "a1", "tui") // not the holder: no effect
	if h, _, err := GetLease(ctx, s.DB, "a1"); err != nil || h != "cron" {
		t.Fatalf("holder %q %v", h, err)
	}
	ReleaseLease(ctx, s.DB, "a1", "cron")
	if ok, _ := AcquireLease(ctx, s.DB, "a1", "tui", time.Minute, t0.Add(2*time.Minute)); !ok {
		t.Fatal("released lease not free")
	}
}

func TestRuns(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := mustAccount(t, s)
	if _, err := LastRun(ctx, s.DB, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	r1, _ := StartRun(ctx, s.DB, a.ID, t0)
	FinishRun(ctx, s.DB, r1, RunOK, `{"pushed":1}`, t0.Add(time.Second))
	r2, _ := StartRun(ctx, s.DB, a.ID, t0.Add(time.Minute))
	FinishRun(ctx, s.DB, r2, RunFailed, `{}`, t0.Add(2*time.Minute))
	last, _ := LastRun(ctx, s.DB, a.ID)
	ok, _ := LastRunWithStatus(ctx, s.DB, a.ID, RunOK)
	if last.ID != r2 || last.Status != RunFailed || ok.ID != r1 || ok.Summary != `{"pushed":1}` {
		t.Fatalf("last %+v ok %+v", last, ok)
	}
	acct, _ := GetAccount(ctx, s.DB, a.ID)
	if acct.LastSyncAt == nil || !acct.LastSyncAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("last_sync_at %v", acct.LastSyncAt)
	}
	if rs, _ := ListRuns(ctx, s.DB, "", 10); len(rs) != 2 || rs[0].ID != r2 {
		t.Fatalf("runs %+v", rs)
	}
}

func TestBatchImportsAndPageLookups(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	me := mustMe(t, s)
	a := mustAccount(t, s)
	var ims []SyncImport
	for i := 0; i < 120; i++ { // more than one statement's worth
		act, err := NormalizeImport(Activity{OwnerID: me, Type: TypeMeeting, Subject: fmt.Sprint("ev ", i), Start: t0, Origin: a.ID}, t0)
		if err != nil {
			t.Fatal(err)
		}
		ims = append(ims, SyncImport{Activity: act, Link: Link{AccountID: a.ID, CalendarID: "c", RemoteID: fmt.Sprint("r", i),
			RemoteETag: "e", State: LinkSynced}})
	}
	if _, err := NormalizeImport(Activity{OwnerID: me, Type: TypeMeeting, Subject: "  ", Start: t0}, t0); err == nil {
		t.Fatal("an import without a subject validated")
	}
	if err := s.Tx(ctx, func(h Handler) error { return SyncInsertImports(ctx, h, ims, t0) }); err != nil {
		t.Fatal(err)
	}
	got, err := SyncLinksByRemote(ctx, s.DB, a.ID, "c", []string{"r0", "r119", "nope"})
	if err != nil || len(got) != 2 || got["r119"].ActivityID != ims[119].Activity.ID || got["r0"].SyncedRev != 1 {
		t.Fatalf("links %+v %v", got, err)
	}
	act, err := SyncGetActivity(ctx, s.DB, ims[5].Activity.ID)
	if err != nil || act.Subject != "ev 5" || act.Origin != a.ID || act.Rev != 1 {
		t.Fatalf("imported activity %+v %v", act, err)
	}
	if has, _ := SyncHasUnlinkedImports(ctx, s.DB, a.ID, "c"); has {
		t.Fatal("all imports are linked")
	}
	s.DB.Exec(`DELETE FROM links WHERE remote_id = 'r7'`)
	if has, _ := SyncHasUnlinkedImports(ctx, s.DB, a.ID, "c"); !has {
		t.Fatal("a lost link not noticed")
	}
	if lost, err := SyncFindUnlinkedImport(ctx, s.DB, a.ID, "c", "ev 7", t0); err != nil || lost.ID != ims[7].Activity.ID {
		t.Fatalf("lost import %+v %v", lost, err)
	}
	// Journal batches of more than one statement.
	var es []JournalEntry
	for i := 0; i < 230; i++ {
		es = append(es, JournalEntry{AccountID: a.ID, Op: OpPulled, Reason: "imported", Detail: fmt.Sprint(i)})
	}
	es[7].Reason = "relinked"
	if err := AppendJournalBatch(ctx, s.DB, es); err != nil {
		t.Fatal(err)
	}
	all, _ := QueryJournal(ctx, s.DB, JournalQuery{Limit: 1000})
	if len(all) != 230 || all[0].Detail != "229" {
		t.Fatalf("batch journal: %d entries, newest %q", len(all), all[0].Detail)
	}
	rs, _ := JournalReasons(ctx, s.DB)
	if strings.Join(rs, ",") != "imported,relinked" {
		t.Fatalf("reasons %v", rs)
	}
	if err := AppendJournalBatch(ctx, s.DB, []JournalEntry{{}}); err == nil {
		t.Fatal("entry without op accepted")
	}
}

func TestLastRunWithFlag(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := mustAccount(t, s)
	r1, _ := StartRun(ctx, s.DB, a.ID, t0)
	FinishRun(ctx, s.DB, r1, RunOK, `{"full_scan":true}`, t0)
	r2, _ := StartRun(ctx, s.DB, a.ID, t0.Add(time.Minute))
	FinishRun(ctx, s.DB, r2, RunOK, `{"links":3}`, t0.Add(time.Minute))
	r3, _ := StartRun(ctx, s.DB, a.ID, t0.Add(2*time.Minute))
	FinishRun(ctx, s.DB, r3, RunFailed, `{"full_scan":true}`, t0.Add(2*time.Minute))
	got, err := LastRunWithFlag(ctx, s.DB, a.ID, "full_scan")
	if err != nil || got.ID != r1 {
		t.Fatalf("got %+v %v, want the successful full scan", got, err)
	}
	if _, err := LastRunWithFlag(ctx, s.DB, a.ID, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}
