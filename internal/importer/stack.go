package importer

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
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

// Stack is the plan written as a stack: for each app, the kdecl fields
// its objects set, and overrides for the rest where kdecl allows them.
type Stack struct {
	Name          string
	Namespace     string
	ClusterDomain string
	Apps          map[string]map[string]any
	Configs       map[string]map[string]any
	// Labels are the stack's labels: those every object read carries
	// alike, and every pod; nil for none.
	Labels map[string]any
	// Objects are the objects of no app, by name.
	Objects map[string]any
	// NetworkPolicies are the stack's networkPolicies, nil for none.
	NetworkPolicies map[string]any
	// policies are the NetworkPolicies read that networkPolicies says,
	// by name, with their apps.
	policies map[string]string
	// PodSecurity is the stack's podSecurity, from its Namespace's labels.
	PodSecurity any
	// Flux is whether the stack disables Flux's substitution.
	Flux bool
	// ArgoCD is the stack's argocd, from the objects' sync waves; nil
	// for none.
	ArgoCD map[string]any
	// ApplySet is the stack's applySet, from the objects' annotation; nil
	// for none.
	ApplySet any
	// Left is what neither kdecl's fields nor overrides can say, by app
	// ("" for the stack's objects), one line each.
	Left map[string][]string
	// leftOut are the fields of the objects read that what is Left
	// accounts for, as Kind/name and a path of Compare's: the rendered
	// objects lack them, and no difference says so again.
	leftOut []field
	// portNames are the names kdecl gives the ports of the Services read,
	// by Service and the port's name there.
	portNames map[string]map[string]string
	// overrides are what the native fields do not say, by app, as the
	// app's overrides: a fragment by key (pod, container, or a kind).
	overrides map[string]map[string]any
	// Notes say what was chosen.
	Notes []string
	// without is what the stack leaves out, as its pods do not meet it.
	without unsaid
	// after are the job apps each app's pods wait for, as kdecl's init
	// containers do, in their order.
	after map[string][]string
	// notSecret are the fields marked @kdecl(notsecret), by path from
	// the stack's root, which Write says in place.
	notSecret [][]string
	// headlessPublish is, by app, its headless Service's
	// publishNotReadyAddresses where its regular Service's differs.
	headlessPublish map[string]bool
}

// cueKeywords may not name a package.
var cueKeywords = []string{"package", "import", "for", "in", "if", "let", "true", "false", "null", "func", "div", "mod", "quo", "rem"}

// Package is the CUE package of the stack called name: the name without
// its dashes, after "stack" if it starts with a digit or is a keyword; the stack's name
// field keeps the name.
func Package(name string) string {
	pkg := strings.ReplaceAll(name, "-", "")
	if pkg == "" || pkg[0] >= '0' && pkg[0] <= '9' || slices.Contains(cueKeywords, pkg) {
		pkg = "stack" + pkg
	}
	return pkg
}

// Write returns the stack as the CUE source of one file, formatted as
// cue fmt formats it, the notes in a comment before the package clause.
func (s *Stack) Write() ([]byte, error) {
	fields, err := s.fields()
	if err != nil {
		return nil, err
	}
	var tmpl map[string]any
	if !holds(fields, templateMarker) {
		tmpl = templates(fields, s.notSecret)
	}
	src, err := writeFile(Package(s.Name), "", fields, s.Notes)
	if err != nil {
		return nil, err
	}
	return withTemplates(src, Package(s.Name), tmpl)
}

// fields are the stack's fields, as its file says them.
func (s *Stack) fields() (map[string]any, error) {
	top := map[string]any{}
	if Package(s.Name) != s.Name {
		top["name"] = s.Name
	}
	if s.Namespace != "" {
		top["namespace"] = s.Namespace
	}
	if s.ClusterDomain != "" {
		top["clusterDomain"] = s.ClusterDomain
	}
	if len(s.Labels) > 0 {
		top["labels"] = s.Labels
	}
	if len(s.Configs) > 0 {
		top["configs"] = s.Configs
	}
	if s.NetworkPolicies != nil {
		top["networkPolicies"] = s.NetworkPolicies
	}
	if len(s.Objects) > 0 {
		top["objects"] = s.Objects
	}
	if s.PodSecurity != nil {
		top["podSecurity"] = s.PodSecurity
	}
	if s.Flux {
		top["flux"] = map[string]any{"substitute": "disabled"}
	}
	if s.ArgoCD != nil {
		top["argocd"] = s.ArgoCD
	}
	if s.ApplySet != nil {
		top["applySet"] = s.ApplySet
	}
	top["apps"] = s.Apps
	fields, err := jsonMap(top)
	if err != nil {
		return nil, err
	}
	return integers(fields).(map[string]any), nil
}

