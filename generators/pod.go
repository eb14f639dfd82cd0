package generators

import (
	"cmp"
	"maps"
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kdecl/kdecl/schema"
)

// PodTemplate is the pod of an app's workload: labels for its selector, the
// config hash that rolls it, its container and volumes.
func PodTemplate(s *schema.Stack, a *schema.App) corev1.PodTemplateSpec {
	annotations := union(a.PodAnnotations)
	if h := configHash(a); h != "" {
		annotations = union(annotations, map[string]string{AnnotationConfigHash: h})
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      Labels(s, a),
			Annotations: annotations,
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{container(a)},
			Volumes:    volumes(a),
		},
	}
}

// container is the app's main container, named after the app.
func container(a *schema.App) corev1.Container {
	return corev1.Container{
		Name:            a.Name,
		Image:           a.Image,
		ImagePullPolicy: corev1.PullPolicy(a.ImagePullPolicy),
		Command:         a.Command,
		Args:            a.Args,
		Ports:           containerPorts(a),
		Env:             env(a),
		Resources:       resources(a.Resources),
		VolumeMounts:    volumeMounts(a),
		LivenessProbe:   probe(a.Probes.Liveness),
		ReadinessProbe:  probe(a.Probes.Readiness),
		StartupProbe:    probe(a.Probes.Startup),
	}
}

// containerPorts are the app's ports by number, then name.
func containerPorts(a *schema.App) []corev1.ContainerPort {
	var ports []corev1.ContainerPort
	for name, p := range a.Ports {
		ports = append(ports, corev1.ContainerPort{
			Name:          name,
			ContainerPort: p.Port,
			Protocol:      corev1.Protocol(p.Protocol),
		})
	}
	slices.SortFunc(ports, func(x, y corev1.ContainerPort) int {
		return cmp.Or(cmp.Compare(x.ContainerPort, y.ContainerPort), cmp.Compare(x.Name, y.Name))
	})
	return ports
}

// env is the container's environment, sorted by name: literals, config keys
// by reference to the ConfigMap, and the full paths of mounted config files.
func env(a *schema.App) []corev1.EnvVar {
	var vars []corev1.EnvVar
	for name, value := range a.Env {
		vars = append(vars, corev1.EnvVar{Name: name, Value: value})
	}
	if c := a.Config; c != nil {
		for key := range c.Env {
			vars = append(vars, corev1.EnvVar{
				Name: key,
				ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: ConfigMapName(a)},
					Key:                  key,
				}},
			})
		}
		for name, file := range c.FileEnv {
			vars = append(vars, corev1.EnvVar{Name: name, Value: path.Join(c.MountPath, file)})
		}
	}
	slices.SortFunc(vars, func(x, y corev1.EnvVar) int { return cmp.Compare(x.Name, y.Name) })
	return vars
}

func resources(r schema.Resources) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: resourceList(r.Requests),
		Limits:   resourceList(r.Limits),
	}
}

// resourceList parses quantities that schema.Load has already checked.
func resourceList(m map[string]string) corev1.ResourceList {
	if len(m) == 0 {
		return nil
	}
	l := make(corev1.ResourceList, len(m))
	for name, q := range m {
		l[corev1.ResourceName(name)] = resource.MustParse(q)
	}
	return l
}

// volumes are the pod's volumes: the config files, when there are any.
func volumes(a *schema.App) []corev1.Volume {
	c := a.Config
	if c == nil || len(c.Files) == 0 {
		return nil
	}
	var items []corev1.KeyToPath
	for _, key := range slices.Sorted(maps.Keys(c.Files)) {
		items = append(items, corev1.KeyToPath{Key: key, Path: key})
	}
	return []corev1.Volume{{
		Name: configVolume,
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: ConfigMapName(a)},
			Items:                items,
		}},
	}}
}

func volumeMounts(a *schema.App) []corev1.VolumeMount {
	c := a.Config
	if c == nil || len(c.Files) == 0 {
		return nil
	}
	return []corev1.VolumeMount{{Name: configVolume, MountPath: c.MountPath, ReadOnly: true}}
}

func probe(p *schema.Probe) *corev1.Probe {
	if p == nil {
		return nil
	}
	out := &corev1.Probe{
		InitialDelaySeconds: p.InitialDelaySeconds,
		PeriodSeconds:       p.PeriodSeconds,
		TimeoutSeconds:      p.TimeoutSeconds,
		SuccessThreshold:    p.SuccessThreshold,
		FailureThreshold:    p.FailureThreshold,
	}
	if p.TerminationGracePeriodSeconds > 0 {
		out.TerminationGracePeriodSeconds = &p.TerminationGracePeriodSeconds
	}
	switch {
	case p.HTTP != nil:
		get := &corev1.HTTPGetAction{
			Path:   p.HTTP.Path,
			Port:   portRef(p.HTTP.Port),
			Scheme: corev1.URIScheme(p.HTTP.Scheme),
		}
		for _, name := range slices.Sorted(maps.Keys(p.HTTP.Headers)) {
			get.HTTPHeaders = append(get.HTTPHeaders, corev1.HTTPHeader{Name: name, Value: p.HTTP.Headers[name]})
		}
		out.HTTPGet = get
	case p.TCP != nil:
		out.TCPSocket = &corev1.TCPSocketAction{Port: portRef(p.TCP.Port)}
	case p.Exec != nil:
		out.Exec = &corev1.ExecAction{Command: p.Exec.Command}
	}
	return out
}

func portRef(r schema.PortRef) intstr.IntOrString {
	if r.Name != "" {
		return intstr.FromString(r.Name)
	}
	return intstr.FromInt32(r.Number)
}
