package schema

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// objects checks what the stack renders as a whole: no two objects of
// one kind and name in one namespace (app a's volume b-c and app a-b's
// volume c make one claim a-b-c; an app named db-headless beside a
// statefulset db makes one Service db-headless; an object of the stack's
// own may have the name of a generated one; a statefulset's claims
// <volume>-<app>-<n> may be another app's claim), and node ports as the
// API server allocates them.
func (l *loader) objects(s *Stack, checkers map[string]*appChecker) {
	type source struct {
		c     *appChecker // nil for the stack's own objects
		field []string
		// stack says that the object is the stack's, though of c's
		// field: a headless Service apps share
		stack bool
	}
	describe := func(src source) string {
		if src.c == nil && len(src.field) == 1 && src.field[0] == "applySet" {
			return "kubectl makes as the ApplySet's parent (applySet)"
		}
		if src.c == nil {
			return "the stack makes too (" + describeField(src.field) + ")"
		}
		if src.stack {
			return fmt.Sprintf("%s share (%s)", otherNames(l.headlessGroups[src.c.app.HeadlessService()], nil), describeField(src.field))
		}
		return fmt.Sprintf("app %q makes too (%s)", src.c.app.Name, describeField(src.field))
	}
	fail := func(src source, msg string) {
		if src.c == nil {
			l.errorAt(l.lookup(src.field), "", fieldString(src.field), msg)
			return
		}
		src.c.fail(msg, src.field...)
	}
	names := map[string]source{}  // kind/namespace/name → where it comes from
	files := map[string]*source{} // app/kind/name → where it comes from: the file it is written to
	claim := func(kind, namespace, name string, src source) {
		key := kind + "/" + namespace + "/" + name
		app := ""
		if src.c != nil && !src.stack {
			app = src.c.app.Name
		}
		file := app + "/" + strings.ToLower(kind) + "/" + name
		if _, same := names[key]; !same && files[file] != nil {
			prev := *files[file]
			// Another namespace's object of the kind and name: the deploy
			// directory has one file for both.
			fail(src, fmt.Sprintf("makes the %s %s in another namespace, which %s: kdecl writes both to one file of the deploy directory; name them apart", kind, name, describe(prev)))
			return
		}
		files[file] = &src
		if prev, ok := names[key]; ok {
			if generated := func(s source) bool { return len(s.field) == 0 || s.field[0] != "objects" }; prev.c != nil && prev.c == src.c && generated(prev) && generated(src) {
				return // two of one app's own: its checks say which fields clash
			}
			fail(src, fmt.Sprintf("makes the %s %s, which %s", kind, name, describe(prev)))
			return
		}
		names[key] = src
	}
	extra := func(objs map[string]map[string]any, c *appChecker) {
		for _, name := range sortedKeys(objs) {
			kind, _ := objs[name]["kind"].(string)
			apiVersion, _ := objs[name]["apiVersion"].(string)
			ns := s.Namespace
			if n, ok := get(objs[name], "metadata", "namespace"); ok {
				ns, _ = n.(string)
			}
			if s.ClusterScoped(apiVersion, kind) {
				ns = ""
			}
			claim(kind, ns, ObjectName(name, objs[name]), source{c: c, field: []string{"objects", name}})
		}
	}
	type template struct {
		re    *regexp.Regexp
		src   source
		shape string
	}
	var templates []template
	if parent := s.ApplySetParent(); parent != "" && s.Namespace != "" {
		// kubectl's, not rendered: an object of that name would be applied
		// over it
		claim("ConfigMap", s.Namespace, parent, source{field: []string{"applySet"}})
	}
	for _, name := range sortedKeys(s.Configs) {
		claim("ConfigMap", s.Namespace, name, source{field: []string{"configs", name}})
	}
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		a := c.app
		if sharers := l.headlessGroups[a.sharedName()]; len(sharers) > 0 && sharers[0] == a {
			// the stack's, which the first of them stands for
			claim("Service", s.Namespace, a.HeadlessService(), source{c: c, field: []string{"headless"}, stack: true})
		}
		for _, o := range AppObjects(a) {
			field := []string{} // the app itself
			switch {
			case o.Kind == "PersistentVolumeClaim":
				field = []string{"storage", strings.TrimPrefix(o.Name, a.Name+"-")}
			case o.Name == "":
				continue // a Job, named after a hash of its spec
			case o.Kind == "Service" && o.Name == a.HeadlessService() && a.Headless != nil:
				field = []string{"headless"}
			case o.Kind == "Service" && o.Name == a.HeadlessService():
				field = []string{"kind"}
			case o.Kind == "ConfigMap":
				field = []string{"config"}
			case o.Kind == "Ingress":
				field = []string{"expose", "ingress"}
			case o.Kind == "PodDisruptionBudget":
				field = []string{"disruption"}
			}
			claim(o.Kind, s.Namespace, o.Name, source{c: c, field: field})
		}
		for _, v := range slices.Sorted(maps.Keys(a.Storage)) {
			if a.Kind == KindStatefulSet && a.Storage[v].Type == VolumePersistent {
				templates = append(templates, template{claimTemplateRE(a.Name, v), source{c: c, field: []string{"storage", v}}, v + "-" + a.Name + "-<n>"})
			}
		}
	}
	l.sharedHeadless(checkers)
	l.autoscalers(s, checkers)
	l.nodePorts(s, checkers)
	l.grants(s, checkers)
	// The objects of the stack's own come after the generated ones: an
	// error names the one to rename.
	extra(s.Objects, nil)
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		extra(checkers[name].app.Objects, checkers[name])
	}
	for _, key := range slices.Sorted(maps.Keys(names)) {
		rest, ok := strings.CutPrefix(key, "PersistentVolumeClaim/"+s.Namespace+"/")
		if !ok {
			continue
		}
		for _, t := range templates {
			if t.re.MatchString(rest) {
				fail(names[key], fmt.Sprintf("makes the PersistentVolumeClaim %s, which the pods of statefulset %q claim as %s (%s)", rest, t.src.c.app.Name, t.shape, describeField(t.src.field)))
			}
		}
	}
}

