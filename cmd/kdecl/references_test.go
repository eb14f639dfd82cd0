package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/schema"
)

// TestReferences checks, on the rendered YAML of every stack, that every
// reference between objects resolves: selectors to pod labels, Service
// target ports to container ports, serviceName to a headless Service,
// ConfigMap, Secret and PVC names and keys to what the stack defines or
// declares, volume mounts to volumes, paths in env to mounted files, and
// init container waits to real Service names; of the custom resources the
// stacks use, a ServiceMonitor's selector and ports to a Service, and the
// Secrets a Certificate or an ExternalSecret writes to Secrets the apps
// use.
func TestReferences(t *testing.T) {
	for _, sr := range stackRenders(t) {
		t.Run(sr.name(), func(t *testing.T) {
			var stream, secrets bytes.Buffer
			ctx := context.Background()
			if err := run(ctx, append([]string{"render", sr.dir, "-o", "-"}, sr.tags...), &stream, &stream); err != nil {
				t.Fatal(err)
			}
			if err := run(ctx, append([]string{"secrets", sr.dir, "--format", "json"}, sr.tags...), &secrets, &secrets); err != nil {
				t.Fatal(err)
			}
			var declared []generators.SecretRef
			if err := json.Unmarshal(secrets.Bytes(), &declared); err != nil {
				t.Fatal(err)
			}
			r := newRefChecker(t, splitDocuments(stream.Bytes()), declared)
			r.check()
		})
	}
}

type refChecker struct {
	t               *testing.T
	namespace       string
	configMaps      map[string]*corev1.ConfigMap
	services        map[string]*corev1.Service
	pvcs            map[string]bool
	serviceAccounts map[string]bool
	secrets         map[string]map[string]bool // secret → keys ("" for every key)
	pods            []pod
	// objects of the stack's own that refer to the rendered ones
	ingresses []*networkingv1.Ingress
	pdbs      []*policyv1.PodDisruptionBudget
	hpas      []*autoscalingv2.HorizontalPodAutoscaler
	// custom resources, by kind, as written
	custom map[string][]map[string]any
}

// pod is the pod template of a workload.
type pod struct {
	owner    string
	selector map[string]string // nil for a Job, which selects by uid
	template corev1.PodTemplateSpec
	claims   []corev1.PersistentVolumeClaim // a StatefulSet's templates
	service  string                         // a StatefulSet's serviceName
}

