package importer

import (
	"strings"
	"testing"
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
