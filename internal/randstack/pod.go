package randstack

import (
	"fmt"
	"path"
	"strings"
)

// configKeyOK reports whether k is a valid ConfigMap key: kdecl's schema
// allows config.env keys that are not. Such keys come at the stack's risk.
func configKeyOK(k string) bool {
	return len(k) <= 253 && k != "." && !strings.HasPrefix(k, "..") && !strings.ContainsAny(k, "/")
}

func (s *stackGen) config(a *app, p *pod) *object {
	g := s.gen
	c := &object{}
	files := map[string]bool{}
	var fileKeys []string
	if g.p(0.6) {
		fo := &object{}
		for range g.count(1, 3) {
			if k := unique(files, g.configKey); k != "" {
				fileKeys = append(fileKeys, k)
				v := g.long(g.between(0, 300))
				switch {
				case g.p(0.3):
					v = g.text()
				case g.p(g.risk / 4):
					v = g.huge()
				}
				fo.set(k, v)
			}
		}
		c.set("files", fo)
	}
	if g.p(0.5) {
		eo := &object{}
		for range g.count(1, 3) {
			k := unique(p.env, func() string {
				for {
					if k := g.envName(); !files[k] && (configKeyOK(k) || g.rare()) {
						return k
					}
				}
			})
			if k != "" {
				eo.set(k, g.text())
			}
		}
		c.set("env", eo)
		a.config = !eo.empty()
	}
	a.config, a.files = a.config || len(fileKeys) > 0, len(fileKeys) > 0
	if g.p(0.4) {
		c.set("mountPath", s.mountPath(p))
	} else if len(fileKeys) > 0 {
		p.mounts = append(p.mounts, "/etc/"+a.name+"-config")
	}
	if len(fileKeys) > 0 && g.p(0.25) {
		fm := &object{}
		seen := map[string]bool{}
		for range g.count(1, 2) {
			if k := pick(g, fileKeys...); !seen[k] {
				seen[k] = true
				fm.set(k, s.mountPath(p))
			}
		}
		c.set("fileMounts", fm)
	}
	if len(fileKeys) > 0 && g.p(0.2) {
		c.set("defaultMode", g.fileMode())
	}
	if len(fileKeys) > 0 && g.p(0.2) {
		c.set("modes", g.modes(fileKeys))
	}
	if len(fileKeys) > 0 && g.p(0.4) {
		fe := &object{}
		for range g.count(1, 2) {
			if k := unique(p.env, g.envName); k != "" {
				fe.set(k, pick(g, fileKeys...))
			}
		}
		c.set("fileEnv", fe)
	}
	return c
}

// mountPath is a path for the app's container that neither equals nor
// contains another of its mounts: kdecl refuses those.
func (s *stackGen) mountPath(p *pod) string {
	g := s.gen
	overlaps := func(m string) bool {
		a := path.Clean(m)
		for _, prev := range p.mounts {
			b := path.Clean(prev)
			if a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/") || a == "/" || b == "/" {
				return true
			}
		}
		return false
	}
	m := ""
	for range 20 {
		if m = g.absPath(); !overlaps(m) {
			break
		}
	}
	if overlaps(m) {
		m = fmt.Sprintf("/mnt/m%d", len(p.mounts))
	}
	p.mounts = append(p.mounts, m)
	return m
}

// portRef names one of the app's ports, gives a number, or is left out
// when the app has exactly one port.
func (s *stackGen) portRef(a *app, o *object) {
	g := s.gen
	switch {
	case len(a.ports) == 1 && g.p(0.4):
	case len(a.ports) > 0 && g.p(0.6):
		o.set("port", pick(g, a.ports...).name)
	default:
		o.set("port", g.integer(1, 65535, 80, 8080))
	}
}

func (s *stackGen) httpGet(a *app, headers bool) *object {
	g := s.gen
	h := &object{}
	if g.p(0.5) {
		h.set("path", g.absPath())
	}
	s.portRef(a, h)
	if g.p(0.3) {
		h.set("scheme", pick(g, "HTTP", "HTTPS"))
	}
	if headers && g.p(0.3) {
		ho := &object{}
		seen := map[string]bool{}
		for range g.count(1, 3) {
			if k := g.headerName(); !seen[k] {
				seen[k] = true
				ho.set(k, g.text())
			}
		}
		h.set("headers", ho)
	}
	return h
}

