// Package randstack turns a source of randomness into kdecl stacks for the
// e2e oracle, which checks that the API server accepts every object kdecl
// renders with exit 0.
//
// A stack uses every field of the schema, with values anywhere in the
// ranges the schema allows: the edges (the longest names, 0, the largest
// numbers), unusual characters, and, at a rate each stack draws, values
// past what the API server allows that kdecl must refuse. So most stacks
// render, some are refused by kdecl's checks, and a stack kdecl renders but
// the API server refuses is a gap in kdecl's checks. The generator avoids
// only what kdecl deliberately refuses (a duplicate environment variable, a
// field of another kind of app), as such a stack tests nothing further.
package randstack

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Options shape the stacks.
type Options struct {
	// LeftToServer draws, at the stack's risk, also values in overrides
	// and objects that break rules kdecl leaves to the API server
	// (schema/VALIDATION.md): stacks kdecl renders and the server
	// refuses, by design. It measures that gap.
	LeftToServer bool
}

// Stack returns a random stack, one CUE file of one package, that puts
// every object into namespace. The same state of r gives the same stack.
func Stack(r *rand.Rand, namespace string, opts Options) []byte {
	return Files(r, namespace, opts)["stack.cue"]
}

// Files are the files of a random stack, by path in its directory: its
// stack.cue, and the CustomResourceDefinition of a custom resource that
// the stack has kdecl type, in crds/ (a stack of its objects' CRD has it
// under objects instead).
func Files(r *rand.Rand, namespace string, opts Options) map[string][]byte {
	g := &gen{r: r, leftToServer: opts.LeftToServer}
	if g.p(0.75) {
		g.risk = r.Float64() * 0.12
	}
	src, crd := g.stack(namespace)
	files := map[string][]byte{"stack.cue": src}
	if crd != nil {
		files["crds/widgets.yaml"] = crd
	}
	return files
}

// app is what the stack's later apps need to know of an earlier one.
type app struct {
	name     string
	kind     string // as written; "" is a deployment
	ports    []port
	expose   string // as written; "" is ClusterIP or none
	replicas int64
	scales   bool     // replicas or autoscale are set: no HorizontalPodAutoscaler object
	claims   []string // persistent volumes, each a claim <app>-<volume> unless a statefulset
	config   bool     // the app has a ConfigMap
	files    bool     // the app has config files
	account  bool     // kdecl makes the app a ServiceAccount
	scaled   bool     // kdecl makes the app a HorizontalPodAutoscaler
	restart  string   // a job's or cronjob's restartPolicy
	headless bool     // the app asks for a headless Service
	noToken  bool     // its serviceAccount says automountToken: false
	ttl      bool     // a job's ttlSecondsAfterFinished is set
	// privileged is whether the app's container must be privileged, for
	// a Bidirectional mount: its overrides make it so.
	privileged bool
	// containers are the names of the pod's containers and init
	// containers.
	containers map[string]bool
}

// stackGen holds the state of one stack: its apps so far and the node
// ports its Services pin.
type stackGen struct {
	*gen
	namespace string
	apps      []*app
	nodePorts []int64
	crd       string  // the API group of the stack's custom resource
	extra     []field // objects of the stack's that apps need: the CRD
	crdFile   *object // the CRD, when it is in crds/ rather than objects
	configs   []sharedConfig
	// waits are the apps each app waits for: the ones it uses and waits
	// for, and the jobs that run before it.
	waits map[string][]string
}

// sharedConfig is what an app that uses a config of the stack's gets.
type sharedConfig struct {
	name   string
	env    []string // variables, of its env and fileEnv
	mounts []string // mount paths, of its files and fileMounts
}

