package schema

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones are checked the same on every machine
)

// kindFields checks that fields which belong to some kinds of app are used
// only there, and applies the defaults of each kind.
func (c *appChecker) kindFields() {
	a := c.app
	only := func(kinds []string, fields ...string) {
		if slices.Contains(kinds, a.Kind) {
			return
		}
		for _, f := range fields {
			if c.set(strings.Split(f, ".")...) {
				c.fail(fmt.Sprintf("is for %s apps, not a %s", strings.Join(kinds, " and "), a.Kind), strings.Split(f, ".")...)
			}
		}
	}
	only([]string{KindDeployment, KindStatefulSet}, "replicas", "autoscale")
	only([]string{KindStatefulSet}, "podManagementPolicy", "updateStrategy.partition")
	only([]string{KindStatefulSet, KindDaemonSet}, "updateStrategy")
	only([]string{KindDaemonSet}, "updateStrategy.maxUnavailable", "updateStrategy.maxSurge")
	only([]string{KindDeployment}, "strategy", "progressDeadlineSeconds")
	only([]string{KindDeployment, KindStatefulSet, KindDaemonSet}, "minReadySeconds", "revisionHistoryLimit")
	only([]string{KindJob, KindCronJob}, "restartPolicy", "job")
	only([]string{KindJob}, "before")
	only([]string{KindCronJob}, "schedule", "timeZone", "concurrencyPolicy", "startingDeadlineSeconds",
		"suspend", "successfulJobsHistoryLimit", "failedJobsHistoryLimit")

	switch a.Kind {
	case KindJob, KindCronJob:
		switch a.RestartPolicy {
		case "":
			a.RestartPolicy = DefaultRestartPolicy
		case "Always":
			c.fail("a job's pods must end: use OnFailure or Never", "restartPolicy")
		}
		a.Replicas = 0
	}
	if a.Kind == KindDaemonSet {
		a.Replicas = 0 // one pod per node
	}
	c.autoscale()
	c.rollout()
	if a.Kind == KindCronJob {
		if !c.set("schedule") {
			c.fail("a cronjob needs a schedule", "schedule")
		} else if err := checkSchedule(a.Schedule); err != nil {
			c.fail(fmt.Sprintf("%s: %v", quote(a.Schedule), err), "schedule")
		}
		switch {
		case a.TimeZone == "" && c.set("timeZone"):
			// The API refuses an empty zone; kdecl must not drop it either.
			c.fail(`an empty time zone: name an IANA zone such as Europe/Berlin or UTC, or leave timeZone out for the time zone of kube-controller-manager`, "timeZone")
		case a.TimeZone != "":
			if _, err := time.LoadLocation(a.TimeZone); err != nil || !timeZoneForm(a.TimeZone) {
				c.fail(fmt.Sprintf("%s is not an IANA time zone such as Europe/Berlin or UTC", quote(a.TimeZone)), "timeZone")
			}
		}
	}
}

