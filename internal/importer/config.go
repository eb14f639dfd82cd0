package importer

// The app's config: its own ConfigMap, the stack's configs it uses, and
// the variables its container takes from them.

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kdecl/kdecl/schema"
)

// configValue is the value of the key ref names of the app's own
// ConfigMaps or the stack's shared ones, nil if there is none.
func configValue(p *Plan, own map[string]*corev1.ConfigMap, ref *corev1.ConfigMapKeySelector) *string {
	cm := own[ref.Name]
	if cm == nil && p.Shared[ref.Name] != nil {
		cm, _ = configMapOf(p.Shared[ref.Name].ConfigMap)
	}
	if cm == nil {
		return nil
	}
	if v, ok := cm.Data[ref.Key]; ok {
		return &v
	}
	return nil
}
func ownConfigMap(a *App, name string) bool {
	for _, d := range a.ConfigMaps {
		if d.Name() == name {
			return true
		}
	}
	return false
}

// configAndEnv sets the app's env, config (from its ConfigMap), the
// stack configs it uses, and its secret references, from the main
// container's env and envFrom and the volumes it mounts.
func (s *Stack) configAndEnv(p *Plan, a *App, spec *corev1.PodSpec, c corev1.Container, app map[string]any) error {
	own := map[string]*corev1.ConfigMap{}
	for _, d := range a.ConfigMaps {
		cm, err := configMapOf(d)
		if err != nil {
			return err
		}
		own[cm.Name] = cm
	}
	if len(own) > 1 {
		s.left(a.Name, "a second ConfigMap of its own (kdecl renders one per app)")
	}
	shared := map[string]*corev1.ConfigMap{}
	for name, sc := range p.Shared {
		cm, err := configMapOf(sc.ConfigMap)
		if err != nil {
			return err
		}
		shared[name] = cm
	}
	env := map[string]any{}
	secretEnv, fieldEnv, resourceEnv := map[string]any{}, map[string]any{}, map[string]any{}
	uses := map[string]*configUse{} // by ConfigMap, own or shared
	use := func(name string) *configUse {
		if uses[name] == nil {
			uses[name] = &configUse{keys: map[string]bool{}}
		}
		return uses[name]
	}
	mountsOf(a, spec, c, func(name string) bool { return own[name] != nil || shared[name] != nil }, use)
	configFirst := false // a config's variables come before a Secret's
	config := func(e corev1.EnvFromSource) bool {
		return e.ConfigMapRef != nil && (own[e.ConfigMapRef.Name] != nil || shared[e.ConfigMapRef.Name] != nil) && e.Prefix == "" && e.ConfigMapRef.Optional == nil
	}
	secret := func(e corev1.EnvFromSource) bool {
		return e.SecretRef != nil && e.Prefix == "" && e.SecretRef.Optional == nil
	}
	// An override's envFrom replaces the whole list, secrets.envFrom's
	// too: with one, the Secrets are in it.
	overridden := slices.ContainsFunc(c.EnvFrom, func(e corev1.EnvFromSource) bool { return !config(e) && !secret(e) })
	for _, e := range c.EnvFrom {
		switch {
		case config(e):
			use(e.ConfigMapRef.Name).envFrom = true
			configFirst = true
		case e.SecretRef != nil && configFirst:
			// The Secret's keys would win over the config's, whose
			// variables kdecl sets one by one, which win over envFrom.
			s.leftAt(a.Name, podField(a, `containers["(app)"].env["(envFrom)"]`), "envFrom: Secret %s after a ConfigMap, whose keys it may set otherwise", e.SecretRef.Name)
		case secret(e) && !overridden:
			secrets, _ := app["secrets"].(map[string]any)
			if secrets == nil {
				secrets = map[string]any{}
			}
			list, _ := secrets["envFrom"].([]string)
			secrets["envFrom"] = append(list, e.SecretRef.Name)
			app["secrets"] = secrets
		default:
			s.overrideList(a.Name, "container", toMap(e), "envFrom")
		}
	}
	exp := newExpansion(c, func(name string) []string {
		if cm := own[name]; cm != nil {
			return slices.Collect(maps.Keys(cm.Data))
		}
		if cm := shared[name]; cm != nil {
			return slices.Collect(maps.Keys(cm.Data))
		}
		return nil
	})
	for i, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = exp.escape(i, e.Value)
		case e.ValueFrom.ConfigMapKeyRef != nil && e.ValueFrom.ConfigMapKeyRef.Optional == nil && configValue(p, own, e.ValueFrom.ConfigMapKeyRef) != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			v := configValue(p, own, ref)
			switch {
			case schema.CredentialName(ref.Key, *v) || schema.CredentialIn(*v) != "":
				secretEnv[e.Name] = map[string]any{"secret": ref.Name, "key": ref.Key}
				s.Notes = append(s.Notes, fmt.Sprintf("ConfigMap %s: %s looks like a credential; app %s reads it from Secret %s, key %s: create it", ref.Name, ref.Key, a.Name, ref.Name, ref.Key))
			case e.Name == ref.Key:
				use(ref.Name).keys[ref.Key] = true // a key of the config's env
			default:
				env[e.Name] = escapeAll(*v) // a ConfigMap's value is not expanded
			}
		case e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Optional == nil:
			secretEnv[e.Name] = map[string]any{"secret": e.ValueFrom.SecretKeyRef.Name, "key": e.ValueFrom.SecretKeyRef.Key}
		case e.ValueFrom.FieldRef != nil && (e.ValueFrom.FieldRef.APIVersion == "" || e.ValueFrom.FieldRef.APIVersion == "v1"):
			fieldEnv[e.Name] = e.ValueFrom.FieldRef.FieldPath
		case e.ValueFrom.ResourceFieldRef != nil && (e.ValueFrom.ResourceFieldRef.ContainerName == "" || e.ValueFrom.ResourceFieldRef.ContainerName == c.Name):
			r := map[string]any{"resource": e.ValueFrom.ResourceFieldRef.Resource}
			if d := e.ValueFrom.ResourceFieldRef.Divisor; !d.IsZero() && d.String() != "1" {
				r["divisor"] = d.String()
			}
			resourceEnv[e.Name] = r
		default:
			s.overrideList(a.Name, "container", toMap(e), "env")
		}
	}
	explicit := map[string]bool{} // the variables the container's env sets
	for _, e := range c.Env {
		explicit[e.Name] = true
	}
	var configs []string
	for _, name := range slices.Sorted(maps.Keys(uses)) {
		u := uses[name]
		if u.cannot != "" {
			s.left(a.Name, "ConfigMap %s: %s", name, u.cannot)
			continue
		}
		if cm := own[name]; cm != nil {
			if u.envFrom {
				for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
					if explicit[k] && !u.keys[k] {
						s.Notes = append(s.Notes, fmt.Sprintf("ConfigMap %s: key %s is not in app %s's config: its container's own variable %s hides it from envFrom, and nothing else reads it", name, k, a.Name, k))
					}
				}
			}
			if len(cm.Annotations) > 0 {
				s.override(a.Name, "configmap", toMap(cm.Annotations), "metadata", "annotations")
			}
			if cm.Immutable != nil {
				s.override(a.Name, "configmap", *cm.Immutable, "immutable")
			}
			cfg := s.config(a.Name, cm, u, schema.DefaultConfigMountPath(a.Name), secretEnv, env, explicit)
			if len(cfg) > 0 {
				app["config"] = cfg
			}
			continue
		}
		configs = append(configs, name)
		cfg := s.config(a.Name, shared[name], u, schema.DefaultSharedConfigMountPath(name), secretEnv, env, explicit)
		if prev, ok := s.Configs[name]; ok && !reflect.DeepEqual(prev, cfg) {
			s.left(a.Name, "ConfigMap %s: a config of the stack's that another app uses otherwise", name)
			continue
		}
		s.Configs[name] = cfg
	}
	for name := range own {
		if uses[name] == nil {
			s.left(a.Name, "ConfigMap %s: used other than by envFrom, a mount or a variable's key", name)
		}
	}
	for field, m := range map[string]map[string]any{"env": env, "fieldEnv": fieldEnv, "resourceEnv": resourceEnv} {
		if len(m) > 0 {
			app[field] = m
		}
	}
	if len(configs) > 0 {
		app["configs"] = configs
	}
	if len(secretEnv) > 0 {
		secrets, _ := app["secrets"].(map[string]any)
		if secrets == nil {
			secrets = map[string]any{}
		}
		secrets["env"] = secretEnv
		app["secrets"] = secrets
	}
	return nil
}

