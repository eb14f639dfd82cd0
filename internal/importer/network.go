package importer

// Objects that are an app's native fields when kdecl would render them
// alike: an Ingress to the app's Service as its expose.ingress, a
// PodDisruptionBudget of its pods as its disruption, and NetworkPolicies
// of every app as the stack's networkPolicies. Import verifies them as
// all else, and keeps them as objects when they render otherwise.

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kdecl/kdecl/internal/manifest"
)

// nativeKinds are the kinds import may say as native fields.
var nativeKinds = []string{"Ingress", "PodDisruptionBudget", "NetworkPolicy"}

// extraAnnotations are the annotations of d beyond those of the app
// whose object it becomes, which kdecl gives every object of the app;
// false if d lacks one of the app's.
func (s *Stack) extraAnnotations(d manifest.Doc, app string) (map[string]any, bool) {
	own, _ := s.Apps[app]["annotations"].(map[string]any)
	read, _ := manifest.Get(d.Object, "metadata", "annotations").(map[string]any)
	extra := maps.Clone(read)
	if extra == nil {
		extra = map[string]any{}
	}
	for k, v := range own {
		if extra[k] != v {
			return nil, false
		}
		delete(extra, k)
	}
	return extra, true
}

// plain says whether d has the annotations of its app alone.
func (s *Stack) plain(d manifest.Doc, app string) bool {
	extra, ok := s.extraAnnotations(d, app)
	return ok && len(extra) == 0
}

