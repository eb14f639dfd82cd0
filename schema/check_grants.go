package schema

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/kdecl/kdecl/internal/grants"
)

// What a render grants that a reviewer must see, whatever field it comes
// from, is a warning (an error with --strict): the API server accepts
// it, but it hands a pod the node or the cluster.

// hostPathGrant says what mounting the node's path p gives a pod, or "".
func hostPathGrant(p string, readOnly bool) string {
	what := grants.HostPath(p, readOnly)
	if what == "" {
		return ""
	}
	how := "read-write"
	if readOnly {
		how = "read-only, which keeps no one from connecting to a socket"
	}
	return fmt.Sprintf("mounts %s of the node %s: %s", path.Clean(p), how, what)
}

// bindingGrant says what a RoleBinding or ClusterRoleBinding grants that
// a reviewer must see: the cluster-admin role, or any role to everyone.
func bindingGrant(kind string, o map[string]any) string {
	if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
		return ""
	}
	roleKind, _ := get(o, "roleRef", "kind")
	role, _ := get(o, "roleRef", "name")
	var to, all []string
	for _, s := range asList(o["subjects"]) {
		name, _ := asMap(s)["name"].(string)
		subject := fmt.Sprintf("%v %s", asMap(s)["kind"], name)
		if who, ok := grants.WideSubjects[name]; ok && (asMap(s)["kind"] == "User" || asMap(s)["kind"] == "Group") {
			subject += " (" + who + ")"
			to = append(to, subject)
		}
		all = append(all, subject)
	}
	switch {
	case roleKind == "ClusterRole" && role == grants.ClusterAdmin:
		where := "in the whole cluster"
		if kind == "RoleBinding" {
			where = "in its namespace"
		}
		if len(all) == 0 {
			all = []string{"whom its subjects name"}
		}
		return fmt.Sprintf("grants cluster-admin, every permission %s, to %s", where, strings.Join(all, " and "))
	case len(to) > 0:
		return fmt.Sprintf("grants the %v %v to %s", roleKind, role, strings.Join(to, " and "))
	}
	return ""
}

// grants warns of the grants of the stack's objects, and of each app's
// volumes, overrides and objects.
func (l *loader) grants(s *Stack, checkers map[string]*appChecker) {
	warnStack := func(msg string, field []string) {
		l.warnings = append(l.warnings, l.newError(l.nearestPos(field), "", fieldString(field), msg))
	}
	objectGrants(s.Objects, warnStack)
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		warn := func(msg string, field []string) { c.warn(msg, field...) }
		objectGrants(c.app.Objects, warn)
		for _, v := range slices.Sorted(maps.Keys(c.app.Storage)) {
			if hp := c.app.Storage[v].HostPath; hp != nil {
				if msg := hostPathGrant(hp.Path, c.app.Storage[v].ReadOnly); msg != "" {
					warn(msg, []string{"storage", v, "hostPath", "path"})
				}
			}
		}
		// An override's volume is mounted by the pod's containers in the
		// same fragment, or by the app's container.
		container := c.app.Overrides[OverrideContainer]
		for _, key := range slices.Sorted(maps.Keys(c.app.Overrides)) {
			frag, field := c.app.Overrides[key], []string{"overrides", key}
			switch target, err := OverrideTarget(c.app, key); {
			case key == OverridePod:
				podGrants(frag, container, field, warn)
			case key != OverrideContainer && err == nil && podPaths[target.Kind] != nil:
				spec := at(podPaths[target.Kind], "spec")
				p, _ := get(frag, spec...)
				podGrants(asMap(p), container, at(field, spec...), warn)
			}
		}
	}
}

// objectGrants warns of the grants of objects: bindings, and host paths
// of their pods.
func objectGrants(objs map[string]map[string]any, warn func(msg string, field []string)) {
	for _, name := range sortedKeys(objs) {
		o := objs[name]
		kind, _ := o["kind"].(string)
		field := []string{"objects", name}
		if msg := bindingGrant(kind, o); msg != "" {
			warn(msg, at(field, "roleRef"))
		}
		if tmpl, ok := podTemplatePaths[kind]; ok {
			spec, _ := get(o, tmpl...)
			podGrants(asMap(spec), nil, at(field, tmpl...), warn)
		}
	}
}

// podGrants warns of the host paths of a pod spec, whole or a fragment;
// a volume is read-only when every mount of it, in the spec's containers
// and in extra (a container's fragment, or nil), is.
func podGrants(spec, extra map[string]any, field []string, warn func(msg string, field []string)) {
	readOnly := map[string]bool{} // volume → whether all its mounts are
	mounts := func(ctr map[string]any) {
		for _, m := range asList(ctr["volumeMounts"]) {
			name, _ := asMap(m)["name"].(string)
			ro, _ := asMap(m)["readOnly"].(bool)
			if prev, seen := readOnly[name]; !seen || prev {
				readOnly[name] = ro
			}
		}
	}
	for _, list := range []string{"initContainers", "containers"} {
		for _, ctr := range asList(spec[list]) {
			mounts(asMap(ctr))
		}
	}
	if extra != nil {
		mounts(extra)
	}
	for i, v := range asList(spec["volumes"]) {
		name, _ := asMap(v)["name"].(string)
		p, ok := get(asMap(v), "hostPath", "path")
		if !ok {
			continue
		}
		ro, mounted := readOnly[name]
		if msg := hostPathGrant(fmt.Sprint(p), mounted && ro); msg != "" {
			warn(msg, at(field, "volumes", index(i), "hostPath", "path"))
		}
	}
}
