package schema

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

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
	if c.app.Expose.Type == ExposeNone {
		c.fail("routes to the app's Service, and the app has none: give it ports and an expose.type", "expose", "ingress")
		return
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

// hostProblem says what is wrong with an Ingress host, as the API server
// does: "" if nothing.
func hostProblem(h string) string {
	if _, err := netip.ParseAddr(h); err == nil {
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
	replicas := c.app.Replicas
	if a := c.app.Autoscale; a != nil {
		replicas = a.MaxReplicas
	}
	const never = "lets no pod be evicted: draining a node the app runs on waits for ever"
	switch {
	case d.MinAvailable != nil && (percent(*d.MinAvailable) == 100 || percent(*d.MinAvailable) < 0 && d.MinAvailable.IntVal >= replicas && replicas > 0):
		c.warn(fmt.Sprintf("minAvailable %s of %d replicas %s", d.MinAvailable, replicas, never), "disruption", "minAvailable")
	case d.MaxUnavailable != nil && isZero(*d.MaxUnavailable):
		c.warn("maxUnavailable "+d.MaxUnavailable.String()+" "+never, "disruption", "maxUnavailable")
	}
}

// network checks what the stack's apps route and fills in the defaults
// of networkPolicies: two Ingresses may not route one host and path.
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
				route := h + path
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
