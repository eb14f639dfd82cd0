package review

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCompareReadsOnlyWhatDiffers: a file whose bytes are the same in
// both renders is not even parsed, so a review of one app of many costs
// that app.
func TestCompareReadsOnlyWhatDiffers(t *testing.T) {
	broken := File{"a/x.yaml", []byte("{not: yaml: at all")}
	base := []File{broken, {"b/svc.yaml", []byte("kind: Service\nmetadata: {name: b}\nspec: {type: ClusterIP}\n")}}
	head := []File{broken, {"b/svc.yaml", []byte("kind: Service\nmetadata: {name: b}\nspec: {type: NodePort}\n")}}
	changes, err := Compare(base, head)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Object != "Service//b" || !slices.Equal(changes[0].Classes, []string{Exposure}) {
		t.Errorf("changes: %+v", changes)
	}
	if _, err := Compare([]File{broken}, nil); err == nil {
		t.Error("a file that differs and does not parse is no error")
	}
}

// TestCompareMovedObject: an object whose file moves, unchanged, is no
// change.
func TestCompareMovedObject(t *testing.T) {
	obj := []byte("kind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {a: b}\n")
	changes, err := Compare([]File{{"old/c.yaml", obj}}, []File{{"new/c.yaml", obj}})
	if err != nil || len(changes) != 0 {
		t.Errorf("changes %+v, err %v; want none", changes, err)
	}
}

func TestDiffPaths(t *testing.T) {
	a := map[string]any{"spec": map[string]any{"containers": []any{
		map[string]any{"name": "web", "image": "a"}, map[string]any{"name": "log", "image": "l"},
	}, "ports": []any{80.0, 81.0}}}
	b := map[string]any{"spec": map[string]any{"containers": []any{
		map[string]any{"name": "log", "image": "l"}, map[string]any{"name": "web", "image": "b"},
	}, "ports": []any{80.0}}, "extra": true}
	want := []string{"extra", "spec.containers[web].image", "spec.ports[1]"}
	if diff := cmp.Diff(want, diffPaths(a, b)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestQuantity(t *testing.T) {
	for s, want := range map[any]float64{"1Gi": 1 << 30, "512Mi": 512 << 20, "2G": 2e9, "1500m": 1.5, "10": 10, 3.0: 3, "x": 0} {
		if got := quantity(s); got != want {
			t.Errorf("quantity(%v) = %v, want %v", s, got, want)
		}
	}
}

// TestSourceRanges: a LoadBalancer that drops or widens its source ranges
// takes connections from addresses it refused: exposure. Narrowing them
// is none.
func TestSourceRanges(t *testing.T) {
	lb := func(ranges string) []File {
		return []File{{"a/svc.yaml", []byte("kind: Service\nmetadata: {name: a}\nspec: {type: LoadBalancer" + ranges + "}\n")}}
	}
	for _, tc := range []struct {
		name, old, new string
		want           []string
	}{
		{"dropped", ", loadBalancerSourceRanges: [10.0.0.0/8]", "", []string{Exposure}},
		{"widened", ", loadBalancerSourceRanges: [10.0.0.0/8]", ", loadBalancerSourceRanges: [10.0.0.0/8, 0.0.0.0/0]", []string{Exposure}},
		{"narrowed", ", loadBalancerSourceRanges: [10.0.0.0/8, 192.168.0.0/16]", ", loadBalancerSourceRanges: [10.0.0.0/8]", nil},
		{"first set", "", ", loadBalancerSourceRanges: [10.0.0.0/8]", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes, err := Compare(lb(tc.old), lb(tc.new))
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) != 1 || !slices.Equal(changes[0].Classes, tc.want) {
				t.Errorf("changes: %+v, want one of classes %v", changes, tc.want)
			}
		})
	}
}
