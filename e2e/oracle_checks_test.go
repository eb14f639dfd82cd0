package e2e

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kubectlutil "k8s.io/kubectl/pkg/util"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	podutil "k8s.io/kubernetes/pkg/api/pod"
	api "k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install" // v1 defaults and conversions in legacyscheme
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/registry/core/service/portallocator"
	"sigs.k8s.io/yaml"
)

// manifest is one object of a rendered stack.
type manifest struct {
	path string // the file, relative to the deploy directory
	yaml []byte
	obj  *unstructured.Unstructured // nil when the YAML does not parse
	kind string
}

// read parses every object of the stack's deploy directory. A document
// that does not parse is the stack's problem; it is still an object that
// kubectl reports on.
func (s *oracleStack) read(t *testing.T) {
	err := filepath.WalkDir(s.out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.out, path)
		for _, doc := range documents(b) {
			m := &manifest{path: rel, yaml: doc}
			s.objects = append(s.objects, m)
			j, err := yaml.YAMLToJSON(doc)
			if err == nil {
				m.obj = &unstructured.Unstructured{}
				err = m.obj.UnmarshalJSON(j)
			}
			if err != nil {
				m.obj = nil
				s.fail("parse: %s: %v", rel, err)
				continue
			}
			m.kind = m.obj.GetKind()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkStack checks what a server-side dry run does not, as the API server
// and kubectl would on a real kubectl apply of the stack:
//
//   - no two objects share a kind, namespace and name: kubectl would
//     silently make the second overwrite the first, where a dry run
//     creates each on its own;
//   - every node port a Service pins is allocated, with the allocator of
//     the API server over its default range 30000-32767, for all Services
//     of the stack: a dry run neither checks the range nor remembers
//     another Service's ports;
//   - kubectl apply's copy of each object in the annotation
//     kubectl.kubernetes.io/last-applied-configuration leaves its
//     annotations within the API's 256 KiB;
//   - a Pod of each workload, as its controller makes it, passes the API
//     server's validation of Pods: a dry run of the workload validates
//     its pod template, and some rules hold for Pods only (no white space
//     around an image).
func checkStack(s *oracleStack) {
	checkNames(s)
	checkNodePorts(s)
	checkLastApplied(s)
	checkPods(s)
}

func checkNames(s *oracleStack) {
	type key struct{ group, kind, namespace, name string }
	seen := map[key]string{}
	for _, m := range s.objects {
		if m.obj == nil {
			continue
		}
		gvk := m.obj.GroupVersionKind()
		k := key{gvk.Group, gvk.Kind, m.obj.GetNamespace(), m.obj.GetName()}
		if prev, ok := seen[k]; ok {
			s.fail("names: %s %q is written twice, by %s and %s: kubectl apply makes the second overwrite the first",
				k.kind, k.name, prev, m.path)
			continue
		}
		seen[k] = m.path
	}
}

// nodePortRange is the API server's default --service-node-port-range,
// which the e2e cluster uses.
var nodePortRange = utilnet.PortRange{Base: 30000, Size: 2768}

// checkNodePorts allocates the node ports the stack's Services pin, in the
// order kubectl applies them, the way the API server's Service storage
// does on create (initNodePorts in pkg/registry/core/service/storage):
// ports of one Service with the same port number may share a node port.
// The ports the server would choose itself are left out: they never
// collide with the ones a Service asks for in a way kdecl could prevent.
func checkNodePorts(s *oracleStack) {
	alloc, err := portallocator.NewInMemory(nodePortRange)
	if err != nil {
		panic(err) // a fixed, valid range
	}
	op := portallocator.StartOperation(alloc, false)
	for _, m := range s.objects {
		if m.obj == nil || m.kind != "Service" {
			continue
		}
		var svc corev1.Service
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m.obj.Object, &svc); err != nil {
			s.fail("node ports: %s: %v", m.path, err)
			continue
		}
		if svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		ports := svc.Spec.Ports
		byPort := map[int32]int32{} // service port to its node port
		for i, p := range ports {
			allocated := byPort[p.Port]
			np := p.NodePort
			switch {
			case allocated == 0:
				np = requestedNodePort(p.Port, ports)
				if np == 0 {
					continue // the server chooses one
				}
				byPort[p.Port] = np
			case np == 0 || np == allocated:
				continue // shares the node port of an equal service port
			}
			if err := op.Allocate(int(np)); err != nil {
				s.fail("node ports: Service %q is invalid: spec.ports[%d].nodePort: Invalid value: %d: %v (%s)", svc.Name, i, np, err, m.path)
			}
		}
	}
}

// requestedNodePort is the node port the first of ports with the service
// port number asks for, or 0.
func requestedNodePort(port int32, ports []corev1.ServicePort) int32 {
	i := slices.IndexFunc(ports, func(p corev1.ServicePort) bool { return p.Port == port && p.NodePort != 0 })
	if i < 0 {
		return 0
	}
	return ports[i].NodePort
}

// checkLastApplied adds the annotation kubectl apply adds, with kubectl's
// own code, and validates the annotations with the API server's.
func checkLastApplied(s *oracleStack) {
	for _, m := range s.objects {
		if m.obj == nil {
			continue
		}
		obj := m.obj.DeepCopy()
		if err := kubectlutil.CreateApplyAnnotation(obj, unstructured.UnstructuredJSONScheme); err != nil {
			s.fail("last-applied annotation: %s: %v", m.path, err)
			continue
		}
		errs := apivalidation.ValidateAnnotations(obj.GetAnnotations(), field.NewPath("metadata", "annotations"))
		if len(errs) > 0 {
			s.fail("last-applied annotation: %s %q is invalid: %v (%s)", obj.GetKind(), obj.GetName(), shortErrors(errs), m.path)
		}
	}
}

// shortErrors joins field errors, without the value of a huge annotation.
func shortErrors(errs field.ErrorList) error {
	var out []error
	for _, e := range errs {
		if s, ok := e.BadValue.(string); ok && len(s) > 200 {
			e.BadValue = fmt.Sprintf("%d bytes", len(s))
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// checkPods validates a Pod of each workload with the API server's own
// defaulting, conversion and validation, with the options of the pod
// registry's Validate.
func checkPods(s *oracleStack) {
	for _, m := range s.objects {
		if m.obj == nil {
			continue
		}
		pod, err := controllerPod(m.obj)
		if err != nil {
			s.fail("pods: %s: %v", m.path, err)
			continue
		}
		if pod == nil {
			continue // not a workload
		}
		legacyscheme.Scheme.Default(pod)
		var internal api.Pod
		if err := legacyscheme.Scheme.Convert(pod, &internal, nil); err != nil {
			s.fail("pods: %s: %v", m.path, err)
			continue
		}
		opts := podutil.GetValidationOptionsFromPodSpecAndMeta(&internal.Spec, nil, &internal.ObjectMeta, nil)
		opts.ResourceIsPod = true
		if errs := corevalidation.ValidatePodCreate(&internal, opts); len(errs) > 0 {
			s.fail("pods: Pod %q is invalid: %v (the %s's Pod, %s)", pod.Name, shortErrors(errs), m.kind, m.path)
		}
	}
}

// podHash stands for the hashes controllers put in names and labels.
const podHash = "5d8f7c9b6d"

// controllerPod is the Pod the controller of a Deployment, DaemonSet,
// StatefulSet, Job or CronJob makes, with the names and labels it adds; nil for
// another object. A StatefulSet's Pod is its last, with the longest name,
// and has a volume for each claim template.
func controllerPod(u *unstructured.Unstructured) (*corev1.Pod, error) {
	var tmpl corev1.PodTemplateSpec
	var name string
	labels := map[string]string{}
	var claims []corev1.PersistentVolumeClaim
	var sts *appsv1.StatefulSet
	from := func(obj any) error {
		return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj)
	}
	jobLabels := func(job string) {
		name = job + "-abcde"
		maps.Copy(labels, map[string]string{
			"batch.kubernetes.io/controller-uid": "0b9c1a8e-3f2d-4c5b-9a7e-6d5c4b3a2f1e", "controller-uid": "0b9c1a8e-3f2d-4c5b-9a7e-6d5c4b3a2f1e",
			"batch.kubernetes.io/job-name": job, "job-name": job,
		})
	}
	switch u.GetKind() {
	case "Deployment":
		var d appsv1.Deployment
		if err := from(&d); err != nil {
			return nil, err
		}
		tmpl, name = d.Spec.Template, d.Name+"-"+podHash+"-abcde"
		labels[appsv1.DefaultDeploymentUniqueLabelKey] = podHash
	case "DaemonSet":
		var d appsv1.DaemonSet
		if err := from(&d); err != nil {
			return nil, err
		}
		tmpl, name = d.Spec.Template, d.Name+"-abcde"
		maps.Copy(labels, map[string]string{
			appsv1.ControllerRevisionHashLabelKey: podHash, "pod-template-generation": "1",
		})
	case "StatefulSet":
		sts = &appsv1.StatefulSet{}
		if err := from(sts); err != nil {
			return nil, err
		}
		ordinal := max(ptrValue(sts.Spec.Replicas, 1)-1, 0)
		tmpl, name, claims = sts.Spec.Template, fmt.Sprintf("%s-%d", sts.Name, ordinal), sts.Spec.VolumeClaimTemplates
		maps.Copy(labels, map[string]string{
			appsv1.ControllerRevisionHashLabelKey: sts.Name + "-" + podHash,
			appsv1.StatefulSetPodNameLabel:        name,
			appsv1.PodIndexLabel:                  fmt.Sprint(ordinal),
		})
	case "Job":
		var j batchv1.Job
		if err := from(&j); err != nil {
			return nil, err
		}
		tmpl = j.Spec.Template
		jobLabels(j.Name)
	case "CronJob":
		var cj batchv1.CronJob
		if err := from(&cj); err != nil {
			return nil, err
		}
		tmpl = cj.Spec.JobTemplate.Spec.Template
		jobLabels(cj.Name + "-29000000") // the Job of a schedule time in minutes
	default:
		return nil, nil
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: *tmpl.ObjectMeta.DeepCopy(),
		Spec:       *tmpl.Spec.DeepCopy(),
	}
	pod.Name, pod.Namespace = name, u.GetNamespace()
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	maps.Copy(pod.Labels, labels)
	if sts != nil {
		pod.Spec.Hostname, pod.Spec.Subdomain = name, sts.Spec.ServiceName
		for _, c := range claims {
			pod.Spec.Volumes = slices.DeleteFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == c.Name })
			pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: c.Name, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.Name + "-" + name},
			}})
		}
	}
	return pod, nil
}

func ptrValue[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
