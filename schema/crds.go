package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	crvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// CRDDir is the directory of a stack (or of its CUE module's root) that
// holds the CustomResourceDefinitions its objects are checked against.
const CRDDir = "crds"

// CustomKinds are the kinds the stack's CRDs define, by group and kind:
// whether their objects are namespaced.
type CustomKinds map[k8sschema.GroupKind]bool

// ClusterScoped is whether objects of apiVersion and kind live outside
// namespaces: a kind of k8s.io/api's that does, or a custom resource
// whose CRD's scope is Cluster.
func (s *Stack) ClusterScoped(apiVersion, kind string) bool {
	gk := k8sschema.FromAPIVersionAndKind(apiVersion, kind).GroupKind()
	if namespaced, ok := s.CustomKinds[gk]; ok {
		return !namespaced
	}
	return ClusterScoped(kind)
}

// crdSet are a stack's CRDs, by the group and kind each defines.
type crdSet map[k8sschema.GroupKind]*crd

// crd is one CustomResourceDefinition of a stack, ready to check its
// objects as the API server does.
type crd struct {
	name       string // plural.group, as the API server names it
	file       string // as the user reads it
	namespaced bool
	// versions are the versions the API server serves, by name.
	versions map[string]*crdVersion
}

type crdVersion struct {
	structural *structuralschema.Structural
	validator  crvalidation.SchemaValidator
	cel        *cel.Validator
	// status is whether the status subresource is on: the server then
	// ignores a status written on create.
	status bool
}

// crdFiles are the YAML files of the stack's CRD directories: the
// stack's own, and its module root's.
func (l *loader) crdFiles() ([]string, error) {
	dirs := []string{filepath.Join(l.abs, CRDDir)}
	if mod := moduleFile(l.abs); fileExists(mod) {
		if root := filepath.Dir(filepath.Dir(mod)); root != l.abs {
			dirs = append(dirs, filepath.Join(root, CRDDir))
		}
	}
	var files []string
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	return files, nil
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// loadCRDs reads and checks the stack's CRDs, each as the API server
// checks one on create, and records the kinds they define in s.
func (l *loader) loadCRDs(s *Stack) {
	files, err := l.crdFiles()
	if err != nil {
		l.errs = append(l.errs, &Error{Position: Position{File: l.relative(filepath.Join(l.abs, CRDDir))}, Msg: err.Error()})
		return
	}
	l.crds = crdSet{}
	for _, f := range files {
		l.loadCRDFile(f)
	}
	if len(l.crds) > 0 {
		s.CustomKinds = CustomKinds{}
		for gk, c := range l.crds {
			s.CustomKinds[gk] = c.namespaced
		}
	}
}

// loadCRDFile reads the CRDs of one file, multi-document YAML.
func (l *loader) loadCRDFile(file string) {
	rel := l.relative(file)
	fail := func(line, col int, field, msg string) {
		l.errs = append(l.errs, &Error{Position: Position{File: rel, Line: line, Column: col}, Field: field, Msg: msg})
	}
	info, err := os.Stat(file)
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("is %s, not a regular file: a CRD is a YAML file", fileKind(info.Mode()))
	}
	var b []byte
	if err == nil {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		fail(0, 0, "", err.Error())
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			line := 0
			if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = strings.TrimPrefix(msg, m[0])
			}
			fail(line, min(line, 1), "", "not YAML: "+msg)
			return
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue // an empty document, as between two ---
		}
		l.loadCRD(&doc, rel, fail)
	}
}

// yamlLineRE is the line a YAML error names.
var yamlLineRE = regexp.MustCompile(`^line (\d+): `)

