package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Occurrence marks a linked event as one occurrence of a recurring series.
type Occurrence struct {
	AccountID  string `json:"account_id"`
	CalendarID string `json:"calendar_id"`
	RemoteID   string `json:"remote_id"`
	SeriesID   string `json:"series_id"`
	// Refusal says why the calendar will not take a change to this occurrence ("" = it
	// will): the app and the CLI refuse such an edit up front instead of leaving a change
	// that fails every later sync.
	Refusal string `json:"refusal,omitempty"`
}

// PutOccurrence records (or updates) that a remote event is an occurrence.
func PutOccurrence(ctx context.Context, h Handler, o Occurrence) error {
	_, err := h.ExecContext(ctx, `INSERT INTO occurrences (account_id, calendar_id, remote_id, series_id, refusal)
		VALUES (?,?,?,?,?) ON CONFLICT(account_id, calendar_id, remote_id)
		DO UPDATE SET series_id=excluded.series_id, refusal=excluded.refusal`,
		o.AccountID, o.CalendarID, o.RemoteID, o.SeriesID, o.Refusal)
	if err != nil {
		return fmt.Errorf("put occurrence: %w", err)
	}
	return nil
}

// GetOccurrence returns the occurrence record of a remote event, ErrNotFound when the
// event is no occurrence (or was never seen as one).
func GetOccurrence(ctx context.Context, h Handler, accountID, calendarID, remoteID string) (Occurrence, error) {
	o := Occurrence{AccountID: accountID, CalendarID: calendarID, RemoteID: remoteID}
	err := h.QueryRowContext(ctx, `SELECT series_id, refusal FROM occurrences
		WHERE account_id = ? AND calendar_id = ? AND remote_id = ?`, accountID, calendarID, remoteID).Scan(&o.SeriesID, &o.Refusal)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("occurrence %s: %w", remoteID, ErrNotFound)
	}
	return o, err
}

// OccurrencesOfActivity returns the occurrence records of the events an activity is
// linked to (none when it is linked to no occurrence).
func OccurrencesOfActivity(ctx context.Context, h Handler, activityID string) ([]Occurrence, error) {
	rows, err := h.QueryContext(ctx, `SELECT o.account_id, o.calendar_id, o.remote_id, o.series_id, o.refusal
		FROM links l JOIN occurrences o ON o.account_id = l.account_id AND o.calendar_id = l.calendar_id AND o.remote_id = l.remote_id
		WHERE l.activity_id = ? ORDER BY l.id`, activityID)
	if err != nil {
		return nil, fmt.Errorf("occurrences of activity: %w", err)
	}
	defer rows.Close()
	var out []Occurrence
	for rows.Next() {
		var o Occurrence
		if err := rows.Scan(&o.AccountID, &o.CalendarID, &o.RemoteID, &o.SeriesID, &o.Refusal); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SeriesOccurrenceLinks returns the remote ids of the linked occurrences of a series.
func SeriesOccurrenceLinks(ctx context.Context, h Handler, accountID, calendarID, seriesID string) ([]string, error) {
	rows, err := h.QueryContext(ctx, `SELECT l.remote_id FROM occurrences o
		JOIN links l ON l.account_id = o.account_id AND l.calendar_id = o.calendar_id AND l.remote_id = o.remote_id
		WHERE o.account_id = ? AND o.calendar_id = ? AND o.series_id = ? ORDER BY l.id`, accountID, calendarID, seriesID)
	if err != nil {
		return nil, fmt.Errorf("occurrences of series: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
