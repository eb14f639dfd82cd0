package schema

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// realCRDs are the CRDs of testdata/crds, real projects' releases.
var realCRDs = []string{
	"cert-manager/cert-manager.io_certificates.yaml",
	"external-secrets/external-secrets.io_externalsecrets.yaml",
	"prometheus-operator/monitoring.coreos.com_servicemonitors.yaml",
}

// realCRDStack is a stack in a new directory whose crds/ holds the real
// CRDs, with src as its CUE.
func realCRDStack(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"stack.cue": src}
	for _, f := range realCRDs {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "crds", f))
		if err != nil {
			t.Fatal(err)
		}
		files["crds/"+filepath.Base(f)] = string(b)
	}
	writeFiles(t, dir, files)
	return dir
}

func TestRealCRDs(t *testing.T) {
	for _, tc := range []struct {
		name, object string
		// want is the error (its field and message, after the position),
		// or empty for an object the CRD accepts.
		want string
		// defaulted are fields the CRD's defaults set, with their values.
		defaulted map[string]any
	}{{
		name: "certificate",
		object: `apiVersion: "cert-manager.io/v1", kind: "Certificate"
			spec: {secretName: "web-tls", dnsNames: ["web.example.com"], issuerRef: {name: "letsencrypt", kind: "ClusterIssuer"}}`,
	}, {
		name:   "certificate without issuer",
		object: `apiVersion: "cert-manager.io/v1", kind: "Certificate", spec: secretName: "web-tls"`,
		want:   `objects.x.spec.issuerRef: required value (CRD certificates.cert-manager.io)`,
	}, {
		name: "certificate key algorithm",
		object: `apiVersion: "cert-manager.io/v1", kind: "Certificate"
			spec: {secretName: "t", issuerRef: name: "i", privateKey: algorithm: "DSA"}`,
		want: `objects.x.spec.privateKey.algorithm: unsupported value: "DSA": supported values: "RSA", "ECDSA", "Ed25519" (CRD certificates.cert-manager.io)`,
	}, {
		name: "certificate duration type",
		object: `apiVersion: "cert-manager.io/v1", kind: "Certificate"
			spec: {secretName: "t", issuerRef: name: "i", isCA: "yes"}`,
		want: `objects.x.spec.isCA: invalid value: "string": spec.isCA in body must be of type boolean: "string" (CRD certificates.cert-manager.io)`,
	}, {
		name: "external secret",
		object: `apiVersion: "external-secrets.io/v1", kind: "ExternalSecret"
			spec: {secretStoreRef: name: "vault", data: [{secretKey: "password", remoteRef: key: "db/password"}]}`,
		defaulted: map[string]any{
			"spec.refreshInterval":                       "1h0m0s",
			"spec.target.creationPolicy":                 "Owner",
			"spec.target.deletionPolicy":                 "Retain",
			"spec.data.[0].remoteRef.conversionStrategy": "Default",
		},
	}, {
		name:   "external secret not served",
		object: `apiVersion: "external-secrets.io/v1beta1", kind: "ExternalSecret", spec: {}`,
		want:   `objects.x.apiVersion: the CRD externalsecrets.external-secrets.io (DIR/crds/external-secrets.io_externalsecrets.yaml) does not serve ExternalSecret at external-secrets.io/v1beta1; use external-secrets.io/v1`,
	}, {
		name:   "external secret unknown field",
		object: `apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", spec: refreshIntervall: "1h"`,
		want:   `objects.x.spec.refreshIntervall: unknown field, did you mean refreshInterval? (CRD externalsecrets.external-secrets.io)`,
	}, {
		name: "service monitor",
		object: `apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor"
			spec: {selector: matchLabels: app: "web", endpoints: [{port: "http", interval: "30s"}]}`,
	}, {
		name: "service monitor scheme",
		object: `apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor"
			spec: {selector: {}, endpoints: [{port: "http", scheme: "HTTP"}]}`,
		want: `objects.x.spec.endpoints[0].scheme: unsupported value: "HTTP": supported values: "http", "https" (CRD servicemonitors.monitoring.coreos.com)`,
	}, {
		name:   "service monitor without selector",
		object: `apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", spec: endpoints: []`,
		want:   `objects.x.spec.selector: required value (CRD servicemonitors.monitoring.coreos.com)`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := realCRDStack(t, "package shop\n\nnamespace: \"shop\"\n\nobjects: x: {\n\t"+tc.object+"\n}\napps: web: image: \"nginx:1.27\"\n")
			s, err := Load(dir)
			if tc.want != "" {
				if err == nil {
					t.Fatalf("no error, want %s", tc.want)
				}
				got := strings.ReplaceAll(err.Error(), dir, "DIR")
				if !regexp.MustCompile(`^DIR/stack\.cue:\d+:\d+: ` + regexp.QuoteMeta(tc.want) + `$`).MatchString(got) {
					t.Errorf("error:\n%s\nwant, at DIR/stack.cue:LINE:COL:\n%s", got, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Warnings) > 0 {
				t.Errorf("warnings: %v", s.Warnings)
			}
			for path, want := range tc.defaulted {
				var v any = s.Objects["x"]
				for _, p := range strings.Split(path, ".") {
					switch x := v.(type) {
					case map[string]any:
						v = x[p]
					case []any:
						v = x[0]
					}
				}
				if v != want {
					t.Errorf("%s = %v, want the CRD's default %v", path, v, want)
				}
			}
		})
	}
}

// TestCRDsOfModule: the crds/ of the stack's CUE module root types the
// objects of every stack of the module, like the stack's own.
func TestCRDsOfModule(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"cue.mod/module.cue": "module: \"example.com/stacks\"\nlanguage: version: \"v0.17.0\"\n",
		"crds/gadgets.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Cluster
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties: {mode: {type: string, default: auto}}
`,
		"shop/shop.cue": "package shop\n\nnamespace: \"shop\"\nobjects: g: {apiVersion: \"example.com/v1\", kind: \"Gadget\", spec: {}}\napps: web: image: \"nginx:1.27\"\n",
	})
	s, err := Load(filepath.Join(root, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) > 0 {
		t.Errorf("warnings: %v", s.Warnings)
	}
	if got := s.Objects["g"]["spec"]; !cmp.Equal(got, map[string]any{"mode": "auto"}) {
		t.Errorf("spec = %v, want the CRD's default mode: auto", got)
	}
	if !s.ClusterScoped("example.com/v1", "Gadget") {
		t.Error("a Gadget, of a CRD of scope Cluster, is not cluster-scoped")
	}
	if s.ClusterScoped("example.com/v1", "Widget") || !s.ClusterScoped("rbac.authorization.k8s.io/v1", "ClusterRole") {
		t.Error("kinds no CRD defines are not scoped as k8s.io/api says")
	}
}

func TestFieldPath(t *testing.T) {
	for in, want := range map[string][]string{
		"spec.rules[0].host":                     {"spec", "rules", "[0]", "host"},
		"spec.validation.properties[spec].type":  {"spec", "validation", "properties", "spec", "type"},
		"metadata.annotations[example.com/team]": {"metadata", "annotations", "example.com/team"},
		"<nil>":                                  nil,
		"":                                       nil,
		"spec[":                                  {"spec", "["},
	} {
		if got := fieldPath(in); !cmp.Equal(got, want) {
			t.Errorf("fieldPath(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := v1Path(fieldPath("spec.validation.openAPIV3Schema.type")), []string{"spec", "versions", "[0]", "schema", "openAPIV3Schema", "type"}; !cmp.Equal(got, want) {
		t.Errorf("v1Path = %q, want %q", got, want)
	}
	if got, want := v1Path(fieldPath("spec.subresources.scale")), []string{"spec", "versions", "[0]", "subresources", "scale"}; !cmp.Equal(got, want) {
		t.Errorf("v1Path = %q, want %q", got, want)
	}
}

func TestYAMLNode(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("spec:\n  versions:\n  - name: v1\n    served: true\n  - name: v2\n"), &doc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path      []string
		line, col int
	}{
		{nil, 1, 1},
		{[]string{"spec", "versions", "[1]", "name"}, 5, 5},
		{[]string{"spec", "versions", "[0]", "served"}, 4, 5},
		{[]string{"spec", "versions", "[7]", "name"}, 3, 3}, // the list: no such element
		{[]string{"spec", "nothing"}, 2, 3},                 // the struct
	} {
		if n := yamlNode(&doc, tc.path); n.Line != tc.line || n.Column != tc.col {
			t.Errorf("yamlNode(%q) at %d:%d, want %d:%d", tc.path, n.Line, n.Column, tc.line, tc.col)
		}
	}
}

// TestCRDSpecialFile: a CRD file that is a named pipe is refused at once,
// naming the file; reading it would wait for ever.
func TestCRDSpecialFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"stack.cue": "package shop\napps: web: image: \"nginx:1.27\"\n"})
	if err := os.Mkdir(filepath.Join(dir, "crds"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "crds", "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(dir); done <- err }()
	select {
	case err := <-done:
		if want := filepath.Join(dir, "crds", "pipe.yaml") + ": is a named pipe, not a regular file"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load: %v, want %s", err, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Load waits on a named pipe")
	}
}
