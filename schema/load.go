// Package schema turns a directory of CUE into a validated Stack: it owns the
// embedded CUE schema, the Go model types that mirror it, and the loader.
// It is the only package of kdecl that imports cuelang.org/go.
package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"

	"github.com/kdecl/kdecl/internal/par"
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
// at once as Errors. Tags are injected as by cue export -t: KEY=VALUE sets
// the fields marked @tag(KEY), NAME includes the files marked @if(NAME).
func Load(dir string, tags ...string) (*Stack, error) {
	return loadWith(dir, loadOptions{tags: tags})
}

// loadOptions are Load's, and what tests change.
type loadOptions struct {
	tags []string
	// noFast checks every value by CUE's unification with the schema,
	// not by the compiled validator: what the fast path must equal.
	noFast bool
}

func loadWith(dir string, opt loadOptions) (*Stack, error) {
	l, err := newLoader(dir, opt)
	if err != nil {
		return nil, err
	}
	return l.load()
}

func newLoader(dir string, opt loadOptions) (*loader, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &loader{dir: dir, abs: abs, tags: opt.tags, noFast: opt.noFast,
		embedFields: map[token.Position][]string{}, schemaValues: map[string]cue.Value{}, schemaFieldNames: map[string][]string{}}, nil
}

type loader struct {
	// mu serialises what the checks of apps, run in parallel, do to the
	// loader: record errors and warnings, look values up in CUE (whose
	// values are not safe for concurrent use), mark configs used.
	mu       sync.Mutex
	dir, abs string
	tags     []string
	user     cue.Value // the stack as written, for positions
	def      cue.Value // the schema's #Stack
	stack    cue.Value // user unified with def, once needed (unified)
	errs     []*Error
	warnings []*Error
	// vendored is whether the stack's module vendors the schema, which
	// the load reads as a stub.
	vendored     bool
	vendoredFile string
	// fast checks the values of a stack that are valid without CUE,
	// unless noFast.
	fast   *stackValidators
	noFast bool
	// configs are the stack's configs, and usedConfigs those an app uses.
	configs     map[string]*Config
	usedConfigs map[string]bool
	// embedFields are the paths of the stack's @embed attributes, by
	// position: CUE's errors of an attribute give none.
	embedFields map[token.Position][]string
	// schemaValues and schemaFieldNames are the schema's values, and
	// their fields, that errors looked up, by path.
	schemaValues     map[string]cue.Value
	schemaFieldNames map[string][]string
	// crds are the stack's CRDs, by the group and kind they define.
	crds crdSet
	// headlessGroups are the headless Services apps share, by name.
	headlessGroups map[string][]*App
}

func (l *loader) load() (*Stack, error) {
	switch info, err := os.Stat(l.abs); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such directory", l.dir)
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, fmt.Errorf("%s is a file; give the directory of the stack's CUE package, such as %s", l.dir, filepath.Dir(l.dir))
	}
	if files, _ := filepath.Glob(filepath.Join(l.abs, "*.cue")); len(files) == 0 {
		return nil, fmt.Errorf("%s: no CUE files", l.dir)
	} else {
		// CUE would open a named pipe or a device and wait on it.
		for _, f := range files {
			if info, err := os.Stat(f); err == nil && !info.Mode().IsRegular() {
				return nil, Errors{{Position: Position{File: l.relative(f)},
					Msg: fmt.Sprintf("is %s, not a regular file: a stack's CUE files are files", fileKind(info.Mode()))}}
			}
		}
	}
	overlay, vendoredFile, stale := vendored(l.abs)
	l.vendored = overlay != nil
	if l.vendored {
		l.vendoredFile = vendoredFile // where the stub is, for positions
	}
	insts := load.Instances([]string{"."}, &load.Config{
		Dir:     l.abs,
		Env:     cueEnv(),
		Tags:    l.tags,
		Overlay: overlay,
	})
	if len(insts) != 1 {
		return nil, fmt.Errorf("%s: want one CUE package, found %d", l.dir, len(insts))
	}
	inst := insts[0]
	if inst.Err != nil {
		return nil, l.fromLoad(inst.Err)
	}
	if err := l.utf8(inst, map[*build.Instance]bool{}); err != nil {
		return nil, err
	}
	if err := l.embeds(inst); err != nil {
		return nil, err
	}
	ctx := cuecontext.New()
	schema := ctx.CompileBytes(schemaSource, cue.Filename(schemaFile))
	if err := schema.Err(); err != nil {
		return nil, fmt.Errorf("kdecl schema: %w", err) // a bug in kdecl, not in the stack
	}
	def := schema.LookupPath(cue.MakePath(cue.Def("Stack")))
	l.def = def
	fast, err := validators()
	if err != nil {
		return nil, fmt.Errorf("kdecl schema: %w", err) // a bug in kdecl
	}
	l.fast = fast
	l.user = ctx.BuildInstance(inst)
	userErr := l.user.Err()
	if userErr != nil {
		if _, fieldsErr := l.user.Fields(); fieldsErr != nil {
			return nil, l.fromCUE(userErr) // no stack to look into
		}
		// CUE names one error of the stack as a whole; each app's own
		// validation below names them all.
	}
	if stale != "" && slices.Contains(inst.ImportPaths, ImportPath) {
		l.warnings = append(l.warnings, &Error{Position: Position{File: l.relative(filepath.Dir(vendoredFile))},
			Msg: fmt.Sprintf("the copy of %s the stack imports %s; cue vet and editors check the stack against it", ImportPath, stale)})
	}
	s := &Stack{}
	l.stackFields(fieldNames(def, nil), s)
	if s.Name == "" {
		s.Name = inst.PkgName
		if !isDNSLabel(s.Name) {
			l.errorAt(l.user, "", "name", fmt.Sprintf("stack name %q (the CUE package name) is not an RFC 1123 label; set name", s.Name))
		}
	}
	l.loadCRDs(s)
	l.checkObjects("", s.Objects, []string{"objects"}, &l.errs, &l.warnings)
	l.sharedConfigs(s)
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		if msg := labelProblem(k); msg != "" {
			l.errorAt(l.lookup([]string{"labels", k}), "", fieldString([]string{"labels", k}), msg)
		}
	}
	checkers, names := l.apps()
	l.headlessGroups = HeadlessGroups(appsOf(checkers))
	for _, g := range l.headlessGroups {
		for _, a := range g {
			a.SharesHeadless = true
		}
	}
	if len(names) == 0 && len(l.errs) == 0 {
		l.warnings = append(l.warnings, l.newError(l.nearestPos([]string{"apps"}), "", "apps",
			"the stack has no apps: a render writes no workload, and removes the files this stack rendered before"))
	}
	for _, name := range sortedKeys(s.Configs) {
		if !l.usedConfigs[name] {
			l.warnings = append(l.warnings, l.newError(l.nearestPos([]string{"configs", name}), "", fieldString([]string{"configs", name}),
				"no app uses this config (an app lists it in its configs); its ConfigMap is rendered all the same"))
		}
	}
	l.order(s, checkers, names)
	l.dependencies(s, checkers, names)
	l.network(s, checkers)
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		// after dependencies: they wire env too
		checkers[name].envRefs()
		checkers[name].overrides()
	}
	l.objects(s, checkers)
	l.applySet(s, checkers)
	l.security(s, checkers)
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		s.Apps = append(s.Apps, *checkers[name].app)
	}
	if userErr != nil && len(l.errs) == 0 {
		// An error of the stack's that no field kdecl reads holds: a
		// hidden field's, as cue vet reports it.
		l.addCUE(userErr)
	}
	if len(l.errs) > 0 {
		errs := sortErrors(l.errs)
		if hint := l.environments(inst); hint != nil {
			errs = append([]*Error{hint}, errs...)
		}
		return nil, Errors(errs)
	}
	s.Warnings = sortErrors(l.warnings)
	return s, nil
}

