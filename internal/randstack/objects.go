package randstack

import "strings"

// obj is a struct of label, value pairs; a nil value leaves its label
// out.
func obj(kv ...any) *object {
	o := &object{}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] != nil {
			o.set(kv[i].(string), kv[i+1])
		}
	}
	return o
}

// inObject draws with fn, a generator of values of the schema's fields,
// a value for an object: past the API server's rules, which kdecl checks
// in the schema's fields and leaves to the server in objects, only with
// Options.LeftToServer.
func inObject[T any](g *gen, fn func() T) T {
	if !g.leftToServer {
		risk := g.risk
		g.risk = 0
		defer func() { g.risk = risk }()
	}
	return fn()
}

// maybe is v with probability x, else nil: a field left out.
func maybe[T any](g *gen, x float64, v T) any {
	if g.p(x) {
		return v
	}
	return nil
}

// controllerLabels are labels the controllers set on the pods they make,
// and the label the API server sets on every Namespace.
var controllerLabels = []string{
	"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
	"controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name",
	"kubernetes.io/metadata.name",
}

// labels is a map of label keys, formed like annotation keys, to label
// values: mostly valid, the longest keys and the labels controllers set
// themselves at the stack's risk.
func (g *gen) labels() *object {
	o := &object{}
	seen := map[string]bool{}
	for range g.count(1, 3) {
		k := g.annotationKey()
		switch {
		case g.rare():
			k = pick(g, controllerLabels...)
		case g.p(0.3):
			k = pick(g, "team", "tier", "example.com/cost-center", "environment", "track", "app", "version")
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		v := ""
		if !g.p(0.1) { // an empty label value is valid
			v = g.labelValue()
		}
		o.set(k, v)
	}
	return o
}

// objects are whole objects of kinds kdecl does not generate, by name.
// app is nil for the stack's own.
func (s *stackGen) objects(a *app) *object {
	o := &object{}
	seen := map[string]bool{}
	for range s.count(1, 3) {
		name, v := s.object(a)
		if seen[name] {
			continue
		}
		seen[name] = true
		o.set(name, v)
	}
	return o
}

// objectName is a name of an extra object, a DNS subdomain as the schema
// wants: mostly a label, valid for every kind.
func (g *gen) objectName() string {
	if g.p(0.15) {
		return g.dnsSubdomain()
	}
	return g.dnsLabel(63)
}

// object is one extra object: a kind an app or a stack typically adds,
// with values valid for the API server but, at the stack's risk, one that
// is not. Names of cluster-scoped objects and API groups carry the
// stack's namespace, unique to it, so that stacks applied together do not
// share them.
func (s *stackGen) object(a *app) (string, *object) {
	g := s.gen
	name := g.objectName()
	kinds := []string{"ServiceAccount", "ConfigMap", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
		"NetworkPolicy", "Ingress", "Service", "Service", "LimitRange", "ResourceQuota", "PriorityClass", "StorageClass",
		"PersistentVolumeClaim", "Widget"}
	if a != nil && a.kind != "job" && a.kind != "cronjob" {
		kinds = append(kinds, "PodDisruptionBudget", "PodDisruptionBudget")
	}
	if a != nil && (a.kind == "" || a.kind == "deployment" || a.kind == "statefulset") && !a.scales {
		kinds = append(kinds, "HorizontalPodAutoscaler", "HorizontalPodAutoscaler")
	}
	kind := pick(g, kinds...)
	var o *object
	switch kind {
	case "ServiceAccount":
		o = obj("apiVersion", "v1", "kind", kind,
			"automountServiceAccountToken", maybe(g, 0.5, g.p(0.5)),
			"imagePullSecrets", maybe(g, 0.3, list{obj("name", g.dnsLabel(63))}))
	case "ConfigMap":
		data := &object{}
		for range g.count(1, 3) {
			data.set(g.objectDataKey(), g.text())
		}
		o = obj("apiVersion", "v1", "kind", kind, "data", data, "immutable", maybe(g, 0.3, g.p(0.5)))
		if g.server() { // the same key in data and binaryData
			k := data.fields[0].label
			o.set("binaryData", obj(k, "aGVsbG8="))
		}
	case "Role", "ClusterRole":
		rule := obj("apiGroups", list{pick(g, "", "apps", "batch")}, "resources", list{pick(g, "pods", "deployments", "jobs", "configmaps")},
			"verbs", list{"get", "list", "watch"})
		if g.server() {
			rule = pick(g, obj("apiGroups", list{""}, "resources", list{"pods"}, "verbs", list{}),
				obj("nonResourceURLs", list{"/healthz"}, "verbs", list{"get"}))
		}
		o = obj("apiVersion", "rbac.authorization.k8s.io/v1", "kind", kind, "rules", list{rule})
		if kind == "ClusterRole" {
			name = s.namespace + "-" + g.dnsLabel(20)
		}
	case "RoleBinding", "ClusterRoleBinding":
		refKind := "ClusterRole"
		if kind == "RoleBinding" && g.p(0.5) {
			refKind = "Role"
		}
		subject := pick(g,
			obj("kind", "ServiceAccount", "name", g.dnsLabel(63), "namespace", s.namespace),
			obj("kind", "User", "apiGroup", "rbac.authorization.k8s.io", "name", "jane@example.com"),
			obj("kind", "Group", "apiGroup", "rbac.authorization.k8s.io", "name", "system:authenticated"))
		if g.server() {
			subject = pick(g, obj("kind", "User", "name", "jane"), obj("kind", "Robot", "name", "r2"),
				obj("kind", "ServiceAccount", "apiGroup", "rbac.authorization.k8s.io", "name", "x", "namespace", s.namespace))
		}
		ref := obj("apiGroup", "rbac.authorization.k8s.io", "kind", refKind, "name", g.dnsLabel(63))
		if g.server() {
			ref = obj("apiGroup", "rbac.authorization.k8s.io", "kind", "Deployment", "name", "x")
		}
		o = obj("apiVersion", "rbac.authorization.k8s.io/v1", "kind", kind, "roleRef", ref, "subjects", list{subject})
		if kind == "ClusterRoleBinding" {
			name = s.namespace + "-" + g.dnsLabel(20)
		}
	case "NetworkPolicy":
		num := g.integer(1, 65535, 80, 443)
		port := obj("protocol", pick(g, "TCP", "UDP", "SCTP"), "port", num)
		if g.p(0.3) {
			port.set("endPort", num+g.integer(0, 65535-num, 100))
		}
		if g.server() {
			port = pick(g, obj("port", "http", "endPort", 9000), obj("port", 9000, "endPort", 8000))
		}
		peer := pick(g, obj("podSelector", obj()), obj("namespaceSelector", obj("matchLabels", obj("team", "x"))),
			obj("ipBlock", obj("cidr", "10.0.0.0/8", "except", list{"10.1.0.0/16"})))
		if g.server() {
			peer = pick(g, obj("ipBlock", obj("cidr", "10.0.0.0/33")), obj("ipBlock", obj("cidr", "10.0.0.0/16", "except", list{"192.168.0.0/24"})))
		}
		types := list{"Ingress"}
		if g.p(0.5) {
			types = append(types, "Egress")
		}
		if g.rare() {
			types = list{"Both"}
		}
		o = obj("apiVersion", "networking.k8s.io/v1", "kind", kind, "spec", obj(
			"podSelector", obj(), "policyTypes", types,
			"ingress", list{obj("from", list{peer}, "ports", list{port})}))
	case "Ingress":
		host := pick(g, "shop.example.com", "*.example.com", g.dnsLabel(63)+".example.com")
		if g.server() {
			host = pick(g, "1.2.3.4", "UPPER.example.com", "*.a.*", "exa mple.com")
		}
		path := obj("path", pick(g, "/", "/api", "/a/b/"), "pathType", pick(g, "Prefix", "Exact", "ImplementationSpecific"),
			"backend", obj("service", obj("name", g.dnsLabel(63), "port", pick(g, obj("number", g.integer(1, 65535, 80)), obj("name", g.portName())))))
		if g.rare() {
			path = pick(g, obj("path", "api", "pathType", "Prefix", "backend", obj("service", obj("name", "web", "port", obj("number", 80)))),
				obj("path", "/", "backend", obj("service", obj("name", "web", "port", obj("number", 80)))))
		}
		o = obj("apiVersion", "networking.k8s.io/v1", "kind", kind, "spec", obj(
			"ingressClassName", maybe(g, 0.3, "nginx"),
			"tls", maybe(g, 0.3, list{obj("hosts", list{host}, "secretName", g.dnsSubdomain())}),
			"rules", list{obj("host", host, "http", obj("paths", list{path}))}))
	case "Service":
		if g.p(0.4) {
			ext := pick(g, "db.example.com", "a", g.dnsSubdomain())
			if g.server() {
				ext = pick(g, "not a host", "10.0.0.1:5432")
			}
			o = obj("apiVersion", "v1", "kind", kind, "spec", obj("type", "ExternalName", "externalName", ext))
			break
		}
		ports := list{obj("name", "http", "port", g.integer(1, 65535, 80), "targetPort", pick[any](g, 8080, "http"))}
		if g.server() {
			ports = append(ports, obj("port", 81)) // a second port without a name
		}
		spec := obj("selector", obj("example.com/role", "worker"), "ports", ports)
		if typ := pick(g, "ClusterIP", "NodePort", "LoadBalancer"); typ != "ClusterIP" || g.rare() {
			// node ports from the pool the apps' Services draw from too
			spec.set("type", typ)
			if typ != "ClusterIP" && g.p(0.2) {
				ports = append(ports, obj("name", "https", "port", 443, "protocol", pick(g, "TCP", "UDP"), "targetPort", 8443))
			}
			for _, p := range ports {
				if g.p(0.6) {
					p.(*object).set("nodePort", s.nodePort())
				}
			}
			spec.set("ports", ports)
			if typ == "LoadBalancer" && g.p(0.3) || g.rare() {
				spec.set("externalTrafficPolicy", pick(g, "Local", "Cluster"))
				if g.p(0.5) {
					spec.set("healthCheckNodePort", s.nodePort())
				}
			}
		}
		o = obj("apiVersion", "v1", "kind", kind, "spec", spec)
	case "LimitRange":
		lim := obj("type", "Container", "default", obj("cpu", "500m", "memory", "256Mi"), "defaultRequest", obj("cpu", "100m"),
			"max", obj("cpu", "2"))
		if g.server() {
			lim = pick(g, obj("type", "Container", "default", obj("cpu", "4"), "max", obj("cpu", "2")),
				obj("type", "Pod", "default", obj("cpu", "1")))
		}
		o = obj("apiVersion", "v1", "kind", kind, "spec", obj("limits", list{lim}))
	case "ResourceQuota":
		hard := obj("pods", "100", "requests.cpu", inObject(g, func() string { return g.quantity("cpu") }), "count/deployments.apps", "50")
		o = obj("apiVersion", "v1", "kind", kind, "spec", obj("hard", hard))
	case "PriorityClass":
		value := g.integer(-1000000, 1000000000, 0, 1000, 100000)
		name = s.namespace + "-" + g.dnsLabel(20)
		if g.server() {
			value = pick[int64](g, 1000000001, 2000000000)
			name = pick(g, name, "system-"+s.namespace)
		}
		o = obj("apiVersion", "scheduling.k8s.io/v1", "kind", kind, "value", value, "preemptionPolicy", maybe(g, 0.3, pick(g, "Never", "PreemptLowerPriority")),
			"description", maybe(g, 0.5, g.text()))
	case "StorageClass":
		name = s.namespace + "-" + g.dnsLabel(20)
		provisioner := pick(g, "example.com/nfs", "kubernetes.io/no-provisioner", "ebs.csi.aws.com")
		policy := pick(g, "Delete", "Retain")
		if g.server() {
			provisioner, policy = pick(g, "not valid", provisioner), pick(g, "Recycle", policy)
		}
		o = obj("apiVersion", "storage.k8s.io/v1", "kind", kind, "provisioner", provisioner, "reclaimPolicy", policy,
			"volumeBindingMode", maybe(g, 0.5, pick(g, "Immediate", "WaitForFirstConsumer")),
			"allowVolumeExpansion", maybe(g, 0.3, g.p(0.5)), "parameters", maybe(g, 0.3, obj("type", "fast")))
	case "PersistentVolumeClaim":
		spec := obj("accessModes", inObject(g, g.accessModes), "resources", obj("requests", obj("storage", inObject(g, func() string { return g.quantity("memory") }))))
		if g.server() {
			spec = obj("resources", obj("requests", obj("storage", "1Gi")))
		}
		o = obj("apiVersion", "v1", "kind", kind, "spec", spec)
	case "Widget": // a custom resource, with its definition beside it
		return s.customResource()
	case "PodDisruptionBudget":
		budget := pick[any](g, g.integer(0, 10, 1), pick(g, "50%", "100%", "0%"))
		spec := obj("selector", obj("matchLabels", obj("app.kubernetes.io/name", a.name)), pick(g, "minAvailable", "maxUnavailable"), budget)
		if g.server() {
			spec = pick(g, obj("minAvailable", 1, "maxUnavailable", 1), obj("minAvailable", "150%"), obj("maxUnavailable", -1), obj("minAvailable", "half"))
		}
		o = obj("apiVersion", "policy/v1", "kind", kind, "spec", spec)
	case "HorizontalPodAutoscaler":
		target := "Deployment"
		if a.kind == "statefulset" {
			target = "StatefulSet"
		}
		minR := g.integer(1, 100, 1, 2)
		maxR := minR + g.integer(0, 100, 1, 10)
		util := g.integer(1, 100, 50, 80)
		if g.server() {
			minR, maxR, util = pick[int64](g, 0, 5), pick[int64](g, 3, 0), pick[int64](g, 0, util)
		}
		o = obj("apiVersion", "autoscaling/v2", "kind", kind, "spec", obj(
			"scaleTargetRef", obj("apiVersion", "apps/v1", "kind", target, "name", a.name),
			"minReplicas", minR, "maxReplicas", maxR,
			"metrics", list{obj("type", "Resource", "resource", obj("name", "cpu", "target", obj("type", "Utilization", "averageUtilization", util)))}))
	}
	if g.p(0.2) {
		o.set("metadata", obj("labels", maybe(g, 0.7, g.labels()), "annotations", maybe(g, 0.5, g.annotations())))
	}
	if strings.Contains(kind, "Role") && g.p(0.25) {
		name = "system:" + name // RBAC's names are path segments
		if g.server() {
			name = pick(g, "a/b", "x:50%", "..")
		}
	}
	return name, o
}

// objectDataKey is a key of a ConfigMap object's data: nothing but its
// type checks it before the API server.
func (g *gen) objectDataKey() string {
	if g.rare() {
		return pick(g, "..x", "a/b", "with space", ".", strings.Repeat("k", 254))
	}
	return g.configKey()
}

// customResource is a CustomResourceDefinition of the stack's own group,
// named after the stack's namespace, with a Widget of it.
func (s *stackGen) customResource() (string, *object) {
	g := s.gen
	if s.crd == "" {
		s.crd = s.namespace + ".example.com"
		name := "widgets." + s.crd
		if g.rare() {
			name = "gadgets." + s.crd // not plural.group
		}
		schema := obj("type", "object", "properties", obj("spec", obj("type", "object", "properties", obj(
			"color", obj("type", "string", "enum", list{"red", "blue"}),
			"size", obj("type", "integer", "minimum", 1)))))
		crd := obj("apiVersion", "apiextensions.k8s.io/v1", "kind", "CustomResourceDefinition", "spec", obj(
			"group", s.crd,
			"names", obj("plural", "widgets", "singular", "widget", "kind", "Widget"),
			"scope", "Namespaced",
			"versions", list{obj("name", "v1", "served", true, "storage", true, "schema", obj("openAPIV3Schema", schema))}))
		if g.p(0.5) {
			// in crds/, which types the Widget: kdecl checks it as the
			// server does
			crd.set("metadata", obj("name", name))
			s.crdFile = crd
		} else {
			s.extra = append(s.extra, field{name, crd})
		}
	}
	spec := obj("color", pick(g, "red", "blue"), "size", g.integer(1, 100, 1, 3))
	switch {
	case s.crdFile != nil && g.rare(): // typed: kdecl refuses these as the server does
		spec = pick(g, obj("color", "green"), obj("size", 0), obj("size", "3"), obj("shape", "round"))
	case s.crdFile == nil && g.server(): // kdecl checks no untyped custom resource, and says so
		spec = pick(g, obj("color", "green"), obj("size", 0))
	}
	return g.dnsLabel(63), obj("apiVersion", s.crd+"/v1", "kind", "Widget", "spec", spec)
}
