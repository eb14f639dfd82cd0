package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// A validator says whether a value, as encoding/json decodes a stack's
// JSON export (numbers as json.Number), is one the schema accepts. It is
// compiled from schema.cue itself, so that a stack that is valid, as
// nearly every stack rendered is, is checked without unifying it with
// the schema in CUE, which costs several times the stack's own
// evaluation. It only answers yes or no: a value it refuses is checked
// by CUE, which says why, at which position. It must never accept what
// CUE refuses (TestValidatorAgreesWithCUE holds it to that); where it
// cannot tell, it refuses.
//
// key is the key of the nearest map element the value is in, for a
// pattern's alias: sidecars: [Name=#DNSLabel]: {name: Name}.
type validator func(v any, key string) bool

// validators are #Stack's, compiled once: the stack's fields but apps,
// and #App.
var validators = sync.OnceValues(func() (*stackValidators, error) {
	f, err := parser.ParseFile(schemaFile, schemaSource)
	if err != nil {
		return nil, err
	}
	c := &compiler{defs: map[string]ast.Expr{}, compiled: map[string]validator{}}
	for _, d := range f.Decls {
		if field, ok := d.(*ast.Field); ok {
			if id, ok := field.Label.(*ast.Ident); ok && strings.HasPrefix(id.Name, "#") {
				c.defs[id.Name] = field.Value
			}
		}
	}
	stack, ok := c.defs["#Stack"].(*ast.StructLit)
	if !ok {
		return nil, fmt.Errorf("#Stack is not a struct")
	}
	sv := &stackValidators{fields: map[string]validator{}}
	for _, e := range stack.Elts {
		field, ok := e.(*ast.Field)
		if !ok {
			return nil, fmt.Errorf("#Stack: %T is not a field", e)
		}
		name, ok := labelString(field.Label)
		if !ok {
			return nil, fmt.Errorf("#Stack: a field whose label is no name")
		}
		if name == "apps" {
			continue
		}
		if sv.fields[name], err = c.compile(field.Value, true); err != nil {
			return nil, fmt.Errorf("#Stack.%s: %w", name, err)
		}
	}
	if sv.app, err = c.compile(&ast.Ident{Name: "#App"}, true); err != nil {
		return nil, err
	}
	return sv, nil
})

// stackValidators check a stack's fields, and each of its apps.
type stackValidators struct {
	fields map[string]validator
	app    validator
}

type compiler struct {
	defs     map[string]ast.Expr
	compiled map[string]validator // definitions, by name, closed
	building []string             // the definitions being compiled
}

// compile compiles expr; closed is whether its structs are closed, as in
// a definition.
func (c *compiler) compile(expr ast.Expr, closed bool) (validator, error) {
	switch e := expr.(type) {
	case *ast.ParenExpr:
		return c.compile(e.X, closed)
	case *ast.Ident:
		return c.ident(e.Name)
	case *ast.BasicLit:
		return literal(e)
	case *ast.UnaryExpr:
		return unary(e)
	case *ast.CallExpr:
		return call(e)
	case *ast.BinaryExpr:
		switch e.Op {
		case token.AND:
			return c.conjunction(e, closed)
		case token.OR:
			x, err := c.compile(e.X, closed)
			if err != nil {
				return nil, err
			}
			y, err := c.compile(e.Y, closed)
			if err != nil {
				return nil, err
			}
			return func(v any, key string) bool { return x(v, key) || y(v, key) }, nil
		}
	case *ast.StructLit:
		s, err := c.structOf(e, closed)
		if err != nil {
			return nil, err
		}
		return s.validator(), nil
	case *ast.ListLit:
		return c.list(e, closed)
	}
	return nil, fmt.Errorf("the validator cannot compile %s", astString(expr))
}

