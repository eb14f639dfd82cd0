package manifest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kdecl/kdecl/schema"
)

// update is accepted so that go test ./... -update works in every package.
var _ = flag.Bool("update", false, "no golden files in this package")

// references are the book's hand-written manifests, as the book has them.
const references = "../../testdata/kfd"

// TestReadReferences reads the book's manifests, a directory of them, and
// finds every object, where it starts; upgraded, each decodes strictly
// into its k8s.io/api type.
func TestReadReferences(t *testing.T) {
	docs, _, err := ReadPaths([]string{references}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		got = append(got, strings.TrimPrefix(filepath.ToSlash(d.Source), references+"/")+" "+d.Kind()+"/"+d.Name())
	}
	want := []string{
		"celery-0.4.0/celery-worker.yaml:2 Deployment/celery-worker",
		"celery-0.4.0/queue-config.yaml:2 ConfigMap/bitnami-rabbitmq-config",
	}
	for _, w := range want {
		if !contains(got, w) {
			t.Errorf("missing %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	if !contains(got, "flask-0.7.0/flask.yml:3 Service/flask-service") {
		t.Errorf("the Service of flask.yml starts after its comment, on line 3:\n%s", strings.Join(got, "\n"))
	}
	for _, d := range docs {
		if _, err := Upgrade(d.Object); err != nil {
			t.Fatalf("%s: %v", d.Source, err)
		}
		decodeStrictly(t, d)
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// decodeStrictly fails unless d decodes into its k8s.io/api type with no
// unknown field.
func decodeStrictly(t *testing.T, d Doc) {
	t.Helper()
	obj, ok := schema.NewObject(d.APIVersion(), d.Kind())
	if !ok {
		t.Fatalf("%s: k8s.io/api has no %s %s", d.Source, d.APIVersion(), d.Kind())
	}
	b, err := json.Marshal(d.Object)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		t.Fatalf("%s: %s %s: %v", d.Source, d.APIVersion(), d.Kind(), err)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // Source kind/name
		err      string
	}{
		{"documents", "# c\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n--- # two\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
			[]string{"f:3 ConfigMap/a", "f:9 ConfigMap/b"}, ""},
		{"json", `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}`, []string{"f:1 Service/s"}, ""},
		{"list", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n",
			[]string{"f:1#0 ConfigMap/a", "f:1#1 Secret/b"}, ""},
		{"typed list", `{"apiVersion": "v1", "kind": "ServiceList", "items": [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}]}`,
			[]string{"f:1#0 Service/s"}, ""},
		{"empty list", "apiVersion: v1\nkind: List\nitems: null\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
			[]string{"f:5 ConfigMap/a"}, ""}, // kubectl get of nothing
		{"bad yaml", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: [\n", nil, "f:5: "},
		{"key twice", "apiVersion: v1\nkind: ConfigMap\n---\n# a comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: \"1\", x: \"2\"}\n", nil, `f:8: key "x" already set in map`},
		{"no kind", "---\napiVersion: v1\nmetadata: {name: a}\n", nil, "f:2: an object needs apiVersion and kind"},
		{"scalar", "---\nhello\n", nil, "f:2: not an object"},
		{"list item", "apiVersion: v1\nkind: List\nitems: [{kind: ConfigMap}]\n", nil, "f:1: item 0 of the List needs apiVersion and kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := Parse("f", []byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("error %v, want one starting %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range docs {
				got = append(got, d.Source+" "+d.Kind()+"/"+d.Name())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadPaths: a directory is read as kubectl apply -R reads it, hidden
// entries aside; stdin is "-".
func TestReadPaths(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"a.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		"sub/b.json":     `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}`,
		"sub/c.yml":      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
		"notes.txt":      "not a manifest",
		".git/d.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n",
		"sub/.hidden.ym": "x",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, _, err := ReadPaths([]string{dir, "-"}, strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		got = append(got, d.Name())
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "e"}, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if _, _, err := ReadPaths([]string{filepath.Join(dir, "missing")}, nil); err == nil {
		t.Error("a missing path was read")
	}
	if _, _, err := ReadPaths([]string{filepath.Join(dir, ".git")}, nil); err != nil {
		t.Errorf("a directory given by name is read even if hidden: %v", err)
	}
}

// TestClean: what kubectl get -o yaml prints of objects applied from a
// manifest comes back to the manifest.
func TestClean(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"nulls", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:metrics-reader
  labels:
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac: "true"}, matchExpressions: null}]
rules:
`, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:metrics-reader
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac: "true"}}]
`},
		{"deployment", `
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    deployment.kubernetes.io/revision: "1"
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"apps/v1"}
    team: web
  creationTimestamp: "2026-11-26T10:00:00Z"
  generation: 1
  labels: {applyset.kubernetes.io/part-of: applyset-XSWYmcrZ-k93Kvxn6q7awfWF30oO0Q_h8mDyWe3wUgM-v1}
  managedFields: [{manager: kubectl}]
  name: web
  namespace: shop
  resourceVersion: "123"
  uid: 0b2a
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      creationTimestamp: null
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx}]
status:
  replicas: 2
`, `
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations: {team: web}
  name: web
  namespace: shop
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx}]
`},
		{"service", `
apiVersion: v1
kind: Service
metadata: {name: web, uid: x}
spec:
  clusterIP: 10.0.0.7
  clusterIPs: [10.0.0.7]
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  ports: [{port: 80}]
  selector: {app: web}
status: {loadBalancer: {}}
`, `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80}]
  selector: {app: web}
`},
		{"written cluster IP", `
apiVersion: v1
kind: Service
metadata: {name: dns}
spec: {clusterIP: 10.96.0.10, ipFamilyPolicy: SingleStack, ipFamilies: [IPv6]}
`, `
apiVersion: v1
kind: Service
metadata: {name: dns}
spec: {clusterIP: 10.96.0.10, ipFamilyPolicy: SingleStack, ipFamilies: [IPv6]}
`}, // an author's, not allocated: the server returned no uid, resourceVersion nor creationTimestamp
		{"headless service", `
apiVersion: v1
kind: Service
metadata: {name: db, resourceVersion: "7"}
spec:
  clusterIP: None
  clusterIPs: [None]
  ipFamilyPolicy: RequireDualStack
`, `
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  ipFamilyPolicy: RequireDualStack
`},
		{"job", `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  selector: {matchLabels: {batch.kubernetes.io/controller-uid: u}}
  template:
    metadata:
      labels: {batch.kubernetes.io/controller-uid: u, batch.kubernetes.io/job-name: migrate, controller-uid: u, job-name: migrate, app: migrate}
    spec:
      restartPolicy: Never
      containers: [{name: m, image: m}]
`, `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    metadata:
      labels: {app: migrate}
    spec:
      restartPolicy: Never
      containers: [{name: m, image: m}]
`},
		{"bound claim", `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  annotations: {pv.kubernetes.io/bind-completed: "yes", volume.kubernetes.io/storage-provisioner: x}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
  volumeName: pvc-123
status: {phase: Bound}
`, `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`},
		{"pre-bound claim", `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {volumeName: pv-1}
`, `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {volumeName: pv-1}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := object(t, tc.got), object(t, tc.want)
			Clean(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func object(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUpgrade(t *testing.T) {
	for _, tc := range []struct{ name, in, want, note string }{
		{"deployment apps/v1beta1", `
apiVersion: apps/v1beta1
kind: Deployment
metadata: {name: flask}
spec:
  template:
    metadata: {labels: {app: flask}}
    spec: {containers: [{name: flask, image: flask}]}
`, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: flask}
spec:
  revisionHistoryLimit: 2
  selector: {matchLabels: {app: flask}}
  template:
    metadata: {labels: {app: flask}}
    spec: {containers: [{name: flask, image: flask}]}
`, "Deployment apps/v1beta1 → apps/v1 (selector from the pod labels; revisionHistoryLimit: 2 as apps/v1beta1 defaulted it)"},
		{"deployment extensions/v1beta1", `
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  rollbackTo: {revision: 1}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
`, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  progressDeadlineSeconds: 2147483647
  revisionHistoryLimit: 2147483647
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
`, ""},
		{"daemonset extensions/v1beta1", `
apiVersion: extensions/v1beta1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: agent}]}
`, `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: OnDelete}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: agent}]}
`, ""},
		{"cronjob", `
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: c}
spec: {schedule: "* * * * *", jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: c}]}}}}}
`, `
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec: {schedule: "* * * * *", jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: c}]}}}}}
`, "CronJob batch/v1beta1 → batch/v1"},
		{"ingress", `
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: web}
spec:
  backend: {serviceName: web, servicePort: 80}
  rules:
  - host: example.com
    http:
      paths:
      - path: /
        backend: {serviceName: web, servicePort: http}
