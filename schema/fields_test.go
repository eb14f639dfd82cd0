package schema_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"

	"github.com/kdecl/kdecl/generators"
	"github.com/kdecl/kdecl/schema"
)

// TestEveryFieldReachesTheOutput sets every leaf field of the schema, one
// at a time, in a stack, and wants the objects kdecl renders to differ
// from those of the same stack without it (or, for a field the schema
// requires, with another value). The fields come from schema.cue itself,
// so a field is covered the day it is added; its values come from the
// samples of the definitions it uses. A field that only validates, by
// design, is listed in validateOnly with the reason.
func TestEveryFieldReachesTheOutput(t *testing.T) {
	root := schema.SchemaTree(t)
	defs := schema.SchemaDefs(t)
	s := &sampler{t: t, defs: defs, root: root}
	var leaves []leaf
	collect(root, nil, &leaves)
	if len(leaves) < 100 {
		t.Fatalf("found only %d leaf fields in the schema", len(leaves))
	}
	covered := map[string]bool{}
	for _, l := range leaves {
		t.Run(l.path(), func(t *testing.T) {
			if reason, ok := validateOnly[l.path()]; ok {
				covered[l.path()] = true
				t.Skipf("validates only: %s", reason) // listed, with its reason
			}
			if w, ok := witnesses[l.path()]; ok {
				if !s.witnessed(t, l, w) {
					t.Errorf("the witnesses of %s render the same", l.path())
				}
				return
			}
			if !s.reaches(t, l) {
				t.Errorf("setting %s changes nothing kdecl renders; tried %v", l.path(), s.values(l))
			}
		})
	}
	for path := range validateOnly {
		if !slices.ContainsFunc(leaves, func(l leaf) bool { return l.path() == path }) {
			t.Errorf("validateOnly lists %s, which is no field of the schema", path)
		}
	}
}

// validateOnly are the fields that, by design, change no object.
var validateOnly = map[string]string{
	"apps.*.sidecars.*.name": "a sidecar is named by its key; the field can only repeat the key",
	"apps.*.probes.readiness.terminationGracePeriodSeconds": "#Probe has it for liveness and startup probes; " +
		"on a readiness probe the API server refuses it, and so does kdecl, saying why",
}

// witnesses are two values of the struct that holds a field, differing in
// the field, for a field whose other values each need another companion:
// a persistent volume needs a size, which an emptyDir refuses.
var witnesses = map[string][2]map[string]any{
	"apps.*.storage.*.type": {
		{"mountPath": "/mnt/v", "size": "1Gi"},
		{"mountPath": "/mnt/v", "type": "emptyDir"},
	},
}

// leaf is a field with a value that is not a struct, map or list, and
// the steps from the stack to it.
type leaf struct {
	steps []step
	node  *schema.Node
	alt   bool // the value alternative of a disjunction, like a port given as a number
}

// step is one step from a struct, map or list to its field, key or first
// element; node is what the step reaches.
type step struct {
	name  string // a field's name or a map's key; "" for a list's first element
	index bool
	node  *schema.Node
}

func (l leaf) path() string {
	if l.alt {
		return l.node.Path + " (number)"
	}
	return l.node.Path
}

func collect(n *schema.Node, steps []step, out *[]leaf) {
	switch {
	case n.Leaf != nil:
		*out = append(*out, leaf{steps: steps, node: n})
		return
	case n.Alts != nil:
		for _, a := range n.Alts {
			before := len(*out)
			if len(steps) > 0 && a.Leaf == nil {
				// the way to a leaf of this form goes through it
				steps = slices.Clone(steps)
				steps[len(steps)-1].node = a
			}
			collect(a, steps, out)
			if a.Leaf != nil {
				(*out)[before].alt = true
			}
		}
		return
	}
	for _, f := range n.Fields {
		collect(f, append(slices.Clone(steps), step{name: f.Name, node: f}), out)
	}
	switch {
	case n.Elem != nil && n.List:
		collect(n.Elem, append(slices.Clone(steps), step{index: true, node: n.Elem}), out)
	case n.Elem != nil:
		key := keyAt[n.Path]
		if key == "" {
			key = keyOf[keyName(n.Key)]
		}
		if key == "" && strings.HasPrefix(keyName(n.Key), "=~") {
			key = "example.com/a" // an annotation key
		}
		if key == "" {
			panic("no sample key for " + n.Path + " (" + keyName(n.Key) + "): add one to keyOf")
		}
		collect(n.Elem, append(slices.Clone(steps), step{name: key, node: n.Elem}), out)
	}
}

