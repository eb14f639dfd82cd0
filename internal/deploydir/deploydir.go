// Package deploydir keeps a deploy directory: the files a render of one
// stack writes into it, changed as one transaction, one render at a time,
// never reaching outside the directory.
//
// Layout. A render owns the top level of the directory and one
// subdirectory per app; it writes NAME.yaml files at those two depths
// only. Every file it writes starts with Header, which names the stack.
// A render replaces and removes only files whose header names its own
// stack (or, in the locations it owns, the old header that named none);
// files without the header are never touched; a file of another stack in
// a location this render owns is an error. Subdirectories it does not own
// (a nested deploy directory of another stack, say) are only read to find
// stale files of its own stack. Hidden entries (.git, ...) are never read.
//
// Transaction. Commit writes every new file into the hidden directory
// .kdecl-txn, then writes a journal of the renames and removals that
// bring the directory from the old render to the new one, and renames the
// journal into place: that rename is the commit point. Before it, the
// directory holds the old render (plus .kdecl-txn, which nothing else
// reads); after it, the journal is carried out. A process killed after the
// commit point leaves the journal, and the next Open finishes it; a
// process killed before leaves .kdecl-txn without a journal, and the next
// Open removes it. Every command that reads a deploy directory opens it
// too, so that it never reads a render half carried out: one that cannot
// write to the directory is refused with an error that says so, before
// anything changes.
package deploydir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Journal is where a render that a crash interrupted after its commit
// point leaves its journal, relative to the deploy directory: a command
// that reads directories it does not know to be deploy directories opens
// those that hold one.
const Journal = journalFile

const (
	txnDir         = ".kdecl-txn"
	journalFile    = txnDir + "/journal"
	journalTmpFile = txnDir + "/journal.tmp"
	journalMagic   = "kdecl journal 1\n"

	// MaxFileSize bounds what kdecl reads of a file in a deploy
	// directory: no object the API server stores comes near it.
	MaxFileSize = 8 << 20
	// headerSize bounds what is read of a file to find its owner.
	headerSize = 256
)

// File is one file of a render.
type File struct {
	// Path is slash-separated and relative: NAME.yaml or APP/NAME.yaml.
	Path string
	// Data is the whole file, Header first.
	Data []byte
}

// Dir is an open, locked deploy directory.
type Dir struct {
	path string   // as the user gave it, for messages
	root *os.Root // nil when the directory does not exist (read-only use)
	lock *os.File
	// fail, when set, runs before each step that changes the directory,
	// and before each check that recovery can change it; an error it
	// returns makes the step fail. Tests use it to break a render at
	// every point.
	fail   func(step string) error
	stepMu sync.Mutex
}

// Options of Open.
type Options struct {
	// Create creates the directory (and its parents) when it is missing.
	// Without it, a missing directory reads as empty and cannot be
	// committed to.
	Create bool
	// Waiting is called once when another process holds the directory's
	// lock, before Open waits for it.
	Waiting func()
	// fail becomes the Dir's fail: tests break the recovery Open does.
	fail func(step string) error
}

