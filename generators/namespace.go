package generators

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// Namespace is the stack's Namespace, or nil when the stack sets none.
func Namespace(s *schema.Stack) *corev1.Namespace {
	if s.Namespace == "" {
		return nil
	}
	return &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   s.Namespace,
			Labels: union(StackLabels(s), podSecurityLabels(s)),
		},
	}
}
