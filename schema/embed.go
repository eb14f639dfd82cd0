package schema

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/inject/embed"
	"cuelang.org/go/cue/token"
)

// maxEmbedBytes bounds a file that @embed reads. What a stack embeds lands
// in a field of an object it renders, most often a ConfigMap's data, which
// the API server holds to 1 MiB: a larger file could never render, and CUE
// would spend seconds and hundreds of MB reading one before saying so.
const maxEmbedBytes = maxConfigMapBytes

// embeds checks every file that an @embed attribute of inst, or of a
// package it imports, would read, before CUE reads any. Each must be a
// regular file of the attribute's module, reached through symbolic links
// only if they end at such a file, of at most maxEmbedBytes, and UTF-8 text
// unless embedded with type=binary: CUE would turn invalid bytes into
// U+FFFD. CUE then embeds the bytes kdecl read, not the file again (see
// checkedFS). What CUE itself refuses (a bad attribute, a missing file) is
// left to CUE's errors, which name the app and field found here.
func (l *loader) embeds(inst *build.Instance) error {
	c := &embedChecker{l: l, files: map[string][]byte{}, wrapped: map[*token.File]bool{}}
	seen := map[*build.Instance]bool{}
	var walk func(b *build.Instance)
	walk = func(b *build.Instance) {
		if seen[b] {
			return
		}
		seen[b] = true
		for _, f := range b.Files {
			// Paths in an imported package are not the stack's.
			c.file(b.Root, f, b == inst)
		}
		for _, imp := range b.Imports {
			walk(imp)
		}
	}
	walk(inst)
	if len(c.errs) > 0 {
		return Errors(sortErrors(c.errs))
	}
	return nil
}

// embedChecker checks the embedded files of a stack.
type embedChecker struct {
	l *loader
	// files are the checked files' contents, by their path in CUE's file
	// system, and wrapped the CUE files that read them through checkedFS.
	files   map[string][]byte
	wrapped map[*token.File]bool
	errs    []*Error
}

// file checks the files embedded by f, a file of the module at root, and
// records the fields of its @embed attributes where stack says its paths
// are the stack's.
func (c *embedChecker) file(root string, f *ast.File, stack bool) {
	if root == "" {
		return // outside a module CUE embeds nothing, and says so
	}
	rel, err := filepath.Rel(root, f.Filename)
	if err != nil || !filepath.IsLocal(rel) {
		return
	}
	// CUE reports the attributes it refuses, bad, when it evaluates them.
	embeds, bad := embed.EmbeddedPaths(filepath.ToSlash(rel), f)
	if len(embeds) == 0 && bad == nil {
		return
	}
	var fields map[ast.Node][]string
	if stack {
		fields = fieldPaths(f)
		for n, path := range fields {
			if field, ok := n.(*ast.Field); ok {
				for _, a := range field.Attrs {
					if a.Name() == embed.EmbedKind {
						c.l.embedFields[a.Pos().Position()] = path
					}
				}
			}
		}
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return // CUE cannot read the module either
	}
	for _, em := range embeds {
		pos := em.Attribute.Pos
		loc := pos.File().FSLoc()
		if tf := pos.File(); !c.wrapped[tf] && loc.FS != nil {
			c.wrapped[tf] = true
			// CUE calls SetFSLoc internal: should it change, the files
			// are still checked, only read again by CUE.
			tf.SetFSLoc(token.FSLoc{FS: checkedFS{dirs: loc.FS, files: c.files}, Path: loc.Path, FromFSPath: loc.FromFSPath})
		}
		matches, err := em.FindAll(os.DirFS(root))
		if err != nil {
			continue // CUE says what is missing
		}
		app, field := splitPath(fields[em.Node])
		for _, m := range matches {
			// m is a path in the module, name as the attribute gives it
			name := strings.TrimPrefix(m, pathDir(em.FilePath))
			data, problem := c.read(root, realRoot, m, path.Dir(em.FilePath), em.Type)
			switch {
			case problem != "":
				c.errs = append(c.errs, c.l.newError(pos, app, field, fmt.Sprintf("@embed: %s %s", name, problem)))
			case data != nil:
				c.files[path.Join(path.Dir(loc.Path), name)] = data
			}
		}
	}
}

// pathDir is the directory of a slash path as a prefix: "" or "dir/".
func pathDir(name string) string {
	if dir := path.Dir(name); dir != "." {
		return dir + "/"
	}
	return ""
}

