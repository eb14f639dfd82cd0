package importer

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/schema"
)

// Rendered is an object the imported stack renders, and its app ("" for
// the stack's own).
type Rendered struct {
	App    string
	Object map[string]any
}

// Report is what an import chose and what Compare found.
type Report struct {
	// Notes say what import chose, one line each.
	Notes []string `json:"notes"`
	// Secrets are the Secrets the stack refers to, which must exist in
	// the cluster: import never reads a Secret's values.
	Secrets []string `json:"secrets"`
	// Left is what the stack could not say, by app: each is a difference
	// too.
	Left map[string][]string `json:"left"`
	// Renamed are the objects whose name changed, and other names kdecl
	// chose (an app's container, a Service's ports).
	Renamed []Rename `json:"renamed"`
	// Labels are the labels that changed, by object.
	Labels []LabelChange `json:"labels"`
	// Added are the objects kdecl renders that were not imported: the
	// stack's Namespace, a StatefulSet's headless Service.
	Added []string `json:"added"`
	// Recreate are the workloads whose fields the API server does not let
	// change that the stack renders otherwise (a selector, a
	// StatefulSet's serviceName or claim templates): to apply the render
	// over the objects read, they must be deleted first.
	Recreate []string `json:"recreate"`
	// Credentials are the variables that took a credential from a
	// ConfigMap and take it from a Secret now.
	Credentials []string `json:"credentials"`
	// Differences are every other difference. Import writes a stack only
	// when there is none.
	Differences []Difference `json:"differences"`
}

// Rename is a name that changed.
type Rename struct {
	Object string `json:"object"` // Kind/name as imported
	What   string `json:"what"`   // "" for the object's name, else what was named
	From   string `json:"from"`
	To     string `json:"to"`
}

// LabelChange are the labels of one object, or of its pods, that changed.
type LabelChange struct {
	Object  string            `json:"object"`
	Pods    bool              `json:"pods,omitempty"` // the pod template's
	Removed map[string]string `json:"removed,omitempty"`
	Added   map[string]string `json:"added,omitempty"`
}

// Difference is a field whose meaning changed.
type Difference struct {
	Object   string `json:"object"` // Kind/name as imported, or as rendered if it was not
	Path     string `json:"path"`
	Imported string `json:"imported"` // JSON, "" when absent
	Rendered string `json:"rendered"`
}

// Compare compares, object by object and by meaning, the objects p was
// made of with those the stack written from it renders. Meaning is what
// the objects do once the API server stored them: fields at their
// defaults equal fields left unset, environment variables are their
// values wherever they come from, volumes are what they mount where.
// Names kdecl chooses, labels, selectors and the config hash are
// reported apart.
func Compare(p *Plan, rendered []Rendered) *Report {
	c := &comparison{r: &Report{}, plan: p, objects: p.Objects}
	c.imported = newSide(p.docs())
	c.imported.imported = true
	c.imported.namespace = p.Namespace
	var docs []manifest.Doc
	for _, r := range rendered {
		if p.ApplySet != "" { // read without it: the stack's applySet says it
			withoutAnnotation(r.Object, schema.ApplySetAnnotation)
		}
		docs = append(docs, manifest.Doc{Object: r.Object})
	}
	c.rendered = newSide(docs)
	c.rendered.namespace = p.Namespace
	byApp := map[string][]manifest.Doc{}
	for _, r := range rendered {
		byApp[r.App] = append(byApp[r.App], manifest.Doc{Object: r.Object})
	}
	// A headless Service apps share is the stack's: it is compared as
	// the Service of the app whose Services hold the one read.
	for _, a := range p.Apps {
		for _, svc := range a.Services {
			if i := slices.IndexFunc(byApp[""], func(d manifest.Doc) bool {
				return d.Kind() == "Service" && d.Name() == svc.Name() && manifest.Get(d.Object, "spec", "selector", schema.HeadlessLabel) != nil
			}); i >= 0 && headless(svc) {
				byApp[a.Name] = append(byApp[a.Name], byApp[""][i])
				byApp[""] = slices.Delete(byApp[""], i, i+1)
			}
		}
	}
	impWorkloads, renWorkloads := map[string]manifest.Doc{}, map[string]manifest.Doc{}
	for _, a := range p.Apps {
		impWorkloads[a.Name] = a.Workload
		for _, d := range byApp[a.Name] {
			if d.Kind() == a.Workload.Kind() {
				renWorkloads[a.Name] = d
			}
		}
	}
	c.imported.links = markers(impWorkloads, c.imported.serviceApp, c.imported.servicePorts)
	c.rendered.links = markers(renWorkloads, c.rendered.serviceApp, c.rendered.servicePorts)
	for _, a := range p.Apps {
		for _, d := range byApp[a.Name] {
			if d.Kind() == "Service" {
				c.rendered.serviceApp[d.Name()] = a.Name
			}
		}
		for _, d := range a.Services {
			c.imported.serviceApp[d.Name()] = a.Name
		}
	}
	for _, a := range p.Apps {
		own := byApp[a.Name]
		var workload *manifest.Doc
		for i, d := range own {
			if d.Kind() == a.Workload.Kind() {
				workload = &own[i]
			}
		}
		if workload == nil {
			c.differ(a.Workload, "", a.Workload.Kind(), "")
			continue
		}
		c.workload(a, a.Workload, *workload)
		c.services(a, a.Workload, *workload, own)
		for _, cm := range a.ConfigMaps { // the app's config: compared where the pods use it
			for _, r := range own {
				if r.Kind() == "ConfigMap" {
					c.rename(name(cm), "", cm.Name(), r.Name())
					c.labels(name(cm), false, cm.Object, r.Object)
					c.diff(name(cm), "metadata.annotations", manifest.Get(cm.Object, "metadata", "annotations"), manifest.Get(r.Object, "metadata", "annotations"))
					c.diff(name(cm), "immutable", cm.Object["immutable"], r.Object["immutable"])
				}
			}
		}
	}
	objs := map[string]manifest.Doc{}
	for _, d := range append(byApp[""], objectsOfApps(p, byApp)...) {
		objs[d.Kind()+"/"+d.Name()] = d
	}
	for _, d := range p.Objects {
		key := d.Kind() + "/" + d.Name()
		if to, ok := p.ObjectNames[key]; ok {
			c.rename(key, "", d.Name(), to)
			key = d.Kind() + "/" + to
		}
		r, ok := objs[key]
		if !ok {
			c.differ(d, "", d.Kind(), "")
			continue
		}
		delete(objs, key)
		c.labels(key, false, d.Object, r.Object)
		x, y := strip(d.Object), strip(r.Object)
		c.imported.links.relink(x)
		c.rendered.links.relink(y)
		c.diff(key, "", x, y)
	}
	for _, key := range slices.Sorted(maps.Keys(objs)) {
		d := objs[key]
		switch {
		case d.Kind() == "Namespace" && d.Name() == p.Namespace && p.NamespaceDoc != nil:
			c.labels(key, false, p.NamespaceDoc.Object, d.Object)
			c.diff(key, "", strip(p.NamespaceDoc.Object), strip(d.Object))
		case d.Kind() == "Namespace" && d.Name() == p.Namespace:
			c.r.Added = append(c.r.Added, key+": the stack's namespace")
		case d.Kind() == "ConfigMap" && p.Shared[d.Name()] != nil:
		default:
			c.differ(manifest.Doc{}, key, "", d.Kind())
		}
	}
	names := serviceNames(p)
	c.selections(p, rendered, names)
	c.dnsNames(p, names)
	return c.r
}