func newRefChecker(t *testing.T, docs [][]byte, declared []generators.SecretRef) *refChecker {
	r := &refChecker{
		t:               t,
		configMaps:      map[string]*corev1.ConfigMap{},
		services:        map[string]*corev1.Service{},
		pvcs:            map[string]bool{},
		serviceAccounts: map[string]bool{"default": true},
		secrets:         map[string]map[string]bool{},
		custom:          map[string][]map[string]any{},
	}
	for _, d := range declared {
		if r.secrets[d.Secret] == nil {
			r.secrets[d.Secret] = map[string]bool{}
		}
		r.secrets[d.Secret][d.Key] = true
	}
	for _, doc := range docs {
		var meta struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		obj, known := schema.NewObject(meta.APIVersion, meta.Kind)
		if custom := meta.APIVersion + " " + meta.Kind; !known && slices.Contains(customKinds, custom) {
			var o map[string]any
			if err := yaml.Unmarshal(doc, &o); err != nil {
				t.Fatal(err)
			}
			r.custom[custom] = append(r.custom[custom], o)
			continue
		}
		if !known {
			t.Fatalf("%s %s: not a kind of k8s.io/api", meta.APIVersion, meta.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatal(err)
		}
		switch o := obj.(type) {
		case *corev1.Namespace:
			r.namespace = o.Name
		case *corev1.ConfigMap:
			r.configMaps[o.Name] = o
		case *corev1.Service:
			r.services[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			r.pvcs[o.Name] = true
		case *appsv1.Deployment:
			r.pods = append(r.pods, pod{owner: "Deployment " + o.Name, selector: o.Spec.Selector.MatchLabels, template: o.Spec.Template})
		case *appsv1.StatefulSet:
			r.pods = append(r.pods, pod{owner: "StatefulSet " + o.Name, selector: o.Spec.Selector.MatchLabels,
				template: o.Spec.Template, claims: o.Spec.VolumeClaimTemplates, service: o.Spec.ServiceName})
		case *batchv1.Job:
			r.pods = append(r.pods, pod{owner: "Job " + o.Name, template: o.Spec.Template})
		case *batchv1.CronJob:
			r.pods = append(r.pods, pod{owner: "CronJob " + o.Name, template: o.Spec.JobTemplate.Spec.Template})
		case *corev1.ServiceAccount:
			r.serviceAccounts[o.Name] = true
		case *networkingv1.Ingress:
			r.ingresses = append(r.ingresses, o)
		case *policyv1.PodDisruptionBudget:
			r.pdbs = append(r.pdbs, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			r.hpas = append(r.hpas, o)
		}
	}
	if len(r.pods) == 0 {
		t.Fatal("no workloads")
	}
	return r
}

func (r *refChecker) errorf(format string, args ...any) {
	r.t.Helper()
	r.t.Errorf(format, args...)
}

func (r *refChecker) check() {
	for _, p := range r.pods {
		if p.selector != nil && !subset(p.selector, p.template.Labels) {
			r.errorf("%s: selector %v does not match pod labels %v", p.owner, p.selector, p.template.Labels)
		}
		if p.service != "" {
			svc, ok := r.services[p.service]
			switch {
			case !ok:
				r.errorf("%s: serviceName %s is not a Service of the stack", p.owner, p.service)
			case svc.Spec.ClusterIP != corev1.ClusterIPNone:
				r.errorf("%s: serviceName %s is not headless", p.owner, p.service)
			case !subset(svc.Spec.Selector, p.template.Labels):
				r.errorf("%s: its headless Service does not select its pods", p.owner)
			}
		}
		r.checkPod(p)
	}
	for _, svc := range r.services {
		r.checkService(svc)
	}
	for _, ing := range r.ingresses {
		for _, rule := range ing.Spec.Rules {
			for _, path := range rule.HTTP.Paths {
				b := path.Backend.Service
				svc, ok := r.services[b.Name]
				switch {
				case !ok:
					r.errorf("Ingress %s: backend %s is not a Service of the stack", ing.Name, b.Name)
				case !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool {
					return p.Name == b.Port.Name && (b.Port.Number == 0 || p.Port == b.Port.Number)
				}):
					r.errorf("Ingress %s: Service %s has no port %s", ing.Name, b.Name, b.Port.Name)
				}
			}
		}
	}
	for _, pdb := range r.pdbs {
		if !slices.ContainsFunc(r.pods, func(p pod) bool { return subset(pdb.Spec.Selector.MatchLabels, p.template.Labels) }) {
			r.errorf("PodDisruptionBudget %s selects no pods of the stack", pdb.Name)
		}
	}
	for _, hpa := range r.hpas {
		ref := hpa.Spec.ScaleTargetRef
		if !slices.ContainsFunc(r.pods, func(p pod) bool { return p.owner == ref.Kind+" "+ref.Name }) {
			r.errorf("HorizontalPodAutoscaler %s scales %s %s, which is not a workload of the stack", hpa.Name, ref.Kind, ref.Name)
		}
	}
	r.checkCustom()
}

// customKinds are the custom resources whose references TestReferences
// checks; a stack's other kinds fail it.
var customKinds = []string{
	"monitoring.coreos.com/v1 ServiceMonitor",
	"cert-manager.io/v1 Certificate",
	"external-secrets.io/v1 ExternalSecret",
}

// checkCustom checks the references of the custom resources: the Service
// a ServiceMonitor scrapes, by label and port name, and the Secrets a
// Certificate or an ExternalSecret writes, which an app must use.
func (r *refChecker) checkCustom() {
	str := func(o map[string]any, path ...string) string {
		var v any = o
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		s, _ := v.(string)
		return s
	}
	for _, sm := range r.custom["monitoring.coreos.com/v1 ServiceMonitor"] {
		name := str(sm, "metadata", "name")
		spec, _ := sm["spec"].(map[string]any)
		selector := map[string]string{}
		if m, ok := spec["selector"].(map[string]any)["matchLabels"].(map[string]any); ok {
			for k, v := range m {
				selector[k], _ = v.(string)
			}
		}
		var selected []*corev1.Service
		for _, svc := range r.services {
			if len(selector) > 0 && subset(selector, svc.Labels) {
				selected = append(selected, svc)
			}
		}
		if len(selected) == 0 {
			r.errorf("ServiceMonitor %s selects no Service of the stack", name)
		}
		endpoints, _ := spec["endpoints"].([]any)
		for _, e := range endpoints {
			port := str(e.(map[string]any), "port")
			for _, svc := range selected {
				if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == port }) {
					r.errorf("ServiceMonitor %s scrapes port %q, which Service %s has not", name, port, svc.Name)
				}
			}
		}
	}
	writes := func(kind, secret string) {
		if r.secrets[secret] == nil {
			r.errorf("%s writes Secret %s, which no app uses", kind, secret)
		}
	}
	for _, c := range r.custom["cert-manager.io/v1 Certificate"] {
		writes("Certificate "+str(c, "metadata", "name"), str(c, "spec", "secretName"))
	}
	for _, es := range r.custom["external-secrets.io/v1 ExternalSecret"] {
		target := str(es, "spec", "target", "name")
		if target == "" {
			target = str(es, "metadata", "name")
		}
		writes("ExternalSecret "+str(es, "metadata", "name"), target)
	}
}

