package generators

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kdecl/kdecl/schema"
)

// WaitImage runs the init containers that wait for an app's dependencies.
const WaitImage = "busybox:1.36"

// KubectlImage runs the init containers that wait for the jobs that run
// before an app: the kubectl image the Kubernetes project publishes
// (build/server-image/kubectl of kubernetes/kubernetes, kubectl on a
// distroless base, no shell), of the release kdecl renders for.
const KubectlImage = "registry.k8s.io/kubectl:v1.37.2"

// JobWaitTimeout is how long a container that waits for a job waits
// before it fails. A Job that fails never completes, and kubectl wait
// cannot tell: the container then exits 1 with kubectl's "timed out
// waiting for the condition on jobs/<name>", the pod shows Init:Error,
// and the kubelet starts the container again. As each attempt runs the
// whole timeout, the kubelet's back-off between them stays at its first
// steps, and a Job that completes late is seen within seconds.
const JobWaitTimeout = "10m"

// PodTemplate is the pod of an app's workload: labels for its selector, the
// config hash that rolls it, its containers and volumes.
func PodTemplate(s *schema.Stack, a *schema.App) corev1.PodTemplateSpec {
	annotations := union(a.PodAnnotations)
	if h := configHash(a); h != "" {
		annotations = union(annotations, map[string]string{AnnotationConfigHash: h})
	}
	spec := corev1.PodSpec{
		InitContainers:                initContainers(s, a),
		Containers:                    containers(a),
		Volumes:                       volumes(a),
		RestartPolicy:                 corev1.RestartPolicy(a.RestartPolicy),
		TerminationGracePeriodSeconds: a.TerminationGracePeriodSeconds,
		ServiceAccountName:            a.ServiceAccountName(),
	}
	if sa := a.ServiceAccount; sa != nil {
		spec.AutomountServiceAccountToken = sa.AutomountToken
	}
	if len(a.After) > 0 {
		// The wait reads the Job with a token of its own, whatever the
		// ServiceAccount says of the app's containers.
		spec.Volumes = append(spec.Volumes, JobWaitTokenVolume())
	}
	secure(a, &spec)
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: podLabels(s, a), Annotations: annotations},
		Spec:       spec,
	}
}

// podLabels are the labels of the app's pods: its workload's, and the
// name of the headless Service they share with other apps' pods, which
// selects them by it.
func podLabels(s *schema.Stack, a *schema.App) map[string]string {
	l := WorkloadLabels(s, a)
	if a.SharesHeadless {
		l[schema.HeadlessLabel] = a.HeadlessService()
	}
	return l
}

// containers are the app's container, named after the app, then its
// sidecars by name.
func containers(a *schema.App) []corev1.Container {
	main := corev1.Container{
		Name:            a.Name,
		Image:           a.Image,
		ImagePullPolicy: corev1.PullPolicy(a.ImagePullPolicy),
		Command:         a.Command,
		Args:            a.Args,
		Ports:           containerPorts(a.Ports),
		EnvFrom:         envFrom(a),
		Env:             env(a),
		Resources:       resources(a.Resources),
		VolumeMounts:    volumeMounts(a),
		LivenessProbe:   probe(a, a.Probes.Liveness),
		ReadinessProbe:  probe(a, a.Probes.Readiness),
		StartupProbe:    probe(a, a.Probes.Startup),
		Lifecycle:       lifecycle(a.Lifecycle),
	}
	ctrs := []corev1.Container{main}
	for _, name := range slices.Sorted(maps.Keys(a.Sidecars)) {
		ctrs = append(ctrs, container(a, a.Sidecars[name]))
	}
	return ctrs
}

// ServiceAccountPath is where a container finds its ServiceAccount's
// token, the cluster's CA and its namespace, as kubectl in a pod reads
// them.
const ServiceAccountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// JobWaitTokenVolume is the ServiceAccount's token that the containers
// that wait for jobs mount, and only they: what the API server's
// ServiceAccount admission mounts into every container when the pod
// automounts its token (a bound token, the cluster's CA from the
// kube-root-ca.crt ConfigMap, the namespace). The app's own containers
// get a token only as its serviceAccount says.
func JobWaitTokenVolume() corev1.Volume {
	return corev1.Volume{Name: schema.JobWaitTokenVolume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr(int64(3607))}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}}}
}

