package schema

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	resourcev1 "k8s.io/api/resource/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
)

// kinds are the kinds of the stable API groups a current API server
// serves, from k8s.io/api: what objects may hold, decoded strictly.
var kinds = sync.OnceValue(func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		admissionregistrationv1.AddToScheme, appsv1.AddToScheme, autoscalingv1.AddToScheme,
		autoscalingv2.AddToScheme, batchv1.AddToScheme, certificatesv1.AddToScheme,
		coordinationv1.AddToScheme, corev1.AddToScheme, discoveryv1.AddToScheme,
		eventsv1.AddToScheme, flowcontrolv1.AddToScheme, networkingv1.AddToScheme,
		nodev1.AddToScheme, policyv1.AddToScheme, rbacv1.AddToScheme, resourcev1.AddToScheme,
		schedulingv1.AddToScheme, storagev1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err) // k8s.io/api's own registration
		}
	}
	return s
})

// NewObject is a new typed object of apiVersion and kind, if k8s.io/api
// knows the kind at that version.
func NewObject(apiVersion, kind string) (runtime.Object, bool) {
	gvk := k8sschema.FromAPIVersionAndKind(apiVersion, kind)
	if strings.HasSuffix(kind, "List") || !kinds().Recognizes(gvk) {
		return nil, false
	}
	obj, err := kinds().New(gvk)
	return obj, err == nil
}

// servedAs says where a kind that k8s.io/api does not know at apiVersion
// is served now: an old apiVersion such as extensions/v1beta1 moved.
func servedAs(apiVersion, kind string) string {
	var at []string
	for gvk := range kinds().AllKnownTypes() {
		if gvk.Kind == kind && gvk.GroupVersion().String() != apiVersion {
			at = append(at, gvk.GroupVersion().String())
		}
	}
	slices.Sort(at)
	return strings.Join(at, " or ")
}

// clusterScoped are the kinds of objects outside any namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ComponentStatus": true,
	"ClusterRole": true, "ClusterRoleBinding": true,
	"StorageClass": true, "CSIDriver": true, "CSINode": true, "VolumeAttachment": true, "VolumeAttributesClass": true,
	"PriorityClass": true, "RuntimeClass": true, "IngressClass": true, "IPAddress": true, "ServiceCIDR": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"MutatingAdmissionPolicy": true, "MutatingAdmissionPolicyBinding": true,
	"CertificateSigningRequest": true, "FlowSchema": true, "PriorityLevelConfiguration": true,
	"DeviceClass": true, "ResourceSlice": true, "CustomResourceDefinition": true, "APIService": true,
}

// ClusterScoped is whether objects of kind live outside namespaces.
func ClusterScoped(kind string) bool { return clusterScoped[kind] }

// checkObjects checks extra objects, by name, at field: each a kind
// k8s.io/api knows, decoded strictly, a custom resource of one of the
// stack's CRDs, checked against it, or (another kind) a warning.
// ObjectName is the name of the object o, whose key is key: its
// metadata.name if it says one, else its key.
func ObjectName(key string, o map[string]any) string {
	if n, ok := get(o, "metadata", "name"); ok {
		if s, ok := n.(string); ok && s != "" {
			return s
		}
	}
	return key
}

func (l *loader) checkObjects(app string, objs map[string]map[string]any, field []string, errs, warns *[]*Error) {
	at := func(path []string) []string {
		if app == "" {
			return path
		}
		return append([]string{"apps", app}, path...)
	}
	report := func(list *[]*Error, path []string, msg string) {
		*list = append(*list, l.newError(l.nearestPos(at(path)), app, fieldString(path), msg))
	}
	for _, name := range sortedKeys(objs) {
		o := objs[name]
		f := append(slices.Clone(field), name)
		apiVersion, _ := o["apiVersion"].(string)
		kind, _ := o["kind"].(string)
		objName := ObjectName(name, o)
		if n, ok := get(o, "metadata", "name"); ok {
			// Objects of different kinds may share a name, not a key.
			s, isString := n.(string)
			switch {
			case !isString || s == "":
				report(errs, append(f, "metadata", "name"), "a name is a non-empty string; remove it and the key names the object")
			case s == "." || s == ".." || strings.ContainsAny(s, "/%") || utf8.RuneCountInString(s) > 253:
				report(errs, append(f, "metadata", "name"), fmt.Sprintf("%s: a name is at most 253 characters, not . or .., without / or %%", quote(s)))
				objName = name
			}
		}
		if ns, ok := get(o, "metadata", "namespace"); ok && ClusterScoped(kind) && l.crds.of(apiVersion, kind) == nil {
			report(errs, append(f, "metadata", "namespace"), fmt.Sprintf("a %s is in no namespace; remove %s", kind, quote(fmt.Sprint(ns))))
		}
		if labels, ok := get(o, "metadata", "labels"); ok {
			m, _ := labels.(map[string]any)
			for _, k := range sortedKeys(m) {
				if why, ok := kdeclLabels[k]; ok {
					report(errs, append(f, "metadata", "labels", k), "kdecl sets this label itself ("+why+")")
				}
			}
		}
		fail := func(path []string, msg string) { report(errs, path, msg) }
		if kind != "Secret" { // a Secret's values are refused as such
			creds := credentialChecker{secret: objName, fail: func(msg string, path ...string) { fail(path, msg) },
				notSecret: func(path ...string) bool { return l.notSecret(at(path)) }}
			creds.object(kind, o, f...)
		}
		obj, known := NewObject(apiVersion, kind)
		switch {
		case known:
			bad := false
			checkFragment(reflect.TypeOf(obj), o, f, func(path []string, msg string) { fail(path, msg); bad = true })
			if !bad {
				objectRules(kind, objName, o, f, fail)
			}
		case l.crds.of(apiVersion, kind) != nil:
			objectRules(kind, objName, o, f, fail)
			checkCustomResource(l.crds.of(apiVersion, kind), o, f, fail, func(path []string, msg string) { report(warns, path, msg) })
		case servedAs(apiVersion, kind) != "":
			report(errs, append(f, "apiVersion"), fmt.Sprintf("current API servers do not serve %s at %s; use %s", kind, apiVersion, servedAs(apiVersion, kind)))
		default:
			objectRules(kind, objName, o, f, fail)
			report(warns, append(f, "kind"), fmt.Sprintf("kdecl does not know %s %s: it is rendered as written, unchecked%s", apiVersion, kind, l.crds.hint(apiVersion)))
		}
	}
}
