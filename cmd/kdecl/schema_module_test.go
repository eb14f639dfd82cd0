package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/kdecl/kdecl/schema"
)

// TestSchemaImportAlike: a stack that imports the vendored schema renders
// and fails alike: every golden case of render and vet whose stack is one
// package, run as it is and again with a file that imports kdecl.dev/schema
// and closes the apps with it, in a module with the schema vendored, gives
// the same exit code, output and messages.
func TestSchemaImportAlike(t *testing.T) {
	cases, _ := filepath.Glob(testdata("*.txtar"))
	pkgRE := regexp.MustCompile(`(?m)^package ([A-Za-z_][A-Za-z0-9_]*)`)
	compared := 0
	for _, path := range cases {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		args := goldenArgs(t, ar.Comment)
		if len(args) < 2 || args[0] != "render" && args[0] != "vet" {
			continue
		}
		stack := ""
		pkgs := map[string]bool{}
		for _, f := range ar.Files {
			if strings.HasPrefix(f.Name, "stack/") && strings.Count(f.Name, "/") == 1 && strings.HasSuffix(f.Name, ".cue") {
				stack = "stack"
				if m := pkgRE.FindSubmatch(f.Data); m != nil {
					pkgs[string(m[1])] = true
				}
			}
			if strings.HasPrefix(f.Name, "stack/cue.mod/") || strings.HasPrefix(f.Name, "cue.mod/") {
				stack = "" // a module of the case's own
				break
			}
		}
		if stack == "" || len(pkgs) != 1 || !strings.Contains(strings.Join(args, " "), " stack") {
			continue
		}
		var pkg string
		for p := range pkgs {
			pkg = p
		}
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			run := func(withImport bool) (int, string, string) {
				dir := t.TempDir()
				for _, f := range ar.Files {
					if !strings.HasPrefix(f.Name, wantDir) {
						writeFile(t, filepath.Join(dir, f.Name), f.Data)
					}
				}
				writeFile(t, filepath.Join(dir, "cue.mod", "module.cue"), []byte("module: \"example.com/m\"\nlanguage: version: \"v0.17.0\"\n"))
				if withImport {
					writeFile(t, schema.VendorFile(dir), schema.Vendored())
					writeFile(t, filepath.Join(dir, "stack", "zz_kdecl.cue"), []byte("package "+pkg+
						"\n\nimport \"kdecl.dev/schema\"\n\nschema.#Stack\napps: [string]: schema.#App\n"))
				}
				t.Chdir(dir)
				var stdout, stderr bytes.Buffer
				code := exitCode(run(context.Background(), args, &stdout, &stderr), &stderr)
				tree := readTree(t, dir)
				for _, name := range slices.Sorted(maps.Keys(tree)) {
					if strings.HasPrefix(name, "out/") {
						fmt.Fprintf(&stdout, "-- %s --\n%s", name, tree[name])
					}
				}
				return code, stdout.String(), stderr.String()
			}
			code, stdout, stderr := run(false)
			icode, istdout, istderr := run(true)
			if icode != code || istdout != stdout || !sameMessages(stderr, istderr) {
				t.Errorf("without the import: exit %d\n%s%s\nwith it: exit %d\n%s%s", code, stdout, stderr, icode, istdout, istderr)
			}
		})
		compared++
	}
	if compared < 50 {
		t.Errorf("compared %s cases, want most of the render and vet cases", strconv.Itoa(compared))
	}
}

// importPos is a position in the file that imports the schema.
var importPos = regexp.MustCompile(`stack/zz_kdecl\.cue:[0-9]+:[0-9]+`)

// sameMessages is whether two runs' messages are the same, but where the
// one with the import names the import file: its apps: [string]: pattern
// is where the stack's apps are when it has none, and a value it conflicts
// with.
func sameMessages(without, with string) bool {
	a, b := strings.Split(without, "\n"), strings.Split(with, "\n")
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		pa, ma, _ := strings.Cut(a[i], ": ")
		pb, mb, _ := strings.Cut(b[i], ": ")
		mb = regexp.MustCompile(`; it conflicts with \{\} \(stack/zz_kdecl\.cue:[0-9]+:[0-9]+\)`).ReplaceAllString(mb, "")
		if ma != mb || pa != pb && !importPos.MatchString(pb) {
			return false
		}
	}
	return true
}
