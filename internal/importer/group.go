// Package importer turns Kubernetes manifests into a kdecl stack: it
// groups the objects into apps, the way kdecl generates them, and says
// what it chose.
package importer

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/schema"
)

// Workloads are the kinds that make an app, with where their pod
// template is.
var Workloads = map[string][]string{
	"Deployment":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

// App is a workload and the objects that join it.
type App struct {
	// uses are the ConfigMaps and claims the pods refer to, by name.
	configMaps, claims map[string]bool
	mainPorts          []corev1.ContainerPort // of the app's container, once StackOf read it
	// shares is the headless Service the app shares with the app whose
	// Services hold it, nil for none; sharedHeadless says that the
	// app's Services hold one that others share.
	shares         *manifest.Doc
	sharedHeadless bool

	// Name is the app's name in the stack: the workload's, made a valid
	// app name if it is not one.
	Name       string
	Workload   manifest.Doc
	Services   []manifest.Doc // that select its pods
	ConfigMaps []manifest.Doc // that only its pods use
	Claims     []manifest.Doc // that only its pods mount
}

// Plan is how the objects of a set of manifests become a stack.
type Plan struct {
	// Namespace is the one namespace of the objects, "" if they have
	// none or several.
	Namespace string
	Apps      []*App
	// Shared are ConfigMaps that the pods of several apps use: the
	// stack's configs, by name, with the apps that use them.
	Shared map[string]*SharedConfig
	// Objects belong to no app.
	Objects []manifest.Doc
	// Unsaid is what the stack cannot say of the objects that are no app's.
	Unsaid []string
	// NamespaceDoc is the Namespace read that is the stack's, which kdecl
	// renders itself.
	NamespaceDoc *manifest.Doc
	// ObjectsOnly are kinds that StackOf keeps as objects, not native
	// fields.
	ObjectsOnly map[string]bool
	// ObjectNames are the objects that StackOf renamed, as Kind/name.
	ObjectNames map[string]string
	// Secrets are the Secrets the pods refer to, and those given: kdecl
	// never imports a Secret's values; they must exist in the cluster.
	Secrets []string
	// Notes say what was chosen, one line each.
	Notes []string
	// Flux is whether the stack disables Flux's substitution in every
	// object (flux: substitute: "disabled").
	Flux bool
	// ApplySet is the parent, NAMESPACE/NAME, of the ApplySet that every
	// object read names in kdecl's annotation; "" for none.
	ApplySet string

	byLabel map[string][]*App // the apps whose pods have a label, by key=value
	// waves are the Argo CD sync waves taken off the objects read, by
	// kind/name, which the objects of the stack keep.
	waves map[string]string
}

// SharedConfig is a ConfigMap that several apps use.
type SharedConfig struct {
	ConfigMap manifest.Doc
	Apps      []string
}

// Group sorts docs into apps: a workload is an app; a Service joins the
// app whose pods it selects; a ConfigMap or a claim joins the one app that
// uses it (a ConfigMap used by several is a shared config); a Secret is
// not imported; the rest belong to no app. The docs must be cleaned and
// upgraded (see manifest).
func Group(docs []manifest.Doc) *Plan { return group(docs, nil) }

// group is Group with the Argo CD sync waves taken off docs, by
// kind/name, which say which objects are the stack's.
func group(docs []manifest.Doc, waves map[string]string) *Plan {
	p := &Plan{Shared: map[string]*SharedConfig{}, ObjectNames: map[string]string{}, waves: waves}
	p.Namespace = namespace(docs)
	names := map[string]bool{}
	for _, d := range docs {
		if _, ok := Workloads[d.Kind()]; !ok {
			continue
		}
		want := workloadName(d)
		name := appName(want, names)
		switch {
		case name == want && want != d.Name():
			p.note("%s %s: the app is called %s, as its label app.kubernetes.io/name says", d.Kind(), d.Name(), name)
		case name != d.Name():
			p.note("%s %s: the app is called %s (an app name is at most 52 lowercase letters, digits and '-')", d.Kind(), d.Name(), name)
		}
		names[name] = true
		p.Apps = append(p.Apps, &App{Name: name, Workload: d})
	}
	secrets := map[string]bool{}
	for _, a := range p.Apps {
		spec := podSpec(a.Workload)
		for _, s := range refs(spec, secretRefs) {
			secrets[s] = true
		}
		a.configMaps, a.claims = set(refs(spec, configMapRefs)), set(refs(spec, claimRefs))
	}
	p.byLabel = map[string][]*App{}
	for _, a := range p.Apps {
		for k, v := range podLabels(a.Workload) {
			p.byLabel[fmt.Sprint(k, "=", v)] = append(p.byLabel[fmt.Sprint(k, "=", v)], a)
		}
	}
	for _, d := range docs {
		if d.Kind() == "Service" {
			p.service(d)
		}
	}
	for _, a := range p.Apps {
		p.oneService(a)
		p.nameAfterService(a, names)
	}
	for _, d := range docs {
		if _, ok := Workloads[d.Kind()]; ok || d.Kind() == "Service" {
			continue
		}
		if clusterMade(d) {
			p.note("%s %s: the cluster makes it in every namespace, not imported", d.Kind(), d.Name())
			continue
		}
		if applySetParent(d) {
			p.note("%s %s: the parent of an ApplySet, which kubectl keeps, not imported; applySet: name: %q prunes with it", d.Kind(), d.Name(), d.Name())
			continue
		}
		switch d.Kind() {
		case "ConfigMap":
			p.configMap(d)
		case "PersistentVolumeClaim":
			p.claim(d)
		case "Secret":
			secrets[d.Name()] = true
			p.note("Secret %s: not imported, its values stay out of the stack; create it in the cluster", d.Name())
		case "Namespace":
			if d.Name() == p.Namespace {
				p.note("Namespace %s: the stack's namespace, which kdecl renders", d.Name())
				p.NamespaceDoc = &d
				continue
			}
			p.Objects = append(p.Objects, d)
		default:
			p.Objects = append(p.Objects, d)
		}
	}
	for _, a := range p.Apps {
		a.oneConfigMap(p)
	}
	p.Secrets = slices.Sorted(maps.Keys(secrets))
	return p
}

// oneService keeps of the app's Services those kdecl's fields say: one
// regular Service (the one named like the app, else the first read)
// whose ports target the ports of the app's container, and its headless
// Service; the others stay Services of the app's pods as objects, as
// read.
func (p *Plan) oneService(a *App) {
	var main *corev1.Container
	if spec := podSpecOf(a.Workload); spec != nil && len(spec.Containers) > 0 {
		main = &spec.Containers[mainContainer(a.Workload, spec)]
	}
	keep := -1
	for i, svc := range a.Services {
		if headless(svc) || !targetsContainer(svc, main) {
			continue
		}
		if keep < 0 || svc.Name() == a.Name {
			keep = i
		}
	}
	var kept []manifest.Doc
	for i, svc := range a.Services {
		if i == keep || headless(svc) {
			kept = append(kept, svc)
			continue
		}
		p.Objects = append(p.Objects, svc)
		if targetsContainer(svc, main) {
			p.note("Service %s: a second Service of app %s's pods, kept as an object", svc.Name(), a.Name)
		} else {
			p.note("Service %s: targets a port app %s's container does not declare, kept as an object", svc.Name(), a.Name)
		}
	}
	a.Services = kept
	name := a.headlessName()
	kept = nil
	for _, svc := range a.Services {
		if headless(svc) && svc.Name() != name {
			p.Objects = append(p.Objects, svc)
			p.note("Service %s: a second headless Service of app %s's pods, kept as an object", svc.Name(), a.Name)
			continue
		}
		kept = append(kept, svc)
	}
	a.Services = kept
}

// targetsContainer says whether each port of the Service svc targets a
// port the container c declares, by its name or number.
func targetsContainer(svc manifest.Doc, c *corev1.Container) bool {
	s, err := typed[corev1.Service](svc)
	if err != nil || c == nil {
		return false
	}
	for _, p := range s.Spec.Ports {
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
			if p.TargetPort.StrVal != "" {
				return cp.Name == p.TargetPort.StrVal
			}
			return cp.ContainerPort == cmp.Or(p.TargetPort.IntVal, p.Port)
		}) {
			return false
		}
	}
	return true
}