// dnsNames checks that each name of a Service read that a string of the
// objects read refers to (a seed list's cassandra-0.cassandra, a URL's
// host) is a Service once rendered: kdecl may name an app's Service
// after the app.
func (c *comparison) dnsNames(p *Plan, names map[string]string) {
	// A name is gone when the Service read of that name renders under
	// another, whether or not another Service takes the name.
	gone := map[string]string{} // by name read, the name rendered
	for from, to := range names {
		if to != from {
			gone[from] = to
		}
	}
	if len(gone) == 0 {
		return
	}
	for _, d := range p.docs() {
		if d.Kind() == "Secret" {
			continue
		}
		for _, svc := range slices.Sorted(maps.Keys(gone)) {
			if v := referenceTo(d.Object, svc); v != "" {
				c.r.Differences = append(c.r.Differences, Difference{Object: name(d), Path: "(a value)",
					Imported: fmt.Sprintf("%q, which names Service %s", v, svc), Rendered: fmt.Sprintf("Service %s as Service %s", svc, gone[svc])})
			}
		}
	}
}

// notReferences are the fields whose strings are names, labels and
// images, which name no Service as DNS does: an object's, a container's
// or a port's name (a variable's too, whose value is read), a selector.
var notReferences = []string{"name", "namespace", "labels", "selector", "matchLabels", "image", "serviceName", "generateName", "uid"}

// referenceTo is the first string of v that names the Service svc as a
// DNS name does (svc, svc.NAMESPACE, a pod's POD.svc, svc:PORT), or "".
func referenceTo(v any, svc string) string {
	switch v := v.(type) {
	case string:
		lower := strings.ToLower(v) // DNS names are case-insensitive
		for i := strings.Index(lower, svc); i >= 0; {
			before, after := lower[:i], lower[i+len(svc):]
			if (before == "" || strings.ContainsAny(before[len(before)-1:], "./@ \t\n,=\"'[({")) &&
				(after == "" || strings.ContainsAny(after[:1], ".: \t\n,/\"')];?&}")) {
				return v
			}
			j := strings.Index(lower[i+1:], svc)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if slices.Contains(notReferences, k) {
				continue
			}
			if r := referenceTo(v[k], svc); r != "" {
				return r
			}
		}
	case []any:
		for _, e := range v {
			if r := referenceTo(e, svc); r != "" {
				return r
			}
		}
	}
	return ""
}

