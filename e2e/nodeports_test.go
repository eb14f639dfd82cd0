package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNodePorts: the API server allocates node ports when a Service is
// created, and a server-side dry run allocates none, so these cases
// create for real. A stack whose Services ask for one node port twice
// is refused by kdecl, while each Service on its own renders: the second
// create is the one the server refuses. Node ports are one pool of the
// cluster's, so each case has ports of its own and deletes its Services.
func TestNodePorts(t *testing.T) {
	createNamespace(t, "nodeports")
	service := func(name, spec string) string {
		return fmt.Sprintf("objects: %q: {apiVersion: \"v1\", kind: \"Service\", spec: {%s}}\n", name, spec)
	}
	for _, tc := range []struct {
		name  string
		parts []string // each renders on its own; together kdecl refuses them
	}{
		{"an app's node port and an object's", []string{
			`apps: web: {image: "nginx:1.27", ports: http: 80, expose: {type: "NodePort", nodePorts: http: 31001}}` + "\n",
			service("other", `type: "NodePort", ports: [{port: 80, nodePort: 31001}]`),
		}},
		{"two objects' node ports", []string{
			service("one", `type: "NodePort", ports: [{port: 80, nodePort: 31002}]`),
			service("two", `type: "LoadBalancer", ports: [{port: 443, nodePort: 31002}]`),
		}},
		{"a node port and a health check node port", []string{
			service("one", `type: "NodePort", ports: [{port: 80, nodePort: 31003}]`),
			service("lb", `type: "LoadBalancer", externalTrafficPolicy: "Local", healthCheckNodePort: 31003, ports: [{port: 80}]`),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := filepath.Join(t.TempDir(), "stack")
			writeFile(t, filepath.Join(whole, "stack.cue"), []byte("package nodeports\n\n"+strings.Join(tc.parts, "")))
			if out, err := exec.Command(kdecl, "render", whole, "-o", t.TempDir()).CombinedOutput(); exitCode(err) != 1 {
				t.Errorf("kdecl render of the whole stack: %v, want exit 1\n%s", err, out)
			} else if !strings.Contains(string(out), "is also pinned by") {
				t.Errorf("kdecl refused the stack, but not for its node port:\n%s", out)
			}
			var dirs []string
			for i, part := range tc.parts {
				stack := filepath.Join(t.TempDir(), "stack")
				writeFile(t, filepath.Join(stack, "stack.cue"), []byte("package nodeports\n\n"+part))
				out := filepath.Join(t.TempDir(), fmt.Sprint("part", i))
				render(t, stack, out)
				dirs = append(dirs, out)
			}
			t.Cleanup(func() {
				for _, dir := range dirs {
					k8s.run("delete", "-n", "nodeports", "--ignore-not-found", "-f", dir, "-R")
				}
			})
			if _, stderr, err := k8s.run("create", "-n", "nodeports", "-f", dirs[0], "-R"); err != nil {
				t.Fatalf("the API server refused the first part: %v\n%s", err, stderr)
			}
			_, stderr, err := k8s.run("create", "-n", "nodeports", "-f", dirs[1], "-R")
			if err == nil {
				t.Fatal("the API server created the second part too: kdecl refuses what the server accepts")
			}
			if !strings.Contains(stderr, "provided port is already allocated") && !strings.Contains(stderr, "failed to allocate requested HealthCheck NodePort") {
				t.Errorf("the server refused the second part, but not for its node port:\n%s", stderr)
			}
		})
	}

	// One Service on its own: what kdecl refuses, the server refuses on
	// create; what kdecl renders, the server creates.
	for _, tc := range []struct {
		name, spec string
		refused    string // in kdecl's error and the server's, "" for neither
		server     string
	}{
		{"a node port outside the range", `type: "NodePort", ports: [{port: 80, nodePort: 80}]`,
			"outside the API server's default node port range", "provided port is not in the valid range"},
		{"one node port twice for TCP", `type: "NodePort", ports: [{name: "a", port: 80, nodePort: 31010}, {name: "b", port: 81, nodePort: 31010}]`,
			"is set twice for TCP", "provided port is already allocated"},
		{"one port number twice on one node port", `type: "NodePort", ports: [{name: "a", port: 80, nodePort: 31017}, {name: "b", port: 80, nodePort: 31017}]`,
			"is set twice for TCP", "Duplicate value"},
		{"two port numbers on one node port", `type: "NodePort", ports: [{name: "a", port: 80, nodePort: 31016}, {name: "b", port: 81, protocol: "UDP", nodePort: 31016}]`,
			"only ports of one number share a node port", "provided port is already allocated"},
		{"a node port of a ClusterIP Service", `ports: [{port: 80, nodePort: 31011}]`,
			"a ClusterIP Service has no node ports", "may not be used when `type` is 'ClusterIP'"},
		{"a health check node port of a NodePort Service", `type: "NodePort", healthCheckNodePort: 31012, ports: [{port: 80}]`,
			"has a health check node port", "healthCheckNodePort: Invalid value"},
		{"one port number over TCP and UDP", `type: "NodePort", ports: [{name: "tcp", port: 53, nodePort: 31013}, {name: "udp", port: 53, protocol: "UDP", nodePort: 31013}]`,
			"", ""},
		{"one port number on two node ports", `type: "NodePort", ports: [{name: "tcp", port: 53, nodePort: 31014}, {name: "udp", port: 53, protocol: "UDP", nodePort: 31015}]`,
			"", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack := filepath.Join(t.TempDir(), "stack")
			writeFile(t, filepath.Join(stack, "stack.cue"), []byte("package nodeports\n\n"+service("single", tc.spec)))
			out := filepath.Join(t.TempDir(), "out")
			b, err := exec.Command(kdecl, "render", stack, "-o", out).CombinedOutput()
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("kdecl refused it: %v\n%s", err, b)
			case tc.refused != "" && (exitCode(err) != 1 || !strings.Contains(string(b), tc.refused)):
				t.Fatalf("kdecl render: %v, want exit 1 with %q\n%s", err, tc.refused, b)
			}
			// The Service as written, for the server.
			yaml := "apiVersion: v1\nkind: Service\nmetadata: {name: single}\nspec: {" + strings.ReplaceAll(tc.spec, `"`, "") + "}\n"
			f := filepath.Join(t.TempDir(), "service.yaml")
			writeFile(t, f, []byte(yaml))
			t.Cleanup(func() { k8s.run("delete", "-n", "nodeports", "--ignore-not-found", "-f", f) })
			_, stderr, err := k8s.run("create", "-n", "nodeports", "-f", f)
			switch {
			case tc.server == "" && err != nil:
				t.Errorf("the API server refused what kdecl renders: %v\n%s%s", err, stderr, yaml)
			case tc.server != "" && err == nil:
				t.Errorf("the API server created what kdecl refuses:\n%s", yaml)
			case tc.server != "" && !strings.Contains(stderr, tc.server):
				t.Errorf("the server refused it, but not with %q:\n%s", tc.server, stderr)
			}
		})
	}
}
