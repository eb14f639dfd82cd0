package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// FuzzLoad feeds the loader stacks derived from every golden case: any
// input is either a stack or errors, and never a panic. Every error of an
// invalid stack names a position.
func FuzzLoad(f *testing.F) {
	cases, _ := filepath.Glob("../testdata/*.txtar")
	for _, path := range cases {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if strings.HasPrefix(file.Name, "stack/") && strings.HasSuffix(file.Name, ".cue") {
				f.Add(file.Data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "stack.cue"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Load(dir)
		if errs, ok := err.(Errors); ok {
			for _, e := range errs {
				if e.Msg == "" {
					t.Errorf("error without a message: %+v", e)
				}
			}
		}
		if err == nil && s == nil {
			t.Error("no stack and no error")
		}
	})
}
