package schema

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Keys of overrides beside the objects'.
const (
	OverridePod       = "pod"
	OverrideContainer = "container"
)

// ObjectRef is an object kdecl generates for an app.
type ObjectRef struct {
	Kind string // Deployment, Service, ...
	Name string // "" for a Job, whose name ends in a hash of its spec
}

// OverrideKey is how overrides name the object: its kind in lowercase.
func (r ObjectRef) OverrideKey() string { return strings.ToLower(r.Kind) }

// AppObjects lists the objects kdecl generates for the app, as Load left
// it: the generators make exactly these.
func AppObjects(a *App) []ObjectRef {
	var objs []ObjectRef
	if c := a.Config; c != nil && len(c.Env)+len(c.Files) > 0 {
		objs = append(objs, ObjectRef{"ConfigMap", ConfigMapName(a.Name)})
	}
	if a.Kind != KindStatefulSet {
		for _, v := range slices.Sorted(maps.Keys(a.Storage)) {
			if a.Storage[v].Type == VolumePersistent {
				objs = append(objs, ObjectRef{"PersistentVolumeClaim", PVCName(a.Name, v)})
			}
		}
	}
	if h := a.HeadlessService(); h != "" && !a.SharesHeadless { // else the stack's
		objs = append(objs, ObjectRef{"Service", h})
	}
	if a.HasService() {
		objs = append(objs, ObjectRef{"Service", a.Name})
	}
	if a.Expose.Ingress != nil && a.HasService() {
		objs = append(objs, ObjectRef{"Ingress", a.Name})
	}
	if a.Disruption != nil {
		objs = append(objs, ObjectRef{"PodDisruptionBudget", a.Name})
	}
	if a.NetworkPolicy {
		objs = append(objs, ObjectRef{"NetworkPolicy", a.Name})
	}
	if a.CreatesServiceAccount() {
		objs = append(objs, ObjectRef{"ServiceAccount", a.ServiceAccountName()})
	}
	if a.Autoscale != nil {
		objs = append(objs, ObjectRef{"HorizontalPodAutoscaler", a.Name})
	}
	if len(a.After) > 0 {
		objs = append(objs, ObjectRef{"Role", WaitRoleName(a.Name)}, ObjectRef{"RoleBinding", WaitRoleName(a.Name)})
	}
	if a.Kind == KindJob {
		return append(objs, ObjectRef{"Job", ""})
	}
	return append(objs, ObjectRef{a.WorkloadKind(), a.Name})
}

// OverrideTarget is the object an override key names among the app's
// objects: its kind, or kind/name where the app has several of a kind.
func OverrideTarget(a *App, key string) (ObjectRef, error) {
	kind, name, named := strings.Cut(key, "/")
	var matches []ObjectRef
	for _, o := range AppObjects(a) {
		if o.OverrideKey() == kind && (!named || o.Name == name) {
			matches = append(matches, o)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) > 1:
		var keys []string
		for _, o := range matches {
			keys = append(keys, o.OverrideKey()+"/"+o.Name)
		}
		return ObjectRef{}, fmt.Errorf("the app has %d objects of kind %s; name one: %s", len(matches), kind, strings.Join(keys, ", "))
	}
	var keys []string
	for _, o := range AppObjects(a) {
		keys = append(keys, o.OverrideKey())
	}
	return ObjectRef{}, fmt.Errorf("the app renders no %s; overrides take pod, container, %s", key, strings.Join(slices.Compact(keys), ", "))
}

