package randstack

import "fmt"

// overrides patch what kdecl renders for the app with fields the schema
// does not model: the pod, the app's container, and each of its objects
// by kind. They leave alone what kdecl refuses to have overridden (names,
// selectors, its labels, volumes and mounts, what the schema models).
// Values are valid for the API server, but at the stack's risk not.
func (s *stackGen) overrides(a *app, p *pod, volumes []string) *object {
	g := s.gen
	o := &object{}
	var extra []string // volumes the pod patch adds
	if g.p(0.5) {
		o.set("pod", s.podPatch(a, p, &extra))
	}
	if g.p(0.5) || a.privileged {
		c := s.containerPatch(p, append(extra, volumes...))
		if a.privileged {
			// A privileged container cannot also refuse privilege
			// escalation: the API server refuses the pair.
			c.set("securityContext", obj("privileged", true))
		}
		o.set("container", c)
	}
	for _, t := range s.targets(a) {
		if g.p(0.4) {
			o.set(t.key, s.objectPatch(a, t))
		}
	}
	return o
}

// target is an object of the app's that overrides can name.
type target struct {
	key, kind string
	headless  bool // a statefulset's headless Service
}

// targets are the app's objects, by override key: the kind in lowercase,
// or kind/name where the app renders several of a kind.
func (s *stackGen) targets(a *app) []target {
	var ts []target
	kind := a.kind
	if kind == "" {
		kind = "deployment"
	}
	ts = append(ts, target{kind, kind, false})
	explicit := a.kind == "job" || a.kind == "cronjob" || a.kind == "daemonset" // a Service only if expose asks
	service := len(a.ports) > 0 && a.expose != "none" && !(explicit && a.expose == "")
	switch {
	case kind == "statefulset" && service:
		ts = append(ts, target{"service/" + a.name, "service", false}, target{"service/" + a.name + "-headless", "service", true})
	case kind == "statefulset":
		ts = append(ts, target{"service", "service", true})
	case service:
		ts = append(ts, target{"service", "service", false})
	}
	if a.config {
		ts = append(ts, target{"configmap", "configmap", false})
	}
	if a.account {
		ts = append(ts, target{"serviceaccount", "serviceaccount", false})
	}
	if a.scaled {
		ts = append(ts, target{"horizontalpodautoscaler", "horizontalpodautoscaler", false})
	}
	if kind != "statefulset" {
		for _, c := range a.claims {
			key := "persistentvolumeclaim"
			if len(a.claims) > 1 || s.p(0.5) {
				key += "/" + a.name + "-" + c
			}
			ts = append(ts, target{key, "persistentvolumeclaim", false})
		}
	}
	return ts
}

