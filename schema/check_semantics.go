package schema

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// The API server's rules for overrides and objects that checkFragment,
// one field at a time, cannot see: rules that span fields, or that depend
// on the kind of object a fragment goes into. Each reports through fail
// with the path of the field at fault.

// failFunc reports a problem at a path within a stack.
type failFunc func(path []string, msg string)

// podTemplatePaths are where the pod spec is in each kind that has one.
var podTemplatePaths = map[string][]string{
	"Pod":         {"spec"},
	"PodTemplate": {"template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

// restartPolicies are the restart policies the pods of a kind may have.
var restartPolicies = map[string][]string{
	"ReplicaSet":  {"Always"},
	"Deployment":  {"Always"},
	"StatefulSet": {"Always"},
	"DaemonSet":   {"Always"},
	"Job":         {"OnFailure", "Never"},
	"CronJob":     {"OnFailure", "Never"},
}

// runsToCompletion is whether the pods of kind end: only they may have an
// activeDeadlineSeconds.
func runsToCompletion(kind string) bool {
	return kind == "Pod" || kind == "PodTemplate" || kind == "Job" || kind == "CronJob"
}

// podRules checks a pod spec, whole or a fragment, that goes into an
// object of kind. (The restart policy of an app's pods is the schema's;
// objectRules checks that of an object's.)
func podRules(kind string, spec map[string]any, field []string, fail failFunc) {
	if d, ok := spec["activeDeadlineSeconds"]; ok {
		n, _ := d.(int64)
		switch {
		case !runsToCompletion(kind):
			fail(at(field, "activeDeadlineSeconds"), fmt.Sprintf("the pods of a %s run until they are replaced; activeDeadlineSeconds is for pods that end", kind))
		case n < 1 || n > math.MaxInt32:
			fail(at(field, "activeDeadlineSeconds"), fmt.Sprintf("%v is not from 1 to %d", d, math.MaxInt32))
		}
	}
	selector, _ := spec["nodeSelector"].(map[string]any)
	for _, k := range sortedKeys(selector) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			fail(at(field, "nodeSelector", k), "not a valid label key: "+msgs[0])
		} else if v, _ := selector[k].(string); len(validation.IsValidLabelValue(v)) > 0 {
			fail(at(field, "nodeSelector", k), "not a valid label value: "+defRules["LabelValue"])
		}
	}
	list, _ := spec["tolerations"].([]any)
	for i, x := range list {
		t, _ := x.(map[string]any)
		tolerationRules(t, at(field, "tolerations", index(i)), fail)
	}
	sysctls, _ := get(spec, "securityContext", "sysctls")
	names := map[string]bool{}
	for i, x := range asList(sysctls) {
		name, _ := asMap(x)["name"].(string)
		f := at(field, "securityContext", "sysctls", index(i), "name")
		switch {
		case len(name) > 253 || !sysctlName.MatchString(name):
			fail(f, fmt.Sprintf("%s is not a sysctl's name: at most 253 characters, segments of lowercase letters, digits, '-' and '_' between '.' or '/'", quote(name)))
			continue
		case names[name]:
			fail(f, fmt.Sprintf("the pod sets %s twice", name))
		}
		names[name] = true
		ns, shared := sysctlNamespace(name), ""
		switch {
		case ns == "Net" && spec["hostNetwork"] == true:
			shared = "hostNetwork"
		case ns == "IPC" && spec["hostIPC"] == true:
			shared = "hostIPC"
		}
		if shared != "" {
			fail(f, fmt.Sprintf("%s is a sysctl of the pod's %s namespace, which %s shares with the node: the API server refuses it", name, ns, shared))
		}
	}
}

