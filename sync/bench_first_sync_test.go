package sync

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calsync/calsync/providers"
	"github.com/calsync/calsync/providers/caldav"
	"github.com/calsync/calsync/providers/caldav/radicaletest"
	"github.com/calsync/calsync/store"
)

// Issue 19's benchmarks: the first sync of 10,000 and 100,000 events from a real
// Radicale and from the Google fake, with the peak memory of each, the ratio of the
// Radicale first sync to a bare full listing of the same calendar by the same HTTP
// client (measured in the same run), and a sync with nothing to do on the same calendar
// (quiet-sync-ms).
//
//	go test -run XXX -bench FirstSync -benchtime 1x -timeout 2h ./sync/
//
// They are benchmarks only: `go test ./...` never runs them. Radicale benchmarks skip
// without radicale. CALSYNC_BENCH_SIZES (e.g. "10000") picks the sizes.

// firstSyncSizes are the calendar sizes of the first-sync benchmarks.
func firstSyncSizes() []int {
	s := os.Getenv("CALSYNC_BENCH_SIZES")
	if s == "" {
		return []int{10000, 100000}
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// resetPeakRSS starts a new peak-memory measurement: it returns freed memory to the OS
// (so what seeding used is not counted) and resets the kernel's high-water mark of the
// process's resident set (writing 5 to /proc/self/clear_refs, Linux 4.0+). It reports
// whether the reset worked; without it VmHWM is the peak since the process started.
func resetPeakRSS() bool {
	runtime.GC()
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSSMB is the process's peak resident set (VmHWM in /proc/self/status) in MB: all
// the memory the test process held at its worst, Go heap, runtime, SQLite's cache and
// (for the Google fake) the in-process fake server included.
func peakRSSMB() float64 {
	return statusMB("VmHWM:")
}

func rssMB() float64 { return statusMB("VmRSS:") }

func statusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// benchEventICS is an event as another client writes it; the n events of a benchmark
// spread over the 30 days after base, inside the default sync window.
func benchEventICS(i int) (uid, ics string) {
	start := base.Add(time.Duration(i%300) * 24 * time.Hour / 10)
	uid = fmt.Sprintf("bench-%06d", i)
	f := "20060102T150405Z"
	return uid, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other client//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" + start.Format(f) + "\r\nDTEND:" + start.Add(45*time.Minute).Format(f) +
		"\r\nSUMMARY:Meeting " + strconv.Itoa(i) + "\r\nLOCATION:Room " + strconv.Itoa(i%40) +
		"\r\nDESCRIPTION:Agenda for meeting " + strconv.Itoa(i) + "\\, with notes\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// seededRadicaleBench starts a Radicale whose calendar /alice/big/ holds n events,
// written as files into its storage folder before it starts (PUTting 100,000 events
// would take hours), and warms Radicale's item cache with one listing: a server that
// received its events by PUT has them cached already.
func seededRadicaleBench(b *testing.B, n int) (*radicaletest.Server, string, *http.Client) {
	b.Helper()
	srv := radicaletest.Start(b, radicaletest.Options{InMemory: true, Seed: func(root string) error {
		return radicaletest.SeedCalendarFunc(root, radicaletest.User, "big", "Big", n, func(i int) (string, string) {
			uid, ics := benchEventICS(i)
			return uid + ".ics", ics
		})
	}})
	hc := &http.Client{Timeout: 10 * time.Minute}
	cal := "/" + radicaletest.User + "/big/"
	if _, err := bareListing(hc, srv, cal); err != nil {
		b.Fatal(err)
	}
	// Radicale computes a sync-token from a history entry per item, which it writes on
	// PUT; for files seeded behind its back the first sync-token request writes them all
	// (minutes for 100,000), a cost no server that received its events by PUT pays.
	if err := propfindSyncToken(hc, srv, cal); err != nil {
		b.Fatal(err)
	}
	return srv, cal, hc
}

func propfindSyncToken(hc *http.Client, srv *radicaletest.Server, cal string) error {
	req, _ := http.NewRequest("PROPFIND", srv.URL+cal, strings.NewReader(`<?xml version="1.0" encoding="utf-8"?>`+
		`<d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/></d:prop></d:propfind>`))
	req.SetBasicAuth(srv.User, srv.Password)
	req.Header.Set("Depth", "0")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		return fmt.Errorf("sync-token: HTTP %d", resp.StatusCode)
	}
	return nil
}

// bareListing is the server's own time for a full listing: the same calendar-query a
// first sync sends (every VEVENT of the window with its data), by the same HTTP client,
// its answer read to the end and thrown away. It returns the answer's size.
func bareListing(hc *http.Client, srv *radicaletest.Server, cal string) (int64, error) {
	win := providers.Window{Start: base.AddDate(0, 0, -store.DefaultWindowPastDays), End: base.AddDate(0, 0, store.DefaultWindowFutureDays)}
	f := "20060102T150405Z"
	body := `<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">` +
		`<d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">` +
		`<c:time-range start="` + win.Start.UTC().Format(f) + `" end="` + win.End.UTC().Format(f) + `"/>` +
		`</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`
	req, _ := http.NewRequest("REPORT", srv.URL+cal, strings.NewReader(body))
	req.SetBasicAuth(srv.User, srv.Password)
	req.Header.Set("Depth", "1")
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		return 0, fmt.Errorf("bare listing: HTTP %d", resp.StatusCode)
	}
	return io.Copy(io.Discard, resp.Body)
}

func radicaleBenchRemote(srv *radicaletest.Server, cal string, hc *http.Client) remoteFactory {
	return func(t testing.TB, _ func() time.Time) remote {
		p, err := caldav.New(context.Background(), providers.Config{AccountID: "a", Kind: "caldav", Login: srv.User,
			Secret: []byte(srv.Password), Endpoints: providers.Endpoints{API: srv.URL}, HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		return &realRemote{name: "radicale", base: srv.URL, cal: cal, user: srv.User, pass: srv.Password,
			prov: &faultProvider{Provider: p}, reader: p}
	}
}

// BenchmarkFirstSync: a first sync (empty database, full listing, every event imported)
// of n events. Each iteration uses a new database. Metrics:
//   - peak-RSS-MB: the test process's peak resident set during the sync (VmHWM after a
//     reset), base-RSS-MB what it held just before (for Google, the in-process fake and
//     its copy of the events are in both);
//   - radicale: bare-listing-ms, the server's own full listing by the same client, timed
//     right before each sync, and sync/listing, the ratio of the two sums.
func BenchmarkFirstSync(b *testing.B) {
	for _, n := range firstSyncSizes() {
		b.Run(fmt.Sprintf("radicale-%d", n), func(b *testing.B) {
			srv, cal, hc := seededRadicaleBench(b, n)
			mk := radicaleBenchRemote(srv, cal, hc)
			var syncTime, listTime time.Duration
			var peak, baseRSS float64
			var h *harness
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				h = newHarness(b, mk, store.DirTwoWay)
				t0 := time.Now()
				if _, err := bareListing(hc, srv, cal); err != nil {
					b.Fatal(err)
				}
				listTime += time.Since(t0)
				if !resetPeakRSS() {
					b.Log("cannot reset VmHWM: peak-RSS-MB is the peak since the process started")
				}
				baseRSS = max(baseRSS, rssMB())
				b.StartTimer()
				t0 = time.Now()
				s := h.sync()
				syncTime += time.Since(t0)
				b.StopTimer()
				peak = max(peak, peakRSSMB())
				if s.Imported != n {
					b.Fatalf("imported %d of %d: %+v", s.Imported, n, s)
				}
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(listTime.Milliseconds())/float64(b.N), "bare-listing-ms")
			b.ReportMetric(float64(syncTime)/float64(listTime), "sync/listing")
			b.ReportMetric(peak, "peak-RSS-MB")
			b.ReportMetric(baseRSS, "base-RSS-MB")
			// A sync with nothing to do on the same calendar (goal: under 30 ms at 10,000).
			// Runs come at the sync interval; the first one after the import settles.
			h.clock = h.clock.Add(5 * time.Minute)
			h.sync()
			const quiet = 5
			var quietTime time.Duration
			for i := 0; i < quiet; i++ {
				h.clock = h.clock.Add(5 * time.Minute)
				t0 := time.Now()
				s := h.sync()
				quietTime += time.Since(t0)
				if s.Changed() || s.FullListing {
					b.Fatalf("not idle: %+v", s)
				}
			}
			b.ReportMetric(float64(quietTime.Microseconds())/1000/quiet, "quiet-sync-ms")
		})
		b.Run(fmt.Sprintf("google-%d", n), func(b *testing.B) {
			var peak, baseRSS float64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				h := newHarness(b, func(t testing.TB, now func() time.Time) remote { return googleFactoryPaged(t, now, 250) }, store.DirTwoWay)
				seedGoogle(b, h, n)
				resetPeakRSS()
				baseRSS = max(baseRSS, rssMB())
				b.StartTimer()
				s := h.sync()
				b.StopTimer()
				peak = max(peak, peakRSSMB())
				if s.Imported != n {
					b.Fatalf("imported %d of %d", s.Imported, n)
				}
				b.StartTimer()
			}
			b.ReportMetric(peak, "peak-RSS-MB")
			b.ReportMetric(baseRSS, "base-RSS-MB")
		})
	}
}
