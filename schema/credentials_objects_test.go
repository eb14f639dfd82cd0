package schema

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// decoded is a fragment as CUE decodes it: JSON numbers as int64 or
// float64.
func decoded(t *testing.T, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	var convert func(v any) any
	convert = func(v any) any {
		switch v := v.(type) {
		case json.Number:
			if i, err := v.Int64(); err == nil {
				return i
			}
			f, _ := v.Float64()
			return f
		case map[string]any:
			for k, e := range v {
				v[k] = convert(e)
			}
		case []any:
			for i, e := range v {
				v[i] = convert(e)
			}
		}
		return v
	}
	return convert(m).(map[string]any)
}

// TestCredentialObjects checks fragments and whole objects: the fields
// of every error, as the object writes them.
func TestCredentialObjects(t *testing.T) {
	for _, tc := range []struct {
		name, kind, object string
		check              func(k credentialChecker, m map[string]any)
		want               []string // fields of the errors
	}{{
		name: "pod spec", object: `{
			"containers": [{"name": "app", "image": "app:1",
				"env": [{"name": "LOG", "value": "info"}, {"name": "DB_PASSWORD", "value": "hunter2"},
					{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
					{"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"}, {"name": "REPLICAS", "value": "3"}],
				"args": ["--token", "abc123", "--log=info"],
				"livenessProbe": {"httpGet": {"path": "/", "port": 8080, "httpHeaders": [{"name": "Authorization", "value": "Bearer abc123"}]}},
				"lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "curl -u admin:hunter2 http://localhost/drain"]}}}}],
			"initContainers": [{"name": "init", "command": ["sh", "-c", "export PGPASSWORD=hunter2; psql -h db"]}],
			"ephemeralContainers": [{"name": "debug", "env": [{"name": "AUTH", "value": "Bearer x"}]}],
			"terminationGracePeriodSeconds": 30, "hostNetwork": true, "priority": 1.5}`,
		check: func(k credentialChecker, m map[string]any) { k.podSpec(m, "overrides", "pod") },
		want: []string{
			"overrides.pod.containers[0].args[1]",
			"overrides.pod.containers[0].env[1].value",
			"overrides.pod.containers[0].lifecycle.preStop.exec.command[2]",
			"overrides.pod.containers[0].livenessProbe.httpGet.httpHeaders[0].value",
			"overrides.pod.ephemeralContainers[0].env[0].value",
			"overrides.pod.initContainers[0].command[2]",
		},
	}, {
		name: "container", object: `{"env": [{"name": "PWD", "value": "/work"}, {"name": "MYSQL_PWD", "value": "r00t"}],
			"command": ["app", "--password", "$(DB_PASSWORD)"], "workingDir": "/work"}`,
		check: func(k credentialChecker, m map[string]any) { k.container(m, "overrides", "container") },
		want:  []string{"overrides.container.env[1].value"},
	}, {
		name: "deployment", kind: "Deployment", object: `{"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": {"name": "web", "annotations": {"nginx.ingress.kubernetes.io/auth-secret": "basic-auth",
				"example.com/hook": "https://hooks.slack.com/services/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"}},
			"spec": {"replicas": 2, "template": {
				"metadata": {"annotations": {"vault.hashicorp.com/agent-inject-secret-db": "database/creds/web",
					"example.com/auth": "Basic YWRtaW46c3VwZXJzZWNyZXQ="}},
				"spec": {"containers": [{"name": "web", "env": [{"name": "A", "value": "1"}, {"name": "CLIENT_SECRET", "value": "s3cr3t"}]}]}}}}`,
		check: func(k credentialChecker, m map[string]any) { k.object("Deployment", m, "objects", "web") },
		want: []string{
			`objects.web.metadata.annotations."example.com/hook"`,
			"objects.web.spec.template.spec.containers[0].env[1].value",
			`objects.web.spec.template.metadata.annotations."example.com/auth"`,
		},
	}, {
		name: "cronjob", object: `{"kind": "CronJob", "spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": {"spec": {
			"containers": [{"name": "backup", "args": ["--db=postgres://backup:hunter2@db/app"]}]}}}}}}`,
		check: func(k credentialChecker, m map[string]any) { k.object("CronJob", m, "objects", "backup") },
		want:  []string{"objects.backup.spec.jobTemplate.spec.template.spec.containers[0].args[0]"},
	}, {
		name: "configmap", object: `{"kind": "ConfigMap", "metadata": {"name": "app"}, "data": {
			"DB_PASSWORD": "hunter2", "LOG_LEVEL": "info", "TOKEN_TTL": "1h",
			"spring.datasource.password": "hunter2", "spring.datasource.url": "jdbc:postgresql://db/app",
			"app.ini": "[db]\nuser = app\npassword = hunter2\n", "nginx.conf": "server { listen 80; }\n",
			"api-token": "abc123", "token.txt": "abc123", "settings.yaml": "greeting: hello\n"},
			"binaryData": {"password.bin": "aHVudGVyMg=="}}`,
		check: func(k credentialChecker, m map[string]any) { k.object("ConfigMap", m, "objects", "app") },
		want: []string{
			"objects.app.data.DB_PASSWORD",
			"objects.app.data.\"api-token\"",
			"objects.app.data.\"app.ini\"",
			"objects.app.data.\"spring.datasource.password\"",
			"objects.app.data.\"token.txt\"",
		},
	}, {
		name: "custom resources", object: `{"kind": "HelmRelease", "spec": {"values": {"auth": {"rootPassword": "hunter2", "existingSecret": "db"},
			"tokenTTL": "1h"}}}`,
		check: func(k credentialChecker, m map[string]any) { k.object("HelmRelease", m, "objects", "db") },
		want:  []string{"objects.db.spec.values.auth.rootPassword"},
	}, {
		name: "references to be committed", object: `{"kind": "SealedSecret", "spec": {"encryptedData": {"password": "AgBy3i4OJSWK+PiTySYZZA=="}}}`,
		check: func(k credentialChecker, m map[string]any) { k.object("SealedSecret", m, "objects", "db") },
	}, {
		name: "external secret", object: `{"kind": "ExternalSecret", "spec": {"data": [{"secretKey": "password", "remoteRef": {"key": "prod/db", "property": "password"}}]}}`,
		check: func(k credentialChecker, m map[string]any) { k.object("ExternalSecret", m, "objects", "db") },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			k, got := recordingChecker()
			tc.check(k, decoded(t, tc.object))
			fields := fieldsOf(*got)
			want := slices.Clone(tc.want)
			slices.Sort(fields)
			slices.Sort(want)
			if !slices.Equal(fields, want) {
				t.Errorf("errors at\n%s\nwant at\n%s\nerrors: %s", strings.Join(fields, "\n"), strings.Join(want, "\n"), strings.Join(*got, "\n"))
			}
		})
	}
}

