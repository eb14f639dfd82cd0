package main

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/schema"
)

const schemaDoc = `usage: kdecl schema

Schema prints the CUE schema that kdecl unifies with every stack: the
fields of a stack and of an app, their types and their defaults.

Examples:
  kdecl schema
  kdecl schema > kdecl-schema.cue
`

func runSchema(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("schema", pflag.ContinueOnError)
	if err := parseFlags(fs, schemaDoc, args, stdout); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 0 {
		return usageErrorf("schema takes no arguments")
	}
	_, err := io.WriteString(stdout, schema.Source())
	return err
}