// selections checks that every Service read selects the pods of the
// same workloads once rendered: an app's by its app, any other by its
// kind and name.
func (c *comparison) selections(p *Plan, rendered []Rendered, names map[string]string) {
	type workload struct {
		id     string
		labels map[string]any
	}
	appOf := map[string]string{} // an imported workload's app, by Kind/name
	for _, a := range p.Apps {
		appOf[name(a.Workload)] = a.Name
	}
	var imported, ren []workload
	services := map[string]manifest.Doc{} // rendered, by name
	for _, d := range p.docs() {
		if l, ok := templateLabels(d); ok {
			id := name(d)
			if app, ok := appOf[id]; ok {
				id = "app " + app
			}
			imported = append(imported, workload{id, l})
		}
	}
	for _, r := range rendered {
		d := manifest.Doc{Object: r.Object}
		if d.Kind() == "Service" {
			services[d.Name()] = d
		}
		if l, ok := templateLabels(d); ok {
			id := name(d)
			if _, isApp := Workloads[d.Kind()]; isApp && r.App != "" {
				id = "app " + r.App
			}
			ren = append(ren, workload{id, l})
		}
	}
	selected := func(sel map[string]any, ws []workload) []string {
		var out []string
		for _, w := range ws {
			if len(sel) > 0 && selects(sel, w.labels) {
				out = append(out, w.id)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, d := range p.docs() {
		if d.Kind() != "Service" {
			continue
		}
		sel, _ := manifest.Get(d.Object, "spec", "selector").(map[string]any)
		if len(sel) == 0 {
			continue // a Service of endpoints of its own
		}
		r, ok := services[names[d.Name()]]
		if !ok {
			continue // a difference already: not rendered
		}
		rsel, _ := manifest.Get(r.Object, "spec", "selector").(map[string]any)
		if want, got := selected(sel, imported), selected(rsel, ren); !slices.Equal(want, got) {
			c.r.Differences = append(c.r.Differences, Difference{Object: name(d), Path: "spec.selector",
				Imported: "the pods of " + orNone(strings.Join(want, ", ")), Rendered: "the pods of " + orNone(strings.Join(got, ", "))})
		}
	}
}

// serviceNames are the names of the Services read once rendered, by
// the name read: an app's regular Service is named after the app.
func serviceNames(p *Plan) map[string]string {
	out := map[string]string{}
	for _, d := range p.docs() {
		if d.Kind() != "Service" {
			continue
		}
		out[d.Name()] = d.Name()
		if n, ok := p.ObjectNames["Service/"+d.Name()]; ok {
			out[d.Name()] = n
		}
	}
	for _, a := range p.Apps {
		for _, svc := range a.Services {
			if !headless(svc) {
				out[svc.Name()] = a.Name
			}
		}
	}
	return out
}

// templateLabels are the labels of the pods of d, a workload or a pod,
// and whether d has pods.
func templateLabels(d manifest.Doc) (map[string]any, bool) {
	switch d.Kind() {
	case "Pod":
		l, _ := manifest.Get(d.Object, "metadata", "labels").(map[string]any)
		return l, true
	case "ReplicationController", "ReplicaSet":
		l, _ := manifest.Get(d.Object, "spec", "template", "metadata", "labels").(map[string]any)
		return l, true
	}
	if _, ok := Workloads[d.Kind()]; ok {
		return podLabels(d), true
	}
	return nil, false
}

// objectsOfApps are the objects the apps render other than their
// workload, Services, ConfigMaps and claims: their objects.
func objectsOfApps(p *Plan, byApp map[string][]manifest.Doc) []manifest.Doc {
	var out []manifest.Doc
	for _, a := range p.Apps {
		for _, d := range byApp[a.Name] {
			switch {
			case d.Kind() == a.Workload.Kind(), kdeclService(a, d), d.Kind() == "ConfigMap", d.Kind() == "PersistentVolumeClaim":
			default:
				out = append(out, d)
			}
		}
	}
	return out
}

// kdeclService says whether d is a Service kdecl makes for the app, not
// one of its objects.
func kdeclService(a *App, d manifest.Doc) bool {
	if d.Kind() != "Service" {
		return false
	}
	return d.Name() == a.Name && len(a.regularServices()) > 0 || d.Name() == a.headlessName()
}

// docs are the objects p was made of, but its Secrets.
func (p *Plan) docs() []manifest.Doc {
	var out []manifest.Doc
	for _, a := range p.Apps {
		out = append(out, a.Workload)
		out = append(out, a.Services...)
		out = append(out, a.ConfigMaps...)
		out = append(out, a.Claims...)
	}
	for _, sc := range p.Shared {
		out = append(out, sc.ConfigMap)
	}
	return append(out, p.Objects...)
}

type comparison struct {
	imported, rendered *side
	r                  *Report
	plan               *Plan
	objects            []manifest.Doc // the imported objects of no app
}

// side is the objects of one side, for what pods refer to.
type side struct {
	// imported is the imported side, whose credentials in ConfigMaps
	// the stack reads from Secrets; moved says which, for one workload.
	imported   bool
	moved      []string
	configMaps map[string]*corev1.ConfigMap
	claims     map[string]*corev1.PersistentVolumeClaim
	serviceApp map[string]string // a Service's app
	namespace  string            // the stack's
	// servicePorts are the Services' ports, by Service and name.
	servicePorts map[string]map[string]int32
	// links say what objects refer to of the apps, as markers that
	// both sides share.
	links links
}

// markers link objects to the apps of a side: an app's pods, Service or
// workload, by what apps says of the side's objects.
func markers(apps map[string]manifest.Doc, serviceApp map[string]string, servicePorts map[string]map[string]int32) links {
	return links{
		pods: func(ml map[string]any) (any, string) {
			var found []string
			selector := selectorOf(ml)
			for app, w := range apps {
				if selector.Matches(labelSet(podLabels(w))) {
					found = append(found, app)
				}
			}
			if len(found) == 0 {
				return nil, ""
			}
			slices.Sort(found)
			return "(the pods of " + strings.Join(found, ", ") + ")", found[0]
		},
		service: func(name string) (any, string) {
			app := serviceApp[name]
			return "(a Service of app " + app + ")", app
		},
		port: func(service, name string) any {
			if n, ok := servicePorts[service][name]; ok {
				return fmt.Sprintf("(port %d)", n)
			}
			return nil
		},
		// a backend's port by number is the port by name
		numbered: func(service string, number int32) any {
			for _, n := range servicePorts[service] {
				if n == number {
					return fmt.Sprintf("(port %d)", n)
				}
			}
			return nil
		},
		workload: func(kind, name string) (any, string) {
			for app, w := range apps {
				if w.Kind() == kind && w.Name() == name {
					return "(the workload of app " + app + ")", app
				}
			}
			return nil, ""
		},
	}
}

func newSide(docs []manifest.Doc) *side {
	s := &side{configMaps: map[string]*corev1.ConfigMap{}, claims: map[string]*corev1.PersistentVolumeClaim{}, serviceApp: map[string]string{},
		servicePorts: map[string]map[string]int32{}}
	for _, d := range docs {
		switch d.Kind() {
		case "Service":
			if svc, err := typed[corev1.Service](d); err == nil {
				ports := map[string]int32{}
				for _, p := range svc.Spec.Ports {
					ports[p.Name] = p.Port
				}
				s.servicePorts[svc.Name] = ports
			}
		case "ConfigMap":
			if cm, err := typed[corev1.ConfigMap](d); err == nil {
				s.configMaps[cm.Name] = cm
			}
		case "PersistentVolumeClaim":
			if pvc, err := typed[corev1.PersistentVolumeClaim](d); err == nil {
				defaultClaim(fill, &pvc.Spec)
				s.claims[pvc.Name] = pvc
			}
		}
	}
	return s
}

func name(d manifest.Doc) string { return d.Kind() + "/" + d.Name() }

// differ reports an object on one side only.
func (c *comparison) differ(d manifest.Doc, object, imported, rendered string) {
	if object == "" {
		object = name(d)
	}
	c.r.Differences = append(c.r.Differences, Difference{Object: object, Imported: quote(imported), Rendered: quote(rendered)})
}

func quote(kind string) string {
	if kind == "" {
		return ""
	}
	return "a " + kind
}

func (c *comparison) rename(object, what, from, to string) {
	if from != to {
		c.r.Renamed = append(c.r.Renamed, Rename{Object: object, What: what, From: from, To: to})
	}
}

// labels reports the labels of an object, or of its pod template, that
// changed.
func (c *comparison) labels(object string, pods bool, imported, rendered map[string]any) {
	path := []string{"metadata", "labels"}
	if pods {
		path = append(templatePath(imported), path...)
	}
	a, b := manifest.Map(imported, path...), manifest.Map(rendered, path...)
	ch := LabelChange{Object: object, Pods: pods, Removed: map[string]string{}, Added: map[string]string{}}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			ch.Removed[k] = fmt.Sprint(v)
		}
	}
	for k, v := range b {
		if w, ok := a[k]; !ok || w != v {
			ch.Added[k] = fmt.Sprint(v)
		}
	}
	if len(ch.Removed)+len(ch.Added) > 0 {
		c.r.Labels = append(c.r.Labels, ch)
	}
}

func templatePath(obj map[string]any) []string {
	kind, _ := obj["kind"].(string)
	if kind == "" {
		return nil
	}
	return Workloads[kind]
}

// strip removes from an object what Compare reports apart: its labels
// and name.
func strip(obj map[string]any) map[string]any {
	out := toMap(obj)
	manifest.Delete(out, "metadata", "labels")
	manifest.Delete(out, "metadata", "name")
	delete(out, "status")
	return out
}

// toMap is v as JSON decoding gives it, numbers as json.Number, as
// manifest reads them: 1000000 stays an integer. v is one of the maps
// and k8s.io/api types import makes, which marshal.
func toMap(v any) map[string]any {
	out, _ := jsonMap(v)
	return out
}

// jsonMap is toMap, with the error of a v that does not marshal as an
// object.
func jsonMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// workload compares an app's workload.
func (c *comparison) workload(a *App, imp, ren manifest.Doc) {
	object := name(imp)
	immutable := []string{"selector"}
	switch imp.Kind() {
	case "Job", "CronJob":
		immutable = nil // the Job controller makes their selectors
	case "StatefulSet":
		immutable = append(immutable, "serviceName", "volumeClaimTemplates")
	}
	var changed []string
	for _, f := range immutable {
		x, y := manifest.Get(imp.Object, "spec", f), manifest.Get(ren.Object, "spec", f)
		if f == "volumeClaimTemplates" {
			x, y = claimTemplateSpecs(x), claimTemplateSpecs(y)
		}
		if !reflect.DeepEqual(x, y) {
			changed = append(changed, f)
		}
	}
	if len(changed) > 0 {
		c.r.Recreate = append(c.r.Recreate, fmt.Sprintf("%s: %s", object, strings.Join(changed, ", ")))
	}
	c.rename(object, "", imp.Name(), ren.Name())
	c.labels(object, false, imp.Object, ren.Object)
	c.labels(object, true, imp.Object, ren.Object)
	x, main, err := c.imported.canonicalWorkload(imp)
	slices.Sort(c.imported.moved) // found in the order of maps
	for _, m := range c.imported.moved {
		c.r.Credentials = append(c.r.Credentials, object+" "+m)
	}
	c.imported.moved = nil
	if err != nil {
		c.r.Differences = append(c.r.Differences, Difference{Object: object, Imported: err.Error()})
		return
	}
	if main != "" {
		c.rename(object, "container", main, a.Name)
	}
	y, _, err := c.rendered.canonicalWorkload(ren)
	if err != nil {
		c.r.Differences = append(c.r.Differences, Difference{Object: object, Rendered: err.Error()})
		return
	}
	for _, d := range c.objects {
		if scaled(c.plan, d) == a {
			// An autoscaler owns the replicas.
			manifest.Delete(x, "spec", "replicas")
			manifest.Delete(y, "spec", "replicas")
		}
	}
	// Selectors in the pod spec (affinity, spread constraints) by the
	// pods they select.
	c.imported.links.relink(x)
	c.rendered.links.relink(y)
	if sn, _ := manifest.Get(x, "spec", "serviceName").(string); sn != "" {
		rn, _ := manifest.Get(y, "spec", "serviceName").(string)
		if c.imported.serviceApp[sn] == a.Name && c.rendered.serviceApp[rn] == a.Name {
			c.rename(object, "serviceName", sn, rn)
			manifest.Delete(x, "spec", "serviceName")
			manifest.Delete(y, "spec", "serviceName")
		}
	}
	c.diff(object, "", x, y)
}

// claimTemplateSpecs are the names and specs of claim templates, as the
// API server keeps them, without the labels kdecl gives them.
func claimTemplateSpecs(v any) any {
	var out []any
	list, _ := v.([]any)
	for _, t := range list {
		var pvc corev1.PersistentVolumeClaim
		b, _ := json.Marshal(t)
		json.Unmarshal(b, &pvc)
		defaultClaim(fill, &pvc.Spec)
		out = append(out, toMap(map[string]any{"name": pvc.Name, "spec": pvc.Spec}))
	}
	return out
}

// podSpecOf is the pod spec of a workload, nil if it does not decode.
func podSpecOf(d manifest.Doc) *corev1.PodSpec {
	var spec corev1.PodSpec
	b, _ := json.Marshal(manifest.Get(d.Object, append(Workloads[d.Kind()], "spec")...))
	if json.Unmarshal(b, &spec) != nil {
		return nil
	}
	return &spec
}

// canonicalWorkload is a workload as Compare compares it: defaulted,
// without name, labels and selector, its pod template canonical; and the
// name of the app's container.
func (s *side) canonicalWorkload(d manifest.Doc) (map[string]any, string, error) {
	w, err := decodeWorkload(d)
	if err != nil {
		return nil, "", err
	}
	main, mainName := mainContainer(d, &w.template.Spec), ""
	if main < len(w.template.Spec.Containers) {
		mainName = w.template.Spec.Containers[main].Name
	}
	w.defaults(fill)
	pod := s.canonicalPod(w.template, main, w.templates)
	out := toMap(w.obj)
	manifest.Delete(out, "metadata", "labels")
	manifest.Delete(out, "metadata", "name")
	manifest.Delete(out, "metadata", "creationTimestamp")
	manifest.Delete(out, "status")
	manifest.Delete(out, "spec", "selector")
	manifest.Delete(out, "spec", "volumeClaimTemplates")
	path := Workloads[d.Kind()]
	parent := manifest.Map(out, path[:len(path)-1]...)
	delete(parent, "template")
	parent["pod"] = pod
	if d.Kind() == "CronJob" {
		manifest.Delete(out, "spec", "jobTemplate", "metadata", "creationTimestamp")
		manifest.Delete(out, "spec", "jobTemplate", "metadata", "labels")
		if len(manifest.Map(out, "spec", "jobTemplate", "metadata")) == 0 {
			manifest.Delete(out, "spec", "jobTemplate", "metadata")
		}
	}
	return out, mainName, nil
}

// appContainer renames, in spec, each reference to the container from
// (a variable's or a downward API file's resourceFieldRef) to to.
func appContainer(spec *corev1.PodSpec, from, to string) {
	ref := func(r *corev1.ResourceFieldSelector) {
		if r != nil && r.ContainerName == from {
			r.ContainerName = to
		}
	}
	for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range list {
			for j := range list[i].Env {
				if f := list[i].Env[j].ValueFrom; f != nil {
					ref(f.ResourceFieldRef)
				}
			}
		}
	}
	for _, v := range spec.Volumes {
		var files []corev1.DownwardAPIVolumeFile
		if d := v.DownwardAPI; d != nil {
			files = d.Items
		}
		if p := v.Projected; p != nil {
			for _, src := range p.Sources {
				if src.DownwardAPI != nil {
					files = append(files, src.DownwardAPI.Items...)
				}
			}
		}
		for i := range files {
			ref(files[i].ResourceFieldRef) // a pointer the volume's item shares
		}
	}
}