`, `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules:
  - host: example.com
    http:
      paths:
      - path: /
        pathType: ImplementationSpecific
        backend: {service: {name: web, port: {name: http}}}
`, "Ingress extensions/v1beta1 → networking.k8s.io/v1"},
		{"current", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web}]}}}
`, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web}]}}}
`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := object(t, tc.in), object(t, tc.want)
			note, err := Upgrade(got)
			if err != nil {
				t.Fatal(err)
			}
			// Numbers as the JSON of a manifest has them.
			got, want = roundTrip(t, got), roundTrip(t, want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if tc.note != "" && note != tc.note {
				t.Errorf("note %q, want %q", note, tc.note)
			}
			if tc.name == "current" && note != "" {
				t.Errorf("a current object was upgraded: %q", note)
			}
			decodeStrictly(t, Doc{Source: tc.name, Object: got})
		})
	}
	if _, err := Upgrade(object(t, "apiVersion: apps/v1beta1\nkind: Deployment\nspec: {template: {spec: {}}}\n")); err == nil {
		t.Error("a Deployment with neither selector nor pod labels was upgraded")
	}
}

func roundTrip(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKustomize builds an overlay of a base with kustomize: the objects
// of the build, each with the file or generator it comes from, without
// kustomize's origin annotation; a broken kustomization is an error that
// names its directory.
func TestKustomize(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"base/kustomization.yaml":     "resources: [service.yaml]\n",
		"base/service.yaml":           "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n",
		"prod/kustomization.yml":      "namespace: shop\nresources: [../base]\nconfigMapGenerator: [{name: web-config, literals: [A=1]}]\nbuildMetadata: [managedByLabel]\n",
		"broken/kustomization.yaml":   "resources: [missing.yaml]\n",
		"remote/kustomization.yaml":   "resources: [../base, https://example.com/r.yaml]\n",
		"deep/kustomization.yaml":     "resources: [../remote]\n",
		"tree/plain.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\n",
		"tree/app/kustomization.yaml": "resources: [../plain.yaml]\n",
		"bin/kustomization.yaml":      "configMapGenerator: [{name: icons, files: [icon.bin]}]\n",
		"bin/icon.bin":                strings.Repeat("\x00\x01\xfe\xff", 40),
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prod := filepath.Join(dir, "prod")
	docs, notes, err := ReadPaths([]string{prod}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		ns, _ := Get(d.Object, "metadata", "namespace").(string)
		got = append(got, fmt.Sprintf("%s %s/%s/%s %v", strings.TrimPrefix(d.Source, dir+"/"), d.Kind(), ns, d.Name(), Get(d.Object, "metadata", "annotations")))
	}
	want := []string{
		"base/service.yaml Service/shop/web <nil>",
		"prod/kustomization.yml (configMapGenerator) ConfigMap/shop/web-config-89g4tffbfk <nil>",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kustomize build (-want +got):\n%s", diff)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "built with kustomize (kustomization.yml): 2 objects, generated: ConfigMap web-config-89g4tffbfk") {
		t.Errorf("notes = %q, want the build's", notes)
	}
	// A missing file, or a URL, is never fetched: kustomize would try the
	// network for either.
	for _, d := range []string{"broken", "remote", "deep"} {
		if _, _, err := ReadPaths([]string{filepath.Join(dir, d)}, nil); err == nil || !strings.Contains(err.Error(), "local files only") {
			t.Errorf("%s: err = %v, want a kustomization of local files only", d, err)
		}
	}
	for _, p := range []string{"tree", "tree/app/kustomization.yaml"} {
		if _, _, err := ReadPaths([]string{filepath.Join(dir, p)}, nil); err == nil || !strings.Contains(err.Error(), "kdecl builds with kustomize") {
			t.Errorf("%s: err = %v, want the kustomization's directory to import", p, err)
		}
	}
	docs, _, err = ReadPaths([]string{filepath.Join(dir, "bin")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := Get(docs[0].Object, "binaryData", "icon.bin").(string); strings.ContainsAny(b, "\n ") || len(b) != 216 {
		t.Errorf("binaryData of a generated ConfigMap: %q, want base64 of 160 bytes on one line", b)
	}
}

// TestKustomizeSecretNames: a Secret kustomize generates is named, and
// referred to, without the hash of its values (which kdecl never has),
// unless its generator asks for no hash; a ConfigMap keeps its hash.
func TestKustomizeSecretNames(t *testing.T) {
	dir := t.TempDir()
	k := `resources: [web.yaml]