// headerName is an HTTP token; at the stack's risk any other string.
func (g *gen) headerName() string {
	if g.rare() {
		return pick(g, "X_Under", "with space", "", "ünï", ":authority", "X-Colon:", "a/b", "tab\there")
	}
	return pick(g, "X-Custom-Header", "Accept", "User-Agent", "X-Request-ID", "Host", "x-lower", "X-B3-TraceId", "A")
}

func (s *stackGen) probe(a *app, name string) *object {
	g := s.gen
	pr := &object{}
	switch pick(g, "http", "tcp", "grpc", "exec") {
	case "http":
		pr.set("http", s.httpGet(a, true))
	case "tcp":
		t := &object{}
		s.portRef(a, t)
		pr.set("tcp", t)
	case "grpc":
		// kdecl renders a port by name as its number, which the API takes.
		c := &object{}
		s.portRef(a, c)
		if g.p(0.4) {
			c.set("service", pick(g, "", "grpc.health.v1.Health", g.text()))
		}
		pr.set("grpc", c)
	default:
		e := &object{}
		e.set("command", g.texts(1, 3))
		pr.set("exec", e)
	}
	if g.p(0.3) {
		pr.set("initialDelaySeconds", g.int32(0, 5, 10, 30, 120))
	}
	if g.p(0.3) {
		pr.set("periodSeconds", g.int32(1, 5, 10, 30))
	}
	if g.p(0.3) {
		pr.set("timeoutSeconds", g.int32(1, 1, 3, 5))
	}
	if g.p(0.3) {
		if name == "readiness" { // kdecl refuses more than 1 for the others
			pr.set("successThreshold", g.int32(1, 1, 2, 3))
		} else {
			pr.set("successThreshold", 1)
		}
	}
	if g.p(0.3) {
		pr.set("failureThreshold", g.int32(1, 3, 6, 10))
	}
	if (name != "readiness" && g.p(0.3)) || (name == "readiness" && g.rare()) {
		pr.set("terminationGracePeriodSeconds", g.integer(1, maxInt64, 1, 10, 30, 60))
	}
	return pr
}

// int32 is a value of an int32 field bounded below by lo; past its
// maximum, which kdecl cannot decode, at the stack's risk.
func (g *gen) int32(lo int64, typical ...int64) int64 {
	if g.rare() && g.p(0.2) {
		return maxInt32 + 1
	}
	return g.integer(lo, maxInt32, typical...)
}

// handler is a lifecycle hook. A sleep fits in the grace period (30
// seconds unless set), except at the stack's risk.
func (s *stackGen) handler(a *app, grace *int64) *object {
	g := s.gen
	h := &object{}
	switch pick(g, "exec", "http", "sleep") {
	case "exec":
		e := &object{}
		e.set("command", g.texts(1, 3))
		h.set("exec", e)
	case "http":
		h.set("http", s.httpGet(a, false))
	default:
		limit := int64(30)
		if grace != nil {
			limit = max(*grace, 1)
		}
		sl := &object{}
		if g.rare() && limit < maxInt64 {
			sl.set("seconds", pick(g, limit+1, maxInt64))
		} else {
			sl.set("seconds", g.integer(0, limit, 1, 5, limit))
		}
		h.set("sleep", sl)
	}
	return h
}

