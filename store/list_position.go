package store

// Where one activity sits in the activity list (added by V for ui/activities, additive,
// built on list.go's plan): after adding an activity the app moves its cursor there.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ListPosition returns the position (0-based) of activity id in the list that f shows, in
// ListActivities' order, and whether f shows it at all (listed is false, with pos 0, when
// the filters hide it or it does not exist). It counts the rows before it, so its cost
// grows with the position, like an OFFSET read of that row.
func ListPosition(ctx context.Context, h Handler, f ListFilter, loc *time.Location, now time.Time, id string) (pos int, listed bool, err error) {
	f = f.normalized()
	if err := f.Validate(); err != nil {
		return 0, false, err
	}
	if loc == nil {
		loc = time.Local
	}
	cp, err := plan(ctx, h, f, loc, now)
	if err != nil {
		return 0, false, err
	}
	where, args := cp.where()
	var start int64
	err = h.QueryRowContext(ctx, `SELECT a.start_at FROM activities a WHERE `+where+` AND a.id = ?`,
		append(args, id)...).Scan(&start)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("find the activity in the list: %w", err)
	}
	if err := h.QueryRowContext(ctx, `SELECT COUNT(*) FROM activities a WHERE `+where+
		` AND (a.start_at, a.id) < (?, ?)`, append(args, start, id)...).Scan(&pos); err != nil {
		return 0, false, fmt.Errorf("find the activity in the list: %w", err)
	}
	return pos, true, nil
}
