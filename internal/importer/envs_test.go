package importer

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kdecl/kdecl/internal/manifest"
)

// merge is what CUE makes of a and b in one package: their fields, both
// structs merged.
func merge(a, b any) any {
	am, ok := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok || !ok2 {
		if a == nil {
			return b
		}
		return a
	}
	out := maps.Clone(am)
	for k, v := range bm {
		out[k] = merge(am[k], v)
	}
	return out
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCommonWithout: the shared fields of environments, and each one's
// fields without them, merge back into that environment's fields; what
// they say alike is shared, lists whole.
func TestCommonWithout(t *testing.T) {
	envs := []map[string]any{
		decode(t, `{"namespace": "a", "apps": {"web": {"image": "x:1", "ports": {"http": 80}, "args": ["-v", "1"], "config": {}}}}`),
		decode(t, `{"namespace": "b", "apps": {"web": {"image": "x:1", "ports": {"http": 80}, "args": ["-v", "2"], "config": {}}, "db": {"image": "y"}}}`),
		decode(t, `{"apps": {"web": {"image": "x:2", "ports": {"http": 80}, "args": ["-v", "2"], "config": {}}}}`),
	}
	shared := any(envs[0])
	for _, e := range envs[1:] {
		shared = common(shared, e)
	}
	want := decode(t, `{"apps": {"web": {"ports": {"http": 80}, "config": {}}}}`)
	if diff := cmp.Diff(any(want), shared); diff != "" {
		t.Errorf("shared (-want +got):\n%s", diff)
	}
	for i, e := range envs {
		rest := without(e, shared)
		if diff := cmp.Diff(any(e), merge(shared, rest)); diff != "" {
			t.Errorf("environment %d: shared and its own fields do not merge back (-want +got):\n%s", i, diff)
		}
	}
}

// TestByEnvName: strings that differ by the environment's name alone are
// marked; those that differ otherwise, or hold the name elsewhere too,
// are not.
func TestByEnvName(t *testing.T) {
	names := []string{"dev", "prod"}
	all := []any{
		decode(t, `{"namespace": "shop-dev", "host": "dev.example.com", "tag": "1-devops-dev", "hosts": ["dev.a", "x"], "quoted": "say \"dev\"", "conf": "env = dev\nre = a\\d\n", "raw": "doc = \"\"\"dev\"\"\"\n"}`),
		decode(t, `{"namespace": "shop-prod", "host": "example.com", "tag": "1-devops-prod", "hosts": ["prod.a", "x"], "quoted": "say \"prod\"", "conf": "env = prod\nre = a\\d\n", "raw": "doc = \"\"\"prod\"\"\"\n"}`),
	}
	if !byEnvName(all, names) {
		t.Fatal("nothing marked")
	}
	for i, e := range all {
		m := e.(map[string]any)
		if m["namespace"] != "shop-"+envMarker || m["hosts"].([]any)[0] != envMarker+".a" || m["quoted"] != `say "`+envMarker+`"` || m["conf"] != "env = "+envMarker+"\nre = a\\d\n" {
			t.Errorf("environment %s: namespace %v, hosts %v, quoted %v, conf %q: want each marked", names[i], m["namespace"], m["hosts"], m["quoted"], m["conf"])
		}
		if m["host"] == envMarker+".example.com" || m["tag"] != "1-devops-"+names[i] || strings.Contains(m["raw"].(string), envMarker) {
			t.Errorf("environment %s: host %v, tag %v, raw %q: marked, want as they were (CUE writes raw a string with \"\"\", where \\(_env) is text)", names[i], m["host"], m["tag"], m["raw"])
		}
	}
}

// TestByEnvNameAnyOrder: a field one environment lacks stops nothing
// else from being marked, whatever order the fields are visited in.
func TestByEnvNameAnyOrder(t *testing.T) {
	for range 50 {
		all := []any{
			decode(t, `{"a": 1, "b": 2, "c": 3, "extra": "x", "namespace": "shop-dev", "z": {"y": 1, "host": "dev.example.com"}}`),
			decode(t, `{"a": 1, "b": 2, "c": 3, "namespace": "shop-prod", "z": {"host": "prod.example.com"}}`),
		}
		byEnvName(all, []string{"dev", "prod"})
		for i, e := range all {
			m := e.(map[string]any)
			if m["namespace"] != "shop-"+envMarker || m["z"].(map[string]any)["host"] != envMarker+".example.com" {
				t.Fatalf("environment %d: namespace %v, z.host %v: want both marked", i, m["namespace"], m["z"].(map[string]any)["host"])
			}
		}
	}
}

// TestImportEnvsNothingShared: environments whose stacks have no field
// alike (overlays that prefix every name) import into a shared file of
// nothing and an environment file each.
func TestImportEnvsNothingShared(t *testing.T) {
	docs := func(name string) []manifest.Doc {
		d, err := manifest.Parse(name+".yaml", fmt.Appendf(nil, `apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, namespace: %[1]s}
spec:
  selector: {matchLabels: {app: %[1]s}}
  template: {metadata: {labels: {app: %[1]s}}, spec: {containers: [{name: %[1]s, image: "%[1]s:1"}]}}
`, name))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	res, err := ImportEnvs([]Env{{Name: "dev", Docs: docs("dev-web")}, {Name: "prod", Docs: docs("prod-api")}}, "web")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Lossless() {
		for _, e := range res.Envs {
			var b strings.Builder
			e.Report.WriteText(&b)
			t.Errorf("%s:\n%s", e.Name, b.String())
		}
	}
	if len(res.Files) != 3 || !strings.Contains(string(res.Files["dev.cue"]), `"dev-web"`) {
		t.Errorf("files %v; want stack.cue, dev.cue and prod.cue, dev.cue with dev-web:\n%s", slices.Collect(maps.Keys(res.Files)), res.Files["dev.cue"])
	}
}
