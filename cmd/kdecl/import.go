package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue/parser"
	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/deploydir"
	"github.com/kdecl/kdecl/internal/importer"
	"github.com/kdecl/kdecl/internal/manifest"
)

const importDoc = `usage: kdecl import [flags] FILE|DIR|- ...

Import turns Kubernetes manifests into a stack: each workload (Deployment,
StatefulSet, DaemonSet, Job, CronJob) is an app, with the Services that
select its pods and the ConfigMaps and claims only it uses; the rest are
objects. What kdecl's fields say goes into them, the rest into overrides.

Manifests are YAML or JSON, several documents to a file, List objects
too; a directory is read recursively, as kubectl apply -R reads it,
unless it has a kustomization (kustomization.yaml), which is built as
kubectl kustomize builds it, generated ConfigMaps and Secrets included; -
reads stdin. A kdecl deploy directory among them that holds a render a
crash interrupted after its commit point is finished first, as the next
render would finish it (which takes write access to it). The output of
kubectl get -o yaml is read as what its author wrote: the fields the API
server set are dropped, and old API versions are moved to the current
ones. Secrets are never imported: the stack
refers to them, and the report lists them.

Every import renders the stack it wrote and compares the objects with
those it read, by meaning. It prints a report: what it chose, the
Secrets to create, every name and label kdecl changed, and every other
difference. With a difference the stack is not written, and the exit
code is 1.

With --env, each environment's manifests are imported alike, into one
stack: stack.cue holds what every environment's stack says alike, ENV.cue
(under @if(ENV)) what one says otherwise; the stack renders an
environment with -t ENV, and each render is compared with that
environment's manifests.

Flags:
  -o, --output DIR     write the stack into DIR as stack.cue, or - for stdout
                       (default -); DIR must hold no CUE file
      --env ENV=PATH   import PATH (a file or directory, a kustomize overlay
                       say) as the environment ENV, in place of arguments;
                       give it for each environment, two or more
      --name NAME      the stack's name (default: the app.kubernetes.io/instance
                       or part-of label all workloads share, else DIR's name,
                       or imported)
      --check          write no stack; only report, exit 1 on a difference
      --force          write the stack even with differences
      --format FORMAT  the report's: text (default) or json; on stdout, or on
                       stderr when the stack goes to stdout (--report FORMAT
                       is the old spelling, for this release)

Examples:
  kdecl import k8s/ -o stacks/shop
  kdecl import --env dev=overlays/dev --env prod=overlays/prod -o stacks/podinfo
  kubectl get deploy,svc,cm,pvc -n shop -o yaml | kdecl import - --check
`

type importFlags struct {
	formatFlag
	output, name string
	envs         []string // ENV=PATH
	check, force bool
}

