package schema

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Stack is a validated stack: every app of one CUE package, with the
// defaults of the schema applied.
type Stack struct {
	// Name is the stack's name: its name field, else its CUE package name.
	Name string `json:"name"`
	// Namespace of every object; empty means the namespace of the kubectl context.
	Namespace string `json:"namespace"`
	// ClusterDomain is the cluster's DNS domain, cluster.local by default.
	ClusterDomain string `json:"clusterDomain"`
	// Labels of every object of the stack, beside kdecl's.
	Labels map[string]string `json:"labels"`
	// Objects are whole objects kdecl does not generate, by name.
	Objects map[string]map[string]any `json:"objects"`
	// Configs are the stack's configs, by name, which apps share.
	Configs map[string]*Config `json:"configs"`
	// NetworkPolicies, when set, gives each app a NetworkPolicy.
	NetworkPolicies *NetworkPolicies `json:"networkPolicies"`
	// Security is the hardening profile of the apps that set none.
	Security *Security `json:"security"`
	// PodSecurity is the Pod Security level the namespace enforces.
	PodSecurity *PodSecurity `json:"podSecurity"`
	// Flux, when set, says how Flux's post-build substitution treats the
	// stack's objects.
	Flux *Flux `json:"flux"`
	// ArgoCD, when set, gives every object its Argo CD sync wave.
	ArgoCD *ArgoCD `json:"argocd"`
	// ApplySet, unless nil or off, names the ConfigMap that kubectl keeps
	// as the ApplySet parent of the stack's objects (applyset.go).
	ApplySet *ApplySet `json:"applySet"`
	// Apps sorted by name.
	Apps []App `json:"-"`
	// Warnings found while loading: valid input that is probably a mistake.
	Warnings []*Error `json:"-"`
	// Fields are where Load found the stack's fields that checks after
	// generation may name (podSecurity, security, objects), by path.
	Fields map[string]Position `json:"-"`
	// CustomKinds are the kinds the stack's CRDs define (crds.go).
	CustomKinds CustomKinds `json:"-"`
}

// App is one application of a stack.
type App struct {
	Name            string            `json:"-"`
	Kind            string            `json:"kind"`
	Component       string            `json:"component"`
	Image           string            `json:"image"`
	ImagePullPolicy string            `json:"imagePullPolicy"`
	Replicas        int32             `json:"replicas"`
	Autoscale       *Autoscale        `json:"autoscale"`
	ServiceAccount  *ServiceAccount   `json:"serviceAccount"`
	Command         []string          `json:"command"`
	Args            []string          `json:"args"`
	Env             map[string]string `json:"env"`
	Ports           map[string]Port   `json:"ports"`
	Config          *Config           `json:"config"`
	Configs         []string          `json:"configs"`
	Probes          Probes            `json:"probes"`
	Resources       Resources         `json:"resources"`
	Expose          Expose            `json:"expose"`
	Labels          map[string]string `json:"labels"`
	Annotations     map[string]string `json:"annotations"`
	PodAnnotations  map[string]string `json:"podAnnotations"`

	Storage        map[string]Volume      `json:"storage"`
	Secrets        Secrets                `json:"secrets"`
	FieldEnv       map[string]string      `json:"fieldEnv"`
	ResourceEnv    map[string]ResourceEnv `json:"resourceEnv"`
	PodInfo        *PodInfo               `json:"podInfo"`
	Lifecycle      Lifecycle              `json:"lifecycle"`
	Sidecars       map[string]Container   `json:"sidecars"`
	InitContainers []Container            `json:"initContainers"`
	Uses           Uses                   `json:"uses"`
	// Before are the apps a job runs before.
	Before Before `json:"before"`
	// After are the job apps that run before this app, by name, sorted:
	// set by Load from their Before.
	After []string `json:"-"`
	// Headless is the app's headless Service: a statefulset's (always
	// rendered), or another kind's when set.
	Headless *Headless `json:"headless"`
	// Disruption is the app's PodDisruptionBudget.
	Disruption *Disruption `json:"disruption"`
	// NetworkPolicy is whether the app gets a NetworkPolicy: the stack's
	// networkPolicies, set by Load.
	NetworkPolicy bool `json:"-"`
	// Overrides are fragments of what kdecl renders, by what they patch:
	// OverridePod, OverrideContainer, or an object's OverrideKey.
	Overrides map[string]map[string]any `json:"overrides"`
	// Objects are whole objects of the app's that kdecl does not
	// generate, by name.
	Objects map[string]map[string]any `json:"objects"`

	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds"`
	// RestartPolicy of a job or cronjob's pods; empty for other kinds.
	RestartPolicy string `json:"restartPolicy"`

	PodManagementPolicy     string          `json:"podManagementPolicy"`
	UpdateStrategy          *UpdateStrategy `json:"updateStrategy"`
	Strategy                *Strategy       `json:"strategy"`
	MinReadySeconds         int32           `json:"minReadySeconds"`
	RevisionHistoryLimit    *int32          `json:"revisionHistoryLimit"`
	ProgressDeadlineSeconds *int32          `json:"progressDeadlineSeconds"`

	Job JobSpec `json:"job"`

	Schedule                   string `json:"schedule"`
	TimeZone                   string `json:"timeZone"`
	ConcurrencyPolicy          string `json:"concurrencyPolicy"`
	StartingDeadlineSeconds    *int64 `json:"startingDeadlineSeconds"`
	Suspend                    *bool  `json:"suspend"`
	SuccessfulJobsHistoryLimit *int32 `json:"successfulJobsHistoryLimit"`
	FailedJobsHistoryLimit     *int32 `json:"failedJobsHistoryLimit"`

	// Security is the app's hardening profile, or the stack's, after
	// Load; nil for none.
	Security *Security `json:"security"`

	// Dependencies are the apps of Uses, resolved by Load, in Uses order.
	Dependencies []Dependency `json:"-"`
	// Shared are the stack's configs of Configs, resolved by Load, in
	// Configs order.
	Shared []SharedConfig `json:"-"`
	// Pos is where the app is defined.
	Pos Position `json:"-"`
	// Autoscaled is whether an autoscaler sets the workload's replicas:
	// autoscale, or a HorizontalPodAutoscaler among the stack's objects.
	Autoscaled bool `json:"-"`
	// SharesHeadless is whether other apps share the app's headless
	// Service, which is then the stack's (HeadlessGroups).
	SharesHeadless bool `json:"-"`
	// Fields are where Load found fields that checks after generation
	// may name (security, overrides, storage, ports, objects), by path.
	Fields map[string]Position `json:"-"`
}

