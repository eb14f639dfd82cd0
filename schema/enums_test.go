package schema

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const enumsFile = "enums_gen.go"

// alphaValues are values of enumerated types that API servers refuse
// unless an alpha feature gate is on, where k8s.io/api does not mark them
// +featureGate, by type.
var alphaValues = map[string][]string{
	"k8s.io/api/core/v1.TolerationOperator": {"Lt", "Gt"}, // TaintTolerationComparisonOperators
}

// TestEnumsCurrent keeps enums_gen.go what k8s.io/api declares: every
// string type marked +enum in the packages of the kinds kdecl knows, with
// the values of its constants. go test ./schema -update rewrites the file.
func TestEnumsCurrent(t *testing.T) {
	pkgs := map[string]bool{}
	for _, typ := range kinds().AllKnownTypes() {
		if strings.HasPrefix(typ.PkgPath(), "k8s.io/api/") {
			pkgs[typ.PkgPath()] = true
		}
	}
	args := append([]string{"list", "-f", "{{.ImportPath}} {{.Dir}} {{.Module.Version}}"}, sortedKeys(pkgs)...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var version string
	var enums []enumType
	for line := range strings.Lines(string(out)) {
		importPath, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		dir, v, _ := strings.Cut(rest, " ")
		version = v
		found, err := parseEnums(importPath, dir)
		if err != nil {
			t.Fatal(err)
		}
		enums = append(enums, found...)
	}
	src, err := enumsSource(version, enums)
	if err != nil {
		t.Fatal(err)
	}
	if updateEnums() {
		if err := os.WriteFile(enumsFile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(enumsFile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(src), string(have)); diff != "" {
		t.Errorf("%s is not what k8s.io/api declares; go test ./schema -update rewrites it (-want +have):\n%s", enumsFile, diff)
	}
	if len(enums) < 40 {
		t.Errorf("found %d enumerated types in k8s.io/api; the +enum marker is not what it was", len(enums))
	}
}

func updateEnums() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// enumType is a string type of k8s.io/api marked +enum.
type enumType struct {
	pkg        string // import path
	name       string
	values     []string
	incomplete bool // a constant's value is not a literal
}

// parseEnums finds the enumerated types of the package in dir and the
// values of their constants, in the order the source declares them.
func parseEnums(importPath, dir string) ([]enumType, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	byName := map[string]*enumType{}
	var order []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				if id, ok := ts.Type.(*ast.Ident); ok && id.Name == "string" && hasMarker(doc, "+enum") {
					byName[ts.Name.Name] = &enumType{pkg: importPath, name: ts.Name.Name}
					order = append(order, ts.Name.Name)
				}
			}
		}
	}
	for _, f := range parsed {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				if hasMarkerPrefix(vs.Doc, "+featureGate=") {
					continue // alpha: a server refuses it by default
				}
				for _, v := range vs.Values {
					typ, lit := constOf(vs.Type, v)
					e := byName[typ]
					if e == nil {
						continue
					}
					if lit == nil || lit.Kind != token.STRING {
						e.incomplete = true
						continue
					}
					val, err := strconv.Unquote(lit.Value)
					if err != nil {
						return nil, err
					}
					if !slices.Contains(e.values, val) && !slices.Contains(alphaValues[importPath+"."+typ], val) {
						e.values = append(e.values, val)
					}
				}
			}
		}
	}
	slices.Sort(order)
	var enums []enumType
	for _, name := range order {
		if e := byName[name]; len(e.values) > 0 && !e.incomplete {
			enums = append(enums, *e)
		}
	}
	return enums, nil
}

// constOf is the type and literal of a constant declared as T = "x" or
// = T("x").
func constOf(typ ast.Expr, v ast.Expr) (string, *ast.BasicLit) {
	if id, ok := typ.(*ast.Ident); ok {
		lit, _ := v.(*ast.BasicLit)
		return id.Name, lit
	}
	if call, ok := v.(*ast.CallExpr); ok && len(call.Args) == 1 {
		id, _ := call.Fun.(*ast.Ident)
		lit, _ := call.Args[0].(*ast.BasicLit)
		if id != nil {
			return id.Name, lit
		}
	}
	return "", nil
}

func hasMarker(doc *ast.CommentGroup, marker string) bool {
	return doc != nil && slices.ContainsFunc(doc.List, func(c *ast.Comment) bool {
		return strings.TrimSpace(strings.TrimPrefix(c.Text, "//")) == marker
	})
}

func hasMarkerPrefix(doc *ast.CommentGroup, prefix string) bool {
	return doc != nil && slices.ContainsFunc(doc.List, func(c *ast.Comment) bool {
		return strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(c.Text, "//")), prefix)
	})
}

// enumsSource is enums_gen.go.
func enumsSource(version string, enums []enumType) ([]byte, error) {
	alias := func(pkg string) string { // k8s.io/api/core/v1 → corev1
		return path.Base(path.Dir(pkg)) + path.Base(pkg)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by TestEnumsCurrent from k8s.io/api %s (go test ./schema -update). DO NOT EDIT.\n\n", version)
	b.WriteString("package schema\n\nimport (\n\t\"reflect\"\n\n")
	var imports []string
	for _, e := range enums {
		imports = append(imports, fmt.Sprintf("\t%s %q\n", alias(e.pkg), e.pkg))
	}
	slices.Sort(imports)
	for _, imp := range slices.Compact(imports) {
		b.WriteString(imp)
	}
	b.WriteString(")\n\n// enums are the values of k8s.io/api's enumerated string types (+enum).\nvar enums = map[reflect.Type][]string{\n")
	for _, e := range enums {
		fmt.Fprintf(&b, "\treflect.TypeFor[%s.%s](): {", alias(e.pkg), e.name)
		for i, v := range e.values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(v))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
