package generators

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kdecl/kdecl/schema"
)

// Service is the app's Service, or nil when it exposes no port. Each port
// targets the container port of the same name.
func Service(s *schema.Stack, a *schema.App) *corev1.Service {
	e := a.Expose
	if !a.HasService() {
		return nil
	}
	meta := objectMeta(s, a, a.Name)
	meta.Annotations = union(a.Annotations, e.Annotations)
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta,
		Spec: corev1.ServiceSpec{
			Type:                     corev1.ServiceType(e.Type),
			Selector:                 SelectorLabels(s, a),
			Ports:                    servicePorts(a.ServicePorts(), e.NodePorts),
			SessionAffinity:          corev1.ServiceAffinity(e.SessionAffinity),
			ExternalTrafficPolicy:    corev1.ServiceExternalTrafficPolicy(e.ExternalTrafficPolicy),
			LoadBalancerSourceRanges: e.LoadBalancerSourceRanges,
			PublishNotReadyAddresses: e.PublishNotReadyAddresses,
			LoadBalancerIP:           e.LoadBalancerIP,
		},
	}
}

// HeadlessService is the app's headless Service, or nil: it gives each
// pod a DNS name, <pod>.<service> (<app>-<ordinal> for a statefulset,
// whose serviceName it is), on the ports of the app's Service. A
// headless Service that several apps share is none of theirs but the
// stack's (SharedHeadlessServices).
func HeadlessService(s *schema.Stack, a *schema.App) *corev1.Service {
	name := a.HeadlessService()
	if name == "" || a.SharesHeadless {
		return nil
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: objectMeta(s, a, name),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 SelectorLabels(s, a),
			Ports:                    servicePorts(a.ServicePorts(), nil),
			PublishNotReadyAddresses: a.HeadlessPublishes(),
		},
	}
}

// SharedHeadlessServices are the headless Services that several apps
// share, by name: the stack's, with its labels alone, on the ports of
// all of them, selecting their pods by schema.HeadlessLabel.
func SharedHeadlessServices(s *schema.Stack) []*corev1.Service {
	groups := s.HeadlessGroups()
	var out []*corev1.Service
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		sharers := groups[name]
		ports := map[string]schema.Port{}
		for _, x := range sharers {
			maps.Copy(ports, x.ServicePorts()) // alike, as the schema checks
		}
		out = append(out, &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace, Labels: StackLabels(s)},
			Spec: corev1.ServiceSpec{
				ClusterIP:                corev1.ClusterIPNone,
				Selector:                 map[string]string{LabelInstance: s.Name, schema.HeadlessLabel: name},
				Ports:                    servicePorts(ports, nil),
				PublishNotReadyAddresses: sharers[0].HeadlessPublishes(),
			},
		})
	}
	return out
}

// servicePorts expose each port under its name and its number on the
// Service, targeting the container port by name.
func servicePorts(ports map[string]schema.Port, nodePorts map[string]int32) []corev1.ServicePort {
	var out []corev1.ServicePort
	for _, p := range containerPorts(ports) {
		out = append(out, corev1.ServicePort{
			Name:       p.Name,
			Port:       ports[p.Name].ServiceNumber(),
			TargetPort: intstr.FromString(p.Name),
			Protocol:   p.Protocol,
			NodePort:   nodePorts[p.Name],
		})
	}
	return out
}
