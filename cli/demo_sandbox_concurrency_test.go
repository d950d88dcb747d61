package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/calsync/calsync/demo"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test start real calsync processes: the test binary re-executed with
// CALSYNC_TEST_RUN_MAIN=1 is calsync (Main with its own arguments), so the tests below
// can run several processes on one demo sandbox, as people do from several terminals.
func TestMain(m *testing.M) {
	if os.Getenv("CALSYNC_TEST_RUN_MAIN") == "1" {
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

// calsyncProcess is `calsync --data-dir dir ARGS...` as a separate process.
func calsyncProcess(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"--data-dir", dir}, args...)...)
	cmd.Env = append(os.Environ(), "CALSYNC_TEST_RUN_MAIN=1", "USER=ann", "CALSYNC_DATA_DIR=")
	return cmd
}

// newProcessSandbox makes a persisted healthy demo sandbox with a calsync process that has
// ended, so no process serves its fakes.
func newProcessSandbox(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sandbox")
	if out, err := calsyncProcess(dir, "demo", "--no-tui").CombinedOutput(); err != nil {
		t.Fatalf("demo --no-tui: %v\n%s", err, out)
	}
	return dir
}

// runHere runs a command in this process, on the real clock like the other processes.
func runHere(dir string, args ...string) (string, int) {
	var out bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &out, Now: time.Now,
		Getenv: func(k string) string { return map[string]string{"USER": "ann"}[k] }}
	code := run(context.Background(), env, append([]string{"--data-dir", dir}, args...))
	return out.String(), code
}

func readRunFile(t *testing.T, dir string) (demo.RunFile, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(demo.FakesDir(dir), "running.json"))
	if os.IsNotExist(err) {
		return demo.RunFile{}, false
	}
	var rf demo.RunFile
	if err != nil || json.Unmarshal(b, &rf) != nil {
		t.Fatalf("running.json unreadable: %v %q", err, b)
	}
	return rf, true
}

// assertSandboxIntact checks what a person would: the fakes' state files are whole, and a
// sync and a doctor run afterwards find the calendars exactly as the engine left them
// (nothing to pull or push, no errors, no findings).
func assertSandboxIntact(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{"google.json", "microsoft.json", "caldav.json"} {
		b, err := os.ReadFile(filepath.Join(demo.FakesDir(dir), name))
		if err != nil || !json.Valid(b) {
			t.Fatalf("%s: %v (valid JSON: %v)", name, err, json.Valid(b))
		}
	}
	out, err := calsyncProcess(dir, "sync").CombinedOutput()
	if err != nil || strings.Count(out2s(out), "pulled 0, pushed 0") != 3 || strings.Count(out2s(out), "errors 0") != 3 {
		t.Fatalf("sync after the concurrent commands: %v\n%s", err, out)
	}
	out, err = calsyncProcess(dir, "doctor").CombinedOutput()
	if err != nil || !strings.Contains(out2s(out), " 0 fail") {
		t.Fatalf("doctor after the concurrent commands: %v\n%s", err, out)
	}
}

func out2s(b []byte) string { return string(b) }

// Commands started together on one sandbox: whichever serves the fakes keeps them up until
// the others are done, and only one process ever serves them (state files not clobbered).
func TestDemoSandboxConcurrentProcesses(t *testing.T) {
	dir := newProcessSandbox(t)
	for round := 0; round < 2; round++ {
		cmds := []*exec.Cmd{calsyncProcess(dir, "sync"), calsyncProcess(dir, "activity", "list"),
			calsyncProcess(dir, "sync"), calsyncProcess(dir, "doctor", "--offline")}
		outs := make([]bytes.Buffer, len(cmds))
		for i, c := range cmds {
			c.Stdout, c.Stderr = &outs[i], &outs[i]
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Errorf("round %d: %v: %v\n%s", round, c.Args[3:], err, outs[i].String())
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if rf, ok := readRunFile(t, dir); ok {
		t.Errorf("running.json still names process %d after every command ended", rf.PID)
	}
	assertSandboxIntact(t, dir)
}

// watchProcess starts `calsync sync --watch` on dir and returns once it serves the fakes,
// with its stderr lines.
func watchProcess(t *testing.T, dir string) (*exec.Cmd, <-chan string, <-chan error) {
	t.Helper()
	cmd := calsyncProcess(dir, "sync", "--watch")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		done <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitLine(t, lines, "press Ctrl-C to stop")
	return cmd, lines, done
}

func waitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the process ended before saying %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no %q within 20 s", want)
		}
	}
}

