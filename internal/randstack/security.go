package randstack

// securityFields sets the stack's podSecurity and security and the
// apps' security. They are drawn last, so that what the stack is
// otherwise stays what it was for a seed before they were drawn.
func (g *gen) securityFields(top, apps *object) {
	var level string
	if g.p(0.2) {
		var ps any
		ps, level = g.podSecurity()
		top.set("podSecurity", ps)
	}
	if g.p(0.15) || (level != "" && g.p(0.4)) { // a stack that means to render under its level
		top.set("security", g.security(level))
	}
	for _, f := range apps.fields {
		if g.p(0.25) || (level != "" && g.p(0.6)) {
			f.value.(*object).set("security", g.security(level))
		}
	}
}

// podSecurity is the stack's podSecurity, a level or {level, version},
// and the level, for the apps' profiles to meet it more often than not.
func (g *gen) podSecurity() (any, string) {
	level := pick(g, "restricted", "restricted", "baseline", "privileged")
	if !g.p(0.4) {
		return level, level
	}
	version := pick(g, "latest", "v1.0", "v1.23", "v1.37", "v1.9999")
	if g.rare() {
		version = pick(g, "v2.0", "1.30", "v1.01") // the schema refuses these
	}
	return obj("level", level, "version", version), level
}

// security is a hardening profile, of the stack or an app: a name, or
// the struct with its options. Under a restricted namespace it is
// restricted mostly, as a stack that means to render writes it.
func (g *gen) security(namespace string) any {
	profile := pick(g, "restricted", "baseline", "none")
	if namespace == "restricted" && g.p(0.8) {
		profile = "restricted"
	}
	if g.p(0.4) {
		return profile
	}
	id := func() any {
		if !g.p(0.5) {
			return nil
		}
		if g.rare() {
			return pick[int64](g, -1, maxInt32+1) // the schema refuses these
		}
		return g.integer(0, maxInt32, 1000, 65532, 65534)
	}
	return obj("profile", profile, "readOnlyRootFilesystem", maybe(g, 0.5, g.p(0.5)),
		"runAsUser", id(), "runAsGroup", id(), "fsGroup", id())
}

// applySet is the stack's applySet: on, off, or a parent's name, which
// may collide with a config of the stack's or be no subdomain.
func (g *gen) applySet() any {
	switch {
	case g.p(0.4):
		return true
	case g.p(0.2):
		return false
	case g.rare():
		return obj("name", pick(g, "Parent", "a_b", "-x", g.longSubdomain(g.between(254, 300))))
	}
	return obj("name", pick(g, g.dnsSubdomain(), "config", "applyset.v1"))
}
