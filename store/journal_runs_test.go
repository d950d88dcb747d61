package store

import (
	"context"
	"fmt"
	"testing"
)

// JournalRunsOf answers for many activities at once (more than one statement's worth),
// keeps the oldest matching entry and ignores other ops and reasons.
func TestJournalRunsOf(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var ids []string
	var es []JournalEntry
	for i := 0; i < 1200; i++ {
		id := fmt.Sprintf("act-%04d", i)
		ids = append(ids, id)
		if i%3 == 0 {
			continue // never imported
		}
		es = append(es, JournalEntry{RunID: fmt.Sprintf("run-%d", i%7), At: t0, ActivityID: id, Op: OpPulled, Reason: "imported"})
	}
	es = append(es,
		JournalEntry{RunID: "later", At: t0, ActivityID: "act-0001", Op: OpPulled, Reason: "imported"},
		JournalEntry{RunID: "pushed", At: t0, ActivityID: "act-0000", Op: OpPushed, Reason: "imported"},
		JournalEntry{RunID: "updated", At: t0, ActivityID: "act-0003", Op: OpPulled, Reason: "updated"})
	if err := AppendJournalBatch(ctx, s.DB, es); err != nil {
		t.Fatal(err)
	}
	got, err := JournalRunsOf(ctx, s.DB, OpPulled, "imported", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 800 {
		t.Fatalf("%d activities with an import, want 800", len(got))
	}
	if got["act-0001"] != "run-1" || got["act-1199"] != fmt.Sprintf("run-%d", 1199%7) {
		t.Fatalf("runs: act-0001 %q, act-1199 %q", got["act-0001"], got["act-1199"])
	}
	if _, ok := got["act-0000"]; ok {
		t.Fatal("a pushed entry counted as an import")
	}
	if _, ok := got["act-0003"]; ok {
		t.Fatal("an update counted as an import")
	}
}
