package importer

import (
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"

	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/schema"
)

// links find what an object refers to of the apps, and say what it
// refers to instead: the pods of an app (or of every app, app ""), by a
// label selector; an app's Service, by name; its workload, by kind and
// name (a scale target). A replacement is nil for nothing found.
type links struct {
	// pods is given a label selector, matchLabels and matchExpressions;
	// its replacement is the selector's matchLabels, without
	// matchExpressions.
	pods     func(selector map[string]any) (replacement any, app string)
	service  func(name string) (replacement any, app string)
	workload func(kind, name string) (replacement any, app string)
	// port is what a port of a Service, by name, is called instead; nil
	// if it has no port of the name.
	port func(service, name string) any
	// numbered, if set, is what a port of a Service, by number, is
	// called by name instead; nil if it has no port of the number.
	numbered func(service string, number int32) any
}

// relink replaces in obj, in place, each reference to an app that l
// finds, and returns the apps it refers to.
func (l links) relink(obj map[string]any) []string {
	apps := map[string]bool{}
	if obj["kind"] == "Service" { // its selector is the labels alone
		if sel, ok := manifest.Get(obj, "spec", "selector").(map[string]any); ok {
			if r, app := l.pods(map[string]any{"matchLabels": sel}); r != nil {
				manifest.Map(obj, "spec")["selector"], apps[app] = r, true
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			if names, ok := v["resourceNames"].([]any); ok && slices.Contains(anys(v["resources"]), any("jobs")) {
				// a Role's rule on Jobs, whose names have a hash of their spec
				for i, n := range names {
					if name, _ := n.(string); name != "" {
						if r, app := l.workload("Job", name); app != "" {
							names[i], apps[app] = r, true
						}
					}
				}
			}
			if labelSelector(v) {
				if r, app := l.pods(v); r != nil {
					v["matchLabels"], apps[app] = r, true
					delete(v, "matchExpressions")
				}
				return
			}
			for k, e := range v {
				m, _ := e.(map[string]any)
				switch {
				case k == "namespaceSelector" || k == "nodeAffinity" || k == "nodeSelector":
					continue // of namespaces' labels, or nodes'
				case k == "matchLabels" && m != nil:
					if r, app := l.pods(map[string]any{"matchLabels": m}); r != nil {
						v[k], apps[app] = r, true
					}
					continue
				case (k == "backend" || k == "defaultBackend") && m != nil:
					if svc, ok := m["service"].(map[string]any); ok {
						if name, _ := svc["name"].(string); name != "" {
							if port, _ := manifest.Get(svc, "port", "name").(string); port != "" && l.port != nil {
								if r := l.port(name, port); r != nil {
									svc["port"].(map[string]any)["name"] = r
								}
							} else if n := number(manifest.Get(svc, "port", "number")); n != 0 && l.numbered != nil {
								if r := l.numbered(name, n); r != nil {
									svc["port"] = map[string]any{"name": r}
								}
							}
							if r, app := l.service(name); app != "" {
								svc["name"], apps[app] = r, true
							}
						}
					}
				case k == "scaleTargetRef" && m != nil:
					kind, _ := m["kind"].(string)
					name, _ := m["name"].(string)
					if r, app := l.workload(kind, name); app != "" {
						m["name"], apps[app] = r, true
					}
				}
				walk(e)
			}
		}
	}
	walk(obj)
	delete(apps, "") // the pods of every app
	return slices.Sorted(maps.Keys(apps))
}

// labelSelector says whether v is a label selector that says
// something: matchLabels, matchExpressions, or both, and nothing else.
func labelSelector(v map[string]any) bool {
	ml, _ := v["matchLabels"].(map[string]any)
	me, _ := v["matchExpressions"].([]any)
	n := 0
	for _, k := range []string{"matchLabels", "matchExpressions"} {
		if _, ok := v[k]; ok {
			n++
		}
	}
	return len(v) == n && len(ml)+len(me) > 0
}

// selectorOf is the label selector sel (matchLabels and
// matchExpressions) by apimachinery's LabelSelectorAsSelector, as the API
// server selects; an empty one, or one it refuses, selects nothing.
func selectorOf(sel map[string]any) k8slabels.Selector {
	ls, err := typed[metav1.LabelSelector](manifest.Doc{Object: sel})
	if err != nil || len(ls.MatchLabels)+len(ls.MatchExpressions) == 0 {
		return k8slabels.Nothing()
	}
	selector, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return k8slabels.Nothing()
	}
	return selector
}

