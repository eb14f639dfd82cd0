package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// reviewCase is a change of a stack: the old stack and the new one, as
// apps (and other top-level fields) under a namespace of the case's own,
// and the classes the review must find, over all objects.
type reviewCase struct {
	name     string
	old, new string
	classes  []string
}

// reviewCatalogue are the changes TestReviewCatalogue proves: one per class
// and per immutable field kdecl renders, and harmless ones.
var reviewCatalogue = []reviewCase{
	{"an image", `apps: web: {image: "nginx:1.27", ports: http: 80}`,
		`apps: web: {image: "nginx:1.28", ports: http: 80}`, []string{"rollout"}},
	// The API server refuses white space around an image, not control
	// characters or bidi overrides in it: review must print them escaped.
	{"an image with terminal escapes", `apps: web: {image: "nginx:1.27", ports: http: 80}`,
		`apps: web: {image: "nginx:1.28\u001b[2J\u202e\u009b", ports: http: 80}`, []string{"rollout"}},
	{"a config value", `apps: web: {image: "nginx:1.27", config: env: MODE: "a"}`,
		`apps: web: {image: "nginx:1.27", config: env: MODE: "b"}`, []string{"rollout"}},
	{"replicas", `apps: web: {image: "nginx:1.27", replicas: 2}`,
		`apps: web: {image: "nginx:1.27", replicas: 4}`, []string{"scale"}},
	{"resources", `apps: web: {image: "nginx:1.27", resources: requests: cpu: "100m"}`,
		`apps: web: {image: "nginx:1.27", resources: requests: cpu: "200m"}`, []string{"rollout", "scale"}},
	{"an annotation", `apps: web: {image: "nginx:1.27", ports: http: 80, annotations: team: "a"}`,
		`apps: web: {image: "nginx:1.27", ports: http: 80, annotations: team: "b"}`, nil},
	{"a Service's annotation", `apps: web: {image: "nginx:1.27", ports: http: 80}`,
		`apps: web: {image: "nginx:1.27", ports: http: 80, expose: annotations: "example.com/owner": "team-a"}`, nil},
	{"a NodePort Service", `apps: web: {image: "nginx:1.27", ports: http: 80}`,
		`apps: web: {image: "nginx:1.27", ports: http: 80, expose: type: "NodePort"}`, []string{"exposure"}},
	{"a new port", `apps: web: {image: "nginx:1.27", ports: http: 80}`,
		`apps: web: {image: "nginx:1.27", ports: {http: 80, admin: 9000}}`, []string{"rollout", "exposure"}},
	{"host networking and a host port", `apps: agent: {kind: "daemonset", image: "node-exporter:v1.8.2", ports: metrics: 9100}`,
		`apps: agent: {kind: "daemonset", image: "node-exporter:v1.8.2", ports: metrics: {port: 9100, hostPort: 9100}, overrides: pod: hostNetwork: true}`,
		[]string{"rollout", "exposure"}},
	{"a new Secret key", `apps: api: {image: "api:1.0.0", secrets: env: DB_PASSWORD: {secret: "db", key: "password"}}`,
		`apps: api: {image: "api:1.0.0", secrets: env: {DB_PASSWORD: {secret: "db", key: "password"}, DB_USER: {secret: "db", key: "user"}}}`,
		[]string{"rollout", "secret"}},
	{"a claim template's size", statefulSet("1Gi", "OrderedReady", 2), statefulSet("2Gi", "OrderedReady", 2), []string{"recreate"}},
	{"a statefulset's pod management", statefulSet("1Gi", "OrderedReady", 2), statefulSet("1Gi", "Parallel", 2), []string{"recreate"}},
	{"a claim template's annotation", statefulSet("1Gi", "OrderedReady", 2),
		strings.Replace(statefulSet("1Gi", "OrderedReady", 2), `mountPath: "/data"}`, `mountPath: "/data", annotations: "backup.example.com/schedule": "daily"}`, 1),
		[]string{"recreate"}},
	{"a statefulset that starts sharing a headless Service",
		`apps: p: {kind: "statefulset", image: "redis:7.4", ports: redis: 6379, headless: name: "peers"}
apps: r: {kind: "statefulset", image: "redis:7.4", ports: redis: 6379}`,
		`apps: p: {kind: "statefulset", image: "redis:7.4", ports: redis: 6379, headless: name: "peers"}
apps: r: {kind: "statefulset", image: "redis:7.4", ports: redis: 6379, headless: name: "peers"}`,
		[]string{"rollout", "recreate", "removed"}},
	{"a statefulset scaled down", statefulSet("1Gi", "OrderedReady", 3), statefulSet("1Gi", "OrderedReady", 1), []string{"data-loss", "scale"}},
	{"a claim's storage class", `apps: cache: {image: "redis:7.4", strategy: type: "Recreate", storage: data: {size: "1Gi", mountPath: "/data", storageClass: "standard"}}`,
		`apps: cache: {image: "redis:7.4", strategy: type: "Recreate", storage: data: {size: "1Gi", mountPath: "/data", storageClass: "fast"}}`,
		[]string{"recreate"}},
	{"a smaller claim", `apps: cache: {image: "redis:7.4", strategy: type: "Recreate", storage: data: {size: "2Gi", mountPath: "/data"}}`,
		`apps: cache: {image: "redis:7.4", strategy: type: "Recreate", storage: data: {size: "1Gi", mountPath: "/data"}}`,
		[]string{"recreate"}},
	{"a persistent volume turned emptyDir", `apps: cache: {image: "redis:7.4", strategy: type: "Recreate", storage: data: {size: "1Gi", mountPath: "/data"}}`,
		`apps: cache: {image: "redis:7.4", strategy: type: "Recreate", storage: data: {type: "emptyDir", mountPath: "/data"}}`,
		[]string{"rollout", "data-loss", "removed"}},
	{"a renamed stack: the selectors", `name: "one"
apps: web: {image: "nginx:1.27", ports: http: 80}`, `name: "two"
apps: web: {image: "nginx:1.27", ports: http: 80}`, []string{"rollout", "recreate"}},
	{"a Service's cluster IP", `apps: web: {image: "nginx:1.27", ports: http: 80}`,
		`apps: web: {image: "nginx:1.27", ports: http: 80, overrides: service: spec: clusterIP: "10.0.0.250"}`, []string{"recreate"}},
	{"an immutable ConfigMap", `objects: settings: {apiVersion: "v1", kind: "ConfigMap", immutable: true, data: MODE: "a"}`,
		`objects: settings: {apiVersion: "v1", kind: "ConfigMap", immutable: true, data: MODE: "b"}`, []string{"recreate"}},
	{"a RoleBinding's role", roleBinding("view"), roleBinding("edit"), []string{"recreate"}},
	{"a binding to cluster-admin", `apps: web: image: "nginx:1.27"`,
		binding("ClusterRoleBinding", "catalogue-deployers", "cluster-admin", deployer), []string{"added", "exposure"}},
	{"a subject of cluster-admin more", binding("ClusterRoleBinding", "catalogue-admins", "cluster-admin", deployer),
		binding("ClusterRoleBinding", "catalogue-admins", "cluster-admin", deployer+`, {kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io"}`),
		[]string{"exposure"}},
	{"a role for anyone without credentials", binding("RoleBinding", "readers", "view", deployer),
		binding("RoleBinding", "readers", "view", deployer+`, {kind: "Group", name: "system:unauthenticated", apiGroup: "rbac.authorization.k8s.io"}`),
		[]string{"exposure"}},
	{"a container runtime's socket read-only", agent(""),
		agent(`storage: docker: {hostPath: {path: "/var/run/docker.sock", type: "Socket"}, mountPath: "/var/run/docker.sock", readOnly: true}`),
		[]string{"rollout", "exposure"}},
	{"the node's root read-only", agent(""), agent(`storage: root: {hostPath: path: "/", mountPath: "/host", readOnly: true}`), []string{"rollout"}},
	{"the node's root read-write", agent(""), agent(`storage: root: {hostPath: path: "/", mountPath: "/host"}`), []string{"rollout", "exposure"}},
	{"the host's processes", agent(""), agent(`overrides: pod: hostPID: true`), []string{"rollout", "exposure"}},
	{"a changed job", `apps: migrate: {kind: "job", image: "busybox:1.36", command: ["echo", "one"]}`,
		`apps: migrate: {kind: "job", image: "busybox:1.36", command: ["echo", "two"]}`, []string{"removed", "added"}},
	{"an app removed", `apps: {web: {image: "nginx:1.27"}, old: {image: "nginx:1.27"}}`,
		`apps: web: {image: "nginx:1.27"}`, []string{"removed"}},
	{"an Ingress host more", `apps: web: {image: "nginx:1.27", ports: http: 80, expose: ingress: hosts: ["a.example.com"]}`,
		`apps: web: {image: "nginx:1.27", ports: http: 80, expose: ingress: hosts: ["a.example.com", "b.example.com"]}`, []string{"exposure"}},
	{"a use more under network policies", `networkPolicies: {}
apps: {web: {image: "nginx:1.27", ports: http: 80}, api: {image: "nginx:1.27", ports: http: 80}}`, `networkPolicies: {}
apps: {web: {image: "nginx:1.27", ports: http: 80, uses: api: {}}, api: {image: "nginx:1.27", ports: http: 80}}`, []string{"rollout", "exposure"}},
	{"network policies no more", `networkPolicies: {}
apps: web: {image: "nginx:1.27", ports: http: 80}`, `apps: web: {image: "nginx:1.27", ports: http: 80}`, []string{"removed", "exposure"}},
	{"a disruption budget's number", `apps: web: {image: "nginx:1.27", replicas: 3, disruption: maxUnavailable: 1}`,
		`apps: web: {image: "nginx:1.27", replicas: 3, disruption: maxUnavailable: "50%"}`, nil},
	{"a statefulset's headless Service renamed", `apps: db: {kind: "statefulset", image: "redis:7.4", ports: redis: 6379}`,
		`apps: db: {kind: "statefulset", image: "redis:7.4", ports: redis: 6379, headless: name: "db-peers"}`, []string{"recreate", "removed", "added"}},
}