// loadCRD checks one document as the API server checks a CRD on create:
// decoded strictly, defaulted, validated; then builds what checks its
// objects.
func (l *loader) loadCRD(doc *yaml.Node, file string, fail func(line, col int, field, msg string)) {
	at := func(path []string, msg string) {
		n := yamlNode(doc, path)
		fail(n.Line, n.Column, fieldString(path), msg)
	}
	var yamlValue any
	if err := doc.Decode(&yamlValue); err != nil {
		at(nil, err.Error())
		return
	}
	b, err := json.Marshal(yamlValue)
	if err != nil {
		at(nil, "not an object as JSON can hold it: "+err.Error())
		return
	}
	var generic any // as the API server decodes JSON: numbers as int64 or float64
	if err := utiljson.Unmarshal(b, &generic); err != nil {
		at(nil, err.Error())
		return
	}
	m, ok := generic.(map[string]any)
	if !ok {
		at(nil, fmt.Sprintf("%s, want a CustomResourceDefinition", describeValue(generic)))
		return
	}
	if m["apiVersion"] != "apiextensions.k8s.io/v1" || m["kind"] != "CustomResourceDefinition" {
		at([]string{"kind"}, fmt.Sprintf("%v %v is not a CustomResourceDefinition of apiextensions.k8s.io/v1: the %s directory holds only those", m["apiVersion"], m["kind"], CRDDir))
		return
	}
	bad := false
	checkFragment(reflect.TypeFor[apiextensionsv1.CustomResourceDefinition](), m, nil, func(path []string, msg string) { at(path, msg); bad = true })
	if bad {
		return
	}
	v1 := &apiextensionsv1.CustomResourceDefinition{}
	if err := json.Unmarshal(b, v1); err != nil {
		at(nil, err.Error())
		return
	}
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(v1)
	internal := &apiextensions.CustomResourceDefinition{}
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(v1, internal, nil); err != nil {
		at(nil, err.Error())
		return
	}
	// What the server's PrepareForCreate does before it validates.
	internal.Status = apiextensions.CustomResourceDefinitionStatus{}
	internal.Generation = 1
	for _, v := range internal.Spec.Versions {
		if v.Storage {
			internal.Status.StoredVersions = append(internal.Status.StoredVersions, v.Name)
			break
		}
	}
	if errs := crdvalidation.ValidateCustomResourceDefinition(context.Background(), internal); len(errs) > 0 {
		for _, e := range errs {
			at(v1Path(fieldPath(e.Field)), serverMessage(e))
		}
		return
	}
	gk := k8sschema.GroupKind{Group: v1.Spec.Group, Kind: v1.Spec.Names.Kind}
	if prev, ok := l.crds[gk]; ok {
		at([]string{"spec", "names", "kind"}, fmt.Sprintf("%s %s is defined by %s in %s too: give each kind one CRD", v1.Spec.Group, gk.Kind, prev.name, prev.file))
		return
	}
	c := &crd{name: v1.Name, file: file, namespaced: v1.Spec.Scope == apiextensionsv1.NamespaceScoped, versions: map[string]*crdVersion{}}
	for i, v := range internal.Spec.Versions {
		if !v.Served {
			continue
		}
		version := []string{"spec", "versions", "[" + strconv.Itoa(i) + "]"}
		cv, err := newCRDVersion(internal, v.Name)
		if err != nil {
			at(append(version, "schema", "openAPIV3Schema"), err.Error())
			return
		}
		c.versions[v.Name] = cv
	}
	l.crds[gk] = c
}

// newCRDVersion builds the checks of one served version, as the API
// server builds them when it serves the CRD.
func newCRDVersion(c *apiextensions.CustomResourceDefinition, version string) (*crdVersion, error) {
	validationSchema, err := apiextensions.GetSchemaForVersion(c, version)
	if err != nil {
		return nil, err
	}
	if validationSchema == nil || validationSchema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("version %s has no schema: every version of an apiextensions.k8s.io/v1 CRD has one", version)
	}
	s, err := structuralschema.NewStructural(validationSchema.OpenAPIV3Schema)
	if err != nil {
		return nil, err
	}
	s = s.DeepCopy()
	if err := defaulting.PruneDefaults(s); err != nil {
		return nil, err
	}
	validator, _, err := crvalidation.NewSchemaValidator(validationSchema.OpenAPIV3Schema)
	if err != nil {
		return nil, err
	}
	sub, err := apiextensions.GetSubresourcesForVersion(c, version)
	if err != nil {
		return nil, err
	}
	return &crdVersion{
		structural: s,
		validator:  validator,
		cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
		status:     sub != nil && sub.Status != nil,
	}, nil
}

// of is the CRD that defines apiVersion's group and kind, if one does.
func (cs crdSet) of(apiVersion, kind string) *crd {
	return cs[k8sschema.FromAPIVersionAndKind(apiVersion, kind).GroupKind()]
}