// cueEnv is the environment CUE's loader sees: where CUE modules come from
// and where they are cached, which a user may need to set (CUE_REGISTRY=none
// forbids any fetch), and nothing else, so that other CUE_* variables
// change no result.
func cueEnv() []string {
	env := []string{}
	for _, name := range []string{"CUE_REGISTRY", "CUE_CACHE_DIR"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return env
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
		if err != nil {
			continue // a file CUE read from elsewhere
		}
		i, line, col := invalidUTF8(data)
		if i < 0 {
			continue
		}
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
func (l *loader) stackFields(known []string, s *Stack) {
	it, err := l.user.Fields()
	if err != nil {
		l.addCUE(err)
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
	// Each field of Stack that JSON names is decoded from the field of the
	// same name; the apps are decoded one by one, elsewhere.
	rv := reflect.ValueOf(s).Elem()
	for i := range rv.NumField() {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		user := l.user.LookupPath(cue.MakePath(cue.Str(name)))
		if !user.Exists() {
			continue
		}
		if l.decodeFast(user, l.fast.fields[name], "", rv.Field(i).Addr().Interface()) {
			continue
		}
		v := l.unified().LookupPath(cue.MakePath(cue.Str(name)))
		if err := v.Validate(cue.Concrete(true)); err != nil {
			l.addCUE(err)
			continue
		}
		if err := v.Decode(rv.Field(i).Addr().Interface()); err != nil {
			l.errorAt(v, "", name, cueText(err))
		}
	}
}

// appPos is where the app v, called name, is defined.
func (l *loader) appPos(v cue.Value, name string) Position {
	if p := l.pos(v); p.IsValid() {
		return l.position(p)
	}
	return l.position(l.nearestPos([]string{"apps", name}))
}

// unified is the stack unified with #Stack, evaluated once, when first
// needed: only for what the validator refuses, as it costs several
// times the stack's own evaluation.
func (l *loader) unified() cue.Value {
	if !l.stack.Exists() {
		l.stack = l.def.Unify(l.user)
	}
	return l.stack
}

// decodeFast decodes v, a value of the stack as written, into out if
// check, the schema compiled (see validator), accepts its JSON export:
// one export and one decoding instead of CUE's unification with the
// schema and its decoding, field by field. key is v's key in a map.
func (l *loader) decodeFast(v cue.Value, check validator, key string, out any) bool {
	if check == nil || l.noFast {
		return false // nothing would use the export
	}
	b, err := v.MarshalJSON()
	if err != nil {
		return false // not concrete, or an error: CUE says which
	}
	_, ok := l.decodeJSON(b, check, key, out)
	return ok
}

// decodeJSON is decodeFast after the export: Go alone, safe to run on
// several goroutines. It also returns the JSON as decoded for the
// validator, nil if it is not JSON: what the stack sets.
func (l *loader) decodeJSON(b []byte, check validator, key string, out any) (generic any, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return nil, false
	}
	if check == nil || l.noFast || !check(generic, key) {
		return generic, false
	}
	dec = json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return generic, false
	}
	return generic, cueNumbers(reflect.ValueOf(out))
}

// cueNumbers turns the JSON numbers in the maps and lists of arbitrary
// values under v (overrides, objects) into what CUE's decoding gives:
// int64, a *big.Int past 64 bits, float64. It reports false for a number
// neither can hold.
func cueNumbers(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return v.IsNil() || cueNumbers(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !cueNumbers(v.Field(i)) {
				return false
			}
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.Map && v.Type().Elem().Kind() != reflect.Interface {
			return true
		}
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			if e.Kind() == reflect.Interface {
				x, ok := cueNumber(e.Interface())
				if !ok {
					return false
				}
				v.SetMapIndex(k, reflect.ValueOf(&x).Elem())
			} else if !cueNumbers(e) {
				return false
			}
		}
	}
	return true
}

