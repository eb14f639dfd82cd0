package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// originAnnotation is where kustomize says which file, or which
// generator, an object of a build comes from.
const originAnnotation = "config.kubernetes.io/origin"

// KustomizationFile is the kustomization file of the directory dir, as
// kustomize looks for it, "" if dir has none.
func KustomizationFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// Kustomize builds the kustomization in dir as kubectl kustomize does,
// with kustomize's own library and its defaults (files only from the
// kustomization's root, no plugins), and returns its objects, each with
// the file or the generator it comes from as its Source, and a note that
// says what was built.
func Kustomize(dir string) ([]Doc, string, error) {
	file := KustomizationFile(dir)
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, "", err
	}
	if err := localOnly(dir, map[string]bool{}); err != nil {
		return nil, "", err
	}
	fs := originFS{filesys.MakeFsOnDisk(), abs}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
	if err != nil {
		return nil, "", fmt.Errorf("%s: kustomize build: %w", dir, err)
	}
	var docs []Doc
	var generated []string
	var secrets []string // generated, their names with a hash
	for _, r := range m.Resources() {
		origin, err := r.GetOrigin()
		if err != nil {
			return nil, "", fmt.Errorf("%s: kustomize build: %s %s: %w", dir, r.GetKind(), r.GetName(), err)
		}
		b, err := r.MarshalJSON()
		if err != nil {
			return nil, "", fmt.Errorf("%s: kustomize build: %s %s: %w", dir, r.GetKind(), r.GetName(), err)
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, "", fmt.Errorf("%s: kustomize build: %s %s: %w", dir, r.GetKind(), r.GetName(), err)
		}
		Delete(obj, "metadata", "annotations", originAnnotation)
		if bin, ok := Get(obj, "binaryData").(map[string]any); ok && r.GetKind() == "ConfigMap" {
			for k, v := range bin {
				if s, ok := v.(string); ok {
					bin[k] = strings.Join(strings.Fields(s), "") // kustomize wraps base64 at 70 columns
				}
			}
		}
		source := dir + " (kustomize build)"
		switch {
		case origin == nil:
		case origin.ConfiguredIn != "":
			source = fmt.Sprintf("%s (%s)", filepath.Join(dir, origin.ConfiguredIn), lowerFirst(origin.ConfiguredBy.Kind))
			generated = append(generated, fmt.Sprintf("%s %s", r.GetKind(), r.GetName()))
			if r.GetKind() == "Secret" && origin.ConfiguredBy.Kind == "SecretGenerator" && hashSuffix.MatchString(r.GetName()) {
				secrets = append(secrets, r.GetName())
			}
		case origin.Repo != "":
			source = origin.Repo + "/" + origin.Path
		case origin.Path != "":
			source = filepath.Join(dir, origin.Path)
		}
		docs = append(docs, Doc{Source: source, Object: obj})
	}
	note := fmt.Sprintf("%s: built with kustomize (%s): %d objects", dir, filepath.Base(file), len(docs))
	if len(generated) > 0 {
		note += ", generated: " + strings.Join(generated, ", ")
	}
	if renamed := unhashSecrets(docs, secrets); len(renamed) > 0 {
		note += "; " + strings.Join(renamed, ", ")
	}
	return docs, note, nil
}

// hashSuffix is the suffix kustomize gives a generated object's name: a
// hash of its content, 10 characters of hex with 0, 1, 3, a and e
// replaced, so that it is never a word.
var hashSuffix = regexp.MustCompile(`-[2456789bcdfghkmt]{10}$`)

// unhashSecrets names each Secret kustomize generated, of hashed, without
// the hash of its values its name ends in, and every reference to it so:
// kdecl never has a Secret's values, and the Secret a team creates
// instead is named once. It says each rename.
func unhashSecrets(docs []Doc, hashed []string) []string {
	names := map[string]string{} // hashed → plain
	for _, name := range hashed {
		names[name] = hashSuffix.ReplaceAllString(name, "")
	}
	if len(names) == 0 {
		return nil
	}
	var rename func(v any) any
	rename = func(v any) any {
		switch v := v.(type) {
		case string:
			if plain, ok := names[v]; ok {
				return plain
			}
		case map[string]any:
			for k, e := range v {
				v[k] = rename(e)
			}
		case []any:
			for i, e := range v {
				v[i] = rename(e)
			}
		}
		return v
	}
	for _, d := range docs {
		rename(d.Object)
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(names)) {
		out = append(out, fmt.Sprintf("Secret %s is %s, without the hash of its values, which kdecl never has", name, names[name]))
	}
	return out
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// originFS is the file system on disk, where the kustomization file top
// asks for origin annotations too: kustomize then says where each object
// of the build comes from.
type originFS struct {
	filesys.FileSystem
	top string
}

func (fs originFS) ReadFile(path string) ([]byte, error) {
	b, err := fs.FileSystem.ReadFile(path)
	if err != nil || !fs.isTop(path) {
		return b, err
	}
	var k map[string]any
	if err := yaml.Unmarshal(b, &k); err != nil || k == nil {
		return b, nil // kustomize says what is wrong with it
	}
	meta, _ := k["buildMetadata"].([]any)
	if slices.Contains(meta, any(types.OriginAnnotations)) {
		return b, nil
	}
	k["buildMetadata"] = append(meta, types.OriginAnnotations)
	return yaml.Marshal(k)
}

func (fs originFS) isTop(path string) bool {
	abs, err := filepath.Abs(path)
	return err == nil && abs == fs.top
}

// localOnly refuses what the kustomization in dir, or one it builds on,
// would fetch: a resource, component or base that is not a file or
// directory beside it, which kustomize takes for a URL or a git
// repository to download. An import reads what is on disk, and never
// the network.
func localOnly(dir string, seen map[string]bool) error {
	file := KustomizationFile(dir)
	if file == "" || seen[file] {
		return nil
	}
	seen[file] = true
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var k struct {
		Resources, Components, Bases []string
	}
	if yaml.Unmarshal(b, &k) != nil {
		return nil // kustomize says what is wrong with it
	}
	for _, r := range slices.Concat(k.Resources, k.Components, k.Bases) {
		if filepath.IsAbs(r) {
			continue // kustomize refuses it, outside the root
		}
		p := filepath.Join(dir, r)
		info, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s: %q is not a file or directory there: kdecl import builds a kustomization of local files only, and fetches nothing", file, r)
		}
		if info.IsDir() {
			if err := localOnly(p, seen); err != nil {
				return err
			}
		}
	}
	return nil
}