func (r *refChecker) checkService(svc *corev1.Service) {
	var selected []pod
	for _, p := range r.pods {
		if p.selector != nil && subset(svc.Spec.Selector, p.template.Labels) {
			selected = append(selected, p)
		}
	}
	if len(selected) == 0 {
		r.errorf("Service %s selects no pods of the stack", svc.Name)
		return
	}
	for _, sp := range svc.Spec.Ports {
		for _, p := range selected {
			if !hasPort(p.template.Spec.Containers, sp) {
				r.errorf("Service %s: port %s targets %s, which %s does not have", svc.Name, sp.Name, sp.TargetPort.String(), p.owner)
			}
		}
	}
}

func hasPort(ctrs []corev1.Container, sp corev1.ServicePort) bool {
	for _, c := range ctrs {
		for _, cp := range c.Ports {
			if cp.Protocol == sp.Protocol && (cp.Name == sp.TargetPort.StrVal || cp.ContainerPort == sp.TargetPort.IntVal) {
				return true
			}
		}
	}
	return false
}

var nslookupRE = regexp.MustCompile(`nslookup ([^;\s]+)`)

func (r *refChecker) checkPod(p pod) {
	spec := p.template.Spec
	if sa := spec.ServiceAccountName; sa != "" && !r.serviceAccounts[sa] {
		r.errorf("%s: ServiceAccount %s is not an object of the stack", p.owner, sa)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
		switch {
		case v.ConfigMap != nil:
			cm := r.configMap(p.owner, v.ConfigMap.Name)
			for _, item := range v.ConfigMap.Items {
				if cm != nil && !hasKey(cm, item.Key) {
					r.errorf("%s: volume %s mounts key %s, which ConfigMap %s lacks", p.owner, v.Name, item.Key, cm.Name)
				}
			}
		case v.Secret != nil:
			if len(v.Secret.Items) == 0 {
				r.secret(p.owner, v.Secret.SecretName, "")
			}
			for _, item := range v.Secret.Items {
				r.secret(p.owner, v.Secret.SecretName, item.Key)
			}
		case v.PersistentVolumeClaim != nil:
			if !r.pvcs[v.PersistentVolumeClaim.ClaimName] {
				r.errorf("%s: claim %s is not a PVC of the stack", p.owner, v.PersistentVolumeClaim.ClaimName)
			}
		}
	}
	for _, c := range p.claims {
		volumes[c.Name] = corev1.Volume{Name: c.Name}
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		for _, m := range c.VolumeMounts {
			if _, ok := volumes[m.Name]; !ok {
				r.errorf("%s: container %s mounts %s, which is not a volume", p.owner, c.Name, m.Name)
			}
		}
		for _, e := range c.EnvFrom {
			switch {
			case e.ConfigMapRef != nil:
				r.configMap(p.owner, e.ConfigMapRef.Name)
			case e.SecretRef != nil:
				r.secret(p.owner, e.SecretRef.Name, "")
			}
		}
		for _, e := range c.Env {
			r.checkEnv(p.owner, c, volumes, e)
		}
		for _, m := range nslookupRE.FindAllStringSubmatch(strings.Join(c.Command, " "), -1) {
			r.checkHost(p.owner, c.Name, m[1])
		}
	}
}