// sysctlName is the form of a sysctl's name (SysctlContainSlashFmt).
var sysctlName = regexp.MustCompile(`^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)

// sysctlNamespace is the kernel namespace a sysctl belongs to, as
// ValidateHostSysctl reads it (k8s.io/component-helpers/node/util/sysctl):
// Net, IPC, or "" for the others.
func sysctlNamespace(name string) string {
	name = strings.ReplaceAll(name, "/", ".")
	switch {
	case strings.HasPrefix(name, "net."):
		return "Net"
	case strings.HasPrefix(name, "fs.mqueue."), slices.Contains([]string{"kernel.sem", "kernel.shmall", "kernel.shmmax",
		"kernel.shmmni", "kernel.shm_rmid_forced", "kernel.shm", "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.msg"}, name):
		return "IPC"
	}
	return ""
}

// tolerationRules checks one toleration.
func tolerationRules(t map[string]any, field []string, fail failFunc) {
	key, _ := t["key"].(string)
	op, _ := t["operator"].(string)
	value, _ := t["value"].(string)
	effect, _ := t["effect"].(string)
	if key != "" {
		if msgs := validation.IsQualifiedName(key); len(msgs) > 0 {
			fail(at(field, "key"), "not a valid taint key: "+msgs[0])
		}
	} else if op != "Exists" {
		fail(at(field, "operator"), `a toleration without a key tolerates every taint and needs operator "Exists"`)
	}
	if _, ok := t["tolerationSeconds"]; ok && effect != "NoExecute" {
		fail(at(field, "effect"), `tolerationSeconds is how long a pod stays on a node tainted NoExecute: it needs effect "NoExecute"`)
	}
	switch op {
	case "", "Equal":
		if len(validation.IsValidLabelValue(value)) > 0 {
			fail(at(field, "value"), "not a valid taint value: "+defRules["LabelValue"])
		}
	case "Exists":
		if value != "" {
			fail(at(field, "value"), `operator "Exists" takes no value`)
		}
	}
}

// jobRules checks a Job's spec, whole or a fragment, whose pods restart
// as restartPolicy says ("" for not known).
func jobRules(spec map[string]any, restartPolicy string, counts jobCounts, field []string, fail failFunc) {
	indexedRules(spec, counts, field, fail)
	if _, ok := spec["podFailurePolicy"]; !ok {
		return
	}
	if restartPolicy != "" && restartPolicy != "Never" {
		fail(at(field, "podFailurePolicy"), fmt.Sprintf(`a podFailurePolicy judges pods that failed, and pods with restartPolicy %s restart instead: set restartPolicy "Never"`, quote(restartPolicy)))
	}
	if p, ok := spec["podReplacementPolicy"].(string); ok && p != "Failed" {
		fail(at(field, "podReplacementPolicy"), fmt.Sprintf(`unsupported value %s with a podFailurePolicy: want "Failed"`, quote(p)))
	}
}

// jobCounts are a Job's completions and parallelism, nil when unset: the
// app's job fields for an override, the object's own for an object.
type jobCounts struct {
	completions, parallelism *int64
	// where to set them, for a message
	completionsField string
}

// countsOf reads a Job's counts from its spec; of a Job, not a CronJob's
// template, the API server defaults both to 1 when neither is set.
func countsOf(spec map[string]any, job bool) jobCounts {
	c := jobCounts{completionsField: "spec.completions"}
	if n, ok := spec["completions"].(int64); ok {
		c.completions = &n
	}
	if n, ok := spec["parallelism"].(int64); ok {
		c.parallelism = &n
	}
	return c.defaulted(job)
}

// defaulted are the counts after the API server's defaults of a Job
// (SetDefaults_Job), when job: 1 and 1 when neither is set.
func (c jobCounts) defaulted(job bool) jobCounts {
	if job && c.completions == nil && c.parallelism == nil {
		one := int64(1)
		c.completions, c.parallelism = &one, &one
	}
	return c
}

// The limits of an Indexed Job, as pkg/apis/batch/validation has them.
const (
	maxIndexedParallelism = 100_000
	maxFailedIndexes      = 100_000
	completionsSoftLimit  = 100_000
	maxHighParallelism    = 10_000
	maxHighFailedIndexes  = 10_000
	indexedCompletion     = "Indexed"
)

// indexedRules checks the fields of a Job's completion mode: an Indexed
// Job needs completions, and bounds its parallelism and failed indexes;
// a per-index backoff and failed indexes need one.
func indexedRules(spec map[string]any, counts jobCounts, field []string, fail failFunc) {
	mode, _ := spec["completionMode"].(string)
	_, hasPerIndex := spec["backoffLimitPerIndex"].(int64)
	failed, hasFailed := spec["maxFailedIndexes"].(int64)
	if hasFailed && !hasPerIndex {
		fail(at(field, "maxFailedIndexes"), "needs backoffLimitPerIndex")
	}
	if mode != indexedCompletion {
		for _, f := range []struct {
			name string
			set  bool
		}{{"backoffLimitPerIndex", hasPerIndex}, {"maxFailedIndexes", hasFailed}} {
			if f.set {
				fail(at(field, f.name), `needs completionMode "Indexed"`)
			}
		}
		return
	}
	if counts.completions == nil {
		fail(at(field, "completionMode"), fmt.Sprintf("an Indexed Job needs completions: set %s", counts.completionsField))
		return
	}
	completions := *counts.completions
	if p := counts.parallelism; p != nil && *p > maxIndexedParallelism {
		fail(at(field, "completionMode"), fmt.Sprintf("an Indexed Job runs at most %d pods at once, and parallelism is %d", maxIndexedParallelism, *p))
	}
	switch {
	case hasFailed && failed > completions:
		fail(at(field, "maxFailedIndexes"), fmt.Sprintf("%d is more than the Job's %d completions", failed, completions))
	case hasFailed && failed > maxFailedIndexes:
		fail(at(field, "maxFailedIndexes"), fmt.Sprintf("%d is more than %d", failed, maxFailedIndexes))
	}
	if completions > completionsSoftLimit && hasPerIndex {
		switch {
		case !hasFailed:
			fail(at(field, "backoffLimitPerIndex"), fmt.Sprintf("with more than %d completions, a per-index backoff needs maxFailedIndexes", completionsSoftLimit))
		case failed > maxHighFailedIndexes:
			fail(at(field, "maxFailedIndexes"), fmt.Sprintf("with more than %d completions and a per-index backoff, at most %d", completionsSoftLimit, maxHighFailedIndexes))
		}
		if p := counts.parallelism; p != nil && *p > maxHighParallelism {
			fail(at(field, "backoffLimitPerIndex"), fmt.Sprintf("with more than %d completions, a per-index backoff allows a parallelism of at most %d, and it is %d", completionsSoftLimit, maxHighParallelism, *p))
		}
	}
}

// metadataRules checks the labels and annotations of an object or, if
// pod, of a pod or pod template.
func metadataRules(meta map[string]any, pod bool, field []string, fail failFunc) {
	labels, _ := meta["labels"].(map[string]any)
	for _, k := range sortedKeys(labels) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			fail(at(field, "labels", k), "not a valid label key: "+msgs[0])
		}
		if v, ok := labels[k].(string); ok {
			if len(validation.IsValidLabelValue(v)) > 0 {
				fail(at(field, "labels", k), "not a valid label value: "+defRules["LabelValue"])
			}
		}
	}
	annotations, _ := meta["annotations"].(map[string]any)
	size := 0 // as the API server counts
	for _, k := range sortedKeys(annotations) {
		if len(validation.IsQualifiedName(strings.ToLower(k))) > 0 {
			fail(at(field, "annotations", k), "not a valid annotation key: "+defRules["Annotations"])
		}
		v, _ := annotations[k].(string)
		size += len(k) + len(v)
		if msg := podAnnotationProblem(k, v); pod && msg != "" {
			fail(at(field, "annotations", k), msg)
		}
	}
	if size > maxAnnotationBytes {
		fail(at(field, "annotations"), fmt.Sprintf("the annotations take %d bytes; the API server takes at most %d", size, maxAnnotationBytes))
	}
}

// ingressPath checks one path of an Ingress rule.
func ingressPath(p map[string]any, field []string, fail failFunc) {
	typ, ok := p["pathType"].(string)
	if !ok {
		fail(field, `an Ingress path needs a pathType: "Exact", "Prefix" or "ImplementationSpecific"`)
		return
	}
	path, _ := p["path"].(string)
	if (typ != "ImplementationSpecific" || path != "") && !strings.HasPrefix(path, "/") {
		fail(at(field, "path"), "must be an absolute path")
		return
	}
	if typ == "ImplementationSpecific" {
		return
	}
	for _, bad := range []string{"//", "/./", "/../", "%2f", "%2F"} {
		if strings.Contains(path, bad) {
			fail(at(field, "path"), fmt.Sprintf("a path of type %s must not contain %q", typ, bad))
		}
	}
	for _, bad := range []string{"/..", "/."} {
		if strings.HasSuffix(path, bad) {
			fail(at(field, "path"), fmt.Sprintf("a path of type %s must not end in %q", typ, bad))
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

// labelNameKinds are the kinds whose names are RFC 1123 labels, not DNS
// subdomains: no dots.
var labelNameKinds = map[string]bool{"Service": true, "StatefulSet": true, "Namespace": true}

// pathSegmentNameKinds are the kinds whose names are any path segment
// (RBAC's, validated by path.ValidatePathSegmentName): system:node is
// one; #ObjectName checks them. Every other kind's name is a DNS
// subdomain at least.
var pathSegmentNameKinds = map[string]bool{"Role": true, "ClusterRole": true, "RoleBinding": true, "ClusterRoleBinding": true}

// objectRules checks a whole object of kind, named name.
func objectRules(kind, name string, o map[string]any, field []string, fail failFunc) {
	switch {
	case labelNameKinds[kind]:
		if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
			fail(field, fmt.Sprintf("a %s's name is an RFC 1123 label: %s", kind, msgs[0]))
		}
	case !pathSegmentNameKinds[kind]:
		if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
			fail(field, fmt.Sprintf("a %s's name is a DNS subdomain: %s", kind, msgs[0]))
		}
	}
	if meta, ok := o["metadata"].(map[string]any); ok {
		metadataRules(meta, kind == "Pod", at(field, "metadata"), fail)
	}
	switch kind {
	case "ConfigMap", "Secret":
		if kind == "Secret" {
			for _, data := range []string{"data", "stringData"} {
				if len(asMap(o[data])) > 0 {
					fail(at(field, data), "a Secret's values would be committed with the deploy directory: create the Secret in the cluster (kubectl create secret, a sealed or external secret) and reference it from the apps, by secrets.env, secrets.envFrom or secrets.files")
				}
			}
		}
		for _, data := range []string{"data", "binaryData", "stringData"} {
			m, _ := o[data].(map[string]any)
			for _, k := range sortedKeys(m) {
				if msgs := validation.IsConfigMapKey(k); len(msgs) > 0 {
					fail(at(field, data, k), fmt.Sprintf("not a valid %s key: %s", kind, msgs[0]))
				}
			}
		}
	case "Service":
		ann, _ := get(o, "metadata", "annotations")
		m := map[string]string{}
		for k, v := range asMap(ann) {
			m[k], _ = v.(string)
		}
		typ, _ := get(o, "spec", "type")
		if typ == nil {
			typ = "ClusterIP"
		}
		serviceAnnotations(m, fmt.Sprint(typ), "spec.type", func(k string) []string { return at(field, "metadata", "annotations", k) }, fail)
	case "Ingress":
		rules, _ := get(o, "spec", "rules")
		for i, r := range asList(rules) {
			paths, _ := get(asMap(r), "http", "paths")
			for j, p := range asList(paths) {
				ingressPath(asMap(p), at(field, "spec", "rules", index(i), "http", "paths", index(j)), fail)
			}
		}
	case "CustomResourceDefinition":
		plural, _ := get(o, "spec", "names", "plural")
		group, _ := get(o, "spec", "group")
		if want := fmt.Sprintf("%v.%v", plural, group); plural != nil && group != nil && name != want {
			fail(field, fmt.Sprintf("a CustomResourceDefinition is named spec.names.plural.spec.group, %s", quote(want)))
		}
	}
	tmpl, ok := podTemplatePaths[kind]
	if !ok {
		return
	}
	if len(tmpl) > 1 { // the template's metadata; a Pod's is the object's
		meta, _ := get(o, at(tmpl[:len(tmpl)-1], "metadata")...)
		m, _ := meta.(map[string]any)
		metadataRules(m, true, at(field, at(tmpl[:len(tmpl)-1], "metadata")...), fail)
	}
	spec, _ := get(o, tmpl...)
	pod, _ := spec.(map[string]any)
	podRules(kind, pod, at(field, tmpl...), fail)
	podContainers(pod, at(field, tmpl...), fail)
	rp, _ := pod["restartPolicy"].(string)
	if rp != "" && restartPolicies[kind] != nil && !slices.Contains(restartPolicies[kind], rp) {
		fail(at(field, at(tmpl, "restartPolicy")...), fmt.Sprintf("unsupported value %s for a %s's pods: want %s", quote(rp), kind, joinWith(quoteAll(restartPolicies[kind]), "or")))
	}
	job := []string{"spec"}
	switch kind {
	case "CronJob":
		job = []string{"spec", "jobTemplate", "spec"}
	case "Job":
	default:
		return
	}
	if rp == "" {
		fail(at(field, tmpl...), fmt.Sprintf(`a %s's pods need restartPolicy "OnFailure" or "Never"; the default, "Always", is refused`, kind))
	}
	js, _ := get(o, job...)
	m, _ := js.(map[string]any)
	jobRules(m, rp, countsOf(m, kind == "Job"), at(field, job...), fail)
}

