package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// orderStack has a job that runs before a deployment and a statefulset
// of its own ServiceAccount, a job that fails before another deployment,
// and a job and a Secret no waiting account may read.
const orderStack = `package order

namespace: "order-e2e"

apps: migrate: {
	kind:  "job"
	image: "busybox:1.36"
	command: ["sh", "-c", "sleep 5"]
	before: ["web", "worker"]
}
apps: broken: {
	kind:  "job"
	image: "busybox:1.36"
	command: ["false"]
	before: ["api"]
}
apps: other: {
	kind:  "job"
	image: "busybox:1.36"
}
apps: web: {
	image: "nginx:1.27"
	ports: http: 80
}
apps: api: {
	image: "nginx:1.27"
	ports: http: 80
}
apps: worker: {
	kind:  "statefulset"
	image: "nginx:1.27"
	ports: http: 80
	serviceAccount: name: "worker-account"
	secrets: env: TOKEN: {secret: "worker-token", key: "token"}
}
`

// TestJobBefore runs the command of the init containers kdecl renders
// for before, as the ServiceAccount kdecl renders, against the API
// server: it waits while the Job does not exist and while it has not
// completed, returns once its status says Complete, and the account may
// read that Job and nothing else. Without controllers, the test writes
// the Job's status itself, as the Job controller would.
func TestJobBefore(t *testing.T) {
	const ns = "order-e2e"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stack", "app.cue"), []byte(orderStack))
	out := filepath.Join(dir, "out")
	render(t, filepath.Join(dir, "stack"), out)
	jobName := func(app string) string {
		files, _ := filepath.Glob(filepath.Join(out, app, "*-job-*.yaml"))
		if len(files) != 1 {
			t.Fatalf("want one Job of %s, have %v", app, files)
		}
		return strings.TrimSuffix(strings.TrimPrefix(filepath.Base(files[0]), "07-job-"), ".yaml")
	}
	migrate, broken, other := jobName("migrate"), jobName("broken"), jobName("other")

	// Everything but the Jobs first: the waits must wait for the Job to
	// exist, as under an engine that applies Jobs after workloads.
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"migrate", "broken", "other"} {
		if err := os.Rename(filepath.Join(out, app), filepath.Join(jobs, app)); err != nil {
			t.Fatal(err)
		}
	}
	applyForReal(t, out)

	web := waitCommand(t, filepath.Join(out, "web", "05-deployment-web.yaml"), "migrate")
	worker := waitCommand(t, filepath.Join(out, "worker", "06-statefulset-worker.yaml"), "migrate")
	api := waitCommand(t, filepath.Join(out, "api", "05-deployment-api.yaml"), "broken")
	if !slices.Contains(web, "job/"+migrate) || !slices.Contains(api, "job/"+broken) {
		t.Fatalf("the waits name other Jobs than the rendered %s and %s: %q, %q", migrate, broken, web, api)
	}

	webWait := startAs(t, ns, "web", web)
	workerWait := startAs(t, ns, "worker-account", worker)
	time.Sleep(3 * time.Second)
	webWait.running(t, "before the Job exists")
	workerWait.running(t, "before the Job exists")

	applyForReal(t, jobs)
	time.Sleep(3 * time.Second)
	webWait.running(t, "while the Job has not completed")
	workerWait.running(t, "while the Job has not completed")

	// The account may read its Job, and do nothing else.
	for _, c := range []struct {
		sa, verb, resource string
		ns                 string
		want               bool
	}{
		{"web", "get", "jobs/" + migrate, ns, true},
		{"web", "watch", "jobs/" + migrate, ns, true},
		{"worker-account", "get", "jobs/" + migrate, ns, true},
		{"web", "list", "jobs", ns, false},
		{"web", "get", "jobs/" + other, ns, false},
		{"web", "get", "jobs/" + broken, ns, false},
		{"web", "update", "jobs/" + migrate, ns, false},
		{"web", "patch", "jobs/" + migrate, ns, false},
		{"web", "delete", "jobs/" + migrate, ns, false},
		{"web", "create", "jobs", ns, false},
		{"web", "get", "secrets/worker-token", ns, false},
		{"worker-account", "get", "secrets/worker-token", ns, false},
		{"web", "get", "pods", ns, false},
		{"web", "get", "jobs/" + migrate, "default", false},
		{"api", "get", "jobs/" + migrate, ns, false},
		{"api", "get", "jobs/" + broken, ns, true},
	} {
		_, _, err := k8s.run("auth", "can-i", c.verb, c.resource, "-n", c.ns, "--as=system:serviceaccount:"+ns+":"+c.sa)
		if got := exitCode(err) == 0; got != c.want || exitCode(err) > 1 {
			t.Errorf("%s can %s %s in %s: %v (exit %d), want %v", c.sa, c.verb, c.resource, c.ns, got, exitCode(err), c.want)
		}
	}

	// What the Job controller writes when the Job's pods have succeeded.
	now := time.Now().UTC().Truncate(time.Second)
	setStatus(t, ns, migrate, fmt.Sprintf(`{"status": {"startTime": %q, "completionTime": %q, "succeeded": 1,
		"conditions": [
			{"type": "SuccessCriteriaMet", "status": "True", "lastTransitionTime": %[2]q},
			{"type": "Complete", "status": "True", "lastTransitionTime": %[2]q}]}}`,
		now.Add(-5*time.Second).Format(time.RFC3339), now.Format(time.RFC3339)))
	webWait.exits(t, 0)
	workerWait.exits(t, 0)

	// A Job that fails never completes: the wait does not return 0 for
	// it, and fails once its timeout (10m as rendered, 4s here) is over,
	// so that the pod shows Init:Error and the kubelet starts the wait
	// again.
	short := slices.Clone(api)
	i := slices.IndexFunc(short, func(a string) bool { return strings.HasPrefix(a, "--timeout=") })
	if i < 0 || short[i] != "--timeout=10m" {
		t.Fatalf("the wait has no --timeout=10m: %q", short)
	}
	short[i] = "--timeout=4s"
	setStatus(t, ns, broken, fmt.Sprintf(`{"status": {"startTime": %q, "failed": 1,
		"conditions": [
			{"type": "FailureTarget", "status": "True", "lastTransitionTime": %[1]q, "reason": "BackoffLimitExceeded"},
			{"type": "Failed", "status": "True", "lastTransitionTime": %[1]q, "reason": "BackoffLimitExceeded"}]}}`,
		now.Format(time.RFC3339)))
	start := time.Now()
	apiWait := startAs(t, ns, "api", short)
	apiWait.exits(t, 1)
	if took := time.Since(start); took < 4*time.Second {
		t.Errorf("the wait for the failed Job %s returned after %v, before its timeout", broken, took)
	}
	if msg := apiWait.stderr.String(); !strings.Contains(msg, "timed out waiting for the condition on jobs/"+broken) {
		t.Errorf("the wait for the failed Job %s says %q, not that it timed out", broken, msg)
	}
}

