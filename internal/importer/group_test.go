package importer

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kdecl/kdecl/internal/manifest"
)

// update is accepted so that go test ./... -update works in every package.
var _ = flag.Bool("update", false, "no golden files in this package")

// read reads, cleans and upgrades the manifests at paths.
func read(t *testing.T, paths ...string) []manifest.Doc {
	t.Helper()
	docs, _, err := manifest.ReadPaths(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		manifest.Clean(d.Object)
		if _, err := manifest.Upgrade(d.Object); err != nil {
			t.Fatal(err)
		}
	}
	return docs
}

// summary writes a plan one line per app, shared config and object.
func summary(p *Plan) []string {
	var out []string
	names := func(docs []manifest.Doc) string {
		var n []string
		for _, d := range docs {
			n = append(n, d.Name())
		}
		return strings.Join(n, ",")
	}
	for _, a := range p.Apps {
		out = append(out, fmt.Sprintf("app %s: %s %s; services %s; configmaps %s; claims %s",
			a.Name, a.Workload.Kind(), a.Workload.Name(), names(a.Services), names(a.ConfigMaps), names(a.Claims)))
	}
	for _, name := range slices.Sorted(maps.Keys(p.Shared)) {
		out = append(out, fmt.Sprintf("shared %s: %s", name, strings.Join(p.Shared[name].Apps, ",")))
	}
	for _, d := range p.Objects {
		out = append(out, "object "+d.Kind()+"/"+d.Name())
	}
	out = append(out, "secrets "+strings.Join(p.Secrets, ","))
	return out
}

// TestGroupReferences groups the book's manifests as kdecl's stacks of
// them have it: each workload an app with its Service, ConfigMap and
// claim; the ConfigMap of celery's worker and queue shared.
func TestGroupReferences(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"flask-0.7.0", []string{
			"app flask-service: Deployment flask; services flask-service; configmaps flask-config; claims ",
			"app redis-service: Deployment redis-master; services redis-service; configmaps ; claims ",
			"object PersistentVolumeClaim/redis-pv-claim", // not named as kdecl names it: it keeps its name
			"secrets ",
		}},
		{"celery-0.4.0", []string{
			"app celery-worker: Deployment celery-worker; services ; configmaps ; claims ",
			"app message-queue: Deployment rabbitmq; services message-queue; configmaps ; claims ",
			"shared bitnami-rabbitmq-config: celery-worker,message-queue",
			"object PersistentVolumeClaim/rabbitmq-pv-claim",
			"secrets ",
		}},
		{"nodejs-0.4.0", []string{
			"app nodejs: StatefulSet nodejs; services nodejs-service; configmaps nodejs-config; claims ",
			"app redis-service: Deployment redis-master; services redis-service; configmaps ; claims ",
			"object PersistentVolumeClaim/redis-pv-claim",
			"secrets ",
		}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			p := Group(read(t, "../../testdata/kfd/"+tc.dir))
			if diff := cmp.Diff(tc.want, summary(p)); diff != "" {
				t.Fatalf("(-want +got):\n%s\nnotes:\n%s", diff, strings.Join(p.Notes, "\n"))
			}
		})
	}
}

