package schema

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
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
	}
	describe := func(src source) string {
		if src.c == nil && len(src.field) == 1 && src.field[0] == "applySet" {
			return "kubectl makes as the ApplySet's parent (applySet)"
		}
		if src.c == nil {
			return "the stack makes too (" + describeField(src.field) + ")"
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
		if src.c != nil {
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
			claim(kind, ns, ObjectName(name, objs[name]), source{c, []string{"objects", name}})
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
		claim("ConfigMap", s.Namespace, parent, source{nil, []string{"applySet"}})
	}
	for _, name := range sortedKeys(s.Configs) {
		claim("ConfigMap", s.Namespace, name, source{nil, []string{"configs", name}})
	}
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		a := c.app
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
			claim(o.Kind, s.Namespace, o.Name, source{c, field})
		}
		for _, v := range slices.Sorted(maps.Keys(a.Storage)) {
			if a.Kind == KindStatefulSet && a.Storage[v].Type == VolumePersistent {
				templates = append(templates, template{claimTemplateRE(a.Name, v), source{c, []string{"storage", v}}, v + "-" + a.Name + "-<n>"})
			}
		}
	}
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