// nameAfterService names an app after its one Service, if that is not
// its name: other apps reach it by that name, and kdecl names the
// Service after the app. The workload is renamed instead.
func (p *Plan) nameAfterService(a *App, names map[string]bool) {
	regular := a.regularServices()
	if len(regular) != 1 || regular[0].Name() == a.Name {
		return
	}
	if a.Workload.Kind() == "StatefulSet" {
		// Its pods, their DNS names and the claims of its claim
		// templates are named after it: it keeps its name, and a
		// Service of another name (not its serviceName) stays one, as
		// read.
		if svc := regular[0]; svc.Name() != serviceName(a) {
			a.Services = slices.DeleteFunc(a.Services, func(d manifest.Doc) bool { return d.Name() == svc.Name() })
			p.Objects = append(p.Objects, svc)
			p.note("Service %s: a Service of statefulset %s, whose pods and claims are named after the statefulset, kept as an object", svc.Name(), a.Workload.Name())
		}
		return
	}
	if names[regular[0].Name()] || appName(regular[0].Name(), nil) != regular[0].Name() {
		return
	}
	delete(names, a.Name)
	a.Name = regular[0].Name()
	names[a.Name] = true
	p.note("%s %s: the app is called %s after its Service, the name other apps reach it by", a.Workload.Kind(), a.Workload.Name(), a.Name)
}

