package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones must resolve on machines without /usr/share/zoneinfo
)

// Meta keys.
const (
	MetaTimeZone = "time_zone" // the user's IANA time zone; periods are computed in it
)

// GetMeta reads a small preference; ok is false when it was never set.
func GetMeta(ctx context.Context, h Handler, key string) (value string, ok bool, err error) {
	err = h.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return value, true, nil
}

// SetMeta writes a small preference, replacing the old value.
func SetMeta(ctx context.Context, h Handler, key, value string) error {
	_, err := h.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// UserLocation is the time zone the person plans in: the saved one, else the machine's.
func UserLocation(ctx context.Context, h Handler) (*time.Location, error) {
	name, ok, err := GetMeta(ctx, h, MetaTimeZone)
	if err != nil {
		return nil, err
	}
	if !ok || name == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.Local, fmt.Errorf("saved time zone %q is unknown (%v); using the machine's", name, err)
	}
	return loc, nil
}

// SetUserTimeZone saves the person's time zone after checking it is a known IANA name.
func SetUserTimeZone(ctx context.Context, h Handler, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" {
		return invalid("time_zone", "must be an IANA name such as Europe/Berlin, America/New_York or UTC")
	}
	if _, err := time.LoadLocation(name); err != nil {
		return invalid("time_zone", "unknown time zone %q; use an IANA name such as Europe/Berlin, America/New_York or UTC", name)
	}
	return SetMeta(ctx, h, MetaTimeZone, name)
}

// TimeZoneName is a name for loc that time.LoadLocation accepts again; time.Local becomes
// the zone the machine is set to when Go knows its name, else UTC.
func TimeZoneName(loc *time.Location) string {
	if loc == nil {
		return "UTC"
	}
	name := loc.String()
	if name != "Local" {
		return name
	}
	if tz := strings.TrimPrefix(strings.TrimSpace(os.Getenv("TZ")), ":"); tz != "" {
		if _, err := time.LoadLocation(tz); err == nil {
			return tz
		}
	}
	// Most systems link /etc/localtime to .../zoneinfo/Area/City.
	if target, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok {
			if _, err := time.LoadLocation(name); err == nil {
				return name
			}
		}
	}
	return "UTC"
}

// LoadListView reads the saved activity-list filter, or the default when none was saved.
func LoadListView(ctx context.Context, h Handler) (ListFilter, error) {
	var f ListFilter
	var types string
	err := h.QueryRowContext(ctx, `SELECT owner, types, status, period, search FROM list_view WHERE id = 1`).
		Scan(&f.Owner, &types, &f.Status, &f.Period, &f.Search)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultListFilter(), nil
	}
	if err != nil {
		return ListFilter{}, err
	}
	for _, t := range strings.Split(types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			f.Types = append(f.Types, ActivityType(t))
		}
	}
	if f.Validate() != nil {
		// A view saved by an older or newer calsync we cannot read: start from the default
		// rather than refusing to show the list.
		return DefaultListFilter(), nil
	}
	return f, nil
}

// SaveListView saves f as the activity-list filter (after validating it).
func SaveListView(ctx context.Context, h Handler, f ListFilter, now time.Time) error {
	f = f.normalized()
	if err := f.Validate(); err != nil {
		return err
	}
	types := make([]string, len(f.Types))
	for i, t := range f.Types {
		types[i] = string(t)
	}
	_, err := h.ExecContext(ctx, `INSERT INTO list_view (id, owner, types, status, period, search, updated_at)
		VALUES (1, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, types = excluded.types, status = excluded.status,
			period = excluded.period, search = excluded.search, updated_at = excluded.updated_at`,
		f.Owner, strings.Join(types, ","), f.Status, f.Period, f.Search, now.UTC().Unix())
	return err
}
