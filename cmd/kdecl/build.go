package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kdecl/kdecl/internal/yamlenc"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/deploydir"
	"github.com/kdecl/kdecl/internal/par"
	"github.com/kdecl/kdecl/internal/podsecurity"
	"github.com/kdecl/kdecl/schema"
)

// stackFlags are the flags of every command that loads a stack.
type stackFlags struct {
	tags   []string
	strict bool
}

// stackFlagsDoc documents them, for the commands' help.
const stackFlagsDoc = `  -t, --tag KEY=VALUE|NAME   set the CUE fields marked @tag(KEY), or include
                             the files marked @if(NAME); repeatable
      --strict               treat warnings as errors
`

func (f *stackFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&f.tags, "tag", "t", nil, "")
	fs.BoolVar(&f.strict, "strict", false, "")
}

// load loads a stack and reports its errors and warnings on stderr; with
// strict, a warning is an error. It returns early when ctx is done.
func load(ctx context.Context, dir string, f stackFlags, stderr io.Writer) (*schema.Stack, error) {
	strict := f.strict
	progressOf(ctx).set("evaluating the CUE of %s", dir)
	s, err := cancelable(ctx, func() (*schema.Stack, error) { return schema.Load(dir, f.tags...) })
	progressOf(ctx).pause() // for the warnings and errors
	if err != nil {
		return nil, reported(err, stderr)
	}
	for _, w := range s.Warnings {
		if strict {
			fmt.Fprintln(stderr, w)
		} else {
			fmt.Fprintln(stderr, warning(w))
		}
	}
	if strict && len(s.Warnings) > 0 {
		return nil, errReported
	}
	return s, nil
}

// build loads the stack in dir and renders it in memory.
func build(ctx context.Context, dir string, f stackFlags, stderr io.Writer) (*schema.Stack, []deploydir.File, error) {
	s, err := load(ctx, dir, f, stderr)
	if err != nil {
		return nil, nil, err
	}
	progressOf(ctx).set("rendering the %d apps of stack %s", len(s.Apps), s.Name)
	files, err := cancelable(ctx, func() ([]deploydir.File, error) { return render(s) })
	var errs schema.Errors
	switch {
	case errors.As(err, &errs):
		return nil, nil, reported(err, stderr)
	case err != nil:
		return nil, nil, fmt.Errorf("render stack %q: %w", s.Name, err)
	}
	return s, files, nil
}

// reported prints positioned errors (schema.Errors) on stderr, one a
// line, and returns errReported; any other error it returns as it is.
func reported(err error, stderr io.Writer) error {
	var errs schema.Errors
	if !errors.As(err, &errs) {
		return err
	}
	for _, e := range errs {
		fmt.Fprintln(stderr, e)
	}
	return errReported
}

// cancelable runs fn and returns its result, or errInterrupted as soon as
// ctx is done: CUE's evaluation cannot be stopped, so fn is left to finish
// on its own, and what it returns is dropped.
func cancelable[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	if ctx.Err() != nil {
		// select would pick at random between a done context and a
		// result that came at once
		var zero T
		return zero, interrupted(ctx)
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, interrupted(ctx)
	}
}

// warning formats w as file:line:col: warning: ...
func warning(w *schema.Error) string {
	if pos := w.Pos(); pos != "" {
		return pos + ": warning: " + w.Message()
	}
	return "warning: " + w.Message()
}

// render generates the stack's objects and marshals each into a file that
// starts with the stack's header, in apply order. Marshalling runs in
// parallel; the order stays. An object too large for kubectl apply, or a
// pod that the Pod Security level of its namespace or app forbids, is a
// schema.Error of its app.
func render(s *schema.Stack) ([]deploydir.File, error) {
	ms, err := generators.Stack(s)
	if err != nil {
		return nil, err
	}
	switch forbidden, err := podsecurity.Check(s, ms); {
	case err != nil:
		return nil, err
	case len(forbidden) > 0:
		return nil, forbidden
	}
	header := deploydir.Header(s.Name)
	files := make([]deploydir.File, len(ms))
	errs := make([]error, len(ms))
	par.Do(len(ms), func(i int) {
		var size int
		files[i].Path = filePath(ms[i])
		files[i].Data, size, errs[i] = marshal(header, ms[i].Object)
		if errs[i] == nil {
			errs[i] = checkSize(s, ms[i], size)
		}
	})
	var tooLarge schema.Errors
	for _, err := range errs {
		var e *schema.Error
		if errors.As(err, &e) {
			tooLarge = append(tooLarge, e)
		}
	}
	if len(tooLarge) > 0 {
		return nil, tooLarge
	}
	return files, errors.Join(errs...)
}

// lastAppliedAnnotation is where kubectl apply (client-side, the default)
// stores a copy of the object's JSON.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// maxAnnotationBytes is the API's limit on an object's annotations, keys
// and values together.
const maxAnnotationBytes = 256 << 10

// applySetLabelJSON is what kubectl apply --applyset adds to an object's
// JSON, the copy in lastAppliedAnnotation too: its part-of label, whose
// value (applyset-<43 characters>-v1) has one length.
var applySetLabelJSON = len(`,"` + schema.ApplySetPartOfLabel + `":"applyset-` + strings.Repeat("x", 43) + `-v1"`)

