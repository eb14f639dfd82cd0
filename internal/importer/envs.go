package importer

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/format"

	"github.com/kdecl/kdecl/internal/manifest"
)

// Env is the manifests of one environment of a stack.
type Env struct {
	Name  string // a CUE identifier: the tag of its file's @if
	Docs  []manifest.Doc
	Notes []string // what was done to Docs before
}

// EnvName is what an environment's name may be: an identifier that
// @if and -t accept, in lowercase as file names are; see ValidEnvName.
var EnvName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ValidEnvName says whether name may name an environment: EnvName, and
// none of the literals CUE reads as values, not tags.
func ValidEnvName(name string) bool {
	return EnvName.MatchString(name) && name != "true" && name != "false" && name != "null"
}

// EnvsResult is an import of several environments into one stack.
type EnvsResult struct {
	// Files are the stack's package, by file name: SharedFile, what
	// every environment says alike, and ENV.cue, what one says
	// otherwise, under @if(ENV).
	Files map[string][]byte
	// Envs are each environment's import, in the order given; each
	// Report compares what the package renders with -t ENV with that
	// environment's manifests.
	Envs []EnvResult
}

// EnvResult is the import of one environment.
type EnvResult struct {
	Name string
	*Result
}

// SharedFile is the file of what the environments of a stack share.
const SharedFile = "stack.cue"

// Lossless says whether the package renders every environment as read.
func (r *EnvsResult) Lossless() bool {
	for _, e := range r.Envs {
		if !e.Report.Lossless() {
			return false
		}
	}
	return true
}

// ImportEnvs imports each of envs as Import does, into the one stack
// called name: the fields every environment's stack has alike go into
// SharedFile, the rest into the environment's own file, and each
// environment's render of the package is compared with its manifests.
func ImportEnvs(envs []Env, name string) (*EnvsResult, error) {
	if len(envs) < 2 {
		return nil, fmt.Errorf("an import of environments takes two or more")
	}
	out := &EnvsResult{Files: map[string][]byte{}}
	var all []map[string]any
	for _, e := range envs {
		switch {
		case !ValidEnvName(e.Name):
			return nil, fmt.Errorf("environment %q: a name is a lowercase letter, then lowercase letters, digits and '_'", e.Name)
		case e.Name+".cue" == SharedFile:
			return nil, fmt.Errorf("environment %q: %s is the shared file's name", e.Name, SharedFile)
		case slices.ContainsFunc(out.Envs, func(o EnvResult) bool { return o.Name == e.Name }):
			return nil, fmt.Errorf("environment %q given twice", e.Name)
		}
		res, err := Import(e.Docs, name, e.Notes...)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", e.Name, err)
		}
		fields, err := res.Stack.fields()
		if err != nil {
			return nil, err
		}
		all = append(all, fields)
		out.Envs = append(out.Envs, EnvResult{Name: e.Name, Result: res})
	}
	var names []string
	for _, e := range out.Envs {
		names = append(names, e.Name)
	}
	anys := make([]any, len(all))
	for i, f := range all {
		anys[i] = f
	}
	// A value that holds the marker already says it as read.
	named := !slices.ContainsFunc(all, func(f map[string]any) bool { return holds(f, envMarker) }) && byEnvName(anys, names)
	shared := all[0]
	for _, f := range all[1:] {
		shared, _ = common(shared, f).(map[string]any)
	}
	if shared == nil {
		shared = map[string]any{}
	}
	var notes [][]string
	for _, e := range out.Envs {
		notes = append(notes, e.Stack.Notes)
	}
	sharedNotes := notes[0]
	for _, n := range notes[1:] {
		sharedNotes = slices.DeleteFunc(slices.Clone(sharedNotes), func(s string) bool { return !slices.Contains(n, s) })
	}
	pkg := Package(name)
	// The rest of each environment is without what is shared; the shared
	// file then says what its apps repeat once.
	rests := make([]map[string]any, len(all))
	for i := range all {
		rests[i], _ = without(all[i], shared).(map[string]any)
	}
	shared = integers(toMap(shared)).(map[string]any)
	var tmpl map[string]any
	if !holds(shared, templateMarker) {
		var keep [][]string
		for _, e := range out.Envs {
			keep = append(keep, e.notSecret...)
		}
		tmpl = templates(shared, keep)
	}
	var err error
	if out.Files[SharedFile], err = writeFile(pkg, "", shared, sharedNotes); err != nil {
		return nil, err
	}
	if out.Files[SharedFile], err = withTemplates(out.Files[SharedFile], pkg, tmpl); err != nil {
		return nil, err
	}
	if named {
		if out.Files[SharedFile], err = withEnvField(out.Files[SharedFile], "string", names); err != nil {
			return nil, err
		}
	}
	for i, e := range out.Envs {
		own := slices.DeleteFunc(slices.Clone(e.Stack.Notes), func(s string) bool { return slices.Contains(sharedNotes, s) })
		rest := rests[i]
		if rest == nil {
			rest = map[string]any{}
		}
		if out.Files[e.Name+".cue"], err = writeFile(pkg, "@if("+e.Name+")", rest, own); err != nil {
			return nil, err
		}
		if named {
			if out.Files[e.Name+".cue"], err = withEnvField(out.Files[e.Name+".cue"], strconv.Quote(e.Name), nil); err != nil {
				return nil, err
			}
		}
	}
	for _, e := range out.Envs {
		// In the shared file, or else the environment's own.
		own := e.Name + ".cue"
		var missing [][]string
		if out.Files[SharedFile], missing, err = markNotSecret(out.Files[SharedFile], e.notSecret); err != nil {
			return nil, err
		}
		if out.Files[own], _, err = markNotSecret(out.Files[own], missing); err != nil {
			return nil, err
		}
	}
	for i, e := range out.Envs {
		rendered, secrets, err := renderFiles(out.Files, e.Name)
		if err != nil {
			return nil, fmt.Errorf("environment %s: kdecl refuses the package import wrote, rendered with -t %s:\n%w", e.Name, e.Name, inInput(e.Plan, err))
		}
		out.Envs[i].Report = report(e.Plan, e.Stack, rendered, secrets)
	}
	return out, nil
}

