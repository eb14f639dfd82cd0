package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// applySetStack is a stack with applySet: its apps (each a Deployment, a
// Service and a ConfigMap) and, with readers, a ClusterRole of its own.
func applySetStack(name, namespace string, readers bool, apps ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nnamespace: %q\napplySet:  true\n", strings.ReplaceAll(name, "-", ""), namespace)
	fmt.Fprintf(&b, "name: %q\n", name)
	if readers {
		fmt.Fprintf(&b, "objects: %q: {apiVersion: \"rbac.authorization.k8s.io/v1\", kind: \"ClusterRole\", rules: [{apiGroups: [\"\"], resources: [\"pods\"], verbs: [\"get\"]}]}\n", name+"-"+namespace+"-readers")
	}
	for _, a := range apps {
		fmt.Fprintf(&b, "apps: %s: {image: \"nginx:1.27\", ports: http: 80, config: env: APP: %q}\n", a, a)
	}
	return b.String()
}

// applySetID is the ID of an ApplySet whose parent is the ConfigMap
// name in namespace, as KEP-3659 defines it:
// applyset-<base64url(sha256(name.namespace.kind.group))>-v1.
func applySetID(name, namespace string) string {
	sum := sha256.Sum256([]byte(name + "." + namespace + ".ConfigMap."))
	return "applyset-" + base64.RawURLEncoding.EncodeToString(sum[:]) + "-v1"
}

