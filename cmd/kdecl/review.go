package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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

Review compares two renders object by object and says what each change
does in a cluster, in these classes:

  rollout    the pod template changes: pods are replaced (which fields, how many)
  recreate   the API server refuses the change in place: delete and apply again
  data-loss  a claim or claim template goes, a statefulset scales down, a
             persistent volume becomes an emptyDir
  exposure   a Service becomes NodePort or LoadBalancer, a port is newly
             exposed, host networking or a host port appears
  scale      replicas or resources change
  secret     a Secret or key is newly required: it must exist first
  removed    no longer rendered: kubectl apply does not delete it
  added      a new object

With a stack, it compares what the stack renders now with the deploy
directory DIR as committed at the git revision REV (read through git,
never touching the working tree or the index), or, without --base, as it
is on disk. With --from and --to, it compares two deploy directories.

Flags:
  -o, --output DIR           the stack's deploy directory
      --base REV             compare with DIR at the git revision REV
      --from DIR1            the older render, a deploy directory
      --to DIR2              the newer render, a deploy directory
      --format FORMAT        text (default), markdown (a pull-request
                             comment) or json
      --fail-on CLASS,...    exit 1 when a change has one of these classes
` + stackFlagsDoc + `
Exit codes: 0 success, 1 a change of a --fail-on class, 2 an invalid
stack, bad usage or any other error.

Examples:
  kdecl review stacks/shop -t prod -o deploy/shop/prod --base origin/main
  kdecl review stacks/shop -t prod -o deploy/shop/prod --base origin/main --format markdown --fail-on recreate,data-loss
  kdecl review --from old/deploy --to new/deploy --format json
`

type reviewFlags struct {
	stackFlags
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
	fs.StringVar(&f.format, "format", "text", "")
	fs.StringSliceVar(&f.failOn, "fail-on", nil, "")
	f.register(fs)
	if ok, err := parseFlags(fs, reviewDoc, args, -1, stdout); !ok {
		return err
	}
	if err := f.check(fs.Changed, fs.NArg()); err != nil {
		return err
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
	case dirs && (f.from == "" || f.to == ""):
		return usageErrorf("review: --from and --to go together, each with a deploy directory")
	case dirs && (changed("output") || changed("base") || len(f.tags) > 0):
		return usageErrorf("review: --from and --to compare two directories; -o, --base and -t are for a stack")
	case dirs && nargs > 0:
		return usageErrorf("review: --from and --to compare two directories and take no stack, got %d arguments", nargs)
	case !dirs && nargs != 1:
		return usageErrorf("review takes one stack directory (or --from and --to), got %d arguments; run 'kdecl review --help'", nargs)
	case !dirs && f.output == "":
		return usageErrorf("review: -o is required: the stack's deploy directory")
	case !dirs && changed("base") && f.base == "":
		return usageErrorf("review: --base is empty; give a git revision, such as origin/main")
	}
	return nil
}

func reviewRun(ctx context.Context, args []string, f reviewFlags, stdout, stderr io.Writer) error {
	var base, head []review.File
	var err error
	if f.from != "" {
		if base, err = readRender(f.from, ""); err != nil {
			return err
		}
		if head, err = readRender(f.to, ""); err != nil {
			return err
		}
	} else {
		s, files, err := build(ctx, args[0], f.stackFlags, stderr)
		if err != nil {
			return err
		}
		for _, file := range files {
			head = append(head, review.File{Path: file.Path, Data: file.Data})
		}
		if f.base != "" {
			base, err = gitRender(ctx, f.base, f.output, s.Name)
		} else {
			base, err = readRender(f.output, s.Name)
		}
		if err != nil {
			return err
		}
	}
	changes, err := review.Compare(base, head)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	switch f.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if changes == nil {
			changes = []review.Change{}
		}
		err = enc.Encode(changes)
	case "markdown":
		writeMarkdown(w, changes)
	default:
		writeText(w, changes)
	}
	if err := errors.Join(err, w.Flush()); err != nil {
		return err
	}
	if slices.ContainsFunc(changes, func(c review.Change) bool { return c.Has(f.failOn...) }) {
		return errFailOn
	}
	return nil
}

// owned is whether data is a file kdecl rendered from stack ("" for any
// stack).
func owned(data []byte, stack string) bool {
	owner, generated := deploydir.Owner(data)
	return generated && (stack == "" || owner == stack || owner == "")
}

// readRender reads the files of a render in a deploy directory: the YAML
// files kdecl generated (from stack, unless it is ""), below it, but not
// in hidden directories. A directory that does not exist is empty.
func readRender(dir, stack string) ([]review.File, error) {
	var files []review.File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist) && p == dir:
			return fs.SkipAll
		case err != nil:
			return err
		case p != dir && strings.HasPrefix(d.Name(), "."):
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		case !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), ".yaml"):
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > deploydir.MaxFileSize {
			return fmt.Errorf("%s: %d bytes, more than a render writes", p, info.Size())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if owned(data, stack) {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, review.File{Path: filepath.ToSlash(rel), Data: data})
		}
		return nil
	})
	return files, err
}

// gitRender reads the files of a render in the deploy directory dir as
// committed at rev, through git: the working tree and the index stay
// untouched.
func gitRender(ctx context.Context, rev, dir, stack string) ([]review.File, error) {
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
	list, err := git(nil, "ls-tree", "-r", "-z", "--full-tree", rev, "--", filepath.ToSlash(rel))
	if err != nil {
		return nil, err
	}
	type blob struct{ path, sha string }
	var blobs []blob
	prefix := filepath.ToSlash(rel) + "/"
	if rel == "." {
		prefix = ""
	}
	for entry := range bytes.SplitSeq(list, []byte{0}) {
		meta, p, ok := strings.Cut(string(entry), "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[1] != "blob" || !strings.HasPrefix(f[0], "100") {
			continue
		}
		p, ok = strings.CutPrefix(p, prefix)
		if !ok || !strings.HasSuffix(p, ".yaml") || slices.ContainsFunc(strings.Split(p, "/"), func(s string) bool { return strings.HasPrefix(s, ".") }) {
			continue
		}
		blobs = append(blobs, blob{p, f[2]})
	}
	if len(blobs) == 0 {
		return nil, nil
	}
	var in bytes.Buffer
	for _, b := range blobs {
		in.WriteString(b.sha + "\n")
	}
	out, err := git(&in, "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	var files []review.File
	for _, b := range blobs {
		header, rest, ok := bytes.Cut(out, []byte("\n"))
		f := strings.Fields(string(header))
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("git cat-file: unexpected output for %s", path.Join(prefix, b.path))
		}
		size, err := strconv.Atoi(f[2])
		if err != nil || size > len(rest) {
			return nil, fmt.Errorf("git cat-file: unexpected output for %s", path.Join(prefix, b.path))
		}
		data := rest[:size]
		out = rest[min(size+1, len(rest)):]
		if owned(data, stack) {
			files = append(files, review.File{Path: b.path, Data: data})
		}
	}
	return files, nil
}
