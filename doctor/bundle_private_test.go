package doctor

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/store"
)

// bundleText writes a bundle and returns all its files' text.
func bundleText(t *testing.T, w *world, rep Report, private bool) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteBundle(w.ctx, w.st, &buf, BundleOptions{Now: time.Now(), Version: "test", Report: rep, IncludePrivate: private}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		all.Write(b)
	}
	return all.String()
}

// A pseudonymised bundle holds none of the text the person typed: the saved search (the
// current one and the one a doctor fix replaced, kept in the journal for undo), the
// search the doctor was asked about, activity subject/note/location, the account label,
// and an event's calendar-side title and body that lost a conflict (kept only in the
// journal). With --include-private the same texts are there, so the test can fail.
func TestPseudonymisedBundleHoldsNoTypedText(t *testing.T) {
	w := newWorld(t)
	ctx := w.ctx
	now := time.Now().UTC()
	w.addAccount("Ana privat Kalender", now.Add(-time.Hour), w.acct.GrantedScopes)
	act, err := store.CreateActivity(ctx, w.st.DB, store.ActivityInput{OwnerID: w.other.ID, Type: store.TypeMeeting,
		Subject: "Lunch with Chloé Dubois", Note: "Bring the Müller contract draft", Location: "Café Rouge, Rue Oberkampf",
		Start: now.Add(48 * time.Hour), Duration: 30 * time.Minute}, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// The list shows only my activities and searches for "Dubois": the doctor's
	// reset-list-filters fix journals this filter (search included) for undo.
	if err := store.SaveListView(ctx, w.st.DB, store.ListFilter{Owner: store.OwnerMe, Status: store.StatusTodo, Period: store.PeriodAll, Search: "Dubois"}, now); err != nil {
		t.Fatal(err)
	}
	tg, err := ResolveTarget(ctx, w.st, "", "with Chlo")
	if err != nil || tg.ID != act.ID {
		t.Fatalf("target %+v %v", tg, err)
	}
	w.env.Target = tg
	rep := w.run(NotShowing)
	f := w.finding(rep, "list-filters", "")
	for _, fx := range f.Fixes {
		if fx.ID == "reset-list-filters" {
			if _, err := fx.Apply(ctx, w.env, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Then the person searches for something else, two letters long.
	if err := store.SaveListView(ctx, w.st.DB, store.ListFilter{Owner: store.OwnerAll, Status: store.StatusTodo, Period: store.PeriodAll, Search: "zq"}, now); err != nil {
		t.Fatal(err)
	}
	// A calendar-side edit that lost a conflict: only the journal remembers it.
	lost, _ := json.Marshal(struct {
		Side  string          `json:"side"`
		Event providers.Event `json:"version"`
	}{"calendar", providers.Event{RemoteID: "ev1", Subject: "Kündigung besprechen", Description: "Anwalt anrufen", Location: "Büro Schmidt"}})
	if _, err := store.AppendJournal(ctx, w.st.DB, store.JournalEntry{At: now, AccountID: w.acct.ID, ActivityID: act.ID,
		Op: store.OpConflict, Reason: "local-won", Detail: string(lost)}); err != nil {
		t.Fatal(err)
	}
	// ...and the CRM's version that lost another one (note and location included).
	mine, _ := json.Marshal(struct {
		Side  string          `json:"side"`
		Event providers.Event `json:"version"`
	}{"crm", providers.Event{ActivityID: act.ID, Subject: act.Subject, Description: act.Note, Location: act.Location}})
	if _, err := store.AppendJournal(ctx, w.st.DB, store.JournalEntry{At: now, AccountID: w.acct.ID, ActivityID: act.ID,
		Op: store.OpConflict, Reason: "remote-won", Detail: string(mine)}); err != nil {
		t.Fatal(err)
	}
	rep.Findings = append(rep.Findings, Finding{CheckID: "list-filters", Status: Fail, Summary: `search: "zq" hides it`})

	typed := []string{"Dubois", "with Chlo", "Chloé", "Müller contract", "Café Rouge", "Ana privat Kalender",
		`"zq"`, "Kündigung", "Anwalt anrufen", "Büro Schmidt"}
	open := bundleText(t, w, rep, true)
	for _, s := range typed {
		if !strings.Contains(open, s) {
			t.Errorf("--include-private bundle lacks %q: the test does not reach it", s)
		}
	}
	pseudo := bundleText(t, w, rep, false)
	for _, s := range typed {
		if i := strings.Index(pseudo, s); i >= 0 {
			t.Errorf("pseudonymised bundle holds typed text %q: ...%s...", s, pseudo[max(0, i-200):min(len(pseudo), i+100)])
		}
	}
	for _, kind := range []string{"search-", "subject-", "note-", "location-", "account-"} {
		if !strings.Contains(pseudo, kind) {
			t.Errorf("no %s pseudonym in the bundle", kind)
		}
	}
}
