package generators

import (
	"maps"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// The recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels).
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelVersion   = "app.kubernetes.io/version"

	// AnnotationConfigHash on a pod template holds a hash of the app's
	// ConfigMap, so that a change of config rolls the pods.
	AnnotationConfigHash = schema.ConfigHashAnnotation

	managedBy = "kdecl"
)

// ConfigMapName is the name of an app's ConfigMap.
func ConfigMapName(a *schema.App) string { return schema.ConfigMapName(a.Name) }

// SelectorLabels select an app's pods. They never change between
// releases, because a Deployment's selector is immutable.
func SelectorLabels(s *schema.Stack, a *schema.App) map[string]string {
	return map[string]string{
		LabelName:     a.Name,
		LabelInstance: s.Name,
	}
}

// Labels are the labels of every object of an app: the stack's and the
// app's own, then kdecl's.
func Labels(s *schema.Stack, a *schema.App) map[string]string {
	l := union(s.Labels, a.Labels, SelectorLabels(s, a))
	l[LabelPartOf] = s.Name
	l[LabelManagedBy] = managedBy
	if a.Component != "" {
		l[LabelComponent] = a.Component
	}
	return l
}

// WorkloadLabels are the labels of an app's workload and its pods: Labels
// and the version of the image they run. Only these carry the version, so
// that an image bump changes only the workload, not the app's Service,
// ConfigMap or claims.
func WorkloadLabels(s *schema.Stack, a *schema.App) map[string]string {
	l := Labels(s, a)
	if v := imageVersion(a.Image); v != "" {
		l[LabelVersion] = v
	}
	return l
}

var labelValueRE = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)

// imageVersion is the tag of image, when it is a valid label value.
func imageVersion(image string) string {
	if strings.Contains(image, "@") {
		return ""
	}
	tag, ok := schema.ImageTag(image)
	if !ok || !labelValueRE.MatchString(tag) {
		return ""
	}
	return tag
}

// objectMeta is the metadata of an app's object called name.
func objectMeta(s *schema.Stack, a *schema.App, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        name,
		Namespace:   s.Namespace,
		Labels:      Labels(s, a),
		Annotations: union(a.Annotations),
	}
}

// workloadMeta is the metadata of an app's workload called name.
func workloadMeta(s *schema.Stack, a *schema.App, name string) metav1.ObjectMeta {
	m := objectMeta(s, a, name)
	m.Labels = WorkloadLabels(s, a)
	return m
}

// union merges annotation maps, later ones winning; nil when empty, so
// that no empty map is rendered.
func union(ms ...map[string]string) map[string]string {
	var out map[string]string
	for _, m := range ms {
		if len(m) == 0 {
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		maps.Copy(out, m)
	}
	return out
}
