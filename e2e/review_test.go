package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReviewFlow is a reviewer's loop: apply a stack for real, change it,
// render again, and expect kubectl diff to name exactly the objects that
// changed and kubectl apply to take the new render without an error.
func TestReviewFlow(t *testing.T) {
	stack, out := t.TempDir(), t.TempDir()
	steps := []struct {
		name string
		cue  string
		diff []string // objects kubectl diff reports against the previous step, sorted
	}{{
		name: "first render",
		cue:  reviewStack("a", "1.0.0", "one", 2),
	}, {
		name: "new image, changed config",
		cue:  reviewStack("b", "1.1.0", "one", 2),
		diff: []string{
			// the new image changes api's Deployment only: its Service
			// carries no version label
			"apps.v1.Deployment.review.api",
			// the config hash on the pod template rolls web's pods
			"apps.v1.Deployment.review.web",
			"v1.ConfigMap.review.web-config",
		},
	}, {
		name: "changed job, scaled statefulset",
		cue:  reviewStack("b", "1.1.0", "two", 3),
		diff: []string{
			"apps.v1.StatefulSet.review.db",
			// a changed job is a new Job, created beside the old one: its pod
			// template is immutable, so it is never changed in place
			"batch.v1.Job.review." + jobName(t, reviewStack("b", "1.1.0", "two", 3)),
		},
	}}
	jobs := map[string]bool{}
	for i, step := range steps {
		writeFile(t, filepath.Join(stack, "stack.cue"), []byte(step.cue))
		render(t, stack, out)
		if i > 0 {
			stdout, stderr, err := k8s.run("diff", "-f", out, "-R")
			if code := exitCode(err); code != 1 {
				t.Fatalf("%s: kubectl diff exited %d, want 1 (differences)\n%s%s", step.name, code, stdout, stderr)
			}
			if d := cmp.Diff(step.diff, diffedObjects(stdout)); d != "" {
				t.Errorf("%s: kubectl diff reported other objects (-want +got):\n%s\n%s", step.name, d, stdout)
			}
		}
		if stdout, stderr, err := k8s.run("apply", "-f", out, "-R"); err != nil {
			t.Fatalf("%s: kubectl apply: %v\n%s%s", step.name, err, stdout, stderr)
		}
		jobs[jobName(t, step.cue)] = true
		if stdout, stderr, err := k8s.run("diff", "-f", out, "-R"); err != nil {
			t.Errorf("%s: kubectl diff after apply: %v, want no differences\n%s%s", step.name, err, stdout, stderr)
		}
	}
	// Both Jobs exist: the changed job did not replace the old one in place.
	stdout, stderr, err := k8s.run("get", "jobs", "-n", "review", "-o", "name")
	if err != nil {
		t.Fatalf("kubectl get jobs: %v\n%s", err, stderr)
	}
	if got := len(strings.Fields(stdout)); got != len(jobs) || len(jobs) != 2 {
		t.Errorf("jobs in the cluster:\n%s\nwant the 2 rendered: %v", stdout, jobs)
	}
	stdout, _, _ = k8s.run("get", "statefulset", "db", "-n", "review", "-o", "jsonpath={.spec.replicas}")
	if stdout != "3" {
		t.Errorf("statefulset db has %s replicas after the apply, want 3", stdout)
	}
}

// reviewStack is the stack of the review flow with the parts that change.
func reviewStack(mode, apiVersion, jobMessage string, dbReplicas int) string {
	return fmt.Sprintf(`package review
namespace: "review"
apps: web: {image: "nginx:1.27", ports: http: 80, config: env: MODE: %q}
apps: api: {image: "example.com/api:%s", ports: http: 8080}
apps: worker: {image: "busybox:1.36", replicas: 2}
apps: migrate: {kind: "job", image: "busybox:1.36", command: ["echo", %q]}
apps: db: {kind: "statefulset", image: "redis:7.2", replicas: %d, ports: redis: 6379, storage: data: {size: "1Gi", mountPath: "/data"}}
`, mode, apiVersion, jobMessage, dbReplicas)
}

// jobName renders stack and returns the name of its Job.
func jobName(t *testing.T, stack string) string {
	t.Helper()
	dir, out := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dir, "stack.cue"), []byte(stack))
	render(t, dir, out)
	files, _ := filepath.Glob(filepath.Join(out, "migrate", "*-job-*.yaml"))
	if len(files) != 1 {
		t.Fatalf("want one Job file, got %v", files)
	}
	name, _ := strings.CutPrefix(strings.TrimSuffix(filepath.Base(files[0]), ".yaml"), "07-job-")
	return name
}
