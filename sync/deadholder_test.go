package sync

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/calsync/calsync/store"
)

func TestParseHolder(t *testing.T) {
	for in, want := range map[string]struct {
		host string
		pid  int
		ok   bool
	}{
		"box-1234-a1b2c3d4":         {"box", 1234, true},
		"my-laptop.lan-99-00ff00ff": {"my-laptop.lan", 99, true},
		"test":                      {"", 0, false},
		"box-notapid-a1":            {"", 0, false},
	} {
		host, pid, ok := parseHolder(in)
		if host != want.host || pid != want.pid || ok != want.ok {
			t.Errorf("parseHolder(%q) = %q %d %v, want %+v", in, host, pid, ok, want)
		}
	}
}

// A sync killed mid-run (SIGKILL: no chance to release) must not block the next one for
// the lease's whole TTL; a live holder still does.
func TestLeaseOfAKilledProcessIsTakenOver(t *testing.T) {
	h := newHarness(t, memFactory, store.DirTwoWay)
	h.localCreate("Call Ana", store.TypeCall)
	host, _ := os.Hostname()

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("cannot start a process to get a dead pid:", err)
	}
	deadHolder := fmt.Sprintf("%s-%d-deadbeef", host, dead.Process.Pid)
	if ok, err := store.AcquireLease(h.ctx, h.st.DB, h.acct.ID, deadHolder, time.Hour, h.clock); err != nil || !ok {
		t.Fatalf("plant lease: %v %v", ok, err)
	}
	s := h.sync()
	if s.Pushed != 1 {
		t.Fatalf("sync after the holder died: %+v", s)
	}

	liveHolder := fmt.Sprintf("%s-%d-0badf00d", host, os.Getppid())
	if ok, err := store.AcquireLease(h.ctx, h.st.DB, h.acct.ID, liveHolder, time.Hour, h.clock); err != nil || !ok {
		t.Fatalf("plant live lease: %v %v", ok, err)
	}
	if _, err := h.runWith(RunOptions{}); !errors.Is(err, ErrAlreadySyncing) {
		t.Fatalf("a live holder's lease was taken: %v", err)
	}
}
