package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/randstack"
	"github.com/kdecl/kdecl/schema"
)

// TestMarshalFast holds internal/yamlenc to go-yaml on the objects of
// every example stack, which it must all write itself, and of random
// stacks, whose hostile strings it may leave to go-yaml.
func TestMarshalFast(t *testing.T) {
	check := func(t *testing.T, s *schema.Stack, mustBeFast bool) (objects, fast int) {
		ms, err := generators.Stack(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			data, _, isFast, err := marshalFast("", m.Object)
			if err != nil {
				t.Fatal(err)
			}
			b, err := jsonOf(m.Object)
			if err != nil {
				t.Fatal(err)
			}
			want, err := goYAML(b, typed(m.Object))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, want) {
				t.Fatalf("%s %s:\n%s\nwant (go-yaml):\n%s", m.Kind(), m.Object.GetName(), data, want)
			}
			if mustBeFast && !isFast {
				t.Errorf("%s %s is left to go-yaml", m.Kind(), m.Object.GetName())
			}
			objects++
			if isFast {
				fast++
			}
		}
		return objects, fast
	}
	for _, r := range stackRenders(t) {
		t.Run(r.name(), func(t *testing.T) {
			s, err := schema.Load(r.dir, tagsOf(r.tags)...)
			if err != nil {
				t.Fatal(err)
			}
			check(t, s, true)
		})
	}
	t.Run("random", func(t *testing.T) {
		objects, fast := 0, 0
		for i := range 250 {
			dir := t.TempDir()
			src := randstack.Stack(rand.New(rand.NewPCG(5, uint64(i))), fmt.Sprintf("ns-%d", i), randstack.Options{})
			if err := os.WriteFile(filepath.Join(dir, "stack.cue"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := schema.Load(dir)
			if err != nil {
				continue // a stack kdecl refuses
			}
			o, f := check(t, s, false)
			objects, fast = objects+o, fast+f
		}
		// Their strings are hostile: NUL bytes, CRLF, emoji, lines that
		// end in spaces, which go-yaml escapes.
		if objects < 500 || fast < objects*3/5 {
			t.Errorf("yamlenc wrote %d of %d objects of random stacks", fast, objects)
		}
		t.Logf("yamlenc wrote %d of %d objects of random stacks", fast, objects)
	})
}

func jsonOf(obj generators.Object) ([]byte, error) { return json.Marshal(obj) }

// tagsOf are the tags of -t flags.
func tagsOf(args []string) []string {
	var tags []string
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-t" {
			tags = append(tags, args[i+1])
		}
	}
	return tags
}
