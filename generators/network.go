package generators

import (
	"cmp"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kdecl/kdecl/schema"
)

// Ingress is the app's Ingress, or nil: one rule per host (one for every
// host when it names none), each path to a port of the app's Service by
// name, so that backend and Service agree by construction.
func Ingress(s *schema.Stack, a *schema.App) *networkingv1.Ingress {
	in := a.Expose.Ingress
	if in == nil || !a.HasService() {
		return nil
	}
	var paths []networkingv1.HTTPIngressPath
	for _, path := range slices.Sorted(maps.Keys(in.Paths)) {
		p := in.Paths[path]
		paths = append(paths, networkingv1.HTTPIngressPath{
			Path:     path,
			PathType: new(networkingv1.PathType(p.PathType)),
			Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
				Name: a.Name,
				Port: networkingv1.ServiceBackendPort{Name: p.Port},
			}},
		})
	}
	rule := func(host string) networkingv1.IngressRule {
		return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths},
		}}
	}
	var rules []networkingv1.IngressRule
	for _, h := range in.Hosts {
		rules = append(rules, rule(h))
	}
	if len(rules) == 0 {
		rules = append(rules, rule(""))
	}
	meta := objectMeta(s, a, a.Name)
	meta.Annotations = union(a.Annotations, in.Annotations)
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: meta,
		Spec:       networkingv1.IngressSpec{Rules: rules},
	}
	if in.ClassName != "" {
		ing.Spec.IngressClassName = new(in.ClassName)
	}
	if in.TLS != nil {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: in.Hosts, SecretName: in.TLS.Secret}}
	}
	return ing
}

// PodDisruptionBudget is the app's PodDisruptionBudget, or nil, over the
// app's pods by kdecl's selector.
func PodDisruptionBudget(s *schema.Stack, a *schema.App) *policyv1.PodDisruptionBudget {
	d := a.Disruption
	if d == nil {
		return nil
	}
	pdb := &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: objectMeta(s, a, a.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: SelectorLabels(s, a)},
			MinAvailable:   d.MinAvailable,
			MaxUnavailable: d.MaxUnavailable,
		},
	}
	if d.UnhealthyPodEvictionPolicy != "" {
		pdb.Spec.UnhealthyPodEvictionPolicy = new(policyv1.UnhealthyPodEvictionPolicyType(d.UnhealthyPodEvictionPolicy))
	}
	return pdb
}

// NetworkPolicy is the app's NetworkPolicy, or nil unless the stack asks
// for network policies. Its pods admit traffic from the pods of each app
// that uses it, on the ports the use reaches; from their own peers, for
// a statefulset; from the ingress controller, on the ports its Ingress
// routes to; and from anywhere, on the ports of a NodePort or
// LoadBalancer Service and its host ports. With egress "uses", its pods
// reach DNS and the apps they use alone.
func NetworkPolicy(s *schema.Stack, a *schema.App) *networkingv1.NetworkPolicy {
	np := s.NetworkPolicies
	if np == nil {
		return nil
	}
	self := SelectorLabels(s, a)
	from := func(labels map[string]string) []networkingv1.NetworkPolicyPeer {
		return []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: labels}}}
	}
	ingress := []networkingv1.NetworkPolicyIngressRule{} // none: no traffic in
	for _, user := range s.Apps {
		for _, d := range user.Dependencies {
			if d.App == a.Name {
				ingress = append(ingress, networkingv1.NetworkPolicyIngressRule{From: from(SelectorLabels(s, &user)), Ports: policyPorts(a, slices.Collect(maps.Keys(d.Ports)))})
			}
		}
	}
	if a.Kind == schema.KindStatefulSet && len(a.Ports) > 0 {
		ingress = append(ingress, networkingv1.NetworkPolicyIngressRule{From: from(self), Ports: policyPorts(a, slices.Collect(maps.Keys(a.Ports)))})
	}
	if in := a.Expose.Ingress; in != nil && a.HasService() {
		controller := &metav1.LabelSelector{}
		if np.IngressNamespace != "" {
			controller.MatchLabels = map[string]string{corev1.LabelMetadataName: np.IngressNamespace}
		}
		var routed []string
		for _, p := range in.Paths {
			routed = append(routed, p.Port)
		}
		ingress = append(ingress, networkingv1.NetworkPolicyIngressRule{
			From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: controller}}, Ports: policyPorts(a, routed),
		})
	}
	// From anywhere: the ports of a NodePort or LoadBalancer Service, and
	// those the pods open on their nodes' addresses (hostPort).
	var open []string
	if t := a.Expose.Type; t == "NodePort" || t == "LoadBalancer" {
		open = slices.Collect(maps.Keys(a.ServicePorts()))
	}
	for name, p := range a.Ports {
		if p.HostPort != 0 && !slices.Contains(open, name) {
			open = append(open, name)
		}
	}
	if len(open) > 0 {
		ingress = append(ingress, networkingv1.NetworkPolicyIngressRule{Ports: policyPorts(a, open)})
	}
	pol := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: objectMeta(s, a, a.Name),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: self},
			Ingress:     ingress,
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	if np.Egress == schema.EgressUses {
		pol.Spec.PolicyTypes = append(pol.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		pol.Spec.Egress = egress(s, a)
	}
	return pol
}

