package deploydir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// render is a render of stack: files by path, each given its header.
func render(stack string, files map[string]string) []File {
	var out []File
	for _, p := range slices.Sorted(maps.Keys(files)) {
		out = append(out, File{Path: p, Data: []byte(Header(stack) + files[p])})
	}
	return out
}

// tree is a directory's content as render gives it: path to data.
func tree(files []File) map[string]string {
	m := map[string]string{}
	for _, f := range files {
		m[f.Path] = string(f.Data)
	}
	return m
}

// readTree reads every file under dir, hidden ones included, by slash path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// commit renders files into dir and wants no error.
func commit(t *testing.T, dir, stack string, files []File) {
	t.Helper()
	if err := tryCommit(dir, stack, files, nil); err != nil {
		t.Fatal(err)
	}
}

func tryCommit(dir, stack string, files []File, fail func(string) error) error {
	d, err := Open(context.Background(), dir, Options{Create: true})
	if err != nil {
		return err
	}
	defer d.Close()
	d.fail = fail
	p, err := d.Plan(stack, files)
	if err != nil {
		return err
	}
	return d.Commit(context.Background(), p)
}

var (
	oldRender = render("shop", map[string]string{
		"00-namespace-shop.yaml":           "kind: Namespace\n",
		"web/04-service-web.yaml":          "kind: Service\nold\n",
		"web/05-deployment-web.yaml":       "kind: Deployment\nold\n",
		"gone/05-deployment-gone.yaml":     "kind: Deployment\n",
		"db/03-persistentvolumeclaim.yaml": "kind: PersistentVolumeClaim\n",
	})
	newRender = render("shop", map[string]string{
		"00-namespace-shop.yaml":           "kind: Namespace\n",
		"web/04-service-web.yaml":          "kind: Service\nnew\n",
		"web/05-deployment-web.yaml":       "kind: Deployment\nnew\n",
		"api/05-deployment-api.yaml":       "kind: Deployment\n",
		"db/03-persistentvolumeclaim.yaml": "kind: PersistentVolumeClaim\n",
	})
	// handWritten files are in the deploy directory beside every render.
	handWritten = map[string]string{
		"README.md":                "hand-written\n",
		"web/extra.yaml":           "kind: ConfigMap\n",
		".git/config.yaml":         Header("shop") + "looks generated, is git's\n",
		"nested/00-namespace.yaml": Header("other") + "kind: Namespace\n",
	}
)

func withHandWritten(files []File) map[string]string {
	m := tree(files)
	maps.Copy(m, handWritten)
	return m
}

func TestCommit(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, handWritten)
	commit(t, dir, "shop", oldRender)
	if diff := cmp.Diff(withHandWritten(oldRender), readTree(t, dir)); diff != "" {
		t.Fatalf("first render (-want +got):\n%s", diff)
	}
	commit(t, dir, "shop", newRender)
	if diff := cmp.Diff(withHandWritten(newRender), readTree(t, dir)); diff != "" {
		t.Fatalf("second render (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "gone")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the directory of a removed app is still there: %v", err)
	}

	// Rendering the same again plans nothing and changes nothing.
	d, err := Open(context.Background(), dir, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.Plan("shop", newRender)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() {
		t.Errorf("an unchanged render plans changes: %+v", p.Changes)
	}
}

