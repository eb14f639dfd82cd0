package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path"

	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/internal/deploydir"
	"github.com/kdecl/kdecl/internal/textdiff"
)

const diffDoc = `usage: kdecl diff [flags] STACK_DIR -o DIR
       kdecl diff [flags] --all

Diff shows what 'kdecl render STACK_DIR -o DIR' would change in the
deploy directory DIR, and writes nothing: a unified diff per file, files
the render adds and removes included. (A render that a crash interrupted
in DIR after its commit point is finished first, as the next render
would finish it.) With --all, it diffs every render of kdecl.cue, in
the order of their names, and ends with a line per render on stderr.

Exit codes, as diff(1) and kubectl diff: 0 no change, 1 differences, 2
an invalid stack, bad usage or any other error.

Flags:
  -o, --output DIR           deploy directory
      --color WHEN           colour the diff: auto (on a terminal, unless
                             NO_COLOR is set), always or never (default auto)
` + stackFlagsDoc + allFlagsDoc + `
Examples:
  kdecl diff stacks/flask -o deploy/flask
  kdecl diff --all --only shop
  kdecl diff stacks/shop -t prod -o deploy/shop/prod | less -R
`

// errDiffers is the result of a diff that found differences: exit 1,
// nothing more to say.
var errDiffers = errors.New("differences")

// troubleError is an error of a command whose exit code 1 means
// something else (differences): it exits 2.
type troubleError struct{ err error }

func (e *troubleError) Error() string { return e.err.Error() }
func (e *troubleError) Unwrap() error { return e.err }

// trouble wraps err, unless it is nil, usage or errDiffers, so that it
// exits 2.
func trouble(err error) error {
	var usage *usageError
	if err == nil || errors.Is(err, errDiffers) || errors.Is(err, errFailOn) || errors.As(err, &usage) {
		return err
	}
	return &troubleError{err}
}

type diffFlags struct {
	stackFlags
	allFlags
	output string
	color  string
}

func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f diffFlags
	fs := pflag.NewFlagSet("diff", pflag.ContinueOnError)
	fs.StringVarP(&f.output, "output", "o", "", "")
	fs.StringVar(&f.color, "color", "auto", "auto|always|never")
	f.stackFlags.register(fs)
	f.allFlags.register(fs)
	if ok, err := parseFlags(fs, diffDoc, args, -1, stdout); !ok {
		return err
	}
	colors, err := diffColors(f.color, stdout)
	if err != nil {
		return err
	}
	if f.all {
		return trouble(diffAll(ctx, fs, f, stdout, stderr, colors))
	}
	if err := f.allFlags.checkNotAll(fs); err != nil {
		return err
	}
	dir := fs.Arg(0)
	switch {
	case !fs.Changed("output"):
		return usageErrorf("diff: -o is required: the deploy directory to compare with")
	case f.output == "-":
		return usageErrorf("diff: -o - is a stream; give the deploy directory to compare with")
	}
	if err := checkOutput("diff", f.output, dir); err != nil {
		return err
	}
	return trouble(diff(ctx, dir, f, stdout, stderr, colors))
}

func diff(ctx context.Context, dir string, f diffFlags, stdout, stderr io.Writer, colors textdiff.Colors) error {
	s, files, err := build(ctx, dir, f.stackFlags, stderr)
	if err != nil {
		return err
	}
	d, err := deploydir.Open(ctx, f.output, deploydir.Options{Waiting: waiting(stderr, f.output)})
	if err != nil {
		return openError(ctx, err)
	}
	defer d.Close()
	p, err := d.Plan(s.Name, files)
	if err != nil {
		return err
	}
	for _, c := range p.Changes {
		name := path.Join(f.output, c.Path)
		oldName, newName := name, name
		switch {
		case c.Old == nil:
			oldName = "/dev/null"
		case c.New == nil:
			newName = "/dev/null"
		}
		if _, err := textdiff.Unified(stdout, printable(oldName), printable(newName), c.Old, c.New, colors); err != nil {
			return err
		}
	}
	if !p.Empty() {
		return errDiffers
	}
	return nil
}

// diffColors are the colours of --color: auto colours a terminal, unless
// NO_COLOR is set (no-color.org).
func diffColors(when string, stdout io.Writer) (textdiff.Colors, error) {
	switch when {
	case "always":
		return textdiff.Terminal, nil
	case "never":
		return textdiff.Colors{}, nil
	case "auto":
		if f, ok := stdout.(*os.File); ok && os.Getenv("NO_COLOR") == "" {
			if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
				return textdiff.Terminal, nil
			}
		}
		return textdiff.Colors{}, nil
	}
	return textdiff.Colors{}, usageErrorf("diff: --color %q: want auto, always or never", when)
}
