package podsecurity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/schema"
)

// checkStack loads the stack of src, generates it and checks it, and returns
// the errors as text.
func checkStack(t *testing.T, src string) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stack.cue"), []byte("package s\n\n"+src), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := schema.Load(dir)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	ms, err := generators.Stack(s)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	errs, err := Check(s, ms)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range errs {
		out = append(out, strings.TrimPrefix(e.Error(), dir+"/"))
	}
	return out
}

// TestRestrictedProfileMeetsRestricted: kdecl's restricted profile is
// what the API server's restricted level requires, for every kind of
// app and every container kdecl renders: its own, sidecars, init
// containers and those that wait for dependencies.
func TestRestrictedProfileMeetsRestricted(t *testing.T) {
	for _, kind := range []string{"deployment", "statefulset", "daemonset", "job", "cronjob"} {
		t.Run(kind, func(t *testing.T) {
			src := `namespace: "s"
podSecurity: "restricted"
security: "restricted"
apps: db: {image: "db:1", ports: pg: 5432}
apps: web: {
	kind: "` + kind + `"
	image: "web:1"
	SCHEDULE
	uses: ["db"]
	sidecars: log: image: "log:1"
	initContainers: [{name: "migrate", image: "web:1"}]
	storage: {
		tmp: {type: "emptyDir", mountPath: "/tmp"}
		data: {size: "1Gi", mountPath: "/data"}
	}
	secrets: files: tls: {secret: "tls", mountPath: "/tls"}
	config: files: "a.conf": "x"
	podInfo: mountPath: "/info"
}
`
			schedule := ""
			if kind == "cronjob" {
				schedule = `schedule: "@daily"`
			}
			src = strings.Replace(src, "SCHEDULE", schedule, 1)
			if got := checkStack(t, src); len(got) > 0 {
				t.Errorf("restricted pods refused:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// TestWithoutProfile: the levels without a profile. A pod as kdecl
// renders it meets baseline and privileged, not restricted.
func TestWithoutProfile(t *testing.T) {
	for level, want := range map[string]int{"privileged": 0, "baseline": 0, "restricted": 1} {
		got := checkStack(t, `namespace: "s"
podSecurity: "`+level+`"
apps: web: {image: "web:1", ports: http: 80}
`)
		if len(got) != want {
			t.Errorf("%s: %d errors, want %d:\n%s", level, len(got), want, strings.Join(got, "\n"))
		}
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{{
		name: "an override undoes the app's profile",
		src: `apps: web: {
	image: "web:1"
	security: "restricted"
	overrides: container: securityContext: allowPrivilegeEscalation: true
}`,
		want: []string{`stack.cue:6:13: app "web": overrides.container: the security profile restricted forbids the pod: allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false)`},
	}, {
		name: "an override of the workload",
		src: `apps: web: {
	image: "web:1"
	security: "baseline"
	overrides: deployment: spec: template: spec: hostPID: true
}`,
		want: []string{`stack.cue:6:13: app "web": overrides.deployment: the security profile baseline forbids the pod: host namespaces (hostPID=true)`},
	}, {
		name: "the namespace's level where the profile is weaker, and the stack's profile",
		src: `namespace: "s"
podSecurity: "baseline"
security: "none"
apps: web: {
	image: "web:1"
	overrides: pod: hostIPC: true
}`,
		want: []string{`stack.cue:8:13: app "web": overrides.pod: the namespace's Pod Security level baseline (podSecurity) forbids the pod: host namespaces (hostIPC=true)`},
	}, {
		name: "the stack's profile is where the app's user comes from",
		src: `namespace: "s"
podSecurity: "restricted"
security: {profile: "restricted", runAsUser: 0}
apps: web: image: "web:1"
`,
		want: []string{`stack.cue:5:35: app "web": security.runAsUser: the namespace's Pod Security level restricted (podSecurity) forbids the pod: runAsUser=0 (pod must not set runAsUser=0)`},
	}, {
		name: "an object of another namespace is not the stack's to check",
		src: `namespace: "s"
podSecurity: "restricted"
objects: p: {apiVersion: "v1", kind: "Pod", metadata: namespace: "other", spec: containers: [{name: "c", image: "c:1"}]}
objects: q: {apiVersion: "v1", kind: "Pod", spec: containers: [{name: "c", image: "c:1"}]}
`,
		want: []string{`stack.cue:6:10: objects.q: the namespace's Pod Security level restricted (podSecurity) forbids the pod of the Pod q: ` +
			`allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ` +
			`unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ` +
			`runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ` +
			`seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, checkStack(t, tt.src)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVersion: the standard's version decides which checks apply, as in
// the API server: restricted requires dropping every capability since
// v1.22.
func TestVersion(t *testing.T) {
	pod := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: new(true),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{Name: "c", Image: "c:1",
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: new(false)}}},
	}}
	deploy := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "s"}, Spec: appsv1.DeploymentSpec{Template: pod}}
	app := schema.App{Name: "web", Kind: schema.KindDeployment, Image: "c:1"}
	for version, want := range map[string]int{"v1.21": 0, "v1.22": 1, "": 1, "latest": 1} {
		s := &schema.Stack{Name: "s", Namespace: "s", PodSecurity: &schema.PodSecurity{Level: "restricted", Version: version},
			Apps: []schema.App{app}}
		errs, err := Check(s, []generators.Manifest{{App: "web", Object: deploy}})
		if err != nil {
			t.Fatal(err)
		}
		if len(errs) != want {
			t.Errorf("version %q: %d errors, want %d: %v", version, len(errs), want, errs)
		}
	}
}