func statefulSet(size, policy string, replicas int) string {
	return fmt.Sprintf(`apps: db: {kind: "statefulset", image: "redis:7.4", replicas: %d, podManagementPolicy: %q, ports: redis: 6379, storage: data: {size: %q, mountPath: "/data"}}`,
		replicas, policy, size)
}

func roleBinding(role string) string {
	return binding("RoleBinding", "readers", role, `{kind: "ServiceAccount", name: "default", namespace: "default"}`)
}

// deployer is a subject of a binding: a service account.
const deployer = `{kind: "ServiceAccount", name: "deployer", namespace: "default"}`

// binding is a stack with a RoleBinding or ClusterRoleBinding, kind, named
// name, of the ClusterRole role to subjects, beside an app.
func binding(kind, name, role, subjects string) string {
	return fmt.Sprintf(`objects: %q: {
	apiVersion: "rbac.authorization.k8s.io/v1"
	kind:       %q
	roleRef: {apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: %q}
	subjects: [%s]
}
apps: web: image: "nginx:1.27"`, name, kind, role, subjects)
}

// agent is a stack of a node agent, a daemonset, with the fields extra.
func agent(extra string) string {
	return `apps: agent: {kind: "daemonset", image: "node-exporter:v1.8.2", ` + extra + `}`
}

