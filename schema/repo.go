package schema

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"
)

//go:embed repo.cue
var repoSource []byte

// repoSchemaFile names the embedded schema of kdecl.cue in positions.
const repoSchemaFile = "kdecl:repo.cue"

// RepoFile is the file at the root of a CUE module that lists the
// renders of the repository: kdecl render --all reads it.
const RepoFile = "kdecl.cue"

// RepoSource returns the CUE schema kdecl.cue is checked against.
func RepoSource() string { return string(repoSource) }

// Render is one render a repository's kdecl.cue lists: a stack, the tags
// it is loaded with, and its deploy directory.
type Render struct {
	// Name is the stack's name in kdecl.cue, and its environment's after
	// a slash: shop/prod, or flask for a stack without environments.
	Name string
	// Stack and Output are the stack's directory and the deploy
	// directory, as paths from the working directory when kdecl.cue was
	// given as one.
	Stack, Output string
	Tags          []string
}

// FindRepo returns the kdecl.cue of the CUE module that holds dir: the
// file in the nearest directory, dir or above, that has a cue.mod
// directory. The path is relative to the working directory when it can
// be.
func FindRepo(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if info, err := os.Stat(filepath.Join(d, "cue.mod")); err == nil && info.IsDir() {
			file := filepath.Join(d, RepoFile)
			if wd, err := os.Getwd(); err == nil {
				if rel, err := filepath.Rel(wd, file); err == nil {
					file = rel
				}
			}
			if _, err := os.Stat(file); err != nil {
				return "", fmt.Errorf("%s: the CUE module at %s lists no renders: write its %s, or give one with --config", file, filepath.Dir(file), RepoFile)
			}
			return file, nil
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("no CUE module (a directory with cue.mod/) in %s or above, whose %s lists the renders; give one with --config", dir, RepoFile)
		}
	}
}

// repoStack is a stack of kdecl.cue as the schema decodes it.
type repoStack struct {
	Dir          string                     `json:"dir"`
	Output       *string                    `json:"output"`
	Tags         []string                   `json:"tags"`
	Environments map[string]repoEnvironment `json:"environments"`
}

type repoEnvironment struct {
	Output string   `json:"output"`
	Tags   []string `json:"tags"`
}

// LoadRepo reads the renders of a kdecl.cue, sorted by name, and checks
// them: against the schema, for stack directories that exist, and for
// deploy directories of their own (no two renders into one directory,
// none inside another's or a stack's). Problems come back as Errors,
// positioned in the file.
func LoadRepo(file string) ([]Render, error) {
	switch info, err := os.Stat(file); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file", file)
	case err != nil:
		return nil, err
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", file)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	r := &repoLoader{file: file, abs: abs}
	insts := load.Instances([]string{filepath.Base(abs)}, &load.Config{Dir: filepath.Dir(abs), Env: cueEnv()})
	if len(insts) != 1 {
		return nil, fmt.Errorf("%s: want one CUE file, found %d instances", file, len(insts))
	}
	if err := insts[0].Err; err != nil {
		return nil, r.cueErrors(err)
	}
	ctx := cuecontext.New()
	user := ctx.BuildInstance(insts[0])
	if err := user.Err(); err != nil {
		return nil, r.cueErrors(err)
	}
	r.fields(user, nil, repoFields)
	def := ctx.CompileBytes(repoSource, cue.Filename(repoSchemaFile)).LookupPath(cue.MakePath(cue.Def("Repo")))
	if err := def.Err(); err != nil {
		return nil, fmt.Errorf("kdecl schema of %s: %w", RepoFile, err) // a bug in kdecl
	}
	v := def.Unify(user)
	if err := v.Validate(cue.Concrete(true), cue.All()); err != nil || len(r.errs) > 0 {
		return nil, r.cueErrors(err)
	}
	var repo struct {
		Stacks map[string]repoStack `json:"stacks"`
	}
	if err := v.Decode(&repo); err != nil {
		return nil, r.cueErrors(err)
	}
	base := filepath.Dir(file)
	var renders []Render
	at := map[string]cue.Value{} // where each render's output is set, by name
	for _, name := range slices.Sorted(maps.Keys(repo.Stacks)) {
		s := repo.Stacks[name]
		path := []string{"stacks", name}
		stack := filepath.Join(base, filepath.FromSlash(s.Dir))
		if info, err := os.Stat(stack); err != nil || !info.IsDir() {
			r.errorAt(user, append(path, "dir"), fmt.Sprintf("%s: no such stack directory", stack))
		}
		switch {
		case s.Output != nil && s.Environments != nil:
			r.errorAt(user, append(path, "environments"), "a stack is rendered once (output and tags) or once per environment (environments), not both")
			continue
		case s.Output == nil && s.Tags != nil:
			r.errorAt(user, append(path, "tags"), "tags go with output, or in each environment")
			continue
		case s.Output != nil:
			renders = append(renders, Render{Name: name, Stack: stack, Tags: s.Tags, Output: filepath.Join(base, filepath.FromSlash(*s.Output))})
			at[name] = lookupRepo(user, append(path, "output"))
		case len(s.Environments) == 0:
			r.errorAt(user, path, "no render: give the deploy directory (output), or environments, each with its output")
		}
		for _, env := range slices.Sorted(maps.Keys(s.Environments)) {
			e := s.Environments[env]
			n := name + "/" + env
			renders = append(renders, Render{Name: n, Stack: stack, Tags: e.Tags, Output: filepath.Join(base, filepath.FromSlash(e.Output))})
			at[n] = lookupRepo(user, append(path, "environments", env, "output"))
		}
	}
	r.checkOutputs(renders, at)
	if len(r.errs) > 0 {
		return nil, Errors(sortErrors(r.errs))
	}
	return renders, nil
}