// initContainers wait for the Jobs that run before the app, by name,
// then for each dependency's Service in the order of uses, then run the
// app's own init containers in their order.
func initContainers(s *schema.Stack, a *schema.App) []corev1.Container {
	var ctrs []corev1.Container
	for _, job := range a.After {
		ctrs = append(ctrs, corev1.Container{
			Name:            schema.WaitContainerName(job),
			Image:           KubectlImage,
			ImagePullPolicy: corev1.PullIfNotPresent,
			Command:         []string{"kubectl"},
			Args:            JobWaitArgs(s, RenderedJobName(s, job)),
			VolumeMounts:    []corev1.VolumeMount{{Name: schema.JobWaitTokenVolume, MountPath: ServiceAccountPath, ReadOnly: true}},
		})
	}
	for _, d := range a.Dependencies {
		if !d.Wait {
			continue
		}
		ctrs = append(ctrs, corev1.Container{
			Name:            schema.WaitContainerName(d.App),
			Image:           WaitImage,
			ImagePullPolicy: corev1.PullIfNotPresent,
			Command: []string{"sh", "-c", fmt.Sprintf(
				"until nslookup %s; do echo waiting for %s; sleep 2; done", d.Host, d.Host)},
		})
	}
	for _, c := range a.InitContainers {
		ctrs = append(ctrs, container(a, c))
	}
	return ctrs
}

// container is a sidecar or init container of the app.
func container(a *schema.App, c schema.Container) corev1.Container {
	ctr := corev1.Container{
		Name:            c.Name,
		Image:           c.Image,
		ImagePullPolicy: corev1.PullPolicy(c.ImagePullPolicy),
		Command:         c.Command,
		Args:            c.Args,
		Ports:           containerPorts(c.PortMap()),
		Resources:       resources(c.Resources),
	}
	for _, name := range slices.Sorted(maps.Keys(c.Env)) {
		ctr.Env = append(ctr.Env, corev1.EnvVar{Name: name, Value: c.Env[name]})
	}
	ctr.Env = orderEnv(ctr.Env)
	for _, name := range slices.Sorted(maps.Keys(c.Mounts)) {
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{
			Name: name, MountPath: c.Mounts[name], ReadOnly: a.Storage[name].ReadOnly,
		})
	}
	if c.ConfigMount != "" {
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: schema.ConfigVolume, MountPath: c.ConfigMount, ReadOnly: true})
		slices.SortFunc(ctr.VolumeMounts, func(x, y corev1.VolumeMount) int { return cmp.Compare(x.MountPath, y.MountPath) })
	}
	return ctr
}

// containerPorts are ports by number, then name.
func containerPorts(m map[string]schema.Port) []corev1.ContainerPort {
	var ports []corev1.ContainerPort
	for name, p := range m {
		ports = append(ports, corev1.ContainerPort{
			Name:          name,
			ContainerPort: p.Port,
			HostPort:      p.HostPort,
			Protocol:      corev1.Protocol(p.Protocol),
		})
	}
	slices.SortFunc(ports, func(x, y corev1.ContainerPort) int {
		return cmp.Or(cmp.Compare(x.ContainerPort, y.ContainerPort), cmp.Compare(x.Protocol, y.Protocol), cmp.Compare(x.Name, y.Name))
	})
	return ports
}

// env is the container's environment, sorted by name but where a variable
// refers to another (orderEnv): literals, config keys
// and Secret keys by reference, the full paths of mounted config files,
// downward API fields, and the addresses of dependencies.
func env(a *schema.App) []corev1.EnvVar {
	var vars []corev1.EnvVar
	for name, value := range a.Env {
		vars = append(vars, corev1.EnvVar{Name: name, Value: value})
	}
	if c := a.Config; c != nil {
		for key := range c.Env {
			vars = append(vars, corev1.EnvVar{Name: key, ValueFrom: &corev1.EnvVarSource{
				ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: ConfigMapName(a)},
					Key:                  key,
				}}})
		}
		for name, file := range c.FileEnv {
			vars = append(vars, corev1.EnvVar{Name: name, Value: c.FilePath(file)})
		}
	}
	for _, c := range a.Shared {
		for key := range c.Env {
			vars = append(vars, corev1.EnvVar{Name: key, ValueFrom: &corev1.EnvVarSource{
				ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: c.Name},
					Key:                  key,
				}}})
		}
		for name, file := range c.FileEnv {
			vars = append(vars, corev1.EnvVar{Name: name, Value: c.FilePath(file)})
		}
	}
	for name, ref := range a.Secrets.Env {
		vars = append(vars, corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: ref.Secret},
				Key:                  ref.Key,
			}}})
	}
	for name, field := range a.FieldEnv {
		vars = append(vars, corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{FieldPath: field}}})
	}
	for name, r := range a.ResourceEnv {
		vars = append(vars, corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
			ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: r.Resource, Divisor: resource.MustParse(r.Divisor)}}})
	}
	for _, d := range a.Dependencies {
		for name, value := range schema.DependencyEnv(d) {
			vars = append(vars, corev1.EnvVar{Name: name, Value: value})
		}
	}
	slices.SortFunc(vars, func(x, y corev1.EnvVar) int { return cmp.Compare(x.Name, y.Name) })
	return orderEnv(vars)
}