// overrideTypes are the Go types of what overrides patch.
var overrideTypes = map[string]reflect.Type{
	OverridePod:               reflect.TypeFor[corev1.PodSpec](),
	OverrideContainer:         reflect.TypeFor[corev1.Container](),
	"Deployment":              reflect.TypeFor[appsv1.Deployment](),
	"StatefulSet":             reflect.TypeFor[appsv1.StatefulSet](),
	"DaemonSet":               reflect.TypeFor[appsv1.DaemonSet](),
	"Job":                     reflect.TypeFor[batchv1.Job](),
	"CronJob":                 reflect.TypeFor[batchv1.CronJob](),
	"Service":                 reflect.TypeFor[corev1.Service](),
	"ConfigMap":               reflect.TypeFor[corev1.ConfigMap](),
	"PersistentVolumeClaim":   reflect.TypeFor[corev1.PersistentVolumeClaim](),
	"ServiceAccount":          reflect.TypeFor[corev1.ServiceAccount](),
	"HorizontalPodAutoscaler": reflect.TypeFor[autoscalingv2.HorizontalPodAutoscaler](),
	"Ingress":                 reflect.TypeFor[networkingv1.Ingress](),
	"PodDisruptionBudget":     reflect.TypeFor[policyv1.PodDisruptionBudget](),
	"NetworkPolicy":           reflect.TypeFor[networkingv1.NetworkPolicy](),
	"Role":                    reflect.TypeFor[rbacv1.Role](),
	"RoleBinding":             reflect.TypeFor[rbacv1.RoleBinding](),
}

// overrides checks the app's overrides: each names something the app
// renders, is a fragment of its type, and leaves alone what consistency
// rests on (names, selectors, kdecl's labels, what kdecl wires) and what
// the schema models, saying which field to use instead.
func (c *appChecker) overrides() {
	for _, key := range slices.Sorted(maps.Keys(c.app.Overrides)) {
		frag := c.app.Overrides[key]
		field := []string{"overrides", key}
		t := overrideTypes[key]
		var target ObjectRef
		if c.app.SharesHeadless && key == "service/"+c.app.HeadlessService() {
			continue // the stack's: sharedHeadless says why no override
		}
		if t == nil {
			var err error
			if target, err = OverrideTarget(c.app, key); err != nil {
				c.fail(err.Error(), field...)
				continue
			}
			t = overrideTypes[target.Kind]
		}
		bad := false
		checkPatch(t, frag, field, func(path []string, msg string) {
			c.fail(msg, path...)
			bad = true
		})
		if bad {
			continue
		}
		c.overrideCredentials(key, target, frag)
		switch key {
		case OverridePod:
			c.overridePod(frag, field)
		case OverrideContainer:
			c.overrideContainer(frag, field, c.app.Name)
		default:
			c.overrideObject(target, frag, field)
		}
	}
}

// native says that a field of an override is one kdecl sets from a field
// of the schema.
func (c *appChecker) native(field []string, native string) {
	c.fail("kdecl sets this from "+native+"; set "+native+" instead", field...)
}

// waitsNative is what kdecl sets the RBAC of an app's waits for jobs
// from.
const waitsNative = "the jobs' before"

// at is the path of an element of a list.
func at(field []string, parts ...string) []string {
	return append(slices.Clone(field), parts...)
}

func get(m map[string]any, path ...string) (any, bool) {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return v, true
}

// each calls fn with every element of the list at key of m that has a
// string field nameKey, and its index.
func each(m map[string]any, key, nameKey string, fn func(i int, name string, elem map[string]any)) {
	list, _ := m[key].([]any)
	for i, x := range list {
		if elem, ok := x.(map[string]any); ok {
			name, _ := elem[nameKey].(string)
			fn(i, name, elem)
		}
	}
}

// overrideMeta checks an object's metadata.
func (c *appChecker) overrideMeta(frag map[string]any, field []string) {
	for _, f := range []string{"name", "namespace", "generateName"} {
		if _, ok := get(frag, "metadata", f); ok {
			c.fail("kdecl names every object after the app, in the stack's namespace", at(field, "metadata", f)...)
		}
	}
	labels, _ := get(frag, "metadata", "labels")
	c.overrideLabels(labels, at(field, "metadata", "labels"))
	if meta, ok := frag["metadata"].(map[string]any); ok {
		metadataRules(meta, false, at(field, "metadata"), c.failAt)
	}
}

// overrideLabels checks the labels of an object or pod template.
func (c *appChecker) overrideLabels(v any, field []string) {
	labels, _ := v.(map[string]any)
	for _, k := range sortedKeys(labels) {
		if why, ok := kdeclLabels[k]; ok {
			c.fail("kdecl sets this label itself ("+why+")", at(field, k)...)
		}
	}
}

