package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kdecl/kdecl/schema"
)

// TestEachRenderOrder: what the renders write comes out in the renders'
// order, whatever order they end in; each render's error is its own.
func TestEachRenderOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // renders at once, on any machine
	renders := make([]schema.Render, 6)
	for i := range renders {
		renders[i].Name = fmt.Sprintf("r%d", i)
	}
	var stdout, stderr bytes.Buffer
	errs := eachRender(context.Background(), renders, &stdout, &stderr, true, func(ctx context.Context, i int, stdout, stderr io.Writer) error {
		// the first ends last
		if i == 0 {
			time.Sleep(100 * time.Millisecond)
		}
		fmt.Fprintf(stdout, "out %d\n", i)
		fmt.Fprintf(stderr, "err %d\n", i)
		if i == 3 {
			return fmt.Errorf("three")
		}
		return nil
	})
	var wantOut, wantErr strings.Builder
	for i := range renders {
		fmt.Fprintf(&wantOut, "out %d\n", i)
		fmt.Fprintf(&wantErr, "err %d\n", i)
		if i == 3 {
			wantErr.WriteString("kdecl: r3: three\n")
		}
	}
	if d := cmp.Diff(wantOut.String(), stdout.String()); d != "" {
		t.Errorf("stdout (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantErr.String(), stderr.String()); d != "" {
		t.Errorf("stderr (-want +got):\n%s", d)
	}
	for i, err := range errs {
		if (err != nil) != (i == 3) {
			t.Errorf("render %d: error %v", i, err)
		}
	}
}

// TestRenderAllFound: render --all in a stack's directory reads the
// kdecl.cue of its CUE module, and renders every stack it lists, with
// paths from the working directory.
func TestRenderAllFound(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stacks", "cue.mod", "module.cue"), []byte("module: \"example.com/stacks\"\nlanguage: version: \"v0.17.0\"\n"))
	writeFile(t, filepath.Join(dir, "stacks", "kdecl.cue"), []byte("package kdecl\n\nstacks: shop: output: \"../deploy/shop\"\nstacks: db: output: \"../deploy/db\"\n"))
	writeFile(t, filepath.Join(dir, "stacks", "shop", "app.cue"), []byte(webStack))
	writeFile(t, filepath.Join(dir, "stacks", "db", "app.cue"), []byte(strings.Replace(webStack, "package shop", "package db", 1)))
	t.Chdir(filepath.Join(dir, "stacks", "shop"))
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"render", "--all"}, &stdout, &stderr); err != nil {
		t.Fatalf("render --all: %v\n%s", err, stderr.String())
	}
	want := "db    ../../deploy/db    2 files, 2 new\nshop  ../../deploy/shop  2 files, 2 new\n2 renders: 2 changed\n"
	if d := cmp.Diff(want, stderr.String()); d != "" {
		t.Errorf("stderr (-want +got):\n%s", d)
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout: %q, want nothing", stdout.String())
	}
	for _, stack := range []string{"db", "shop"} {
		if _, err := os.Stat(filepath.Join(dir, "deploy", stack, "web", "05-deployment-web.yaml")); err != nil {
			t.Error(err)
		}
	}
}

// TestReviewAllBase: review --all --base compares each render with its
// deploy directory as committed at the revision, not as it is on disk.
func TestReviewAllBase(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "stacks/cue.mod/module.cue", []byte("module: \"example.com/stacks\"\nlanguage: version: \"v0.17.0\"\n"))
	writeFile(t, "stacks/kdecl.cue", []byte("package kdecl\n\nstacks: shop: environments: {\n\tprod: {tags: [], output: \"../deploy/prod\"}\n\tdev: {tags: [], output: \"../deploy/dev\"}\n}\n"))
	writeFile(t, "stacks/shop/app.cue", []byte(webStack))
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"render", "--all", "-q"}, &stderr, &stderr); err == nil {
		t.Fatal("render --all outside the CUE module found a kdecl.cue")
	}
	if err := run(context.Background(), []string{"render", "--all", "-q", "--config", "stacks/kdecl.cue"}, &stderr, &stderr); err != nil {
		t.Fatalf("render --all: %v\n%s", err, stderr.String())
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base"}} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	// A new image, rendered into dev only: on disk dev is current, at
	// HEAD both are old.
	writeFile(t, "stacks/shop/app.cue", []byte(strings.Replace(webStack, "nginx:1.27", "nginx:1.28", 1)))
	if err := run(context.Background(), []string{"render", "--all", "-q", "--config", "stacks/kdecl.cue", "--only", "shop/dev"}, &stderr, &stderr); err != nil {
		t.Fatalf("render --all --only: %v\n%s", err, stderr.String())
	}
	review := func(args ...string) string {
		t.Helper()
		var stdout bytes.Buffer
		err := run(context.Background(), append([]string{"review", "--all", "--config", "stacks/kdecl.cue", "--fail-on", "rollout"}, args...), &stdout, &stderr)
		if err != errFailOn {
			t.Fatalf("review --all %v: %v, want a change of a --fail-on class\n%s", args, err, stderr.String())
		}
		return stdout.String()
	}
	onDisk := review()
	if !strings.Contains(onDisk, "== shop/dev: stacks/shop -> deploy/dev\nNo change.\n") || !strings.Contains(onDisk, "== shop/prod: stacks/shop -> deploy/prod\n~ Deployment//web (changed): rollout\n") {
		t.Errorf("review --all against the disk:\n%s", onDisk)
	}
	atHead := review("--base", "HEAD")
	if strings.Count(atHead, "~ Deployment//web (changed): rollout\n") != 2 || !strings.HasSuffix(atHead, "2 renders: 2 with changes, 0 without.\n") {
		t.Errorf("review --all --base HEAD:\n%s", atHead)
	}
}