// cueNumber converts the JSON numbers of an arbitrary value.
func cueNumber(x any) (any, bool) {
	switch x := x.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, true
			}
			n, ok := new(big.Int).SetString(s, 10)
			return n, ok
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	case map[string]any:
		for k, e := range x {
			c, ok := cueNumber(e)
			if !ok {
				return nil, false
			}
			x[k] = c
		}
	case []any:
		for i, e := range x {
			c, ok := cueNumber(e)
			if !ok {
				return nil, false
			}
			x[i] = c
		}
	}
	return x, true
}

// apps validates and decodes each app on its own: CUE reports only the
// first error of a struct, so one app's error must not hide another's.
// An app without schema errors is checked further in Go; its checker is
// returned by name, with the names of all apps, valid or not.
func (l *loader) apps() (map[string]*appChecker, []string) {
	userApps := l.user.LookupPath(cue.ParsePath("apps"))
	it, err := userApps.Fields()
	if err != nil {
		apps := l.unified().LookupPath(cue.ParsePath("apps"))
		l.addCUE(apps.Validate())
		return nil, nil
	}
	appDef := l.def.LookupPath(cue.MakePath(cue.Str("apps"), cue.AnyString))
	// CUE exports the apps one by one (its values are not safe for
	// concurrent use); the exports are validated and decoded in parallel,
	// while CUE exports the next.
	type slot struct {
		v    cue.Value
		app  *App
		json []byte // nil if the app is not concrete or an error
		raw  any
		ok   bool
	}
	var slots []*slot
	var names []string
	decode, decoded := par.Feed(func(s *slot) {
		if s.json != nil {
			s.raw, s.ok = l.decodeJSON(s.json, l.fast.app, s.app.Name, s.app)
		}
	})
	for it.Next() {
		name := label(it.Selector())
		names = append(names, name)
		if !isAppName(name) {
			l.errorAt(l.lookup([]string{"apps", name}), name, "", "app name is not valid: "+appNameRule)
			continue
		}
		s := &slot{v: it.Value(), app: &App{Name: name, Pos: l.appPos(it.Value(), name)}}
		s.json, _ = s.v.MarshalJSON()
		slots = append(slots, s)
		decode <- s
	}
	close(decode)
	decoded()
	// The apps CUE need not check are checked in Go, in parallel.
	checked := make([]*appChecker, len(slots))
	par.Do(len(slots), func(i int) {
		if s := slots[i]; s.ok {
			checked[i] = l.app(s.app, s.raw)
		}
	})
	checkers := map[string]*appChecker{}
	for i, s := range slots {
		name, app := s.app.Name, s.app
		if s.ok {
			checkers[name] = checked[i]
			continue
		}
		// An app the validator refuses is checked on its own against the
		// schema's #App, by CUE, which says what is wrong and where.
		*app = App{Name: name, Pos: app.Pos} // undo a partial decoding
		v := appDef.Unify(s.v)
		if err := v.Validate(cue.Concrete(true)); err != nil {
			l.addCUEAt([]string{"apps", name}, err)
			continue
		}
		if err := v.Decode(app); err != nil {
			// The schema admits only what decodes; should it not, the
			// error still names the app.
			l.errs = append(l.errs, &Error{Position: app.Pos, App: name, Msg: cueText(err)})
			continue
		}
		checkers[name] = l.app(app, s.raw)
	}
	slices.Sort(names)
	return checkers, names
}

// sharedConfigs applies the defaults of the stack's configs and checks
// them.
func (l *loader) sharedConfigs(s *Stack) {
	l.configs, l.usedConfigs = s.Configs, map[string]bool{}
	for _, name := range sortedKeys(s.Configs) {
		cfg := s.Configs[name]
		if cfg.MountPath == "" {
			cfg.MountPath = DefaultSharedConfigMountPath(name)
		}
		fail := func(msg string, field ...string) {
			path := append([]string{"configs", name}, field...)
			l.errs = append(l.errs, l.newError(l.nearestPos(path), "", fieldString(path), msg))
		}
		checkConfig(cfg, "configs."+quoteKey(name)+".files", fail)
		creds := credentialChecker{secret: name + "-secrets", fail: fail,
			notSecret: func(field ...string) bool { return l.notSecret(append([]string{"configs", name}, field...)) }}
		creds.config(cfg)
	}
}

