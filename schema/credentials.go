package schema

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// What kdecl writes is committed to git, so a stack may not hold a
// credential in plain text. These patterns find the usual ones; a value
// they find that is not a credential says so with @kdecl(notsecret) on its
// field.
var (
	// credentialName finds names of variables and config keys that hold
	// credentials: PASSWORD, PASSWD, PASSPHRASE, CREDENTIAL(S) anywhere in
	// the name (DBPASSWORD); PASS, TOKEN, SECRET and API, ACCESS, PRIVATE,
	// SECRET or CLIENT KEY ending a word (GITHUB_TOKEN, GITHUBTOKEN, but
	// not TOKENIZER or PASSTHROUGH).
	credentialName = regexp.MustCompile(`(?i)PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|(^|[-_.])PASS([-_.]|$)|TOKEN([-_.]|$)|SECRET([-_.]|$)|(API|ACCESS|PRIVATE|SECRET|CLIENT)[-_.]?KEY([-_.]|$)`)
	// urlPassword finds a password in a URL: scheme://user:password@host.
	urlPassword = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@`)
	// privateKey finds a PEM private key.
	privateKey = regexp.MustCompile(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----`)
	// awsKey finds an AWS access key id.
	awsKey = regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)
	// fileEntry finds an entry of a config file (ini, properties, YAML,
	// TOML, .env) whose key names a credential: client_secret = ...
	fileEntry = regexp.MustCompile(`(?im)^[ \t]*["']?([\w.-]*(password|passwd|passphrase|secret|token|credentials?|api[_-]?key|access[_-]?key|private[_-]?key)[\w.-]*)["']?[ \t]*[:=][ \t]*(.*?)[ \t]*$`)
)

// NotSecret is the attribute that marks a field as no credential.
const NotSecret = "@kdecl(notsecret)"

// CredentialIn says what in a value looks like a credential, or "": a
// password in a URL, a private key, an AWS access key id.
func CredentialIn(value string) string {
	// Each pattern only where the string it needs is: most values hold
	// none, and a regular expression costs more than a search.
	if strings.Contains(value, "://") && strings.Contains(value, "@") {
		if m := urlPassword.FindStringSubmatch(value); m != nil && !placeholder(m[1]) {
			return "has a password in a URL (scheme://user:password@host)"
		}
	}
	if strings.Contains(value, "PRIVATE KEY-----") && privateKey.MatchString(value) {
		return "holds a private key"
	}
	if (strings.Contains(value, "AKIA") || strings.Contains(value, "ASIA")) && awsKey.MatchString(value) {
		return "holds an AWS access key id"
	}
	return ""
}

// CredentialName is whether the name of a variable or config key with
// value says it holds a credential. A path in a variable named ..._FILE,
// ..._PATH or ..._DIR, and a value that is only a reference, hold none.
func CredentialName(name, value string) bool {
	if !credentialNamed(name) || placeholder(value) {
		return false
	}
	upper := strings.ToUpper(name)
	for _, suffix := range []string{"_FILE", "_PATH", "_DIR", "-FILE", "-PATH", "-DIR", ".FILE", ".PATH", ".DIR"} {
		if strings.HasSuffix(upper, suffix) && strings.HasPrefix(value, "/") {
			return false
		}
	}
	return true
}

// credentialNames caches credentialName's matches: the same names come
// back in app after app, and the expression backtracks.
var credentialNames sync.Map // string → bool

func credentialNamed(name string) bool {
	if m, ok := credentialNames.Load(name); ok {
		return m.(bool)
	}
	m := credentialName.MatchString(name)
	if len(name) <= 128 {
		credentialNames.Store(name, m)
	}
	return m
}

// CredentialInFile says where in the content of a config file a
// credential is, or "": an entry whose key names one, with a value that
// is not a placeholder, or what CredentialIn finds.
func CredentialInFile(content string) string {
	for _, m := range fileEntry.FindAllStringSubmatchIndex(content, -1) {
		value := strings.Trim(content[m[6]:m[7]], `"',;`)
		if placeholder(value) {
			continue
		}
		line := strings.Count(content[:m[0]], "\n") + 1
		return fmt.Sprintf("line %d: %s looks like a credential", line, content[m[2]:m[3]])
	}
	if what := CredentialIn(content); what != "" {
		return what
	}
	return ""
}

