package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/internal/podsecurity"
	"github.com/kdecl/kdecl/internal/randstack"
	"github.com/kdecl/kdecl/schema"
)

// renderedDocs loads the stack of src and renders it as documents, as
// import reads them; nil if the stack does not load or render.
func renderedDocs(t *testing.T, src []byte) (string, []manifest.Doc) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stack.cue"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := schema.Load(dir)
	if err != nil {
		return "", nil
	}
	ms, err := generators.Stack(s)
	if err != nil {
		return "", nil
	}
	if forbidden, err := podsecurity.Check(s, ms); err != nil || len(forbidden) > 0 {
		return "", nil // kdecl render refuses its pods
	}
	var docs []manifest.Doc
	for i, m := range ms {
		b, err := json.Marshal(m.Object)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			t.Fatal(err)
		}
		manifest.Clean(obj)
		docs = append(docs, manifest.Doc{Source: fmt.Sprintf("rendered#%d", i), Object: obj})
	}
	return s.Name, docs
}

// TestRenderImportRender: for random stacks, what kdecl renders imports
// into a stack that renders the same objects, by meaning; and across the
// stacks import writes every field of the schema natively, not only as
// overrides. A field that only a rare stack says natively (one with
// network policies whose objects are plain) may need more than the n
// stacks: they go on, up to 4n, until every field is said.
func TestRenderImportRender(t *testing.T) {
	native := map[string]bool{}
	n := 500
	if testing.Short() {
		n = 40
	}
	all := map[string]bool{}
	fieldNames(t, "schema.cue", []byte(schema.Source()), all)
	unsaid := func() []string {
		var out []string
		for _, name := range slices.Sorted(maps.Keys(all)) {
			// The escape hatches are no native fields: overrides (pod,
			// container), objects (apiVersion).
			hatch := slices.Contains([]string{"overrides", "pod", "container", "objects", "apiVersion"}, name)
			if !strings.HasPrefix(name, "#") && !hatch && !native[name] {
				out = append(out, name)
			}
		}
		return out
	}
	rendered, failed := 0, 0
	for i := 0; i < n || !testing.Short() && i < 4*n && len(unsaid()) > 0; i++ {
		src := randstack.Stack(rand.New(rand.NewPCG(3, uint64(i))), fmt.Sprintf("ns-%d", i), randstack.Options{})
		name, docs := renderedDocs(t, src)
		if docs == nil {
			continue // kdecl refuses the stack: nothing to import
		}
		rendered++
		res, err := Import(docs, name)
		if err != nil {
			failed++
			if failed <= 5 {
				t.Errorf("stack %d: %v", i, err)
			}
			continue
		}
		fieldNames(t, "stack.cue", res.Source, native, "overrides", "objects")
		if len(res.Report.Recreate) > 0 {
			t.Errorf("stack %d: kdecl's own render, imported under its name, would need %v recreated", i, res.Report.Recreate)
		}
		if !res.Report.Lossless() {
			failed++
			if failed <= 5 {
				var b strings.Builder
				res.Report.WriteText(&b)
				t.Errorf("stack %d:\n%s", i, b.String())
			}
		}
	}
	t.Logf("%d stacks rendered, %d imported with a difference", rendered, failed)
	if failed > 0 {
		t.Errorf("%d of %d stacks imported with a difference", failed, rendered)
	}
	if testing.Short() {
		return // too few stacks to use every field
	}
	for _, name := range unsaid() {
		t.Errorf("no imported stack sets the schema's field %s outside overrides and objects", name)
	}
}

// fieldNames adds to fields the names of the fields the CUE source src
// sets, but inside the fields named prune.
func fieldNames(t *testing.T, file string, src []byte, fields map[string]bool, prune ...string) {
	f, err := parser.ParseFile(file, src)
	if err != nil {
		t.Fatal(err)
	}
	ast.Walk(f, func(n ast.Node) bool {
		fl, ok := n.(*ast.Field)
		if !ok {
			return true
		}
		name, _, err := ast.LabelName(fl.Label)
		switch {
		case err != nil: // a pattern: [string]: ...
			return true
		case slices.Contains(prune, name):
			return false
		}
		fields[name] = true
		return true
	}, nil)
}
