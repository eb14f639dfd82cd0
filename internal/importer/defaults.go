package importer

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The API server's defaults for the fields of the kinds kdecl generates,
// as pkg/apis/{core,apps,batch}/v1/defaults.go in k8s.io/kubernetes set
// them. Compare applies them to both sides, so that a field written out
// at its default and a field left unset mean the same; the e2e test that
// imports what the server stored holds the table to the server's.

func ptr[T any](v T) *T { return &v }

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

func setDefaultPtr[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}

func defaultPodSpec(s *corev1.PodSpec) {
	setDefault(&s.DNSPolicy, corev1.DNSClusterFirst)
	setDefault(&s.RestartPolicy, corev1.RestartPolicyAlways)
	setDefault(&s.SchedulerName, corev1.DefaultSchedulerName)
	setDefaultPtr(&s.TerminationGracePeriodSeconds, corev1.DefaultTerminationGracePeriodSeconds)
	if s.SecurityContext == nil {
		s.SecurityContext = &corev1.PodSecurityContext{}
	}
	for i := range s.Volumes {
		defaultVolume(&s.Volumes[i].VolumeSource)
	}
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i], s.HostNetwork)
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i], s.HostNetwork)
	}
}

func defaultVolume(v *corev1.VolumeSource) {
	mode := corev1.ConfigMapVolumeSourceDefaultMode
	switch {
	case v.ConfigMap != nil:
		setDefaultPtr(&v.ConfigMap.DefaultMode, mode)
	case v.Secret != nil:
		setDefaultPtr(&v.Secret.DefaultMode, mode)
	case v.DownwardAPI != nil:
		setDefaultPtr(&v.DownwardAPI.DefaultMode, mode)
		for i := range v.DownwardAPI.Items {
			if f := v.DownwardAPI.Items[i].FieldRef; f != nil {
				setDefault(&f.APIVersion, "v1")
			}
		}
	case v.Projected != nil:
		setDefaultPtr(&v.Projected.DefaultMode, mode)
	case v.HostPath != nil:
		setDefaultPtr(&v.HostPath.Type, corev1.HostPathUnset)
	}
}

func defaultContainer(c *corev1.Container, hostNetwork bool) {
	setDefault(&c.TerminationMessagePath, corev1.TerminationMessagePathDefault)
	setDefault(&c.TerminationMessagePolicy, corev1.TerminationMessageReadFile)
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = corev1.PullIfNotPresent
		if latest(c.Image) {
			c.ImagePullPolicy = corev1.PullAlways
		}
	}
	for i := range c.Ports {
		p := &c.Ports[i]
		setDefault(&p.Protocol, corev1.ProtocolTCP)
		if hostNetwork {
			setDefault(&p.HostPort, p.ContainerPort)
		}
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p == nil {
			continue
		}
		setDefault(&p.TimeoutSeconds, 1)
		setDefault(&p.PeriodSeconds, 10)
		setDefault(&p.SuccessThreshold, 1)
		setDefault(&p.FailureThreshold, 3)
		defaultHTTP(p.HTTPGet)
	}
	if l := c.Lifecycle; l != nil {
		for _, h := range []*corev1.LifecycleHandler{l.PostStart, l.PreStop} {
			if h != nil {
				defaultHTTP(h.HTTPGet)
			}
		}
	}
	for i := range c.Env {
		if f := c.Env[i].ValueFrom; f != nil && f.FieldRef != nil {
			setDefault(&f.FieldRef.APIVersion, "v1")
		}
	}
}

func defaultHTTP(h *corev1.HTTPGetAction) {
	if h != nil {
		setDefault(&h.Path, "/")
		setDefault(&h.Scheme, corev1.URISchemeHTTP)
	}
}

// latest says whether image runs its latest tag: no tag, or :latest,
// and no digest. The server pulls such an image always.
func latest(image string) bool {
	if strings.Contains(image, "@") {
		return false
	}
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	return !ok || tag == "latest"
}

var (
	quarter = intstr.FromString("25%")
	one     = intstr.FromInt32(1)
	zero    = intstr.FromInt32(0)
)