// TestReviewCatalogue applies the old render of each change for real,
// reviews the change, and applies the new render. The review must agree
// with the server: recreate exactly when the apply is refused as
// immutable, rollout exactly for the workloads whose stored pod template
// (and generation) the apply changes, and no class for a change the
// server applies without touching pods.
func TestReviewCatalogue(t *testing.T) {
	if len(reviewCatalogue) < 15 {
		t.Fatalf("%d changes in the catalogue, want at least 15", len(reviewCatalogue))
	}
	for i, tc := range reviewCatalogue {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := fmt.Sprintf("catalogue-%d", i)
			old, new := t.TempDir(), t.TempDir()
			renderStack(t, "package shop\nnamespace: \""+ns+"\"\n"+tc.old, old)
			renderStack(t, "package shop\nnamespace: \""+ns+"\"\n"+tc.new, new)

			if out, stderr, err := k8s.run("apply", "-f", old, "-R"); err != nil {
				t.Fatalf("apply the old render: %v\n%s%s", err, out, stderr)
			}
			before := workloads(t, ns)

			cmd := exec.Command(kdecl, "review", "--from", old, "--to", new, "--format", "json")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("kdecl review: %v\n%s", err, out)
			}
			text, err := exec.Command(kdecl, "review", "--from", old, "--to", new).Output()
			if err != nil {
				t.Fatalf("kdecl review: %v\n%s", err, text)
			}
			if i := strings.IndexFunc(string(text), func(r rune) bool { return r != '\n' && !strconv.IsGraphic(r) }); i >= 0 {
				t.Errorf("review prints %q, which is not printable:\n%q", []rune(string(text[i:]))[0], text)
			}
			var changes []struct {
				Object  string
				Classes []string
			}
			if err := json.Unmarshal(out, &changes); err != nil {
				t.Fatal(err)
			}
			classes := map[string][]string{} // Kind/name → classes
			var all []string
			for _, c := range changes {
				parts := strings.Split(c.Object, "/")
				classes[parts[0]+"/"+parts[2]] = c.Classes
				for _, k := range c.Classes {
					if !slices.Contains(all, k) {
						all = append(all, k)
					}
				}
			}
			slices.Sort(all)
			want := slices.Sorted(slices.Values(tc.classes))
			if !slices.Equal(all, want) {
				t.Errorf("review finds %v, want %v:\n%s", all, want, out)
			}

			_, stderr, err := k8s.run("apply", "-f", new, "-R")
			refused := err != nil
			immutable := refused && regexpImmutable(stderr)
			if refused && !immutable {
				t.Fatalf("apply the new render failed, not as immutable:\n%s", stderr)
			}
			if recreate := slices.Contains(all, "recreate"); recreate != immutable {
				t.Errorf("review says recreate: %v; the server refused the apply as immutable: %v\n%s", recreate, immutable, stderr)
			}
			after := workloads(t, ns)
			for key, b := range before {
				a, ok := after[key]
				kind, name, _ := strings.Cut(key, "/")
				if !ok || regexp.MustCompile(kind+`(\.[a-z.]+)? "`+name+`" is invalid`).MatchString(stderr) {
					continue // removed, or an object the server refused
				}
				rolled := a.Generation > b.Generation && !reflect.DeepEqual(a.Template, b.Template)
				if got := slices.Contains(classes[key], "rollout"); got != rolled {
					t.Errorf("%s: review says rollout: %v; the server's pod template changed: %v (generation %d → %d)",
						key, got, rolled, b.Generation, a.Generation)
				}
			}
		})
	}
}

