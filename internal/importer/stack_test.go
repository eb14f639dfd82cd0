package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/schema"
)

// TestStackOfReferences writes a stack of each of the book's apps: a
// stack kdecl loads, whose native fields hold what the manifests say.
func TestStackOfReferences(t *testing.T) {
	for _, dir := range []string{"flask-0.7.0", "celery-0.4.0", "nodejs-0.4.0"} {
		t.Run(dir, func(t *testing.T) {
			p := Group(read(t, "../../testdata/kfd/"+dir))
			st, err := StackOf(p, "imported")
			if err != nil {
				t.Fatal(err)
			}
			src, err := st.Write()
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			if err := os.WriteFile(filepath.Join(out, "stack.cue"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := schema.Load(out)
			if err != nil {
				t.Fatalf("the stack does not load: %v\n%s", err, src)
			}
			if len(s.Apps) != len(p.Apps) {
				t.Fatalf("%d apps, want %d", len(s.Apps), len(p.Apps))
			}
			t.Logf("%s\nleft: %v\nnotes: %v", src, st.Left, st.Notes)
		})
	}
}

// TestStackOfFlask: what each field of flask's manifests becomes.
func TestStackOfFlask(t *testing.T) {
	st, err := StackOf(Group(read(t, "../../testdata/kfd/flask-0.7.0")), "imported")
	if err != nil {
		t.Fatal(err)
	}
	flask := st.Apps["flask-service"]
	want := map[string]any{
		"image":           "quay.io/kubernetes-for-developers/flask:0.7.0",
		"imagePullPolicy": "Always",
		"ports":           map[string]any{"http": 5000},
		"resources": map[string]any{
			"limits":   map[string]any{"cpu": "500m", "memory": "40Mi"},
			"requests": map[string]any{"cpu": "500m", "memory": "40Mi"},
		},
		"probes": map[string]any{
			"liveness":  map[string]any{"http": map[string]any{"path": "/alive", "port": "http"}, "initialDelaySeconds": 1, "periodSeconds": 15},
			"readiness": map[string]any{"http": map[string]any{"path": "/ready", "port": "http"}, "initialDelaySeconds": 5, "periodSeconds": 15},
		},
		"expose": map[string]any{"type": "NodePort", "annotations": map[string]any{"prometheus.io/scrape": "true"}},
		// flask-config is both the container's environment and files
		// at /etc/flask-config: each key is both.
		"config": map[string]any{
			"mountPath": "/etc/flask-config",
			"files": map[string]any{
				"CONFIG_FILE":   "/etc/flask-config/feature.flags",
				"feature.flags": "[features]\ngreeting=hello\ndebug=true\ndb=redis-service\n",
			},
			// CONFIG_FILE holds the path of feature.flags
			"fileEnv": map[string]any{"CONFIG_FILE": "feature.flags"},
		},
		"env": map[string]any{
			"feature.flags": "[features]\ngreeting=hello\ndebug=true\ndb=redis-service\n",
		},
		"labels":               map[string]any{"app": "flask"}, // the pods' labels
		"storage":              map[string]any{"cache-volume": map[string]any{"mountPath": "/opt/cache", "type": "emptyDir"}},
		"revisionHistoryLimit": 2, // as apps/v1beta1 defaulted it
		"sidecars": map[string]any{"jaeger-agent": map[string]any{
			"image":   "jaegertracing/jaeger-agent",
			"command": []string{"/go/bin/agent-linux", "--collector.host-port=jaeger-collector:14267"},
			"ports": map[string]any{
				"port-5775-udp": map[string]any{"port": 5775, "protocol": "UDP"},
				"port-5778":     5778,
				"port-6831-udp": map[string]any{"port": 6831, "protocol": "UDP"},
				"port-6832-udp": map[string]any{"port": 6832, "protocol": "UDP"},
			},
		}},
		// init-myservice waits for redis-service, the Service of redis-master, the app redis-service.
		"uses": []any{map[string]any{"app": "redis-service", "env": false}},
	}
	if diff := cmp.Diff(want, flask); diff != "" {
		t.Errorf("flask (-want +got):\n%s", diff)
	}
	if got := st.Left["flask-service"]; len(got) > 0 {
		t.Errorf("left of flask: %q, want nothing", got)
	}
	redis := st.Apps["redis-service"]
	wantRedis := map[string]any{
		"image":  "redis:4",
		"labels": map[string]any{"app": "redis", "role": "master", "tier": "backend"},
		"ports":  map[string]any{"port-6379": 6379},
		// redis-pv-claim keeps its name, and the data behind it
		"storage":              map[string]any{"redis-persistent-storage": map[string]any{"mountPath": "/data", "claim": "redis-pv-claim"}},
		"revisionHistoryLimit": 2,
	}
	if diff := cmp.Diff(wantRedis, redis); diff != "" {
		t.Errorf("redis-master (-want +got):\n%s", diff)
	}
	if got := st.Left["redis-service"]; len(got) > 0 {
		t.Errorf("left of redis-service: %q, want nothing", got)
	}
}

// TestStackOfStatefulSet: the claim templates of nodejs's StatefulSet are
// its storage, its update strategy is kdecl's, and its serviceName the
// name of kdecl's headless Service.
func TestStackOfStatefulSet(t *testing.T) {
	st, err := StackOf(Group(read(t, "../../testdata/kfd/nodejs-0.4.0")), "imported")
	if err != nil {
		t.Fatal(err)
	}
	nodejs := st.Apps["nodejs"]
	for field, want := range map[string]any{
		"kind":           "statefulset",
		"replicas":       5,
		"storage":        map[string]any{"datastore": map[string]any{"mountPath": "/opt/data", "size": "1Gi"}},
		"updateStrategy": map[string]any{"type": "RollingUpdate"},
		"ports":          map[string]any{"web": 3000},
		"headless":       map[string]any{"name": "nodejs-service"},
	} {
		if diff := cmp.Diff(want, nodejs[field]); diff != "" {
			t.Errorf("nodejs.%s (-want +got):\n%s", field, diff)
		}
	}
	for _, note := range st.Notes {
		if strings.Contains(note, "serviceName") {
			t.Errorf("note %q: kdecl keeps the serviceName", note)
		}
	}
	if got := st.Left["nodejs"]; len(got) > 0 {
		t.Errorf("left of nodejs: %q, want nothing", got)
	}
}

// TestRoundTripReferences imports each of the book's apps, renders the
// stack and compares: nothing differs but names, labels, and credentials
// moved to Secrets; nothing is left unsaid.
func TestRoundTripReferences(t *testing.T) {
	for _, tc := range []struct {
		dir         string
		credentials int
	}{{"flask-0.7.0", 0}, {"celery-0.4.0", 2}, {"nodejs-0.4.0", 0}} {
		t.Run(tc.dir, func(t *testing.T) {
			res, err := Import(read(t, "../../testdata/kfd/"+tc.dir), "imported")
			if err != nil {
				t.Fatal(err)
			}
			var report strings.Builder
			res.Report.WriteText(&report)
			if len(res.Report.Differences) > 0 || len(res.Stack.Left) > 0 || len(res.Report.Credentials) != tc.credentials {
				t.Errorf("want no difference, nothing left and %d credentials moved:\n%s\nleft: %v\n%s", tc.credentials, report.String(), res.Stack.Left, res.Source)
			}
			if len(res.Report.Labels) == 0 {
				t.Errorf("no label changed: the comparison did not see kdecl's labels\n%s", report.String())
			}
		})
	}
}

// TestRoundTripShop imports a shop written by hand with every kind kdecl
// generates, and fields it says natively, through overrides and as
// objects: nothing differs but what kdecl names.
func TestRoundTripShop(t *testing.T) {
	res, err := Import(read(t, "../../testdata/import/shop.yaml"), "shop")
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	res.Report.WriteText(&report)
	if len(res.Report.Differences) > 0 || len(res.Stack.Left) > 0 {
		t.Errorf("want no difference and nothing left:\n%s\nleft: %v\n%s", report.String(), res.Stack.Left, res.Source)
	}
	var renamed []string
	for _, r := range res.Report.Renamed {
		renamed = append(renamed, fmt.Sprintf("%s %s: %s → %s", r.Object, r.What, r.From, r.To))
	}
	want := []string{
		"ConfigMap/web-settings : web-settings → web-config",
		"StatefulSet/db container: postgres → db",
		"DaemonSet/node-agent container: agent → node-agent",
	}
	if diff := cmp.Diff(want, renamed); diff != "" {
		t.Errorf("renamed (-want +got):\n%s", diff)
	}
	wantRecreate := []string{"Deployment/web: selector", "StatefulSet/db: selector", "DaemonSet/node-agent: selector"}
	if diff := cmp.Diff(wantRecreate, res.Report.Recreate); diff != "" {
		t.Errorf("recreate (-want +got):\n%s", diff)
	}
	for _, field := range []string{"overrides", "disruption", "fieldEnv", "resourceEnv", "secrets", "podAnnotations", "serviceAccount", "terminationGracePeriodSeconds", "uses", "sidecars"} {
		if res.Stack.Apps["web"][field] == nil {
			t.Errorf("web has no %s", field)
		}
	}
}

// TestInitOrder: an init container that waits for an app after another
// init container stays where it is: kdecl's wait containers come first.
func TestInitOrder(t *testing.T) {
	docs := read(t, "../../testdata/kfd/flask-0.7.0")
	for _, d := range docs {
		if d.Kind() == "Deployment" && d.Name() == "flask" {
			spec := manifest.Map(d.Object, "spec", "template", "spec")
			first := map[string]any{"name": "first", "image": "busybox:1.36", "command": []any{"true"}}
			spec["initContainers"] = append([]any{first}, spec["initContainers"].([]any)...)
		}
	}
	res, err := Import(docs, "flask")
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	res.Report.WriteText(&report)
	if !res.Report.Lossless() {
		t.Errorf("want no difference:\n%s", report.String())
	}
	flask := res.Stack.Apps["flask-service"]
	if inits, _ := flask["initContainers"].([]any); flask["uses"] != nil || len(inits) != 2 {
		t.Errorf("uses %v, initContainers %v; want no uses and both init containers", flask["uses"], flask["initContainers"])
	}
}

// TestGRPCServiceDefault: a gRPC probe's empty service, which the API
// server defaults and kubectl get shows, is left out of the stack, and a
// service of its own is kept.
func TestGRPCServiceDefault(t *testing.T) {
	res, err := Import(read(t, "../../testdata/import/cases/grpc-probe.yaml"), "cart")
	if err != nil {
		t.Fatal(err)
	}
	probes, _ := res.Stack.Apps["cart"]["probes"].(map[string]any)
	service := func(name string) any {
		p, _ := probes[name].(map[string]any)
		g, _ := p["grpc"].(map[string]any)
		return g["service"]
	}
	if got := service("liveness"); got != nil {
		t.Errorf("liveness: service %q, want none", got)
	}
	if got := service("readiness"); got != "cart.v1.CartService" {
		t.Errorf("readiness: service %v, want cart.v1.CartService", got)
	}
}

// TestStackLabelsSelected: a label every object carries, but not every
// pod, that a selector reads (by matchExpressions too) is no stack
// label: on every pod it would make a NetworkPolicy and a budget pick
// pods they did not.
func TestStackLabelsSelected(t *testing.T) {
	docs, err := manifest.Parse("labels.yaml", []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: a, labels: {team: x}}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a, team: x}}
    spec:
      containers:
      - name: a
        image: nginx:1.25
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, labels: {team: x}}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec:
      containers:
      - name: b
        image: nginx:1.25
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-team-x, labels: {team: x}}
spec:
  podSelector:
    matchExpressions: [{key: team, operator: In, values: [x]}]
  policyTypes: [Ingress]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: team, labels: {team: x}}
spec:
  maxUnavailable: 0
  selector:
    matchExpressions: [{key: team, operator: Exists}]
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(docs, "labels")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Stack.Labels["team"]; ok {
		t.Errorf("team is a stack label, which b's pods would get:\n%s", res.Source)
	}
}
