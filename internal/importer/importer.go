package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/internal/podsecurity"
	"github.com/kdecl/kdecl/schema"
)

// Result is an import: the plan, the stack's CUE source, and what
// comparing what it renders with what was imported found.
type Result struct {
	Plan   *Plan
	Stack  *Stack
	Source []byte // of the stack's one file
	Report *Report
	// notSecret are the fields Source marks @kdecl(notsecret).
	notSecret [][]string
}

// Import turns docs (cleaned and upgraded) into the stack called name,
// renders it, and compares what it renders with docs. notes say what
// was done to docs before (the versions they were moved from).
func Import(docs []manifest.Doc, name string, notes ...string) (*Result, error) {
	if err := unique(docs); err != nil {
		return nil, err
	}
	for _, d := range docs {
		undefault(d)
	}
	flux := fluxDisabled(docs)
	applySet := applySetOf(docs)
	res, err := importAs(docs, name, notes, nil, flux, applySet)
	if err == nil && !slices.ContainsFunc(res.Report.Differences, nativeDifference) {
		return res, nil
	}
	// Said natively, an Ingress, budget or network policy renders
	// otherwise: as objects, they render as read.
	objectsOnly := map[string]bool{}
	for _, k := range nativeKinds {
		objectsOnly[k] = true
	}
	if plain, perr := importAs(docs, name, notes, objectsOnly, flux, applySet); perr == nil && (err != nil || len(plain.Report.Differences) < len(res.Report.Differences)) {
		return plain, nil
	}
	return res, err
}

// nativeDifference says whether a difference is of an object import may
// say as a native field.
func nativeDifference(d Difference) bool {
	kind, _, _ := strings.Cut(d.Object, "/")
	return slices.Contains(nativeKinds, kind)
}

// importAs imports docs, keeping the kinds of objectsOnly as objects, as
// the members of the ApplySet applySet (see applySetOf); flux says that
// the stack disables Flux's substitution, whose annotation fluxDisabled
// took off docs.
func importAs(docs []manifest.Doc, name string, notes []string, objectsOnly map[string]bool, flux bool, applySet string) (*Result, error) {
	// Sync waves on every object are argocd's: by before, else by uses.
	waves := takeWaves(docs)
	argocd := ""
	var byObject map[string]string
	if waves != nil {
		defer waves.restore()
		argocd = schema.SyncWavesBefore
		byObject = waves.byObject()
	}
	p := group(docs, byObject)
	p.ObjectsOnly = objectsOnly
	p.Flux = flux
	p.ApplySet = applySet
	p.Notes = append(slices.Clone(notes), p.Notes...)
	var (
		st       *Stack
		src      []byte
		rendered []Rendered
		secrets  []string
		without  unsaid
		// notSecret are the fields kdecl's credential check refused,
		// which the stack keeps as read, marked.
		notSecret [][]string
	)
	for {
		var err error
		if st, err = stackOf(p, name, without); err != nil {
			return nil, err
		}
		st.notSecret = notSecret
		for _, path := range notSecret {
			st.Notes = append(st.Notes, fmt.Sprintf("%s: kept as read, which kdecl's credential check takes for a credential, and marked %s; move it to a Secret", strings.Join(path, "."), schema.NotSecret))
		}
		if argocd != "" {
			st.ArgoCD = map[string]any{}
			if argocd == schema.SyncWavesUses {
				st.ArgoCD["syncWaves"] = argocd
			}
			st.Notes = append(st.Notes, "every object has an Argo CD sync wave: argocd, its waves by "+argocd)
		}
		if src, err = st.Write(); err != nil {
			return nil, err
		}
		if len(notSecret) > 0 {
			var missing [][]string
			if src, missing, err = markNotSecret(src, notSecret); err != nil {
				return nil, err
			}
			if len(missing) > 0 {
				return nil, fmt.Errorf("no field %s in the stack import wrote", strings.Join(missing[0], "."))
			}
		}
		rendered, secrets, err = renderSource(src)
		var forbidden *podSecurityError
		if errors.As(err, &forbidden) && without.security == nil {
			// Pods that do not meet a level their manifests say: the
			// stack says the level no more, and the rest as it is.
			without = unsaid{security: map[string]bool{}}
			for _, e := range forbidden.errs {
				without.podSecurity = without.podSecurity || strings.Contains(e.Msg, "(podSecurity)")
				without.security[e.App] = true
			}
			continue
		}
		if paths := credentialFields(err); paths != nil && notSecret == nil {
			notSecret = paths
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("kdecl refuses what the manifests say, as the stack import wrote says it:\n%w", inInput(p, err))
		}
		if argocd == schema.SyncWavesBefore && !waves.agree(rendered) {
			argocd = schema.SyncWavesUses
			continue
		}
		break
	}
	if waves != nil {
		waves.restore()
	}
	return &Result{Plan: p, Stack: st, Source: src, Report: report(p, st, rendered, secrets), notSecret: notSecret}, nil
}

