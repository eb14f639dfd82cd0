package schema

import (
	"fmt"
	"maps"
	"slices"
)

// Node ports are one pool of the cluster's: the API server allocates
// each one to one Service when the Service is created, and refuses a
// Service that asks for a port another one holds or one outside the
// pool's range (initNodePorts and allocHealthCheckNodePort in
// pkg/registry/core/service/storage). A server-side dry run allocates
// nothing, so kdecl checks here, for every Service it writes, what the
// create would find.

// The API server's default --service-node-port-range.
const (
	minNodePort = 30000
	maxNodePort = 32767
)

// nodePortService is a Service of the stack that may ask for node ports.
type nodePortService struct {
	what string // how a message names it: the Service of app "web", the Service svc
	typ  string
	// ports in the Service's order; health is spec.healthCheckNodePort.
	ports  []nodePortRequest
	health nodePortRequest
	fail   func(msg string, field []string)
}

// nodePortRequest is one port of a Service: its number, protocol and the
// node port it asks for (0: none), set at field.
type nodePortRequest struct {
	port     int64
	protocol string
	nodePort int64
	field    []string
}

// nodePorts allocates the node ports that the stack's Services ask for,
// as the API server does on create: the apps' Services, then the stack's
// objects, then the apps' objects, each in order of name. An error goes
// to the Service that asks second, naming the first.
func (l *loader) nodePorts(s *Stack, checkers map[string]*appChecker) {
	var services []nodePortService
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		a := c.app
		if a.Expose.Type == ExposeNone || len(a.ServicePorts()) == 0 {
			continue
		}
		svc := nodePortService{what: fmt.Sprintf("the Service of app %q", a.Name), typ: a.Expose.Type,
			fail: func(msg string, field []string) { c.fail(msg, field...) }}
		for _, p := range slices.Sorted(maps.Keys(a.ServicePorts())) {
			port := a.Ports[p]
			svc.ports = append(svc.ports, nodePortRequest{int64(port.ServiceNumber()), protocolOf(port.Protocol),
				int64(a.Expose.NodePorts[p]), []string{"expose", "nodePorts", p}})
		}
		services = append(services, svc)
	}
	objectServices := func(objs map[string]map[string]any, fail func(msg string, field []string)) {
		for _, name := range sortedKeys(objs) {
			if svc, ok := objectNodePorts(name, objs[name], fail); ok {
				services = append(services, svc)
			}
		}
	}
	objectServices(s.Objects, func(msg string, field []string) { l.errorAt(l.lookup(field), "", fieldString(field), msg) })
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		objectServices(c.app.Objects, func(msg string, field []string) { c.fail(msg, field...) })
	}

	type holder struct {
		svc   int
		field []string
	}
	held := map[int64]holder{}
	for i, svc := range services {
		allocate := func(r nodePortRequest) {
			switch h, taken := held[r.nodePort]; {
			case r.nodePort < minNodePort || r.nodePort > maxNodePort:
				svc.fail(fmt.Sprintf("node port %d is outside the API server's default node port range, %d to %d (--service-node-port-range)", r.nodePort, minNodePort, maxNodePort), r.field)
			case taken && h.svc == i:
				svc.fail(fmt.Sprintf("node port %d is also pinned by %s, for another port number of the Service: only ports of one number share a node port", r.nodePort, describeField(h.field)), r.field)
			case taken:
				svc.fail(fmt.Sprintf("node port %d is also pinned by %s (%s): the API server gives a node port to one Service", r.nodePort, services[h.svc].what, describeField(h.field)), r.field)
			default:
				held[r.nodePort] = holder{i, r.field}
			}
		}
		switch svc.typ {
		case "NodePort", "LoadBalancer":
		default:
			continue // the checks of the Service's type report its node ports
		}
		// Ports of one number share a node port: the first that asks
		// for one asks for all of them.
		byPort := map[int64]int64{}
		for i, r := range svc.ports {
			allocated := byPort[r.port]
			switch {
			case allocated == 0:
				j := slices.IndexFunc(svc.ports[i:], func(o nodePortRequest) bool { return o.port == r.port && o.nodePort != 0 })
				if j < 0 {
					continue // the server chooses one
				}
				req := svc.ports[i+j]
				byPort[r.port] = req.nodePort
				allocate(req)
			case r.nodePort != 0 && r.nodePort != allocated:
				allocate(r)
			}
		}
		if svc.health.nodePort != 0 {
			allocate(svc.health)
		}
	}
}

// objectNodePorts reads the node ports a Service under objects asks for,
// and checks what the API server's validation of a Service says of them:
// node ports only for NodePort and LoadBalancer Services, one (protocol,
// node port) pair per Service, a health check node port only where the
// Service needs one. ok is false for an object that is no Service.
func objectNodePorts(name string, o map[string]any, fail func(msg string, field []string)) (svc nodePortService, ok bool) {
	if kind, _ := o["kind"].(string); kind != "Service" || o["apiVersion"] != "v1" {
		return svc, false
	}
	field := []string{"objects", name}
	typ, _ := get(o, "spec", "type")
	svc = nodePortService{what: "the Service " + name, typ: "ClusterIP", fail: fail}
	if t, ok := typ.(string); ok && t != "" {
		svc.typ = t
	}
	ports, _ := get(o, "spec", "ports")
	type pair struct {
		protocol string
		nodePort int64
	}
	pairs := map[pair]bool{}
	for i, x := range asList(ports) {
		p := asMap(x)
		r := nodePortRequest{field: at(field, "spec", "ports", index(i), "nodePort")}
		r.port, _ = p["port"].(int64)
		r.nodePort, _ = p["nodePort"].(int64)
		proto, _ := p["protocol"].(string)
		r.protocol = protocolOf(proto)
		if r.nodePort != 0 {
			key := pair{r.protocol, r.nodePort}
			switch {
			case svc.typ == "ClusterIP":
				fail("a ClusterIP Service has no node ports: set spec.type NodePort or LoadBalancer, or remove nodePort", r.field)
			case pairs[key]:
				fail(fmt.Sprintf("node port %d is set twice for %s in this Service", r.nodePort, r.protocol), r.field)
				r.nodePort = 0 // refused before any allocation
			}
			pairs[key] = true
		}
		svc.ports = append(svc.ports, r)
	}
	if n, _ := get(o, "spec", "healthCheckNodePort"); n != nil {
		svc.health = nodePortRequest{field: at(field, "spec", "healthCheckNodePort")}
		svc.health.nodePort, _ = n.(int64)
		policy, _ := get(o, "spec", "externalTrafficPolicy")
		if svc.health.nodePort != 0 && (svc.typ != "LoadBalancer" || policy != "Local") {
			fail(`only a LoadBalancer Service with externalTrafficPolicy "Local" has a health check node port`, svc.health.field)
			svc.health.nodePort = 0
		}
	}
	return svc, true
}

// protocolOf is a port's protocol, TCP when unset.
func protocolOf(p string) string {
	if p == "" {
		return "TCP"
	}
	return p
}
