package schema

import (
	"maps"
	"regexp"
	"strings"
)

// Names kdecl gives to the things it adds to a pod or stack, fixed here so
// that the checks of Load and the generators agree on them.
const (
	// ConfigVolume is the pod volume of the app's config files.
	ConfigVolume = reservedPrefix + "config"
	// PodInfoVolume is the downward API volume of podInfo.
	PodInfoVolume = reservedPrefix + "podinfo"
	// reservedPrefix starts the names of the volumes kdecl adds, which no
	// volume of an app's may have.
	reservedPrefix = "kdecl-"
)

// ConfigHashAnnotation on a pod template holds a hash of the app's
// config, ConfigHashLen hex digits, so that a change of config rolls the
// pods.
const (
	ConfigHashAnnotation = "kdecl.dev/config-hash"
	ConfigHashLen        = 16
)

// reservedVolume is whether an app cannot give its own volume the name.
func reservedVolume(name string) bool { return strings.HasPrefix(name, reservedPrefix) }

// SharedConfigVolume is the pod volume of the files of the stack's config
// name.
func SharedConfigVolume(name string) string { return ConfigVolume + "-" + name }

// DefaultSharedConfigMountPath is where the files of the stack's config
// name are mounted unless its mountPath says otherwise.
func DefaultSharedConfigMountPath(name string) string { return "/etc/" + name }

// ConfigMapName is the name of an app's ConfigMap.
func ConfigMapName(app string) string { return app + "-config" }

// PVCName is the name of the claim of a persistent volume of an app that
// is not a statefulset.
func PVCName(app, volume string) string { return app + "-" + volume }

// HeadlessServiceName is the name of a statefulset's headless Service,
// its serviceName.
func HeadlessServiceName(app string) string { return app + "-headless" }

// HasService is whether the app has a Service <app>: it is exposed, on
// ports that are on a Service.
func (a *App) HasService() bool {
	return a.Expose.Type != ExposeNone && len(a.ServicePorts()) > 0
}

// HeadlessService is the name of the app's headless Service, which gives
// each pod a DNS name: a statefulset's serviceName, or a headless Service
// the app asks for; "" when it has none.
func (a *App) HeadlessService() string {
	switch {
	case a.Headless != nil && a.Headless.Name != "":
		return a.Headless.Name
	case a.Headless != nil || a.Kind == KindStatefulSet:
		return HeadlessServiceName(a.Name)
	}
	return ""
}

// WaitContainerName is the init container that waits for the app a
// dependent uses, or for the job that runs before it: a job is never
// used, so the two never share a name.
func WaitContainerName(app string) string { return "wait-for-" + app }

// JobWaitTokenVolume is the volume of the ServiceAccount's token that the
// containers that wait for jobs mount.
const JobWaitTokenVolume = reservedPrefix + "job-wait-token"

// claimTemplateRE matches the names of the claims a statefulset's
// controller makes from a claim template: <volume>-<app>-<ordinal>.
func claimTemplateRE(app, volume string) *regexp.Regexp {
	return regexp.MustCompile("^" + regexp.QuoteMeta(volume+"-"+app+"-") + "[0-9]+$")
}

// WaitRoleName is the Role, and its RoleBinding, that let the pods of an
// app that waits for jobs (App.After) read those Jobs.
func WaitRoleName(app string) string { return app + "-wait-for-jobs" }

// SyncWaveAnnotation orders what Argo CD applies: a wave only once the
// objects of the earlier ones are healthy.
const SyncWaveAnnotation = "argocd.argoproj.io/sync-wave"

// HeadlessLabel is the label by which a headless Service that several
// apps share selects their pods, its name the value; only their pods
// carry it.
const HeadlessLabel = "kdecl.dev/headless"

// sharedName is the name under which the app may share its headless
// Service: its headless.name, "" for none or a job's.
func (a *App) sharedName() string {
	if a.Headless == nil || a.Kind == KindJob || a.Kind == KindCronJob {
		return ""
	}
	return a.Headless.Name
}

// HeadlessGroups are the headless Services that apps share, by name:
// the apps, among apps (sorted by name), whose headless.name names it,
// two or more. The Service is the stack's.
func HeadlessGroups(apps []*App) map[string][]*App {
	by := map[string][]*App{}
	for _, a := range apps {
		if name := a.sharedName(); name != "" {
			by[name] = append(by[name], a)
		}
	}
	maps.DeleteFunc(by, func(_ string, g []*App) bool { return len(g) < 2 })
	return by
}

// HeadlessGroups are the headless Services the stack's apps share (see
// HeadlessGroups).
func (s *Stack) HeadlessGroups() map[string][]*App {
	apps := make([]*App, len(s.Apps))
	for i := range s.Apps {
		apps[i] = &s.Apps[i]
	}
	return HeadlessGroups(apps)
}

// HeadlessPublishes says whether the app's headless Service publishes
// the addresses of pods not ready: as headless says, else as expose does.
func (a *App) HeadlessPublishes() bool {
	if h := a.Headless; h != nil && h.PublishNotReadyAddresses != nil {
		return *h.PublishNotReadyAddresses
	}
	return a.Expose.PublishNotReadyAddresses
}
