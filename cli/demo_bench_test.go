package cli

import (
	"bytes"
	"context"
	"github.com/calsync/calsync/demo"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkDemoSandbox measures what `calsync demo` does before its first screen: the
// 300-activity CRM, three fakes started and seeded, three sign-ins through the real flows
// (app path: the first sync is left to the app's background runner), and, for the
// headless path (--no-tui), the first sync of all three accounts as well.
func BenchmarkDemoSandbox(b *testing.B) {
	for _, firstSync := range []bool{false, true} {
		name := "app-first-screen"
		if firstSync {
			name = "headless-with-first-sync"
		}
		b.Run(name, func(b *testing.B) {
			sc, _ := demo.ScenarioByName("healthy")
			for i := 0; i < b.N; i++ {
				dir := filepath.Join(b.TempDir(), "sb"+strconv.Itoa(i))
				var out bytes.Buffer
				env := &Env{DataDir: dir, Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }, Now: time.Now}
				ctx := context.Background()
				st, err := openStore(ctx, env)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := demo.Build(ctx, env, st, sc, demo.SeedDefault, demoActivityCount, firstSync); err != nil {
					b.Fatal(err)
				}
				st.Close()
				demo.StopFakes(dir)
			}
		})
	}
}