func defaultDeployment(d *appsv1.Deployment) {
	s := &d.Spec
	setDefaultPtr(&s.Replicas, 1)
	setDefault(&s.Strategy.Type, appsv1.RollingUpdateDeploymentStrategyType)
	if s.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		setDefaultPtr(&s.Strategy.RollingUpdate.MaxUnavailable, quarter)
		setDefaultPtr(&s.Strategy.RollingUpdate.MaxSurge, quarter)
	}
	setDefaultPtr(&s.RevisionHistoryLimit, 10)
	setDefaultPtr(&s.ProgressDeadlineSeconds, 600)
	defaultPodSpec(&s.Template.Spec)
}

func defaultStatefulSet(d *appsv1.StatefulSet) {
	s := &d.Spec
	setDefaultPtr(&s.Replicas, 1)
	setDefault(&s.PodManagementPolicy, appsv1.OrderedReadyPodManagement)
	setDefault(&s.UpdateStrategy.Type, appsv1.RollingUpdateStatefulSetStrategyType)
	if s.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
		setDefaultPtr(&s.UpdateStrategy.RollingUpdate.Partition, 0)
	}
	if s.PersistentVolumeClaimRetentionPolicy == nil {
		s.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	setDefault(&s.PersistentVolumeClaimRetentionPolicy.WhenDeleted, appsv1.RetainPersistentVolumeClaimRetentionPolicyType)
	setDefault(&s.PersistentVolumeClaimRetentionPolicy.WhenScaled, appsv1.RetainPersistentVolumeClaimRetentionPolicyType)
	setDefaultPtr(&s.RevisionHistoryLimit, 10)
	for i := range s.VolumeClaimTemplates {
		defaultClaim(&s.VolumeClaimTemplates[i].Spec)
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultDaemonSet(d *appsv1.DaemonSet) {
	s := &d.Spec
	setDefault(&s.UpdateStrategy.Type, appsv1.RollingUpdateDaemonSetStrategyType)
	if s.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		setDefaultPtr(&s.UpdateStrategy.RollingUpdate.MaxUnavailable, one)
		setDefaultPtr(&s.UpdateStrategy.RollingUpdate.MaxSurge, zero)
	}
	setDefaultPtr(&s.RevisionHistoryLimit, 10)
	defaultPodSpec(&s.Template.Spec)
}

func defaultJob(s *batchv1.JobSpec) {
	if s.Completions == nil && s.Parallelism == nil {
		s.Completions, s.Parallelism = ptr[int32](1), ptr[int32](1)
	}
	setDefaultPtr(&s.Parallelism, 1)
	setDefaultPtr(&s.BackoffLimit, 6)
	setDefaultPtr(&s.CompletionMode, batchv1.NonIndexedCompletion)
	setDefaultPtr(&s.Suspend, false)
	if s.PodFailurePolicy == nil {
		setDefaultPtr(&s.PodReplacementPolicy, batchv1.TerminatingOrFailed)
	}
	defaultPodSpec(&s.Template.Spec)
}

func defaultCronJob(c *batchv1.CronJob) {
	s := &c.Spec
	setDefault(&s.ConcurrencyPolicy, batchv1.AllowConcurrent)
	setDefaultPtr(&s.Suspend, false)
	setDefaultPtr(&s.SuccessfulJobsHistoryLimit, 3)
	setDefaultPtr(&s.FailedJobsHistoryLimit, 1)
	defaultJob(&s.JobTemplate.Spec)
}

func defaultService(svc *corev1.Service) {
	s := &svc.Spec
	setDefault(&s.Type, corev1.ServiceTypeClusterIP)
	setDefault(&s.SessionAffinity, corev1.ServiceAffinityNone)
	if s.Type != corev1.ServiceTypeExternalName {
		setDefaultPtr(&s.InternalTrafficPolicy, corev1.ServiceInternalTrafficPolicyCluster)
	}
	if s.Type == corev1.ServiceTypeNodePort || s.Type == corev1.ServiceTypeLoadBalancer {
		setDefault(&s.ExternalTrafficPolicy, corev1.ServiceExternalTrafficPolicyCluster)
	}
	if s.Type == corev1.ServiceTypeLoadBalancer {
		setDefaultPtr(&s.AllocateLoadBalancerNodePorts, true)
	}
	for i := range s.Ports {
		p := &s.Ports[i]
		setDefault(&p.Protocol, corev1.ProtocolTCP)
		if p.TargetPort == (intstr.IntOrString{}) {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
}

func defaultClaim(s *corev1.PersistentVolumeClaimSpec) {
	setDefaultPtr(&s.VolumeMode, corev1.PersistentVolumeFilesystem)
}
