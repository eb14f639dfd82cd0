package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdecl/kdecl/schema"
)

// writeBenchStack writes a stack of n apps, each with ports, config files
// and env, probes and resources, built from a shared CUE template as users
// write them.
func writeBenchStack(tb testing.TB, n int) string {
	dir := tb.TempDir()
	var b strings.Builder
	b.WriteString(`package bench

namespace: "bench"

_web: {
	ports: http: 8080
	config: {
		env: LOG_LEVEL: "info"
		files: "app.conf": "listen=8080\n"
		fileEnv: CONFIG_FILE: "app.conf"
	}
	probes: liveness: http: path: "/alive"
	probes: readiness: http: path: "/ready"
	resources: requests: {cpu: "100m", memory: "64Mi"}
	resources: limits: memory: "128Mi"
}
`)
	for i := range n {
		fmt.Fprintf(&b, "apps: \"app-%d\": _web & {image: \"example.com/app-%d:1.0.%d\", env: INDEX: \"%d\"}\n", i, i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "stack.cue"), []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// BenchmarkRender measures a whole render in memory: load and validate
// the CUE, generate the objects, marshal them to YAML.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		dir := writeBenchStack(b, n)
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) {
			for b.Loop() {
				s, err := schema.Load(dir)
				if err != nil {
					b.Fatal(err)
				}
				files, err := render(s)
				if err != nil {
					b.Fatal(err)
				}
				if len(files) != 3*n+1 {
					b.Fatalf("rendered %d files, want %d", len(files), 3*n+1)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/app")
		})
	}
}

// BenchmarkMarshal is the floor of a render: generating and marshalling
// the same objects, with the stack already loaded.
func BenchmarkMarshal(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		s, err := schema.Load(writeBenchStack(b, n))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := render(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReview is kdecl review STACK -o DIR on a stack of 1,000 apps
// of which one changed: the render, the reading of the deploy directory
// and the comparison.
func BenchmarkReview(b *testing.B) {
	const n = 1000
	dir := writeBenchStack(b, n)
	out := filepath.Join(b.TempDir(), "deploy")
	ctx := b.Context()
	if err := run(ctx, []string{"render", dir, "-o", out}, io.Discard, io.Discard); err != nil {
		b.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "stack.cue"))
	if err != nil {
		b.Fatal(err)
	}
	src = []byte(strings.Replace(string(src), `"example.com/app-7:1.0.7"`, `"example.com/app-7:1.1.0"`, 1))
	if err := os.WriteFile(filepath.Join(dir, "stack.cue"), src, 0o644); err != nil {
		b.Fatal(err)
	}
	var stdout strings.Builder
	for b.Loop() {
		stdout.Reset()
		if err := run(ctx, []string{"review", dir, "-o", out}, &stdout, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	if !strings.Contains(stdout.String(), "~ Deployment/bench/app-7 (changed): rollout") || strings.Count(stdout.String(), "\n~ ") > 0 {
		b.Fatalf("review of one changed app:\n%s", stdout.String())
	}
}
