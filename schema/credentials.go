package schema

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
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
	if m := urlPassword.FindStringSubmatch(value); m != nil && !placeholder(m[1]) {
		return "has a password in a URL (scheme://user:password@host)"
	}
	if privateKey.MatchString(value) {
		return "holds a private key"
	}
	if awsKey.MatchString(value) {
		return "holds an AWS access key id"
	}
	return ""
}

// CredentialName is whether the name of a variable or config key with
// value says it holds a credential. A path in a variable named ..._FILE,
// ..._PATH or ..._DIR, and a value that is only a reference, hold none.
func CredentialName(name, value string) bool {
	if !credentialName.MatchString(name) || placeholder(value) {
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

// credentials refuses credentials in the app's plain config, with a hint
// at the Secret form; a field marked @kdecl(notsecret) is left alone.
func (c *appChecker) credentials() {
	a := c.app
	secret := a.Name + "-secrets"
	nameHint := func(name string) string {
		return fmt.Sprintf("looks like a credential, which must not be committed; reference a Secret instead: secrets: env: %s: {secret: %q, key: %q} (or mark the field %s)",
			name, secret, strings.ToLower(strings.ReplaceAll(name, "_", "-")), NotSecret)
	}
	valueHint := func(what string) string {
		return what + ", which must not be committed; keep it in a Secret, pass it in a variable of secrets.env and write $(NAME) where it goes (or mark the field " + NotSecret + ")"
	}
	fileHint := func(what string) string {
		return what + ", which must not be committed; mount such a file from a Secret (secrets.files), or have the program read the value from a variable of secrets.env (or mark the field " + NotSecret + ")"
	}
	check := func(name, value string, field ...string) {
		if c.notSecret(field...) {
			return
		}
		if name != "" && CredentialName(name, value) {
			c.fail(nameHint(name), field...)
		} else if what := CredentialIn(value); what != "" {
			c.fail(valueHint(what), field...)
		}
	}
	env := func(m map[string]string, field ...string) {
		for _, name := range slices.Sorted(maps.Keys(m)) {
			check(name, m[name], at(field, name)...)
		}
	}
	list := func(l []string, field ...string) {
		for i, s := range l {
			check("", s, at(field, index(i))...)
		}
	}
	env(a.Env, "env")
	list(a.Command, "command")
	list(a.Args, "args")
	if cfg := a.Config; cfg != nil {
		env(cfg.Env, "config", "env")
		for _, file := range slices.Sorted(maps.Keys(cfg.Files)) {
			field := []string{"config", "files", file}
			if c.notSecret(field...) {
				continue
			}
			if what := CredentialInFile(cfg.Files[file]); what != "" {
				c.fail(fileHint(what), field...)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.Sidecars)) {
		s := a.Sidecars[name]
		env(s.Env, "sidecars", name, "env")
		list(s.Command, "sidecars", name, "command")
		list(s.Args, "sidecars", name, "args")
	}
	for i, s := range a.InitContainers {
		env(s.Env, "initContainers", index(i), "env")
		list(s.Command, "initContainers", index(i), "command")
		list(s.Args, "initContainers", index(i), "args")
	}
}

// notSecret is whether the user marked the field @kdecl(notsecret).
func (c *appChecker) notSecret(field ...string) bool {
	v := c.l.lookup(append([]string{"apps", c.app.Name}, field...))
	a := v.Attribute("kdecl")
	return a.Err() == nil && strings.TrimSpace(a.Contents()) == "notsecret"
}
