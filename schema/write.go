package schema

import (
	"bytes"
	"fmt"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/format"
)

// WriteCUE writes fields, the top-level fields of a stack as JSON
// decoding gives them, as the CUE source of package pkg, formatted as
// cue fmt formats it.
func WriteCUE(pkg string, fields map[string]any) ([]byte, error) {
	v := cuecontext.New().Encode(fields)
	if err := v.Err(); err != nil {
		return nil, err
	}
	body, err := format.Node(v.Syntax(cue.Final()))
	if err != nil {
		return nil, err
	}
	body = bytes.TrimPrefix(bytes.TrimSpace(body), []byte("{"))
	body = bytes.TrimSuffix(body, []byte("}"))
	out, err := format.Source(fmt.Appendf(nil, "package %s\n\n%s\n", pkg, body))
	if err != nil {
		return nil, fmt.Errorf("formatting the stack: %w", err)
	}
	return out, nil
}
