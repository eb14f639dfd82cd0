package schema

import "strconv"

// Default is a value kdecl gives a field that a stack leaves unset.
type Default struct {
	// Field is the field's path from the stack, with * for a key of a map.
	Field string
	// Doc is the words of schema.cue's comment of the field that state
	// the default.
	Doc string
}

// Defaults lists every default Load applies, from the constants below.
// TestDefaults holds each to its field's comment in schema.cue and to
// what Load does, so the schema's documentation and the code agree.
var Defaults = []Default{
	{"name", "defaults to the CUE package name"},
	{"clusterDomain", DefaultClusterDomain + " when unset"},
	{"apps.*.kind", DefaultKind + " when unset"},
	{"apps.*.imagePullPolicy", DefaultPullPolicy + " when unset, or " + FloatingPullPolicy + " for an image without a fixed tag"},
	{"apps.*.replicas", strconv.Itoa(DefaultReplicas) + " when unset"},
	{"apps.*.restartPolicy", DefaultRestartPolicy + " when unset"},
	{"apps.*.expose.type", "When unset, " + DefaultServiceType + ", or " + ExposeNone + " for a job, cronjob or daemonset"},
	{"apps.*.ports.*.protocol", DefaultProtocol + " when unset"},
	{"apps.*.config.mountPath", "defaults to " + DefaultConfigMountPath("<app>")},
	{"configs.*.mountPath", DefaultSharedConfigMountPath("<name>") + " for a config of the stack's"},
	{"apps.*.probes.liveness.http.path", DefaultHTTPPath + " when unset"},
	{"apps.*.lifecycle.preStop.http.path", DefaultHTTPPath + " when unset"},
	{"apps.*.storage.*.type", DefaultVolumeType + " when unset"},
	{"apps.*.storage.*.accessModes", DefaultAccessMode + " when unset"},
	{"apps.*.resourceEnv.*.divisor", DefaultDivisor + " when unset"},
	{"apps.*.podInfo.labels", "both when neither is set"},
}

// The defaults, each in the one place Load takes it from.
const (
	DefaultKind          = KindDeployment
	DefaultReplicas      = 1
	DefaultRestartPolicy = "Never"
	DefaultServiceType   = "ClusterIP"
	DefaultProtocol      = "TCP"
	DefaultHTTPPath      = "/"
	DefaultVolumeType    = VolumePersistent
	DefaultAccessMode    = "ReadWriteOnce"
	DefaultClusterDomain = "cluster.local"
	DefaultDivisor       = "1"
	DefaultPullPolicy    = "IfNotPresent"
	// FloatingPullPolicy is the pull policy of an image without a fixed tag.
	FloatingPullPolicy = "Always"
)

// DefaultConfigMountPath is where an app's config files are mounted
// unless config.mountPath says otherwise.
func DefaultConfigMountPath(app string) string { return "/etc/" + app + "-config" }