// Autoscale has a HorizontalPodAutoscaler scale the app.
type Autoscale struct {
	MinReplicas *int32        `json:"minReplicas"`
	MaxReplicas int32         `json:"maxReplicas"`
	CPU         *int32        `json:"cpu"`
	Memory      *int32        `json:"memory"`
	ScaleUp     *ScalingRules `json:"scaleUp"`
	ScaleDown   *ScalingRules `json:"scaleDown"`
}

// ScalingRules shape how an autoscaler scales one way.
type ScalingRules struct {
	StabilizationWindowSeconds *int32          `json:"stabilizationWindowSeconds"`
	SelectPolicy               string          `json:"selectPolicy"`
	Policies                   []ScalingPolicy `json:"policies"`
}

// ScalingPolicy is one policy of ScalingRules.
type ScalingPolicy struct {
	Type          string `json:"type"`
	Value         int32  `json:"value"`
	PeriodSeconds int32  `json:"periodSeconds"`
}

// ServiceAccount is the account an app's pods run as.
type ServiceAccount struct {
	Name           string `json:"name"`
	Create         *bool  `json:"create"`
	AutomountToken *bool  `json:"automountToken"`
}

// ServiceAccountName is the name of the app's ServiceAccount, or "". An
// app that waits for jobs (After) has one: the one it names, else one
// named after the app.
func (a *App) ServiceAccountName() string {
	switch {
	case a.ServiceAccount == nil && len(a.After) > 0:
		return a.Name
	case a.ServiceAccount == nil:
		return ""
	case a.ServiceAccount.Name != "":
		return a.ServiceAccount.Name
	}
	return a.Name
}

// CreatesServiceAccount is whether kdecl renders the app's ServiceAccount.
func (a *App) CreatesServiceAccount() bool {
	sa := a.ServiceAccount
	if sa == nil {
		return len(a.After) > 0
	}
	return sa.Create == nil || *sa.Create
}

// Kinds of app.
const (
	KindDeployment  = "deployment"
	KindStatefulSet = "statefulset"
	KindDaemonSet   = "daemonset"
	KindJob         = "job"
	KindCronJob     = "cronjob"
)

