package main

import (
	"context"
	"io"

	"github.com/spf13/pflag"
)

const vetDoc = `usage: kdecl vet [flags] STACK_DIR

Vet checks the stack in STACK_DIR and renders it in memory, writing
nothing. It prints every error and warning and is silent on success.

Flags:
      --strict   treat warnings as errors

Examples:
  kdecl vet stacks/flask
  kdecl vet --strict stacks/flask
`

type vetFlags struct {
	strict bool
}

func runVet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f vetFlags
	fs := pflag.NewFlagSet("vet", pflag.ContinueOnError)
	fs.BoolVar(&f.strict, "strict", false, "")
	if ok, err := parseFlags(fs, vetDoc, args, 1, stdout); !ok {
		return err
	}
	_, _, err := build(ctx, fs.Arg(0), f.strict, stderr)
	return err
}