// applyPrune applies the deploy directory dir of a stack with applySet as
// the README says: its Namespace first, then the whole directory with
// kubectl apply --prune --applyset.
func applyPrune(t *testing.T, dir, namespace, parent string) string {
	t.Helper()
	if _, stderr, err := k8s.run("apply", "-f", filepath.Join(dir, "00-namespace-"+namespace+".yaml")); err != nil {
		t.Fatalf("kubectl apply of the Namespace: %v\n%s", err, stderr)
	}
	args := []string{"apply", "-n", namespace, "--prune", "--applyset=configmaps/" + parent, "-f", dir, "-R"}
	stdout, stderr, err := k8s.run(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// exists says which of the objects (kind/name, -n namespace or
// cluster-scoped when namespace is "") the server has.
func exists(t *testing.T, namespace string, objects ...string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	for _, o := range objects {
		args := []string{"get", o, "-o", "name"}
		if namespace != "" {
			args = append(args, "-n", namespace)
		}
		stdout, stderr, err := k8s.run(args...)
		switch {
		case err == nil && strings.TrimSpace(stdout) != "":
			got[o] = true
		case !strings.Contains(stderr, "NotFound"):
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
	}
	return got
}

// TestApplySetPrune: a stack with applySet, applied with kubectl apply
// --prune --applyset (KUBECTL_APPLYSET=true), then rendered without one
// of its apps and its ClusterRole and applied again the same way, loses
// exactly those objects. Another stack in the same namespace, the same
// stack in another environment's namespace, and the Namespace (a
// cluster-scoped member that every render holds) stay. The command is
// the one kdecl review gives, run as it gives it.
func TestApplySetPrune(t *testing.T) {
	t.Setenv("KUBECTL_APPLYSET", "true") // kubectl v1.37 has --applyset only with it
	const (
		ns, staging = "aps", "aps-staging"
		parent      = "shop-applyset" // the default: <stack name>-applyset
	)
	prod, old, stagingDir, other := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	renderStack(t, applySetStack("shop", ns, true, "api", "web"), old)
	renderStack(t, applySetStack("shop", staging, true, "api", "web"), stagingDir)
	// another stack in the same namespace: its own parent, its own set
	renderStack(t, applySetStack("blog", ns, true, "api2"), other)

	// kubectl keeps the parent in the namespace, and writes it before it
	// applies anything: without the namespace, it applies nothing.
	_, stderr, err := k8s.run("apply", "-n", ns, "--prune", "--applyset=configmaps/"+parent, "-f", old, "-R")
	if err == nil || !strings.Contains(stderr, `namespaces "`+ns+`" not found`) {
		t.Errorf("kubectl apply --applyset before the namespace exists: %v\n%s\nwant it to fail on the missing namespace, as the README says", err, stderr)
	}
	applyPrune(t, old, ns, parent)
	applyPrune(t, stagingDir, staging, parent)
	applyPrune(t, other, ns, "blog-applyset")

	// kubectl made the parent and labelled the members with its ID, the
	// KEP's, the cluster-scoped ones too.
	id := applySetID(parent, ns)
	stdout, stderr, err := k8s.run("get", "configmap", parent, "-n", ns, "-o", `jsonpath={.metadata.labels.applyset\.kubernetes\.io/id} {.metadata.annotations.applyset\.kubernetes\.io/contains-group-kinds}`)
	if err != nil || stdout != id+" ClusterRole.rbac.authorization.k8s.io,ConfigMap,Deployment.apps,Namespace,Service" {
		t.Errorf("the parent: %v %q%s, want the ID %s and the kinds rendered", err, stdout, stderr, id)
	}
	for _, o := range []struct{ ns, obj string }{{ns, "deployment/api"}, {"", "clusterrole/shop-aps-readers"}} {
		args := []string{"get", o.obj, "-o", `jsonpath={.metadata.labels.applyset\.kubernetes\.io/part-of}`}
		if o.ns != "" {
			args = append(args, "-n", o.ns)
		}
		if stdout, stderr, err := k8s.run(args...); err != nil || stdout != id {
			t.Errorf("%s: part-of %q (%v%s), want %s", o.obj, stdout, err, stderr, id)
		}
	}

	// api and the ClusterRole go from prod's render; the review says how
	// they are pruned.
	renderStack(t, applySetStack("shop", ns, false, "web"), prod)
	out, err := exec.Command(kdecl, "review", "--from", old, "--to", prod).CombinedOutput()
	if err != nil {
		t.Fatalf("kdecl review: %v\n%s", err, out)
	}
	command := fmt.Sprintf("KUBECTL_APPLYSET=true kubectl apply -n %s --prune --applyset=configmaps/%s -f %s -R", ns, parent, prod)
	if n := strings.Count(string(out), "prunes it: "+command+" "); n != 4 {
		t.Fatalf("kdecl review names %d removed objects with %q, want 4:\n%s", n, command, out)
	}
	words := strings.Fields(strings.TrimPrefix(command, "KUBECTL_APPLYSET=true kubectl "))
	if stdout, stderr, err := k8s.run(words...); err != nil {
		t.Fatalf("%s: %v\n%s%s", command, err, stdout, stderr)
	} else if !strings.Contains(stdout, "deployment.apps/api pruned") {
		t.Errorf("%s says nothing of deployment/api:\n%s", command, stdout)
	}

	pruned := []string{"deployment/api", "service/api", "configmap/api-config"}
	kept := []string{"deployment/web", "service/web", "configmap/web-config", "configmap/" + parent}
	if got := exists(t, ns, append(pruned, kept...)...); !mapEquals(got, kept) {
		t.Errorf("%s after the prune: %v, want exactly %v", ns, got, kept)
	}
	if got := exists(t, "", "clusterrole/shop-aps-readers", "clusterrole/shop-aps-staging-readers", "clusterrole/blog-aps-readers", "namespace/"+ns); !mapEquals(got, []string{"clusterrole/shop-aps-staging-readers", "clusterrole/blog-aps-readers", "namespace/" + ns}) {
		t.Errorf("cluster-scoped after the prune: %v, want the ClusterRole prod no longer renders gone, the others' and the Namespace kept", got)
	}
	staged := []string{"deployment/api", "service/api", "configmap/api-config", "deployment/web"}
	if got := exists(t, staging, staged...); !mapEquals(got, staged) {
		t.Errorf("the other environment after the prune: %v, want all of %v", got, staged)
	}
	blog := []string{"deployment/api2", "service/api2", "configmap/api2-config", "configmap/blog-applyset"}
	if got := exists(t, ns, blog...); !mapEquals(got, blog) {
		t.Errorf("the other stack in %s after the prune: %v, want all of %v", ns, got, blog)
	}

	// A plain apply of the directory still works, and prunes nothing.
	if stdout, stderr, err := k8s.run("apply", "-f", prod, "-R"); err != nil {
		t.Errorf("kubectl apply -f %s -R: %v\n%s%s", prod, err, stdout, stderr)
	}
	if got := exists(t, staging, staged...); !mapEquals(got, staged) {
		t.Errorf("the other environment after a plain apply: %v, want all of %v", got, staged)
	}
	// which takes kubectl's label off what it applies, as the README says;
	// an apply with --applyset, server-side too, labels it again.
	partOf := func() string {
		stdout, stderr, err := k8s.run("get", "deployment/web", "-n", ns, "-o", `jsonpath={.metadata.labels.applyset\.kubernetes\.io/part-of}`)
		if err != nil {
			t.Fatalf("kubectl get deployment/web: %v\n%s", err, stderr)
		}
		return stdout
	}
	if got := partOf(); got != "" {
		t.Errorf("deployment/web after a plain apply: part-of %q, want none", got)
	}
	args := []string{"apply", "--server-side", "-n", ns, "--prune", "--applyset=configmaps/" + parent, "-f", prod, "-R"}
	if stdout, stderr, err := k8s.run(args...); err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
	}
	if got := partOf(); got != id {
		t.Errorf("deployment/web after a server-side apply with --applyset: part-of %q, want %s", got, id)
	}
	if got := exists(t, ns, append(kept, blog...)...); !mapEquals(got, append(kept, blog...)) {
		t.Errorf("%s after a server-side apply with --applyset: %v, want exactly %v", ns, got, append(kept, blog...))
	}
}

// TestApplySetWhyNoLabels: what kubectl does that makes kdecl render
// neither the part-of label nor the label-based prune: kubectl apply
// --applyset refuses an object that carries the label already, and
// --prune -l app.kubernetes.io/part-of=STACK of one environment prunes
// the other environment's Namespace, labelled with the same stack.
func TestApplySetWhyNoLabels(t *testing.T) {
	t.Setenv("KUBECTL_APPLYSET", "true")
	const ns = "aps-why"
	createNamespace(t, ns)
	f := filepath.Join(t.TempDir(), "labelled.yaml")
	writeFile(t, f, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: labelled\n  labels:\n    applyset.kubernetes.io/part-of: "+applySetID("why", ns)+"\n"))
	_, stderr, err := k8s.run("apply", "-n", ns, "--prune", "--applyset=configmaps/why", "-f", f)
	if err == nil || !strings.Contains(stderr, `ApplySet label "applyset.kubernetes.io/part-of" already set in input data`) {
		t.Errorf("kubectl apply --applyset of an object with the part-of label: %v\n%s\nwant it refused", err, stderr)
	}

	prod, staging := t.TempDir(), t.TempDir()
	renderStack(t, applySetStack("why", ns+"-prod", false, "web"), prod)
	renderStack(t, applySetStack("why", ns+"-staging", false, "web"), staging)
	for _, dir := range []string{prod, staging} {
		if stdout, stderr, err := k8s.run("apply", "-f", dir, "-R"); err != nil {
			t.Fatalf("kubectl apply -f %s -R: %v\n%s%s", dir, err, stdout, stderr)
		}
	}
	stdout, stderr, err := k8s.run("apply", "--dry-run=server", "--prune", "-l", "app.kubernetes.io/part-of=why", "-f", staging, "-R")
	if err != nil || !strings.Contains(stdout, "namespace/"+ns+"-prod pruned") {
		t.Errorf("kubectl apply --prune -l of staging: %v\n%s%s\nwant it to prune prod's Namespace", err, stdout, stderr)
	}
}

// mapEquals says whether the set got holds exactly want.
func mapEquals(got map[string]bool, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	return !slices.ContainsFunc(want, func(w string) bool { return !got[w] })
}

// TestApplySetImport: what a cluster holds of a stack applied with
// --applyset (kubectl's part-of label on every object, its parent
// ConfigMap beside them) imports into a stack with applySet and no
// difference: the label and the parent are kubectl's.
func TestApplySetImport(t *testing.T) {
	t.Setenv("KUBECTL_APPLYSET", "true")
	const ns = "aps-import"
	dir := t.TempDir()
	renderStack(t, applySetStack("imp", ns, false, "web", "api"), dir)
	applyPrune(t, dir, ns, "imp-applyset")
	read := getAll(t, ns)
	for _, want := range []string{"applyset.kubernetes.io/part-of: " + applySetID("imp-applyset", ns), "name: imp-applyset"} {
		if !strings.Contains(string(read), want) {
			t.Fatalf("kubectl get of %s has no %q:\n%s", ns, want, read)
		}
	}
	stack := importStack(t, read, "imp", 0)
	if !strings.Contains(string(stack), "\napplySet: true\n") {
		t.Errorf("the imported stack does not set applySet:\n%s", stack)
	}
}

// TestApplySetReadme runs the commands of the README's ApplySet recipe,
// as written, on the committed render of the shop: kubectl applies it as
// the ApplySet its render names. What it applied stays (deleting the
// Namespace would leave it terminating, without a controller): the
// import of the shop's render then reads kubectl's labels and parent too.
func TestApplySetReadme(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- applyset-apply[^\n]*\n```sh\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README has no ApplySet recipe: a sh block after <!-- applyset-apply -->")
	}
	var parent, ns string
	for line := range strings.Lines(string(m[1])) {
		words := strings.Fields(line)
		if len(words) > 0 && words[0] == "KUBECTL_APPLYSET=true" {
			t.Setenv("KUBECTL_APPLYSET", "true")
			words = words[1:]
		}
		if len(words) < 2 || words[0] != "kubectl" {
			t.Fatalf("README's ApplySet recipe: %q is no kubectl command", line)
		}
		args := words[1:]
		for i, w := range args {
			switch {
			case strings.HasPrefix(w, "deploy/"):
				args[i] = "../" + w
			case strings.HasPrefix(w, "--applyset=configmaps/"):
				parent = strings.TrimPrefix(w, "--applyset=configmaps/")
			case i > 0 && args[i-1] == "-n":
				ns = w
			}
		}
		if stdout, stderr, err := k8s.run(args...); err != nil {
			t.Fatalf("%s: %v\n%s%s", strings.TrimSpace(line), err, stdout, stderr)
		}
	}
	if parent == "" || ns == "" {
		t.Fatalf("README's ApplySet recipe names no parent and namespace:\n%s", m[1])
	}
	// the render names the parent the recipe gives
	doc, err := os.ReadFile("../deploy/shop/prod/web/05-deployment-web.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := "kdecl.dev/applyset: " + ns + "/" + parent + "\n"; !strings.Contains(string(doc), want) {
		t.Errorf("deploy/shop/prod names another parent than the README's %s/%s", ns, parent)
	}
	stdout, stderr, err := k8s.run("get", "deployment/web", "-n", ns, "-o", `jsonpath={.metadata.labels.applyset\.kubernetes\.io/part-of}`)
	if err != nil || stdout != applySetID(parent, ns) {
		t.Errorf("deployment/web after the README's recipe: part-of %q (%v%s), want %s", stdout, err, stderr, applySetID(parent, ns))
	}
}
