package importer

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/schema"
)

// jobWait is the job app whose Job the init container c waits for as
// kdecl's wait does (kubectl wait until the Job exists and has
// completed, generators.JobWaitArgs), "" if it is none or sets anything
// more.
func jobWait(p *Plan, c corev1.Container) string {
	token := []corev1.VolumeMount{{Name: schema.JobWaitTokenVolume, MountPath: generators.ServiceAccountPath, ReadOnly: true}}
	if !reflect.DeepEqual(c.VolumeMounts, token) {
		return ""
	}
	c.VolumeMounts = nil
	if c.Image != generators.KubectlImage || !slices.Equal(c.Command, []string{"kubectl"}) || !onlyCommand(c) {
		return ""
	}
	for _, a := range p.Apps {
		if a.Workload.Kind() == "Job" && c.Name == schema.WaitContainerName(a.Name) &&
			slices.Equal(c.Args, generators.JobWaitArgs(&schema.Stack{Namespace: p.Namespace}, a.Workload.Name())) {
			return a.Name
		}
	}
	return ""
}

// jobWaits is how many of the pod's first init containers wait for jobs
// as kdecl's do, in kdecl's order (by the job's name), in a workload
// kdecl lets wait: a deployment, statefulset or daemonset.
func jobWaits(p *Plan, a *App, inits []corev1.Container) int {
	switch a.Workload.Kind() {
	case "Deployment", "StatefulSet", "DaemonSet":
	default:
		return 0
	}
	n := 0
	for n < len(inits) && jobWait(p, inits[n]) != "" && (n == 0 || jobWait(p, inits[n-1]) < jobWait(p, inits[n])) {
		n++
	}
	return n
}

// before gives each job the before of the apps that wait for it, which
// the pods' init containers said (Stack.after), and leaves out what
// kdecl then makes itself: the ServiceAccount named after the app.
func (s *Stack) before() {
	byJob := map[string][]string{}
	for _, app := range slices.Sorted(maps.Keys(s.after)) {
		for _, job := range s.after[app] {
			byJob[job] = append(byJob[job], app)
		}
		sa, _ := s.Apps[app]["serviceAccount"].(map[string]any)
		if len(sa) == 1 && sa["name"] == app {
			delete(s.Apps[app], "serviceAccount")
		}
	}
	for _, job := range slices.Sorted(maps.Keys(byJob)) {
		var before []any
		for _, app := range byJob[job] {
			before = append(before, app)
		}
		s.Apps[job]["before"] = before
		s.Notes = append(s.Notes, fmt.Sprintf("app %s: the pods of %s wait for its Job: its before", job, strings.Join(byJob[job], ", ")))
	}
}

// waitRBAC says whether d is the Role or RoleBinding kdecl renders for
// the pods of an app that wait for jobs (generators.WaitRole): it then
// renders it itself. What it holds is compared with the render.
func (s *Stack) waitRBAC(p *Plan, d manifest.Doc) bool {
	if d.APIVersion() != "rbac.authorization.k8s.io/v1" || d.Kind() != "Role" && d.Kind() != "RoleBinding" {
		return false
	}
	if ns, _ := manifest.Get(d.Object, "metadata", "namespace").(string); ns != s.Namespace {
		return false
	}
	for app := range s.after {
		if d.Name() == schema.WaitRoleName(app) {
			if ann, _ := manifest.Get(d.Object, "metadata", "annotations").(map[string]any); len(ann) > 0 {
				s.override(app, strings.ToLower(d.Kind()), ann, "metadata", "annotations")
			}
			s.Notes = append(s.Notes, fmt.Sprintf("%s %s: what lets the pods of app %s read the Jobs they wait for, which kdecl makes", d.Kind(), d.Name(), app))
			return true
		}
	}
	return false
}

// readWaves are the Argo CD sync waves of the objects read, when every
// one has one, as kdecl gives them with argocd.
type readWaves struct {
	docs   []manifest.Doc
	values []string
}

// takeWaves takes the sync waves off docs, when every one has one, for
// the stack to say them as argocd; nil, and docs as they are, if some
// object has none. restore puts them back.
func takeWaves(docs []manifest.Doc) *readWaves {
	w := &readWaves{}
	for _, d := range docs {
		v, ok := manifest.Get(d.Object, "metadata", "annotations", schema.SyncWaveAnnotation).(string)
		if !ok {
			return nil
		}
		w.docs, w.values = append(w.docs, d), append(w.values, v)
	}
	if len(docs) == 0 {
		return nil
	}
	for _, d := range docs {
		ann := manifest.Map(d.Object, "metadata", "annotations")
		delete(ann, schema.SyncWaveAnnotation)
		if len(ann) == 0 {
			delete(manifest.Map(d.Object, "metadata"), "annotations")
		}
	}
	return w
}

// restore puts the waves back on the objects read, for the comparison
// with the render.
func (w *readWaves) restore() {
	for i, d := range w.docs {
		manifest.Map(d.Object, "metadata", "annotations")[schema.SyncWaveAnnotation] = w.values[i]
	}
}

// byObject are the waves by kind/name.
func (w *readWaves) byObject() map[string]string {
	m := map[string]string{}
	for i, d := range w.docs {
		m[d.Kind()+"/"+d.Name()] = w.values[i]
	}
	return m
}

// agree says whether each object rendered that was read has the wave
// read.
func (w *readWaves) agree(rendered []Rendered) bool {
	read := w.byObject()
	for _, r := range rendered {
		kind, _ := r.Object["kind"].(string)
		name, _ := manifest.Get(r.Object, "metadata", "name").(string)
		v, ok := read[kind+"/"+name]
		if ok && manifest.Get(r.Object, "metadata", "annotations", schema.SyncWaveAnnotation) != v {
			return false
		}
	}
	return true
}

// stackWave says whether the ConfigMap d, which app alone uses, is in an
// earlier sync wave than the app's workload, as kdecl puts the stack's
// configs: it is a config of the stack's then.
func (p *Plan) stackWave(d manifest.Doc, app *App) bool {
	cm, ok := p.waves[d.Kind()+"/"+d.Name()]
	return ok && cm != p.waves[app.Workload.Kind()+"/"+app.Workload.Name()]
}
