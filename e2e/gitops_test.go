package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	fluxkustomize "github.com/fluxcd/pkg/kustomize"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// readmeBlock is the yaml block of the README that follows the comment
// <!-- marker ...-->.
func readmeBlock(t *testing.T, marker string) []byte {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- " + regexp.QuoteMeta(marker) + "[^\n]*\n```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatalf("README has no yaml block after <!-- %s -->", marker)
	}
	return m[1]
}

// objectsOf parses a YAML stream, or the files of a deploy directory,
// into objects by kind/namespace/name; anything that is not an object is
// an error.
func objectsOf(t *testing.T, docs [][]byte) map[string]map[string]any {
	t.Helper()
	objs := map[string]map[string]any{}
	for _, doc := range docs {
		var u unstructured.Unstructured
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, doc)
		}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			t.Fatalf("not a Kubernetes object:\n%s", doc)
		}
		objs[u.GetKind()+"/"+u.GetNamespace()+"/"+u.GetName()] = u.Object
	}
	return objs
}

func deployObjects(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	var docs [][]byte
	walkDocuments(t, dir, func(doc []byte) { docs = append(docs, doc) })
	return objectsOf(t, docs)
}

// TestArgoCDPlugin runs the generate command of the README's Config
// Management Plugin as Argo CD's repo server runs it: command and args
// executed in the Application's source path, with the app's environment
// (ARGOCD_APP_*, and the plugin env as ARGOCD_ENV_*) and a PATH that
// holds kdecl. Its stdout must be the YAML stream of the committed render,
// nothing else, and warnings must go to stderr.
func TestArgoCDPlugin(t *testing.T) {
	var plugin struct {
		APIVersion string `json:"apiVersion"`
		Kind       string
		Metadata   struct{ Name string }
		Spec       struct {
			Generate struct{ Command, Args []string }
		}
	}
	if err := yaml.UnmarshalStrict(readmeBlock(t, "argocd-plugin"), &plugin); err != nil {
		t.Fatalf("the README's plugin.yaml: %v", err)
	}
	gen := plugin.Spec.Generate
	if plugin.Kind != "ConfigManagementPlugin" || len(gen.Command) == 0 {
		t.Fatalf("the README's plugin.yaml is not a ConfigManagementPlugin with a generate command: %+v", plugin)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	generate := func(t *testing.T, srcPath, tags string) (stdout, stderr []byte, err error) {
		cmd := exec.Command(gen.Command[0], append(gen.Command[1:], gen.Args...)...)
		cmd.Dir = srcPath
		cmd.Env = []string{
			"PATH=" + filepath.Dir(kdecl) + ":/usr/bin:/bin",
			"HOME=" + t.TempDir(),
			"ARGOCD_APP_NAME=shop-prod",
			"ARGOCD_APP_NAMESPACE=shop",
			"ARGOCD_APP_REVISION=0123456789abcdef0123456789abcdef01234567",
			"ARGOCD_APP_SOURCE_PATH=" + srcPath,
			"ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/shop.git",
			"ARGOCD_APP_SOURCE_TARGET_REVISION=main",
			"KUBE_VERSION=1.37.2",
			"ARGOCD_ENV_KDECL_TAGS=" + tags,
		}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		return out.Bytes(), errOut.Bytes(), err
	}

	for _, env := range []string{"staging", "prod"} {
		t.Run("shop/"+env, func(t *testing.T) {
			stdout, stderr, err := generate(t, filepath.Join(root, "stacks/shop"), env)
			if err != nil {
				t.Fatalf("generate: %v\n%s", err, stderr)
			}
			got := objectsOf(t, documents(stdout))
			want := deployObjects(t, filepath.Join(root, "deploy/shop", env))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("generate's stream differs from deploy/shop/%s (-committed +generated):\n%s", env, diff)
			}
		})
	}

	t.Run("warnings", func(t *testing.T) {
		stack := t.TempDir()
		writeFile(t, filepath.Join(stack, "app.cue"), []byte("package web\n\napps: web: {image: \"nginx:latest\", ports: http: 80}\n"))
		stdout, stderr, err := generate(t, stack, "")
		if err != nil {
			t.Fatalf("generate: %v\n%s", err, stderr)
		}
		if got := objectsOf(t, documents(stdout)); len(got) != 2 {
			t.Errorf("generate wrote %d objects, want the Deployment and the Service", len(got))
		}
		if !bytes.Contains(stderr, []byte("warning:")) || bytes.Contains(stdout, []byte("warning")) {
			t.Errorf("the warning of an image :latest belongs on stderr only\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		stack := t.TempDir()
		writeFile(t, filepath.Join(stack, "app.cue"), []byte("package web\n\napps: web: {image: \"nginx:1.27\", ports: http: 0}\n"))
		stdout, stderr, err := generate(t, stack, "")
		if exitCode(err) != 1 || len(stdout) != 0 || !bytes.Contains(stderr, []byte("app.cue:3:")) {
			t.Errorf("an invalid stack: exit %d, stdout %q, stderr %q; want exit 1, nothing on stdout and a positioned error", exitCode(err), stdout, stderr)
		}
	})
}

// TestFluxSubstitution builds a deploy directory as kustomize-controller
// does for the README's Kustomization, with fluxcd/pkg/kustomize: a
// kustomization.yaml generated for a directory without one, kustomize's
// build, then post-build substitution of every object with the
// Kustomization's variables, strict. A stack with flux: substitute:
// "disabled" comes out as rendered; without it, Flux rewrites its shell
// script.
func TestFluxSubstitution(t *testing.T) {
	var ks unstructured.Unstructured
	if err := yaml.Unmarshal(readmeBlock(t, "flux-kustomization"), &ks.Object); err != nil {
		t.Fatalf("the README's Kustomization: %v", err)
	}
	if ks.GetKind() != "Kustomization" {
		t.Fatalf("the README's Flux block is a %q, want a Kustomization", ks.GetKind())
	}
	if vars, _, _ := unstructured.NestedStringMap(ks.Object, "spec", "postBuild", "substitute"); len(vars) == 0 {
		t.Fatal("the README's Kustomization substitutes nothing: it does not show what the recipe is for")
	}
	const stack = `package tools

namespace: "tools"
apps: report: {
	kind:     "cronjob"
	image:    "busybox:1.36"
	schedule: "@daily"
	command: ["/bin/sh", "-c", "echo ${HOME} $$(NAME) > /tmp/report"]
	env: NAME: "daily"
}
`
	build := func(t *testing.T, flux string) (rendered, applied map[string]map[string]any, err error) {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, "stacks/tools/app.cue"), []byte(stack+flux))
		path, _, _ := unstructured.NestedString(ks.Object, "spec", "path")
		deploy := filepath.Join(root, path)
		render(t, filepath.Join(root, "stacks/tools"), deploy)
		rendered = deployObjects(t, deploy)

		// kustomize-controller: generate, build, substitute each object.
		if _, err := fluxkustomize.NewGenerator(root, ks).WriteFile(deploy); err != nil {
			t.Fatal(err)
		}
		resources, err := fluxkustomize.SecureBuild(root, deploy, false)
		if err != nil {
			t.Fatal(err)
		}
		var docs [][]byte
		for _, res := range resources.Resources() {
			out, err := fluxkustomize.SubstituteVariables(context.Background(), nil, ks, res,
				fluxkustomize.SubstituteWithDryRun(true), fluxkustomize.SubstituteWithStrict(true))
			if err != nil {
				return rendered, nil, err
			}
			if out != nil { // nil: substitution disabled, the resource as built
				res = out
			}
			y, err := res.AsYAML()
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, y)
		}
		return rendered, objectsOf(t, docs), nil
	}

	t.Run("disabled", func(t *testing.T) {
		rendered, applied, err := build(t, "flux: substitute: \"disabled\"\n")
		if err != nil {
			t.Fatalf("Flux's substitution failed on a stack that disables it: %v", err)
		}
		if len(rendered) != 2 {
			t.Fatalf("rendered %d objects, want the Namespace and the CronJob", len(rendered))
		}
		if diff := cmp.Diff(rendered, applied); diff != "" {
			t.Errorf("Flux changed the render (-rendered +applied):\n%s", diff)
		}
	})

	// Negative control: without flux, strict substitution refuses the
	// script's ${HOME}, which the Kustomization does not define.
	t.Run("not disabled", func(t *testing.T) {
		_, _, err := build(t, "")
		if err == nil || !strings.Contains(err.Error(), "HOME") {
			t.Errorf("Flux's strict substitution of ${HOME}: err = %v, want an error naming HOME", err)
		}
	})
}
