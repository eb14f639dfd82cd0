package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/internal/par"
	"github.com/kdecl/kdecl/internal/review"
	"github.com/kdecl/kdecl/internal/textdiff"
	"github.com/kdecl/kdecl/schema"
)

// allFlags are the flags of the commands that act on every render that
// the repository's kdecl.cue lists.
type allFlags struct {
	all    bool
	config string
	only   []string
}

// allFlagsDoc documents them, for the commands' help.
const allFlagsDoc = `      --all                  every render of kdecl.cue, the file at the root of
                             the CUE module (found from here upwards), in
                             parallel; no STACK_DIR, -o or -t
      --config FILE          with --all, the kdecl.cue to read
      --only NAME,...        with --all, only these renders (shop/prod) or the
                             renders of these stacks (shop)
`

func (f *allFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.all, "all", false, "")
	fs.StringVar(&f.config, "config", "", "")
	fs.StringSliceVar(&f.only, "only", nil, "")
}

// checkNotAll checks the usage of a command without --all: one stack,
// and no flag of --all's.
func (f *allFlags) checkNotAll(fs *pflag.FlagSet) error {
	if fs.Changed("config") || fs.Changed("only") {
		return usageErrorf("%s: --config and --only go with --all", fs.Name())
	}
	return checkArgs(fs, 1)
}

// renders checks the usage of a command with --all (no stack, -o or -t:
// kdecl.cue gives them) and reads the renders of kdecl.cue, those of
// --only. The file's errors are reported on stderr.
func (f *allFlags) renders(fs *pflag.FlagSet, stderr io.Writer) ([]schema.Render, error) {
	cmd := fs.Name()
	switch {
	case fs.NArg() > 0:
		return nil, usageErrorf("%s --all renders the stacks kdecl.cue lists and takes no stack directory, got %s", cmd, arguments(fs.NArg()))
	case fs.Changed("output") || fs.Changed("tag"):
		return nil, usageErrorf("%s --all: kdecl.cue gives each render's deploy directory and tags; -o and -t are for one stack", cmd)
	case fs.Changed("config") && f.config == "":
		return nil, usageErrorf("%s: --config is empty; give the kdecl.cue to read", cmd)
	}
	file := f.config
	if file == "" {
		var err error
		if file, err = schema.FindRepo("."); err != nil {
			return nil, err
		}
	}
	renders, err := schema.LoadRepo(file)
	if err != nil {
		return nil, reported(err, stderr)
	}
	if len(f.only) == 0 {
		return renders, nil
	}
	// A name is a render's (shop/prod) or a stack's (shop, all of its
	// renders); the renders keep their order.
	picks := func(name string, r schema.Render) bool { return r.Name == name || strings.HasPrefix(r.Name, name+"/") }
	for _, name := range f.only {
		if !slices.ContainsFunc(renders, func(r schema.Render) bool { return picks(name, r) }) {
			var names []string
			for _, r := range renders {
				names = append(names, r.Name)
			}
			return nil, usageErrorf("%s: --only %q: %s has no such render or stack; it has %s", cmd, name, file, strings.Join(names, ", "))
		}
	}
	return slices.DeleteFunc(renders, func(r schema.Render) bool {
		return !slices.ContainsFunc(f.only, func(name string) bool { return picks(name, r) })
	}), nil
}

// eachRender calls do for every render, as many at a time as there are
// processors, and copies what each writes on stdout and stderr to the
// command's, in the renders' order, whatever order they end in: as soon
// as a render and all before it are done. It returns each render's error.
// An error that is not errReported is printed with the render's name.
func eachRender(ctx context.Context, renders []schema.Render, stdout, stderr io.Writer, quiet bool, do func(ctx context.Context, i int, stdout, stderr io.Writer) error) []error {
	n := len(renders)
	outs, errOuts := make([]bytes.Buffer, n), make([]bytes.Buffer, n)
	errs := make([]error, n)
	done := make([]chan struct{}, n)
	for i := range done {
		done[i] = make(chan struct{})
	}
	prog := startProgress(stderr, quiet)
	defer prog.end()
	prog.set("0 of %d renders done", n)
	var finished atomic.Int64
	// Each render shows no progress of its own: the command's counts
	// them.
	inner := withProgress(ctx, nil)
	go par.Do(n, func(i int) {
		defer close(done[i])
		errs[i] = do(inner, i, &outs[i], &errOuts[i])
		if errs[i] != nil && !errors.Is(errs[i], errReported) && !errors.Is(errs[i], errDiffers) && !errors.Is(errs[i], errFailOn) {
			fmt.Fprintf(&errOuts[i], "kdecl: %s: %s\n", renders[i].Name, printableLines(errs[i].Error()))
		}
		prog.set("%d of %d renders done", finished.Add(1), n)
	})
	for i := range n {
		<-done[i]
		if errOuts[i].Len() > 0 || outs[i].Len() > 0 {
			prog.pause()
			stderr.Write(errOuts[i].Bytes())
			stdout.Write(outs[i].Bytes())
			prog.set("%d of %d renders done", finished.Load(), n)
		}
	}
	return errs
}

