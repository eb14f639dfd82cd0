package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/internal/deploydir"
	"github.com/kdecl/kdecl/internal/review"
)

const reviewDoc = `usage: kdecl review [flags] STACK_DIR -o DIR [--base REV]
       kdecl review [flags] --from DIR1 --to DIR2
       kdecl review [flags] --all [--base REV]

Review compares two renders object by object and says what each change
does in a cluster, in these classes:

  rollout    the pod template changes: pods are replaced (which fields, how many)
  recreate   the API server refuses the change in place: delete and apply again
  data-loss  a claim or claim template goes, a statefulset scales down, a
             persistent volume becomes an emptyDir, a Namespace or a
             CustomResourceDefinition goes (and all in it, or of it)
  exposure   a Service becomes NodePort or LoadBalancer, a port is newly
             exposed; pods get their node's network, processes or IPC, a
             host port, a privileged container, a read-write hostPath of
             the node's root or of a container runtime's socket; a binding
             grants cluster-admin, or a role to anyone (system:anonymous,
             system:unauthenticated, system:authenticated,
             system:serviceaccounts)
  scale      replicas or resources change
  secret     a Secret or key is newly required: it must exist first
  removed    no longer rendered: kubectl apply does not delete it, but
             kubectl apply --prune --applyset does when the stack has
             applySet (the review gives the command)
  added      a new object

With a stack, it compares what the stack renders now with the deploy
directory DIR as committed at the git revision REV (read through git,
never touching the working tree or the index), or, without --base, as it
is on disk. With --from and --to, it compares two deploy directories,
which must exist: an empty one is an empty render, one with files but
none that kdecl generated is an error. With --all, it reviews every
render of kdecl.cue, as with a stack, in one document: a section per
render in the order of their names (in markdown, a table of the renders
first), and the total; in json, a list of the renders, each with its
changes. --fail-on applies to all of them.

It reads of a deploy directory what a render writes there: the YAML
files kdecl generated at its top and in its app directories, nothing
deeper, nothing hidden, no symbolic link. A render that a crash
interrupted after its commit point is finished first, as the next render
would finish it, which takes write access to the directory; a git
revision that holds one is refused.

Flags:
  -o, --output DIR           the stack's deploy directory
      --base REV             compare with DIR at the git revision REV
      --from DIR1            the older render, a deploy directory
      --to DIR2              the newer render, a deploy directory
      --format FORMAT        text (default), markdown (a pull-request
                             comment) or json
      --fail-on CLASS,...    exit 1 when a change has one of these classes
` + stackFlagsDoc + allFlagsDoc + `
Exit codes: 0 success, 1 a change of a --fail-on class, 2 an invalid
stack, bad usage or any other error (with --all, of any render).

Examples:
  kdecl review stacks/shop -t prod -o deploy/shop/prod --base origin/main
  kdecl review --from old/deploy --to new/deploy --format json
  kdecl review --all --base origin/main --format markdown --fail-on recreate,data-loss
`

type reviewFlags struct {
	stackFlags
	allFlags
	output, base, from, to, format string
	failOn                         []string
}

// errFailOn is the result of a review with a change of a --fail-on class.
var errFailOn = errors.New("a change of a --fail-on class")

func runReview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f reviewFlags
	fs := pflag.NewFlagSet("review", pflag.ContinueOnError)
	fs.StringVarP(&f.output, "output", "o", "", "")
	fs.StringVar(&f.base, "base", "", "")
	fs.StringVar(&f.from, "from", "", "")
	fs.StringVar(&f.to, "to", "", "")
	fs.StringVar(&f.format, "format", "text", "text|markdown|json")
	fs.StringSliceVar(&f.failOn, "fail-on", nil, strings.Join(review.Classes, "|"))
	f.stackFlags.register(fs)
	f.allFlags.register(fs)
	if ok, err := parseFlags(fs, reviewDoc, args, -1, stdout); !ok {
		return err
	}
	if err := f.check(fs.Changed, fs.NArg()); err != nil {
		return err
	}
	if f.all {
		return trouble(reviewAll(ctx, fs, f, stdout, stderr))
	}
	return trouble(reviewRun(ctx, fs.Args(), f, stdout, stderr))
}

