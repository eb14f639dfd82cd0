package randstack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// object is a CUE struct whose fields keep the order they were added in.
type object struct {
	fields []field
}

type field struct {
	label string
	value any // string, int, int64, bool, *object or list
}

type list []any

// set sets the field label, in place if it is set already; nil removes it.
func (o *object) set(label string, value any) {
	i := slices.IndexFunc(o.fields, func(f field) bool { return f.label == label })
	switch {
	case value == nil && i >= 0:
		o.fields = slices.Delete(o.fields, i, i+1)
	case value == nil:
	case i >= 0:
		o.fields[i].value = value
	default:
		o.fields = append(o.fields, field{label, value})
	}
}

func (o *object) empty() bool { return len(o.fields) == 0 }

// has is whether the field label is set.
func (o *object) has(label string) bool {
	return slices.ContainsFunc(o.fields, func(f field) bool { return f.label == label })
}

// bareLabel is a label CUE reads as a plain field name: no hidden (_x) or
// definition (#x) field, no keyword or predeclared identifier.
var bareLabel = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

var reservedLabels = []string{
	"package", "import", "for", "in", "if", "let", "true", "false", "null",
	"div", "mod", "quo", "rem", "bool", "int", "float", "number", "string", "bytes",
	"len", "close", "and", "or", "error",
}

func writeLabel(b *strings.Builder, label string) {
	if bareLabel.MatchString(label) && !slices.Contains(reservedLabels, label) {
		b.WriteString(label)
		return
	}
	writeString(b, label)
}

// writeString writes s as a CUE string literal. JSON's escapes are a subset
// of CUE's, and a backslash is always escaped, so no \( interpolates. CUE
// refuses a byte order mark anywhere but at the start of a file, so it is
// escaped too.
func writeString(b *strings.Builder, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err) // a string always encodes
	}
	lit := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	b.Write(bytes.ReplaceAll(lit, []byte("\ufeff"), []byte(`\ufeff`)))
}

// writeValue writes v at the given depth of tabs.
func writeValue(b *strings.Builder, v any, depth int) {
	switch v := v.(type) {
	case string:
		writeString(b, v)
	case int, int64, bool:
		fmt.Fprint(b, v)
	case list:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[")
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, e, depth)
		}
		b.WriteString("]")
	case *object:
		if v.empty() {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		writeFields(b, v, depth+1)
		b.WriteString(strings.Repeat("\t", depth) + "}")
	default:
		panic(fmt.Sprintf("randstack: no CUE form for %T", v))
	}
}

func writeFields(b *strings.Builder, o *object, depth int) {
	for _, f := range o.fields {
		b.WriteString(strings.Repeat("\t", depth))
		writeLabel(b, f.label)
		b.WriteString(": ")
		writeValue(b, f.value, depth)
		b.WriteString("\n")
	}
}

// source is a CUE file of package pkg with the fields of top.
func source(pkg string, top *object) []byte {
	var b strings.Builder
	b.WriteString("package " + pkg + "\n\n")
	writeFields(&b, top, 0)
	return []byte(b.String())
}

// jsonOf is v as JSON, which YAML reads as well: a CRD file.
func jsonOf(v any) []byte {
	b, err := json.MarshalIndent(plain(v), "", "  ")
	if err != nil {
		panic(err) // strings, numbers, bools, lists and objects always encode
	}
	return append(b, '\n')
}

// plain is v with its objects as maps.
func plain(v any) any {
	switch v := v.(type) {
	case *object:
		m := map[string]any{}
		for _, f := range v.fields {
			m[f.label] = plain(f.value)
		}
		return m
	case list:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plain(e)
		}
		return out
	}
	return v
}