// stackName is what a stack's name may be when import writes it: a DNS
// label that starts with a letter, so that it makes a CUE package.
var stackName = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f importFlags
	fs := pflag.NewFlagSet("import", pflag.ContinueOnError)
	fs.StringVarP(&f.output, "output", "o", "-", "")
	fs.StringVar(&f.name, "name", "", "")
	f.register(fs, "report", "text", "json")
	fs.BoolVar(&f.check, "check", false, "")
	fs.BoolVar(&f.force, "force", false, "")
	fs.StringArrayVar(&f.envs, "env", nil, "")
	if ok, err := parseFlags(fs, importDoc, args, -1, stdout); !ok {
		return err
	}
	if err := f.resolve(fs, stderr); err != nil {
		return err
	}
	// An interrupt gives up on the import under way: its renders' files
	// go with it.
	defer importer.RemoveTemps()
	if len(f.envs) > 0 {
		return importEnvs(ctx, &f, fs, stdout, stderr)
	}
	if err := f.validate(fs.NArg()); err != nil {
		return err
	}
	if err := finishRenders(ctx, fs.Args(), stderr); err != nil {
		return err
	}
	// Reading stdin, a FIFO or a kustomization may block: an interrupt
	// ends the import all the same, with nothing written.
	type read struct {
		docs  []manifest.Doc
		notes []string
	}
	r, err := cancelable(ctx, func() (read, error) {
		docs, notes, err := readManifests(fs.Args())
		return read{docs, notes}, err
	})
	if err != nil {
		return err
	}
	docs, notes := r.docs, r.notes
	if !fs.Changed("name") {
		if name, label := labelledName(docs); name != "" {
			f.name = name
			notes = append(notes, fmt.Sprintf("the stack is named %s, as the label %s of its objects says", name, label))
		}
	}
	res, err := cancelable(ctx, func() (*importer.Result, error) { return importer.Import(docs, f.name, notes...) })
	if err != nil {
		return err
	}
	report := stdout
	if f.output == "-" && !f.check {
		report = stderr
	}
	if err := writeReport(report, res.Report, f.format); err != nil {
		return err
	}
	if !res.Report.Lossless() && !f.force {
		return fmt.Errorf("the stack differs from the manifests (see the report); %s", map[bool]string{
			true: "import --force (without --check) writes it anyway", false: "nothing written; --force writes it",
		}[f.check])
	}
	if f.check {
		return nil
	}
	if f.output == "-" {
		_, err := stdout.Write(res.Source)
		return err
	}
	if err := noParentPackage(f.output, importer.Package(f.name)); err != nil {
		return err
	}
	return writeStack(f.output, res.Source)
}

// labelledName is the stack's name that the objects' labels say, and the
// label: the value of app.kubernetes.io/instance (else part-of) that
// every workload carries and no object contradicts, if it can name a
// stack; kdecl's render then keeps the label of every object.
func labelledName(docs []manifest.Doc) (name, label string) {
	for _, label := range []string{generators.LabelInstance, generators.LabelPartOf} {
		name, workloads := "", 0
		for _, d := range docs {
			v, has := manifest.Get(d.Object, "metadata", "labels", label).(string)
			if _, ok := importer.Workloads[d.Kind()]; ok {
				workloads++
				if !has {
					name = "-"
				}
			}
			switch {
			case !has:
			case name == "":
				name = v
			case v != name:
				name = "-"
			}
		}
		if workloads > 0 && name != "-" && stackName.MatchString(name) && len(name) <= 63 {
			return name, label
		}
	}
	return "", ""
}

// validate checks the flags and the number of arguments, and names the
// stack when --name does not.
func (f *importFlags) validate(nargs int) error {
	if nargs == 0 {
		return usageErrorf("import takes manifests to read (files, directories, or - for stdin); run 'kdecl import --help'")
	}
	if f.check && f.force {
		return usageErrorf("import: --check writes nothing, --force writes despite differences: give one")
	}
	if f.output == "" {
		return usageErrorf("import: -o is empty; give a directory for the stack, or - for stdout")
	}
	if f.name == "" {
		f.name = "imported"
		if base := filepath.Base(filepath.Clean(f.output)); f.output != "-" && stackName.MatchString(base) {
			f.name = base
		}
	}
	if !stackName.MatchString(f.name) || len(f.name) > 63 {
		return usageErrorf("import: --name %q: a stack's name is at most 63 lowercase letters, digits and '-', starting with a letter", f.name)
	}
	return nil
}

// readManifests reads the manifests of paths, drops what the API server
// set and moves old API versions to the current ones, saying which.
func readManifests(paths []string) ([]manifest.Doc, []string, error) {
	docs, notes, err := manifest.ReadPaths(paths, os.Stdin)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range docs {
		if d.Kind() == "" || d.APIVersion() == "" {
			return nil, nil, fmt.Errorf("%s: not a Kubernetes object: no apiVersion or kind", d.Source)
		}
		manifest.Clean(d.Object)
		note, err := manifest.Upgrade(d.Object)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s %s: %w", d.Source, d.Kind(), d.Name(), err)
		}
		if note != "" {
			notes = append(notes, d.Source+": "+note)
		}
	}
	if len(docs) == 0 {
		return nil, nil, errors.New("no Kubernetes objects in " + strings.Join(paths, ", "))
	}
	return docs, notes, nil
}