// fileEnv makes each variable of env that holds the path of a file of
// the app's config that file's config.fileEnv.
func fileEnv(a *App, app map[string]any) {
	cfg, _ := app["config"].(map[string]any)
	env, _ := app["env"].(map[string]any)
	files, _ := cfg["files"].(map[string]any)
	if len(files) == 0 || len(env) == 0 {
		return
	}
	dir, _ := cfg["mountPath"].(string)
	dir = cmp.Or(dir, schema.DefaultConfigMountPath(a.Name))
	fe, _ := cfg["fileEnv"].(map[string]any)
	for k, v := range env {
		f, ok := strings.CutPrefix(v.(string), dir+"/")
		if _, isFile := files[f]; !ok || !isFile {
			continue
		}
		if fe == nil {
			fe = map[string]any{}
			cfg["fileEnv"] = fe
		}
		fe[k] = f
		delete(env, k)
	}
	if len(env) == 0 {
		delete(app, "env")
	}
}

// configUse is how the app's container uses a ConfigMap.
type configUse struct {
	envFrom    bool            // every key is a variable
	keys       map[string]bool // keys that are variables of their name
	volume     *corev1.ConfigMapVolumeSource
	volumeName string
	mountPath  string            // the directory of the files, "" if not mounted so
	fileMounts map[string]string // keys mounted one by one, by subPath
	cannot     string            // why kdecl's config cannot say the use
}

