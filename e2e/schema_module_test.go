package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/txtar"
)

// TestSchemaModuleAgrees: kdecl and cue vet agree on stacks that import
// the vendored schema (kdecl.dev/schema, written by kdecl schema
// --module). Over the golden cases' stacks and the example stacks, each
// with a file that imports the schema and closes the apps with it: what
// kdecl renders, cue vet -c accepts; what cue vet -c refuses, kdecl
// refuses. (kdecl refuses more: the rules CUE cannot say.) A typo in a
// field is one of what cue vet refuses.
func TestSchemaModuleAgrees(t *testing.T) {
	t.Parallel()
	cue := buildCUE(t)
	type stackCase struct {
		name  string
		files map[string][]byte // by path under the module root
		stack string            // the stack's directory in the module
		tags  []string
	}
	var cases []stackCase
	pkgRE := regexp.MustCompile(`(?m)^package ([A-Za-z_][A-Za-z0-9_]*)`)
	goldens, _ := filepath.Glob("../testdata/*.txtar")
	for _, path := range goldens {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var args []string
		for _, line := range strings.Split(string(ar.Comment), "\n") {
			if rest, ok := strings.CutPrefix(line, "kdecl "); ok {
				args = strings.Fields(rest)
			}
		}
		if len(args) < 2 || args[0] != "render" && args[0] != "vet" {
			continue
		}
		c := stackCase{name: strings.TrimSuffix(filepath.Base(path), ".txtar"), files: map[string][]byte{}, stack: "stack"}
		for i := 1; i < len(args); i++ {
			if args[i] == "-t" && i+1 < len(args) {
				c.tags = append(c.tags, args[i+1])
			}
		}
		pkgs := map[string]bool{}
		own := false
		for _, f := range ar.Files {
			switch {
			case strings.HasPrefix(f.Name, "want/"):
				continue
			case strings.Contains(f.Name, "cue.mod/"):
				own = true
			case strings.HasPrefix(f.Name, "stack/") && strings.Count(f.Name, "/") == 1 && strings.HasSuffix(f.Name, ".cue"):
				if m := pkgRE.FindSubmatch(f.Data); m != nil {
					pkgs[string(m[1])] = true
				}
			}
			c.files[f.Name] = f.Data
		}
		if own || len(pkgs) != 1 {
			continue
		}
		for p := range pkgs {
			c.files["stack/zz_kdecl.cue"] = importFile(p)
		}
		cases = append(cases, c)
	}
	for _, r := range exampleRenders(t) {
		c := stackCase{name: "stacks/" + r.Render, files: map[string][]byte{}, stack: r.Stack, tags: r.Tags}
		filepath.WalkDir("../stacks", func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".cue") {
				data, _ := os.ReadFile(path)
				c.files[strings.TrimPrefix(filepath.ToSlash(path), "../stacks/")] = data
			}
			return err
		})
		m := pkgRE.FindSubmatch(c.files[r.Stack+"/"+firstCUE(t, "../stacks/"+r.Stack)])
		c.files[r.Stack+"/zz_kdecl.cue"] = importFile(string(m[1]))
		cases = append(cases, c)
	}
	// A typo in a field of an app: cue vet catches it too.
	cases = append(cases, stackCase{name: "a typo", stack: "stack", files: map[string][]byte{
		"stack/app.cue":      []byte("package shop\n\napps: web: {imgae: \"nginx:1.27\", ports: http: 80}\n"),
		"stack/zz_kdecl.cue": importFile("shop"),
	}})

	// What a stack builds on the schema's definitions: a definition of
	// its own made of #App, a value that one of the schema's scalar
	// definitions constrains, a hidden field in error.
	cases = append(cases,
		stackCase{name: "a definition of #App", stack: "stack", files: map[string][]byte{
			"stack/app.cue":      []byte("package shop\n\nimport \"kdecl.dev/schema\"\n\n#Web: schema.#App & {ports: http: 8080}\napps: web: #Web & {image: \"nginx:1.27\", replicas: 2}\n"),
			"stack/zz_kdecl.cue": importFile("shop"),
		}},
		stackCase{name: "a port past the schema's", stack: "stack", files: map[string][]byte{
			"stack/app.cue":      []byte("package shop\n\nimport \"kdecl.dev/schema\"\n\n_port: schema.#Port & 99999\napps: web: {image: \"nginx:1.27\", args: [\"--port=\\(_port)\"]}\n"),
			"stack/zz_kdecl.cue": importFile("shop"),
		}},
		stackCase{name: "a hidden field in error", stack: "stack", files: map[string][]byte{
			"stack/app.cue":      []byte("package shop\n\n_unused: int & \"a\"\napps: web: image: \"nginx:1.27\"\n"),
			"stack/zz_kdecl.cue": importFile("shop"),
		}},
	)
	var bothRefuse, cueTypo int
	for _, c := range cases {
		dir := t.TempDir()
		for name, data := range c.files {
			writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), data)
		}
		if _, ok := c.files["cue.mod/module.cue"]; !ok {
			writeFile(t, filepath.Join(dir, "cue.mod", "module.cue"), []byte("module: \"example.com/m\"\nlanguage: version: \"v0.17.0\"\n"))
		}
		if out, err := run(dir, kdecl, "schema", "--module", "."); err != nil {
			t.Fatalf("%s: kdecl schema --module: %v\n%s", c.name, err, out)
		}
		kargs := []string{"vet", c.stack}
		cargs := []string{"vet", "-c", "./" + c.stack}
		for _, tag := range c.tags {
			kargs = append(kargs, "-t", tag)
			cargs = append(cargs, "-t", tag)
		}
		kout, kerr := run(dir, kdecl, kargs...)
		cout, cerr := run(dir, cue, cargs...)
		switch {
		case kerr == nil && cerr != nil:
			t.Errorf("%s: kdecl accepts what cue vet refuses:\n%s", c.name, cout)
		case cerr != nil && exitCode(kerr) != 1:
			t.Errorf("%s: cue vet refuses what kdecl does not (exit %d):\n%s\n%s", c.name, exitCode(kerr), cout, kout)
		case cerr != nil:
			bothRefuse++
			if c.name == "a typo" && strings.Contains(cout, "imgae") {
				cueTypo++
			}
		}
	}
	t.Logf("%d stacks, %d refused by both", len(cases), bothRefuse)
	if len(cases) < 100 || bothRefuse < 20 || cueTypo != 1 {
		t.Errorf("%d stacks, %d refused by both, the typo caught by cue vet: %v; want at least 100, 20 and true", len(cases), bothRefuse, cueTypo == 1)
	}
}

// importFile is a file of package pkg that imports the vendored schema
// and checks the stack with it.
func importFile(pkg string) []byte {
	return []byte("package " + pkg + "\n\nimport \"kdecl.dev/schema\"\n\nschema.#Stack\napps: [string]: schema.#App\n")
}

func firstCUE(t *testing.T, dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
	if len(files) == 0 {
		t.Fatalf("%s: no CUE files", dir)
	}
	return filepath.Base(files[0])
}

// run runs a command in dir and returns its output.
func run(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// buildCUE installs the cue command of the CUE that kdecl is built with.
func buildCUE(t *testing.T) string {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	version := ""
	for _, r := range mf.Require {
		if r.Mod.Path == "cuelang.org/go" {
			version = r.Mod.Version
		}
	}
	bin := t.TempDir()
	install := exec.Command("go", "install", "cuelang.org/go/cmd/cue@"+version)
	install.Dir = t.TempDir()
	install.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install cue@%s: %v\n%s", version, err, out)
	}
	return filepath.Join(bin, "cue")
}
