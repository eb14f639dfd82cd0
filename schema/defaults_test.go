package schema

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestDefaults holds every default of Defaults to the schema and to Load:
// the comment of its field in schema.cue states it in the words of Doc,
// and a stack that leaves the field unset loads with the value the
// constants give. A default without a case here fails.
func TestDefaults(t *testing.T) {
	cases := map[string]struct {
		stack string           // the apps of a stack, or the whole of it with "package"
		got   func(*Stack) any // the field, after Load
		want  any
	}{
		"name":          {"package shop\napps: web: image: \"nginx:1.27\"", func(s *Stack) any { return s.Name }, "shop"},
		"clusterDomain": {"package shop\nnamespace: \"shop\"\napps: {web: {image: \"nginx:1.27\", uses: [\"db\"]}, db: {image: \"redis:7\", ports: redis: 6379}}", func(s *Stack) any { return app(s, "web").Dependencies[0].Host }, "db.shop.svc." + DefaultClusterDomain},
		"apps.*.kind":   {`web: image: "nginx:1.27"`, func(s *Stack) any { return app(s, "web").Kind }, DefaultKind},
		"apps.*.imagePullPolicy": {`web: image: "nginx:1.27"
latest: image: "nginx"`, func(s *Stack) any { return app(s, "web").ImagePullPolicy + " " + app(s, "latest").ImagePullPolicy }, DefaultPullPolicy + " " + FloatingPullPolicy},
		"apps.*.replicas":      {`web: image: "nginx:1.27"`, func(s *Stack) any { return app(s, "web").Replicas }, int32(DefaultReplicas)},
		"apps.*.restartPolicy": {`web: {kind: "job", image: "busybox:1.36"}`, func(s *Stack) any { return app(s, "web").RestartPolicy }, DefaultRestartPolicy},
		"apps.*.expose.type": {`web: {image: "nginx:1.27", ports: http: 80}
job: {kind: "job", image: "busybox:1.36", ports: http: 80}`, func(s *Stack) any { return app(s, "web").Expose.Type + " " + app(s, "job").Expose.Type }, DefaultServiceType + " " + ExposeNone},
		"apps.*.ports.*.protocol": {`web: {image: "nginx:1.27", ports: http: 80}`, func(s *Stack) any { return app(s, "web").Ports["http"].Protocol }, DefaultProtocol},
		"apps.*.config.mountPath": {`web: {image: "nginx:1.27", config: files: a: "x"}`, func(s *Stack) any { return app(s, "web").Config.MountPath }, DefaultConfigMountPath("web")},
		"configs.*.mountPath": {"package shop\nconfigs: common: files: a: \"x\"\napps: web: {image: \"nginx:1.27\", configs: [\"common\"]}",
			func(s *Stack) any { return s.Configs["common"].MountPath }, DefaultSharedConfigMountPath("common")},
		"apps.*.probes.liveness.http.path":   {`web: {image: "nginx:1.27", ports: http: 80, probes: liveness: http: {}}`, func(s *Stack) any { return app(s, "web").Probes.Liveness.HTTP.Path }, DefaultHTTPPath},
		"apps.*.lifecycle.preStop.http.path": {`web: {image: "nginx:1.27", ports: http: 80, lifecycle: preStop: http: {}}`, func(s *Stack) any { return app(s, "web").Lifecycle.PreStop.HTTP.Path }, DefaultHTTPPath},
		"apps.*.storage.*.type":              {`web: {image: "nginx:1.27", storage: data: {size: "1Gi", mountPath: "/data"}}`, func(s *Stack) any { return app(s, "web").Storage["data"].Type }, DefaultVolumeType},
		"apps.*.storage.*.accessModes":       {`web: {image: "nginx:1.27", storage: data: {size: "1Gi", mountPath: "/data"}}`, func(s *Stack) any { return strings.Join(app(s, "web").Storage["data"].AccessModes, ",") }, DefaultAccessMode},
		"apps.*.resourceEnv.*.divisor":       {`web: {image: "nginx:1.27", resourceEnv: CPU: resource: "limits.cpu"}`, func(s *Stack) any { return app(s, "web").ResourceEnv["CPU"].Divisor }, DefaultDivisor},
		"apps.*.podInfo.labels": {`web: {image: "nginx:1.27", podInfo: mountPath: "/etc/podinfo"}`, func(s *Stack) any {
			return fmt.Sprint(app(s, "web").PodInfo.Labels, app(s, "web").PodInfo.Annotations)
		}, "true true"},
	}
	root := SchemaTree(t)
	for _, d := range Defaults {
		t.Run(d.Field, func(t *testing.T) {
			n := find(root, d.Field)
			if n == nil {
				t.Fatalf("%s is no field of the schema", d.Field)
			}
			if doc := strings.Join(strings.Fields(n.Doc), " "); !strings.Contains(doc, d.Doc) {
				t.Errorf("schema.cue's comment of %s does not say %q; it says %q", d.Field, d.Doc, doc)
			}
			c, ok := cases[d.Field]
			if !ok {
				t.Fatalf("no case for the default of %s", d.Field)
			}
			src := c.stack
			if !strings.HasPrefix(src, "package") {
				src = "package shop\napps: {\n" + src + "\n}\n"
			}
			s, err := loadString(t, src)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.got(s); got != c.want {
				t.Errorf("%s left unset loads as %v, want %v", d.Field, got, c.want)
			}
		})
	}
	for field := range cases {
		if !slices.ContainsFunc(Defaults, func(d Default) bool { return d.Field == field }) {
			t.Errorf("a case for %s, which Defaults does not list", field)
		}
	}
}

func app(s *Stack, name string) *App {
	for i := range s.Apps {
		if s.Apps[i].Name == name {
			return &s.Apps[i]
		}
	}
	panic("no app " + name)
}

// find is the node at path (with * for a map's element) in the tree.
func find(n *Node, path string) *Node {
	for _, part := range strings.Split(path, ".") {
		if n == nil {
			return nil
		}
		n = n.Struct()
		if part == "*" {
			n = n.Elem
			continue
		}
		n = n.Field(part)
	}
	return n
}
