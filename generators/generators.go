// Package generators turns a validated schema.Stack into typed Kubernetes
// objects with one naming, labelling and wiring scheme. Every function is
// pure: no filesystem, clock, environment or CUE.
package generators

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kdecl/kdecl/internal/par"
	"github.com/kdecl/kdecl/schema"
)

// Object is a generated Kubernetes object.
type Object interface {
	runtime.Object
	metav1.Object
}

// Manifest is one object and the app it belongs to ("" for the stack's own
// objects, such as its Namespace).
type Manifest struct {
	App    string
	Object Object
}

// Kind returns the manifest's object kind, like Deployment.
func (m Manifest) Kind() string { return m.Object.GetObjectKind().GroupVersionKind().Kind }

// ranks order the kinds in which kubectl must create objects: what others
// refer to first. Kinds of one rank may come in any order; kinds not
// listed (custom resources, policies that refer to workloads) come last.
var ranks = map[string]int{
	"Namespace":                0,
	"CustomResourceDefinition": 1, "StorageClass": 1, "PriorityClass": 1, "IngressClass": 1,
	"RuntimeClass": 1, "ClusterRole": 1, "ClusterRoleBinding": 1, "ResourceQuota": 1,
	"LimitRange": 1, "ConfigMap": 1, "ServiceAccount": 1, "Role": 1, "RoleBinding": 1,
	"Secret":                2,
	"PersistentVolumeClaim": 3, "PersistentVolume": 3,
	"Service":     4,
	"Deployment":  5,
	"StatefulSet": 6, "DaemonSet": 6, "ReplicaSet": 6,
	"Job":     7,
	"CronJob": 8,
}

// lastRank is the rank of every kind ranks does not list.
const lastRank = 9

// Rank is the position of kind in the apply order.
func Rank(kind string) int {
	if r, ok := ranks[kind]; ok {
		return r
	}
	return lastRank
}

// Stack generates every object of s, in apply order: by kind, then app,
// then name.
func Stack(s *schema.Stack) ([]Manifest, error) {
	var ms []Manifest
	if ns := Namespace(s); ns != nil {
		ms = append(ms, Manifest{Object: ns})
	}
	for _, cm := range SharedConfigMaps(s) {
		ms = append(ms, Manifest{Object: cm})
	}
	for _, svc := range SharedHeadlessServices(s) {
		ms = append(ms, Manifest{Object: svc})
	}
	objs, err := Objects(s, nil)
	if err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	for _, obj := range objs {
		ms = append(ms, Manifest{Object: obj})
	}
	// The apps' objects are generated in parallel: each app's depend on
	// the stack and the app alone.
	perApp := make([][]Object, len(s.Apps))
	errs := make([]error, len(s.Apps))
	par.Do(len(s.Apps), func(i int) {
		perApp[i], errs[i] = App(s, &s.Apps[i])
	})
	for i, objs := range perApp {
		if errs[i] != nil {
			return nil, fmt.Errorf("app %q: %w", s.Apps[i].Name, errs[i])
		}
		for _, obj := range objs {
			ms = append(ms, Manifest{App: s.Apps[i].Name, Object: obj})
		}
	}
	syncWaves(s, ms)
	if parent := s.ApplySetParent(); parent != "" {
		for _, m := range ms {
			m.Object.SetAnnotations(union(m.Object.GetAnnotations(), map[string]string{schema.ApplySetAnnotation: s.Namespace + "/" + parent}))
		}
	}
	// Sorted by rank, computed once per object.
	type key struct {
		rank int
		m    Manifest
	}
	keys := make([]key, len(ms))
	for i, m := range ms {
		keys[i] = key{Rank(m.Kind()), m}
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		return cmp.Or(
			cmp.Compare(a.rank, b.rank),
			cmp.Compare(a.m.App, b.m.App),
			cmp.Compare(a.m.Object.GetName(), b.m.Object.GetName()),
		)
	})
	for i, k := range keys {
		ms[i] = k.m
	}
	if s.Flux != nil && s.Flux.Substitute == "disabled" {
		for _, m := range ms {
			disableSubstitution(m.Object)
		}
	}
	return ms, nil
}

// FluxSubstitute is the annotation that keeps a Flux Kustomization's
// post-build substitution from rewriting an object; its value "disabled"
// does (fluxcd/pkg/kustomize's SubstituteVariables skips the object).
const FluxSubstitute = "kustomize.toolkit.fluxcd.io/substitute"

// disableSubstitution annotates obj with FluxSubstitute: disabled, unless
// it sets the annotation itself.
func disableSubstitution(obj Object) {
	a := obj.GetAnnotations()
	if _, ok := a[FluxSubstitute]; ok {
		return
	}
	a = maps.Clone(a)
	if a == nil {
		a = map[string]string{}
	}
	a[FluxSubstitute] = "disabled"
	obj.SetAnnotations(a)
}

// App generates the objects of one app, with its overrides applied.
func App(s *schema.Stack, a *schema.App) ([]Object, error) {
	objs, err := overridden(s, a)
	if err != nil {
		return nil, err
	}
	extra, err := Objects(s, a)
	if err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	objs = append(objs, extra...)
	for _, obj := range objs {
		if j, ok := obj.(*batchv1.Job); ok {
			j.Name = JobName(a, j.Spec) // the spec as overridden
		}
	}
	return objs, nil
}

// overridden are the objects kdecl generates of an app, with its
// overrides applied; not its objects, which Objects writes the stack's
// names and labels into, so that a render may generate an app's objects
// again (RenderedJobName) while another goroutine renders the app.
func overridden(s *schema.Stack, a *schema.App) ([]Object, error) {
	var objs []Object
	if cm := ConfigMap(s, a); cm != nil {
		objs = append(objs, cm)
	}
	for _, pvc := range PersistentVolumeClaims(s, a) {
		objs = append(objs, pvc)
	}
	if svc := HeadlessService(s, a); svc != nil {
		objs = append(objs, svc)
	}
	if svc := Service(s, a); svc != nil {
		objs = append(objs, svc)
	}
	if sa := ServiceAccount(s, a); sa != nil {
		objs = append(objs, sa)
	}
	if role := WaitRole(s, a); role != nil {
		objs = append(objs, role, WaitRoleBinding(s, a))
	}
	if hpa := HorizontalPodAutoscaler(s, a); hpa != nil {
		objs = append(objs, hpa)
	}
	if ing := Ingress(s, a); ing != nil {
		objs = append(objs, ing)
	}
	if pdb := PodDisruptionBudget(s, a); pdb != nil {
		objs = append(objs, pdb)
	}
	if pol := NetworkPolicy(s, a); pol != nil {
		objs = append(objs, pol)
	}
	switch a.Kind {
	case schema.KindDeployment:
		objs = append(objs, Deployment(s, a))
	case schema.KindStatefulSet:
		objs = append(objs, StatefulSet(s, a))
	case schema.KindDaemonSet:
		objs = append(objs, DaemonSet(s, a))
	case schema.KindJob:
		objs = append(objs, Job(s, a))
	case schema.KindCronJob:
		objs = append(objs, CronJob(s, a))
	}
	if err := override(a, objs); err != nil {
		return nil, err
	}
	return objs, nil
}
