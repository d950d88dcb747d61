package sync

import "time"

// CutoffLayout is the time layout that tells two stamps of the activation cutoff apart
// (an activity's last change and when sync was switched on): minutes as usual, seconds
// when they share a minute, and the fraction when they share a second, so "changed
// 10:04, before sync was switched on (10:04)" never reads as a contradiction. The
// cutoff itself compares the stamps exactly (store keeps their nanoseconds).
func CutoffLayout(a, b time.Time) string {
	a, b = a.UTC(), b.UTC()
	switch {
	case !a.Truncate(time.Minute).Equal(b.Truncate(time.Minute)):
		return "2006-01-02 15:04"
	case !a.Truncate(time.Second).Equal(b.Truncate(time.Second)):
		return "2006-01-02 15:04:05"
	case !a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond)):
		return "2006-01-02 15:04:05.000"
	default:
		return "2006-01-02 15:04:05.000000000"
	}
}
