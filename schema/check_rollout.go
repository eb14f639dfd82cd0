package schema

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// The API's defaults of a rollout, which its rules apply to.
var (
	defaultDeploymentSurge       = intstr.FromString("25%")
	defaultDeploymentUnavailable = intstr.FromString("25%")
	defaultDaemonSetUnavailable  = intstr.FromInt32(1)
	defaultDaemonSetSurge        = intstr.FromInt32(0)
)

// defaultProgressDeadline is the API's default progressDeadlineSeconds.
const defaultProgressDeadline = 600

// rollout checks how a workload replaces its pods, as the apps API does.
func (c *appChecker) rollout() {
	a := c.app
	if st := a.Strategy; st != nil {
		if st.Type == "Recreate" {
			for _, f := range []string{"maxSurge", "maxUnavailable"} {
				if c.set("strategy", f) {
					c.fail("is for type RollingUpdate; Recreate stops every old pod first", "strategy", f)
				}
			}
		} else {
			surge, unavailable := or(st.MaxSurge, defaultDeploymentSurge), or(st.MaxUnavailable, defaultDeploymentUnavailable)
			c.percentAtMost100(unavailable, "strategy", "maxUnavailable")
			if isZero(surge) && isZero(unavailable) {
				c.fail("maxSurge and maxUnavailable are both 0: the rollout could replace no pod", "strategy", "maxUnavailable")
			}
		}
	}
	if u := a.UpdateStrategy; u != nil {
		if u.Type == "OnDelete" {
			for _, f := range []string{"partition", "maxUnavailable", "maxSurge"} {
				if c.set("updateStrategy", f) {
					c.fail("is for type RollingUpdate; OnDelete replaces a pod when you delete it", "updateStrategy", f)
				}
			}
		} else if a.Kind == KindDaemonSet {
			unavailable, surge := or(u.MaxUnavailable, defaultDaemonSetUnavailable), or(u.MaxSurge, defaultDaemonSetSurge)
			c.percentAtMost100(unavailable, "updateStrategy", "maxUnavailable")
			c.percentAtMost100(surge, "updateStrategy", "maxSurge")
			switch {
			case !isZero(unavailable) && !isZero(surge):
				c.fail(fmt.Sprintf("a daemonset surges or leaves nodes unavailable, not both: set maxUnavailable: 0 (it is %s)", unavailable.String()), "updateStrategy", "maxSurge")
			case isZero(unavailable) && isZero(surge):
				c.fail("maxUnavailable and maxSurge are both 0: the rollout could replace no pod", "updateStrategy", "maxUnavailable")
			}
		}
	}
	if a.Kind == KindDeployment {
		deadline := int32(defaultProgressDeadline)
		if a.ProgressDeadlineSeconds != nil {
			deadline = *a.ProgressDeadlineSeconds
		}
		if deadline <= a.MinReadySeconds {
			field := "progressDeadlineSeconds"
			if a.ProgressDeadlineSeconds == nil {
				field = "minReadySeconds"
			}
			c.fail(fmt.Sprintf("progressDeadlineSeconds (%d) must be more than minReadySeconds (%d)", deadline, a.MinReadySeconds), field)
		}
	}
}

func or(v *intstr.IntOrString, def intstr.IntOrString) intstr.IntOrString {
	if v == nil {
		return def
	}
	return *v
}

// percent is the number of a value like 25%, or -1 for a number of pods.
func percent(v intstr.IntOrString) int {
	if v.Type != intstr.String {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
	if err != nil {
		return -1
	}
	return n
}

func isZero(v intstr.IntOrString) bool {
	if v.Type == intstr.String {
		return percent(v) == 0
	}
	return v.IntVal == 0
}

func (c *appChecker) percentAtMost100(v intstr.IntOrString, field ...string) {
	if percent(v) > 100 {
		c.fail(v.StrVal+" is more than 100%", field...)
	}
}

// hostPorts checks the ports the pod opens on its node: each once per
// protocol, and, with the node's network, on the container's own number.
func (c *appChecker) hostPorts() {
	type key struct {
		port     int32
		protocol string
	}
	hostNetwork := false
	if v, ok := get(c.app.Overrides[OverridePod], "hostNetwork"); ok {
		hostNetwork, _ = v.(bool)
	}
	seen := map[key]string{}
	check := func(ports map[string]Port, field ...string) {
		for _, name := range slices.Sorted(maps.Keys(ports)) {
			p := ports[name]
			if p.HostPort == 0 {
				continue
			}
			f := append(slices.Clone(field), name, "hostPort")
			k := key{p.HostPort, p.Protocol}
			if other, ok := seen[k]; ok {
				c.fail(fmt.Sprintf("host port %d/%s is also opened by %s", p.HostPort, p.Protocol, other), f...)
			}
			seen[k] = fieldString(append(slices.Clone(field), name))
			if hostNetwork && p.HostPort != p.Port {
				c.fail(fmt.Sprintf("with the node's network (overrides.pod.hostNetwork) a host port is the container's port, %d", p.Port), f...)
			}
		}
	}
	check(c.app.Ports, "ports")
	for _, name := range slices.Sorted(maps.Keys(c.app.Sidecars)) {
		check(c.app.Sidecars[name].PortMap(), "sidecars", name, "ports")
	}
	// Init containers run one by one: each opens its host ports once.
	for i, ctr := range c.app.InitContainers {
		seen = map[key]string{}
		check(ctr.PortMap(), "initContainers", index(i), "ports")
	}
}

// autoscale checks the app's autoscaler: it, not replicas, sets the
// workload's replicas, and it measures utilization against requests.
func (c *appChecker) autoscale() {
	as := c.app.Autoscale
	if as == nil {
		return
	}
	c.app.Autoscaled = true
	if c.set("replicas") {
		c.fail("autoscale sets the replicas; remove replicas (every apply would reset what the autoscaler chose)", "replicas")
	}
	if as.MinReplicas != nil && *as.MinReplicas > as.MaxReplicas {
		c.fail(fmt.Sprintf("maxReplicas %d is below minReplicas %d", as.MaxReplicas, *as.MinReplicas), "autoscale", "maxReplicas")
	}
	for _, r := range []struct {
		name   string
		target *int32
	}{{"cpu", as.CPU}, {"memory", as.Memory}} {
		if r.target != nil && c.app.Resources.Requests[r.name] == "" {
			c.warn(fmt.Sprintf("the autoscaler measures %s against the pods' requests, and the app's container requests none; set resources.requests.%s", r.name, r.name), "autoscale", r.name)
		}
	}
}
