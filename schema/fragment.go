package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// checkFragment checks a fragment of a Kubernetes object, as CUE decodes
// it, against the object's Go type, strictly: every field one the type
// has, every value of the field's type. It calls fail with the path of
// each problem within the fragment.
func checkFragment(t reflect.Type, v any, path []string, fail func(path []string, msg string)) {
	fragmentChecker{fail: fail}.check(t, v, path)
}

// checkPatch checks a fragment that is a strategic merge patch of an
// object kdecl renders, as checkFragment does, and what only a patch can
// say: null deletes a field, a directive ($patch, $setElementOrder/...,
// $retainKeys, $deleteFromPrimitiveList/...) deletes or reorders, and an
// element of a list merged by key without its key cannot be merged.
func checkPatch(t reflect.Type, v any, path []string, fail func(path []string, msg string)) {
	fragmentChecker{patch: true, fail: fail}.check(t, v, path)
}

type fragmentChecker struct {
	patch bool
	fail  func(path []string, msg string)
}

func (c fragmentChecker) check(t reflect.Type, v any, path []string) {
	fail := c.fail
	if v == nil && c.patch {
		fail(path, "null deletes the field in a patch, and an override only adds and changes what kdecl renders: leave the field out")
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		// IntOrString, Quantity, Time and such decode themselves: let them.
		b, err := json.Marshal(jsonValue(v))
		if err == nil {
			err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(b)
		}
		if err != nil {
			fail(path, fmt.Sprintf("not a valid %s: %v", typeName(t), err))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			fail(path, fmt.Sprintf("%s, want a struct (%s)", describeValue(v), typeName(t)))
			return
		}
		fields := jsonFields(t)
		for _, name := range sortedKeys(m) {
			f, ok := fields[name]
			switch {
			case !ok && strings.HasPrefix(name, "$"):
				msg := "a strategic merge patch directive: an object is written whole, not patched"
				if c.patch {
					msg = "a strategic merge patch directive, which kdecl does not take: an override only adds and changes what kdecl renders, it does not delete or reorder it"
				}
				fail(append(slices.Clone(path), name), msg)
				continue
			case !ok:
				msg := "unknown field"
				if s := suggest(name, sortedKeys(fields)); s != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", s)
				}
				fail(append(slices.Clone(path), name), msg)
				continue
			}
			if c.patch && f.mergeKey != "" {
				c.mergeKeys(name, f.mergeKey, m[name], append(slices.Clone(path), name))
			}
			c.check(f.typ, m[name], append(slices.Clone(path), name))
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			fail(path, fmt.Sprintf("%s, want a map", describeValue(v)))
			return
		}
		for _, k := range sortedKeys(m) {
			c.check(t.Elem(), m[k], append(slices.Clone(path), k))
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // []byte: base64 text in JSON
			if _, ok := v.(string); !ok {
				fail(path, fmt.Sprintf("%s, want base64 text", describeValue(v)))
			}
			return
		}
		l, ok := v.([]any)
		if !ok {
			fail(path, fmt.Sprintf("%s, want a list", describeValue(v)))
			return
		}
		for i, x := range l {
			c.check(t.Elem(), x, append(slices.Clone(path), "["+strconv.Itoa(i)+"]"))
		}
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			fail(path, fmt.Sprintf("%s, want a string", describeValue(v)))
		} else if values := enums[t]; values != nil && s != "" && !slices.Contains(values, s) {
			fail(path, fmt.Sprintf("unsupported value %s: want %s", quote(s), joinWith(quoteAll(values), "or")))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			fail(path, fmt.Sprintf("%s, want a bool", describeValue(v)))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if b, ok := v.(*big.Int); ok {
			fail(path, fmt.Sprintf("%v does not fit the field's %d bits", b, t.Bits()))
			return
		}
		n, ok := v.(int64)
		if !ok {
			fail(path, fmt.Sprintf("%s, want an integer", describeValue(v)))
			return
		}
		if bits := t.Bits(); n < -1<<(bits-1) || n > 1<<(bits-1)-1 {
			fail(path, fmt.Sprintf("%d does not fit the field's %d bits", n, bits))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(int64)
		if !ok || n < 0 || uint64(n) > math.MaxUint64>>(64-t.Bits()) {
			fail(path, fmt.Sprintf("%s, want a whole number of %d bits", describeValue(v), t.Bits()))
		}
	case reflect.Float32, reflect.Float64:
		switch v.(type) {
		case int64, float64:
		default:
			fail(path, fmt.Sprintf("%s, want a number", describeValue(v)))
		}
	case reflect.Interface:
		// any value
	default:
		fail(path, fmt.Sprintf("kdecl cannot check a field of Go type %s", t))
	}
}

// mergeKeys checks that each element of a list a patch merges by key,
// such as containers by name, has its key: the patch library cannot
// merge one without it.
func (c fragmentChecker) mergeKeys(name, key string, v any, path []string) {
	list, _ := v.([]any)
	seen := map[string]bool{}
	for i, x := range list {
		elem, ok := x.(map[string]any)
		if !ok {
			continue // the element's type is checked next
		}
		k, ok := elem[key]
		switch id := fmt.Sprint(k); {
		case !ok:
			c.fail(append(slices.Clone(path), "["+strconv.Itoa(i)+"]"), fmt.Sprintf("a patch merges the elements of %s by their %s: give this one its %s, to change that element or add a new one", name, key, key))
		case seen[id]:
			c.fail(append(slices.Clone(path), "["+strconv.Itoa(i)+"]"), fmt.Sprintf("a patch merges the elements of %s by their %s, and another element has %s %s: write one", name, key, key, id))
		default:
			seen[id] = true
		}
	}
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// jsonField is a field of a struct type: its type and, for a list that
// a strategic merge patch merges by key, the key.
type jsonField struct {
	typ      reflect.Type
	mergeKey string
}

// jsonFields are the fields of a struct type by the names JSON uses,
// with those of embedded and inline structs.
func jsonFields(t reflect.Type) map[string]jsonField {
	fields := map[string]jsonField{}
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
			continue
		case name == "" && (f.Anonymous || strings.Contains(opts, "inline")):
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for n, t := range jsonFields(ft) {
				fields[n] = t
			}
			continue
		case name == "":
			name = f.Name
		}
		jf := jsonField{typ: f.Type}
		if slices.Contains(strings.Split(f.Tag.Get("patchStrategy"), ","), "merge") && f.Type.Kind() == reflect.Slice {
			jf.mergeKey = f.Tag.Get("patchMergeKey")
		}
		fields[name] = jf
	}
	return fields
}

// jsonValue turns what CUE decodes into what encoding/json writes.
func jsonValue(v any) any {
	if b, ok := v.(*big.Int); ok {
		return json.Number(b.String())
	}
	return v
}

func describeValue(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "a struct"
	case []any:
		return "a list"
	case string:
		return quote(v) + " is a string"
	case bool:
		return fmt.Sprintf("%v is a bool", v)
	case int64, *big.Int:
		return fmt.Sprintf("%v is an integer", v)
	case float64:
		return fmt.Sprintf("%v is a number", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", v)
}

func typeName(t reflect.Type) string {
	if t.Name() != "" {
		return t.Name()
	}
	return t.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
