package schema

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

var (
	appNameRE  = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	identRE    = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
)

func isAppName(s string) bool  { return len(s) <= 52 && appNameRE.MatchString(s) }
func isDNSLabel(s string) bool { return len(s) <= 63 && dnsLabelRE.MatchString(s) }

// appChecker applies the defaults of one app and checks what the schema
// cannot: references between its fields.
type appChecker struct {
	l   *loader
	app *App
	// envNames are the app's environment variables and where each is set.
	envNames map[string]string
	// raw is the app as the stack writes it, its JSON export: what it
	// sets.
	raw any
}

// app applies defaults to app and checks it. The checker is kept for the
// checks that need the whole stack.
func (l *loader) app(app *App, raw any) *appChecker {
	c := &appChecker{l: l, app: app, raw: raw}
	c.defaults()
	c.kindFields()
	c.ports()
	c.config()
	c.shared()
	c.storage()
	c.secrets()
	c.env()
	c.credentials()
	c.probes()
	c.lifecycle()
	c.containerResources(c.app.Resources, "resources")
	c.containers()
	c.hostPorts()
	c.mountPaths()
	c.expose()
	c.headless()
	c.ingress()
	c.disruption()
	c.downward()
	c.annotations()
	c.labels()
	c.l.mu.Lock()
	c.l.checkObjects(c.app.Name, c.app.Objects, []string{"objects"}, &c.l.errs, &c.l.warnings)
	c.l.mu.Unlock()
	return c
}

// failAt is fail as a failFunc.
func (c *appChecker) failAt(path []string, msg string) { c.fail(msg, path...) }

// fail records an error at field of the app, or at its nearest ancestor
// the user wrote.
func (c *appChecker) fail(msg string, field ...string) {
	path := append([]string{"apps", c.app.Name}, field...)
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.l.errs = append(c.l.errs, c.l.newError(c.l.nearestPos(path), c.app.Name, fieldString(field), msg))
}

func (c *appChecker) warn(msg string, field ...string) {
	path := append([]string{"apps", c.app.Name}, field...)
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.l.warnings = append(c.l.warnings, c.l.newError(c.l.nearestPos(path), c.app.Name, fieldString(field), msg))
}

// set is whether the stack sets the app's field: it has a value.
func (c *appChecker) set(field ...string) bool {
	if c.raw == nil { // the app is not concrete without the schema
		c.l.mu.Lock()
		defer c.l.mu.Unlock()
		return c.l.lookup(append([]string{"apps", c.app.Name}, field...)).Exists()
	}
	v := c.raw
	for _, f := range field {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[f]; !ok {
			return false
		}
	}
	return true
}

// fieldString writes a field path the way CUE does, quoting labels that
// are not identifiers; list indices, made by index, stay [n].
func fieldString(path []string) string {
	var b strings.Builder
	for i, p := range path {
		switch {
		case isIndex(p):
			b.WriteString(p)
			continue
		case i > 0:
			b.WriteByte('.')
		}
		if identRE.MatchString(p) {
			b.WriteString(excerpt(p))
		} else {
			b.WriteString(quote(p))
		}
	}
	return b.String()
}

// index is the path element of list index i.
func index(i int) string { return "[" + strconv.Itoa(i) + "]" }

func isIndex(p string) bool { return strings.HasPrefix(p, "[") && strings.HasSuffix(p, "]") }

func (c *appChecker) defaults() {
	a := c.app
	if a.Kind == "" {
		a.Kind = DefaultKind
	}
	if !c.set("replicas") {
		a.Replicas = DefaultReplicas
	}
	for name, r := range a.ResourceEnv {
		if r.Divisor == "" {
			r.Divisor = DefaultDivisor // the API's default; a zero divisor would be rendered as 0
			a.ResourceEnv[name] = r
		}
	}
	c.image(a.Image, &a.ImagePullPolicy, "image")
}

// image defaults a pull policy the way Kubernetes does and warns of an
// image without a fixed tag.
func (c *appChecker) image(image string, policy *string, field ...string) {
	if *policy == "" {
		*policy = DefaultPullPolicy
		if floatingTag(image) {
			*policy = FloatingPullPolicy
		}
	}
	c.imageSpace(image, field...)
	if floatingTag(image) {
		c.warn(fmt.Sprintf("image %s has no fixed tag; pin a version or digest so that a render means one image", quote(image)), field...)
	}
}

// floatingTag reports whether image names no tag or :latest, and no digest:
// the images Kubernetes pulls Always by default.
func floatingTag(image string) bool {
	if strings.Contains(image, "@") {
		return false
	}
	tag, ok := ImageTag(image)
	return !ok || tag == "latest"
}

