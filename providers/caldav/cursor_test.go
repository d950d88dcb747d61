package caldav

import (
	"net/http"
	"testing"
	"time"
)

func TestSyncStateProbe(t *testing.T) {
	lm := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) int64 { return lm.Add(d).Unix() }
	lmv := lm.Format(http.TimeFormat)
	cases := []struct {
		name      string
		old, now  syncState
		unchanged bool
	}{
		{"same last-modified, last change well before the probe", syncState{Token: "t", Probe: "lm", Value: lmv, Date: at(5 * time.Second)}, syncState{Probe: "lm", Value: lmv}, true},
		{"same last-modified but the probe ran in the same second as a change", syncState{Token: "t", Probe: "lm", Value: lmv, Date: at(time.Second)}, syncState{Probe: "lm", Value: lmv}, false},
		{"last-modified moved", syncState{Token: "t", Probe: "lm", Value: lmv, Date: at(time.Hour)}, syncState{Probe: "lm", Value: lm.Add(time.Minute).Format(http.TimeFormat)}, false},
		{"no server date", syncState{Token: "t", Probe: "lm", Value: lmv}, syncState{Probe: "lm", Value: lmv}, false},
		{"same ctag", syncState{Token: "t", Probe: "ctag", Value: `"c1"`}, syncState{Probe: "ctag", Value: `"c1"`}, true},
		{"ctag changed", syncState{Token: "t", Probe: "ctag", Value: `"c1"`}, syncState{Probe: "ctag", Value: `"c2"`}, false},
		{"no probe on this server", syncState{Token: "t"}, syncState{}, false},
		{"probe vanished", syncState{Token: "t", Probe: "ctag", Value: `"c1"`}, syncState{}, false},
	}
	for _, c := range cases {
		if got := c.old.unchanged(c.now); got != c.unchanged {
			t.Errorf("%s: unchanged = %v, want %v", c.name, got, c.unchanged)
		}
		back, err := decodeSyncState(c.old.encode())
		if err != nil || back != c.old {
			t.Errorf("%s: cursor round trip %+v, %v", c.name, back, err)
		}
	}
	if _, err := decodeSyncState("!!"); err == nil {
		t.Error("garbage cursor decoded")
	}
}
