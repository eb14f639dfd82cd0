package importer

import (
	"maps"
	"math"
	"reflect"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kdecl/kdecl/internal/manifest"
)

// The API server's defaults for the fields of the kinds kdecl generates,
// as pkg/apis/{core,apps,batch}/v1/defaults.go in k8s.io/kubernetes set
// them. Compare applies them to both sides, so that a field written out
// at its default and a field left unset mean the same; import clears
// them, so that the stack says only what differs from them. The e2e test
// that imports what the server stored holds the table to the server's.

// defaulter sets the defaults, or clears the fields that hold them.
type defaulter struct{ clear bool }

var (
	fill    = defaulter{}
	cleared = defaulter{clear: true}
)

func ptr[T any](v T) *T { return &v }

// setDefaultStruct sets the defaults of the struct *p, which it makes if
// need be; clearing, it drops the struct if nothing is left in it.
func setDefaultStruct[T comparable](d defaulter, p **T, set func(*T)) {
	if *p == nil {
		if d.clear {
			return
		}
		*p = new(T)
	}
	set(*p)
	var zero T
	if d.clear && **p == zero {
		*p = nil
	}
}

func setDefault[T comparable](d defaulter, p *T, v T) {
	var zero T
	switch {
	case d.clear && *p == v:
		*p = zero
	case !d.clear && *p == zero:
		*p = v
	}
}

func setDefaultPtr[T comparable](d defaulter, p **T, v T) {
	switch {
	case d.clear && *p != nil && **p == v:
		*p = nil
	case !d.clear && *p == nil:
		*p = &v
	}
}

func defaultPodSpec(d defaulter, s *corev1.PodSpec) {
	// serviceAccount is the old name of serviceAccountName, kept alike.
	if d.clear {
		if s.DeprecatedServiceAccount == s.ServiceAccountName {
			s.DeprecatedServiceAccount = ""
		}
	} else {
		setDefault(d, &s.ServiceAccountName, s.DeprecatedServiceAccount)
	}
	// Not the server's default for a template, but what its pods run as.
	setDefault(d, &s.ServiceAccountName, "default")
	if !d.clear {
		s.DeprecatedServiceAccount = s.ServiceAccountName
	}
	setDefault(d, &s.DNSPolicy, corev1.DNSClusterFirst)
	setDefault(d, &s.RestartPolicy, corev1.RestartPolicyAlways)
	setDefault(d, &s.SchedulerName, corev1.DefaultSchedulerName)
	setDefaultPtr(d, &s.TerminationGracePeriodSeconds, corev1.DefaultTerminationGracePeriodSeconds)
	switch {
	case d.clear && s.SecurityContext != nil && reflect.DeepEqual(*s.SecurityContext, corev1.PodSecurityContext{}):
		s.SecurityContext = nil
	case !d.clear && s.SecurityContext == nil:
		s.SecurityContext = &corev1.PodSecurityContext{}
	}
	for i := range s.Volumes {
		defaultVolume(d, &s.Volumes[i].VolumeSource)
	}
	for i := range s.InitContainers {
		defaultContainer(d, &s.InitContainers[i], s.HostNetwork)
	}
	for i := range s.Containers {
		defaultContainer(d, &s.Containers[i], s.HostNetwork)
	}
}

func defaultVolume(d defaulter, v *corev1.VolumeSource) {
	mode := corev1.ConfigMapVolumeSourceDefaultMode
	switch {
	case v.ConfigMap != nil:
		setDefaultPtr(d, &v.ConfigMap.DefaultMode, mode)
	case v.Secret != nil:
		setDefaultPtr(d, &v.Secret.DefaultMode, mode)
	case v.DownwardAPI != nil:
		setDefaultPtr(d, &v.DownwardAPI.DefaultMode, mode)
		for i := range v.DownwardAPI.Items {
			if f := v.DownwardAPI.Items[i].FieldRef; f != nil {
				setDefault(d, &f.APIVersion, "v1")
			}
		}
	case v.Projected != nil:
		setDefaultPtr(d, &v.Projected.DefaultMode, mode)
	case v.HostPath != nil:
		setDefaultPtr(d, &v.HostPath.Type, corev1.HostPathUnset)
	}
}