// report compares what the stack st renders with the objects of p it
// was written from.
func report(p *Plan, st *Stack, rendered []Rendered, secrets []string) *Report {
	if p.Flux {
		for _, r := range rendered {
			manifest.Delete(r.Object, "metadata", "annotations", generators.FluxSubstitute)
		}
	}
	r := Compare(p, rendered)
	r.Notes = st.Notes
	r.Secrets = slices.Compact(slices.Sorted(slices.Values(append(secrets, p.Secrets...))))
	if len(st.Left) > 0 {
		r.Left = st.Left
	}
	// What the stack leaves out is not said, and no difference too.
	r.Differences = slices.DeleteFunc(r.Differences, func(d Difference) bool {
		return slices.ContainsFunc(st.leftOut, func(f field) bool { return f.covers(d) })
	})
	return r
}

// unique checks that each object has a name, and that no two are one
// object: kubectl would apply one over the other.
func unique(docs []manifest.Doc) error {
	seen := map[string]manifest.Doc{}
	for _, d := range docs {
		if d.Name() == "" {
			return fmt.Errorf("%s: %s has no metadata.name", d.Source, d.Kind())
		}
		ns, _ := manifest.Get(d.Object, "metadata", "namespace").(string)
		group, _, _ := strings.Cut(d.APIVersion(), "/")
		if !strings.Contains(d.APIVersion(), "/") {
			group = ""
		}
		key := group + "/" + d.Kind() + "/" + ns + "/" + d.Name()
		if prev, ok := seen[key]; ok {
			return fmt.Errorf("%s: %s %s is %s again: one object twice", d.Source, d.Kind(), d.Name(), prev.Source)
		}
		seen[key] = d
	}
	return nil
}

// renderSource loads src as a stack's only file and renders it; it
// returns the objects and the Secrets the stack refers to.
func renderSource(src []byte) ([]Rendered, []string, error) {
	return renderFiles(map[string][]byte{"stack.cue": src})
}

// renderFiles loads files, by name, as a stack's package with tags, and
// renders it as renderSource does.
func renderFiles(files map[string][]byte, tags ...string) ([]Rendered, []string, error) {
	dir, err := os.MkdirTemp("", "kdecl-import-")
	if err != nil {
		return nil, nil, err
	}
	temps.Store(dir, true)
	defer func() {
		os.RemoveAll(dir)
		temps.Delete(dir)
	}()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			return nil, nil, err
		}
	}
	s, err := schema.Load(dir, tags...)
	if err != nil {
		return nil, nil, err
	}
	ms, err := generators.Stack(s)
	if err != nil {
		return nil, nil, err
	}
	switch forbidden, err := podsecurity.Check(s, ms); {
	case err != nil:
		return nil, nil, err
	case len(forbidden) > 0:
		return nil, nil, &podSecurityError{forbidden}
	}
	out := make([]Rendered, len(ms))
	for i, m := range ms {
		out[i].App = m.App
		if out[i].Object, err = jsonMap(m.Object); err != nil {
			return nil, nil, err
		}
	}
	var secrets []string
	for _, r := range generators.SecretRefs(s) {
		secrets = append(secrets, r.Secret)
	}
	return out, secrets, nil
}

// temps are the directories renders of imported stacks are in now.
var temps sync.Map

