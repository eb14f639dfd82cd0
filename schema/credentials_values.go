package schema

import (
	"regexp"
	"strings"
)

// holdsCredential is whether v, the value of a name of class, holds a
// credential itself. It holds none when it is a placeholder, when it is
// wholly references that something else resolves ($(X), ${X}, {{ x }}:
// a literal beside a reference, $(X)hunter2, is one), when it is code
// that reads the credential (os.environ["X"]), and when it is a file's
// path and the name says it holds one (PASSWORD_FILE, PWD) or it is
// plainly one (/etc/tls/client.key). A reference's default (${X:-pw})
// and a literal default in code are values too.
func holdsCredential(class nameClass, v string) bool {
	if class == plainName {
		return false
	}
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "!") {
		tag, rest, _ := strings.Cut(v, " ")
		if referenceTags[tag] {
			return false
		}
		v = strings.TrimSpace(rest)
	}
	if placeholder(v) || isFilePath(v) || (class == credentialPath && isPath(v)) || authMechanisms[strings.ToLower(v)] {
		return false
	}
	if code, secret := codeExpression(v); code {
		return secret
	}
	if rest, ok := trimScheme(v); ok {
		v = rest
		if placeholder(v) {
			return false
		}
	}
	return holdsLiteral(v)
}

// referenceTags are YAML tags whose value is kept elsewhere: Ansible's
// !vault (encrypted), Home Assistant's !secret, !env and !include.
var referenceTags = setOf("!vault", "!secret", "!env", "!ENV", "!env_var", "!include")

// authMechanisms name how to authenticate, not with what: auth: basic,
// auth="Container" of a Tomcat resource.
var authMechanisms = setOf("basic", "digest", "bearer", "oauth", "oauth2", "oidc", "jwt", "ldap", "kerberos", "ntlm",
	"negotiate", "saml", "container", "application", "plain", "login", "md5", "scram-sha-1", "scram-sha-256", "trust",
	"peer", "ident", "cert", "tls", "mtls", "anonymous", "required", "optional", "enabled", "disabled",
	"sha1", "sha224", "sha256", "sha384", "sha512", "sha-1", "sha-256", "sha-512")

// holdsLiteral is whether v holds literal text beside its references, or a
// reference's default that holds a credential.
func holdsLiteral(v string) bool {
	rest, refs, secretDefault := stripReferences(v)
	switch {
	case secretDefault:
		return true
	case refs == 0:
		return !placeholder(v)
	}
	return strings.IndexFunc(rest, isAlnum) >= 0
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r > 0x7f
}