// ImageTag is the tag of an image reference, if it has one. A registry's
// port (registry:5000/app) is not a tag; a digest may follow the tag.
func ImageTag(image string) (string, bool) {
	image, _, _ = strings.Cut(image, "@")
	_, tag, ok := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
	return tag, ok
}

func (c *appChecker) ports() {
	defaultProtocols(c.app.Ports)
	type portProtocol struct {
		port     int32
		protocol string
	}
	seen := map[portProtocol]string{}
	for _, name := range slices.Sorted(maps.Keys(c.app.Ports)) {
		p := c.app.Ports[name]
		key := portProtocol{p.Port, p.Protocol}
		if other, ok := seen[key]; ok {
			c.fail(fmt.Sprintf("port %d/%s is also named %s", p.Port, p.Protocol, other), "ports", name)
		}
		seen[key] = name
	}
}

func (c *appChecker) config() {
	cfg := c.app.Config
	if cfg == nil {
		return
	}
	if cfg.MountPath == "" {
		cfg.MountPath = DefaultConfigMountPath(c.app.Name)
	}
	checkConfig(cfg, "config.files", func(msg string, field ...string) { c.fail(msg, at([]string{"config"}, field...)...) })
}

// checkConfig checks a config, an app's or one of the stack's; files is
// how messages name its files, and fail reports at a field of it.
func checkConfig(cfg *Config, files string, fail func(msg string, field ...string)) {
	for _, key := range slices.Sorted(maps.Keys(cfg.Env)) {
		if _, ok := cfg.Files[key]; ok {
			fail("is both an env key and a file of the ConfigMap; rename one", "files", key)
		}
		if msgs := validation.IsConfigMapKey(key); len(msgs) > 0 {
			fail("not a valid ConfigMap key: "+msgs[0], "env", key)
		}
	}
	for _, env := range slices.Sorted(maps.Keys(cfg.FileEnv)) {
		file := cfg.FileEnv[env]
		if _, ok := cfg.Files[file]; !ok {
			fail(fmt.Sprintf("%s is not a file of %s (have %s)", quote(file), files, keyList(cfg.Files)), "fileEnv", env)
		}
	}
	for _, field := range []string{"fileMounts", "modes"} {
		keys := slices.Collect(maps.Keys(cfg.FileMounts))
		if field == "modes" {
			keys = slices.Collect(maps.Keys(cfg.Modes))
		}
		slices.Sort(keys)
		for _, file := range keys {
			if _, ok := cfg.Files[file]; !ok {
				fail(fmt.Sprintf("%s is not a file of %s (have %s)", quote(file), files, keyList(cfg.Files)), field, file)
			}
		}
	}
	n := 0
	for _, v := range cfg.Env {
		n += len(v)
	}
	for _, v := range cfg.Files {
		n += len(v)
	}
	if n > maxConfigMapBytes {
		fail(fmt.Sprintf("the config comes to %d bytes; a ConfigMap holds at most %d: mount large files from an image or a volume", n, maxConfigMapBytes))
	}
}

// shared resolves the stack's configs the app uses.
func (c *appChecker) shared() {
	seen := map[string]bool{}
	for i, name := range c.app.Configs {
		field := []string{"configs", index(i)}
		cfg, ok := c.l.configs[name]
		switch {
		case !ok:
			msg := fmt.Sprintf("%s is not a config of the stack's (have %s)", quote(name), keyList(c.l.configs))
			if s := suggest(name, sortedKeys(c.l.configs)); s != "" {
				msg += fmt.Sprintf("; did you mean %s?", s)
			}
			c.fail(msg, field...)
		case seen[name]:
			c.fail(fmt.Sprintf("%s is listed twice", quote(name)), field...)
		default:
			seen[name] = true
			c.l.mu.Lock()
			c.l.usedConfigs[name] = true
			c.l.mu.Unlock()
			c.app.Shared = append(c.app.Shared, SharedConfig{Name: name, At: i, Config: cfg})
		}
	}
}

