package schema

import (
	"fmt"
	"maps"
	"slices"
)

// order resolves each job's before into the After of the apps it runs
// before, and checks it: the targets exist, are not the job itself, are
// apps whose pods can wait (a deployment, statefulset or daemonset),
// have no container of the name of the one that waits, and keep the
// token the wait reads the Job with; the job stays once it has
// completed, so that a pod that starts later finds it. Cycles through
// before and uses are found by cycles.
func (l *loader) order(s *Stack, checkers map[string]*appChecker, allApps []string) {
	for _, name := range slices.Sorted(maps.Keys(checkers)) {
		c := checkers[name]
		a := c.app
		if s.ArgoCD != nil {
			if _, ok := a.Annotations[SyncWaveAnnotation]; ok {
				c.fail("kdecl sets the sync wave of the app's objects, as argocd.syncWaves says", "annotations", SyncWaveAnnotation)
			}
			// Nor may an override move one object of the app to
			// another wave: before its Job, or its own RBAC.
			for _, key := range slices.Sorted(maps.Keys(a.Overrides)) {
				if _, ok := get(a.Overrides[key], "metadata", "annotations", SyncWaveAnnotation); ok {
					c.fail("kdecl sets the sync wave of the app's objects, as argocd.syncWaves says", "overrides", key, "metadata", "annotations", SyncWaveAnnotation)
				}
			}
			for _, v := range slices.Sorted(maps.Keys(a.Storage)) {
				if _, ok := a.Storage[v].Annotations[SyncWaveAnnotation]; ok {
					c.fail("kdecl sets the sync wave of the app's objects, as argocd.syncWaves says", "storage", v, "annotations", SyncWaveAnnotation)
				}
			}
		}
		if len(a.Before) == 0 || a.Kind != KindJob {
			continue // kindFields refuses before of another kind
		}
		if a.Job.TTLSecondsAfterFinished != nil {
			c.fail("a job that runs before other apps must stay once it has completed: a pod of theirs that starts after ttlSecondsAfterFinished has deleted it would wait for it forever; leave ttlSecondsAfterFinished out",
				"job", "ttlSecondsAfterFinished")
		}
		seen := map[string]bool{}
		for i, b := range a.Before {
			field := a.Before.Field(i)
			target, ok := checkers[b.App]
			switch {
			case b.App == name:
				c.fail("a job cannot run before itself", field...)
				continue
			case seen[b.App]:
				c.fail(fmt.Sprintf("%s is listed twice", excerpt(b.App)), field...)
				continue
			case !ok && slices.Contains(allApps, b.App):
				continue // the target has errors of its own
			case !ok:
				c.fail(fmt.Sprintf("%s is not an app of the stack (have %s)", quote(b.App), names(allApps)), field...)
				continue
			}
			seen[b.App] = true
			t := target.app
			if t.Kind == KindJob || t.Kind == KindCronJob {
				c.fail(fmt.Sprintf("%s is a %s: only the pods of a deployment, statefulset or daemonset wait for a job; run both steps in one job, the first as its init container", b.App, t.Kind), field...)
				continue
			}
			w := WaitContainerName(name)
			switch _, sidecar := t.Sidecars[w]; {
			case w == t.Name:
				c.fail(fmt.Sprintf("the container of %s that waits for this job would be named %s, as %s's own container is; rename one of the apps", b.App, w, b.App), field...)
				continue
			case sidecar || slices.ContainsFunc(t.InitContainers, func(ic Container) bool { return ic.Name == w }):
				c.fail(fmt.Sprintf("the container of %s that waits for this job would be named %s, as a container of that app is; rename that container", b.App, w), field...)
				continue
			}
			t.After = append(t.After, name)
		}
	}
	for _, c := range checkers {
		slices.Sort(c.app.After)
	}
}

// beforeField is the field of job's before that names app.
func beforeField(job *App, app string) []string {
	i := slices.IndexFunc(job.Before, func(b BeforeApp) bool { return b.App == app })
	return job.Before.Field(i)
}
