package generators

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// HorizontalPodAutoscaler scales the app's workload, or is nil when the
// app sets no autoscale.
func HorizontalPodAutoscaler(s *schema.Stack, a *schema.App) *autoscalingv2.HorizontalPodAutoscaler {
	as := a.Autoscale
	if as == nil {
		return nil
	}
	kind := "Deployment"
	if a.Kind == schema.KindStatefulSet {
		kind = "StatefulSet"
	}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: objectMeta(s, a, a.Name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: kind, Name: a.Name},
			MinReplicas:    as.MinReplicas,
			MaxReplicas:    as.MaxReplicas,
		},
	}
	for _, m := range []struct {
		name   corev1.ResourceName
		target *int32
	}{{corev1.ResourceCPU, as.CPU}, {corev1.ResourceMemory, as.Memory}} {
		if m.target == nil {
			continue
		}
		hpa.Spec.Metrics = append(hpa.Spec.Metrics, autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   m.name,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: m.target},
			},
		})
	}
	if as.ScaleUp != nil || as.ScaleDown != nil {
		hpa.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: scalingRules(as.ScaleUp), ScaleDown: scalingRules(as.ScaleDown)}
	}
	return hpa
}

func scalingRules(r *schema.ScalingRules) *autoscalingv2.HPAScalingRules {
	if r == nil {
		return nil
	}
	out := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: r.StabilizationWindowSeconds}
	if r.SelectPolicy != "" {
		out.SelectPolicy = ptr(autoscalingv2.ScalingPolicySelect(r.SelectPolicy))
	}
	for _, p := range r.Policies {
		out.Policies = append(out.Policies, autoscalingv2.HPAScalingPolicy{
			Type: autoscalingv2.HPAScalingPolicyType(p.Type), Value: p.Value, PeriodSeconds: p.PeriodSeconds,
		})
	}
	return out
}

// ServiceAccount is the account the app's pods run as, or nil when kdecl
// does not create one.
func ServiceAccount(s *schema.Stack, a *schema.App) *corev1.ServiceAccount {
	if !a.CreatesServiceAccount() {
		return nil
	}
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: objectMeta(s, a, a.ServiceAccountName()),
	}
}