// check checks the flags' combinations.
func (f *reviewFlags) check(changed func(string) bool, nargs int) error {
	switch f.format {
	case "text", "markdown", "json":
	default:
		return usageErrorf("review: --format %q: want text, markdown or json", f.format)
	}
	for _, c := range f.failOn {
		if !slices.Contains(review.Classes, c) {
			return usageErrorf("review: --fail-on %q: want classes among %s", c, strings.Join(review.Classes, ", "))
		}
	}
	dirs := changed("from") || changed("to")
	switch {
	case f.all && dirs:
		return usageErrorf("review: --from and --to compare two directories; --all reviews the renders of kdecl.cue")
	case f.all && changed("base") && f.base == "":
		return usageErrorf("review: --base is empty; give a git revision, such as origin/main")
	case f.all:
		return nil // the renders' own checks
	case changed("config") || changed("only"):
		return usageErrorf("review: --config and --only go with --all")
	case dirs && (f.from == "" || f.to == ""):
		return usageErrorf("review: --from and --to go together, each with a deploy directory")
	case dirs && (changed("output") || changed("base") || len(f.tags) > 0):
		return usageErrorf("review: --from and --to compare two directories; -o, --base and -t are for a stack")
	case dirs && nargs > 0:
		return usageErrorf("review: --from and --to compare two directories and take no stack, got %s", arguments(nargs))
	case !dirs && nargs != 1:
		return usageErrorf("review takes one stack directory (or --from and --to), got %s; run 'kdecl review --help'", arguments(nargs))
	case !dirs && f.output == "":
		return usageErrorf("review: -o is required: the stack's deploy directory")
	case !dirs && changed("base") && f.base == "":
		return usageErrorf("review: --base is empty; give a git revision, such as origin/main")
	}
	return nil
}

func reviewRun(ctx context.Context, args []string, f reviewFlags, stdout, stderr io.Writer) error {
	changes, err := reviewChanges(ctx, args, f, stderr)
	if err != nil {
		return err
	}
	err = writeFormat(stdout, f.format, changes,
		func(w io.Writer) { writeMarkdown(w, changes) },
		func(w io.Writer) { writeText(w, changes) })
	if err != nil {
		return err
	}
	if failsOn(changes, f.failOn) {
		return errFailOn
	}
	return nil
}

// writeFormat writes a review in the format of --format: v as JSON, or
// what markdown or text write.
func writeFormat(stdout io.Writer, format string, v any, markdown, text func(io.Writer)) error {
	w := bufio.NewWriter(stdout)
	var err error
	switch format {
	case "json":
		err = writeJSON(w, v)
	case "markdown":
		markdown(w)
	default:
		text(w)
	}
	return errors.Join(err, w.Flush())
}

// failsOn is whether a change has a class among failOn.
func failsOn(changes []review.Change, failOn []string) bool {
	return slices.ContainsFunc(changes, func(c review.Change) bool { return c.Has(failOn...) })
}

