package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/internal/importer"
	"github.com/kdecl/kdecl/internal/manifest"
)

// importEnvs is import with --env: the environments' manifests into one
// stack's package.
func importEnvs(ctx context.Context, f *importFlags, fs *pflag.FlagSet, stdout, stderr io.Writer) error {
	if fs.NArg() > 0 {
		return usageErrorf("import: --env gives the manifests of each environment; give no other arguments (%s)", strings.Join(fs.Args(), " "))
	}
	if len(f.envs) < 2 {
		return usageErrorf("import: --env %s: one environment; give two or more, or import its manifests without --env", f.envs[0])
	}
	if f.output == "-" && !f.check {
		return usageErrorf("import: --env writes a file for each environment: give -o DIR")
	}
	var paths []string
	envs := make([]importer.Env, len(f.envs))
	for i, arg := range f.envs {
		name, path, ok := strings.Cut(arg, "=")
		switch {
		case !ok || path == "":
			return usageErrorf("import: --env %q: give ENV=PATH", arg)
		case !importer.ValidEnvName(name):
			return usageErrorf("import: --env %q: an environment's name is a lowercase letter, then lowercase letters, digits and '_', as -t takes it, and not true, false or null", arg)
		case name+".cue" == stackFile:
			return usageErrorf("import: --env %q: %s is the file of what the environments share", arg, stackFile)
		case slices.ContainsFunc(envs[:i], func(e importer.Env) bool { return e.Name == name }):
			return usageErrorf("import: --env %q: environment %s given twice", arg, name)
		case path == "-":
			return usageErrorf("import: --env %q: an environment's manifests are a file or a directory, not stdin", arg)
		}
		envs[i].Name = name
		paths = append(paths, path)
	}
	if err := f.validate(1); err != nil {
		return err
	}
	if err := finishRenders(ctx, paths, stderr); err != nil {
		return err
	}
	_, err := cancelable(ctx, func() (struct{}, error) {
		for i := range envs {
			docs, notes, err := readManifests(paths[i : i+1])
			if err != nil {
				return struct{}{}, fmt.Errorf("environment %s: %w", envs[i].Name, err)
			}
			envs[i].Docs, envs[i].Notes = docs, notes
		}
		return struct{}{}, nil
	})
	if err != nil {
		return err
	}
	if !fs.Changed("name") {
		var all []manifest.Doc
		for _, e := range envs {
			all = append(all, e.Docs...)
		}
		if name, label := labelledName(all); name != "" {
			f.name = name
			for i := range envs {
				envs[i].Notes = append(envs[i].Notes, fmt.Sprintf("the stack is named %s, as the label %s of its objects says", name, label))
			}
		}
	}
	res, err := cancelable(ctx, func() (*importer.EnvsResult, error) { return importer.ImportEnvs(envs, f.name) })
	if err != nil {
		return err
	}
	if err := writeEnvsReport(stdout, res, f.format); err != nil {
		return err
	}
	if !res.Lossless() && !f.force {
		return fmt.Errorf("the stack differs from the manifests of an environment (see the report); %s", map[bool]string{
			true: "import --force (without --check) writes it anyway", false: "nothing written; --force writes it",
		}[f.check])
	}
	if f.check {
		return nil
	}
	if err := noParentPackage(f.output, importer.Package(f.name)); err != nil {
		return err
	}
	return writeFiles(f.output, res.Files)
}

// writeEnvsReport writes each environment's report: in text, under a
// line that names it; in JSON, as an object of reports by environment.
func writeEnvsReport(w io.Writer, res *importer.EnvsResult, format string) error {
	if format == "json" {
		type env struct {
			Name string `json:"name"`
			*importer.Report
		}
		var out struct {
			Environments []env `json:"environments"`
		}
		for _, e := range res.Envs {
			out.Environments = append(out.Environments, env{e.Name, e.Report.ForJSON()})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, e := range res.Envs {
		fmt.Fprintf(w, "environment %s (kdecl render -t %s):\n", e.Name, e.Name)
		var b strings.Builder
		e.Report.WriteText(&b)
		for _, line := range strings.SplitAfter(b.String(), "\n") {
			if line != "" {
				fmt.Fprintf(w, "  %s", line)
			}
		}
	}
	return nil
}
