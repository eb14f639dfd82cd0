package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdecl/kdecl/internal/par"
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

// benchSizes are the stack sizes of the benchmarks: the cost per app
// (µs/app) must stay flat from the smallest to the largest.
var benchSizes = []int{10, 100, 1000, 10000}

// BenchmarkRender is kdecl render as a command, in process: the stack
// loaded and validated, its objects generated and marshalled, and
// written as one stream (-o -), into a fresh deploy directory, or into
// one that holds the same render already (which writes nothing); and
// kdecl vet of the same stack.
func BenchmarkRender(b *testing.B) {
	for _, n := range benchSizes {
		dir := writeBenchStack(b, n)
		for _, mode := range []string{"stdout", "fresh", "unchanged", "vet"} {
			b.Run(fmt.Sprintf("apps=%d/%s", n, mode), func(b *testing.B) {
				out := filepath.Join(b.TempDir(), "deploy")
				if mode == "unchanged" {
					if err := run(b.Context(), []string{"render", dir, "-o", out}, io.Discard, io.Discard); err != nil {
						b.Fatal(err)
					}
				}
				for b.Loop() {
					if mode == "fresh" {
						b.StopTimer()
						if err := os.RemoveAll(out); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					args := []string{"render", dir, "-o", out}
					switch mode {
					case "stdout":
						args[3] = "-"
					case "vet":
						args = []string{"vet", dir}
					}
					if err := run(b.Context(), args, io.Discard, io.Discard); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/app")
				if mode == "fresh" || mode == "unchanged" {
					if got := countFiles(b, out); got != 3*n+1 {
						b.Fatalf("%s holds %d files, want %d", out, got, 3*n+1)
					}
				}
			})
		}
	}
}

// countFiles is how many regular files dir holds, .kdecl-txn aside.
func countFiles(tb testing.TB, dir string) int {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".kdecl-txn":
			return filepath.SkipDir
		case d.Type().IsRegular():
			n++
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkOneError is kdecl vet of a stack of 1,000 apps of which one
// sets a field the schema does not have: the stack is refused, and the
// error names the app and where it is.
func BenchmarkOneError(b *testing.B) {
	const n = 1000
	dir := writeBenchStack(b, n)
	file := filepath.Join(dir, "stack.cue")
	src, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	src = []byte(strings.Replace(string(src), `env: INDEX: "500"}`, `env: INDEX: "500", replica: 2}`, 1))
	if err := os.WriteFile(file, src, 0o644); err != nil {
		b.Fatal(err)
	}
	var stderr strings.Builder
	for b.Loop() {
		stderr.Reset()
		if err := run(b.Context(), []string{"vet", dir}, io.Discard, &stderr); err == nil {
			b.Fatal("vet accepted a stack with an error")
		}
	}
	line := 1 + strings.Count(string(src[:strings.Index(string(src), `apps: "app-500"`)]), "\n")
	want := fmt.Sprintf(`%s:%d:`, file, line)
	if !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), `app "app-500": replica`) {
		b.Fatalf("the error does not name app-500, its field and %s:\n%s", want, stderr.String())
	}
}

// BenchmarkMarshal is the floor of a render: generating and marshalling
// the same objects, with the stack already loaded.
func BenchmarkMarshal(b *testing.B) {
	for _, n := range benchSizes {
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

// writeRepoWorkload writes a CUE module of stacks stacks, each rendered
// in the environments dev, staging and prod (tag env, which names the
// namespace), and its kdecl.cue. Each stack is the workload of
// ../shared/perf/gen (its kdecl stack, apps apps): a shared template of
// ports, config, probes and resources, and an image per app.
func writeRepoWorkload(tb testing.TB, stacks, apps int) (root string) {
	root = tb.TempDir()
	write := func(name, data string) {
		tb.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("cue.mod/module.cue", "module: \"example.com/bench\"\nlanguage: version: \"v0.17.0\"\n")
	var repo strings.Builder
	repo.WriteString("package kdecl\n\nstacks: [Name=_]: environments: [Env=_]: {tags: [\"env=\\(Env)\"], output: \"deploy/\\(Name)/\\(Env)\"}\n")
	for s := range stacks {
		name := fmt.Sprintf("s%03d", s)
		fmt.Fprintf(&repo, "stacks: %s: environments: {dev: {}, staging: {}, prod: {}}\n", name)
		var b strings.Builder
		fmt.Fprintf(&b, "package %s\n%s", name, perfShared)
		for i := 1; i <= apps; i++ {
			app := fmt.Sprintf("app-%04d", i)
			fmt.Fprintf(&b, "apps: %q: image: %q\n", app, fmt.Sprintf("registry.example.com/team/%s:1.%d.0", app, i%10))
		}
		write(name+"/stack.cue", b.String())
		write(name+"/env.cue", fmt.Sprintf("package %s\n\n_env: *\"dev\" | string @tag(env)\nnamespace: \"%s-\\(_env)\"\n", name, name))
	}
	write("kdecl.cue", repo.String())
	return root
}

// perfShared is what the apps of ../shared/perf/gen's kdecl stack share.
const perfShared = `
apps: [Name=_]: {
	replicas: 2
	ports: http: 8080
	config: {
		env: {LOG_LEVEL: "info", APP_MODE: "production"}
		files: "app.properties": "name=\(Name);port=8080"
		mountPath: "/etc/app"
	}
	probes: {
		liveness: {http: path: "/healthz", initialDelaySeconds: 10, periodSeconds: 10}
		readiness: {http: path: "/ready", initialDelaySeconds: 5, periodSeconds: 5}
	}
	resources: {
		requests: {cpu: "100m", memory: "128Mi"}
		limits: {cpu: "500m", memory: "256Mi"}
	}
}

`

// BenchmarkRenderAll renders 100 stacks in 3 environments each, 10 apps
// a stack, into fresh deploy directories: with render --all, in process
// (all) and as one process (exec-all), against one process per render
// (exec-each, one after the other as a shell loop runs them; and
// exec-each-parallel, as many at a time as there are processors, as
// xargs -P would). What --all saves is the fixed cost of a process per
// render; ratios in CONTRIBUTING.md.
func BenchmarkRenderAll(b *testing.B) {
	const stacks, apps = 100, 10
	root := writeRepoWorkload(b, stacks, apps)
	renders, err := schema.LoadRepo(filepath.Join(root, "kdecl.cue"))
	if err != nil {
		b.Fatal(err)
	}
	if len(renders) != 3*stacks {
		b.Fatalf("%d renders, want %d", len(renders), 3*stacks)
	}
	bin := filepath.Join(b.TempDir(), "kdecl")
	if out, err := exec.Command("go", "build", "-trimpath", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	kdecl := func(args ...string) error {
		cmd := exec.Command(bin, args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("kdecl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	for _, dirs := range []string{"fresh", "unchanged"} {
		for _, mode := range []string{"all", "exec-all", "exec-each", "exec-each-parallel"} {
			b.Run(dirs+"/"+mode, func(b *testing.B) {
				benchRenderAll(b, dirs, mode, root, renders, apps, kdecl)
			})
		}
	}
}

// benchRenderAll is a case of BenchmarkRenderAll: the renders of root in
// mode, into fresh deploy directories or into current ones (which writes
// nothing).
func benchRenderAll(b *testing.B, dirs, mode, root string, renders []schema.Render, apps int, kdecl func(args ...string) error) {
	deploy := filepath.Join(root, "deploy")
	if err := os.RemoveAll(deploy); err != nil {
		b.Fatal(err)
	}
	if dirs == "unchanged" {
		if err := kdecl("render", "--all", "-q"); err != nil {
			b.Fatal(err)
		}
	}
	rel := func(p string) string { s, _ := filepath.Rel(root, p); return s }
	for b.Loop() {
		if dirs == "fresh" {
			b.StopTimer()
			if err := os.RemoveAll(deploy); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		errs := make([]error, len(renders))
		one := func(i int) {
			r := renders[i]
			errs[i] = kdecl("render", rel(r.Stack), "-t", r.Tags[0], "-o", rel(r.Output), "-q")
		}
		switch mode {
		case "all":
			errs[0] = run(b.Context(), []string{"render", "--all", "-q", "--config", filepath.Join(root, "kdecl.cue")}, io.Discard, io.Discard)
		case "exec-all":
			errs[0] = kdecl("render", "--all", "-q")
		case "exec-each":
			for i := range renders {
				one(i)
			}
		case "exec-each-parallel":
			par.Do(len(renders), one)
		}
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(len(renders)), "ms/render")
	// every render wrote its namespace and the apps' three objects each
	if got, want := countFiles(b, deploy), len(renders)*(3*apps+1); got != want {
		b.Fatalf("%s holds %d files, want %d", deploy, got, want)
	}
}
