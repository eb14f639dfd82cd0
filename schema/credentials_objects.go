package schema

import (
	"maps"
	"slices"
	"strings"
)

// The checks of objects and of fragments of them, as CUE decodes them
// (map[string]any, []any, strings, int64, float64, bool): overrides of
// what kdecl generates and objects it does not. Fields are the object's
// as the user wrote them, list elements made by index, so that the
// loader positions each error.
//
// One walk serves every kind and fragment, since containers sit at
// different depths of each (a Pod's spec, a Deployment's
// spec.template.spec, a CronJob's spec.jobTemplate.spec.template.spec,
// a custom resource's anywhere) and their fields are the same: every
// string is checked by its key's name and by what it holds, a pair of
// name and value (a variable, an HTTP header of a probe, a parameter)
// by the name, command and args with their flags, annotations and
// labels by what they hold only (their keys name Secrets and paths:
// nginx.ingress.kubernetes.io/auth-secret,
// vault.hashicorp.com/agent-inject-secret-db). valueFrom is a
// reference and holds no value.

// referenceFields are, by kind, the fields whose names say credential
// but which hold what is meant to be committed: a SealedSecret's
// ciphertext, the keys an ExternalSecret writes. Only what they hold is
// checked.
var referenceFields = map[string]map[string]bool{
	"sealedsecret":          setOf("encryptedData"),
	"externalsecret":        setOf("secretKey"),
	"clusterexternalsecret": setOf("secretKey"),
	"pushsecret":            setOf("secretKey"),
}

// object checks obj, an object of kind or a fragment of one, at field.
// A ConfigMap's data are variables or files by their keys (fileKey).
func (k credentialChecker) object(kind string, obj map[string]any, field ...string) {
	kind = strings.ToLower(kind)
	refs := referenceFields[kind]
	k.walk(obj, field, func(key string) fieldRule {
		switch {
		case kind == "configmap" && (key == "data" || key == "binaryData"):
			return skipField
		case refs[key]:
			return contentOnly
		}
		return byName
	})
	if data, ok := obj["data"].(map[string]any); ok && kind == "configmap" {
		k.configMapData(data, at(field, "data"))
	}
}

// fieldRule is how a field is checked.
type fieldRule uint8

const (
	byName      fieldRule = iota // by its key's name and by what it holds
	contentOnly                  // by what it holds: annotations, labels
	skipField                    // not here: a ConfigMap's data
)

// podSpec checks a pod's spec or a fragment of one, at field: its
// containers, init containers and ephemeral containers and all else.
func (k credentialChecker) podSpec(spec map[string]any, field ...string) {
	k.walk(spec, field, nil)
}

// container checks a container or a fragment of one, at field: its
// variables, command, args, probes and hooks.
func (k credentialChecker) container(ctr map[string]any, field ...string) {
	k.walk(ctr, field, nil)
}

// configMapData checks the data of a ConfigMap: a key that names a file
// as the file, any other as a variable.
func (k credentialChecker) configMapData(data map[string]any, field []string) {
	for _, key := range slices.Sorted(maps.Keys(data)) {
		v, ok := data[key].(string)
		if !ok {
			continue
		}
		f := at(field, key)
		if fileKey(key) || strings.Contains(strings.TrimSpace(v), "\n") {
			k.file(inConfigMap, key, v, f)
		} else {
			k.check(inConfigMap, key, v, f)
		}
	}
}

// walk checks the fields of m at field, and all they hold, each as rule
// says (nil: by name).
func (k credentialChecker) walk(m map[string]any, field []string, rule func(key string) fieldRule) {
	pairName, pair := m["name"].(string)
	if _, ok := m["value"].(string); !ok {
		pair = false
	}
	w := inField
	if len(field) >= 2 && isIndex(field[len(field)-1]) && field[len(field)-2] == "env" {
		w = inContainer
	}
	for _, key := range slices.Sorted(maps.Keys(m)) {
		r := byName
		if key == "annotations" || key == "labels" {
			r = contentOnly
		}
		if rule != nil && rule(key) != byName {
			r = rule(key)
		}
		f := at(field, key)
		switch v := m[key].(type) {
		case string:
			switch {
			case r == skipField:
			case r == contentOnly:
				k.check(inField, "", v, f)
			case pair && key == "value":
				k.check(w, pairName, v, f)
			default:
				k.check(inField, key, v, f)
			}
		case map[string]any:
			switch r {
			case byName:
				k.walk(v, f, rule)
			case contentOnly:
				for _, name := range slices.Sorted(maps.Keys(v)) {
					if s, ok := v[name].(string); ok {
						k.check(inField, "", s, at(f, name))
					}
				}
			}
		case []any:
			switch {
			case r == skipField:
			case key == "command" || key == "args":
				k.commandList(v, f, rule)
			default:
				k.elements(v, f, rule)
			}
		}
	}
}

// elements checks the elements of l at field.
func (k credentialChecker) elements(l []any, field []string, rule func(key string) fieldRule) {
	for i, e := range l {
		f := at(field, index(i))
		switch e := e.(type) {
		case string:
			k.check(inField, "", e, f)
		case map[string]any:
			k.walk(e, f, rule)
		case []any:
			k.elements(e, f, rule)
		}
	}
}

// commandList checks a container's command or args, at field.
func (k credentialChecker) commandList(l []any, field []string, rule func(key string) fieldRule) {
	args := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			k.elements(l, field, rule) // not a list of strings: checked as any
			return
		}
		args = append(args, s)
	}
	k.args(inContainer, args, field)
}