// writeFile writes fields as a file of the package pkg, formatted as cue
// fmt formats it: after the file's attribute attr if not "", the notes
// in a comment before the package clause.
func writeFile(pkg, attr string, fields map[string]any, notes []string) ([]byte, error) {
	src, err := schema.WriteCUE(pkg, fields)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if attr != "" {
		fmt.Fprintf(&out, "%s\n\n", attr)
	}
	if len(notes) > 0 {
		out.WriteString("// kdecl import chose:\n")
		for _, n := range notes {
			fmt.Fprintf(&out, "//   - %s\n", n)
		}
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
func StackOf(p *Plan, name string) (*Stack, error) { return stackOf(p, name, unsaid{}) }

// stackOf is StackOf without what without leaves out.
func stackOf(p *Plan, name string, without unsaid) (*Stack, error) {
	s := &Stack{Name: name, Namespace: p.Namespace, Flux: p.Flux, Notes: slices.Clone(p.Notes), Apps: map[string]map[string]any{}, Configs: map[string]map[string]any{},
		Left: map[string][]string{}, overrides: map[string]map[string]any{}, portNames: map[string]map[string]string{}, without: without,
		after: map[string][]string{}, headlessPublish: map[string]bool{}}
	for _, a := range p.Apps {
		app, err := s.app(p, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", a.Workload.Source, a.Workload.Kind(), a.Workload.Name(), err)
		}
		s.Apps[a.Name] = app
	}
	for _, u := range p.Unsaid {
		s.left("", "%s", u)
	}
	s.usesEnv(p)
	if s.PodSecurity = podSecurity(p.NamespaceDoc); s.PodSecurity != nil && without.podSecurity {
		s.PodSecurity = nil
		s.Notes = append(s.Notes, fmt.Sprintf("Namespace %s: its Pod Security labels enforce a level its pods do not meet; no podSecurity", p.Namespace))
	}
	if _, parent, ok := strings.Cut(p.ApplySet, "/"); ok {
		s.ApplySet = map[string]any{"name": parent}
		if parent == (&schema.Stack{Name: name, ApplySet: &schema.ApplySet{}}).ApplySetParent() {
			s.ApplySet = true
		}
	}
	l := importLinks(p, name, s.portNames)
	for name, sc := range p.Shared {
		if _, ok := s.Configs[name]; ok {
			continue
		}
		// Used by no app's container (by sidecars, or init containers).
		cfg := map[string]any{}
		if cm, err := configMapOf(sc.ConfigMap); err == nil && len(plainData(cm, nil, nil)) > 0 {
			cfg["env"] = plainData(cm, nil, nil)
		}
		s.Configs[name] = cfg
	}
	s.Objects = map[string]any{}
	// By kind and name: which of two objects of one name keeps it does
	// not depend on the order they were read in.
	// Objects nothing refers to by name may be renamed; they come last.
	objects := slices.SortedFunc(slices.Values(p.Objects), func(x, y manifest.Doc) int {
		return cmp.Or(cmpBool(renamable[x.Kind()], renamable[y.Kind()]), cmp.Compare(x.Kind(), y.Kind()), cmp.Compare(x.Name(), y.Name()))
	})
	for _, d := range objects {
		if a := scaled(p, d); a != nil && s.Apps[a.Name]["replicas"] != nil {
			// The autoscaler owns the workload's replicas: kdecl's
			// workload has none then.
			delete(s.Apps[a.Name], "replicas")
			s.Notes = append(s.Notes, fmt.Sprintf("app %s: no replicas, HorizontalPodAutoscaler %s scales it", a.Name, d.Name()))
		}
		if s.autoscale(p, d) || s.serviceAccount(p, d) || s.ingress(p, d) || s.disruption(p, d) || s.networkPolicies(p, d) || s.waitRBAC(p, d) {
			continue
		}
		obj, app := s.object(d, l)
		if a := served(p, d); app == "" && a != nil {
			app = a.Name
			s.Notes = append(s.Notes, fmt.Sprintf("Pod %s: an object of app %s, whose Service selects it", d.Name(), a.Name))
		}
		if v, ok := p.waves[d.Kind()+"/"+d.Name()]; ok {
			// An object keeps its own wave; kdecl gives it none then.
			manifest.Map(obj, "metadata", "annotations")[schema.SyncWaveAnnotation] = v
		}
		objects := s.Objects
		if app != "" {
			objects, _ = s.Apps[app]["objects"].(map[string]any)
			if objects == nil {
				objects = map[string]any{}
				s.Apps[app]["objects"] = objects
			}
		}
		key := d.Name()
		if objects[key] != nil && renamable[d.Kind()] {
			// Objects are keyed by their name: one that shares its
			// name with another is renamed after its kind too.
			key = d.Name() + "-" + strings.ToLower(d.Kind())
			p.ObjectNames[d.Kind()+"/"+d.Name()] = key
			s.Notes = append(s.Notes, fmt.Sprintf("%s %s: named %s, another object is named %s", d.Kind(), d.Name(), key, d.Name()))
		}
		if objects[key] != nil {
			// One of another kind has the name: the key says the kind
			// too, and metadata.name the name.
			key = d.Name() + "-" + strings.ToLower(d.Kind())
			manifest.Map(obj, "metadata")["name"] = d.Name()
			s.Notes = append(s.Notes, fmt.Sprintf("%s %s: objects.%s, its metadata.name %s, as another object is named %s", d.Kind(), d.Name(), key, d.Name(), d.Name()))
		}
		if objects[key] != nil {
			s.left(app, "%s %s: an object named %s is there already, and kdecl names objects by their key", d.Kind(), d.Name(), key)
			continue
		}
		objects[key] = obj
	}
	s.before()
	s.stackLabels(p)
	return s, nil
}

// stackLabels says as the stack's labels those that every object read
// (its Namespace too) carries with one value, and no pod with another,
// kdecl's own aside, and takes them off the apps' labels and the
// objects'. The pods that did not carry one get it.
func (s *Stack) stackLabels(p *Plan) {
	docs := p.docs()
	if p.NamespaceDoc != nil {
		docs = append(docs, *p.NamespaceDoc)
	}
	var common map[string]any
	for i, d := range docs {
		labels := manifest.Map(d.Object, "metadata", "labels")
		if i == 0 {
			common = maps.Clone(labels)
		}
		if _, ok := Workloads[d.Kind()]; ok {
			// Its pods get them too: none may say otherwise.
			labels = maps.Clone(labels)
			for k, v := range podLabels(d) {
				if labels[k] != v {
					delete(labels, k)
				}
			}
		}
		maps.DeleteFunc(common, func(k string, v any) bool {
			return labels[k] != v || schema.KdeclLabel(k) || schema.ControllerLabel(k) || k == "app.kubernetes.io/component"
		})
	}
	// A label pods did not carry, that a selector reads, would make the
	// selector pick them.
	selected := map[string]bool{}
	for _, d := range docs {
		selectorKeys(d.Object, selected)
	}
	for k := range selected {
		if _, ok := common[k]; ok && slices.ContainsFunc(p.Apps, func(a *App) bool { return podLabels(a.Workload)[k] != common[k] }) {
			delete(common, k)
		}
	}
	if len(common) == 0 || len(p.Apps) == 0 {
		return
	}
	s.Labels = common
	for _, app := range s.Apps {
		if labels, ok := app["labels"].(map[string]any); ok {
			maps.DeleteFunc(labels, func(k string, _ any) bool { return common[k] != nil })
			if len(labels) == 0 {
				delete(app, "labels")
			}
		}
		if objects, ok := app["objects"].(map[string]any); ok {
			withoutLabels(objects, common)
		}
	}
	withoutLabels(s.Objects, common)
	s.Notes = append(s.Notes, "labels: every object read carries "+labelList(common))
}

// selectorKeys adds to keys the label keys any label selector of v reads:
// a Service's selector, matchLabels and matchExpressions wherever they
// are (a NetworkPolicy's peers, an affinity's, a spread constraint's);
// a nodeSelector reads nodes' labels.
func selectorKeys(v any, keys map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			switch k {
			case "nodeSelector":
				continue
			case "matchLabels", "selector":
				if m, ok := e.(map[string]any); ok {
					for label, value := range m {
						if _, isString := value.(string); isString {
							keys[label] = true
						}
					}
				}
			case "matchExpressions":
				for _, x := range anys(e) {
					if m, ok := x.(map[string]any); ok {
						if key, ok := m["key"].(string); ok {
							keys[key] = true
						}
					}
				}
			}
			selectorKeys(e, keys)
		}
	case []any:
		for _, e := range v {
			selectorKeys(e, keys)
		}
	}
}

