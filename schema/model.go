package schema

import (
	"encoding/json"
	"fmt"
)

// Stack is a validated stack: every app of one CUE package, with the
// defaults of the schema applied.
type Stack struct {
	// Name is the stack's name: its name field, else its CUE package name.
	Name string `json:"name"`
	// Namespace of every object; empty means the namespace of the kubectl context.
	Namespace string `json:"namespace"`
	// Apps sorted by name.
	Apps []App `json:"-"`
	// Warnings found while loading: valid input that is probably a mistake.
	Warnings []*Error `json:"-"`
}

// App is one application of a stack.
type App struct {
	Name            string            `json:"-"`
	Kind            string            `json:"kind"`
	Component       string            `json:"component"`
	Image           string            `json:"image"`
	ImagePullPolicy string            `json:"imagePullPolicy"`
	Replicas        int32             `json:"replicas"`
	Command         []string          `json:"command"`
	Args            []string          `json:"args"`
	Env             map[string]string `json:"env"`
	Ports           map[string]Port   `json:"ports"`
	Config          *Config           `json:"config"`
	Probes          Probes            `json:"probes"`
	Resources       Resources         `json:"resources"`
	Expose          Expose            `json:"expose"`
	Annotations     map[string]string `json:"annotations"`
	PodAnnotations  map[string]string `json:"podAnnotations"`
}

// Kinds of app.
const (
	KindDeployment = "deployment"
)

// Port is a container port. In CUE it is a number or {port, protocol}.
type Port struct {
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
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
	Env       map[string]string `json:"env"`
	Files     map[string]string `json:"files"`
	MountPath string            `json:"mountPath"`
	FileEnv   map[string]string `json:"fileEnv"`
}

// Probes of the app's container.
type Probes struct {
	Liveness  *Probe `json:"liveness"`
	Readiness *Probe `json:"readiness"`
	Startup   *Probe `json:"startup"`
}

// Probe is one probe; exactly one of HTTP, TCP and Exec is set.
type Probe struct {
	HTTP *HTTPProbe `json:"http"`
	TCP  *TCPProbe  `json:"tcp"`
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
	Type        string            `json:"type"`
	NodePorts   map[string]int32  `json:"nodePorts"`
	Annotations map[string]string `json:"annotations"`
}

// ExposeNone is the Expose.Type of an app without a Service.
const ExposeNone = "none"