// workloadKinds are the Kubernetes kinds of the apps' kinds.
var workloadKinds = map[string]string{
	KindDeployment: "Deployment", KindStatefulSet: "StatefulSet", KindDaemonSet: "DaemonSet",
	KindJob: "Job", KindCronJob: "CronJob",
}

// WorkloadKind is the Kubernetes kind of the app's workload: Deployment,
// StatefulSet, DaemonSet, Job or CronJob.
func (a *App) WorkloadKind() string { return workloadKinds[a.Kind] }

// Volume is one volume of the app's storage.
type Volume struct {
	// Type is one of the Volume* types, after Load.
	Type      string `json:"type"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly"`
	SubPath   string `json:"subPath"`
	// MountPropagation is of the app's container's mount only.
	MountPropagation string            `json:"mountPropagation"`
	Size             string            `json:"size"`
	AccessModes      []string          `json:"accessModes"`
	StorageClass     string            `json:"storageClass"`
	Annotations      map[string]string `json:"annotations"`
	Medium           string            `json:"medium"`
	SizeLimit        string            `json:"sizeLimit"`
	Claim            string            `json:"claim"`
	HostPath         *HostPath         `json:"hostPath"`
	ConfigMap        string            `json:"configMap"`
	Items            map[string]string `json:"items"`
	DefaultMode      *int32            `json:"defaultMode"`
}

// HostPath is a path of the node.
type HostPath struct {
	Path string `json:"path"`
	Type string `json:"type"`
}

// Types of volume.
const (
	VolumePersistent = "persistent"
	VolumeEmptyDir   = "emptyDir"
	VolumeClaim      = "claim"
	VolumeHostPath   = "hostPath"
	VolumeConfigMap  = "configMap"
)

// Secrets are the Secrets an app uses, by reference.
type Secrets struct {
	Env     map[string]SecretKey  `json:"env"`
	EnvFrom []string              `json:"envFrom"`
	Files   map[string]SecretFile `json:"files"`
}

// SecretKey is one key of a Secret.
type SecretKey struct {
	Secret string `json:"secret"`
	Key    string `json:"key"`
}

// SecretFile mounts keys of a Secret as files.
type SecretFile struct {
	Secret      string            `json:"secret"`
	MountPath   string            `json:"mountPath"`
	Items       map[string]string `json:"items"`
	DefaultMode *int32            `json:"defaultMode"`
	Modes       map[string]int32  `json:"modes"`
	SubPath     string            `json:"subPath"`
}

// ResourceEnv is an env var from a container's resources.
type ResourceEnv struct {
	Resource string `json:"resource"`
	Divisor  string `json:"divisor"`
}

// PodInfo mounts the pod's labels and annotations as files.
type PodInfo struct {
	MountPath   string `json:"mountPath"`
	Labels      bool   `json:"labels"`
	Annotations bool   `json:"annotations"`
}

// Lifecycle hooks of the app's container.
type Lifecycle struct {
	PostStart *Handler `json:"postStart"`
	PreStop   *Handler `json:"preStop"`
}

// Handler is a lifecycle hook; exactly one of Exec, HTTP and Sleep is set.
type Handler struct {
	Exec  *ExecProbe   `json:"exec"`
	HTTP  *HTTPProbe   `json:"http"`
	Sleep *SleepAction `json:"sleep"`
}

// SleepAction pauses a hook.
type SleepAction struct {
	Seconds int64 `json:"seconds"`
}

// Container is a sidecar or init container.
type Container struct {
	Name            string                   `json:"name"`
	Image           string                   `json:"image"`
	ImagePullPolicy string                   `json:"imagePullPolicy"`
	Command         []string                 `json:"command"`
	Args            []string                 `json:"args"`
	Env             map[string]string        `json:"env"`
	Ports           map[string]ContainerPort `json:"ports"`
	Resources       Resources                `json:"resources"`
	Mounts          map[string]string        `json:"mounts"`
	// ConfigMount is where the container mounts the app's config files.
	ConfigMount string `json:"configMount"`
}

// UpdateStrategy of a statefulset or daemonset.
type UpdateStrategy struct {
	Type           string              `json:"type"`
	Partition      *int32              `json:"partition"`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable"`
	MaxSurge       *intstr.IntOrString `json:"maxSurge"`
}