// finishRenders finishes, before import reads them, the renders that a
// crash interrupted after their commit point in the deploy directories
// import reads (see deploydir), so that it never reads one half old,
// half new, or refuses if it cannot: for a directory, in it, below it
// (hidden directories aside, as import reads them) and above it, where
// it may be an app's directory of a render; for a file, in the directory
// that holds it and the one above.
func finishRenders(ctx context.Context, paths []string, stderr io.Writer) error {
	var dirs []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if p == "-" || err != nil {
			continue // stdin, or an error import reports itself
		}
		if !info.IsDir() {
			p = filepath.Dir(p)
		}
		dirs = append(dirs, p, filepath.Dir(p))
		if !info.IsDir() {
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return nil // import reports it when it reads
			case path != p && d.IsDir() && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case path != p && d.IsDir():
				dirs = append(dirs, path)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, dir := range dirs {
		if _, err := os.Lstat(filepath.Join(dir, deploydir.Journal)); err != nil {
			continue
		}
		d, err := deploydir.Open(ctx, dir, deploydir.Options{Waiting: waiting(stderr, dir)})
		if err != nil {
			return openError(ctx, err)
		}
		d.Close()
	}
	return nil
}

func writeReport(w io.Writer, r *importer.Report, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r.ForJSON())
	}
	r.WriteText(w)
	return nil
}

// stackFile is the file import writes a stack into.
const stackFile = "stack.cue"

// writeStack writes src as dir/stack.cue, whole or not at all: dir is
// created if need be, and must hold no CUE file, so that import never
// mixes its stack with another.
func writeStack(dir string, src []byte) error {
	return writeFiles(dir, map[string][]byte{stackFile: src})
}

// noParentPackage refuses dir when a directory above it, up to the root
// of its CUE module, holds a file of the package pkg: CUE would make
// that file part of the stack, which import verified without it.
func noParentPackage(dir, pkg string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		files, _ := filepath.Glob(filepath.Join(d, "*.cue"))
		for _, f := range files {
			if src, err := os.ReadFile(f); err == nil && packageOf(src) == pkg {
				if wd, err := os.Getwd(); err == nil {
					if rel, err := filepath.Rel(wd, f); err == nil {
						f = rel
					}
				}
				return fmt.Errorf("%s is package %s, which CUE would add to the stack in %s; write it elsewhere, or name it otherwise with --name", f, pkg, dir)
			}
		}
		if _, err := os.Stat(filepath.Join(d, "cue.mod")); err == nil || filepath.Dir(d) == d {
			return nil // the module's root: CUE looks no higher
		}
	}
}

// packageOf is the package of the CUE source src, as CUE's parser reads
// its package clause; "" for none.
func packageOf(src []byte) string {
	f, err := parser.ParseFile("", src, parser.PackageClauseOnly)
	if err != nil {
		return ""
	}
	return f.PackageName()
}

// writeFiles writes files, by name, into dir as writeStack writes one:
// all of them or none.
func writeFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".cue") {
			return fmt.Errorf("%s holds %s already; import writes a stack into a directory without CUE files", dir, e.Name())
		}
	}
	temps := map[string]string{}
	defer func() {
		for _, tmp := range temps {
			os.Remove(tmp)
		}
	}()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		tmp, err := os.CreateTemp(dir, ".stack-*.cue")
		if err != nil {
			return err
		}
		temps[name] = tmp.Name()
		if _, err := tmp.Write(files[name]); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return err
		}
	}
	// Links, not renames: one fails if its file appeared meanwhile, and
	// takes back those linked before it.
	var linked []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := filepath.Join(dir, name)
		if err := os.Link(temps[name], path); err != nil {
			for _, l := range linked {
				os.Remove(l)
			}
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s holds %s already; import writes a stack into a directory without CUE files", dir, name)
			}
			return err
		}
		linked = append(linked, path)
	}
	return nil
}
