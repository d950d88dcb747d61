package store

// Keyset paging for the activity list (added by U for ui/activities; additive, built on
// list.go's plan): a scrolling list reads its counts once with ListActivities and then
// pages with ListActivitiesAfter, whose cost depends on the page size and not on how deep
// the page is. OFFSET has to walk every row it skips, which at 100,000 activities makes
// "jump to the last row" take hundreds of milliseconds.

import (
	"context"
	"fmt"
	"time"
)

// ListAnchor is one activity's place in the list order: start time, then id.
type ListAnchor struct {
	Start time.Time
	ID    string
}

// AnchorOf is r's place in the list order.
func AnchorOf(a Activity) ListAnchor { return ListAnchor{Start: a.Start, ID: a.ID} }

// ListActivitiesAfter returns up to limit activities that pass f and come after anchor in
// the list order (start time, id), nearest first. With backward it returns those before
// anchor, nearest first (the caller reverses them to list order). A nil anchor is the
// list's start, or its end when backward. Counts are not computed.
func ListActivitiesAfter(ctx context.Context, h Handler, f ListFilter, loc *time.Location, now time.Time,
	anchor *ListAnchor, backward bool, limit int) ([]ActivityRow, error) {
	f = f.normalized()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.Local
	}
	if limit <= 0 {
		return nil, nil
	}
	cp, err := plan(ctx, h, f, loc, now)
	if err != nil {
		return nil, err
	}
	if cp.search != nil {
		if ids, ok := indexedAfter(ctx, h, cp, anchor, backward, limit); ok {
			rows, err := rowsByID(ctx, h, ids)
			if len(rows) == 0 {
				rows = nil
			}
			return rows, err
		}
	}
	where, args := cp.where()
	order := "a.start_at, a.id"
	if backward {
		order = "a.start_at DESC, a.id DESC"
	}
	if anchor != nil {
		cmp := ">"
		if backward {
			cmp = "<"
		}
		where += " AND (a.start_at, a.id) " + cmp + " (?, ?)"
		args = append(args, anchor.Start.Unix(), anchor.ID)
	}
	rows, err := h.QueryContext(ctx, `SELECT `+activityColumns+`,
		COALESCE((SELECT u.name FROM users u WHERE u.id = a.owner_id), '')
		FROM activities a WHERE `+where+` ORDER BY `+order+` LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list activities: %w", err)
	}
	defer rows.Close()
	var out []ActivityRow
	for rows.Next() {
		var r ActivityRow
		a, err := scanActivity(rows, &r.OwnerName)
		if err != nil {
			return nil, err
		}
		r.Activity = a
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := attachLinks(ctx, h, out); err != nil {
		return nil, err
	}
	return out, nil
}