// checkOutputs wants each render's deploy directory its own: not
// another's, not inside or around another's, and apart from every stack.
func (r *repoLoader) checkOutputs(renders []Render, at map[string]cue.Value) {
	abs := func(p string) string {
		a, _ := filepath.Abs(p)
		return a
	}
	inside := func(dir, parent string) bool {
		rel, err := filepath.Rel(parent, dir)
		return err == nil && filepath.IsLocal(rel)
	}
	for i, a := range renders {
		out := abs(a.Output)
		for _, b := range renders[:i] {
			other := abs(b.Output)
			switch {
			case out == other:
				r.errorValue(at[a.Name], fmt.Sprintf("%s is also the deploy directory of %s: two renders into one directory", a.Output, b.Name))
			case inside(out, other):
				r.errorValue(at[a.Name], fmt.Sprintf("%s is inside %s, the deploy directory of %s: each render needs a directory of its own, not nested in another's", a.Output, b.Output, b.Name))
			case inside(other, out):
				r.errorValue(at[a.Name], fmt.Sprintf("%s holds %s, the deploy directory of %s: each render needs a directory of its own, not around another's", a.Output, b.Output, b.Name))
			}
		}
		var stacks []string
		for _, b := range renders {
			if !slices.Contains(stacks, b.Stack) {
				stacks = append(stacks, b.Stack)
			}
		}
		for _, s := range stacks {
			switch dir := abs(s); {
			case out == dir || inside(out, dir):
				r.errorValue(at[a.Name], fmt.Sprintf("%s is inside the stack directory %s: render outside it", a.Output, s))
			case inside(dir, out):
				r.errorValue(at[a.Name], fmt.Sprintf("%s holds the stack directory %s: render beside it", a.Output, s))
			}
		}
	}
}

type repoLoader struct {
	file, abs string
	errs      []*Error
}

func lookupRepo(v cue.Value, path []string) cue.Value {
	sels := make([]cue.Selector, len(path))
	for i, p := range path {
		sels[i] = cue.Str(p)
	}
	return v.LookupPath(cue.MakePath(sels...))
}

// errorAt records msg for the field at path, at its position in the
// file, or the nearest one that exists.
func (r *repoLoader) errorAt(user cue.Value, path []string, msg string) {
	pos := token.NoPos
	for n := len(path); n >= 0 && !pos.IsValid(); n-- {
		if v := lookupRepo(user, path[:n]); v.Exists() {
			pos = v.Pos()
		}
	}
	r.errs = append(r.errs, &Error{Position: r.position(pos), Field: strings.Join(path, "."), Msg: msg})
}