// env checks that every environment variable is defined once.
func (c *appChecker) env() {
	where := map[string]string{}
	define := func(name string, field ...string) {
		if prev, ok := where[name]; ok {
			c.fail(fmt.Sprintf("environment variable %s is also set by %s", excerpt(name), prev), field...)
			return
		}
		where[name] = fieldString(field)
	}
	for _, k := range slices.Sorted(maps.Keys(c.app.Env)) {
		define(k, "env", k)
	}
	if cfg := c.app.Config; cfg != nil {
		for _, k := range slices.Sorted(maps.Keys(cfg.Env)) {
			define(k, "config", "env", k)
		}
		for _, k := range slices.Sorted(maps.Keys(cfg.FileEnv)) {
			define(k, "config", "fileEnv", k)
		}
	}
	for _, cfg := range c.app.Shared {
		for _, k := range slices.Sorted(maps.Keys(cfg.Env)) {
			define(k, "configs", index(cfg.At))
		}
		for _, k := range slices.Sorted(maps.Keys(cfg.FileEnv)) {
			define(k, "configs", index(cfg.At))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.app.Secrets.Env)) {
		define(k, "secrets", "env", k)
	}
	for _, k := range slices.Sorted(maps.Keys(c.app.FieldEnv)) {
		define(k, "fieldEnv", k)
	}
	for _, k := range slices.Sorted(maps.Keys(c.app.ResourceEnv)) {
		define(k, "resourceEnv", k)
	}
	c.envNames = where
}

func (c *appChecker) probes() {
	for _, p := range []struct {
		name  string
		probe *Probe
	}{
		{"liveness", c.app.Probes.Liveness},
		{"readiness", c.app.Probes.Readiness},
		{"startup", c.app.Probes.Startup},
	} {
		if p.probe != nil {
			c.probe(p.name, p.probe)
		}
	}
}

func (c *appChecker) probe(name string, p *Probe) {
	if !c.exactlyOne("a probe has exactly one of http, tcp, grpc and exec", []string{"probes", name},
		p.HTTP != nil, p.TCP != nil, p.GRPC != nil, p.Exec != nil) {
		return
	}
	if p.SuccessThreshold > 1 && name != "readiness" {
		c.fail("must be 1 for a "+name+" probe", "probes", name, "successThreshold")
	}
	if name == "readiness" && c.set("probes", name, "terminationGracePeriodSeconds") {
		c.fail("is for liveness and startup probes: a failed readiness probe stops no container", "probes", name, "terminationGracePeriodSeconds")
	}
	switch {
	case p.HTTP != nil:
		if p.HTTP.Path == "" {
			p.HTTP.Path = DefaultHTTPPath
		}
		c.portRef(&p.HTTP.Port, "probes", name, "http", "port")
	case p.TCP != nil:
		c.portRef(&p.TCP.Port, "probes", name, "tcp", "port")
	case p.GRPC != nil:
		c.portRef(&p.GRPC.Port, "probes", name, "grpc", "port")
	}
}

// portRef resolves a probe's port: a name must be one of the app's ports,
// and no port at all means the app's only port.
func (c *appChecker) portRef(ref *PortRef, field ...string) {
	ports := c.app.Ports
	switch {
	case ref.Name != "":
		if _, ok := ports[ref.Name]; !ok {
			c.fail(fmt.Sprintf("%q is not a port of the app (have %s)", ref.Name, keyList(ports)), field...)
		}
	case ref.Number == 0 && len(ports) == 1:
		ref.Name = slices.Sorted(maps.Keys(ports))[0]
	case ref.Number == 0:
		c.fail(fmt.Sprintf("the app has %d ports; name one (have %s)", len(ports), keyList(ports)), field[:len(field)-1]...)
	case !c.podDeclares(ref.Number):
		c.warn(fmt.Sprintf("no container of the pod declares port %d; name one of the app's ports (have %s), or declare it", ref.Number, keyList(ports)), field...)
	}
}

// podDeclares is whether a container of the app's pod declares port n.
func (c *appChecker) podDeclares(n int32) bool {
	for _, p := range c.app.Ports {
		if p.Port == n {
			return true
		}
	}
	for _, ctr := range c.app.Sidecars {
		for _, p := range ctr.Ports {
			if p.Port == n {
				return true
			}
		}
	}
	return false
}

func (c *appChecker) expose() {
	e := &c.app.Expose
	if len(c.app.ServicePorts()) == 0 {
		if e.Type != "" && e.Type != ExposeNone && len(c.app.Ports) == 0 {
			c.fail("the app has no ports to expose", "expose", "type")
		} else if e.Type != "" && e.Type != ExposeNone {
			c.fail("the app has no ports to expose: each has service: false", "expose", "type")
		}
		e.Type = ExposeNone
	}
	switch {
	case e.Type != "":
	case c.app.Kind == KindJob || c.app.Kind == KindCronJob || c.app.Kind == KindDaemonSet:
		e.Type = ExposeNone // a batch pod's or node agent's ports are rarely a service; say so to get one
	default:
		e.Type = DefaultServiceType
	}
	for _, name := range slices.Sorted(maps.Keys(e.NodePorts)) {
		if _, ok := c.app.ServicePorts()[name]; !ok {
			c.fail(fmt.Sprintf("%q is not a port of the app's Service (have %s)", name, keyList(c.app.ServicePorts())), "expose", "nodePorts", name)
		}
		if e.Type != "NodePort" && e.Type != "LoadBalancer" {
			c.fail("node ports need expose.type NodePort or LoadBalancer, not "+e.Type, "expose", "nodePorts", name)
		}
	}
	c.serviceShape()
}

