package importer

import (
	"strings"
	"testing"

	"github.com/kdecl/kdecl/internal/manifest"
)

// TestSecurityRoundTrip: pods whose securityContexts are exactly a
// profile of kdecl's import as security, and a Namespace's Pod Security
// labels as podSecurity, not as overrides; the stack renders the same.
// Contexts beyond a profile stay overrides.
func TestSecurityRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // in the imported stack
		not       []string // not in it
	}{{
		name: "restricted, with waits and sidecars",
		src: `namespace: "shop"
podSecurity: "restricted"
apps: web: {image: "web:1", ports: http: 80, uses: ["db"], sidecars: log: image: "log:1", security: "restricted"}
apps: db: {image: "db:1", ports: pg: 5432, security: "restricted"}
`,
		want: []string{`podSecurity: "restricted"`, `security: "restricted"`},
		not:  []string{"securityContext", "overrides"},
	}, {
		name: "options",
		src: `namespace: "shop"
podSecurity: {level: "baseline", version: "v1.30"}
apps: web: {image: "web:1", security: {profile: "restricted", readOnlyRootFilesystem: true, runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}}
apps: cache: {image: "cache:1", security: {profile: "none", readOnlyRootFilesystem: true}}
`,
		want: []string{`level:   "baseline"`, `version: "v1.30"`, `profile:                "restricted"`, `runAsUser:              1000`,
			`runAsGroup:             3000`, `fsGroup:                2000`, `profile:                "none"`},
		not: []string{"securityContext", "overrides"},
	}, {
		name: "more than a profile",
		src: `apps: web: {
	image: "web:1"
	security: "restricted"
	overrides: container: securityContext: capabilities: add: ["NET_BIND_SERVICE"]
}
`,
		want: []string{"securityContext", "NET_BIND_SERVICE", "runAsNonRoot"},
		not:  []string{"security: "},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			name, docs := renderedDocs(t, []byte("package shop\n\n"+tc.src))
			if docs == nil {
				t.Fatal("the stack does not render")
			}
			res, err := Import(docs, name)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Report.Lossless() {
				var b strings.Builder
				res.Report.WriteText(&b)
				t.Errorf("imported with a difference:\n%s", b.String())
			}
			src := string(res.Source)
			for _, w := range tc.want {
				if !strings.Contains(src, w) {
					t.Errorf("the stack lacks %q:\n%s", w, src)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(src, n) {
					t.Errorf("the stack has %q:\n%s", n, src)
				}
			}
		})
	}
}

// TestSecurityNotMet: manifests whose pods do not meet the level their
// Namespace enforces, or the profile their securityContexts say, import
// without podSecurity and security, which kdecl would refuse to render,
// saying so; the label is a change of the Namespace's labels, and the
// securityContexts overrides.
func TestSecurityNotMet(t *testing.T) {
	docs, err := manifest.Parse("m.yaml", []byte(`apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: true
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: web:1
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		manifest.Clean(d.Object)
	}
	res, err := Import(docs, "shop")
	if err != nil {
		t.Fatal(err)
	}
	src := string(res.Source)
	for _, n := range []string{"podSecurity:", "security: "} {
		if strings.Contains(src, n) {
			t.Errorf("the stack has %q:\n%s", n, src)
		}
	}
	for _, w := range []string{"hostNetwork", "runAsNonRoot", "Pod Security labels enforce a level its pods do not meet",
		"app web: its securityContexts are a profile of kdecl's, but its pod does not meet the profile's level"} {
		if !strings.Contains(src, w) {
			t.Errorf("the stack lacks %q:\n%s", w, src)
		}
	}
	var b strings.Builder
	res.Report.WriteText(&b)
	if len(res.Report.Differences) > 0 || !strings.Contains(b.String(), "Namespace/shop: -pod-security.kubernetes.io/enforce=restricted") {
		t.Errorf("want no difference but the Namespace's label:\n%s", b.String())
	}
}