// TestReviewAllCIExample runs the CI example of --all in the README in a
// repository whose CUE module is at its root, with an origin: a branch
// bumps an image of both environments of shop, then changes a claim
// template of prod. The steps of the job run the same kdecl commands.
func TestReviewAllCIExample(t *testing.T) {
	readme := string(readFile(t, "../../README.md"))
	sh := regexp.MustCompile("(?s)<!-- ci-example-all[^\n]*\n```sh\n(.*?)```\n(.*?)```yaml\n(.*?)```").FindStringSubmatch(readme)
	if sh == nil {
		t.Fatal("README has no CI example of --all: a sh block after <!-- ci-example-all --> and a yaml block of the job's steps")
	}
	commands := strings.Split(strings.TrimSpace(sh[1]), "\n")
	steps := regexp.MustCompile(`(?m)- run: (kdecl .*)$`).FindAllStringSubmatch(sh[3], -1)
	for _, m := range steps {
		if !slices.Contains(commands, m[1]) {
			t.Errorf("the job runs %q, which the shell example does not", m[1])
		}
	}
	if len(steps) != len(commands) {
		t.Errorf("the job runs %d kdecl commands, the shell example %d", len(steps), len(commands))
	}

	bin := filepath.Join(t.TempDir(), "kdecl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	origin := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", origin).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	dir, git := gitRepo(t)
	for _, d := range []string{"shop", "templates", "cue.mod"} {
		copyTree(t, filepath.Join("../../stacks", d), filepath.Join(dir, d))
	}
	writeFile(t, filepath.Join(dir, "kdecl.cue"), []byte(`package kdecl

stacks: shop: environments: {
	staging: {tags: ["staging"], output: "deploy/shop/staging"}
	prod: {tags: ["prod"], output: "deploy/shop/prod"}
}
`))
	renderAll := func() {
		t.Helper()
		cmd := exec.Command(bin, "render", "--all", "-q")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kdecl render --all: %v\n%s", err, out)
		}
	}
	renderAll()
	git("add", ".")
	git("commit", "-q", "-m", "shop")
	git("remote", "add", "origin", origin)
	git("push", "-q", "origin", "main")
	git("fetch", "-q", "origin")
	git("checkout", "-q", "-b", "change")

	// runAll runs the example's commands; all but the last must pass.
	runAll := func() (review string, lastExit int) {
		t.Helper()
		for i, c := range commands {
			cmd := exec.Command("sh", "-c", c)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case i == len(commands)-1 && errors.As(err, &exit):
				lastExit = exit.ExitCode()
			case err != nil:
				t.Fatalf("%s: %v\n%s", c, err, out)
			}
		}
		return string(readFile(t, filepath.Join(dir, "review.md"))), lastExit
	}

	shop := filepath.Join(dir, "shop/shop.cue")
	writeFile(t, shop, bytes.Replace(readFile(t, shop), []byte(`*"1.4.2"`), []byte(`*"1.5.0"`), 1))
	renderAll()
	git("commit", "-q", "-am", "1.5.0")
	review, exit := runAll()
	for _, want := range []string{
		"2 renders: 2 with changes, 0 without.",
		"#### `shop/prod` (`shop -t prod`, `deploy/shop/prod`)",
		"| `Deployment/shop-prod/api` | changed | **rollout** |",
		"#### `shop/staging` (`shop -t staging`, `deploy/shop/staging`)",
		"| `Deployment/shop-staging/api` | changed | **rollout** |",
	} {
		if !strings.Contains(review, want) {
			t.Errorf("an image bump: review without %q:\n%s", want, review)
		}
	}
	if exit != 0 {
		t.Errorf("an image bump: exit %d, want 0", exit)
	}

	prod := filepath.Join(dir, "shop/prod.cue")
	writeFile(t, prod, bytes.Replace(readFile(t, prod), []byte(`"50Gi"`), []byte(`"100Gi"`), 1))
	renderAll()
	git("commit", "-q", "-am", "more room")
	review, exit = runAll()
	if !strings.Contains(review, "| `StatefulSet/shop-prod/db` | changed | **recreate** |") || exit != 1 {
		t.Errorf("a larger claim template of prod: exit %d (want 1 for --fail-on recreate), review:\n%s", exit, review)
	}
}

// TestSchemaRepo: schema --repo prints the schema kdecl.cue is checked
// against, and goes with no --module.
func TestSchemaRepo(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"schema", "--repo"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); got != schema.RepoSource() || !strings.Contains(got, "\n#Repo: {\n") {
		t.Errorf("schema --repo printed:\n%s", got)
	}
	err := run(context.Background(), []string{"schema", "--repo", "--module", "."}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 2 {
		t.Errorf("schema --repo --module: exit %d, want 2 (bad usage)", code)
	}
}
