package store

import "context"

// queryAll runs q and reads every row with scan: the loop each list query would otherwise
// repeat. No rows gives a nil slice.
func queryAll[T any](ctx context.Context, h Handler, scan func(rowScanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := h.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
