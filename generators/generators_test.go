package generators

import (
	"flag"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kdecl/kdecl/schema"
)

// update is accepted so that go test ./... -update works in every package.
var _ = flag.Bool("update", false, "no golden files in this package")

var stack = &schema.Stack{Name: "shop", Namespace: "prod"}

var (
	wantSelector = map[string]string{LabelName: "web", LabelInstance: "shop"}
	// wantLabels are those of a workload and its pods; the app's other
	// objects have them without the version.
	wantLabels = map[string]string{
		LabelName: "web", LabelInstance: "shop", LabelPartOf: "shop",
		LabelManagedBy: "kdecl", LabelVersion: "1.27",
	}
	wantAppLabels = map[string]string{
		LabelName: "web", LabelInstance: "shop", LabelPartOf: "shop",
		LabelManagedBy: "kdecl",
	}
)

func TestDeployment(t *testing.T) {
	for _, tc := range []struct {
		name string
		app  schema.App
		want *appsv1.Deployment
	}{{
		name: "minimal",
		app: schema.App{
			Name: "web", Kind: schema.KindDeployment, Image: "nginx:1.27",
			ImagePullPolicy: "IfNotPresent", Replicas: 2,
		},
		want: &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", Labels: wantLabels},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr(int32(2)),
				Selector: &metav1.LabelSelector{MatchLabels: wantSelector},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: wantLabels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: "web", Image: "nginx:1.27", ImagePullPolicy: "IfNotPresent",
					}}},
				},
			},
		},
	}, {
		name: "config, probes, resources",
		app: schema.App{
			Name: "web", Kind: schema.KindDeployment, Image: "nginx:1.27",
			ImagePullPolicy: "IfNotPresent", Replicas: 1,
			Env:   map[string]string{"B": "2"},
			Ports: map[string]schema.Port{"http": {Port: 80, Protocol: "TCP"}, "dns": {Port: 53, Protocol: "UDP"}},
			Config: &schema.Config{
				Env:       map[string]string{"A": "1"},
				Files:     map[string]string{"app.conf": "x"},
				MountPath: "/etc/web",
				FileEnv:   map[string]string{"CONF": "app.conf"},
			},
			Probes: schema.Probes{
				Liveness:  &schema.Probe{HTTP: &schema.HTTPProbe{Path: "/", Port: schema.PortRef{Name: "http"}}, PeriodSeconds: 5},
				Readiness: &schema.Probe{TCP: &schema.TCPProbe{Port: schema.PortRef{Number: 81}}},
				Startup:   &schema.Probe{Exec: &schema.ExecProbe{Command: []string{"true"}}, TerminationGracePeriodSeconds: 9},
			},
			Resources:      schema.Resources{Requests: map[string]string{"cpu": "100m"}},
			PodAnnotations: map[string]string{"a": "b"},
		},
		want: &appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", Labels: wantLabels},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr(int32(1)),
				Selector: &metav1.LabelSelector{MatchLabels: wantSelector},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{
						Labels:      wantLabels,
						Annotations: map[string]string{"a": "b", AnnotationConfigHash: "c67dd0d88ca1a7d0"},
					},
					Spec: corev1.PodSpec{
						Containers: []corev1.Container{{
							Name: "web", Image: "nginx:1.27", ImagePullPolicy: "IfNotPresent",
							Ports: []corev1.ContainerPort{
								{Name: "dns", ContainerPort: 53, Protocol: "UDP"},
								{Name: "http", ContainerPort: 80, Protocol: "TCP"},
							},
							Env: []corev1.EnvVar{
								{Name: "A", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
									LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"}, Key: "A",
								}}},
								{Name: "B", Value: "2"},
								{Name: "CONF", Value: "/etc/web/app.conf"},
							},
							Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{"cpu": resource.MustParse("100m")}},
							VolumeMounts: []corev1.VolumeMount{
								{Name: schema.ConfigVolume, MountPath: "/etc/web", ReadOnly: true},
							},
							LivenessProbe: &corev1.Probe{
								ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromString("http")}},
								PeriodSeconds: 5,
							},
							ReadinessProbe: &corev1.Probe{
								ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(81)}},
							},
							StartupProbe: &corev1.Probe{
								ProbeHandler:                  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}},
								TerminationGracePeriodSeconds: ptr(int64(9)),
							},
						}},
						Volumes: []corev1.Volume{{
							Name: schema.ConfigVolume,
							VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
								LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"},
								Items:                []corev1.KeyToPath{{Key: "app.conf", Path: "app.conf"}},
							}},
						}},
					},
				},
			},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := Deployment(stack, &tc.app)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Deployment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestService(t *testing.T) {
	ports := map[string]schema.Port{"http": {Port: 80, Protocol: "TCP"}}
	for _, tc := range []struct {
		name string
		app  schema.App
		want *corev1.Service
	}{{
		name: "no ports",
		app:  schema.App{Name: "web", Image: "nginx:1.27", Expose: schema.Expose{Type: "ClusterIP"}},
	}, {
		name: "none",
		app:  schema.App{Name: "web", Image: "nginx:1.27", Ports: ports, Expose: schema.Expose{Type: schema.ExposeNone}},
	}, {
		name: "node port",
		app: schema.App{
			Name: "web", Image: "nginx:1.27", Ports: ports,
			Annotations: map[string]string{"o": "1"},
			Expose: schema.Expose{
				Type:        "NodePort",
				NodePorts:   map[string]int32{"http": 30080},
				Annotations: map[string]string{"s": "2"},
			},
		},
		want: &corev1.Service{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{
				Name: "web", Namespace: "prod", Labels: wantAppLabels,
				Annotations: map[string]string{"o": "1", "s": "2"},
			},
			Spec: corev1.ServiceSpec{
				Type:     "NodePort",
				Selector: wantSelector,
				Ports: []corev1.ServicePort{{
					Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: "TCP", NodePort: 30080,
				}},
			},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := Service(stack, &tc.app)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Service (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigHash(t *testing.T) {
	app := func(env, files map[string]string) *schema.App {
		return &schema.App{Name: "web", Config: &schema.Config{Env: env, Files: files}}
	}
	base := configHash(app(map[string]string{"a": "1"}, nil))
	for _, tc := range []struct {
		name string
		app  *schema.App
		same bool
	}{
		{"same content", app(map[string]string{"a": "1"}, nil), true},
		{"same key as a file", app(nil, map[string]string{"a": "1"}), true}, // one ConfigMap, same data
		{"other value", app(map[string]string{"a": "2"}, nil), false},
		{"other key", app(map[string]string{"b": "1"}, nil), false},
		{"shifted boundary", app(map[string]string{"a1": ""}, nil), false},
		{"more keys", app(map[string]string{"a": "1", "b": ""}, nil), false},
		{"a shared config besides", shared(app(map[string]string{"a": "1"}, nil), "common", map[string]string{"x": "1"}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := configHash(tc.app) == base; got != tc.same {
				t.Errorf("hash equal to base: %v, want %v", got, tc.same)
			}
		})
	}
	if got := configHash(&schema.App{Name: "web"}); got != "" {
		t.Errorf("hash without config = %q, want empty", got)
	}
	// A change to a config of the stack's rolls every app that uses it.
	one := shared(app(nil, nil), "common", map[string]string{"x": "1"})
	for _, tc := range []struct {
		name string
		app  *schema.App
		same bool
	}{
		{"same shared config", shared(app(nil, nil), "common", map[string]string{"x": "1"}), true},
		{"other value", shared(app(nil, nil), "common", map[string]string{"x": "2"}), false},
		{"other config of the same content", shared(app(nil, nil), "other", map[string]string{"x": "1"}), false},
		{"the content in the app's own config", app(map[string]string{"x": "1"}, nil), false},
	} {
		t.Run("shared: "+tc.name, func(t *testing.T) {
			if got := configHash(tc.app) == configHash(one); got != tc.same {
				t.Errorf("hash equal: %v, want %v", got, tc.same)
			}
		})
	}
}

// shared has a use the stack's config name, holding env.
func shared(a *schema.App, name string, env map[string]string) *schema.App {
	a.Shared = append(a.Shared, schema.SharedConfig{Name: name, Config: &schema.Config{Env: env}})
	return a
}

func TestImageVersion(t *testing.T) {
	for image, want := range map[string]string{
		"nginx:1.27":                          "1.27",
		"nginx":                               "",
		"registry:5000/team/app":              "",
		"registry:5000/team/app:v2.0.1-rc.1":  "v2.0.1-rc.1",
		"redis@sha256:abc":                    "",
		"app:" + string(make([]byte, 70)):     "",
		"quay.io/kubernetes-for-developers/x": "",
	} {
		if got := imageVersion(image); got != want {
			t.Errorf("imageVersion(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestStackOrder(t *testing.T) {
	s := &schema.Stack{Name: "shop", Namespace: "prod", Apps: []schema.App{
		{Name: "b", Kind: schema.KindDeployment, Image: "x:1", Ports: map[string]schema.Port{"http": {Port: 80}}, Expose: schema.Expose{Type: "ClusterIP"}},
		{Name: "a", Kind: schema.KindDeployment, Image: "x:1", Config: &schema.Config{Env: map[string]string{"K": "v"}}, Expose: schema.Expose{Type: schema.ExposeNone}},
	}}
	ms, err := Stack(s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Kind()+"/"+m.App+"/"+m.Object.GetName())
	}
	want := []string{
		"Namespace//prod",
		"ConfigMap/a/a-config",
		"Service/b/b",
		"Deployment/a/a",
		"Deployment/b/b",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestJobName(t *testing.T) {
	app := func(name string, command ...string) *schema.App {
		return &schema.App{Name: name, Kind: schema.KindJob, Image: "busybox:1.36", Command: command, RestartPolicy: "Never"}
	}
	name := func(a *schema.App) string { return Job(stack, a).Name }

	base := name(app("migrate", "echo", "1"))
	if again := name(app("migrate", "echo", "1")); again != base {
		t.Errorf("the same job is named %s and %s", base, again)
	}
	if changed := name(app("migrate", "echo", "2")); changed == base {
		t.Errorf("a changed job keeps the name %s", base)
	}
	long := strings.Repeat("a", 52) // the longest app name
	if n := name(app(long, "true")); len(n) > 63 || !strings.HasPrefix(n, long+"-") {
		t.Errorf("job name %q: want <app>-<hash> of at most 63 characters", n)
	}
}

// TestAppObjects: schema.AppObjects, by which overrides name their
// targets, lists exactly the objects the generators make.
func TestAppObjects(t *testing.T) {
	s := &schema.Stack{Name: "shop"}
	ports := map[string]schema.Port{"http": {Port: 80, Protocol: "TCP"}}
	storage := map[string]schema.Volume{
		"data": {Type: schema.VolumePersistent, Size: "1Gi", MountPath: "/data", AccessModes: []string{"ReadWriteOnce"}},
		"tmp":  {Type: schema.VolumeEmptyDir, MountPath: "/tmp"},
		"logs": {Type: schema.VolumePersistent, Size: "1Gi", MountPath: "/logs", AccessModes: []string{"ReadWriteOnce"}},
	}
	config := &schema.Config{Env: map[string]string{"K": "v"}, MountPath: "/etc/x"}
	for _, a := range []schema.App{
		{Name: "web", Kind: schema.KindDeployment, Ports: ports, Expose: schema.Expose{Type: "ClusterIP"}, Storage: storage, Config: config},
		{Name: "bare", Kind: schema.KindDeployment, Expose: schema.Expose{Type: schema.ExposeNone}},
		{Name: "db", Kind: schema.KindStatefulSet, Replicas: 1, Ports: ports, Expose: schema.Expose{Type: "ClusterIP"}, Storage: storage},
		{Name: "peers", Kind: schema.KindStatefulSet, Ports: ports, Expose: schema.Expose{Type: schema.ExposeNone}},
		{Name: "once", Kind: schema.KindJob, RestartPolicy: "Never", Ports: ports, Expose: schema.Expose{Type: "ClusterIP"}, Storage: storage, Config: config},
		{Name: "tick", Kind: schema.KindCronJob, RestartPolicy: "Never", Expose: schema.Expose{Type: schema.ExposeNone}, Config: config},
	} {
		t.Run(a.Name, func(t *testing.T) {
			a.Image = "x:1"
			objs, err := App(s, &a)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, o := range objs {
				name := o.GetName()
				if o.GetObjectKind().GroupVersionKind().Kind == "Job" {
					name = "" // ends in a hash
				}
				got = append(got, o.GetObjectKind().GroupVersionKind().Kind+"/"+name)
			}
			for _, r := range schema.AppObjects(&a) {
				want = append(want, r.Kind+"/"+r.Name)
			}
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-AppObjects +generated):\n%s", diff)
			}
		})
	}
}

// TestOverrideAddsToLists: a patch that adds a volume, a mount and an
// env var adds them beside kdecl's, each element whole.
func TestOverrideAddsToLists(t *testing.T) {
	a := &schema.App{
		Name: "web", Kind: schema.KindDeployment, Image: "x:1", Replicas: 1,
		Expose: schema.Expose{Type: schema.ExposeNone},
		Storage: map[string]schema.Volume{
			"cache": {Type: schema.VolumePersistent, Size: "1Gi", MountPath: "/cache", AccessModes: []string{"ReadWriteOnce"}},
		},
		Env: map[string]string{"A": "1"},
		Overrides: map[string]map[string]any{
			schema.OverridePod: {"volumes": []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}}},
			schema.OverrideContainer: {
				"volumeMounts": []any{map[string]any{"name": "tmp", "mountPath": "/tmp"}},
				"env":          []any{map[string]any{"name": "B", "value": "2"}},
			},
		},
	}
	objs, err := App(&schema.Stack{Name: "shop"}, a)
	if err != nil {
		t.Fatal(err)
	}
	spec := objs[len(objs)-1].(*appsv1.Deployment).Spec.Template.Spec
	wantVolumes := []corev1.Volume{
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "cache", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "web-cache"}}},
	}
	if diff := cmp.Diff(wantVolumes, spec.Volumes); diff != "" {
		t.Errorf("volumes (-want +got):\n%s", diff)
	}
	wantMounts := []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}, {Name: "cache", MountPath: "/cache"}}
	if diff := cmp.Diff(wantMounts, spec.Containers[0].VolumeMounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	wantEnv := []corev1.EnvVar{{Name: "B", Value: "2"}, {Name: "A", Value: "1"}}
	if diff := cmp.Diff(wantEnv, spec.Containers[0].Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
}

// TestImageBumpTouchesOnlyTheWorkload: a new image changes the workload
// (its version label and pod template) and nothing else of the app, so a
// review of an image bump shows one object.
func TestImageBumpTouchesOnlyTheWorkload(t *testing.T) {
	for _, kind := range []string{schema.KindDeployment, schema.KindStatefulSet, schema.KindDaemonSet, schema.KindCronJob} {
		t.Run(kind, func(t *testing.T) {
			app := func(image string) *schema.App {
				return &schema.App{
					Name: "web", Kind: kind, Image: image, Replicas: 1, Schedule: "0 * * * *",
					Ports:          map[string]schema.Port{"http": {Port: 80, Protocol: "TCP"}},
					Expose:         schema.Expose{Type: "ClusterIP"},
					Config:         &schema.Config{Env: map[string]string{"A": "b"}},
					Storage:        map[string]schema.Volume{"data": {Type: schema.VolumePersistent, MountPath: "/data", Size: "1Gi", AccessModes: []string{"ReadWriteOnce"}}},
					ServiceAccount: &schema.ServiceAccount{},
				}
			}
			before, err := App(stack, app("nginx:1.27"))
			if err != nil {
				t.Fatal(err)
			}
			after, err := App(stack, app("nginx:1.28"))
			if err != nil {
				t.Fatal(err)
			}
			if len(before) != len(after) || len(before) < 4 {
				t.Fatalf("%d objects before, %d after", len(before), len(after))
			}
			var changed []string
			for i := range before {
				if !cmp.Equal(before[i], after[i]) {
					changed = append(changed, after[i].GetObjectKind().GroupVersionKind().Kind)
				}
			}
			want := map[string]string{
				schema.KindDeployment: "Deployment", schema.KindStatefulSet: "StatefulSet",
				schema.KindDaemonSet: "DaemonSet", schema.KindCronJob: "CronJob",
			}[kind]
			if !slices.Equal(changed, []string{want}) {
				t.Errorf("an image bump changes %v, want only the %s", changed, want)
			}
		})
	}
}
