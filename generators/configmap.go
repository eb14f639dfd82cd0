package generators

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// ConfigMap is the app's ConfigMap: its config env keys and files. It is
// nil when the app has no config.
func ConfigMap(s *schema.Stack, a *schema.App) *corev1.ConfigMap {
	data := configData(a)
	if data == nil {
		return nil
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta(s, a, ConfigMapName(a)),
		Data:       data,
	}
}

func configData(a *schema.App) map[string]string {
	c := a.Config
	if c == nil || len(c.Env)+len(c.Files) == 0 {
		return nil
	}
	data := make(map[string]string, len(c.Env)+len(c.Files))
	maps.Copy(data, c.Env)
	maps.Copy(data, c.Files)
	return data
}

// configHash is a hash of the app's ConfigMap data, or "" without one.
// Keys and values are length-prefixed so that no two maps share an input.
func configHash(a *schema.App) string {
	data := configData(a)
	if data == nil {
		return ""
	}
	h := sha256.New()
	var n [8]byte
	write := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, k := range slices.Sorted(maps.Keys(data)) {
		write(k)
		write(data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:schema.ConfigHashLen]
}
