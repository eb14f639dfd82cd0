package importer

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/schema"
)

// usesEnv finds, in each app's env, the variables kdecl sets for an app
// it uses (<APP>_HOST, <APP>_PORT…, <APP>_PODS), and makes them that
// use: only when every one holds what kdecl would set, so that nothing
// changes. The DNS names they hold give the stack's cluster domain.
func (s *Stack) usesEnv(p *Plan) {
	for _, a := range p.Apps {
		app := s.Apps[a.Name]
		env, _ := app["env"].(map[string]any)
		if len(env) == 0 {
			continue
		}
		for _, b := range p.Apps {
			if b == a {
				continue
			}
			prefix := strings.ToUpper(strings.ReplaceAll(b.Name, "-", "_"))
			host, _ := env[prefix+"_HOST"].(string)
			if host == "" {
				continue
			}
			d, domain, ok := s.dependency(b.Name, host)
			if !ok {
				continue
			}
			want := schema.DependencyEnv(d)
			if !matches(env, want) || domain != "" && s.ClusterDomain != "" && domain != s.ClusterDomain {
				continue
			}
			if domain != "" && domain != schema.DefaultClusterDomain {
				s.ClusterDomain = domain
			}
			for k := range want {
				delete(env, k)
			}
			if len(env) == 0 {
				delete(app, "env")
			}
			s.use(a.Name, app, b.Name)
		}
	}
}

// matches says whether env holds every variable of want, with its value.
func matches(env map[string]any, want map[string]string) bool {
	for k, v := range want {
		if env[k] != v {
			return false
		}
	}
	return true
}

// use adds to app the use of dep that passes its address: a use that
// waits already passes it too, else the use does not wait.
func (s *Stack) use(name string, app map[string]any, dep string) {
	uses, _ := app["uses"].([]any)
	for _, u := range uses {
		if m := u.(map[string]any); m["app"] == dep {
			delete(m, "env")
			return
		}
	}
	app["uses"] = append(uses, map[string]any{"app": dep, "wait": false})
	s.Notes = append(s.Notes, fmt.Sprintf("app %s: the address of app %s in its environment is a use of it", name, dep))
}

// dependency is what kdecl makes of a use of the app dep of the stack, as
// far as the address host says it (its Service, in the stack's namespace
// or not), and the cluster domain host names, "" if it names none.
func (s *Stack) dependency(dep, host string) (schema.Dependency, string, bool) {
	t := s.Apps[dep]
	kind, _ := t["kind"].(string)
	exposeType, _ := manifest.Get(t, "expose", "type").(string)
	svc := dep
	none := exposeType == "none" || kind == "daemonset" && exposeType == ""
	headless := writtenHeadless(dep, t)
	switch {
	case none && headless != "":
		svc = headless
	case none || kind == "job" || kind == "cronjob":
		return schema.Dependency{}, "", false
	}
	domain := ""
	if host != svc {
		rest, ok := strings.CutPrefix(host, svc+"."+s.Namespace+".svc.")
		if !ok || s.Namespace == "" {
			return schema.Dependency{}, "", false
		}
		domain = rest
	}
	dns := func(h string) string {
		if domain == "" {
			return h
		}
		return h + "." + s.Namespace + ".svc." + domain
	}
	d := schema.Dependency{App: dep, Env: true, Host: host, Ports: map[string]schema.Port{}}
	ports, _ := t["ports"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(ports)) {
		switch p := ports[name].(type) {
		case int:
			d.Ports[name] = schema.Port{Port: int32(p)}
		case map[string]any:
			if p["service"] == false {
				continue // on no Service, headless or not
			}
			n := p["port"].(int)
			if sp, ok := p["servicePort"].(int); ok && !none {
				n = sp
			}
			d.Ports[name] = schema.Port{Port: int32(n)}
		}
	}
	if len(d.Ports) == 0 {
		return schema.Dependency{}, "", false
	}
	if kind == "statefulset" {
		replicas := 1
		if r, ok := t["replicas"].(int); ok {
			replicas = r
		}
		for i := range replicas {
			d.Pods = append(d.Pods, dns(fmt.Sprintf("%s-%d.%s", dep, i, headless)))
		}
	}
	return d, domain, true
}

// writtenHeadless is the name of the headless Service of the app the
// stack writes as t, as schema.App.HeadlessService says it.
func writtenHeadless(name string, t map[string]any) string {
	kind, _ := t["kind"].(string)
	h, asked := t["headless"].(map[string]any)
	switch n, _ := h["name"].(string); {
	case n != "":
		return n
	case asked || kind == "statefulset":
		return schema.HeadlessServiceName(name)
	}
	return ""
}