func (g *gen) stack(namespace string) (src, crd []byte) {
	s := &stackGen{gen: g, namespace: namespace, waits: map[string][]string{}}
	top := &object{}
	pkg := "stack"
	switch x := g.r.IntN(100); {
	case x < 60:
		top.set("name", g.dnsLabel(63))
	case x < 90: // the package name is the stack's name
		pkg = g.chars(lower, 1) + g.chars(lower+digits, g.between(0, 20))
	default: // a package name that is no DNS label: the name must be set
		pkg = "stack_" + g.chars(lower, 3)
		top.set("name", g.dnsLabel(63))
	}
	top.set("namespace", namespace)
	if g.p(0.4) {
		top.set("clusterDomain", pick(g, "cluster.local", "example.internal", "k8s", "a.b.c.d", "1.2.3", g.dnsSubdomain(), g.longSubdomain(g.between(254, 400))))
	}
	if g.p(0.3) {
		top.set("labels", g.labels())
	}
	if g.p(0.25) {
		np := &object{}
		if g.p(0.4) {
			np.set("egress", pick(g, "uses", "any"))
		}
		if g.p(0.6) {
			np.set("ingressNamespace", pick(g, "ingress-nginx", "kube-system", g.dnsLabel(g.between(1, 63))))
		}
		top.set("networkPolicies", np)
	}
	objects := &object{}
	if g.p(0.25) {
		objects = s.objects(nil)
	}
	if g.p(0.25) {
		top.set("configs", s.sharedConfigs())
	}
	apps := &object{}
	n := pick(g, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6)
	if g.p(0.03) {
		n = g.between(8, 14) // more apps to collide across
	}
	for range n {
		name, o := s.app()
		apps.set(name, o)
	}
	if g.p(0.15) {
		top.set("argocd", obj("syncWaves", maybe(g, 0.6, pick(g, "before", "uses", "uses"))))
	}
	objects.fields = append(objects.fields, s.extra...)
	if !objects.empty() {
		top.set("objects", objects)
	}
	top.set("apps", apps)
	g.securityFields(top, apps)
	if g.p(0.1) { // drawn last, as security is
		top.set("flux", obj("substitute", pick(g, "disabled", "disabled", "disabled", "escape"))) // the schema refuses escape
	}
	if g.p(0.15) { // drawn after the rest, which stays what it was for a seed
		top.set("applySet", g.applySet())
	}
	if s.crdFile != nil {
		crd = jsonOf(s.crdFile)
	}
	return source(pkg, top), crd
}

// pod holds the names that must be unique in one pod.
type pod struct {
	containers map[string]bool
	ports      map[string]bool
	volumes    map[string]bool
	env        map[string]bool
	mounts     []string // mount paths of the app's container
	sidecars   []string
	hostPorts  []int64
}

// unique draws names from next until one is not in seen, and adds it.
// It gives up after a few tries and returns "".
func unique(seen map[string]bool, next func() string) string {
	for range 20 {
		if s := next(); !seen[s] {
			seen[s] = true
			return s
		}
	}
	return ""
}

// appName is an RFC 1035 label of at most 52 characters, kdecl's limit
// (its StatefulSet's pods get labels of the name and 11 more characters).
func (g *gen) appName() string {
	n := g.length(1, 52)
	return g.label(n, lower, lower+digits+"-", lower+digits)
}