func TestGroup(t *testing.T) {
	docs, err := manifest.Parse("m.yaml", []byte(`
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: Web_Front, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      imagePullSecrets: [{name: registry}]
      containers:
      - name: web
        image: web
        envFrom: [{secretRef: {name: web-env}}]
        env: [{name: A, valueFrom: {configMapKeyRef: {name: shared, key: a}}}]
      volumes:
      - {name: data, persistentVolumeClaim: {claimName: both}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api, tier: front}}
    spec:
      containers: [{name: api, image: api}]
      volumes:
      - {name: data, persistentVolumeClaim: {claimName: both}}
      - name: p
        projected: {sources: [{configMap: {name: shared}}, {secret: {name: tls}}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec:
  template:
    metadata: {labels: {tier: front}}
    spec: {restartPolicy: Never, containers: [{name: m, image: m}]}
---
apiVersion: v1
kind: Service
metadata: {name: front, namespace: shop}
spec: {selector: {tier: front}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: nobody, namespace: shop}
spec: {selector: {app: gone}, ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: shared, namespace: shop}
data: {a: "1"}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: both, namespace: shop}
spec: {accessModes: [ReadWriteMany], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Secret
metadata: {name: given, namespace: shop}
stringData: {password: x}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-applyset
  namespace: shop
  labels: {applyset.kubernetes.io/id: applyset-XSWYmcrZ-k93Kvxn6q7awfWF30oO0Q_h8mDyWe3wUgM-v1}
  annotations: {applyset.kubernetes.io/tooling: kubectl/v1.37.2, applyset.kubernetes.io/contains-group-kinds: "Deployment.apps"}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := Group(docs)
	want := []string{
		"app web-front: Deployment Web_Front; services ; configmaps ; claims ",
		"app api: Deployment api; services ; configmaps ; claims ",
		"app migrate: Job migrate; services ; configmaps ; claims ",
		"object Service/front",
		"object Service/nobody",
		"object ConfigMap/shared",
		"object PersistentVolumeClaim/both",
		"object PodDisruptionBudget/web",
		"secrets given,registry,tls,web-env",
	}
	if diff := cmp.Diff(want, summary(p)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if p.Namespace != "shop" {
		t.Errorf("namespace %q, want shop", p.Namespace)
	}
	wantNotes := []string{
		"Deployment Web_Front: the app is called web-front (an app name is at most 52 lowercase letters, digits and '-')",
		"Service front: selects the pods of web-front and api, kept as an object",
		"Service nobody: selects the pods of no app, kept as an object",
		"Namespace shop: the stack's namespace, which kdecl renders",
		"ConfigMap shared: kept as an object, referred to by name by api (a projected volume, a prefix, another container)",
		"PersistentVolumeClaim both: mounted by web-front, api, kept as an object that each mounts as an existing claim",
		"Secret given: not imported, its values stay out of the stack; create it in the cluster",
		`ConfigMap shop-applyset: the parent of an ApplySet, which kubectl keeps, not imported; applySet: name: "shop-applyset" prunes with it`,
	}
	if diff := cmp.Diff(wantNotes, p.Notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func TestAppName(t *testing.T) {
	taken := map[string]bool{}
	for _, tc := range []struct{ in, want string }{
		{"web", "web"},
		{"web", "web-2"},
		{"Web.Front_1", "web-front-1"},
		{"9lives", "lives"},
		{"---", "app"},
		{strings.Repeat("a", 60), strings.Repeat("a", 52)},
		{strings.Repeat("a", 60), strings.Repeat("a", 50) + "-2"},
	} {
		got := appName(tc.in, taken)
		taken[got] = true
		if got != tc.want {
			t.Errorf("appName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSelectsLabels: a label selector selects as the API server's does:
// matchLabels and each of matchExpressions' operators; an empty one, or
// an operator the server refuses, selects nothing.
func TestSelectsLabels(t *testing.T) {
	labels := map[string]any{"app": "web", "tier": "front"}
	for _, tc := range []struct {
		sel  string
		want bool
	}{
		{`{"matchLabels": {"app": "web"}}`, true},
		{`{"matchLabels": {"app": "db"}}`, false},
		{`{"matchExpressions": [{"key": "app", "operator": "In", "values": ["db", "web"]}]}`, true},
		{`{"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]}`, false},
		{`{"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["db"]}]}`, true},
		{`{"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}`, false},
		{`{"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}`, true},
		{`{"matchExpressions": [{"key": "tier", "operator": "Exists"}]}`, true},
		{`{"matchExpressions": [{"key": "zone", "operator": "Exists"}]}`, false},
		{`{"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}`, true},
		{`{"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}`, false},
		{`{"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]}`, false},
		{`{"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}`, false},
		{`{}`, false},
	} {
		var sel map[string]any
		if err := json.Unmarshal([]byte(tc.sel), &sel); err != nil {
			t.Fatal(err)
		}
		if got := selectsLabels(sel, labels); got != tc.want {
			t.Errorf("%s selects %v: %v, want %v", tc.sel, labels, got, tc.want)
		}
	}
}