// TestCredentialObjectsNotSecret: a field marked @kdecl(notsecret) is
// left alone, in every form, and the mark is read only for what looks
// like a credential.
func TestCredentialObjectsNotSecret(t *testing.T) {
	m := decoded(t, `{"containers": [{"env": [{"name": "DB_PASSWORD", "value": "example"}, {"name": "LOG", "value": "info"}],
		"args": ["--password", "example", "postgres://u:example@db"]}],
		"annotations": {"a": "Bearer example"}}`)
	var asked, errs []string
	k := credentialChecker{secret: "s", fail: func(msg string, field ...string) { errs = append(errs, fieldString(field)) },
		notSecret: func(field ...string) bool {
			asked = append(asked, fieldString(field))
			return !strings.HasSuffix(fieldString(field), "args[2]")
		}}
	k.podSpec(m, "pod")
	slices.Sort(asked)
	if want := []string{"pod.annotations.a", "pod.containers[0].args[1]", "pod.containers[0].args[2]", "pod.containers[0].env[0].value"}; !slices.Equal(asked, want) {
		t.Errorf("asked for the mark of %q, want %q", asked, want)
	}
	if want := []string{"pod.containers[0].args[2]"}; !slices.Equal(errs, want) {
		t.Errorf("errors at %q, want %q", errs, want)
	}
}

// TestCredentialObjectMessages: the hints say what to use where.
func TestCredentialObjectMessages(t *testing.T) {
	k, got := recordingChecker()
	k.podSpec(decoded(t, `{"containers": [{"env": [{"name": "DB_PASSWORD", "value": "hunter2"}], "args": ["postgres://u:pw@db"]}]}`), "pod")
	k.object("ConfigMap", decoded(t, `{"data": {"API_KEY": "abc123"}}`), "objects", "cm")
	want := []string{
		`pod.containers[0].args[0]: has a password in a URL (scheme://user:password@host), which must not be committed; keep it in a Secret, pass it in a variable (valueFrom: secretKeyRef) and write $(NAME) where it goes (or mark the field @kdecl(notsecret))`,
		`pod.containers[0].env[0].value: looks like a credential, which must not be committed; read it from a Secret instead: valueFrom: secretKeyRef: {name: "app-secrets", key: "db-password"} (or mark the field @kdecl(notsecret))`,
		`objects.cm.data.API_KEY: looks like a credential, which must not be committed; keep it in a Secret, not a ConfigMap (or mark the field @kdecl(notsecret))`,
	}
	if !slices.Equal(*got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(*got, "\n"), strings.Join(want, "\n"))
	}
}