func (s *stackGen) app() (string, *object) {
	g := s.gen
	a := &app{kind: pick(g, "", "", "", "deployment", "deployment", "statefulset", "statefulset", "statefulset", "daemonset", "job", "job", "cronjob", "cronjob")}
	var forceService bool // the app needs a Service
	var forceClaim string // a persistent volume the app needs
	var forceUse *app     // an app the app must use
	taken := map[string]bool{}
	for _, o := range s.apps {
		taken[o.name] = true
	}
	// Now and then a name that makes two objects share a name: a Service
	// and a statefulset's headless Service, two claims, the app's
	// container and the one that waits for what it uses.
	if len(s.apps) > 0 && g.rare() {
		other := pick(g, s.apps...)
		var options []func()
		if other.kind == "statefulset" && len(other.name) <= 43 {
			options = append(options, func() { a.name, forceService = other.name+"-headless", true })
		}
		if i := strings.LastIndex(other.name, "-"); i > 0 && len(other.claims) > 0 && other.kind != "statefulset" &&
			len(other.name)-i+len(other.claims[0]) <= 63 && other.name[i-1] != '-' {
			options = append(options, func() { a.name, forceClaim = other.name[:i], other.name[i+1:]+"-"+other.claims[0] })
		}
		if usable(other) && len(other.name) <= 43 {
			options = append(options, func() { a.name, forceUse = "wait-for-"+other.name, other })
		}
		if len(options) > 0 {
			pick(g, options...)()
		}
		if taken[a.name] {
			a.name, forceService, forceClaim, forceUse = "", false, "", nil
		}
	}
	if a.name == "" {
		a.name = unique(taken, g.appName)
		if a.name == "" {
			a.name = fmt.Sprintf("app%d", len(s.apps))
		}
	}
	if forceService || forceClaim != "" {
		a.kind = pick(g, "", "deployment")
	}
	s.apps = append(s.apps, a)

	p := &pod{
		containers: map[string]bool{a.name: true},
		ports:      map[string]bool{},
		volumes:    map[string]bool{},
		env:        map[string]bool{},
	}
	o := &object{}
	if a.kind != "" {
		o.set("kind", a.kind)
	}
	if g.p(0.3) {
		o.set("component", g.labelValue())
	}
	o.set("image", g.image())
	if g.p(0.3) {
		o.set("imagePullPolicy", pick(g, "Always", "IfNotPresent", "Never"))
	}
	workload := a.kind == "" || a.kind == "deployment" || a.kind == "statefulset" || a.kind == "daemonset"
	switch {
	case a.kind == "daemonset":
	case workload && g.p(0.15): // a HorizontalPodAutoscaler's replicas
		o.set("autoscale", g.autoscale())
		a.replicas, a.scaled, a.scales = 1, true, true
	case workload && g.p(0.6):
		a.replicas, a.scales = s.replicas(a.kind), true
		o.set("replicas", a.replicas)
	case workload:
		a.replicas = 1
	}
	if g.p(0.2) {
		create := g.p(0.7)
		name, created := maybe(g, 0.5, g.dnsSubdomain()), maybe(g, 0.4, create)
		token := maybe(g, 0.4, g.p(0.5))
		o.set("serviceAccount", obj("name", name, "create", created, "automountToken", token))
		a.account, a.noToken = create, token == false
	}
	if g.p(0.3) {
		o.set("command", g.texts(0, 4))
	}
	if g.p(0.3) {
		o.set("args", g.texts(0, 4))
	}

	if forceService || (workload && g.p(0.8)) || (!workload && g.p(0.25)) {
		var ports *object
		ports, a.ports = s.ports(p, 1, 4, true)
		o.set("ports", ports)
	}
	s.expose(a, o, forceService)
	s.uses(a, p, o, forceUse)
	s.useConfigs(p, o)

	if g.p(0.5) {
		env := &object{}
		for range g.count(1, 4) {
			if k := unique(p.env, g.envName); k != "" {
				env.set(k, g.text())
			}
		}
		o.set("env", env)
	}
	if g.p(0.45) {
		o.set("config", s.config(a, p))
	}
	if g.p(0.6) {
		probes := &object{}
		for _, name := range []string{"liveness", "readiness", "startup"} {
			if g.p(0.5) {
				probes.set(name, s.probe(a, name))
			}
		}
		o.set("probes", probes)
	}
	if g.p(0.4) {
		o.set("resources", g.resources())
	}
	if g.p(0.35) {
		o.set("annotations", g.annotations())
	}
	if g.p(0.35) {
		o.set("podAnnotations", g.annotations())
	}
	var volumes []string
	if g.p(0.35) || forceClaim != "" {
		o.set("storage", s.storage(a, p, forceClaim, &volumes))
	}
	if g.p(0.4) {
		o.set("secrets", s.secrets(p))
	}
	if g.p(0.3) {
		fe := &object{}
		for range g.count(1, 3) {
			if k := unique(p.env, g.envName); k != "" {
				fe.set(k, g.fieldPath())
			}
		}
		o.set("fieldEnv", fe)
	}
	if g.p(0.25) {
		re := &object{}
		for range g.count(1, 3) {
			if k := unique(p.env, g.envName); k != "" {
				res := pick(g, "limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage")
				r := &object{}
				r.set("resource", res)
				if g.p(0.6) {
					r.set("divisor", g.divisor(res))
				}
				re.set(k, r)
			}
		}
		o.set("resourceEnv", re)
	}
	if g.p(0.2) {
		pi := &object{}
		pi.set("mountPath", s.mountPath(p))
		if g.p(0.4) {
			pi.set("labels", g.p(0.5))
		}
		if g.p(0.4) {
			pi.set("annotations", g.p(0.5))
		}
		o.set("podInfo", pi)
	}
	var grace *int64
	if g.p(0.25) {
		t := g.integer(0, maxInt64, 1, 10, 30, 60, 300, 3600)
		grace = &t
	}
	if g.p(0.3) {
		lc := &object{}
		if g.p(0.5) {
			lc.set("postStart", s.handler(a, grace))
		}
		if g.p(0.6) {
			lc.set("preStop", s.handler(a, grace))
		}
		o.set("lifecycle", lc)
	}
	if grace != nil {
		o.set("terminationGracePeriodSeconds", *grace)
	}
	if g.p(0.2) {
		sc := &object{}
		for range g.count(1, 2) {
			if name := unique(p.containers, func() string { return g.dnsLabel(63) }); name != "" {
				sc.set(name, s.container(a, p, volumes, ""))
				p.sidecars = append(p.sidecars, name)
			}
		}
		o.set("sidecars", sc)
	}
	if g.p(0.2) {
		var ics list
		for range g.count(1, 2) {
			if name := unique(p.containers, func() string { return g.dnsLabel(63) }); name != "" {
				ics = append(ics, s.container(a, p, volumes, name))
			}
		}
		o.set("initContainers", ics)
	}
	s.kindFields(a, o)
	a.containers = p.containers
	if a.kind == "job" && !a.ttl && g.p(0.7) {
		s.before(a, o)
	}
	if g.p(0.3) {
		o.set("labels", g.labels())
	}
	if g.p(0.2) {
		o.set("objects", s.objects(a))
	}
	if g.p(0.35) || a.privileged {
		o.set("overrides", s.overrides(a, p, volumes))
	}
	return a.name, o
}