// Strategy of a deployment's rollout.
type Strategy struct {
	Type           string              `json:"type"`
	MaxSurge       *intstr.IntOrString `json:"maxSurge"`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable"`
}

// JobSpec shapes a Job.
type JobSpec struct {
	Completions             *int32 `json:"completions"`
	Parallelism             *int32 `json:"parallelism"`
	BackoffLimit            *int32 `json:"backoffLimit"`
	ActiveDeadlineSeconds   *int64 `json:"activeDeadlineSeconds"`
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished"`
}

// Use is an app this app depends on, and how. In CUE it is the app's name
// or {app, wait, env}.
type Use struct {
	App  string `json:"app"`
	Wait *bool  `json:"wait"`
	Env  *bool  `json:"env"`
	// Key is the app's key when uses is a struct of apps, "" in a list.
	Key string `json:"-"`
}

// Uses are an app's uses: a list of names and {app, wait, env}, or a
// struct of options by app, which CUE merges where lists only unify when
// equal. A struct's uses are in the order of their keys.
type Uses []Use

// UnmarshalJSON accepts both forms of uses.
func (us *Uses) UnmarshalJSON(b []byte) error {
	var byApp map[string]Use
	if err := json.Unmarshal(b, &byApp); err == nil {
		*us = make(Uses, 0, len(byApp))
		for _, app := range slices.Sorted(maps.Keys(byApp)) {
			u := byApp[app]
			u.App, u.Key = app, app
			*us = append(*us, u)
		}
		return nil
	}
	return json.Unmarshal(b, (*[]Use)(us))
}

// Field is the field of the ith use: uses[i], or uses.<app> in a struct.
func (us Uses) Field(i int) []string {
	if us[i].Key != "" {
		return []string{"uses", us[i].Key}
	}
	return []string{"uses", index(i)}
}

// UnmarshalJSON accepts both forms of a use.
func (u *Use) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &u.App); err == nil {
		return nil
	}
	type use Use // without the method, to avoid recursion
	return json.Unmarshal(b, (*use)(u))
}

// Waits is whether the app waits for the one it uses.
func (u Use) Waits() bool { return u.Wait == nil || *u.Wait }

// Passes is whether the app gets the address of the one it uses.
func (u Use) Passes() bool { return u.Env == nil || *u.Env }

// Before are the apps a job runs before: a list of names, or a struct of
// them, which CUE merges where lists only unify when equal. A struct's
// apps are in the order of their keys.
type Before []BeforeApp

// BeforeApp is one app of Before.
type BeforeApp struct {
	App string `json:"-"`
	// Key is the app's key when before is a struct of apps, "" in a list.
	Key string `json:"-"`
}

// UnmarshalJSON accepts both forms of before.
func (bs *Before) UnmarshalJSON(b []byte) error {
	var byApp map[string]struct{}
	if err := json.Unmarshal(b, &byApp); err == nil {
		*bs = make(Before, 0, len(byApp))
		for _, app := range slices.Sorted(maps.Keys(byApp)) {
			*bs = append(*bs, BeforeApp{App: app, Key: app})
		}
		return nil
	}
	return json.Unmarshal(b, (*[]BeforeApp)(bs))
}

// UnmarshalJSON decodes an app of a list of before: its name.
func (b *BeforeApp) UnmarshalJSON(data []byte) error { return json.Unmarshal(data, &b.App) }

// Field is the field of the ith app: before[i], or before.<app> in a
// struct.
func (bs Before) Field(i int) []string {
	if bs[i].Key != "" {
		return []string{"before", bs[i].Key}
	}
	return []string{"before", index(i)}
}

// ArgoCD says how the stack is synced by Argo CD.
type ArgoCD struct {
	// SyncWaves is SyncWavesBefore (the default) or SyncWavesUses.
	SyncWaves string `json:"syncWaves"`
}

// The graphs sync waves follow.
const (
	SyncWavesBefore = "before"
	SyncWavesUses   = "uses"
)

// Dependency is an app this app uses, resolved to what reaches it.
type Dependency struct {
	App string
	// Wait and Env say whether the app waits for it and gets its address.
	Wait, Env bool
	// Host is the DNS name of the app's Service.
	Host string
	// Ports of the app by name.
	Ports map[string]Port
	// Pods are the DNS names of a statefulset's pods, in ordinal order.
	Pods []string
}

