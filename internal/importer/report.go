package importer

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// WriteText writes the report as the README documents it: a section for
// each of notes, secrets to create, renamed, labels, added, credentials,
// not said and differences that has lines, one line each.
func (r *Report) WriteText(w io.Writer) {
	section(w, "notes", r.Notes, func(s string) string { return s })
	section(w, "secrets to create", r.Secrets, func(s string) string { return s })
	section(w, "renamed", r.Renamed, func(n Rename) string {
		if n.What == "" {
			return fmt.Sprintf("%s → %s", n.Object, n.To)
		}
		return fmt.Sprintf("%s %s: %s → %s", n.Object, n.What, orNone(n.From), orNone(n.To))
	})
	section(w, "labels", r.Labels, func(l LabelChange) string {
		object := l.Object
		if l.Pods {
			object += " pods"
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(l.Removed)) {
			parts = append(parts, "-"+k+"="+l.Removed[k])
		}
		for _, k := range slices.Sorted(maps.Keys(l.Added)) {
			parts = append(parts, "+"+k+"="+l.Added[k])
		}
		return object + ": " + strings.Join(parts, " ")
	})
	section(w, "added", r.Added, func(s string) string { return s })
	section(w, "credentials", r.Credentials, func(s string) string { return s })
	section(w, "recreate (delete before applying; --cascade=orphan keeps the pods)", r.Recreate, func(s string) string { return s })
	var left []string
	for _, app := range slices.Sorted(maps.Keys(r.Left)) {
		for _, l := range r.Left[app] {
			if app == "" {
				left = append(left, "the stack: "+l)
			} else {
				left = append(left, "app "+app+": "+l)
			}
		}
	}
	section(w, "not said", left, func(s string) string { return s })
	section(w, "differences", r.Differences, func(d Difference) string {
		at := d.Object
		if d.Path != "" {
			at += " " + d.Path
		}
		return fmt.Sprintf("%s: imported %s, rendered %s", at, orAbsent(d.Imported), orAbsent(d.Rendered))
	})
	if r.Lossless() {
		fmt.Fprintln(w, "the stack renders every object imported, but for the names, labels and credentials above")
	} else {
		var parts []string
		if len(r.Differences) > 0 {
			parts = append(parts, plural(len(r.Differences), "difference"))
		}
		if len(left) > 0 {
			parts = append(parts, plural(len(left), "thing")+" not said")
		}
		fmt.Fprintf(w, "the stack differs from the objects imported: %s\n", strings.Join(parts, ", "))
	}
}

// ForJSON is the report with an empty list, not null, for each section
// without lines, as a JSON reader expects every key to hold a list.
func (r *Report) ForJSON() *Report {
	out := *r
	nonNil(&out.Notes)
	nonNil(&out.Secrets)
	nonNil(&out.Renamed)
	nonNil(&out.Labels)
	nonNil(&out.Added)
	nonNil(&out.Recreate)
	nonNil(&out.Credentials)
	nonNil(&out.Differences)
	if out.Left == nil {
		out.Left = map[string][]string{}
	}
	return &out
}

func nonNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func section[T any](w io.Writer, title string, lines []T, line func(T) string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", line(l))
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func orAbsent(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// Lossless says whether the stack renders what was imported, but for
// names, labels and the credentials moved to Secrets.
func (r *Report) Lossless() bool { return len(r.Differences) == 0 && len(r.Left) == 0 }