// TestCommitFailsAnywhere breaks a render at each of its steps in turn:
// before the commit point the directory must be exactly the old render;
// after it, the next Open must finish it to exactly the new render.
func TestCommitFailsAnywhere(t *testing.T) {
	var steps []string
	{
		dir := t.TempDir()
		commit(t, dir, "shop", oldRender)
		record := func(s string) error { steps = append(steps, s); return nil }
		if err := tryCommit(dir, "shop", newRender, record); err != nil {
			t.Fatal(err)
		}
	}
	commitAt := slices.Index(steps, "commit")
	if commitAt < 0 || len(steps) < 10 {
		t.Fatalf("steps of a render: %q", steps)
	}
	for i, step := range steps {
		t.Run(fmt.Sprintf("%02d-%s", i, strings.ReplaceAll(step, "/", "_")), func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, handWritten)
			commit(t, dir, "shop", oldRender)
			n := 0
			broken := errors.New("broken")
			err := tryCommit(dir, "shop", newRender, func(string) error {
				if n++; n == i+1 {
					return broken
				}
				return nil
			})
			if !errors.Is(err, broken) {
				t.Fatalf("commit: got %v, want the injected error", err)
			}
			got := readTree(t, dir)
			if i <= commitAt {
				if !errors.Is(err, ErrNotCommitted) {
					t.Errorf("error %q does not say the directory is unchanged", err)
				}
				if diff := cmp.Diff(withHandWritten(oldRender), got); diff != "" {
					t.Fatalf("failed before the commit point, the directory is not the old render (-want +got):\n%s", diff)
				}
				return
			}
			if _, ok := got[journalFile]; !ok {
				t.Fatalf("failed after the commit point without a journal to finish it; holds %q", slices.Sorted(maps.Keys(got)))
			}
			d, err := Open(context.Background(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
			if diff := cmp.Diff(withHandWritten(newRender), readTree(t, dir)); diff != "" {
				t.Fatalf("after recovery, the directory is not the new render (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCommitFailsAnywhereLarge is TestCommitFailsAnywhere for a render
// large enough to write its files in parallel, new app directories and
// existing ones: broken at a sample of its steps, the directory is the
// old render before the commit point, and the new one after recovery.
func TestCommitFailsAnywhereLarge(t *testing.T) {
	old, new := map[string]string{}, map[string]string{}
	for i := range 30 {
		old[fmt.Sprintf("app%d/05-deployment.yaml", i)] = "old\n"
		new[fmt.Sprintf("app%d/05-deployment.yaml", i)] = "new\n"
		new[fmt.Sprintf("app%d/04-service.yaml", i)] = "new\n"
		new[fmt.Sprintf("fresh%d/05-deployment.yaml", i)] = "new\n"
	}
	oldFiles, newFiles := render("shop", old), render("shop", new)
	var steps []string
	{
		dir := t.TempDir()
		commit(t, dir, "shop", oldFiles)
		record := func(s string) error { steps = append(steps, s); return nil }
		if err := tryCommit(dir, "shop", newFiles, record); err != nil {
			t.Fatal(err)
		}
	}
	commitAt := slices.Index(steps, "commit")
	if commitAt < 3*30 { // a write of each file comes first
		t.Fatalf("steps of a render: %q", steps)
	}
	for i := 0; i < len(steps); i += 7 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			dir := t.TempDir()
			commit(t, dir, "shop", oldFiles)
			n := 0
			broken := errors.New("broken")
			err := tryCommit(dir, "shop", newFiles, func(string) error {
				if n++; n == i+1 {
					return broken
				}
				return nil
			})
			if !errors.Is(err, broken) {
				t.Fatalf("commit: got %v, want the injected error", err)
			}
			if i <= commitAt {
				if diff := cmp.Diff(tree(oldFiles), readTree(t, dir)); diff != "" {
					t.Fatalf("failed before the commit point, the directory is not the old render (-want +got):\n%s", diff)
				}
				return
			}
			d, err := Open(context.Background(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
			if diff := cmp.Diff(tree(newFiles), readTree(t, dir)); diff != "" {
				t.Fatalf("after recovery, the directory is not the new render (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStagedFilesAreNotManifests: kubectl apply -R reads every .yaml,
// .yml and .json file under the deploy directory, .kdecl-txn included;
// the files a render stages there until its journal is carried out must
// not be among them.
func TestStagedFilesAreNotManifests(t *testing.T) {
	files := map[string]string{"00-namespace.yaml": "ns\n"}
	for i := range 20 {
		files[fmt.Sprintf("app%d/05-deployment.yaml", i)] = "new\n"
	}
	dir := t.TempDir()
	var staged []string
	err := tryCommit(dir, "shop", render("shop", files), func(step string) error {
		if step != "commit" {
			return nil
		}
		got := readTree(t, filepath.Join(dir, txnDir))
		staged = slices.Collect(maps.Keys(got))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(staged) < 20 {
		t.Fatal("nothing was staged in " + txnDir)
	}
	for _, name := range staged {
		if ext := path.Ext(name); ext == ".yaml" || ext == ".yml" || ext == ".json" {
			t.Errorf("%s/%s: kubectl apply -R would read it", txnDir, name)
		}
	}
}

// TestRecoverTwice: a recovery that is itself interrupted is finished by
// the next.
func TestRecoverTwice(t *testing.T) {
	dir := t.TempDir()
	commit(t, dir, "shop", oldRender)
	n := 0
	crash := func(s string) error {
		if strings.HasPrefix(s, "rename") || strings.HasPrefix(s, "remove") {
			if n++; n == 2 {
				return errors.New("crash")
			}
		}
		return nil
	}
	if err := tryCommit(dir, "shop", newRender, crash); err == nil {
		t.Fatal("no error from the broken commit")
	}
	d := &Dir{path: dir, fail: crash}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	d.root = root
	n = 0
	if err := d.recover(); err == nil {
		t.Fatal("no error from the broken recovery")
	}
	root.Close()
	if d, err := Open(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	} else {
		d.Close()
	}
	if diff := cmp.Diff(tree(newRender), readTree(t, dir)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestCommitCanceled(t *testing.T) {
	dir := t.TempDir()
	commit(t, dir, "shop", oldRender)
	d, err := Open(context.Background(), dir, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.Plan("shop", newRender)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	d.fail = func(s string) error {
		if n++; n == 3 {
			cancel() // an interrupt in the middle of writing
		}
		return nil
	}
	err = d.Commit(ctx, p)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrNotCommitted) {
		t.Fatalf("got %v, want canceled and not committed", err)
	}
	if diff := cmp.Diff(tree(oldRender), readTree(t, dir)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// TestRecoverUncommitted: what a render killed before its commit point
// left is removed by the next Open.
func TestRecoverUncommitted(t *testing.T) {
	dir := t.TempDir()
	commit(t, dir, "shop", oldRender)
	writeTree(t, dir, map[string]string{
		txnDir + "/0":  Header("shop") + "half",
		journalTmpFile: journalMagic + "remove web/05-deployment-web.yaml\n",
	})
	d, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if diff := cmp.Diff(tree(oldRender), readTree(t, dir)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestDamagedJournal(t *testing.T) {
	for _, journal := range []string{
		"not a journal",
		journalMagic + "remove \"../outside.yaml\"\n",
		journalMagic + "remove \"a/b/c.yaml\"\n",
		journalMagic + "rename \"/etc/passwd\" \"web/x.yaml\"\n",
		journalMagic + "mkdir \"../x\"\n",
		journalMagic + "chmod \"x\"\n",
		journalMagic + "remove web/x.yaml\n",
	} {
		dir := t.TempDir()
		commit(t, dir, "shop", oldRender)
		writeTree(t, dir, map[string]string{journalFile: journal})
		_, err := Open(context.Background(), dir, Options{})
		if err == nil || !strings.Contains(err.Error(), "journal") {
			t.Errorf("journal %q: got %v, want an error about the journal", journal, err)
		}
		if diff := cmp.Diff(tree(oldRender), withoutTxn(readTree(t, dir))); diff != "" {
			t.Errorf("journal %q changed the directory (-want +got):\n%s", journal, diff)
		}
	}
}

func withoutTxn(m map[string]string) map[string]string {
	maps.DeleteFunc(m, func(k, _ string) bool { return strings.HasPrefix(k, txnDir+"/") })
	return m
}

// TestOwnership: a render removes only stale files of its own stack,
// refuses to write over or beside another stack's files where it owns the
// location, and leaves other stacks' subdirectories alone.
func TestOwnership(t *testing.T) {
	web := render("shop", map[string]string{"web/05-deployment-web.yaml": "new\n"})
	for _, tc := range []struct {
		name    string
		before  map[string]string
		wantErr string // empty: success, and after is the tree
		after   map[string]string
	}{{
		name: "stale files of the stack anywhere are removed",
		before: map[string]string{
			"gone/05-deployment-gone.yaml": Header("shop") + "old\n",
			"00-namespace-shop.yaml":       Header("shop") + "old\n",
		},
		after: tree(web),
	}, {
		name: "another stack's subdirectory is left alone",
		before: map[string]string{
			"flask/00-namespace-flask.yaml":   Header("flask") + "x\n",
			"flask/flask/05-deployment.yaml":  Header("flask") + "x\n",
			"flask/.kdecl-txn/journal":        "theirs\n",
			"hand/written.yaml":               "apiVersion: v1\n",
			"hand/.kdecl-txn/0":               "theirs\n",
			".git/objects/05-deployment.yaml": Header("shop") + "x\n",
		},
		after: map[string]string{
			"web/05-deployment-web.yaml":      Header("shop") + "new\n",
			"flask/00-namespace-flask.yaml":   Header("flask") + "x\n",
			"flask/flask/05-deployment.yaml":  Header("flask") + "x\n",
			"flask/.kdecl-txn/journal":        "theirs\n",
			"hand/written.yaml":               "apiVersion: v1\n",
			"hand/.kdecl-txn/0":               "theirs\n",
			".git/objects/05-deployment.yaml": Header("shop") + "x\n",
		},
	}, {
		name:    "another stack's file at the top",
		before:  map[string]string{"00-namespace-flask.yaml": Header("flask") + "x\n"},
		wantErr: "00-namespace-flask.yaml: rendered from stack flask, not shop",
	}, {
		name:    "another stack's file in an app directory of this render",
		before:  map[string]string{"web/04-service-web.yaml": Header("flask") + "x\n"},
		wantErr: "web/04-service-web.yaml: rendered from stack flask, not shop",
	}, {
		name:    "another stack's file in the place of one of this render",
		before:  map[string]string{"web/05-deployment-web.yaml": Header("flask") + "x\n"},
		wantErr: "web/05-deployment-web.yaml: rendered from stack flask, not shop",
	}, {
		name:    "a hand-written file in the place of one of this render",
		before:  map[string]string{"web/05-deployment-web.yaml": "apiVersion: apps/v1\n"},
		wantErr: "web/05-deployment-web.yaml: not overwriting a file that kdecl did not generate",
	}, {
		name:    "a directory in the place of one of this render",
		before:  map[string]string{"web/05-deployment-web.yaml/x": "x"},
		wantErr: "web/05-deployment-web.yaml: not overwriting a file that kdecl did not generate",
	}, {
		name:    "a file in the place of an app directory",
		before:  map[string]string{"web": "x"},
		wantErr: "web must be a directory; it is not a regular file",
	}, {
		name: "a file of an old kdecl is this render's where it owns the location",
		before: map[string]string{
			"00-namespace-shop.yaml":     "# Code generated by kdecl. DO NOT EDIT.\nold\n",
			"web/05-deployment-web.yaml": "# Code generated by kdecl. DO NOT EDIT.\nold\n",
			"old/05-deployment-old.yaml": "# Code generated by kdecl. DO NOT EDIT.\nold\n",
		},
		after: map[string]string{
			"web/05-deployment-web.yaml": Header("shop") + "new\n",
			"old/05-deployment-old.yaml": "# Code generated by kdecl. DO NOT EDIT.\nold\n",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.before)
			err := tryCommit(dir, "shop", web, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want %q", err, tc.wantErr)
				}
				if diff := cmp.Diff(tc.before, readTree(t, dir)); diff != "" {
					t.Fatalf("a failed render changed the directory (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.after, readTree(t, dir)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnexpectedEntries: where a render owns the location, anything but
// a regular file or a directory is an error that names it, found without
// reading it (a named pipe would block, /dev/zero never ends), for a
// render and for a reader (Files); elsewhere a render leaves it alone.
func TestUnexpectedEntries(t *testing.T) {
	web := render("shop", map[string]string{"web/05-deployment-web.yaml": "new\n"})
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"05-deployment-web.yaml": Header("shop") + "outside\n"})
	for _, tc := range []struct {
		name    string
		make    func(dir string) error
		wantErr string
	}{
		{"a named pipe", func(dir string) error {
			return syscall.Mkfifo(filepath.Join(dir, "web", "04-service-web.yaml"), 0o644)
		}, "web/04-service-web.yaml is a named pipe"},
		{"a link to /dev/zero", func(dir string) error {
			return os.Symlink("/dev/zero", filepath.Join(dir, "web", "04-service-web.yaml"))
		}, "web/04-service-web.yaml is a symbolic link"},
		{"a link in the place of a file", func(dir string) error {
			return os.Symlink(filepath.Join(outside, "05-deployment-web.yaml"), filepath.Join(dir, "web", "05-deployment-web.yaml"))
		}, "web/05-deployment-web.yaml is a symbolic link"},
		{"an app directory that links outside", func(dir string) error {
			os.Remove(filepath.Join(dir, "web"))
			return os.Symlink(outside, filepath.Join(dir, "web"))
		}, "web must be a directory; it is a symbolic link"},
		{"a link at the top", func(dir string) error {
			return os.Symlink("/dev/zero", filepath.Join(dir, "00-namespace.yaml"))
		}, "00-namespace.yaml is a symbolic link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "web"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := tc.make(dir); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tryCommit(dir, "shop", web, nil) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the render hangs")
			}
			if diff := cmp.Diff(map[string]string{"05-deployment-web.yaml": Header("shop") + "outside\n"}, readTree(t, outside)); diff != "" {
				t.Errorf("the render changed a file outside the deploy directory (-want +got):\n%s", diff)
			}

			// A reader refuses the same files, and follows no link to a
			// directory: what it links to is not read, and not an error.
			d, err := Open(context.Background(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			files, _, err := d.Files("")
			if linkedDir := strings.HasPrefix(tc.wantErr, "web must be"); linkedDir {
				if err != nil || len(files) > 0 {
					t.Errorf("Files through a link: %v, %v; want none and no error", files, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Files: got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}

	// Elsewhere, the same entries are not read and not an error.
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"other/README": "x"})
	if err := syscall.Mkfifo(filepath.Join(dir, "other", "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "other", "zero.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	if err := tryCommit(dir, "shop", web, nil); err != nil {
		t.Fatal(err)
	}
}

// TestLargeFile: a file too large to be kdecl's is an error, not a read
// of all of it.
func TestLargeFile(t *testing.T) {
	dir := t.TempDir()
	big := Header("shop") + strings.Repeat("x", MaxFileSize)
	writeTree(t, dir, map[string]string{"web/05-deployment-web.yaml": big})
	err := tryCommit(dir, "shop", render("shop", map[string]string{"web/05-deployment-web.yaml": "new\n"}), nil)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v, want an error about the size", err)
	}
}

// TestLock: a second Open of a directory waits for the first to Close.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	first, err := Open(context.Background(), dir, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan bool, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Open(ctx, dir, Options{Create: true, Waiting: func() { waited <- true }})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second Open while the first holds the lock: got %v, want it to wait until the deadline", err)
	}
	if len(waited) != 1 {
		t.Error("Waiting was not called")
	}

	opened := make(chan *Dir)
	go func() {
		d, err := Open(context.Background(), dir, Options{Create: true})
		if err != nil {
			t.Error(err)
		}
		opened <- d
	}()
	select {
	case <-opened:
		t.Fatal("a second Open did not wait for the first")
	case <-time.After(100 * time.Millisecond):
	}
	first.Close()
	select {
	case d := <-opened:
		d.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the second Open did not get the lock after the first closed")
	}
}

// TestMissingDirectory: without Create, a missing directory reads as
// empty and is not created.
func TestMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	d, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.Plan("shop", newRender)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != len(newRender) {
		t.Errorf("plans %d changes, want %d", len(p.Changes), len(newRender))
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open without Create made the directory: %v", err)
	}
}

func TestOwner(t *testing.T) {
	for _, tc := range []struct {
		data      string
		stack     string
		generated bool
	}{
		{Header("shop") + "x", "shop", true},
		{Header("a-b-c1"), "a-b-c1", true},
		{"# Code generated by kdecl. DO NOT EDIT.\nx", "", true},
		{"# Code generated by kdecl from stack Shop. DO NOT EDIT.\n", "", false},
		{"# Code generated by kdecl from stack shop. DO NOT EDIT. \n", "", false},
		{"# Code generated by kdecl from stack shop. DO NOT EDIT.", "shop", true},
		{"apiVersion: v1\n", "", false},
		{"", "", false},
	} {
		stack, generated := Owner([]byte(tc.data))
		if stack != tc.stack || generated != tc.generated {
			t.Errorf("Owner(%q) = %q, %v; want %q, %v", tc.data, stack, generated, tc.stack, tc.generated)
		}
	}
}