// containerRules checks a whole container, of a pod that an object or an
// override writes, with the rules the API server applies to every
// container (validateContainerCommon) that kdecl's own containers meet
// by construction: a name, an image without white space around it, valid
// ports and variable names, resources (resourceRules), and mounts of the
// pod's volumes, at unique paths. volumes are the names of the pod's
// volumes, nil when they are unknown.
func containerRules(ctr map[string]any, volumes map[string]bool, field []string, fail failFunc) {
	name, _ := ctr["name"].(string)
	if msgs := validation.IsDNS1123Label(name); name == "" || len(msgs) > 0 {
		msg := "a container needs a name"
		if name != "" {
			msg = "a container's name is an RFC 1123 label: " + msgs[0]
		}
		fail(at(field, "name"), msg)
	}
	switch image, _ := ctr["image"].(string); {
	case image == "":
		fail(field, "a container needs an image")
	case strings.TrimSpace(image) != image:
		fail(at(field, "image"), fmt.Sprintf("image %s has white space around it", quote(image)))
	}
	portNames := map[string]bool{}
	for i, x := range asList(ctr["ports"]) {
		p, f := asMap(x), at(field, "ports", index(i))
		if name, _ := p["name"].(string); name != "" {
			if msgs := validation.IsValidPortName(name); len(msgs) > 0 {
				fail(at(f, "name"), "not a valid port name: "+msgs[0])
			} else if portNames[name] {
				fail(at(f, "name"), fmt.Sprintf("the container has two ports named %s", name))
			}
			portNames[name] = true
		}
		if _, ok := p["containerPort"]; !ok {
			fail(f, "a port needs a containerPort")
		}
		for _, k := range []string{"containerPort", "hostPort"} {
			if n, set := p[k].(int64); set && len(validation.IsValidPortNum(int(n))) > 0 {
				fail(at(f, k), fmt.Sprintf("%d is not a port number from 1 to 65535", n))
			}
		}
	}
	for i, x := range asList(ctr["env"]) {
		name, _ := asMap(x)["name"].(string)
		if msgs := validation.IsRelaxedEnvVarName(name); name == "" || len(msgs) > 0 {
			fail(at(field, "env", index(i), "name"), "an environment variable's name is printable ASCII but '=', and not empty")
		}
	}
	if r := asMap(ctr["resources"]); r != nil {
		resourceRules(Resources{Requests: quantityStrings(r["requests"]), Limits: quantityStrings(r["limits"])}, at(field, "resources"), fail)
	}
	paths := map[string]bool{}
	for i, x := range asList(ctr["volumeMounts"]) {
		m, f := asMap(x), at(field, "volumeMounts", index(i))
		name, _ := m["name"].(string)
		if volumes != nil && !volumes[name] {
			fail(at(f, "name"), fmt.Sprintf("the pod has no volume %s", quote(name)))
		}
		switch p, _ := m["mountPath"].(string); {
		case p == "":
			fail(f, "a mount needs a mountPath")
		case paths[p]:
			fail(at(f, "mountPath"), fmt.Sprintf("the container mounts a volume at %s already", p))
		default:
			paths[p] = true
		}
	}
}