// samples are valid values of the schema's definitions of strings, the
// first the one that fills a required field.
var samples = map[string][]any{
	"#DNSLabel":      {"data", "other"},
	"#PortName":      {"http", "metrics"},
	"#EnvName":       {"FOO", "BAR"},
	"#ConfigEnvName": {"FOO", "BAR"},
	"#ConfigKey":     {"k", "app.conf"},
	"#AbsPath":       {"/mnt/x", "/mnt/y"},
	"#RelPath":       {"y/z", "w"},
	"#SecretName":    {"s1", "s2"},
	"#DNSSubdomain":  {"fast", "slow.example.com"},
	"#Image":         {"img:2.0", "example.com/img:3.1"},
	"#LabelValue":    {"front", "back"},
	"#ResourceName":  {"cpu", "memory", "example.com/gpu"},
	"#Quantity":      {"3", "2Gi", "500m"},
	"#FieldPath":     {"metadata.name", "status.podIP"},
	"#HeaderName":    {"X-A", "X-B"},
	"#PortRef":       {"http", 8080, 9090},
	"#Annotations":   {},
}

// pathSamples are values of leaves whose rule is their own, not a
// definition's, by path.
var pathSamples = map[string][]any{
	"clusterDomain":                             {"corp.example", "cluster.local"},
	"podSecurity.version":                       {"v1.37", "latest"},
	"apps.*.schedule":                           {"*/5 * * * *", "@daily"},
	"apps.*.timeZone":                           {"Europe/Berlin", "UTC"},
	"apps.*.resourceEnv.*.divisor":              {"1m", "1"},
	"apps.*.uses.[]":                            {"db", "dep"},
	"apps.*.configs.[]":                         {"cfg", "edge"},
	"apps.*.uses.[].app":                        {"db", "dep"},
	"apps.*.before.[]":                          {"front", "db"}, // not dep, which web uses: a cycle
	"apps.*.expose.loadBalancerSourceRanges.[]": {"10.0.0.0/8", "192.168.0.0/16"},
	"apps.*.expose.loadBalancerIP":              {"203.0.113.10", "2001:db8::1"},
	"apps.*.initContainers.[].name":             {"init", "setup"},
	"apps.*.sidecars.*.name":                    {"log"}, // its key
	"apps.*.overrides.pod":                      {map[string]any{"hostNetwork": true}},
	"apps.*.overrides.container":                {map[string]any{"workingDir": "/w"}},
	"apps.*.overrides.*":                        {map[string]any{"metadata": map[string]any{"annotations": map[string]any{"a": "b"}}}},
	"objects.*":                                 {map[string]any{"apiVersion": "v1", "kind": "ServiceAccount"}},
	"apps.*.objects.*":                          {map[string]any{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "spec": map[string]any{"maxUnavailable": 1}}},
}

// keyOf are map keys by the definition of their pattern; an app's name.
var keyOf = map[string]string{
	"#DNSLabel":      "data",
	"#PortName":      "http",
	"#EnvName":       "FOO",
	"#ConfigEnvName": "FOO",
	"#ConfigKey":     "k",
	"#ResourceName":  "cpu",
	"#HeaderName":    "X-A",
	"#ConfigName":    "cfg",
	"string":         "web",
}

// keyAt are the keys of maps where keyOf's would clash with the base
// stack: a volume, sidecar or Secret called data, a sidecar's port http.
var keyAt = map[string]string{
	"apps.*.storage":                 "vol",
	"apps.*.secrets.files":           "tls",
	"apps.*.sidecars":                "log",
	"apps.*.sidecars.*.ports":        "metrics",
	"apps.*.initContainers.[].ports": "debug",
	"apps.*.overrides":               "deployment",
	"apps.*.uses":                    "dep",
	"apps.*.before":                  "front",
	"apps.*.expose.ingress.paths":    "/shop",
	"objects":                        "extra",
	"apps.*.objects":                 "extra",
}

// companions are what a struct at a path needs beside its required fields
// to be valid: a probe or hook needs a handler, node ports a Service
// type, a volume a size or to be an emptyDir. Each is tried in turn.
var companions = map[string][]map[string]any{
	"apps.*.probes.liveness":     {exec},
	"apps.*.probes.readiness":    {exec},
	"apps.*.probes.startup":      {exec},
	"apps.*.lifecycle.postStart": {exec},
	"apps.*.lifecycle.preStop":   {exec},
	"apps.*.expose":              {{"type": "NodePort"}, {"type": "LoadBalancer"}},
	"apps.*.storage.*":           {{"size": "1Gi"}, {"type": "emptyDir"}, {"configMap": "shared"}},
	"apps.*.secrets.files.*":     {{"items": map[string]any{"k": "k.txt"}}},
	"apps.*.updateStrategy":      {{"maxUnavailable": 0}},
	"apps.*.disruption":          {{"maxUnavailable": 1}},
}