func (c *compiler) ident(name string) (validator, error) {
	switch name {
	case "string":
		return func(v any, _ string) bool { _, ok := v.(string); return ok }, nil
	case "bool":
		return func(v any, _ string) bool { _, ok := v.(bool); return ok }, nil
	case "int":
		return func(v any, _ string) bool { _, ok := integer(v); return ok }, nil
	case "_":
		return func(any, string) bool { return true }, nil
	case aliasKey:
		return func(v any, key string) bool { return v == key }, nil
	}
	if v, ok := c.compiled[name]; ok {
		return v, nil
	}
	def, ok := c.defs[name]
	if !ok {
		return nil, fmt.Errorf("no definition %s", name)
	}
	if slices.Contains(c.building, name) {
		return nil, fmt.Errorf("%s refers to itself", name)
	}
	c.building = append(c.building, name)
	v, err := c.compile(def, true) // a definition closes its structs
	c.building = c.building[:len(c.building)-1]
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.compiled[name] = v
	return v, nil
}

// conjunction is a & b: structs (after references) merge into one, as
// CUE closes the conjunction of the structs of one definition as a whole;
// anything else must hold on both sides.
func (c *compiler) conjunction(e *ast.BinaryExpr, closed bool) (validator, error) {
	var operands []ast.Expr
	var flatten func(x ast.Expr)
	flatten = func(x ast.Expr) {
		if b, ok := x.(*ast.BinaryExpr); ok && b.Op == token.AND {
			flatten(b.X)
			flatten(b.Y)
			return
		}
		if p, ok := x.(*ast.ParenExpr); ok {
			flatten(p.X)
			return
		}
		operands = append(operands, x)
	}
	flatten(e)
	var merged *structValidator
	var others []validator
	for _, op := range operands {
		lit := c.structLit(op)
		if lit == nil {
			v, err := c.compile(op, closed)
			if err != nil {
				return nil, err
			}
			others = append(others, v)
			continue
		}
		s, err := c.structOf(lit, closed || c.isDef(op))
		if err != nil {
			return nil, err
		}
		if merged == nil {
			merged = s
		} else {
			merged = merged.merge(s)
		}
	}
	if merged != nil {
		others = append(others, merged.validator())
	}
	return func(v any, key string) bool {
		for _, o := range others {
			if !o(v, key) {
				return false
			}
		}
		return true
	}, nil
}

// structLit is the struct literal op is, or refers to, or nil.
func (c *compiler) structLit(op ast.Expr) *ast.StructLit {
	for range 8 {
		switch x := op.(type) {
		case *ast.StructLit:
			return x
		case *ast.ParenExpr:
			op = x.X
		case *ast.Ident:
			def, ok := c.defs[x.Name]
			if !ok {
				return nil
			}
			op = def
		default:
			return nil
		}
	}
	return nil
}

func (c *compiler) isDef(op ast.Expr) bool {
	id, ok := op.(*ast.Ident)
	return ok && strings.HasPrefix(id.Name, "#")
}

// structValidator checks a struct: its fields, its patterns, and whether
// it takes other fields.
type structValidator struct {
	fields   map[string]validator
	required []string
	patterns []pattern
	open     bool
}

type pattern struct {
	key   validator
	value validator
}

