package manifest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// serverAnnotations are annotations that the API server, kubectl or a
// controller set, never a user.
var serverAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
	"deprecated.daemonset.template.generation",
	"pv.kubernetes.io/bind-completed",
	"pv.kubernetes.io/bound-by-controller",
	"volume.beta.kubernetes.io/storage-provisioner",
	"volume.kubernetes.io/storage-provisioner",
	"volume.kubernetes.io/selected-node",
}

// serverMetadata are the fields of metadata that the API server sets.
var serverMetadata = []string{
	"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
	"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
}

// jobLabels are the labels the Job controller puts on its pod template.
var jobLabels = []string{"controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name"}

// dropNulls removes the fields of v, at any depth, whose value is null:
// a field the API server, as it decodes JSON, takes as not set
// (data: with nothing after it, in YAML).
func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			dropNulls(e)
		}
	case []any:
		for _, e := range v {
			dropNulls(e)
		}
	}
}

// Clean removes from obj what the API server, kubectl or a controller
// set (status, metadata the server keeps, allocated cluster IPs, the
// selector of a Job it generated, the volume a claim was bound to), so
// that what remains is what its author wrote.
func Clean(obj map[string]any) {
	dropNulls(obj)
	bound := Get(obj, "metadata", "annotations", "pv.kubernetes.io/bind-completed") != nil
	// What the server allocated (a cluster IP) only an object it returned
	// holds; in manifests an author wrote, it is the author's.
	stored := Get(obj, "metadata", "uid") != nil || Get(obj, "metadata", "resourceVersion") != nil || Get(obj, "metadata", "creationTimestamp") != nil
	delete(obj, "status")
	cleanMetadata(Get(obj, "metadata"))
	if l, ok := Get(obj, "metadata", "labels").(map[string]any); ok {
		// kubectl apply --applyset's, on every object it applies (never on
		// a pod template)
		delete(l, "applyset.kubernetes.io/part-of")
		if len(l) == 0 {
			delete(Get(obj, "metadata").(map[string]any), "labels")
		}
	}
	if m, ok := Get(obj, "metadata").(map[string]any); ok && len(m) == 0 {
		delete(obj, "metadata")
	}
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return
	}
	kind, _ := obj["kind"].(string)
	for _, tmpl := range []any{Get(spec, "template"), Get(spec, "jobTemplate"), Get(spec, "jobTemplate", "spec", "template")} {
		if t, ok := tmpl.(map[string]any); ok {
			cleanMetadata(t["metadata"])
			if m, ok := t["metadata"].(map[string]any); ok && len(m) == 0 {
				delete(t, "metadata")
			}
		}
	}
	switch kind {
	case "Service":
		if !stored {
			break
		}
		if ip, _ := spec["clusterIP"].(string); ip != "None" {
			delete(spec, "clusterIP")
			delete(spec, "clusterIPs")
		} else {
			delete(spec, "clusterIPs")
		}
		delete(spec, "ipFamilies")
		if p, _ := spec["ipFamilyPolicy"].(string); p == "SingleStack" {
			delete(spec, "ipFamilyPolicy")
		}
		delete(spec, "healthCheckNodePort")
	case "Job":
		cleanJob(spec)
	case "CronJob":
		if js, ok := Get(spec, "jobTemplate", "spec").(map[string]any); ok {
			cleanJob(js)
		}
	case "StatefulSet":
		if tmpls, ok := spec["volumeClaimTemplates"].([]any); ok {
			for _, t := range tmpls {
				if t, ok := t.(map[string]any); ok {
					delete(t, "status")
					cleanMetadata(t["metadata"])
					// As the server stores it: apiVersion and kind
					// are not the author's.
					delete(t, "apiVersion")
					delete(t, "kind")
				}
			}
		}
	case "PersistentVolumeClaim":
		if bound {
			delete(spec, "volumeName")
		}
	}
}

// cleanJob removes the selector and labels the Job controller generated,
// unless the author asked to choose them (manualSelector).
func cleanJob(spec map[string]any) {
	if manual, _ := spec["manualSelector"].(bool); manual {
		return
	}
	delete(spec, "selector")
	if labels, ok := Get(spec, "template", "metadata", "labels").(map[string]any); ok {
		for _, l := range jobLabels {
			delete(labels, l)
		}
		if len(labels) == 0 {
			Delete(spec, "template", "metadata", "labels")
		}
	}
}

func cleanMetadata(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for _, f := range serverMetadata {
		delete(m, f)
	}
	if a, ok := m["annotations"].(map[string]any); ok {
		for _, k := range serverAnnotations {
			delete(a, k)
		}
		if len(a) == 0 {
			delete(m, "annotations")
		}
	}
}

// moved are the API versions that moved, by kind, unchanged in their
// fields: only the apiVersion changes.
var moved = map[string]map[string]string{
	"CronJob":                 {"batch/v1beta1": "batch/v1", "batch/v2alpha1": "batch/v1"},
	"PodDisruptionBudget":     {"policy/v1beta1": "policy/v1"},
	"NetworkPolicy":           {"extensions/v1beta1": "networking.k8s.io/v1"},
	"HorizontalPodAutoscaler": {"autoscaling/v2beta2": "autoscaling/v2"},
	"PriorityClass":           {"scheduling.k8s.io/v1beta1": "scheduling.k8s.io/v1", "scheduling.k8s.io/v1alpha1": "scheduling.k8s.io/v1"},
	"StorageClass":            {"storage.k8s.io/v1beta1": "storage.k8s.io/v1"},
	"Role":                    {"rbac.authorization.k8s.io/v1beta1": "rbac.authorization.k8s.io/v1"},
	"RoleBinding":             {"rbac.authorization.k8s.io/v1beta1": "rbac.authorization.k8s.io/v1"},
	"ClusterRole":             {"rbac.authorization.k8s.io/v1beta1": "rbac.authorization.k8s.io/v1"},
	"ClusterRoleBinding":      {"rbac.authorization.k8s.io/v1beta1": "rbac.authorization.k8s.io/v1"},
}