// hint says, of a custom resource no CRD defines, which kinds of its
// group the CRDs define; with no CRD of the group, where one would go.
func (cs crdSet) hint(apiVersion string) string {
	gv, _ := k8sschema.ParseGroupVersion(apiVersion)
	var kinds []string
	for gk := range cs {
		if gk.Group == gv.Group {
			kinds = append(kinds, gk.Kind)
		}
	}
	switch {
	case gv.Group == apiextensionsv1.GroupName:
		return "" // a CRD is no custom resource
	case len(kinds) == 0:
		return " (a CRD of it in the stack's " + CRDDir + "/ directory types it)"
	}
	slices.Sort(kinds)
	return fmt.Sprintf(" (the stack's CRDs define %s of %s, not this kind)", joinWith(kinds, "and"), gv.Group)
}

// checkCustomResource checks object o at path f (its name, a key of
// objects, the schema holds to the server's rule of a DNS subdomain) against its
// CRD as the API server does on create with strict field validation (what
// kubectl apply asks for): its metadata, unknown fields (an error, where
// the server's pruning would drop them silently only without strict
// validation), the defaults (written into o, as the server stores them),
// the schema's validation, embedded resources, list types and CEL rules.
// A status the server drops on create is dropped with a warning.
func checkCustomResource(c *crd, o map[string]any, f []string, fail, warn failFunc) {
	apiVersion, _ := o["apiVersion"].(string)
	kind, _ := o["kind"].(string)
	gv, _ := k8sschema.ParseGroupVersion(apiVersion)
	v, ok := c.versions[gv.Version]
	if !ok {
		var served []string
		for _, name := range sortedKeys(c.versions) {
			served = append(served, gv.Group+"/"+name)
		}
		msg := fmt.Sprintf("the CRD %s (%s) does not serve %s at %s", c.name, c.file, kind, apiVersion)
		if len(served) > 0 {
			msg += "; use " + strings.Join(served, " or ")
		}
		fail(at(f, "apiVersion"), msg)
		return
	}
	by := fmt.Sprintf(" (CRD %s)", c.name)
	bad := false
	failed := func(path []string, msg string) { fail(path, msg); bad = true }
	if meta, ok := o["metadata"]; ok {
		checkFragment(reflect.TypeFor[metav1.ObjectMeta](), meta, at(f, "metadata"), failed)
	}
	if ns, ok := get(o, "metadata", "namespace"); ok && !c.namespaced {
		failed(at(f, "metadata", "namespace"), fmt.Sprintf("a %s is in no namespace (its CRD's scope is Cluster); remove %s", kind, quote(fmt.Sprint(ns))))
	}
	if bad {
		return
	}
	// The object as the server decodes it: JSON numbers as int64 or float64.
	b, err := json.Marshal(o)
	if err != nil {
		fail(f, err.Error())
		return
	}
	var u map[string]any
	if err := utiljson.Unmarshal(b, &u); err != nil {
		fail(f, err.Error())
		return
	}
	for _, p := range pruning.PruneWithOptions(u, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		path := fieldPath(p)
		msg := "unknown field"
		if len(path) > 0 {
			if s := suggest(path[len(path)-1], schemaFields(v.structural, path[:len(path)-1])); s != "" {
				msg += fmt.Sprintf(", did you mean %s?", s)
			}
		}
		failed(at(f, path...), msg+by)
	}
	if ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, u, v.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true}); ferr != nil {
		failed(at(f, fieldPath(ferr.Field)...), serverMessage(ferr)+by)
	} else {
		for _, p := range paths {
			failed(at(f, fieldPath(p)...), "unknown field of an embedded object's metadata"+by)
		}
	}
	if _, ok := u["status"]; ok && v.status {
		// What the server's PrepareForCreate does, after decoding.
		warn(at(f, "status"), fmt.Sprintf("the API server drops a %s's status on create (its controller writes it through the status subresource): kdecl does not render it; remove it", kind))
		delete(u, "status")
	}
	// What is left the server validates with strict field validation off:
	// all errors at once.
	defaulting.PruneNonNullableNullsWithoutDefaults(u, v.structural)
	defaulting.Default(u, v.structural)
	errs := crvalidation.ValidateCustomResource(nil, u, v.validator)
	errs = append(errs, schemaobjectmeta.Validate(context.Background(), nil, u, v.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, v.structural, u)...)
	// The server runs the CEL rules unless an error would make them fail
	// for another reason (a value of a wrong type, a missing field, ...).
	if !slices.ContainsFunc(errs, func(e *field.Error) bool { return celBlocking[e.Type] }) {
		celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, u, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	for _, e := range errs {
		failed(at(f, fieldPath(e.Field)...), serverMessage(e)+by)
	}
	if bad {
		return
	}
	clear(o)
	for k, x := range u {
		o[k] = x // with the CRD's defaults, as the server stores it
	}
}

