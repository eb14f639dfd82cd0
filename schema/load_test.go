package schema

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"cuelabs.dev/go/oci/ociregistry/ocimem"
	"cuelabs.dev/go/oci/ociregistry/ociserver"
	"cuelang.org/go/mod/modconfig"
	"cuelang.org/go/mod/modregistry"
	"cuelang.org/go/mod/module"
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
	_, err := loadString(t, "package shop\n\napps: web: {\n\timage: \"nginx:1.27\"\n\tenv: \"A=KEY\": \"x\"\n}\n")
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("err = %v, want one schema error", err)
	}
	e := errs[0]
	if e.App != "web" || e.Field != `env."A=KEY"` || filepath.Base(e.File) != "stack.cue" || e.Line != 5 || e.Column != 7 {
		t.Errorf("error = %+v, want app web, field env.\"A=KEY\" at stack.cue:5:7", e)
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

// writeFiles writes files, by slash path, under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// registryStack is a stack whose module depends on example.com/dep of a
// CUE registry, in dir/shop.
func registryStack(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"cue.mod/module.cue": `module: "example.com/shop"
language: version: "v0.17.0"
deps: "example.com/dep@v0": v: "v0.1.0"
`,
		"shop/app.cue": `package shop

import "example.com/dep"

apps: web: image: dep.image
`,
	})
	return filepath.Join(dir, "shop")
}

// registry serves example.com/dep@v0.1.0 as a CUE registry on 127.0.0.1
// and counts the requests it gets.
func registry(t *testing.T) (host string, requests *atomic.Int64) {
	mem := ocimem.New()
	var zipped bytes.Buffer
	z := zip.NewWriter(&zipped)
	for name, data := range map[string]string{
		"cue.mod/module.cue": "module: \"example.com/dep@v0\"\nlanguage: version: \"v0.17.0\"\n",
		"dep.cue":            "package dep\n\nimage: \"nginx:1.27\"\n",
	} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	v, err := module.NewVersion("example.com/dep@v0", "v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := modregistry.NewClient(mem).PutModule(context.Background(), v, bytes.NewReader(zipped.Bytes()), int64(zipped.Len())); err != nil {
		t.Fatal(err)
	}
	requests = &atomic.Int64{}
	handler := ociserver.New(mem, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), requests
}

// TestLoadRegistry checks that kdecl fetches a CUE module dependency from
// the registry CUE_REGISTRY names, into CUE_CACHE_DIR, and that with
// CUE_REGISTRY=none it uses only what that cache holds.
func TestLoadRegistry(t *testing.T) {
	host, requests := registry(t)
	cache := t.TempDir()
	t.Setenv("CUE_CACHE_DIR", cache)
	t.Setenv("CUE_REGISTRY", host+"+insecure")
	s, err := Load(registryStack(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Apps) != 1 || s.Apps[0].Image != "nginx:1.27" {
		t.Fatalf("apps = %+v, want web with the image of example.com/dep", s.Apps)
	}
	if requests.Load() == 0 {
		t.Errorf("the registry of CUE_REGISTRY got no request")
	}
	if entries, _ := os.ReadDir(cache); len(entries) == 0 {
		t.Errorf("CUE_CACHE_DIR %s is empty after a fetch", cache)
	}

	// Offline, from the cache alone.
	t.Setenv("CUE_REGISTRY", "none")
	before := requests.Load()
	if _, err := Load(registryStack(t)); err != nil {
		t.Errorf("with CUE_REGISTRY=none and the module in CUE_CACHE_DIR: %v", err)
	}
	if n := requests.Load() - before; n != 0 {
		t.Errorf("with CUE_REGISTRY=none, the registry got %d requests", n)
	}
}

// TestLoadRegistryNone checks that CUE_REGISTRY=none forbids a fetch: the
// loader's CUE names no registry host, and a dependency missing from the
// cache is a positioned error that says why.
func TestLoadRegistryNone(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("CUE_CACHE_DIR", cache)
	t.Setenv("CUE_REGISTRY", "none")
	resolver, err := modconfig.NewResolver(&modconfig.Config{Env: cueEnv()})
	if err != nil {
		t.Fatal(err)
	}
	if hosts := resolver.AllHosts(); len(hosts) != 0 {
		t.Errorf("with CUE_REGISTRY=none, CUE may contact %v", hosts)
	}
	_, err = Load(registryStack(t))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("err = %v, want one error", err)
	}
	if e := errs[0]; filepath.Base(e.File) != "app.cue" || e.Line != 3 || e.Column != 8 ||
		!strings.Contains(e.Msg, "example.com/dep") || !strings.Contains(e.Msg, "CUE_REGISTRY=none") {
		t.Errorf("error = %v, want one at app.cue:3:8 naming example.com/dep and CUE_REGISTRY=none", e)
	}
	filepath.WalkDir(cache, func(path string, d os.DirEntry, err error) error {
		if strings.HasSuffix(path, ".cue") {
			t.Errorf("with CUE_REGISTRY=none, %s was fetched", path)
		}
		return err
	})
}

