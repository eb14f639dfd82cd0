package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// podSecurityStack is a stack whose namespace enforces restricted, with
// every kind of workload and every kind of container kdecl renders.
const podSecurityStack = `package psa

namespace:   "psa-restricted"
podSecurity: "restricted"
security: {profile: "restricted", runAsUser: 10001}

apps: web: {
	image: "nginx:1.27"
	ports: http: 8080
	uses: ["db"]
	sidecars: log: image: "busybox:1.36"
	initContainers: [{name: "migrate", image: "busybox:1.36"}]
	storage: tmp: {type: "emptyDir", mountPath: "/tmp"}
	overrides: container: securityContext: capabilities: add: ["NET_BIND_SERVICE"]
}
apps: db: {
	kind:  "statefulset"
	image: "redis:7.2"
	ports: redis: 6379
	storage: data: {size: "1Gi", mountPath: "/data"}
	security: {profile: "restricted", readOnlyRootFilesystem: true, runAsUser: 999, fsGroup: 999}
}
apps: agent: {
	kind:  "daemonset"
	image: "busybox:1.36"
}
apps: report: {
	kind:     "cronjob"
	image:    "busybox:1.36"
	schedule: "@daily"
}
`

// TestPodSecurity: a stack whose podSecurity is restricted, rendered by
// kdecl, is accepted by the API server with its Namespace's label in
// force: the workloads by a server-side dry run, and the Pods their
// controllers make of them, which the server's PodSecurity admission
// checks. A pod kdecl refuses under the level the server refuses too,
// for the same reason, and so it does the same pods without kdecl's
// hardening: the check checks something.
func TestPodSecurity(t *testing.T) {
	stack := t.TempDir()
	writeFile(t, filepath.Join(stack, "stack.cue"), []byte(podSecurityStack))
	out := t.TempDir()
	render(t, stack, out)
	if got, want := strings.Count(dryRun(t, out, ""), "(server dry run)"), countObjects(t, out); got != want {
		t.Fatalf("server accepted %d objects, want %d", got, want)
	}
	label, stderr, err := k8s.run("get", "namespace", "psa-restricted", "-o", `jsonpath={.metadata.labels.pod-security\.kubernetes\.io/enforce}`)
	if err != nil || label != "restricted" {
		t.Fatalf("the namespace enforces %q, want restricted: %v\n%s", label, err, stderr)
	}

	// The Pods of the workloads, as their controllers make them, with the
	// ServiceAccount a controller manager gives every namespace.
	if _, stderr, err := k8s.run("create", "serviceaccount", "default", "-n", "psa-restricted"); err != nil && !strings.Contains(stderr, "AlreadyExists") {
		t.Fatalf("kubectl create serviceaccount: %v\n%s", err, stderr)
	}
	var pods []*corev1.Pod
	walkDocuments(t, out, func(doc []byte) {
		u := &unstructured.Unstructured{}
		j, err := yaml.YAMLToJSON(doc)
		if err == nil {
			err = u.UnmarshalJSON(j)
		}
		if err != nil {
			t.Fatal(err)
		}
		pod, err := controllerPod(u)
		if err != nil {
			t.Fatal(err)
		}
		if pod != nil {
			pods = append(pods, pod)
		}
	})
	if len(pods) != 4 {
		t.Fatalf("%d pods of workloads, want 4", len(pods))
	}
	applyPods := func(name string, pods []*corev1.Pod) (string, error) {
		dir := filepath.Join(t.TempDir(), name)
		for _, p := range pods {
			b, err := yaml.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, p.Name+".yaml"), b)
		}
		stdout, stderr, err := k8s.run("apply", "--dry-run=server", "-f", dir)
		return stdout + stderr, err
	}
	if out, err := applyPods("hardened", pods); err != nil || strings.Count(out, "(server dry run)") != len(pods) {
		t.Fatalf("the server refuses the pods kdecl's workloads make under restricted: %v\n%s", err, out)
	}

	// Without the hardening, the server refuses each pod.
	var bare []*corev1.Pod
	for _, p := range pods {
		p = p.DeepCopy()
		p.Spec.SecurityContext = nil
		for i := range p.Spec.Containers {
			p.Spec.Containers[i].SecurityContext = nil
		}
		for i := range p.Spec.InitContainers {
			p.Spec.InitContainers[i].SecurityContext = nil
		}
		bare = append(bare, p)
	}
	if out, err := applyPods("bare", bare); err == nil || strings.Count(out, `violates PodSecurity "restricted:latest"`) != len(pods) {
		t.Errorf("the server admits pods without the hardening in a restricted namespace: %v\n%s", err, out)
	}

	// An override that allows privilege escalation: kdecl refuses it,
	// naming the override, and the server refuses the pod it makes.
	writeFile(t, filepath.Join(stack, "escalate.cue"), []byte(`package psa

apps: web: overrides: container: securityContext: allowPrivilegeEscalation: true
`))
	b, err := exec.Command(kdecl, "render", stack, "-o", t.TempDir()).CombinedOutput()
	const reason = "allowPrivilegeEscalation != false"
	if code := exitCode(err); code != 1 || !strings.Contains(string(b), `app "web": overrides.container: `) || !strings.Contains(string(b), reason) {
		t.Fatalf("kdecl render of an override that allows privilege escalation: exit %d, want 1 naming overrides.container and %q:\n%s", code, reason, b)
	}
	var web *corev1.Pod
	for _, p := range pods {
		if strings.HasPrefix(p.Name, "web-") {
			web = p.DeepCopy()
		}
	}
	for i, c := range web.Spec.Containers {
		if c.Name == "web" {
			web.Spec.Containers[i].SecurityContext.AllowPrivilegeEscalation = new(true)
		}
	}
	if out, err := applyPods("escalate", []*corev1.Pod{web}); err == nil || !strings.Contains(out, reason) {
		t.Errorf("the server admits the pod kdecl refuses, or for another reason: %v\n%s", err, out)
	}
}