// autoscale is a HorizontalPodAutoscaler's range and targets: at most as
// many replicas as most, except at the stack's risk.
func (g *gen) autoscale() *object {
	maxR := g.integer(1, maxInt32, 1, 3, 10)
	minR := any(nil)
	if g.p(0.5) {
		minR = g.integer(1, maxR, 1, 2)
		if g.rare() {
			minR = maxR + 1
		}
	}
	rules := func() *object {
		var policies list
		for range g.count(1, 2) {
			policies = append(policies, obj("type", pick(g, "Pods", "Percent"), "value", g.integer(1, maxInt32, 1, 4, 100),
				"periodSeconds", g.integer(1, 1800, 15, 60)))
		}
		return obj("stabilizationWindowSeconds", maybe(g, 0.5, g.integer(0, 3600, 0, 300)),
			"selectPolicy", maybe(g, 0.4, pick(g, "Max", "Min", "Disabled")),
			"policies", maybe(g, 0.6, policies))
	}
	return obj("minReplicas", minR, "maxReplicas", maxR,
		"cpu", maybe(g, 0.6, g.integer(1, maxInt32, 50, 80, 100, 200)),
		"memory", maybe(g, 0.4, g.integer(1, maxInt32, 70, 100)),
		"scaleUp", maybe(g, 0.3, rules()), "scaleDown", maybe(g, 0.3, rules()))
}

// replicas of a deployment or statefulset, up to the schema's 1000000. A
// statefulset's pods are listed in its dependents' environment, so its
// largest count stays at what makes that list too large for an object.
func (s *stackGen) replicas(kind string) int64 {
	g := s.gen
	if kind == "statefulset" {
		if g.rare() {
			return pick[int64](g, 100, 3000)
		}
		return pick[int64](g, 0, 1, 1, 2, 3, 5)
	}
	return g.integer(0, 1000000, 1, 2, 3, 10)
}

