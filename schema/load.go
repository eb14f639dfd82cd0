// Package schema turns a directory of CUE into a validated Stack: it owns the
// embedded CUE schema, the Go model types that mirror it, and the loader.
// It is the only package of kdecl that imports cuelang.org/go.
package schema

import (
	_ "embed"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"
)

//go:embed schema.cue
var schemaSource []byte

// schemaFile names the embedded schema in positions. It cannot exist on disk
// next to a stack, so positions in it are never mistaken for the user's.
const schemaFile = "kdecl:schema.cue"

// Source returns the CUE schema every stack is checked against.
func Source() string { return string(schemaSource) }

// Load evaluates the CUE package in dir once, checks it against the schema,
// and returns the stack with every default applied. All problems come back
// at once as Errors.
func Load(dir string) (*Stack, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	l := &loader{dir: dir, abs: abs}
	return l.load()
}

type loader struct {
	dir, abs string
	user     cue.Value // the stack as written, for positions
	errs     []*Error
	warnings []*Error
}

func (l *loader) load() (*Stack, error) {
	insts := load.Instances([]string{"."}, &load.Config{
		Dir: l.abs,
		Env: []string{}, // hermetic: a user's CUE_* variables change nothing
	})
	if len(insts) != 1 {
		return nil, fmt.Errorf("%s: want one CUE package, found %d", l.dir, len(insts))
	}
	inst := insts[0]
	if inst.Err != nil {
		if files, _ := filepath.Glob(filepath.Join(l.abs, "*.cue")); len(files) == 0 {
			return nil, fmt.Errorf("%s: no CUE files", l.dir)
		}
		return nil, l.fromCUE(inst.Err)
	}
	ctx := cuecontext.New()
	l.user = ctx.BuildInstance(inst)
	if err := l.user.Err(); err != nil {
		return nil, l.fromCUE(err)
	}
	schema := ctx.CompileBytes(schemaSource, cue.Filename(schemaFile))
	if err := schema.Err(); err != nil {
		return nil, fmt.Errorf("kdecl schema: %w", err) // a bug in kdecl, not in the stack
	}

	def := schema.LookupPath(cue.MakePath(cue.Def("Stack")))
	stack := def.Unify(l.user)
	s := &Stack{}
	l.stackFields(fieldNames(def, nil), stack, s)
	if s.Name == "" {
		s.Name = inst.PkgName
		if !isDNSLabel(s.Name) {
			l.errorAt(l.user, "", "name", fmt.Sprintf("stack name %q (the CUE package name) is not an RFC 1123 label; set name", s.Name))
		}
	}
	checkers, names := l.apps(stack)
	l.dependencies(s, checkers, names)
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		s.Apps = append(s.Apps, *checkers[name].app)
	}
	if len(l.errs) > 0 {
		return nil, Errors(sortErrors(l.errs))
	}
	s.Warnings = sortErrors(l.warnings)
	return s, nil
}