// renderCommand is how a render of kdecl.cue is made alone: kdecl render
// stacks/shop -t prod -o deploy/shop/prod.
func renderCommand(r schema.Render) string {
	return fmt.Sprintf("%s%s -o %s", r.Stack, tagArgs(r.Tags), r.Output)
}

// outcome is what came of a render, for the summary: text says it, kind
// counts it (changed, unchanged, stale, failed).
type outcome struct{ text, kind string }

var failed = outcome{"failed", "failed"}

// writeAllSummary writes a line per render, its name, deploy directory
// and outcome, and a line of totals.
func writeAllSummary(w io.Writer, renders []schema.Render, outcomes []outcome) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	counts := map[string]int{}
	for i, r := range renders {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", printable(r.Name), printable(r.Output), outcomes[i].text)
		counts[outcomes[i].kind]++
	}
	tw.Flush()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	fmt.Fprintf(w, "%d %s: %s\n", len(renders), plural(len(renders), "render", "renders"), strings.Join(parts, ", "))
}

// renderAll is kdecl render --all: every render of kdecl.cue into its
// deploy directory (with --check, checked), each its own transaction.
func renderAll(ctx context.Context, fs *pflag.FlagSet, f renderFlags, stderr io.Writer) error {
	renders, err := f.allFlags.renders(fs, stderr)
	if err != nil {
		return err
	}
	outcomes := make([]outcome, len(renders))
	errs := eachRender(ctx, renders, io.Discard, stderr, f.quiet, func(ctx context.Context, i int, _, stderr io.Writer) error {
		r := renders[i]
		rf := f
		rf.output, rf.tags = r.Output, r.Tags
		outcomes[i] = failed
		if err := checkOutput("render", r.Output, r.Stack); err != nil {
			return err
		}
		summary, err := renderDir(ctx, r.Stack, rf, stderr)
		switch {
		case f.check && summary == "stale":
			outcomes[i] = outcome{"stale", "stale"}
			return fmt.Errorf("%s is not up to date with %s; run: kdecl render --all, or kdecl render %s", r.Output, r.Stack, renderCommand(r))
		case err != nil:
			return err
		case f.check:
			outcomes[i] = outcome{summary, summary}
		case strings.HasSuffix(summary, ", unchanged"):
			outcomes[i] = outcome{summary, "unchanged"}
		default:
			outcomes[i] = outcome{summary, "changed"}
		}
		return nil
	})
	if ctx.Err() != nil {
		return interrupted(ctx)
	}
	if !f.quiet {
		writeAllSummary(stderr, renders, outcomes)
	}
	if slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		return errReported
	}
	return nil
}

// diffAll is kdecl diff --all: the diff of every render of kdecl.cue, in
// the order of their names.
func diffAll(ctx context.Context, fs *pflag.FlagSet, f diffFlags, stdout, stderr io.Writer, colors textdiff.Colors) error {
	renders, err := f.allFlags.renders(fs, stderr)
	if err != nil {
		return err
	}
	outcomes := make([]outcome, len(renders))
	errs := eachRender(ctx, renders, stdout, stderr, false, func(ctx context.Context, i int, stdout, stderr io.Writer) error {
		r := renders[i]
		rf := f
		rf.output, rf.tags = r.Output, r.Tags
		outcomes[i] = failed
		if err := checkOutput("diff", r.Output, r.Stack); err != nil {
			return err
		}
		switch err := diff(ctx, r.Stack, rf, stdout, stderr, colors); {
		case errors.Is(err, errDiffers):
			outcomes[i] = outcome{"differs", "differ"}
		case err != nil:
			return err
		default:
			outcomes[i] = outcome{"no change", "unchanged"}
		}
		return nil
	})
	if ctx.Err() != nil {
		return interrupted(ctx)
	}
	writeAllSummary(stderr, renders, outcomes)
	switch {
	case slices.ContainsFunc(errs, func(err error) bool { return err != nil }):
		return errReported
	case slices.Contains(outcomes, outcome{"differs", "differ"}):
		return errDiffers
	}
	return nil
}

// renderReview is the review of one render of kdecl.cue, as review
// --all --format json writes it.
type renderReview struct {
	Render  string          `json:"render"`
	Stack   string          `json:"stack"`
	Tags    []string        `json:"tags"`
	Output  string          `json:"output"`
	Changes []review.Change `json:"changes"`
	// Error is why the render could not be reviewed: its details are
	// on stderr.
	Error string `json:"error,omitempty"`
}