// podPatch is a fragment of the pod's spec. The volumes it adds go to
// extra.
func (s *stackGen) podPatch(a *app, p *pod, extra *[]string) *object {
	g := s.gen
	batch := a.kind == "job" || a.kind == "cronjob"
	o := obj(
		"securityContext", maybe(g, 0.4, g.podSecurityContext()),
		"nodeSelector", maybe(g, 0.3, g.labels()),
		"tolerations", maybe(g, 0.3, g.tolerations()),
		"priorityClassName", maybe(g, 0.2, pick(g, g.dnsLabel(63), "system-cluster-critical")),
		"hostAliases", maybe(g, 0.2, list{obj("ip", pick(g, "127.0.0.1", "10.0.0.5", "::1"), "hostnames", list{g.dnsSubdomain()})}),
		"enableServiceLinks", maybe(g, 0.2, g.p(0.5)),
		"hostNetwork", maybe(g, 0.1, g.p(0.5)),
		"hostIPC", maybe(g, 0.1, g.p(0.5)),
		"runtimeClassName", maybe(g, 0.1, g.dnsSubdomain()),
		"schedulerName", maybe(g, 0.1, g.dnsSubdomain()),
		"preemptionPolicy", maybe(g, 0.1, pick(g, "Never", "PreemptLowerPriority")),
		"topologySpreadConstraints", maybe(g, 0.2, list{g.spreadConstraint(a)}),
		"affinity", maybe(g, 0.2, g.affinity()),
	)
	// A pod cannot share its process namespace and the host's.
	if g.p(0.1) {
		o.set("shareProcessNamespace", true)
		if g.server() {
			o.set("hostPID", true)
		}
	} else if g.p(0.1) {
		o.set("hostPID", g.p(0.5))
	}
	// dnsPolicy None needs a dnsConfig with a name server.
	switch {
	case g.p(0.1):
		cfg := obj("nameservers", list{"8.8.8.8"}, "searches", list{"example.com"}, "options", list{obj("name", "ndots", "value", "2")})
		if g.server() {
			cfg = pick(g, obj("searches", list{"example.com"}), obj("nameservers", list{"1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"}),
				obj("nameservers", list{"not-an-ip"}))
		}
		o.set("dnsPolicy", "None")
		o.set("dnsConfig", cfg)
	case g.p(0.1):
		o.set("dnsPolicy", pick(g, "ClusterFirst", "Default", "ClusterFirstWithHostNet"))
	}
	// A pod of a job may have a deadline; one of a workload that runs for
	// ever may not.
	if batch && g.p(0.2) || g.rare() {
		o.set("activeDeadlineSeconds", g.integer(1, maxInt64, 60, 3600))
	}
	if g.server() {
		o.set("os", obj("name", "windows")) // with Linux-only fields at times
	}
	if g.p(0.3) {
		var vols list
		for i := range g.count(1, 2) {
			name := fmt.Sprintf("extra-%d", i)
			if p.volumes[name] {
				continue
			}
			*extra = append(*extra, name)
			switch pick(g, "emptyDir", "configMap", "secret") {
			case "emptyDir":
				vols = append(vols, obj("name", name, "emptyDir", obj()))
			case "configMap":
				vols = append(vols, obj("name", name, "configMap", obj("name", g.dnsSubdomain(), "optional", true)))
			default:
				vols = append(vols, obj("name", name, "secret", obj("secretName", g.dnsSubdomain(), "optional", true)))
			}
		}
		o.set("volumes", vols)
	}
	var containers list
	if len(p.sidecars) > 0 && g.p(0.2) {
		containers = append(containers, obj("name", pick(g, p.sidecars...), "securityContext", g.containerSecurityContext()))
	}
	if g.p(0.1) {
		containers = append(containers, s.addedContainer(p, *extra))
	}
	if len(containers) > 0 {
		o.set("containers", containers)
	}
	return o
}

// addedContainer is a container an override adds to the pod, with the
// checks of a container: a name of its own, an image, ports, variables,
// resources and mounts of the pod's volumes (the override's own, extra),
// each past the API server's rules at the stack's risk.
func (s *stackGen) addedContainer(p *pod, extra []string) *object {
	g := s.gen
	name := unique(p.containers, func() string { return g.dnsLabel(20) })
	if name == "" || g.rare() {
		name = pick(g, "Exporter", "wait-for-x")
	}
	c := obj("name", name, "image", pick(g, "nginx/nginx-prometheus-exporter:1.3.0", "busybox:1.36"))
	if g.rare() {
		c.set("image", pick[any](g, nil, " busybox:1.36"))
	}
	if g.p(0.5) {
		port := unique(p.ports, g.portName)
		n := g.integer(1, 65535, 9113)
		if port == "" || g.rare() {
			port, n = pick(g, "Metrics_Port", "metrics"), pick[int64](g, 9113, 70000)
		}
		c.set("ports", list{obj("name", port, "containerPort", n)})
	}
	if g.p(0.3) {
		env := pick(g, "SCRAPE_URI", "LOG_LEVEL")
		if g.rare() {
			env = "A=B"
		}
		c.set("env", list{obj("name", env, "value", "info")})
	}
	if g.p(0.3) {
		c.set("resources", g.resources())
	}
	if len(extra) > 0 && g.p(0.5) {
		vol := pick(g, extra...)
		if g.rare() {
			vol = "no-such-volume"
		}
		c.set("volumeMounts", list{obj("name", vol, "mountPath", "/mnt/"+vol)})
	}
	return c
}

