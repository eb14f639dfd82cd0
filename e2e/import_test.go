package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// importKinds are the kinds kdecl import reads back from the server:
// every kind kdecl renders, and the objects the stacks hold.
const importKinds = "deployments,statefulsets,daemonsets,jobs,cronjobs,services,configmaps,persistentvolumeclaims," +
	"serviceaccounts,horizontalpodautoscalers,poddisruptionbudgets,ingresses.networking.k8s.io,networkpolicies,roles,rolebindings"

// TestImportFromServer applies manifests for real, reads them back with
// kubectl get -o yaml, with every field the API server set and
// defaulted, and imports that: the stack must render what the server
// holds, and say what the author wrote, no more, so it is the stack an
// import of the manifests themselves writes. This holds import's table
// of the API server's defaults to the server's.
func TestImportFromServer(t *testing.T) {
	manifests := filepath.Join("..", "testdata", "import", "shop.yaml")
	createNamespace(t, "shop")
	applyForReal(t, manifests)
	got := getAll(t, "shop")
	if !bytes.Contains(got, []byte("managedFields")) || !bytes.Contains(got, []byte("clusterIP: ")) {
		t.Fatalf("kubectl get -o yaml lacks the fields the server sets:\n%s", got)
	}
	fromServer := importStack(t, got, "shop", 0)
	fromFile := importStack(t, mustRead(t, manifests), "shop", 0)
	if d := cmp.Diff(string(fromFile), string(fromServer)); d != "" {
		t.Errorf("the stack imported from the server differs from the one imported from %s (-file +server):\n%s", manifests, d)
	}
}

// TestImportStacks applies each example stack's render for real, with its
// stack's CRDs installed, and imports what the server holds: kdecl must
// find no difference.
func TestImportStacks(t *testing.T) {
	var dirs []string
	stacks := map[string]string{}
	for _, r := range exampleRenders(t) {
		dirs = append(dirs, r.Output)
		stacks[r.Output] = r.Stack
	}
	for _, dir := range dirs {
		t.Run(strings.TrimPrefix(dir, "deploy/"), func(t *testing.T) {
			installCRDs(t, stackCRDs(t, filepath.Join("..", "stacks", stacks[dir])))
			dir := filepath.Join("..", dir)
			ns := namespaceOf(t, dir)
			if ns == "" {
				t.Fatalf("%s renders no Namespace", dir)
			}
			applyForReal(t, dir)
			stack := importStack(t, getAll(t, ns), filepath.Base(dir), 0)
			if !bytes.Contains(stack, []byte("\napps: {\n")) {
				t.Errorf("the stack has no apps:\n%s", stack)
			}
		})
	}
}

// TestImportNegativeControl: what import cannot say (a Secret's envFrom
// after a ConfigMap's, whose keys the Secret's would win over, where
// kdecl sets the config's one by one) is not said, and exit
// 1, against the real server's objects too.
func TestImportNegativeControl(t *testing.T) {
	createNamespace(t, "import-control")
	doc := `apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: import-control}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: app
        image: "app:1.0"
        ports: [{name: http, containerPort: 8080}]
        envFrom: [{configMapRef: {name: app-config}}, {secretRef: {name: app-keys}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: import-control}
data: {LOG_LEVEL: info}
`
	f := filepath.Join(t.TempDir(), "app.yaml")
	writeFile(t, f, []byte(doc))
	applyForReal(t, f)
	importStack(t, getAll(t, "import-control"), "control", 1)
}

// applyForReal applies the manifests of path (a file, or a directory,
// recursively) and deletes them when the test ends: their node ports
// must not stay taken for the oracle's stacks.
func applyForReal(t *testing.T, path string) {
	t.Helper()
	if stdout, stderr, err := k8s.run("apply", "-f", path, "-R"); err != nil {
		t.Fatalf("kubectl apply: %v\n%s%s", err, stdout, stderr)
	}
	t.Cleanup(func() {
		if stdout, stderr, err := k8s.run("delete", "-f", path, "-R", "--ignore-not-found", "--wait=false"); err != nil {
			t.Errorf("kubectl delete: %v\n%s%s", err, stdout, stderr)
		}
	})
}

// getAll is kubectl get -o yaml of importKinds in namespace ns.
func getAll(t *testing.T, ns string) []byte {
	t.Helper()
	stdout, stderr, err := k8s.run("get", importKinds, "-n", ns, "-o", "yaml", "--show-managed-fields")
	if err != nil {
		t.Fatalf("kubectl get: %v\n%s", err, stderr)
	}
	return []byte(stdout)
}

// importStack runs kdecl import on manifests and wants exit code want;
// it returns the stack.
func importStack(t *testing.T, manifests []byte, name string, want int) []byte {
	t.Helper()
	in := filepath.Join(t.TempDir(), "manifests.yaml")
	writeFile(t, in, manifests)
	cmd := exec.Command(kdecl, "import", in, "--name", name)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if code := exitCode(err); code != want {
		t.Fatalf("kdecl import exited %d, want %d\n%s", code, want, stderr.String())
	}
	return stdout.Bytes()
}

// namespaceOf is the namespace of the stack rendered into dir, "" if
// dir holds none.
func namespaceOf(t *testing.T, dir string) string {
	var ns string
	walkDocuments(t, dir, func(doc []byte) {
		if bytes.Contains(doc, []byte("\nkind: Namespace\n")) {
			for _, line := range strings.Split(string(doc), "\n") {
				if name, ok := strings.CutPrefix(line, "  name: "); ok {
					ns = name
				}
			}
		}
	})
	return ns
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
