package importer

import (
	"github.com/google/go-cmp/cmp"
	"strings"
	"testing"

	"github.com/kdecl/kdecl/internal/manifest"
)

// TestCompareFinds changes what the stack of flask renders, one field at
// a time, and wants the difference found where it is; a field written at
// the API server's default is no difference.
func TestCompareFinds(t *testing.T) {
	docs := read(t, "../../testdata/kfd/flask-0.7.0")
	for _, tc := range []struct {
		name   string
		change func(objs map[string]map[string]any) []Rendered
		want   string // in the one difference found, "" for none
		more   bool   // and others
	}{
		{"env value", func(o map[string]map[string]any) []Rendered {
			ctr := container(o["Deployment/flask-service"], 0)
			ctr["env"] = append(ctr["env"].([]any), map[string]any{"name": "EXTRA", "value": "1"})
			return nil
		}, `containers["(app)"].env.EXTRA: imported nothing, rendered {"value":"1"}`, false},
		{"probe period", func(o map[string]map[string]any) []Rendered {
			manifest.Map(container(o["Deployment/flask-service"], 0), "livenessProbe")["periodSeconds"] = 16
			return nil
		}, `livenessProbe.periodSeconds: imported 15, rendered 16`, false},
		{"config file", func(o map[string]map[string]any) []Rendered {
			manifest.Map(o["ConfigMap/flask-service-config"], "data")["feature.flags"] = "[features]\n"
			return nil
		}, `mounts["/etc/flask-config"].source.files["feature.flags"].content`, false},
		{"service port", func(o map[string]map[string]any) []Rendered {
			ports := manifest.Get(o["Service/flask-service"], "spec", "ports").([]any)
			ports[0].(map[string]any)["port"] = 80
			return nil
		}, `Service/flask-service spec.ports[0].port: imported 5000, rendered 80`, false},
		{"object missing", func(o map[string]map[string]any) []Rendered {
			delete(o, "Service/redis-service")
			return nil
		}, `Service/redis-service: imported a Service, rendered nothing`, true}, // and flask's wait for it
		{"object added", func(o map[string]map[string]any) []Rendered {
			return []Rendered{{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "extra"}}}}
		}, `ServiceAccount/extra: imported nothing, rendered a ServiceAccount`, false},
		{"mount propagation None", func(o map[string]map[string]any) []Rendered {
			mounts := container(o["Deployment/flask-service"], 0)["volumeMounts"].([]any)
			mounts[0].(map[string]any)["mountPropagation"] = "None" // the kubelet's without one
			return nil
		}, "", false},
		{"default written out", func(o map[string]map[string]any) []Rendered {
			ctr := container(o["Deployment/redis-service"], 0)
			ctr["terminationMessagePath"] = "/dev/termination-log"
			manifest.Map(o["Deployment/redis-service"], "spec")["progressDeadlineSeconds"] = 600
			return nil
		}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, rendered := stackRendered(t, docs, "imported")
			if r := Compare(p, rendered); len(r.Differences) > 0 {
				t.Fatalf("before the change: %v", r.Differences)
			}
			objs := map[string]map[string]any{}
			for _, r := range rendered {
				objs[name(manifest.Doc{Object: r.Object})] = r.Object
			}
			extra := tc.change(objs)
			var kept []Rendered
			for _, r := range rendered {
				if objs[name(manifest.Doc{Object: r.Object})] != nil {
					kept = append(kept, r)
				}
			}
			r := Compare(p, append(kept, extra...))
			var report strings.Builder
			r.WriteText(&report)
			switch {
			case tc.want == "" && len(r.Differences) > 0:
				t.Errorf("want no difference:\n%s", report.String())
			case tc.want != "" && (len(r.Differences) != 1 && !tc.more || !strings.Contains(report.String(), tc.want)):
				t.Errorf("want one difference, with %q:\n%s", tc.want, report.String())
			}
		})
	}
}