// withoutLabels takes labels off each of objects, as the stack's labels
// put them back.
func withoutLabels(objects map[string]any, labels map[string]any) {
	for _, o := range objects {
		obj, _ := o.(map[string]any)
		for k := range labels {
			manifest.Delete(obj, "metadata", "labels", k)
		}
		if len(manifest.Map(obj, "metadata", "labels")) == 0 {
			manifest.Delete(obj, "metadata", "labels")
		}
		if len(manifest.Map(obj, "metadata")) == 0 {
			delete(obj, "metadata")
		}
	}
}

// labelList is labels as k=v, in order.
func labelList(labels map[string]any) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		out = append(out, fmt.Sprint(k, "=", labels[k]))
	}
	return strings.Join(out, " ")
}

// defaultContainerAnnotation names the container kubectl logs and exec use.
const defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// renamable are the kinds no other object refers to by name, which import
// may rename when two objects share a name.
var renamable = map[string]bool{"PodDisruptionBudget": true, "NetworkPolicy": true, "Ingress": true, "HorizontalPodAutoscaler": true}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
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
	obj       any    // the workload, of its k8s.io/api type
	kind      string // kdecl's
	replicas  *int32 // nil if the kind has none
	template  *corev1.PodTemplateSpec
	schedule  string                         // a CronJob's
	templates []corev1.PersistentVolumeClaim // a StatefulSet's claim templates
	// defaults sets or clears the API server's defaults of obj.
	defaults func(defaulter)
}

// decodeWorkload decodes w into its k8s.io/api type.
func decodeWorkload(w manifest.Doc) (*workload, error) {
	switch w.Kind() {
	case "Deployment":
		d, err := typed[appsv1.Deployment](w)
		if err != nil {
			return nil, err
		}
		return &workload{obj: d, kind: "deployment", replicas: d.Spec.Replicas, template: &d.Spec.Template,
			defaults: func(m defaulter) { defaultDeployment(m, d) }}, nil
	case "StatefulSet":
		d, err := typed[appsv1.StatefulSet](w)
		if err != nil {
			return nil, err
		}
		return &workload{obj: d, kind: "statefulset", replicas: d.Spec.Replicas, template: &d.Spec.Template, templates: d.Spec.VolumeClaimTemplates,
			defaults: func(m defaulter) { defaultStatefulSet(m, d) }}, nil
	case "DaemonSet":
		d, err := typed[appsv1.DaemonSet](w)
		if err != nil {
			return nil, err
		}
		return &workload{obj: d, kind: "daemonset", template: &d.Spec.Template,
			defaults: func(m defaulter) { defaultDaemonSet(m, d) }}, nil
	case "Job":
		d, err := typed[batchv1.Job](w)
		if err != nil {
			return nil, err
		}
		return &workload{obj: d, kind: "job", template: &d.Spec.Template,
			defaults: func(m defaulter) { defaultJob(m, &d.Spec) }}, nil
	case "CronJob":
		d, err := typed[batchv1.CronJob](w)
		if err != nil {
			return nil, err
		}
		return &workload{obj: d, kind: "cronjob", template: &d.Spec.JobTemplate.Spec.Template, schedule: d.Spec.Schedule,
			defaults: func(m defaulter) { defaultCronJob(m, d) }}, nil
	}
	return nil, fmt.Errorf("not a workload")
}

