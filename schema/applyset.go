package schema

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// ApplySet is the stack's applySet: true, false, or the parent's name.
//
// kubectl (v1.37, KUBECTL_APPLYSET=true) keeps an ApplySet (KEP-3659) by
// itself: apply --prune --applyset=configmaps/NAME -n NAMESPACE creates the
// parent ConfigMap when it is missing, with the applyset.kubernetes.io/id
// label (applyset-<base64url(sha256(NAME.NAMESPACE.ConfigMap.))>-v1) and
// the tooling, contains-group-kinds and additional-namespaces annotations,
// and adds the applyset.kubernetes.io/part-of label to every object it
// applies. It refuses an object that carries part-of already, and a parent
// that exists without its tooling annotation or with another tool's; a
// rendered parent would fight kubectl over that annotation on every
// apply (a forced conflict on the parent client-side, a refused apply
// server-side). So a render writes neither: the parent and the labels are
// kubectl's, and kdecl names the parent on every object it renders.
type ApplySet struct {
	// Name of the parent ConfigMap; <stack name>-applyset when unset.
	Name string `json:"name"`
	// Off is applySet: false.
	Off bool `json:"-"`
}

// UnmarshalJSON accepts a bool or the struct.
func (a *ApplySet) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		a.Off = !on
		return nil
	}
	type applySet ApplySet // without the method, to avoid recursion
	return json.Unmarshal(b, (*applySet)(a))
}

// ApplySetAnnotation, on every object of a stack with applySet, names
// the ApplySet's parent ConfigMap as NAMESPACE/NAME: what kdecl review
// says kubectl apply --prune --applyset prunes, from the objects alone.
const ApplySetAnnotation = "kdecl.dev/applyset"

// ApplySetPartOfLabel is the label kubectl adds to the members of an
// ApplySet, and refuses in its input.
const ApplySetPartOfLabel = "applyset.kubernetes.io/part-of"

// ApplySetParent is the name of the stack's ApplySet parent, "" without
// one.
func (s *Stack) ApplySetParent() string {
	if s.ApplySet == nil || s.ApplySet.Off {
		return ""
	}
	if s.ApplySet.Name != "" {
		return s.ApplySet.Name
	}
	return s.Name + "-applyset"
}

// applySet checks what kubectl needs of a stack it prunes as an ApplySet:
// a namespace for the parent, which apply --applyset takes with -n (and
// then refuses an object of another namespace), and no object that
// carries kubectl's part-of label already.
func (l *loader) applySet(s *Stack, checkers map[string]*appChecker) {
	// kdecl's annotation is kdecl's on an app's objects, with applySet
	// or without: review and import read the set from it. (A stack's
	// own objects may carry it: an import of a render with no apps says
	// its set so, as it has no namespace for applySet.)
	const reserved = "kdecl sets this annotation itself, on every object of a stack with applySet; set applySet instead"
	annotated := func(o map[string]any) bool {
		_, ok := get(o, "metadata", "annotations", ApplySetAnnotation)
		return ok
	}
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		if _, ok := c.app.Annotations[ApplySetAnnotation]; ok {
			c.fail(reserved, "annotations", ApplySetAnnotation)
		}
		for _, v := range slices.Sorted(maps.Keys(c.app.Storage)) {
			if _, ok := c.app.Storage[v].Annotations[ApplySetAnnotation]; ok {
				c.fail(reserved, "storage", v, "annotations", ApplySetAnnotation)
			}
		}
		for _, obj := range slices.Sorted(maps.Keys(c.app.Objects)) {
			if annotated(c.app.Objects[obj]) {
				c.fail(reserved, "objects", obj, "metadata", "annotations", ApplySetAnnotation)
			}
		}
		for _, key := range slices.Sorted(maps.Keys(c.app.Overrides)) {
			if annotated(c.app.Overrides[key]) {
				c.fail(reserved, "overrides", key, "metadata", "annotations", ApplySetAnnotation)
			}
		}
	}
	if s.ApplySetParent() == "" {
		return
	}
	if s.Namespace == "" {
		l.errorAt(l.lookup([]string{"applySet"}), "", "applySet",
			"applySet needs the stack's namespace: kubectl keeps the ApplySet's parent ConfigMap in it, and applies the stack with -n NAMESPACE")
		return
	}
	partOf := fmt.Sprintf("kubectl apply --applyset labels the objects it applies with %s itself, and refuses an object that has it", ApplySetPartOfLabel)
	if _, ok := s.Labels[ApplySetPartOfLabel]; ok {
		l.errorAt(l.lookup([]string{"labels", ApplySetPartOfLabel}), "", fieldString([]string{"labels", ApplySetPartOfLabel}), partOf)
	}
	objects := func(objs map[string]map[string]any, fail func(msg string, field ...string)) {
		for _, name := range slices.Sorted(maps.Keys(objs)) {
			o := objs[name]
			if labels, ok := get(o, "metadata", "labels"); ok {
				if m, ok := labels.(map[string]any); ok {
					if _, ok := m[ApplySetPartOfLabel]; ok {
						fail(partOf, "objects", name, "metadata", "labels", ApplySetPartOfLabel)
					}
				}
			}
			apiVersion, _ := o["apiVersion"].(string)
			kind, _ := o["kind"].(string)
			if ns, ok := get(o, "metadata", "namespace"); ok && ns != s.Namespace && !s.ClusterScoped(apiVersion, kind) {
				fail(fmt.Sprintf("namespace %v is not the stack's, %s: kubectl apply --applyset takes the namespace of the ApplySet's parent with -n, and refuses an object of another", ns, s.Namespace),
					"objects", name, "metadata", "namespace")
			}
		}
	}
	objects(s.Objects, func(msg string, field ...string) { l.errorAt(l.lookup(field), "", fieldString(field), msg) })
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		if _, ok := c.app.Labels[ApplySetPartOfLabel]; ok {
			c.fail(partOf, "labels", ApplySetPartOfLabel)
		}
		objects(c.app.Objects, c.fail)
	}
}
