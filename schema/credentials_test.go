package schema

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "DBPASSWORD": true, "db.password": true, "MYSQL_ROOT_PASSWD": true,
		"GITHUB_TOKEN": true, "GITHUBTOKEN": true, "AUTH_TOKEN_VALUE": true, "CLIENT_SECRET": true,
		"API_KEY": true, "APIKEY": true, "AWS_SECRET_ACCESS_KEY": true, "DB_PASS": true, "CREDENTIALS": true,
		"clientSecret": true, "x-api-key": true, "apiKey": true, "accessToken": true, "requirepass": true,
		"AUTH": true, "AUTHORIZATION": true, "HTTP_AUTHORIZATION": true, "BASIC_AUTH": true, "PWD": true, "MYSQL_PWD": true,
		"TOKENIZER": false, "PASSTHROUGH": false, "COMPASS": false, "SECRETS_DIR": false, "KEYSPACE": false,
		"LOG_LEVEL": false, "PUBLIC_KEY": false, "OLDPWD": false, "AUTH_TYPE": false, "AUTH_URL": false,
		"TOKEN_TTL": false, "token_ttl": false, "PASSWORD_MIN_LENGTH": false, "password_min_length": false,
		"secret_key_ref": false, "secretKeyRef": false, "secretName": false, "existingSecret": false,
		"passwordKey": false, "proxy_pass": false, "password_encryption": false, "credentialsId": false,
	} {
		if got := CredentialName(name, "hunter2"); got != want {
			t.Errorf("CredentialName(%q, hunter2) = %v, want %v", name, got, want)
		}
	}
	for _, value := range []string{"", "$(DB_PASSWORD)", "${DB_PASSWORD}", "{{ .password }}", "12", "true",
		"---", "***", "xxx", "<password>", "changeme", "$(A):$(B)", "${DB_PASSWORD:-}", "${DB_PASSWORD:?required}"} {
		if CredentialName("DB_PASSWORD", value) {
			t.Errorf("CredentialName(DB_PASSWORD, %q) = true, want false: no credential in the value", value)
		}
	}
	for _, value := range []string{"hunter2", "$(PREFIX)hunter2", "${DB_PASSWORD}x", "${DB_PASSWORD:-hunter2}",
		"${DB_PASSWORD:hunter2}", "1234", "x", "admin", "password", "Bearer x", "$2y$10$abcdefghijklmnopqrstuv"} {
		if !CredentialName("DB_PASSWORD", value) {
			t.Errorf("CredentialName(DB_PASSWORD, %q) = false, want true: the value holds a literal", value)
		}
	}
	for name, value := range map[string]string{"DB_PASSWORD_FILE": "/run/secrets/db", "bearer_token_file": "/var/run/secrets/kubernetes.io/serviceaccount/token",
		"PWD": "/app", "TOKEN_PATH": "$(SECRETS)/token", "CLIENT_KEY": "/etc/tls/client.key"} {
		if CredentialName(name, value) {
			t.Errorf("CredentialName(%q, %q) = true, want false: a path", name, value)
		}
	}
	for name, value := range map[string]string{"DB_PASSWORD_FILE": "hunter2", "PWD": "hunter2", "DB_PASSWORD": "/hunter2"} {
		if !CredentialName(name, value) {
			t.Errorf("CredentialName(%q, %q) = false, want true: no path", name, value)
		}
	}
}

// TestCredentialOneRule holds variables and the keys of config files to
// one rule: a name and value is a credential as a variable exactly when
// it is one as an entry of a file, in every form a file writes it.
func TestCredentialOneRule(t *testing.T) {
	names := []string{"DB_PASSWORD", "bearer_token_file", "client_secret", "AUTH", "PWD", "token_ttl", "password_min_length", "LOG_LEVEL", "spring.datasource.password"}
	values := []string{"hunter2", "", "---", "***", "xxx", "<password>", "changeme", "$(X)", "${X}", "$(X)hunter2", "/run/secrets/x",
		"${X:-hunter2}", "${X:-}", "Bearer x", "Bearer ${T}", "12", "1234", "1h", "info"}
	forms := []string{"%s: %s", "%s = %s", "%s=%s", "  %s: %s", "\"%s\": \"%s\",", "'%s': '%s',", "export %s=%s", "- %s=%s", "<%[1]s>%[2]s</%[1]s>"}
	for _, name := range names {
		for _, value := range values {
			want := CredentialName(name, value) || CredentialIn(value) != ""
			for _, form := range forms {
				if strings.ContainsAny(value, " <>") && (strings.Contains(form, "=%s") || strings.HasPrefix(form, "<")) {
					continue // a shell word ends at a space; XML has no < in text
				}
				line := fmt.Sprintf(form, name, value)
				if got := CredentialInFile(line) != ""; got != want {
					t.Errorf("%s=%q is a credential: %v, but the line %q: %v (%s)", name, value, want, line, got, CredentialInFile(line))
				}
			}
		}
	}
}

