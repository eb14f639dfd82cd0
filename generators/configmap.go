package generators

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kdecl/kdecl/schema"
)

// ConfigMap is the app's ConfigMap: its config env keys and files. It is
// nil when the app has no config.
func ConfigMap(s *schema.Stack, a *schema.App) *corev1.ConfigMap {
	data := configData(a.Config)
	if data == nil {
		return nil
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta(s, a, ConfigMapName(a)),
		Data:       data,
	}
}

// SharedConfigMaps are the ConfigMaps of the stack's configs, by name.
func SharedConfigMaps(s *schema.Stack) []*corev1.ConfigMap {
	var cms []*corev1.ConfigMap
	for _, name := range slices.Sorted(maps.Keys(s.Configs)) {
		data := configData(s.Configs[name])
		if data == nil {
			data = map[string]string{} // an empty config is still one apps use
		}
		cms = append(cms, &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.Namespace, Labels: StackLabels(s)},
			Data:       data,
		})
	}
	return cms
}

func configData(c *schema.Config) map[string]string {
	if c == nil || len(c.Env)+len(c.Files) == 0 {
		return nil
	}
	data := make(map[string]string, len(c.Env)+len(c.Files))
	maps.Copy(data, c.Env)
	maps.Copy(data, c.Files)
	return data
}

// configHash is a hash of the data of the app's ConfigMap and of the
// stack's configs it uses, by name, or "" without any. Names, keys and
// values are length-prefixed so that no two inputs share a hash input.
func configHash(a *schema.App) string {
	data := configData(a.Config)
	if data == nil && len(a.Shared) == 0 {
		return ""
	}
	h := sha256.New()
	var n [8]byte
	write := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	writeData := func(data map[string]string) {
		for _, k := range slices.Sorted(maps.Keys(data)) {
			write(k)
			write(data[k])
		}
	}
	writeData(data)
	for _, cfg := range slices.SortedFunc(slices.Values(a.Shared), func(x, y schema.SharedConfig) int { return strings.Compare(x.Name, y.Name) }) {
		write(cfg.Name)
		writeData(configData(cfg.Config))
	}
	return hex.EncodeToString(h.Sum(nil))[:schema.ConfigHashLen]
}
