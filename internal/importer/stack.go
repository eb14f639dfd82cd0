package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/schema"
)

// Stack is the plan written as a stack: the kdecl fields of each app
// that its objects set, as far as kdecl's fields can say them.
type Stack struct {
	Name      string
	Namespace string
	Apps      map[string]map[string]any
	Configs   map[string]map[string]any
	// Objects are the objects of no app, by name.
	Objects map[string]any
	// Left are what the native fields do not say yet, by app: paths in
	// the workload's pod spec, and objects' fields.
	Left map[string][]string
	// overrides are what the native fields do not say, by app, as the
	// app's overrides: a fragment by key (pod, container, or a kind).
	overrides map[string]map[string]any
	// Notes say what was chosen.
	Notes []string
}

// Package is the CUE package of the stack called name: the name without
// its dashes, which the stack's name field keeps.
func Package(name string) string { return strings.ReplaceAll(name, "-", "") }

// Write returns the stack as the CUE source of one file, formatted as
// cue fmt formats it, the notes in a comment before the package clause.
func (s *Stack) Write() ([]byte, error) {
	pkg := Package(s.Name)
	top := map[string]any{}
	if pkg != s.Name {
		top["name"] = s.Name
	}
	if s.Namespace != "" {
		top["namespace"] = s.Namespace
	}
	if len(s.Configs) > 0 {
		top["configs"] = s.Configs
	}
	if len(s.Objects) > 0 {
		top["objects"] = s.Objects
	}
	top["apps"] = s.Apps
	b, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return nil, err
	}
	src, err := schema.WriteCUE(pkg, integers(fields).(map[string]any))
	if err != nil || len(s.Notes) == 0 {
		return src, err
	}
	var out bytes.Buffer
	out.WriteString("// kdecl import chose:\n")
	for _, n := range s.Notes {
		fmt.Fprintf(&out, "//   - %s\n", n)
	}
	out.Write(src)
	return out.Bytes(), nil
}

// integers makes each whole number of v, as JSON decoding leaves it (a
// float64 or a json.Number), an int64, which CUE writes as an int.
func integers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = integers(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = integers(e)
		}
		return out
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case float64:
		if v == float64(int64(v)) {
			return int64(v)
		}
	}
	return v
}

// StackOf writes the apps of p, as the stack called name, with kdecl's
// native fields and overrides, and the objects of p: in the one app they
// refer to (its pods by a selector, its Service, its workload), else in
// the stack.
func StackOf(p *Plan, name string) (*Stack, error) {
	s := &Stack{Name: name, Namespace: p.Namespace, Notes: slices.Clone(p.Notes), Apps: map[string]map[string]any{}, Configs: map[string]map[string]any{},
		Left: map[string][]string{}, overrides: map[string]map[string]any{}}
	for name, sc := range p.Shared {
		cm, err := configMapOf(sc.ConfigMap)
		if err != nil {
			return nil, err
		}
		cfg := map[string]any{}
		if env := plainData(cm, nil); len(env) > 0 {
			cfg["env"] = env
		}
		s.Configs[name] = cfg
	}
	for _, a := range p.Apps {
		app, err := s.app(p, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", a.Workload.Source, a.Workload.Kind(), a.Workload.Name(), err)
		}
		s.Apps[a.Name] = app
	}
	l := importLinks(p, name)
	s.Objects = map[string]any{}
	for _, d := range p.Objects {
		obj, app := s.object(d, l)
		objects := s.Objects
		if app != "" {
			objects, _ = s.Apps[app]["objects"].(map[string]any)
			if objects == nil {
				objects = map[string]any{}
				s.Apps[app]["objects"] = objects
			}
		}
		key := d.Name()
		if objects[key] != nil {
			// Objects are keyed by their name: one that shares its
			// name with another is renamed after its kind too.
			key = d.Name() + "-" + strings.ToLower(d.Kind())
			p.ObjectNames[d.Kind()+"/"+d.Name()] = key
			s.Notes = append(s.Notes, fmt.Sprintf("%s %s: named %s, another object is named %s", d.Kind(), d.Name(), key, d.Name()))
		}
		if objects[key] != nil {
			s.left(app, "%s %s: an object named %s is there already", d.Kind(), d.Name(), key)
			continue
		}
		objects[key] = obj
	}
	return s, nil
}

// typed decodes a document into its k8s.io/api type.
func typed[T any](d manifest.Doc) (*T, error) {
	b, err := json.Marshal(d.Object)
	if err != nil {
		return nil, err
	}
	var t T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, err
	}
	return &t, nil
}

func configMapOf(d manifest.Doc) (*corev1.ConfigMap, error) { return typed[corev1.ConfigMap](d) }

