package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/schema"
)

const initDoc = `usage: kdecl init [--name NAME] DIR

Init starts a stack: DIR/NAME holds one stack, a package of CUE with one
app and two environments, staging and prod (files marked @if(staging)
and @if(prod)), and a README that says how to render them. Unless DIR
is in a CUE module already, DIR becomes one (cue.mod/module.cue), and
kdecl's schema is vendored into it (cue.mod/pkg/kdecl.dev/schema), so
that cue vet and editors know the stack's fields.

Init writes only new files: it refuses when one of them exists.

Flags:
      --name NAME            the stack's name (default: DIR's name)

Examples:
  kdecl init . --name shop
  kdecl init stacks --name shop
  kdecl render stacks/shop -t staging -o deploy/shop/staging
`

type initFlags struct {
	name string
}

// stackNameRE is what init takes as a stack's name: a DNS label that
// starts with a letter, as app names do.
var stackNameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f initFlags
	flags := pflag.NewFlagSet("init", pflag.ContinueOnError)
	flags.StringVar(&f.name, "name", "", "")
	if ok, err := parseFlags(flags, initDoc, args, -1, stdout); !ok {
		return err
	}
	if flags.NArg() != 1 {
		return usageErrorf("init takes one directory, got %s; run 'kdecl init --help'", arguments(flags.NArg()))
	}
	dir := flags.Arg(0)
	name := f.name
	if name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		name = strings.ToLower(filepath.Base(abs))
	}
	if !stackNameRE.MatchString(name) || len(name) > 40 {
		return usageErrorf("init: %q is not a stack name: at most 40 lowercase letters, digits and '-', starting with a letter; give one with --name", name)
	}
	if info, err := os.Stat(dir); err == nil && !info.IsDir() {
		return usageErrorf("init: %s is a file; give a directory", printable(dir))
	}
	if cueKeywords[strings.ReplaceAll(name, "-", "")] {
		return usageErrorf("init: %q is a word of CUE's, which cannot name the stack's package; give another with --name", name)
	}
	if root := schema.ModuleRoot(dir); root != "" {
		mod := filepath.Join(root, "cue.mod", "module.cue")
		if data, err := os.ReadFile(mod); err == nil && !languageRE.Match(data) {
			return fmt.Errorf("init: %s declares no language version, which CUE needs to import a package: add language: version: %q to it", printable(relative(mod)), schema.CUEVersion())
		}
	}
	files := initFiles(dir, name)
	for _, file := range files {
		if _, err := os.Lstat(file.path); err == nil {
			return fmt.Errorf("init: %s exists; init writes only new files", printable(file.path))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("init: %w", err)
		}
	}
	var written []string // files and the directories made for them
	for _, file := range files {
		made, err := writeNew(file.path, file.data)
		written = append(written, made...)
		if err != nil {
			for i := len(written) - 1; i >= 0; i-- {
				os.Remove(written[i]) // a directory only when empty
			}
			return fmt.Errorf("init: %w", err)
		}
	}
	stack := filepath.Join(dir, name)
	fmt.Fprintf(stderr, "kdecl: wrote stack %s; render it with: kdecl render %s -t staging -o %s\n",
		printable(stack), printable(stack), printable(filepath.Join("deploy", name, "staging")))
	return nil
}

// newFile is a file init writes.
type newFile struct {
	path string
	data []byte
}