// canonicalPod is a pod template by meaning: its annotations but the
// config hash; its containers by name, the app's (main) as "(app)"; each
// container's env by name and value, wherever the value comes from; its
// mounts by path, each with what it mounts; init containers that wait for
// an app's Service as {waitsFor: app}.
func (s *side) canonicalPod(t *corev1.PodTemplateSpec, main int, templates []corev1.PersistentVolumeClaim) map[string]any {
	t = t.DeepCopy()
	spec := &t.Spec
	if main < len(spec.Containers) {
		appContainer(spec, spec.Containers[main].Name, "(app)")
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	claimTemplates := map[string]corev1.PersistentVolumeClaim{}
	for _, ct := range templates {
		claimTemplates[ct.Name] = ct
	}
	mounted := map[string]bool{}
	out := map[string]any{}
	if ann := maps.Clone(t.Annotations); len(ann) > 0 {
		delete(ann, schema.ConfigHashAnnotation)
		if main < len(spec.Containers) && ann[defaultContainerAnnotation] == spec.Containers[main].Name {
			ann[defaultContainerAnnotation] = "(app)"
		}
		if len(ann) > 0 {
			out["annotations"] = ann
		}
	}
	containers := map[string]any{}
	// The kubelet starts the containers in order, and waits for each one's
	// postStart hook before the next: then the order matters.
	var order []any
	hold := false
	for i, ctr := range spec.Containers {
		hold = hold || ctr.Lifecycle != nil && ctr.Lifecycle.PostStart != nil
		key := ctr.Name
		if i == main {
			key = "(app)"
		}
		containers[key] = s.container(ctr, volumes, claimTemplates, mounted)
		order = append(order, key)
	}
	out["containers"] = containers
	if hold {
		out["containerOrder"] = order
	}
	var inits []any
	for _, ctr := range spec.InitContainers {
		if app := s.waitsFor(ctr); app != "" {
			wait := map[string]any{"waitsFor": app}
			if ctr.SecurityContext != nil {
				wait["securityContext"] = toMap(ctr.SecurityContext) // a profile's
			}
			inits = append(inits, wait)
			continue
		}
		ctr.Args = s.jobArgs(ctr)
		inits = append(inits, s.container(ctr, volumes, claimTemplates, mounted))
	}
	if len(inits) > 0 {
		out["initContainers"] = inits
	}
	var unmounted []any
	for _, v := range spec.Volumes {
		if !mounted[v.Name] {
			unmounted = append(unmounted, s.volume(v.VolumeSource))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(claimTemplates)) {
		if !mounted[name] {
			unmounted = append(unmounted, claimTemplate(claimTemplates[name]))
		}
	}
	if len(unmounted) > 0 {
		slices.SortFunc(unmounted, func(a, b any) int { return cmp.Compare(jsonString(a), jsonString(b)) })
		out["unmountedVolumes"] = unmounted
	}
	spec.Containers, spec.InitContainers, spec.Volumes = nil, nil, nil
	if rest := toMap(spec); len(rest) > 0 {
		out["spec"] = rest
	}
	return out
}

// jobArgs are the args of an init container that waits for a job as
// kdecl's do, with the Job, whose name has a hash of its spec, as the
// workload of its app.
func (s *side) jobArgs(c corev1.Container) []string {
	if c.Image != generators.KubectlImage {
		return c.Args
	}
	args := slices.Clone(c.Args)
	for i, a := range args {
		if name, ok := strings.CutPrefix(a, "job/"); ok {
			if r, app := s.links.workload("Job", name); app != "" {
				args[i] = "job/" + fmt.Sprint(r)
			}
		}
	}
	return args
}

// waitsFor is the app whose Service the init container waits for with
// a loop of nslookup, "" if it does not.
func (s *side) waitsFor(c corev1.Container) string {
	c.SecurityContext = nil // compared apart
	if host := waitService(c, s.namespace); host != "" {
		return s.serviceApp[host]
	}
	return ""
}

func (s *side) container(c corev1.Container, volumes map[string]corev1.Volume, templates map[string]corev1.PersistentVolumeClaim, mounted map[string]bool) map[string]any {
	byName := map[string]int32{}
	for _, p := range c.Ports {
		if p.Name != "" {
			byName[p.Name] = p.ContainerPort
		}
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p != nil {
			resolvePort(p.HTTPGet, p.TCPSocket, byName)
		}
	}
	if l := c.Lifecycle; l != nil {
		for _, h := range []*corev1.LifecycleHandler{l.PostStart, l.PreStop} {
			if h != nil {
				resolvePort(h.HTTPGet, h.TCPSocket, byName)
			}
		}
	}
	env := s.env(c)
	mounts := map[string]any{}
	for _, m := range c.VolumeMounts {
		mounted[m.Name] = true
		mm := toMap(m)
		delete(mm, "name")
		delete(mm, "mountPath")
		if mm["mountPropagation"] == string(corev1.MountPropagationNone) {
			delete(mm, "mountPropagation") // what the kubelet does without one
		}
		switch v, t := volumes[m.Name], templates[m.Name]; {
		case t.Name != "":
			mm["source"] = claimTemplate(t)
		case v.Name != "":
			src := s.volume(v.VolumeSource)
			if files, ok := src["files"].(map[string]any); ok && m.SubPath != "" {
				src = map[string]any{"file": files[m.SubPath]}
				delete(mm, "subPath")
			}
			mm["source"] = src
		default:
			mm["source"] = "a volume neither the pod nor the workload has: " + m.Name
		}
		if src, _ := mm["source"].(map[string]any); src["files"] != nil || src["file"] != nil || src["secret"] != nil || src["downwardAPI"] != nil || src["projected"] != nil {
			delete(mm, "readOnly") // the kubelet mounts these read-only
		}
		mounts[m.MountPath] = mm
	}
	for i := range c.Ports {
		c.Ports[i].Name = ""
	}
	slices.SortFunc(c.Ports, func(a, b corev1.ContainerPort) int {
		return cmp.Or(cmp.Compare(a.ContainerPort, b.ContainerPort), cmp.Compare(a.Protocol, b.Protocol))
	})
	c.Name, c.Env, c.EnvFrom, c.VolumeMounts = "", nil, nil, nil
	out := toMap(c)
	if len(env) > 0 {
		out["env"] = env
	}
	if len(mounts) > 0 {
		out["mounts"] = mounts
	}
	return out
}

// resolvePort replaces a named port of a probe or hook by its number.
func resolvePort(h *corev1.HTTPGetAction, t *corev1.TCPSocketAction, byName map[string]int32) {
	for _, p := range []*intstr.IntOrString{httpPort(h), tcpPort(t)} {
		if p != nil && p.Type == intstr.String {
			if n, ok := byName[p.StrVal]; ok {
				*p = intstr.FromInt32(n)
			}
		}
	}
}

func httpPort(h *corev1.HTTPGetAction) *intstr.IntOrString {
	if h == nil {
		return nil
	}
	return &h.Port
}

func tcpPort(t *corev1.TCPSocketAction) *intstr.IntOrString {
	if t == nil {
		return nil
	}
	return &t.Port
}

// env is a container's environment by name: the value of each variable,
// whether written in place or taken from a ConfigMap of the side; what
// comes from elsewhere (Secrets, the pod's fields) as written.
func (s *side) env(c corev1.Container) map[string]any {
	out := map[string]any{}
	// The values $(NAME) expands to: what the container sees of each
	// variable defined so far, in the order the kubelet defines them.
	defined := map[string]string{}
	var from []any
	for _, ef := range c.EnvFrom {
		if ref := ef.ConfigMapRef; ref != nil && s.configMaps[ref.Name] != nil {
			cm := s.configMaps[ref.Name]
			for k, v := range cm.Data {
				out[ef.Prefix+k] = s.configValue(ef.Prefix+k, cm, k, v)
				defined[ef.Prefix+k] = v
			}
			continue
		}
		from = append(from, toMap(ef))
	}
	if len(from) > 0 {
		slices.SortFunc(from, func(a, b any) int { return cmp.Compare(jsonString(a), jsonString(b)) })
		out["(envFrom)"] = from
	}
	for _, e := range c.Env {
		if f := e.ValueFrom; f != nil && f.ConfigMapKeyRef != nil {
			if cm := s.configMaps[f.ConfigMapKeyRef.Name]; cm != nil {
				if v, ok := cm.Data[f.ConfigMapKeyRef.Key]; ok {
					out[e.Name] = s.configValue(e.Name, cm, f.ConfigMapKeyRef.Key, v)
					defined[e.Name] = v // not expanded: only values are
					continue
				}
			}
		}
		if e.ValueFrom == nil {
			e.Value = expand(e.Value, defined)
			defined[e.Name] = e.Value
		} else {
			defined[e.Name] = "⟨" + e.Name + "⟩" // known when the pod runs
		}
		if f := e.ValueFrom; f != nil && f.ResourceFieldRef != nil && f.ResourceFieldRef.Divisor.IsZero() {
			f.ResourceFieldRef.Divisor.Set(1)
		}
		m := toMap(e)
		delete(m, "name")
		if _, ok := m["value"]; !ok && e.ValueFrom == nil {
			m["value"] = ""
		}
		out[e.Name] = m
	}
	return out
}

// expand expands the references $(NAME) in v to the variables defined,
// as the kubelet does: $$ is $, and a reference to a variable not
// defined stays as it is.
func expand(v string, defined map[string]string) string {
	return rewriteRefs(v, "$", func(name string) string {
		if val, ok := defined[name]; ok {
			return val
		}
		return "$(" + name + ")"
	})
}

// configValue is variable env's value, v, from key of cm: on the
// imported side a credential is read from a Secret of cm's name, as the
// stack reads it.
func (s *side) configValue(env string, cm *corev1.ConfigMap, key, v string) map[string]any {
	if s.imported && (schema.CredentialName(key, v) || schema.CredentialIn(v) != "") {
		s.moved = append(s.moved, fmt.Sprintf("variable %s: ConfigMap %s key %s → Secret %s key %s", env, cm.Name, key, cm.Name, key))
		return map[string]any{"valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": cm.Name, "key": key}}}
	}
	return map[string]any{"value": v}
}

