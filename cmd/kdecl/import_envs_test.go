package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestImportEnvsShop imports the committed renders of stacks/shop's two
// environments as one stack, and renders it with each environment's tag:
// each deploy directory comes back byte for byte.
func TestImportEnvsShop(t *testing.T) {
	deploy, err := filepath.Abs("../../deploy/shop")
	if err != nil {
		t.Fatal(err)
	}
	envs := []string{"staging", "prod"}
	out := t.TempDir()
	stack := filepath.Join(out, "shop")
	args := []string{"import", "-o", stack}
	for _, e := range envs {
		args = append(args, "--env", e+"="+filepath.Join(deploy, e))
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("kdecl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(stack, "*.cue"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if want := []string{"prod.cue", "stack.cue", "staging.cue"}; !slices.Equal(names, want) {
		t.Errorf("import wrote %v, want %v", names, want)
	}
	for _, e := range envs {
		dir := filepath.Join(out, "deploy", e)
		args := []string{"render", stack, "-t", e, "-o", dir, "--quiet"}
		if err := run(context.Background(), args, &stderr, &stderr); err != nil {
			t.Fatalf("kdecl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		want, got := readTree(t, filepath.Join(deploy, e)), readTree(t, dir)
		if len(want) == 0 {
			t.Fatalf("no files in %s", filepath.Join(deploy, e))
		}
		if diff := cmp.Diff(stringMap(want), stringMap(got)); diff != "" {
			t.Errorf("%s rendered from the imported stack differs from the committed render (-want +got):\n%s", e, diff)
		}
	}
	// What the environments say alike is said once.
	shared, err := os.ReadFile(filepath.Join(stack, "stack.cue"))
	if err != nil {
		t.Fatal(err)
	}
	// What kdecl renders for before (the wait's token volume) is its own,
	// not an override of the stack's.
	if bytes.Contains(shared, []byte("job-wait-token")) {
		t.Errorf("stack.cue says kdecl's job wait token volume:\n%s", shared)
	}
	for _, e := range envs {
		own, err := os.ReadFile(filepath.Join(stack, e+".cue"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(own, []byte("@if("+e+")\n")) {
			t.Errorf("%s.cue does not start with @if(%s):\n%s", e, e, own)
		}
		if len(own)*3 > len(shared) {
			t.Errorf("%s.cue (%d bytes) is not well below the shared stack.cue (%d bytes): little was shared", e, len(own), len(shared))
		}
	}
}

func stringMap(files map[string][]byte) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[k] = string(v)
	}
	return out
}

// TestImportEnvsUsage: --env takes ENV=PATH, two environments or more,
// with names -t takes, each once, and no other argument; its files need
// a directory. Each mistake is a usage error, and nothing is written.
func TestImportEnvsUsage(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "a/x.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"))
	for _, tc := range []struct{ args, want string }{
		{"--env dev=a -o out", "one environment; give two or more"},
		{"--env dev=a --env dev=a -o out", "environment dev given twice"},
		{"--env dev=a --env prod=a a -o out", "give no other arguments (a)"},
		{"--env dev=a --env prod=a", "give -o DIR"},
		{"--env dev --env prod=a -o out", `--env "dev": give ENV=PATH`},
		{"--env Dev=a --env prod=a -o out", "an environment's name is a lowercase letter"},
		{"--env stack=a --env prod=a -o out", "stack.cue is the file of what the environments share"},
		{"--env true=a --env prod=a -o out", "not true, false or null"},
		{"--env dev=- --env prod=a -o out", "not stdin"},
	} {
		var stderr bytes.Buffer
		args := append([]string{"import"}, strings.Fields(tc.args)...)
		code := exitCode(run(context.Background(), args, &bytes.Buffer{}, &stderr), &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("kdecl %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, stderr.String(), tc.want)
		}
		if _, err := os.Stat("out"); err == nil {
			t.Fatalf("kdecl %s wrote out/", strings.Join(args, " "))
		}
	}
}
