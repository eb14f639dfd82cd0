package importer

// The app's volumes: claims, claim templates, emptyDirs, hostPaths,
// existing ConfigMaps, podInfo; and the volumes kdecl has no field for.

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/schema"
)

// storage is the app's volumes other than its config, as the volumes
// of kdecl's storage (claims, claim templates, emptyDirs, hostPaths,
// existing ConfigMaps) and its podInfo; other volumes become overrides.
func (s *Stack) storage(p *Plan, a *App, w *workload, c corev1.Container, app map[string]any) map[string]any {
	spec := &w.template.Spec
	claims := map[string]*corev1.PersistentVolumeClaim{}
	for _, d := range a.Claims {
		if pvc, err := typed[corev1.PersistentVolumeClaim](d); err == nil {
			claims[pvc.Name] = pvc
		}
	}
	templates := map[string]corev1.PersistentVolumeClaim{}
	for _, t := range w.templates {
		templates[t.Name] = t
		for k := range t.Labels {
			if !schema.KdeclLabel(k) {
				s.left(a.Name, "volumeClaimTemplates[%s]: label %s; kdecl labels the claims itself", t.Name, k)
			}
		}
	}
	// A volume mounted more than once is one volume of storage, the
	// other mounts overrides: the native mount is the first whose
	// readOnly is the claim's, as kdecl makes them.
	native := map[string]int{}
	for i, m := range c.VolumeMounts {
		j := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if j >= 0 && spec.Volumes[j].ConfigMap != nil && (ownConfigMap(a, spec.Volumes[j].ConfigMap.Name) || p.Shared[spec.Volumes[j].ConfigMap.Name] != nil) {
			continue // a config, read by configAndEnv
		}
		claimReadOnly := j >= 0 && spec.Volumes[j].PersistentVolumeClaim != nil && spec.Volumes[j].PersistentVolumeClaim.ReadOnly
		if _, ok := native[m.Name]; !ok && (j < 0 || spec.Volumes[j].PersistentVolumeClaim == nil || m.ReadOnly == claimReadOnly) {
			native[m.Name] = i
		}
	}
	out := map[string]any{}
	for i, m := range c.VolumeMounts {
		if n, ok := native[m.Name]; ok && n != i {
			s.overrideList(a.Name, "container", toMap(m), "volumeMounts")
			continue
		}
		if t, ok := templates[m.Name]; ok {
			out[m.Name] = claimVolume(mount(m), &t)
			if len(t.Annotations) > 0 {
				out[m.Name].(map[string]any)["annotations"] = t.Annotations
			}
			continue
		}
		var vol *corev1.Volume
		for i := range spec.Volumes {
			if spec.Volumes[i].Name == m.Name {
				vol = &spec.Volumes[i]
			}
		}
		if vol == nil {
			s.left(a.Name, "volume mount %s", m.Name)
			continue
		}
		if cm := vol.ConfigMap; cm != nil && (ownConfigMap(a, cm.Name) || p.Shared[cm.Name] != nil) {
			continue // a config, read by configAndEnv
		}
		v := mount(m)
		switch src := vol.VolumeSource; {
		case src.PersistentVolumeClaim != nil && claims[src.PersistentVolumeClaim.ClaimName] != nil:
			pvc := claims[src.PersistentVolumeClaim.ClaimName]
			claimVolume(v, pvc)
			s.claimRest(a, pvc, "persistentvolumeclaim/"+a.Name+"-"+vol.Name)
		case src.PersistentVolumeClaim != nil:
			v["claim"] = src.PersistentVolumeClaim.ClaimName
		case src.DownwardAPI != nil && app["podInfo"] == nil && m.SubPath == "" && podInfo(src.DownwardAPI) != nil:
			info := podInfo(src.DownwardAPI)
			info["mountPath"] = m.MountPath
			app["podInfo"] = info
			continue
		case src.HostPath != nil:
			hp := map[string]any{"path": src.HostPath.Path}
			if t := src.HostPath.Type; t != nil && *t != corev1.HostPathUnset {
				hp["type"] = string(*t)
			}
			v["hostPath"] = hp
		case src.ConfigMap != nil && src.ConfigMap.Optional == nil && !slices.ContainsFunc(src.ConfigMap.Items, func(it corev1.KeyToPath) bool { return it.Mode != nil }):
			v["configMap"] = src.ConfigMap.Name
			if len(src.ConfigMap.Items) > 0 {
				items := map[string]any{}
				for _, it := range src.ConfigMap.Items {
					items[it.Key] = it.Path
				}
				v["items"] = items
			}
			if m := src.ConfigMap.DefaultMode; m != nil && *m != corev1.ConfigMapVolumeSourceDefaultMode {
				v["defaultMode"] = int(*m)
			}
		case src.Secret != nil && src.Secret.Optional == nil && len(validation.IsDNS1123Label(vol.Name)) == 0:
			secretFiles(app)[vol.Name] = secretFile(src.Secret, m)
			continue
		case src.EmptyDir != nil:
			v["type"] = "emptyDir"
			if src.EmptyDir.Medium == corev1.StorageMediumMemory {
				v["medium"] = "Memory"
			}
			if src.EmptyDir.SizeLimit != nil {
				v["sizeLimit"] = src.EmptyDir.SizeLimit.String()
			}
		default:
			s.overrideList(a.Name, "pod", toMap(vol), "volumes")
			s.overrideList(a.Name, "container", toMap(m), "volumeMounts")
			continue
		}
		out[vol.Name] = v
	}
	for _, name := range slices.Sorted(maps.Keys(templates)) {
		if out[name] == nil {
			s.left(a.Name, "volumeClaimTemplates[%s]: not mounted by the app's container, where kdecl mounts each volume of storage", name)
		}
	}
	return out
}