// writeJSON writes v as indented JSON, HTML as it is.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// reviewChanges compares the two renders of the flags: --from and --to,
// or what the stack args[0] renders with its deploy directory.
func reviewChanges(ctx context.Context, args []string, f reviewFlags, stderr io.Writer) ([]review.Change, error) {
	var base, head []review.File
	var err error
	if f.from != "" {
		for _, dir := range []struct{ flag, dir string }{{"--from", f.from}, {"--to", f.to}} {
			if _, err := checkDeployDir("review", dir.flag, dir.dir, true); err != nil {
				return nil, err
			}
		}
		if base, err = readDeployDir(ctx, f.from, "", nil, stderr); err != nil {
			return nil, err
		}
		if head, err = readDeployDir(ctx, f.to, "", nil, stderr); err != nil {
			return nil, err
		}
	} else {
		if f.output == "-" {
			return nil, usageErrorf("review: -o - is a stream; give the stack's deploy directory")
		}
		if err := checkOutput("review", f.output, args[0]); err != nil {
			return nil, err
		}
		s, files, err := build(ctx, args[0], f.stackFlags, stderr)
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			head = append(head, review.File{Path: file.Path, Data: file.Data})
		}
		if f.base != "" {
			base, err = gitRender(ctx, f.base, f.output, s.Name, files)
		} else {
			base, err = readDeployDir(ctx, f.output, s.Name, files, stderr)
		}
		if err != nil {
			return nil, err
		}
	}
	dir := f.output // where the commands of the changes apply the render
	if f.from != "" {
		dir = f.to
	}
	changes, err := review.CompareIn(base, head, dir)
	if changes == nil && err == nil {
		changes = []review.Change{} // [] in JSON
	}
	return changes, err
}

// readDeployDir reads the files of renders in the deploy directory dir,
// those of stack, as a render reads them (see deploydir.Dir.Files). It
// opens the directory as a render does: it waits for a render into it to
// end, and finishes one that a crash interrupted after its commit point,
// or refuses to read the directory half old, half new when it cannot.
// With stack "", dir was given as a render (--from, --to) and holds the
// files of any stack; then a directory with other files but none of
// kdecl's is an error, not an empty render.
func readDeployDir(ctx context.Context, dir, stack string, head []deploydir.File, stderr io.Writer) ([]review.File, error) {
	d, err := deploydir.Open(ctx, dir, deploydir.Options{Waiting: waiting(stderr, dir)})
	if err != nil {
		return nil, openError(ctx, err)
	}
	defer d.Close()
	if head != nil {
		// What a render of head would refuse (files of another stack
		// where it writes, as after a rename of the stack) review
		// refuses too, rather than calling every object new.
		if _, err := d.Plan(stack, head); err != nil {
			return nil, err
		}
	}
	files, other, err := d.Files(stack)
	if err != nil {
		return nil, err
	}
	if stack == "" && len(files) == 0 && other {
		return nil, fmt.Errorf("%s holds no file kdecl generated: it is not a deploy directory", dir)
	}
	out := make([]review.File, len(files))
	for i, f := range files {
		out[i] = review.File{Path: f.Path, Data: f.Data}
	}
	return out, nil
}