func (c *compiler) structOf(lit *ast.StructLit, closed bool) (*structValidator, error) {
	s := &structValidator{fields: map[string]validator{}, open: !closed}
	for _, elt := range lit.Elts {
		switch e := elt.(type) {
		case *ast.Ellipsis:
			if e.Type != nil {
				return nil, fmt.Errorf("a typed ...")
			}
			s.open = true
		case *ast.Field:
			if list, ok := e.Label.(*ast.ListLit); ok { // [pattern]: value
				if len(list.Elts) != 1 {
					return nil, fmt.Errorf("a pattern of %d elements", len(list.Elts))
				}
				keyExpr, alias := list.Elts[0], ""
				if a, ok := keyExpr.(*ast.Alias); ok {
					keyExpr, alias = a.Expr, a.Ident.Name
				}
				key, err := c.compile(keyExpr, closed)
				if err != nil {
					return nil, err
				}
				value, err := c.withAlias(alias, e.Value, closed)
				if err != nil {
					return nil, err
				}
				s.patterns = append(s.patterns, pattern{key, value})
				continue
			}
			name, ok := labelString(e.Label)
			if !ok {
				return nil, fmt.Errorf("a field whose label is no name")
			}
			v, err := c.compile(e.Value, closed)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if prev, ok := s.fields[name]; ok {
				v = both(prev, v)
			}
			s.fields[name] = v
			// A field set to the key is the schema's to fill in: no stack
			// writes it.
			provided := false
			if id, ok := e.Value.(*ast.Ident); ok && id.Name == aliasKey {
				provided = true
			}
			if e.Constraint != token.OPTION && !provided && !slices.Contains(s.required, name) {
				s.required = append(s.required, name)
			}
		default:
			return nil, fmt.Errorf("the validator cannot compile %T in a struct", elt)
		}
	}
	return s, nil
}

// withAlias compiles value, in which alias (if not "") names the key.
func (c *compiler) withAlias(alias string, value ast.Expr, closed bool) (validator, error) {
	if alias == "" {
		return c.compile(value, closed)
	}
	// The one use the schema makes of an alias: {name: Alias} beside a
	// definition. Compile the alias as "the key", then the rest.
	renamed := ast.Expr(value)
	ast.Walk(renamed, nil, func(n ast.Node) {
		if id, ok := n.(*ast.Ident); ok && id.Name == alias {
			id.Name = aliasKey
		}
	})
	return c.compile(renamed, closed)
}

// aliasKey stands for the key of a pattern in its value.
const aliasKey = "\x00key"

func (s *structValidator) merge(o *structValidator) *structValidator {
	m := &structValidator{fields: map[string]validator{}, open: s.open && o.open}
	for name, v := range s.fields {
		m.fields[name] = v
	}
	for name, v := range o.fields {
		if prev, ok := m.fields[name]; ok {
			v = both(prev, v)
		}
		m.fields[name] = v
	}
	m.required = append(slices.Clone(s.required), o.required...)
	m.patterns = append(slices.Clone(s.patterns), o.patterns...)
	return m
}

func both(a, b validator) validator {
	return func(v any, key string) bool { return a(v, key) && b(v, key) }
}

func (s *structValidator) validator() validator {
	return func(v any, key string) bool {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for _, name := range s.required {
			if _, ok := m[name]; !ok {
				return false
			}
		}
		for name, x := range m {
			f, ok := s.fields[name]
			if ok && !f(x, key) {
				return false
			}
			matched := false
			for _, p := range s.patterns {
				if p.key(name, "") {
					matched = true
					if !p.value(x, name) {
						return false
					}
				}
			}
			if !ok && !matched && !s.open {
				return false
			}
		}
		return true
	}
}

func (c *compiler) list(l *ast.ListLit, closed bool) (validator, error) {
	var prefix []validator
	var rest validator
	for _, elt := range l.Elts {
		if e, ok := elt.(*ast.Ellipsis); ok {
			t := ast.Expr(&ast.Ident{Name: "_"})
			if e.Type != nil {
				t = e.Type
			}
			v, err := c.compile(t, closed)
			if err != nil {
				return nil, err
			}
			rest = v
			continue
		}
		v, err := c.compile(elt, closed)
		if err != nil {
			return nil, err
		}
		prefix = append(prefix, v)
	}
	return func(v any, key string) bool {
		l, ok := v.([]any)
		if !ok || len(l) < len(prefix) || rest == nil && len(l) != len(prefix) {
			return false
		}
		for i, x := range l {
			check := rest
			if i < len(prefix) {
				check = prefix[i]
			}
			if !check(x, key) {
				return false
			}
		}
		return true
	}, nil
}