// reviewAll is kdecl review --all: the review of every render of
// kdecl.cue, as one document, a section per render in the order of
// their names.
func reviewAll(ctx context.Context, fs *pflag.FlagSet, f reviewFlags, stdout, stderr io.Writer) error {
	renders, err := f.allFlags.renders(fs, stderr)
	if err != nil {
		return err
	}
	reviews := make([]renderReview, len(renders))
	errs := eachRender(ctx, renders, io.Discard, stderr, false, func(ctx context.Context, i int, _, stderr io.Writer) error {
		r := renders[i]
		rf := f
		rf.output, rf.tags = r.Output, r.Tags
		reviews[i] = renderReview{Render: r.Name, Stack: r.Stack, Tags: r.Tags, Output: r.Output}
		if reviews[i].Tags == nil {
			reviews[i].Tags = []string{}
		}
		changes, err := reviewChanges(ctx, []string{r.Stack}, rf, stderr)
		if err != nil {
			reviews[i].Error = fmt.Sprintf("%s does not render; see kdecl vet %s%s", r.Stack, r.Stack, tagArgs(r.Tags))
			var usage *usageError
			if !errors.Is(err, errReported) {
				reviews[i].Error = err.Error()
			}
			if errors.As(err, &usage) {
				return errors.New(usage.msg)
			}
			return err
		}
		reviews[i].Changes = changes
		return nil
	})
	if ctx.Err() != nil {
		return interrupted(ctx)
	}
	err = writeFormat(stdout, f.format, reviews,
		func(w io.Writer) { writeMarkdownAll(w, reviews) },
		func(w io.Writer) { writeTextAll(w, reviews) })
	if err != nil {
		return err
	}
	if slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		return errReported
	}
	if slices.ContainsFunc(reviews, func(r renderReview) bool { return failsOn(r.Changes, f.failOn) }) {
		return errFailOn
	}
	return nil
}

// reviewTotal counts the renders with changes, without and failed.
func reviewTotal(reviews []renderReview) string {
	var changed, unchanged, failed int
	for _, r := range reviews {
		switch {
		case r.Error != "":
			failed++
		case len(r.Changes) > 0:
			changed++
		default:
			unchanged++
		}
	}
	s := fmt.Sprintf("%d %s: %d with changes, %d without", len(reviews), plural(len(reviews), "render", "renders"), changed, unchanged)
	if failed > 0 {
		s += fmt.Sprintf(", %d failed (see the errors of kdecl review)", failed)
	}
	return s + "."
}

// reviewOutcome is a render's line in the table of a review: its
// summary, or that it has no change or failed.
func reviewOutcome(r renderReview) string {
	switch {
	case r.Error != "":
		return "failed"
	case len(r.Changes) == 0:
		return "no change"
	}
	return summary(r.Changes)
}

// writeTextAll writes the reviews for a terminal: each render's under a
// line that names it, then the total.
func writeTextAll(w io.Writer, reviews []renderReview) {
	for _, r := range reviews {
		fmt.Fprintf(w, "== %s: %s%s -> %s\n", printable(r.Render), printable(r.Stack), printable(tagArgs(r.Tags)), printable(r.Output))
		if r.Error != "" {
			fmt.Fprintf(w, "failed: %s\n\n", printable(firstLine(r.Error)))
			continue
		}
		writeText(w, r.Changes)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, reviewTotal(reviews))
}

// writeMarkdownAll writes the reviews as one pull-request comment: a
// table of the renders, then a section for each one that changes or
// failed.
func writeMarkdownAll(w io.Writer, reviews []renderReview) {
	fmt.Fprintln(w, "### kdecl review")
	fmt.Fprintln(w)
	fmt.Fprintln(w, reviewTotal(reviews))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| render | deploy directory | changes |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, r := range reviews {
		fmt.Fprintf(w, "| `%s` | `%s` | %s |\n", printable(r.Render), printable(r.Output), markdownEscape(reviewOutcome(r)))
	}
	for _, r := range reviews {
		if r.Error == "" && len(r.Changes) == 0 {
			continue
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "#### `%s` (`%s%s`, `%s`)\n", printable(r.Render), printable(r.Stack), printable(tagArgs(r.Tags)), printable(r.Output))
		fmt.Fprintln(w)
		if r.Error != "" {
			fmt.Fprintf(w, "Failed: %s\n", markdownEscape(printable(firstLine(r.Error))))
			continue
		}
		writeMarkdownChanges(w, r.Changes)
	}
}

// firstLine is the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
