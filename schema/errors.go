package schema

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Position is a place in the stack's CUE.
type Position struct {
	// File, Line and Column locate it, with the file as the stack
	// directory was given to Load; File is empty when it is unknown.
	File         string
	Line, Column int
}

// Error is a problem with a stack, positioned in the user's CUE. Warnings
// have the same form.
type Error struct {
	Position
	// App is the app the problem is in; empty for the stack's own fields.
	App string
	// Field is the path of the field in the app (or stack), like
	// config.fileEnv.CONFIG_FILE.
	Field string
	Msg   string
}

// Pos is file:line:col, or "" when the position is unknown.
func (e *Error) Pos() string {
	if e.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
}

// Message is the error without its position: app, field and message.
func (e *Error) Message() string {
	var b strings.Builder
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

func (e *Error) Error() string {
	if pos := e.Pos(); pos != "" {
		return pos + ": " + e.Message()
	}
	return e.Message()
}

// Errorf is a problem with the app as a whole, or with field (a path
// like config.files), at the app's position.
func (a *App) Errorf(field, format string, args ...any) *Error {
	return &Error{Position: a.Pos, App: a.Name, Field: field, Msg: fmt.Sprintf(format, args...)}
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
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			strings.Compare(a.Error(), b.Error()),
		)
	})
	return slices.CompactFunc(es, func(a, b *Error) bool { return a.Error() == b.Error() })
}
