package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/kdecl/kdecl/internal/review"
)

// writeText writes changes for a terminal: a line per object, its
// details indented below, and a summary. What comes from the renders is
// printable: an image or a name cannot send a terminal its escapes.
func writeText(w io.Writer, changes []review.Change) {
	if len(changes) == 0 {
		fmt.Fprintln(w, "No change.")
		return
	}
	for _, c := range changes {
		mark := map[string]string{review.KindAdded: "+", review.KindRemoved: "-", review.KindChanged: "~"}[c.Change]
		classes := ""
		if len(c.Classes) > 0 {
			classes = ": " + strings.Join(c.Classes, ", ")
		}
		fmt.Fprintf(w, "%s %s (%s)%s\n", mark, printable(c.Object), c.Change, classes)
		for _, d := range c.Details {
			fmt.Fprintf(w, "    %s\n", printable(detail(d)))
		}
		if c.Change == review.KindChanged && len(c.Classes) == 0 {
			fmt.Fprintf(w, "    changes %s, in place, touching no pod\n", printable(fieldList(c.Fields)))
		}
	}
	fmt.Fprintln(w, summary(changes))
}

// writeMarkdown writes changes as a pull-request comment: a table of the
// objects, then their details, folded; printable, as writeText, since a
// comment shows bidi overrides too.
func writeMarkdown(w io.Writer, changes []review.Change) {
	fmt.Fprintln(w, "### kdecl review")
	fmt.Fprintln(w)
	writeMarkdownChanges(w, changes)
}

// writeMarkdownChanges is writeMarkdown without its heading: a section
// of a comment.
func writeMarkdownChanges(w io.Writer, changes []review.Change) {
	if len(changes) == 0 {
		fmt.Fprintln(w, "No change.")
		return
	}
	fmt.Fprintln(w, summary(changes))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| object | change | classes |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, c := range changes {
		classes := make([]string, len(c.Classes))
		for i, k := range c.Classes {
			classes[i] = "**" + k + "**"
			if k == review.Added || k == review.Removed {
				classes[i] = k
			}
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", printable(c.Object), c.Change, strings.Join(classes, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "<details><summary>What each change does</summary>")
	fmt.Fprintln(w)
	for _, c := range changes {
		fmt.Fprintf(w, "**`%s`** (%s, `%s`)\n", printable(c.Object), c.Change, printable(c.File))
		for _, d := range c.Details {
			fmt.Fprintf(w, "- %s\n", markdownEscape(printable(detail(d))))
		}
		if c.Change == review.KindChanged && len(c.Classes) == 0 {
			fmt.Fprintf(w, "- changes %s, in place, touching no pod\n", markdownEscape(printable(fieldList(c.Fields))))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "</details>")
}

func detail(d review.Detail) string {
	if d.Class == "" {
		return d.Text
	}
	return d.Class + ": " + d.Text
}

// fieldList names at most five fields, and how many more.
func fieldList(fields []string) string {
	const most = 5
	if len(fields) > most {
		return strings.Join(fields[:most], ", ") + fmt.Sprintf(" and %d more", len(fields)-most)
	}
	return strings.Join(fields, ", ")
}

// summary counts the objects by change and by class.
func summary(changes []review.Change) string {
	byChange := map[string]int{}
	byClass := map[string]int{}
	for _, c := range changes {
		byChange[c.Change]++
		for _, k := range c.Classes {
			byClass[k]++
		}
	}
	var parts []string
	for _, k := range []string{review.KindAdded, review.KindRemoved, review.KindChanged} {
		if n := byChange[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	s := fmt.Sprintf("%d %s: %s", len(changes), plural(len(changes), "object", "objects"), strings.Join(parts, ", "))
	var classes []string
	for _, k := range review.Classes {
		if n := byClass[k]; n > 0 && k != review.Added && k != review.Removed {
			classes = append(classes, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(classes) > 0 {
		s += "; " + strings.Join(classes, ", ")
	}
	return s + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// markdownEscape keeps a detail's text from being read as markup.
func markdownEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`)
	return r.Replace(s)
}