// The process serving the fakes is asked to stop (Ctrl-C) while a command in another
// process relies on them: it keeps them up until that command is done, then ends.
func TestDemoSandboxServerWaitsForItsUsers(t *testing.T) {
	dir := newProcessSandbox(t)
	watch, lines, done := watchProcess(t, dir)
	if rf, ok := readRunFile(t, dir); !ok || rf.PID != watch.Process.Pid {
		t.Fatalf("running.json %+v, want the watching process %d", rf, watch.Process.Pid)
	}
	if out, code := runHere(dir, "activity", "list"); code != 0 {
		t.Fatalf("activity list: exit %d\n%s", code, out)
	}
	defer demo.StopFakes(dir)
	if demo.RunningFakes(dir) != nil {
		t.Fatal("this process started its own fakes although another process serves them")
	}
	if err := watch.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, "keeping them up until it ends")
	if out, code := runHere(dir, "sync"); code != 0 || strings.Count(out, "errors 0") != 3 {
		t.Fatalf("sync while the serving process waits to end: exit %d\n%s", code, out)
	}
	select {
	case err := <-done:
		t.Fatalf("the serving process ended while this one still used its fakes: %v", err)
	default:
	}
	demo.StopFakes(dir) // ends this process's use of them
	select {
	case err := <-done:
		if err != nil {
			// What the process said last tells why (its stderr is read into lines).
			var said []string
			for l := range lines {
				said = append(said, l)
			}
			t.Fatalf("the watching process: %v\n%s", err, strings.Join(said, "\n"))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the serving process did not end once nobody used its fakes")
	}
	if _, ok := readRunFile(t, dir); ok {
		t.Error("running.json left behind by a process that stopped cleanly")
	}
	assertSandboxIntact(t, dir)
}

// A process serving the fakes is killed outright (no clean exit, running.json left
// behind): the next command sees the registration is stale and restarts them.
func TestDemoSandboxStaleRegistrationAfterKill(t *testing.T) {
	dir := newProcessSandbox(t)
	watch, _, done := watchProcess(t, dir)
	if err := watch.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	if rf, ok := readRunFile(t, dir); !ok || rf.PID != watch.Process.Pid {
		t.Fatalf("running.json %+v, want the killed process %d still named", rf, watch.Process.Pid)
	}
	defer demo.StopFakes(dir)
	if out, code := runHere(dir, "sync"); code != 0 || strings.Count(out, "errors 0") != 3 {
		t.Fatalf("sync after the serving process was killed: exit %d\n%s", code, out)
	}
	if rf, _ := readRunFile(t, dir); rf.PID != os.Getpid() {
		t.Errorf("running.json names %d, want this process %d serving the restarted fakes", rf.PID, os.Getpid())
	}
	demo.StopFakes(dir)
	assertSandboxIntact(t, dir)
}

// A command that never ends (or hangs) cannot keep the server from ending for ever: after
// the limit it stops and says the other command may see a network error.
func TestDemoSandboxServerWaitIsBounded(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(demo.FakesDir(dir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := demo.LeaseFakes(dir); err != nil {
		t.Fatal(err)
	}
	defer demo.ReleaseLease(dir)
	var msg bytes.Buffer
	demo.WaitForUsers(dir, &msg, 50*time.Millisecond)
	if !strings.Contains(msg.String(), "stopped the demo sandbox's providers after 50ms; the other command may report a network error") {
		t.Fatalf("said %q", msg.String())
	}
	demo.ReleaseLease(dir)
	msg.Reset()
	demo.WaitForUsers(dir, &msg, time.Minute) // nobody left: returns at once, silently
	if msg.Len() != 0 {
		t.Fatalf("said %q with no other command running", msg.String())
	}
}