func (r *refChecker) checkEnv(owner string, c corev1.Container, volumes map[string]corev1.Volume, e corev1.EnvVar) {
	switch {
	case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
		ref := e.ValueFrom.ConfigMapKeyRef
		if cm := r.configMap(owner, ref.Name); cm != nil && !hasKey(cm, ref.Key) {
			r.errorf("%s: env %s reads key %s, which ConfigMap %s lacks", owner, e.Name, ref.Key, ref.Name)
		}
	case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
		r.secret(owner, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
	case strings.HasPrefix(e.Value, "/"):
		// A path must be in a mounted volume, and in a ConfigMap's, name
		// one of its files.
		for _, m := range c.VolumeMounts {
			rel, ok := strings.CutPrefix(e.Value, m.MountPath+"/")
			if !ok {
				continue
			}
			v := volumes[m.Name]
			if v.ConfigMap == nil {
				return // a directory of a volume
			}
			for _, item := range v.ConfigMap.Items {
				if path.Clean(item.Path) == rel {
					return
				}
			}
			r.errorf("%s: env %s=%s is not a file of ConfigMap %s", owner, e.Name, e.Value, v.ConfigMap.Name)
			return
		}
		r.errorf("%s: env %s=%s is in no mounted volume", owner, e.Name, e.Value)
	case strings.HasSuffix(e.Name, "_HOST"):
		r.checkHost(owner, c.Name+" env "+e.Name, e.Value)
	}
}

// checkHost wants a host name that is a Service of the stack, in the
// stack's namespace.
func (r *refChecker) checkHost(owner, where, host string) {
	svc, rest, _ := strings.Cut(host, ".")
	if _, ok := r.services[svc]; !ok {
		r.errorf("%s: %s reaches %s, but %s is not a Service of the stack", owner, where, host, svc)
	}
	if r.namespace != "" && !strings.HasPrefix(rest, r.namespace+".svc.") {
		r.errorf("%s: %s reaches %s, outside the stack's namespace %s", owner, where, host, r.namespace)
	}
}

func (r *refChecker) configMap(owner, name string) *corev1.ConfigMap {
	cm, ok := r.configMaps[name]
	if !ok {
		r.errorf("%s: ConfigMap %s is not in the stack", owner, name)
	}
	return cm
}

func (r *refChecker) secret(owner, name, key string) {
	keys, ok := r.secrets[name]
	if !ok || !(keys[key] || keys[""]) {
		r.errorf("%s: Secret %s key %q is not declared by kdecl secrets (have %v)", owner, name, key, slices.Sorted(maps.Keys(r.secrets)))
	}
}

func hasKey(cm *corev1.ConfigMap, key string) bool {
	_, ok := cm.Data[key]
	return ok
}

func subset(a, b map[string]string) bool {
	if len(a) == 0 {
		return false // an empty selector selects everything: never meant here
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
