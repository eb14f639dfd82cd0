// Package manifest reads Kubernetes manifests as users have them:
// multi-document YAML and JSON files, List objects, directories, and the
// output of kubectl get -o yaml with the fields the API server set. It
// removes what the server set and moves objects of old API versions to
// the versions served now, so that what remains is what a user wrote.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/yaml"
)

// Doc is one object and where it was read.
type Doc struct {
	// Source is file:line of the document (the line of its first
	// content), or file:line#N for the Nth item of a List there.
	Source string
	// Object is the object as JSON decodes it, numbers as json.Number.
	Object map[string]any
}

// APIVersion and Kind of the object, "" if not strings.
func (d Doc) APIVersion() string { s, _ := d.Object["apiVersion"].(string); return s }
func (d Doc) Kind() string       { s, _ := d.Object["kind"].(string); return s }

// Name is metadata.name, "" if none.
func (d Doc) Name() string {
	s, _ := Get(d.Object, "metadata", "name").(string)
	return s
}

// maxFileSize bounds what one file may hold.
const maxFileSize = 64 << 20

// ReadPaths reads the manifests of each path: a file, a directory (its
// .yaml, .yml and .json files, recursively, as kubectl apply -R reads
// them, hidden entries aside), a directory with a kustomization (what
// kustomize builds of it, see Kustomize) or "-" for stdin. The notes say
// what was built.
func ReadPaths(paths []string, stdin io.Reader) (docs []Doc, notes []string, err error) {
	for _, p := range paths {
		if p == "-" {
			data, err := io.ReadAll(io.LimitReader(stdin, maxFileSize+1))
			if err != nil {
				return nil, nil, fmt.Errorf("stdin: %w", err)
			}
			d, err := Parse("<stdin>", data)
			if err != nil {
				return nil, nil, err
			}
			docs = append(docs, d...)
			continue
		}
		if info, err := os.Stat(p); err == nil && info.IsDir() && KustomizationFile(p) != "" {
			d, note, err := Kustomize(p)
			if err != nil {
				return nil, nil, err
			}
			docs, notes = append(docs, d...), append(notes, note)
			continue
		}
		files, err := manifestFiles(p)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range files {
			data, err := readFile(f)
			if err != nil {
				return nil, nil, err
			}
			d, err := Parse(f, data)
			if err != nil {
				return nil, nil, err
			}
			docs = append(docs, d...)
		}
	}
	return docs, notes, nil
}

// manifestFiles are the files to read for the path p.
func manifestFiles(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		if isKustomization(p) {
			return nil, fmt.Errorf("%s is a kustomization: import its directory, %s, which kdecl builds with kustomize", p, filepath.Dir(p))
		}
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != p && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch ext := filepath.Ext(path); {
		case !d.IsDir() && isKustomization(path):
			return fmt.Errorf("%s holds a kustomization, %s: import that directory (or an overlay of it), which kdecl builds with kustomize, not the tree around it", filepath.Dir(path), filepath.Base(path))
		case d.IsDir():
		case ext == ".yaml" || ext == ".yml" || ext == ".json":
			if !d.Type().IsRegular() {
				return fmt.Errorf("%s: not a regular file", path)
			}
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no .yaml, .yml or .json files", p)
	}
	slices.Sort(files)
	return files, nil
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, maxFileSize>>20)
	}
	return data, nil
}

// yamlLine is the line of the first error of a YAML decoder's, in the
// document, and what it says.
var yamlLine = regexp.MustCompile(`(?s)^yaml: (?:unmarshal errors:\s*)?line (\d+): ([^\n]*)`)

// Parse reads the documents of one file's data, named name in Sources:
// YAML documents separated by --- lines, or JSON (which is YAML too).
// Empty documents are skipped; a List's items are documents of their own.
func Parse(name string, data []byte) ([]Doc, error) {
	var docs []Doc
	for _, part := range split(data) {
		src := fmt.Sprintf("%s:%d", name, part.line)
		// Strict, as kubectl: a key twice in a map is an error, not the
		// last one's value.
		js, err := yaml.YAMLToJSONStrict(part.data)
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				n, _ := strconv.Atoi(m[1])
				return nil, fmt.Errorf("%s:%d: %s", name, part.first+n-1, m[2])
			}
			return nil, fmt.Errorf("%s: %s", src, msg)
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue // only comments
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("%s: not an object (apiVersion, kind, metadata, ...)", src)
		}
		d := Doc{Source: src, Object: obj}
		if d.APIVersion() == "" || d.Kind() == "" {
			return nil, fmt.Errorf("%s: an object needs apiVersion and kind", src)
		}
		if !isList(d) {
			docs = append(docs, d)
			continue
		}
		items, _ := obj["items"].([]any)
		for i, it := range items {
			o, ok := it.(map[string]any)
			item := Doc{Source: fmt.Sprintf("%s#%d", src, i), Object: o}
			if !ok || item.APIVersion() == "" || item.Kind() == "" {
				return nil, fmt.Errorf("%s: item %d of the List needs apiVersion and kind", src, i)
			}
			docs = append(docs, item)
		}
	}
	return docs, nil
}

// isList is whether d is a List (kind List, or FooList in v1 as kubectl
// get prints it) whose items are the objects.
func isList(d Doc) bool {
	items, hasItems := d.Object["items"]
	_, isSlice := items.([]any)
	return hasItems && (isSlice || items == nil) && strings.HasSuffix(d.Kind(), "List")
}

type part struct {
	line  int // of the first line that is not blank or a comment
	first int // of data's first line
	data  []byte
}

// split cuts YAML into its documents at lines that start with "---".
func split(data []byte) []part {
	var parts []part
	var cur bytes.Buffer
	start, first, n := 0, 0, 0
	flush := func() {
		if start > 0 {
			parts = append(parts, part{line: start, first: first, data: bytes.Clone(cur.Bytes())})
		}
		cur.Reset()
		start = 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxFileSize+1)
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte("---")) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '#') {
			flush()
			continue
		}
		if t := bytes.TrimSpace(line); start == 0 && len(t) > 0 && t[0] != '#' {
			start = n
		}
		if cur.Len() == 0 {
			first = n
		}
		cur.Write(line)
		cur.WriteByte('\n')
	}
	flush()
	return parts
}

// Get is the value at path in v, an object as JSON decodes it, nil if
// there is none.
func Get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// Map is the object at path in obj, made if missing (and the path is
// made of objects).
func Map(obj map[string]any, path ...string) map[string]any {
	m := obj
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	return m
}

// Delete removes the field at path, and the objects on the path it
// leaves empty.
func Delete(obj map[string]any, path ...string) bool {
	if len(path) == 1 {
		_, ok := obj[path[0]]
		delete(obj, path[0])
		return ok
	}
	next, ok := obj[path[0]].(map[string]any)
	if !ok {
		return false
	}
	removed := Delete(next, path[1:]...)
	if len(next) == 0 {
		delete(obj, path[0])
	}
	return removed
}

// isKustomization says whether the file p is a kustomization, by the
// names kustomize gives one.
func isKustomization(p string) bool {
	return slices.Contains(konfig.RecognizedKustomizationFileNames(), filepath.Base(p))
}
