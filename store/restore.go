package store

// Added by the doctor's owner (engineer D): the one write the duplicate merge's undo
// needs that no other store function offers.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RestoreActivity clears an activity's tombstone (undoing a quarantine), bumps rev so the
// engine sees it changed, and returns the new rev.
func RestoreActivity(ctx context.Context, h Handler, id string, now time.Time) (int64, error) {
	var rev int64
	err := h.QueryRowContext(ctx, `UPDATE activities SET deleted_at=NULL, updated_at=?, updated_ns=?, rev=rev+1
		WHERE id=? RETURNING rev`, sqTime(nowOr(now)), nowOr(now).Nanosecond(), id).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("activity %q: %w", id, ErrNotFound)
	}
	return rev, err
}