// labelSet is labels, as JSON decodes them, as a label set.
func labelSet(labels map[string]any) k8slabels.Set {
	set := make(k8slabels.Set, len(labels))
	for k, v := range labels {
		if s, ok := v.(string); ok {
			set[k] = s
		}
	}
	return set
}

// selectsLabels says whether the label selector sel selects labels (see
// selectorOf).
func selectsLabels(sel, labels map[string]any) bool {
	return selectorOf(sel).Matches(labelSet(labels))
}

// podsOf finds the one app whose pods the label selector sel selects.
func podsOf(apps []*App, sel map[string]any) *App {
	var found *App
	selector := selectorOf(sel)
	for _, a := range apps {
		if selector.Matches(labelSet(podLabels(a.Workload))) {
			if found != nil {
				return nil
			}
			found = a
		}
	}
	return found
}

// served is the one app whose Services select d, a bare Pod (a Helm
// chart's test Pods carry the app's labels): as an object of the app's,
// it gets the app's labels, and kdecl's Services select it as the
// Services read did. Nil for any other object, or when no app's
// Service or several apps' select it.
func served(p *Plan, d manifest.Doc) *App {
	if d.Kind() != "Pod" {
		return nil
	}
	labels := manifest.Map(d.Object, "metadata", "labels")
	var found *App
	for _, a := range p.Apps {
		if !slices.ContainsFunc(a.Services, func(svc manifest.Doc) bool {
			sel, _ := manifest.Get(svc.Object, "spec", "selector").(map[string]any)
			return len(sel) > 0 && selects(sel, labels)
		}) {
			continue
		}
		if found != nil {
			return nil
		}
		found = a
	}
	return found
}

// importLinks are the links of the imported objects to what the stack
// names: kdecl's selector labels, its Services' and workloads' names.
func importLinks(p *Plan, stack string, portNames map[string]map[string]string) links {
	return links{
		port: func(service, name string) any {
			if n, ok := portNames[service][name]; ok {
				return n
			}
			return nil
		},
		pods: func(ml map[string]any) (any, string) {
			if a := podsOf(p.Apps, ml); a != nil {
				return map[string]any{"app.kubernetes.io/name": a.Name, "app.kubernetes.io/instance": stack}, a.Name
			}
			if selector := selectorOf(ml); len(p.Apps) > 1 && !slices.ContainsFunc(p.Apps, func(a *App) bool { return !selector.Matches(labelSet(podLabels(a.Workload))) }) {
				// kdecl's labels of the stack's pods say no more than
				// the stack
				return map[string]any{"app.kubernetes.io/instance": stack}, ""
			}
			return nil, ""
		},
		service: func(name string) (any, string) {
			for _, a := range p.Apps {
				for _, svc := range a.Services {
					if svc.Name() == name {
						if headless(svc) && svc.Name() == a.headlessName() {
							return svc.Name(), a.Name
						}
						return a.Name, a.Name
					}
				}
			}
			return nil, ""
		},
		workload: func(kind, name string) (any, string) {
			for _, a := range p.Apps {
				if a.Workload.Kind() == kind && a.Workload.Name() == name {
					return a.Name, a.Name
				}
			}
			return nil, ""
		},
	}
}

// object is d as an object of the stack's: without its name, which is
// its key, and the namespace if it is the stack's; its references to
// the apps relinked. It returns the one app it refers to, if one.
func (s *Stack) object(d manifest.Doc, l links) (map[string]any, string) {
	obj := toMap(d.Object) // a copy
	manifest.Delete(obj, "metadata", "name")
	if labels := manifest.Map(obj, "metadata", "labels"); labels != nil {
		for k := range labels {
			if schema.KdeclLabel(k) {
				delete(labels, k) // kdecl's own, when it rendered the manifests
			}
		}
		if len(labels) == 0 {
			manifest.Delete(obj, "metadata", "labels")
		}
	}
	if manifest.Get(obj, "metadata", "namespace") == s.Namespace {
		manifest.Delete(obj, "metadata", "namespace")
	}
	if len(manifest.Map(obj, "metadata")) == 0 {
		delete(obj, "metadata")
	}
	apps := l.relink(obj)
	if len(apps) == 1 {
		return obj, apps[0]
	}
	return obj, ""
}

// anys is v as a list, nil if it is none.
func anys(v any) []any {
	l, _ := v.([]any)
	return l
}
