package schema

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// objects checks what the apps of the stack generate together: no two
// objects of one kind with one name (app a's volume b-c and app a-b's
// volume c make one claim a-b-c; an app named db-headless beside a
// statefulset db makes one Service db-headless; a statefulset's claims
// <volume>-<app>-<n> may be another app's claim), and no node port
// pinned by two Services.
func (l *loader) objects(checkers map[string]*appChecker) {
	type source struct {
		c     *appChecker
		field []string
	}
	names := map[string]source{} // kind/name → where it comes from
	claim := func(kind, name string, c *appChecker, field ...string) {
		key := kind + "/" + name
		if prev, ok := names[key]; ok {
			c.fail(fmt.Sprintf("makes the %s %s, which app %q makes too (%s)", kind, name, prev.c.app.Name, describeField(prev.field)), field...)
			return
		}
		names[key] = source{c, field}
	}
	type template struct {
		re    *regexp.Regexp
		src   source
		shape string
	}
	var templates []template
	nodePorts := map[int32]source{}
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		a := c.app
		if a.Expose.Type != ExposeNone {
			claim("Service", a.Name, c)
		}
		if a.Kind == KindStatefulSet {
			claim("Service", HeadlessServiceName(a.Name), c, "kind")
		}
		for _, v := range slices.Sorted(maps.Keys(a.Storage)) {
			if a.Storage[v].Type != VolumePersistent {
				continue
			}
			if a.Kind == KindStatefulSet {
				templates = append(templates, template{claimTemplateRE(a.Name, v), source{c, []string{"storage", v}}, v + "-" + a.Name + "-<n>"})
				continue
			}
			claim("PersistentVolumeClaim", PVCName(a.Name, v), c, "storage", v)
		}
		for _, p := range slices.Sorted(maps.Keys(a.Expose.NodePorts)) {
			n := a.Expose.NodePorts[p]
			field := []string{"expose", "nodePorts", p}
			if prev, ok := nodePorts[n]; ok && prev.c != c {
				c.fail(fmt.Sprintf("node port %d is also pinned by app %q (%s)", n, prev.c.app.Name, describeField(prev.field)), field...)
			}
			nodePorts[n] = source{c, field}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(names)) {
		name, ok := strings.CutPrefix(key, "PersistentVolumeClaim/")
		if !ok {
			continue
		}
		for _, t := range templates {
			if t.re.MatchString(name) {
				src := names[key]
				src.c.fail(fmt.Sprintf("makes the PersistentVolumeClaim %s, which the pods of statefulset %q claim as %s (%s)", name, t.src.c.app.Name, t.shape, describeField(t.src.field)), src.field...)
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