// mainContainer is the container the app is: the one named like the
// workload (or the app kdecl rendered it for), else the only one, else
// the first.
func mainContainer(w manifest.Doc, spec *corev1.PodSpec) int {
	if spec == nil {
		return 0
	}
	for i, c := range spec.Containers {
		if c.Name == workloadName(w) {
			return i
		}
	}
	return 0
}
func (s *Stack) left(app, format string, args ...any) {
	s.Left[app] = append(s.Left[app], fmt.Sprintf(format, args...))
}

// field is a field of an object read: the object as Kind/name, and the
// path of the field as Compare's differences give it; "" for the whole
// object.
type field struct{ object, path string }

// podField is the field at path of the app's pod template, as Compare
// gives it: under spec.pod, a CronJob's under spec.jobTemplate.spec.pod.
func podField(a *App, path string) field {
	pod := "spec.pod."
	if a.Workload.Kind() == "CronJob" {
		pod = "spec.jobTemplate.spec.pod."
	}
	return field{name(a.Workload), pod + path}
}

// leftAt is left, of the field at of an object read, which the stack
// leaves out: the report says it once, as not said.
func (s *Stack) leftAt(app string, at field, format string, args ...any) {
	s.left(app, format, args...)
	s.leftOut = append(s.leftOut, at)
}

// covers says whether d is a difference of a field f, or of a field
// within it.
func (f field) covers(d Difference) bool {
	if d.Object != f.object {
		return false
	}
	if f.path == "" || d.Path == f.path || strings.HasPrefix(d.Path, f.path+".") || strings.HasPrefix(d.Path, f.path+"[") {
		return true
	}
	// The field is the one entry of a map the render lacks: the
	// difference is the map's.
	rest, ok := strings.CutPrefix(f.path, d.Path)
	var key string
	switch {
	case !ok || d.Rendered != "":
		return false
	case strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]"):
		var err error
		if key, err = strconv.Unquote(rest[1 : len(rest)-1]); err != nil {
			return false
		}
	case strings.HasPrefix(rest, ".") && !strings.ContainsAny(rest[1:], ".["):
		key = rest[1:]
	default:
		return false
	}
	var imported map[string]any
	return json.Unmarshal([]byte(d.Imported), &imported) == nil && len(imported) == 1 && imported[key] != nil
}