// fromLoad converts errors of the load step: finding the package, its
// module and its imports. Their messages are CUE's, with every reason CUE
// gives, and a hint where kdecl knows one.
func (l *loader) fromLoad(err error) error {
	for _, e := range cueerrors.Errors(err) {
		if pkgs := (*load.MultiplePackageError)(nil); errors.As(e, &pkgs) {
			l.errs = append(l.errs, l.packages(pkgs))
			continue
		}
		// CUE names files by absolute path in some messages.
		msg := strings.ReplaceAll(cueText(e), l.abs+string(filepath.Separator), l.dir+string(filepath.Separator))
		pos := l.userPos(append([]token.Pos{e.Position()}, e.InputPositions()...))
		err := l.newError(pos, "", "", msg)
		if strings.Contains(msg, "no language version declared in module.cue") {
			err.Msg += fmt.Sprintf(`; add the line language: version: %q`, cueVersion())
			err.File = l.relative(moduleFile(l.abs))
		}
		if strings.Contains(msg, "cannot fetch ") && os.Getenv("CUE_REGISTRY") == "none" {
			err.Msg += "; CUE_REGISTRY=none forbids fetching a module, and CUE's cache (CUE_CACHE_DIR) does not hold it: unset CUE_REGISTRY to have it fetched"
		}
		l.errs = append(l.errs, err)
	}
	return Errors(sortErrors(l.errs))
}

// packages reports a directory of several packages, which CUE names by
// two of its files.
func (l *loader) packages(e *load.MultiplePackageError) *Error {
	dir := e.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(l.abs, dir)
	}
	var pkgs []string
	for i, name := range e.Packages {
		if i < len(e.Files) {
			pkgs = append(pkgs, fmt.Sprintf("%q (%s)", name, e.Files[i]))
		}
	}
	return &Error{Position: Position{File: l.relative(dir)},
		Msg: fmt.Sprintf("two CUE packages in one directory, %s: a stack is the one package of its directory; give the files one package name, or move the other package to a directory of its own", list(pkgs))}
}

// cueText is the whole message of a CUE error without its position: its
// own words, then those of the errors it wraps.
func cueText(err error) string {
	var parts []string
	for err != nil {
		var e cueerrors.Error
		if !errors.As(err, &e) {
			parts = append(parts, err.Error())
			break
		}
		if format, args := e.Msg(); strings.Count(format, "%")-2*strings.Count(format, "%%") == len(args) {
			if msg := fmt.Sprintf(format, args...); msg != "" {
				parts = append(parts, msg)
			}
		}
		err = errors.Unwrap(e)
	}
	if len(parts) == 0 {
		return "invalid CUE"
	}
	return strings.Join(parts, ": ")
}

// optionalHint explains why a stack cannot refer, in CUE, to a field it
// leaves unset, and what to do instead.
func optionalHint(name string) string {
	hint := "; the stack leaves it unset, and kdecl fills in defaults only after CUE has evaluated the stack"
	for _, d := range Defaults {
		if strings.HasSuffix(d.Field, "."+name) {
			hint += fmt.Sprintf(" (%s: %s)", d.Field, d.Doc)
			break
		}
	}
	hint += ": set the field"
	if name == "mountPath" {
		hint += `, or pass a config file's path when the pod runs: name the file in config.fileEnv (CONFIG_FILE: "nginx.conf") and write "$(CONFIG_FILE)" in args`
	}
	return hint
}

// moduleFile is the cue.mod/module.cue of the module that dir is in.
func moduleFile(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		f := filepath.Join(d, "cue.mod", "module.cue")
		if _, err := os.Stat(f); err == nil || d == filepath.Dir(d) {
			return f
		}
	}
}

// cueVersion is the version of CUE kdecl is built with.
func cueVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "cuelang.org/go" {
				return m.Version
			}
		}
	}
	return "v0.17.1"
}

// fromCUE converts errors of the build step.
func (l *loader) fromCUE(err error) error {
	l.addCUE(err)
	return Errors(sortErrors(l.errs))
}

// addCUE converts CUE's errors into positioned Errors, one per field. The
// alternatives of a failed disjunction are merged into one message.
func (l *loader) addCUE(err error) { l.addCUEAt(nil, err) }

// addCUEAt converts the errors of a value at prefix of the stack (an app
// checked on its own), whose paths start there.
func (l *loader) addCUEAt(prefix []string, err error) {
	type group struct {
		path []string
		errs []cueerrors.Error
	}
	var groups []*group
	byPath := map[string]*group{}
	for _, e := range cueerrors.Errors(err) {
		path := slices.Clone(e.Path())
		if len(path) == 0 {
			path = slices.Clone(l.embedFields[e.Position().Position()])
		}
		if len(path) > 0 && path[0] == "#Stack" {
			path = path[1:]
		}
		if len(prefix) == 2 && len(path) >= 2 && path[0] == prefix[0] && (path[1] == "_" || path[1] == "[_]") {
			// the schema's pattern of the value at prefix: apps._ for an
			// app, apps.[_] for an error of the app as a whole
			path[1] = prefix[1]
		}
		for i, p := range path {
			if _, err := strconv.Atoi(p); err == nil {
				path[i] = "[" + p + "]" // CUE gives list indices as bare numbers
			}
		}
		key := strings.Join(path, ".")
		if len(path) == 0 {
			key = e.Position().String() // errors of no field, such as of an attribute
		}
		g := byPath[key]
		if g == nil {
			g = &group{path: path}
			byPath[key] = g
			groups = append(groups, g)
		}
		g.errs = append(g.errs, e)
	}
	paths := pathTrie{}
	for _, g := range groups {
		paths.add(g.path)
	}
	for _, g := range groups {
		if mismatchesOnly(g.errs) && paths.extends(g.path) {
			// A value that may be a number or a struct, with a wrong field
			// inside: the field's error says what is wrong, not the type.
			continue
		}
		l.addGroup(g.path, g.errs)
	}
}

