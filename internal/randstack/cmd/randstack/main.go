// Command randstack writes random kdecl stacks for the e2e oracle: stack i
// of seed S goes to DIR/<i>/stack.cue (and the CRD it types a custom
// resource with to DIR/<i>/crds/), and is the same whatever -from and -n
// are.
//
//	randstack -seed 42 -n 300 -o /tmp/stacks
//	randstack -seed 42 -from 17 -n 1 -o /tmp/stacks
//	kdecl render /tmp/stacks/17 -o /tmp/deploy/17
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/kdecl/kdecl/internal/randstack"
)

func main() {
	err := run(os.Args[1:], os.Stderr)
	var usage usageError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "randstack:", err)
		os.Exit(2)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "randstack:", err)
		os.Exit(1)
	}
}

type usageError struct{ error }

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("randstack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "seed of the random stacks")
	from := fs.Int("from", 0, "index of the first stack")
	n := fs.Int("n", 100, "number of stacks")
	out := fs.String("o", "", "directory to write DIR/<i>/stack.cue into")
	var opts randstack.Options
	fs.BoolVar(&opts.LeftToServer, "left-to-server", false, "draw also values past rules kdecl leaves to the API server in overrides and objects")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	case *out == "":
		return usageError{errors.New("-o is required")}
	case *n < 0 || *from < 0:
		return usageError{errors.New("-n and -from must not be negative")}
	}
	for i := *from; i < *from+*n; i++ {
		r := rand.New(rand.NewPCG(*seed, uint64(i)))
		dir := filepath.Join(*out, strconv.Itoa(i))
		files := randstack.Files(r, namespace(r, i), opts)
		for _, name := range slices.Sorted(maps.Keys(files)) {
			f := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(f, files[name], 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// namespace is unique per stack index, and now and then 63 characters
// long: oracle-<i>, or oracle-<i>-<letter>… , which no other index can
// spell.
func namespace(r *rand.Rand, i int) string {
	ns := "oracle-" + strconv.Itoa(i)
	if r.IntN(10) > 0 {
		return ns
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-"
	b := []byte(ns + "-" + string(rune('a'+r.IntN(26))))
	for len(b) < 63 {
		b = append(b, alphabet[r.IntN(len(alphabet))])
	}
	b[62] = 'z' // a label ends in a letter or digit
	return string(b)
}
