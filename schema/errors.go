package schema

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"
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
	// AlsoIn are the other apps with the same problem at the same place:
	// a template they share.
	AlsoIn []string
	// Field is the path of the field in the app (or stack), like
	// config.fileEnv.CONFIG_FILE.
	Field string
	Msg   string
}

// String is file:line:col, or "" when the position is unknown.
func (p Position) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Pos is file:line:col, or "" when the position is unknown.
func (e *Error) Pos() string { return e.Position.String() }

// Message is the error without its position: app, field and message.
func (e *Error) Message() string {
	var b strings.Builder
	switch {
	case len(e.AlsoIn) > 0:
		fmt.Fprintf(&b, "apps %s: ", list(quoteAll(append([]string{e.App}, e.AlsoIn...))))
	case e.App != "":
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

// list writes "a", "a and b" or "a, b and c".
func list(items []string) string { return joinWith(items, "and") }

// joinWith writes "a", "a or b" or "a, b or c", with the conjunction given.
func joinWith(items []string, conj string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

func quoteAll(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = strconv.Quote(s)
	}
	return out
}

// sortErrors orders errors by position, then text, and drops repeats.
// The same problem at the same place in several apps, in a template they
// share, is one error that names them all.
func sortErrors(es []*Error) []*Error {
	type place struct {
		pos        Position
		field, msg string
	}
	shared := map[place]*Error{}
	var merged []*Error
	for _, e := range es {
		k := place{e.Position, e.Field, e.Msg}
		if first, ok := shared[k]; ok && e.File != "" && e.App != "" && first.App != "" && first.App != e.App && !slices.Contains(first.AlsoIn, e.App) {
			first.AlsoIn = append(first.AlsoIn, e.App)
			continue
		}
		if _, ok := shared[k]; !ok {
			shared[k] = e
		}
		merged = append(merged, e)
	}
	for _, e := range merged {
		if len(e.AlsoIn) > 0 {
			all := append([]string{e.App}, e.AlsoIn...)
			slices.Sort(all)
			e.App, e.AlsoIn = all[0], all[1:]
		}
	}
	es = merged
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

// maxExcerpt bounds how much of a value an error echoes.
const maxExcerpt = 100

// excerpt shortens a value for an error: white space runs become one
// space, and past maxExcerpt runes it is cut, saying how long it was.
func excerpt(s string) string {
	cut, size := shorten(s)
	if strings.HasPrefix(cut, `"`) && size != "" {
		cut += `"` // a CUE string: cut inside its quotes
	}
	return cut + size
}

// quote is excerpt, quoted: a string value of the user's in a message.
func quote(s string) string {
	cut, size := shorten(s)
	return strconv.Quote(cut) + size
}

// shorten cuts s for a message and, if it did, says how long s was.
func shorten(s string) (cut, size string) {
	if strings.ContainsAny(s, "\n\t") {
		s = strings.Join(strings.Fields(s), " ")
	}
	if utf8.RuneCountInString(s) <= maxExcerpt {
		return s, ""
	}
	n := 0
	for i := range s {
		if n == maxExcerpt-10 {
			return s[:i] + "…", fmt.Sprintf(" (%d bytes)", len(s))
		}
		n++
	}
	return s, ""
}

// valueText is v as an error shows it, a value of the stack's: excerpt of
// its CUE, a struct or list written on one line, {a: 1, b: [2, 3]}. It
// stops at maxExcerpt runes, so its cost is bounded whatever v's size and
// depth: CUE's own formatting of a struct nested thousands of levels deep
// takes seconds and hundreds of MB, all to be cut to a line.
func valueText(v cue.Value) string {
	if !composite(v) {
		if v.Err() != nil {
			return "_|_" // the error is the message's, not the value's
		}
		return excerpt(fmt.Sprint(v))
	}
	w := &valueWriter{}
	w.value(v)
	if w.full {
		return w.text.String() + "…"
	}
	return excerpt(w.text.String())
}

// valueWriter writes a value for valueText, until it has enough.
type valueWriter struct {
	text strings.Builder
	n    int // the runes written
	full bool
}

func (w *valueWriter) write(s string) {
	for _, r := range s {
		if w.n == maxExcerpt-10 {
			w.full = true
			return
		}
		w.text.WriteRune(r)
		w.n++
	}
}

func (w *valueWriter) value(v cue.Value) {
	switch v.Kind() {
	case cue.StructKind:
		it, err := v.Fields()
		if err != nil {
			break
		}
		w.write("{")
		for i := 0; !w.full && it.Next(); i++ {
			if i > 0 {
				w.write(", ")
			}
			w.write(it.Selector().String() + ": ")
			w.value(it.Value())
		}
		w.write("}")
		return
	case cue.ListKind:
		it, err := v.List()
		if err != nil {
			break
		}
		w.write("[")
		for i := 0; !w.full && it.Next(); i++ {
			if i > 0 {
				w.write(", ")
			}
			w.value(it.Value())
		}
		w.write("]")
		return
	}
	if err := v.Err(); err != nil {
		w.write("_|_")
		return
	}
	if composite(v) {
		// not concrete, such as a disjunction of structs
		op, args := v.Expr()
		sep := map[cue.Op]string{cue.OrOp: " | ", cue.AndOp: " & "}[op]
		if sep == "" || len(args) < 2 {
			w.write("_")
			return
		}
		for i, a := range args {
			if i > 0 {
				w.write(sep)
			}
			w.value(a)
		}
		return
	}
	s, size := shorten(fmt.Sprint(v)) // a scalar, or a constraint such as >=2
	if strings.HasPrefix(s, `"`) && size != "" {
		s += `"`
	}
	w.write(s)
}

// composite is whether v may be a struct or a list, which valueWriter
// writes in bounded steps.
func composite(v cue.Value) bool {
	return v.IncompleteKind()&(cue.StructKind|cue.ListKind) != 0
}

// excerpts shortens the values among args of a CUE message.
func excerpts(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case error:
			out[i] = a // a reason, not a value
		case string, fmt.Stringer:
			out[i] = excerpt(fmt.Sprint(a))
		default:
			out[i] = a
		}
	}
	return out
}