// literal is a string or integer literal: the value must equal it.
func literal(e *ast.BasicLit) (validator, error) {
	switch e.Kind {
	case token.STRING:
		s, err := strconv.Unquote(e.Value)
		if err != nil {
			return nil, err
		}
		return func(v any, _ string) bool { return v == s }, nil
	case token.INT:
		n, ok := new(big.Int).SetString(strings.ReplaceAll(e.Value, "_", ""), 0)
		if !ok {
			return nil, fmt.Errorf("integer %s", e.Value)
		}
		return func(v any, _ string) bool { x, ok := integer(v); return ok && x.Cmp(n) == 0 }, nil
	}
	return nil, fmt.Errorf("the validator cannot compile the literal %s", e.Value)
}

// unary is a bound: =~ and !~ of a regular expression, <, <=, >, >= of an
// integer, != of a string.
func unary(e *ast.UnaryExpr) (validator, error) {
	lit, ok := e.X.(*ast.BasicLit)
	negative := false
	if u, isUnary := e.X.(*ast.UnaryExpr); isUnary && u.Op == token.SUB {
		lit, ok = u.X.(*ast.BasicLit)
		negative = true
	}
	if !ok || negative && lit.Kind != token.INT {
		return nil, fmt.Errorf("the validator cannot compile a bound of %s", astString(e.X))
	}
	switch e.Op {
	case token.MAT, token.NMAT:
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return nil, err
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, err
		}
		want := e.Op == token.MAT
		return func(v any, _ string) bool { s, ok := v.(string); return ok && re.MatchString(s) == want }, nil
	case token.NEQ:
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return nil, err
		}
		return func(v any, _ string) bool { x, ok := v.(string); return ok && x != s }, nil
	case token.LSS, token.LEQ, token.GTR, token.GEQ:
		n, ok := new(big.Int).SetString(strings.ReplaceAll(lit.Value, "_", ""), 0)
		if !ok || lit.Kind != token.INT {
			return nil, fmt.Errorf("the validator cannot compile the bound %s", lit.Value)
		}
		if negative {
			n.Neg(n)
		}
		op := e.Op
		return func(v any, _ string) bool {
			x, ok := integer(v)
			if !ok {
				return false
			}
			c := x.Cmp(n)
			switch op {
			case token.LSS:
				return c < 0
			case token.LEQ:
				return c <= 0
			case token.GTR:
				return c > 0
			}
			return c >= 0
		}, nil
	}
	return nil, fmt.Errorf("the validator cannot compile the operator %s", e.Op)
}

// call is strings.MaxRunes(n).
func call(e *ast.CallExpr) (validator, error) {
	sel, ok := e.Fun.(*ast.SelectorExpr)
	if !ok || astString(sel) != "strings.MaxRunes" || len(e.Args) != 1 {
		return nil, fmt.Errorf("the validator cannot compile %s", astString(e))
	}
	lit, ok := e.Args[0].(*ast.BasicLit)
	if !ok {
		return nil, fmt.Errorf("the validator cannot compile %s", astString(e))
	}
	n, err := strconv.Atoi(lit.Value)
	if err != nil {
		return nil, err
	}
	return func(v any, _ string) bool { s, ok := v.(string); return ok && utf8.RuneCountInString(s) <= n }, nil
}

// integer is v as an integer, if it is one: a JSON number without a
// fraction or exponent, as CUE exports an int.
func integer(v any) (*big.Int, bool) {
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(string(n), ".eE") {
		return nil, false
	}
	return new(big.Int).SetString(string(n), 10)
}

// astString is the CUE of an expression, for a message.
func astString(e ast.Node) string {
	b, err := format.Node(e)
	if err != nil {
		return fmt.Sprint(e)
	}
	return string(b)
}

// labelString is a field's label as a name.
func labelString(l ast.Label) (string, bool) {
	switch l := l.(type) {
	case *ast.Ident:
		return l.Name, true
	case *ast.BasicLit:
		s, err := strconv.Unquote(l.Value)
		return s, err == nil
	}
	return "", false
}