// orderEnv puts each variable after those its value refers to as $(NAME),
// which Kubernetes expands only if they come earlier; the order is kept
// where no reference needs a change (schema.EnvOrder).
func orderEnv(vars []corev1.EnvVar) []corev1.EnvVar {
	if !slices.ContainsFunc(vars, func(v corev1.EnvVar) bool { return strings.Contains(v.Value, "$(") }) {
		return vars
	}
	index := make(map[string]int, len(vars))
	for i, v := range vars {
		index[v.Name] = i
	}
	order := schema.EnvOrder(len(vars), func(i int) []int {
		var refs []int
		for _, name := range schema.EnvRefs(vars[i].Value) {
			if j, ok := index[name]; ok {
				refs = append(refs, j)
			}
		}
		return refs
	})
	ordered := make([]corev1.EnvVar, len(vars))
	for k, i := range order {
		ordered[k] = vars[i]
	}
	return ordered
}

// envFrom passes every key of the Secrets of secrets.envFrom, in order.
func envFrom(a *schema.App) []corev1.EnvFromSource {
	var from []corev1.EnvFromSource
	for _, name := range a.Secrets.EnvFrom {
		from = append(from, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: name},
		}})
	}
	return from
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

// volumes are the pod's volumes by name: config files, storage that is not
// claimed per pod, Secret files, pod info.
func volumes(a *schema.App) []corev1.Volume {
	var vols []corev1.Volume
	if c := a.Config; c != nil && len(c.Files) > 0 {
		vols = append(vols, configVolume(schema.ConfigVolume, ConfigMapName(a), c))
	}
	for _, c := range a.Shared {
		if len(c.Files) > 0 {
			vols = append(vols, configVolume(c.Volume(), c.Name, c.Config))
		}
	}
	for name, v := range a.Storage {
		var src corev1.VolumeSource
		switch v.Type {
		case schema.VolumeEmptyDir:
			src.EmptyDir = &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMedium(v.Medium)}
			if v.SizeLimit != "" {
				src.EmptyDir.SizeLimit = ptr(resource.MustParse(v.SizeLimit))
			}
		case schema.VolumePersistent:
			if a.Kind == schema.KindStatefulSet {
				continue // a statefulset claims per pod
			}
			src.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: PVCName(a, name), ReadOnly: v.ReadOnly}
		case schema.VolumeClaim:
			src.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v.Claim, ReadOnly: v.ReadOnly}
		case schema.VolumeHostPath:
			src.HostPath = &corev1.HostPathVolumeSource{Path: v.HostPath.Path}
			if v.HostPath.Type != "" {
				src.HostPath.Type = ptr(corev1.HostPathType(v.HostPath.Type))
			}
		case schema.VolumeConfigMap:
			src.ConfigMap = &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: v.ConfigMap},
				Items:                keyToPaths(v.Items, nil),
				DefaultMode:          v.DefaultMode,
			}
		}
		vols = append(vols, corev1.Volume{Name: name, VolumeSource: src})
	}
	for name, f := range a.Secrets.Files {
		src := &corev1.SecretVolumeSource{SecretName: f.Secret, DefaultMode: f.DefaultMode, Items: keyToPaths(f.Items, f.Modes)}
		vols = append(vols, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: src}})
	}
	if p := a.PodInfo; p != nil {
		var items []corev1.DownwardAPIVolumeFile
		if p.Annotations {
			items = append(items, corev1.DownwardAPIVolumeFile{Path: "annotations", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations"}})
		}
		if p.Labels {
			items = append(items, corev1.DownwardAPIVolumeFile{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}})
		}
		vols = append(vols, corev1.Volume{Name: schema.PodInfoVolume, VolumeSource: corev1.VolumeSource{
			DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: items}}})
	}
	slices.SortFunc(vols, func(x, y corev1.Volume) int { return cmp.Compare(x.Name, y.Name) })
	return vols
}