// errorValue records msg for the field v, which exists.
func (r *repoLoader) errorValue(v cue.Value, msg string) {
	var path []string
	for _, s := range v.Path().Selectors() {
		path = append(path, label(s))
	}
	r.errs = append(r.errs, &Error{Position: r.position(v.Pos()), Field: strings.Join(path, "."), Msg: msg})
}

// repoFields are the fields of kdecl.cue, by the path of a struct (with
// "*" for any name), for the errors of a field kdecl does not know.
var repoFields = map[string][]string{
	"":                        {"stacks"},
	"stacks.*":                {"dir", "output", "tags", "environments"},
	"stacks.*.environments.*": {"output", "tags"},
}

// fields checks the names of the fields of v, at path, and of the
// structs below it: kdecl's fields where repoFields lists them, names
// of stacks and environments that are labels. CUE's own error for
// either is "field not allowed", with neither the name nor a hint.
func (r *repoLoader) fields(v cue.Value, path []string, known map[string][]string) {
	it, err := v.Fields()
	if err != nil {
		return // CUE's error says why
	}
	key := strings.Join(path, ".")
	for it.Next() {
		name := label(it.Selector())
		p := append(slices.Clone(path), name)
		switch {
		case key == "stacks" || strings.HasSuffix(key, ".environments"):
			what := "stack"
			if key != "stacks" {
				what = "environment"
			}
			if !isDNSLabel(name) {
				r.errorValue(it.Value(), fmt.Sprintf("%s name %q is not an RFC 1123 label (lowercase letters, digits and '-'): it names renders, such as shop/prod", what, name))
			}
			r.fields(it.Value(), append(slices.Clone(path), name), known)
			continue
		case !slices.Contains(known[starred(key)], name):
			msg := fmt.Sprintf("unknown field %q; ", name)
			if s := suggest(name, known[starred(key)]); s != "" {
				msg += fmt.Sprintf("did you mean %s? ", s)
			}
			r.errs = append(r.errs, &Error{Position: r.position(it.Value().Pos()), Field: strings.Join(p, "."), Msg: msg + "the fields here are " + list(known[starred(key)])})
		case name == "stacks" || name == "environments":
			r.fields(it.Value(), p, known)
		}
	}
}

// starred is a path of kdecl.cue with the names of stacks and
// environments as "*".
func starred(key string) string {
	parts := strings.Split(key, ".")
	for i := range parts {
		if i > 0 && (parts[i-1] == "stacks" || parts[i-1] == "environments") {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, ".")
}

// cueErrors are CUE's errors of the file, each at its position in it,
// and those the loader recorded; CUE's "field not allowed" is fields'.
func (r *repoLoader) cueErrors(err error) error {
	errs := r.errs
	for _, e := range cueerrors.Errors(err) {
		pos := e.Position()
		for _, p := range append([]token.Pos{pos}, e.InputPositions()...) {
			if p.IsValid() && p.Filename() != repoSchemaFile {
				pos = p
				break
			}
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, excerpts(args)...)
		path := e.Path()
		if len(path) > 0 && path[0] == "#Repo" {
			path = path[1:]
		}
		if msg == "field not allowed" && len(r.errs) > 0 {
			continue
		}
		errs = append(errs, &Error{Position: r.position(pos), Field: strings.Join(path, "."), Msg: msg})
	}
	if len(errs) == 0 {
		return fmt.Errorf("%s: %w", r.file, err)
	}
	return Errors(sortErrors(errs))
}

// position is pos as the user reads it: in the file as it was given.
func (r *repoLoader) position(pos token.Pos) Position {
	switch {
	case !pos.IsValid():
		return Position{File: r.file}
	case pos.Filename() == r.abs:
		return Position{File: r.file, Line: pos.Line(), Column: pos.Column()}
	case pos.Filename() == repoSchemaFile:
		return Position{File: r.file}
	}
	file := pos.Filename()
	if wd, err := os.Getwd(); err == nil && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(wd, file); err == nil {
			file = rel
		}
	}
	return Position{File: file, Line: pos.Line(), Column: pos.Column()}
}