func (c *appChecker) storage() {
	for _, name := range slices.Sorted(maps.Keys(c.app.Storage)) {
		v := c.app.Storage[name]
		if reservedVolume(name) {
			c.fail("names that start with "+reservedPrefix+" are kdecl's own volumes; choose another", "storage", name)
		}
		c.volumeSource(name, &v)
		switch v.Type {
		case VolumePersistent:
			if v.Size == "" {
				c.fail("a persistent volume needs a size", "storage", name)
			} else if q, ok := c.quantity(v.Size, "storage", name, "size"); ok && q.IsZero() {
				c.fail("a persistent volume needs a size above 0", "storage", name, "size")
			}
			if len(v.AccessModes) == 0 {
				v.AccessModes = []string{DefaultAccessMode}
			}
			if slices.Contains(v.AccessModes, "ReadWriteOncePod") && len(slices.Compact(slices.Sorted(slices.Values(v.AccessModes)))) > 1 {
				c.fail("ReadWriteOncePod cannot be combined with other access modes", "storage", name, "accessModes")
			}
			if c.app.Kind == KindDeployment && c.app.Replicas > 1 && slices.Contains(v.AccessModes, "ReadWriteOnce") {
				c.warn(fmt.Sprintf("%d replicas share one ReadWriteOnce claim: pods on other nodes cannot mount it; use a statefulset or ReadWriteMany", c.app.Replicas), "storage", name)
			}
			if c.app.Kind == KindDeployment && (c.app.Strategy == nil || c.app.Strategy.Type != "Recreate") && slices.Contains(v.AccessModes, "ReadWriteOnce") {
				c.warn(`a rolling update starts the new pod before it stops the old one, which holds this ReadWriteOnce claim: on another node the new pod waits for it forever; set strategy: type: "Recreate"`, "storage", name)
			}
		case VolumeEmptyDir:
			if v.SizeLimit != "" {
				c.quantity(v.SizeLimit, "storage", name, "sizeLimit")
			}
		case VolumeConfigMap:
			c.itemPaths(v.Items, "storage", name, "items")
		}
		if v.MountPropagation == "Bidirectional" && !c.privileged() {
			c.fail("Bidirectional needs a privileged container, and the app's is not: set overrides.container.securityContext.privileged: true, or use HostToContainer", "storage", name, "mountPropagation")
		}
		c.app.Storage[name] = v
	}
}

// privileged is whether the app's container runs privileged once its
// overrides are applied, in the order the generators apply them: the
// container's, then its entry in the pod's, then in the workload's pod
// template. kdecl itself never makes a container privileged.
func (c *appChecker) privileged() bool {
	a := c.app
	frags := []map[string]any{a.Overrides[OverrideContainer]}
	inPod := func(spec any) {
		each(asMap(spec), "containers", "name", func(_ int, name string, ctr map[string]any) {
			if name == a.Name {
				frags = append(frags, ctr)
			}
		})
	}
	inPod(a.Overrides[OverridePod])
	workload := strings.ToLower(a.WorkloadKind())
	for _, key := range slices.Sorted(maps.Keys(a.Overrides)) {
		if kind, _, _ := strings.Cut(key, "/"); kind == workload {
			spec, _ := get(a.Overrides[key], at(podPaths[a.WorkloadKind()], "spec")...)
			inPod(spec)
		}
	}
	privileged := false
	for _, f := range frags {
		// A fragment without privileged leaves it as it was (an override
		// sets no null).
		if p, set := asMap(f["securityContext"])["privileged"]; set {
			privileged = p == true
		}
	}
	return privileged
}

func (c *appChecker) secrets() {
	for _, name := range slices.Sorted(maps.Keys(c.app.Secrets.Files)) {
		f := c.app.Secrets.Files[name]
		if reservedVolume(name) {
			c.fail("names that start with "+reservedPrefix+" are kdecl's own volumes; choose another", "secrets", "files", name)
		}
		if _, ok := c.app.Storage[name]; ok {
			c.fail("is also the name of a storage volume; rename one", "secrets", "files", name)
		}
		c.itemPaths(f.Items, "secrets", "files", name, "items")
		for _, key := range slices.Sorted(maps.Keys(f.Modes)) {
			if _, ok := f.Items[key]; !ok {
				c.fail(fmt.Sprintf("a mode needs the key among items, which then list every key the files show (have %s)", keyList(f.Items)), "secrets", "files", name, "modes", key)
			}
		}
	}
}

// itemPaths checks that no two keys of a volume go to one file.
func (c *appChecker) itemPaths(items map[string]string, field ...string) {
	seen := map[string]string{}
	for _, key := range slices.Sorted(maps.Keys(items)) {
		p := path.Clean(items[key])
		if other, ok := seen[p]; ok {
			c.fail(fmt.Sprintf("keys %s and %s both go to %s", other, key, p), append(field, key)...)
		}
		seen[p] = key
	}
}

