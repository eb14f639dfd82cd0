package generators

import (
	"maps"

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
// headless Service that several apps share is the first's, of all their
// ports, and selects their pods by schema.HeadlessLabel.
func HeadlessService(s *schema.Stack, a *schema.App) *corev1.Service {
	name := a.HeadlessService()
	if name == "" {
		return nil
	}
	selector, ports := SelectorLabels(s, a), a.ServicePorts()
	if sharers := s.HeadlessSharers(a); len(sharers) > 0 {
		if sharers[0].Name != a.Name {
			return nil
		}
		selector = map[string]string{LabelInstance: s.Name, schema.HeadlessLabel: name}
		ports = map[string]schema.Port{}
		for _, x := range sharers {
			maps.Copy(ports, x.ServicePorts()) // alike, as the schema checks
		}
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: objectMeta(s, a, name),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 selector,
			Ports:                    servicePorts(ports, nil),
			PublishNotReadyAddresses: a.HeadlessPublishes(),
		},
	}
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
