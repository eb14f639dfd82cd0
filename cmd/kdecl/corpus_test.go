package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/kdecl/kdecl/internal/importer"
)

// corpusInput finds, in testdata/corpus/SOURCES.md, the input of each
// app: "input `PATH`", or a Helm render's "into `PATH` (the input)".
var corpusInput = regexp.MustCompile("input `([^`]+)`|into `([^`]+)` \\(the input\\)")

// TestCorpus imports each input of testdata/corpus, real public
// manifests, with --check: each must exit 0, or list what kdecl cannot
// say of it and nothing else. What each import says is compared with
// testdata/corpus/imports.txt, which go test -update rewrites.
func TestCorpus(t *testing.T) {
	sources, err := os.ReadFile(testdata("corpus/SOURCES.md"))
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for _, m := range corpusInput.FindAllStringSubmatch(string(sources), -1) {
		inputs = append(inputs, m[1]+m[2])
	}
	if len(inputs) < 10 {
		t.Fatalf("SOURCES.md names %d inputs; the corpus has more", len(inputs))
	}
	t.Chdir(testdata("corpus"))
	var out bytes.Buffer
	clean := 0
	for _, in := range inputs {
		var stdout, stderr bytes.Buffer
		code := exitCode(run(context.Background(), []string{"import", in, "--check", "--format", "json"}, &stdout, &stderr), &stderr)
		var r importer.Report
		if code != 2 && stdout.Len() > 0 {
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				t.Fatalf("%s: the report is not JSON: %v\n%s", in, err, stdout.String())
			}
		}
		fmt.Fprintf(&out, "%s: exit %d\n", in, code)
		if code == 0 {
			clean++
			if len(r.Differences) > 0 || len(r.Left) > 0 {
				t.Errorf("%s: exit 0 with differences or things not said", in)
			}
			continue
		}
		for _, app := range slices.Sorted(maps.Keys(r.Left)) {
			for _, l := range r.Left[app] {
				fmt.Fprintf(&out, "  not said: %s: %s\n", cmp.Or(app, "the stack"), l)
			}
		}
		var diffs []string
		for _, d := range r.Differences {
			diffs = append(diffs, fmt.Sprintf("  difference: %s %s\n", d.Object, d.Path))
		}
		slices.Sort(diffs) // in the order of the apps compared, which varies
		out.WriteString(strings.Join(diffs, ""))
		if len(r.Left)+len(r.Differences) == 0 {
			for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				fmt.Fprintf(&out, "  error: %s\n", line)
			}
		}
		if len(r.Differences) > 0 || len(r.Left) == 0 {
			// Every input imports, or lists exactly what kdecl cannot say
			// of it: a difference or a refusal is a fault of import's.
			t.Errorf("%s: exit %d with %d differences and nothing not said:\n%s", in, code, len(r.Differences), stderr.String())
		}
	}
	got := fmt.Sprintf("# kdecl import --check of each input of SOURCES.md: %d of %d exit 0\n", clean, len(inputs)) + out.String()
	path := testdata("corpus/imports.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(string(want), got); diff != "" {
		t.Errorf("imports of the corpus (-want +got):\n%s", diff)
	}
}
