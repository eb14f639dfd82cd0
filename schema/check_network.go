package schema

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// headless checks the app's headless Service: a workload whose pods
// serve, a Service name, and not the name of the app's other Service.
func (c *appChecker) headless() {
	a := c.app
	if a.Headless == nil {
		return
	}
	if a.Kind == KindJob || a.Kind == KindCronJob {
		c.fail(fmt.Sprintf("a %s's pods serve nothing to look up; remove headless", a.Kind), "headless")
		return
	}
	name := a.HeadlessService()
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		c.fail(fmt.Sprintf("%s is no Service name: %s", quote(name), strings.Join(errs, "; ")), "headless", "name")
	}
	if name == a.Name && a.Expose.Type != ExposeNone {
		c.fail(fmt.Sprintf("%s is the name of the app's Service; name the headless one otherwise, or set expose.type none", quote(name)), "headless", "name")
	}
}

// ingress checks the app's Ingress and fills in its defaults: a path /,
// each path's type and port. Its backend is the app's Service, so the
// app needs one; its hosts and paths follow the API server's rules.
func (c *appChecker) ingress() {
	in := c.app.Expose.Ingress
	if in == nil {
		return
	}
	switch {
	case c.app.Expose.Type == ExposeNone && len(c.app.Ports) > 0 && len(c.app.ServicePorts()) == 0:
		c.fail("routes to the app's Service, and the app has none: each of its ports has service: false", "expose", "ingress")
		return
	case c.app.Expose.Type == ExposeNone:
		c.fail("routes to the app's Service, and the app has none: give it ports and an expose.type", "expose", "ingress")
		return
	}
	// The API server wants the deprecated class annotation, where set,
	// to name the class className does.
	if v, ok := in.Annotations[ingressClassAnnotation]; ok {
		c.ingressClass(v, []string{"expose", "ingress", "annotations", ingressClassAnnotation})
	}
	if v, ok := c.app.Annotations[ingressClassAnnotation]; ok {
		c.ingressClass(v, []string{"annotations", ingressClassAnnotation})
	}
	seen := map[string]bool{}
	for i, h := range in.Hosts {
		field := []string{"expose", "ingress", "hosts", index(i)}
		if why := hostProblem(h); why != "" {
			c.fail(fmt.Sprintf("%s %s", quote(h), why), field...)
		} else if seen[h] {
			c.fail(fmt.Sprintf("%s is listed twice", quote(h)), field...)
		}
		seen[h] = true
	}
	if len(in.Paths) == 0 {
		in.Paths = map[string]IngressPath{"/": {}}
	}
	ports := c.app.ServicePorts()
	for _, path := range slices.Sorted(maps.Keys(in.Paths)) {
		p := in.Paths[path]
		field := []string{"expose", "ingress", "paths", path}
		if p.PathType == "" {
			p.PathType = "Prefix"
		}
		if why := ingressPathProblem(path, p.PathType); why != "" {
			c.fail(fmt.Sprintf("%s %s", quote(path), why), field...)
		}
		switch _, ok := ports[p.Port]; {
		case p.Port == "" && len(ports) == 1:
			p.Port = slices.Collect(maps.Keys(ports))[0]
		case p.Port == "":
			c.fail(fmt.Sprintf("the app's Service has %d ports (%s): name the one the path goes to with port", len(ports), keyList(ports)), field...)
		case !ok:
			c.fail(fmt.Sprintf("%q is not a port of the app's Service (have %s)", p.Port, keyList(ports)), append(field, "port")...)
		}
		in.Paths[path] = p
	}
}

// ingressClassAnnotation is the deprecated annotation of an Ingress's
// class.
const ingressClassAnnotation = "kubernetes.io/ingress.class"

// ingressClass checks the class annotation of the app's Ingress, set to
// v at field: the API server wants it to name className, when set.
func (c *appChecker) ingressClass(v string, field []string) {
	if class := c.app.Expose.Ingress.ClassName; class != "" && v != class {
		c.fail(fmt.Sprintf("names class %s, and className %s: the API server wants them alike; remove the annotation", quote(v), quote(class)), field...)
	}
}

// hostProblem says what is wrong with an Ingress host, as the API server
// does: "" if nothing.
func hostProblem(h string) string {
	// The server reads an address as net.ParseIP once did, with leading
	// zeros (010.1.1.1).
	if _, err := netip.ParseAddr(h); err == nil || sloppyIPv4(h) {
		return "is an IP address: a host is a DNS name"
	}
	var errs []string
	if strings.Contains(h, "*") {
		errs = validation.IsWildcardDNS1123Subdomain(h)
	} else {
		errs = validation.IsDNS1123Subdomain(h)
	}
	if len(errs) > 0 {
		return "is no host name: " + strings.Join(errs, "; ")
	}
	return ""
}

// sloppyIPv4 says whether h is an IPv4 address with leading zeros.
func sloppyIPv4(h string) bool {
	parts := strings.Split(h, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n > 255 || p == "" || p[0] == '+' || p[0] == '-' {
			return false
		}
	}
	return true
}