// port is a named port of an app: its number in the container and on
// the app's Services, and whether it is off the app's Service.
type port struct {
	name    string
	num     int64
	svc     int64
	podOnly bool
}

// ports adds their names to the pod's port names. Now and then two have
// one number and two protocols, as DNS has 53/TCP and 53/UDP. The app's
// ports, service, may have a number of their own on the Service.
func (s *stackGen) ports(p *pod, lo, hi int, service bool) (*object, []port) {
	g := s.gen
	o := &object{}
	type key struct {
		num      int64
		protocol string
	}
	seen := map[key]bool{}
	var ports []port
	for range g.count(lo, hi) {
		name := unique(p.ports, g.portName)
		if name == "" {
			continue
		}
		num := g.integer(1, 65535, 80, 443, 8080, 5000, 53, 9090, 30000)
		protocol := ""
		if g.p(0.3) {
			protocol = pick(g, "", "TCP", "UDP", "UDP", "SCTP")
		}
		if len(ports) > 0 && g.p(0.15) {
			num, protocol = pick(g, ports...).num, pick(g, "UDP", "SCTP")
		}
		k := key{num, protocol}
		if k.protocol == "" {
			k.protocol = "TCP"
		}
		if seen[k] { // kdecl refuses a port twice
			delete(p.ports, name)
			continue
		}
		seen[k] = true
		ports = append(ports, port{name: name, num: num, svc: num})
		hostPort := g.p(0.1)
		if protocol == "" && !hostPort && g.p(0.7) {
			o.set(name, num)
			continue
		}
		this := &ports[len(ports)-1]
		st := &object{}
		st.set("port", num)
		if service && g.p(0.15) { // the Service's own number
			sp := g.integer(1, 65535, 80, 443)
			if len(ports) > 1 && g.rare() {
				sp = ports[0].num // a number another port has on the Service
			}
			st.set("servicePort", sp)
			this.svc = sp
		}
		if service && g.p(0.08) { // a port of the pod alone
			st.set("service", false)
			this.podOnly = true
		}
		if hostPort { // unique in the pod, except at the stack's risk
			n := pick(g, num, g.integer(1, 65535, 8080, 9100))
			if len(p.hostPorts) > 0 && g.rare() {
				n = pick(g, p.hostPorts...)
			}
			p.hostPorts = append(p.hostPorts, n)
			st.set("hostPort", n)
		}
		if protocol != "" {
			st.set("protocol", protocol)
		}
		o.set(name, st)
	}
	return o, ports
}

func (s *stackGen) expose(a *app, o *object, forceService bool) {
	g := s.gen
	e := &object{}
	switch {
	case len(a.ports) == 0:
		if g.p(0.05) {
			a.expose = "none"
		}
	case forceService:
		a.expose = pick(g, "", "ClusterIP", "NodePort")
	case g.p(0.55):
		a.expose = pick(g, "ClusterIP", "NodePort", "NodePort", "LoadBalancer", "LoadBalancer", "none")
	}
	if a.expose != "" {
		e.set("type", a.expose)
	}
	if (a.expose == "NodePort" || a.expose == "LoadBalancer") && g.p(0.6) {
		np := &object{}
		byNum := map[int64]int64{} // port number to its node port
		for _, p := range a.ports {
			if !g.p(0.6) {
				continue
			}
			n, ok := byNum[p.num]
			if !ok || g.p(0.5) { // ports of one number may share a node port
				n = s.nodePort()
			}
			byNum[p.num] = n
			np.set(p.name, n)
		}
		e.set("nodePorts", np)
	}
	if g.p(0.25) {
		e.set("annotations", g.annotations())
	}
	// What a Service of some types takes only, on those, except at the
	// stack's risk.
	external := a.expose == "NodePort" || a.expose == "LoadBalancer"
	if len(a.ports) > 0 {
		if g.p(0.15) {
			e.set("sessionAffinity", pick(g, "None", "ClientIP"))
		}
		if external && g.p(0.3) || g.rare() {
			e.set("externalTrafficPolicy", pick(g, "Cluster", "Local"))
		}
		if a.expose == "LoadBalancer" && g.p(0.3) || g.rare() {
			cidrs := list{pick(g, "10.0.0.0/8", "192.168.0.0/16", "0.0.0.0/0", "2001:db8::/32")}
			if g.rare() {
				cidrs = append(cidrs, pick(g, "not-a-cidr", "10.0.0.1", "10.0.0.0/33", " 10.0.0.0/8"))
			}
			e.set("loadBalancerSourceRanges", cidrs)
		}
		if a.expose == "LoadBalancer" && g.p(0.3) || g.rare() {
			e.set("loadBalancerIP", pick(g, "203.0.113.10", "10.0.0.1", "2001:db8::1", "203.0.113.300", "fe80::1%eth0", ""))
		}
		if g.p(0.15) {
			e.set("publishNotReadyAddresses", g.p(0.5))
		}
	}
	// Not on a job's Service, which import keeps as an object.
	if batch := a.kind == "job" || a.kind == "cronjob"; len(a.ports) > 0 && a.expose != "none" && !batch && g.p(0.2) || g.rare() && !batch {
		e.set("ingress", s.ingress(a))
	}
	if !e.empty() || g.p(0.05) {
		o.set("expose", e)
	}
	s.headless(a, o)
	if g.p(0.15) {
		s.disruption(a, o)
	}
}