// resources are requests and limits of cpu, memory, ephemeral storage and
// extended resources. An extended resource has equal requests and limits
// of whole devices, as the API requires, except at the stack's risk.
func (g *gen) resources() *object {
	req, lim := &object{}, &object{}
	names := []string{"cpu", "memory", "ephemeral-storage", pick(g, "nvidia.com/gpu", "example.com/dongle", "amd.com/gpu", "vendor.example/fpga_x.1")}
	if g.rare() {
		names = append(names, pick(g, "kubernetes.io/widget", "requests.example.com/x"))
	}
	for _, name := range names {
		if !g.p(0.5) {
			continue
		}
		kind := "memory"
		switch name {
		case "cpu":
			kind = "cpu"
		case "memory", "ephemeral-storage":
		default:
			kind = "extended"
		}
		q := g.quantity(kind)
		switch x := g.r.IntN(100); {
		case kind == "extended" && !g.rare():
			lim.set(name, q)
			if x < 50 {
				req.set(name, q)
			}
		case x < 35:
			lim.set(name, q)
		case x < 60:
			req.set(name, q)
		case x < 85:
			req.set(name, q)
			lim.set(name, q)
		default:
			req.set(name, q)
			lim.set(name, g.quantity(kind))
		}
	}
	if g.p(0.05) {
		// Huge pages: whole pages, requested as much as limited, beside
		// cpu or memory, except at the stack's risk.
		page := pick(g, "2Mi", "1Gi", "64Ki")
		size := map[string]int64{"2Mi": 2, "1Gi": 1, "64Ki": 64}[page]
		q := fmt.Sprintf("%d%s", size*g.integer(1, 64, 1), page[len(page)-2:])
		if g.rare() {
			q = pick(g, "3Mi", "1", "1500m")
		}
		name := "hugepages-" + page
		if g.rare() {
			name = pick(g, "hugepages-big", "hugepages-0", "hugepages-1.5")
		}
		req.set(name, q)
		if !g.rare() {
			lim.set(name, q)
		}
		if !g.rare() && !req.has("cpu") && !req.has("memory") && !lim.has("cpu") && !lim.has("memory") {
			m := g.quantity("memory")
			req.set("memory", m)
			lim.set("memory", m)
		}
	}
	r := &object{}
	if !req.empty() || g.p(0.1) {
		r.set("requests", req)
	}
	if !lim.empty() || g.p(0.1) {
		r.set("limits", lim)
	}
	return r
}

// storage adds the app's volumes; forceClaim names a persistent volume
// whose claim is named like another app's.
func (s *stackGen) storage(a *app, p *pod, forceClaim string, volumes *[]string) *object {
	g := s.gen
	st := &object{}
	n := g.count(1, 3)
	for i := range n {
		name := ""
		if i == 0 && forceClaim != "" {
			name = forceClaim
			p.volumes[name] = true
		} else {
			name = unique(p.volumes, func() string { return g.dnsLabel(63) })
		}
		if name == "" {
			continue
		}
		*volumes = append(*volumes, name)
		v := &object{}
		typ := pick(g, "", "", "persistent", "emptyDir", "emptyDir", "emptyDir", "claim", "hostPath", "configMap")
		if name == forceClaim {
			typ = "persistent"
		}
		if typ == "" || typ == "persistent" || typ == "emptyDir" {
			if typ != "" {
				v.set("type", typ)
			}
		}
		v.set("mountPath", s.mountPath(p))
		if g.p(0.25) {
			v.set("readOnly", g.p(0.5))
		}
		if g.p(0.15) {
			v.set("subPath", g.relPath())
		}
		if g.p(0.2) {
			mode := pick(g, "None", "HostToContainer", "HostToContainer", "Bidirectional")
			// Bidirectional needs the app's container privileged, which
			// its overrides then make it; at the stack's risk not.
			a.privileged = a.privileged || mode == "Bidirectional" && !g.rare()
			v.set("mountPropagation", mode)
		}
		switch typ {
		case "claim": // one that exists: kdecl creates none
			v.set("claim", g.dnsSubdomain())
		case "hostPath":
			v.set("hostPath", obj("path", g.absPath(), "type", maybe(g, 0.5, pick(g,
				"DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"))))
		case "configMap":
			v.set("configMap", g.dnsSubdomain())
			if g.p(0.4) {
				v.set("items", g.items())
			}
			if g.p(0.3) {
				v.set("defaultMode", g.fileMode())
			}
		case "emptyDir":
			if g.p(0.4) {
				v.set("medium", "Memory")
			}
			if g.p(0.4) {
				v.set("sizeLimit", g.quantity("memory"))
			}
		default:
			a.claims = append(a.claims, name)
			v.set("size", g.quantity("memory"))
			if g.p(0.4) {
				v.set("accessModes", g.accessModes())
			}
			if g.p(0.3) {
				v.set("storageClass", g.dnsSubdomain())
			}
			if g.p(0.2) {
				v.set("annotations", g.annotations())
			}
		}
		st.set(name, v)
	}
	return st
}

