package xandikostest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestHelperRequire is run in a child process by TestRequireWithoutXandikos.
func TestHelperRequire(t *testing.T) {
	if os.Getenv("XANDIKOSTEST_CHILD") != "1" {
		t.Skip("helper for TestRequireWithoutXandikos")
	}
	Require(t)
	t.Log("REACHED")
}

// Without xandikos on PATH the integration tests skip, naming the Debian package, unless
// CALSYNC_REQUIRE_XANDIKOS=1 (CI), where they fail.
func TestRequireWithoutXandikos(t *testing.T) {
	run := func(require string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRequire$", "-test.v")
		cmd.Env = []string{"PATH=" + t.TempDir(), "XANDIKOSTEST_CHILD=1", "CALSYNC_REQUIRE_XANDIKOS=" + require}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("")
	if err != nil || !strings.Contains(out, "SKIP") || !strings.Contains(out, "apt-get install xandikos") || strings.Contains(out, "REACHED") {
		t.Errorf("without xandikos: err=%v\n%s", err, out)
	}
	out, err = run("1")
	if err == nil || !strings.Contains(out, "FAIL") || !strings.Contains(out, "CALSYNC_REQUIRE_XANDIKOS=1") {
		t.Errorf("without xandikos under CALSYNC_REQUIRE_XANDIKOS=1: err=%v\n%s", err, out)
	}
}

func TestStartAndMakeCalendar(t *testing.T) {
	s := Start(t)
	if p := s.MakeCalendar(t, "c", "C"); p != "/user/calendars/c/" {
		t.Fatalf("path %q", p)
	}
	s.Put(t, "/user/calendars/c/x.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	s.Delete(t, "/user/calendars/c/x.ics")
}