// secretFiles are the app's secrets.files, made if need be.
func secretFiles(app map[string]any) map[string]any {
	secrets, _ := app["secrets"].(map[string]any)
	if secrets == nil {
		secrets = map[string]any{}
		app["secrets"] = secrets
	}
	files, _ := secrets["files"].(map[string]any)
	if files == nil {
		files = map[string]any{}
		secrets["files"] = files
	}
	return files
}

// secretFile is the Secret volume src, mounted by m, as secrets.files
// says it: files are read-only, as the kubelet mounts a Secret's.
func secretFile(src *corev1.SecretVolumeSource, m corev1.VolumeMount) map[string]any {
	f := map[string]any{"secret": src.SecretName, "mountPath": m.MountPath}
	if m.SubPath != "" {
		f["subPath"] = m.SubPath
	}
	items, modes := map[string]any{}, map[string]any{}
	for _, it := range src.Items {
		items[it.Key] = it.Path
		if it.Mode != nil {
			modes[it.Key] = int(*it.Mode)
		}
	}
	if len(items) > 0 {
		f["items"] = items
	}
	if len(modes) > 0 {
		f["modes"] = modes
	}
	if d := src.DefaultMode; d != nil && *d != corev1.SecretVolumeSourceDefaultMode {
		f["defaultMode"] = int(*d)
	}
	return f
}

// mount is a volume of kdecl's as far as the mount m says it.
func mount(m corev1.VolumeMount) map[string]any {
	v := map[string]any{"mountPath": m.MountPath}
	if m.ReadOnly {
		v["readOnly"] = true
	}
	if m.SubPath != "" {
		v["subPath"] = m.SubPath
	}
	if m.MountPropagation != nil {
		v["mountPropagation"] = string(*m.MountPropagation)
	}
	return v
}

// podInfo is a downward API volume as kdecl's podInfo, nil if it is not
// one: files labels and annotations of the pod's, of modes unset.
func podInfo(v *corev1.DownwardAPIVolumeSource) map[string]any {
	if v.DefaultMode != nil && *v.DefaultMode != corev1.DownwardAPIVolumeSourceDefaultMode || len(v.Items) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, it := range v.Items {
		f := it.FieldRef
		if f == nil || it.Mode != nil || f.APIVersion != "" && f.APIVersion != "v1" || it.Path != strings.TrimPrefix(f.FieldPath, "metadata.") ||
			f.FieldPath != "metadata.labels" && f.FieldPath != "metadata.annotations" || out[it.Path] != nil {
			return nil
		}
		out[it.Path] = true
	}
	if len(out) == 2 {
		return map[string]any{} // both, as when neither is set
	}
	return out
}

// claimSpec are the fields of a claim's spec that kdecl's fields say.
var claimSpec = []string{"accessModes", "storageClassName", "resources"}

// claimRest says what of a claim kdecl's storage does not, as an
// override of key: its annotations, the fields of its spec.
func (s *Stack) claimRest(a *App, pvc *corev1.PersistentVolumeClaim, key string) {
	if len(pvc.Annotations) > 0 {
		s.override(a.Name, key, pvc.Annotations, "metadata", "annotations")
	}
	spec := toMap(pvc.Spec)
	for _, k := range slices.Sorted(maps.Keys(spec)) {
		if !slices.Contains(claimSpec, k) {
			s.override(a.Name, key, spec[k], "spec", k)
		}
	}
	if len(pvc.Spec.Resources.Limits) > 0 {
		s.override(a.Name, key, toMap(pvc.Spec.Resources)["limits"], "spec", "resources", "limits")
	}
}

// claimVolume adds to v, a persistent volume of kdecl's, what the claim
// or claim template pvc says, and returns it.
func claimVolume(v map[string]any, pvc *corev1.PersistentVolumeClaim) map[string]any {
	if q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		v["size"] = q.String()
	}
	if modes := pvc.Spec.AccessModes; len(modes) > 0 && !(len(modes) == 1 && modes[0] == corev1.ReadWriteOnce) {
		var ms []string
		for _, mode := range modes {
			ms = append(ms, string(mode))
		}
		v["accessModes"] = ms
	}
	if pvc.Spec.StorageClassName != nil {
		v["storageClass"] = *pvc.Spec.StorageClassName
	}
	return v
}

// unmounted makes each volume of the pod that neither the app's
// container mounts nor kdecl's fields say an override.
func (s *Stack) unmounted(a *App, spec *corev1.PodSpec, c corev1.Container, vols podVolumes) {
	for _, v := range spec.Volumes {
		if v.Name == vols.config || vols.storage[v.Name] != nil || slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == v.Name }) {
			continue
		}
		if len(s.after[a.Name]) > 0 && reflect.DeepEqual(toMap(v), toMap(generators.JobWaitTokenVolume())) {
			continue // kdecl's, for the containers that wait for jobs
		}
		if v.ConfigMap != nil && ownConfigMap(a, v.ConfigMap.Name) {
			s.left(a.Name, "volume %s: a second volume of the app's ConfigMap", v.Name)
			continue
		}
		s.overrideList(a.Name, "pod", toMap(v), "volumes")
	}
}

// podVolumes are the names of the pod's volumes that kdecl's fields say:
// the app's config, its storage.
type podVolumes struct {
	config  string
	storage map[string]*bool // whether each is read-only
	// unsaid are the volumes the stack leaves out, whose mounts by
	// sidecars it leaves out too: a second volume of the app's
	// ConfigMap, a claim template the app's container does not mount.
	unsaid map[string]bool
}
