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
` + stackFlagsDoc + `
Examples:
  kdecl vet stacks/flask
  kdecl vet --strict stacks/flask
  kdecl vet -t prod stacks/shop
`

type vetFlags struct {
	stackFlags
}

func runVet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f vetFlags
	fs := pflag.NewFlagSet("vet", pflag.ContinueOnError)
	f.register(fs)
	if ok, err := parseFlags(fs, vetDoc, args, 1, stdout); !ok {
		return err
	}
	_, _, err := build(ctx, fs.Arg(0), f.stackFlags, stderr)
	return err
}
