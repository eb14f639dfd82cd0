package schema

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// update is accepted so that go test ./... -update works in every package.
var _ = flag.Bool("update", false, "no golden files in this package")

func loadString(t *testing.T, src string) (*Stack, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stack.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(dir)
}

func TestLoadDefaults(t *testing.T) {
	s, err := loadString(t, `
package shop

apps: web: {
	image: "nginx:1.27"
	ports: http: 80
	config: files: "a.conf": "x"
	probes: liveness: http: {}
	probes: readiness: tcp: {}
}
apps: dns: {
	image: "coredns/coredns:1.11.1"
	ports: dns: {port: 53, protocol: "UDP"}
}
apps: paused: {
	image:    "nginx"
	replicas: 0
}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Stack{
		Name: "shop",
		Apps: []App{{
			Name: "dns", Kind: "deployment", Image: "coredns/coredns:1.11.1", ImagePullPolicy: "IfNotPresent",
			Replicas: 1, Ports: map[string]Port{"dns": {Port: 53, Protocol: "UDP"}},
			Expose: Expose{Type: "ClusterIP"},
		}, {
			Name: "paused", Kind: "deployment", Image: "nginx", ImagePullPolicy: "Always",
			Replicas: 0, Expose: Expose{Type: ExposeNone},
		}, {
			Name: "web", Kind: "deployment", Image: "nginx:1.27", ImagePullPolicy: "IfNotPresent",
			Replicas: 1,
			Ports:    map[string]Port{"http": {Port: 80, Protocol: "TCP"}},
			Config:   &Config{Files: map[string]string{"a.conf": "x"}, MountPath: "/etc/web-config"},
			Probes: Probes{
				Liveness:  &Probe{HTTP: &HTTPProbe{Path: "/", Port: PortRef{Name: "http"}}},
				Readiness: &Probe{TCP: &TCPProbe{Port: PortRef{Name: "http"}}},
			},
			Expose: Expose{Type: "ClusterIP"},
		}},
	}
	if diff := cmp.Diff(want, s, cmpopts.IgnoreFields(Stack{}, "Warnings"), cmpopts.IgnoreFields(App{}, "Pos"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	if len(s.Warnings) != 1 || s.Warnings[0].App != "paused" || s.Warnings[0].Field != "image" {
		t.Errorf("warnings = %v, want one for paused's untagged image", s.Warnings)
	}
}

// TestLoadErrorFields checks the parts of an error, not just its text.
func TestLoadErrorFields(t *testing.T) {
	_, err := loadString(t, "package shop\n\napps: web: {\n\timage: \"nginx:1.27\"\n\tenv: \"1ST_KEY\": \"x\"\n}\n")
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("err = %v, want one schema error", err)
	}
	e := errs[0]
	if e.App != "web" || e.Field != `env."1ST_KEY"` || filepath.Base(e.File) != "stack.cue" || e.Line != 5 || e.Column != 7 {
		t.Errorf("error = %+v, want app web, field env.\"1ST_KEY\" at stack.cue:5:7", e)
	}
}

func TestFloatingTag(t *testing.T) {
	for image, want := range map[string]bool{
		"nginx":                     true,
		"nginx:latest":              true,
		"nginx:1.27":                false,
		"registry:5000/app":         true,
		"registry:5000/app:1":       false,
		"nginx@sha256:abc":          false,
		"nginx:latest@sha256:abc":   false,
		"example.com/team/app:main": false,
	} {
		if got := floatingTag(image); got != want {
			t.Errorf("floatingTag(%q) = %v, want %v", image, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	fields := []string{"image", "imagePullPolicy", "replicas", "ports", "probes"}
	for name, want := range map[string]string{
		"imgae":    "image",
		"replcias": "replicas",
		"port":     "ports",
		"probe":    "probes",
		"volumes":  "",
	} {
		if got := suggest(name, fields); got != want {
			t.Errorf("suggest(%q) = %q, want %q", name, got, want)
		}
	}
}