// checkSize refuses an object that kubectl apply cannot apply: its JSON
// (jsonSize bytes, an upper bound of what kubectl stores, with the label
// kubectl apply --applyset adds for a stack with applySet) with its other
// annotations would pass the API's limit on annotations.
func checkSize(s *schema.Stack, m generators.Manifest, jsonSize int) error {
	if s.ApplySetParent() != "" {
		jsonSize += applySetLabelJSON
	}
	n := jsonSize + 1 + len(lastAppliedAnnotation)
	for k, v := range m.Object.GetAnnotations() {
		n += len(k) + len(v)
	}
	if n <= maxAnnotationBytes {
		return nil
	}
	i := slices.IndexFunc(s.Apps, func(a schema.App) bool { return a.Name == m.App })
	if i < 0 {
		return fmt.Errorf("the %s %s is %d KiB: too large for kubectl apply", m.Kind(), m.Object.GetName(), jsonSize>>10)
	}
	return s.Apps[i].Errorf("", "the %s %s is %d KiB of JSON: kubectl apply keeps a copy of it in an annotation, and the API allows %d KiB of annotations; make its config, env or command smaller",
		m.Kind(), m.Object.GetName(), jsonSize>>10, maxAnnotationBytes>>10)
}

// filePath is where an object goes in the deploy directory: the stack's own
// objects at the top, an app's in a directory of its own. The rank prefix
// makes kubectl apply -R create what others refer to first, as it walks
// files in lexical order.
func filePath(m generators.Manifest) string {
	kind := m.Kind()
	name := fmt.Sprintf("%02d-%s-%s.yaml", generators.Rank(kind), strings.ToLower(kind), m.Object.GetName())
	return path.Join(m.App, name)
}

// marshal writes obj as YAML with sorted keys and without the fields a
// manifest never sets: status and empty defaults of non-pointer structs.
// The JSON form follows the API's field names and omitempty rules; the
// YAML is what go-yaml v2, the encoder of sigs.k8s.io/yaml, writes for
// it, written by internal/yamlenc without a map per object, or, for the
// rare value yamlenc does not reproduce, by go-yaml itself.
func marshal(header string, obj generators.Object) (data []byte, jsonSize int, err error) {
	data, jsonSize, _, err = marshalFast(header, obj)
	return data, jsonSize, err
}

// marshalFast is marshal, and whether yamlenc wrote the YAML.
func marshalFast(header string, obj generators.Object) (data []byte, jsonSize int, fast bool, err error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, 0, false, err
	}
	n, err := yamlenc.Parse(b)
	if err != nil {
		return nil, 0, false, err
	}
	asTyped := typed(obj)
	if asTyped {
		n.Delete("status")
		pruneNode(n)
	}
	out := make([]byte, 0, len(header)+len(b)+len(b)/4)
	if y, ok := yamlenc.Write(append(out, header...), n); ok {
		return y, len(b), true, nil
	}
	y, err := goYAML(b, asTyped)
	if err != nil {
		return nil, 0, false, err
	}
	return append([]byte(header), y...), len(b), false, nil
}

// typed is whether obj is of a k8s.io/api type, whose status and empty
// structs are Go's zero values, not what the stack says; a custom
// resource (unstructured) is written as the loader left it, each empty
// struct and any status its own.
func typed(obj generators.Object) bool {
	_, custom := obj.(*unstructured.Unstructured)
	return !custom
}

// goYAML writes the JSON text of an object as YAML with go-yaml; of a
// typed one, without status and empty noise.
func goYAML(b []byte, typed bool) ([]byte, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if typed {
		delete(m, "status")
	}
	prune(m, typed)
	return yaml.Marshal(m)
}

// pruneNode drops empty noise, as prune does.
func pruneNode(n *yamlenc.Node) {
	switch n.Kind {
	case yamlenc.Object:
		for i := 0; i < len(n.Keys); i++ {
			v := n.Vals[i]
			pruneNode(v)
			if v.Kind == yamlenc.Object && len(v.Keys) == 0 && emptyNoise[n.Keys[i]] || v.Kind == yamlenc.Null && nullNoise[n.Keys[i]] {
				n.Delete(n.Keys[i])
				i--
			}
		}
	case yamlenc.Array:
		for _, v := range n.Vals {
			pruneNode(v)
		}
	}
}

// emptyNoise are the fields whose empty value is a Go zero struct, not a
// choice: pruned when empty. A meaningful empty struct such as emptyDir: {}
// is never listed.
var emptyNoise = map[string]bool{
	"spec":           true,
	"strategy":       true,
	"updateStrategy": true,
	"resources":      true,
	"metadata":       true,
	"status":         true,
}

// nullNoise are the fields the API's types write as null when unset,
// for want of omitempty: the service of a gRPC probe. They are pruned
// when null, as the API reads null there as unset.
var nullNoise = map[string]bool{"service": true}

// prune drops empty noise (if noise) and turns JSON numbers into the Go numbers the
// YAML encoder writes plainly (all numbers in the API types are integers).
func prune(v any, noise bool) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			x = prune(x, noise)
			if m, ok := x.(map[string]any); ok && len(m) == 0 && noise && emptyNoise[k] || x == nil && noise && nullNoise[k] {
				delete(v, k)
				continue
			}
			v[k] = x
		}
	case []any:
		for i, x := range v {
			v[i] = prune(x, noise)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	}
	return v
}