// volume is a volume's source by meaning: a ConfigMap of the side as the
// files it makes, by path, with their content and mode; a claim of the
// side as its spec and annotations.
func (s *side) volume(v corev1.VolumeSource) map[string]any {
	defaultVolume(fill, &v)
	switch {
	case v.ConfigMap != nil && s.configMaps[v.ConfigMap.Name] != nil:
		cm := s.configMaps[v.ConfigMap.Name]
		files := map[string]any{}
		file := func(key, path string, mode *int32) {
			content, ok := cm.Data[key]
			if !ok {
				return
			}
			m := *v.ConfigMap.DefaultMode
			if mode != nil {
				m = *mode
			}
			files[path] = map[string]any{"content": content, "mode": strconv.FormatInt(int64(m), 8)}
		}
		if len(v.ConfigMap.Items) == 0 {
			for k := range cm.Data {
				file(k, k, nil)
			}
		}
		for _, it := range v.ConfigMap.Items {
			file(it.Key, it.Path, it.Mode)
		}
		return map[string]any{"files": files}
	case v.PersistentVolumeClaim != nil && s.claims[v.PersistentVolumeClaim.ClaimName] != nil:
		pvc := s.claims[v.PersistentVolumeClaim.ClaimName]
		out := map[string]any{"claim": toMap(pvc.Spec)}
		if len(pvc.Annotations) > 0 {
			out["annotations"] = pvc.Annotations
		}
		if v.PersistentVolumeClaim.ReadOnly {
			out["readOnly"] = true
		}
		return out
	}
	return toMap(v)
}