// override sets the field at path of the app's override key (pod,
// container, deployment, ...) to v.
func (s *Stack) override(app, key string, v any, path ...string) {
	if s.overrides[app] == nil {
		s.overrides[app] = map[string]any{}
	}
	setPath(s.overrides[app], v, append([]string{key}, path...)...)
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
	var sec any
	switch {
	case !s.without.security[a.Name]:
		sec = security(p, spec) // before the containers are read
	case security(p, spec.DeepCopy()) != nil:
		s.Notes = append(s.Notes, fmt.Sprintf("app %s: its securityContexts are a profile of kdecl's, but its pod does not meet the profile's level: overrides, no security", a.Name))
	}
	mi := mainContainer(a.Workload, spec)
	c := spec.Containers[mi]
	app := map[string]any{}
	if sec != nil {
		app["security"] = sec
	}
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
	st := rollout(a.Workload)
	if kind == "statefulset" && st["maxUnavailable"] != nil {
		s.leftAt(a.Name, field{name(a.Workload), "spec.updateStrategy.rollingUpdate.maxUnavailable"}, "updateStrategy.rollingUpdate.maxUnavailable of a statefulset")
		delete(st, "maxUnavailable") // the rest is said
	}
	if len(st) > 0 {
		field := "updateStrategy"
		if kind == "deployment" {
			field = "strategy"
		}
		app[field] = st
	}
	if sn, _ := manifest.Get(a.Workload.Object, "spec", "serviceName").(string); kind == "statefulset" && sn != "" && sn != a.headlessName() {
		s.Notes = append(s.Notes, fmt.Sprintf("StatefulSet %s: its pods' Service, serviceName %s, is kdecl's headless Service %s", a.Workload.Name(), sn, a.headlessName()))
	}
	switch h := a.headlessName(); {
	case h != "" && (a.shares != nil || a.sharedHeadless):
		// apps share a headless Service they name alike, the name
		// their own by default too
		app["headless"] = map[string]any{"name": h}
	case h == "" || kind == "statefulset" && h == schema.HeadlessServiceName(a.Name):
	case h == schema.HeadlessServiceName(a.Name):
		app["headless"] = map[string]any{}
	default:
		app["headless"] = map[string]any{"name": h}
	}
	for _, f := range []string{"minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"} {
		if v := manifest.Get(a.Workload.Object, "spec", f); v != nil {
			app[f] = int(number(v))
		}
	}
	storage := s.storage(p, a, w, c, app)
	if len(storage) > 0 {
		app["storage"] = storage
	}
	vols := podVolumes{storage: map[string]*bool{}}
	for name, v := range storage {
		readOnly, _ := v.(map[string]any)["readOnly"].(bool)
		vols.storage[name] = &readOnly
	}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil && ownConfigMap(a, v.ConfigMap.Name) && vols.config == "" {
			vols.config = v.Name
		}
	}
	vols.unsaid = map[string]bool{}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil && ownConfigMap(a, v.ConfigMap.Name) && v.Name != vols.config &&
			!slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == v.Name }) {
			vols.unsaid[v.Name] = true // as unmounted says
		}
	}
	for _, t := range w.templates {
		if storage[t.Name] == nil {
			vols.unsaid[t.Name] = true // as storage says
		}
	}
	// The kubelet starts containers in order and waits for a postStart
	// hook before the next: then a container before the app's stays
	// there, added by an override, as sidecars come after it.
	ordered := slices.ContainsFunc(spec.Containers, func(c corev1.Container) bool { return c.Lifecycle != nil && c.Lifecycle.PostStart != nil })
	sidecars := map[string]any{}
	for i, other := range spec.Containers {
		switch {
		case i < mi && ordered:
			s.overrideList(a.Name, "pod", toMap(other), "containers")
		case i != mi:
			sidecars[other.Name] = s.sidecar(a, other, "containers", vols)
		}
	}
	if len(sidecars) > 0 {
		app["sidecars"] = sidecars
	}
	// Init containers that wait for a job come first, then those that
	// wait for an app, its uses, where kdecl puts its wait containers.
	jobs := jobWaits(p, a, spec.InitContainers)
	waits := jobs
	for waits < len(spec.InitContainers) && waitsFor(p, spec.InitContainers[waits]) != "" {
		waits++
	}
	var uses, inits []any
	for i, ic := range spec.InitContainers {
		if i < jobs {
			s.after[a.Name] = append(s.after[a.Name], jobWait(p, ic))
			continue
		}
		if dep := waitsFor(p, ic); dep != "" && i >= waits {
			s.Notes = append(s.Notes, fmt.Sprintf("app %s: init container %s waits for app %s after other init containers: kept as it is, not a use", a.Name, ic.Name, dep))
		} else if dep != "" {
			uses = append(uses, map[string]any{"app": dep, "env": false})
			s.Notes = append(s.Notes, fmt.Sprintf("app %s: init container %s waits for app %s: uses, with kdecl's wait container", a.Name, ic.Name, dep))
			continue
		}
		init := s.sidecar(a, ic, "initContainers", vols)
		init["name"] = ic.Name
		inits = append(inits, init)
	}
	if len(uses) > 0 {
		app["uses"] = uses
	}
	if len(inits) > 0 {
		app["initContainers"] = inits
	}
	s.unmounted(a, spec, c, vols)

	a.mainPorts = c.Ports
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
			s.leftAt(a.Name, podField(a, `containers["(app)"].`+name+"Probe"), "spec.containers[%s].%sProbe", c.Name, name)
		}
	}
	if len(probes) > 0 {
		app["probes"] = probes
	}
	if expose := s.expose(a, portName); len(expose) > 0 {
		app["expose"] = expose
	}
	if v, ok := s.headlessPublish[a.Name]; ok {
		h, _ := app["headless"].(map[string]any)
		if h == nil {
			h = map[string]any{}
			app["headless"] = h
		}
		h["publishNotReadyAddresses"] = v
	}
	if err := s.configAndEnv(p, a, spec, c, app); err != nil {
		return nil, err
	}
	fileEnv(a, app)
	s.unread(a, w, c, app)
	if o := s.overrides[a.Name]; len(o) > 0 {
		// Selectors of the pods of an app (affinity, spread constraints)
		// select them by kdecl's labels.
		importLinks(p, s.Name, s.portNames).relink(o)
		app["overrides"] = o
	}
	if c.Name != a.Name {
		// kdecl names the app's container after the app: what refers
		// to it by name (a sidecar's variable of its limits, a
		// downward API file) refers to it so.
		renameContainerRefs(app, c.Name, a.Name)
	}
	return app, nil
}

// renameContainerRefs renames, in v, each containerName from to to.
func renameContainerRefs(v any, from, to string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "containerName" && e == from {
				v[k] = to
				continue
			}
			renameContainerRefs(e, from, to)
		}
	case []any:
		for _, e := range v {
			renameContainerRefs(e, from, to)
		}
	}
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

