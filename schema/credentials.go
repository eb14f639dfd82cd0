package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// What kdecl writes is committed to git, so a stack may not hold a
// credential in plain text. A credential is found by the name that holds
// it (credentials_names.go), by whether its value holds one itself
// rather than a placeholder, a reference or a path
// (credentials_values.go), and by its form in any text
// (credentials_content.go). A value that looks like a credential but is
// none says so with @kdecl(notsecret) on its field.

// NotSecret is the attribute that marks a field as no credential.
const NotSecret = "@kdecl(notsecret)"

// CredentialIn says what in a value looks like a credential, or "": a
// password in a URL, a private key, a token of a known service (AWS,
// GitHub, GitLab, Slack, Stripe, Google, a JSON Web Token), an HTTP
// Authorization value with a token (Bearer x, Basic and base64), or an
// entry of a credential inside it (-Djavax.net.ssl.keyStorePassword=x,
// password="x" in a JAAS line), with its line when the value has
// several.
func CredentialIn(value string) string {
	return describe(credentialsIn(value), strings.Contains(value, "\n"))
}

// CredentialName is whether the name of a variable or config key with
// value says it holds a credential, and the value holds one: not a
// placeholder, not wholly references, not a path where the name says it
// holds a path (DB_PASSWORD_FILE, PWD).
func CredentialName(name, value string) bool {
	return holdsCredential(nameClassOf(name), value)
}

// CredentialInFile says on which lines of the content of a config file
// a credential is, and what it is, or "": an entry whose key names a
// credential with a value that holds one, in the forms of ini,
// properties, YAML, TOML, JSON, XML, .env and shell files, and what
// CredentialIn finds, on every line.
func CredentialInFile(content string) string {
	return describe(credentialsIn(content), true)
}

// fileFindings are the credentials in a config file: those of its lines,
// or the whole of a file of one line whose name says it holds one
// (db-password, api.key).
func fileFindings(name, content string) []finding {
	fs := credentialsIn(content)
	if len(fs) > 0 {
		return fs
	}
	one := strings.TrimSpace(content)
	if one != "" && !strings.Contains(one, "\n") && holdsCredential(nameClassOf(fileBase(name)), one) {
		return []finding{{1, "holds a credential, as its name says"}}
	}
	return nil
}

// fileExtensions are the extensions of files of config, scripts and
// keys: a ConfigMap key with one is a file, not a variable.
var fileExtensions = setOf("conf", "cfg", "cnf", "ini", "yaml", "yml", "json", "json5", "toml", "properties", "props",
	"xml", "env", "txt", "sh", "bash", "py", "js", "mjs", "ts", "rb", "php", "pl", "lua", "sql", "hcl", "tf", "tfvars",
	"tpl", "tmpl", "j2", "html", "htm", "css", "csv", "md", "service", "rules", "acl", "list", "config", "flags",
	"pem", "crt", "cer", "key", "pub", "der", "p12", "pfx", "jks", "htpasswd", "pgpass", "netrc", "token", "secret")

// fileKey is whether a ConfigMap key names a file: a dot file, or a name
// with one of fileExtensions. Other keys, spring.datasource.password
// among them, are variables or properties.
func fileKey(key string) bool {
	if strings.HasPrefix(key, ".") {
		return true
	}
	i := strings.LastIndexByte(key, '.')
	return i > 0 && fileExtensions[strings.ToLower(key[i+1:])]
}

// fileBase is the part of a file's name that says what it holds: the
// name without its extension, but api.key and db.password whole.
func fileBase(name string) string {
	name = strings.TrimLeft(name, ".")
	i := strings.LastIndexByte(name, '.')
	if ext := name[i+1:]; i <= 0 || strings.EqualFold(ext, "key") || nameClassOf(ext) != plainName {
		return name
	}
	return name[:i]
}

// credentialChecker reports credentials in plain config.
type credentialChecker struct {
	secret    string // the Secret a hint suggests
	fail      func(msg string, field ...string)
	notSecret func(field ...string) bool
}

// where says where a credential was found, for the hint that says where
// it belongs.
type where uint8

const (
	inApp       where = iota // the app's variables, commands and args
	inAppFile                // the app's or a shared config's files
	inContainer              // variables, commands and args of containers in overrides and objects
	inField                  // annotations, and any other field of an override or object
	inConfigMap              // the data of a ConfigMap among objects
)

const markHint = " (or mark the field " + NotSecret + ")"

// Markable says whether e is the credential check's, which marking its
// field NotSecret lets pass.
func (e *Error) Markable() bool { return strings.HasSuffix(e.Msg, markHint) }

// nameHint is the hint for a variable or key named like a credential
// that holds one.
func (k credentialChecker) nameHint(w where, name string) string {
	key := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	switch w {
	case inApp:
		return fmt.Sprintf("looks like a credential, which must not be committed; reference a Secret instead: secrets: env: %s: {secret: %q, key: %q}", name, k.secret, key) + markHint
	case inContainer:
		return fmt.Sprintf("looks like a credential, which must not be committed; read it from a Secret instead: valueFrom: secretKeyRef: {name: %q, key: %q}", k.secret, key) + markHint
	case inConfigMap:
		return "looks like a credential, which must not be committed; keep it in a Secret, not a ConfigMap" + markHint
	}
	return "looks like a credential, which must not be committed; keep it in a Secret" + markHint
}

