// Package schema turns a directory of CUE into a validated Stack: it owns the
// embedded CUE schema, the Go model types that mirror it, and the loader.
// It is the only package of kdecl that imports cuelang.org/go.
package schema

import (
	"bytes"
	_ "embed"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
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
	if err := l.utf8(inst, map[*build.Instance]bool{}); err != nil {
		return nil, err
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
	if len(names) == 0 && len(l.errs) == 0 {
		l.warnings = append(l.warnings, l.newError(l.nearestPos([]string{"apps"}), "", "apps",
			"the stack has no apps: a render writes no workload, and removes the files this stack rendered before"))
	}
	l.dependencies(s, checkers, names)
	l.objects(checkers)
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		s.Apps = append(s.Apps, *checkers[name].app)
	}
	if len(l.errs) > 0 {
		return nil, Errors(sortErrors(l.errs))
	}
	s.Warnings = sortErrors(l.warnings)
	return s, nil
}

// utf8 checks that every file of inst and of the packages it imports is
// UTF-8: CUE turns invalid bytes into U+FFFD without a word.
func (l *loader) utf8(inst *build.Instance, seen map[*build.Instance]bool) error {
	if seen[inst] {
		return nil
	}
	seen[inst] = true
	for _, f := range inst.BuildFiles {
		data, err := os.ReadFile(f.Filename)
		if err != nil || utf8.Valid(data) {
			continue // a file CUE read from elsewhere, or a valid one
		}
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		line := 1 + bytes.Count(data[:i], []byte("\n"))
		col := 1 + i - (bytes.LastIndexByte(data[:i], '\n') + 1)
		return Errors{{Position: Position{File: l.relative(f.Filename), Line: line, Column: col},
			Msg: fmt.Sprintf("byte %#x is not UTF-8; CUE files are UTF-8 text", data[i])}}
	}
	for _, imp := range inst.Imports {
		if err := l.utf8(imp, seen); err != nil {
			return err
		}
	}
	return nil
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
		app := &App{Name: name, Pos: l.position(l.nearestPos([]string{"apps", name}))}
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
	var fails []failure
	value := fmt.Sprint(l.lookup(path))
	for _, e := range errs {
		format, args := e.Msg()
		if strings.HasSuffix(format, "errors in empty disjunction:") {
			continue // a header; its alternatives follow
		}
		if !pos.IsValid() {
			pos = l.userPos(append([]token.Pos{e.Position()}, e.InputPositions()...))
		}
		fails = append(fails, l.classify(path, value, format, args, stack))
	}
	if len(fails) == 0 {
		return
	}
	app, field := splitPath(path)
	if !pos.IsValid() {
		pos = l.nearestPos(path)
	}
	l.errs = append(l.errs, l.newError(pos, app, field, phrase(value, fails)))
}

// failure is one of CUE's failures at a field, sorted out before it is put
// into words. A failed disjunction is one failure per alternative.
type failure struct {
	text string // the message in words
	// other is, for a conflict with the user's value, the other side: a
	// value, or a type when mismatch is set (got is then the user's type).
	other    string
	mismatch bool
	got      string
	// rule is set when the value broke a definition whose rule says it all.
	rule bool
}

const (
	conflictFormat = "conflicting values %s and %s"
	mismatchFormat = "conflicting values %s and %s (mismatched types %s and %s)"
	boundFormat    = "invalid value %v (out of bound %s)"
)

// classify sorts out one failure at path, where the user wrote value.
func (l *loader) classify(path []string, value, format string, args []any, stack cue.Value) failure {
	f := failure{text: l.message(path, format, args, stack)}
	switch {
	case (format == conflictFormat || format == mismatchFormat) && len(args) >= 2:
		// CUE names both sides; find the user's.
		a, b := fmt.Sprint(args[0]), fmt.Sprint(args[1])
		user := 0
		switch value {
		case a:
			f.other = b
		case b:
			f.other, user = a, 1
		}
		if format == mismatchFormat && len(args) == 4 {
			f.mismatch = true
			f.got, f.other = fmt.Sprint(args[2+user]), fmt.Sprint(args[3-user])
		}
	case format == boundFormat && len(args) == 2:
		if rule, ok := boundRules[fmt.Sprint(args[1])]; ok {
			f.text, f.rule = fmt.Sprintf("invalid value %v: want %s", args[0], rule), true
		}
	}
	return f
}

// phrase puts the failures at a field into one message: a definition's
// rule where one applies; else the types wanted when no alternative has the
// user's type; else, leaving out alternatives of another type (not what the
// user meant), "value is not one of a, b, c" or the messages one after the
// other.
func phrase(value string, fails []failure) string {
	if i := slices.IndexFunc(fails, func(f failure) bool { return f.rule }); i >= 0 {
		return fails[i].text
	}
	sameType := slices.DeleteFunc(slices.Clone(fails), func(f failure) bool { return f.mismatch })
	if len(sameType) == 0 {
		var wants []string
		for _, f := range fails {
			wants = append(wants, article(f.other))
		}
		slices.Sort(wants)
		return fmt.Sprintf("%s is %s, want %s", value, article(fails[0].got), strings.Join(slices.Compact(wants), " or "))
	}
	var others, texts []string
	for _, f := range sameType {
		others = append(others, f.other)
		texts = append(texts, f.text)
	}
	if !slices.Contains(others, "") {
		slices.Sort(others)
		return fmt.Sprintf("%s is not one of %s", value, strings.Join(slices.Compact(others), ", "))
	}
	if len(texts) == 1 {
		return texts[0]
	}
	slices.Sort(texts)
	return strings.Join(slices.Compact(texts), "; or ")
}

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
	}
	return fmt.Sprintf(format, args...)
}

// keyRules explain the names a map of the schema accepts, by the map's
// path in an app (or the stack).
var keyRules = map[string]string{
	"env":                envNameRule,
	"config.env":         envNameRule,
	"config.fileEnv":     envNameRule,
	"config.files":       "a ConfigMap key has only letters, digits, '-', '_' and '.', does not start with '..' and has at most 253 characters",
	"ports":              portNameRule,
	"expose.nodePorts":   portNameRule,
	"annotations":        annotationRule,
	"podAnnotations":     annotationRule,
	"expose.annotations": annotationRule,
	"resources.requests": resourceRule,
	"resources.limits":   resourceRule,

	"probes.liveness.http.headers":  headerRule,
	"probes.readiness.http.headers": headerRule,
	"probes.startup.http.headers":   headerRule,
}

const (
	appNameRule    = "use at most 52 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (an RFC 1035 label with room for the suffixes Kubernetes adds)"
	envNameRule    = "an environment variable name must match [-._a-zA-Z][-._a-zA-Z0-9]*; Kubernetes skips other names"
	portNameRule   = "a port name has at most 15 lowercase letters, digits and '-', with at least one letter"
	annotationRule = "an annotation key is [prefix/]name, the prefix a DNS subdomain, the name alphanumeric with '-', '_' or '.' inside"
	resourceRule   = "a resource is cpu, memory, ephemeral-storage or a domain-prefixed name like nvidia.com/gpu"
	headerRule     = "an HTTP header name has only letters, digits and '-'"
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
	return &Error{Position: l.position(pos), App: app, Field: field, Msg: msg}
}

func (l *loader) position(pos token.Pos) Position {
	if !pos.IsValid() {
		return Position{}
	}
	return Position{File: l.relative(pos.Filename()), Line: pos.Line(), Column: pos.Column()}
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