// Port is a container port. In CUE it is a number or {port, protocol}.
type Port struct {
	Port        int32  `json:"port"`
	Protocol    string `json:"protocol"`
	HostPort    int32  `json:"hostPort"`
	ServicePort int32  `json:"servicePort"`
	Service     *bool  `json:"service"`
}

// ContainerPort is a port of a sidecar or init container. In CUE it is a
// number or {port, protocol, hostPort}.
type ContainerPort struct {
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	HostPort int32  `json:"hostPort"`
}

// UnmarshalJSON accepts both forms of a port.
func (p *ContainerPort) UnmarshalJSON(b []byte) error {
	var n int32
	if err := json.Unmarshal(b, &n); err == nil {
		*p = ContainerPort{Port: n}
		return nil
	}
	type port ContainerPort // without the method, to avoid recursion
	return json.Unmarshal(b, (*port)(p))
}

// PortMap is the container's ports as Ports, which its pod opens and no
// Service exposes.
func (c Container) PortMap() map[string]Port {
	ports := make(map[string]Port, len(c.Ports))
	off := false
	for name, p := range c.Ports {
		ports[name] = Port{Port: p.Port, Protocol: p.Protocol, HostPort: p.HostPort, Service: &off}
	}
	return ports
}

// OnService is whether the app's Service exposes the port.
func (p Port) OnService() bool { return p.Service == nil || *p.Service }

// ServiceNumber is the port's number on the Service.
func (p Port) ServiceNumber() int32 {
	if p.ServicePort != 0 {
		return p.ServicePort
	}
	return p.Port
}

// ServicePorts are the ports the app's Service exposes, by name.
func (a *App) ServicePorts() map[string]Port {
	ports := map[string]Port{}
	for name, p := range a.Ports {
		if p.OnService() {
			ports[name] = p
		}
	}
	return ports
}

// UnmarshalJSON accepts both forms of a port.
func (p *Port) UnmarshalJSON(b []byte) error {
	var n int32
	if err := json.Unmarshal(b, &n); err == nil {
		*p = Port{Port: n}
		return nil
	}
	type port Port // without the method, to avoid recursion
	return json.Unmarshal(b, (*port)(p))
}

// Config is the app's ConfigMap content and how it reaches the container.
type Config struct {
	Env         map[string]string `json:"env"`
	Files       map[string]string `json:"files"`
	MountPath   string            `json:"mountPath"`
	FileMounts  map[string]string `json:"fileMounts"`
	FileEnv     map[string]string `json:"fileEnv"`
	DefaultMode *int32            `json:"defaultMode"`
	Modes       map[string]int32  `json:"modes"`
}

// SharedConfig is a config of the stack's that an app uses.
type SharedConfig struct {
	// Name is the config's name, and its ConfigMap's.
	Name string
	// At is its index in the app's Configs.
	At int
	*Config
}

// Volume is the pod volume of the config's files.
func (c SharedConfig) Volume() string { return SharedConfigVolume(c.Name) }

// FilePath is where a config file is mounted: its own path (FileMounts),
// or under MountPath.
func (c *Config) FilePath(key string) string {
	if p, ok := c.FileMounts[key]; ok {
		return p
	}
	return path.Join(c.MountPath, key)
}

