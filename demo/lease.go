package demo

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	gosync "sync"
	"syscall"
	"time"
)

// Several calsync processes may work on one demo sandbox at the same time (the app open
// while `calsync sync` runs in another terminal, or two commands started together). The
// fakes keep their remote state in DIR/fakes/*.json and write it after every change, so
// exactly one process may serve them at a time: two servers would each hold their own
// copy of the calendars and overwrite each other's files. The rules, all on flock(2) locks
// (the kernel drops them when a process dies, even by SIGKILL, so nothing stale blocks):
//
//   - DIR/fakes/lock (exclusive, held briefly) makes "is someone serving? if not, start
//     serving and register in running.json" one step, and likewise "stop serving".
//   - A process that uses another process's fakes holds a shared lock on
//     DIR/fakes/users.lock (its lease) from the moment it decides to use them until it
//     ends; it takes the lease while holding DIR/fakes/lock, so the server cannot be
//     stopping at that moment.
//   - The serving process, when it ends (main calls StopServingFakes), takes
//     DIR/fakes/lock, so no new process can join, and waits for an exclusive lock on
//     users.lock, i.e. until every process relying on it has ended; only then does it close
//     the fakes and remove running.json. The wait is bounded (DrainLimit) and says so
//     on stderr; processes arriving meanwhile wait on DIR/fakes/lock and then start the
//     fakes themselves.
//   - A registration whose process died without stopping (SIGKILL, a crash) is recognised
//     by its PID being gone or its ports not answering (servedElsewhere), and the next
//     command restarts the fakes from their state files.

// DrainLimit bounds how long an ending process keeps serving the sandbox's fakes for
// other commands still using them.
const DrainLimit = time.Minute

// demoLeases are this process's shared locks on sandboxes whose fakes another process
// serves, by data directory.
var demoLeases = struct {
	gosync.Mutex
	m map[string]*os.File
}{m: map[string]*os.File{}}

func demoUsersLockPath(dataDir string) string {
	return filepath.Join(FakesDir(dataDir), "users.lock")
}

// LeaseFakes records that this process relies on the fakes another process serves
// for dataDir, until it ends (or ReleaseLease). Call it while holding lockDemoFakes.
func LeaseFakes(dataDir string) error {
	demoLeases.Lock()
	defer demoLeases.Unlock()
	if demoLeases.m[dataDir] != nil {
		return nil
	}
	f, err := os.OpenFile(demoUsersLockPath(dataDir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	// Non-blocking: the only exclusive holder is a stopping server, which holds
	// DIR/fakes/lock while it waits, and the caller holds that lock now.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		f.Close()
		return err
	}
	demoLeases.m[dataDir] = f
	return nil
}

// holdsDemoLease reports whether this process relies on another's fakes for dataDir.
func holdsDemoLease(dataDir string) bool {
	demoLeases.Lock()
	defer demoLeases.Unlock()
	return demoLeases.m[dataDir] != nil
}

// ReleaseLease drops this process's lease on dataDir's fakes: before it serves them
// itself (its own lease would hold up its own stop) and when tests stop a sandbox.
func ReleaseLease(dataDir string) {
	demoLeases.Lock()
	f := demoLeases.m[dataDir]
	delete(demoLeases.m, dataDir)
	demoLeases.Unlock()
	if f != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}

// StopServingFakes ends, at the end of the process, the fakes it serves, after
// waiting (up to limit) for the other calsync processes using them to finish.
func StopServingFakes(stderr io.Writer, limit time.Duration) {
	demoRunning.Lock()
	var dirs []string
	for d := range demoRunning.m {
		dirs = append(dirs, d)
	}
	demoRunning.Unlock()
	for _, d := range dirs {
		unlock := lockDemoFakes(d)
		WaitForUsers(d, stderr, limit)
		StopFakes(d)
		unlock()
	}
}

// WaitForUsers waits until no other process holds a lease on dataDir's fakes, or
// limit passes.
func WaitForUsers(dataDir string, stderr io.Writer, limit time.Duration) {
	f, err := os.OpenFile(demoUsersLockPath(dataDir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	try := func() bool { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil }
	// Commands started together usually end within a moment of each other: only a longer
	// wait is worth a word.
	start, said := time.Now(), false
	for !try() {
		waited := time.Since(start)
		if waited >= limit {
			fmt.Fprintf(stderr, "calsync: stopped the demo sandbox's providers after %s; the other command may report a network error and can be run again\n", limit)
			return
		}
		if !said && waited >= time.Second {
			fmt.Fprintf(stderr, "calsync: another calsync command is using this demo sandbox's providers; keeping them up until it ends (at most %s, Ctrl-C to stop now)\n", limit)
			said = true
		}
		time.Sleep(20 * time.Millisecond)
	}
}