// Open opens the deploy directory at path and locks it against other
// renders until Close, waiting while another process holds it (until ctx
// is done). A render that a crash left unfinished is finished first (or,
// if it had not reached its commit point, undone).
func Open(ctx context.Context, path string, opt Options) (*Dir, error) {
	d := &Dir{path: path, fail: opt.fail}
	if opt.Create {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return nil, err
		}
	}
	root, err := os.OpenRoot(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !opt.Create:
		return d, nil
	case err != nil:
		return nil, err
	}
	d.root = root
	if d.lock, err = root.Open("."); err != nil {
		root.Close()
		return nil, err
	}
	if err := lock(ctx, d.lock, opt.Waiting); err != nil {
		d.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := d.recover(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close unlocks the directory.
func (d *Dir) Close() error {
	if d.root == nil {
		return nil
	}
	err := d.lock.Close() // closing the descriptor releases the lock
	return errors.Join(err, d.root.Close())
}

// Change is one file a Commit changes.
type Change struct {
	Path string
	// Old is the file's content before, nil for a new file.
	Old []byte
	// New is its content after, nil for a file removed.
	New []byte
}

// Plan is what it takes to bring a deploy directory from what it holds
// to a render.
type Plan struct {
	// Changes, by path: files written (new or changed) and removed.
	Changes []Change
	// newDirs are the app directories that do not exist yet.
	newDirs []string
}

// Empty is whether the directory is already up to date.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// entry is a .yaml file of the directory, or something in its place.
type entry struct {
	generated bool
	owner     string // the stack its header names; "" in an old header
	dir       bool   // a directory named like a file
	data      []byte // the whole file, read where the render owns it
}

// Plan compares a render of stack with the directory. It fails, naming
// them, when a file of the render would replace one kdecl did not write
// or one of another stack, or when a location the render owns holds
// another stack's files or something that is not a regular file.
func (d *Dir) Plan(stack string, files []File) (*Plan, error) {
	owned := map[string]bool{}
	want := make(map[string][]byte, len(files))
	header := []byte(Header(stack))
	for _, f := range files {
		if err := checkPath(f.Path); err != nil {
			return nil, fmt.Errorf("internal error: %w", err)
		}
		if !bytes.HasPrefix(f.Data, header) {
			return nil, fmt.Errorf("internal error: %s does not start with the header of stack %s", f.Path, stack)
		}
		if dir, _, ok := strings.Cut(f.Path, "/"); ok {
			owned[dir] = true
		}
		want[f.Path] = f.Data
	}
	found, dirs, err := d.scan(owned)
	if err != nil {
		return nil, err
	}

	p := &Plan{}
	var problems []string
	others := false // problems with other stacks' files
	for _, name := range slices.Sorted(maps.Keys(want)) {
		data := want[name]
		e, ok := found[name]
		switch {
		case !ok:
			p.Changes = append(p.Changes, Change{Path: name, New: data})
		case e.dir || !e.generated:
			problems = append(problems, fmt.Sprintf("%s: not overwriting a file that kdecl did not generate", name))
		case e.owner != "" && e.owner != stack:
			problems = append(problems, fmt.Sprintf("%s: rendered from stack %s, not %s", name, e.owner, stack))
			others = true
		default:
			if !bytes.Equal(e.data, data) {
				p.Changes = append(p.Changes, Change{Path: name, Old: e.data, New: data})
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(found)) {
		e := found[name]
		if _, ok := want[name]; ok || !e.generated {
			continue
		}
		dir, _, nested := strings.Cut(name, "/")
		mine := !nested || owned[dir] // a location this render owns
		switch {
		case e.owner == stack, e.owner == "" && mine:
			p.Changes = append(p.Changes, Change{Path: name, Old: e.data})
		case mine:
			problems = append(problems, fmt.Sprintf("%s: rendered from stack %s, not %s", name, e.owner, stack))
			others = true
		}
	}
	switch {
	case others:
		return nil, fmt.Errorf("%s holds files of another stack:\n  %s\nrender each stack into a directory of its own, or into a subdirectory named after none of this stack's apps", d.path, strings.Join(problems, "\n  "))
	case len(problems) == 1:
		return nil, fmt.Errorf("%s: %s", d.path, problems[0])
	case len(problems) > 1:
		return nil, fmt.Errorf("%s:\n  %s", d.path, strings.Join(problems, "\n  "))
	}
	slices.SortFunc(p.Changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	for dir := range owned {
		if !dirs[dir] {
			p.newDirs = append(p.newDirs, dir)
		}
	}
	slices.Sort(p.newDirs)
	return p, nil
}

// checkPath accepts the paths a render may write: NAME.yaml or
// DIR/NAME.yaml, no part hidden.
func checkPath(name string) error {
	parts := strings.Split(name, "/")
	if len(parts) > 2 || !strings.HasSuffix(name, ".yaml") || !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("file %q is not NAME.yaml or DIR/NAME.yaml", name)
	}
	for _, p := range parts {
		if p == "" || strings.HasPrefix(p, ".") {
			return fmt.Errorf("file %q has an empty or hidden part", name)
		}
	}
	return nil
}

// scan finds the .yaml files at the two depths a render writes, and the
// directories at the top. In the locations the render owns (the top and
// the owned app directories) an entry that is not a regular file or
// directory is an error; elsewhere it is left alone.
func (d *Dir) scan(owned map[string]bool) (found map[string]entry, dirs map[string]bool, err error) {
	found, dirs = map[string]entry{}, map[string]bool{}
	if d.root == nil {
		return found, dirs, nil
	}
	top, err := d.readDir(".")
	if err != nil {
		return nil, nil, err
	}
	for _, e := range top {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
			continue
		case e.IsDir():
			dirs[name] = true
			sub, err := d.readDir(name)
			if err != nil {
				if owned[name] {
					return nil, nil, err
				}
				continue // not ours to read
			}
			for _, s := range sub {
				if err := d.add(found, name+"/"+s.Name(), s, owned[name]); err != nil {
					return nil, nil, err
				}
			}
		case owned[name]:
			return nil, nil, fmt.Errorf("%s: %s must be a directory; it is %s", d.path, name, describe(e.Type()))
		default:
			if err := d.add(found, name, e, true); err != nil {
				return nil, nil, err
			}
		}
	}
	return found, dirs, nil
}

// add records the entry e at name when it is a .yaml entry: a regular
// file with its owner, or a directory. Anything else is an error where
// strict (a location the render owns) and ignored elsewhere.
func (d *Dir) add(found map[string]entry, name string, e fs.DirEntry, strict bool) error {
	base := path.Base(name)
	if strings.HasPrefix(base, ".") || !strings.HasSuffix(base, ".yaml") {
		return nil
	}
	switch t := e.Type(); {
	case t.IsDir():
		found[name] = entry{dir: true}
		return nil
	case !t.IsRegular():
		if strict {
			return fmt.Errorf("%s: %s is %s; kdecl reads and writes only regular files in a deploy directory", d.path, name, describe(t))
		}
		return nil
	}
	if strict { // the render may compare, replace or remove it: read it all
		data, err := d.read(name)
		if err != nil {
			return err
		}
		owner, generated := Owner(data)
		found[name] = entry{generated: generated, owner: owner, data: data}
		return nil
	}
	f, err := d.open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	head, err := d.readHead(f, name)
	if err != nil {
		return err
	}
	owner, generated := Owner(head)
	found[name] = entry{generated: generated, owner: owner}
	return nil
}

// Files reads what renders left in the directory: the files kdecl
// generated at the two depths a render writes, by path, those of stack,
// or of every stack when stack is "" (a file whose old header names no
// stack is every stack's). It reads no hidden entry and follows no
// symbolic link; a .yaml entry there that is not a regular file, a
// subdirectory it cannot read and a generated file larger than
// MaxFileSize are errors that name them. other is whether the directory
// holds anything else, hidden entries and subdirectories aside.
func (d *Dir) Files(stack string) (files []File, other bool, err error) {
	if d.root == nil {
		return nil, false, nil
	}
	top, err := d.readDir(".")
	if err != nil {
		return nil, false, err
	}
	var names []string
	// candidate adds the entry e at name to names when it can be a file
	// kdecl generated, and tells whether it is something else.
	candidate := func(name string, e fs.DirEntry) (bool, error) {
		switch t := e.Type(); {
		case strings.HasPrefix(e.Name(), "."):
			return false, nil
		case t.IsDir() || !strings.HasSuffix(name, ".yaml"):
			return true, nil
		case !t.IsRegular():
			return false, fmt.Errorf("%s: %s is %s; kdecl reads only regular files in a deploy directory", d.path, name, describe(t))
		}
		names = append(names, name)
		return false, nil
	}
	for _, e := range top {
		var o bool
		switch name := e.Name(); {
		case strings.HasPrefix(name, "."):
		case e.IsDir():
			sub, err := d.readDir(name)
			if err != nil {
				return nil, false, err
			}
			for _, s := range sub {
				if o, err = candidate(name+"/"+s.Name(), s); err != nil {
					return nil, false, err
				}
				other = other || o
			}
		default:
			if o, err = candidate(name, e); err != nil {
				return nil, false, err
			}
		}
		other = other || o
	}
	read := make([]*File, len(names))
	var otherMu sync.Mutex
	err = parallel(context.Background(), len(names), func(i int) error {
		data, owner, generated, err := d.readGenerated(names[i])
		switch {
		case err != nil:
			return err
		case !generated:
			otherMu.Lock()
			other = true
			otherMu.Unlock()
		case stack == "" || owner == stack || owner == "":
			read[i] = &File{Path: names[i], Data: data}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	for _, f := range read {
		if f != nil {
			files = append(files, *f)
		}
	}
	return files, other, nil
}

// readGenerated reads the file at name if kdecl generated it: its header
// first, then, for a generated file only, the whole file.
func (d *Dir) readGenerated(name string) (data []byte, owner string, generated bool, err error) {
	f, err := d.open(name)
	if err != nil {
		return nil, "", false, err
	}
	defer f.Close()
	head, err := d.readHead(f, name)
	if err != nil {
		return nil, "", false, err
	}
	if owner, generated = Owner(head); !generated {
		return nil, "", false, nil
	}
	data, err = d.readRest(f, name, head)
	return data, owner, true, err
}

func describe(t fs.FileMode) string {
	switch {
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeDevice != 0:
		return "a device"
	case t.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

func (d *Dir) readDir(name string) ([]fs.DirEntry, error) {
	f, err := d.root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read %s: %w", d.path, name, unwrapPath(err))
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read %s: %w", d.path, name, unwrapPath(err))
	}
	return entries, nil
}

// open opens a regular file without following a symbolic link or
// blocking on a named pipe put in its place since it was listed.
func (d *Dir) open(name string) (*os.File, error) {
	f, err := d.root.OpenFile(filepath.FromSlash(name), os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read %s: %w", d.path, name, unwrapPath(err))
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %s is not a regular file", d.path, name)
	}
	return f, nil
}

// read reads a whole file of the directory, at most MaxFileSize bytes.
func (d *Dir) read(name string) ([]byte, error) {
	f, err := d.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return d.readRest(f, name, nil)
}

// readHead reads the start of f, enough to hold a header.
func (d *Dir) readHead(f *os.File, name string) ([]byte, error) {
	head, err := io.ReadAll(io.LimitReader(f, headerSize))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read %s: %w", d.path, name, unwrapPath(err))
	}
	return head, nil
}

// readRest reads the rest of f, whose first bytes, head, are read
// already: the whole file, at most MaxFileSize bytes.
func (d *Dir) readRest(f *os.File, name string, head []byte) ([]byte, error) {
	size := int64(512)
	if info, err := f.Stat(); err == nil {
		size = min(info.Size()+1, MaxFileSize+1)
	}
	data := append(make([]byte, 0, max(size, int64(len(head)))), head...)
	data, err := readAll(io.LimitReader(f, MaxFileSize+1-int64(len(head))), data)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: cannot read %s: %w", d.path, name, unwrapPath(err))
	case len(data) > MaxFileSize:
		return nil, fmt.Errorf("%s: %s is larger than %d MiB: not a file kdecl wrote", d.path, name, MaxFileSize>>20)
	}
	return data, nil
}

// readAll appends what r reads to buf, as io.ReadAll does, into a buffer
// sized for the file.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// unwrapPath drops the path of a *PathError: messages name the file
// relative to the deploy directory themselves.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ErrNotCommitted wraps the error of a Commit that stopped before its
// commit point: the directory is as it was.
var ErrNotCommitted = errors.New("the deploy directory is unchanged")

// Commit carries out p as one transaction. Until the commit point it
// stops when ctx is done, undoes what it prepared, and returns an error
// wrapping ErrNotCommitted; after it, it finishes whatever ctx says.
func (d *Dir) Commit(ctx context.Context, p *Plan) error {
	if p.Empty() {
		return nil
	}
	if d.root == nil {
		return errors.New("internal error: commit to a deploy directory opened without Create")
	}
	if err := d.prepare(ctx, p); err != nil {
		if rmErr := d.root.RemoveAll(txnDir); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
		return fmt.Errorf("%w; %w", err, ErrNotCommitted)
	}
	if err := d.replay(); err != nil {
		return fmt.Errorf("%s: finishing the render: %w (it is committed: run kdecl again to finish it)", d.path, err)
	}
	return nil
}

// prepare writes the new files and the journal; its last step, renaming
// the journal into place, is the commit point. The files are written in
// parallel (on a slow disk, a render's time is its file system's
// latency) into .kdecl-txn, under names that kubectl apply -R does not
// read.
func (d *Dir) prepare(ctx context.Context, p *Plan) error {
	if err := d.step("mkdir " + txnDir); err != nil {
		return err
	}
	if err := d.root.Mkdir(txnDir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", d.path, err)
	}
	var j bytes.Buffer
	j.WriteString(journalMagic)
	for _, dir := range p.newDirs {
		fmt.Fprintf(&j, "mkdir %q\n", dir)
	}
	var jobs []Change
	for i, c := range p.Changes {
		if c.New == nil {
			fmt.Fprintf(&j, "remove %q\n", c.Path)
			continue
		}
		tmp := strconv.Itoa(i)
		jobs = append(jobs, Change{Path: tmp, New: c.New})
		fmt.Fprintf(&j, "rename %q %q\n", txnDir+"/"+tmp, c.Path)
	}
	// Written through a root at .kdecl-txn: one open per file, not one
	// of the directory and one of the file.
	txn, err := d.root.OpenRoot(txnDir)
	if err != nil {
		return fmt.Errorf("%s: %w", d.path, err)
	}
	defer txn.Close()
	err = parallel(ctx, len(jobs), func(i int) error {
		return d.writeFile(txn, txnDir, jobs[i].Path, jobs[i].New)
	})
	if err != nil {
		return err
	}
	if err := d.writable(p); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.writeFile(txn, txnDir, path.Base(journalTmpFile), j.Bytes()); err != nil {
		return err
	}
	if err := d.step("commit"); err != nil {
		return err
	}
	return d.root.Rename(journalTmpFile, journalFile)
}

// workers is how many files are written or renamed at once.
const workers = 16

// parallel calls do(i) for each i in [0, n), on several goroutines when n
// is large, until the first error or until ctx is done: on a slow disk, a
// render's time is its file system's latency, and one file can be
// written while another waits.
func parallel(ctx context.Context, n int, do func(i int) error) error {
	if n <= workers {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := do(i); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				if err := do(i); err != nil {
					cancel(err)
				}
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// writable checks, before the commit point, that the directories the
// journal changes can be changed and are on the file system of .kdecl-txn,
// so that carrying out the journal does not fail halfway.
func (d *Dir) writable(p *Plan) error {
	txn, err := d.root.Lstat(txnDir)
	if err != nil {
		return err
	}
	dirs := map[string]bool{".": true}
	for _, c := range p.Changes {
		if dir := path.Dir(c.Path); !slices.Contains(p.newDirs, dir) {
			dirs[dir] = true
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		info, err := d.root.Lstat(dir)
		if err != nil {
			return fmt.Errorf("%s: %w", d.path, err)
		}
		if !sameDevice(txn, info) {
			return fmt.Errorf("%s: %s is on another file system than %s; kdecl cannot change it in one transaction", d.path, dir, d.path)
		}
		if err := canWrite(filepath.Join(d.root.Name(), dir)); err != nil {
			return fmt.Errorf("%s: cannot write to %s: %w", d.path, dir, err)
		}
	}
	return nil
}

// writeFile writes a new file, base, into dir of the deploy directory
// ("" for its top), through root, the root at dir.
func (d *Dir) writeFile(root *os.Root, dir, base string, data []byte) error {
	name := path.Join(dir, base)
	if err := d.step("write " + name); err != nil {
		return err
	}
	f, err := root.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("%s: cannot create %s: %w", d.path, name, unwrapPath(err))
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: writing %s: %w", d.path, name, unwrapPath(err))
	}
	return nil
}

func (d *Dir) step(s string) error {
	if d.fail == nil {
		return nil
	}
	d.stepMu.Lock() // writeAll's steps come from several goroutines
	defer d.stepMu.Unlock()
	return d.fail(s)
}

// recover finishes a committed render that was interrupted, or removes
// what an uncommitted one prepared.
func (d *Dir) recover() error {
	if _, err := d.root.Lstat(txnDir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := d.root.Lstat(journalFile); errors.Is(err, fs.ErrNotExist) {
		if err := d.root.RemoveAll(txnDir); err != nil {
			return fmt.Errorf("%s: removing an unfinished render: %w", d.path, err)
		}
		return nil
	}
	data, err := d.root.ReadFile(journalFile)
	if err != nil {
		return fmt.Errorf("%s: finishing an interrupted render: %w", d.path, err)
	}
	ops, err := parseJournal(data)
	if err != nil {
		return fmt.Errorf("%s: finishing an interrupted render: %w", d.path, err)
	}
	if err := d.finishable(ops); err != nil {
		return fmt.Errorf("%s: a render into it was interrupted after its commit point, and kdecl cannot finish it: %w; until it is finished, the directory holds part of the old render and part of the new one: run any kdecl command that reads it (kdecl render --check, say) with write access to it", d.path, err)
	}
	if err := d.replay(); err != nil {
		return fmt.Errorf("%s: finishing an interrupted render: %w", d.path, err)
	}
	return nil
}

// finishable checks that the journal's operations, ops, can be carried
// out: that the directories they change can be written. A reader that cannot write is
// refused before any step, not halfway.
func (d *Dir) finishable(ops []op) error {
	dirs := map[string]bool{".": true, txnDir: true}
	for _, o := range ops {
		if o.verb != "mkdir" {
			dirs[path.Dir(o.path)] = true
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		if _, err := d.root.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			continue // an app directory the journal makes
		}
		err := d.step("access " + dir)
		if err == nil {
			err = canWrite(filepath.Join(d.root.Name(), dir))
		}
		if err != nil {
			return fmt.Errorf("cannot write to %s: %w", dir, err)
		}
	}
	return nil
}

// replay carries out the journal. Every step can run twice: a replay
// that was itself interrupted is replayed again.
func (d *Dir) replay() error {
	data, err := d.root.ReadFile(journalFile)
	if err != nil {
		return err
	}
	ops, err := parseJournal(data)
	if err != nil {
		return err
	}
	do := func(op op) error {
		if err := d.step(op.verb + " " + op.path); err != nil {
			return err
		}
		var err error
		switch op.verb {
		case "mkdir":
			err = d.root.Mkdir(op.path, 0o755)
			if errors.Is(err, fs.ErrExist) {
				err = nil
			}
		case "rename":
			err = d.root.Rename(op.tmp, op.path)
			if errors.Is(err, fs.ErrNotExist) {
				err = nil // renamed by an earlier replay
			}
		case "remove":
			err = d.root.Remove(op.path)
			if errors.Is(err, fs.ErrNotExist) {
				err = nil
			}
		}
		return err
	}
	// The directories first; then the renames and the removals, each of
	// a path of its own (a journal names a path once), in parallel.
	var renames, removes []op
	for _, o := range ops {
		switch o.verb {
		case "mkdir":
			if err := do(o); err != nil {
				return err
			}
		case "rename":
			renames = append(renames, o)
		default:
			removes = append(removes, o)
		}
	}
	if err := d.renameAll(renames, do); err != nil {
		return err
	}
	err = parallel(context.Background(), len(removes), func(i int) error { return do(removes[i]) })
	if err != nil {
		return err
	}
	ops = removes
	emptied := map[string]bool{}
	for _, o := range ops {
		if dir := path.Dir(o.path); o.verb == "remove" && dir != "." {
			emptied[dir] = true
		}
	}
	for dir := range emptied {
		d.root.Remove(dir) // fails, as it should, unless the directory is empty
	}
	if err := d.step("done"); err != nil {
		return err
	}
	return d.root.RemoveAll(txnDir)
}

// renameAll carries out the renames of a journal, in parallel, a
// directory at a time: where the system can, with the staging directory
// and the target directory opened once (os.Root opens both for each
// rename), else with do.
func (d *Dir) renameAll(ops []op, do func(op) error) error {
	if !fdRenames {
		return parallel(context.Background(), len(ops), func(i int) error { return do(ops[i]) })
	}
	byDir := map[string][]op{}
	for _, o := range ops {
		byDir[path.Dir(o.path)] = append(byDir[path.Dir(o.path)], o)
	}
	dirs := slices.Sorted(maps.Keys(byDir))
	from, err := d.root.Open(txnDir)
	if err != nil {
		return err
	}
	defer from.Close()
	return parallel(context.Background(), len(dirs), func(i int) error {
		to, err := d.root.Open(dirs[i])
		if err != nil {
			return err
		}
		defer to.Close()
		for _, o := range byDir[dirs[i]] {
			if err := d.step(o.verb + " " + o.path); err != nil {
				return err
			}
			err := renameat(from, path.Base(o.tmp), to, path.Base(o.path))
			if err != nil && !errors.Is(err, fs.ErrNotExist) { // ErrNotExist: renamed by an earlier replay
				return fmt.Errorf("%s: renaming %s to %s: %w", d.path, o.tmp, o.path, err)
			}
		}
		return nil
	})
}

// journalFields splits a journal line into its verb and quoted paths.
func journalFields(line string) ([]string, error) {
	verb, rest, _ := strings.Cut(line, " ")
	f := []string{verb}
	for rest != "" {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return nil, fmt.Errorf("line %q", line)
		}
		p, _ := strconv.Unquote(q)
		f = append(f, p)
		rest = strings.TrimPrefix(rest[len(q):], " ")
	}
	return f, nil
}

type op struct {
	verb, tmp, path string
}

// parseJournal reads a journal, refusing any path a render could not
// have written.
func parseJournal(data []byte) ([]op, error) {
	rest, ok := bytes.CutPrefix(data, []byte(journalMagic))
	if !ok {
		return nil, errors.New("the journal .kdecl-txn/journal is not one kdecl wrote")
	}
	var ops []op
	for _, line := range strings.Split(strings.TrimSuffix(string(rest), "\n"), "\n") {
		f, err := journalFields(line)
		if err != nil {
			return nil, fmt.Errorf("the journal .kdecl-txn/journal is damaged: %w", err)
		}
		var o op
		switch {
		case len(f) == 2 && f[0] == "mkdir":
			o = op{verb: f[0], path: f[1]}
			if strings.Contains(o.path, "/") || !filepath.IsLocal(o.path) || strings.HasPrefix(o.path, ".") {
				err = fmt.Errorf("directory %q", o.path)
			}
		case len(f) == 2 && f[0] == "remove":
			o = op{verb: f[0], path: f[1]}
			err = checkPath(o.path)
		case len(f) == 3 && f[0] == "rename":
			o = op{verb: f[0], tmp: f[1], path: f[2]}
			err = checkPath(o.path)
			if n, ok := strings.CutPrefix(o.tmp, txnDir+"/"); !ok || strings.Trim(n, "0123456789") != "" || n == "" {
				err = fmt.Errorf("temporary file %q", o.tmp)
			}
		default:
			err = fmt.Errorf("line %q", line)
		}
		if err != nil {
			return nil, fmt.Errorf("the journal .kdecl-txn/journal is damaged: %w", err)
		}
		ops = append(ops, o)
	}
	return ops, nil
}