// setPath sets the field at path of m to v, making the objects on the
// path.
func setPath(m map[string]any, v any, path ...string) {
	manifest.Map(m, path[:len(path)-1]...)[path[len(path)-1]] = v
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
	labels := map[string]any{}
	for k, v := range tmpl.Labels {
		switch {
		case k == "app.kubernetes.io/component":
			app["component"] = v
		case !schema.KdeclLabel(k) && !schema.ControllerLabel(k):
			labels[k] = v
		}
	}
	if len(labels) > 0 {
		// The pods keep their labels, which other objects may select
		// them by; kdecl's labels of the app go on all its objects.
		app["labels"] = labels
	}
	if ann := maps.Clone(tmpl.Annotations); len(ann) > 0 {
		delete(ann, schema.ConfigHashAnnotation) // kdecl's own, when it rendered the manifests
		for k := range ann {
			if strings.HasPrefix(k, "container.apparmor.security.beta.kubernetes.io/") {
				s.leftAt(a.Name, podField(a, fmt.Sprintf("annotations[%q]", k)), "annotation %s: kdecl refuses AppArmor's annotations; set securityContext.appArmorProfile", k)
				delete(ann, k)
			}
		}
		if ann[defaultContainerAnnotation] == c.Name {
			ann[defaultContainerAnnotation] = a.Name // the app's container is named after the app
		}
		if len(ann) > 0 {
			app["podAnnotations"] = ann
		}
	}
	pod := toMap(tmpl.Spec)
	for _, k := range slices.Sorted(maps.Keys(pod)) {
		if slices.Contains(readPod, k) {
			continue
		}
		v := pod[k]
		switch k {
		case "terminationGracePeriodSeconds":
			if n := *tmpl.Spec.TerminationGracePeriodSeconds; n < 0 {
				s.leftAt(a.Name, podField(a, "spec."+k), "the pod's terminationGracePeriodSeconds %d: below kdecl's 0", n)
			} else if n != corev1.DefaultTerminationGracePeriodSeconds {
				app[k] = n
			}
		case "restartPolicy":
			if w.kind == "job" || w.kind == "cronjob" {
				if v != "Never" {
					app[k] = v
				}
			} else if v != "Always" {
				s.leftAt(a.Name, podField(a, "spec."+k), "the pod's restartPolicy %v", v)
			}
		case "serviceAccountName", "serviceAccount":
			if v != "" && v != "default" {
				setPath(app, v, "serviceAccount", "name")
				setPath(app, false, "serviceAccount", "create")
			}
		case "automountServiceAccountToken":
			setPath(app, v, "serviceAccount", "automountToken")
			if tmpl.Spec.ServiceAccountName == "" && tmpl.Spec.DeprecatedServiceAccount == "" {
				setPath(app, "default", "serviceAccount", "name") // the namespace's, which kdecl does not create
				setPath(app, false, "serviceAccount", "create")
			}
		default:
			s.override(a.Name, "pod", v, k)
		}
	}
	s.unreadFields(a, c, readContainer, func(k string, v any) {
		if k == "lifecycle" {
			if l, ok := lifecycle(c.Lifecycle, portNames(c)); ok {
				app[k] = l
				return
			}
			s.leftAt(a.Name, podField(a, `containers["(app)"].lifecycle`), "the container's lifecycle: a hook kdecl's handlers cannot say")
			if c.Lifecycle.PostStart != nil {
				// Without the hook, the order of the containers no
				// longer holds them back.
				s.leftOut = append(s.leftOut, podField(a, "containerOrder"))
			}
			return
		}
		s.override(a.Name, "container", v, k)
	})
}

// portNames are the names of a container's ports, by number.
func portNames(c corev1.Container) map[int32]string {
	names := map[int32]string{}
	for _, p := range c.Ports {
		if p.Name != "" {
			names[p.ContainerPort] = p.Name
		}
	}
	return names
}

// httpGet is an HTTP probe or hook in kdecl's fields, its port by name
// where the app names it; false if it cannot be said (a host, a header
// twice, no port).
func httpGet(g *corev1.HTTPGetAction, portName map[int32]string) (map[string]any, bool) {
	http := map[string]any{}
	if g.Path != "" {
		http["path"] = g.Path
	}
	switch {
	case g.Port.StrVal != "":
		http["port"] = g.Port.StrVal
	case portName[g.Port.IntVal] != "":
		http["port"] = portName[g.Port.IntVal]
	case g.Port.IntVal > 0:
		http["port"] = int(g.Port.IntVal)
	default:
		return nil, false
	}
	if g.Scheme != "" && g.Scheme != corev1.URISchemeHTTP {
		http["scheme"] = string(g.Scheme)
	}
	if len(g.HTTPHeaders) > 0 {
		headers := map[string]any{}
		for _, hd := range g.HTTPHeaders {
			if _, dup := headers[hd.Name]; dup {
				return nil, false
			}
			headers[hd.Name] = hd.Value
		}
		http["headers"] = headers
	}
	return http, g.Host == ""
}

// lifecycle is a container's hooks in kdecl's fields; false if one of
// them cannot be said (a tcpSocket hook, an http one with a host).
func lifecycle(l *corev1.Lifecycle, portName map[int32]string) (map[string]any, bool) {
	out := map[string]any{}
	for name, h := range map[string]*corev1.LifecycleHandler{"postStart": l.PostStart, "preStop": l.PreStop} {
		if h == nil {
			continue
		}
		switch {
		case h.Exec != nil && len(h.Exec.Command) > 0:
			out[name] = map[string]any{"exec": map[string]any{"command": h.Exec.Command}}
		case h.Sleep != nil:
			out[name] = map[string]any{"sleep": map[string]any{"seconds": h.Sleep.Seconds}}
		case h.HTTPGet != nil:
			http, ok := httpGet(h.HTTPGet, portName)
			if !ok {
				return nil, false
			}
			out[name] = map[string]any{"http": http}
		default:
			return nil, false
		}
	}
	return out, true
}