func TestPlaceholder(t *testing.T) {
	for v, want := range map[string]bool{
		"": true, "---": true, "***": true, "*": true, "xxx": true, "XXXXXXXX": true, "...": true, "<password>": true,
		"<your token>": true, "changeme": true, "CHANGE_ME": true, "changeit": true, "REDACTED": true,
		"your-api-key-here": true, "YOUR_TOKEN": true, "null": true, "None": true, "true": true, "off": true,
		"12": true, "999": true, "30s": true, "1h30m": true, "|": true, "{}": true,
		"x": false, "xx": false, "hunter2": false, "admin": false, "password": false, "secret": false, "1234": false,
		"<5f3a9c1d>": false, "<JWT1>": false, "example": false, "herehere": false,
	} {
		if got := placeholder(v); got != want {
			t.Errorf("placeholder(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestCredentialReferences(t *testing.T) {
	for v, want := range map[string]bool{
		"$(X)": false, "${X}": false, "$X": false, "$x_y": false, "{{ .Values.x }}": false, "<%= ENV['X'] %>": false,
		"%(password)s": false, "#{ENV['X']}": false, "%{x}": false, "@db.password@": false, "ENC(G6N718Uu)": false,
		"ENC[AES256_GCM,data:abc]": false, "$__env{X}": false, "$__file{/run/x}": false, "$(A):$(B)": false,
		"*default_password": false, "vault:secret/data/db#password": false, "${X:?set X}": false,
		"${file:/etc/kafka/secrets.properties:password}": false, `os.environ["X"]`: false,
		`os.environ.get("X", "")`: false, `env('X')`: false, "process.env.DB_PASSWORD": false,
		"!vault |": false, "!secret http_password": false,
		"$(X)hunter2": true, "hunter2$(X)": true, "${X}x": true, "${X:-hunter2}": true, "${X:=hunter2}": true,
		"${X:hunter2}": true, `os.environ.get("X", "hunter2")`: true, `os.getenv("X") or "hunter2"`: true,
		"$2y$10$abcdefghij": true, "$apr1$Vd3h7Xq1$mQZ": true, "hunter(2)": true, "!!str hunter2": true,
	} {
		if got := holdsCredential(credentialValue, v); got != want {
			t.Errorf("holdsCredential(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestCredentialIn(t *testing.T) {
	for value, want := range map[string]bool{
		"postgres://u:p@h/db":                      true,
		"https://admin:admin@example.com":          true,
		"mongodb+srv://app:pw@cluster0/db":         true,
		"redis://:123@cache:6379":                  true,
		"postgres://u:$(DB_PASSWORD)@h/db":         false,
		"postgres://u:***@h/db":                    false,
		"postgres://u@h/db":                        false,
		"http://example.com:8080/a@b":              false,
		"-----BEGIN RSA PRIVATE KEY-----\nMII":     true,
		"-----BEGIN PUBLIC KEY-----":               false,
		"AKIAIOSFODNN7EXAMPLE":                     true,
		"user@example.com":                         false,
		"ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R": true,
		"-Dspring.datasource.password=hunter2":     true,
		"-Dspring.datasource.password=${PW}":       false,
		"--password=hunter2":                       true,
		"--password-file=/run/secrets/pw":          false,
		"info":                                     false,
		// An HTTP Authorization value with a token is a credential in any
		// value, unless the token is only a reference.
		"Bearer x":     true,
		"Bearer <JWT>": true,
		"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9": true,
		`-H "Authorization: Bearer abc123"`:          true,
		"bearer abc123":                              true,
		"Basic dXNlcjpwYXNzd29yZA==":                 true,
		"Bearer $(TOKEN)":                            false,
		"Bearer ${TOKEN}":                            false,
		"Bearer {{ .Values.token }}":                 false,
		"Authorization: Basic $(BASIC_CREDENTIALS)":  false,
		"Basic realm=\"Restricted\"":                 false,
		"Basic configuration of the proxy":           false,
		"uses Bearer tokens":                         false,
		"type: Bearer":                               false,
		"X-Bearer-Id: 1":                             false,
	} {
		if got := CredentialIn(value) != ""; got != want {
			t.Errorf("CredentialIn(%q) = %q, want a finding: %v", value, CredentialIn(value), want)
		}
	}
}

// TestAuthorizationNames: AUTH, AUTHORIZATION and PWD name credentials.
func TestAuthorizationNames(t *testing.T) {
	for name, value := range map[string]string{"AUTH": "Bearer x", "AUTHORIZATION": "Bearer <JWT>", "PWD": "hunter2"} {
		k, got := recordingChecker()
		k.env(map[string]string{name: value}, "env")
		if len(*got) != 1 {
			t.Errorf("env %s: %q: %v, want one error", name, value, *got)
		}
	}
}

func TestCredentialInFile(t *testing.T) {
	for content, want := range map[string]string{
		"[oauth]\nclient_secret = abc\n":           "line 2: client_secret looks like a credential",
		"db:\n  password: \"hunter2\"\n":           "line 2: password looks like a credential",
		"API_KEY=abc123\n":                         "line 1: API_KEY looks like a credential",
		"password: ${DB_PASSWORD}\n":               "",
		"token_ttl: 3600\npassword_min: 8\n":       "",
		"token_ttl: 1h\npassword_min_length: 12\n": "",
		"password:\n":                              "",
		"url = postgres://u:p@h/db\n":              "line 1: has a password in a URL (scheme://user:password@host)",
		"greeting = hello\n":                       "",
		"bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token\n": "",
		"client_secret = \"---\"\n":         "",
		"client_secret = \"***\"\n":         "",
		"client_secret = <client secret>\n": "",
		"client_secret = changeme\n":        "",
		"client_secret = hunter2\n":         "line 1: client_secret looks like a credential",
		"# password: hunter2\n":             "",
		"# -----BEGIN PRIVATE KEY-----\n":   "line 1: holds a private key",
		// every line, not the first only
		"[db]\nuser = app\npassword = hunter2\n[api]\ntoken = abc123\nurl = https://u:pw@h/\n": "line 3: password looks like a credential; line 5: token looks like a credential; line 6: has a password in a URL (scheme://user:password@host)",
		// the forms config files write an entry in
		`{"user": "app", "password": "hunter2"}`:                "line 1: password looks like a credential",
		"{\n  \"db\": {\n    \"password\": \"hunter2\"\n  }\n}": "line 3: password looks like a credential",
		`{"password": ""}`:                                                          "",
		"export DB_PASSWORD=hunter2":                                                "line 1: DB_PASSWORD looks like a credential",
		"export DB_PASSWORD=\"$DB_PASSWORD\"":                                       "",
		"<config>\n  <password>hunter2</password>\n</config>":                       "line 2: password looks like a credential",
		"<db:password>hunter2</db:password>":                                        "line 1: password looks like a credential",
		"<password>${DB_PASSWORD}</password>":                                       "",
		`<entry key="password">hunter2</entry>`:                                     "line 1: password looks like a credential",
		`<entry key="username">app</entry>`:                                         "",
		`<add key="ApiToken" value="abc123"/>`:                                      "line 1: ApiToken looks like a credential",
		`<Resource name="jdbc/db" password="hunter2"/>`:                             "line 1: password looks like a credential",
		"password = $(X)hunter2":                                                    "line 1: password looks like a credential",
		"password = $(X)$(Y)":                                                       "",
		"env:\n- name: DB_PASSWORD\n  value: hunter2\n- name: LOG\n  value: info\n": "line 3: DB_PASSWORD looks like a credential",
		"env:\n- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: db, key: password}\n": "",
		"requirepass foobared":              "line 1: requirepass looks like a credential",
		"requirepass ${REDIS_PASSWORD}":     "",
		"password is required":              "",
		"user default on >hunter2 ~* +@all": "line 1: sets a password of a Redis user (>password)",
		"define('DB_PASSWORD', 'hunter2');": "line 1: DB_PASSWORD looks like a credential",
		"curl -u admin:hunter2 https://x":   "line 1: the value of -u looks like a credential",
		"docker run -u 1000:1000 app":       "",
	} {
		if got := CredentialInFile(content); got != want {
			t.Errorf("CredentialInFile(%q) = %q, want %q", content, got, want)
		}
	}
}

func TestFileFindings(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		want          bool
	}{
		{"db-password", "hunter2\n", true},
		{"api.key", "abc123", true},
		{"token.txt", "abc123", true},
		{"token.txt", "${TOKEN}", false},
		{"nginx.conf", "worker_processes 1;", false},
		{"secret.yaml", "greeting: hello\nname: app\n", false},
		{"password.txt", "line one\nline two\n", false},
	} {
		if got := len(fileFindings(tc.name, tc.content)) > 0; got != tc.want {
			t.Errorf("fileFindings(%q, %q) = %v, want %v", tc.name, tc.content, got, tc.want)
		}
	}
}

func TestArgs(t *testing.T) {
	for args, want := range map[string]string{
		"--password hunter2":           "args[1]",
		"--password=hunter2":           "args[0]",
		"--password $(DB_PASSWORD)":    "",
		"--password-file /run/x":       "",
		"--token-ttl 1h":               "",
		"login -u ci -p hunter2 reg":   "args[4]",
		"run -p 8080:80 app":           "",
		"-c export PGPASSWORD=x; psql": "args[2]",
	} {
		k, got := recordingChecker()
		k.args(inApp, strings.Fields(args), []string{"args"})
		if fields := strings.Join(fieldsOf(*got), " "); fields != want {
			t.Errorf("args %q: errors at %q, want at %q (%v)", args, fields, want, *got)
		}
	}
	k, got := recordingChecker()
	k.list([]string{"--db-password", "hunter2"}, "args")
	if want := `args[1]: the value of --db-password looks like a credential, which must not be committed; pass it in a variable of secrets.env (secrets: env: DB_PASSWORD: {secret: "app-secrets", key: "db-password"}) and write $(DB_PASSWORD) here (or mark the field @kdecl(notsecret))`; len(*got) != 1 || (*got)[0] != want {
		t.Errorf("got %q, want %q", *got, want)
	}
}

// recordingChecker is a checker that records its errors as
// "field: message".
func recordingChecker() (credentialChecker, *[]string) {
	var errs []string
	return credentialChecker{secret: "app-secrets",
		fail:      func(msg string, field ...string) { errs = append(errs, fieldString(field)+": "+msg) },
		notSecret: func(field ...string) bool { return false }}, &errs
}

func fieldsOf(errs []string) []string {
	var fields []string
	for _, e := range errs {
		f, _, _ := strings.Cut(e, ": ")
		fields = append(fields, f)
	}
	return fields
}

func TestCredentialInFileMany(t *testing.T) {
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, "password%d = hunter2\n\n", i)
	}
	got := CredentialInFile(b.String())
	for _, want := range []string{"line 1: password0 looks like a credential; line 3: ", "line 39: password19 looks like a credential; and 5 more lines, the last line 49"} {
		if !strings.Contains(got, want) {
			t.Errorf("CredentialInFile = %q, want it to hold %q", got, want)
		}
	}
	if strings.Contains(got, "line 41:") {
		t.Errorf("CredentialInFile = %q, want at most %d lines one by one", got, maxFindings)
	}
}

// FuzzCredentials: no text, name or object makes the checks panic, and
// what they find is said in a message.
func FuzzCredentials(f *testing.F) {
	for _, s := range []string{"password = hunter2", "- name: DB_PASSWORD\n  value: x", "<entry key=\"password\">x</entry>",
		"Authorization: Bearer x", "${X:-y}", "$(", "${", "{{", "<%", "%(", "@x", "ENC(", "define('A', 'b'", "user x >",
		"--password", "-u a:b", "postgres://u:p@h", "eyJaaaaaaaaa.eyJbbbbbbbbb.c", "<a key=\"password", "\"password\": \"x"} {
		f.Add(s, "DB_PASSWORD")
	}
	f.Fuzz(func(t *testing.T, text, name string) {
		CredentialName(name, text)
		if fs := credentialsIn(text); len(fs) > 0 && describe(fs, true) == "" {
			t.Error("a finding without a message")
		}
		fileFindings(name, text)
		k, _ := recordingChecker()
		k.args(inApp, strings.Fields(text), []string{"args"})
		k.object("ConfigMap", map[string]any{"data": map[string]any{name: text}, "metadata": map[string]any{"annotations": map[string]any{name: text}}})
		k.podSpec(map[string]any{"containers": []any{map[string]any{"env": []any{map[string]any{"name": name, "value": text}}, "args": []any{name, text}}}})
	})
}

// TestCredentialsLinear: a large value costs time in proportion to its
// size, whatever it holds: an annotation may hold 256 KiB.
func TestCredentialsLinear(t *testing.T) {
	for _, unit := range []string{"$(", "${", "{{", "<%", "%(", "#{", "@a", "ENC(", "<a ", "\"a\":", "a=", "password ", "Bearer ",
		"- name: TOKEN\n", "password=$(", "'a', ", "-u ", "://a:", "user >"} {
		text := strings.Repeat(unit, (256<<10)/len(unit))
		start := time.Now()
		credentialsIn(text)
		holdsCredential(credentialValue, text)
		k, _ := recordingChecker()
		k.args(inApp, []string{"--password", text}, nil)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%d bytes of %q took %v", len(text), unit, d)
		}
	}
}