// podContainers checks the containers of a whole pod spec: each by
// containerRules, and their names unique across the pod.
func podContainers(pod map[string]any, field []string, fail failFunc) {
	volumes := map[string]bool{}
	for _, v := range asList(pod["volumes"]) {
		name, _ := asMap(v)["name"].(string)
		volumes[name] = true
	}
	names := map[string]bool{}
	hostPorts := map[string]bool{} // protocol/IP/port, as AccumulateUniqueHostPorts
	for _, list := range []string{"initContainers", "containers"} {
		for i, x := range asList(pod[list]) {
			ctr, f := asMap(x), at(field, list, index(i))
			containerRules(ctr, volumes, f, fail)
			if list == "initContainers" {
				hostPorts = map[string]bool{} // init containers run one by one
			}
			for j, p := range asList(ctr["ports"]) {
				n, _ := asMap(p)["hostPort"].(int64)
				proto, _ := asMap(p)["protocol"].(string)
				ip, _ := asMap(p)["hostIP"].(string)
				key := fmt.Sprintf("%s/%s/%d", protocolOf(proto), ip, n)
				if n != 0 && hostPorts[key] {
					fail(at(f, "ports", index(j), "hostPort"), fmt.Sprintf("host port %d/%s is opened twice in the pod", n, protocolOf(proto)))
				}
				hostPorts[key] = n != 0
			}
			if name, _ := ctr["name"].(string); name != "" && names[name] {
				fail(at(f, "name"), fmt.Sprintf("the pod has another container named %s: container names are unique across the pod", name))
			} else {
				names[name] = true
			}
		}
	}
}

// quantityStrings are the quantities of a resource list as written: a
// quantity is a string or a number in JSON.
func quantityStrings(v any) map[string]string {
	m := asMap(v)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, q := range m {
		switch q := q.(type) {
		case string:
			out[k] = q
		case int64:
			out[k] = strconv.FormatInt(q, 10)
		case float64:
			out[k] = strconv.FormatFloat(q, 'f', -1, 64)
		default:
			out[k] = fmt.Sprint(q)
		}
	}
	return out
}
