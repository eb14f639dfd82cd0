package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/generators"
)

const secretsDoc = `usage: kdecl secrets [flags] STACK_DIR

Secrets lists every Secret name and key the stack's apps reference, per
app, and how each is used: what must exist in the cluster before the
stack can run. Secret values never pass through kdecl.

Flags:
      --format FORMAT        text (default) or json (-o FORMAT is the old
                             spelling, for this release)
` + stackFlagsDoc + `
Examples:
  kdecl secrets stacks/celery
  kdecl secrets stacks/celery --format json
`

type secretsFlags struct {
	stackFlags
	formatFlag
}

func runSecrets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f secretsFlags
	fs := pflag.NewFlagSet("secrets", pflag.ContinueOnError)
	f.stackFlags.register(fs)
	f.formatFlag.register(fs, "output", "text", "json")
	if ok, err := parseFlags(fs, secretsDoc, args, 1, stdout); !ok {
		return err
	}
	if err := f.resolve(fs, stderr); err != nil {
		return err
	}
	s, err := load(ctx, fs.Arg(0), f.stackFlags, stderr)
	if err != nil {
		return err
	}
	refs := generators.SecretRefs(s)
	if f.format == "json" {
		if refs == nil {
			refs = []generators.SecretRef{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(refs)
	}
	if len(refs) == 0 {
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "APP\tSECRET\tKEY\tAS")
	for _, r := range refs {
		key := r.Key
		if key == "" {
			key = "(all keys)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.App, r.Secret, key, r.As)
	}
	return w.Flush()
}
