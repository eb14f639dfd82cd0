package generators

import (
	"cmp"
	"maps"
	"slices"
	"strconv"

	"github.com/kdecl/kdecl/schema"
)

// SyncWaves are the Argo CD sync waves of the stack's apps, by name, when
// the stack has argocd (nil when not): an app comes one wave after the
// latest of the jobs that run before it and, with syncWaves "uses", of
// the apps it uses and waits for; with "before", no earlier than the
// apps it waits for. An app that waits for nothing is in wave 1, after
// the stack's own objects in wave 0. Load refuses cycles,
// so every app has a wave.
func SyncWaves(s *schema.Stack) map[string]int {
	if s.ArgoCD == nil {
		return nil
	}
	uses := s.ArgoCD.SyncWaves == schema.SyncWavesUses
	waves := make(map[string]int, len(s.Apps))
	var wave func(name string) int
	wave = func(name string) int {
		if w, ok := waves[name]; ok {
			return w
		}
		i, _ := slices.BinarySearchFunc(s.Apps, name, func(a schema.App, name string) int { return cmp.Compare(a.Name, name) })
		a := &s.Apps[i]
		w := 1
		for _, job := range a.After {
			w = max(w, wave(job)+1)
		}
		for _, d := range a.Dependencies {
			switch {
			case uses && d.Wait:
				w = max(w, wave(d.App)+1)
			case d.Wait:
				// Never a wave before an app it waits for: Argo CD
				// would wait for this wave's health, which the wait
				// holds back, before it applies that app.
				w = max(w, wave(d.App))
			}
		}
		waves[name] = w
		return w
	}
	for _, a := range s.Apps {
		wave(a.Name)
	}
	return waves
}

// syncWaves annotates each object with its app's sync wave, or wave 0
// for the stack's own objects, unless the object, one of objects, says
// its own.
func syncWaves(s *schema.Stack, ms []Manifest) {
	waves := SyncWaves(s)
	if waves == nil {
		return
	}
	for _, m := range ms {
		ann := m.Object.GetAnnotations()
		if _, ok := ann[schema.SyncWaveAnnotation]; ok {
			continue
		}
		ann = maps.Clone(ann) // objects of one app may share a map
		if ann == nil {
			ann = map[string]string{}
		}
		ann[schema.SyncWaveAnnotation] = strconv.Itoa(waves[m.App])
		m.Object.SetAnnotations(ann)
	}
}