// pathTrie holds paths by their elements: whether one path extends another
// is then a walk along it, not a comparison with every other.
type pathTrie map[string]pathTrie

func (t pathTrie) add(path []string) {
	for _, p := range path {
		next := t[p]
		if next == nil {
			next = pathTrie{}
			t[p] = next
		}
		t = next
	}
}

// extends is whether the trie holds a path longer than path that starts
// with it.
func (t pathTrie) extends(path []string) bool {
	for _, p := range path {
		if t = t[p]; t == nil {
			return false
		}
	}
	return len(t) > 0
}

// mismatchesOnly is whether errs are only type mismatches, as those of
// the alternatives of a disjunction.
func mismatchesOnly(errs []cueerrors.Error) bool {
	for _, e := range errs {
		format, _ := e.Msg()
		if format != mismatchFormat && !strings.HasSuffix(format, "errors in empty disjunction:") {
			return false
		}
	}
	return true
}

func (l *loader) addGroup(path []string, errs []cueerrors.Error) {
	user := l.lookup(path)
	if user.Err() != nil && l.userConflict(path, user, errs) {
		return
	}
	var pos token.Pos
	var fails []failure
	var conflict []string // where the user set the values of a conflict
	var value string      // as CUE writes it in messages, to tell the user's side
	if !composite(user) {
		value = fmt.Sprint(user) // a scalar: its text costs what it is
	}
	for _, e := range errs {
		format, args := e.Msg()
		if strings.HasSuffix(format, "errors in empty disjunction:") {
			continue // a header; its alternatives follow
		}
		if !pos.IsValid() {
			pos = l.userPos(append([]token.Pos{e.Position()}, e.InputPositions()...))
		}
		f := l.classify(path, value, user.IncompleteKind(), format, args)
		if reason := errors.Unwrap(e); reason != nil {
			f.text += ": " + cueText(reason) // CUE's why, as for a bad @embed
		}
		if strings.HasPrefix(f.text, "@embed: unknown file extension") {
			f.text += "; say how to read the file: @embed(file=NAME, type=text)"
		}
		if _, name, ok := strings.Cut(f.text, "cannot reference optional field: "); ok {
			f.text += optionalHint(name)
		}
		fails = append(fails, f)
		if format == conflictFormat {
			for _, p := range append([]token.Pos{e.Position()}, e.InputPositions()...) {
				if l.userFile(p) {
					conflict = append(conflict, l.position(p).String())
				}
			}
		}
	}
	if len(fails) == 0 {
		return
	}
	app, field := splitPath(path)
	if !pos.IsValid() {
		pos = l.nearestPos(path)
	}
	msg := phrase(valueText(user), fails)
	if conflict = slices.Compact(slices.Sorted(slices.Values(conflict))); len(conflict) > 1 {
		msg += " (set at " + list(conflict) + ")"
	}
	l.errs = append(l.errs, l.newError(pos, app, field, msg))
}

// userConflict reports an error at path that is the stack's own: values
// of the stack's that conflict (a template's and an app's), before the
// schema has a say. It says what each value is and where, and reports
// false for an error of another kind.
func (l *loader) userConflict(path []string, user cue.Value, errs []cueerrors.Error) bool {
	lists, mismatch := false, false
	var texts []string // CUE's words
	var pos token.Pos
	for _, e := range errs {
		format, args := e.Msg()
		switch {
		case strings.HasSuffix(format, "errors in empty disjunction:"):
			continue
		case strings.HasPrefix(format, "incompatible list lengths"):
			lists = true
		case format == mismatchFormat:
			mismatch = true
		case format != conflictFormat:
			return false
		}
		texts = append(texts, fmt.Sprintf(format, excerpts(args)...))
		if !pos.IsValid() {
			pos = l.userPos(append([]token.Pos{e.Position()}, e.InputPositions()...))
		}
	}
	if len(texts) == 0 {
		return false
	}
	app, field := splitPath(path)
	parts := l.conjuncts(user)
	var msg string
	switch {
	case len(parts) < 2:
		slices.Sort(texts)
		msg = strings.Join(slices.Compact(texts), "; ")
	case lists:
		msg = fmt.Sprintf("two lists conflict, %s: lists unify only when they are equal (the same length, elements that unify); set the list in one place, or make one a default: *[...] | [...string]", parts.list())
	case mismatch:
		want := l.schemaAt(path, "_").IncompleteKind()
		var wrong, others conjuncts
		for _, p := range parts {
			if p.kind&want == 0 {
				wrong = append(wrong, p)
			} else {
				others = append(others, p)
			}
		}
		if len(wrong) == 1 && want != cue.TopKind {
			pos = wrong[0].pos
			msg = fmt.Sprintf("%s is %s, want %s; it conflicts with %s", wrong[0].text, article(kindName(wrong[0].kind)), kindNames(want), others.list())
			break
		}
		msg = fmt.Sprintf("conflicting values %s, which a field cannot be at once", parts.list())
	default:
		msg = fmt.Sprintf("conflicting values %s: a field has one value; set it in one place, or make one a default with *", parts.list())
	}
	l.errs = append(l.errs, l.newError(pos, app, field, msg))
	return true
}

