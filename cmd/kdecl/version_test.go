package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadVersion(t *testing.T) {
	deps := []*debug.Module{
		{Path: "cuelang.org/go", Version: "v0.17.1"},
		{Path: "k8s.io/api", Version: "v0.37.2"},
	}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"a release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.4.0"}, Deps: deps},
			"kdecl v0.4.0\ngo: go1.26.8\nkubernetes: v1.37 (k8s.io/api v0.37.2)\ncue: v0.17.1\n"},
		{"a checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Deps: deps,
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}}},
			"kdecl 0123456789ab\nrevision: 0123456789abcdef0123\ngo: go1.26.8\nkubernetes: v1.37 (k8s.io/api v0.37.2)\ncue: v0.17.1\n"},
		{"a dirty checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Deps: deps,
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}},
			"kdecl 0123456789ab+dirty\nrevision: 0123456789abcdef0123\ngo: go1.26.8\nkubernetes: v1.37 (k8s.io/api v0.37.2)\ncue: v0.17.1\n"},
		{"a pseudo-version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261203061515-097ff9d0a1b2"}, Deps: deps},
			"kdecl v0.0.0-20261203061515-097ff9d0a1b2\ngo: go1.26.8\nkubernetes: v1.37 (k8s.io/api v0.37.2)\ncue: v0.17.1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, readVersion(tc.info).text()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestVersionOfBuild builds kdecl from this checkout, as make build does,
// and wants its version to be the checkout's: its revision, dirty when
// git says so, and the k8s.io/api of go.mod.
func TestVersionOfBuild(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", root}, args...)...).Output()
		if err != nil {
			t.Skipf("not a git checkout: %v", err) // a source archive has no revision to stamp
		}
		return strings.TrimSpace(string(out))
	}
	head := git("rev-parse", "HEAD")
	if info, err := os.Stat(filepath.Join(root, ".git")); err != nil || !info.IsDir() {
		t.Skip("go build stamps the revision only where .git is a directory, not in a worktree")
	}
	bin := filepath.Join(t.TempDir(), "kdecl")
	build := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, "./cmd/kdecl")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dirty := git("status", "--porcelain") != ""
	out, err := exec.Command(bin, "version", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v versionInfo
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	want := versionInfo{Revision: head, Dirty: dirty, Go: v.Go, Time: v.Time, CUE: v.CUE,
		KubernetesModule: v.KubernetesModule, Kubernetes: kubernetesVersion(v.KubernetesModule)}
	// Go stamps a checkout's pseudo-version, v0.0.0-TIME-REVISION, with
	// +dirty when it has changes.
	want.Version = v.Version
	if !strings.Contains(v.Version, head[:12]) || strings.Contains(v.Version, "dirty") != dirty {
		t.Errorf("version %s, want one of revision %s, dirty: %v", v.Version, head[:12], dirty)
	}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(string(mod), "k8s.io/api "+v.KubernetesModule+"\n") || !strings.HasPrefix(v.Go, "go1.") {
		t.Errorf("k8s.io/api %s, %s: not those of go.mod and a Go release", v.KubernetesModule, v.Go)
	}
}