// ingressPathProblem says what the API server refuses in an Ingress path
// of a type: "" if nothing.
func ingressPathProblem(path, pathType string) string {
	if pathType == "ImplementationSpecific" {
		return ""
	}
	for _, seq := range []string{"//", "/./", "/../", "%2f", "%2F"} {
		if strings.Contains(path, seq) {
			return fmt.Sprintf("has %q, which a path of type %s may not", seq, pathType)
		}
	}
	for _, suffix := range []string{"/..", "/."} {
		if strings.HasSuffix(path, suffix) {
			return fmt.Sprintf("ends with %q, which a path of type %s may not", suffix, pathType)
		}
	}
	return ""
}

// disruption checks the app's PodDisruptionBudget: one of its two
// numbers, percentages up to 100%, on a kind a drain evicts; and warns
// when the budget lets no pod go, so that a drain waits for ever.
func (c *appChecker) disruption() {
	d := c.app.Disruption
	if d == nil {
		return
	}
	switch k := c.app.Kind; {
	case k == KindJob || k == KindCronJob:
		c.fail(fmt.Sprintf("a %s's pods run to completion, and a budget only keeps a drain waiting for them; remove disruption", k), "disruption")
		return
	case k == KindDaemonSet:
		c.fail("a drain leaves a daemonset's pods alone (kubectl drain --ignore-daemonsets), so a budget has nothing to keep; remove disruption", "disruption")
		return
	}
	switch {
	case d.MinAvailable != nil && d.MaxUnavailable != nil:
		c.fail("set minAvailable or maxUnavailable, not both", "disruption", "maxUnavailable")
		return
	case d.MinAvailable == nil && d.MaxUnavailable == nil:
		c.fail("set minAvailable or maxUnavailable", "disruption")
		return
	case d.MinAvailable != nil:
		c.percentAtMost100(*d.MinAvailable, "disruption", "minAvailable")
	default:
		c.percentAtMost100(*d.MaxUnavailable, "disruption", "maxUnavailable")
	}
	// The disruption controller rounds a percentage of pods up. An
	// autoscaled app may be at its minReplicas.
	replicas, of := c.app.Replicas, "replicas"
	if a := c.app.Autoscale; a != nil {
		replicas, of = 1, "replicas (autoscale.minReplicas)"
		if a.MinReplicas != nil {
			replicas = *a.MinReplicas
		}
	}
	const never = "lets no pod be evicted: draining a node the app runs on waits for ever"
	switch {
	case d.MinAvailable != nil && replicas > 0 && podsOf(*d.MinAvailable, replicas) >= int(replicas):
		c.warn(fmt.Sprintf("minAvailable %s of %d %s %s", d.MinAvailable, replicas, of, never), "disruption", "minAvailable")
	case d.MaxUnavailable != nil && isZero(*d.MaxUnavailable):
		c.warn("maxUnavailable "+d.MaxUnavailable.String()+" "+never, "disruption", "maxUnavailable")
	}
}

// podsOf is a number of pods, or a percentage of replicas rounded up, as
// the disruption controller scales it.
func podsOf(v intstr.IntOrString, replicas int32) int {
	n, err := intstr.GetScaledValueFromIntOrPercent(&v, int(replicas), true)
	if err != nil {
		return 0 // not a percentage: refused as such
	}
	return n
}

// network checks what the stack's apps route and fills in the defaults
// of networkPolicies: two Ingresses of one class may not route one host
// and path of one type (a Prefix path alike with a / at its end or not).
func (l *loader) network(s *Stack, checkers map[string]*appChecker) {
	if np := s.NetworkPolicies; np != nil {
		if np.Egress == "" {
			np.Egress = EgressUses
		}
		for _, c := range checkers {
			c.app.NetworkPolicy = true
		}
	}
	routes := map[string]string{} // host and path → app
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		in := c.app.Expose.Ingress
		if in == nil {
			continue
		}
		hosts := in.Hosts
		if len(hosts) == 0 {
			hosts = []string{""}
		}
		for i, h := range hosts {
			for _, path := range slices.Sorted(maps.Keys(in.Paths)) {
				p := in.Paths[path]
				key := path
				if p.PathType == "Prefix" && key != "/" {
					key = strings.TrimSuffix(key, "/")
				}
				route := strings.Join([]string{in.ClassName, h, p.PathType, key}, "\x00")
				other, taken := routes[route]
				if other == name {
					continue // a host listed twice, said as such
				}
				if !taken {
					routes[route] = name
					continue
				}
				field := []string{"expose", "ingress", "paths", path}
				if h != "" {
					field = []string{"expose", "ingress", "hosts", index(i)}
				}
				host := "every host"
				if h != "" {
					host = h
				}
				c.fail(fmt.Sprintf("the Ingress of app %q routes %s of %s too: a controller would send its requests to one of the two", other, path, host), field...)
			}
		}
	}
}