// describeField names a field of an app for a message, or the app itself.
func describeField(field []string) string {
	if len(field) == 0 {
		return "its name"
	}
	return fieldString(field)
}

// autoscalers finds the HorizontalPodAutoscalers among the stack's and the
// apps' objects: an app one scales has no replicas of its own.
func (l *loader) autoscalers(s *Stack, checkers map[string]*appChecker) {
	scan := func(objs map[string]map[string]any, app string) {
		for _, name := range sortedKeys(objs) {
			o := objs[name]
			if o["kind"] != "HorizontalPodAutoscaler" {
				continue
			}
			kind, _ := get(o, "spec", "scaleTargetRef", "kind")
			target, _ := get(o, "spec", "scaleTargetRef", "name")
			t, _ := target.(string)
			c, ok := checkers[t]
			if !ok || strings.ToLower(fmt.Sprint(kind)) != c.app.Kind {
				continue
			}
			if c.app.Autoscale != nil {
				c.fail(fmt.Sprintf("%s scales the app, and autoscale too; keep one", describeObject(c, app, name)), "autoscale")
				continue
			}
			c.app.Autoscaled = true
			if c.set("replicas") {
				c.fail(fmt.Sprintf("%s scales the app; remove replicas (every apply would reset what the autoscaler chose)", describeObject(c, app, name)), "replicas")
			}
		}
	}
	scan(s.Objects, "")
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		scan(checkers[name].app.Objects, name)
	}
}

// appsOf are the apps of checkers, sorted by name.
func appsOf(checkers map[string]*appChecker) []*App {
	var apps []*App
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		apps = append(apps, checkers[name].app)
	}
	return apps
}