// overridePod checks a fragment of the pod's spec.
func (c *appChecker) overridePod(frag map[string]any, field []string) {
	a := c.app
	for f, native := range map[string]string{
		"restartPolicy": "restartPolicy", "terminationGracePeriodSeconds": "terminationGracePeriodSeconds",
		"serviceAccountName": "serviceAccount.name", "serviceAccount": "serviceAccount.name",
		"automountServiceAccountToken": "serviceAccount.automountToken",
	} {
		if _, ok := frag[f]; ok {
			c.native(at(field, f), native)
		}
	}
	podRules(a.WorkloadKind(), frag, field, c.failAt)
	volumes := c.volumeNames()
	each(frag, "volumes", "name", func(i int, name string, _ map[string]any) {
		if native, ok := volumes[name]; ok {
			c.fail(fmt.Sprintf("volume %s is kdecl's, from %s; change it there, or name yours otherwise", name, native), at(field, "volumes", index(i))...)
		}
	})
	// The pod's volumes once the patch is merged: a container it adds
	// mounts those.
	podVolumes := map[string]bool{}
	for name := range volumes {
		podVolumes[name] = true
	}
	each(frag, "volumes", "name", func(_ int, name string, _ map[string]any) { podVolumes[name] = true })
	containers, inits := c.containerNames()
	each(frag, "containers", "name", func(_ int, name string, _ map[string]any) { containers[name] = true })
	each(frag, "initContainers", "name", func(_ int, name string, _ map[string]any) { inits[name] = true })
	added := func(ctr map[string]any, field []string, name, list string, other map[string]bool) {
		if other[name] {
			c.fail(fmt.Sprintf("the pod has a container named %s among its %s already: container names are unique across the pod", name, map[string]string{"containers": "init containers", "initContainers": "containers"}[list]), at(field, "name")...)
		}
		containerRules(ctr, podVolumes, field, c.failAt)
	}
	each(frag, "containers", "name", func(i int, name string, ctr map[string]any) {
		f := at(field, "containers", index(i))
		switch _, sidecar := a.Sidecars[name]; {
		case name == a.Name:
			c.overrideContainer(ctr, f, name)
		case sidecar:
			c.overrideSidecar(ctr, f, "sidecars."+quoteKey(name), a.Sidecars[name])
		default:
			added(ctr, f, name, "containers", inits)
		}
	})
	each(frag, "initContainers", "name", func(i int, name string, ctr map[string]any) {
		f := at(field, "initContainers", index(i))
		if dep, ok := strings.CutPrefix(name, WaitContainerName("")); ok && slices.ContainsFunc(a.Uses, func(u Use) bool { return u.App == dep && u.Waits() }) {
			c.fail("kdecl's container that waits for "+dep+"; it comes from uses", f...)
			return
		}
		if job, ok := strings.CutPrefix(name, WaitContainerName("")); ok && slices.Contains(a.After, job) {
			c.fail("kdecl's container that waits for job "+job+"; it comes from the job's before", f...)
			return
		}
		if j := slices.IndexFunc(a.InitContainers, func(ic Container) bool { return ic.Name == name }); j >= 0 {
			c.overrideSidecar(ctr, f, "initContainers"+index(j), a.InitContainers[j])
			return
		}
		added(ctr, f, name, "initContainers", containers)
	})
}

// containerNames are the names of the containers and init containers
// kdecl makes for the app's pod.
func (c *appChecker) containerNames() (containers, inits map[string]bool) {
	a := c.app
	containers, inits = map[string]bool{a.Name: true}, map[string]bool{}
	for name := range a.Sidecars {
		containers[name] = true
	}
	for _, u := range a.Uses {
		if u.Waits() {
			inits[WaitContainerName(u.App)] = true
		}
	}
	for _, job := range a.After {
		inits[WaitContainerName(job)] = true
	}
	for _, ic := range a.InitContainers {
		inits[ic.Name] = true
	}
	return containers, inits
}

// volumeNames are the pod's volumes kdecl makes, with the field each
// comes from.
func (c *appChecker) volumeNames() map[string]string {
	a := c.app
	v := map[string]string{}
	if a.Config != nil && len(a.Config.Files) > 0 {
		v[ConfigVolume] = "config.files"
	}
	for _, cfg := range a.Shared {
		if len(cfg.Files) > 0 {
			v[cfg.Volume()] = "configs"
		}
	}
	if a.PodInfo != nil {
		v[PodInfoVolume] = "podInfo"
	}
	for name := range a.Storage {
		v[name] = "storage." + quoteKey(name)
	}
	for name := range a.Secrets.Files {
		v[name] = "secrets.files." + quoteKey(name)
	}
	return v
}

