package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdecl/kdecl/internal/manifest"
)

// FuzzImport imports fuzzed manifests: import may refuse them, with an
// error, but never panics, and imports them alike every time: the same
// stack, the same report.
func FuzzImport(f *testing.F) {
	for _, glob := range []string{"../../testdata/kfd/*/*", "../../testdata/import/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first, err := importBytes(data)
		if first == nil {
			return
		}
		second, err2 := importBytes(data)
		if (err == nil) != (err2 == nil) || first.source != second.source || first.report != second.report {
			t.Fatalf("two imports differ:\n%s\n%s\n--\n%s\n%s", first.source, first.report, second.source, second.report)
		}
	})
}

type imported struct{ source, report string }

// importBytes imports the manifests data as kdecl import does; nil if
// they are no manifests.
func importBytes(data []byte) (*imported, error) {
	docs, err := manifest.Parse("fuzz.yaml", data)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if d.Kind() == "" || d.APIVersion() == "" {
			return nil, nil // as kdecl import refuses them
		}
		manifest.Clean(d.Object)
		if _, err := manifest.Upgrade(d.Object); err != nil {
			return nil, err
		}
	}
	res, err := Import(docs, "fuzz")
	if err != nil {
		return &imported{}, err
	}
	var report strings.Builder
	res.Report.WriteText(&report)
	return &imported{string(res.Source), report.String()}, nil
}