// RemoveTemps removes the directories of the renders under way, which an
// import that gives up on them (interrupted) leaves behind otherwise.
func RemoveTemps() {
	temps.Range(func(dir, _ any) bool {
		os.RemoveAll(dir.(string))
		temps.Delete(dir)
		return true
	})
}

// podSecurityError is what the Pod Security levels of a rendered stack
// forbid of its pods.
type podSecurityError struct{ errs schema.Errors }

func (e *podSecurityError) Error() string { return e.errs.Error() }

// unsaid is what an import leaves out of the stack, as its pods do not
// meet it: the namespace's podSecurity, and the apps' security, by app.
type unsaid struct {
	podSecurity bool
	security    map[string]bool
}

// fluxDisabled says whether every object of docs keeps Flux's post-build
// substitution off with the annotation flux: substitute: "disabled"
// renders, and then takes the annotation off them: the stack says it
// once.
func fluxDisabled(docs []manifest.Doc) bool {
	if len(docs) == 0 {
		return false
	}
	for _, d := range docs {
		if manifest.Get(d.Object, "metadata", "annotations", generators.FluxSubstitute) != "disabled" {
			return false
		}
	}
	for _, d := range docs {
		manifest.Delete(d.Object, "metadata", "annotations", generators.FluxSubstitute)
	}
	return true
}

// inInput positions the errors of a stack import wrote, which was
// never the user's file, at the objects read that they come from: the
// workload of their app, or the object the field objects.NAME was
// written for; the field and message stay, as the stack says them.
func inInput(p *Plan, err error) error {
	var errs schema.Errors
	if !errors.As(err, &errs) {
		return err
	}
	sources := map[string]string{} // by app, or by objects.NAME
	for _, a := range p.Apps {
		sources[a.Name] = fmt.Sprintf("%s: %s %s", a.Workload.Source, a.Workload.Kind(), a.Workload.Name())
	}
	for _, d := range p.Objects {
		name := d.Name()
		if to, ok := p.ObjectNames[d.Kind()+"/"+name]; ok {
			name = to
		}
		sources["objects."+name] = fmt.Sprintf("%s: %s %s", d.Source, d.Kind(), d.Name())
	}
	var out []string
	for _, e := range errs {
		where, ok := sources[e.App]
		if e.App == "" {
			where, ok = sources[objectField(e.Field)]
		}
		if !ok {
			where = "the stack import wrote"
		}
		out = append(out, where+": "+e.Message())
	}
	return errors.New(strings.Join(out, "\n"))
}

// objectField is objects.NAME of a field under it, "" for any other.
func objectField(field string) string {
	rest, ok := strings.CutPrefix(field, "objects.")
	if !ok {
		return ""
	}
	if strings.HasPrefix(rest, `"`) {
		if name, err := strconv.QuotedPrefix(rest); err == nil {
			unq, _ := strconv.Unquote(name)
			return "objects." + unq
		}
	}
	name, _, _ := strings.Cut(rest, ".")
	return "objects." + name
}

// applySetOf is the ApplySet parent, NAMESPACE/NAME, that every one of
// docs the stack says names in kdecl's annotation, as a render of a
// stack with applySet names it; it removes the annotation, which the
// stack's applySet says. Docs that name several parents or none, or
// another namespace's, keep the annotation, as any other: "".
func applySetOf(docs []manifest.Doc) string {
	parent := ""
	for _, d := range docs {
		if !stackSays(d) {
			continue
		}
		v, _ := manifest.Get(d.Object, "metadata", "annotations", schema.ApplySetAnnotation).(string)
		if v == "" || (parent != "" && v != parent) {
			return ""
		}
		parent = v
	}
	if ns, _, _ := strings.Cut(parent, "/"); ns == "" || ns != namespace(docs) {
		return ""
	}
	for _, d := range docs {
		withoutAnnotation(d.Object, schema.ApplySetAnnotation)
	}
	return parent
}

// withoutAnnotation removes the annotation key of the object o, and its
// annotations when none is left.
func withoutAnnotation(o map[string]any, key string) {
	meta, _ := o["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	delete(ann, key)
	if ann != nil && len(ann) == 0 {
		delete(meta, "annotations")
	}
}