func (g *gen) podSecurityContext() *object {
	o := obj(
		"runAsNonRoot", maybe(g, 0.3, g.p(0.5)),
		"runAsUser", maybe(g, 0.3, g.integer(0, maxInt32, 1000, 65534)),
		"runAsGroup", maybe(g, 0.2, g.integer(0, maxInt32, 1000)),
		"fsGroup", maybe(g, 0.2, g.integer(0, maxInt32, 2000)),
		"fsGroupChangePolicy", maybe(g, 0.1, pick(g, "OnRootMismatch", "Always")),
		"supplementalGroups", maybe(g, 0.1, list{g.integer(0, maxInt32, 1000)}),
		"seccompProfile", maybe(g, 0.3, pick(g, obj("type", "RuntimeDefault"), obj("type", "Unconfined"),
			obj("type", "Localhost", "localhostProfile", "profiles/audit.json"))),
		"sysctls", maybe(g, 0.1, list{obj("name", pick(g, "net.core.somaxconn", "kernel.shm_rmid_forced"), "value", "1024")}),
	)
	if g.server() {
		o.set(pick(g, "runAsUser", "runAsGroup", "fsGroup"), -1)
	}
	if g.rare() {
		o.set("seccompProfile", obj("type", "Default"))
	} else if g.server() {
		o.set("seccompProfile", pick(g, obj("type", "Localhost"), obj("type", "RuntimeDefault", "localhostProfile", "x.json")))
	}
	if g.server() {
		o.set("sysctls", list{obj("name", pick(g, "not a sysctl", "net.core.somaxconn"), "value", "1")})
	}
	return o
}

func (g *gen) containerSecurityContext() *object {
	o := obj(
		"allowPrivilegeEscalation", maybe(g, 0.5, false),
		"readOnlyRootFilesystem", maybe(g, 0.4, g.p(0.5)),
		"runAsNonRoot", maybe(g, 0.3, g.p(0.5)),
		"runAsUser", maybe(g, 0.2, g.integer(0, maxInt32, 1000)),
		"capabilities", maybe(g, 0.4, obj("drop", list{"ALL"}, "add", maybe(g, 0.3, list{pick(g, "NET_BIND_SERVICE", "SYS_TIME")}))),
	)
	if g.server() { // privileged, yet no privilege escalation
		o = obj("privileged", true, "allowPrivilegeEscalation", false)
	}
	if g.rare() {
		o.set("procMount", "Masked")
	} else if g.server() {
		o.set("procMount", "Unmasked") // needs hostUsers false
	}
	return o
}

func (g *gen) tolerations() list {
	t := pick(g,
		obj("key", "dedicated", "operator", "Equal", "value", g.labelValue(), "effect", "NoSchedule"),
		obj("operator", "Exists"),
		obj("key", "node.kubernetes.io/not-ready", "operator", "Exists", "effect", "NoExecute", "tolerationSeconds", g.integer(0, 3600, 300)))
	if g.rare() {
		t = pick(g,
			obj("key", "a", "operator", "Exists", "value", "x"),
			obj("key", "a", "operator", "Equal", "value", "x", "effect", "NoSchedule", "tolerationSeconds", 10),
			obj("operator", "Equal", "value", "x"),
			obj("key", "bad key", "operator", "Exists"))
	}
	return list{t}
}

func (g *gen) spreadConstraint(a *app) *object {
	c := obj("maxSkew", g.integer(1, maxInt32, 1, 2), "topologyKey", pick(g, "topology.kubernetes.io/zone", "kubernetes.io/hostname"),
		"whenUnsatisfiable", pick(g, "DoNotSchedule", "ScheduleAnyway"),
		"labelSelector", obj("matchLabels", obj("app.kubernetes.io/name", a.name)))
	if g.server() {
		c.set(pick(g, "maxSkew", "minDomains"), 0)
	}
	return c
}

func (g *gen) affinity() *object {
	expr := obj("key", "kubernetes.io/arch", "operator", "In", "values", list{"amd64", "arm64"})
	if g.rare() {
		expr = obj("key", "x", "operator", "Near")
	} else if g.server() {
		expr = pick(g, obj("key", "kubernetes.io/arch", "operator", "Exists", "values", list{"amd64"}),
			obj("key", "kubernetes.io/arch", "operator", "In", "values", list{}))
	}
	terms := list{obj("matchExpressions", list{expr})}
	if g.server() {
		terms = list{}
	}
	return obj("nodeAffinity", obj("requiredDuringSchedulingIgnoredDuringExecution", obj("nodeSelectorTerms", terms)))
}

