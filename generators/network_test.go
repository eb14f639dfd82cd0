package generators_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/randstack"
	"github.com/kdecl/kdecl/schema"
)

// TestNetworkPoliciesAdmitUses: in random stacks with network policies,
// the policies kdecl renders admit traffic from one app's pods to
// another's on a port exactly when the first uses the second and reaches
// that port (or they are peers of a statefulset, or the port is open to
// an ingress controller or from outside the cluster), evaluated as a
// network plugin does: a pod's ingress and the sender's egress must both
// admit it.
func TestNetworkPoliciesAdmitUses(t *testing.T) {
	checked, edges := 0, 0
	for i := 0; checked < 40 && i < 2000; i++ {
		src := randstack.Stack(rand.New(rand.NewPCG(5, uint64(i))), fmt.Sprintf("ns-%d", i), randstack.Options{})
		if !strings.Contains(string(src), "\nnetworkPolicies:") {
			continue
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "stack.cue"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := schema.Load(dir)
		if err != nil {
			continue // refused: nothing rendered
		}
		ms, err := generators.Stack(s)
		if err != nil {
			t.Fatalf("stack %d: %v", i, err)
		}
		checked++
		var policies []*networkingv1.NetworkPolicy
		for _, m := range ms {
			// kdecl's, each named after its app; not those of objects
			if p, ok := m.Object.(*networkingv1.NetworkPolicy); ok && m.App != "" && p.Name == m.App {
				policies = append(policies, p)
			}
		}
		if len(policies) != len(s.Apps) {
			t.Fatalf("stack %d: %d network policies for %d apps", i, len(policies), len(s.Apps))
		}
		ports := []port{{53, corev1.ProtocolUDP}, {53, corev1.ProtocolTCP}}
		for _, a := range s.Apps {
			for _, p := range a.Ports {
				ports = append(ports, port{p.Port, corev1.Protocol(p.Protocol)})
			}
		}
		for _, from := range s.Apps {
			for _, to := range s.Apps {
				for _, p := range ports {
					want := wantAdmitted(s, &from, &to, p)
					got := admits(policies, pod(s, &from), pod(s, &to), p, true) && admits(policies, pod(s, &to), pod(s, &from), p, false)
					if got != want {
						t.Errorf("stack %d: %s → %s on %d/%s: admitted %v, want %v\n%s", i, from.Name, to.Name, p.num, p.protocol, got, want, src)
					}
					if got {
						edges++
					}
				}
			}
			// DNS anywhere, nothing else outside the stack
			dns := map[string]string{"k8s-app": "kube-dns"}
			if !admits(policies, dns, pod(s, &from), port{53, corev1.ProtocolUDP}, false) {
				t.Errorf("stack %d: %s cannot reach DNS", i, from.Name)
			}
			if got, want := admits(policies, dns, pod(s, &from), port{80, corev1.ProtocolTCP}, false), s.NetworkPolicies.Egress == schema.EgressAny; got != want {
				t.Errorf("stack %d: %s reaches a pod of no app on port 80: %v, want %v", i, from.Name, got, want)
			}
		}
	}
	if checked < 20 || edges == 0 {
		t.Fatalf("only %d stacks with network policies loaded, %d admitted edges", checked, edges)
	}
	t.Logf("%d stacks, %d admitted edges", checked, edges)
}

type port struct {
	num      int32
	protocol corev1.Protocol
}

// pod are the labels of an app's pods that its policies select on.
func pod(s *schema.Stack, a *schema.App) map[string]string { return generators.SelectorLabels(s, a) }

// wantAdmitted is what the stack says of traffic from one app's pods to
// another's: the ports of a use, a statefulset's peers, and to the ports
// an Ingress or an external Service opens, which egress must let out
// (as it lets out DNS).
func wantAdmitted(s *schema.Stack, from, to *schema.App, p port) bool {
	uses := false
	for _, d := range from.Dependencies {
		if d.App == to.Name && reaches(to, d.Ports, p) {
			uses = true
		}
	}
	peers := from.Name == to.Name && to.Kind == schema.KindStatefulSet && reaches(to, to.Ports, p)
	in := uses || peers
	if ing := to.Expose.Ingress; ing != nil && to.Expose.Type != schema.ExposeNone && s.NetworkPolicies.IngressNamespace == "" {
		for _, path := range ing.Paths {
			in = in || reaches(to, map[string]schema.Port{path.Port: {}}, p)
		}
	}
	if t := to.Expose.Type; t == "NodePort" || t == "LoadBalancer" {
		in = in || reaches(to, to.ServicePorts(), p)
	}
	for name, q := range to.Ports {
		in = in || q.HostPort != 0 && reaches(to, map[string]schema.Port{name: q}, p)
	}
	// DNS goes out to any address (a cluster's resolver may be a node's),
	// and so does a wait for jobs to the API server, on its ports
	dns := p.num == 53
	api := len(from.After) > 0 && p.protocol == corev1.ProtocolTCP && (p.num == 443 || p.num == 6443)
	out := uses || peers || dns || api || s.NetworkPolicies.Egress == schema.EgressAny
	return in && out
}

// reaches says whether p is the container port of one of the named ports.
func reaches(a *schema.App, names map[string]schema.Port, p port) bool {
	for name := range names {
		if q, ok := a.Ports[name]; ok && q.Port == p.num && corev1.Protocol(q.Protocol) == p.protocol {
			return true
		}
	}
	return false
}

// admits evaluates the policies on traffic to port p, as the ingress of
// the pod labelled target from peer (ingress true) or as the egress of
// the pod target to peer, within the stack's namespace: admitted if no
// policy of that direction selects the pod, or a rule of one does.
func admits(policies []*networkingv1.NetworkPolicy, peer, target map[string]string, p port, ingress bool) bool {
	dir := networkingv1.PolicyTypeEgress
	if ingress {
		dir = networkingv1.PolicyTypeIngress
	}
	selected := false
	for _, pol := range policies {
		if !matches(&pol.Spec.PodSelector, target) || !slices.Contains(pol.Spec.PolicyTypes, dir) {
			continue
		}
		selected = true
		if ingress {
			for _, r := range pol.Spec.Ingress {
				if ruleAdmits(r.From, r.Ports, peer, p) {
					return true
				}
			}
		} else {
			for _, r := range pol.Spec.Egress {
				if ruleAdmits(r.To, r.Ports, peer, p) {
					return true
				}
			}
		}
	}
	return !selected
}

func ruleAdmits(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, peer map[string]string, p port) bool {
	portOK := len(ports) == 0
	for _, q := range ports {
		proto := corev1.ProtocolTCP
		if q.Protocol != nil {
			proto = *q.Protocol
		}
		portOK = portOK || proto == p.protocol && (q.Port == nil || q.Port.IntVal == p.num)
	}
	peerOK := len(peers) == 0
	for _, pr := range peers {
		switch {
		case pr.IPBlock != nil:
		case pr.NamespaceSelector != nil:
			// the peer is in the stack's namespace, which has only its
			// name label: an empty selector, or none, matches it
			peerOK = peerOK || len(pr.NamespaceSelector.MatchLabels)+len(pr.NamespaceSelector.MatchExpressions) == 0 && (pr.PodSelector == nil || matches(pr.PodSelector, peer))
		default:
			peerOK = peerOK || matches(pr.PodSelector, peer)
		}
	}
	return portOK && peerOK
}

func matches(sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(l))
}
