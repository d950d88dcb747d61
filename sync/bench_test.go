package sync

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

// peakHeap samples the live heap while fn runs and returns how far its peak rose above
// the heap before fn (the fake's own copy of the events is already there), to show that a
// long listing is streamed (bounded) rather than collected.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak {
				peak = ms.HeapAlloc
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	if peak < before.HeapAlloc {
		return 0
	}
	return peak - before.HeapAlloc
}

func seedGoogle(b *testing.B, h *harness, n int) {
	g := h.rem.(*googleRemote)
	for i := 0; i < n; i++ {
		start := base.Add(time.Duration(i%300) * 24 * time.Hour / 10)
		g.UserCreate(fmt.Sprintf("Event %d", i), start, time.Hour)
	}
}

// BenchmarkInitialImportGoogle10k: a first sync importing 10,000 events from the Google
// fake (real HTTP, JSON, paging at Google's default 250 per page).
func BenchmarkInitialImportGoogle10k(b *testing.B) {
	var cpuUsed time.Duration
	defer func() { b.ReportMetric(float64(cpuUsed.Milliseconds())/float64(b.N), "cpu-ms/op") }()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := newHarness(b, func(t testing.TB, now func() time.Time) remote { return googleFactoryPaged(t, now, 250) }, store.DirTwoWay)
		seedGoogle(b, h, benchEvents)
		b.StartTimer()
		var s Summary
		cpu0 := cpuTime()
		peak := peakHeap(func() { s = h.sync() })
		cpuUsed += cpuTime() - cpu0
		b.StopTimer()
		if s.Imported != benchEvents {
			b.Fatalf("imported %d", s.Imported)
		}
		b.ReportMetric(float64(peak)/(1<<20), "heap-growth-MB")
		if i == 0 {
			b.ReportMetric(float64(liveHeapGrowth(b, benchEvents))/(1<<20), "live-heap-growth-MB")
		}
		b.StartTimer()
	}
}

// BenchmarkNothingToDo: a run over 2,000 synced items (CALSYNC_BENCH_IDLE_ITEMS) when
// nothing changed on either side.
func BenchmarkNothingToDo(b *testing.B) {
	for _, mk := range []struct {
		name string
		f    remoteFactory
	}{{"mem", memFactory}, {"google", func(t testing.TB, now func() time.Time) remote { return googleFactoryPaged(t, now, 250) }}} {
		b.Run(mk.name, func(b *testing.B) {
			h := newHarness(b, mk.f, store.DirTwoWay)
			for i := 0; i < idleItems/2; i++ {
				h.localCreate(fmt.Sprint("local ", i), store.TypeCall)
				h.rem.UserCreate(fmt.Sprint("remote ", i), base.Add(48*time.Hour), time.Hour)
			}
			h.sync()
			h.clock = h.clock.Add(5 * time.Minute)
			h.sync()
			fullScans := 0
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				// Runs come at the sync interval (5 min by default), not back to back.
				h.clock = h.clock.Add(5 * time.Minute)
				s := h.sync()
				if s.Changed() {
					b.Fatalf("not idle: %+v", s)
				}
				if s.FullScan {
					fullScans++
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(fullScans)/float64(b.N), "full-scans/op")
		})
	}
}

// BenchmarkPush1000Edits: 1,000 activities edited in the CRM, pushed to the Google fake in one run.
func BenchmarkPush1000Edits(b *testing.B) {
	h := newHarness(b, func(t testing.TB, now func() time.Time) remote { return googleFactoryPaged(t, now, 250) }, store.DirTwoWay)
	var ids []string
	for i := 0; i < 1000; i++ {
		ids = append(ids, h.localCreate(fmt.Sprint("a", i), store.TypeCall))
	}
	h.sync()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ctx := context.Background()
		h.tick()
		err := h.st.Tx(ctx, func(tx store.Handler) error {
			for _, id := range ids {
				subj := fmt.Sprintf("edit %d %s", i, id)
				if _, err := store.UpdateActivity(ctx, tx, id, store.ActivityPatch{Subject: &subj}, h.clock); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s := h.sync()
		if s.Pushed != 1000 {
			b.Fatalf("pushed %d", s.Pushed)
		}
	}
}

var (
	benchEvents = envInt("CALSYNC_BENCH_EVENTS", 10000)
	idleItems   = envInt("CALSYNC_BENCH_IDLE_ITEMS", 2000)
)

func envInt(k string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(k), &n); err == nil && n > 0 {
		return n
	}
	return def
}

// liveHeapGrowth imports n events again with a collection after every page and returns
// the largest live heap above the start: what the engine retains while streaming (the
// sampled peak above also counts garbage the collector had not reclaimed yet).
func liveHeapGrowth(b *testing.B, n int) uint64 {
	h := newHarness(b, func(t testing.TB, now func() time.Time) remote { return googleFactoryPaged(t, now, 250) }, store.DirTwoWay)
	seedGoogle(b, h, n)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start, peak := ms.HeapAlloc, uint64(0)
	e := h.engine(context.Background(), nil)
	e.Observer = func(p Progress) {
		if p.Phase != PhasePull {
			return
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > start && ms.HeapAlloc-start > peak {
			peak = ms.HeapAlloc - start
		}
	}
	h.clock = h.clock.Add(time.Second)
	if _, err := e.Run(context.Background(), h.acct.ID, RunOptions{}); err != nil {
		b.Fatal(err)
	}
	return peak
}

// cpuTime is the process's user+system CPU time: on a loaded machine it says more about
// the code than wall time (it includes the in-process fake server's share).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
