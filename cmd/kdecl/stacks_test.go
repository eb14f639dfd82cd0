package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kdecl/kdecl/internal/deploydir"
	"github.com/kdecl/kdecl/schema"
)

// repoFile lists the renders of the example stacks.
const repoFile = "../../stacks/kdecl.cue"

// TestStacks keeps the checked-in deploy directories of the example
// stacks (stacks/kdecl.cue) current with one render --all: it fails when
// a render would change one, and -update renders it. Every stack
// directory under stacks/ is rendered at least once.
func TestStacks(t *testing.T) {
	renders := stackRenders(t)
	args := []string{"render", "--all", "--config", repoFile, "--quiet"}
	if !*update {
		args = append(args, "--check")
	}
	var stderr bytes.Buffer
	if err := run(context.Background(), args, &stderr, &stderr); err != nil {
		t.Fatalf("kdecl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("example stacks render without warnings; got:\n%s", stderr.String())
	}
	entries, err := os.ReadDir("../../stacks")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dir := filepath.Join("../../stacks", e.Name())
		if files, _ := filepath.Glob(filepath.Join(dir, "*.cue")); len(files) == 0 || e.Name() == "templates" || e.Name() == "cue.mod" {
			continue // not a stack: cue.mod, the shared templates
		}
		if !slices.ContainsFunc(renders, func(r stackRender) bool { return r.dir == dir }) {
			t.Errorf("stacks/kdecl.cue does not render %s", dir)
		}
	}
}

// stackRender is a render of stacks/kdecl.cue: a stack, its deploy
// directory, and the tags it is rendered with, as flags.
type stackRender struct {
	dir, out string
	tags     []string
}

func (r stackRender) name() string {
	return strings.TrimPrefix(r.out, "../../deploy/")
}

func stackRenders(t *testing.T) []stackRender {
	t.Helper()
	rs, err := schema.LoadRepo(repoFile)
	if err != nil {
		t.Fatal(err)
	}
	var renders []stackRender
	for _, r := range rs {
		var tags []string
		for _, tag := range r.Tags {
			tags = append(tags, "-t", tag)
		}
		renders = append(renders, stackRender{dir: r.Stack, out: r.Output, tags: tags})
	}
	if len(renders) == 0 {
		t.Fatal("stacks/kdecl.cue renders nothing")
	}
	return renders
}

// TestRenderTwice renders every stack twice, as a directory and as a
// stream, and wants the same bytes each time.
func TestRenderTwice(t *testing.T) {
	for _, r := range stackRenders(t) {
		dir := r.dir
		t.Run(r.name(), func(t *testing.T) {
			var trees [2]map[string][]byte
			var streams [2]string
			for i := range 2 {
				out := t.TempDir()
				if err := run(context.Background(), append([]string{"render", dir, "-o", out, "--quiet"}, r.tags...), os.Stdout, os.Stderr); err != nil {
					t.Fatal(err)
				}
				trees[i] = readTree(t, out)
				var b bytes.Buffer
				if err := run(context.Background(), append([]string{"render", dir, "-o", "-"}, r.tags...), &b, os.Stderr); err != nil {
					t.Fatal(err)
				}
				streams[i] = b.String()
			}
			if len(trees[0]) == 0 {
				t.Fatal("rendered no files")
			}
			if diff := cmp.Diff(trees[0], trees[1]); diff != "" {
				t.Errorf("second render differs (-first +second):\n%s", diff)
			}
			if diff := cmp.Diff(streams[0], streams[1]); diff != "" {
				t.Errorf("second stream differs (-first +second):\n%s", diff)
			}
			// The stream holds exactly the files, without their header,
			// which names the stack.
			docs, files := map[string]string{}, map[string]string{}
			for _, doc := range strings.Split(streams[0], "---\n# Source: ")[1:] {
				path, yaml, _ := strings.Cut(doc, "\n")
				docs[path] = yaml
			}
			for path, data := range trees[0] {
				header, yaml, _ := strings.Cut(string(data), "\n")
				if want := strings.TrimSuffix(deploydir.Header(filepath.Base(dir)), "\n"); header != want {
					t.Errorf("%s: header %q, want %q", path, header, want)
				}
				files[path] = yaml
			}
			if diff := cmp.Diff(files, docs); diff != "" {
				t.Errorf("stream differs from the files (-files +stream):\n%s", diff)
			}
			checkApplyOrder(t, trees[0])
		})
	}
}

// applyRank is the order of DESIGN.md's contract, stated independently of
// the generators: Namespace, then what workloads refer to, then workloads.
var applyRank = map[string]int{
	"Namespace":               0,
	"ConfigMap":               1,
	"Secret":                  1,
	"PersistentVolumeClaim":   1,
	"ServiceAccount":          1,
	"Role":                    1, // what lets pods read the Jobs they wait for
	"RoleBinding":             1,
	"Service":                 2,
	"Deployment":              3,
	"StatefulSet":             3,
	"DaemonSet":               3,
	"Job":                     3,
	"CronJob":                 3,
	"Ingress":                 4,
	"PodDisruptionBudget":     4,
	"NetworkPolicy":           4,
	"HorizontalPodAutoscaler": 4,
	// Custom resources come last: an operator acts on them once they
	// exist, and a pod that mounts the Secret one writes waits for it.
	"Certificate":    5,
	"ExternalSecret": 5,
	"ServiceMonitor": 5,
}

// checkApplyOrder walks a rendered tree in the order kubectl apply -R
// reads it (filepath.Walk: lexical, entry by entry) and wants the
// Namespace first and, within each app, what an object refers to before it.
func checkApplyOrder(t *testing.T, tree map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	for path, data := range tree {
		writeFile(t, filepath.Join(dir, path), data)
	}
	rank := map[string]int{} // highest rank seen per app directory
	first := true
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var meta struct{ Kind string }
		data, _ := os.ReadFile(path)
		if err := yaml.Unmarshal(data, &meta); err != nil {
			return err
		}
		r, ok := applyRank[meta.Kind]
		if !ok {
			t.Errorf("%s: no apply rank for kind %q", path, meta.Kind)
		}
		app := filepath.Dir(path)
		switch {
		case meta.Kind == "Namespace" && !first:
			t.Errorf("%s: the Namespace is not the first file", path)
		case r < rank[app]:
			t.Errorf("%s: a %s comes after an object that may refer to it", path, meta.Kind)
		}
		rank[app] = max(rank[app], r)
		first = false
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
