package review

import (
	"slices"
	"strings"
	"testing"
)

// TestPodSecurity: a Namespace that enforces a weaker Pod Security level
// than before exposes its pods to what the level forbade; a stronger one,
// or another label, does not. A change of a pod's securityContext rolls
// its pods.
func TestPodSecurity(t *testing.T) {
	ns := func(labels string) []File {
		return []File{{"00-namespace-shop.yaml", []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {" + labels + "}}\n")}}
	}
	const enforce = "pod-security.kubernetes.io/enforce: "
	for _, tc := range []struct {
		old, new string
		exposure bool
	}{
		{enforce + "restricted", enforce + "baseline", true},
		{enforce + "restricted", "team: a", true},
		{enforce + "baseline", enforce + "privileged", true},
		{enforce + "baseline", enforce + "restricted", false},
		{"team: a", enforce + "baseline", false},
		{enforce + "restricted, team: a", enforce + "restricted, team: b", false},
	} {
		changes, err := Compare(ns(tc.old), ns(tc.new))
		if err != nil {
			t.Fatal(err)
		}
		exposed := slices.ContainsFunc(changes, func(c Change) bool { return slices.Contains(c.Classes, Exposure) })
		if exposed != tc.exposure {
			t.Errorf("%s → %s: exposure %v, want %v: %+v", tc.old, tc.new, exposed, tc.exposure, changes)
		}
		if exposed && !slices.ContainsFunc(changes, func(c Change) bool {
			return slices.ContainsFunc(c.Details, func(d Detail) bool { return d.Class == Exposure && strings.Contains(d.Text, "no longer") })
		}) {
			t.Errorf("%s → %s: no reason names the level: %+v", tc.old, tc.new, changes)
		}
	}

	deploy := func(ctx string) []File {
		return []File{{"web/05-deployment-web.yaml", []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1` + ctx + `}]
`)}}
	}
	changes, err := Compare(deploy(""), deploy(", securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}"))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || !slices.Contains(changes[0].Classes, Rollout) {
		t.Errorf("a hardened container: %+v, want a rollout", changes)
	}
}