// initFiles are the files of a new stack name in dir, and of a new
// module at dir unless dir is in one.
func initFiles(dir, name string) []newFile {
	pkg := strings.ReplaceAll(name, "-", "")
	stack := filepath.Join(dir, name)
	var files []newFile
	root := schema.ModuleRoot(dir)
	if root == "" {
		root = dir
	}
	absRoot, _ := filepath.Abs(root)
	absStack, _ := filepath.Abs(stack)
	inModule, err := filepath.Rel(absRoot, absStack)
	if err != nil {
		inModule = stack
	}
	cueWhere := "" // cue vet runs in the module's directory
	if r := relative(absRoot); r != "." {
		cueWhere = ", in " + filepath.ToSlash(r) + ","
	}
	if _, err := os.Stat(filepath.Join(root, "cue.mod", "module.cue")); err != nil {
		files = append(files, newFile{filepath.Join(root, "cue.mod", "module.cue"), []byte(fmt.Sprintf(
			"// The CUE module of the stacks: its path names its packages for imports.\nmodule: %q\nlanguage: version: %q\n",
			"example.com/"+name, schema.CUEVersion()))})
	}
	if _, err := os.Stat(schema.VendorFile(root)); err != nil {
		files = append(files, newFile{schema.VendorFile(root), schema.Vendored()})
	}
	named := ""
	if pkg != name {
		named = fmt.Sprintf("\n// name of the stack: its instance label, as the package cannot be.\nname: %q\n", name)
	}
	render := func(env string) string {
		return fmt.Sprintf("kdecl render %s -t %s -o %s", filepath.ToSlash(stack), env, filepath.ToSlash(filepath.Join("deploy", name, env)))
	}
	files = append(files,
		newFile{filepath.Join(stack, "kdecl.cue"), []byte(`// The stack checks itself against kdecl's schema, for cue vet -c and
// editors: kdecl renders it alike without this file. kdecl schema
// --module rewrites the schema's copy after an upgrade of kdecl.
package ` + pkg + `

import "kdecl.dev/schema"

schema.#Stack
apps: [string]: schema.#App
`)},
		newFile{filepath.Join(stack, name+".cue"), []byte(`// The ` + name + ` stack: its apps, and what its environments share;
// staging.cue and prod.cue say what differs.
package ` + pkg + `
` + named + `
apps: web: {
	image: "nginx:1.27.2"
	ports: http: 80
	replicas: *1 | int
	probes: {
		liveness: http: path:  "/"
		readiness: http: path: "/"
	}
	resources: {
		requests: {cpu: "50m", memory: "64Mi"}
		limits: memory: "128Mi"
	}
	config: env: LOG_LEVEL: *"debug" | "info"
}
`)},
		newFile{filepath.Join(stack, "staging.cue"), []byte(`@if(staging)

package ` + pkg + `

namespace: "` + name + `-staging"
`)},
		newFile{filepath.Join(stack, "prod.cue"), []byte(`@if(prod)

package ` + pkg + `

namespace: "` + name + `-prod"

apps: web: {
	replicas: 2
	config: env: LOG_LEVEL: "info"
}
`)},
		newFile{filepath.Join(stack, "README.md"), []byte(`# ` + name + `

A kdecl stack. Render each environment into its deploy directory, review
the change in git, and apply it:

    ` + render("staging") + `
    ` + render("prod") + `
    kubectl apply -f deploy/` + name + `/staging -R

Check it with ` + "`kdecl vet " + filepath.ToSlash(stack) + " -t prod --strict`" + `, or` + cueWhere + ` with
` + "`cue vet -c ./" + filepath.ToSlash(inModule) + " -t prod`" + `.
`)},
	)
	return files
}

// writeNew writes a file that must not exist, and its directory; it
// returns the directories it made and the file, in that order.
func writeNew(name string, data []byte) (made []string, err error) {
	var missing []string
	for d := filepath.Dir(name); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil {
			return made, err
		}
		made = append(made, missing[i])
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return made, err
	}
	made = append(made, name)
	_, err = f.Write(data)
	return made, errors.Join(err, f.Close())
}

// cueKeywords cannot name a package.
var cueKeywords = map[string]bool{"package": true, "import": true, "for": true, "in": true, "if": true, "let": true,
	"true": true, "false": true, "null": true, "func": true}

// languageRE finds a module's language version.
var languageRE = regexp.MustCompile(`(?m)^\s*language\s*:`)
