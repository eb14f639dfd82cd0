package review

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/kdecl/kdecl/internal/grants"
	"github.com/kdecl/kdecl/internal/manifest"
)

// templatePaths are where the pod template is, by kind.
var templatePaths = map[string][]string{
	"Deployment":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"ReplicaSet":  {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

// rolls are the kinds whose pods a change of the pod template replaces.
var rolls = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true}

// immutable are the fields the API server refuses to change, by kind,
// with what deleting the object to recreate it does.
var immutable = map[string]struct {
	fields      [][]string
	consequence string
}{
	"Deployment":  {[][]string{{"spec", "selector"}}, "its pods are deleted with it, unless kubectl delete --cascade=orphan keeps them for the new one to adopt"},
	"ReplicaSet":  {[][]string{{"spec", "selector"}}, "its pods are deleted with it"},
	"DaemonSet":   {[][]string{{"spec", "selector"}}, "its pods are deleted with it, unless kubectl delete --cascade=orphan keeps them"},
	"StatefulSet": {[][]string{{"spec", "selector"}, {"spec", "volumeClaimTemplates"}, {"spec", "serviceName"}, {"spec", "podManagementPolicy"}}, "its pods are deleted with it, unless kubectl delete --cascade=orphan keeps them for the new one to adopt; its claims stay"},
	"Job": {[][]string{{"spec", "selector"}, {"spec", "template"}, {"spec", "completions"}, {"spec", "completionMode"},
		{"spec", "podFailurePolicy"}, {"spec", "backoffLimitPerIndex"}, {"spec", "managedBy"}, {"spec", "successPolicy"}}, "its pods are deleted with it, and the new Job runs again"},
	"PersistentVolumeClaim": {[][]string{{"spec", "storageClassName"}, {"spec", "accessModes"}, {"spec", "volumeMode"},
		{"spec", "selector"}, {"spec", "volumeName"}, {"spec", "dataSource"}, {"spec", "dataSourceRef"}}, "deleting the claim deletes its volume's data unless the volume's reclaim policy is Retain"},
	"Service":            {[][]string{{"spec", "clusterIP"}, {"spec", "clusterIPs"}}, "the new Service gets a new cluster IP"},
	"RoleBinding":        {[][]string{{"roleRef"}}, "the subjects lose the role until it is created again"},
	"ClusterRoleBinding": {[][]string{{"roleRef"}}, "the subjects lose the role until it is created again"},
	"StorageClass": {[][]string{{"provisioner"}, {"parameters"}, {"reclaimPolicy"}, {"volumeBindingMode"}},
		"claims that exist keep their volumes"},
	"PriorityClass": {[][]string{{"value"}}, "pods that exist keep the old priority"},
}

// added is a change that adds o, which replaces prev (a Job kdecl
// renamed) unless that is nil.
func added(o, prev *object) Change {
	b := newChange(o, KindAdded)
	if prev != nil {
		b.add(Added, "a new Job, which replaces %s: the changed job runs again", prev.name)
	} else {
		b.add(Added, "a new %s", o.kind)
	}
	exposure(b, prev, o)
	secrets(b, prev, o)
	return b.done()
}

// applySetAnnotation names, on an object a stack with applySet
// rendered, its ApplySet's parent ConfigMap: NAMESPACE/NAME.
const applySetAnnotation = "kdecl.dev/applyset"

// removed is a change that removes o, rendered into dir.
//
// An object of a stack with applySet is pruned by kubectl apply
// --applyset, which deletes the objects that carry the set's part-of
// label (which it adds as it applies them) and that it did not apply.
// Without one, kdecl names no prune: the label-based --prune -l, which
// ApplySets replace, deletes every object of its default kinds that has
// the label and that the apply did not apply, cluster-scoped ones too:
// -l app.kubernetes.io/part-of=shop applied for one environment deletes
// the other environment's Namespace, labelled alike, with all in it.
//
// heads are the parents that the objects of the newer render name, nil
// when review read none of them: an object of another set than the
// render's is not pruned by the render's apply.
func removed(o *object, dir string, heads map[string]bool) Change {
	b := newChange(o, KindRemoved)
	parent := applySetParent(o)
	ns, name, ok := strings.Cut(parent, "/")
	switch {
	case ok && ns != "" && name != "" && heads != nil && !heads[parent]:
		b.add(Removed, "no longer rendered, but kubectl apply does not delete it: kubectl delete %s (its ApplySet, %s, is not the render's, whose kubectl apply --prune --applyset does not prune it)", kubectl(o), parent)
	case ok && ns != "" && name != "":
		b.add(Removed, "no longer rendered; the stack's ApplySet prunes it: KUBECTL_APPLYSET=true kubectl apply -n %s --prune --applyset=configmaps/%s -f %s -R (only an apply with --applyset labels what it prunes; else kubectl delete %s)",
			ns, name, shellWord(dir), kubectl(o))
	default:
		b.add(Removed, "no longer rendered, but kubectl apply does not delete it: kubectl delete %s (with the stack's applySet, kubectl apply --prune --applyset deletes what later renders no longer render)", kubectl(o))
	}
	switch o.kind {
	case "PersistentVolumeClaim":
		b.add(DataLoss, "deleting the claim deletes its volume's data unless the volume's reclaim policy is Retain; until then it stays, unused")
	case "StatefulSet":
		for _, t := range claimTemplates(o) {
			b.add(DataLoss, "its claims %s-%s-<n> stay, with their data, unused; delete them to free the volumes", t, o.name)
		}
	case "NetworkPolicy":
		b.add(Exposure, "once deleted, the pods it selects admit all traffic unless another policy selects them")
	case "Namespace":
		b.add(DataLoss, "deleting a Namespace deletes every object in it, claims and their volumes included, of this render or not")
	case "CustomResourceDefinition":
		b.add(DataLoss, "deleting a CustomResourceDefinition deletes all its custom resources, in every namespace")
	}
	return b.done()
}

// changed is a change of old into new.
func changed(old, new *object) Change {
	b := newChange(new, KindChanged)
	b.c.Fields = diffPaths(old.fields, new.fields)
	recreate(b, old, new)
	rollout(b, old, new)
	dataLoss(b, old, new)
	exposure(b, old, new)
	scale(b, old, new)
	secrets(b, old, new)
	if new.kind == "CronJob" && !reflect.DeepEqual(manifest.Get(old.fields, "spec", "jobTemplate"), manifest.Get(new.fields, "spec", "jobTemplate")) {
		b.add("", "the Jobs the CronJob starts from now on run the new template; running ones are left alone")
	}
	return b.done()
}

func recreate(b *builder, old, new *object) {
	rule := immutable[new.kind]
	var fields []string
	for _, f := range rule.fields {
		if !reflect.DeepEqual(manifest.Get(old.fields, f...), manifest.Get(new.fields, f...)) {
			fields = append(fields, strings.Join(f, "."))
		}
	}
	if new.kind == "PersistentVolumeClaim" {
		o, n := quantity(manifest.Get(old.fields, "spec", "resources", "requests", "storage")), quantity(manifest.Get(new.fields, "spec", "resources", "requests", "storage"))
		if o > 0 && n > 0 && n < o {
			fields = append(fields, "spec.resources.requests.storage (smaller)")
		}
	}
	if immutableData(old, new) {
		fields = append(fields, "data (the ConfigMap or Secret is immutable)")
		rule.consequence = "pods that use it keep the old data until they restart"
	}
	if len(fields) == 0 {
		return
	}
	b.add(Recreate, "the API server refuses to change %s in place: delete it (kubectl delete %s) and apply again; %s",
		strings.Join(fields, ", "), kubectl(new), rule.consequence)
}

// immutableData is whether old is an immutable ConfigMap or Secret whose
// data new changes.
func immutableData(old, new *object) bool {
	if new.kind != "ConfigMap" && new.kind != "Secret" || old.fields["immutable"] != true {
		return false
	}
	for _, f := range []string{"data", "binaryData", "stringData", "immutable"} {
		if !reflect.DeepEqual(old.fields[f], new.fields[f]) {
			return true
		}
	}
	return false
}

func rollout(b *builder, old, new *object) {
	path, ok := templatePaths[new.kind]
	if !ok || !rolls[new.kind] {
		return
	}
	ot, nt := manifest.Get(old.fields, path...), manifest.Get(new.fields, path...)
	if reflect.DeepEqual(ot, nt) {
		return
	}
	what := templateChanges(ot, nt)
	pods := "its pods are replaced"
	switch new.kind {
	case "DaemonSet":
		pods = "its pod on every node is replaced"
	case "Deployment", "StatefulSet", "ReplicaSet":
		if r, ok := manifest.Get(new.fields, "spec", "replicas").(float64); ok {
			pods = fmt.Sprintf("%s replaced", plural(int(r), "pod is", "pods are"))
		} else {
			pods = "every pod the autoscaler runs is replaced"
		}
	}
	if new.kind == "StatefulSet" || new.kind == "DaemonSet" {
		if t, _ := manifest.Get(new.fields, "spec", "updateStrategy", "type").(string); t == "OnDelete" {
			pods = "each pod is replaced when it is deleted (updateStrategy OnDelete)"
		}
	}
	b.add(Rollout, "the pod template changes (%s): %s", strings.Join(what, "; "), pods)
}

// templateChanges words what changes in a pod template.
func templateChanges(old, new any) []string {
	var out []string
	oc, nc := containers(old), containers(new)
	for _, name := range slices.Sorted(maps.Keys(nc)) {
		o, n := oc[name], nc[name]
		if o == nil {
			out = append(out, "container "+name+" added")
			continue
		}
		if oi, ni := o["image"], n["image"]; oi != ni {
			out = append(out, fmt.Sprintf("image of %s %v → %v", name, oi, ni))
		}
		var fields []string
		for _, f := range []string{"env", "envFrom", "resources", "command", "args", "ports", "volumeMounts", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "securityContext"} {
			if !reflect.DeepEqual(o[f], n[f]) {
				fields = append(fields, f)
			}
		}
		if len(fields) > 0 {
			out = append(out, fmt.Sprintf("%s of %s", strings.Join(fields, ", "), name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(oc)) {
		if nc[name] == nil {
			out = append(out, "container "+name+" removed")
		}
	}
	const hash = "kdecl.dev/config-hash"
	if oh, nh := manifest.Get(old, "metadata", "annotations", hash), manifest.Get(new, "metadata", "annotations", hash); oh != nh {
		out = append(out, "config (its hash)")
	}
	// the version label follows the image
	const version = "app.kubernetes.io/version"
	if !reflect.DeepEqual(withoutKey(manifest.Get(old, "metadata", "labels"), version), withoutKey(manifest.Get(new, "metadata", "labels"), version)) {
		out = append(out, "pod labels")
	}
	oa, na := withoutKey(manifest.Get(old, "metadata", "annotations"), hash), withoutKey(manifest.Get(new, "metadata", "annotations"), hash)
	if !reflect.DeepEqual(oa, na) {
		out = append(out, "pod annotations")
	}
	os, ns := withoutKey(manifest.Get(old, "spec"), "containers", "initContainers"), withoutKey(manifest.Get(new, "spec"), "containers", "initContainers")
	for _, f := range slices.Sorted(maps.Keys(union(os, ns))) {
		if !reflect.DeepEqual(os[f], ns[f]) {
			out = append(out, f)
		}
	}
	if !reflect.DeepEqual(manifest.Get(old, "spec", "initContainers"), manifest.Get(new, "spec", "initContainers")) {
		out = append(out, "init containers")
	}
	if len(out) == 0 {
		out = append(out, "other fields")
	}
	return out
}

// containers are the containers of a pod template by name.
func containers(tmpl any) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := manifest.Get(tmpl, "spec", "containers").([]any)
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			name, _ := m["name"].(string)
			out[name] = m
		}
	}
	return out
}

func withoutKey(v any, keys ...string) map[string]any {
	m, _ := v.(map[string]any)
	out := maps.Clone(m)
	for _, k := range keys {
		delete(out, k)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out
}

func union(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, b)
	return out
}

func dataLoss(b *builder, old, new *object) {
	if new.kind == "StatefulSet" {
		oldT, newT := claimTemplates(old), claimTemplates(new)
		for _, t := range oldT {
			if !slices.Contains(newT, t) {
				b.add(DataLoss, "claim template %s is gone: the claims %s-%s-<n> stay, with their data, unused", t, t, new.name)
			}
		}
		o, okO := manifest.Get(old.fields, "spec", "replicas").(float64)
		n, okN := manifest.Get(new.fields, "spec", "replicas").(float64)
		if okO && okN && n < o && len(newT) > 0 {
			fate := "stay, with their data, unused until it scales up again"
			if manifest.Get(new.fields, "spec", "persistentVolumeClaimRetentionPolicy", "whenScaled") == "Delete" {
				fate = "are deleted (persistentVolumeClaimRetentionPolicy whenScaled: Delete)"
			}
			b.add(DataLoss, "scaled down from %d to %d: the claims of pods %d to %d %s", int(o), int(n), int(n), int(o)-1, fate)
		}
	}
	path, ok := templatePaths[new.kind]
	if !ok {
		return
	}
	oldVols, newVols := volumes(manifest.Get(old.fields, path...)), volumes(manifest.Get(new.fields, path...))
	for _, name := range slices.Sorted(maps.Keys(newVols)) {
		o, n := oldVols[name], newVols[name]
		if o == nil || manifest.Get(o, "persistentVolumeClaim") == nil || manifest.Get(n, "persistentVolumeClaim") != nil {
			continue
		}
		kind := "another kind of volume"
		if manifest.Get(n, "emptyDir") != nil {
			kind = "an emptyDir"
		}
		b.add(DataLoss, "volume %s was claim %v and is now %s: the pods no longer see the claim's data", name, manifest.Get(o, "persistentVolumeClaim", "claimName"), kind)
	}
}

// claimTemplates are the names of a StatefulSet's claim templates.
func claimTemplates(o *object) []string {
	var out []string
	list, _ := manifest.Get(o.fields, "spec", "volumeClaimTemplates").([]any)
	for _, t := range list {
		if name, ok := manifest.Get(t, "metadata", "name").(string); ok {
			out = append(out, name)
		}
	}
	return out
}

// volumes are the volumes of a pod template by name.
func volumes(tmpl any) map[string]any {
	out := map[string]any{}
	list, _ := manifest.Get(tmpl, "spec", "volumes").([]any)
	for _, v := range list {
		if name, ok := manifest.Get(v, "name").(string); ok {
			out[name] = v
		}
	}
	return out
}

// exposure finds what new exposes that old (nil when added) did not.
func exposure(b *builder, old, new *object) {
	var oldFields map[string]any
	if old != nil {
		oldFields = old.fields
	}
	switch new.kind {
	case "Service":
		ot, _ := manifest.Get(oldFields, "spec", "type").(string)
		nt, _ := manifest.Get(new.fields, "spec", "type").(string)
		outside := func(t string) bool { return t == "NodePort" || t == "LoadBalancer" }
		if outside(nt) && (old == nil || !outside(ot)) {
			b.add(Exposure, "a %s Service: its ports are reachable from outside the cluster", nt)
		} else if old != nil {
			oldPorts := servicePorts(oldFields)
			var added []string
			for _, p := range servicePorts(new.fields) {
				if !slices.Contains(oldPorts, p) {
					added = append(added, p)
				}
			}
			if len(added) > 0 {
				where := "in the cluster"
				if outside(nt) {
					where = "from outside the cluster (" + nt + ")"
				}
				b.add(Exposure, "newly exposed: port %s, reachable %s", strings.Join(added, ", "), where)
			}
		}
		if n := newStrings(manifest.Get(oldFields, "spec", "externalIPs"), manifest.Get(new.fields, "spec", "externalIPs")); len(n) > 0 {
			b.add(Exposure, "external IPs %s", strings.Join(n, ", "))
		}
		if nt == "LoadBalancer" && ot == "LoadBalancer" {
			oldRanges, _ := manifest.Get(oldFields, "spec", "loadBalancerSourceRanges").([]any)
			newRanges, _ := manifest.Get(new.fields, "spec", "loadBalancerSourceRanges").([]any)
			if len(oldRanges) > 0 && len(newRanges) == 0 {
				b.add(Exposure, "the load balancer takes connections from every address: it no longer limits them to %s", strings.Join(newStrings(nil, oldRanges), ", "))
			} else if n := newStrings(oldRanges, newRanges); len(oldRanges) > 0 && len(n) > 0 {
				b.add(Exposure, "the load balancer takes connections from %s too", strings.Join(n, ", "))
			}
		}
	case "ClusterRoleBinding", "RoleBinding":
		bindingGrants(b, oldFields, new)
	case "Namespace":
		podSecurityLowered(b, oldFields, new)
	case "Ingress":
		oldHosts, newHosts := ingressHosts(oldFields), ingressHosts(new.fields)
		var added []string
		for _, h := range newHosts {
			if !slices.Contains(oldHosts, h) {
				added = append(added, h)
			}
		}
		if len(added) > 0 {
			b.add(Exposure, "the Ingress routes %s", strings.Join(added, ", "))
		}
	case "NetworkPolicy":
		if old == nil {
			break // a new policy only admits less
		}
		if !reflect.DeepEqual(manifest.Get(oldFields, "spec", "podSelector"), manifest.Get(new.fields, "spec", "podSelector")) {
			b.add(Exposure, "the policy selects other pods: those it selected no more admit all traffic unless another policy selects them")
		}
		oldAdmits := policyAdmits(oldFields)
		for _, dir := range []string{"Ingress", "Egress"} {
			if policyLimits(oldFields, dir) && !policyLimits(new.fields, dir) {
				b.add(Exposure, "the policy no longer limits %s: its pods admit all of it unless another policy selects them", strings.ToLower(dir))
			}
		}
		var wider []string
		for _, a := range policyAdmits(new.fields) {
			if !slices.Contains(oldAdmits, a) {
				wider = append(wider, a)
			}
		}
		if len(wider) > 0 {
			b.add(Exposure, "the policy admits %s", strings.Join(wider, "; "))
		}
	}
	path, ok := templatePaths[new.kind]
	if !ok {
		return
	}
	ot, nt := manifest.Get(oldFields, path...), manifest.Get(new.fields, path...)
	for _, ns := range []struct{ field, text string }{
		{"hostNetwork", "host networking: the pods listen on their nodes' addresses"},
		{"hostPID", "the host's process namespace: the pods see every process of their node, and root in them can signal and trace it"},
		{"hostIPC", "the host's IPC namespace: the pods share their node's shared memory and semaphores"},
	} {
		if manifest.Get(nt, "spec", ns.field) == true && manifest.Get(ot, "spec", ns.field) != true {
			b.add(Exposure, "%s", ns.text)
		}
	}
	oldHP, newHP := hostPorts(ot), hostPorts(nt)
	for _, p := range newHP {
		if !slices.Contains(oldHP, p) {
			b.add(Exposure, "host port %s: reachable on the address of every node that runs a pod", p)
		}
	}
	oldPriv := privileged(ot)
	for _, c := range privileged(nt) {
		if !slices.Contains(oldPriv, c) {
			b.add(Exposure, "%s runs privileged: with every capability and every device of its node, it is root on the node", c)
		}
	}
	oldMounts := nodeMounts(ot)
	for _, m := range nodeMounts(nt) {
		if !slices.ContainsFunc(oldMounts, func(o nodeMount) bool { return o.path == m.path }) {
			how := "read-write"
			if m.readOnly {
				how = "read-only"
			}
			b.add(Exposure, "%s mounts %s of its node %s (volume %s at %s): %s", m.container, m.path, how, m.volume, m.at, m.what)
		}
	}
}

// bindingGrants finds what a RoleBinding or ClusterRoleBinding, new, grants that
// old (nil when added) did not: the role cluster-admin to anyone, or any
// role to subjects that stand for anyone.
func bindingGrants(b *builder, old map[string]any, new *object) {
	role := func(binding map[string]any) string {
		return fmt.Sprintf("%v %v", manifest.Get(binding, "roleRef", "kind"), manifest.Get(binding, "roleRef", "name"))
	}
	r := role(new.fields)
	admin := r == "ClusterRole "+grants.ClusterAdmin
	scope := "in the whole cluster"
	switch {
	case new.kind == "RoleBinding" && new.ns != "":
		scope = "in namespace " + new.ns
	case new.kind == "RoleBinding":
		scope = "in the binding's namespace"
	}
	var had []string
	if old != nil && role(old) == r {
		had = subjects(old, new.ns)
	}
	for _, s := range subjects(new.fields, new.ns) {
		kind, name, _ := strings.Cut(s, " ")
		wide := grants.WideSubjects[name]
		if kind != "User" && kind != "Group" {
			wide = ""
		}
		switch {
		case slices.Contains(had, s):
		case admin && wide != "":
			b.add(Exposure, "grants %s, every permission %s, to %s: %s", r, scope, s, wide)
		case admin:
			b.add(Exposure, "grants %s, every permission %s, to %s", r, scope, s)
		case wide != "":
			b.add(Exposure, "grants %s %s to %s: %s", r, scope, s, wide)
		}
	}
}

// subjects are the subjects of a binding as kind and name, a service
// account's name with its namespace (ns, the binding's, when unset).
func subjects(binding map[string]any, ns string) []string {
	var out []string
	list, _ := manifest.Get(binding, "subjects").([]any)
	for _, s := range list {
		kind, _ := manifest.Get(s, "kind").(string)
		name, _ := manifest.Get(s, "name").(string)
		if kind == "ServiceAccount" {
			saNS, _ := manifest.Get(s, "namespace").(string)
			name = cmp.Or(saNS, ns) + "/" + name
		}
		out = append(out, kind+" "+name)
	}
	return out
}

// podContainer is a container or init container of a pod template.
type podContainer struct {
	what   string // "container NAME" or "init container NAME"
	fields map[string]any
}

func podContainers(tmpl any) []podContainer {
	var out []podContainer
	for _, key := range []struct{ field, what string }{{"containers", "container "}, {"initContainers", "init container "}} {
		list, _ := manifest.Get(tmpl, "spec", key.field).([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				out = append(out, podContainer{key.what + fmt.Sprint(m["name"]), m})
			}
		}
	}
	return out
}

// privileged are the containers of a pod template that run privileged.
func privileged(tmpl any) []string {
	var out []string
	for _, c := range podContainers(tmpl) {
		if manifest.Get(c.fields, "securityContext", "privileged") == true {
			out = append(out, c.what)
		}
	}
	return out
}

// nodeMount is a mount of a path of the node that gives a container the
// node.
type nodeMount struct {
	container, volume, at string
	path                  string // on the node
	readOnly              bool
	what                  string // what the path gives
}

// nodeMounts are the mounts of a pod template's containers of hostPath
// volumes that give the node (grants.HostPath): its root read-write, a
// container runtime's socket or a directory that holds one. A subPath
// narrows the path mounted; a subPathExpr, unknown here, does not.
func nodeMounts(tmpl any) []nodeMount {
	hostPaths := map[string]string{}
	for name, v := range volumes(tmpl) {
		if p, ok := manifest.Get(v, "hostPath", "path").(string); ok {
			hostPaths[name] = p
		}
	}
	var out []nodeMount
	for _, c := range podContainers(tmpl) {
		mounts, _ := c.fields["volumeMounts"].([]any)
		for _, m := range mounts {
			name, _ := manifest.Get(m, "name").(string)
			p, ok := hostPaths[name]
			if !ok {
				continue
			}
			if sub, _ := manifest.Get(m, "subPath").(string); sub != "" && manifest.Get(m, "subPathExpr") == nil {
				p = path.Join(p, sub)
			}
			p = path.Clean(p)
			readOnly := manifest.Get(m, "readOnly") == true
			what := grants.HostPath(p, readOnly)
			if what == "" {
				continue
			}
			at, _ := manifest.Get(m, "mountPath").(string)
			out = append(out, nodeMount{c.what, name, at, p, readOnly, what})
		}
	}
	return out
}

// servicePorts are a Service's ports as port/protocol.
func servicePorts(svc map[string]any) []string {
	var out []string
	list, _ := manifest.Get(svc, "spec", "ports").([]any)
	for _, p := range list {
		proto, _ := manifest.Get(p, "protocol").(string)
		if proto == "" {
			proto = "TCP"
		}
		out = append(out, fmt.Sprintf("%v/%s", manifest.Get(p, "port"), proto))
	}
	return out
}

// policyLimits says whether a NetworkPolicy limits traffic of a
// direction, Ingress or Egress: as its policyTypes say, or, without
// them, as the API server defaults them (Ingress, and Egress when the
// policy has egress rules).
func policyLimits(pol map[string]any, dir string) bool {
	if types, ok := manifest.Get(pol, "spec", "policyTypes").([]any); ok {
		return slices.Contains(types, any(dir))
	}
	return dir == "Ingress" || manifest.Get(pol, "spec", "egress") != nil
}

// policyAdmits is what a NetworkPolicy admits, one line per peer and
// port of each rule of a direction it limits, such as "ingress from
// {"podSelector":...} on 8080/TCP".
func policyAdmits(pol map[string]any) []string {
	var out []string
	for _, d := range []struct{ dir, rules, peers, word string }{
		{"Ingress", "ingress", "from", "ingress from"}, {"Egress", "egress", "to", "egress to"},
	} {
		if !policyLimits(pol, d.dir) {
			continue
		}
		rules, _ := manifest.Get(pol, "spec", d.rules).([]any)
		for _, r := range rules {
			peers, _ := manifest.Get(r, d.peers).([]any)
			ports, _ := manifest.Get(r, "ports").([]any)
			peerText := []string{"anywhere"}
			if len(peers) > 0 {
				peerText = nil
				for _, p := range peers {
					b, _ := json.Marshal(p)
					peerText = append(peerText, string(b))
				}
			}
			portText := []string{"every port"}
			if len(ports) > 0 {
				portText = nil
				for _, p := range ports {
					port := fmt.Sprint(manifest.Get(p, "port"))
					if end := manifest.Get(p, "endPort"); end != nil {
						port += "-" + fmt.Sprint(end)
					}
					if manifest.Get(p, "port") == nil {
						port = "every port"
					}
					protocol, _ := manifest.Get(p, "protocol").(string)
					portText = append(portText, port+"/"+cmp.Or(protocol, "TCP"))
				}
			}
			for _, peer := range peerText {
				for _, port := range portText {
					out = append(out, d.word+" "+peer+" on "+port)
				}
			}
		}
	}
	return out
}

func ingressHosts(ing map[string]any) []string {
	var out []string
	rules, _ := manifest.Get(ing, "spec", "rules").([]any)
	for _, r := range rules {
		host, _ := manifest.Get(r, "host").(string)
		if host == "" {
			host = "every host"
		}
		paths, _ := manifest.Get(r, "http", "paths").([]any)
		for _, p := range paths {
			path, _ := manifest.Get(p, "path").(string)
			out = append(out, host+path)
		}
	}
	return out
}

// hostPorts are the host ports of a pod template's containers.
func hostPorts(tmpl any) []string {
	var out []string
	for _, key := range []string{"containers", "initContainers"} {
		list, _ := manifest.Get(tmpl, "spec", key).([]any)
		for _, c := range list {
			ports, _ := manifest.Get(c, "ports").([]any)
			for _, p := range ports {
				if hp := manifest.Get(p, "hostPort"); hp != nil {
					proto, _ := manifest.Get(p, "protocol").(string)
					if proto == "" {
						proto = "TCP"
					}
					out = append(out, fmt.Sprintf("%v/%s", hp, proto))
				}
			}
		}
	}
	return out
}

func newStrings(old, new any) []string {
	o, _ := old.([]any)
	n, _ := new.([]any)
	var out []string
	for _, x := range n {
		if !slices.Contains(o, x) {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

func scale(b *builder, old, new *object) {
	switch new.kind {
	case "Deployment", "StatefulSet", "ReplicaSet":
		o, n := manifest.Get(old.fields, "spec", "replicas"), manifest.Get(new.fields, "spec", "replicas")
		switch {
		case o == n:
		case n == nil:
			b.add(Scale, "replicas %v → set by an autoscaler", o)
		case o == nil:
			b.add(Scale, "replicas set by an autoscaler → %v", n)
		default:
			b.add(Scale, "replicas %v → %v", o, n)
		}
	case "HorizontalPodAutoscaler":
		for _, f := range []string{"minReplicas", "maxReplicas"} {
			if o, n := manifest.Get(old.fields, "spec", f), manifest.Get(new.fields, "spec", f); !reflect.DeepEqual(o, n) {
				b.add(Scale, "%s %v → %v", f, orDefault(o, "1"), orDefault(n, "1"))
			}
		}
	}
	path, ok := templatePaths[new.kind]
	if !ok {
		return
	}
	oc, nc := containers(manifest.Get(old.fields, path...)), containers(manifest.Get(new.fields, path...))
	for _, name := range slices.Sorted(maps.Keys(nc)) {
		if o := oc[name]; o != nil && !reflect.DeepEqual(o["resources"], nc[name]["resources"]) {
			b.add(Scale, "resources of %s: %s → %s", name, resources(o["resources"]), resources(nc[name]["resources"]))
		}
	}
}

func orDefault(v any, def string) any {
	if v == nil {
		return def
	}
	return v
}

// resources words a container's resources: requests and limits.
func resources(r any) string {
	var parts []string
	for _, kind := range []string{"requests", "limits"} {
		m, _ := manifest.Get(r, kind).(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, fmt.Sprintf("%s %s %v", kind, k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// secrets finds the Secrets and keys that new's pods need and old's did
// not.
func secrets(b *builder, old, new *object) {
	path, ok := templatePaths[new.kind]
	if !ok {
		return
	}
	var have map[string]bool
	if old != nil {
		have = secretRefs(manifest.Get(old.fields, path...))
	}
	need := secretRefs(manifest.Get(new.fields, path...))
	for _, ref := range slices.Sorted(maps.Keys(need)) {
		if !have[ref] {
			b.add(Secret, "needs %s, which must exist before the apply", ref)
		}
	}
}

// secretRefs are the Secrets (and keys) a pod template refers to.
func secretRefs(tmpl any) map[string]bool {
	refs := map[string]bool{}
	for _, key := range []string{"containers", "initContainers"} {
		list, _ := manifest.Get(tmpl, "spec", key).([]any)
		for _, c := range list {
			env, _ := manifest.Get(c, "env").([]any)
			for _, e := range env {
				if ref := manifest.Get(e, "valueFrom", "secretKeyRef"); ref != nil {
					refs[fmt.Sprintf("Secret %v key %v", manifest.Get(ref, "name"), manifest.Get(ref, "key"))] = true
				}
			}
			from, _ := manifest.Get(c, "envFrom").([]any)
			for _, f := range from {
				if ref := manifest.Get(f, "secretRef"); ref != nil {
					refs[fmt.Sprintf("Secret %v", manifest.Get(ref, "name"))] = true
				}
			}
		}
	}
	vols, _ := manifest.Get(tmpl, "spec", "volumes").([]any)
	for _, v := range vols {
		s := manifest.Get(v, "secret")
		if s == nil {
			continue
		}
		items, _ := manifest.Get(s, "items").([]any)
		if len(items) == 0 {
			refs[fmt.Sprintf("Secret %v", manifest.Get(s, "secretName"))] = true
		}
		for _, it := range items {
			refs[fmt.Sprintf("Secret %v key %v", manifest.Get(s, "secretName"), manifest.Get(it, "key"))] = true
		}
	}
	pulls, _ := manifest.Get(tmpl, "spec", "imagePullSecrets").([]any)
	for _, p := range pulls {
		refs[fmt.Sprintf("Secret %v (to pull images)", manifest.Get(p, "name"))] = true
	}
	return refs
}

// quantity is a storage size in bytes, roughly, for comparing two sizes;
// 0 if it does not parse.
func quantity(v any) float64 {
	s, ok := v.(string)
	if !ok {
		if f, ok := v.(float64); ok {
			return f
		}
		return 0
	}
	units := []struct {
		suffix string
		factor float64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"Pi", 1 << 50}, {"Ei", 1 << 60},
		{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18}, {"m", 1e-3}}
	factor := 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, factor = n, u.factor
			break
		}
	}
	var f float64
	if _, err := fmt.Sscanf(s, "%g", &f); err != nil {
		return 0
	}
	return f * factor
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// diffPaths are the paths of the leaves that differ between a and b;
// list elements with a name are named, others numbered.
func diffPaths(a, b any) []string {
	var out []string
	var walk func(a, b any, path string)
	walk = func(a, b any, path string) {
		if reflect.DeepEqual(a, b) {
			return
		}
		am, aok := a.(map[string]any)
		bm, bok := b.(map[string]any)
		if aok && bok {
			for _, k := range slices.Sorted(maps.Keys(union(am, bm))) {
				walk(am[k], bm[k], join(path, k))
			}
			return
		}
		al, aok := a.([]any)
		bl, bok := b.([]any)
		if aok && bok {
			if an, bn := named(al), named(bl); an != nil && bn != nil {
				for _, k := range slices.Sorted(maps.Keys(union(an, bn))) {
					walk(an[k], bn[k], path+"["+k+"]")
				}
				return
			}
			for i := range max(len(al), len(bl)) {
				var x, y any
				if i < len(al) {
					x = al[i]
				}
				if i < len(bl) {
					y = bl[i]
				}
				walk(x, y, fmt.Sprintf("%s[%d]", path, i))
			}
			return
		}
		out = append(out, path)
	}
	walk(a, b, "")
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// named indexes a list of structs by their name, or is nil.
func named(l []any) map[string]any {
	out := map[string]any{}
	for _, x := range l {
		name, ok := manifest.Get(x, "name").(string)
		if !ok || out[name] != nil {
			return nil
		}
		out[name] = x
	}
	return out
}

// applySetParent is the ApplySet parent, NAMESPACE/NAME, that o names,
// or "".
func applySetParent(o *object) string {
	parent, _ := manifest.Get(o.fields, "metadata", "annotations", applySetAnnotation).(string)
	return parent
}

// shellWord is s as one word of a POSIX shell command.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+=:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
