package randstack

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// gen draws the values of one stack.
type gen struct {
	r *rand.Rand
	// risk is the chance of each value past an edge that the API server
	// may refuse although the schema allows it: a negative quantity, a
	// node port outside the default range, a cron schedule with spaces
	// around it. Each stack draws its own, so some stacks have none.
	risk float64
	// leftToServer is Options.LeftToServer.
	leftToServer bool
}

// p reports true with probability x.
func (g *gen) p(x float64) bool { return g.r.Float64() < x }

// rare reports true with the stack's risk.
func (g *gen) rare() bool { return g.p(g.risk) }

// server is rare for a value past a rule of the API server's that kdecl
// does not check in overrides and objects, and false unless the stack
// was asked for them.
func (g *gen) server() bool { return g.leftToServer && g.rare() }

// between is a uniform int in [lo, hi].
func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

func pick[T any](g *gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

// count is how many entries a map or list gets: mostly few, at most max.
func (g *gen) count(lo, hi int) int {
	if g.p(0.7) {
		return g.between(lo, lo+(hi-lo+1)/2)
	}
	return g.between(lo, hi)
}

// length of a name of at most max runes: the edges 1 and max often.
func (g *gen) length(lo, hi int) int {
	switch x := g.r.IntN(100); {
	case x < 12:
		return hi
	case x < 20:
		return lo
	case x < 85:
		return g.between(lo, min(hi, lo+11))
	default:
		return g.between(lo, hi)
	}
}

// integer is a value of a field bounded below by lo (and above by hi, the
// schema's bound or the Go field's maximum): often an edge.
func (g *gen) integer(lo, hi int64, typical ...int64) int64 {
	switch x := g.r.IntN(100); {
	case x < 15:
		return lo
	case x < 22:
		return hi
	case x < 80 && len(typical) > 0:
		return min(max(pick(g, typical...), lo), hi)
	default:
		span := hi - lo
		if span > 1000 {
			span = 1000
		}
		return lo + g.r.Int64N(span+1)
	}
}

const (
	maxInt32 = math.MaxInt32
	maxInt64 = math.MaxInt64
)

const (
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// chars is n characters of alphabet.
func (g *gen) chars(alphabet string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[g.r.IntN(len(alphabet))])
	}
	return b.String()
}

// label is a name of n characters: the first from first, the last from
// last, the rest from middle.
func (g *gen) label(n int, first, middle, last string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return g.chars(first, 1)
	}
	return g.chars(first, 1) + g.chars(middle, n-2) + g.chars(last, 1)
}

// dnsLabel is an RFC 1123 label of at most max characters.
func (g *gen) dnsLabel(max int) string {
	n := g.length(1, max)
	if g.p(0.05) {
		return g.chars(digits, n)
	}
	if g.p(0.5) && n < 4 {
		return g.chars(lower, n) // a plain word
	}
	return g.label(n, lower+digits, lower+digits+"-", lower+digits)
}

// dnsSubdomain is a DNS subdomain of at most 253 characters, often long.
func (g *gen) dnsSubdomain() string {
	switch x := g.r.IntN(100); {
	case x < 50:
		return g.dnsLabel(63)
	case x < 85:
		parts := make([]string, g.between(2, 4))
		for i := range parts {
			parts[i] = g.dnsLabel(20)
		}
		return strings.Join(parts, ".")
	default:
		return g.longSubdomain(253)
	}
}

// portName is an IANA service name: at most 15 characters, a letter, no "--".
func (g *gen) portName() string {
	for {
		n := g.length(1, 15)
		s := g.label(n, lower+digits, lower+digits+"-", lower+digits)
		if strings.ContainsAny(s, lower) && !strings.Contains(s, "--") {
			return s
		}
	}
}

// envWords make names that look like real configuration, never like a
// credential (kdecl refuses those as plain values).
var envWords = []string{"APP", "LOG", "LEVEL", "MODE", "HOST", "PORT", "DEBUG", "WORKERS", "CACHE", "TTL", "URL", "PATH", "REGION", "FEATURE", "FLAG", "TIMEOUT", "NAME", "DIR"}

// envName is a name of the schema's #EnvName: mostly [-._a-zA-Z][-._a-zA-Z0-9]*,
// now and then one only the API server's relaxed names allow.
func (g *gen) envName() string {
	switch x := g.r.IntN(100); {
	case x < 70:
		parts := make([]string, g.between(1, 3))
		for i := range parts {
			parts[i] = pick(g, envWords...)
		}
		return strings.Join(parts, "_") + fmt.Sprint(g.r.IntN(100))
	case x < 85:
		return pick(g, "_", ".", "..", "-", "-x", ".hidden", "a.b-c", "lower_case", "Mixed.Case-1", "_1", "x", "1ST_KEY", "my var", "a:b")
	case x < 95:
		return g.label(g.between(1, 40), lower+upper+"_.-", lower+upper+digits+"_.-", lower+upper+digits+"_.-")
	default: // longer than a ConfigMap key may be
		return "LONG_" + g.chars(upper+digits+"_", g.between(200, 300))
	}
}