// conjunct is one of the values the stack unifies at a field.
type conjunct struct {
	text string
	kind cue.Kind
	pos  token.Pos
	at   string // pos as the user reads it
}

type conjuncts []conjunct

// list writes "a (file:line:col) and b (file:line:col)".
func (cs conjuncts) list() string {
	var items []string
	for _, c := range cs {
		items = append(items, fmt.Sprintf("%s (%s)", c.text, c.at))
	}
	return list(items)
}

// conjuncts are the values the stack unifies into v, where it writes
// them, in file order; none when v is not a unification of several.
func (l *loader) conjuncts(v cue.Value) conjuncts {
	op, args := v.Expr()
	if op != cue.AndOp {
		return nil
	}
	var cs conjuncts
	for _, a := range args {
		pos := a.Pos()
		if f, ok := a.Source().(*ast.Field); ok && f.Value != nil {
			pos = f.Value.Pos() // the value, not its label
		}
		if !l.userFile(pos) {
			continue
		}
		cs = append(cs, conjunct{text: valueText(a), kind: a.IncompleteKind(), pos: pos, at: l.position(pos).String()})
	}
	slices.SortStableFunc(cs, func(a, b conjunct) int { return a.pos.Compare(b.pos) })
	return cs
}

// notConcrete says why the value v of the stack's, where the schema
// wants a value, is not one.
func notConcrete(v cue.Value) string {
	if op, _ := v.Expr(); op == cue.OrOp {
		return fmt.Sprintf("%s is not concrete: a choice of values, not one; pick one, or mark the default with *", valueText(v))
	}
	return fmt.Sprintf("%s is not concrete: a constraint, not a value; set a value", valueText(v))
}

// kindName names one kind of value.
func kindName(k cue.Kind) string {
	if k == cue.NumberKind {
		return "number"
	}
	return k.String()
}