// sharedHeadless checks the headless Services that several apps share:
// one Service of all their ports, so a port's name means one number and
// protocol, and no two names one; one publishNotReadyAddresses; and no
// override, as it is no one app's.
func (l *loader) sharedHeadless(checkers map[string]*appChecker) {
	for _, name := range slices.Sorted(maps.Keys(l.headlessGroups)) {
		sharers := l.headlessGroups[name]
		a := sharers[0]
		type from struct {
			app  string
			port Port
		}
		byName := map[string]from{}
		byNumber := map[string]string{} // number/protocol → port name
		for _, x := range sharers {
			c := checkers[x.Name]
			with := fmt.Sprintf("which app %q shares", a.Name)
			if x != a {
				with = fmt.Sprintf("which it shares with app %q", a.Name)
			}
			for _, pn := range slices.Sorted(maps.Keys(x.ServicePorts())) {
				p := x.ServicePorts()[pn]
				proto := cmp.Or(p.Protocol, "TCP")
				if prev, ok := byName[pn]; ok && (prev.port.ServiceNumber() != p.ServiceNumber() || cmp.Or(prev.port.Protocol, "TCP") != proto) {
					c.fail(fmt.Sprintf("%d/%s on the headless Service %s, %s, where app %q's port %s is %d/%s: a Service has one port of a name",
						p.ServiceNumber(), proto, name, with, prev.app, pn, prev.port.ServiceNumber(), cmp.Or(prev.port.Protocol, "TCP")), "ports", pn)
					continue
				}
				key := fmt.Sprint(p.ServiceNumber(), "/", proto)
				if other, ok := byNumber[key]; ok && other != pn {
					c.fail(fmt.Sprintf("%s on the headless Service %s, %s, where port %s is %s too: name the ports alike, or number them apart", key, name, with, other, key), "ports", pn)
					continue
				}
				byName[pn], byNumber[key] = from{x.Name, p}, pn
			}
			if x != a && x.HeadlessPublishes() != a.HeadlessPublishes() {
				field := []string{"headless", "publishNotReadyAddresses"}
				switch {
				case c.set(field...):
				case c.set("expose", "publishNotReadyAddresses"):
					field = []string{"expose", "publishNotReadyAddresses"} // which the headless Service takes
				default:
					field = []string{"headless"}
				}
				c.fail(fmt.Sprintf("publishNotReadyAddresses is %t for the headless Service %s, which it shares with app %q, where it is %t: set it alike", x.HeadlessPublishes(), name, a.Name, a.HeadlessPublishes()), field...)
			}
			for _, key := range slices.Sorted(maps.Keys(x.Overrides)) {
				if key == "service/"+name {
					c.fail(fmt.Sprintf("the headless Service %s is shared with %s: kdecl makes it of their ports alone, and no app's overrides patch it", name, otherNames(sharers, x)), "overrides", key)
				}
			}
		}
		// A named targetPort reaches the port of that name on any
		// container of the pods it selects: a sharer's port that is on no
		// Service, or a sidecar's, must not have the name of one of the
		// shared Service's.
		for _, x := range sharers {
			c := checkers[x.Name]
			for _, pn := range slices.Sorted(maps.Keys(x.Ports)) {
				if from, ok := byName[pn]; ok && !x.Ports[pn].OnService() {
					c.fail(fmt.Sprintf("a port on no Service of the app's (service: false), but the headless Service %s it shares has a port %s (app %q's), whose target port would reach it on this app's pods too: name it apart", name, pn, from.app), "ports", pn)
				}
			}
			for _, sc := range slices.Sorted(maps.Keys(x.Sidecars)) {
				for _, pn := range slices.Sorted(maps.Keys(x.Sidecars[sc].Ports)) {
					if from, ok := byName[pn]; ok {
						c.fail(fmt.Sprintf("the headless Service %s the app shares has a port %s (app %q's), whose target port would reach this sidecar's on the app's pods too: name it apart", name, pn, from.app), "sidecars", sc, "ports", pn)
					}
				}
			}
		}
	}
}

// otherNames names the apps but a: app "x", or apps "x" and "y".
func otherNames(apps []*App, a *App) string {
	var out []string
	for _, x := range apps {
		if x != a {
			out = append(out, strconv.Quote(x.Name))
		}
	}
	if len(out) == 1 {
		return "app " + out[0]
	}
	return "apps " + strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// describeObject names an object of the stack (app "") or of app, to an
// error of c.
func describeObject(c *appChecker, app, name string) string {
	switch app {
	case "":
		return "the stack's objects." + quoteKey(name)
	case c.app.Name:
		return "objects." + quoteKey(name)
	}
	return fmt.Sprintf("app %q's objects.%s", app, quoteKey(name))
}