// ingress is an Ingress to the app's Service: hosts of the app's own, so
// that two apps route none alike, except at the stack's risk.
func (s *stackGen) ingress(a *app) *object {
	g := s.gen
	in := &object{}
	if g.p(0.7) {
		var hosts list
		for i := range g.count(1, 3) {
			h := fmt.Sprintf("h%d.%s.example.com", i, a.name)
			switch {
			case g.rare():
				h = pick(g, "203.0.113.1", "Shop.example.com", "*.example.com", "shop.example.com", "a_b.example.com")
			case g.p(0.2):
				h = "*." + h
			}
			hosts = append(hosts, h)
		}
		in.set("hosts", hosts)
	}
	var service []port
	for _, p := range a.ports {
		if !p.podOnly {
			service = append(service, p)
		}
	}
	if len(service) > 1 || g.p(0.4) {
		paths := &object{}
		for _, path := range []string{"/", "/api", "/v1/items"}[:g.count(1, 3)] {
			if g.rare() {
				path = pick(g, "/a//b", "/x/.", "/%2F", "/y/..")
			}
			p := &object{}
			if len(service) > 1 || g.p(0.5) {
				name := "unknown"
				if len(service) > 0 && !g.rare() {
					name = pick(g, service...).name
				}
				p.set("port", name)
			}
			if g.p(0.4) {
				p.set("pathType", pick(g, "Prefix", "Exact", "ImplementationSpecific"))
			}
			paths.set(path, p)
		}
		in.set("paths", paths)
	}
	if g.p(0.3) {
		in.set("className", pick(g, "nginx", "traefik", g.dnsSubdomain()))
	}
	if g.p(0.3) {
		in.set("tls", obj("secret", g.dnsSubdomain()))
	}
	if g.p(0.2) {
		in.set("annotations", g.annotations())
	}
	return in
}

// disruption is a PodDisruptionBudget: one of its numbers, except at the
// stack's risk, which also sets one on kinds that take none.
func (s *stackGen) disruption(a *app, o *object) {
	g := s.gen
	if (a.kind == "job" || a.kind == "cronjob" || a.kind == "daemonset") && !g.rare() {
		return
	}
	value := func() any {
		if g.p(0.5) {
			return pick[any](g, int64(0), int64(1), int64(2), a.replicas)
		}
		return pick[any](g, "25%", "50%", "100%", "0%", "150%")
	}
	d := &object{}
	switch {
	case g.rare():
		d.set("minAvailable", value())
		d.set("maxUnavailable", value())
	case g.p(0.5):
		d.set("minAvailable", value())
	default:
		d.set("maxUnavailable", value())
	}
	if g.p(0.3) {
		d.set("unhealthyPodEvictionPolicy", pick(g, "IfHealthyBudget", "AlwaysAllow"))
	}
	o.set("disruption", d)
}

