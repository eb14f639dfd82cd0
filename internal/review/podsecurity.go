package review

import "github.com/kdecl/kdecl/internal/manifest"

// enforceLabel is the label of a Namespace with the Pod Security level
// the API server enforces on its pods.
const enforceLabel = "pod-security.kubernetes.io/enforce"

// podSecurityLevels rank the levels from the most permissive; a
// Namespace without the label enforces privileged, the API server's
// default.
var podSecurityLevels = map[string]int{"privileged": 0, "baseline": 1, "restricted": 2}

// podSecurityLowered finds a Namespace, new, that enforces a weaker Pod
// Security level than old did: its pods may then have what the level
// forbade.
func podSecurityLowered(b *builder, old map[string]any, new *object) {
	if old == nil {
		return
	}
	level := func(fields map[string]any) string {
		l, _ := manifest.Get(fields, "metadata", "labels", enforceLabel).(string)
		if _, ok := podSecurityLevels[l]; !ok {
			return "privileged"
		}
		return l
	}
	ol, nl := level(old), level(new.fields)
	if podSecurityLevels[nl] < podSecurityLevels[ol] {
		b.add(Exposure, "the namespace enforces the Pod Security level %s, no longer %s: its pods may have what %s forbids", nl, ol, ol)
	}
}