// DirFiles are the config files mounted under MountPath, sorted.
func (c *Config) DirFiles() []string {
	var keys []string
	for k := range c.Files {
		if _, own := c.FileMounts[k]; !own {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Probes of the app's container.
type Probes struct {
	Liveness  *Probe `json:"liveness"`
	Readiness *Probe `json:"readiness"`
	Startup   *Probe `json:"startup"`
}

// Probe is one probe; exactly one of HTTP, TCP, GRPC and Exec is set.
type Probe struct {
	HTTP *HTTPProbe `json:"http"`
	TCP  *TCPProbe  `json:"tcp"`
	GRPC *GRPCProbe `json:"grpc"`
	Exec *ExecProbe `json:"exec"`

	InitialDelaySeconds           int32 `json:"initialDelaySeconds"`
	PeriodSeconds                 int32 `json:"periodSeconds"`
	TimeoutSeconds                int32 `json:"timeoutSeconds"`
	SuccessThreshold              int32 `json:"successThreshold"`
	FailureThreshold              int32 `json:"failureThreshold"`
	TerminationGracePeriodSeconds int64 `json:"terminationGracePeriodSeconds"`
}

// HTTPProbe is an HTTP GET probe.
type HTTPProbe struct {
	Path    string            `json:"path"`
	Port    PortRef           `json:"port"`
	Scheme  string            `json:"scheme"`
	Headers map[string]string `json:"headers"`
}

// TCPProbe is a TCP connect probe.
type TCPProbe struct {
	Port PortRef `json:"port"`
}

// GRPCProbe asks a gRPC server after its health. The API takes its port
// by number only, so a port by name is rendered as that port's number.
type GRPCProbe struct {
	Port    PortRef `json:"port"`
	Service *string `json:"service"`
}

// ExecProbe runs a command in the container.
type ExecProbe struct {
	Command []string `json:"command"`
}

// PortRef is a port given by name or by number. After Load it is never
// empty: a probe without a port uses the app's only port, by name.
type PortRef struct {
	Name   string
	Number int32
}

// UnmarshalJSON accepts a port name or number.
func (r *PortRef) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &r.Number); err == nil {
		return nil
	}
	return json.Unmarshal(b, &r.Name)
}

func (r PortRef) String() string {
	if r.Name != "" {
		return r.Name
	}
	return fmt.Sprint(r.Number)
}

// Resources are the container's requests and limits, as quantity strings.
type Resources struct {
	Requests map[string]string `json:"requests"`
	Limits   map[string]string `json:"limits"`
}

// Expose says how the app's Service is exposed.
type Expose struct {
	// Type is ClusterIP, NodePort, LoadBalancer or ExposeNone.
	Type                     string            `json:"type"`
	NodePorts                map[string]int32  `json:"nodePorts"`
	Annotations              map[string]string `json:"annotations"`
	SessionAffinity          string            `json:"sessionAffinity"`
	ExternalTrafficPolicy    string            `json:"externalTrafficPolicy"`
	LoadBalancerSourceRanges []string          `json:"loadBalancerSourceRanges"`
	PublishNotReadyAddresses bool              `json:"publishNotReadyAddresses"`
	LoadBalancerIP           string            `json:"loadBalancerIP"`
	Ingress                  *Ingress          `json:"ingress"`
}

// IngressAnnotations are the annotations of the app's Ingress of its
// own, beside the app's; nil without an Ingress.
func (e Expose) IngressAnnotations() map[string]string {
	if e.Ingress == nil {
		return nil
	}
	return e.Ingress.Annotations
}

// Ingress routes HTTP to the app's Service.
type Ingress struct {
	Hosts []string `json:"hosts"`
	// Paths by path; Load defaults them to "/" and each one's port and
	// path type.
	Paths       map[string]IngressPath `json:"paths"`
	ClassName   string                 `json:"className"`
	TLS         *IngressTLS            `json:"tls"`
	Annotations map[string]string      `json:"annotations"`
}

// IngressPath is where a path goes: a port of the app's Service.
type IngressPath struct {
	Port     string `json:"port"`
	PathType string `json:"pathType"`
}

// IngressTLS terminates TLS with a Secret's certificate.
type IngressTLS struct {
	Secret string `json:"secret"`
}

// Disruption is an app's PodDisruptionBudget.
type Disruption struct {
	MinAvailable               *intstr.IntOrString `json:"minAvailable"`
	MaxUnavailable             *intstr.IntOrString `json:"maxUnavailable"`
	UnhealthyPodEvictionPolicy string              `json:"unhealthyPodEvictionPolicy"`
}

// NetworkPolicies say how the apps' NetworkPolicies are derived.
type NetworkPolicies struct {
	// Egress is EgressUses (the default) or EgressAny.
	Egress           string `json:"egress"`
	IngressNamespace string `json:"ingressNamespace"`
}

// The egress of NetworkPolicies.
const (
	EgressUses = "uses"
	EgressAny  = "any"
)

// Headless names an app's headless Service.
type Headless struct {
	// Name of the Service; HeadlessServiceName of the app when empty.
	Name string `json:"name"`
	// PublishNotReadyAddresses is the Service's; nil for expose's.
	PublishNotReadyAddresses *bool `json:"publishNotReadyAddresses"`
}

// ExposeNone is the Expose.Type of an app without a Service.
const ExposeNone = "none"

// Flux is how a Flux Kustomization's post-build substitution treats the
// stack's objects.
type Flux struct {
	// Substitute "disabled" keeps Flux from substituting in any object.
	Substitute string `json:"substitute"`
}