// kindNames names the kinds of value in want: "an int or a struct".
func kindNames(want cue.Kind) string {
	var names []string
	if want&cue.NumberKind == cue.NumberKind {
		names = append(names, article("number"))
		want &^= cue.NumberKind
	}
	for _, k := range []cue.Kind{cue.NullKind, cue.BoolKind, cue.IntKind, cue.FloatKind, cue.StringKind, cue.BytesKind, cue.ListKind, cue.StructKind} {
		if want&k != 0 {
			names = append(names, article(k.String()))
		}
	}
	slices.Sort(names)
	return joinWith(names, "or")
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

// classify sorts out one failure at path, where the user wrote value, of
// kind.
func (l *loader) classify(path []string, value string, kind cue.Kind, format string, args []any) failure {
	f := failure{text: l.message(path, format, args)}
	switch {
	case (format == conflictFormat || format == mismatchFormat) && len(args) >= 2:
		// CUE names both sides; find the user's.
		a, b := fmt.Sprint(args[0]), fmt.Sprint(args[1])
		user := 0
		switch {
		case value == a:
			f.other = b
		case value == b:
			f.other, user = a, 1
		case len(args) == 4 && args[3] == kind && args[2] != kind:
			// a struct or list, which CUE writes otherwise: by its type
			user = 1
		}
		if format == mismatchFormat && len(args) == 4 {
			f.mismatch = true
			f.got, f.other = fmt.Sprint(args[2+user]), fmt.Sprint(args[3-user])
		}
	case format == boundFormat && len(args) == 2:
		if rule, ok := boundRules[fmt.Sprint(args[1])]; ok {
			f.text, f.rule = fmt.Sprintf("invalid value %s: want %s", excerpt(fmt.Sprint(args[0])), rule), true
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
func (l *loader) message(path []string, format string, args []any) string {
	switch {
	case format == "field not allowed" && len(path) > 0:
		parent, name := path[:len(path)-1], path[len(path)-1]
		if _, parentField := splitPath(parent); keyRules[parentField] != "" {
			return "not a valid name: " + keyRules[parentField]
		}
		name, known := strings.Trim(name, `"`), l.schemaFields(parent)
		if slices.Contains(known, name) || l.schemaAllows(parent, name) {
			return "not allowed by a closed definition of the stack (a #Definition closes its struct): add " + name + " to that definition, or end it with ... to leave it open"
		}
		msg := "unknown field"
		if s := suggest(name, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return msg
	case strings.HasPrefix(format, "incomplete value"):
		if user := l.lookup(path); user.Exists() {
			return notConcrete(user)
		}
		return "missing required field"
	case strings.HasPrefix(format, "incompatible list lengths"):
		return "must not be empty" // the only fixed-length prefix in the schema is [x, ...x]
	}
	return fmt.Sprintf(format, excerpts(args)...)
}

// keyRules explain the names a map of the schema accepts, by the map's
// path in an app (or the stack).
var keyRules = map[string]string{
	"env":                envNameRule,
	"config.env":         "a variable of the config is a ConfigMap key too: only letters, digits, '-', '_' and '.', not starting with '..', at most 253 characters",
	"config.fileEnv":     envNameRule,
	"config.files":       "a ConfigMap key has only letters, digits, '-', '_' and '.', does not start with '..' and has at most 253 characters",
	"ports":              portNameRule,
	"expose.nodePorts":   portNameRule,
	"annotations":        annotationRule,
	"labels":             labelRule,
	"podAnnotations":     annotationRule,
	"expose.annotations": annotationRule,
	"resources.requests": resourceRule,
	"resources.limits":   resourceRule,

	"probes.liveness.http.headers":     headerRule,
	"probes.readiness.http.headers":    headerRule,
	"probes.startup.http.headers":      headerRule,
	"lifecycle.postStart.http.headers": headerRule,
	"lifecycle.preStop.http.headers":   headerRule,
}

const (
	appNameRule    = "use at most 52 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (an RFC 1035 label with room for the suffixes Kubernetes adds)"
	envNameRule    = "an environment variable name is printable ASCII but '=', and not empty"
	portNameRule   = "a port name has at most 15 lowercase letters, digits and '-', with at least one letter"
	annotationRule = "an annotation key is [prefix/]name, the prefix a DNS subdomain, the name alphanumeric with '-', '_' or '.' inside"
	resourceRule   = "a resource is cpu, memory, ephemeral-storage, huge pages of a size like hugepages-2Mi or a domain-prefixed name like nvidia.com/gpu"
	headerRule     = "an HTTP header name has only letters, digits and '-'"
	labelRule      = "a label key is [prefix/]name, the prefix a DNS subdomain, the name alphanumeric with '-', '_' or '.' inside"
)

// schemaFields lists the fields the schema allows at path of a stack,
// from the schema alone: through maps and lists, and into each struct of
// a disjunction (a port is a number or {port, protocol}).
func (l *loader) schemaFields(path []string) []string {
	key := strings.Join(path, "\x00")
	if names, ok := l.schemaFieldNames[key]; ok {
		return names // the fields of one struct may all be wrong
	}
	names := structFields(l.schemaValue(path), 0)
	slices.Sort(names)
	names = slices.Compact(names)
	l.schemaFieldNames[key] = names
	return names
}

// schemaValue is the schema's value at path of a stack, a struct.
func (l *loader) schemaValue(path []string) cue.Value { return l.schemaAt(path, "{}") }

// schemaAt is the schema's value at path of a stack where the stack's
// value is leaf, CUE. It is computed once per path: the fields of one
// struct may all be wrong.
func (l *loader) schemaAt(path []string, leaf string) cue.Value {
	for n := 1; n < len(path); n++ {
		// Below a field the schema leaves open (overrides, objects) it
		// says nothing, however deep the path: stop there, as CUE's
		// unification with a deep path costs its depth squared.
		if v := l.schemaAt(path[:n], "_"); v.IncompleteKind() == cue.TopKind {
			return v
		}
	}
	// CUE's errors give a list index as a bare number, and quote a label
	// that is a number. Every element of a list of the schema's has the
	// same type ([...T] or [T, ...T]), so any index is the first.
	index := func(p string) bool {
		_, err := strconv.Atoi(strings.Trim(p, "[]"))
		return err == nil
	}
	var skeleton strings.Builder // a struct at path
	var closing []string
	sels := make([]cue.Selector, len(path))
	for i, p := range path {
		if index(p) {
			skeleton.WriteString("[")
			closing = append(closing, ", ...]")
			sels[i] = cue.Index(0)
			continue
		}
		if u, err := strconv.Unquote(p); err == nil {
			p = u
		}
		skeleton.WriteString("{" + strconv.Quote(p) + ": ")
		closing = append(closing, "}")
		sels[i] = cue.Str(p)
	}
	key := cue.MakePath(sels...).String() + " " + leaf
	if v, ok := l.schemaValues[key]; ok {
		return v
	}
	skeleton.WriteString(leaf)
	for i := len(closing) - 1; i >= 0; i-- {
		skeleton.WriteString(closing[i])
	}
	v := l.def.Unify(l.def.Context().CompileString(skeleton.String())).LookupPath(cue.MakePath(sels...))
	l.schemaValues[key] = v
	return v
}

// schemaAllows is whether the schema alone allows a field name at path:
// when CUE still refuses it, a closed definition of the stack does.
func (l *loader) schemaAllows(path []string, name string) bool {
	return l.schemaValue(path).Allows(cue.Str(name))
}

// structFields lists the fields of v and of the structs v is made of.
func structFields(v cue.Value, depth int) []string {
	var names []string
	if it, err := v.Fields(cue.Optional(true)); err == nil {
		for it.Next() {
			names = append(names, label(it.Selector()))
		}
	}
	if op, args := v.Expr(); depth < 8 && (op == cue.OrOp || op == cue.AndOp) {
		for _, a := range args {
			names = append(names, structFields(a, depth+1)...)
		}
	}
	return names
}

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

// splitPath splits a stack path, as CUE's errors give it, into the app
// and the field within it.
func splitPath(path []string) (app, field string) {
	if len(path) >= 2 && path[0] == "apps" {
		return strings.Trim(path[1], `"`), joinPath(path[2:])
	}
	return "", joinPath(path)
}

// joinPath writes a path of CUE's labels (quoted where they need it) and
// list indices ([n]).
func joinPath(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if i > 0 && !isIndex(p) {
			b.WriteByte('.')
		}
		b.WriteString(excerpt(p))
	}
	return b.String()
}

// userPos picks the first position in the user's files.
func (l *loader) userPos(ps []token.Pos) token.Pos {
	for _, p := range ps {
		if l.userFile(p) {
			return p
		}
	}
	return token.NoPos
}

// userFile is whether p is in a file of the user's: not the schema, nor
// the stub that stands for its vendored copy.
func (l *loader) userFile(p token.Pos) bool {
	return p.IsValid() && p.Filename() != schemaFile && (l.vendoredFile == "" || p.Filename() != l.vendoredFile)
}

// nearestPos is the position of path in the user's CUE, or of its nearest
// ancestor that the user wrote: a missing field is reported where its
// struct is.
func (l *loader) nearestPos(path []string) token.Pos {
	values, _ := l.lookupAll(path)
	for i := len(values) - 1; i >= 0; i-- {
		if p := l.pos(values[i]); p.IsValid() {
			return p
		}
	}
	return token.NoPos
}

func (l *loader) newError(pos token.Pos, app, field, msg string) *Error {
	if strings.TrimSpace(msg) == "" {
		msg = "invalid value (CUE gives no reason)"
	}
	return &Error{Position: l.position(pos), App: app, Field: field, Msg: msg}
}

// position is pos as the user reads it; an unknown position is the
// stack's directory, the package as a whole.
func (l *loader) position(pos token.Pos) Position {
	if !pos.IsValid() {
		return Position{File: l.dir}
	}
	return Position{File: l.relative(pos.Filename()), Line: pos.Line(), Column: pos.Column()}
}

// relative shows a file of the stack as under the directory given to Load.
func (l *loader) relative(file string) string {
	if rel, err := filepath.Rel(l.abs, file); err == nil && filepath.IsLocal(rel) {
		return filepath.Join(l.dir, rel)
	}
	if wd, err := os.Getwd(); err == nil && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(wd, file); err == nil {
			return rel // a file of another package of the module
		}
	}
	return file
}

// lookup finds path, as CUE's errors give it, in the user's CUE. An
// element that is a number is a list index where no field has that name.
func (l *loader) lookup(path []string) cue.Value {
	_, v := l.lookupAll(path)
	return v
}

// lookupAll is the user's values along path, from the stack itself, as
// far as they exist, in one walk whatever the depth; and the value at
// path, which does not exist when values ends before it.
func (l *loader) lookupAll(path []string) (values []cue.Value, last cue.Value) {
	v := l.user
	values = []cue.Value{v}
	for _, p := range path {
		if isIndex(p) {
			i, _ := strconv.Atoi(p[1 : len(p)-1])
			v = v.LookupPath(cue.MakePath(cue.Index(i)))
		} else {
			if u, err := strconv.Unquote(p); err == nil {
				p = u
			}
			next := v.LookupPath(cue.MakePath(cue.Str(p)))
			if i, err := strconv.Atoi(p); err == nil && !next.Exists() {
				next = v.LookupPath(cue.MakePath(cue.Index(i))) // CUE's errors give indices as numbers
			}
			v = next
		}
		if !v.Exists() {
			break
		}
		values = append(values, v)
	}
	return values, v
}

// errorAt records an error at the user's value v.
func (l *loader) errorAt(v cue.Value, app, field, msg string) {
	l.errs = append(l.errs, l.newError(l.pos(v), app, field, msg))
}

// pos is where the user wrote v. Only a stack that imports the vendored
// schema has patterns of its own that CUE may name first.
func (l *loader) pos(v cue.Value) token.Pos {
	if l.vendored {
		return valuePos(v)
	}
	return v.Pos()
}

// unmatchedIf is why CUE's loader leaves a file out for its @if.
var unmatchedIf = regexp.MustCompile(`@if\((.*)\) did not match`)

// environments is why a stack of environments fails without a tag: none
// of its files under @if was loaded, as no tag named one; nil if one
// was, or the stack has none.
func (l *loader) environments(inst *build.Instance) *Error {
	for _, f := range inst.Files {
		for _, d := range f.Decls {
			if a, ok := d.(*ast.Attribute); ok && strings.HasPrefix(a.Text, "@if(") {
				return nil
			}
		}
	}
	var envs, tags []string
	for _, f := range inst.IgnoredFiles {
		if f.ExcludeReason == nil {
			continue
		}
		if m := unmatchedIf.FindStringSubmatch(f.ExcludeReason.Error()); m != nil {
			envs = append(envs, "@if("+m[1]+")")
			if isDNSLabel(strings.ReplaceAll(m[1], "_", "-")) { // a tag, not an expression
				tags = append(tags, "-t "+m[1])
			}
		}
	}
	if len(envs) == 0 {
		return nil
	}
	slices.Sort(envs)
	slices.Sort(tags)
	msg := fmt.Sprintf("no file of its environments was loaded (%s), as no tag names one", strings.Join(envs, ", "))
	if len(tags) > 0 {
		msg += "; render an environment with " + strings.Join(tags, " or ")
	}
	return &Error{Position: Position{File: l.dir}, Msg: msg}
}