// oneConfigMap keeps one ConfigMap of the app's own, kdecl's config:
// the one named as kdecl names it, else the one its container takes
// most of; the others become objects, which the app refers to by name.
func (a *App) oneConfigMap(p *Plan) {
	if len(a.ConfigMaps) < 2 {
		return
	}
	keep := 0
	for i, d := range a.ConfigMaps {
		if d.Name() == schema.ConfigMapName(a.Name) {
			keep = i
		}
	}
	for i, d := range a.ConfigMaps {
		if i != keep {
			p.Objects = append(p.Objects, d)
			p.note("ConfigMap %s: app %s has a config already (%s), kept as an object", d.Name(), a.Name, a.ConfigMaps[keep].Name())
		}
	}
	a.ConfigMaps = []manifest.Doc{a.ConfigMaps[keep]}
}

func (p *Plan) note(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// namespace is the namespace all workloads are in, or "".
func namespace(docs []manifest.Doc) string {
	seen := map[string]bool{}
	for _, d := range docs {
		if _, ok := Workloads[d.Kind()]; !ok {
			continue
		}
		ns, _ := manifest.Get(d.Object, "metadata", "namespace").(string)
		seen[ns] = true
	}
	if len(seen) != 1 {
		return ""
	}
	for ns := range seen {
		return ns
	}
	return ""
}

var invalidName = regexp.MustCompile(`[^a-z0-9-]+`)

// appName is name made a valid app name, unique among taken.
func appName(name string, taken map[string]bool) string {
	n := invalidName.ReplaceAllString(strings.ToLower(name), "-")
	n = strings.TrimLeft(n, "-0123456789")
	if len(n) > 52 {
		n = n[:52]
	}
	n = strings.TrimRight(n, "-")
	if n == "" {
		n = "app"
	}
	base := n
	for i := 2; taken[n]; i++ {
		suffix := fmt.Sprintf("-%d", i)
		n = strings.TrimRight(base[:min(len(base), 52-len(suffix))], "-") + suffix
	}
	return n
}

// podSpec is the spec of the workload's pod template.
func podSpec(w manifest.Doc) map[string]any {
	m, _ := manifest.Get(w.Object, append(Workloads[w.Kind()], "spec")...).(map[string]any)
	return m
}

// podLabels are the labels of the workload's pods.
func podLabels(w manifest.Doc) map[string]any {
	m, _ := manifest.Get(w.Object, append(Workloads[w.Kind()], "metadata", "labels")...).(map[string]any)
	return m
}

func (p *Plan) service(d manifest.Doc) {
	sel, _ := manifest.Get(d.Object, "spec", "selector").(map[string]any)
	var matched []*App
	var candidates []*App // the apps whose pods have one label of the selector
	for k, v := range sel {
		candidates = p.byLabel[fmt.Sprint(k, "=", v)]
		break
	}
	for _, a := range candidates {
		if selects(sel, podLabels(a.Workload)) && a.Workload.Kind() != "Job" && a.Workload.Kind() != "CronJob" {
			matched = append(matched, a)
		}
	}
	switch len(matched) {
	case 0:
		p.Objects = append(p.Objects, d)
		p.note("Service %s: selects the pods of no app, kept as an object", d.Name())
	case 1:
		matched[0].Services = append(matched[0].Services, d)
	default:
		var names []string
		for _, m := range matched {
			names = append(names, m.Name)
		}
		if headless(d) && !slices.ContainsFunc(matched, func(a *App) bool {
			return a.Workload.Kind() == "StatefulSet" && serviceName(a) != d.Name()
		}) {
			// The headless Service of workloads that share it, a
			// statefulset's as its serviceName: their headless.name.
			matched[0].Services = append(matched[0].Services, d)
			matched[0].sharedHeadless = true
			for _, m := range matched[1:] {
				m.shares = &d
			}
			p.note("Service %s: the headless Service of %s, which share it (headless.name)", d.Name(), strings.Join(names, " and "))
			return
		}
		// kdecl's Service selects one app's pods: this one stays as it
		// is, its selector on the labels the pods keep.
		p.Objects = append(p.Objects, d)
		p.note("Service %s: selects the pods of %s, kept as an object", d.Name(), strings.Join(names, " and "))
	}
}

// serviceName is the serviceName of the app's statefulset, "" for
// another workload.
func serviceName(a *App) string {
	if a.Workload.Kind() != "StatefulSet" {
		return ""
	}
	sn, _ := manifest.Get(a.Workload.Object, "spec", "serviceName").(string)
	return sn
}

// headless says whether d, a Service, is headless.
func headless(d manifest.Doc) bool { return manifest.Get(d.Object, "spec", "clusterIP") == "None" }

// workloadName is the name of the app a workload is: its own, or the
// app's of a workload kdecl rendered, as a Job's name has a hash.
func workloadName(d manifest.Doc) string {
	if app, _ := manifest.Get(d.Object, "metadata", "labels", "app.kubernetes.io/name").(string); app != "" &&
		manifest.Get(d.Object, "metadata", "labels", "app.kubernetes.io/managed-by") == "kdecl" {
		return app
	}
	return d.Name()
}

// headlessName is the name of the headless Service kdecl renders for the
// app: a statefulset's serviceName, else the first headless Service of
// its pods, else (a statefulset's) HeadlessServiceName; "" for none.
func (a *App) headlessName() string {
	kind := a.Workload.Kind()
	if kind == "Job" || kind == "CronJob" {
		return ""
	}
	if a.shares != nil {
		return a.shares.Name()
	}
	// serviceName, unless it names a regular Service of the app's, which
	// kdecl names after the app
	if sn, _ := manifest.Get(a.Workload.Object, "spec", "serviceName").(string); kind == "StatefulSet" && len(validation.IsDNS1035Label(sn)) == 0 &&
		!slices.ContainsFunc(a.regularServices(), func(d manifest.Doc) bool { return d.Name() == sn }) {
		return sn
	}
	for _, svc := range a.Services {
		if headless(svc) && len(validation.IsDNS1035Label(svc.Name())) == 0 {
			return svc.Name()
		}
	}
	if kind == "StatefulSet" {
		return schema.HeadlessServiceName(a.Name)
	}
	return ""
}

// regularServices are the app's Services that are not headless.
func (a *App) regularServices() []manifest.Doc {
	var out []manifest.Doc
	for _, svc := range a.Services {
		if !headless(svc) {
			out = append(out, svc)
		}
	}
	return out
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// selects is whether a selector matches labels.
func selects(selector, labels map[string]any) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (p *Plan) configMap(d manifest.Doc) {
	var users []*App
	for _, a := range p.Apps {
		if a.configMaps[d.Name()] {
			users = append(users, a)
		}
	}
	var opaque []string // apps that use it as kdecl's config cannot say
	for _, a := range users {
		if !configUses(a, d.Name()) {
			opaque = append(opaque, a.Name)
		}
	}
	if d.Object["binaryData"] != nil {
		// What kdecl's config does not have.
		p.Objects = append(p.Objects, d)
		p.note("ConfigMap %s: kept as an object: kdecl's config has no binaryData", d.Name())
		return
	}
	switch {
	case len(users) == 0:
		p.Objects = append(p.Objects, d)
		p.note("ConfigMap %s: used by no app, kept as an object", d.Name())
	case len(opaque) > 0:
		// Its name stays: the pods refer to it as it is.
		p.Objects = append(p.Objects, d)
		p.note("ConfigMap %s: kept as an object, referred to by name by %s (a projected volume, a prefix, another container)", d.Name(), strings.Join(opaque, ", "))
	case len(users) == 1 && !sharedVolume(users[0], d.Name()) && !p.stackWave(d, users[0]):
		users[0].ConfigMaps = append(users[0].ConfigMaps, d)
	default:
		s := &SharedConfig{ConfigMap: d}
		for _, u := range users {
			s.Apps = append(s.Apps, u.Name)
		}
		p.Shared[d.Name()] = s
		p.note("ConfigMap %s: used by %s, a config of the stack's", d.Name(), strings.Join(s.Apps, ", "))
	}
}

// configUses says whether the app uses the ConfigMap name only as kdecl's
// config can say: the app's container takes variables from it (envFrom
// without a prefix, configMapKeyRef) and the pod mounts it as a
// ConfigMap volume.
func configUses(a *App, name string) bool {
	spec := podSpec(a.Workload)
	ok := true
	each(spec, func(v map[string]any) {
		for _, s := range asList(manifest.Get(v, "projected", "sources")) {
			if manifest.Get(s, "configMap", "name") == name {
				ok = false
			}
		}
	}, "volumes")
	mainName := a.Workload.Name()
	cs, _ := spec["containers"].([]any)
	main := 0
	for i, c := range cs {
		if manifest.Get(c, "name") == mainName {
			main = i
		}
	}
	for _, list := range []string{"containers", "initContainers"} {
		cs, _ := spec[list].([]any)
		for i, c := range cs {
			c, _ := c.(map[string]any)
			isMain := list == "containers" && i == main
			each(c, func(e map[string]any) {
				if manifest.Get(e, "configMapRef", "name") == name && (!isMain || e["prefix"] != nil && e["prefix"] != "") {
					ok = false
				}
			}, "envFrom")
			each(c, func(e map[string]any) {
				if manifest.Get(e, "valueFrom", "configMapKeyRef", "name") == name && !isMain {
					ok = false
				}
			}, "env")
		}
	}
	return ok
}

func asList(v any) []any { l, _ := v.([]any); return l }

// clusterMade says whether the cluster's controllers make d in every
// namespace, as kubectl get of a namespace shows: its root certificate
// and its default account.
func clusterMade(d manifest.Doc) bool {
	return d.Kind() == "ConfigMap" && d.Name() == "kube-root-ca.crt" ||
		d.Kind() == "ServiceAccount" && d.Name() == "default" && len(d.Object) <= 3
}

// volumeOfClaim is the name of the app's volume of the claim, "" if none.
func volumeOfClaim(a *App, claim string) string {
	name := ""
	volumes(podSpec(a.Workload), func(v map[string]any) {
		if manifest.Get(v, "persistentVolumeClaim", "claimName") == claim {
			name, _ = v["name"].(string)
		}
	})
	return name
}

// sharedVolume says whether the app mounts the ConfigMap name as kdecl
// mounts a config of the stack's: kdecl rendered it.
func sharedVolume(a *App, name string) bool {
	found := false
	volumes(podSpec(a.Workload), func(v map[string]any) {
		if v["name"] == schema.SharedConfigVolume(name) && manifest.Get(v, "configMap", "name") == name {
			found = true
		}
	})
	return found
}

func (p *Plan) claim(d manifest.Doc) {
	var users []*App
	for _, a := range p.Apps {
		if a.claims[d.Name()] {
			users = append(users, a)
		}
	}
	if len(users) == 1 && d.Name() == users[0].Name+"-"+volumeOfClaim(users[0], d.Name()) {
		users[0].Claims = append(users[0].Claims, d) // named as kdecl names the claim of the volume
		return
	}
	if len(users) == 1 {
		// A claim keeps its name, the data behind it: the app mounts it
		// as an existing claim.
		p.Objects = append(p.Objects, d)
		p.note("PersistentVolumeClaim %s: kept as an object under its name, which app %s mounts as an existing claim", d.Name(), users[0].Name)
		return
	}
	p.Objects = append(p.Objects, d)
	if len(users) == 0 {
		p.note("PersistentVolumeClaim %s: mounted by no app, kept as an object", d.Name())
		return
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	p.note("PersistentVolumeClaim %s: mounted by %s, kept as an object that each mounts as an existing claim", d.Name(), strings.Join(names, ", "))
}

// A ref finds names an object refers to, in its pod spec.
type ref func(spec map[string]any, add func(any))

// refs are the names that the finders find in spec, sorted, once each.
func refs(spec map[string]any, find []ref) []string {
	seen := map[string]bool{}
	for _, f := range find {
		f(spec, func(v any) {
			if s, ok := v.(string); ok && s != "" {
				seen[s] = true
			}
		})
	}
	return slices.Sorted(maps.Keys(seen))
}

// each calls f for every object of the list at path in m.
func each(m map[string]any, f func(map[string]any), path ...string) {
	list, _ := manifest.Get(m, path...).([]any)
	for _, v := range list {
		if o, ok := v.(map[string]any); ok {
			f(o)
		}
	}
}

// containers calls f for every container, init container and ephemeral
// container of spec.
func containers(spec map[string]any, f func(map[string]any)) {
	for _, field := range []string{"containers", "initContainers", "ephemeralContainers"} {
		each(spec, f, field)
	}
}

// volumes calls f for every volume of spec and every source of its
// projected volumes.
func volumes(spec map[string]any, f func(map[string]any)) {
	each(spec, func(v map[string]any) {
		f(v)
		each(v, f, "projected", "sources")
	}, "volumes")
}

var configMapRefs = []ref{
	func(spec map[string]any, add func(any)) {
		volumes(spec, func(v map[string]any) { add(manifest.Get(v, "configMap", "name")) })
	},
	func(spec map[string]any, add func(any)) {
		containers(spec, func(c map[string]any) {
			each(c, func(e map[string]any) { add(manifest.Get(e, "configMapRef", "name")) }, "envFrom")
			each(c, func(e map[string]any) { add(manifest.Get(e, "valueFrom", "configMapKeyRef", "name")) }, "env")
		})
	},
}

var secretRefs = []ref{
	func(spec map[string]any, add func(any)) {
		volumes(spec, func(v map[string]any) {
			add(manifest.Get(v, "secret", "secretName")) // a volume
			add(manifest.Get(v, "secret", "name"))       // a projected source
		})
		each(spec, func(s map[string]any) { add(s["name"]) }, "imagePullSecrets")
	},
	func(spec map[string]any, add func(any)) {
		containers(spec, func(c map[string]any) {
			each(c, func(e map[string]any) { add(manifest.Get(e, "secretRef", "name")) }, "envFrom")
			each(c, func(e map[string]any) { add(manifest.Get(e, "valueFrom", "secretKeyRef", "name")) }, "env")
		})
	},
}

var claimRefs = []ref{
	func(spec map[string]any, add func(any)) {
		volumes(spec, func(v map[string]any) { add(manifest.Get(v, "persistentVolumeClaim", "claimName")) })
	},
}

// applySetParent says whether d is the parent of an ApplySet, which
// kubectl apply --applyset makes and keeps; a stack's applySet names it.
func applySetParent(d manifest.Doc) bool {
	id, _ := manifest.Get(d.Object, "metadata", "labels", "applyset.kubernetes.io/id").(string)
	return id != ""
}

// stackSays says whether the stack import writes says d: not what the
// cluster or kubectl make, nor a Secret.
func stackSays(d manifest.Doc) bool {
	return !clusterMade(d) && !applySetParent(d) && d.Kind() != "Secret"
}
