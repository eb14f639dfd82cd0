package generators

import (
	"cmp"
	"maps"
	"slices"

	"github.com/kdecl/kdecl/schema"
)

// SecretRef is one use of a Secret by an app. Key is empty when the app
// uses every key (envFrom, or a file volume without items).
type SecretRef struct {
	App    string `json:"app"`
	Secret string `json:"secret"`
	Key    string `json:"key,omitempty"`
	// As says how the app uses it: "env NAME", "envFrom", "file PATH",
	// "Ingress TLS".
	As string `json:"as"`
}

// SecretRefs lists every Secret key the stack's apps need, by app, secret,
// key and use: what must exist in the cluster before the stack runs.
func SecretRefs(s *schema.Stack) []SecretRef {
	var refs []SecretRef
	for _, a := range s.Apps {
		for name, k := range a.Secrets.Env {
			refs = append(refs, SecretRef{App: a.Name, Secret: k.Secret, Key: k.Key, As: "env " + name})
		}
		for _, name := range a.Secrets.EnvFrom {
			refs = append(refs, SecretRef{App: a.Name, Secret: name, As: "envFrom"})
		}
		if in := a.Expose.Ingress; in != nil && in.TLS != nil {
			refs = append(refs, SecretRef{App: a.Name, Secret: in.TLS.Secret, Key: "tls.crt", As: "Ingress TLS"})
			refs = append(refs, SecretRef{App: a.Name, Secret: in.TLS.Secret, Key: "tls.key", As: "Ingress TLS"})
		}
		for _, f := range a.Secrets.Files {
			if len(f.Items) == 0 {
				refs = append(refs, SecretRef{App: a.Name, Secret: f.Secret, As: "files " + f.MountPath})
			}
			for _, key := range slices.Sorted(maps.Keys(f.Items)) {
				refs = append(refs, SecretRef{App: a.Name, Secret: f.Secret, Key: key, As: "file " + f.MountPath + "/" + f.Items[key]})
			}
		}
	}
	slices.SortFunc(refs, func(x, y SecretRef) int {
		return cmp.Or(cmp.Compare(x.App, y.App), cmp.Compare(x.Secret, y.Secret), cmp.Compare(x.Key, y.Key), cmp.Compare(x.As, y.As))
	})
	return refs
}
