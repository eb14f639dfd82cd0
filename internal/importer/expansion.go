package importer

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// expansion says how the kubelet expanded $(NAME) in a container's
// variables, in their order, so that the stack, whose variables kdecl
// orders by their references, keeps each value: a reference that did
// not expand is escaped, $$(NAME).
type expansion struct {
	env     []corev1.EnvVar
	known   map[string]bool // defined by the container's envFrom
	opaque  bool            // an envFrom defines what no one here knows
	defined map[string]int  // the index of each variable of env
}

// newExpansion reads c's variables; keys lists the keys of a ConfigMap
// the stack knows, nil for one it does not.
func newExpansion(c corev1.Container, keys func(configMap string) []string) *expansion {
	x := &expansion{env: c.Env, known: map[string]bool{}, defined: map[string]int{}}
	for _, ef := range c.EnvFrom {
		var ks []string
		if ef.ConfigMapRef != nil {
			ks = keys(ef.ConfigMapRef.Name)
		}
		if ks == nil {
			x.opaque = true
		}
		for _, k := range ks {
			x.known[ef.Prefix+k] = true
		}
	}
	for i, e := range c.Env {
		if _, ok := x.defined[e.Name]; !ok {
			x.defined[e.Name] = i
		}
	}
	return x
}

// escape is the value of the i-th variable with each reference escaped
// that did not expand where it stood: to a variable defined only after
// it, or, when no envFrom hides one, to none.
func (x *expansion) escape(i int, v string) string {
	return rewriteRefs(v, "$$", func(name string) string {
		at, later := x.defined[name]
		expanded := x.known[name] || later && at < i
		if !expanded && (later || !x.opaque) {
			return "$$(" + name + ")"
		}
		return "$(" + name + ")"
	})
}

// rewriteRefs rewrites v as the kubelet reads it: each $$ becomes dollar, each
// reference $(NAME) what ref makes of NAME; the rest stays.
func rewriteRefs(v, dollar string, ref func(name string) string) string {
	var b strings.Builder
	for j := 0; j < len(v); j++ {
		if v[j] != '$' || j+1 == len(v) {
			b.WriteByte(v[j])
			continue
		}
		switch v[j+1] {
		case '$':
			b.WriteString(dollar)
			j++
		case '(':
			end := strings.IndexByte(v[j+2:], ')')
			if end < 0 {
				b.WriteString(v[j:])
				return b.String()
			}
			b.WriteString(ref(v[j+2 : j+2+end]))
			j += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// escapeAll escapes every $ of a value the kubelet does not expand, a
// ConfigMap's, that the stack writes as a variable's value.
func escapeAll(v string) string { return strings.ReplaceAll(v, "$", "$$") }
