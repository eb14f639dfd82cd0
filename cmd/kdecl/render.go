package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

const renderDoc = `usage: kdecl render [flags] STACK_DIR

Render checks the stack in STACK_DIR (one CUE package) and writes every
Kubernetes object it defines, one YAML file per object, into the deploy
directory given by -o, ready for 'kubectl apply -f DIR -R'.

Rendering is all or nothing: on any error the deploy directory is not
changed. Files kdecl generated before that are no longer produced are
removed; files without kdecl's header are never touched.

Flags:
  -o, --output DIR   deploy directory, or - for one YAML stream on stdout (default -)
      --check        write nothing; exit 1 and name the files that are stale
      --strict       treat warnings as errors

Examples:
  kdecl render stacks/flask -o deploy/flask
  kdecl render stacks/flask -o -
  kdecl render stacks/flask -o deploy/flask --check
`

type renderFlags struct {
	output string
	check  bool
	strict bool
}

func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f renderFlags
	fs := pflag.NewFlagSet("render", pflag.ContinueOnError)
	fs.StringVarP(&f.output, "output", "o", "-", "")
	fs.BoolVar(&f.check, "check", false, "")
	fs.BoolVar(&f.strict, "strict", false, "")
	if ok, err := parseFlags(fs, renderDoc, args, 1, stdout); !ok {
		return err
	}
	if f.check && f.output == "-" {
		return usageErrorf("render: --check needs a deploy directory (-o DIR)")
	}
	dir := fs.Arg(0)

	s, err := load(dir, f.strict, stderr)
	if err != nil {
		return err
	}
	files, err := render(s)
	if err != nil {
		return fmt.Errorf("render stack %q: %w", s.Name, err)
	}
	if f.output == "-" {
		return writeStream(stdout, files)
	}
	p, err := planDir(f.output, files)
	if err != nil {
		return err
	}
	if f.check {
		if p.empty() {
			return nil
		}
		for _, file := range p.write {
			fmt.Fprintf(stderr, "stale: %s\n", file.path)
		}
		for _, path := range p.remove {
			fmt.Fprintf(stderr, "not produced any more: %s\n", path)
		}
		return fmt.Errorf("%s is not up to date with %s; run: kdecl render %s -o %s", f.output, dir, dir, f.output)
	}
	return p.apply(f.output)
}