// headless asks for a headless Service: a statefulset's under another
// name, another kind's (a job's only at the stack's risk).
func (s *stackGen) headless(a *app, o *object) {
	g := s.gen
	batch := a.kind == "job" || a.kind == "cronjob"
	if !g.p(0.15) || batch && !g.rare() {
		return
	}
	h := &object{}
	switch {
	case g.rare():
		h.set("name", pick(g, a.name, "1"+a.name, a.name+"-headless"))
	case g.p(0.5):
		h.set("name", a.name+"-peers")
	}
	a.headless = !batch
	o.set("headless", h)
}

// nodePort is in the API server's default range 30000-32767 and not yet
// pinned by the stack, except at the stack's risk.
func (s *stackGen) nodePort() int64 {
	g := s.gen
	var n int64
	switch {
	case g.rare() && len(s.nodePorts) > 0 && g.p(0.5):
		n = pick(g, s.nodePorts...)
	case g.rare():
		n = pick[int64](g, 1, 80, 29999, 32768, 65535)
	default:
		for range 20 {
			n = g.integer(30000, 32767, 30080, 31000, 32000)
			if !slices.Contains(s.nodePorts, n) {
				break
			}
		}
	}
	s.nodePorts = append(s.nodePorts, n)
	return n
}

// usable reports whether an app can be used: a deployment or statefulset
// with ports and a Service.
func usable(t *app) bool {
	if len(t.ports) == 0 {
		return false
	}
	switch t.kind {
	case "", "deployment":
		return t.expose != "none" || t.headless
	case "statefulset":
		return true // its headless Service at least
	case "daemonset": // a Service only when expose asks for one
		return t.expose != "" && t.expose != "none" || t.headless
	}
	return false
}

// uses picks earlier apps that can be used, and always must. Only earlier
// apps, so there is no cycle.
func (s *stackGen) uses(a *app, p *pod, o *object, must *app) {
	g := s.gen
	var targets []*app
	for _, t := range s.apps {
		if t != a && t != must && usable(t) {
			targets = append(targets, t)
		}
	}
	if must == nil && (len(targets) == 0 || !g.p(0.45)) {
		return
	}
	g.r.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	n := 0
	if len(targets) > 0 {
		n = g.count(1, len(targets))
	}
	targets = targets[:n]
	if must != nil {
		targets = append([]*app{must}, targets...)
	}
	var uses list
	byApp := &object{} // uses as a struct of apps
	asStruct := g.p(0.3)
	for _, t := range targets {
		wait, env := true, true
		switch x := g.r.IntN(10); {
		case asStruct:
			u := &object{}
			if x >= 6 {
				wait = g.p(0.5)
				u.set("wait", wait)
			}
			if x >= 8 && wait {
				env = g.p(0.5)
				u.set("env", env)
			}
			byApp.set(t.name, u)
		case x < 6:
			uses = append(uses, t.name)
		default: // {app, wait, env}: one of them may be false, not both
			u := &object{}
			u.set("app", t.name)
			if x < 8 {
				wait = g.p(0.5)
				u.set("wait", wait)
			} else {
				env = g.p(0.5)
				u.set("env", env)
			}
			uses = append(uses, u)
		}
		if wait {
			p.containers["wait-for-"+t.name] = true
			s.waits[a.name] = append(s.waits[a.name], t.name)
		}
		// the environment the use sets, as kdecl names it (reserved even
		// when env is false: the stack may set it itself then)
		prefix := strings.ToUpper(strings.ReplaceAll(t.name, "-", "_"))
		p.env[prefix+"_HOST"], p.env[prefix+"_PODS"], p.env[prefix+"_PORT"] = true, true, true
		for _, port := range t.ports {
			p.env[prefix+"_PORT_"+strings.ToUpper(strings.ReplaceAll(port.name, "-", "_"))] = true
		}
	}
	if asStruct {
		o.set("uses", byApp)
	} else {
		o.set("uses", uses)
	}
}

