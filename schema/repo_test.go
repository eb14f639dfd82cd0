package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeRepoFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const repoModule = "module: \"example.com/repo\"\nlanguage: version: \"v0.17.0\"\n"

// TestFindRepo: kdecl.cue is found at the root of the CUE module the
// working directory is in, from a stack's directory too, as a path
// from the working directory.
func TestFindRepo(t *testing.T) {
	dir := t.TempDir()
	writeRepoFiles(t, dir, map[string]string{
		"stacks/cue.mod/module.cue": repoModule,
		"stacks/kdecl.cue":          "package kdecl\n",
		"stacks/shop/shop.cue":      "package shop\n",
		"other/cue.mod/module.cue":  repoModule,
	})
	for _, tc := range []struct{ wd, want string }{
		{"stacks", "kdecl.cue"},
		{"stacks/shop", "../kdecl.cue"},
		{"stacks/cue.mod", "../kdecl.cue"},
	} {
		t.Run(tc.wd, func(t *testing.T) {
			t.Chdir(filepath.Join(dir, tc.wd))
			got, err := FindRepo(".")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("FindRepo = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("no kdecl.cue", func(t *testing.T) {
		t.Chdir(filepath.Join(dir, "other"))
		_, err := FindRepo(".")
		if err == nil || !strings.Contains(err.Error(), "kdecl.cue: the CUE module at . lists no renders") {
			t.Errorf("FindRepo: %v, want an error naming kdecl.cue", err)
		}
	})
	t.Run("no module", func(t *testing.T) {
		t.Chdir(dir)
		if _, err := FindRepo("."); err == nil || !strings.Contains(err.Error(), "no CUE module") {
			t.Errorf("FindRepo: %v, want no CUE module", err)
		}
	})
}

// TestLoadRepo: kdecl.cue is CUE of its module: it imports the module's
// packages and builds renders with comprehensions; paths are relative
// to its directory, given as paths from the working directory.
func TestLoadRepo(t *testing.T) {
	dir := t.TempDir()
	writeRepoFiles(t, dir, map[string]string{
		"stacks/cue.mod/module.cue": repoModule,
		"stacks/envs/envs.cue":      "package envs\n\nnames: [\"prod\", \"staging\"]\n",
		"stacks/kdecl.cue": `package kdecl

import "example.com/repo/envs"

_deploy: "../deploy"
stacks: shop: environments: {
	for e in envs.names {
		(e): {tags: [e, "region=eu"], output: "\(_deploy)/shop/\(e)"}
	}
}
stacks: "hello-world": {dir: "hello", output: "\(_deploy)/hello"}
`,
		"stacks/shop/shop.cue":   "package shop\n",
		"stacks/hello/hello.cue": "package hello\n",
	})
	t.Chdir(dir)
	got, err := LoadRepo("stacks/kdecl.cue")
	if err != nil {
		t.Fatal(err)
	}
	want := []Render{
		{Name: "hello-world", Stack: "stacks/hello", Output: "deploy/hello"},
		{Name: "shop/prod", Stack: "stacks/shop", Output: "deploy/shop/prod", Tags: []string{"prod", "region=eu"}},
		{Name: "shop/staging", Stack: "stacks/shop", Output: "deploy/shop/staging", Tags: []string{"staging", "region=eu"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("LoadRepo (-want +got):\n%s", d)
	}
}
