package e2e

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestVersions: the API server is the release of the k8s.io/api that kdecl
// generates with, every k8s.io staging module is pinned to it, and kdecl
// checks custom resources with the apiextensions-apiserver of that release.
func TestVersions(t *testing.T) {
	main := readModFile(t, "../go.mod")
	e2e := readModFile(t, "go.mod")
	api := requiredVersion(main, "k8s.io/api")
	staging, ok := strings.CutPrefix(api, "v0.")
	if !ok {
		t.Fatalf("k8s.io/api %s is not a v0.x.y release", api)
	}
	if got, want := requiredVersion(e2e, "k8s.io/kubernetes"), "v1."+staging; got != want {
		t.Errorf("e2e builds k8s.io/kubernetes %s, want %s to match k8s.io/api %s", got, want, api)
	}
	for _, m := range []string{"k8s.io/apimachinery", "k8s.io/apiextensions-apiserver", "k8s.io/apiserver"} {
		if got := requiredVersion(main, m); got != api {
			t.Errorf("kdecl requires %s %s, want %s to match k8s.io/api", m, got, api)
		}
	}
	if len(e2e.Replace) == 0 {
		t.Fatal("e2e/go.mod pins no staging modules")
	}
	for _, r := range e2e.Replace {
		if strings.HasPrefix(r.Old.Path, "k8s.io/") && (r.New.Path != r.Old.Path || r.New.Version != api) {
			t.Errorf("replace %s => %s %s, want => %s %s", r.Old.Path, r.New.Path, r.New.Version, r.Old.Path, api)
		}
	}
}

func readModFile(t *testing.T, path string) *modfile.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(path, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func requiredVersion(f *modfile.File, path string) string {
	for _, r := range f.Require {
		if r.Mod.Path == path {
			return r.Mod.Version
		}
	}
	return ""
}