func defaultContainer(d defaulter, c *corev1.Container, hostNetwork bool) {
	setDefault(d, &c.TerminationMessagePath, corev1.TerminationMessagePathDefault)
	setDefault(d, &c.TerminationMessagePolicy, corev1.TerminationMessageReadFile)
	pull := corev1.PullIfNotPresent
	if latest(c.Image) {
		pull = corev1.PullAlways
	}
	setDefault(d, &c.ImagePullPolicy, pull)
	for i := range c.Ports {
		p := &c.Ports[i]
		setDefault(d, &p.Protocol, corev1.ProtocolTCP)
		if hostNetwork {
			setDefault(d, &p.HostPort, p.ContainerPort)
		}
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if p == nil {
			continue
		}
		setDefault(d, &p.TimeoutSeconds, 1)
		setDefault(d, &p.PeriodSeconds, 10)
		setDefault(d, &p.SuccessThreshold, 1)
		setDefault(d, &p.FailureThreshold, 3)
		defaultHTTP(d, p.HTTPGet)
		if g := p.GRPC; g != nil {
			setDefaultPtr(d, &g.Service, "")
		}
	}
	if l := c.Lifecycle; l != nil {
		for _, h := range []*corev1.LifecycleHandler{l.PostStart, l.PreStop} {
			if h != nil {
				defaultHTTP(d, h.HTTPGet)
			}
		}
	}
	for i := range c.Env {
		if f := c.Env[i].ValueFrom; f != nil && f.FieldRef != nil {
			setDefault(d, &f.FieldRef.APIVersion, "v1")
		}
	}
}

