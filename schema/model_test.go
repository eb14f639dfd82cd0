package schema

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
)

// TestModelMatchesSchema walks #Stack in schema.cue and the Go model that
// Load decodes it into, side by side, and fails on every field that is in
// one and not in the other, under the JSON names decoding uses, on a
// field the schema requires that Go holds by pointer (as if it could be
// absent), and on a leaf whose Go type cannot hold the schema's values.
func TestModelMatchesSchema(t *testing.T) {
	root := SchemaTree(t)
	var problems []string
	c := &modelChecker{report: func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}, defs: SchemaDefs(t)}
	// A stack's apps are decoded one by one into Stack.Apps, which JSON
	// does not name; the rest of the stack is decoded as a whole.
	stack := *root
	stack.Fields = slices.DeleteFunc(slices.Clone(root.Fields), func(f *Node) bool { return f.Name == "apps" })
	c.compare(&stack, reflect.TypeFor[Stack]())
	c.compare(root.Field("apps").Elem, reflect.TypeFor[App]())
	for _, p := range problems {
		t.Error(p)
	}
}

type modelChecker struct {
	report func(path, format string, args ...any)
	defs   map[string]ast.Expr
	// keyed is set under a struct of values by key, which decode into a
	// list whose elements hold their key in a field of their own.
	keyed bool
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

func (c *modelChecker) compare(n *Node, t reflect.Type) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	custom := reflect.PointerTo(t).Implements(unmarshaler) // decodes more than one shape
	switch {
	case custom && n.Leaf != nil:
		return // a value of several forms, as PortRef: a name or a number
	case n.Alts != nil:
		if !custom {
			c.report(n.Path, "the schema allows several forms, and Go type %s does not decode them all (no UnmarshalJSON)", t)
		}
		for _, a := range n.Alts {
			c.compareAlt(a, t)
		}
	case n.Fields != nil && n.Elem != nil && t.Kind() == reflect.Map:
		// a struct of some fields and a pattern: a map in Go
		for _, f := range n.Fields {
			c.compare(f, t.Elem())
		}
		c.compare(n.Elem, t.Elem())
	case n.Fields != nil:
		if t.Kind() != reflect.Struct {
			c.report(n.Path, "a struct in the schema, %s in Go", t)
			return
		}
		c.fields(n, t)
	case n.Elem != nil && n.List:
		if t.Kind() != reflect.Slice {
			c.report(n.Path, "a list in the schema, %s in Go", t)
			return
		}
		c.compare(n.Elem, t.Elem())
	case n.Elem != nil:
		if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String {
			c.report(n.Path, "a map in the schema, %s in Go", t)
			return
		}
		c.compare(n.Elem, t.Elem())
	case n.Leaf != nil:
		want := c.leafKind(n.Leaf, 0)
		if got := goKind(t); want != "" && got != want {
			c.report(n.Path, "%s in the schema (%s), %s in Go", want, strings.TrimSpace(ExprSource(n.Leaf)), t)
		}
	}
}

// compareAlt compares one form of a value that t decodes itself: a leaf
// it takes as it is, a struct of values by key (uses: redis: {}) as a
// list of them that Go fills in from the keys, and any other form as t.
func (c *modelChecker) compareAlt(a *Node, t reflect.Type) {
	switch {
	case a.Leaf != nil:
	case a.Elem != nil && !a.List && t.Kind() == reflect.Slice:
		keyed := *c
		keyed.keyed = true
		keyed.compare(a.Elem, t.Elem())
	default:
		c.compare(a, t)
	}
}

// fields compares the fields of a struct, by the names JSON decodes.
func (c *modelChecker) fields(n *Node, t reflect.Type) {
	goFields := map[string]reflect.StructField{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue // set by Load, never decoded
		case name == "" && f.IsExported():
			name = f.Name // what encoding/json decodes without a tag
		case name == "":
			continue
		}
		goFields[name] = f
	}
	for _, child := range n.Fields {
		f, ok := goFields[child.Name]
		if !ok {
			c.report(child.Path, "in the schema, but no field of Go type %s decodes it: a stack could set it and kdecl would drop it", t)
			continue
		}
		delete(goFields, child.Name)
		if !child.Optional && f.Type.Kind() == reflect.Pointer {
			c.report(child.Path, "required in the schema, but a pointer (%s.%s) in Go", t.Name(), f.Name)
		}
		c.compare(child, f.Type)
	}
	if c.keyed {
		return // Go fills in what the key says
	}
	for _, name := range slices.Sorted(maps.Keys(goFields)) {
		c.report(join(n.Path, name), "Go field %s.%s decodes it, but the schema has no such field", t.Name(), goFields[name].Name)
	}
}

// leafKind is int, string or bool: what a leaf's values are, from its
// CUE expression; "" when it cannot tell.
func (c *modelChecker) leafKind(e ast.Expr, depth int) string {
	if depth > 20 {
		return ""
	}
	switch e := e.(type) {
	case *ast.Ident:
		switch e.Name {
		case "int", "uint":
			return "int"
		case "string":
			return "string"
		case "bool":
			return "bool"
		}
		if def, ok := c.defs[e.Name]; ok {
			return c.leafKind(def, depth+1)
		}
	case *ast.BasicLit:
		switch {
		case strings.HasPrefix(e.Value, `"`) || strings.HasPrefix(e.Value, "#"):
			return "string"
		case e.Value == "true" || e.Value == "false":
			return "bool"
		}
		return "int"
	case *ast.UnaryExpr:
		if op := e.Op.String(); op == "=~" || op == "!~" {
			return "string"
		}
		return c.leafKind(e.X, depth+1)
	case *ast.ParenExpr:
		return c.leafKind(e.X, depth+1)
	case *ast.CallExpr:
		return "" // strings.MaxRunes and such: a rule, not a kind
	case *ast.BinaryExpr:
		x, y := c.leafKind(e.X, depth+1), c.leafKind(e.Y, depth+1)
		switch {
		case x == "":
			return y
		case y == "" || x == y:
			return x
		}
		return "mixed"
	}
	return ""
}

func goKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "int"
	}
	return t.String()
}
