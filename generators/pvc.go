package generators

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// PVCName is the name of the claim of an app's persistent volume.
func PVCName(a *schema.App, volume string) string { return schema.PVCName(a.Name, volume) }

// PersistentVolumeClaims are the claims of an app's persistent volumes, by
// name. A statefulset has none: it claims per pod through its templates.
func PersistentVolumeClaims(s *schema.Stack, a *schema.App) []*corev1.PersistentVolumeClaim {
	if a.Kind == schema.KindStatefulSet {
		return nil
	}
	var pvcs []*corev1.PersistentVolumeClaim
	for _, name := range slices.Sorted(maps.Keys(a.Storage)) {
		v := a.Storage[name]
		if v.Type != schema.VolumePersistent {
			continue
		}
		meta := objectMeta(s, a, PVCName(a, name))
		meta.Annotations = union(meta.Annotations, v.Annotations)
		pvcs = append(pvcs, &corev1.PersistentVolumeClaim{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
			ObjectMeta: meta,
			Spec:       claimSpec(v),
		})
	}
	return pvcs
}

func claimSpec(v schema.Volume) corev1.PersistentVolumeClaimSpec {
	spec := corev1.PersistentVolumeClaimSpec{
		Resources: corev1.VolumeResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(v.Size)},
		},
	}
	for _, m := range v.AccessModes {
		spec.AccessModes = append(spec.AccessModes, corev1.PersistentVolumeAccessMode(m))
	}
	if v.StorageClass != "" {
		spec.StorageClassName = ptr(v.StorageClass)
	}
	return spec
}