// configVolume is the volume name of the files of config c, whose
// ConfigMap is configMap: one item per file.
func configVolume(name, configMap string, c *schema.Config) corev1.Volume {
	var items []corev1.KeyToPath
	for _, key := range slices.Sorted(maps.Keys(c.Files)) {
		items = append(items, corev1.KeyToPath{Key: key, Path: key, Mode: mode(c.Modes, key)})
	}
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: configMap},
			Items:                items,
			DefaultMode:          c.DefaultMode,
		}}}
}

// keyToPaths are the items of a ConfigMap or Secret volume, by key.
func keyToPaths(items map[string]string, modes map[string]int32) []corev1.KeyToPath {
	var out []corev1.KeyToPath
	for _, key := range slices.Sorted(maps.Keys(items)) {
		out = append(out, corev1.KeyToPath{Key: key, Path: items[key], Mode: mode(modes, key)})
	}
	return out
}

func mode(modes map[string]int32, key string) *int32 {
	if m, ok := modes[key]; ok {
		return &m
	}
	return nil
}

// volumeMounts of the app's container, by mount path.
func volumeMounts(a *schema.App) []corev1.VolumeMount {
	var mounts []corev1.VolumeMount
	config := func(volume string, c *schema.Config) {
		if len(c.DirFiles()) > 0 {
			mounts = append(mounts, corev1.VolumeMount{Name: volume, MountPath: c.MountPath, ReadOnly: true})
		}
		for key, p := range c.FileMounts {
			mounts = append(mounts, corev1.VolumeMount{Name: volume, MountPath: p, SubPath: key, ReadOnly: true})
		}
	}
	if c := a.Config; c != nil {
		config(schema.ConfigVolume, c)
	}
	for _, c := range a.Shared {
		config(c.Volume(), c.Config)
	}
	for name, v := range a.Storage {
		m := corev1.VolumeMount{Name: name, MountPath: v.MountPath, SubPath: v.SubPath, ReadOnly: v.ReadOnly}
		if v.MountPropagation != "" {
			m.MountPropagation = ptr(corev1.MountPropagationMode(v.MountPropagation))
		}
		mounts = append(mounts, m)
	}
	for name, f := range a.Secrets.Files {
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: f.MountPath, SubPath: f.SubPath, ReadOnly: true})
	}
	if p := a.PodInfo; p != nil {
		mounts = append(mounts, corev1.VolumeMount{Name: schema.PodInfoVolume, MountPath: p.MountPath, ReadOnly: true})
	}
	slices.SortFunc(mounts, func(x, y corev1.VolumeMount) int { return cmp.Compare(x.MountPath, y.MountPath) })
	return mounts
}

// probe is a probe of the app's container.
func probe(a *schema.App, p *schema.Probe) *corev1.Probe {
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
		out.HTTPGet = httpGet(p.HTTP)
	case p.TCP != nil:
		out.TCPSocket = &corev1.TCPSocketAction{Port: portRef(p.TCP.Port)}
	case p.GRPC != nil:
		// The API names no gRPC port by name: the app's port gives its number.
		port := p.GRPC.Port.Number
		if p.GRPC.Port.Name != "" {
			port = a.Ports[p.GRPC.Port.Name].Port
		}
		out.GRPC = &corev1.GRPCAction{Port: port, Service: p.GRPC.Service}
	case p.Exec != nil:
		out.Exec = &corev1.ExecAction{Command: p.Exec.Command}
	}
	return out
}

func httpGet(h *schema.HTTPProbe) *corev1.HTTPGetAction {
	get := &corev1.HTTPGetAction{Path: h.Path, Port: portRef(h.Port), Scheme: corev1.URIScheme(h.Scheme)}
	for _, name := range slices.Sorted(maps.Keys(h.Headers)) {
		get.HTTPHeaders = append(get.HTTPHeaders, corev1.HTTPHeader{Name: name, Value: h.Headers[name]})
	}
	return get
}

func lifecycle(l schema.Lifecycle) *corev1.Lifecycle {
	if l.PostStart == nil && l.PreStop == nil {
		return nil
	}
	return &corev1.Lifecycle{PostStart: handler(l.PostStart), PreStop: handler(l.PreStop)}
}

func handler(h *schema.Handler) *corev1.LifecycleHandler {
	switch {
	case h == nil:
		return nil
	case h.Exec != nil:
		return &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: h.Exec.Command}}
	case h.HTTP != nil:
		return &corev1.LifecycleHandler{HTTPGet: httpGet(h.HTTP)}
	default:
		return &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: h.Sleep.Seconds}}
	}
}

func portRef(r schema.PortRef) intstr.IntOrString {
	if r.Name != "" {
		return intstr.FromString(r.Name)
	}
	return intstr.FromInt32(r.Number)
}

func ptr[T any](v T) *T { return &v }
