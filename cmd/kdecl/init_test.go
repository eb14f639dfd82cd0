package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdecl/kdecl/schema"
)

// TestInit: the stack init writes renders both its environments with
// --strict, and into a module that exists it adds only the stack and the
// schema's copy.
func TestInit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		args  []string
		stack string
	}{
		{"a new module", func(*testing.T, string) {}, []string{"init", ".", "--name", "shop"}, "shop"},
		{"a name with a dash", func(*testing.T, string) {}, []string{"init", "repo/stacks", "--name", "web-shop"}, "repo/stacks/web-shop"},
		{"an existing module", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "stacks", "cue.mod", "module.cue"), []byte("module: \"example.com/stacks\"\nlanguage: version: \"v0.17.0\"\n"))
		}, []string{"init", "stacks/apps", "--name", "billing"}, "stacks/apps/billing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			tc.setup(t, dir)
			var stderr bytes.Buffer
			if code := exitCode(run(context.Background(), tc.args, &bytes.Buffer{}, &stderr), &stderr); code != 0 {
				t.Fatalf("kdecl %s: exit %d\n%s", strings.Join(tc.args, " "), code, &stderr)
			}
			for _, env := range []string{"staging", "prod"} {
				out := filepath.Join("deploy", env)
				args := []string{"render", tc.stack, "-t", env, "--strict", "-o", out}
				stderr.Reset()
				if code := exitCode(run(context.Background(), args, &bytes.Buffer{}, &stderr), &stderr); code != 0 {
					t.Errorf("kdecl %s: exit %d\n%s", strings.Join(args, " "), code, &stderr)
				}
				if _, err := os.Stat(filepath.Join(out, "web", "05-deployment-web.yaml")); err != nil {
					t.Errorf("%s: %v", env, err)
				}
			}
			mod, err := os.ReadFile(filepath.Join(schema.ModuleRoot(tc.stack), "cue.mod", "module.cue"))
			if err != nil || tc.name == "an existing module" && !bytes.Contains(mod, []byte(`"example.com/stacks"`)) {
				t.Errorf("module.cue: %v\n%s", err, mod)
			}
			if data, err := os.ReadFile(schema.VendorFile(schema.ModuleRoot(tc.stack))); err != nil || !bytes.Equal(data, schema.Vendored()) {
				t.Errorf("the vendored schema is not kdecl's: %v", err)
			}
		})
	}
}

// TestSchemaModule: kdecl schema --module vendors the schema, rewrites
// its own copy and refuses a file it did not write; a stale copy is a
// warning of every load.
func TestSchemaModule(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, filepath.Join(dir, "cue.mod", "module.cue"), []byte("module: \"example.com/m\"\nlanguage: version: \"v0.17.0\"\n"))
	writeFile(t, filepath.Join(dir, "shop", "shop.cue"), []byte("package shop\n\nimport \"kdecl.dev/schema\"\n\napps: [string]: schema.#App\napps: web: image: \"nginx:1.27\"\n"))
	kdecl := func(args ...string) (int, string) {
		var stderr bytes.Buffer
		code := exitCode(run(context.Background(), args, &bytes.Buffer{}, &stderr), &stderr)
		return code, stderr.String()
	}
	if code, stderr := kdecl("vet", "shop"); code != 1 || !strings.Contains(stderr, `"kdecl.dev/schema"`) {
		t.Errorf("vet before the schema is vendored: exit %d, want 1 naming the import:\n%s", code, stderr)
	}
	if code, stderr := kdecl("schema", "--module", "shop"); code != 0 {
		t.Fatalf("schema --module: exit %d\n%s", code, stderr)
	}
	if code, stderr := kdecl("vet", "--strict", "shop"); code != 0 {
		t.Errorf("vet --strict: exit %d\n%s", code, stderr)
	}
	file := schema.VendorFile(dir)
	writeFile(t, file, bytes.Replace(schema.Vendored(), []byte("#App: {"), []byte("#App: {\n\tlegacy?: string"), 1))
	if code, stderr := kdecl("vet", "--strict", "shop"); code != 1 || !strings.Contains(stderr, "is not this kdecl's schema: run kdecl schema --module") {
		t.Errorf("vet --strict of a stale copy: exit %d, want 1 with a warning:\n%s", code, stderr)
	}
	writeFile(t, filepath.Join(dir, "plain", "plain.cue"), []byte("package plain\n\napps: web: image: \"nginx:1.27\"\n"))
	if code, stderr := kdecl("vet", "--strict", "plain"); code != 0 {
		t.Errorf("vet --strict of a stack that does not import the stale copy: exit %d\n%s", code, stderr)
	}
	if code, stderr := kdecl("schema", "--module", "."); code != 0 {
		t.Fatalf("schema --module over its own copy: exit %d\n%s", code, stderr)
	}
	if data, _ := os.ReadFile(file); !bytes.Equal(data, schema.Vendored()) {
		t.Error("schema --module left its stale copy")
	}
	writeFile(t, file, []byte("package schema\n"))
	if code, stderr := kdecl("schema", "--module", "."); code != 1 || !strings.Contains(stderr, "was not written by kdecl") {
		t.Errorf("schema --module over a file of the user's: exit %d\n%s", code, stderr)
	}
	os.RemoveAll(filepath.Join(dir, "cue.mod"))
	if code, stderr := kdecl("schema", "--module", "shop"); code != 1 || !strings.Contains(stderr, "in no CUE module") {
		t.Errorf("schema --module outside a module: exit %d\n%s", code, stderr)
	}
}
