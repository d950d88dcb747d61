package graphfake

import (
	"fmt"
	"strings"
	"time"

	"github.com/calsync/calsync/providers/internal/zonecache"
	"github.com/calsync/calsync/providers/microsoft/internal/winzones"
)

// Graph writes dateTime without an offset and with seven fractional digits.
const graphDateTime = "2006-01-02T15:04:05.0000000"

// loadZone resolves a Graph time zone name (Windows, from CLDR's table, or IANA) for
// reading stored events and Prefer: outlook.timezone.
func loadZone(name string) (*time.Location, error) {
	n := strings.TrimSpace(name)
	if n == "" || strings.EqualFold(n, "UTC") || strings.EqualFold(n, "tzone://Microsoft/Utc") {
		return time.UTC, nil
	}
	if iana, ok := winzones.IANA(n); ok {
		n = iana
	}
	if strings.HasPrefix(n, "/") || strings.Contains(n, "..") {
		return nil, fmt.Errorf("unsupported time zone")
	}
	return zonecache.Load(n)
}

// writableZone reports whether Graph accepts name in start/end.timeZone of an event
// write. Per /work/shared/PROVIDERS.md (Microsoft Graph, "Time zones on writes") and the
// dateTimeTimeZone reference: Windows zone names, plus a documented short list of IANA
// names, which is (close to) the territory-001 zone of each Windows zone in CLDR
// (Europe/Berlin, Europe/Paris, America/New_York...). Other IANA names, such as
// Europe/Amsterdam or America/Toronto, fail with TimeZoneNotSupportedException.
func writableZone(name string) bool {
	n := strings.TrimSpace(name)
	if strings.EqualFold(n, "UTC") || strings.EqualFold(n, "tzone://Microsoft/Utc") || strings.EqualFold(n, "Etc/GMT") {
		return true
	}
	if _, ok := winzones.IsWindows(n); ok {
		return true
	}
	return winzones.IsPrimaryIANA(n)
}

// parseDateTime reads a Graph dateTime ("2026-11-25T10:00:00", fraction optional) in loc.
func parseDateTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	// Graph also accepts an explicit offset or Z; the offset then wins over timeZone.
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset'", s)
}

// absolute turns a stored dateTime+timeZone into an instant.
func (d dateTimeTZ) absolute() (time.Time, error) {
	loc, err := loadZone(d.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	return parseDateTime(d.DateTime, loc)
}

// render writes t as Graph does in zone (name as the client asked for it).
func render(t time.Time, zoneName string, loc *time.Location) dateTimeTZ {
	return dateTimeTZ{DateTime: t.In(loc).Format(graphDateTime), TimeZone: zoneName}
}

// renderAllDay writes an all-day boundary: the date at midnight, labelled with the zone
// asked for (all-day events float: they are the same date in every zone).
func renderAllDay(d dateTimeTZ, zoneName string) dateTimeTZ {
	day := d.DateTime
	if len(day) >= 10 {
		day = day[:10]
	}
	return dateTimeTZ{DateTime: day + "T00:00:00.0000000", TimeZone: zoneName}
}

func graphTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}
