package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// writeStream writes every file as one multi-document YAML stream.
func writeStream(w io.Writer, files []file) error {
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "---\n# Source: %s\n", f.path)
		b.Write(bytes.TrimPrefix(f.yaml, []byte(header)))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// plan is what it takes to bring a deploy directory up to date.
type plan struct {
	write  []file   // new or changed
	remove []string // generated files that are no longer produced
}

func (p *plan) empty() bool { return len(p.write) == 0 && len(p.remove) == 0 }

// planDir compares files with the deploy directory dir. It fails, before
// anything is written, if a file kdecl would write exists without the
// generated header.
func planDir(dir string, files []file) (*plan, error) {
	existing, err := readYAML(dir)
	if err != nil {
		return nil, err
	}
	p := &plan{}
	var foreign []string
	want := make(map[string]bool, len(files))
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.path)) {
			return nil, fmt.Errorf("internal error: file %q is outside the deploy directory", f.path)
		}
		want[f.path] = true
		old, ok := existing[f.path]
		switch {
		case !ok:
			p.write = append(p.write, f)
		case !old.generated():
			foreign = append(foreign, f.path)
		case !bytes.Equal(old.data, f.yaml):
			p.write = append(p.write, f)
		}
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("%s: not overwriting files that kdecl did not generate: %s", dir, strings.Join(foreign, ", "))
	}
	for path, old := range existing {
		if old.generated() && !want[path] {
			p.remove = append(p.remove, path)
		}
	}
	slices.Sort(p.remove)
	return p, nil
}

// entry is what the deploy directory holds at a path ending in .yaml.
type entry struct {
	data []byte
	dir  bool // a directory: never kdecl's
}

func (e entry) generated() bool { return !e.dir && bytes.HasPrefix(e.data, []byte(header)) }

// readYAML reads every entry under dir whose name ends in .yaml, once, by
// slash-separated path relative to dir.
func readYAML(dir string) (map[string]entry, error) {
	found := map[string]entry{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == dir {
			return fs.SkipAll // a new deploy directory
		}
		if err != nil || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		e := entry{dir: d.IsDir()}
		if !e.dir {
			e.data, err = os.ReadFile(path)
		}
		found[filepath.ToSlash(rel)] = e
		return err
	})
	return found, err
}

// apply carries out p in dir. Each file is replaced atomically; directories
// left empty by a removal are removed.
func (p *plan) apply(dir string) error {
	for _, f := range p.write {
		if err := writeAtomic(filepath.Join(dir, filepath.FromSlash(f.path)), f.yaml); err != nil {
			return err
		}
	}
	for _, path := range p.remove {
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.Remove(full); err != nil {
			return err
		}
		for d := filepath.Dir(full); d != filepath.Clean(dir); d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break // not empty
			}
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kdecl-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
