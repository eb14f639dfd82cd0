package main

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/schema"
)

// TestCheckSizeApplySet: an object whose copy in kubectl's annotation
// just fits is too large in a stack with applySet, for the part-of label
// kubectl apply --applyset adds to it, and to the copy.
func TestCheckSizeApplySet(t *testing.T) {
	s := &schema.Stack{Name: "shop", Namespace: "shop", Apps: []schema.App{{Name: "web"}}}
	m := generators.Manifest{App: "web", Object: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web-config"}}}
	fits := maxAnnotationBytes - 1 - len(lastAppliedAnnotation)
	if err := checkSize(s, m, fits); err != nil {
		t.Errorf("without applySet, %d bytes of JSON: %v, want no error", fits, err)
	}
	s.ApplySet = &schema.ApplySet{}
	if err := checkSize(s, m, fits); err == nil {
		t.Errorf("with applySet, %d bytes of JSON: no error, want too large", fits)
	}
	if err := checkSize(s, m, fits-applySetLabelJSON); err != nil {
		t.Errorf("with applySet, %d bytes of JSON: %v, want no error", fits-applySetLabelJSON, err)
	}
	if n := len(`,"applyset.kubernetes.io/part-of":"`) + len(`applyset-XSWYmcrZ-k93Kvxn6q7awfWF30oO0Q_h8mDyWe3wUgM-v1"`); n != applySetLabelJSON {
		t.Errorf("applySetLabelJSON = %d, want %d: the label as kubectl writes it", applySetLabelJSON, n)
	}
}
