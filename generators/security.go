package generators

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kdecl/kdecl/schema"
)

// WaitUser is the user the containers that wait for dependencies run as
// under the restricted profile, which forbids root: nobody, as
// WaitImage has it.
const WaitUser int64 = 65534

// secure applies the app's security profile to its pod. Overrides are
// applied after it, so a user's securityContext wins.
func secure(a *schema.App, spec *corev1.PodSpec) {
	if a.Security == nil {
		return
	}
	waits := map[string]bool{}
	for _, d := range a.Dependencies {
		if d.Wait {
			waits[schema.WaitContainerName(d.App)] = true
		}
	}
	for _, job := range a.After {
		waits[schema.WaitContainerName(job)] = true
	}
	Harden(a.Security, waits, spec)
}

// Harden sets the securityContexts of spec as the profile sec says:
// restricted sets what the Pod Security Standard restricted requires of
// the pod and of every container, and each profile sets the options it
// gives (read-only root file system, user, group, fsGroup). waits are
// the containers that wait for dependencies, which run as WaitUser under
// restricted unless sec names a user.
func Harden(sec *schema.Security, waits map[string]bool, spec *corev1.PodSpec) {
	restricted := sec.Profile == schema.ProfileRestricted
	if restricted || sec.RunAsUser != nil || sec.RunAsGroup != nil || sec.FSGroup != nil {
		pod := &corev1.PodSecurityContext{RunAsUser: sec.RunAsUser, RunAsGroup: sec.RunAsGroup, FSGroup: sec.FSGroup}
		if restricted {
			pod.RunAsNonRoot = ptr(true)
			pod.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
		}
		spec.SecurityContext = pod
	}
	harden := func(c *corev1.Container) {
		ctx := &corev1.SecurityContext{}
		if restricted {
			ctx.AllowPrivilegeEscalation = ptr(false)
			ctx.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}
			if waits[c.Name] && sec.RunAsUser == nil {
				ctx.RunAsUser = ptr(WaitUser)
			}
		}
		if sec.ReadOnlyRootFilesystem {
			ctx.ReadOnlyRootFilesystem = ptr(true)
		}
		if restricted || sec.ReadOnlyRootFilesystem {
			c.SecurityContext = ctx
		}
	}
	for i := range spec.InitContainers {
		harden(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		harden(&spec.Containers[i])
	}
}

// Labels of a Namespace that the API server's PodSecurity admission reads.
const (
	LabelPodSecurityEnforce        = "pod-security.kubernetes.io/enforce"
	LabelPodSecurityEnforceVersion = "pod-security.kubernetes.io/enforce-version"
)

// podSecurityLabels are the labels that have the stack's namespace
// enforce its Pod Security level.
func podSecurityLabels(s *schema.Stack) map[string]string {
	p := s.PodSecurity
	if p == nil {
		return nil
	}
	labels := map[string]string{LabelPodSecurityEnforce: p.Level}
	if p.Version != "" {
		labels[LabelPodSecurityEnforceVersion] = p.Version
	}
	return labels
}
