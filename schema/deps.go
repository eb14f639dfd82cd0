package schema

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// dependencies resolves each app's uses to the Service that reaches the
// target, and checks the graph: targets exist, are not the app itself,
// have a port and a Service, the names they add to the environment are
// free, and there is no cycle. checkers holds the apps that loaded.
func (l *loader) dependencies(s *Stack, checkers map[string]*appChecker, allApps []string) {
	domain := s.ClusterDomain
	if domain == "" {
		domain = DefaultClusterDomain
	}
	dns := func(host string) string {
		if s.Namespace == "" {
			return host // resolves in the pod's own namespace
		}
		return fmt.Sprintf("%s.%s.svc.%s", host, s.Namespace, domain)
	}
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		seen := map[string]bool{}
		for i, use := range c.app.Uses {
			dep := use.App
			field := c.app.Uses.Field(i)
			if !use.Waits() && !use.Passes() {
				c.fail("wait: false and env: false leave nothing of the use; remove it", field...)
				continue
			}
			target, ok := checkers[dep]
			switch {
			case dep == name:
				c.fail("an app cannot use itself", field...)
				continue
			case seen[dep]:
				c.fail(fmt.Sprintf("%s is listed twice", excerpt(dep)), field...)
				continue
			case !ok && slices.Contains(allApps, dep):
				continue // the target has errors of its own
			case !ok:
				c.fail(fmt.Sprintf("%s is not an app of the stack (have %s)", quote(dep), names(allApps)), field...)
				continue
			}
			seen[dep] = true
			t := target.app
			if t.Kind == KindJob || t.Kind == KindCronJob {
				c.fail(fmt.Sprintf("%s is a %s: it serves nothing to wait for", dep, t.Kind), field...)
				continue
			}
			if len(t.Ports) == 0 {
				c.fail(fmt.Sprintf("%s has no ports to connect to", dep), field...)
				continue
			}
			// Through the app's Service, its ports and their numbers there;
			// through the headless Service (which has the same ports), the
			// pods' own.
			d := Dependency{App: dep, Wait: use.Waits(), Env: use.Passes(), Ports: map[string]Port{}}
			for name, p := range t.ServicePorts() {
				d.Ports[name] = Port{Port: p.ServiceNumber(), Protocol: p.Protocol}
				if t.Expose.Type == ExposeNone {
					d.Ports[name] = p
				}
			}
			if len(d.Ports) == 0 {
				c.fail(fmt.Sprintf("%s has no ports on a Service: each has service: false", dep), field...)
				continue
			}
			switch {
			case t.Expose.Type != ExposeNone:
				d.Host = dns(dep)
			case t.SharesHeadless:
				c.fail(fmt.Sprintf("%s has no Service of its own: its headless Service %s is shared with %s, and its name reaches their pods too; give %s a Service with expose.type", dep, t.HeadlessService(), otherNames(l.headlessGroups[t.HeadlessService()], t), dep), field...)
				continue
			case t.HeadlessService() != "":
				d.Host = dns(t.HeadlessService())
			case t.Kind == KindDaemonSet:
				c.fail(fmt.Sprintf("%s is a daemonset without a Service; give it one with expose.type, or a headless one with headless", dep), field...)
				continue
			default:
				c.fail(fmt.Sprintf("%s has no Service (expose.type none)", dep), field...)
				continue
			}
			if t.Kind == KindStatefulSet && d.Env {
				name := envPrefix(dep) + "_PODS"
				// NAME=VALUE and its NUL, as execve counts it
				if size := len(name) + len("=") + podsEnvSize(t.Replicas, dns(dep+"-."+t.HeadlessService())) + 1; size > maxEnvStringBytes {
					c.fail(fmt.Sprintf("%s has %d replicas: %s, the DNS name of each pod, would be %d KiB, and Linux starts no process with a variable of more than %d KiB (MAX_ARG_STRLEN); look up %s instead, which resolves to every pod, or use %s with env: false",
						dep, t.Replicas, name, size>>10, maxEnvStringBytes>>10, dns(t.HeadlessService()), dep), field...)
					continue
				}
				for i := range t.Replicas {
					d.Pods = append(d.Pods, dns(fmt.Sprintf("%s-%d.%s", dep, i, t.HeadlessService())))
				}
			}
			for _, env := range slices.Sorted(maps.Keys(DependencyEnv(d))) {
				if other, ok := c.envNames[env]; ok {
					c.fail(fmt.Sprintf("using %s sets %s, which %s sets too", dep, env, other), field...)
				}
				c.envNames[env] = "uses " + dep
			}
			c.app.Dependencies = append(c.app.Dependencies, d)
		}
	}
	l.cycles(checkers)
}

// podsEnvSize is the length of <APP>_PODS's value for n pods whose DNS
// names are each name with the pod's ordinal after the app's name: the
// names and the commas between them.
func podsEnvSize(n int32, name string) int {
	size := int(max(n-1, 0)) // commas
	// The ordinals of each number of digits: 0-9, 10-99, ...
	for digits, lo, next := 1, int64(0), int64(10); lo < int64(n); digits, lo, next = digits+1, next, next*10 {
		size += int(min(int64(n), next)-lo) * (len(name) + digits)
	}
	return size
}

// DependencyEnv is what an app using d finds in its environment:
// <APP>_HOST, <APP>_PORT (or <APP>_PORT_<NAME> for each of several ports)
// and, for a statefulset, <APP>_PODS with the DNS name of each pod.
func DependencyEnv(d Dependency) map[string]string {
	if !d.Env {
		return nil
	}
	prefix := envPrefix(d.App)
	env := map[string]string{prefix + "_HOST": d.Host}
	for name, p := range d.Ports {
		key := prefix + "_PORT"
		if len(d.Ports) > 1 {
			key += "_" + envPrefix(name)
		}
		env[key] = strconv.Itoa(int(p.Port))
	}
	if len(d.Pods) > 0 {
		env[prefix+"_PODS"] = strings.Join(d.Pods, ",")
	}
	return env
}

func envPrefix(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// cycles reports each cycle of uses that wait and of jobs that run
// before, once, naming the whole chain, at the field of the app where it
// closes: apps that wait for each other never start. Uses that only pass
// an address may go both ways.
func (l *loader) cycles(checkers map[string]*appChecker) {
	const (
		unvisited = iota
		onPath
		done
	)
	// waits are what an app waits for, each with the app and field that
	// say so: its uses, and the jobs that run before it.
	type wait struct {
		dep   string
		at    *appChecker
		field []string
	}
	waits := func(c *appChecker) []wait {
		var ws []wait
		for i, use := range c.app.Uses {
			if _, ok := checkers[use.App]; ok && use.App != c.app.Name && use.Waits() {
				ws = append(ws, wait{use.App, c, c.app.Uses.Field(i)})
			}
		}
		for _, job := range c.app.After {
			ws = append(ws, wait{job, checkers[job], beforeField(checkers[job].app, c.app.Name)})
		}
		return ws
	}
	state := map[string]int{}
	var path []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = onPath
		path = append(path, name)
		for _, w := range waits(checkers[name]) {
			switch state[w.dep] {
			case onPath:
				start := slices.Index(path, w.dep)
				chain := append(slices.Clone(path[start:]), w.dep)
				w.at.fail("dependency cycle: "+strings.Join(chain, " → "), w.field...)
			case unvisited:
				visit(w.dep)
			}
		}
		path = path[:len(path)-1]
		state[name] = done
	}
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		if state[name] == unvisited {
			visit(name)
		}
	}
}