// mountsOf finds the mounts of the container c of ConfigMaps isConfig
// says are configs.
func mountsOf(a *App, spec *corev1.PodSpec, c corev1.Container, isConfig func(string) bool, use func(string) *configUse) {
	for _, m := range c.VolumeMounts {
		i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
		if i < 0 || spec.Volumes[i].ConfigMap == nil || !isConfig(spec.Volumes[i].ConfigMap.Name) {
			continue
		}
		v := spec.Volumes[i].ConfigMap
		u := use(v.Name)
		switch {
		case u.volumeName != "" && u.volumeName != m.Name:
			u.cannot = "mounted from two volumes"
		case v.Optional != nil || m.SubPathExpr != "" || m.MountPropagation != nil || m.RecursiveReadOnly != nil:
			u.cannot = "mounted with fields kdecl's config does not have"
		case slices.ContainsFunc(v.Items, func(it corev1.KeyToPath) bool { return it.Path != it.Key }):
			u.cannot = "a file named otherwise than its key"
		}
		u.volume, u.volumeName = v, m.Name
		if m.SubPath == "" {
			if u.mountPath != "" {
				u.cannot = "mounted twice"
			}
			u.mountPath = m.MountPath
			continue
		}
		if u.fileMounts == nil {
			u.fileMounts = map[string]string{}
		}
		u.fileMounts[m.SubPath] = m.MountPath
	}
}

