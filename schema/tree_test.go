package schema

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
)

// Node is a field of the schema as schema.cue writes it, with every
// definition it refers to resolved: the tree the tests of the schema walk.
type Node struct {
	// Path is the path of the field from the stack, with * for a key of a
	// map and [] for an element of a list: apps.*.config.files.*.
	Path     string
	Name     string
	Optional bool
	// Doc is the field's comment.
	Doc string

	// A field is one of: a struct (Fields), a map or a list (Elem, with
	// Key the pattern of a map's keys), a disjunction of a value and a
	// struct (Alts), or a leaf (Leaf, its CUE expression).
	Fields []*Node
	Elem   *Node
	List   bool
	Key    ast.Expr
	Alts   []*Node
	Leaf   ast.Expr
}

// SchemaTree is #Stack, from schema.cue.
func SchemaTree(t testing.TB) *Node {
	t.Helper()
	defs := SchemaDefs(t)
	w := &walker{defs: defs}
	root := w.shape("", defs["#Stack"], 0)
	if w.err != nil {
		t.Fatal(w.err)
	}
	return root
}

// SchemaDefs are the definitions of schema.cue by name, like #Port.
func SchemaDefs(t testing.TB) map[string]ast.Expr {
	t.Helper()
	f, err := parser.ParseFile(schemaFile, schemaSource, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	defs := map[string]ast.Expr{}
	for _, d := range f.Decls {
		if field, ok := d.(*ast.Field); ok {
			if id, ok := field.Label.(*ast.Ident); ok && strings.HasPrefix(id.Name, "#") {
				defs[id.Name] = field.Value
			}
		}
	}
	return defs
}

type walker struct {
	defs map[string]ast.Expr
	err  error
}

// shape is the node of expr at path.
func (w *walker) shape(path string, expr ast.Expr, depth int) *Node {
	n := &Node{Path: path}
	if depth > 20 {
		w.err = fmt.Errorf("%s: the schema nests too deep", path)
		return n
	}
	switch e := expr.(type) {
	case *ast.ParenExpr:
		return w.shape(path, e.X, depth+1)
	case *ast.Ident:
		if def, ok := w.defs[e.Name]; ok && isStructured(def, w.defs, 0) {
			return w.shape(path, def, depth+1)
		}
		n.Leaf = expr
	case *ast.StructLit:
		if slices.ContainsFunc(e.Elts, func(d ast.Decl) bool { _, ok := d.(*ast.Ellipsis); return ok }) {
			n.Leaf = expr // an open struct: any fields
			break
		}
		for _, d := range e.Elts {
			f, ok := d.(*ast.Field)
			if !ok {
				w.err = fmt.Errorf("%s: unexpected %T in a struct", path, d)
				continue
			}
			if key, ok := f.Label.(*ast.ListLit); ok { // [KEY]: VALUE or [Name=KEY]: VALUE
				n.Key = key.Elts[0]
				if a, ok := n.Key.(*ast.Alias); ok {
					n.Key = a.Expr
				}
				n.Elem = w.shape(join(path, "*"), f.Value, depth+1)
				continue
			}
			name, _ := labelString(f.Label)
			child := w.shape(join(path, name), f.Value, depth+1)
			child.Name = name
			child.Optional = f.Constraint.String() == "?"
			child.Doc = docOf(f)
			n.Fields = append(n.Fields, child)
		}
	case *ast.ListLit:
		if len(e.Elts) == 0 {
			n.Leaf = expr
			break
		}
		elem := e.Elts[len(e.Elts)-1]
		if el, ok := elem.(*ast.Ellipsis); ok {
			elem = el.Type
		}
		n.List = true
		n.Elem = w.shape(join(path, "[]"), elem, depth+1)
	case *ast.BinaryExpr:
		switch e.Op.String() {
		case "&":
			x, y := w.shape(path, e.X, depth+1), w.shape(path, e.Y, depth+1)
			switch {
			case x.Leaf != nil && y.Leaf != nil:
				n.Leaf = expr
			case x.Leaf != nil:
				return y // a struct, list or map constrained by a leaf's rule
			case y.Leaf != nil:
				return x
			default:
				return merge(x, y)
			}
		case "|":
			alts := []*Node{w.shape(path, e.X, depth+1), w.shape(path, e.Y, depth+1)}
			if !slices.ContainsFunc(alts, func(a *Node) bool { return a.Leaf == nil }) {
				n.Leaf = expr
				break
			}
			for _, a := range alts {
				if len(a.Alts) > 0 {
					n.Alts = append(n.Alts, a.Alts...)
				} else {
					n.Alts = append(n.Alts, a)
				}
			}
		default:
			n.Leaf = expr
		}
	default:
		n.Leaf = expr
	}
	return n
}

// isStructured is whether a definition is a struct, list or map, or a
// disjunction with one, rather than a leaf's rule.
func isStructured(expr ast.Expr, defs map[string]ast.Expr, depth int) bool {
	if depth > 20 {
		return false
	}
	switch e := expr.(type) {
	case *ast.StructLit, *ast.ListLit:
		return true
	case *ast.ParenExpr:
		return isStructured(e.X, defs, depth+1)
	case *ast.Ident:
		def, ok := defs[e.Name]
		return ok && isStructured(def, defs, depth+1)
	case *ast.BinaryExpr:
		return isStructured(e.X, defs, depth+1) || isStructured(e.Y, defs, depth+1)
	}
	return false
}

// merge unifies two structs: the fields of both, required if either
// requires them.
func merge(x, y *Node) *Node {
	out := *x
	out.Fields = slices.Clone(x.Fields)
	for _, f := range y.Fields {
		i := slices.IndexFunc(out.Fields, func(g *Node) bool { return g.Name == f.Name })
		if i < 0 {
			out.Fields = append(out.Fields, f)
			continue
		}
		g := *out.Fields[i]
		g.Optional = g.Optional && f.Optional
		if g.Doc == "" {
			g.Doc = f.Doc
		}
		out.Fields[i] = &g
	}
	if out.Elem == nil {
		out.Elem, out.Key, out.List = y.Elem, y.Key, y.List
	}
	return &out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func docOf(f *ast.Field) string {
	var parts []string
	for _, c := range ast.Comments(f) {
		if c.Doc {
			parts = append(parts, strings.TrimSpace(c.Text()))
		}
	}
	return strings.Join(parts, " ")
}

// ExprSource is the CUE of an expression.
func ExprSource(e ast.Expr) string {
	b, err := format.Node(e)
	if err != nil {
		return fmt.Sprint(e)
	}
	return string(b)
}

// Walk calls fn with every node under n, n first.
func (n *Node) Walk(fn func(*Node)) {
	fn(n)
	for _, f := range n.Fields {
		f.Walk(fn)
	}
	if n.Elem != nil {
		n.Elem.Walk(fn)
	}
	for _, a := range n.Alts {
		a.Walk(fn)
	}
}

// Field is the field of n called name, or nil.
func (n *Node) Field(name string) *Node {
	for _, f := range n.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Struct is the struct of n: n itself, or its alternative that is one.
func (n *Node) Struct() *Node {
	if n.Fields != nil || n.Alts == nil {
		return n
	}
	for _, a := range n.Alts {
		if a.Fields != nil {
			return a
		}
	}
	return n
}

func TestSchemaTree(t *testing.T) {
	root := SchemaTree(t)
	app := root.Field("apps").Elem
	for _, path := range []string{"image", "ports", "config", "probes", "storage", "sidecars"} {
		if app.Field(path) == nil {
			t.Errorf("#App has no field %s in the tree", path)
		}
	}
	if p := app.Field("ports").Elem; len(p.Alts) != 2 || p.Struct().Field("protocol") == nil {
		t.Errorf("a port is not a number or a struct with protocol: %+v", p)
	}
	if f := app.Field("image"); f.Optional || f.Leaf == nil {
		t.Errorf("image is not a required leaf: %+v", f)
	}
	if ic := app.Field("initContainers"); !ic.List || ic.Elem.Field("name") == nil || ic.Elem.Field("name").Optional {
		t.Errorf("initContainers is not a list of containers with a required name: %+v", ic)
	}
	if d := app.Field("replicas").Doc; !strings.Contains(d, "1 when unset") {
		t.Errorf("doc of replicas: %q", d)
	}
}