// claimTemplate is a StatefulSet's claim template by meaning: its spec
// and annotations.
func claimTemplate(t corev1.PersistentVolumeClaim) map[string]any {
	defaultClaim(fill, &t.Spec)
	out := map[string]any{"claimTemplate": toMap(t.Spec)}
	if len(t.Annotations) > 0 {
		out["annotations"] = t.Annotations
	}
	return out
}

// services pairs an app's imported Services with those it renders, the
// headless one with the headless one, and compares them.
func (c *comparison) services(a *App, impW, renW manifest.Doc, own []manifest.Doc) {
	var rendered []manifest.Doc
	for _, d := range own {
		if kdeclService(a, d) {
			rendered = append(rendered, d)
		}
	}
	taken := map[int]bool{}
	for _, imp := range a.Services {
		j := slices.IndexFunc(rendered, func(r manifest.Doc) bool { return headless(r) == headless(imp) })
		for j >= 0 && taken[j] {
			k := slices.IndexFunc(rendered[j+1:], func(r manifest.Doc) bool { return headless(r) == headless(imp) })
			if k < 0 {
				j = -1
				break
			}
			j += 1 + k
		}
		if j < 0 {
			c.differ(imp, "", "Service", "")
			continue
		}
		taken[j] = true
		c.service(imp, rendered[j], impW, renW)
	}
	for j, r := range rendered {
		if taken[j] {
			continue
		}
		if headless(r) && a.Workload.Kind() == "StatefulSet" {
			c.r.Added = append(c.r.Added, name(r)+": the headless Service of StatefulSet "+a.Workload.Name())
			continue
		}
		c.differ(manifest.Doc{}, name(r), "", "Service")
	}
}

