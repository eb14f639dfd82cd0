package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/internal/deploydir"
)

const renderDoc = `usage: kdecl render [flags] STACK_DIR
       kdecl render [flags] --all

Render checks the stack in STACK_DIR (one CUE package) and writes every
Kubernetes object it defines, one YAML file per object, into the deploy
directory given by -o, ready for 'kubectl apply -f DIR -R'.

A render is one transaction: after any error, interrupt or crash the
deploy directory holds the old render or the new one, never a mix. Files
kdecl generated from this stack that are no longer produced are removed;
files of other stacks and files without kdecl's header are never touched.
One render at a time: a second one waits for the first.

A render to a directory says what it did on stderr, in one line
(deploy/shop/prod: 16 files, 3 changed, 1 removed); on a terminal, one
that takes more than a second shows what it is doing.

With --all, it renders every stack and environment that kdecl.cue lists
(the file at the root of the CUE module, beside cue.mod/), each into its
own deploy directory as its own transaction, as many at a time as there
are processors; one that fails stops none of the others. It ends with a
line per render, in the order of their names, and the total, and exits
1 if any render failed (with --check, if any is stale). kdecl.cue:

  package kdecl

  stacks: flask: output: "../deploy/flask"   // dir: "flask", its name
  stacks: shop: environments: {
      staging: {tags: ["staging"], output: "../deploy/shop/staging"}
      prod: {tags: ["prod"], output: "../deploy/shop/prod"}
  }

Its paths are relative to its directory; 'kdecl schema --repo' prints
its schema.

Flags:
  -o, --output DIR           deploy directory, or - for one YAML stream on stdout (default -)
      --check                write nothing; exit 1 and name the files that are stale
  -q, --quiet                no summary, no progress: only warnings and errors
` + stackFlagsDoc + allFlagsDoc + `
Examples:
  kdecl render stacks/shop -t prod -o deploy/shop/prod
  kdecl render stacks/flask -o deploy/flask --check
  kdecl render --all
`

type renderFlags struct {
	stackFlags
	allFlags
	output       string
	check, quiet bool
}

func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f renderFlags
	fs := pflag.NewFlagSet("render", pflag.ContinueOnError)
	fs.StringVarP(&f.output, "output", "o", "-", "")
	fs.BoolVar(&f.check, "check", false, "")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "")
	f.stackFlags.register(fs)
	f.allFlags.register(fs)
	if ok, err := parseFlags(fs, renderDoc, args, -1, stdout); !ok {
		return err
	}
	if f.all {
		return renderAll(ctx, fs, f, stderr)
	}
	if err := f.allFlags.checkNotAll(fs); err != nil {
		return err
	}
	prog := startProgress(stderr, f.quiet)
	defer prog.end()
	ctx = withProgress(ctx, prog)
	dir := fs.Arg(0)
	if f.output == "-" {
		if f.check {
			return usageErrorf("render: --check needs a deploy directory (-o DIR)")
		}
		_, files, err := build(ctx, dir, f.stackFlags, stderr)
		if err != nil {
			return err
		}
		return writeStream(stdout, files)
	}
	if err := checkOutput("render", f.output, dir); err != nil {
		return err
	}
	summary, err := renderDir(ctx, dir, f, stderr)
	prog.end()
	if err == nil && !f.quiet && !f.check {
		fmt.Fprintf(stderr, "%s: %s\n", printable(f.output), summary)
	}
	return err
}

// renderDir renders the stack in dir into the deploy directory f.output,
// or with f.check checks it, and says what it did, as renderSummary.
func renderDir(ctx context.Context, dir string, f renderFlags, stderr io.Writer) (string, error) {
	prog := progressOf(ctx)
	s, files, err := build(ctx, dir, f.stackFlags, stderr)
	if err != nil {
		return "", err
	}
	d, err := deploydir.Open(ctx, f.output, deploydir.Options{
		Create:  !f.check,
		Waiting: waiting(stderr, f.output),
	})
	if err != nil {
		return "", openError(ctx, err)
	}
	defer d.Close()
	p, err := d.Plan(s.Name, files)
	if err != nil {
		return "", err
	}
	if f.check {
		if p.Empty() {
			return "up to date", nil
		}
		for _, c := range p.Changes {
			name := c.Path
			if f.all {
				name = path.Join(filepath.ToSlash(f.output), c.Path) // among the files of other renders
			}
			if c.New == nil {
				fmt.Fprintf(stderr, "not produced any more: %s\n", printable(name))
			} else {
				fmt.Fprintf(stderr, "stale: %s\n", printable(name))
			}
		}
		return "stale", fmt.Errorf("%s is not up to date with %s; run: kdecl render %s%s -o %s", f.output, dir, dir, tagArgs(f.tags), f.output)
	}
	prog.set("writing %d files into %s", len(p.Changes), f.output)
	if err := d.Commit(ctx, p); err != nil {
		if errors.Is(err, deploydir.ErrNotCommitted) && ctx.Err() != nil {
			return "", fmt.Errorf("%w; %s is unchanged", interrupted(ctx), f.output)
		}
		return "", err
	}
	return renderSummary(p, len(files)), nil
}

// renderSummary says what a render did: deploy/shop: 16 files, 2 new, 3
// changed, 1 removed.
func renderSummary(p *deploydir.Plan, files int) string {
	var added, changed, removed int
	for _, c := range p.Changes {
		switch {
		case c.New == nil:
			removed++
		case c.Old == nil:
			added++
		default:
			changed++
		}
	}
	s := fmt.Sprintf("%d files", files)
	if files == 1 {
		s = "1 file"
	}
	if p.Empty() {
		return s + ", unchanged"
	}
	for _, n := range []struct {
		n    int
		what string
	}{{added, "new"}, {changed, "changed"}, {removed, "removed"}} {
		if n.n > 0 {
			s += fmt.Sprintf(", %d %s", n.n, n.what)
		}
	}
	return s
}

// openError words the error of opening a deploy directory: an interrupt
// while waiting for its lock changed nothing.
func openError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return interrupted(ctx)
	}
	return err
}
