package main

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// TestNamespace: every stack index gets a namespace of its own, a valid
// one, and some get one of the longest.
func TestNamespace(t *testing.T) {
	seen := map[string]int{}
	long := 0
	for i := range 20000 {
		ns := namespace(rand.New(rand.NewPCG(1, uint64(i))), i)
		if len(ns) > 63 || !dnsLabel.MatchString(ns) {
			t.Fatalf("namespace of stack %d is %q, not an RFC 1123 label", i, ns)
		}
		if j, ok := seen[ns]; ok {
			t.Fatalf("stacks %d and %d share namespace %q", j, i, ns)
		}
		seen[ns] = i
		if len(ns) == 63 {
			long++
		}
	}
	if long == 0 {
		t.Error("no namespace is 63 characters long")
	}
}

// TestRun: -from and -n choose stacks by index, the same whatever the
// other stacks written.
func TestRun(t *testing.T) {
	all, some := t.TempDir(), t.TempDir()
	if err := run([]string{"-seed", "3", "-n", "5", "-o", all}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-seed", "3", "-from", "3", "-n", "1", "-o", some}, io.Discard); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(filepath.Join(all, "3", "stack.cue"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(some, "3", "stack.cue"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("stack 3 differs between -n 5 and -from 3 -n 1")
	}
	if _, err := os.Stat(filepath.Join(some, "0")); err == nil {
		t.Error("-from 3 wrote stack 0")
	}
}