// contentHint follows what was found in a value or file.
func contentHint(w where) string {
	switch w {
	case inApp:
		return ", which must not be committed; keep it in a Secret, pass it in a variable of secrets.env and write $(NAME) where it goes" + markHint
	case inAppFile:
		return ", which must not be committed; mount such a file from a Secret (secrets.files), or have the program read the value from a variable of secrets.env" + markHint
	case inContainer:
		return ", which must not be committed; keep it in a Secret, pass it in a variable (valueFrom: secretKeyRef) and write $(NAME) where it goes" + markHint
	case inConfigMap:
		return ", which must not be committed; keep it in a Secret, not a ConfigMap" + markHint
	}
	return ", which must not be committed; keep it in a Secret" + markHint
}

// report fails field with msg unless the field is marked: the mark, a
// lookup in CUE, is read only for what looks like a credential.
func (k credentialChecker) report(msg string, field []string) {
	if !k.notSecret(field...) {
		k.fail(msg, field...)
	}
}

// check checks a value of a variable or key name ("" for none) at
// field: by its name, or else by what it holds.
func (k credentialChecker) check(w where, name, value string, field []string) {
	if name != "" && CredentialName(name, value) {
		k.report(k.nameHint(w, name), field)
		return
	}
	if fs := credentialsIn(value); len(fs) > 0 {
		k.report(describe(fs, strings.Contains(value, "\n"))+contentHint(w), field)
	}
}

// value checks a value of the app's, of a variable or config key name
// ("" for an argument).
func (k credentialChecker) value(name, value string, field ...string) {
	k.check(inApp, name, value, field)
}

func (k credentialChecker) env(m map[string]string, field ...string) {
	if len(m) == 0 {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		k.check(inApp, name, m[name], at(field, name))
	}
}

func (k credentialChecker) list(l []string, field ...string) {
	k.args(inApp, l, field)
}

// args checks a command or its args: each, and the value after a flag
// of a credential (--password hunter2, -u user:password).
func (k credentialChecker) args(w where, l []string, field []string) {
	for i, s := range l {
		f := at(field, index(i))
		if flagCredential(l, i) {
			k.report(k.flagHint(w, l[i-1]), f)
			continue
		}
		k.check(w, "", s, f)
	}
}

// flagHint is the hint for the value of flag that holds a credential.
func (k credentialChecker) flagHint(w where, flag string) string {
	name := strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(cleanKey(flag)))
	if name == "U" || name == "USER" || name == "P" {
		name = "PASSWORD"
	}
	msg := "the value of " + excerpt(flag) + " looks like a credential, which must not be committed; "
	if w == inApp {
		return msg + fmt.Sprintf("pass it in a variable of secrets.env (secrets: env: %s: {secret: %q, key: %q}) and write $(%s) here", name, k.secret, strings.ToLower(strings.ReplaceAll(name, "_", "-")), name) + markHint
	}
	return msg + "pass it in a variable from a Secret (valueFrom: secretKeyRef) and write $(" + name + ") here" + markHint
}

// file checks a config file, every line of it.
func (k credentialChecker) file(w where, name, content string, field []string) {
	if fs := fileFindings(name, content); len(fs) > 0 {
		k.report(describe(fs, true)+contentHint(w), field)
	}
}

// config checks the env and files of a config, at field.
func (k credentialChecker) config(cfg *Config, field ...string) {
	k.env(cfg.Env, at(field, "env")...)
	for _, file := range slices.Sorted(maps.Keys(cfg.Files)) {
		k.file(inAppFile, file, cfg.Files[file], at(field, "files", file))
	}
}

// credentials refuses credentials in the app's plain config, with a hint
// at the Secret form; a field marked @kdecl(notsecret) is left alone. The
// stack's configs are checked once, by Load.
func (c *appChecker) credentials() {
	a := c.app
	k := c.credentialChecker()
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
	k.annotations(a.Annotations, "annotations")
	k.annotations(a.PodAnnotations, "podAnnotations")
	k.annotations(a.Expose.Annotations, "expose", "annotations")
	if in := a.Expose.Ingress; in != nil {
		k.annotations(in.Annotations, "expose", "ingress", "annotations")
	}
}

// credentialChecker checks the app's fields for credentials.
func (c *appChecker) credentialChecker() credentialChecker {
	return credentialChecker{secret: c.app.Name + "-secrets", fail: c.fail,
		notSecret: func(field ...string) bool {
			c.l.mu.Lock()
			defer c.l.mu.Unlock()
			return c.l.notSecret(append([]string{"apps", c.app.Name}, field...))
		}}
}

// overrideCredentials checks an override for credentials as the app's
// own fields are: the containers it changes or adds, their variables,
// commands and probes, annotations and what an object's fragment holds.
func (c *appChecker) overrideCredentials(key string, target ObjectRef, frag map[string]any) {
	k := c.credentialChecker()
	switch key {
	case OverridePod:
		k.podSpec(frag, "overrides", key)
	case OverrideContainer:
		k.container(frag, "overrides", key)
	default:
		k.object(target.Kind, frag, "overrides", key)
	}
}

// annotations checks annotations by what they hold: their keys name
// Secrets and paths (nginx.ingress.kubernetes.io/auth-secret).
func (k credentialChecker) annotations(m map[string]string, field ...string) {
	if len(m) == 0 {
		return // sorting no keys costs allocations, app after app
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		k.check(inField, "", m[name], at(field, name))
	}
}

// notSecret is whether the user marked the field at path
// @kdecl(notsecret); an item of a list, which takes no attribute, is
// marked with its list's field (args: [...] @kdecl(notsecret)).
func (l *loader) notSecret(path []string) bool {
	for len(path) > 0 {
		if a := l.lookup(path).Attribute("kdecl"); a.Err() == nil && strings.TrimSpace(a.Contents()) == "notsecret" {
			return true
		}
		if !isIndex(path[len(path)-1]) {
			return false
		}
		path = path[:len(path)-1]
	}
	return false
}