secretGenerator:
- {name: creds, literals: [password=hunter2]}
- {name: plain, literals: [a=b], options: {disableNameSuffixHash: true}}
configMapGenerator:
- {name: settings, literals: [A=1]}
`
	web := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web:1
        envFrom: [{configMapRef: {name: settings}}, {secretRef: {name: plain}}]
        env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}]
      volumes: [{name: c, secret: {secretName: creds}}]
`
	for name, data := range map[string]string{"kustomization.yaml": k, "web.yaml": web} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, notes, err := ReadPaths([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var refs []any
	for _, d := range docs {
		names = append(names, d.Kind()+"/"+d.Name())
		if d.Kind() == "Deployment" {
			spec := Get(d.Object, "spec", "template", "spec").(map[string]any)
			c := spec["containers"].([]any)[0].(map[string]any)
			refs = append(refs, Get(c, "env").([]any)[0].(map[string]any)["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)["name"],
				c["envFrom"].([]any)[1].(map[string]any)["secretRef"].(map[string]any)["name"],
				spec["volumes"].([]any)[0].(map[string]any)["secret"].(map[string]any)["secretName"])
		}
	}
	slices.Sort(names)
	if want := []string{"ConfigMap/settings-89g4tffbfk", "Deployment/web", "Secret/creds", "Secret/plain"}; !slices.Equal(names, want) {
		t.Errorf("objects %q, want %q", names, want)
	}
	if want := []any{"creds", "plain", "creds"}; !slices.Equal(refs, want) {
		t.Errorf("references %q, want %q", refs, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "Secret creds-") || !strings.Contains(notes[0], "is creds, without the hash of its values") {
		t.Errorf("notes = %q, want the rename said", notes)
	}
}