// waitCommand is the command and args of the init container of the
// workload in file that waits for job, with kubectl as its command.
func waitCommand(t *testing.T, file, job string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	pod := w.Spec.Template.Spec
	i := slices.IndexFunc(pod.InitContainers, func(c corev1.Container) bool { return c.Name == "wait-for-"+job })
	if i != 0 {
		t.Fatalf("%s: the wait for %s is not the first init container: %+v", file, job, pod.InitContainers)
	}
	c := pod.InitContainers[0]
	if len(c.Command) != 1 || c.Command[0] != "kubectl" {
		t.Fatalf("%s: the wait for %s runs %q, not kubectl", file, job, c.Command)
	}
	// The token the wait reads the Job with: the ServiceAccount's, where
	// kubectl in a pod reads it, whatever the pod automounts.
	mounted := false
	for _, m := range c.VolumeMounts {
		v := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		mounted = mounted || m.MountPath == "/var/run/secrets/kubernetes.io/serviceaccount" && v >= 0 && pod.Volumes[v].Projected != nil &&
			slices.ContainsFunc(pod.Volumes[v].Projected.Sources, func(p corev1.VolumeProjection) bool { return p.ServiceAccountToken != nil })
	}
	if !mounted {
		t.Errorf("%s: the wait for %s does not mount the ServiceAccount's token it waits with", file, job)
	}
	return c.Args
}

// waiter is a kubectl wait running as a ServiceAccount.
type waiter struct {
	cmd    *exec.Cmd
	done   chan error
	stderr *bytes.Buffer
}

// startAs starts kubectl with args as the ServiceAccount sa of ns,
// impersonated by the admin.
func startAs(t *testing.T, ns, sa string, args []string) *waiter {
	t.Helper()
	all := append([]string{"--kubeconfig", k8s.kubeconfig, "--as=system:serviceaccount:" + ns + ":" + sa}, args...)
	w := &waiter{cmd: exec.Command(k8s.kubectl, all...), done: make(chan error, 1), stderr: &bytes.Buffer{}}
	w.cmd.Env = append(os.Environ(), "KUBECONFIG=")
	w.cmd.Stdout, w.cmd.Stderr = w.stderr, w.stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.done <- w.cmd.Wait() }()
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			w.cmd.Process.Kill()
		}
	})
	return w
}

func (w *waiter) running(t *testing.T, when string) {
	t.Helper()
	select {
	case err := <-w.done:
		w.done <- err
		t.Fatalf("kubectl %q returned %v %s:\n%s", w.cmd.Args[3:], err, when, w.stderr)
	default:
	}
}

func (w *waiter) exits(t *testing.T, code int) {
	t.Helper()
	select {
	case err := <-w.done:
		w.done <- err
		if exitCode(err) != code {
			t.Errorf("kubectl %q exited %d, want %d:\n%s", w.cmd.Args[3:], exitCode(err), code, w.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("kubectl %q still waits after 30s, want exit %d:\n%s", w.cmd.Args[3:], code, w.stderr)
	}
}

// setStatus patches the status of the Job name through its status
// subresource, as the Job controller writes it.
func setStatus(t *testing.T, ns, name, patch string) {
	t.Helper()
	if _, stderr, err := k8s.run("patch", "job", name, "-n", ns, "--subresource=status", "--type=merge", "-p", patch); err != nil {
		t.Fatalf("kubectl patch job %s --subresource=status: %v\n%s", name, err, stderr)
	}
}
