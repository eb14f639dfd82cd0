package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
	"golang.org/x/tools/txtar"

	"github.com/kdecl/kdecl/internal/randstack"
)

// corpus are stacks to hold the validator and the fast path to CUE:
// random ones, at their risk of values past the schema's edges, and the
// stacks of the golden cases, valid and invalid.
func corpus(t *testing.T, random int) []string {
	t.Helper()
	var dirs []string
	for i := range random {
		dir := t.TempDir()
		src := randstack.Stack(rand.New(rand.NewPCG(11, uint64(i))), fmt.Sprintf("ns-%d", i), randstack.Options{})
		if err := os.WriteFile(filepath.Join(dir, "stack.cue"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	cases, _ := filepath.Glob("../testdata/*.txtar")
	for _, c := range cases {
		ar, err := txtar.ParseFile(c)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		has := false
		for _, f := range ar.Files {
			if strings.HasPrefix(f.Name, "stack/") && !strings.Contains(f.Name, "cue.mod") && strings.Count(f.Name, "/") == 1 && strings.HasSuffix(f.Name, ".cue") {
				has = true
			}
			if strings.HasPrefix(f.Name, "stack/") {
				p := filepath.Join(dir, strings.TrimPrefix(f.Name, "stack/"))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		if has {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// schemaDefs are a CUE context with #Stack and #App compiled in it.
func schemaDefs() (ctx *cue.Context, def, appDef cue.Value) {
	ctx = cuecontext.New()
	def = ctx.CompileBytes(schemaSource).LookupPath(cue.MakePath(cue.Def("Stack")))
	return ctx, def, def.LookupPath(cue.MakePath(cue.Str("apps"), cue.AnyString))
}

// TestValidatorAgreesWithCUE: for every app and stack field of the
// corpus whose value is concrete, the compiled validator accepts exactly
// what CUE's unification with the schema accepts. Accepting more would
// let an invalid stack through; accepting less would only be slow.
func TestValidatorAgreesWithCUE(t *testing.T) {
	sv, err := validators()
	if err != nil {
		t.Fatal(err)
	}
	ctx, def, appDef := schemaDefs()
	checked, valid := 0, 0
	for _, dir := range corpus(t, 1500) {
		insts := load.Instances([]string{"."}, &load.Config{Dir: dir})
		if insts[0].Err != nil {
			continue
		}
		user := ctx.BuildInstance(insts[0])
		if user.Err() != nil {
			continue
		}
		// fieldOf is the schema of a field of the stack: the stack with
		// only that field, unified with #Stack, at the field.
		fieldOf := func(name string, v cue.Value) cue.Value {
			return def.Unify(ctx.CompileString("{}").FillPath(cue.MakePath(cue.Str(name)), v)).LookupPath(cue.MakePath(cue.Str(name)))
		}
		judge := func(what string, v cue.Value, schema cue.Value, check validator, key string) {
			b, err := v.MarshalJSON()
			if err != nil {
				return // not concrete: CUE's to report
			}
			got := check(decodeNumbers(t, b), key)
			unified := schema
			if key != "" {
				unified = schema.Unify(v)
			}
			want := unified.Validate(cue.Concrete(true)) == nil
			checked++
			if want {
				valid++
			}
			if got != want {
				t.Errorf("%s: the validator says %v, CUE %v:\n%s", what, got, want, b)
			}
		}
		it, err := user.Fields()
		if err != nil {
			continue
		}
		for it.Next() {
			name := it.Selector().String()
			if check, ok := sv.fields[name]; ok {
				judge(dir+": "+name, it.Value(), fieldOf(name, it.Value()), check, "")
			}
		}
		apps, err := user.LookupPath(cue.ParsePath("apps")).Fields()
		if err != nil {
			continue
		}
		for apps.Next() {
			name := apps.Selector().Unquoted()
			judge(dir+": app "+name, apps.Value(), appDef, sv.app, name)
		}
	}
	t.Logf("%d values checked, %d valid", checked, valid)
	if checked < 2000 || valid < checked/3 || valid == checked {
		t.Errorf("%d values checked, %d valid: the corpus checks too little", checked, valid)
	}
}

// TestFastPathLoadsAsCUE: every stack of the corpus loads the same
// through the fast path as through CUE's unification alone: the same
// model, the same errors and warnings.
func TestFastPathLoadsAsCUE(t *testing.T) {
	same, loaded := 0, 0
	for _, dir := range corpus(t, 400) {
		fast, fastErr := Load(dir)
		slow, slowErr := loadWith(dir, loadOptions{noFast: true})
		if fmt.Sprint(fastErr) != fmt.Sprint(slowErr) {
			t.Errorf("%s: the fast path says\n%v\nCUE alone\n%v", dir, fastErr, slowErr)
			continue
		}
		if fastErr != nil {
			continue
		}
		loaded++
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: the fast path loads another stack:\n%#v\nCUE alone:\n%#v", dir, fast, slow)
			continue
		}
		same++
	}
	if loaded < 100 {
		t.Errorf("only %d stacks of the corpus load", loaded)
	}
}

// TestValidatorMutations mutates valid apps of the corpus at random
// places (a value of another type or form, a field removed or added)
// and holds the validator to CUE on each mutant, so that the validator
// meets what the corpus seldom holds: every kind of invalid value.
func TestValidatorMutations(t *testing.T) {
	sv, err := validators()
	if err != nil {
		t.Fatal(err)
	}
	ctx, _, appDef := schemaDefs()
	r := rand.New(rand.NewPCG(7, 8))
	replacements := []any{"x", "", "UPPER", "a b", "/abs", "../up", "8080", "10%", "1Gi", strings.Repeat("a", 70),
		json.Number("0"), json.Number("-1"), json.Number("1"), json.Number("65536"), json.Number("99999999999"), json.Number("1.5"),
		true, nil, map[string]any{}, []any{}, []any{"x"}, map[string]any{"bogus": json.Number("1")}}
	checked, invalid := 0, 0
	for _, dir := range corpus(t, 150) {
		insts := load.Instances([]string{"."}, &load.Config{Dir: dir})
		if insts[0].Err != nil {
			continue
		}
		user := ctx.BuildInstance(insts[0])
		apps, err := user.LookupPath(cue.ParsePath("apps")).Fields()
		if err != nil {
			continue
		}
		for apps.Next() {
			name := apps.Selector().Unquoted()
			b, err := apps.Value().MarshalJSON()
			if err != nil {
				continue
			}
			for range 8 {
				v := mutate(r, decodeNumbers(t, b), replacements)
				mutant, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				got := sv.app(decodeNumbers(t, mutant), name)
				// CUE refuses a byte order mark but at the start of a file:
				// escape it, as a stack must.
				src := bytes.ReplaceAll(mutant, []byte("\ufeff"), []byte(`\ufeff`))
				want := appDef.Unify(ctx.CompileBytes(src)).Validate(cue.Concrete(true)) == nil
				checked++
				if !want {
					invalid++
				}
				if got != want {
					t.Errorf("app %s: the validator says %v, CUE %v (%v):\n%s", name, got, want, appDef.Unify(ctx.CompileBytes(src)).Validate(cue.Concrete(true)), mutant)
				}
			}
		}
	}
	t.Logf("%d mutants checked, %d invalid", checked, invalid)
	if checked < 1000 || invalid < checked/2 {
		t.Errorf("%d mutants checked, %d invalid: too few", checked, invalid)
	}
}

// mutate changes one place of v at random.
func mutate(r *rand.Rand, v any, replacements []any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		switch n := r.IntN(10); {
		case len(keys) == 0 || n == 0:
			x["bogus"] = replacements[r.IntN(len(replacements))]
		case n == 1:
			delete(x, keys[r.IntN(len(keys))])
		default:
			k := keys[r.IntN(len(keys))]
			x[k] = mutate(r, x[k], replacements)
		}
		return x
	case []any:
		if len(x) > 0 && r.IntN(4) > 0 {
			i := r.IntN(len(x))
			x[i] = mutate(r, x[i], replacements)
			return x
		}
	}
	return replacements[r.IntN(len(replacements))]
}

// decodeNumbers decodes JSON as the loader does, numbers as json.Number.
func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