// workload is what StackOf reads of a workload, decoded once.
type workload struct {
	kind      string // kdecl's
	replicas  *int32 // nil if the kind has none
	template  *corev1.PodTemplateSpec
	schedule  string                         // a CronJob's
	templates []corev1.PersistentVolumeClaim // a StatefulSet's claim templates
}

// decodeWorkload decodes w into its k8s.io/api type.
func decodeWorkload(w manifest.Doc) (*workload, error) {
	switch w.Kind() {
	case "Deployment":
		d, err := typed[appsv1.Deployment](w)
		if err != nil {
			return nil, err
		}
		return &workload{kind: "deployment", replicas: d.Spec.Replicas, template: &d.Spec.Template}, nil
	case "StatefulSet":
		d, err := typed[appsv1.StatefulSet](w)
		if err != nil {
			return nil, err
		}
		return &workload{kind: "statefulset", replicas: d.Spec.Replicas, template: &d.Spec.Template, templates: d.Spec.VolumeClaimTemplates}, nil
	case "DaemonSet":
		d, err := typed[appsv1.DaemonSet](w)
		if err != nil {
			return nil, err
		}
		return &workload{kind: "daemonset", template: &d.Spec.Template}, nil
	case "Job":
		d, err := typed[batchv1.Job](w)
		if err != nil {
			return nil, err
		}
		return &workload{kind: "job", template: &d.Spec.Template}, nil
	case "CronJob":
		d, err := typed[batchv1.CronJob](w)
		if err != nil {
			return nil, err
		}
		return &workload{kind: "cronjob", template: &d.Spec.JobTemplate.Spec.Template, schedule: d.Spec.Schedule}, nil
	}
	return nil, fmt.Errorf("not a workload")
}

// mainContainer is the container the app is: the one named like the
// workload, else the only one, else the first.
func mainContainer(w manifest.Doc, spec *corev1.PodSpec) int {
	for i, c := range spec.Containers {
		if c.Name == w.Name() {
			return i
		}
	}
	return 0
}

func (s *Stack) left(app, format string, args ...any) {
	s.Left[app] = append(s.Left[app], fmt.Sprintf(format, args...))
}

