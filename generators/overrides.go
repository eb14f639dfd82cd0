package generators

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/kdecl/kdecl/schema"
)

// override patches the app's objects with its overrides, by strategic
// merge patch, as kubectl and Kustomize merge: lists of containers, env,
// volumes and mounts by their keys. The container's fragment goes first,
// then the pod's, then each object's. Load has checked every fragment
// against its type and against what kdecl wires.
func override(a *schema.App, objs []Object) error {
	if len(a.Overrides) == 0 {
		return nil
	}
	for _, obj := range objs {
		spec := podSpec(obj)
		if spec == nil {
			continue
		}
		if frag, ok := a.Overrides[schema.OverrideContainer]; ok {
			i := slices.IndexFunc(spec.Containers, func(c corev1.Container) bool { return c.Name == a.Name })
			if err := patch(&spec.Containers[i], frag); err != nil {
				return fmt.Errorf("overrides.container: %w", err)
			}
		}
		if frag, ok := a.Overrides[schema.OverridePod]; ok {
			if err := patch(spec, frag); err != nil {
				return fmt.Errorf("overrides.pod: %w", err)
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(a.Overrides)) {
		if key == schema.OverridePod || key == schema.OverrideContainer {
			continue
		}
		target, err := schema.OverrideTarget(a, key)
		if err != nil {
			return fmt.Errorf("overrides.%s: %w", key, err)
		}
		i := slices.IndexFunc(objs, func(o Object) bool {
			return o.GetObjectKind().GroupVersionKind().Kind == target.Kind && (target.Name == "" || o.GetName() == target.Name)
		})
		if i < 0 {
			return fmt.Errorf("overrides.%s: no %s %s rendered", key, target.Kind, target.Name)
		}
		if err := patch(objs[i], a.Overrides[key]); err != nil {
			return fmt.Errorf("overrides.%s: %w", key, err)
		}
	}
	return nil
}

// patch applies a strategic merge patch to v, a pointer to a typed object.
func patch(v any, frag map[string]any) error {
	original, err := json.Marshal(v)
	if err != nil {
		return err
	}
	p, err := json.Marshal(frag)
	if err != nil {
		return err
	}
	patched, err := strategicpatch.StrategicMergePatch(original, p, v)
	if err != nil {
		return err
	}
	// Decoding into a value keeps what JSON does not mention, down to
	// the elements of a slice's backing array: start from zero.
	reflect.ValueOf(v).Elem().SetZero()
	return json.Unmarshal(patched, v)
}

// podSpec is the spec of a workload's pod template, or nil.
func podSpec(obj Object) *corev1.PodSpec {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return &o.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &o.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &o.Spec.Template.Spec
	case *batchv1.Job:
		return &o.Spec.Template.Spec
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template.Spec
	}
	return nil
}
