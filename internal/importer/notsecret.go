package importer

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"

	"github.com/kdecl/kdecl/schema"
)

// listItem is the index of a list's item at the end of a field's label
// as errors write it: args[1].
var listItem = regexp.MustCompile(`(\[[0-9]+\])+$`)

// credentialFields are the fields of the errors err holds that kdecl's
// credential check refuses, as paths from the stack's root; the other
// errors stay for the render after they are marked.
func credentialFields(err error) [][]string {
	var errs schema.Errors
	if !errors.As(err, &errs) {
		return nil
	}
	var out [][]string
	for _, e := range errs {
		if !e.Markable() {
			continue
		}
		path, ok := splitField(e.Field)
		if ok {
			// An item of a list takes no attribute: its list's field
			// marks it (args: [...] @kdecl(notsecret)).
			last := path[len(path)-1]
			path[len(path)-1] = listItem.ReplaceAllString(last, "")
		}
		if !ok {
			continue
		}
		if e.App == "" {
			out = append(out, path)
			continue
		}
		for _, app := range append([]string{e.App}, e.AlsoIn...) { // a template's, said in each
			out = append(out, append([]string{"apps", app}, path...))
		}
	}
	return out
}

// splitField splits a field's path as errors write it (env."A.B".x)
// into its labels.
func splitField(f string) ([]string, bool) {
	var out []string
	for f != "" {
		if strings.HasPrefix(f, `"`) {
			q, err := strconv.QuotedPrefix(f)
			if err != nil {
				return nil, false
			}
			label, _ := strconv.Unquote(q)
			out = append(out, label)
			f = f[len(q):]
		} else {
			label, _, _ := strings.Cut(f, ".")
			out = append(out, label)
			f = f[len(label):]
		}
		if rest, ok := strings.CutPrefix(f, "."); ok {
			f = rest
		} else if f != "" {
			return nil, false
		}
	}
	return out, len(out) > 0
}

// markNotSecret marks each field of paths in src, a stack's file,
// @kdecl(notsecret): a value read as it was, which kdecl's credential
// check takes for a credential. It returns the paths src has no field
// at.
func markNotSecret(src []byte, paths [][]string) ([]byte, [][]string, error) {
	if len(paths) == 0 {
		return src, nil, nil
	}
	f, err := parser.ParseFile("stack.cue", src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	var missing [][]string
	for _, path := range paths {
		field := findField(f.Decls, path)
		if field == nil {
			missing = append(missing, path)
			continue
		}
		if !slices.ContainsFunc(field.Attrs, func(a *ast.Attribute) bool { return a.Text == schema.NotSecret }) {
			field.Attrs = append(field.Attrs, &ast.Attribute{Text: schema.NotSecret})
		}
	}
	out, err := format.Node(f)
	return out, missing, err
}

// findField is the field at path among decls, nested struct literals
// and lists of them as the stack import writes them; a label may end in
// the indexes of a list's items (initContainers[0]).
func findField(decls []ast.Decl, path []string) *ast.Field {
	label, indexes := path[0], listItem.FindString(path[0])
	label = strings.TrimSuffix(label, indexes)
	for _, d := range decls {
		field, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		name, _, err := ast.LabelName(field.Label)
		if err != nil || name != label {
			continue
		}
		if len(path) == 1 && indexes == "" {
			return field
		}
		v := field.Value
		for _, ix := range strings.Split(strings.Trim(indexes, "[]"), "][") {
			if ix == "" {
				break
			}
			n, _ := strconv.Atoi(ix)
			l, ok := v.(*ast.ListLit)
			if !ok || n >= len(l.Elts) {
				return nil
			}
			v = l.Elts[n]
		}
		if st, ok := v.(*ast.StructLit); ok && len(path) > 1 {
			return findField(st.Elts, path[1:])
		}
		return nil
	}
	return nil
}
