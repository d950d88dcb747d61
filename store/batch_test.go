package store

import (
	"context"
	"fmt"
	"testing"
)

// Batched writes keep every row whatever the batch size: full prepared statements, a
// short last one, inside a transaction or not.
func TestBatchedJournalWritesEveryEntry(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	total := 0
	for _, n := range []int{0, 1, 99, 100, 200, 201, 537} {
		es := make([]JournalEntry, n)
		for i := range es {
			es[i] = JournalEntry{RunID: fmt.Sprintf("batch-%d", n), At: t0, ActivityID: fmt.Sprintf("a-%d", i), Op: OpPulled, Reason: "imported"}
		}
		var err error
		if n%2 == 0 {
			err = s.Tx(ctx, func(h Handler) error { return AppendJournalBatch(ctx, h, es) })
		} else {
			err = AppendJournalBatch(ctx, s.DB, es)
		}
		if err != nil {
			t.Fatalf("%d entries: %v", n, err)
		}
		total += n
		var got, distinct int
		if err := s.DB.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT activity_id) FROM journal WHERE run_id = ?`, fmt.Sprintf("batch-%d", n)).Scan(&got, &distinct); err != nil {
			t.Fatal(err)
		}
		if got != n || distinct != n {
			t.Errorf("%d entries written as %d rows (%d distinct)", n, got, distinct)
		}
	}
	if err := AppendJournalBatch(ctx, s.DB, []JournalEntry{{RunID: "x", Op: OpPulled}, {RunID: "x"}}); err == nil {
		t.Error("an entry without an op was accepted")
	}
	var n int
	s.DB.QueryRow(`SELECT COUNT(*) FROM journal WHERE run_id = 'x'`).Scan(&n)
	if n != 0 {
		t.Errorf("a batch refused for one bad entry still wrote %d", n)
	}
}
