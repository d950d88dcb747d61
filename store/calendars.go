package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const calendarCols = `account_id, remote_id, name, time_zone, read_only, is_primary, has_events, seen_at`

func scanCalendar(sc interface{ Scan(...any) error }) (Calendar, error) {
	var c Calendar
	var seen int64
	err := sc.Scan(&c.AccountID, &c.RemoteID, &c.Name, &c.TimeZone, &c.ReadOnly, &c.Primary, &c.HasEvents, &seen)
	c.SeenAt = goTime(seen)
	return c, err
}

// ReplaceCalendars stores the account's calendars as just listed, dropping ones no longer
// there. Settings keep pointing at a calendar id even if it vanished (the doctor reports it).
func ReplaceCalendars(ctx context.Context, h Handler, accountID string, cals []Calendar, now time.Time) error {
	now = nowOr(now)
	if _, err := h.ExecContext(ctx, `DELETE FROM calendars WHERE account_id = ?`, accountID); err != nil {
		return fmt.Errorf("replace calendars: %w", err)
	}
	for _, c := range cals {
		_, err := h.ExecContext(ctx, `INSERT INTO calendars (`+calendarCols+`) VALUES (?,?,?,?,?,?,?,?)
			ON CONFLICT(account_id, remote_id) DO UPDATE SET name=excluded.name`,
			accountID, c.RemoteID, c.Name, c.TimeZone, c.ReadOnly, c.Primary, c.HasEvents, sqTime(now))
		if err != nil {
			return fmt.Errorf("replace calendars: %w", err)
		}
	}
	return nil
}

// ListCalendars returns an account's calendars, primary first, then by name.
func ListCalendars(ctx context.Context, h Handler, accountID string) ([]Calendar, error) {
	return queryAll(ctx, h, scanCalendar, `SELECT `+calendarCols+` FROM calendars WHERE account_id = ?
		ORDER BY is_primary DESC, name, remote_id`, accountID)
}

// GetCalendar reads one calendar of an account.
func GetCalendar(ctx context.Context, h Handler, accountID, remoteID string) (Calendar, error) {
	c, err := scanCalendar(h.QueryRowContext(ctx, `SELECT `+calendarCols+` FROM calendars
		WHERE account_id = ? AND remote_id = ?`, accountID, remoteID))
	if errors.Is(err, sql.ErrNoRows) {
		return Calendar{}, fmt.Errorf("calendar %q of account %q: %w", remoteID, accountID, ErrNotFound)
	}
	return c, err
}