// stackFields checks and decodes the stack's own fields. Unification from
// Go does not close the top level, so unknown fields are found here.
func (l *loader) stackFields(known []string, stack cue.Value, s *Stack) {
	it, err := l.user.Fields()
	if err != nil {
		l.addCUE(err, stack)
		return
	}
	for it.Next() {
		name := label(it.Selector())
		if !slices.Contains(known, name) {
			msg := "unknown field"
			if s := suggest(name, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			l.errorAt(it.Value(), "", fieldString([]string{name}), msg)
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"name", &s.Name}, {"namespace", &s.Namespace}, {"clusterDomain", &s.ClusterDomain}} {
		v := stack.LookupPath(cue.ParsePath(f.name))
		if !v.Exists() {
			continue
		}
		if err := v.Validate(cue.Concrete(true)); err != nil {
			l.addCUE(err, stack)
			continue
		}
		*f.dst, _ = v.String()
	}
}

// apps validates and decodes each app on its own: CUE reports only the
// first error of a struct, so one app's error must not hide another's.
// An app without schema errors is checked further in Go; its checker is
// returned by name, with the names of all apps, valid or not.
func (l *loader) apps(stack cue.Value) (map[string]*appChecker, []string) {
	apps := stack.LookupPath(cue.ParsePath("apps"))
	it, err := apps.Fields()
	if err != nil {
		l.addCUE(apps.Validate(), stack)
		return nil, nil
	}
	checkers := map[string]*appChecker{}
	var names []string
	for it.Next() {
		name := label(it.Selector())
		names = append(names, name)
		if !isAppName(name) {
			l.errorAt(l.lookup([]string{"apps", name}), name, "", "app name is not valid: "+appNameRule)
			continue
		}
		v := it.Value()
		if err := v.Validate(cue.Concrete(true)); err != nil {
			l.addCUE(err, stack)
			continue
		}
		app := &App{Name: name}
		if err := v.Decode(app); err != nil {
			l.addCUE(err, stack)
			continue
		}
		checkers[name] = l.app(app)
	}
	slices.Sort(names)
	return checkers, names
}

// fromCUE converts errors of the load or build step.
func (l *loader) fromCUE(err error) error {
	l.addCUE(err, cue.Value{})
	return Errors(sortErrors(l.errs))
}

// addCUE converts CUE's errors into positioned Errors, one per field. The
// alternatives of a failed disjunction are merged into one message.
func (l *loader) addCUE(err error, stack cue.Value) {
	type group struct {
		path []string
		errs []cueerrors.Error
	}
	var groups []*group
	byPath := map[string]*group{}
	for _, e := range cueerrors.Errors(err) {
		path := e.Path()
		if len(path) > 0 && path[0] == "#Stack" {
			path = path[1:]
		}
		key := strings.Join(path, ".")
		g := byPath[key]
		if g == nil {
			g = &group{path: path}
			byPath[key] = g
			groups = append(groups, g)
		}
		g.errs = append(g.errs, e)
	}
	for _, g := range groups {
		l.addGroup(g.path, g.errs, stack)
	}
}

func (l *loader) addGroup(path []string, errs []cueerrors.Error, stack cue.Value) {
	var pos token.Pos
	var msgs []string
	mismatches := 0
	value := fmt.Sprint(l.lookup(path))
	for _, e := range errs {
		format, args := e.Msg()
		if strings.HasSuffix(format, "errors in empty disjunction:") {
			continue // a header; its alternatives follow
		}
		if !pos.IsValid() {
			pos = l.userPos(append([]token.Pos{e.Position()}, e.InputPositions()...))
		}
		if format == mismatchFormat && len(args) == 4 {
			// CUE names both sides; say which one is the user's.
			got, want := args[2], args[3]
			if fmt.Sprint(args[1]) == value {
				got, want = want, got
			}
			msgs = append(msgs, fmt.Sprintf("%s is %s, want %s", value, article(got), article(want)))
			mismatches++
			continue
		}
		msgs = append(msgs, l.message(path, format, args, stack))
	}
	if len(msgs) == 0 {
		return
	}
	switch {
	case mismatches > 0 && mismatches < len(msgs):
		// An alternative of another type is not what the user meant.
		msgs = slices.DeleteFunc(msgs, func(m string) bool { return strings.Contains(m, ", want ") })
	case mismatches > 1:
		// No alternative has the user's type: name them all at once.
		var wants []string
		for _, m := range msgs {
			_, w, _ := strings.Cut(m, ", want ")
			wants = append(wants, w)
		}
		slices.Sort(wants)
		got, _, _ := strings.Cut(msgs[0], ", want ")
		msgs = []string{got + ", want " + strings.Join(slices.Compact(wants), " or ")}
	}
	if i := slices.IndexFunc(msgs, isRuleMessage); i >= 0 && len(msgs) > 1 {
		// The alternatives are a definition whose rule says it all.
		msgs = msgs[i : i+1]
	}
	app, field := splitPath(path)
	if !pos.IsValid() {
		pos = l.nearestPos(path)
	}
	l.errs = append(l.errs, l.newError(pos, app, field, merge(value, msgs)))
}

// rulePrefix marks a message that explains a value by its definition's rule.
const rulePrefix = "want "

func isRuleMessage(m string) bool {
	return strings.HasPrefix(m, "invalid value ") && strings.Contains(m, ": "+rulePrefix)
}

const mismatchFormat = "conflicting values %s and %s (mismatched types %s and %s)"

func article(kind any) string {
	s := fmt.Sprint(kind)
	if s != "" && strings.ContainsAny(s[:1], "aeiou") {
		return "an " + s
	}
	return "a " + s
}

// message rewrites CUE's terse messages where kdecl knows better.
func (l *loader) message(path []string, format string, args []any, stack cue.Value) string {
	switch {
	case format == "field not allowed" && len(path) > 0:
		parent, name := path[:len(path)-1], path[len(path)-1]
		if _, parentField := splitPath(parent); keyRules[parentField] != "" {
			return "not a valid name: " + keyRules[parentField]
		}
		msg := "unknown field"
		if s := suggest(strings.Trim(name, `"`), fieldNames(stack, parent)); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return msg
	case strings.HasPrefix(format, "incomplete value"):
		return "missing required field"
	case strings.HasPrefix(format, "incompatible list lengths"):
		return "must not be empty" // the only fixed-length prefix in the schema is [x, ...x]
	case format == "invalid value %v (out of bound %s)" && len(args) == 2:
		if rule, ok := boundRules[fmt.Sprint(args[1])]; ok {
			return fmt.Sprintf("invalid value %v: %s%s", args[0], rulePrefix, rule)
		}
	}
	return fmt.Sprintf(format, args...)
}

// merge joins the failures of the alternatives of a disjunction: as
// "value is not one of a, b, c" where each is a conflict with the user's
// value, else one after the other.
func merge(value string, msgs []string) string {
	if len(msgs) == 1 && !strings.HasPrefix(msgs[0], "conflicting values") {
		return msgs[0]
	}
	var want []string
	for _, m := range msgs {
		a, b, ok := conflict(m)
		switch {
		case ok && a == value:
			want = append(want, b)
		case ok && b == value:
			want = append(want, a)
		default:
			slices.Sort(msgs)
			return strings.Join(slices.Compact(msgs), "; or ")
		}
	}
	slices.Sort(want)
	return fmt.Sprintf("%s is not one of %s", value, strings.Join(slices.Compact(want), ", "))
}

func conflict(msg string) (a, b string, ok bool) {
	rest, ok := strings.CutPrefix(msg, "conflicting values ")
	if !ok {
		return "", "", false
	}
	rest, _, _ = strings.Cut(rest, " (mismatched types")
	a, b, ok = strings.Cut(rest, " and ")
	return a, b, ok
}

// keyRules explain the names a map of the schema accepts, by the map's
// path in an app (or the stack).
var keyRules = map[string]string{
	"env":                envNameRule,
	"config.env":         envNameRule,
	"config.fileEnv":     envNameRule,
	"config.files":       "a ConfigMap key has only letters, digits, '-', '_' and '.'",
	"ports":              portNameRule,
	"expose.nodePorts":   portNameRule,
	"annotations":        annotationRule,
	"podAnnotations":     annotationRule,
	"expose.annotations": annotationRule,
	"resources.requests": resourceRule,
	"resources.limits":   resourceRule,
}

const (
	appNameRule    = "use at most 52 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (an RFC 1035 label with room for the suffixes Kubernetes adds)"
	envNameRule    = "an environment variable name must match [-._a-zA-Z][-._a-zA-Z0-9]*; Kubernetes skips other names"
	portNameRule   = "a port name has at most 15 lowercase letters, digits and '-', with at least one letter"
	annotationRule = "an annotation key is [prefix/]name, the prefix a DNS subdomain, the name alphanumeric with '-', '_' or '.' inside"
	resourceRule   = "a resource is cpu, memory, ephemeral-storage or a domain-prefixed name like nvidia.com/gpu"
)

// fieldNames lists the fields the schema allows at path.
func fieldNames(stack cue.Value, path []string) []string {
	if !stack.Exists() {
		return nil
	}
	sels := make([]cue.Selector, len(path))
	for i, p := range path {
		if u, err := strconv.Unquote(p); err == nil {
			p = u
		}
		sels[i] = cue.Str(p)
	}
	it, err := stack.LookupPath(cue.MakePath(sels...)).Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var names []string
	for it.Next() {
		names = append(names, label(it.Selector()))
	}
	return names
}

// label is a field's name as the user wrote it.
func label(sel cue.Selector) string {
	if sel.IsString() {
		return sel.Unquoted()
	}
	return sel.String()
}

// suggest returns the candidate closest to name, if it is close enough to
// be a typo.
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if c == name {
			continue
		}
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (with adjacent swaps),
// enough to catch imgae for image.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// splitPath splits a stack path into the app and the field within it.
func splitPath(path []string) (app, field string) {
	if len(path) >= 2 && path[0] == "apps" {
		return strings.Trim(path[1], `"`), strings.Join(path[2:], ".")
	}
	return "", strings.Join(path, ".")
}

// userPos picks the first position in the user's files.
func (l *loader) userPos(ps []token.Pos) token.Pos {
	for _, p := range ps {
		if p.IsValid() && p.Filename() != schemaFile {
			return p
		}
	}
	return token.NoPos
}

// nearestPos is the position of path in the user's CUE, or of its nearest
// ancestor that the user wrote: a missing field is reported where its
// struct is.
func (l *loader) nearestPos(path []string) token.Pos {
	for n := len(path); n >= 0; n-- {
		if v := l.lookup(path[:n]); v.Exists() {
			if p := v.Pos(); p.IsValid() {
				return p
			}
		}
	}
	return token.NoPos
}

func (l *loader) newError(pos token.Pos, app, field, msg string) *Error {
	e := &Error{App: app, Field: field, Msg: msg}
	if pos.IsValid() {
		e.file = l.relative(pos.Filename())
		e.line, e.col = pos.Line(), pos.Column()
		e.Pos = fmt.Sprintf("%s:%d:%d", e.file, e.line, e.col)
	}
	return e
}

// relative shows a file of the stack as under the directory given to Load.
func (l *loader) relative(file string) string {
	if rel, err := filepath.Rel(l.abs, file); err == nil && filepath.IsLocal(rel) {
		return filepath.Join(l.dir, rel)
	}
	return file
}

// lookup finds path, as CUE's errors give it, in the user's CUE. An
// element that is a number is a list index where no field has that name.
func (l *loader) lookup(path []string) cue.Value {
	v := l.user
	for _, p := range path {
		if !v.Exists() {
			break
		}
		if isIndex(p) {
			i, _ := strconv.Atoi(p[1 : len(p)-1])
			v = v.LookupPath(cue.MakePath(cue.Index(i)))
			continue
		}
		if u, err := strconv.Unquote(p); err == nil {
			p = u
		}
		next := v.LookupPath(cue.MakePath(cue.Str(p)))
		if i, err := strconv.Atoi(p); err == nil && !next.Exists() {
			next = v.LookupPath(cue.MakePath(cue.Index(i))) // CUE's errors give indices as numbers
		}
		v = next
	}
	return v
}

// errorAt records an error at the user's value v.
func (l *loader) errorAt(v cue.Value, app, field, msg string) {
	l.errs = append(l.errs, l.newError(v.Pos(), app, field, msg))
}