// egress are the rules of an app's pods that reach DNS and the apps
// they use alone (and a statefulset's peers, and the API server for the
// pods that wait for jobs).
func egress(s *schema.Stack, a *schema.App) []networkingv1.NetworkPolicyEgressRule {
	dns := networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{
		{Protocol: new(corev1.ProtocolUDP), Port: new(intstr.FromInt32(53))},
		{Protocol: new(corev1.ProtocolTCP), Port: new(intstr.FromInt32(53))},
	}}
	rules := []networkingv1.NetworkPolicyEgressRule{dns}
	to := func(t *schema.App, ports []string) {
		rules = append(rules, networkingv1.NetworkPolicyEgressRule{
			To:    []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: SelectorLabels(s, t)}}},
			Ports: policyPorts(t, ports),
		})
	}
	// by app, whatever the order of uses: a policy says a set of peers
	deps := slices.SortedFunc(slices.Values(a.Dependencies), func(x, y schema.Dependency) int { return cmp.Compare(x.App, y.App) })
	for _, d := range deps {
		if i, ok := slices.BinarySearchFunc(s.Apps, d.App, func(t schema.App, name string) int { return cmp.Compare(t.Name, name) }); ok {
			to(&s.Apps[i], slices.Collect(maps.Keys(d.Ports)))
		}
	}
	if a.Kind == schema.KindStatefulSet && len(a.Ports) > 0 {
		to(a, slices.Collect(maps.Keys(a.Ports)))
	}
	if len(a.After) > 0 {
		rules = append(rules, apiServer())
	}
	return rules
}

// apiServer is the egress of the pods that wait for jobs, through the
// API: to any address on 443, the port of the Service kubernetes, and
// 6443, where most API servers behind it listen. A policy applies to
// the address the Service forwards to, the API server's own, which a
// render cannot know.
func apiServer() networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{
		{Protocol: new(corev1.ProtocolTCP), Port: new(intstr.FromInt32(443))},
		{Protocol: new(corev1.ProtocolTCP), Port: new(intstr.FromInt32(6443))},
	}}
}

// policyPorts are the container ports of the app's ports of the names,
// by number and protocol, as a NetworkPolicy admits them after a
// Service has forwarded the traffic to the pod.
func policyPorts(a *schema.App, names []string) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for _, cp := range containerPorts(a.Ports) {
		if !slices.Contains(names, cp.Name) {
			continue
		}
		p := networkingv1.NetworkPolicyPort{Protocol: new(cp.Protocol), Port: new(intstr.FromInt32(cp.ContainerPort))}
		if !slices.ContainsFunc(out, func(q networkingv1.NetworkPolicyPort) bool { return *q.Port == *p.Port && *q.Protocol == *p.Protocol }) {
			out = append(out, p)
		}
	}
	return out
}