// containerPatch is a fragment of the app's container; its mounts are of
// volumes, at paths of their own.
func (s *stackGen) containerPatch(p *pod, volumes []string) *object {
	g := s.gen
	o := obj(
		"securityContext", maybe(g, 0.4, g.containerSecurityContext()),
		"workingDir", maybe(g, 0.2, g.absPath()),
		"stdin", maybe(g, 0.1, g.p(0.5)),
		"tty", maybe(g, 0.1, g.p(0.5)),
		"terminationMessagePath", maybe(g, 0.1, g.absPath()),
		"terminationMessagePolicy", maybe(g, 0.1, pick(g, "File", "FallbackToLogsOnError")),
		"resizePolicy", maybe(g, 0.1, list{obj("resourceName", "cpu", "restartPolicy", "NotRequired")}),
	)
	if g.p(0.3) {
		var env list
		for range g.count(1, 2) {
			if k := unique(p.env, g.envName); k != "" {
				env = append(env, obj("name", k, "value", g.text()))
			}
		}
		if g.server() {
			env = append(env, obj("name", "BAD_FIELD", "valueFrom", obj("fieldRef", obj("fieldPath", "spec.bogus"))))
		}
		o.set("env", env)
	}
	if len(volumes) > 0 && g.p(0.4) {
		var mounts list
		for _, v := range volumes {
			if g.p(0.5) {
				mounts = append(mounts, obj("name", v, "mountPath", s.mountPath(p), "readOnly", maybe(g, 0.3, true)))
			}
		}
		if g.server() {
			mounts = append(mounts, pick(g, obj("name", "missing", "mountPath", s.mountPath(p)),
				obj("name", pick(g, volumes...), "mountPath", s.mountPath(p), "subPath", "../x"),
				obj("name", pick(g, volumes...), "mountPath", s.mountPath(p), "mountPropagation", "Bidirectional")))
		}
		o.set("volumeMounts", mounts)
	}
	if g.rare() {
		o.set("terminationMessagePolicy", pick(g, "Always", "Other"))
	} else if g.server() {
		o.set("restartPolicy", pick(g, "Always", "Other")) // only an init container's
	}
	return o
}

// objectPatch is a fragment of one of the app's objects.
func (s *stackGen) objectPatch(a *app, t target) *object {
	g := s.gen
	var spec *object
	switch t.kind {
	case "deployment", "daemonset":
		// the schema has the rollout; what is left is the pod template's
		// metadata, and pausing
		spec = obj(
			"paused", maybe(g, 0.2, g.p(0.5)),
			"template", maybe(g, 0.5, obj("metadata", obj("annotations", g.annotations()))))
		if t.kind == "daemonset" {
			spec = obj("template", obj("metadata", obj("annotations", g.annotations())))
		}
	case "statefulset":
		spec = obj(
			"persistentVolumeClaimRetentionPolicy", maybe(g, 0.3, obj("whenDeleted", pick(g, "Retain", "Delete"), "whenScaled", pick(g, "Retain", "Delete"))),
			"ordinals", maybe(g, 0.2, obj("start", g.integer(0, maxInt32, 1))))
		if g.server() {
			spec.set(pick(g, "persistentVolumeClaimRetentionPolicy", "ordinals"), pick(g, obj("whenDeleted", "Keep"), obj("start", -1)))
		}
	case "job":
		spec = g.jobPatch(a)
	case "cronjob":
		spec = obj("jobTemplate", obj("spec", g.jobPatch(a)))
	case "service":
		spec = s.servicePatch(a, t.headless)
	case "configmap":
		return obj("immutable", g.p(0.5), "metadata", maybe(g, 0.3, obj("annotations", g.annotations())))
	case "serviceaccount":
		return obj("imagePullSecrets", maybe(g, 0.5, list{obj("name", g.dnsLabel(63))}), "metadata", maybe(g, 0.5, obj("annotations", g.annotations())))
	case "horizontalpodautoscaler":
		return obj("metadata", obj("annotations", g.annotations()))
	case "persistentvolumeclaim":
		mode := pick(g, "Filesystem", "Block")
		if g.rare() {
			mode = "Raw"
		}
		return obj("metadata", maybe(g, 0.5, obj("annotations", g.annotations())), "spec", maybe(g, 0.5, obj("volumeMode", mode)))
	}
	return obj("metadata", maybe(g, 0.3, obj("annotations", g.annotations())), "spec", spec)
}

