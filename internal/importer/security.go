package importer

import (
	"reflect"
	"regexp"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/internal/manifest"
	"github.com/kdecl/kdecl/schema"
)

// security is the app's security that the securityContexts of its pod
// say exactly: a profile of kdecl's with the options it has, as
// generators.Harden sets them. The securityContexts are then cleared
// from spec, so that no override repeats them. nil when they say no
// profile exactly: they stay, for overrides.
func security(p *Plan, spec *corev1.PodSpec) any {
	all := slices.Concat(spec.InitContainers, spec.Containers)
	if spec.SecurityContext == nil && !slices.ContainsFunc(all, func(c corev1.Container) bool { return c.SecurityContext != nil }) {
		return nil
	}
	pod := corev1.PodSecurityContext{}
	if spec.SecurityContext != nil {
		pod = *spec.SecurityContext
	}
	waits := map[string]bool{}
	for _, ic := range spec.InitContainers {
		ic.SecurityContext = nil // which the profile sets
		if waitsFor(p, ic) == "" && jobWait(p, ic) == "" {
			break // kdecl's wait containers come first
		}
		waits[ic.Name] = true
	}
	readOnly := len(spec.Containers) > 0 && spec.Containers[0].SecurityContext != nil &&
		spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem != nil && *spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem
	for _, profile := range []string{schema.ProfileRestricted, schema.ProfileNone} {
		sec := &schema.Security{Profile: profile, ReadOnlyRootFilesystem: readOnly,
			RunAsUser: pod.RunAsUser, RunAsGroup: pod.RunAsGroup, FSGroup: pod.FSGroup}
		want := bareSpec(spec)
		generators.Harden(sec, waits, want)
		if !reflect.DeepEqual(spec.SecurityContext, want.SecurityContext) ||
			!reflect.DeepEqual(contexts(spec.InitContainers), contexts(want.InitContainers)) ||
			!reflect.DeepEqual(contexts(spec.Containers), contexts(want.Containers)) {
			continue
		}
		*spec = *bareSpec(spec)
		return securityValue(sec)
	}
	return nil
}

// bareSpec is a copy of spec without securityContexts.
func bareSpec(spec *corev1.PodSpec) *corev1.PodSpec {
	bare := spec.DeepCopy()
	bare.SecurityContext = nil
	for _, cs := range [][]corev1.Container{bare.InitContainers, bare.Containers} {
		for i := range cs {
			cs[i].SecurityContext = nil
		}
	}
	return bare
}

func contexts(cs []corev1.Container) []*corev1.SecurityContext {
	out := make([]*corev1.SecurityContext, len(cs))
	for i, c := range cs {
		out[i] = c.SecurityContext
	}
	return out
}

// securityValue is sec as a stack writes it: the profile's name alone
// when it has no options.
func securityValue(sec *schema.Security) any {
	v := map[string]any{"profile": sec.Profile}
	if sec.ReadOnlyRootFilesystem {
		v["readOnlyRootFilesystem"] = true
	}
	for name, id := range map[string]*int64{"runAsUser": sec.RunAsUser, "runAsGroup": sec.RunAsGroup, "fsGroup": sec.FSGroup} {
		if id != nil {
			v[name] = *id
		}
	}
	if len(v) == 1 {
		return sec.Profile
	}
	return v
}

// podSecurityVersion is a version podSecurity admits.
var podSecurityVersion = regexp.MustCompile(`^(latest|v1[.](0|[1-9][0-9]{0,3}))$`)

// podSecurity is the stack's podSecurity that the labels of its
// Namespace say, with pod-security.kubernetes.io/enforce and
// enforce-version as kdecl renders them; nil if they say none.
func podSecurity(ns *manifest.Doc) any {
	if ns == nil {
		return nil
	}
	labels := manifest.Map(ns.Object, "metadata", "labels")
	level, _ := labels[generators.LabelPodSecurityEnforce].(string)
	if !slices.Contains([]string{schema.LevelPrivileged, schema.LevelBaseline, schema.LevelRestricted}, level) {
		return nil
	}
	version, set := labels[generators.LabelPodSecurityEnforceVersion].(string)
	switch {
	case !set:
		return level
	case !podSecurityVersion.MatchString(version):
		return nil
	}
	return map[string]any{"level": level, "version": version}
}
