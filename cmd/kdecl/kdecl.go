package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

const kdeclDoc = `kdecl turns application stacks written in CUE into Kubernetes manifests.

usage: kdecl <command> [flags] [arguments]

commands:
  render      render a stack into a deploy directory or a YAML stream, or
              with --all every render kdecl.cue lists
  diff        show what a render would change in a deploy directory
  review      say what a change of a render does in a cluster
  vet         check a stack and print its errors and warnings
  secrets     list the Secrets and keys a stack references
  schema      print the CUE schema every stack is checked against
  init        start a stack: a CUE module, one app, two environments
  import      turn Kubernetes manifests into a stack, and prove it renders them
  version     print kdecl's version and the Kubernetes API it generates for
  completion  print a shell completion script (bash, zsh, fish)

Run 'kdecl help <command>' for a command's flags.

Exit codes: 0 success, 1 invalid stack or stale output, 2 bad usage;
diff exits 1 for differences, review for a change of a --fail-on class,
and both 2 for any error; import exits 1 when the stack would differ
from the manifests.

Examples:
  kdecl render stacks/flask -o deploy/flask
  kdecl render stacks/flask -o deploy/flask --check
  kdecl vet stacks/flask
  kdecl import k8s/ -o stacks/shop
`

// Main runs kdecl with the process's arguments and streams and returns its
// exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
}

type command struct {
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"render":     {runRender},
	"diff":       {runDiff},
	"review":     {runReview},
	"vet":        {runVet},
	"secrets":    {runSecrets},
	"schema":     {runSchema},
	"import":     {runImport},
	"version":    {runVersion},
	"completion": {runCompletion},
	"init":       {runInit},
}

// run is kdecl without the process: tests call it in process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("no command given\n\n%s", kdeclDoc)
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 && !strings.HasPrefix(args[1], "-") && args[1] != "help" {
			if _, ok := commands[args[1]]; !ok {
				return usageErrorf("help: unknown command %q; run 'kdecl help'", args[1])
			}
			return commands[args[1]].run(ctx, []string{"--help"}, stdout, stderr)
		}
		_, err := io.WriteString(stdout, kdeclDoc)
		return err
	case "--version":
		return runVersion(ctx, args[1:], stdout, stderr)
	case completeCommand:
		return complete(ctx, args[1:], stdout)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return usageErrorf("unknown command %q; run 'kdecl help'", args[0])
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

// usageError is bad usage: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// interrupted is the error of a command stopped by a signal.
func interrupted(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
		return fmt.Errorf("interrupted (%v)", cause)
	}
	return errors.New("interrupted")
}

// errReported is an error whose details are already on stderr.
var errReported = errors.New("reported")

// exitCode is the exit code of err, which it prints on stderr: printable,
// since errors quote file names and values of stacks and files.
func exitCode(err error, stderr io.Writer) int {
	var usage *usageError
	var trouble *troubleError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errDiffers), errors.Is(err, errFailOn):
		return 1
	case errors.As(err, &trouble):
		if !errors.Is(err, errReported) {
			fmt.Fprintf(stderr, "kdecl: %s\n", printableLines(err.Error()))
		}
		return 2
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "kdecl: %s\n", printableLines(strings.TrimRight(usage.msg, "\n")))
		return 2
	case errors.Is(err, errReported):
		return 1
	default:
		fmt.Fprintf(stderr, "kdecl: %s\n", printableLines(err.Error()))
		return 1
	}
}

// parseFlags parses a command's flags and wants nargs arguments (0 or
// one stack directory; -1 leaves the count to the command). ok is false when the command has nothing more to
// do: --help printed doc (err is nil) or the usage is bad (err says why).
func parseFlags(fs *pflag.FlagSet, doc string, args []string, nargs int, stdout io.Writer) (ok bool, err error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if l, ok := stdout.(*flagLister); ok {
		fs.VisitAll(func(f *pflag.Flag) { l.flags = append(l.flags, f) })
		return false, nil
	}
	switch err := fs.Parse(args); {
	case errors.Is(err, pflag.ErrHelp):
		_, err = io.WriteString(stdout, doc)
		return false, err
	case err != nil:
		return false, usageErrorf("%s: %v; run 'kdecl %s --help'", fs.Name(), err, fs.Name())
	}
	if err := checkArgs(fs, nargs); err != nil {
		return false, err
	}
	return true, nil
}

// checkArgs wants nargs arguments (0 or one stack directory), any number
// when nargs is -1.
func checkArgs(fs *pflag.FlagSet, nargs int) error {
	if nargs >= 0 && fs.NArg() != nargs {
		want := "one stack directory"
		if nargs == 0 {
			want = "no arguments"
		}
		return usageErrorf("%s takes %s, got %s; run 'kdecl %s --help'", fs.Name(), want, arguments(fs.NArg()), fs.Name())
	}
	return nil
}

// arguments counts arguments in words: 1 argument, 2 arguments.
func arguments(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}