// read reads the file at path m of the module in root, which is realRoot
// with symbolic links resolved, for an attribute of a file in dir (a path
// in the module, as m). It returns what is wrong with the file, or its
// contents, nil for a directory (which a glob may match and CUE skips).
func (c *embedChecker) read(root, realRoot, m, dir, typ string) (data []byte, problem string) {
	name := filepath.Join(root, filepath.FromSlash(m))
	real, err := filepath.EvalSymlinks(name)
	if err != nil {
		return nil, fmt.Sprintf("cannot be read: %v", err)
	}
	rel, err := filepath.Rel(realRoot, real)
	inside := err == nil && filepath.IsLocal(rel)
	// A file of the module is shown as the attribute would name it.
	show := func(real string) string {
		if rel, err := filepath.Rel(filepath.Join(realRoot, dir), real); err == nil {
			return filepath.ToSlash(rel)
		}
		return real
	}
	leadsTo := "" // how name leads to real, when a link is on the way
	if !inside || filepath.ToSlash(rel) != m {
		target := real
		if inside {
			target = show(real)
		}
		leadsTo = "leads through a symbolic link to " + target + ", which "
		if info, err := os.Lstat(name); err == nil && info.Mode()&fs.ModeSymlink != 0 {
			leadsTo = "is a symbolic link to " + target + ", which "
		}
	}
	if !inside {
		return nil, leadsTo + "is outside the module: a stack embeds only files of its module"
	}
	info, err := os.Lstat(real)
	switch {
	case err != nil:
		return nil, fmt.Sprintf("cannot be read: %v", err)
	case info.IsDir():
		return nil, ""
	case !info.Mode().IsRegular():
		return nil, fmt.Sprintf("%sis %s, not a regular file: a stack embeds only regular files", leadsTo, fileKind(info.Mode()))
	case info.Size() > maxEmbedBytes:
		return nil, leadsTo + tooLarge(info.Size())
	}
	for d := filepath.Dir(real); len(d) > len(realRoot); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "cue.mod")); err == nil {
			return nil, fmt.Sprintf("%sis in another module, that of %s: a stack embeds only files of its module", leadsTo, show(d))
		}
	}
	// O_NONBLOCK: should the file have become a named pipe since, opening
	// it does not wait for a writer.
	f, err := os.OpenFile(real, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Sprintf("cannot be read: %v", err)
	}
	defer f.Close()
	if now, err := f.Stat(); err != nil || !os.SameFile(info, now) {
		return nil, "changed while kdecl read it"
	}
	data, err = io.ReadAll(io.LimitReader(f, maxEmbedBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Sprintf("cannot be read: %v", err)
	case len(data) > maxEmbedBytes:
		return nil, leadsTo + tooLarge(int64(len(data)))
	}
	tags := strings.Split(typ, "+")
	if slices.Contains(tags, "binary") {
		return data, ""
	}
	if i, line, col := invalidUTF8(data); i >= 0 {
		return nil, fmt.Sprintf("%sis not UTF-8 text: byte %#x at line %d, column %d, which CUE would read as U+FFFD; save the file as UTF-8, or embed it with type=binary where bytes are wanted", leadsTo, data[i], line, col)
	}
	if (slices.Contains(tags, "text") || typ == "" && filepath.Ext(name) == ".txt") && bytes.HasPrefix(data, []byte("\uFEFF")) {
		return nil, leadsTo + "starts with a byte order mark (EF BB BF), which CUE drops: the file would not be embedded byte for byte; remove the mark"
	}
	return data, ""
}

// tooLarge says that a file of size bytes is too large to embed.
func tooLarge(size int64) string {
	return fmt.Sprintf("has %d bytes, more than a ConfigMap holds (%d, 1 MiB), which bounds what kdecl embeds: mount a large file from an image or a volume", size, maxEmbedBytes)
}

// fileKind names what a file that is not regular is.
func fileKind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// invalidUTF8 finds the first byte of data that is not UTF-8, at index
// i (-1 when all is), on line and column (in bytes) from 1.
func invalidUTF8(data []byte) (i, line, col int) {
	if utf8.Valid(data) {
		return -1, 0, 0
	}
	for i < len(data) {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	line = 1 + bytes.Count(data[:i], []byte("\n"))
	col = 1 + i - (bytes.LastIndexByte(data[:i], '\n') + 1)
	return i, line, col
}

// fieldPaths maps the fields and structs of a file to their paths, as
// CUE's errors give them, where every label on the way is written out:
// the path of an @embed attribute before CUE evaluates the file. What is
// under a label CUE computes (a pattern, an interpolation) is left out.
func fieldPaths(f *ast.File) map[ast.Node][]string {
	paths := map[ast.Node][]string{f: {}}
	var decls func(ds []ast.Decl, path []string)
	var expr func(e ast.Expr, path []string)
	decls = func(ds []ast.Decl, path []string) {
		for _, d := range ds {
			switch d := d.(type) {
			case *ast.Field:
				name, isIdent, err := ast.LabelName(d.Label)
				if err != nil {
					continue
				}
				if !isIdent {
					name = cue.Str(name).String() // quoted where CUE quotes it
				}
				p := append(slices.Clip(path), name)
				paths[d] = p
				expr(d.Value, p)
			case *ast.EmbedDecl:
				expr(d.Expr, path)
			case *ast.Comprehension:
				expr(d.Value, path)
			}
		}
	}
	expr = func(e ast.Expr, path []string) {
		switch e := e.(type) {
		case *ast.StructLit:
			paths[e] = path
			decls(e.Elts, path)
		case *ast.BinaryExpr:
			expr(e.X, path)
			expr(e.Y, path)
		case *ast.ParenExpr:
			expr(e.X, path)
		}
	}
	decls(f.Decls, nil)
	return paths
}

// checkedFS is the file system through which CUE's @embed reads a file of
// the stack: the files kdecl checked, as it read them, and the directories
// of CUE's own file system; any other file is refused. What CUE embeds is
// then what kdecl checked, however the files change meanwhile.
type checkedFS struct {
	// dirs is CUE's file system; a field, not embedded, lest its Stat or
	// ReadFile read around Open.
	dirs  fs.FS
	files map[string][]byte
}

func (c checkedFS) Open(name string) (fs.File, error) {
	if data, ok := c.files[name]; ok {
		return &checkedFile{Reader: bytes.NewReader(data), name: path.Base(name)}, nil
	}
	info, err := fs.Stat(c.dirs, name)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return c.dirs.Open(name)
}

// checkedFile is a file of checkedFS, and its own fs.FileInfo (the
// reader's Size is the file's).
type checkedFile struct {
	*bytes.Reader
	name string
}

func (f *checkedFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *checkedFile) Close() error               { return nil }
func (f *checkedFile) Name() string               { return f.name }
func (f *checkedFile) Mode() fs.FileMode          { return 0o444 }
func (f *checkedFile) ModTime() time.Time         { return time.Time{} }
func (f *checkedFile) IsDir() bool                { return false }
func (f *checkedFile) Sys() any                   { return nil }
