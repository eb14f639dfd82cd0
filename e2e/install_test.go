package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// TestGoInstall: the README's install command works. The module, as
// committed at HEAD, is served at a version by a file proxy before the
// Go module proxy (which serves its dependencies), and
//
//	go install github.com/kdecl/kdecl/cmd/kdecl@VERSION
//
// runs in a scratch GOPATH with an empty module cache. The kdecl it
// installs says that version.
func TestGoInstall(t *testing.T) {
	t.Parallel()
	const path, version = "github.com/kdecl/kdecl", "v0.99.0"
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	at := filepath.Join(proxy, filepath.FromSlash(path), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	src := committed(t, root)
	if err := zip.CreateFromDir(f, module.Version{Path: path, Version: version}, src); err != nil {
		t.Fatalf("the module at HEAD: %v", err)
	}
	f.Close()
	mod, err := exec.Command("git", "-C", root, "show", "HEAD:go.mod").Output()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(at, version+".mod"), mod)
	writeFile(t, filepath.Join(at, version+".info"), []byte(`{"Version":"`+version+`","Time":"2026-01-01T00:00:00Z"}`))
	writeFile(t, filepath.Join(at, "list"), []byte(version+"\n"))

	upstream, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		t.Fatal(err)
	}
	gopath, bin := t.TempDir(), t.TempDir()
	install := exec.Command("go", "install", path+"/cmd/kdecl@"+version)
	install.Dir = t.TempDir() // no module of ours around
	install.Env = append(os.Environ(),
		"GOPATH="+gopath, "GOMODCACHE="+filepath.Join(gopath, "pkg", "mod"), "GOBIN="+bin,
		"GOFLAGS=-modcacherw", // so that the test can remove the cache
		"GOPROXY=file://"+filepath.ToSlash(proxy)+","+strings.TrimSpace(string(upstream)),
		"GONOSUMDB="+path, // a version the checksum database does not know
	)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(bin, "kdecl"), "version", "--format", "json").Output()
	if err != nil {
		t.Fatalf("kdecl version: %v", err)
	}
	var v struct{ Version, Kubernetes string }
	if err := json.Unmarshal(out, &v); err != nil || v.Version != version || !strings.HasPrefix(v.Kubernetes, "v1.") {
		t.Errorf("kdecl version of the installed kdecl: %v\n%s", err, out)
	}
}

// committed is a directory with the files of the checkout at root as
// committed at HEAD (git archive): what a release holds.
func committed(t *testing.T, root string) string {
	out, err := exec.Command("git", "-C", root, "archive", "--format=tar", "HEAD").Output()
	if err != nil {
		t.Fatalf("git archive: %v", err)
	}
	dir := t.TempDir()
	r := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, filepath.FromSlash(h.Name)), data)
	}
}
