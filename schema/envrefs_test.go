package schema

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEnvRefs follows the expansion of k8s.io/kubernetes'
// third_party/forked/golang/expansion, which the kubelet applies to env
// values, commands and args.
func TestEnvRefs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"plain", nil},
		{"$(A)", []string{"A"}},
		{"http://$(POD_IP):2379", []string{"POD_IP"}},
		{"$(A)$(B)", []string{"A", "B"}},
		{"$$(A)", nil},            // an escaped $
		{"$$$(A)", []string{"A"}}, // $$ then $(A)
		{"$(A", nil},              // not closed: as written
		{"$(A $(B)", []string{"A $(B"}},
		{"$()", []string{""}},
		{"$", nil},
		{"a$", nil},
		{"$x$(A)", []string{"A"}},
		{"$(A)$", []string{"A"}},
		{"$(é)", []string{"é"}},
	} {
		if got := EnvRefs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("EnvRefs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEnvOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		refs map[int][]int
		n    int
		want []int
	}{
		{"no references keep their order", nil, 3, []int{0, 1, 2}},
		{"a reference to a later variable", map[int][]int{0: {2}}, 3, []int{1, 2, 0}},
		{"a chain", map[int][]int{0: {1}, 1: {2}}, 3, []int{2, 1, 0}},
		{"only what needs to move moves", map[int][]int{1: {3}}, 4, []int{0, 2, 3, 1}},
		{"a reference to itself", map[int][]int{0: {0}}, 2, []int{0, 1}},
		{"a cycle keeps its order", map[int][]int{0: {1}, 1: {0}}, 3, []int{2, 0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EnvOrder(tc.n, func(i int) []int { return tc.refs[i] })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzEnvRefs(f *testing.F) {
	for _, s := range []string{"$(A)", "$$(A)", "$(A", "x$(A)$(B)y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rest := s
		for _, ref := range EnvRefs(s) {
			i := strings.Index(rest, "$("+ref+")")
			if i < 0 {
				t.Fatalf("EnvRefs(%q) has %q, not in what follows the last reference, %q", s, ref, rest)
			}
			rest = rest[i+len(ref)+3:]
		}
	})
}