// appNeeds are what a field needs of the app beside the base stack's:
// a choice of a port needs a second one.
var appNeeds = map[string]map[string]any{
	"apps.*.expose.ingress.paths.*.port": {"ports": map[string]any{"http": 8080, "metrics": 9090}},
}

var exec = map[string]any{"exec": map[string]any{"command": []any{"true"}}}

type sampler struct {
	t    *testing.T
	defs map[string]ast.Expr
	root *schema.Node
}

// candidates are values to try for a leaf: its literals and samples.
func (s *sampler) candidates(e ast.Expr) []any {
	var out []any
	var visit func(e ast.Expr, depth int)
	visit = func(e ast.Expr, depth int) {
		if depth > 20 {
			return
		}
		switch e := e.(type) {
		case *ast.Ident:
			switch e.Name {
			case "int", "uint":
				out = append(out, 1, 2, 3, 7, 30001, 32000)
			case "bool":
				out = append(out, true, false)
			case "string":
				out = append(out, "dep", "some text")
			default:
				if v, ok := samples[e.Name]; ok {
					out = append(out, v...)
				} else if def, ok := s.defs[e.Name]; ok {
					visit(def, depth+1)
				}
			}
		case *ast.BasicLit:
			if v, err := strconv.Unquote(e.Value); err == nil {
				out = append(out, v)
			} else if n, err := strconv.Atoi(e.Value); err == nil {
				out = append(out, n, n+1)
			}
		case *ast.BinaryExpr:
			visit(e.X, depth+1)
			visit(e.Y, depth+1)
		case *ast.UnaryExpr:
			if op := e.Op.String(); op != "=~" && op != "!~" {
				visit(e.X, depth+1)
			}
		case *ast.ParenExpr:
			visit(e.X, depth+1)
		}
	}
	visit(e, 0)
	var uniq []any
	for _, v := range out {
		if !slices.ContainsFunc(uniq, func(u any) bool { return fmt.Sprint(u) == fmt.Sprint(v) }) {
			uniq = append(uniq, v)
		}
	}
	return uniq
}

// reaches tries the leaf in each kind of app, with and without
// companions: the field left out, then set to each value. Two renders
// that load and differ prove that it reaches the output.
func (s *sampler) reaches(t *testing.T, l leaf) bool {
	values := s.values(l)
	if len(values) == 0 {
		t.Fatalf("no sample values for %s (%s): add one to samples or pathSamples", l.path(), schema.ExprSource(l.node.Leaf))
	}
	for _, kind := range []string{"deployment", "statefulset", "daemonset", "job", "cronjob"} {
		for companion := -1; companion < 3; companion++ { // none, then each
			stack := baseStack(kind)
			maps.Copy(stack["apps"].(map[string]any)["web"].(map[string]any), deepCopy(appNeeds[l.path()]).(map[string]any))
			s.build(stack, l, companion)
			renders := map[string]bool{}
			for _, v := range append([]any{nil}, values...) {
				if r := s.render(t, stack, l, v); r != "" {
					renders[r] = true
				}
			}
			if len(renders) > 1 {
				return true
			}
		}
	}
	return false
}

// witnessed renders the stack with the two witnesses of the leaf's struct
// and wants them to differ.
func (s *sampler) witnessed(t *testing.T, l leaf, w [2]map[string]any) bool {
	parent := leaf{steps: l.steps[:len(l.steps)-1], node: l.steps[len(l.steps)-2].node}
	var renders []string
	for _, v := range w {
		stack := baseStack("deployment")
		s.build(stack, parent, -1)
		if r := s.render(t, stack, parent, v); r != "" {
			renders = append(renders, r)
		}
	}
	return len(renders) == 2 && renders[0] != renders[1]
}

func (s *sampler) values(l leaf) []any {
	if v, ok := pathSamples[l.node.Path]; ok {
		return v
	}
	return s.candidates(l.node.Leaf)
}

