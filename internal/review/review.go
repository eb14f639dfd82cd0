// Package review compares two renders of a stack object by object and
// says what each change does in a cluster: which pods it replaces, which
// changes the API server refuses in place, what data it leaves behind,
// what it exposes, what it scales, which Secrets it needs.
package review

import (
	"bytes"
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kdecl/kdecl/internal/manifest"
)

// The classes of a change. These names are fixed: tooling matches on
// them.
const (
	Rollout  = "rollout"   // the pod template changes: pods are replaced
	Recreate = "recreate"  // the API server refuses the change in place
	DataLoss = "data-loss" // data is deleted or left behind unused
	Exposure = "exposure"  // something new is reachable from outside
	Scale    = "scale"     // replicas or resources change
	Secret   = "secret"    // a Secret or key is newly required
	Removed  = "removed"   // no longer rendered: kubectl apply keeps it
	Added    = "added"
)

// Classes are every class, in the order a change lists them.
var Classes = []string{Rollout, Recreate, DataLoss, Exposure, Scale, Secret, Removed, Added}

// The kinds of change of an object.
const (
	KindAdded   = "added"
	KindRemoved = "removed"
	KindChanged = "changed"
)

// File is one file of a render.
type File struct {
	Path string // slash-separated, relative to the deploy directory
	Data []byte
}

// Change is what happens to one object.
type Change struct {
	// Object is Kind/namespace/name; the namespace is empty for an object
	// outside namespaces, or one that goes to kubectl's namespace.
	Object string `json:"object"`
	// Change is added, removed or changed.
	Change string `json:"change"`
	// Classes of the change, in the order of Classes; empty for a change
	// the API server applies without touching pods.
	Classes []string `json:"classes"`
	// Details say, per class, what the change does and what to do.
	Details []Detail `json:"details"`
	// Fields are the paths of the fields that change.
	Fields []string `json:"fields,omitempty"`
	// File is the object's file in the newer render (the older one for a
	// removed object).
	File string `json:"file"`
}

// Detail is what a change does, for one class ("" for a note).
type Detail struct {
	Class string `json:"class"`
	Text  string `json:"text"`
}

// Has is whether the change has one of classes.
func (c Change) Has(classes ...string) bool {
	return slices.ContainsFunc(c.Classes, func(k string) bool { return slices.Contains(classes, k) })
}

// object is one object of a render.
type object struct {
	file   string
	kind   string
	ns     string
	name   string
	fields map[string]any
}

func (o *object) id() string { return o.kind + "/" + o.ns + "/" + o.name }

// Compare compares the render base with head. Only files whose bytes
// differ are read, so a change of one app of many costs that app. The
// changes come sorted by object. The commands they give name the deploy
// directory DIR.
func Compare(base, head []File) ([]Change, error) {
	return CompareIn(base, head, "DIR")
}

// CompareIn is Compare, with the commands naming the deploy directory dir.
func CompareIn(base, head []File, dir string) ([]Change, error) {
	baseBy := make(map[string][]byte, len(base))
	for _, f := range base {
		baseBy[f.Path] = f.Data
	}
	headBy := make(map[string][]byte, len(head))
	for _, f := range head {
		headBy[f.Path] = f.Data
	}
	oldObjs, err := differing(base, headBy)
	if err != nil {
		return nil, err
	}
	newObjs, err := differing(head, baseBy)
	if err != nil {
		return nil, err
	}
	olds := map[string]*object{}
	for _, o := range oldObjs {
		olds[o.id()] = o
	}
	news := map[string]*object{}
	for _, o := range newObjs {
		news[o.id()] = o
	}
	// kdecl names a Job after its spec: a changed job is a Job removed
	// and one added, of the same app.
	replaced := map[string]*object{} // the new Job's id → the old Job
	for _, o := range oldObjs {
		if news[o.id()] == nil && o.kind == "Job" {
			for _, n := range newObjs {
				if n.kind == "Job" && n.ns == o.ns && olds[n.id()] == nil && sameApp(o, n) {
					replaced[n.id()] = o
				}
			}
		}
	}
	// The ApplySet parents that head's objects name, as far as they
	// differ from base: a removed object's set is head's unless they
	// name only others (the stack moved its set, or dropped applySet).
	var heads map[string]bool
	for _, o := range newObjs {
		if heads == nil {
			heads = map[string]bool{}
		}
		heads[applySetParent(o)] = true
	}
	var changes []Change
	for _, o := range newObjs {
		old := olds[o.id()]
		switch {
		case old == nil:
			changes = append(changes, added(o, replaced[o.id()]))
		case !reflect.DeepEqual(old.fields, o.fields):
			changes = append(changes, changed(old, o))
		}
	}
	for _, o := range oldObjs {
		if news[o.id()] == nil {
			c := removed(o, dir, heads)
			for id, old := range replaced {
				if old == o {
					c.Details = append(c.Details, Detail{"", "replaced by " + strings.TrimPrefix(id, "Job/"+o.ns+"/") +
						": kdecl names a Job after its spec, which the API server does not change in place"})
				}
			}
			changes = append(changes, c)
		}
	}
	slices.SortFunc(changes, func(a, b Change) int { return cmp.Compare(a.Object, b.Object) })
	return changes, nil
}

