package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/format"

	"github.com/kdecl/kdecl/schema"
)

// A template is what several apps of a stack say alike, said once: a
// hidden field of the stack's, _NAME, that each app's field refers to
// (probes: _probes), as a person writes a stack by hand.

// templateMarker stands, in a field's value, for the template it refers
// to, until the file says the reference.
const templateMarker = "⟦kdecl-template⟧"

// minTemplateBytes is the least JSON a value takes to be worth a
// template: an image or a port is clearer said in place.
const minTemplateBytes = 40

// notTemplated are the fields of an app that say the app itself, or
// that another field refers to by a name only the app has.
// env too: a value kdecl's credential check refuses is marked in place.
var notTemplated = []string{"kind", "image", "objects", "before", "uses", "configs", "env"}

// templates takes out of the apps of fields each value of a field that
// two apps or more say alike, worth a template, and puts a marker in its
// place; it returns the templates by name (probes, probes2, ...). The
// fields that the paths keep go through stay in place. fields holds no
// marker already.
func templates(fields map[string]any, keep [][]string) map[string]any {
	apps, _ := fields["apps"].(map[string]any)
	type value struct {
		field string
		v     any
		apps  []string
	}
	var values []*value
	for _, name := range slices.Sorted(maps.Keys(apps)) {
		app, _ := apps[name].(map[string]any)
		for _, f := range slices.Sorted(maps.Keys(app)) {
			if slices.Contains(notTemplated, f) || slices.ContainsFunc(keep, func(p []string) bool {
				return len(p) > 2 && p[0] == "apps" && p[1] == name && strings.TrimSuffix(p[2], listItem.FindString(p[2])) == f
			}) {
				continue // said in place: a mark of notSecret goes on it
			}
			i := slices.IndexFunc(values, func(v *value) bool { return v.field == f && reflect.DeepEqual(v.v, app[f]) })
			if i < 0 {
				values = append(values, &value{field: f, v: app[f]})
				i = len(values) - 1
			}
			values[i].apps = append(values[i].apps, name)
		}
	}
	out := map[string]any{}
	taken := map[string]int{}
	for _, v := range values {
		b, err := json.Marshal(v.v)
		if len(v.apps) < 2 || err != nil || len(b) < minTemplateBytes {
			continue
		}
		name := templateName(v.field)
		if taken[name]++; taken[name] > 1 {
			name += strconv.Itoa(taken[name])
		}
		out[name] = v.v
		for _, a := range v.apps {
			apps[a].(map[string]any)[v.field] = templateMarker + name
		}
	}
	return out
}

// templateName is the name of a template of the field f: a CUE
// identifier after the field's name.
func templateName(f string) string {
	var b strings.Builder
	for _, r := range f {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return "_" + b.String()
}

// withTemplates says, in src, a file of the package pkg, each marked
// value as the reference to its template, and the templates after the
// rest of the file.
func withTemplates(src []byte, pkg string, tmpl map[string]any) ([]byte, error) {
	if len(tmpl) == 0 {
		return src, nil
	}
	text := string(src)
	for _, name := range slices.Sorted(maps.Keys(tmpl)) {
		text = strings.ReplaceAll(text, strconv.Quote(templateMarker+name), name)
	}
	// Each template as the field of a file of its own, whose label is
	// then made hidden: CUE writes a hidden label only from syntax.
	fields := map[string]any{}
	for name, v := range tmpl {
		fields[strings.TrimPrefix(name, "_")+templateMarker] = v
	}
	decls, err := schema.WriteCUE(pkg, fields)
	if err != nil {
		return nil, err
	}
	_, body, _ := bytes.Cut(decls, []byte("\n\n")) // after the package clause
	var b strings.Builder
	b.WriteString(text)
	b.WriteString("\n// What several apps say alike, said once.\n")
	for _, line := range strings.SplitAfter(string(body), "\n") {
		if label, rest, ok := strings.Cut(line, templateMarker+"\":"); ok && strings.HasPrefix(label, "\"") {
			line = "_" + strings.TrimPrefix(label, "\"") + ":" + rest
		}
		b.WriteString(line)
	}
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("the stack's templates: %w", err)
	}
	return out, nil
}