// configKey matches the schema's #ConfigKey: at most 253 of [-._a-zA-Z0-9],
// not "." or "..".
func (g *gen) configKey() string {
	switch x := g.r.IntN(100); {
	case x < 60:
		return pick(g, "app", "settings", "feature", "config", "nginx", "log4j", "data") + pick(g, ".conf", ".yaml", ".json", ".properties", ".flags", "", ".ini", "-1")
	case x < 75:
		return pick(g, "-", "_", ".hidden", "a.b.c", "UPPER", "1", "x-y_z.w", ".x.", "_.-")
	case x < 85:
		return g.chars(lower+upper+digits+"-._", 253)
	case x < 92 && g.rare():
		return ".." + g.chars(lower+".", g.between(0, 8)) // a key that starts with ".."
	default:
		return g.chars(lower+upper+digits+"-._", g.between(2, 30))
	}
}

// segment is one element of a path: no "/", never "..".
func (g *gen) segment() string {
	switch x := g.r.IntN(100); {
	case x < 60:
		return pick(g, "etc", "data", "var", "lib", "app", "cache", "run", "opt", "srv", "conf", "tmp", "secrets", "tls")
	case x < 70:
		return pick(g, ".", "...", ".hidden", "with space", "ünïcode", "a:b", "x@y", "dash-", "UPPER", "~", "$HOME", "*")
	case x < 80:
		return g.chars(lower+digits+"-_.", 80)
	default:
		return g.chars(lower+digits, g.between(1, 10))
	}
}

// absPath matches the schema's #AbsPath: starts with /, no ".." element.
func (g *gen) absPath() string {
	switch x := g.r.IntN(100); {
	case x < 3:
		return "/"
	case x < 8:
		return "/" + g.segment() + "/" // a trailing slash
	case x < 12:
		return "//" + g.segment()
	}
	parts := make([]string, g.between(1, 4))
	for i := range parts {
		parts[i] = g.segment()
	}
	return "/" + strings.Join(parts, "/")
}

// relPath matches the schema's #RelPath: does not start with /, no ".."
// element.
func (g *gen) relPath() string {
	switch x := g.r.IntN(100); {
	case x < 5:
		return "./" + g.segment()
	case x < 9:
		return g.segment() + "/"
	case x < 12:
		return g.segment() + "//" + g.segment()
	case x < 16 && g.rare():
		return "..data" // starts with .., not the element ..
	}
	parts := make([]string, g.between(1, 3))
	for i := range parts {
		parts[i] = g.segment()
	}
	return strings.Join(parts, "/")
}

// oddStrings are values that are easy to get wrong on the way from CUE to
// YAML to JSON: YAML 1.1 booleans and numbers, syntax, escapes, Unicode.
var oddStrings = []string{
	"", " ", "yes", "no", "on", "off", "y", "N", "true", "False", "null", "~", "1e3", "0x1F", "0o17", "1_000",
	".inf", "-.Inf", ".NaN", "2001-12-14", "12:30:45", "-", "---", "...", "#not a comment", "key: value",
	"[a, b]", "{a: b}", "*alias", "&anchor", "!tag", "%directive", "@at", "`tick`", "'single'", `"double"`,
	`back\slash`, `\(not interpolation)`, "$(HOME)", "$$(ESCAPED)", "${BRACES}", "line1\nline2",
	"trailing newline\n", "\ttab", "  padded  ", "grüße", "日本語", "🚀 emoji", "\u00a0nbsp", "zero\u200bwidth",
	"a=b", `C:\path`, "<html>&amp;", "nul\x00byte", "bell\x07", "\r\nwindows",
	"nel\u0085line", "ls\u2028ps\u2029", "\ufeffbom", "del\x7f", "\x1b[31mansi", "<<", "? key", "| block", "> folded",
}

var words = []string{"alpha", "beta", "gamma", "delta", "kube", "pod", "hello", "world", "service", "value", "the", "quick", "brown", "fox"}

// text is a free-form string value.
func (g *gen) text() string {
	switch x := g.r.IntN(100); {
	case x < 40:
		n := g.between(1, 4)
		ws := make([]string, n)
		for i := range ws {
			ws[i] = pick(g, words...)
		}
		return strings.Join(ws, " ")
	case x < 75:
		return pick(g, oddStrings...)
	case x < 90:
		return pick(g, oddStrings...) + " " + pick(g, words...) + pick(g, oddStrings...)
	case x < 99:
		return g.long(g.between(100, 4000))
	default:
		if g.p(g.risk) {
			return g.huge()
		}
		return g.long(g.between(4000, 20000))
	}
}

// long is n bytes of printable text and newlines.
func (g *gen) long(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(pick(g, words...))
		b.WriteString(pick(g, " ", " ", " ", "\n", ", ", "é", "日"))
	}
	return b.String()
}

// huge is a value large enough to pass the API's 256 KiB limit on
// annotations once kubectl apply copies the object into one.
func (g *gen) huge() string { return g.long(g.between(150<<10, 300<<10)) }

