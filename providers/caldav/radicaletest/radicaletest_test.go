package radicaletest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestHelperRequire is run in a child process by TestRequireWithoutRadicale.
func TestHelperRequire(t *testing.T) {
	if os.Getenv("RADICALETEST_CHILD") != "1" {
		t.Skip("helper for TestRequireWithoutRadicale")
	}
	Require(t)
	t.Log("REACHED")
}

// Without radicale on PATH the integration tests skip, naming the Debian package, unless
// CALSYNC_REQUIRE_RADICALE=1 (CI), where they fail.
func TestRequireWithoutRadicale(t *testing.T) {
	run := func(require string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRequire$", "-test.v")
		cmd.Env = []string{"PATH=" + t.TempDir(), "RADICALETEST_CHILD=1", "CALSYNC_REQUIRE_RADICALE=" + require}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("")
	if err != nil || !strings.Contains(out, "SKIP") || !strings.Contains(out, "apt-get install radicale") || strings.Contains(out, "REACHED") {
		t.Errorf("without radicale: err=%v\n%s", err, out)
	}
	out, err = run("1")
	if err == nil || !strings.Contains(out, "FAIL") || !strings.Contains(out, "CALSYNC_REQUIRE_RADICALE=1") {
		t.Errorf("without radicale under CALSYNC_REQUIRE_RADICALE=1: err=%v\n%s", err, out)
	}
}

func TestStartAndMakeCalendar(t *testing.T) {
	s := Start(t, Options{})
	if p := s.MakeCalendar(t, User, Password, "c", "C"); p != "/alice/c/" {
		t.Fatalf("path %q", p)
	}
}
