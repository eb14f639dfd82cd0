package e2e

import (
	"path/filepath"
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
		diff []string // objects kubectl diff reports against the previous step
	}{{
		name: "first render",
		cue: `package review
namespace: "review"
apps: web: {image: "nginx:1.27", ports: http: 80, config: env: MODE: "a"}
apps: api: {image: "example.com/api:1.0.0", ports: http: 8080}
apps: worker: {image: "busybox:1.36", replicas: 2}
`,
	}, {
		name: "new image, changed config",
		cue: `package review
namespace: "review"
apps: web: {image: "nginx:1.27", ports: http: 80, config: env: MODE: "b"}
apps: api: {image: "example.com/api:1.1.0", ports: http: 8080}
apps: worker: {image: "busybox:1.36", replicas: 2}
`,
		diff: []string{
			// the new image changes the version label of every object of api
			"apps.v1.Deployment.review.api",
			// the config hash on the pod template rolls web's pods
			"apps.v1.Deployment.review.web",
			"v1.ConfigMap.review.web-config",
			"v1.Service.review.api",
		},
	}}
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
		if stdout, stderr, err := k8s.run("diff", "-f", out, "-R"); err != nil {
			t.Errorf("%s: kubectl diff after apply: %v, want no differences\n%s%s", step.name, err, stdout, stderr)
		}
	}
}
