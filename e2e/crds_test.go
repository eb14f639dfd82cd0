package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// realCRDs are the CRDs of ../testdata/crds: real projects' releases.
var realCRDs = []string{
	"../testdata/crds/cert-manager/cert-manager.io_certificates.yaml",
	"../testdata/crds/external-secrets/external-secrets.io_externalsecrets.yaml",
	"../testdata/crds/prometheus-operator/monitoring.coreos.com_servicemonitors.yaml",
}

// celCRD has what the three real CRDs do not: a CEL rule, an embedded
// object, a status subresource with a schema.
const celCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: quotas.e2e.example.com}
spec:
  group: e2e.example.com
  names: {kind: Quota, plural: quotas}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          status: {type: object, properties: {used: {type: integer}}}
          spec:
            type: object
            x-kubernetes-validations:
            - {rule: "self.min <= self.max", message: "min must not exceed max"}
            properties:
              min: {type: integer, default: 0}
              max: {type: integer}
              template:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
              resources: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// TestCustomResources: for a catalogue of custom resources of three real
// CRDs (and one with a CEL rule and an embedded object), kdecl renders an object exactly when the
// API server accepts it, and writes it as the server stores it, with the
// CRD's defaults: what kdecl refuses the server refuses, applied as
// written, bypassing kdecl.
func TestCustomResources(t *testing.T) {
	const ns = "custom-resources"
	createNamespace(t, ns)
	files := map[string][]byte{"quotas.yaml": []byte(celCRD)}
	var crds [][]byte
	for _, f := range realCRDs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(f)] = b
	}
	for _, b := range files {
		crds = append(crds, documents(b)...)
	}
	installCRDs(t, crds)

	cert := func(spec string) string {
		return `{"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "spec": ` + spec + `}`
	}
	es := func(spec string) string {
		return `{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "spec": ` + spec + `}`
	}
	smon := func(spec string) string {
		return `{"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "spec": ` + spec + `}`
	}
	const issuer = `"issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}`
	const store = `"secretStoreRef": {"name": "vault"}`
	for _, tc := range []struct {
		name string
		// object is the object as JSON: CUE for kdecl, YAML for kubectl.
		object string
		ok     bool
	}{
		{"certificate", cert(`{"secretName": "web-tls", "dnsNames": ["web.example.com"], ` + issuer + `}`), true},
		{"certificate with a private key", cert(`{"secretName": "web-tls", "commonName": "web", "duration": "2160h", "usages": ["server auth", "digital signature"], "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"}, ` + issuer + `}`), true},
		{"certificate without secretName", cert(`{"dnsNames": ["web.example.com"], ` + issuer + `}`), false},
		{"certificate without issuerRef", cert(`{"secretName": "web-tls"}`), false},
		{"certificate key algorithm", cert(`{"secretName": "web-tls", "privateKey": {"algorithm": "DSA"}, ` + issuer + `}`), false},
		{"certificate rotation policy", cert(`{"secretName": "web-tls", "privateKey": {"rotationPolicy": "Sometimes"}, ` + issuer + `}`), false},
		{"certificate usage", cert(`{"secretName": "web-tls", "usages": ["everything"], ` + issuer + `}`), false},
		{"certificate isCA a string", cert(`{"secretName": "web-tls", "isCA": "yes", ` + issuer + `}`), false},
		{"certificate unknown field", cert(`{"secretName": "web-tls", "dnsName": ["web.example.com"], ` + issuer + `}`), false},
		{"external secret", es(`{` + store + `, "data": [{"secretKey": "password", "remoteRef": {"key": "db/password"}}]}`), true},
		{"external secret dataFrom", es(`{` + store + `, "refreshInterval": "15m", "target": {"name": "db-creds", "creationPolicy": "Merge"}, "dataFrom": [{"extract": {"key": "db"}}]}`), true},
		{"external secret v1beta1 not served", `{"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret", "spec": {` + store + `}}`, false},
		{"external secret creation policy", es(`{` + store + `, "target": {"creationPolicy": "Sometimes"}}`), false},
		{"external secret without secretKey", es(`{` + store + `, "data": [{"remoteRef": {"key": "db/password"}}]}`), false},
		{"external secret key pattern", es(`{` + store + `, "data": [{"secretKey": "pass word", "remoteRef": {"key": "db/password"}}]}`), false},
		{"external secret store kind", es(`{"secretStoreRef": {"name": "vault", "kind": "Vault"}}`), false},
		{"external secret decoding strategy", es(`{` + store + `, "data": [{"secretKey": "password", "remoteRef": {"key": "db", "decodingStrategy": "Base32"}}]}`), false},
		{"service monitor", smon(`{"selector": {"matchLabels": {"app": "web"}}, "endpoints": [{"port": "http", "interval": "30s", "path": "/metrics"}]}`), true},
		{"service monitor relabelings", smon(`{"selector": {}, "endpoints": [{"port": "http", "relabelings": [{"sourceLabels": ["__meta_kubernetes_pod_name"], "targetLabel": "pod"}]}]}`), true},
		{"service monitor without selector", smon(`{"endpoints": [{"port": "http"}]}`), false},
		{"service monitor scheme", smon(`{"selector": {}, "endpoints": [{"port": "http", "scheme": "HTTP"}]}`), false},
		{"service monitor interval", smon(`{"selector": {}, "endpoints": [{"port": "http", "interval": "30 seconds"}]}`), false},
		{"service monitor port a number", smon(`{"selector": {}, "endpoints": [{"port": 8080}]}`), false},
		{"service monitor unknown endpoint field", smon(`{"selector": {}, "endpoints": [{"port": "http", "intervall": "30s"}]}`), false},
		{"service monitor relabel action", smon(`{"selector": {}, "endpoints": [{"port": "http", "relabelings": [{"action": "rename"}]}]}`), false},
		{"quota", `{"apiVersion": "e2e.example.com/v1", "kind": "Quota", "spec": {"max": 3}}`, true},
		{"quota CEL rule", `{"apiVersion": "e2e.example.com/v1", "kind": "Quota", "spec": {"min": 5, "max": 3}}`, false},
		{"quota with an empty struct", `{"apiVersion": "e2e.example.com/v1", "kind": "Quota", "spec": {"max": 3, "resources": {}}}`, true},
		{"quota status of an unknown field", `{"apiVersion": "e2e.example.com/v1", "kind": "Quota", "spec": {"max": 3}, "status": {"usd": 1}}`, false},
		{"quota CEL rule and a type", `{"apiVersion": "e2e.example.com/v1", "kind": "Quota", "spec": {"min": 5, "max": "3"}}`, false},
		{"quota embedded object", `{"apiVersion": "e2e.example.com/v1", "kind": "Quota", "spec": {"max": 3, "template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Web_Extra", "labels": {"a": "b"}}, "data": {"k": "v"}}}}`, true},
		{"quota embedded object without kind", `{"apiVersion": "e2e.example.com/v1", "kind": "Quota", "spec": {"max": 3, "template": {"apiVersion": "v1"}}}`, false},
		{"quota embedded object's name", `{"apiVersion": "e2e.example.com/v1", "kind": "Quota", "spec": {"max": 3, "template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web/extra"}}}}`, false},
		{"quota embedded object's metadata", `{"apiVersion": "e2e.example.com/v1", "kind": "Quota", "spec": {"max": 3, "template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web", "lables": {"a": "b"}}}}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			stack := filepath.Join(tmp, "stack")
			for name, b := range files {
				writeFile(t, filepath.Join(stack, "crds", name), b)
			}
			writeFile(t, filepath.Join(stack, "stack.cue"), []byte("package crs\n\nnamespace: \""+ns+"\"\n\nobjects: x: "+tc.object+"\n\napps: web: image: \"nginx:1.27\"\n"))
			out := filepath.Join(tmp, "out")
			b, err := exec.Command(kdecl, "render", stack, "-o", out, "--strict").CombinedOutput()
			code := exitCode(err)
			if code != 0 && code != 1 {
				t.Fatalf("kdecl render: %v\n%s", err, b)
			}
			if tc.ok != (code == 0) {
				t.Errorf("kdecl render exit %d, want %s:\n%s", code, map[bool]string{true: "0", false: "1"}[tc.ok], b)
			}
			if code == 0 {
				rendered, _ := filepath.Glob(filepath.Join(out, "09-*-x.yaml"))
				if len(rendered) != 1 {
					t.Fatalf("rendered %q, want one file of object x", rendered)
				}
				// The server accepts the render, and stores it as written:
				// kdecl wrote the CRD's defaults the server sets.
				stored, stderr, err := k8s.run("apply", "--dry-run=server", "-o", "json", "-f", rendered[0])
				if err != nil {
					t.Fatalf("the API server refuses what kdecl renders: %v\n%s", err, stderr)
				}
				written, stderr, err := k8s.run("create", "--dry-run=client", "-o", "json", "-f", rendered[0])
				if err != nil {
					t.Fatalf("kubectl create --dry-run=client: %v\n%s", err, stderr)
				}
				if got, want := topField(t, written, "spec"), topField(t, stored, "spec"); got != want {
					t.Errorf("the server stores another spec than kdecl renders:\nrendered: %s\nstored:   %s", got, want)
				}
				return
			}
			if len(refusedFields(string(b))) == 0 {
				t.Errorf("kdecl's error does not name a field of the object:\n%s", b)
			}
			// What kdecl refuses, the server refuses, given it as written.
			f := filepath.Join(tmp, "object.json")
			obj := strings.Replace(tc.object, "{", `{"metadata": {"name": "x"}, `, 1)
			writeFile(t, f, []byte(obj))
			stdout, stderr, err := k8s.run("apply", "--dry-run=server", "-n", ns, "-f", f)
			switch {
			case err == nil:
				t.Errorf("kdecl refuses what the API server accepts:\n%s\nkdecl: %s\nkubectl: %s", obj, b, stdout)
			case exitCode(err) != 1:
				t.Errorf("kubectl apply: %v\n%s", err, stderr)
			default:
				// For the same reason: the server names every field kdecl
				// does (a version it does not serve, it does not serve).
				for _, field := range refusedFields(string(b)) {
					if want := strings.TrimPrefix(field, "objects.x."); !strings.Contains(stderr, want) && !(want == "apiVersion" && strings.Contains(stderr, "no matches for kind")) {
						t.Errorf("kdecl refuses %s, the server not:\nkdecl: %s\nkubectl: %s", want, b, stderr)
					}
				}
			}
		})
	}
}

// refusedFields are the fields kdecl's errors name, as objects.x.spec.y.
func refusedFields(stderr string) []string {
	var fields []string
	for line := range strings.Lines(stderr) {
		if _, rest, ok := strings.Cut(line, ": objects.x."); ok {
			f, _, _ := strings.Cut(rest, ": ")
			fields = append(fields, "objects.x."+f)
		}
	}
	return fields
}

// topField is the top-level field name of a JSON object, as compact JSON.
func topField(t *testing.T, object, name string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(object), &m); err != nil {
		t.Fatalf("%v:\n%s", err, object)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, m[name]); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
