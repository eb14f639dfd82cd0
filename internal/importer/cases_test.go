package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kdecl/kdecl/internal/manifest"
)

// TestCases imports each testdata/import/cases/*.yaml and checks what its
// first line wants:
//
//	# want: lossless; TEXT       no difference, and the stack holds TEXT
//	# want: difference: TEXT     a difference whose line holds TEXT
//	# want: not said: TEXT       something not said, whose line holds TEXT, and no difference
//	# want: error: TEXT          an error that holds TEXT
func TestCases(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/import/cases/*.yaml")
	if len(files) == 0 {
		t.Fatal("no cases")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("the first line is not # want: ...")
			}
			docs, err := manifest.Parse(filepath.Base(file), data)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				manifest.Clean(d.Object)
				if _, err = manifest.Upgrade(d.Object); err != nil {
					break
				}
			}
			var res *Result
			if err == nil {
				res, err = Import(docs, "cases")
			}
			if text, ok := strings.CutPrefix(want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), text) {
					t.Fatalf("error %v, want one with %q", err, text)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var report strings.Builder
			res.Report.WriteText(&report)
			switch kind, text, _ := strings.Cut(want, ": "); {
			case strings.HasPrefix(want, "lossless; "):
				text := strings.TrimPrefix(want, "lossless; ")
				if !res.Report.Lossless() || !strings.Contains(string(res.Source), text) {
					t.Errorf("want no difference and a stack with %q:\n%s\n%s", text, report.String(), res.Source)
				}
			case kind == "difference" || kind == "not said":
				title := map[string]string{"difference": "differences", "not said": "not said"}[kind]
				_, section, _ := strings.Cut(report.String(), "\n"+title+":\n")
				section, _, _ = strings.Cut(section, ":\n") // up to the next section
				if res.Report.Lossless() || !strings.Contains(section, text) {
					t.Errorf("want %s %q:\n%s", kind, text, report.String())
				}
				if kind == "not said" && len(res.Report.Differences) > 0 {
					// What is not said is said once, never as a difference too.
					t.Errorf("want nothing but what is not said:\n%s", report.String())
				}
			default:
				t.Fatalf("want %q: lossless, difference, not said or error", want)
			}
		})
	}
}