// sharedConfigs are one to three configs of the stack's. Their variables
// are named after the config, so that an app's own do not clash with them.
func (s *stackGen) sharedConfigs() *object {
	g := s.gen
	o := &object{}
	taken := map[string]bool{}
	for i := range g.count(1, 3) {
		name := unique(taken, func() string { return g.dnsLabel(g.between(1, 50)) })
		if name == "" {
			continue
		}
		sc := sharedConfig{name: name}
		c := &object{}
		var files []string
		if g.p(0.7) {
			fo := &object{}
			for range g.count(1, 3) {
				k := g.configKey()
				if !slices.Contains(files, k) {
					files = append(files, k)
					fo.set(k, g.long(g.between(0, 200)))
				}
			}
			c.set("files", fo)
		}
		if g.p(0.6) || len(files) == 0 {
			eo := &object{}
			for j := range g.count(1, 3) {
				k := fmt.Sprintf("SHARED%d_%d", i, j)
				eo.set(k, g.text())
				sc.env = append(sc.env, k)
			}
			c.set("env", eo)
		}
		mountPath := "/etc/" + name
		if len(files) > 0 && g.p(0.4) {
			mountPath = fmt.Sprintf("/srv/shared%d", i)
			c.set("mountPath", mountPath)
		}
		own := map[string]bool{}
		if len(files) > 0 && g.p(0.3) {
			k := pick(g, files...)
			own[k] = true
			p := fmt.Sprintf("/opt/shared%d/%s", i, strings.ReplaceAll(k, ".", "x"))
			c.set("fileMounts", obj(k, p))
			sc.mounts = append(sc.mounts, p)
		}
		if len(files) > len(own) {
			sc.mounts = append(sc.mounts, mountPath)
		}
		if len(files) > 0 && g.p(0.3) {
			k := fmt.Sprintf("SHARED%d_FILE", i)
			c.set("fileEnv", obj(k, pick(g, files...)))
			sc.env = append(sc.env, k)
		}
		if len(files) > 0 && g.p(0.2) {
			c.set("defaultMode", g.fileMode())
		}
		if len(files) > 0 && g.p(0.2) {
			c.set("modes", g.modes(files))
		}
		o.set(name, c)
		s.configs = append(s.configs, sc)
	}
	return o
}

// useConfigs has the app use some of the stack's configs, or, at the
// stack's risk, one that does not exist or one twice.
func (s *stackGen) useConfigs(p *pod, o *object) {
	g := s.gen
	if len(s.configs) == 0 || !g.p(0.6) {
		return
	}
	var names list
	for _, c := range s.configs {
		if !g.p(0.6) || slices.ContainsFunc(c.env, func(e string) bool { return p.env[e] }) {
			continue
		}
		for _, e := range c.env {
			p.env[e] = true
		}
		p.mounts = append(p.mounts, c.mounts...)
		names = append(names, c.name)
	}
	if g.rare() {
		names = append(names, pick(g, "no-such-config", s.configs[0].name))
	}
	if len(names) > 0 {
		o.set("configs", names)
	}
}

// before has the job a run before some earlier apps whose pods can wait:
// deployments, statefulsets and daemonsets that keep their token, have no
// container of the waiting one's name, and that a does not wait for, even
// through others (a cycle). As a list or a struct of apps.
func (s *stackGen) before(a *app, o *object) {
	g := s.gen
	reach := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		for _, w := range s.waits[name] {
			if !reach[w] {
				reach[w] = true
				visit(w)
			}
		}
	}
	visit(a.name)
	var targets []*app
	for _, t := range s.apps {
		switch t.kind {
		case "", "deployment", "statefulset", "daemonset":
			if !t.noToken && !t.containers["wait-for-"+a.name] && !reach[t.name] {
				targets = append(targets, t)
			}
		}
	}
	if len(targets) == 0 {
		return
	}
	g.r.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	targets = targets[:g.count(1, len(targets))]
	var names list
	byApp := &object{}
	for _, t := range targets {
		names = append(names, t.name)
		byApp.set(t.name, &object{})
		s.waits[t.name] = append(s.waits[t.name], a.name)
	}
	if g.p(0.3) {
		o.set("before", byApp)
	} else {
		o.set("before", names)
	}
}
