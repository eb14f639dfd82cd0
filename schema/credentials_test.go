package schema

import "testing"

func TestCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "DBPASSWORD": true, "db.password": true, "MYSQL_ROOT_PASSWD": true,
		"GITHUB_TOKEN": true, "GITHUBTOKEN": true, "AUTH_TOKEN_VALUE": true, "CLIENT_SECRET": true,
		"API_KEY": true, "APIKEY": true, "AWS_SECRET_ACCESS_KEY": true, "DB_PASS": true, "CREDENTIALS": true,
		"TOKENIZER": false, "PASSTHROUGH": false, "COMPASS": false, "SECRETS_DIR": false, "KEYSPACE": false,
		"LOG_LEVEL": false, "PUBLIC_KEY": false,
	} {
		if got := CredentialName(name, "x"); got != want {
			t.Errorf("CredentialName(%q) = %v, want %v", name, got, want)
		}
	}
	for _, value := range []string{"", "$(DB_PASSWORD)", "${DB_PASSWORD}", "{{ .password }}", "12", "true"} {
		if CredentialName("DB_PASSWORD", value) {
			t.Errorf("CredentialName(DB_PASSWORD, %q) = true, want false: no credential in the value", value)
		}
	}
	if CredentialName("DB_PASSWORD_FILE", "/run/secrets/db") {
		t.Error("a path in DB_PASSWORD_FILE is a credential")
	}
	if !CredentialName("DB_PASSWORD_FILE", "hunter2") {
		t.Error("a password in DB_PASSWORD_FILE is none")
	}
}

func TestCredentialIn(t *testing.T) {
	for value, want := range map[string]bool{
		"postgres://u:p@h/db":                  true,
		"https://admin:admin@example.com":      true,
		"mongodb+srv://app:pw@cluster0/db":     true,
		"postgres://u:$(DB_PASSWORD)@h/db":     false,
		"postgres://u@h/db":                    false,
		"http://example.com:8080/a@b":          false,
		"-----BEGIN RSA PRIVATE KEY-----\nMII": true,
		"-----BEGIN PUBLIC KEY-----":           false,
		"AKIAIOSFODNN7EXAMPLE":                 true,
		"user@example.com":                     false,
	} {
		if got := CredentialIn(value) != ""; got != want {
			t.Errorf("CredentialIn(%q) = %q, want a finding: %v", value, CredentialIn(value), want)
		}
	}
}

func TestCredentialInFile(t *testing.T) {
	for content, want := range map[string]string{
		"[oauth]\nclient_secret = abc\n":     "line 2: client_secret looks like a credential",
		"db:\n  password: \"hunter2\"\n":     "line 2: password looks like a credential",
		"API_KEY=abc123\n":                   "line 1: API_KEY looks like a credential",
		"password: ${DB_PASSWORD}\n":         "",
		"token_ttl: 3600\npassword_min: 8\n": "",
		"password:\n":                        "",
		"url = postgres://u:p@h/db\n":        "has a password in a URL (scheme://user:password@host)",
		"greeting = hello\n":                 "",
	} {
		if got := CredentialInFile(content); got != want {
			t.Errorf("CredentialInFile(%q) = %q, want %q", content, got, want)
		}
	}
}
