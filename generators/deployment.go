package generators

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// Deployment is the workload of a deployment app.
func Deployment(s *schema.Stack, a *schema.App) *appsv1.Deployment {
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: workloadMeta(s, a, a.Name),
		Spec: appsv1.DeploymentSpec{
			Replicas:                ptr(a.Replicas),
			Selector:                &metav1.LabelSelector{MatchLabels: SelectorLabels(s, a)},
			Template:                PodTemplate(s, a),
			MinReadySeconds:         a.MinReadySeconds,
			RevisionHistoryLimit:    a.RevisionHistoryLimit,
			ProgressDeadlineSeconds: a.ProgressDeadlineSeconds,
		},
	}
	if st := a.Strategy; st != nil {
		d.Spec.Strategy.Type = appsv1.DeploymentStrategyType(st.Type)
		if st.MaxSurge != nil || st.MaxUnavailable != nil {
			d.Spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: st.MaxSurge, MaxUnavailable: st.MaxUnavailable}
		}
	}
	if a.Autoscaled {
		d.Spec.Replicas = nil // the autoscaler's to set
	}
	return d
}
