package randstack

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/kdecl/kdecl/schema"
)

// stacks is how many stacks the tests draw: enough to reach every field
// and value of the schema, few enough to take a second.
const stacks = 500

func stack(seed uint64, i int) []byte {
	return stackWith(seed, i, Options{})
}

func stackWith(seed uint64, i int, opts Options) []byte {
	return Stack(rand.New(rand.NewPCG(seed, uint64(i))), fmt.Sprintf("ns-%d", i), opts)
}

// TestLeftToServer: values past the rules kdecl leaves to the API server
// come only with Options.LeftToServer.
func TestLeftToServer(t *testing.T) {
	markers := []string{`"not-an-ip"`, `"spec.bogus"`, `"not a valid"`, `"Robot"`}
	// Such values are rare (a few in 500 stacks): four times as many
	// stacks find some whatever the draws before them.
	count := func(opts Options) int {
		n := 0
		for i := range 4 * stacks {
			src := stackWith(1, i, opts)
			for _, m := range markers {
				n += bytes.Count(src, []byte(m))
			}
		}
		return n
	}
	if n := count(Options{}); n != 0 {
		t.Errorf("%d values past the server's rules without LeftToServer", n)
	}
	if n := count(Options{LeftToServer: true}); n == 0 {
		t.Error("no value past the server's rules with LeftToServer")
	}
}

func TestDeterministic(t *testing.T) {
	for i := range 20 {
		a, b := stack(7, i), stack(7, i)
		if !bytes.Equal(a, b) {
			t.Fatalf("stack %d of seed 7 differs between two draws:\n%s\n---\n%s", i, a, b)
		}
		if c := stack(8, i); bytes.Equal(a, c) {
			t.Errorf("stack %d is the same for seeds 7 and 8", i)
		}
	}
}

// TestParses: every stack is one CUE file of one package that sets its
// namespace.
func TestParses(t *testing.T) {
	for i := range stacks {
		src := stack(1, i)
		f, err := parser.ParseFile(fmt.Sprintf("stack%d.cue", i), src)
		if err != nil {
			t.Fatalf("stack %d: %v\n%s", i, err, src)
		}
		if f.PackageName() == "" {
			t.Errorf("stack %d has no package clause", i)
		}
		if !bytes.Contains(src, []byte(fmt.Sprintf("\nnamespace: %q\n", fmt.Sprintf("ns-%d", i)))) {
			t.Errorf("stack %d does not set namespace ns-%d", i, i)
		}
	}
}

// TestCoverage: the stacks use every field the schema defines and every
// value of its enumerations, so a field added to the schema is one the
// oracle checks too.
func TestCoverage(t *testing.T) {
	f, err := parser.ParseFile("schema.cue", schema.Source())
	if err != nil {
		t.Fatal(err)
	}
	wantFields, wantValues := map[string]bool{}, map[string]bool{}
	ast.Walk(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			if name, ok := labelName(n.Label); ok && !isDefinition(name) {
				wantFields[name] = true
			}
		case *ast.BinaryExpr:
			if n.Op == token.OR {
				for _, lit := range disjuncts(n) {
					wantValues[lit] = true
				}
			}
		}
		return true
	}, nil)

	gotFields, gotValues := map[string]bool{}, map[string]bool{}
	for i := range stacks {
		f, err := parser.ParseFile("stack.cue", stack(1, i))
		if err != nil {
			t.Fatal(err)
		}
		ast.Walk(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Field:
				if name, ok := labelName(n.Label); ok {
					gotFields[name] = true
					gotValues[name] = true // an enumeration of keys: #ResourceName
				}
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil {
					gotValues[s] = true
				}
			}
			return true
		}, nil)
	}
	for _, name := range slices.Sorted(maps.Keys(wantFields)) {
		if !gotFields[name] {
			t.Errorf("no stack sets the schema's field %s: make internal/randstack draw it", name)
		}
	}
	for _, v := range slices.Sorted(maps.Keys(wantValues)) {
		if !gotValues[v] {
			t.Errorf("no stack uses the schema's value %q: make internal/randstack draw it", v)
		}
	}
}

func labelName(l ast.Label) (string, bool) {
	switch l := l.(type) {
	case *ast.Ident:
		return l.Name, true
	case *ast.BasicLit:
		s, err := strconv.Unquote(l.Value)
		return s, err == nil
	}
	return "", false // a pattern constraint such as [#EnvName]
}

func isDefinition(name string) bool { return len(name) > 0 && name[0] == '#' }

// disjuncts are the string literals of a disjunction a | b | c.
func disjuncts(e ast.Expr) []string {
	switch e := e.(type) {
	case *ast.BinaryExpr:
		if e.Op == token.OR {
			return append(disjuncts(e.X), disjuncts(e.Y)...)
		}
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil && e.Kind == token.STRING {
			return []string{s}
		}
	}
	return nil
}

// TestTypedCustomResources: some stacks have their Widget typed by a CRD
// in crds/, which kdecl reads: a stack that loads has no warning of an
// unknown kind then, and one drawn past the CRD's schema does not load.
func TestTypedCustomResources(t *testing.T) {
	typed, loaded := 0, 0
	for i := range stacks {
		files := Files(rand.New(rand.NewPCG(1, uint64(i))), fmt.Sprintf("ns-%d", i), Options{})
		if files["crds/widgets.yaml"] == nil {
			continue
		}
		typed++
		dir := t.TempDir()
		for name, data := range files {
			f := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, err := schema.Load(dir)
		if err != nil {
			continue
		}
		loaded++
		for _, w := range s.Warnings {
			if strings.Contains(w.Error(), "Widget") {
				t.Errorf("stack %d: %v", i, w)
			}
		}
	}
	if typed == 0 || loaded == 0 {
		t.Fatalf("%d stacks with a CRD in crds/, %d of them load", typed, loaded)
	}
	t.Logf("%d stacks with a CRD in crds/, %d of them load", typed, loaded)
}
