package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// FuzzLoad feeds the loader stacks derived from every golden case: any
// input is either a stack or errors, and never a panic. Every error has a
// message, a position in the stack's file, and no message is long: values
// are shown as excerpts.
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
				switch {
				case strings.TrimSpace(e.Msg) == "":
					t.Errorf("error without a message: %+v", e)
				case e.File == "":
					t.Errorf("error without a position: %v", e)
				case len(e.Error()) > 2000+len(src)/100 && len(e.Error()) > 4000:
					t.Errorf("error of %d bytes", len(e.Error()))
				}
			}
		}
		if err == nil && s == nil {
			t.Error("no stack and no error")
		}
	})
}