// containerNative are the fields of a container the schema models.
var containerNative = []string{"image", "imagePullPolicy", "command", "args", "ports", "resources", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"}

// overrideContainer checks a fragment of the app's container.
func (c *appChecker) overrideContainer(frag map[string]any, field []string, name string) {
	a := c.app
	if field[len(field)-1] == OverrideContainer {
		if _, ok := frag["name"]; ok {
			c.fail("the app's container is named after the app", at(field, "name")...)
		}
	}
	for _, f := range containerNative {
		if _, ok := frag[f]; ok {
			native := map[string]string{"livenessProbe": "probes.liveness", "readinessProbe": "probes.readiness", "startupProbe": "probes.startup"}[f]
			if native == "" {
				native = f
			}
			c.native(at(field, f), native)
		}
	}
	if _, ok := frag["envFrom"]; ok && len(a.Secrets.EnvFrom) > 0 {
		c.fail("a patch replaces the whole list, and kdecl's comes from secrets.envFrom: add the Secrets there", at(field, "envFrom")...)
	}
	each(frag, "env", "name", func(i int, env string, _ map[string]any) {
		if where, ok := c.envNames[env]; ok {
			c.fail(fmt.Sprintf("kdecl sets %s from %s; change it there", env, where), at(field, "env", index(i))...)
		}
	})
	mounts := c.mountPathsOf()
	each(frag, "volumeMounts", "mountPath", func(i int, p string, _ map[string]any) {
		if native, ok := mounts[p]; ok {
			c.fail(fmt.Sprintf("kdecl mounts %s there", native), at(field, "volumeMounts", index(i))...)
		}
	})
	c.mountsOfPod(frag, field)
}

// mountsOfPod checks that the volumes a patch of one of kdecl's
// containers mounts are the pod's: kdecl's, or those overrides.pod adds.
// The API server refuses a mount of no volume of the pod.
func (c *appChecker) mountsOfPod(frag map[string]any, field []string) {
	volumes := map[string]bool{}
	for name := range c.volumeNames() {
		volumes[name] = true
	}
	volumes[JobWaitTokenVolume] = len(c.app.After) > 0
	add := func(_ int, name string, _ map[string]any) { volumes[name] = true }
	each(c.app.Overrides[OverridePod], "volumes", "name", add)
	template := []string{"spec", "template", "spec"} // of the workload's patch
	if c.app.Kind == KindCronJob {
		template = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	}
	if spec, ok := get(c.app.Overrides[c.app.Kind], template...); ok {
		each(asMap(spec), "volumes", "name", add)
	}
	each(frag, "volumeMounts", "name", func(i int, name string, _ map[string]any) {
		if !volumes[name] {
			c.fail(fmt.Sprintf("the pod has no volume %s: add it to overrides.pod.volumes, or mount one of kdecl's", quote(name)), at(field, "volumeMounts", index(i), "name")...)
		}
	})
}

// mountPathsOf are the app container's mounts kdecl makes, by path.
func (c *appChecker) mountPathsOf() map[string]string {
	a := c.app
	m := map[string]string{}
	if a.Config != nil && len(a.Config.Files) > 0 {
		m[a.Config.MountPath] = "the config files (config.mountPath)"
	}
	for _, cfg := range a.Shared {
		if len(cfg.DirFiles()) > 0 {
			m[cfg.MountPath] = "the files of config " + cfg.Name + " (configs)"
		}
		for _, p := range cfg.FileMounts {
			m[p] = "a file of config " + cfg.Name + " (configs)"
		}
	}
	for name, v := range a.Storage {
		m[v.MountPath] = "volume " + name + " (storage." + quoteKey(name) + ".mountPath)"
	}
	for name, f := range a.Secrets.Files {
		m[f.MountPath] = "the Secret's files (secrets.files." + quoteKey(name) + ".mountPath)"
	}
	if a.PodInfo != nil {
		m[a.PodInfo.MountPath] = "the pod's labels and annotations (podInfo.mountPath)"
	}
	return m
}

// overrideSidecar checks a fragment of a sidecar or init container of the
// app's, whose fields are at native (sidecars.log).
func (c *appChecker) overrideSidecar(frag map[string]any, field []string, native string, ctr Container) {
	for _, f := range []string{"image", "imagePullPolicy", "command", "args", "ports", "resources"} {
		if _, ok := frag[f]; ok {
			c.native(at(field, f), native+"."+f)
		}
	}
	each(frag, "env", "name", func(i int, env string, _ map[string]any) {
		if _, ok := ctr.Env[env]; ok {
			c.native(at(field, "env", index(i)), native+".env")
		}
	})
	paths := map[string]bool{ctr.ConfigMount: ctr.ConfigMount != ""}
	for _, p := range ctr.Mounts {
		paths[p] = true
	}
	each(frag, "volumeMounts", "mountPath", func(i int, p string, _ map[string]any) {
		if paths[p] {
			c.native(at(field, "volumeMounts", index(i)), native+".mounts")
		}
	})
	c.mountsOfPod(frag, field)
}

// objectNative are the fields of objects the schema models, by kind.
var objectNative = map[string]map[string]string{
	"Role":        {"rules": waitsNative},
	"RoleBinding": {"roleRef": waitsNative, "subjects": waitsNative},
	"Deployment": {
		"spec.replicas": "replicas", "spec.strategy": "strategy", "spec.minReadySeconds": "minReadySeconds",
		"spec.revisionHistoryLimit": "revisionHistoryLimit", "spec.progressDeadlineSeconds": "progressDeadlineSeconds",
	},
	"StatefulSet": {
		"spec.replicas": "replicas", "spec.serviceName": "headless.name",
		"spec.volumeClaimTemplates": "storage", "spec.podManagementPolicy": "podManagementPolicy", "spec.updateStrategy": "updateStrategy",
		"spec.minReadySeconds": "minReadySeconds", "spec.revisionHistoryLimit": "revisionHistoryLimit",
	},
	"DaemonSet": {
		"spec.updateStrategy": "updateStrategy", "spec.minReadySeconds": "minReadySeconds", "spec.revisionHistoryLimit": "revisionHistoryLimit",
	},
	"Job": {
		"spec.completions": "job.completions", "spec.parallelism": "job.parallelism", "spec.backoffLimit": "job.backoffLimit",
		"spec.activeDeadlineSeconds": "job.activeDeadlineSeconds", "spec.ttlSecondsAfterFinished": "job.ttlSecondsAfterFinished",
	},
	"CronJob": {
		"spec.schedule": "schedule", "spec.timeZone": "timeZone", "spec.concurrencyPolicy": "concurrencyPolicy",
		"spec.startingDeadlineSeconds": "startingDeadlineSeconds", "spec.suspend": "suspend",
		"spec.successfulJobsHistoryLimit": "successfulJobsHistoryLimit", "spec.failedJobsHistoryLimit": "failedJobsHistoryLimit",
		"spec.jobTemplate.spec.completions": "job.completions", "spec.jobTemplate.spec.parallelism": "job.parallelism",
		"spec.jobTemplate.spec.backoffLimit": "job.backoffLimit", "spec.jobTemplate.spec.activeDeadlineSeconds": "job.activeDeadlineSeconds",
		"spec.jobTemplate.spec.ttlSecondsAfterFinished": "job.ttlSecondsAfterFinished",
	},
	"Service": {
		"spec.type": "expose.type", "spec.sessionAffinity": "expose.sessionAffinity", "spec.externalTrafficPolicy": "expose.externalTrafficPolicy",
		"spec.loadBalancerSourceRanges": "expose.loadBalancerSourceRanges", "spec.publishNotReadyAddresses": "expose.publishNotReadyAddresses",
		"spec.loadBalancerIP": "expose.loadBalancerIP",
	},
	"Ingress": {
		"spec.rules": "expose.ingress.hosts and expose.ingress.paths", "spec.tls": "expose.ingress.tls",
		"spec.ingressClassName": "expose.ingress.className",
	},
	"PodDisruptionBudget": {
		"spec.minAvailable":   "disruption.minAvailable",
		"spec.maxUnavailable": "disruption.maxUnavailable", "spec.unhealthyPodEvictionPolicy": "disruption.unhealthyPodEvictionPolicy",
	},
	"NetworkPolicy": {
		"spec.podSelector": "the app it belongs to", "spec.ingress": "uses", "spec.egress": "uses",
		"spec.policyTypes": "networkPolicies.egress",
	},
	"ConfigMap":             {"data": "config.env and config.files", "binaryData": "config.files"},
	"PersistentVolumeClaim": {"spec.resources.requests.storage": "storage.<volume>.size", "spec.accessModes": "storage.<volume>.accessModes", "spec.storageClassName": "storage.<volume>.storageClass"},
	"ServiceAccount":        {"automountServiceAccountToken": "serviceAccount.automountToken"},
	"HorizontalPodAutoscaler": {
		"spec.scaleTargetRef": "the app it belongs to", "spec.minReplicas": "autoscale.minReplicas", "spec.maxReplicas": "autoscale.maxReplicas",
		"spec.metrics": "autoscale.cpu and autoscale.memory", "spec.behavior": "autoscale.scaleUp and autoscale.scaleDown",
	},
}

// podPaths are where the pod template is in each kind of workload.
var podPaths = map[string][]string{
	"Deployment":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

// overrideObject checks a fragment of one of the app's objects.
func (c *appChecker) overrideObject(o ObjectRef, frag map[string]any, field []string) {
	for _, f := range []string{"apiVersion", "kind"} {
		if _, ok := frag[f]; ok {
			c.fail(fmt.Sprintf("an override patches the %s kdecl renders, whose %s is kdecl's: a served one, for the app's kind", o.Kind, f), at(field, f)...)
		}
	}
	if _, ok := frag["status"]; ok {
		c.fail("the API server writes an object's status; what a render writes there is dropped", at(field, "status")...)
	}
	c.overrideMeta(frag, field)
	for _, path := range slices.Sorted(maps.Keys(objectNative[o.Kind])) {
		if _, ok := get(frag, strings.Split(path, ".")...); ok {
			c.native(at(field, strings.Split(path, ".")...), objectNative[o.Kind][path])
		}
	}
	for _, sel := range [][]string{{"spec", "selector"}, {"spec", "jobTemplate", "spec", "selector"}, {"spec", "manualSelector"}} {
		if _, ok := get(frag, sel...); ok {
			c.fail("kdecl selects the app's pods by the app's and the stack's names; selectors do not change", at(field, sel...)...)
		}
	}
	if tmpl, ok := podPaths[o.Kind]; ok {
		meta := at(tmpl, "metadata")
		labels, _ := get(frag, at(meta, "labels")...)
		c.overrideLabels(labels, at(field, at(meta, "labels")...))
		if m, ok := get(frag, meta...); ok {
			if m, ok := m.(map[string]any); ok {
				metadataRules(m, true, at(field, meta...), c.failAt)
			}
		}
		if _, ok := get(frag, at(meta, "annotations", ConfigHashAnnotation)...); ok {
			c.fail("kdecl sets the config hash that rolls the pods", at(field, at(meta, "annotations", ConfigHashAnnotation)...)...)
		}
		if spec, ok := get(frag, at(tmpl, "spec")...); ok {
			if m, ok := spec.(map[string]any); ok {
				c.overridePod(m, at(field, at(tmpl, "spec")...))
			}
		}
	}
	switch o.Kind {
	case "Service":
		c.overrideService(o, frag, field)
	case "Job":
		spec, _ := frag["spec"].(map[string]any)
		jobRules(spec, c.app.RestartPolicy, c.jobCounts().defaulted(true), at(field, "spec"), c.failAt)
	case "CronJob":
		spec, _ := get(frag, "spec", "jobTemplate", "spec")
		m, _ := spec.(map[string]any)
		jobRules(m, c.app.RestartPolicy, c.jobCounts(), at(field, "spec", "jobTemplate", "spec"), c.failAt)
	case "Ingress":
		if v, ok := get(frag, "metadata", "annotations", ingressClassAnnotation); ok {
			c.ingressClass(fmt.Sprint(v), at(field, "metadata", "annotations", ingressClassAnnotation))
		}
	}
}

// jobCounts are the app's job's completions and parallelism.
func (c *appChecker) jobCounts() jobCounts {
	counts := jobCounts{completionsField: "job.completions"}
	if n := c.app.Job.Completions; n != nil {
		v := int64(*n)
		counts.completions = &v
	}
	if n := c.app.Job.Parallelism; n != nil {
		v := int64(*n)
		counts.parallelism = &v
	}
	return counts
}

// overrideService checks a fragment of a Service: the ports kdecl makes
// are the app's ports, by number.
func (c *appChecker) overrideService(o ObjectRef, frag map[string]any, field []string) {
	if ann, ok := get(frag, "metadata", "annotations"); ok {
		c.overrideServiceAnnotations(o, asMap(ann), at(field, "metadata", "annotations"))
	}
	spec, _ := get(frag, "spec")
	m, _ := spec.(map[string]any)
	if m == nil {
		return
	}
	if _, ok := m["clusterIP"]; ok && o.Name == c.app.HeadlessService() {
		c.fail("clusterIP None is what makes the Service headless", at(field, "spec", "clusterIP")...)
	}
	if _, ok := m["ports"]; ok {
		c.overrideServicePorts(o, m["ports"], at(field, "spec", "ports"))
	}
}

// overrideServicePorts checks a patch of a Service's ports. kdecl makes
// them from the app's ports, so a patch may only name one by its number,
// the list's merge key, and set what kdecl leaves unset: its
// appProtocol. It may not add a port, nor change one's name, number,
// protocol, target or node port.
func (c *appChecker) overrideServicePorts(o ObjectRef, v any, field []string) {
	ports := c.app.ServicePorts()
	byNumber := map[int64][]string{}
	for _, name := range slices.Sorted(maps.Keys(ports)) {
		n := int64(ports[name].ServiceNumber())
		byNumber[n] = append(byNumber[n], name)
	}
	list, _ := v.([]any)
	for i, x := range list {
		p, _ := x.(map[string]any)
		n, _ := p["port"].(int64)
		f := at(field, index(i))
		names := byNumber[n]
		switch {
		case len(names) == 0:
			c.fail(fmt.Sprintf("the Service has no port %d: its ports are the app's ports (have %s); add one to ports", n, keyList(ports)), at(f, "port")...)
			continue
		case len(names) > 1:
			c.fail(fmt.Sprintf("the Service has %d ports numbered %d (%s), and a patch merges them by their number alone", len(names), n, strings.Join(names, ", ")), at(f, "port")...)
			continue
		}
		native := map[string]string{
			"name": "ports." + quoteKey(names[0]), "protocol": "ports." + quoteKey(names[0]) + ".protocol",
			"targetPort": "ports." + quoteKey(names[0]), "nodePort": "expose.nodePorts." + quoteKey(names[0]),
		}
		for _, k := range sortedKeys(p) {
			switch {
			case k == "port" || k == "appProtocol":
			case native[k] != "":
				c.native(at(f, k), native[k])
			default:
				c.fail("an override of a Service's port sets only its appProtocol", at(f, k)...)
			}
		}
	}
}

// overrideServiceAnnotations checks the annotations a Service ends up
// with where an override sets them: the app's, expose's and the
// override's, reporting what comes from the override.
func (c *appChecker) overrideServiceAnnotations(o ObjectRef, ann map[string]any, field []string) {
	a := c.app
	merged := maps.Clone(a.Annotations)
	if merged == nil {
		merged = map[string]string{}
	}
	typ := "ClusterIP"
	if o.Name == a.Name {
		maps.Copy(merged, a.Expose.Annotations)
		typ = a.Expose.Type
	}
	for k, v := range ann {
		if s, ok := v.(string); ok {
			merged[k] = s
		}
	}
	serviceAnnotations(merged, typ, "expose.type", func(k string) []string { return at(field, k) }, func(path []string, msg string) {
		if _, ours := ann[path[len(path)-1]]; ours {
			c.fail(msg, path...)
		}
	})
}
