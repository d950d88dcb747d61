// Package zonecache loads IANA time zones once: time.LoadLocation reads the zoneinfo
// database on every call, which dominated decoding pages of events.
package zonecache

import (
	"sync"
	"time"
)

var zones sync.Map // name -> *time.Location

// Load is time.LoadLocation, remembered. Failures are not remembered: names come from
// remote data and must not grow the cache beyond the zones that exist.
func Load(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}
