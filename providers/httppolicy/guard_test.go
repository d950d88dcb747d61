package httppolicy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestEveryProviderClientUsesThePolicy guards the "one place" rule: outside this package,
// provider and OAuth code builds no http.Client of its own and uses no default client or
// transport, which would have no deadlines and follow any redirect. Test helpers
// (radicaletest, xandikostest), fakes and the offline generator are exempt.
func TestEveryProviderClientUsesThePolicy(t *testing.T) {
	bad := regexp.MustCompile(`http\.DefaultClient|&http\.Client\{|http\.Client\{\}|http\.DefaultTransport|http\.(Get|Post|Head)\(`)
	exempt := func(path string) bool {
		for _, part := range strings.Split(filepath.ToSlash(path), "/") {
			if strings.HasSuffix(part, "fake") || strings.HasSuffix(part, "test") || part == "gen" || part == "httppolicy" {
				return true
			}
		}
		return strings.HasSuffix(path, "_test.go")
	}
	var found []string
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || exempt(path) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			code, _, _ := strings.Cut(line, "//")
			if bad.MatchString(code) {
				found = append(found, path+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("HTTP outside the policy (use httppolicy.Client): %s", f)
	}
}
