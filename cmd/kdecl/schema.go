package main

import (
	"context"
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
	if ok, err := parseFlags(fs, schemaDoc, args, 0, stdout); !ok {
		return err
	}
	_, err := io.WriteString(stdout, schema.Source())
	return err
}
