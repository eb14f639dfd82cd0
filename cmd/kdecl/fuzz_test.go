package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/kdecl/kdecl/internal/deploydir"
	"github.com/kdecl/kdecl/schema"
)

// FuzzRender runs the generators and the marshaller on every stack the
// loader accepts, seeded with every golden stack: no panic, every file a
// path inside the deploy directory, every object one the API's types
// decode strictly.
func FuzzRender(f *testing.F) {
	cases, _ := filepath.Glob(testdata("*.txtar"))
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
		s, err := schema.Load(dir)
		if err != nil {
			return
		}
		files, err := render(s)
		if _, tooLarge := err.(schema.Errors); tooLarge {
			return
		}
		if err != nil {
			t.Fatalf("render of a loaded stack: %v", err)
		}
		header := []byte(deploydir.Header(s.Name))
		for _, file := range files {
			if !filepath.IsLocal(file.Path) || strings.Count(file.Path, "/") > 1 || !bytes.HasPrefix(file.Data, header) {
				t.Fatalf("file %q is not NAME.yaml or APP/NAME.yaml with the header", file.Path)
			}
			if err := decodeStrict(file.Data); err != nil {
				t.Fatalf("%s: %v", file.Path, err)
			}
		}
	})
}
