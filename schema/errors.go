package schema

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is a problem with a stack, positioned in the user's CUE. Warnings
// have the same form.
type Error struct {
	// Pos is file:line:col in the stack's CUE, with the file as the stack
	// directory was given to Load; empty when unknown.
	Pos string
	// App is the app the problem is in; empty for the stack's own fields.
	App string
	// Field is the path of the field in the app (or stack), like
	// config.fileEnv.CONFIG_FILE.
	Field string
	Msg   string

	file      string // for sorting
	line, col int
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos != "" {
		b.WriteString(e.Pos)
		b.WriteString(": ")
	}
	if e.App != "" {
		fmt.Fprintf(&b, "app %q: ", e.App)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem of a stack, in file order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sortErrors orders errors by position, then text, and drops repeats.
func sortErrors(es []*Error) []*Error {
	slices.SortFunc(es, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.file, b.file),
			cmp.Compare(a.line, b.line),
			cmp.Compare(a.col, b.col),
			strings.Compare(a.Error(), b.Error()),
		)
	})
	return slices.CompactFunc(es, func(a, b *Error) bool { return a.Error() == b.Error() })
}