// items map keys to relative paths, no two keys to one path (kdecl
// refuses that).
func (g *gen) items() *object {
	items := &object{}
	keys, paths := map[string]bool{}, map[string]bool{}
	for range g.count(1, 3) {
		k := unique(keys, g.configKey)
		rel := unique(paths, func() string { return path.Clean(g.relPath()) })
		if k != "" && rel != "" {
			items.set(k, rel)
		}
	}
	return items
}

// fileMode is the mode of a mounted file, 0 to 0o777.
func (g *gen) fileMode() int64 { return g.integer(0, 0o777, 0o400, 0o444, 0o600, 0o644, 0o755) }

// modes are file modes by key: keys, or others.
func (g *gen) modes(keys []string) *object {
	o := &object{}
	seen := map[string]bool{}
	for range g.count(1, 2) {
		k := g.configKey()
		if len(keys) > 0 && g.p(0.8) {
			k = pick(g, keys...)
		}
		if !seen[k] {
			seen[k] = true
			o.set(k, g.fileMode())
		}
	}
	return o
}

// accessModes of a claim: ReadWriteOncePod only on its own, except at the
// stack's risk.
func (g *gen) accessModes() list {
	if g.rare() {
		return pick(g,
			list{"ReadWriteOncePod", "ReadWriteOnce"},
			list{"ReadOnlyMany", "ReadWriteOncePod"},
			list{"ReadWriteOnce", "ReadWriteOnce"},
			list{})
	}
	return pick(g,
		list{"ReadWriteOnce"}, list{"ReadOnlyMany"}, list{"ReadWriteMany"}, list{"ReadWriteOncePod"},
		list{"ReadWriteOnce", "ReadOnlyMany"}, list{"ReadWriteMany", "ReadOnlyMany", "ReadWriteOnce"})
}

func (s *stackGen) secrets(p *pod) *object {
	g := s.gen
	sec := &object{}
	if g.p(0.5) {
		env := &object{}
		for range g.count(1, 2) {
			if k := unique(p.env, g.envName); k != "" {
				ref := &object{}
				ref.set("secret", g.dnsSubdomain())
				ref.set("key", g.configKey())
				env.set(k, ref)
			}
		}
		sec.set("env", env)
	}
	if g.p(0.4) {
		var from list
		for range g.count(1, 2) {
			from = append(from, g.dnsSubdomain())
		}
		if g.p(0.1) {
			from = append(from, from[0]) // the same Secret twice
		}
		sec.set("envFrom", from)
	}
	if g.p(0.5) {
		files := &object{}
		for range g.count(1, 2) {
			name := unique(p.volumes, func() string { return g.dnsLabel(63) })
			if name == "" {
				continue
			}
			f := &object{}
			f.set("secret", g.dnsSubdomain())
			f.set("mountPath", s.mountPath(p))
			var keys []string
			if g.p(0.5) {
				items := g.items()
				for _, f := range items.fields {
					keys = append(keys, f.label)
				}
				f.set("items", items)
			}
			if g.p(0.4) {
				f.set("defaultMode", g.fileMode())
			}
			if len(keys) > 0 && g.p(0.3) { // modes are of keys the items list
				f.set("modes", g.modes(keys))
			}
			if g.p(0.15) {
				f.set("subPath", pick(g, append(keys, g.relPath())...))
			}
			files.set(name, f)
		}
		sec.set("files", files)
	}
	return sec
}

