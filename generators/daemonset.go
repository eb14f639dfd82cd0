package generators

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// DaemonSet is the workload of a daemonset app: one pod on every node.
func DaemonSet(s *schema.Stack, a *schema.App) *appsv1.DaemonSet {
	ds := &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: workloadMeta(s, a, a.Name),
		Spec: appsv1.DaemonSetSpec{
			Selector:             &metav1.LabelSelector{MatchLabels: SelectorLabels(s, a)},
			Template:             PodTemplate(s, a),
			MinReadySeconds:      a.MinReadySeconds,
			RevisionHistoryLimit: a.RevisionHistoryLimit,
		},
	}
	if u := a.UpdateStrategy; u != nil {
		ds.Spec.UpdateStrategy.Type = appsv1.DaemonSetUpdateStrategyType(u.Type)
		if u.MaxUnavailable != nil || u.MaxSurge != nil {
			ds.Spec.UpdateStrategy.Type = appsv1.RollingUpdateDaemonSetStrategyType
			ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: u.MaxUnavailable, MaxSurge: u.MaxSurge}
		}
	}
	return ds
}