// volumeSource sets the type of a volume: what it names that exists
// (claim, hostPath, configMap), else type, else persistent; and checks
// that it sets only the fields of its type.
func (c *appChecker) volumeSource(name string, v *Volume) {
	var sources []string
	for _, f := range []string{VolumeClaim, VolumeHostPath, VolumeConfigMap} {
		if c.set("storage", name, f) {
			sources = append(sources, f)
		}
	}
	switch {
	case len(sources) > 1:
		c.fail("a volume mounts one thing: set only one of "+strings.Join(sources, ", "), "storage", name)
	case len(sources) == 1 && c.set("storage", name, "type"):
		c.fail(fmt.Sprintf("a volume of a %s that exists has no type", sources[0]), "storage", name, "type")
	case len(sources) == 1:
		v.Type = sources[0]
	case v.Type == "":
		v.Type = DefaultVolumeType
	}
	fields := map[string][]string{
		VolumePersistent: {"size", "accessModes", "storageClass", "annotations"},
		VolumeEmptyDir:   {"medium", "sizeLimit"},
		VolumeConfigMap:  {"items", "defaultMode"},
	}
	for _, t := range slices.Sorted(maps.Keys(fields)) {
		for _, f := range fields[t] {
			if t != v.Type && c.set("storage", name, f) {
				c.fail(fmt.Sprintf("is for %s volumes, and this one is %s", t, v.Type), "storage", name, f)
			}
		}
	}
}

func (c *appChecker) lifecycle() {
	for _, h := range []struct {
		name    string
		handler *Handler
	}{{"postStart", c.app.Lifecycle.PostStart}, {"preStop", c.app.Lifecycle.PreStop}} {
		if h.handler == nil {
			continue
		}
		if !c.exactlyOne("a hook has exactly one of exec, http and sleep", []string{"lifecycle", h.name},
			h.handler.Exec != nil, h.handler.HTTP != nil, h.handler.Sleep != nil) {
			continue
		}
		if sleep := h.handler.Sleep; sleep != nil && sleep.Seconds > c.graceSeconds() {
			c.fail(fmt.Sprintf("%d seconds is longer than the pod's terminationGracePeriodSeconds (%d): the container would be killed first; raise terminationGracePeriodSeconds", sleep.Seconds, c.graceSeconds()),
				"lifecycle", h.name, "sleep", "seconds")
		}
		if http := h.handler.HTTP; http != nil {
			if http.Path == "" {
				http.Path = DefaultHTTPPath
			}
			c.portRef(&http.Port, "lifecycle", h.name, "http", "port")
		}
	}
}