// quantity matches the schema's #Quantity. kind is cpu, memory (also for
// ephemeral-storage and volume sizes) or extended (a device count).
func (g *gen) quantity(kind string) string {
	if g.rare() {
		return pick(g, "-1", "-100m", "-1Gi", "0", "+1", ".5", "1.", "1e3", "1E3", "1e-3", "1n", "1u",
			"99999999999999999999999", "1e1.5", "0.0000000001", "9Ei", "12345678901234567890Ki")
	}
	switch kind {
	case "cpu":
		return pick(g, "100m", "250m", "500m", "1", "2", "0.5", "1500m", "64", "0.1", "1000m", "10m")
	case "extended":
		return pick(g, "1", "2", "4", "8", "100", "1k")
	}
	return pick(g, "64Mi", "128Mi", "256Mi", "1Gi", "2Gi", "512M", "1G", "100Ki", "1.5Gi", "10Gi", "1Ti", "1e9", "1000000")
}

// annotationKey matches the schema's #Annotations: [prefix/]name, the
// prefix a DNS subdomain of any length, the name of any length.
func (g *gen) annotationKey() string {
	name := ""
	switch x := g.r.IntN(100); {
	case x < 55:
		name = pick(g, "owner", "team", "description", "note", "checksum", "prometheus.io-scrape", "Build_ID", "a", "x.y-z_w", "UPPER")
	case x < 75:
		name = g.label(63, lower+upper+digits, lower+upper+digits+"-_.", lower+upper+digits)
	case x < 80 && g.rare():
		name = g.label(g.between(64, 100), lower+upper+digits, lower+upper+digits+"-_.", lower+upper+digits)
	default:
		name = g.label(g.between(1, 20), lower+upper+digits, lower+upper+digits+"-_.", lower+upper+digits)
	}
	switch x := g.r.IntN(100); {
	case x < 50:
		return name
	case x < 85:
		return pick(g, "example.com", "kdecl.dev", "prometheus.io", "a.b.c", "kubernetes.io", "app.kubernetes.io", "1.2", "x") + "/" + name
	case x < 92 && g.rare():
		return g.longSubdomain(g.between(254, 300)) + "/" + name
	default:
		return g.dnsSubdomain() + "/" + name
	}
}

// longSubdomain is a DNS subdomain of exactly n characters.
func (g *gen) longSubdomain(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(g.label(63, lower+digits, lower+digits+"-", lower+digits))
	}
	s := []byte(b.String()[:n])
	if c := s[n-1]; c == '-' || c == '.' {
		s[n-1] = 'a'
	}
	return string(s)
}

// serverAnnotations are annotation keys the API server, kubectl or a
// controller read, some on pods only, some on Services only.
var serverAnnotations = []string{
	"scheduler.alpha.kubernetes.io/tolerations", "scheduler.alpha.kubernetes.io/taints",
	"scheduler.alpha.kubernetes.io/preferAvoidPods", "kubernetes.io/config.mirror",
	"controller.kubernetes.io/pod-deletion-cost", "seccomp.security.alpha.kubernetes.io/pod",
	"container.seccomp.security.alpha.kubernetes.io/app", "container.apparmor.security.beta.kubernetes.io/app",
	"service.beta.kubernetes.io/load-balancer-source-ranges", "service.kubernetes.io/topology-mode",
	"service.kubernetes.io/topology-aware-hints", "volume.beta.kubernetes.io/storage-class",
	"kubectl.kubernetes.io/last-applied-configuration", "kubectl.kubernetes.io/default-container",
	"deployment.kubernetes.io/revision", "kubernetes.io/change-cause", "kdecl.dev/config-hash",
}

// serverAnnotationValues are values those keys may or may not accept.
var serverAnnotationValues = []string{
	"0", "-5", "+1", "01", "2147483648", "10.0.0.0/8", "10.0.0.0/8, 192.168.0.0/16", "1.2.3.4", "::/0",
	"Auto", "auto", "Disabled", "runtime/default", "unconfined", "localhost/profile",
	"[]", `[{"key":"k","operator":"Exists","effect":"NoSchedule"}]`, "{", "standard",
}

// annotations is a map of annotationKey to text.
func (g *gen) annotations() *object {
	o := &object{}
	seen := map[string]bool{}
	for range g.count(1, 4) {
		k, v := g.annotationKey(), g.text()
		if g.p(0.08) {
			k, v = pick(g, serverAnnotations...), pick(g, serverAnnotationValues...)
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		if g.p(g.risk / 4) {
			v = g.huge()
		}
		o.set(k, v)
	}
	return o
}

// labelValue matches the schema's #LabelValue and is not empty.
func (g *gen) labelValue() string {
	if g.p(0.3) {
		return pick(g, "true", "yes", "null", "1e3", "0x1F", "1_000", "123", "1.0", "On", "web", "backend", "cache", "db", "Front_End.v2")
	}
	n := g.length(1, 63)
	return g.label(n, lower+upper+digits, lower+upper+digits+"-_.", lower+upper+digits)
}