// workloadField says the field k of a workload's spec (at path of the
// workload, in kind's terms): natively if kdecl has a field for it.
func (s *Stack) workloadField(a *App, app map[string]any, kind, key string, path []string, k string, v any) {
	if native, ok := nativeWorkload[kind][k]; ok {
		if n, isNum := v.(json.Number); isNum {
			v, _ = n.Int64()
		}
		setPath(app, v, strings.Split(native, ".")...)
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
func (s *Stack) sidecar(a *App, c corev1.Container, list string, vols podVolumes) map[string]any {
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
	exp := newExpansion(c, func(string) []string { return nil })
	for i, e := range c.Env {
		if e.ValueFrom != nil {
			valueFrom = append(valueFrom, toMap(e))
			continue
		}
		env[e.Name] = exp.escape(i, e.Value)
	}
	if len(env) > 0 {
		out["env"] = env
	}
	if len(valueFrom) > 0 {
		rest["env"] = valueFrom
	}
	mounts := map[string]any{}
	var other []any
	for _, m := range c.VolumeMounts {
		plain := m.SubPath == "" && m.SubPathExpr == "" && m.MountPropagation == nil && m.RecursiveReadOnly == nil
		switch {
		case vols.unsaid[m.Name]:
			// not said, as its volume is not: a mount of no volume
			// would not render
			if list == "containers" {
				s.leftOut = append(s.leftOut, podField(a, fmt.Sprintf("containers.%s.mounts[%q]", c.Name, m.MountPath)))
			}
		case plain && m.Name == vols.config && out["configMount"] == nil:
			out["configMount"] = m.MountPath
		case plain && vols.storage[m.Name] != nil && m.ReadOnly == *vols.storage[m.Name] && mounts[m.Name] == nil:
			mounts[m.Name] = m.MountPath
		default:
			mm := toMap(m)
			if m.Name == vols.config {
				mm["name"] = schema.ConfigVolume // kdecl's name of the app's config volume
			}
			other = append(other, mm)
		}
	}
	if len(mounts) > 0 {
		out["mounts"] = mounts
	}
	if len(other) > 0 {
		rest["volumeMounts"] = other
	}
	s.unreadFields(a, c, []string{"name", "image", "imagePullPolicy", "command", "args", "resources", "ports", "env", "volumeMounts"}, func(k string, v any) { rest[k] = v })
	if len(rest) > 0 {
		rest["name"] = c.Name
		s.overrideList(a.Name, "pod", rest, list)
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

// onlyCommand says whether the container sets nothing but its name,
// image, pull policy, command and args, as kdecl's wait containers.
func onlyCommand(c corev1.Container) bool {
	rest := *c.DeepCopy()
	rest.Name, rest.Image, rest.Command, rest.Args, rest.ImagePullPolicy = "", "", nil, nil, ""
	rest.TerminationMessagePath, rest.TerminationMessagePolicy = "", "" // defaults
	return reflect.DeepEqual(rest, corev1.Container{})
}

// waitService is the Service an init container waits for, as kdecl's
// wait containers and the book's loops do: a shell loop of busybox over
// nslookup of a Service of namespace, by its name alone or qualified;
// "" if it is none, or sets anything more (a security context,
// resources), which kdecl's wait container would not keep.
func waitService(c corev1.Container, namespace string) string {
	cmd := append(slices.Clone(c.Command), c.Args...)
	if len(cmd) != 3 || cmd[0] != "sh" || cmd[1] != "-c" || !strings.HasPrefix(c.Image, "busybox") {
		return ""
	}
	if !onlyCommand(c) {
		return ""
	}
	m := waitPattern.FindStringSubmatch(strings.TrimSpace(cmd[2]))
	if m == nil {
		return ""
	}
	labels := strings.Split(m[1], ".")
	if len(labels) > 1 && (labels[1] != namespace || len(labels) > 2 && labels[2] != "svc") {
		return "" // a Service of another namespace
	}
	return labels[0]
}

// waitsFor is the app whose Service an init container waits for, or "".
func waitsFor(p *Plan, c corev1.Container) string {
	host := waitService(c, p.Namespace)
	if host == "" {
		return ""
	}
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
	// The regular Services say which ports kdecl's Services have, else
	// the headless one kdecl renders; a port of neither has service: false.
	regular := a.regularServices()
	mapped := regular
	if len(regular) == 0 {
		for _, svc := range a.Services {
			if svc.Name() == a.headlessName() {
				mapped = append(mapped, svc)
			}
		}
		if a.shares != nil {
			mapped = append(mapped, *a.shares)
		}
	}
	ports := map[string]any{}
	names := map[int32]string{}
	for _, cp := range c.Ports {
		name := cp.Name
		servicePort, targeted := int32(0), false
		var named [][2]string // the Service ports that target it, by Service and name
		for _, svc := range mapped {
			sp, _ := manifest.Get(svc.Object, "spec", "ports").([]any)
			for _, v := range sp {
				m, _ := v.(map[string]any)
				port := number(m["port"])
				target := m["targetPort"]
				if _, named := target.(string); !named && number(target) == 0 { // unset, or 0 as its type marshals unset
					target = json.Number(strconv.Itoa(int(port)))
				}
				protocol, _ := m["protocol"].(string)
				if cmp.Or(protocol, "TCP") != cmp.Or(string(cp.Protocol), "TCP") {
					continue
				}
				if t, ok := target.(string); ok && t == cp.Name || number(target) == cp.ContainerPort {
					targeted = true
					if n, _ := m["name"].(string); n != "" {
						named = append(named, [2]string{svc.Name(), n})
					}
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
		for _, sn := range named {
			if s.portNames[sn[0]] == nil {
				s.portNames[sn[0]] = map[string]string{}
			}
			s.portNames[sn[0]][sn[1]] = name
		}
		hidden := !targeted && len(mapped) > 0
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
// names them; false if kdecl cannot say it (a gRPC probe's mode, a port
// by a name the app does not have).
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
		http, ok := httpGet(h.HTTPGet, portName)
		if !ok {
			return nil, false
		}
		out["http"] = http
	case h.TCPSocket != nil:
		pv, ok := port(h.TCPSocket.Port.IntVal, h.TCPSocket.Port.StrVal)
		if !ok || h.TCPSocket.Host != "" {
			return nil, false
		}
		out["tcp"] = map[string]any{"port": pv}
	case h.GRPC != nil && h.GRPC.Mode == nil:
		pv, ok := port(h.GRPC.Port, "")
		if !ok {
			return nil, false
		}
		grpc := map[string]any{"port": pv}
		if h.GRPC.Service != nil {
			grpc["service"] = *h.GRPC.Service
		}
		out["grpc"] = grpc
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
	regular := a.regularServices()
	publish := func(d manifest.Doc) bool { return manifest.Get(d.Object, "spec", "publishNotReadyAddresses") == true }
	services := a.Services
	if a.shares != nil {
		services = append(slices.Clone(services), *a.shares)
	}
	for _, svc := range services {
		switch {
		case !headless(svc):
		case svc.Name() != a.headlessName():
			s.left(a.Name, "Service %s: a second headless Service", svc.Name())
		default:
			switch {
			case a.shares != nil: // the other app's to say
			case a.sharedHeadless:
				// No override patches a headless Service apps share:
				// what one would say is not said.
				key := "service/" + svc.Name()
				s.serviceRest(a, svc, key, nil)
				if o := s.overrides[a.Name][key]; o != nil {
					delete(s.overrides[a.Name], key)
					var paths []string
					each := func(top string) {
						for _, k := range slices.Sorted(maps.Keys(manifest.Map(o.(map[string]any), top))) {
							paths = append(paths, top+"."+k)
						}
					}
					each("metadata")
					each("spec")
					for _, path := range paths {
						s.leftOut = append(s.leftOut, field{"Service/" + svc.Name(), path})
					}
					s.left(a.Name, "Service %s: %s of a headless Service apps share, which no override patches", svc.Name(), strings.Join(paths, ", "))
				}
			default:
				s.serviceRest(a, svc, "service/"+svc.Name(), nil)
			}
			if len(regular) > 0 && publish(svc) != publish(regular[0]) {
				// expose says the regular Service's, which kdecl's
				// headless one has too unless headless says its own
				s.headlessPublish[a.Name] = publish(svc)
			}
		}
	}
	if len(regular) == 0 {
		out := map[string]any{"type": "none"}
		for _, svc := range services { // a statefulset's headless Service
			if manifest.Get(svc.Object, "spec", "publishNotReadyAddresses") == true {
				out["publishNotReadyAddresses"] = true
			}
		}
		return out
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
	s.serviceRest(a, regular[0], "service/"+a.Name, out)
	for _, p := range svc.Spec.Ports {
		declared := slices.ContainsFunc(a.mainPorts, func(cp corev1.ContainerPort) bool {
			return cp.Name == p.TargetPort.StrVal || p.TargetPort.StrVal == "" && cp.ContainerPort == cmp.Or(p.TargetPort.IntVal, p.Port)
		})
		if !declared {
			s.left(a.Name, "Service %s: port %d targets %s, which the app's container does not declare", svc.Name, p.Port, p.TargetPort.String())
		}
	}
	spec := svc.Spec
	switch kind := a.Workload.Kind(); {
	case spec.Type != "" && spec.Type != corev1.ServiceTypeClusterIP:
		out["type"] = string(spec.Type)
	case kind == "DaemonSet" || kind == "Job" || kind == "CronJob": // whose Service is none unless said
		out["type"] = string(corev1.ServiceTypeClusterIP)
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
	switch ip := spec.LoadBalancerIP; {
	case ip == "":
	case spec.Type != corev1.ServiceTypeLoadBalancer:
		s.leftAt(a.Name, field{"Service/" + svc.Name, "spec.loadBalancerIP"}, "Service %s: loadBalancerIP %q, which kdecl sets only on a LoadBalancer Service, and the Service is %s", svc.Name, ip, cmp.Or(spec.Type, corev1.ServiceTypeClusterIP))
	case !schema.IPAddress(ip):
		s.leftAt(a.Name, field{"Service/" + svc.Name, "spec.loadBalancerIP"}, "Service %s: loadBalancerIP %q, which is not an IP address (kdecl refuses it; the API server does not check it)", svc.Name, ip)
	default:
		out["loadBalancerIP"] = ip
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

// serviceSpec are the fields of a Service's spec that kdecl's fields
// say, or that a Service of kdecl's leaves to the API server.
var serviceSpec = []string{"ports", "selector", "type", "sessionAffinity", "externalTrafficPolicy",
	"loadBalancerSourceRanges", "loadBalancerIP", "publishNotReadyAddresses", "clusterIP"}

// serviceRest says the annotations of an app's Service (in expose, if
// given, else as an override) and the fields of its spec kdecl's do
// not, as an override of key.
func (s *Stack) serviceRest(a *App, svc manifest.Doc, key string, expose map[string]any) {
	if ann := manifest.Map(svc.Object, "metadata", "annotations"); len(ann) > 0 {
		if expose != nil {
			expose["annotations"] = ann
		} else {
			s.override(a.Name, key, ann, "metadata", "annotations")
		}
	}
	spec := manifest.Map(svc.Object, "spec")
	for _, k := range slices.Sorted(maps.Keys(spec)) {
		if !slices.Contains(serviceSpec, k) || k == "clusterIP" && spec[k] != "None" {
			s.override(a.Name, key, spec[k], "spec", k)
		}
	}
	// Of a port, kdecl's fields say all but its appProtocol, which an
	// override sets on the port of its number; ports that share a number
	// a patch cannot tell apart.
	var protocols []any
	ports, _ := spec["ports"].([]any)
	numbers := map[int32]int{}
	for _, v := range ports {
		m, _ := v.(map[string]any)
		numbers[number(m["port"])]++
	}
	for _, v := range ports {
		m, _ := v.(map[string]any)
		if ap, ok := m["appProtocol"].(string); ok && ap != "" && numbers[number(m["port"])] == 1 {
			protocols = append(protocols, map[string]any{"port": int(number(m["port"])), "appProtocol": ap})
		}
	}
	if len(protocols) > 0 {
		s.override(a.Name, key, protocols, "spec", "ports")
	}
}
