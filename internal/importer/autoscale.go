package importer

// Objects that are an app's native fields: an autoscaler of its workload
// as its autoscale, the ServiceAccount its pods run as.

import (
	"fmt"
	"slices"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/kdecl/kdecl/internal/manifest"
)

// autoscale says a HorizontalPodAutoscaler of an app's workload as the
// app's autoscale, if it can: it scales on the average utilization of
// cpu and memory only, has no annotations, and the workload sets no
// replicas of its own (with autoscale, kdecl's has none).
func (s *Stack) autoscale(p *Plan, d manifest.Doc) bool {
	if d.Kind() != "HorizontalPodAutoscaler" || d.APIVersion() != "autoscaling/v2" || len(manifest.Map(d.Object, "metadata", "annotations")) > 0 {
		return false
	}
	hpa, err := typed[autoscalingv2.HorizontalPodAutoscaler](d)
	if err != nil {
		return false
	}
	a := scaled(p, d)
	if a == nil || slices.ContainsFunc(p.Objects, func(o manifest.Doc) bool { return o.Name() != d.Name() && scaled(p, o) == a }) {
		return false // none, or one of several that scale the app
	}
	app := s.Apps[a.Name]
	if app == nil || app["autoscale"] != nil {
		return false
	}
	out := map[string]any{"maxReplicas": int(hpa.Spec.MaxReplicas)}
	if m := hpa.Spec.MinReplicas; m != nil {
		out["minReplicas"] = int(*m)
	}
	for _, m := range hpa.Spec.Metrics {
		r := m.Resource
		if m.Type != autoscalingv2.ResourceMetricSourceType || r == nil || r.Target.Type != autoscalingv2.UtilizationMetricType ||
			r.Target.AverageUtilization == nil || r.Target.Value != nil || r.Target.AverageValue != nil ||
			r.Name != corev1.ResourceCPU && r.Name != corev1.ResourceMemory || out[string(r.Name)] != nil {
			return false
		}
		out[string(r.Name)] = int(*r.Target.AverageUtilization)
	}
	if b := hpa.Spec.Behavior; b != nil {
		for name, rules := range map[string]*autoscalingv2.HPAScalingRules{"scaleUp": b.ScaleUp, "scaleDown": b.ScaleDown} {
			if rules == nil {
				continue
			}
			r, ok := scalingRules(rules)
			if !ok {
				return false
			}
			out[name] = r
		}
	}
	app["autoscale"] = out
	if hpa.Name != a.Name {
		p.ObjectNames[d.Kind()+"/"+d.Name()] = a.Name
	}
	s.Notes = append(s.Notes, fmt.Sprintf("HorizontalPodAutoscaler %s: app %s's autoscale", d.Name(), a.Name))
	return true
}

// serviceAccount says a ServiceAccount that an app's pods run as, and
// that holds nothing but its name, as the app's serviceAccount, which
// kdecl creates.
func (s *Stack) serviceAccount(p *Plan, d manifest.Doc) bool {
	if d.Kind() != "ServiceAccount" || d.APIVersion() != "v1" {
		return false
	}
	for k := range d.Object {
		if k != "apiVersion" && k != "kind" && k != "metadata" {
			return false
		}
	}
	for k := range manifest.Map(d.Object, "metadata") {
		if k != "name" && k != "namespace" && k != "labels" {
			return false
		}
	}
	if ns, _ := manifest.Get(d.Object, "metadata", "namespace").(string); ns != s.Namespace {
		return false
	}
	for _, a := range p.Apps {
		sa, _ := s.Apps[a.Name]["serviceAccount"].(map[string]any)
		if sa["name"] == d.Name() && sa["create"] == false {
			delete(sa, "create")
			s.Notes = append(s.Notes, fmt.Sprintf("ServiceAccount %s: app %s's serviceAccount, which kdecl creates", d.Name(), a.Name))
			return true
		}
	}
	return false
}

// scaled is the app whose workload d, a HorizontalPodAutoscaler, scales;
// nil if d is none or scales none.
func scaled(p *Plan, d manifest.Doc) *App {
	if d.Kind() != "HorizontalPodAutoscaler" {
		return nil
	}
	ref, _ := manifest.Get(d.Object, "spec", "scaleTargetRef").(map[string]any)
	for _, a := range p.Apps {
		if ref["apiVersion"] == "apps/v1" && ref["kind"] == a.Workload.Kind() && ref["name"] == a.Workload.Name() &&
			(a.Workload.Kind() == "Deployment" || a.Workload.Kind() == "StatefulSet") {
			return a
		}
	}
	return nil
}

// scalingRules are an autoscaler's rules in kdecl's fields; false if
// they have one kdecl's do not.
func scalingRules(r *autoscalingv2.HPAScalingRules) (map[string]any, bool) {
	if r.Tolerance != nil {
		return nil, false
	}
	out := map[string]any{}
	if w := r.StabilizationWindowSeconds; w != nil {
		out["stabilizationWindowSeconds"] = int(*w)
	}
	if sp := r.SelectPolicy; sp != nil {
		out["selectPolicy"] = string(*sp)
	}
	var policies []any
	for _, pol := range r.Policies {
		policies = append(policies, map[string]any{"type": string(pol.Type), "value": int(pol.Value), "periodSeconds": int(pol.PeriodSeconds)})
	}
	if len(policies) > 0 {
		out["policies"] = policies
	}
	return out, true
}
