package importer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/schema"
)

// Result is an import: the plan, the stack's CUE source, and what
// comparing what it renders with what was imported found.
type Result struct {
	Plan   *Plan
	Stack  *Stack
	Source []byte // package pkg, file stack.cue
	Report *Report
}

// Import turns docs (cleaned and upgraded) into the stack of package pkg,
// renders it, and compares what it renders with docs.
func Import(docs []manifest.Doc, pkg string) (*Result, error) {
	p := Group(docs)
	st, err := StackOf(p, pkg)
	if err != nil {
		return nil, err
	}
	src, err := st.Write(pkg)
	if err != nil {
		return nil, err
	}
	rendered, err := renderSource(src)
	if err != nil {
		return nil, fmt.Errorf("the stack import wrote does not render: %w\n%s", err, src)
	}
	return &Result{Plan: p, Stack: st, Source: src, Report: Compare(p, rendered)}, nil
}

// renderSource loads src as a stack's only file and renders it.
func renderSource(src []byte) ([]Rendered, error) {
	dir, err := os.MkdirTemp("", "kdecl-import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "stack.cue"), src, 0o644); err != nil {
		return nil, err
	}
	s, err := schema.Load(dir)
	if err != nil {
		return nil, err
	}
	ms, err := generators.Stack(s)
	if err != nil {
		return nil, err
	}
	out := make([]Rendered, len(ms))
	for i, m := range ms {
		b, err := json.Marshal(m.Object)
		if err != nil {
			return nil, err
		}
		out[i].App = m.App
		if err := json.Unmarshal(b, &out[i].Object); err != nil {
			return nil, err
		}
	}
	return out, nil
}