// config is a ConfigMap as kdecl's config, as the app uses it: the
// files it mounts, with their modes and where; the variables it takes,
// which are config env unless a key is a file too (then the variable's
// value goes into env). Credentials go to secretEnv.
func (s *Stack) config(app string, cm *corev1.ConfigMap, u *configUse, defaultMountPath string, secretEnv, env map[string]any, explicit map[string]bool) map[string]any {
	cfg := map[string]any{}
	// A credential the container reads as a variable comes from a Secret
	// of the ConfigMap's name; one it reads only as a file stays a file,
	// which the stack marks as no secret (see markNotSecret).
	variable := func(k string) bool { return u.envFrom || u.keys[k] }
	data := plainData(cm, secretEnv, variable)
	s.credentialNotes(app, cm, secretEnv)
	files, modes, cfgEnv := map[string]any{}, map[string]any{}, map[string]any{}
	if u.volume != nil {
		if len(u.volume.Items) == 0 {
			maps.Copy(files, data)
		}
		for _, it := range u.volume.Items {
			if v, ok := data[it.Key]; ok {
				files[it.Key] = v
			}
			if it.Mode != nil {
				modes[it.Key] = int(*it.Mode)
			}
		}
		if m := u.volume.DefaultMode; m != nil && *m != corev1.ConfigMapVolumeSourceDefaultMode {
			cfg["defaultMode"] = int(*m)
		}
	}
	both := false
	for k, v := range data {
		if !u.envFrom && !u.keys[k] || u.envFrom && !u.keys[k] && explicit[k] {
			continue // not a variable, or one the container's env sets itself
		}
		if _, isFile := files[k]; isFile {
			both = true
			if _, ok := env[k]; !ok {
				env[k] = escapeAll(v.(string)) // a ConfigMap's value is not expanded
			}
			continue
		}
		cfgEnv[k] = v
	}
	if both {
		s.Notes = append(s.Notes, fmt.Sprintf("app %s: keys of ConfigMap %s are both variables and files; the stack has the files in config and the variables in env", app, cm.Name))
	}
	if u.mountPath != "" && u.mountPath != defaultMountPath {
		cfg["mountPath"] = u.mountPath
	}
	fileMounts := map[string]any{}
	for k, p := range u.fileMounts {
		fileMounts[k] = p
	}
	// A variable that holds the path of one of the files is that file's
	// fileEnv.
	fileEnv := map[string]any{}
	if dir := cmp.Or(u.mountPath, defaultMountPath); u.volume != nil {
		for k, v := range cfgEnv {
			if f, ok := strings.CutPrefix(v.(string), dir+"/"); ok && files[f] != nil {
				fileEnv[k] = f
				delete(cfgEnv, k)
			}
		}
	}
	for field, m := range map[string]map[string]any{"env": cfgEnv, "files": files, "fileEnv": fileEnv, "modes": modes, "fileMounts": fileMounts} {
		if len(m) > 0 {
			cfg[field] = m
		}
	}
	return cfg
}

// plainData is the data of a ConfigMap that is no credential, as config
// env; its credentials (those variable says are variables, every one if
// it is nil), if secretEnv is not nil, become references to a Secret of
// the ConfigMap's name there.
func plainData(cm *corev1.ConfigMap, secretEnv map[string]any, variable func(string) bool) map[string]any {
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
		v := cm.Data[k]
		if (schema.CredentialName(k, v) || schema.CredentialIn(v) != "") && (variable == nil || variable(k)) {
			if secretEnv != nil {
				secretEnv[k] = map[string]any{"secret": cm.Name, "key": k}
			}
			continue
		}
		out[k] = v
	}
	return out
}
func (s *Stack) credentialNotes(app string, cm *corev1.ConfigMap, secretEnv map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
		if ref, ok := secretEnv[k].(map[string]any); ok && ref["secret"] == cm.Name {
			s.Notes = append(s.Notes, fmt.Sprintf("ConfigMap %s: %s looks like a credential; app %s reads it from Secret %s, key %s: create it", cm.Name, k, app, cm.Name, k))
		}
	}
}