// renderStack renders the CUE of a stack into out.
func renderStack(t *testing.T, cue, out string) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stack.cue"), []byte(cue))
	render(t, dir, out)
}

type workload struct {
	Generation int64
	Template   any
}

// workloads are the Deployments, StatefulSets and DaemonSets of a
// namespace as the server stores them, by Kind/name.
func workloads(t *testing.T, ns string) map[string]workload {
	t.Helper()
	out, stderr, err := k8s.run("get", "deployments,statefulsets,daemonsets", "-n", ns, "-o", "json")
	if err != nil {
		t.Fatalf("kubectl get: %v\n%s", err, stderr)
	}
	var list struct {
		Items []struct {
			Kind     string
			Metadata struct {
				Name       string
				Generation int64
			}
			Spec struct{ Template any }
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	m := map[string]workload{}
	for _, it := range list.Items {
		m[it.Kind+"/"+it.Metadata.Name] = workload{it.Metadata.Generation, it.Spec.Template}
	}
	return m
}

// regexpImmutable is whether kubectl's error is the API server refusing
// a change in place.
func regexpImmutable(stderr string) bool {
	for _, s := range []string{"field is immutable", "Forbidden: updates to statefulset spec", "may not change once set",
		"spec is immutable", "cannot change roleRef", "Forbidden: field is immutable when `immutable` is set", "field can not be less than"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}