func container(w map[string]any, i int) map[string]any {
	return manifest.Get(w, "spec", "template", "spec", "containers").([]any)[i].(map[string]any)
}

// TestExpansion: a reference $(NAME) that the kubelet did not expand in
// the manifests, because NAME comes later or from a ConfigMap's value,
// is escaped in the stack, which kdecl orders by references; the
// comparison sees the difference an unescaped one makes.
func TestExpansion(t *testing.T) {
	docs, err := manifest.Parse("m.yaml", []byte(`
apiVersion: v1
kind: ConfigMap
metadata: {name: tpl}
data: {GREETING: "hello $(NAME)", app.ini: "x=1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web:1.0
        env:
        - {name: PS1, value: "$(USER)@host $$(HOME)"}
        - {name: USER, value: app}
        - {name: NAME, value: world}
        - {name: GREETING, valueFrom: {configMapKeyRef: {name: tpl, key: GREETING}}}
        - {name: SAID, value: "$(NAME) said"}
        volumeMounts: [{name: tpl, mountPath: /etc/tpl}]
      volumes: [{name: tpl, configMap: {name: tpl}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	p, st, rendered := stackRendered(t, docs, "expansion")
	env := st.Apps["web"]["env"].(map[string]any)
	want := map[string]any{"PS1": "$$(USER)@host $$(HOME)", "USER": "app", "NAME": "world", "GREETING": "hello $$(NAME)", "SAID": "$(NAME) said"}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if r := Compare(p, rendered); !r.Lossless() {
		t.Fatalf("a difference: %v", r.Differences)
	}
	for _, r := range rendered {
		if r.Object["kind"] == "Deployment" {
			// As if PS1 were not escaped and kdecl ordered it after USER,
			// which it refers to then.
			ctr := container(r.Object, 0)
			var env, ps1 []any
			for _, e := range ctr["env"].([]any) {
				if e := e.(map[string]any); e["name"] == "PS1" {
					e["value"] = "$(USER)@host $$(HOME)"
					ps1 = append(ps1, e)
				} else {
					env = append(env, e)
				}
			}
			ctr["env"] = append(env, ps1...)
		}
	}
	r := Compare(p, rendered)
	var report strings.Builder
	r.WriteText(&report)
	if len(r.Differences) != 1 || !strings.Contains(report.String(), `env.PS1.value: imported "$(USER)@host $(HOME)", rendered "app@host $(HOME)"`) {
		t.Errorf("want the difference of PS1:\n%s", report.String())
	}
}

// stackRendered groups docs, writes the stack called name and renders
// it, as Import does, and returns each stage.
func stackRendered(t *testing.T, docs []manifest.Doc, name string) (*Plan, *Stack, []Rendered) {
	t.Helper()
	p := Group(docs)
	st, err := StackOf(p, name)
	if err != nil {
		t.Fatal(err)
	}
	src, err := st.Write()
	if err != nil {
		t.Fatal(err)
	}
	rendered, _, err := renderSource(src)
	if err != nil {
		t.Fatal(err)
	}
	return p, st, rendered
}

// TestDiffQuantities: a number and a string are one value only in a
// field of a quantity, as the API server keeps it.
func TestDiffQuantities(t *testing.T) {
	for _, tc := range []struct {
		path string
		a, b any
		same bool
	}{
		{"spec.metrics[0].pods.target.averageValue", float64(4), "4", true},
		{`spec.containers[0].resources.requests.cpu`, float64(1), "1", true},
		{`spec.containers[0].resources.limits["nvidia.com/gpu"]`, float64(2), "2", true},
		{"spec.metrics[0].pods.target.averageValue", float64(4), "5", false},
		{"spec.port", float64(8080), "8080", false},
	} {
		c := &comparison{r: &Report{}}
		c.diff("X/x", tc.path, tc.a, tc.b)
		if same := len(c.r.Differences) == 0; same != tc.same {
			t.Errorf("%s: %v and %q: same %v, want %v", tc.path, tc.a, tc.b, same, tc.same)
		}
	}
}