// oldApps are the API versions the workloads of apps/v1 were served as.
var oldApps = []string{"extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"}

// Upgrade moves obj from an API version a current API server no longer
// serves to the one it does, keeping what the object meant: where the old
// version defaulted a field otherwise, the old default is written out. It
// says what it did, or "" if obj was current.
func Upgrade(obj map[string]any) (string, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if kind == "PodDisruptionBudget" && apiVersion == "policy/v1beta1" {
		if sel, ok := obj["spec"].(map[string]any)["selector"].(map[string]any); ok && len(sel) == 0 {
			return "", fmt.Errorf("an empty selector selects no pods in policy/v1beta1, and every pod in policy/v1: give it a selector, or remove it")
		}
	}
	if to, ok := moved[kind][apiVersion]; ok {
		obj["apiVersion"] = to
		return fmt.Sprintf("%s %s → %s", kind, apiVersion, to), nil
	}
	switch {
	case slices.Contains([]string{"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"}, kind) && slices.Contains(oldApps, apiVersion):
		notes, err := upgradeWorkload(obj, apiVersion, kind)
		if err != nil {
			return "", err
		}
		obj["apiVersion"] = "apps/v1"
		return fmt.Sprintf("%s %s → apps/v1%s", kind, apiVersion, notes), nil
	case kind == "Ingress" && (apiVersion == "extensions/v1beta1" || apiVersion == "networking.k8s.io/v1beta1"):
		if err := upgradeIngress(obj); err != nil {
			return "", err
		}
		obj["apiVersion"] = "networking.k8s.io/v1"
		return fmt.Sprintf("Ingress %s → networking.k8s.io/v1", apiVersion), nil
	}
	return "", nil
}

// upgradeWorkload brings a workload of an old version to apps/v1: a
// selector, which apps/v1 requires and the old versions derived from the
// template's labels, and the old defaults that apps/v1 changed.
func upgradeWorkload(obj map[string]any, apiVersion, kind string) (string, error) {
	spec := Map(obj, "spec")
	var notes []string
	if spec["selector"] == nil {
		labels, ok := Get(spec, "template", "metadata", "labels").(map[string]any)
		if !ok || len(labels) == 0 {
			return "", fmt.Errorf("%s has neither a selector nor pod labels to derive one from", kind)
		}
		spec["selector"] = map[string]any{"matchLabels": maps.Clone(labels)}
		notes = append(notes, "selector from the pod labels")
	}
	if _, ok := spec["rollbackTo"]; ok {
		delete(spec, "rollbackTo")
		notes = append(notes, "rollbackTo dropped (apps/v1 has none)")
	}
	setDefault := func(value any, path ...string) {
		if Get(spec, path...) != nil {
			return
		}
		parent := Map(spec, path[:len(path)-1]...)
		parent[path[len(path)-1]] = value
		notes = append(notes, fmt.Sprintf("%s: %v as %s defaulted it", strings.Join(path, "."), value, apiVersion))
	}
	switch {
	case kind == "Deployment" && apiVersion == "extensions/v1beta1":
		if t, _ := Get(spec, "strategy", "type").(string); t == "" || t == "RollingUpdate" {
			setDefault("RollingUpdate", "strategy", "type")
			setDefault(1, "strategy", "rollingUpdate", "maxUnavailable")
			setDefault(1, "strategy", "rollingUpdate", "maxSurge")
		}
		setDefault(2147483647, "revisionHistoryLimit")
		setDefault(2147483647, "progressDeadlineSeconds")
	case kind == "Deployment" && apiVersion == "apps/v1beta1":
		setDefault(2, "revisionHistoryLimit")
	case kind == "DaemonSet" && apiVersion == "extensions/v1beta1",
		kind == "StatefulSet" && apiVersion == "apps/v1beta1":
		setDefault("OnDelete", "updateStrategy", "type")
	}
	if len(notes) == 0 {
		return "", nil
	}
	return " (" + strings.Join(notes, "; ") + ")", nil
}

// upgradeIngress moves backends {serviceName, servicePort} to {service:
// {name, port: {number | name}}}, spec.backend to spec.defaultBackend, and
// gives paths the pathType the old versions implied.
func upgradeIngress(obj map[string]any) error {
	spec := Map(obj, "spec")
	if b, ok := spec["backend"]; ok {
		spec["defaultBackend"] = b
		delete(spec, "backend")
	}
	var err error
	backend := func(v any) {
		b, ok := v.(map[string]any)
		if !ok {
			return
		}
		name, hasName := b["serviceName"]
		port, hasPort := b["servicePort"]
		if !hasName && !hasPort {
			return
		}
		delete(b, "serviceName")
		delete(b, "servicePort")
		p := map[string]any{}
		switch port := port.(type) {
		case string:
			p["name"] = port
		case nil:
			err = fmt.Errorf("Ingress backend %v has no servicePort", name)
		default:
			p["number"] = port
		}
		b["service"] = map[string]any{"name": name, "port": p}
	}
	backend(spec["defaultBackend"])
	rules, _ := spec["rules"].([]any)
	for _, r := range rules {
		paths, _ := Get(asMap(r), "http", "paths").([]any)
		for _, p := range paths {
			pm := asMap(p)
			if pm == nil {
				continue
			}
			backend(pm["backend"])
			if pm["pathType"] == nil {
				pm["pathType"] = "ImplementationSpecific"
			}
		}
	}
	return err
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