func baseStack(kind string) map[string]any {
	web := map[string]any{
		"kind":    kind,
		"image":   "img:1.0",
		"ports":   map[string]any{"http": 8080},
		"config":  map[string]any{"files": map[string]any{"k": "v"}},
		"storage": map[string]any{"data": map[string]any{"type": "emptyDir", "mountPath": "/data"}},
	}
	if kind == "cronjob" {
		web["schedule"] = "0 * * * *"
	}
	web["uses"] = []any{"dep"}
	web["configs"] = []any{"cfg"}
	return map[string]any{
		"namespace": "shop",
		"configs": map[string]any{
			"cfg":  map[string]any{"files": map[string]any{"k": "v"}},
			"edge": map[string]any{"env": map[string]any{"EDGE": "1"}},
		},
		"apps": map[string]any{
			"web": web,
			"dep": map[string]any{"image": "dep:1.0", "ports": map[string]any{"db": 5432}},
			"db":  map[string]any{"kind": "statefulset", "image": "db:1.0", "ports": map[string]any{"pg": 5432}},
			// an Ingress, for what the stack says of ingress controllers
			"front": map[string]any{"image": "front:1.0", "ports": map[string]any{"http": 80}, "expose": map[string]any{"ingress": map[string]any{"hosts": []any{"front.example.com"}}}},
		},
	}
}

// build makes the structs, maps and lists on the way to the leaf, each
// struct with its required fields (and, if asked, its companions) set,
// leaving out the leaf itself.
func (s *sampler) build(stack map[string]any, l leaf, companion int) {
	cur := any(stack)
	for _, st := range l.steps[:len(l.steps)-1] {
		made := s.make(st.node, companion)
		switch c := cur.(type) {
		case map[string]any:
			if old, ok := c[st.name]; !ok || fmt.Sprintf("%T", old) != fmt.Sprintf("%T", made) {
				c[st.name] = made // missing, or a number where a struct goes
			}
			cur = c[st.name]
		case []any:
			if fmt.Sprintf("%T", c[0]) != fmt.Sprintf("%T", made) {
				c[0] = made // a name where a struct goes
			}
			cur = c[0]
		}
	}
}

// make is a new value of n: a struct with its required fields, an empty
// map, or a list of one element (a struct) or none (a leaf).
func (s *sampler) make(n *schema.Node, companion int) any {
	n = n.Struct()
	switch {
	case n.Elem != nil && n.List && n.Elem.Leaf == nil:
		return []any{s.make(n.Elem, companion)}
	case n.Elem != nil && n.List:
		return []any{}
	case n.Elem != nil:
		return map[string]any{}
	case n.Leaf != nil:
		if v, ok := pathSamples[n.Path]; ok {
			return v[0]
		}
		return s.candidates(n.Leaf)[0]
	}
	m := map[string]any{}
	for _, f := range n.Fields {
		if !f.Optional {
			m[f.Name] = s.make(f, companion)
		}
	}
	if cs := companions[n.Path]; companion >= 0 && companion < len(cs) {
		maps.Copy(m, cs[companion])
	}
	return m
}

func keyName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return schema.ExprSource(e)
}

// render sets the leaf to v (nil: leaves it out) in a copy of stack and
// renders it; "" if the stack does not load.
func (s *sampler) render(t *testing.T, stack map[string]any, l leaf, v any) string {
	stack = deepCopy(stack).(map[string]any)
	if v != nil {
		setLeaf(stack, l, v)
	}
	src, err := json.MarshalIndent(stack, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stack.cue"), append([]byte("package fields\n\n"), src...), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := schema.Load(dir)
	if err != nil {
		return ""
	}
	var b strings.Builder
	ms, err := generators.Stack(st)
	if err != nil {
		t.Fatalf("a loaded stack does not render: %v", err)
	}
	for _, m := range ms {
		out, err := json.Marshal(m.Object)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(out)
	}
	return b.String()
}

// setLeaf follows the steps that build made and sets the last.
func setLeaf(stack map[string]any, l leaf, v any) {
	var parent any = stack
	for _, st := range l.steps[:len(l.steps)-1] {
		switch c := parent.(type) {
		case map[string]any:
			parent = c[st.name]
		case []any:
			parent = c[0]
		}
	}
	last := l.steps[len(l.steps)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last.name] = v
	case []any:
		// a list of leaves: set its element; the list lives in its parent
		setList(stack, l, v)
	}
}

// setList replaces the list that holds the leaf with [v].
func setList(stack map[string]any, l leaf, v any) {
	var parent any = stack
	steps := l.steps[:len(l.steps)-1]
	for _, st := range steps[:len(steps)-1] {
		switch c := parent.(type) {
		case map[string]any:
			parent = c[st.name]
		case []any:
			parent = c[0]
		}
	}
	switch c := parent.(type) {
	case map[string]any:
		c[steps[len(steps)-1].name] = []any{v}
	case []any:
		c[0] = []any{v}
	}
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}