// celBlocking are the errors after which the API server does not run a
// custom resource's CEL rules (hasBlockingErr of its strategy).
var celBlocking = map[field.ErrorType]bool{
	field.ErrorTypeNotSupported: true, field.ErrorTypeRequired: true, field.ErrorTypeTooLong: true,
	field.ErrorTypeTooMany: true, field.ErrorTypeTypeInvalid: true,
}

// schemaFields are the properties of the structural schema at path: what
// an unknown field there may have meant.
func schemaFields(s *structuralschema.Structural, path []string) []string {
	for _, p := range path {
		switch {
		case s == nil:
			return nil
		case isIndex(p):
			s = s.Items
		case s.AdditionalProperties != nil && s.AdditionalProperties.Structural != nil:
			s = s.AdditionalProperties.Structural
		default:
			next, ok := s.Properties[p]
			if !ok {
				return nil
			}
			s = &next
		}
	}
	if s == nil {
		return nil
	}
	return sortedKeys(s.Properties)
}

// fieldPath splits a path as the API server writes it (spec.rules[0].host,
// properties[spec]) into kdecl's elements: names, and indices as [0].
func fieldPath(s string) []string {
	if s == "<nil>" {
		return nil
	}
	var path []string
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return append(path, s)
			}
			elem := s[1:end]
			if _, err := strconv.Atoi(elem); err == nil {
				elem = "[" + elem + "]"
			}
			path = append(path, elem)
			s = s[end+1:]
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			path = append(path, s[:end])
			s = s[end:]
		}
	}
	return path
}

// v1Path is a path of the API server's internal CRD as written in
// apiextensions.k8s.io/v1: the internal one holds a schema, subresources
// and columns that all versions share once, in spec.
func v1Path(path []string) []string {
	if len(path) > 1 && path[0] == "spec" {
		switch path[1] {
		case "validation":
			return append([]string{"spec", "versions", "[0]", "schema"}, path[2:]...)
		case "subresources", "additionalPrinterColumns", "selectableFields":
			return append([]string{"spec", "versions", "[0]"}, path[1:]...)
		}
	}
	return path
}

// yamlNode is the node at path in a YAML document, or its nearest
// ancestor: where an error of that field is reported.
func yamlNode(doc *yaml.Node, path []string) *yaml.Node {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		next := (*yaml.Node)(nil)
		switch {
		case n.Kind == yaml.SequenceNode && isIndex(p):
			if i, err := strconv.Atoi(p[1 : len(p)-1]); err == nil && i < len(n.Content) {
				next = n.Content[i]
			}
		case n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					next = n.Content[i+1]
					if next.Kind != yaml.MappingNode && next.Kind != yaml.SequenceNode {
						next = n.Content[i] // a scalar: its key is where the field is
					}
				}
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// serverMessage is what the API server says of e, without the value
// when that is a whole struct of its own types (a CEL rule's).
func serverMessage(e *field.Error) string {
	if e.Type == field.ErrorTypeInvalid && e.BadValue != nil {
		switch reflect.TypeOf(e.BadValue).Kind() {
		case reflect.Struct, reflect.Pointer:
			return "invalid value: " + e.Detail
		}
	}
	return lowerFirst(e.ErrorBody())
}

// lowerFirst is msg as kdecl's messages begin, lowercase: the API
// server's begin with a capital.
func lowerFirst(msg string) string {
	if msg == "" {
		return msg
	}
	return strings.ToLower(msg[:1]) + msg[1:]
}