// override sets the field at path of the app's override key (pod,
// container, deployment, ...) to v.
func (s *Stack) override(app, key string, v any, path ...string) {
	o := s.overrides[app]
	if o == nil {
		o = map[string]any{}
		s.overrides[app] = o
	}
	m, _ := o[key].(map[string]any)
	if m == nil {
		m = map[string]any{}
		o[key] = m
	}
	for _, k := range path[:len(path)-1] {
		next, _ := m[k].(map[string]any)
		if next == nil {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// overrideList appends v to the list at path of the app's override key.
func (s *Stack) overrideList(app, key string, v any, path ...string) {
	var list []any
	if m := s.overrides[app]; m != nil {
		list, _ = manifest.Get(m[key], path...).([]any)
	}
	s.override(app, key, append(list, v), path...)
}

func (s *Stack) app(p *Plan, a *App) (map[string]any, error) {
	w, err := decodeWorkload(a.Workload)
	if err != nil {
		return nil, err
	}
	kind, tmpl := w.kind, w.template
	spec := &tmpl.Spec
	if len(spec.Containers) == 0 {
		return nil, fmt.Errorf("no containers")
	}
	mi := mainContainer(a.Workload, spec)
	c := spec.Containers[mi]
	app := map[string]any{}
	basics(c, app)
	if kind != "deployment" {
		app["kind"] = kind
	}
	if w.schedule != "" {
		app["schedule"] = w.schedule
	}
	if w.replicas != nil && *w.replicas != 1 {
		app["replicas"] = int(*w.replicas)
	}
	if st := rollout(a.Workload); len(st) > 0 {
		field := "updateStrategy"
		if kind == "deployment" {
			field = "strategy"
		}
		app[field] = st
	}
	if sn, _ := manifest.Get(a.Workload.Object, "spec", "serviceName").(string); sn != "" && sn != a.Name+"-headless" {
		s.Notes = append(s.Notes, fmt.Sprintf("StatefulSet %s: its pods' Service, serviceName %s, is kdecl's headless Service %s-headless", a.Workload.Name(), sn, a.Name))
	}
	for _, f := range []string{"minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"} {
		if v := manifest.Get(a.Workload.Object, "spec", f); v != nil {
			app[f] = int(number(v))
		}
	}
	sidecars := map[string]any{}
	for i, other := range spec.Containers {
		if i != mi {
			sidecars[other.Name] = s.sidecar(a, other)
		}
	}
	if len(sidecars) > 0 {
		app["sidecars"] = sidecars
	}
	var uses []any
	for _, ic := range spec.InitContainers {
		if dep := waitsFor(p, ic); dep != "" {
			uses = append(uses, map[string]any{"app": dep, "env": false})
			s.Notes = append(s.Notes, fmt.Sprintf("app %s: init container %s waits for app %s: uses, with kdecl's wait container", a.Name, ic.Name, dep))
			continue
		}
		s.overrideList(a.Name, "pod", containerMap(ic), "initContainers")
	}
	if len(uses) > 0 {
		app["uses"] = uses
	}

	ports, portName := s.ports(a, c)
	if len(ports) > 0 {
		app["ports"] = ports
	}
	probes := map[string]any{}
	for _, np := range []struct {
		name string
		pr   *corev1.Probe
	}{{"liveness", c.LivenessProbe}, {"readiness", c.ReadinessProbe}, {"startup", c.StartupProbe}} {
		name, pr := np.name, np.pr
		if pr == nil {
			continue
		}
		if v, ok := probe(pr, portName); ok {
			probes[name] = v
		} else {
			s.left(a.Name, "spec.containers[%s].%sProbe", c.Name, name)
		}
	}
	if len(probes) > 0 {
		app["probes"] = probes
	}
	if expose := s.expose(a, portName); len(expose) > 0 {
		app["expose"] = expose
	}
	if err := s.configAndEnv(p, a, spec, c, app); err != nil {
		return nil, err
	}
	if storage := s.storage(a, w, c); len(storage) > 0 {
		app["storage"] = storage
	}
	s.unread(a, w, c, app)
	if o := s.overrides[a.Name]; len(o) > 0 {
		app["overrides"] = o
	}
	return app, nil
}

// Fields the native fields say, of a workload's spec, its pod's spec
// and the app's container; unread makes the others overrides.
var (
	readWorkload = []string{"replicas", "selector", "template", "schedule", "jobTemplate", "minReadySeconds",
		"revisionHistoryLimit", "progressDeadlineSeconds", "strategy", "updateStrategy", "serviceName", "volumeClaimTemplates"}
	readPod       = []string{"containers", "initContainers", "volumes", "resources"}
	readContainer = []string{"name", "image", "imagePullPolicy", "command", "args", "ports", "resources",
		"livenessProbe", "readinessProbe", "startupProbe", "env", "envFrom", "volumeMounts"}
	// nativeWorkload are fields of a workload's spec with a native field,
	// by kind.
	nativeWorkload = map[string]map[string]string{
		"StatefulSet": {"podManagementPolicy": "podManagementPolicy"},
		"Job": {"completions": "job.completions", "parallelism": "job.parallelism", "backoffLimit": "job.backoffLimit",
			"activeDeadlineSeconds": "job.activeDeadlineSeconds", "ttlSecondsAfterFinished": "job.ttlSecondsAfterFinished"},
		"CronJob": {"timeZone": "timeZone", "concurrencyPolicy": "concurrencyPolicy", "startingDeadlineSeconds": "startingDeadlineSeconds",
			"suspend": "suspend", "successfulJobsHistoryLimit": "successfulJobsHistoryLimit", "failedJobsHistoryLimit": "failedJobsHistoryLimit"},
	}
)

// setPath sets the field at a dotted path of m.
func setPath(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, _ := m[k].(map[string]any)
		if next == nil {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// unread says what the workload, its pod and the app's container set
// beyond what the native fields read: in native fields kdecl has for
// them, else in overrides.
func (s *Stack) unread(a *App, w *workload, c corev1.Container, app map[string]any) {
	kind := a.Workload.Kind()
	key := strings.ToLower(kind)
	if ann := manifest.Map(a.Workload.Object, "metadata", "annotations"); len(ann) > 0 {
		s.override(a.Name, key, ann, "metadata", "annotations")
	}
	spec := manifest.Map(a.Workload.Object, "spec")
	for _, k := range slices.Sorted(maps.Keys(spec)) {
		if !slices.Contains(readWorkload, k) {
			s.workloadField(a, app, kind, key, []string{"spec"}, k, spec[k])
		}
	}
	if kind == "CronJob" {
		js := manifest.Map(spec, "jobTemplate", "spec")
		for _, k := range slices.Sorted(maps.Keys(js)) {
			if k != "template" {
				s.workloadField(a, app, "Job", key, []string{"spec", "jobTemplate", "spec"}, k, js[k])
			}
		}
		if ann := manifest.Map(spec, "jobTemplate", "metadata"); len(ann) > 0 {
			s.override(a.Name, key, ann, "spec", "jobTemplate", "metadata")
		}
	}
	tmpl := w.template
	if len(tmpl.Annotations) > 0 {
		app["podAnnotations"] = tmpl.Annotations
	}
	pod := toMap(tmpl.Spec)
	for _, k := range slices.Sorted(maps.Keys(pod)) {
		if slices.Contains(readPod, k) {
			continue
		}
		v := pod[k]
		switch k {
		case "terminationGracePeriodSeconds":
			if n := number(v); n != corev1.DefaultTerminationGracePeriodSeconds {
				app[k] = int(n)
			}
		case "restartPolicy":
			if w.kind == "job" || w.kind == "cronjob" {
				if v != "Never" {
					app[k] = v
				}
			} else if v != "Always" {
				s.left(a.Name, "the pod's restartPolicy %v", v)
			}
		case "serviceAccountName", "serviceAccount":
			if v != "" && v != "default" {
				setPath(app, "serviceAccount.name", v)
				setPath(app, "serviceAccount.create", false)
			}
		case "automountServiceAccountToken":
			setPath(app, "serviceAccount.automountToken", v)
		default:
			s.override(a.Name, "pod", v, k)
		}
	}
	s.unreadFields(a, c, readContainer, func(k string, v any) { s.override(a.Name, "container", v, k) })
}

// workloadField says the field k of a workload's spec (at path of the
// workload, in kind's terms): natively if kdecl has a field for it.
func (s *Stack) workloadField(a *App, app map[string]any, kind, key string, path []string, k string, v any) {
	if native, ok := nativeWorkload[kind][k]; ok {
		if n, isNum := v.(json.Number); isNum {
			v, _ = n.Int64()
		}
		setPath(app, native, v)
		return
	}
	s.override(a.Name, key, v, append(path, k)...)
}

// containerMap is c as JSON decoding gives it, without the empty
// resources that marshalling writes.
func containerMap(c corev1.Container) map[string]any {
	m := toMap(c)
	if r, _ := m["resources"].(map[string]any); len(r) == 0 {
		delete(m, "resources")
	}
	return m
}

// configValue is the value of the key ref names of the app's own
// ConfigMaps or the stack's shared ones, nil if there is none.
func configValue(p *Plan, own map[string]*corev1.ConfigMap, ref *corev1.ConfigMapKeySelector) *string {
	cm := own[ref.Name]
	if cm == nil && p.Shared[ref.Name] != nil {
		cm, _ = configMapOf(p.Shared[ref.Name].ConfigMap)
	}
	if cm == nil {
		return nil
	}
	if v, ok := cm.Data[ref.Key]; ok {
		return &v
	}
	return nil
}

func ownConfigMap(a *App, name string) bool {
	for _, d := range a.ConfigMaps {
		if d.Name() == name {
			return true
		}
	}
	return false
}

// storage is the app's volumes other than its config: its claims,
// emptyDirs; other kinds of volumes are left.
func (s *Stack) storage(a *App, w *workload, c corev1.Container) map[string]any {
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
	}
	out := map[string]any{}
	for _, m := range c.VolumeMounts {
		if t, ok := templates[m.Name]; ok {
			out[m.Name] = claimVolume(mount(m), &t)
			delete(templates, m.Name)
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
		if cm := vol.ConfigMap; cm != nil && ownConfigMap(a, cm.Name) {
			if m.SubPath != "" || len(cm.Items) > 0 || cm.DefaultMode != nil && *cm.DefaultMode != corev1.ConfigMapVolumeSourceDefaultMode || cm.Optional != nil {
				s.left(a.Name, "volume %s", vol.Name)
			}
			continue // the config, read by configAndEnv
		}
		v := mount(m)
		switch src := vol.VolumeSource; {
		case src.PersistentVolumeClaim != nil && claims[src.PersistentVolumeClaim.ClaimName] != nil:
			claimVolume(v, claims[src.PersistentVolumeClaim.ClaimName])
		case src.PersistentVolumeClaim != nil:
			v["claim"] = src.PersistentVolumeClaim.ClaimName
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
		s.left(a.Name, "volumeClaimTemplates[%s]: mounted by no container of the app's", name)
	}
	return out
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
	return v
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

// rollout is the strategy of a Deployment or the updateStrategy of a
// StatefulSet or DaemonSet, in kdecl's fields: the type and the numbers
// of its rolling update, flat.
func rollout(w manifest.Doc) map[string]any {
	field := "updateStrategy"
	if w.Kind() == "Deployment" {
		field = "strategy"
	}
	st, _ := manifest.Get(w.Object, "spec", field).(map[string]any)
	out := map[string]any{}
	if t, ok := st["type"].(string); ok {
		out["type"] = t
	}
	rolling, _ := st["rollingUpdate"].(map[string]any)
	for _, k := range []string{"maxSurge", "maxUnavailable", "partition"} {
		switch v := rolling[k].(type) {
		case string:
			out[k] = v
		case nil:
		default:
			out[k] = int(number(v))
		}
	}
	return out
}

// sidecar is a container of the pod other than the app's, in kdecl's
// fields; what they do not say is left.
func (s *Stack) sidecar(a *App, c corev1.Container) map[string]any {
	out := map[string]any{}
	basics(c, out)
	ports := map[string]any{}
	for _, cp := range c.Ports {
		name := cp.Name
		if name == "" || ports[name] != nil {
			name = "port-" + strconv.Itoa(int(cp.ContainerPort))
			if cp.Protocol != "" && cp.Protocol != corev1.ProtocolTCP {
				name += "-" + strings.ToLower(string(cp.Protocol))
			}
		}
		if (cp.Protocol == "" || cp.Protocol == corev1.ProtocolTCP) && cp.HostPort == 0 {
			ports[name] = int(cp.ContainerPort)
			continue
		}
		p := map[string]any{"port": int(cp.ContainerPort)}
		if cp.Protocol != "" && cp.Protocol != corev1.ProtocolTCP {
			p["protocol"] = string(cp.Protocol)
		}
		if cp.HostPort != 0 {
			p["hostPort"] = int(cp.HostPort)
		}
		ports[name] = p
	}
	if len(ports) > 0 {
		out["ports"] = ports
	}
	env := map[string]any{}
	rest := map[string]any{}
	var valueFrom []any
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			valueFrom = append(valueFrom, toMap(e))
			continue
		}
		env[e.Name] = e.Value
	}
	if len(env) > 0 {
		out["env"] = env
	}
	if len(valueFrom) > 0 {
		rest["env"] = valueFrom
	}
	s.unreadFields(a, c, []string{"name", "image", "imagePullPolicy", "command", "args", "resources", "ports", "env"}, func(k string, v any) { rest[k] = v })
	if len(rest) > 0 {
		rest["name"] = c.Name
		s.overrideList(a.Name, "pod", rest, "containers")
	}
	return out
}

// basics sets what kdecl says alike of the app's container and of a
// sidecar: image, pull policy, command, args and resources.
func basics(c corev1.Container, out map[string]any) {
	out["image"] = c.Image
	if c.ImagePullPolicy != "" {
		out["imagePullPolicy"] = string(c.ImagePullPolicy)
	}
	if len(c.Command) > 0 {
		out["command"] = c.Command
	}
	if len(c.Args) > 0 {
		out["args"] = c.Args
	}
	if res := resources(c.Resources); len(res) > 0 {
		out["resources"] = res
	}
}

// unreadFields passes each field of the container c that is not read to
// say.
func (s *Stack) unreadFields(a *App, c corev1.Container, read []string, say func(k string, v any)) {
	m := toMap(c)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(read, k) {
			say(k, m[k])
		}
	}
}

// waitPattern is the shell loop of an init container that waits for a
// Service's name to resolve, as the book writes it and kdecl renders it.
var waitPattern = regexp.MustCompile(`^until nslookup ([a-z0-9.-]+); do echo [^;]*; sleep [0-9]+; done;?$`)

// waitsFor is the app whose Service an init container waits for, or "".
func waitsFor(p *Plan, c corev1.Container) string {
	cmd := append(slices.Clone(c.Command), c.Args...)
	if len(cmd) != 3 || cmd[0] != "sh" || cmd[1] != "-c" || !strings.HasPrefix(c.Image, "busybox") {
		return ""
	}
	m := waitPattern.FindStringSubmatch(strings.TrimSpace(cmd[2]))
	if m == nil {
		return ""
	}
	host, _, _ := strings.Cut(m[1], ".")
	for _, other := range p.Apps {
		for _, svc := range other.Services {
			if svc.Name() == host {
				return other.Name
			}
		}
	}
	return ""
}

// ports are the main container's ports by name, with the name of each
// number. A port without a name takes the name of the Service port that
// targets it, else http if an HTTP probe uses it, else port-<number>.
func (s *Stack) ports(a *App, c corev1.Container) (map[string]any, map[int32]string) {
	ports := map[string]any{}
	names := map[int32]string{}
	for _, cp := range c.Ports {
		name := cp.Name
		servicePort, targeted := int32(0), false
		for _, svc := range a.Services {
			sp, _ := manifest.Get(svc.Object, "spec", "ports").([]any)
			for _, v := range sp {
				m, _ := v.(map[string]any)
				port := number(m["port"])
				target := m["targetPort"]
				if _, named := target.(string); !named && number(target) == 0 { // unset, or 0 as its type marshals unset
					target = json.Number(strconv.Itoa(int(port)))
				}
				if t, ok := target.(string); ok && t == cp.Name || number(target) == cp.ContainerPort {
					targeted = true
					if n, _ := m["name"].(string); name == "" && n != "" {
						name = n
					}
					if port != cp.ContainerPort {
						servicePort = port
					}
				}
			}
		}
		if name == "" && httpProbeOn(c, cp.ContainerPort) {
			name = "http"
		}
		if name == "" || ports[name] != nil {
			name = "port-" + strconv.Itoa(int(cp.ContainerPort))
		}
		names[cp.ContainerPort] = name
		hidden := !targeted && len(a.Services) > 0
		if cp.Protocol == "" || cp.Protocol == corev1.ProtocolTCP {
			if servicePort == 0 && cp.HostPort == 0 && !hidden {
				ports[name] = int(cp.ContainerPort)
				continue
			}
		}
		p := map[string]any{"port": int(cp.ContainerPort)}
		if cp.Protocol != "" && cp.Protocol != corev1.ProtocolTCP {
			p["protocol"] = string(cp.Protocol)
		}
		if servicePort != 0 {
			p["servicePort"] = int(servicePort)
		}
		if cp.HostPort != 0 {
			p["hostPort"] = int(cp.HostPort)
		}
		if hidden {
			p["service"] = false
		}
		ports[name] = p
	}
	return ports, names
}

// number is a port or count as JSON decoding or Upgrade left it.
func number(v any) int32 {
	switch v := v.(type) {
	case json.Number:
		n, _ := v.Int64()
		return int32(n)
	case float64:
		return int32(v)
	case int:
		return int32(v)
	}
	return 0
}

func httpProbeOn(c corev1.Container, port int32) bool {
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p != nil && p.HTTPGet != nil && p.HTTPGet.Port.IntVal == port {
			return true
		}
	}
	return false
}

func resources(r corev1.ResourceRequirements) map[string]any {
	out := map[string]any{}
	for field, list := range map[string]corev1.ResourceList{"requests": r.Requests, "limits": r.Limits} {
		if len(list) == 0 {
			continue
		}
		m := map[string]any{}
		for name, q := range list {
			m[string(name)] = q.String()
		}
		out[field] = m
	}
	return out
}

// probe is a probe in kdecl's fields, with ports by name where the app
// names them; false if kdecl cannot say it (a gRPC probe, a port by a
// name the app does not have).
func probe(p *corev1.Probe, portName map[int32]string) (map[string]any, bool) {
	out := map[string]any{}
	port := func(num int32, name string) (any, bool) {
		if name != "" {
			return name, true
		}
		if n, ok := portName[num]; ok {
			return n, true
		}
		return int(num), num > 0
	}
	switch h := p.ProbeHandler; {
	case h.HTTPGet != nil:
		http := map[string]any{}
		if h.HTTPGet.Path != "" {
			http["path"] = h.HTTPGet.Path
		}
		pv, ok := port(h.HTTPGet.Port.IntVal, h.HTTPGet.Port.StrVal)
		if !ok {
			return nil, false
		}
		http["port"] = pv
		if h.HTTPGet.Scheme != "" && h.HTTPGet.Scheme != corev1.URISchemeHTTP {
			http["scheme"] = string(h.HTTPGet.Scheme)
		}
		if h.HTTPGet.Host != "" || len(h.HTTPGet.HTTPHeaders) > 0 {
			return nil, false
		}
		out["http"] = http
	case h.TCPSocket != nil:
		pv, ok := port(h.TCPSocket.Port.IntVal, h.TCPSocket.Port.StrVal)
		if !ok || h.TCPSocket.Host != "" {
			return nil, false
		}
		out["tcp"] = map[string]any{"port": pv}
	case h.Exec != nil && len(h.Exec.Command) > 0:
		out["exec"] = map[string]any{"command": h.Exec.Command}
	default:
		return nil, false
	}
	for name, v := range map[string]int32{
		"initialDelaySeconds": p.InitialDelaySeconds, "periodSeconds": p.PeriodSeconds,
		"timeoutSeconds": p.TimeoutSeconds, "successThreshold": p.SuccessThreshold,
		"failureThreshold": p.FailureThreshold,
	} {
		if v != 0 {
			out[name] = int(v)
		}
	}
	if p.TerminationGracePeriodSeconds != nil {
		out["terminationGracePeriodSeconds"] = int(*p.TerminationGracePeriodSeconds)
	}
	return out, true
}

// expose is how the app's Service is exposed: its type, or none if the
// app has no Service but a statefulset's headless one; and the fields of
// kdecl's that it sets.
func (s *Stack) expose(a *App, portName map[int32]string) map[string]any {
	var regular []manifest.Doc
	for _, svc := range a.Services {
		if manifest.Get(svc.Object, "spec", "clusterIP") != "None" {
			regular = append(regular, svc)
		} else if a.Workload.Kind() != "StatefulSet" {
			s.left(a.Name, "Service %s: a headless Service of a %s", svc.Name(), a.Workload.Kind())
		}
	}
	if len(regular) == 0 {
		return map[string]any{"type": "none"}
	}
	svc, err := typed[corev1.Service](regular[0])
	for _, other := range regular[1:] {
		s.left(a.Name, "Service %s: a second Service", other.Name())
	}
	if err != nil {
		s.left(a.Name, "Service %s: %v", regular[0].Name(), err)
		return nil
	}
	out := map[string]any{}
	spec := svc.Spec
	if spec.Type != "" && spec.Type != corev1.ServiceTypeClusterIP {
		out["type"] = string(spec.Type)
	}
	if len(svc.Annotations) > 0 {
		out["annotations"] = svc.Annotations
	}
	if spec.SessionAffinity != "" && spec.SessionAffinity != corev1.ServiceAffinityNone {
		out["sessionAffinity"] = string(spec.SessionAffinity)
	}
	if spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		out["externalTrafficPolicy"] = "Local"
	}
	if len(spec.LoadBalancerSourceRanges) > 0 {
		out["loadBalancerSourceRanges"] = spec.LoadBalancerSourceRanges
	}
	if spec.PublishNotReadyAddresses {
		out["publishNotReadyAddresses"] = true
	}
	nodePorts := map[string]any{}
	for _, p := range spec.Ports {
		if p.NodePort == 0 {
			continue
		}
		target := p.TargetPort.IntVal
		if p.TargetPort.StrVal == "" && target == 0 {
			target = p.Port
		}
		if name := portName[target]; name != "" {
			nodePorts[name] = int(p.NodePort)
		} else if p.TargetPort.StrVal != "" {
			nodePorts[p.TargetPort.StrVal] = int(p.NodePort)
		}
	}
	if len(nodePorts) > 0 {
		out["nodePorts"] = nodePorts
	}
	return out
}

// configAndEnv sets the app's env, config (from its ConfigMap), the
// stack configs it uses, and its secret references, from the main
// container's env and envFrom and the volumes it mounts.
func (s *Stack) configAndEnv(p *Plan, a *App, spec *corev1.PodSpec, c corev1.Container, app map[string]any) error {
	own := map[string]*corev1.ConfigMap{}
	for _, d := range a.ConfigMaps {
		cm, err := configMapOf(d)
		if err != nil {
			return err
		}
		own[cm.Name] = cm
	}
	if len(own) > 1 {
		s.left(a.Name, "a second ConfigMap of its own (kdecl renders one per app)")
	}
	config := map[string]any{}
	env := map[string]any{}
	secretEnv, fieldEnv, resourceEnv := map[string]any{}, map[string]any{}, map[string]any{}
	keyRefs := map[string]bool{} // ConfigMaps a variable takes a key of
	var configs []string
	mounted := map[string]string{} // ConfigMap → mount path
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil && m.SubPath == "" && len(v.ConfigMap.Items) == 0 {
				mounted[v.ConfigMap.Name] = m.MountPath
			}
		}
	}
	envFrom := map[string]bool{}
	for _, e := range c.EnvFrom {
		switch {
		case e.ConfigMapRef != nil && own[e.ConfigMapRef.Name] != nil && e.Prefix == "":
			envFrom[e.ConfigMapRef.Name] = true
		case e.ConfigMapRef != nil && p.Shared[e.ConfigMapRef.Name] != nil && e.Prefix == "":
			configs = append(configs, e.ConfigMapRef.Name)
			cm, err := configMapOf(p.Shared[e.ConfigMapRef.Name].ConfigMap)
			if err != nil {
				return err
			}
			plainData(cm, secretEnv) // the credentials, which the stack's config leaves out
			s.credentialNotes(a.Name, cm, secretEnv)
		case e.SecretRef != nil && e.Prefix == "":
			secrets, _ := app["secrets"].(map[string]any)
			if secrets == nil {
				secrets = map[string]any{}
			}
			list, _ := secrets["envFrom"].([]string)
			secrets["envFrom"] = append(list, e.SecretRef.Name)
			app["secrets"] = secrets
		default:
			s.overrideList(a.Name, "container", toMap(e), "envFrom")
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.ConfigMapKeyRef != nil && e.ValueFrom.ConfigMapKeyRef.Optional == nil && configValue(p, own, e.ValueFrom.ConfigMapKeyRef) != nil:
			// A key of the app's ConfigMap, or of a shared one: the
			// variable takes its value.
			ref := e.ValueFrom.ConfigMapKeyRef
			if v := configValue(p, own, ref); schema.CredentialName(ref.Key, *v) || schema.CredentialIn(*v) != "" {
				secretEnv[e.Name] = map[string]any{"secret": ref.Name, "key": ref.Key}
				s.Notes = append(s.Notes, fmt.Sprintf("ConfigMap %s: %s looks like a credential; app %s reads it from Secret %s, key %s: create it", ref.Name, ref.Key, a.Name, ref.Name, ref.Key))
			} else {
				env[e.Name] = *v
			}
			keyRefs[ref.Name] = true
		case e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Optional == nil:
			secretEnv[e.Name] = map[string]any{"secret": e.ValueFrom.SecretKeyRef.Name, "key": e.ValueFrom.SecretKeyRef.Key}
		case e.ValueFrom.FieldRef != nil && (e.ValueFrom.FieldRef.APIVersion == "" || e.ValueFrom.FieldRef.APIVersion == "v1"):
			fieldEnv[e.Name] = e.ValueFrom.FieldRef.FieldPath
		case e.ValueFrom.ResourceFieldRef != nil && (e.ValueFrom.ResourceFieldRef.ContainerName == "" || e.ValueFrom.ResourceFieldRef.ContainerName == c.Name):
			r := map[string]any{"resource": e.ValueFrom.ResourceFieldRef.Resource}
			if d := e.ValueFrom.ResourceFieldRef.Divisor; !d.IsZero() && d.String() != "1" {
				r["divisor"] = d.String()
			}
			resourceEnv[e.Name] = r
		default:
			s.overrideList(a.Name, "container", toMap(e), "env")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(own)) {
		cm := own[name]
		mountPath, isMounted := mounted[name]
		if !envFrom[name] && !isMounted {
			if !keyRefs[name] {
				s.left(a.Name, "ConfigMap %s: used other than by envFrom, a mount of all its keys or a variable's key", name)
			}
			continue
		}
		data := plainData(cm, secretEnv)
		s.credentialNotes(a.Name, cm, secretEnv)
		envKeys, files := map[string]any{}, map[string]any{}
		for k, v := range data {
			switch {
			case envFrom[name] && isMounted:
				// A key of config is a variable or a file, not both: the
				// file stays in config, the variable takes its value.
				files[k] = v
				if _, ok := env[k]; !ok {
					env[k] = v
				}
			case envFrom[name]:
				envKeys[k] = v
			default:
				files[k] = v
			}
		}
		if envFrom[name] && isMounted {
			s.Notes = append(s.Notes, fmt.Sprintf("app %s: ConfigMap %s is both its environment and files; the stack has the files in config and the variables in env", a.Name, name))
		}
		if isMounted && mountPath != schema.DefaultConfigMountPath(a.Name) {
			config["mountPath"] = mountPath
		}
		// A variable that holds the path of one of the files is that
		// file's fileEnv.
		fileEnv := map[string]any{}
		for k, v := range envKeys {
			if f := strings.TrimPrefix(v.(string), mountPath+"/"); isMounted && f != v && files[f] != nil {
				fileEnv[k] = f
				delete(envKeys, k)
			}
		}
		for field, m := range map[string]map[string]any{"env": envKeys, "files": files, "fileEnv": fileEnv} {
			if len(m) > 0 {
				config[field] = m
			}
		}
	}
	for field, m := range map[string]map[string]any{"env": env, "fieldEnv": fieldEnv, "resourceEnv": resourceEnv} {
		if len(m) > 0 {
			app[field] = m
		}
	}
	if len(config) > 0 {
		app["config"] = config
	}
	if len(configs) > 0 {
		slices.Sort(configs)
		app["configs"] = configs
	}
	if len(secretEnv) > 0 {
		secrets, _ := app["secrets"].(map[string]any)
		if secrets == nil {
			secrets = map[string]any{}
		}
		secrets["env"] = secretEnv
		app["secrets"] = secrets
	}
	return nil
}

// plainData is the data of a ConfigMap that is no credential, as config
// env; its credentials, if secretEnv is not nil, become references to a
// Secret of the ConfigMap's name there.
func plainData(cm *corev1.ConfigMap, secretEnv map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
		v := cm.Data[k]
		if schema.CredentialName(k, v) || schema.CredentialIn(v) != "" {
			if secretEnv != nil {
				secretEnv[k] = map[string]any{"secret": cm.Name, "key": k}
			}
			continue
		}
		out[k] = v
	}
	return out
}

func (s *Stack) credentialNotes(app string, cm *corev1.ConfigMap, secretEnv map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
		if ref, ok := secretEnv[k].(map[string]any); ok && ref["secret"] == cm.Name {
			s.Notes = append(s.Notes, fmt.Sprintf("ConfigMap %s: %s looks like a credential; app %s reads it from Secret %s, key %s: create it", cm.Name, k, app, cm.Name, k))
		}
	}
}
