package store

import (
	"context"
	"database/sql"
	"strings"
)

// batchInsert writes n rows with multi-row INSERT statements of up to perStmt rows:
// head is "INSERT INTO t (cols) VALUES ", row one row's "(?,?,...)", and args appends
// row i's values. Full statements reuse one prepared statement when h can prepare and
// there is more than one of them (a page of a first sync writes several), so SQLite
// compiles the statement once per batch instead of once per statement.
func batchInsert(ctx context.Context, h Handler, n, perStmt int, head, row string, args func(i int, dst []any) []any) error {
	build := func(k int) string {
		var q strings.Builder
		q.Grow(len(head) + k*(len(row)+1))
		q.WriteString(head)
		for j := 0; j < k; j++ {
			if j > 0 {
				q.WriteByte(',')
			}
			q.WriteString(row)
		}
		return q.String()
	}
	var full *sql.Stmt
	if p, ok := h.(preparer); ok && n >= 2*perStmt {
		st, err := p.PrepareContext(ctx, build(perStmt))
		if err != nil {
			return err
		}
		defer st.Close()
		full = st
	}
	var vals []any
	for start := 0; start < n; start += perStmt {
		end := min(start+perStmt, n)
		vals = vals[:0]
		for i := start; i < end; i++ {
			vals = args(i, vals)
		}
		var err error
		if full != nil && end-start == perStmt {
			_, err = full.ExecContext(ctx, vals...)
		} else {
			_, err = h.ExecContext(ctx, build(end-start), vals...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
