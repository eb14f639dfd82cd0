package generators

import (
	"encoding/json"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kdecl/kdecl/schema"
)

// Objects are extra objects of the stack (a nil app) or of an app, by
// name: decoded into their k8s.io/api types where kdecl knows the kind,
// else (custom resources) as written; named after their key (unless
// their metadata.name says otherwise), in the
// stack's namespace unless they name one or are cluster-scoped, with
// the labels of the stack (or app) and kdecl's.
func Objects(s *schema.Stack, a *schema.App) ([]Object, error) {
	objs := s.Objects
	labels := StackLabels(s)
	if a != nil {
		objs, labels = a.Objects, Labels(s, a)
	}
	var out []Object
	for _, name := range slices.Sorted(maps.Keys(objs)) {
		u := &unstructured.Unstructured{Object: objs[name]}
		u.SetName(schema.ObjectName(name, objs[name]))
		if u.GetNamespace() == "" && s.Namespace != "" && !s.ClusterScoped(u.GetAPIVersion(), u.GetKind()) {
			u.SetNamespace(s.Namespace)
		}
		u.SetLabels(union(u.GetLabels(), labels))
		obj, known := schema.NewObject(u.GetAPIVersion(), u.GetKind())
		if !known {
			out = append(out, u)
			continue
		}
		b, err := json.Marshal(u)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, obj); err != nil {
			return nil, err
		}
		out = append(out, obj.(Object))
	}
	return out, nil
}

// StackLabels are the labels of the stack's own objects: its Namespace
// and extra objects.
func StackLabels(s *schema.Stack) map[string]string {
	return union(s.Labels, map[string]string{
		LabelPartOf:    s.Name,
		LabelManagedBy: managedBy,
	})
}