func (c *comparison) service(imp, ren, impW, renW manifest.Doc) {
	object := name(imp)
	c.rename(object, "", imp.Name(), ren.Name())
	c.labels(object, false, imp.Object, ren.Object)
	x, err := canonicalService(imp, impW)
	if err != nil {
		c.r.Differences = append(c.r.Differences, Difference{Object: object, Imported: err.Error()})
		return
	}
	y, err := canonicalService(ren, renW)
	if err != nil {
		c.r.Differences = append(c.r.Differences, Difference{Object: object, Rendered: err.Error()})
		return
	}
	xp, _ := manifest.Get(x, "spec", "ports").([]any)
	yp, _ := manifest.Get(y, "spec", "ports").([]any)
	if len(xp) == len(yp) {
		for i := range xp {
			a, _ := xp[i].(map[string]any)
			b, _ := yp[i].(map[string]any)
			an, _ := a["name"].(string)
			bn, _ := b["name"].(string)
			c.rename(object, "port "+strconv.Itoa(int(number(a["port"]))), an, bn)
			delete(a, "name")
			delete(b, "name")
		}
	}
	c.diff(object, "", x, y)
}

// canonicalService is a Service by meaning: defaulted, without name,
// labels and selector, its target ports numbers (as the pods of its
// workload w name them), its ports in order of number.
func canonicalService(d, w manifest.Doc) (map[string]any, error) {
	svc, err := typed[corev1.Service](d)
	if err != nil {
		return nil, err
	}
	defaultService(fill, svc)
	byName := map[string]int32{}
	if spec := podSpecOf(w); spec != nil {
		for _, ctr := range spec.Containers {
			for _, p := range ctr.Ports {
				if p.Name != "" {
					byName[p.Name] = p.ContainerPort
				}
			}
		}
	}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.TargetPort.Type == intstr.String {
			if n, ok := byName[p.TargetPort.StrVal]; ok {
				p.TargetPort = intstr.FromInt32(n)
			}
		}
	}
	slices.SortFunc(svc.Spec.Ports, func(a, b corev1.ServicePort) int {
		return cmp.Or(cmp.Compare(a.Port, b.Port), cmp.Compare(a.Protocol, b.Protocol))
	})
	svc.Labels, svc.Name, svc.Spec.Selector = nil, "", nil
	out := toMap(svc)
	manifest.Delete(out, "metadata", "creationTimestamp")
	manifest.Delete(out, "status")
	return out, nil
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// diff reports where a and b differ, field by field.
func (c *comparison) diff(object, path string, a, b any) {
	if reflect.DeepEqual(a, b) || empty(a) && empty(b) || quantityField(path) && (sameQuantity(a, b) || sameQuantity(b, a)) {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := slices.Sorted(maps.Keys(am))
		for _, k := range slices.Sorted(maps.Keys(bm)) {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			c.diff(object, join(path, k), am[k], bm[k])
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			c.diff(object, path+"["+strconv.Itoa(i)+"]", al[i], bl[i])
		}
		return
	}
	d := Difference{Object: object, Path: path}
	if a != nil {
		d.Imported = jsonString(a)
	}
	if b != nil {
		d.Rendered = jsonString(b)
	}
	c.r.Differences = append(c.r.Differences, d)
}

