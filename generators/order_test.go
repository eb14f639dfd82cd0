package generators

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kdecl/kdecl/schema"
)

// orderStack is a stack as Load leaves it: a job that runs before web
// and worker, web using db, worker using web without waiting.
func orderStack(argocd *schema.ArgoCD) *schema.Stack {
	return &schema.Stack{Name: "shop", Namespace: "prod", ArgoCD: argocd, Apps: []schema.App{
		{Name: "db", Kind: schema.KindStatefulSet, Image: "postgres:16.4", Replicas: 1},
		{Name: "migrate", Kind: schema.KindJob, Image: "migrate:1", RestartPolicy: "Never",
			Before: schema.Before{{App: "web"}, {App: "worker"}}, Dependencies: []schema.Dependency{{App: "db", Wait: true}}},
		{Name: "web", Kind: schema.KindDeployment, Image: "web:1", Replicas: 1, After: []string{"migrate"},
			Dependencies: []schema.Dependency{{App: "db", Wait: true}}},
		{Name: "worker", Kind: schema.KindDeployment, Image: "worker:1", Replicas: 1, After: []string{"migrate"},
			ServiceAccount: &schema.ServiceAccount{Name: "jobs", Create: ptr(false), AutomountToken: ptr(false)},
			Dependencies:   []schema.Dependency{{App: "web", Wait: false}}},
	}}
}

func TestSyncWaves(t *testing.T) {
	for _, tc := range []struct {
		name   string
		argocd *schema.ArgoCD
		want   map[string]int
	}{
		{"none", nil, nil},
		{"before", &schema.ArgoCD{}, map[string]int{"db": 1, "migrate": 1, "web": 2, "worker": 2}},
		// migrate waits for db, web for migrate and db; worker's use of
		// web does not wait
		{"uses", &schema.ArgoCD{SyncWaves: schema.SyncWavesUses}, map[string]int{"db": 1, "migrate": 2, "web": 3, "worker": 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, SyncWaves(orderStack(tc.argocd))); diff != "" {
				t.Errorf("SyncWaves (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWaitRBAC: the Role of an app that waits for jobs grants reading
// those Jobs, by their rendered names, and nothing else, to the app's
// ServiceAccount: its own when it has one, else one named after it.
func TestWaitRBAC(t *testing.T) {
	s := orderStack(nil)
	job := RenderedJobName(s, "migrate")
	objs, err := App(s, &s.Apps[1])
	if err != nil {
		t.Fatal(err)
	}
	if name := objs[len(objs)-1].GetName(); name != job {
		t.Fatalf("RenderedJobName is %s, App renders the Job %s", job, name)
	}
	for _, tc := range []struct{ app, account string }{{"web", "web"}, {"worker", "jobs"}} {
		a := &s.Apps[map[string]int{"web": 2, "worker": 3}[tc.app]]
		role, binding := WaitRole(s, a), WaitRoleBinding(s, a)
		want := []rbacv1.PolicyRule{{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "watch"}, ResourceNames: []string{job}}}
		if diff := cmp.Diff(want, role.Rules); diff != "" {
			t.Errorf("%s: Role rules (-want +got):\n%s", tc.app, diff)
		}
		wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: tc.account, Namespace: "prod"}}
		if diff := cmp.Diff(wantSubjects, binding.Subjects); diff != "" {
			t.Errorf("%s: RoleBinding subjects (-want +got):\n%s", tc.app, diff)
		}
		if binding.RoleRef.Name != role.Name || role.Name != tc.app+"-wait-for-jobs" {
			t.Errorf("%s: RoleBinding %s grants Role %s, want %s-wait-for-jobs", tc.app, binding.Name, binding.RoleRef.Name, tc.app)
		}
		pod := PodTemplate(s, a).Spec
		if pod.ServiceAccountName != tc.account {
			t.Errorf("%s: pods run as %q, want %q", tc.app, pod.ServiceAccountName, tc.account)
		}
		// The token is the wait's alone: the app's containers get one
		// only as the ServiceAccount says (worker's does not mount it).
		if want := tc.app == "worker"; (pod.AutomountServiceAccountToken != nil && !*pod.AutomountServiceAccountToken) != want {
			t.Errorf("%s: pods automount %v, want it as the app's serviceAccount says", tc.app, pod.AutomountServiceAccountToken)
		}
		c := pod.InitContainers[0]
		if c.Name != "wait-for-migrate" || c.Image != KubectlImage || c.Args[3] != "job/"+job {
			t.Errorf("%s: first init container %s %s %q, want the wait for job/%s", tc.app, c.Name, c.Image, c.Args, job)
		}
		token := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == schema.JobWaitTokenVolume })
		if token < 0 || pod.Volumes[token].Projected == nil || pod.Volumes[token].Projected.Sources[0].ServiceAccountToken == nil ||
			len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != schema.JobWaitTokenVolume || c.VolumeMounts[0].MountPath != ServiceAccountPath {
			t.Errorf("%s: the wait mounts %+v of volumes %+v, want the ServiceAccount's token at %s", tc.app, c.VolumeMounts, pod.Volumes, ServiceAccountPath)
		}
		for _, other := range append(pod.Containers, pod.InitContainers[1:]...) {
			if slices.ContainsFunc(other.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == schema.JobWaitTokenVolume }) {
				t.Errorf("%s: container %s mounts the wait's token", tc.app, other.Name)
			}
		}
	}
	if r := WaitRole(s, &s.Apps[0]); r != nil {
		t.Errorf("db waits for no job, and has a Role %s", r.Name)
	}
}

// TestSyncWavesNeverBeforeAWait: with syncWaves "before", an app is never
// in a wave before an app it waits for: Argo CD waits for a wave's health
// before the next, and a wait for a later wave's Service never ends. api
// waits for the job migrate, web for api's Service; seed runs before db,
// which migrate waits for.
func TestSyncWavesNeverBeforeAWait(t *testing.T) {
	s := &schema.Stack{Name: "shop", Namespace: "prod", ArgoCD: &schema.ArgoCD{}, Apps: []schema.App{
		{Name: "api", Kind: schema.KindDeployment, After: []string{"migrate"}},
		{Name: "db", Kind: schema.KindStatefulSet, After: []string{"seed"}},
		{Name: "migrate", Kind: schema.KindJob, Dependencies: []schema.Dependency{{App: "db", Wait: true}}},
		{Name: "seed", Kind: schema.KindJob},
		{Name: "web", Kind: schema.KindDeployment, Dependencies: []schema.Dependency{{App: "api", Wait: true}}},
		{Name: "worker", Kind: schema.KindDeployment, Dependencies: []schema.Dependency{{App: "api", Wait: false}}},
	}}
	want := map[string]int{"seed": 1, "db": 2, "migrate": 2, "api": 3, "web": 3, "worker": 1}
	if diff := cmp.Diff(want, SyncWaves(s)); diff != "" {
		t.Errorf("SyncWaves (-want +got):\n%s", diff)
	}
}