// ingress says an Ingress whose every backend is one app's Service, with
// the same paths for each host, as the app's expose.ingress.
func (s *Stack) ingress(p *Plan, d manifest.Doc) bool {
	if d.Kind() != "Ingress" || d.APIVersion() != "networking.k8s.io/v1" || p.ObjectsOnly["Ingress"] {
		return false
	}
	ing, err := typed[networkingv1.Ingress](d)
	if err != nil || ing.Spec.DefaultBackend != nil || len(ing.Spec.Rules) == 0 || ing.Namespace != s.Namespace {
		return false
	}
	var a *App
	var paths map[string]any
	var hosts []any
	for i, r := range ing.Spec.Rules {
		if r.HTTP == nil || r.Host == "" && len(ing.Spec.Rules) > 1 || slices.Contains(hosts, any(r.Host)) {
			return false
		}
		rulePaths := map[string]any{}
		for _, path := range r.HTTP.Paths {
			b := path.Backend.Service
			if b == nil || path.Path == "" || path.PathType == nil || rulePaths[path.Path] != nil {
				return false
			}
			app := p.serviceApp(b.Name)
			if app == nil || a != nil && app != a {
				return false
			}
			a = app
			port := s.servicePortName(app, b.Port)
			if port == "" {
				return false
			}
			out := map[string]any{"port": port}
			if *path.PathType != networkingv1.PathTypePrefix {
				out["pathType"] = string(*path.PathType)
			}
			rulePaths[path.Path] = out
		}
		if i > 0 && !reflect.DeepEqual(paths, rulePaths) {
			return false
		}
		paths = rulePaths
		if r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	if a == nil {
		return false // no path: the API server refuses it
	}
	app := s.Apps[a.Name]
	expose, _ := app["expose"].(map[string]any)
	annotations, ok := s.extraAnnotations(d, a.Name)
	if !ok || expose["ingress"] != nil {
		return false
	}
	in := map[string]any{"paths": paths}
	if len(annotations) > 0 {
		in["annotations"] = annotations
	}
	if len(hosts) > 0 {
		in["hosts"] = hosts
	}
	if c := ing.Spec.IngressClassName; c != nil {
		in["className"] = *c
	}
	switch tls := ing.Spec.TLS; {
	case len(tls) > 1:
		return false
	case len(tls) == 1:
		if tls[0].SecretName == "" || !slices.Equal(tls[0].Hosts, stringsOf(hosts)) {
			return false
		}
		in["tls"] = map[string]any{"secret": tls[0].SecretName}
	}
	if expose == nil {
		expose = map[string]any{}
		app["expose"] = expose
	}
	expose["ingress"] = in
	s.renamed(p, d, a.Name)
	s.Notes = append(s.Notes, fmt.Sprintf("Ingress %s: app %s's expose.ingress", d.Name(), a.Name))
	return true
}

// disruption says a PodDisruptionBudget whose selector is exactly the
// labels of one app's pods as the app's disruption.
func (s *Stack) disruption(p *Plan, d manifest.Doc) bool {
	if d.Kind() != "PodDisruptionBudget" || d.APIVersion() != "policy/v1" || p.ObjectsOnly["PodDisruptionBudget"] {
		return false
	}
	pdb, err := typed[policyv1.PodDisruptionBudget](d)
	if err != nil || pdb.Spec.Selector == nil || len(pdb.Spec.Selector.MatchExpressions) > 0 || pdb.Namespace != s.Namespace {
		return false
	}
	a := p.selected(pdb.Spec.Selector.MatchLabels)
	if a == nil || a.Workload.Kind() != "Deployment" && a.Workload.Kind() != "StatefulSet" {
		return false
	}
	app := s.Apps[a.Name]
	if !s.plain(d, a.Name) || app["disruption"] != nil || (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
		return false
	}
	out := map[string]any{}
	for name, v := range map[string]*intstr.IntOrString{"minAvailable": pdb.Spec.MinAvailable, "maxUnavailable": pdb.Spec.MaxUnavailable} {
		switch {
		case v == nil:
		case v.Type == intstr.String:
			out[name] = v.StrVal
		default:
			out[name] = int(v.IntVal)
		}
	}
	if u := pdb.Spec.UnhealthyPodEvictionPolicy; u != nil {
		out["unhealthyPodEvictionPolicy"] = string(*u)
	}
	app["disruption"] = out
	s.renamed(p, d, a.Name)
	s.Notes = append(s.Notes, fmt.Sprintf("PodDisruptionBudget %s: app %s's disruption", d.Name(), a.Name))
	return true
}

// networkPolicies says NetworkPolicies, one of each app's pods, as the
// stack's networkPolicies when there is one for every app: import then
// verifies that kdecl derives them alike from uses. Egress is "uses"
// when the policies limit it, and the ingress controller's namespace
// the one a rule names.
func (s *Stack) networkPolicies(p *Plan, d manifest.Doc) bool {
	if d.Kind() != "NetworkPolicy" || p.ObjectsOnly["NetworkPolicy"] || len(p.Apps) == 0 {
		return false
	}
	if s.NetworkPolicies == nil {
		policies := map[*App]*networkingv1.NetworkPolicy{}
		for _, o := range p.Objects {
			pol, err := typed[networkingv1.NetworkPolicy](o)
			if o.Kind() != "NetworkPolicy" || err != nil || len(pol.Spec.PodSelector.MatchExpressions) > 0 {
				continue
			}
			if a := p.selected(pol.Spec.PodSelector.MatchLabels); a != nil && policies[a] == nil && s.plain(o, a.Name) {
				policies[a] = pol
			}
		}
		if len(policies) != len(p.Apps) {
			return false
		}
		np := map[string]any{}
		egress := 0
		for _, a := range p.Apps {
			pol := policies[a]
			if slices.Contains(pol.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
				egress++
			}
			for _, r := range pol.Spec.Ingress {
				for _, peer := range r.From {
					ns := ""
					if sel := peer.NamespaceSelector; sel != nil {
						ns = sel.MatchLabels[corev1.LabelMetadataName]
					}
					if prev, ok := np["ingressNamespace"]; ns != "" && ok && prev != ns {
						return false // controllers of two namespaces: no one field says it
					} else if ns != "" {
						np["ingressNamespace"] = ns
					}
				}
			}
		}
		switch egress {
		case 0:
			np["egress"] = "any"
		case len(policies):
		default:
			return false
		}
		s.NetworkPolicies = np
		s.policies = map[string]string{}
		for a, pol := range policies {
			s.policies[pol.Name] = a.Name
		}
	}
	app, ok := s.policies[d.Name()]
	if !ok {
		return false
	}
	s.renamed(p, d, app)
	s.Notes = append(s.Notes, fmt.Sprintf("NetworkPolicy %s: app %s's, as networkPolicies derives it from uses", d.Name(), app))
	return true
}

// renamed records that kdecl names d, an object of app's, after the app.
func (s *Stack) renamed(p *Plan, d manifest.Doc, app string) {
	if d.Name() != app {
		p.ObjectNames[d.Kind()+"/"+d.Name()] = app
	}
}

// serviceApp is the app whose Service kdecl names name, or nil.
func (p *Plan) serviceApp(name string) *App {
	for _, a := range p.Apps {
		if a.Name == name && len(a.regularServices()) > 0 && a.regularServices()[0].Name() == name {
			return a
		}
	}
	return nil
}

// selected is the app whose pods the labels select exactly: the labels
// of its workload's selector, or of its pods where it has none (a Job's
// is the API server's).
func (p *Plan) selected(labels map[string]string) *App {
	if len(labels) == 0 {
		return nil
	}
	var found *App
	for _, a := range p.Apps {
		sel, ok := manifest.Get(a.Workload.Object, "spec", "selector", "matchLabels").(map[string]any)
		if !ok {
			sel = podLabels(a.Workload)
		} else if len(sel) != len(labels) {
			continue
		}
		if !slices.ContainsFunc(slices.Collect(maps.Keys(labels)), func(k string) bool { return sel[k] != labels[k] }) {
			if found != nil {
				return nil // the pods of two apps
			}
			found = a
		}
	}
	return found
}

// servicePortName is the name kdecl gives the port of the app's Service
// that a backend names, by name or number; "" if there is none.
func (s *Stack) servicePortName(a *App, port networkingv1.ServiceBackendPort) string {
	svc := a.regularServices()[0]
	ports, _ := manifest.Get(svc.Object, "spec", "ports").([]any)
	written, _ := s.Apps[a.Name]["ports"].(map[string]any)
	for _, v := range ports {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		protocol, _ := m["protocol"].(string)
		if port.Name != "" && name == port.Name || port.Name == "" && number(m["port"]) == port.Number && (protocol == "" || protocol == "TCP") {
			if n := s.portNames[svc.Name()][name]; n != "" {
				return n
			}
			if len(ports) == 1 && len(written) == 1 {
				for n := range written { // the Service's one port, unnamed
					return n
				}
			}
		}
	}
	return ""
}

func stringsOf(xs []any) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.(string))
	}
	return out
}