// containers checks sidecars and init containers: unique names and port
// names in the pod, mounts of the app's own volumes.
func (c *appChecker) containers() {
	names := map[string]string{c.app.Name: "the app's container"}
	ports := map[string]string{}
	for name := range c.app.Ports {
		ports[name] = "the app"
	}
	for i, use := range c.app.Uses {
		if !use.Waits() {
			continue
		}
		if w := WaitContainerName(use.App); w == c.app.Name {
			c.fail(fmt.Sprintf("the app's container, named after the app, would have the name of the container that waits for %s; rename the app, or use %s with wait: false", use.App, use.App), c.app.Uses.Field(i)...)
		} else {
			names[w] = "a wait for uses"
		}
	}
	check := func(ctr *Container, field ...string) {
		if other, ok := names[ctr.Name]; ok {
			c.fail(fmt.Sprintf("container name %s is taken by %s", ctr.Name, other), field...)
		}
		names[ctr.Name] = fieldString(field)
		c.image(ctr.Image, &ctr.ImagePullPolicy, append(field, "image")...)
		for _, p := range slices.Sorted(maps.Keys(ctr.Ports)) {
			if other, ok := ports[p]; ok {
				c.fail("port name is also used by "+other, append(field, "ports", p)...)
			}
			ports[p] = fieldString(field)
		}
		for name, p := range ctr.Ports {
			if p.Protocol == "" {
				p.Protocol = DefaultProtocol
				ctr.Ports[name] = p
			}
		}
		for _, v := range slices.Sorted(maps.Keys(ctr.Mounts)) {
			if _, ok := c.app.Storage[v]; !ok {
				c.fail(fmt.Sprintf("%q is not a volume of storage (have %s)", v, keyList(c.app.Storage)), append(field, "mounts", v)...)
			}
		}
		c.containerResources(ctr.Resources, append(field, "resources")...)
		paths := map[string]string{}
		if ctr.ConfigMount != "" {
			if cfg := c.app.Config; cfg == nil || len(cfg.Files) == 0 {
				c.fail("the app has no config files to mount", append(field, "configMount")...)
			}
			paths[path.Clean(ctr.ConfigMount)] = "the config files"
		}
		for _, v := range slices.Sorted(maps.Keys(ctr.Mounts)) {
			p := path.Clean(ctr.Mounts[v])
			if other, ok := paths[p]; ok {
				c.fail(fmt.Sprintf("%s is also where %s is mounted", p, other), append(field, "mounts", v)...)
			}
			paths[p] = v
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.app.Sidecars)) {
		ctr := c.app.Sidecars[name]
		ctr.Name = name
		check(&ctr, "sidecars", name)
		c.app.Sidecars[name] = ctr
	}
	for i := range c.app.InitContainers {
		check(&c.app.InitContainers[i], "initContainers", index(i))
	}
}

// mountPaths checks that no two volumes of the main container share a
// mount path, and that none hides another.
func (c *appChecker) mountPaths() {
	type mount struct {
		path  string
		field []string
	}
	var mounts []mount
	if cfg := c.app.Config; cfg != nil && len(cfg.DirFiles()) > 0 {
		mounts = append(mounts, mount{cfg.MountPath, []string{"config", "mountPath"}})
	}
	if cfg := c.app.Config; cfg != nil {
		for _, key := range slices.Sorted(maps.Keys(cfg.FileMounts)) {
			mounts = append(mounts, mount{cfg.FileMounts[key], []string{"config", "fileMounts", key}})
		}
	}
	for _, cfg := range c.app.Shared {
		if len(cfg.DirFiles()) > 0 {
			mounts = append(mounts, mount{cfg.MountPath, []string{"configs", index(cfg.At)}})
		}
		for _, key := range slices.Sorted(maps.Keys(cfg.FileMounts)) {
			mounts = append(mounts, mount{cfg.FileMounts[key], []string{"configs", index(cfg.At)}})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.app.Storage)) {
		mounts = append(mounts, mount{c.app.Storage[name].MountPath, []string{"storage", name, "mountPath"}})
	}
	for _, name := range slices.Sorted(maps.Keys(c.app.Secrets.Files)) {
		mounts = append(mounts, mount{c.app.Secrets.Files[name].MountPath, []string{"secrets", "files", name, "mountPath"}})
	}
	if p := c.app.PodInfo; p != nil {
		mounts = append(mounts, mount{p.MountPath, []string{"podInfo", "mountPath"}})
		if !p.Labels && !p.Annotations {
			p.Labels, p.Annotations = true, true
		}
	}
	for i, m := range mounts {
		c.shadows(m.path, m.field...)
		for _, prev := range mounts[:i] {
			a, b := path.Clean(m.path), path.Clean(prev.path)
			if a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/") {
				c.fail(fmt.Sprintf("%s overlaps %s at %s", a, fieldString(prev.field), b), m.field...)
			}
		}
	}
}

// systemDirs are directories of an image that a mount would hide.
var systemDirs = []string{"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var"}

// shadows warns of a mount that hides a directory of the image's system.
func (c *appChecker) shadows(p string, field ...string) {
	if p = path.Clean(p); slices.Contains(systemDirs, p) {
		c.warn(fmt.Sprintf("mounting at %s hides the image's own %s; mount into a directory of its own, or one file with subPath", p, p), field...)
	}
}
