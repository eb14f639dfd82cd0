package generators

import (
	"cmp"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// RenderedJobName is the name of the Job of the stack's job app job, as
// App renders it, overrides included: its name ends in a hash of its
// spec, so the pods that wait for it wait for this Job and no other.
func RenderedJobName(s *schema.Stack, job string) string {
	i, ok := slices.BinarySearchFunc(s.Apps, job, func(a schema.App, name string) int { return cmp.Compare(a.Name, name) })
	if !ok {
		panic("kdecl: job " + job + " is not an app of the stack") // Load resolved it
	}
	a := &s.Apps[i]
	objs, err := overridden(s, a)
	if err == nil {
		for _, obj := range objs {
			if j, ok := obj.(*batchv1.Job); ok {
				return JobName(a, j.Spec)
			}
		}
	}
	// App(s, a) fails the render with err; the name is never written.
	return JobName(a, jobSpec(s, a))
}

// JobWaitArgs are kubectl's arguments that wait for the Job called name
// of the stack: until it exists (the Job may be created after the pods
// that wait for it, as Flux and kubectl apply it after workloads), then
// until it has completed, for JobWaitTimeout.
func JobWaitArgs(s *schema.Stack, name string) []string {
	args := []string{"wait", "--for=create", "--for=condition=complete", "job/" + name, "--timeout=" + JobWaitTimeout}
	if s.Namespace != "" {
		args = append(args, "--namespace="+s.Namespace)
	}
	return args
}

// WaitRole lets the pods of an app that waits for jobs read those Jobs,
// by name, and nothing else: get, list and watch are what kubectl wait
// does.
func WaitRole(s *schema.Stack, a *schema.App) *rbacv1.Role {
	if len(a.After) == 0 {
		return nil
	}
	var names []string
	for _, job := range a.After {
		names = append(names, RenderedJobName(s, job))
	}
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: objectMeta(s, a, schema.WaitRoleName(a.Name)),
		Rules: []rbacv1.PolicyRule{{
			APIGroups:     []string{batchv1.GroupName},
			Resources:     []string{"jobs"},
			Verbs:         []string{"get", "list", "watch"},
			ResourceNames: names,
		}},
	}
}

// WaitRoleBinding grants WaitRole to the app's ServiceAccount. A subject
// without a namespace is in the binding's: the stack's, or kubectl's.
func WaitRoleBinding(s *schema.Stack, a *schema.App) *rbacv1.RoleBinding {
	if len(a.After) == 0 {
		return nil
	}
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: objectMeta(s, a, schema.WaitRoleName(a.Name)),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: schema.WaitRoleName(a.Name)},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: a.ServiceAccountName(), Namespace: s.Namespace}},
	}
}
