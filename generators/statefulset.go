package generators

import (
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// StatefulSet is the workload of a statefulset app. Its serviceName is its
// headless Service's name, from one place; each persistent volume is a
// claim template, so each pod gets a claim of its own.
func StatefulSet(s *schema.Stack, a *schema.App) *appsv1.StatefulSet {
	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: workloadMeta(s, a, a.Name),
		Spec: appsv1.StatefulSetSpec{
			Replicas:             ptr(a.Replicas),
			Selector:             &metav1.LabelSelector{MatchLabels: SelectorLabels(s, a)},
			ServiceName:          a.HeadlessService(),
			Template:             PodTemplate(s, a),
			PodManagementPolicy:  appsv1.PodManagementPolicyType(a.PodManagementPolicy),
			MinReadySeconds:      a.MinReadySeconds,
			RevisionHistoryLimit: a.RevisionHistoryLimit,
		},
	}
	if u := a.UpdateStrategy; u != nil {
		sts.Spec.UpdateStrategy.Type = appsv1.StatefulSetUpdateStrategyType(u.Type)
		if u.Partition != nil {
			sts.Spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
			sts.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: u.Partition}
		}
	}
	if a.Autoscaled {
		sts.Spec.Replicas = nil // the autoscaler's to set
	}
	for _, name := range slices.Sorted(maps.Keys(a.Storage)) {
		v := a.Storage[name]
		if v.Type != schema.VolumePersistent {
			continue
		}
		sts.Spec.VolumeClaimTemplates = append(sts.Spec.VolumeClaimTemplates, corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: SelectorLabels(s, a), Annotations: union(v.Annotations)},
			Spec:       claimSpec(v),
		})
	}
	return sts
}
