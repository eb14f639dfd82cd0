package schema

// security gives each app the stack's profile where it sets none, and
// records where the fields are that the Pod Security check after
// generation names: it runs on the generated pods, where no CUE is.
// Only the apps it checks pay for the lookups.
func (l *loader) security(s *Stack, checkers map[string]*appChecker) {
	for _, k := range []string{"pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io/enforce-version"} {
		if _, ok := s.Labels[k]; ok {
			l.errorAt(l.lookup([]string{"labels", k}), "", fieldString([]string{"labels", k}),
				"kdecl sets the Namespace's Pod Security labels from podSecurity, and checks the pods against it; set podSecurity instead")
		}
	}
	checked := s.PodSecurity != nil
	if checked && s.Namespace == "" {
		l.warnings = append(l.warnings, l.newError(l.nearestPos([]string{"podSecurity"}), "", "podSecurity",
			"the stack has no namespace, so kdecl renders no Namespace to label: the pods are checked against the level, but no namespace enforces it"))
	}
	if checked {
		s.Fields = map[string]Position{}
		at := func(path ...string) { s.Fields[fieldString(path)] = l.position(l.nearestPos(path)) }
		at("podSecurity")
		for _, name := range sortedKeys(s.Objects) {
			at("objects", name)
		}
	}
	for _, name := range sortedKeys(checkers) {
		a := checkers[name].app
		own := a.Security != nil
		if !own {
			a.Security = s.Security
		}
		if !checked && a.Security.Level() == LevelPrivileged {
			continue
		}
		a.Fields = map[string]Position{}
		at := func(path ...string) {
			a.Fields[fieldString(path)] = l.position(l.nearestPos(append([]string{"apps", name}, path...)))
		}
		switch {
		case own:
			at("security")
			at("security", "runAsUser")
		case s.Security != nil:
			a.Fields["security"] = l.position(l.nearestPos([]string{"security"}))
			a.Fields["security.runAsUser"] = l.position(l.nearestPos([]string{"security", "runAsUser"}))
		}
		for _, key := range sortedKeys(a.Overrides) {
			at("overrides", key)
		}
		for _, v := range sortedKeys(a.Storage) {
			if a.Storage[v].Type == VolumeHostPath {
				at("storage", v, "hostPath")
			}
		}
		hostPorts := func(ports map[string]Port, path ...string) {
			for _, p := range sortedKeys(ports) {
				if ports[p].HostPort != 0 {
					at(append(path, "ports", p, "hostPort")...)
				}
			}
		}
		hostPorts(a.Ports)
		for _, sc := range sortedKeys(a.Sidecars) {
			hostPorts(a.Sidecars[sc].PortMap(), "sidecars", sc)
		}
		for i, c := range a.InitContainers {
			hostPorts(c.PortMap(), "initContainers", index(i))
		}
		for _, o := range sortedKeys(a.Objects) {
			at("objects", o)
		}
	}
}