// serviceShape checks the fields of the Service that only some types
// take, and the Service's ports.
func (c *appChecker) serviceShape() {
	e := c.app.Expose
	external := e.Type == "NodePort" || e.Type == "LoadBalancer"
	for _, f := range []struct {
		field string
		ok    bool
		need  string
	}{
		{"sessionAffinity", e.Type != ExposeNone, "a Service"},
		{"externalTrafficPolicy", external, "expose.type NodePort or LoadBalancer"},
		{"loadBalancerSourceRanges", e.Type == "LoadBalancer", "expose.type LoadBalancer"},
		{"loadBalancerIP", e.Type == "LoadBalancer", "expose.type LoadBalancer"},
	} {
		if c.set("expose", f.field) && !f.ok {
			c.fail("needs "+f.need+", and the app's Service is "+e.Type, "expose", f.field)
		}
	}
	if ip := e.LoadBalancerIP; ip != "" {
		if !IPAddress(ip) {
			c.fail(fmt.Sprintf("%s is not an IP address such as 203.0.113.10", quote(ip)), "expose", "loadBalancerIP")
		}
	}
	for i, cidr := range e.LoadBalancerSourceRanges {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			c.fail(fmt.Sprintf("%s is not a CIDR such as 10.0.0.0/8", quote(cidr)), "expose", "loadBalancerSourceRanges", index(i))
		}
	}
	type number struct {
		port     int32
		protocol string
	}
	// The ports of a Service are unique by number and protocol: the
	// app's Service and its headless one have the ports on a Service. (Two ports of one number the container has refuse ports.)
	services := map[string]map[string]Port{}
	if e.Type != ExposeNone {
		services["the Service's"] = c.app.ServicePorts()
	}
	if c.app.HeadlessService() != "" {
		services["the headless Service's"] = c.app.ServicePorts()
	}
	reported := map[string]bool{}
	for _, svc := range slices.Sorted(maps.Keys(services)) {
		seen := map[number]string{}
		for _, name := range slices.Sorted(maps.Keys(services[svc])) {
			p := c.app.Ports[name]
			n := number{p.ServiceNumber(), p.Protocol}
			if other, ok := seen[n]; ok && !reported[name] && (p.ServicePort != 0 || c.app.Ports[other].ServicePort != 0) {
				c.fail(fmt.Sprintf("%s port %d/%s is also port %s's", svc, n.port, n.protocol, other), "ports", name)
				reported[name] = true
			}
			seen[n] = name
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.app.Ports)) {
		if p := c.app.Ports[name]; !p.OnService() && p.ServicePort != 0 {
			c.fail("is for a port on the Service, and this one has service: false", "ports", name, "servicePort")
		}
	}
}

// defaultProtocols makes TCP the protocol of ports that name none.
func defaultProtocols(ports map[string]Port) {
	for name, p := range ports {
		if p.Protocol == "" {
			p.Protocol = DefaultProtocol
			ports[name] = p
		}
	}
}

// exactlyOne fails with msg at field unless exactly one of set is true.
func (c *appChecker) exactlyOne(msg string, field []string, set ...bool) bool {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	if n != 1 {
		c.fail(fmt.Sprintf("%s; found %d", msg, n), field...)
	}
	return n == 1
}

func keyList[V any](m map[string]V) string { return names(slices.Sorted(maps.Keys(m))) }

// names lists names for a message: at most ten, and how many more.
func names(all []string) string {
	const most = 10
	switch {
	case len(all) == 0:
		return "none"
	case len(all) > most:
		return fmt.Sprintf("%s and %d more", strings.Join(all[:most], ", "), len(all)-most)
	}
	return strings.Join(all, ", ")
}

// IPAddress says whether s is an IPv4 or IPv6 address, without a zone:
// what expose.loadBalancerIP takes. The API server does not check that
// field; a cloud's load balancer would fail on anything else.
func IPAddress(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil && !strings.Contains(s, "%")
}