var (
	smallNumberRE = regexp.MustCompile(`^[+-]?[0-9]{1,3}(\.[0-9]+)?$`)
	durationRE    = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w|y))+$`)
	angleRE       = regexp.MustCompile(`^<[A-Za-z][A-Za-z _.-]*>$`)
)

// placeholder is whether a whole value stands where a credential will
// go, or is no credential at all: empty, null, a boolean, a number of up
// to three digits (a length or count; 1234 may be a PIN), a duration, a
// mask (***, ---, xxx), a description in angle brackets (<password>,
// <your token>), a word that says to replace it (changeme, changeit,
// REDACTED, your-api-key-here), or where a nested block starts (YAML |
// and >, JSON [ and {).
func placeholder(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) > 40 {
		return false
	}
	switch strings.ToLower(v) {
	case "", `""`, "''", "null", "nil", "none", "~", "undefined", "true", "false", "yes", "no", "on", "off",
		"[", "{", "[]", "{}", "|", "|-", "|+", ">", ">-", ">+":
		return true
	}
	if mask(v) || smallNumberRE.MatchString(v) || angleRE.MatchString(v) {
		return true
	}
	if v[0] >= '0' && v[0] <= '9' && durationRE.MatchString(v) {
		return true
	}
	return replaceMe(strings.ToLower(v))
}

// mask is whether v only hides a value: at least three of * - x X . # _ ?
// or any number of *.
func mask(v string) bool {
	stars := true
	for _, r := range v {
		switch r {
		case '*':
		case '-', 'x', 'X', '.', '#', '_', '?', '•':
			stars = false
		default:
			return false
		}
	}
	return stars || len(v) >= 3
}

// replaceMe is whether lower, a value in lower case, says it is to be
// replaced.
func replaceMe(lower string) bool {
	switch strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == ' ' || r == '.' {
			return -1
		}
		return r
	}, lower) {
	case "changeme", "changeit", "replaceme", "redacted", "placeholder", "todo", "fixme", "setme", "fillme":
		return true
	}
	for _, p := range []string{"your", "insert", "enter", "put", "paste"} {
		if rest, ok := strings.CutPrefix(lower, p); ok && rest != "" && strings.ContainsRune("-_ ", rune(rest[0])) {
			return true
		}
	}
	return len(lower) > 5 && strings.HasSuffix(lower, "here") && strings.ContainsRune("-_ ", rune(lower[len(lower)-5]))
}

// trimScheme cuts the scheme of an HTTP Authorization value: Bearer,
// Basic, Token.
func trimScheme(v string) (string, bool) {
	i := strings.IndexAny(v, " \t")
	if i < 0 || !authScheme(v[:i]) {
		return v, false
	}
	return strings.TrimSpace(v[i:]), true
}

// authScheme is whether word is the scheme of an HTTP Authorization
// value.
func authScheme(word string) bool {
	for _, s := range []string{"Bearer", "Basic", "Token", "Digest", "Bot", "ApiKey"} {
		if strings.EqualFold(word, s) {
			return true
		}
	}
	return false
}

var (
	filePathRE = regexp.MustCompile(`^(/[a-z][a-z0-9_.-]*(/[\w.@+-]+)+/?|~/[\w./@+-]+|file:\S+)$`)
	relPathRE  = regexp.MustCompile(`^[\w.-]+(/[\w.-]+)*\.[A-Za-z][A-Za-z0-9]{0,5}$`)
)

// isFilePath is whether v is plainly a file's path, which no password
// looks like: /etc/tls/client.key, /run/secrets/db.
func isFilePath(v string) bool {
	return len(v) > 1 && (v[0] == '/' || v[0] == '~' || v[0] == 'f') && filePathRE.MatchString(v)
}

// isPath is whether v, the value of a name that says it holds a path, is
// one: absolute, relative to the home or working directory, after a
// reference ($(SECRETS)/db), or a file name with an extension.
func isPath(v string) bool {
	for _, p := range []string{"/", "~/", "./", "../", "file:"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	if n := referenceLen(v, 0); n > 0 && strings.HasPrefix(v[n:], "/") {
		return true
	}
	return relPathRE.MatchString(v)
}

// stripReferences removes the references from v, counts them and says
// whether the default of one (${X:-hunter2}, Spring's ${X:hunter2})
// holds a credential.
func stripReferences(v string) (rest string, refs int, secretDefault bool) {
	if whole := wholeReference(v); whole {
		return "", 1, false
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		n := referenceLen(v, i)
		if n == 0 {
			b.WriteByte(v[i])
			i++
			continue
		}
		refs++
		if def, ok := referenceDefault(v[i : i+n]); ok && holdsCredential(credentialValue, def) {
			secretDefault = true
		}
		i += n
	}
	return b.String(), refs, secretDefault
}

var (
	aliasRE    = regexp.MustCompile(`^\*[A-Za-z_][\w-]*$`)
	vaultRefRE = regexp.MustCompile(`^(vault:[\w./-]+(#[\w.-]+)?|ref\+[a-z0-9]+://\S+|op://\S+)$`)
)

// wholeReference is whether v as a whole refers to a value kept
// elsewhere: a YAML alias, a Vault path as the Vault webhook and vals
// read them, a 1Password reference.
func wholeReference(v string) bool {
	switch {
	case v == "":
		return false
	case v[0] == '*':
		return aliasRE.MatchString(v)
	case v[0] == 'v' || v[0] == 'r' || v[0] == 'o':
		return vaultRefRE.MatchString(v)
	}
	return false
}

// maxReferenceLen is the length of the longest reference.
const maxReferenceLen = 1 << 10

// referenceLen is the length of the reference that starts v[i:], or 0:
// $(X) (Kubernetes, or a shell's command), ${X} (shells, Spring,
// envsubst), $X, $__env{X} (Grafana), {{ x }} (templates), <%= x %>
// (ERB), %(x)s (Python), #{x} and %{x} (Ruby, fluentd), @x@ (Maven),
// ENC(...) and ENC[...] (values encrypted with a key kept elsewhere:
// Jasypt, SOPS). $$ is Kubernetes' escaped $, no reference.
func referenceLen(v string, i int) int {
	s := v[i:]
	if len(s) > maxReferenceLen {
		s = s[:maxReferenceLen] // an unclosed $( is not looked for to the end at every byte
	}
	switch {
	case len(s) < 2:
		return 0
	case s[0] == '$':
		switch s[1] {
		case '$':
			return 0
		case '(':
			return balanced(s, 1, '(', ')')
		case '{':
			return balanced(s, 1, '{', '}')
		}
		if strings.HasPrefix(s, "$__") {
			if j := strings.IndexByte(s, '{'); j > 0 && identifier(s[3:j]) {
				return balanced(s, j, '{', '}')
			}
		}
		n := 1
		for n < len(s) && (s[n] == '_' || isAlnumByte(s[n])) {
			n++
		}
		if n == 1 || s[1] >= '0' && s[1] <= '9' || n < len(s) && s[n] == '$' {
			return 0 // $2y$10$... is a bcrypt hash, $apr1$... an htpasswd one
		}
		return n
	case strings.HasPrefix(s, "{{"):
		if j := strings.Index(s, "}}"); j > 0 {
			return j + 2
		}
	case strings.HasPrefix(s, "<%"):
		if j := strings.Index(s, "%>"); j > 0 {
			return j + 2
		}
	case strings.HasPrefix(s, "%("):
		if j := strings.IndexByte(s, ')'); j > 0 {
			if j+1 < len(s) && (s[j+1] == 's' || s[j+1] == 'd' || s[j+1] == 'r') {
				return j + 2
			}
			return j + 1
		}
	case strings.HasPrefix(s, "#{"), strings.HasPrefix(s, "%{"):
		return balanced(s, 1, '{', '}')
	case s[0] == '@':
		if j := strings.IndexByte(s[1:], '@'); j > 0 && mavenProperty(s[1:j+1]) {
			return j + 2
		}
	case strings.HasPrefix(s, "ENC("):
		return balanced(s, 3, '(', ')')
	case strings.HasPrefix(s, "ENC["):
		return balanced(s, 3, '[', ']')
	}
	return 0
}

// balanced is the length of s up to the close that matches the open at
// s[at], or 0.
func balanced(s string, at int, open, close byte) int {
	depth := 0
	for j := at; j < len(s); j++ {
		switch s[j] {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return 0
}

func isAlnumByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func identifier(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '_' && !isAlnumByte(s[i]) {
			return false
		}
	}
	return true
}

func mavenProperty(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z' || s[0] == '_') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '_' && c != '.' && c != '-' && !isAlnumByte(c) {
			return false
		}
	}
	return true
}

