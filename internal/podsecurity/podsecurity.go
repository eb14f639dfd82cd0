// Package podsecurity checks the pods of a render against the Pod
// Security Standards with the API server's own checks
// (k8s.io/pod-security-admission): each workload's pod against the level
// its namespace enforces (the stack's podSecurity) and against the
// profile of its app (security). What it refuses comes back as
// positioned errors that name the field the user wrote: the app's
// security, the override or the native field that makes the pod
// forbidden, or the object.
package podsecurity

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/schema"
)

// evaluator runs the checks of the PodSecurity admission plugin of the
// kube-apiserver release kdecl generates for.
var evaluator = sync.OnceValues(func() (policy.Evaluator, error) {
	return policy.NewEvaluator(policy.DefaultChecks(), nil)
})

// rank orders the levels from the most to the least permissive.
var rank = map[string]int{schema.LevelPrivileged: 0, schema.LevelBaseline: 1, schema.LevelRestricted: 2}

// Check checks the pods of ms, the stack's generated objects, and
// returns what the levels forbid, in file order.
func Check(s *schema.Stack, ms []generators.Manifest) (schema.Errors, error) {
	if s.PodSecurity == nil && !slices.ContainsFunc(s.Apps, func(a schema.App) bool { return rank[a.Security.Level()] > 0 }) {
		return nil, nil // no level to meet
	}
	eval, err := evaluator()
	if err != nil {
		return nil, fmt.Errorf("pod security checks: %w", err) // a bug in kdecl
	}
	version := api.LatestVersion()
	if p := s.PodSecurity; p != nil && p.Version != "" && p.Version != "latest" {
		if version, err = api.ParseVersion(p.Version); err != nil {
			return nil, fmt.Errorf("podSecurity.version: %w", err) // the schema admits only versions
		}
	}
	apps := make(map[string]*schema.App, len(s.Apps))
	for i := range s.Apps {
		apps[s.Apps[i].Name] = &s.Apps[i]
	}
	var errs schema.Errors
	for _, m := range ms {
		meta, spec := podOf(m.Object)
		if spec == nil {
			continue
		}
		c := check{s: s, eval: eval, version: version, app: apps[m.App], obj: m.Object}
		errs = append(errs, c.pod(meta, spec)...)
	}
	slices.SortStableFunc(errs, func(a, b *schema.Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return errs, nil
}

// check checks the pod of one object.
type check struct {
	s       *schema.Stack
	eval    policy.Evaluator
	version api.Version
	app     *schema.App // nil for the stack's objects
	obj     generators.Object
}

// object is the key of the app's or the stack's objects the object
// comes from, or "" for the app's workload.
func (c *check) object() string {
	objs := c.s.Objects
	if c.app != nil {
		objs = c.app.Objects
	}
	kind := c.obj.GetObjectKind().GroupVersionKind().Kind
	for _, key := range slices.Sorted(maps.Keys(objs)) {
		if o := objs[key]; o["kind"] == kind && schema.ObjectName(key, o) == c.obj.GetName() {
			return key
		}
	}
	return ""
}

// level is the level the pod must meet, and what declares it: the
// namespace's, or the app's profile where that is stricter.
func (c *check) level(object string) (level, source string) {
	if p := c.s.PodSecurity; p != nil && (c.obj.GetNamespace() == c.s.Namespace || c.obj.GetNamespace() == "") {
		level, source = p.Level, fmt.Sprintf("the namespace's Pod Security level %s (podSecurity)", p.Level)
	}
	if c.app != nil && object == "" {
		if own := c.app.Security.Level(); rank[own] > rank[level] {
			level, source = own, fmt.Sprintf("the security profile %s", own)
		}
	}
	return level, source
}

func (c *check) pod(meta *metav1.ObjectMeta, spec *corev1.PodSpec) schema.Errors {
	object := c.object()
	level, source := c.level(object)
	if rank[level] == 0 || c.app == nil && object == "" {
		return nil // no level, or no pod of the stack's
	}
	lv := api.LevelVersion{Level: api.Level(level), Version: c.version}
	forbidden := failed(c.eval.EvaluatePod(lv, meta, spec))
	if len(forbidden) == 0 {
		return nil
	}
	var errs schema.Errors
	if object != "" {
		field := schema.FieldPath("objects", object)
		pos := c.s.Fields[field]
		app := ""
		if c.app != nil {
			app, pos = c.app.Name, c.app.FieldPos(field)
		}
		return schema.Errors{{Position: pos, App: app, Field: field,
			Msg: fmt.Sprintf("%s forbids the pod of the %s %s: %s", source, c.obj.GetObjectKind().GroupVersionKind().Kind, c.obj.GetName(), reasons(forbidden))}}
	}
	// What the pod is without overrides tells what they made forbidden.
	template := generators.PodTemplate(c.s, c.app)
	native := failed(c.eval.EvaluatePod(lv, &template.ObjectMeta, &template.Spec))
	byField := map[string][]policy.CheckResult{}
	var fields []string
	for _, r := range forbidden {
		field := c.native(r)
		if !slices.ContainsFunc(native, func(n policy.CheckResult) bool { return n.ForbiddenReason == r.ForbiddenReason }) {
			field = c.overrides()
		}
		if _, ok := byField[field]; !ok {
			fields = append(fields, field)
		}
		byField[field] = append(byField[field], r)
	}
	for _, field := range fields {
		msg := fmt.Sprintf("%s forbids the pod: %s", source, reasons(byField[field]))
		if field == "security" && rank[c.app.Security.Level()] < rank[level] {
			msg += fmt.Sprintf(`; security: %q sets what it requires`, level)
		}
		errs = append(errs, &schema.Error{Position: c.app.FieldPos(field), App: c.app.Name, Field: field, Msg: msg})
	}
	return errs
}

// native is the field of the app that makes the pod fail r without
// overrides: a host port, a hostPath volume, the user of its profile,
// else its profile.
func (c *check) native(r policy.CheckResult) string {
	var suffix string
	switch r.ForbiddenReason {
	case "runAsUser=0":
		if s := c.app.Security; s != nil && s.RunAsUser != nil {
			return "security.runAsUser"
		}
		return "security"
	case "hostPort", "host ports":
		suffix = ".hostPort"
	case "hostPath volumes", "restricted volume types":
		suffix = ".hostPath"
	default:
		return "security"
	}
	for _, field := range slices.Sorted(maps.Keys(c.app.Fields)) {
		if strings.HasSuffix(field, suffix) {
			return field
		}
	}
	return "security"
}

// overrides is the field of the overrides that patch the app's pod: the
// key, or overrides itself when several do.
func (c *check) overrides() string {
	var keys []string
	for _, key := range slices.Sorted(maps.Keys(c.app.Overrides)) {
		if key == schema.OverridePod || key == schema.OverrideContainer {
			keys = append(keys, key)
			continue
		}
		if t, err := schema.OverrideTarget(c.app, key); err == nil && t.Kind == c.app.WorkloadKind() {
			keys = append(keys, key)
		}
	}
	if len(keys) == 1 {
		return schema.FieldPath("overrides", keys[0])
	}
	return "overrides"
}

// failed are the checks the pod fails.
func failed(results []policy.CheckResult) []policy.CheckResult {
	var out []policy.CheckResult
	for _, r := range results {
		if !r.Allowed {
			out = append(out, r)
		}
	}
	return out
}

// reasons are the checks' reasons and details, as the API server gives
// them when it refuses a pod.
func reasons(results []policy.CheckResult) string {
	parts := make([]string, len(results))
	for i, r := range results {
		parts[i] = r.ForbiddenReason
		if r.ForbiddenDetail != "" {
			parts[i] += " (" + r.ForbiddenDetail + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// podOf is the pod of a workload, its template's or its own, or nil.
func podOf(obj generators.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.Job:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template.ObjectMeta, &o.Spec.JobTemplate.Spec.Template.Spec
	case *corev1.Pod:
		return &o.ObjectMeta, &o.Spec
	case *corev1.ReplicationController:
		if o.Spec.Template != nil {
			return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
		}
	case *corev1.PodTemplate:
		return &o.Template.ObjectMeta, &o.Template.Spec
	}
	return nil, nil
}