// jobPatch is a fragment of a Job's spec. Only an Indexed job has
// per-index limits, and it needs completions, which the schema sets. A
// pod failure policy needs pods that do not restart, and replaces only
// failed pods.
func (g *gen) jobPatch(a *app) *object {
	o := obj("podReplacementPolicy", maybe(g, 0.2, pick(g, "TerminatingOrFailed", "Failed")))
	if (a.restart == "Never" || g.rare()) && g.p(0.2) {
		o.set("podFailurePolicy", obj("rules", list{obj("action", pick(g, "FailJob", "Ignore", "Count"),
			"onExitCodes", obj("operator", pick(g, "In", "NotIn"), "values", list{g.integer(1, 255, 42)}))}))
		if !g.rare() {
			o.set("podReplacementPolicy", maybe(g, 0.5, "Failed"))
		}
	}
	switch {
	case g.rare():
		o.set(pick(g, "completionMode", "backoffLimitPerIndex", "maxFailedIndexes"), pick[any](g, "Sometimes", "Indexed"))
	case g.server():
		o.set(pick(g, "backoffLimitPerIndex", "maxFailedIndexes"), 1) // needs completionMode Indexed
	}
	return o
}

// servicePatch is a fragment of a Service's spec, of what expose does not
// model: the fields of a LoadBalancer Service only on one, except at the
// stack's risk.
func (s *stackGen) servicePatch(a *app, headless bool) *object {
	g := s.gen
	lb := !headless && a.expose == "LoadBalancer"
	o := obj(
		"internalTrafficPolicy", maybe(g, 0.2, pick(g, "Cluster", "Local")),
		"ipFamilyPolicy", maybe(g, 0.1, pick(g, "SingleStack", "PreferDualStack")),
		"trafficDistribution", maybe(g, 0.1, pick(g, "PreferClose", "PreferSameZone")),
		"sessionAffinityConfig", maybe(g, 0.1, obj("clientIP", obj("timeoutSeconds", g.integer(1, 86400, 10800)))),
	)
	if lb && g.p(0.2) || g.server() {
		o.set("loadBalancerClass", "example.com/internal")
		o.set("allocateLoadBalancerNodePorts", g.p(0.5))
	}
	if g.p(0.1) {
		ip := pick(g, "192.0.2.10", "2001:db8::1")
		if g.server() {
			ip = "not-an-ip"
		}
		o.set("externalIPs", list{ip})
	}
	if g.server() {
		o = pick(g, obj("sessionAffinityConfig", obj("clientIP", obj("timeoutSeconds", pick(g, 0, 86401)))),
			obj("ipFamilyPolicy", "RequireDualStack"))
	}
	if g.p(0.2) || g.rare() {
		o.set("ports", s.servicePortsPatch(a, headless))
	}
	return o
}

// servicePortsPatch is a patch of the ports of one of the app's
// Services: the appProtocol of a port, named by its number, which is
// all kdecl lets an override set there. At the stack's risk, it adds a
// port, changes one, or names a number two ports share.
func (s *stackGen) servicePortsPatch(a *app, headless bool) list {
	g := s.gen
	count := map[int64]int{}
	var nums []int64
	for _, p := range a.ports {
		if headless || !p.podOnly {
			if count[p.svc]++; count[p.svc] == 1 {
				nums = append(nums, p.svc)
			}
		}
	}
	var l list
	for _, n := range nums {
		if count[n] == 1 && g.p(0.5) {
			l = append(l, obj("port", n, "appProtocol", pick(g, "http", "https", "kubernetes.io/h2c", "kubernetes.io/ws", "example.com/custom")))
		}
	}
	if g.rare() {
		switch n := pick(g, append(nums, 1)...); g.r.IntN(4) {
		case 0: // a port the app does not have, as a second port of a name
			l = append(l, obj("port", g.integer(1, 65535, 81), "name", pick(g, append(portNames(a), "http")...), "targetPort", 8080))
		case 1:
			l = append(l, obj("port", n, pick(g, "name", "targetPort", "protocol", "nodePort"), pick[any](g, "other", 8080, "UDP", 30999)))
		case 2:
			l = append(l, obj("appProtocol", "http")) // without its merge key
		default:
			l = append(l, obj("port", n, "appProtocol", "http"), obj("port", n, "appProtocol", "https")) // twice
		}
	}
	return l
}

// portNames are the names of the app's ports.
func portNames(a *app) []string {
	var names []string
	for _, p := range a.ports {
		names = append(names, p.name)
	}
	return names
}
