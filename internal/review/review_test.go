package review

import (
	"fmt"
	"slices"
	"strings"
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

// TestNodeExposure: a pod that newly gets its node (a read-write mount of
// its root or of a container runtime's socket, a privileged container) is
// exposure, in any pod template and any container; what it had before,
// and mounts that give no node, are none.
func TestNodeExposure(t *testing.T) {
	cronJob := func(pod string) []File {
		return []File{{"a/cj.yaml", []byte("kind: CronJob\nmetadata: {name: a}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec: " + pod + "\n")}}
	}
	const (
		vol    = `volumes: [{name: h, hostPath: {path: %q}}], `
		mounts = `initContainers: [{name: init, image: x, volumeMounts: [{name: h, mountPath: /h%s}]}], containers: [{name: a, image: x}]`
	)
	pod := func(hostPath, mount string) string {
		return "{" + fmt.Sprintf(vol, hostPath) + fmt.Sprintf(mounts, mount) + "}"
	}
	plain := `{containers: [{name: a, image: x}]}`
	for _, tc := range []struct {
		name, old, new string
		want           string // the exposure's text, "" for none
	}{
		{"the node's root", plain, pod("/", ""), "init container init mounts / of its node read-write"},
		{"a runtime's socket", plain, pod("/run/containerd/containerd.sock", ""), "mounts /run/containerd/containerd.sock of its node read-write"},
		{"the directory of a socket", plain, pod("/var/run/", ""), "mounts /var/run of its node read-write (volume h at /h): it holds the container runtime's socket"},
		{"a socket by subPath", plain, pod("/var", ", subPath: run/docker.sock"), "mounts /var/run/docker.sock of its node"},
		{"a subPathExpr", plain, pod("/var/run", ", subPathExpr: $(POD)"), "mounts /var/run of its node"},
		{"read-only made read-write", pod("/", ", readOnly: true"), pod("/", ""), "mounts / of its node read-write"},
		{"read-only", plain, pod("/", ", readOnly: true"), ""},
		{"a subPath away from the sockets", plain, pod("/", ", subPath: var/log"), ""},
		{"a directory without a socket", plain, pod("/var/lib/app", ""), ""},
		{"the same mount, another image", pod("/", ""), strings.Replace(pod("/", ""), "image: x}", "image: y}", 1), ""},
		{"privileged", plain, `{containers: [{name: a, image: x, securityContext: {privileged: true}}]}`, "container a runs privileged"},
		{"privileged already", `{containers: [{name: a, image: x, securityContext: {privileged: true}}]}`,
			`{containers: [{name: a, image: y, securityContext: {privileged: true}}]}`, ""},
		{"the host's processes", plain, `{hostPID: true, containers: [{name: a, image: x}]}`, "the host's process namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes, err := Compare(cronJob(tc.old), cronJob(tc.new))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range changes {
				for _, d := range c.Details {
					if d.Class == Exposure {
						got = append(got, d.Text)
					}
				}
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("exposure %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("exposure %q, want one with %q", got, tc.want)
			}
		})
	}
}

// TestNetworkExposure: a network policy that admits more, limits a
// direction no more, or is removed, and an Ingress that routes a new
// host, are exposure; a policy that admits less is not.
func TestNetworkExposure(t *testing.T) {
	const pol = "kind: NetworkPolicy\nmetadata: {name: api, namespace: n}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress, Egress]\n"
	base := pol + "  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 8080, protocol: TCP}, {port: 9090, protocol: TCP}]\n  egress: [{ports: [{port: 53, protocol: UDP}]}]\n"
	const ing = "kind: Ingress\nmetadata: {name: web, namespace: n}\nspec:\n  rules:\n  - host: shop.example.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]}\n"
	for _, tc := range []struct {
		name       string
		old, new   []File
		exposure   bool
		wantInText string
	}{
		{"a peer more", []File{{"p.yaml", []byte(base)}},
			[]File{{"p.yaml", []byte(strings.Replace(base, "- from: [{podSelector: {matchLabels: {app: web}}}]", "- from: [{podSelector: {matchLabels: {app: web}}}, {podSelector: {matchLabels: {app: cron}}}]", 1))}},
			true, `ingress from {"podSelector":{"matchLabels":{"app":"cron"}}} on 8080/TCP`},
		{"a port more", []File{{"p.yaml", []byte(base)}},
			[]File{{"p.yaml", []byte(strings.Replace(base, "{port: 9090, protocol: TCP}", "{port: 9090, protocol: TCP}, {port: 6060, protocol: TCP}", 1))}},
			true, "on 6060/TCP"},
		{"every port", []File{{"p.yaml", []byte(base)}},
			[]File{{"p.yaml", []byte(strings.Replace(base, "    ports: [{port: 8080, protocol: TCP}, {port: 9090, protocol: TCP}]\n", "", 1))}},
			true, "on every port"},
		{"egress open", []File{{"p.yaml", []byte(base)}},
			[]File{{"p.yaml", []byte(strings.Replace(base, "[Ingress, Egress]", "[Ingress]", 1))}},
			true, "no longer limits egress"},
		{"removed", []File{{"p.yaml", []byte(base)}}, nil, true, "admit all traffic"},
		{"a port less", []File{{"p.yaml", []byte(base)}},
			[]File{{"p.yaml", []byte(strings.Replace(base, ", {port: 9090, protocol: TCP}", "", 1))}},
			false, ""},
		{"a port range wider", []File{{"p.yaml", []byte(strings.Replace(base, "{port: 9090, protocol: TCP}", "{port: 9090, endPort: 9091, protocol: TCP}", 1))}},
			[]File{{"p.yaml", []byte(strings.Replace(base, "{port: 9090, protocol: TCP}", "{port: 9090, endPort: 65535, protocol: TCP}", 1))}},
			true, "on 9090-65535/TCP"},
		{"other pods", []File{{"p.yaml", []byte(base)}},
			[]File{{"p.yaml", []byte(strings.Replace(base, "{matchLabels: {app: api}}", "{matchLabels: {app: api, tier: x}}", 1))}},
			true, "selects other pods"},
		{"no policyTypes, every port", []File{{"p.yaml", []byte(strings.Replace(base, "  policyTypes: [Ingress, Egress]\n", "", 1))}},
			[]File{{"p.yaml", []byte(strings.Replace(strings.Replace(base, "  policyTypes: [Ingress, Egress]\n", "", 1), "    ports: [{port: 8080, protocol: TCP}, {port: 9090, protocol: TCP}]\n", "", 1))}},
			true, "on every port"},
		{"policyTypes written out", []File{{"p.yaml", []byte(strings.Replace(base, "  policyTypes: [Ingress, Egress]\n", "", 1))}},
			[]File{{"p.yaml", []byte(base)}}, false, ""},
		{"a host more", []File{{"i.yaml", []byte(ing)}},
			[]File{{"i.yaml", []byte(strings.Replace(ing, "  rules:\n", "  rules:\n  - host: api.example.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]}\n", 1))}},
			true, "routes api.example.com/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes, err := Compare(tc.old, tc.new)
			if err != nil || len(changes) != 1 {
				t.Fatalf("changes %+v, err %v; want one", changes, err)
			}
			c := changes[0]
			if got := slices.Contains(c.Classes, Exposure); got != tc.exposure {
				t.Errorf("exposure %v, want %v: %+v", got, tc.exposure, c)
			}
			if text := fmt.Sprint(c); tc.wantInText != "" && !strings.Contains(text, tc.wantInText) {
				t.Errorf("%s does not say %q", text, tc.wantInText)
			}
		})
	}
}