// configProviders are the prefixes of references that read a value
// from a provider: ${file:/etc/kafka/secrets.properties:password}.
var configProviders = setOf("file", "env", "vault", "dir", "directory", "secret", "secrets", "k8s", "aws", "azure", "gcp")

// referenceDefault is the value a ${NAME...} reference takes when NAME is
// not set: ${X:-d}, ${X-d}, ${X:=d}, ${X=d}, ${X:+d}, ${X+d}, and
// Spring's ${X:d}. ${X:?message} has none.
func referenceDefault(ref string) (string, bool) {
	if !strings.HasPrefix(ref, "${") || !strings.HasSuffix(ref, "}") {
		return "", false
	}
	inner := ref[2 : len(ref)-1]
	n := 0
	for n < len(inner) && (inner[n] == '_' || inner[n] == '.' || isAlnumByte(inner[n])) {
		n++
	}
	if n == 0 || n == len(inner) {
		return "", false
	}
	if configProviders[strings.ToLower(inner[:n])] && inner[n] == ':' {
		return "", false // Kafka's ${file:path:key}, Spring's ${vault:path}
	}
	op := inner[n:]
	for _, p := range []string{":-", ":=", ":+", "-", "=", "+", ":"} {
		if rest, ok := strings.CutPrefix(op, p); ok {
			if strings.HasPrefix(rest, "?") && p == ":" {
				return "", false
			}
			return rest, true
		}
	}
	return "", false
}

var (
	// codeRE finds code that reads a value: os.environ["X"],
	// os.environ.get("X", "default"), env("X"), ENV['X'],
	// System.getenv("X"), process.env.X, with what follows the call
	// (Python's or, JavaScript's || and ??).
	codeRE    = regexp.MustCompile(`^([A-Za-z_]\w*(\.[A-Za-z_]\w*)*)\s*(\((.*)\)|\[(.*)\])\s*((or|\|\||\?\?)\s*(.*))?$`)
	processRE = regexp.MustCompile(`^process\.env(\.[A-Za-z_]\w*|\[("[^"]*"|'[^']*')\])$`)
	quotedRE  = regexp.MustCompile(`"((\\.|[^"\\])*)"|'([^']*)'`)
)

// codeExpression is whether v is code that reads a credential from
// elsewhere rather than a literal, and whether a default it gives holds
// a credential: os.environ.get('DB_PASSWORD', 'hunter2') does.
func codeExpression(v string) (code, secretDefault bool) {
	if strings.HasPrefix(v, "process.env") && processRE.MatchString(v) {
		return true, false
	}
	if !strings.ContainsAny(v, "([") {
		return false, false
	}
	m := codeRE.FindStringSubmatch(v)
	if m == nil {
		return false, false
	}
	args := m[4] + m[5]
	quoted := quotedRE.FindAllStringSubmatch(args, -1)
	if len(quoted) == 0 && !strings.Contains(m[1], ".") {
		return false, false // hunter(2) is no call of anything
	}
	for i, q := range quoted {
		if i > 0 && holdsCredential(credentialValue, q[1]+q[3]) {
			return true, true
		}
	}
	if alt := strings.TrimSpace(m[8]); alt != "" {
		if u, ok := unquote(alt); ok {
			alt = u
		}
		if holdsCredential(credentialValue, alt) {
			return true, true
		}
	}
	return true, false
}

// unquote is the content of s when a quote of ", ' or ` wraps it whole.
func unquote(s string) (string, bool) {
	if len(s) < 2 {
		return s, false
	}
	q := s[0]
	if (q != '"' && q != '\'' && q != '`') || s[len(s)-1] != q {
		return s, false
	}
	inner := s[1 : len(s)-1]
	if q == '"' && strings.IndexByte(inner, '\\') >= 0 {
		var b strings.Builder
		for i := 0; i < len(inner); i++ {
			if inner[i] == '\\' && i+1 < len(inner) {
				i++
			}
			b.WriteByte(inner[i])
		}
		return b.String(), true
	}
	return inner, true
}
