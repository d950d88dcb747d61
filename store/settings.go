package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sync settings defaults (as in the schema).
const (
	DefaultInterval         = 5 * time.Minute
	DefaultWindowPastDays   = 30
	DefaultWindowFutureDays = 365
)

// DefaultSyncSettings is what an account syncs with before anyone changed anything:
// two-way, every type, imports as meetings, newest change wins, switched off.
func DefaultSyncSettings(accountID string) SyncSettings {
	return SyncSettings{
		AccountID:        accountID,
		Direction:        DirTwoWay,
		Types:            append([]ActivityType(nil), AllTypes...),
		ImportType:       TypeMeeting,
		ConflictPolicy:   PolicyNewestWins,
		Interval:         DefaultInterval,
		WindowPastDays:   DefaultWindowPastDays,
		WindowFutureDays: DefaultWindowFutureDays,
	}
}

// GetSyncSettings reads an account's settings; an account without a row gets the defaults.
func GetSyncSettings(ctx context.Context, h Handler, accountID string) (SyncSettings, error) {
	s := SyncSettings{AccountID: accountID}
	var types string
	var act, back sql.NullInt64
	var interval, updated, actNs int64
	err := h.QueryRowContext(ctx, `SELECT calendar_id, direction, types, import_type, activated_at,
		backfill_from, conflict_policy, enabled, interval_sec, window_past_days, window_future_days, updated_at,
		activated_ns
		FROM sync_settings WHERE account_id = ?`, accountID).Scan(&s.CalendarID, &s.Direction, &types,
		&s.ImportType, &act, &back, &s.ConflictPolicy, &s.Enabled, &interval, &s.WindowPastDays,
		&s.WindowFutureDays, &updated, &actNs)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultSyncSettings(accountID), nil
	}
	if err != nil {
		return s, fmt.Errorf("read sync settings: %w", err)
	}
	s.Types = ParseTypes(types)
	if act.Valid {
		// Exact to the nanosecond: the cutoff compares it with activities' exact UpdatedAt.
		t := time.Unix(act.Int64, actNs).UTC()
		s.ActivatedAt = &t
	}
	s.BackfillFrom = goTimePtr(back)
	s.Interval = time.Duration(interval) * time.Second
	s.UpdatedAt = goTime(updated)
	return s, nil
}

// ParseTypes splits a comma list of activity types, dropping blanks.
func ParseTypes(s string) []ActivityType {
	var out []ActivityType
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, ActivityType(t))
		}
	}
	return out
}

// ValidateSyncSettings says what is wrong with s, in words a person can act on.
func ValidateSyncSettings(s SyncSettings) error {
	switch s.Direction {
	case DirTwoWay, DirToCalendar, DirFromCalendar:
	default:
		return fmt.Errorf("direction %q: want %s, %s or %s", s.Direction, DirTwoWay, DirToCalendar, DirFromCalendar)
	}
	switch s.ConflictPolicy {
	case PolicyNewestWins, PolicyLocalWins, PolicyRemoteWins:
	default:
		return fmt.Errorf("conflict policy %q: want %s, %s or %s", s.ConflictPolicy, PolicyNewestWins, PolicyLocalWins, PolicyRemoteWins)
	}
	valid := func(t ActivityType) bool {
		for _, a := range AllTypes {
			if a == t {
				return true
			}
		}
		return false
	}
	for _, t := range s.Types {
		if !valid(t) {
			return fmt.Errorf("activity type %q: want one of %s", t, joinTypes(AllTypes))
		}
	}
	if !valid(s.ImportType) {
		return fmt.Errorf("import type %q: want one of %s", s.ImportType, joinTypes(AllTypes))
	}
	if s.WindowPastDays < 0 || s.WindowFutureDays < 0 {
		return fmt.Errorf("sync window must not be negative (got %d days back, %d ahead)", s.WindowPastDays, s.WindowFutureDays)
	}
	if s.Interval < 0 {
		return fmt.Errorf("sync interval must not be negative")
	}
	return nil
}

func joinTypes(ts []ActivityType) string {
	ss := make([]string, len(ts))
	for i, t := range ts {
		ss[i] = string(t)
	}
	return strings.Join(ss, ",")
}

// PutSyncSettings validates and stores s (insert or replace). A zero UpdatedAt means now.
func PutSyncSettings(ctx context.Context, h Handler, s SyncSettings) error {
	if err := ValidateSyncSettings(s); err != nil {
		return err
	}
	_, err := h.ExecContext(ctx, `INSERT INTO sync_settings (account_id, calendar_id, direction, types,
		import_type, activated_at, backfill_from, conflict_policy, enabled, interval_sec, window_past_days,
		window_future_days, updated_at, activated_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(account_id) DO UPDATE SET calendar_id=excluded.calendar_id, direction=excluded.direction,
		types=excluded.types, import_type=excluded.import_type, activated_at=excluded.activated_at,
		backfill_from=excluded.backfill_from, conflict_policy=excluded.conflict_policy, enabled=excluded.enabled,
		interval_sec=excluded.interval_sec, window_past_days=excluded.window_past_days,
		window_future_days=excluded.window_future_days, updated_at=excluded.updated_at,
		activated_ns=excluded.activated_ns`,
		s.AccountID, s.CalendarID, s.Direction, joinTypes(s.Types), string(s.ImportType),
		sqTimePtr(s.ActivatedAt), sqTimePtr(s.BackfillFrom), s.ConflictPolicy, s.Enabled,
		int64(s.Interval/time.Second), s.WindowPastDays, s.WindowFutureDays, sqTime(nowOr(s.UpdatedAt)), activatedNs(s.ActivatedAt))
	if err != nil {
		return fmt.Errorf("store sync settings: %w", err)
	}
	return nil
}

// EnableSync switches sync on or off. Switching on for the first time records
// activated_at = now: activities not changed since then are not pushed unless backfilled.
func EnableSync(ctx context.Context, h Handler, accountID string, on bool, now time.Time) (SyncSettings, error) {
	s, err := GetSyncSettings(ctx, h, accountID)
	if err != nil {
		return s, err
	}
	now = nowOr(now)
	s.Enabled = on
	if on && s.ActivatedAt == nil {
		s.ActivatedAt = &now
	}
	s.UpdatedAt = now
	return s, PutSyncSettings(ctx, h, s)
}

func activatedNs(t *time.Time) int {
	if t == nil {
		return 0
	}
	return t.Nanosecond()
}
