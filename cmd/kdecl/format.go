package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// formatFlag is --format FORMAT, the one flag that chooses how a command
// writes what it prints. Commands that took the format as -o or as
// another flag take that spelling for one more release, with a warning:
// -o names where output goes, a directory or -.
type formatFlag struct {
	format  string
	old     string // the deprecated flag's value
	oldName string // "output" for -o, "report", ...
	formats []string
}

// register adds --format, and the deprecated spelling oldName ("" for
// none; "output" for -o/--output).
func (f *formatFlag) register(fs *pflag.FlagSet, oldName string, formats ...string) {
	f.formats, f.oldName = formats, oldName
	fs.StringVar(&f.format, "format", formats[0], strings.Join(formats, "|")) // the usage lists the values, for completion
	switch oldName {
	case "":
	case "output":
		fs.StringVarP(&f.old, "output", "o", "", "")
	default:
		fs.StringVar(&f.old, oldName, "", "")
	}
}

// resolve takes the deprecated spelling, with a warning on stderr, and
// checks the format.
func (f *formatFlag) resolve(fs *pflag.FlagSet, stderr io.Writer) error {
	cmd := fs.Name()
	if f.oldName != "" && fs.Changed(f.oldName) {
		old := "--" + f.oldName
		if f.oldName == "output" {
			old = "-o"
		}
		switch {
		case f.oldName == "output" && f.old == "-":
			// -o - names stdout, where the output goes anyway
		case fs.Changed("format") && f.old != f.format:
			return usageErrorf("%s: %s %s and --format %s disagree; give --format alone", cmd, old, f.old, f.format)
		case !slices.Contains(f.formats, f.old):
			return usageErrorf("%s: %s %q: want --format %s", cmd, old, f.old, strings.Join(f.formats, " or "))
		default:
			fmt.Fprintf(stderr, "kdecl: %s: %s %s is deprecated and goes in the next release; use --format %s\n", cmd, old, f.old, f.old)
			f.format = f.old
		}
	}
	if !slices.Contains(f.formats, f.format) {
		return usageErrorf("%s: --format %q: want %s", cmd, f.format, strings.Join(f.formats, " or "))
	}
	return nil
}
