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
			if !ok {
				msg := "unknown field"
				if s := suggest(name, sortedKeys(fields)); s != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", s)
				}
				fail(append(slices.Clone(path), name), msg)
				continue
			}
			checkFragment(f, m[name], append(slices.Clone(path), name), fail)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			fail(path, fmt.Sprintf("%s, want a map", describeValue(v)))
			return
		}
		for _, k := range sortedKeys(m) {
			checkFragment(t.Elem(), m[k], append(slices.Clone(path), k), fail)
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
			checkFragment(t.Elem(), x, append(slices.Clone(path), "["+strconv.Itoa(i)+"]"), fail)
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

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// jsonFields are the fields of a struct type by the names JSON uses,
// with those of embedded and inline structs.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
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
		fields[name] = f.Type
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