// placeholder is whether a value holds no credential itself: empty, a
// number or boolean, or a reference the program or Kubernetes resolves
// ($(VAR), ${VAR}, {{ .Values.x }}, %(x)s, <password>).
func placeholder(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || v == "null" || v == "~" || strings.EqualFold(v, "true") || strings.EqualFold(v, "false") {
		return true
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return true
	}
	for _, p := range []string{"$(", "${", "{{", "%(", "<"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// credentialChecker reports credentials in plain config.
type credentialChecker struct {
	secret    string // the Secret a hint suggests
	fail      func(msg string, field ...string)
	notSecret func(field ...string) bool
}

func (k credentialChecker) nameHint(name string) string {
	return fmt.Sprintf("looks like a credential, which must not be committed; reference a Secret instead: secrets: env: %s: {secret: %q, key: %q} (or mark the field %s)",
		name, k.secret, strings.ToLower(strings.ReplaceAll(name, "_", "-")), NotSecret)
}

// value checks a value, of a variable or config key name ("" for an
// argument). The mark on the field, a lookup in CUE, is read only for
// what looks like a credential.
func (k credentialChecker) value(name, value string, field ...string) {
	switch {
	case name != "" && CredentialName(name, value):
		if !k.notSecret(field...) {
			k.fail(k.nameHint(name), field...)
		}
	default:
		if what := CredentialIn(value); what != "" && !k.notSecret(field...) {
			k.fail(what+", which must not be committed; keep it in a Secret, pass it in a variable of secrets.env and write $(NAME) where it goes (or mark the field "+NotSecret+")", field...)
		}
	}
}

func (k credentialChecker) env(m map[string]string, field ...string) {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		k.value(name, m[name], at(field, name)...)
	}
}

func (k credentialChecker) list(l []string, field ...string) {
	for i, s := range l {
		k.value("", s, at(field, index(i))...)
	}
}

// config checks the env and files of a config, at field.
func (k credentialChecker) config(cfg *Config, field ...string) {
	k.env(cfg.Env, at(field, "env")...)
	for _, file := range slices.Sorted(maps.Keys(cfg.Files)) {
		f := at(field, "files", file)
		if what := CredentialInFile(cfg.Files[file]); what != "" && !k.notSecret(f...) {
			k.fail(what+", which must not be committed; mount such a file from a Secret (secrets.files), or have the program read the value from a variable of secrets.env (or mark the field "+NotSecret+")", f...)
		}
	}
}

// credentials refuses credentials in the app's plain config, with a hint
// at the Secret form; a field marked @kdecl(notsecret) is left alone. The
// stack's configs are checked once, by Load.
func (c *appChecker) credentials() {
	a := c.app
	k := credentialChecker{secret: a.Name + "-secrets", fail: c.fail,
		notSecret: func(field ...string) bool {
			c.l.mu.Lock()
			defer c.l.mu.Unlock()
			return c.l.notSecret(append([]string{"apps", a.Name}, field...))
		}}
	k.env(a.Env, "env")
	k.list(a.Command, "command")
	k.list(a.Args, "args")
	if cfg := a.Config; cfg != nil {
		k.config(cfg, "config")
	}
	for _, name := range slices.Sorted(maps.Keys(a.Sidecars)) {
		s := a.Sidecars[name]
		k.env(s.Env, "sidecars", name, "env")
		k.list(s.Command, "sidecars", name, "command")
		k.list(s.Args, "sidecars", name, "args")
	}
	for i, s := range a.InitContainers {
		k.env(s.Env, "initContainers", index(i), "env")
		k.list(s.Command, "initContainers", index(i), "command")
		k.list(s.Args, "initContainers", index(i), "args")
	}
}

// notSecret is whether the user marked the field at path
// @kdecl(notsecret).
func (l *loader) notSecret(path []string) bool {
	a := l.lookup(path).Attribute("kdecl")
	return a.Err() == nil && strings.TrimSpace(a.Contents()) == "notsecret"
}