func defaultHTTP(d defaulter, h *corev1.HTTPGetAction) {
	if h != nil {
		setDefault(d, &h.Path, "/")
		setDefault(d, &h.Scheme, corev1.URISchemeHTTP)
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

func defaultDeployment(d defaulter, w *appsv1.Deployment) {
	s := &w.Spec
	setDefaultPtr(d, &s.Replicas, 1)
	if t := s.Strategy.Type; t == "" || t == appsv1.RollingUpdateDeploymentStrategyType {
		r := &s.Strategy.RollingUpdate
		setDefaultStruct(d, r, func(r *appsv1.RollingUpdateDeployment) {
			setDefaultPtr(d, &r.MaxUnavailable, quarter)
			setDefaultPtr(d, &r.MaxSurge, quarter)
		})
	}
	setDefault(d, &s.Strategy.Type, appsv1.RollingUpdateDeploymentStrategyType)
	setDefaultPtr(d, &s.RevisionHistoryLimit, 10)
	setDefaultPtr(d, &s.ProgressDeadlineSeconds, 600)
	defaultPodSpec(d, &s.Template.Spec)
}

func defaultStatefulSet(d defaulter, w *appsv1.StatefulSet) {
	s := &w.Spec
	setDefaultPtr(d, &s.Replicas, 1)
	setDefault(d, &s.PodManagementPolicy, appsv1.OrderedReadyPodManagement)
	if t := s.UpdateStrategy.Type; t == "" || t == appsv1.RollingUpdateStatefulSetStrategyType {
		setDefaultStruct(d, &s.UpdateStrategy.RollingUpdate, func(r *appsv1.RollingUpdateStatefulSetStrategy) {
			setDefaultPtr(d, &r.Partition, 0)
			setDefaultPtr(d, &r.MaxUnavailable, one) // MaxUnavailableStatefulSet, on since 1.35
		})
	}
	setDefault(d, &s.UpdateStrategy.Type, appsv1.RollingUpdateStatefulSetStrategyType)
	setDefaultStruct(d, &s.PersistentVolumeClaimRetentionPolicy, func(r *appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy) {
		setDefault(d, &r.WhenDeleted, appsv1.RetainPersistentVolumeClaimRetentionPolicyType)
		setDefault(d, &r.WhenScaled, appsv1.RetainPersistentVolumeClaimRetentionPolicyType)
	})
	setDefaultPtr(d, &s.RevisionHistoryLimit, 10)
	for i := range s.VolumeClaimTemplates {
		defaultClaim(d, &s.VolumeClaimTemplates[i].Spec)
	}
	defaultPodSpec(d, &s.Template.Spec)
}

func defaultDaemonSet(d defaulter, w *appsv1.DaemonSet) {
	s := &w.Spec
	if t := s.UpdateStrategy.Type; t == "" || t == appsv1.RollingUpdateDaemonSetStrategyType {
		setDefaultStruct(d, &s.UpdateStrategy.RollingUpdate, func(r *appsv1.RollingUpdateDaemonSet) {
			setDefaultPtr(d, &r.MaxUnavailable, one)
			setDefaultPtr(d, &r.MaxSurge, zero)
		})
	}
	setDefault(d, &s.UpdateStrategy.Type, appsv1.RollingUpdateDaemonSetStrategyType)
	setDefaultPtr(d, &s.RevisionHistoryLimit, 10)
	defaultPodSpec(d, &s.Template.Spec)
}

func defaultJob(d defaulter, s *batchv1.JobSpec) {
	switch {
	case d.clear && s.Completions != nil && *s.Completions == 1 && s.Parallelism != nil && *s.Parallelism == 1:
		s.Completions, s.Parallelism = nil, nil
	case !d.clear && s.Completions == nil && s.Parallelism == nil:
		s.Completions, s.Parallelism = ptr[int32](1), ptr[int32](1)
	}
	setDefaultPtr(d, &s.Parallelism, 1)
	if s.BackoffLimitPerIndex != nil {
		setDefaultPtr(d, &s.BackoffLimit, math.MaxInt32)
	} else {
		setDefaultPtr(d, &s.BackoffLimit, 6)
	}
	setDefaultPtr(d, &s.CompletionMode, batchv1.NonIndexedCompletion)
	setDefaultPtr(d, &s.Suspend, false)
	if s.PodFailurePolicy != nil {
		setDefaultPtr(d, &s.PodReplacementPolicy, batchv1.Failed)
	} else {
		setDefaultPtr(d, &s.PodReplacementPolicy, batchv1.TerminatingOrFailed)
	}
	setDefaultPtr(d, &s.ManualSelector, false)
	defaultPodSpec(d, &s.Template.Spec)
}

func defaultCronJob(d defaulter, c *batchv1.CronJob) {
	s := &c.Spec
	setDefault(d, &s.ConcurrencyPolicy, batchv1.AllowConcurrent)
	setDefaultPtr(d, &s.Suspend, false)
	setDefaultPtr(d, &s.SuccessfulJobsHistoryLimit, 3)
	setDefaultPtr(d, &s.FailedJobsHistoryLimit, 1)
	defaultJob(d, &s.JobTemplate.Spec)
}

func defaultService(d defaulter, svc *corev1.Service) {
	s := &svc.Spec
	setDefault(d, &s.Type, corev1.ServiceTypeClusterIP)
	setDefault(d, &s.SessionAffinity, corev1.ServiceAffinityNone)
	if s.SessionAffinity == corev1.ServiceAffinityClientIP {
		setDefaultStruct(d, &s.SessionAffinityConfig, func(c *corev1.SessionAffinityConfig) {
			setDefaultStruct(d, &c.ClientIP, func(c *corev1.ClientIPConfig) {
				setDefaultPtr(d, &c.TimeoutSeconds, corev1.DefaultClientIPServiceAffinitySeconds)
			})
		})
	}
	if s.Type != corev1.ServiceTypeExternalName {
		setDefaultPtr(d, &s.InternalTrafficPolicy, corev1.ServiceInternalTrafficPolicyCluster)
	}
	if s.Type == corev1.ServiceTypeNodePort || s.Type == corev1.ServiceTypeLoadBalancer || s.Type == corev1.ServiceTypeClusterIP && len(s.ExternalIPs) > 0 {
		setDefault(d, &s.ExternalTrafficPolicy, corev1.ServiceExternalTrafficPolicyCluster)
	}
	if s.Type == corev1.ServiceTypeLoadBalancer {
		setDefaultPtr(d, &s.AllocateLoadBalancerNodePorts, true)
	}
	for i := range s.Ports {
		p := &s.Ports[i]
		setDefault(d, &p.Protocol, corev1.ProtocolTCP)
		// Kept when clearing: an empty targetPort marshals as 0.
		if !d.clear && p.TargetPort == (intstr.IntOrString{}) {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
}

func defaultClaim(d defaulter, s *corev1.PersistentVolumeClaimSpec) {
	setDefaultPtr(d, &s.VolumeMode, corev1.PersistentVolumeFilesystem)
}

// undefault clears from d the fields that hold the API server's
// defaults, so that the stack says only what the author chose. A
// document that does not decode into its type is left as it is.
func undefault(d manifest.Doc) {
	var v any
	switch d.Kind() {
	case "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob":
		if w, err := decodeWorkload(d); err == nil {
			w.defaults(cleared)
			v = w.obj
		}
	case "Service":
		v = clearOf(d, defaultService)
	case "PersistentVolumeClaim":
		v = clearOf(d, func(d defaulter, c *corev1.PersistentVolumeClaim) { defaultClaim(d, &c.Spec) })
	}
	if v == nil {
		return
	}
	obj, err := jsonMap(v)
	if err != nil {
		return
	}
	manifest.Clean(obj)
	clear(d.Object)
	maps.Copy(d.Object, obj)
}

// clearOf is d decoded and cleared by set, nil if it does not decode.
func clearOf[T any](d manifest.Doc, set func(defaulter, *T)) any {
	t, err := typed[T](d)
	if err != nil {
		return nil
	}
	set(cleared, t)
	return t
}
