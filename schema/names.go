package schema

// Names kdecl gives to the things it adds to a pod or stack, fixed here so
// that the checks of Load and the generators agree on them.
const (
	// ConfigVolume is the pod volume of the app's config files.
	ConfigVolume = "config"
	// PodInfoVolume is the downward API volume of podInfo.
	PodInfoVolume = "podinfo"
)

// reservedVolumes are the volume names an app cannot use for its own.
var reservedVolumes = []string{ConfigVolume, PodInfoVolume}

// HeadlessServiceName is the name of a statefulset's headless Service,
// its serviceName.
func HeadlessServiceName(app string) string { return app + "-headless" }

// WaitContainerName is the init container that waits for the app a
// dependent uses.
func WaitContainerName(app string) string { return "wait-for-" + app }
