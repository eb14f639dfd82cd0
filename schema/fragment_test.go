package schema

import (
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestCheckFragment(t *testing.T) {
	huge, _ := new(big.Int).SetString("99999999999999999999", 10)
	for _, tc := range []struct {
		name string
		v    any
		want []string
	}{
		{"a valid pod", map[string]any{
			"securityContext":    map[string]any{"runAsNonRoot": true, "runAsUser": int64(1000)},
			"nodeSelector":       map[string]any{"disk": "ssd"},
			"tolerations":        []any{map[string]any{"key": "k", "operator": "Exists"}},
			"serviceAccountName": "web",
			"overhead":           map[string]any{"cpu": "100m"},
		}, nil},
		{"a typo", map[string]any{"securityContext": map[string]any{"runAsNonRooot": true}},
			[]string{"securityContext.runAsNonRooot: unknown field (did you mean runAsNonRoot?)"}},
		{"wrong types", map[string]any{"hostNetwork": "yes", "priority": huge, "tolerations": map[string]any{}},
			[]string{
				`hostNetwork: "yes" is a string, want a bool`,
				"priority: 99999999999999999999 does not fit the field's 32 bits",
				"tolerations: a struct, want a list",
			}},
		{"an enumerated value", map[string]any{"dnsPolicy": "ClusterFirstt", "restartPolicy": ""},
			[]string{`dnsPolicy: unsupported value "ClusterFirstt": want "ClusterFirstWithHostNet", "ClusterFirst", "Default" or "None"`}},
		{"an int32 too large", map[string]any{"priority": int64(1) << 40}, []string{"priority: 1099511627776 does not fit the field's 32 bits"}},
		{"a bad quantity", map[string]any{"overhead": map[string]any{"cpu": "lots"}},
			[]string{"overhead.cpu: not a valid Quantity: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"}},
		{"inline fields of a volume", map[string]any{"volumes": []any{map[string]any{"name": "x", "emptyDir": map[string]any{}, "hostPth": map[string]any{}}}},
			[]string{"volumes.[0].hostPth: unknown field (did you mean hostPath?)"}},
		{"an int or string", map[string]any{"containers": []any{map[string]any{"name": "c", "livenessProbe": map[string]any{"httpGet": map[string]any{"port": true}}}}},
			[]string{"containers.[0].livenessProbe.httpGet.port: not a valid IntOrString: json: cannot unmarshal bool into Go value of type int32"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			checkFragment(reflect.TypeFor[corev1.PodSpec](), tc.v, nil, func(path []string, msg string) {
				got = append(got, strings.Join(path, ".")+": "+msg)
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
