package google

import (
	"sync"
	"time"
)

// zones caches time.LoadLocation, which reads the zoneinfo database on every call and
// dominated page decoding.
var zones sync.Map // name -> *time.Location

func loadLocation(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	// Failures are not cached: names come from remote data and must not grow the map.
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}