// TestDeepErrorCost checks that the cost of reporting an error is bounded
// by the size of the stack, not its depth squared: an error at or about a
// value 9,000 levels deep allocates at most twice what loading a valid
// value as deep does (CUE's own formatting of the value allocated 960 MB),
// and the schema is looked up along no more of an error's path than the
// schema has depth (CUE's unification along the whole path took seconds).
func TestDeepErrorCost(t *testing.T) {
	const depth = 9000
	deep := strings.Repeat("a: ", depth)
	allocated := func(src string) (uint64, error) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := loadString(t, "package shop\n\n"+src+"\n")
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, err
	}
	valid, err := allocated(`apps: web: {image: "nginx:1.27", objects: x: {apiVersion: "example.com/v1", kind: "Thing", spec: {` + deep + `1}}}`)
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"a struct for a string":    `apps: web: {image: "nginx:1.27", env: X: {` + deep + `1}}`,
		"a list for a string":      `apps: web: {image: "nginx:1.27", env: X: ` + strings.Repeat("[", depth) + "1" + strings.Repeat("]", depth) + `}`,
		"a struct for the stack's": `namespace: {` + deep + "1}\napps: web: image: \"nginx:1.27\"",
		"a conflict deep inside":   `apps: web: {image: "nginx:1.27", overrides: pod: {` + deep + `1 & "s"}}`,
	} {
		n, err := allocated(src)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if n > 2*valid {
			t.Errorf("%s: the error allocated %d MB, more than twice the %d MB of a valid value as deep", name, n>>20, valid>>20)
		}
	}

	// A field a closed definition of the stack's refuses, deep inside an
	// override, is looked up in the schema (to tell the stack's definition
	// from the schema's) only as deep as the schema goes.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"app.cue": "package shop\n\n#T: {" + strings.Repeat("a: ", 2000) + "x: 1}\n" +
		`apps: web: {image: "nginx:1.27", overrides: pod: #T & {` + strings.Repeat("a: ", 2000) + "y: 1}}\n"})
	l, err := newLoader(dir, loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.load(); err == nil {
		t.Fatal("a field the closed #T refuses: no error")
	}
	for key := range l.schemaValues {
		if path, _, _ := strings.Cut(key, " "); strings.Count(path, ".") > 16 {
			t.Errorf("the schema was looked up along %d labels", strings.Count(path, ".")+1)
			break
		}
	}
}

// TestLoadSpecialFile: a CUE file of the stack that is a named pipe is
// refused at once; CUE would wait on it for ever.
func TestLoadSpecialFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stack.cue"), []byte("package shop\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.cue"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(dir); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is a named pipe, not a regular file") {
			t.Errorf("Load: %v, want the pipe refused", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Load waits on a named pipe")
	}
}