// quantityField says whether the field at path, as diff writes it, is
// a resource.Quantity of the API: a metric's target, a resource's amount,
// a size.
func quantityField(path string) bool {
	i := strings.LastIndexAny(path, ".[")
	last := strings.Trim(path[i+1:], `"]`)
	return slices.Contains([]string{"averageValue", "value", "sizeLimit", "cpu", "memory", "storage", "ephemeral-storage"}, last) ||
		strings.HasPrefix(last, "hugepages-") || strings.Contains(last, "/")
}

// sameQuantity says whether n, a JSON number, and s, a string, are one
// quantity (an autoscaler's averageValue: 4 and "4"): a field that
// takes either is a resource.Quantity, which the API server keeps as
// the string.
func sameQuantity(n, s any) bool {
	str, ok := s.(string)
	if !ok {
		return false
	}
	var num string
	switch n := n.(type) {
	case float64:
		num = strconv.FormatFloat(n, 'f', -1, 64)
	case int64:
		num = strconv.FormatInt(n, 10)
	case int:
		num = strconv.Itoa(n)
	case json.Number:
		num = n.String()
	default:
		return false
	}
	x, err := resource.ParseQuantity(num)
	if err != nil {
		return false
	}
	y, err := resource.ParseQuantity(str)
	return err == nil && x.Cmp(y) == 0
}

// empty says whether v is absent, or an empty list, or a map of nothing
// but empty values, which the API server takes for absent.
func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range v {
			if !empty(e) {
				return false
			}
		}
		return true
	case []any:
		return len(v) == 0
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	if strings.ContainsAny(key, ".[]()/") || key == "" {
		return path + "[" + strconv.Quote(key) + "]"
	}
	return path + "." + key
}