// gitRender reads the files of a render in the deploy directory dir as
// committed at rev, through git: the working tree and the index stay
// untouched.
func gitRender(ctx context.Context, rev, dir, stack string, head []deploydir.File) ([]review.File, error) {
	writes := map[string]bool{}
	for _, f := range head {
		writes[f.Path] = true
	}
	var others []string
	git := func(stdin io.Reader, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Stdin = stdin
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
		}
		return out.Bytes(), nil
	}
	top, err := git(nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(strings.TrimSpace(string(top)))
	if err != nil {
		return nil, err
	}
	abs, err := resolve(dir)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return nil, fmt.Errorf("--base: %s is not inside the git repository at %s", dir, root)
	}
	if _, err := git(nil, "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return nil, fmt.Errorf("--base %s: no such revision in %s", rev, root)
	}
	list, err := git(nil, "ls-tree", "-r", "-l", "-z", "--full-tree", rev, "--", filepath.ToSlash(rel))
	if err != nil {
		return nil, err
	}
	prefix := filepath.ToSlash(rel) + "/"
	if rel == "." {
		prefix = ""
	}
	// What a render owns, as deploydir reads it on disk: the .yaml files
	// of the top and of its subdirectories, nothing hidden, no link.
	var blobs []gitBlob
	for entry := range bytes.SplitSeq(list, []byte{0}) {
		meta, p, ok := strings.Cut(string(entry), "\t")
		f := strings.Fields(meta) // mode, type, object, size
		if !ok || len(f) != 4 {
			continue
		}
		if p, ok = strings.CutPrefix(p, prefix); !ok {
			continue
		}
		parts := strings.Split(p, "/")
		switch {
		case p == ".kdecl-txn/journal":
			return nil, fmt.Errorf("--base %s: %s holds a render that was interrupted after its commit point, committed with its journal (.kdecl-txn/journal); kdecl cannot finish a render in a git revision: let kdecl finish it on disk (any kdecl command that reads %s does) and commit the directory then", rev, dir, dir)
		case len(parts) > 2 || !strings.HasSuffix(p, ".yaml") || slices.ContainsFunc(parts, func(s string) bool { return strings.HasPrefix(s, ".") }):
			continue
		case f[0] == "120000":
			return nil, fmt.Errorf("--base %s: %s is a symbolic link; kdecl reads only regular files in a deploy directory", rev, path.Join(prefix, p))
		case f[1] != "blob" || !strings.HasPrefix(f[0], "100"):
			continue // a submodule, or a directory named like a file
		}
		size, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git ls-tree: unexpected output for %s", path.Join(prefix, p))
		}
		blobs = append(blobs, gitBlob{p, f[2], size})
	}
	if len(blobs) == 0 {
		return nil, nil
	}
	var files []review.File
	err = catBlobs(ctx, blobs, func(b gitBlob, data []byte) error {
		owner, generated := deploydir.Owner(data)
		switch {
		case generated && stack != owner && owner != "" && writes[b.path]:
			others = append(others, fmt.Sprintf("%s: rendered from stack %s, not %s", path.Join(prefix, b.path), owner, stack))
		case !generated || stack != owner && owner != "":
		case b.size > deploydir.MaxFileSize:
			return fmt.Errorf("--base %s: %s is larger than %d MiB: not a file kdecl wrote", rev, path.Join(prefix, b.path), deploydir.MaxFileSize>>20)
		default:
			files = append(files, review.File{Path: b.path, Data: data})
		}
		return nil
	})
	if err == nil && len(others) > 0 {
		return nil, fmt.Errorf("--base %s: %s holds files of another stack where this render writes:\n  %s\nrender each stack into a directory of its own", rev, dir, strings.Join(others, "\n  "))
	}
	return files, err
}

// gitBlob is a file of a git tree.
type gitBlob struct {
	path, sha string
	size      int64
}

// catBlobs reads blobs with one git cat-file and calls fn with each one's
// content in turn: whole, or only its first bytes, enough for a header,
// when it is larger than a file kdecl writes.
func catBlobs(ctx context.Context, blobs []gitBlob, fn func(b gitBlob, data []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var in bytes.Buffer
	for _, b := range blobs {
		in.WriteString(b.sha + "\n")
	}
	cmd := exec.CommandContext(ctx, "git", "cat-file", "--batch")
	cmd.Stdin = &in
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	r := bufio.NewReader(out)
	read := func(b gitBlob) error {
		header, err := r.ReadString('\n')
		if f := strings.Fields(header); err != nil || len(f) != 3 || f[0] != b.sha || f[2] != strconv.FormatInt(b.size, 10) {
			return fmt.Errorf("git cat-file: unexpected output for %s", b.path)
		}
		n := b.size
		if n > deploydir.MaxFileSize {
			n = min(n, 256)
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return fmt.Errorf("git cat-file: %s: %w", b.path, err)
		}
		if _, err := r.Discard(int(b.size - n + 1)); err != nil { // and the newline after it
			return fmt.Errorf("git cat-file: %s: %w", b.path, err)
		}
		return fn(b, data)
	}
	for _, b := range blobs {
		if err := read(b); err != nil {
			cancel()
			cmd.Wait()
			return err
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git cat-file --batch: %v: %s", err, strings.TrimSpace(errOut.String()))
	}
	return nil
}