// TestRemovedApplySet: a removed object that names its stack's ApplySet
// gets the kubectl apply that prunes it, with the deploy directory as one
// shell word; one that names none (or a malformed parent), or a set that
// the newer render's objects do not name (moved to another namespace,
// or applySet dropped), gets kubectl delete alone.
func TestRemovedApplySet(t *testing.T) {
	cm := func(name, annotations string) File {
		return File{"a/" + name + ".yaml", []byte("kind: ConfigMap\nmetadata: {name: " + name + ", namespace: shop" + annotations + "}\n")}
	}
	const set = ", annotations: {kdecl.dev/applyset: shop/s-applyset}"
	for _, tc := range []struct {
		old, dir, want string
		head           []File
	}{
		{set, "deploy/s", "KUBECTL_APPLYSET=true kubectl apply -n shop --prune --applyset=configmaps/s-applyset -f deploy/s -R", nil},
		{set, "my deploy/it's", `-f 'my deploy/it'\''s' -R`, nil},
		{set, "deploy/s", "KUBECTL_APPLYSET=true kubectl apply -n shop --prune --applyset=configmaps/s-applyset -f deploy/s -R", []File{cm("new", set)}},
		{set, "deploy/s", "kubectl delete configmap/c -n shop (its ApplySet, shop/s-applyset, is not the render's", []File{cm("new", ", annotations: {kdecl.dev/applyset: shop/other}")}},
		{set, "deploy/s", "kubectl delete configmap/c -n shop (its ApplySet, shop/s-applyset, is not the render's", []File{cm("new", "")}},
		{"", "deploy/s", "kubectl delete configmap/c -n shop (with", nil},
		{", annotations: {kdecl.dev/applyset: s-applyset}", "deploy/s", "kubectl delete configmap/c -n shop (with", nil},
	} {
		changes, err := CompareIn([]File{cm("c", tc.old)}, tc.head, tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(changes, func(c Change) bool { return c.Change == KindRemoved })
		if i < 0 || len(changes[i].Details) != 1 || !strings.Contains(changes[i].Details[0].Text, tc.want) {
			t.Errorf("%q in %q, head %d files: changes %+v, want a removed one with %q", tc.old, tc.dir, len(tc.head), changes, tc.want)
		}
	}
}

// TestRemovedDataLoss: pruning a Namespace or a CustomResourceDefinition
// takes what is in it, or of it, along: data-loss, beside removed.
func TestRemovedDataLoss(t *testing.T) {
	for _, tc := range []struct{ kind, api string }{
		{"Namespace", "v1"}, {"CustomResourceDefinition", "apiextensions.k8s.io/v1"}, {"ConfigMap", "v1"},
	} {
		old := []File{{"a/x.yaml", []byte("apiVersion: " + tc.api + "\nkind: " + tc.kind + "\nmetadata: {name: x}\n")}}
		changes, err := Compare(old, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := tc.kind != "ConfigMap"
		if len(changes) != 1 || !changes[0].Has(Removed) || changes[0].Has(DataLoss) != want {
			t.Errorf("%s removed: %+v, want removed, and data-loss %v", tc.kind, changes, want)
		}
	}
}