// fieldPath is a pod field for the downward API. The key of a label or
// annotation is any string without a quote, as the schema allows; mostly
// a valid key.
func (g *gen) fieldPath() string {
	if g.p(0.6) {
		return pick(g, "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
			"status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs")
	}
	key := pick(g, "app.kubernetes.io/name", "app.kubernetes.io/instance", "team", "example.com/owner", "a", "A_b.c-d", "kdecl.dev/config-hash",
		g.label(63, lower+upper+digits, lower+upper+digits+"-_.", lower+upper+digits))
	if g.rare() {
		key = pick(g, "with space", "x/y/z", "-lead", g.chars(lower, 64), "é", "UPPER.example.com/x", "a/", `back\slash`)
	}
	return fmt.Sprintf("metadata.%s['%s']", pick(g, "labels", "annotations"), key)
}

// divisor of a resource: one the API allows for it, except at the stack's
// risk.
func (g *gen) divisor(resource string) string {
	if g.rare() {
		return pick(g, "2", "500m", "0", "-1", "1Mi", "1m", "1e3", "1k", "0.5", g.quantity("memory"))
	}
	if strings.HasSuffix(resource, "cpu") {
		return pick(g, "1", "1m")
	}
	return pick(g, "1", "1k", "1Ki", "1M", "1Mi", "1G", "1Gi", "1T", "1Ti", "1P", "1Pi", "1E", "1Ei")
}

// container is a sidecar, or an init container when name is set. Its
// mounts are of the app's volumes.
func (s *stackGen) container(a *app, p *pod, volumes []string, name string) *object {
	g := s.gen
	c := &object{}
	if name != "" {
		c.set("name", name)
	}
	c.set("image", g.image())
	if g.p(0.3) {
		c.set("imagePullPolicy", pick(g, "Always", "IfNotPresent", "Never"))
	}
	if g.p(0.3) {
		c.set("command", g.texts(0, 3))
	}
	if g.p(0.3) {
		c.set("args", g.texts(0, 3))
	}
	if g.p(0.4) {
		env := &object{}
		seen := map[string]bool{}
		for range g.count(1, 3) {
			if k := unique(seen, g.envName); k != "" {
				env.set(k, g.text())
			}
		}
		c.set("env", env)
	}
	if g.p(0.25) {
		ports, _ := s.ports(p, 1, 3, false)
		c.set("ports", ports)
	}
	if g.p(0.3) {
		c.set("resources", g.resources())
	}
	var paths []string
	if len(volumes) > 0 && g.p(0.4) {
		m := &object{}
		for _, v := range volumes {
			if !g.p(0.6) {
				continue
			}
			mp := g.absPath()
			if len(paths) > 0 && g.rare() {
				mp = pick(g, paths...) // two volumes at one path
			}
			paths = append(paths, mp)
			m.set(v, mp)
		}
		c.set("mounts", m)
	}
	if a.files && g.p(0.25) {
		mp := g.absPath()
		if len(paths) > 0 && g.rare() {
			mp = pick(g, paths...)
		}
		c.set("configMount", mp)
	}
	return c
}

// texts is a list of lo to hi strings.
func (g *gen) texts(lo, hi int) list {
	var l list
	for range g.between(lo, hi) {
		l = append(l, g.text())
	}
	if l == nil {
		l = list{}
	}
	return l
}

// image is a reference without whitespace, the schema's only rule: with
// and without tag or digest, with a registry port, odd tags.
func (g *gen) image() string {
	if g.p(g.risk / 3) { // white space that is not ASCII, or inside
		return pick(g, "\u00a0busybox:1.36", "busybox:1.36\u00a0", "busy\vbox:1.36", "busybox:1.36\u2028", "\u3000app:1", "app:1\u0085")
	}
	digest := "sha256:" + g.chars("0123456789abcdef", 64)
	return pick(g,
		"busybox:1.36", "nginx:1.27.0", "docker.io/library/redis:7.2-alpine", "registry.example.com:5000/team/app:v1.2.3",
		"ghcr.io/org/app@"+digest, "quay.io/org/app:1.0@"+digest, "app", "app:latest", "localhost:5000/app",
		"example.com/app:"+g.chars(lower+upper+digits+"_.-", 127), "app:1e3", "app:yes", "app:1.0", "UPPER/Case:TAG",
		"ünïcode/app:1", "a:b:c", "x@y", "app:"+g.label(63, lower+digits, lower+digits+"-_.", lower+digits))
}