// differing are the objects of the files that other, by path, does not
// hold byte for byte.
func differing(files []File, other map[string][]byte) ([]*object, error) {
	var objs []*object
	for _, f := range files {
		if d, ok := other[f.Path]; ok && bytes.Equal(d, f.Data) {
			continue
		}
		o, err := parse(f)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	return objs, nil
}

// sameApp is whether two objects belong to one app of one stack.
func sameApp(a, b *object) bool {
	app := func(o *object, label string) any { return manifest.Get(o.fields, "metadata", "labels", label) }
	return app(a, "app.kubernetes.io/name") != nil && app(a, "app.kubernetes.io/name") == app(b, "app.kubernetes.io/name") &&
		app(a, "app.kubernetes.io/instance") == app(b, "app.kubernetes.io/instance")
}

// parse reads the objects of a file: one YAML document or several.
func parse(f File) ([]*object, error) {
	var objs []*object
	for _, doc := range bytes.Split(f.Data, []byte("\n---")) {
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		if m == nil {
			continue
		}
		o := &object{file: f.Path, fields: m}
		o.kind, _ = m["kind"].(string)
		o.ns, _ = manifest.Get(m, "metadata", "namespace").(string)
		o.name, _ = manifest.Get(m, "metadata", "name").(string)
		if o.kind == "" || o.name == "" {
			return nil, fmt.Errorf("%s: an object without kind or name", f.Path)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// stripComments drops whole-line comments, to tell an empty document.
func stripComments(doc []byte) []byte {
	var out []byte
	for line := range bytes.Lines(doc) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
		}
	}
	return out
}

// builder collects the classes and details of one change.
type builder struct {
	c Change
}

func newChange(o *object, kind string) *builder {
	return &builder{Change{Object: o.id(), Change: kind, File: o.file, Classes: []string{}, Details: []Detail{}}}
}

func (b *builder) add(class, format string, args ...any) {
	if class != "" && !slices.Contains(b.c.Classes, class) {
		b.c.Classes = append(b.c.Classes, class)
	}
	b.c.Details = append(b.c.Details, Detail{class, fmt.Sprintf(format, args...)})
}

func (b *builder) done() Change {
	order := func(k string) int { return slices.Index(Classes, k) }
	slices.SortFunc(b.c.Classes, func(x, y string) int { return cmp.Compare(order(x), order(y)) })
	slices.SortStableFunc(b.c.Details, func(x, y Detail) int {
		if x.Class == "" || y.Class == "" { // notes last
			return cmp.Compare(boolInt(x.Class == ""), boolInt(y.Class == ""))
		}
		return cmp.Compare(order(x.Class), order(y.Class))
	})
	return b.c
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// kubectl names an object for kubectl: kind/name and its namespace.
func kubectl(o *object) string {
	s := strings.ToLower(o.kind) + "/" + o.name
	if o.ns != "" {
		s += " -n " + o.ns
	}
	return s
}