// envMarker stands, in a string of every environment's stack, for the
// environment's name, until the shared file says it as envField.
const envMarker = "⟦kdecl-env⟧"

// envField is the hidden field of a stack imported with environments
// that holds the environment's name, in the strings that differ by it
// alone.
const envField = "_env"

// byEnvName marks, in the stacks' fields all of the environments names,
// each string that differs between them by the environment's name
// alone (a namespace podinfo-dev, podinfo-prod): the name becomes
// envMarker, and the string one alike in each. It says whether it
// marked one.
func byEnvName(all []any, names []string) bool {
	marked := false
	// each looks at the values of one field (or item) in every
	// environment, vs, which set sets.
	var each func(vs []any, set func(i int, v any))
	each = func(vs []any, set func(i int, v any)) {
		if byName(vs, names) {
			for i, v := range vs {
				set(i, strings.ReplaceAll(v.(string), names[i], envMarker))
			}
			marked = true
			return
		}
		switch first := vs[0].(type) {
		case map[string]any:
			for k := range first {
				field := make([]any, len(vs))
				all := true
				for i, v := range vs {
					m, ok := v.(map[string]any)
					if !ok || m[k] == nil {
						all = false
						break
					}
					field[i] = m[k]
				}
				if all {
					each(field, func(i int, v any) { vs[i].(map[string]any)[k] = v })
				}
			}
		case []any:
			for j := range first {
				item := make([]any, len(vs))
				for i, v := range vs {
					l, ok := v.([]any)
					if !ok || len(l) != len(first) {
						return // lists of other lengths: none of their items
					}
					item[i] = l[j]
				}
				each(item, func(i int, v any) { vs[i].([]any)[j] = v })
			}
		}
	}
	each(all, func(int, any) {})
	return marked
}

// holds says whether any string of v, a key or a value, holds s.
func holds(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, s)
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, s) || holds(e, s) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(v, func(e any) bool { return holds(e, s) })
	}
	return false
}

// byName says whether vs, one string of each environment, differ by
// the environment's name alone, which each holds: in several lines, or
// with quotes, too, as CUE interpolates in each; not one CUE would
// write as a raw string (with """ or \(), where \(_env) is text.
func byName(vs []any, names []string) bool {
	want := ""
	for i, v := range vs {
		s, ok := v.(string)
		if !ok || strings.Contains(s, envMarker) || !strings.Contains(s, names[i]) || strings.Contains(s, `"""`) || strings.Contains(s, `\(`) {
			return false
		}
		if t := strings.ReplaceAll(s, names[i], envMarker); i == 0 {
			want = t
		} else if t != want {
			return false
		}
	}
	return true
}

// withEnvField adds to src, a file of the stack, the field envField:
// value, and says the strings marked with envMarker with it.
// The shared file's comment names the environments, whose files set it.
func withEnvField(src []byte, value string, envs []string) ([]byte, error) {
	text := strings.ReplaceAll(string(src), envMarker, `\(`+envField+`)`)
	text += fmt.Sprintf("\n// %s is the environment's name, in the values that differ by it alone.\n", envField)
	if len(envs) > 0 {
		text += fmt.Sprintf("// Each environment's file sets it: render with -t %s.\n", strings.Join(envs, ", -t "))
	}
	text += fmt.Sprintf("%s: %s\n", envField, value)
	return format.Source([]byte(text))
}

// common is what a and b have alike: a value both are, or of two
// structs, the fields whose values have something alike; nil for none.
func common(a, b any) any {
	if reflect.DeepEqual(a, b) {
		return a
	}
	am, ok := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok || !ok2 {
		return nil
	}
	out := map[string]any{}
	for k, av := range am {
		bv, ok := bm[k]
		if !ok {
			continue
		}
		if c := common(av, bv); c != nil {
			out[k] = c
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// without is what v says beyond shared, which common found in it: nil
// for nothing.
func without(v, shared any) any {
	if shared == nil {
		return v
	}
	if reflect.DeepEqual(v, shared) {
		return nil
	}
	vm, ok := v.(map[string]any)
	sm, ok2 := shared.(map[string]any)
	if !ok || !ok2 {
		return v
	}
	out := map[string]any{}
	for k, e := range vm {
		if r := without(e, sm[k]); r != nil {
			out[k] = r
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
