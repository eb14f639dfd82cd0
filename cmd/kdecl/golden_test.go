package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kdecl/kdecl/schema"
)

var update = flag.Bool("update", false, "rewrite the want sections of golden files and the checked-in deploy directories")

// TestGolden runs every testdata/*.txtar case. A case is a txtar archive:
//
//   - its comment holds one line "kdecl ARGS..." (other lines start with #);
//   - its input files are extracted into an empty directory, which becomes
//     the working directory of the command;
//   - want/stdout and want/stderr are the command's output (empty when
//     absent), want/exitcode its exit code (0 when absent);
//   - every other want/PATH is a file the directory must hold afterwards.
//     Files in top-level directories named stack* are inputs and must be
//     left as they were; every other file must be listed, and is compared.
//
// go test -update rewrites the want sections from what the command did.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(testdata("*.txtar"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			runGolden(t, path)
		})
	}
}

const wantDir = "want/"

// testdata is the absolute path of a file in testdata/: tests change the
// working directory.
func testdata(name string) string {
	abs, err := filepath.Abs(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		panic(err)
	}
	return abs
}

func runGolden(t *testing.T, path string) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	args := goldenArgs(t, ar.Comment)
	dir := t.TempDir()
	inputs := map[string][]byte{}
	want := map[string][]byte{}
	for _, f := range ar.Files {
		if name, ok := strings.CutPrefix(f.Name, wantDir); ok {
			want[name] = f.Data
			continue
		}
		inputs[f.Name] = f.Data
		writeFile(t, filepath.Join(dir, f.Name), f.Data)
	}

	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	code := exitCode(run(context.Background(), args, &stdout, &stderr), &stderr)

	got := map[string][]byte{
		"stdout":   stdout.Bytes(),
		"stderr":   stderr.Bytes(),
		"exitcode": []byte(strconv.Itoa(code) + "\n"),
	}
	for name, data := range readTree(t, dir) {
		if isInput(name) {
			if !bytes.Equal(data, inputs[name]) {
				t.Errorf("input %s changed", name)
			}
			continue
		}
		got[name] = data
	}
	for name := range inputs {
		if _, err := os.Stat(filepath.Join(dir, name)); isInput(name) && err != nil {
			t.Errorf("input %s: %v", name, err)
		}
	}
	checkManifests(t, got, inputs)

	if *update {
		updateGolden(t, path, ar, got)
		return
	}
	if want["exitcode"] == nil {
		want["exitcode"] = []byte("0\n")
	}
	for _, name := range []string{"stdout", "stderr"} {
		if want[name] == nil {
			want[name] = []byte{}
		}
	}
	for _, name := range union(want, got) {
		w, inWant := want[name]
		g, inGot := got[name]
		switch {
		case !inWant:
			t.Errorf("unexpected file %s:\n%s", name, g)
		case !inGot:
			t.Errorf("missing file %s", name)
		default:
			if diff := cmp.Diff(string(w), string(g)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}
	}
}

// goldenArgs finds the command line in a case's comment.
func goldenArgs(t *testing.T, comment []byte) []string {
	for _, line := range strings.Split(string(comment), "\n") {
		if rest, ok := strings.CutPrefix(line, "kdecl "); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatal("comment has no line 'kdecl ARGS...'")
	return nil
}

func isInput(name string) bool { return strings.HasPrefix(name, "stack") }

// readTree reads every file under dir, by slash path.
func readTree(t *testing.T, dir string) map[string][]byte {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// updateGolden rewrites the want sections of a case: the output streams
// that are not empty, an exit code that is not 0, and every output file.
func updateGolden(t *testing.T, path string, ar *txtar.Archive, got map[string][]byte) {
	files := slices.DeleteFunc(ar.Files, func(f txtar.File) bool { return strings.HasPrefix(f.Name, wantDir) })
	for _, name := range slices.Sorted(maps.Keys(got)) {
		data := got[name]
		switch {
		case name == "exitcode" && string(data) == "0\n":
			continue
		case (name == "stdout" || name == "stderr") && len(data) == 0:
			continue
		}
		files = append(files, txtar.File{Name: wantDir + name, Data: data})
	}
	ar.Files = files
	if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkManifests decodes every YAML document the command wrote strictly
// into its k8s.io/api type: an unknown or misspelt field fails the test.
func checkManifests(t *testing.T, got, inputs map[string][]byte) {
	for name, data := range got {
		switch {
		case name == "stdout" && bytes.HasPrefix(data, []byte("---\n# Source: ")):
		case strings.HasSuffix(name, ".yaml") && !bytes.Equal(data, inputs[name]):
		default:
			continue // not written by the command
		}
		for i, doc := range splitDocuments(data) {
			if err := decodeStrict(doc); err != nil {
				t.Errorf("%s: document %d: %v", name, i, err)
			}
		}
	}
}

func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		doc = bytes.TrimPrefix(doc, []byte("---\n"))
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}

// kinds are the kinds kdecl generates, at the versions current API servers
// serve, each with a new empty typed object.
var kinds = map[string]struct {
	apiVersion string
	new        func() any
}{
	"Namespace":             {"v1", func() any { return &corev1.Namespace{} }},
	"ConfigMap":             {"v1", func() any { return &corev1.ConfigMap{} }},
	"Service":               {"v1", func() any { return &corev1.Service{} }},
	"PersistentVolumeClaim": {"v1", func() any { return &corev1.PersistentVolumeClaim{} }},
	"Deployment":            {"apps/v1", func() any { return &appsv1.Deployment{} }},
	"StatefulSet":           {"apps/v1", func() any { return &appsv1.StatefulSet{} }},
	"Job":                   {"batch/v1", func() any { return &batchv1.Job{} }},
	"CronJob":               {"batch/v1", func() any { return &batchv1.CronJob{} }},
}

func decodeStrict(doc []byte) error {
	var meta struct{ APIVersion, Kind string }
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return err
	}
	k, ok := kinds[meta.Kind]
	if !ok {
		// An object of the stack's own: of a kind of k8s.io/api, or a
		// custom resource, which only has to be an object.
		if obj, known := schema.NewObject(meta.APIVersion, meta.Kind); known {
			return yaml.UnmarshalStrict(doc, obj)
		}
		var u struct {
			Metadata struct{ Name string }
		}
		if err := yaml.Unmarshal(doc, &u); err != nil || u.Metadata.Name == "" {
			return fmt.Errorf("%s %s: not an object with a name (%v)", meta.APIVersion, meta.Kind, err)
		}
		return nil
	}
	if meta.APIVersion != k.apiVersion {
		return fmt.Errorf("%s has apiVersion %q, want %q", meta.Kind, meta.APIVersion, k.apiVersion)
	}
	return yaml.UnmarshalStrict(doc, k.new())
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// union is the sorted keys of a and b.
func union[V any](a, b map[string]V) []string {
	keys := slices.AppendSeq(slices.Collect(maps.Keys(a)), maps.Keys(b))
	slices.Sort(keys)
	return slices.Compact(keys)
}
