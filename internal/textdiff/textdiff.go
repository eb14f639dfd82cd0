// Package textdiff writes unified diffs of texts, line by line, as
// diff -u does.
package textdiff

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// context is how many unchanged lines surround a change in a hunk.
const context = 3

// maxEdits bounds the search for the shortest edit: past it, the lines
// between the common start and end are shown as all removed and all
// added, which is still a correct diff, in bounded time and memory.
const maxEdits = 4096

// Colors are the escape sequences a diff is coloured with; the zero
// value colours nothing.
type Colors struct {
	Header, Hunk, Removed, Added, Reset string
}

// Terminal colours: bold headers, cyan hunk lines, red and green lines.
var Terminal = Colors{Header: "\x1b[1m", Hunk: "\x1b[36m", Removed: "\x1b[31m", Added: "\x1b[32m", Reset: "\x1b[0m"}

// Unified writes the diff of old and new as a unified diff with the
// names oldName and newName ("/dev/null" for a file that does not exist),
// and reports whether they differ. Equal texts write nothing.
func Unified(w io.Writer, oldName, newName string, old, new []byte, c Colors) (bool, error) {
	if bytes.Equal(old, new) {
		return false, nil
	}
	a, b := lines(old), lines(new)
	ops := diff(a, b)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s--- %s%s\n%s+++ %s%s\n", c.Header, oldName, c.Reset, c.Header, newName, c.Reset)
	for _, h := range hunks(ops) {
		writeHunk(&buf, h, a, b, c)
	}
	_, err := w.Write(buf.Bytes())
	return true, err
}

// lines splits text into lines, each with its newline; the last may have
// none.
func lines(text []byte) []string {
	if len(text) == 0 {
		return nil
	}
	return strings.SplitAfter(string(text), "\n")[:bytes.Count(text, []byte("\n"))+boolInt(text[len(text)-1] != '\n')]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// op is one line of the edit: kept (both indices), removed (i of a) or
// added (j of b).
type op struct {
	kind byte // ' ', '-', '+'
	i, j int
}

// diff is the shortest edit from a to b (Myers' algorithm), between
// their common start and end.
func diff(a, b []string) []op {
	start := 0
	for start < len(a) && start < len(b) && a[start] == b[start] {
		start++
	}
	endA, endB := len(a), len(b)
	for endA > start && endB > start && a[endA-1] == b[endB-1] {
		endA--
		endB--
	}
	var ops []op
	for k := range start {
		ops = append(ops, op{' ', k, k})
	}
	ops = append(ops, middle(a[start:endA], b[start:endB], start, start)...)
	for k := 0; endA+k < len(a); k++ {
		ops = append(ops, op{' ', endA + k, endB + k})
	}
	return ops
}

// middle is the edit from a to b, which start at offA and offB.
func middle(a, b []string, offA, offB int) []op {
	n, m := len(a), len(b)
	all := func() []op { // everything removed, then everything added
		ops := make([]op, 0, n+m)
		for i := range n {
			ops = append(ops, op{'-', offA + i, 0})
		}
		for j := range m {
			ops = append(ops, op{'+', 0, offB + j})
		}
		return ops
	}
	if n == 0 || m == 0 {
		return all()
	}
	maxD := min(n+m, maxEdits)
	v := make([]int, 2*maxD+2)
	var trace [][]int
	found := -1
	for d := 0; d <= maxD && found < 0; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[maxD+k-1] < v[maxD+k+1] {
				x = v[maxD+k+1] // down: an addition
			} else {
				x = v[maxD+k-1] + 1 // right: a removal
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[maxD+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		return all()
	}
	// Walk the trace back from (n, m).
	var rev []op
	x, y := n, m
	for d := found; d > 0; d-- {
		prev := trace[d]
		k := x - y
		var pk int
		if k == -d || k != d && prev[maxD+k-1] < prev[maxD+k+1] {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := prev[maxD+pk]
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
			rev = append(rev, op{' ', offA + x, offB + y})
		}
		if x == px {
			y--
			rev = append(rev, op{'+', 0, offB + y})
		} else {
			x--
			rev = append(rev, op{'-', offA + x, 0})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, op{' ', offA + x, offB + y})
	}
	ops := make([]op, len(rev))
	for i, o := range rev {
		ops[len(rev)-1-i] = o
	}
	return ops
}

// hunk is a run of ops with its context.
type hunk struct{ ops []op }

// hunks groups the changes of ops with context lines around each,
// merging changes closer than twice the context.
func hunks(ops []op) []hunk {
	var out []hunk
	i := 0
	for i < len(ops) {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(i-context, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		out = append(out, hunk{ops[start:end]})
		i = end
	}
	return out
}

func writeHunk(buf *bytes.Buffer, h hunk, a, b []string, c Colors) {
	oldStart, newStart, oldLen, newLen := -1, -1, 0, 0
	for _, o := range h.ops {
		switch o.kind {
		case ' ':
			if oldStart < 0 {
				oldStart = o.i
			}
			if newStart < 0 {
				newStart = o.j
			}
			oldLen++
			newLen++
		case '-':
			if oldStart < 0 {
				oldStart = o.i
			}
			oldLen++
		case '+':
			if newStart < 0 {
				newStart = o.j
			}
			newLen++
		}
	}
	fmt.Fprintf(buf, "%s@@ -%s +%s @@%s\n", c.Hunk, span(oldStart, oldLen), span(newStart, newLen), c.Reset)
	for _, o := range h.ops {
		var line, color string
		switch o.kind {
		case ' ':
			line = a[o.i]
		case '-':
			line, color = a[o.i], c.Removed
		case '+':
			line, color = b[o.j], c.Added
		}
		end := c.Reset
		if color == "" {
			end = ""
		}
		text, newline := strings.CutSuffix(line, "\n")
		fmt.Fprintf(buf, "%s%c%s%s\n", color, o.kind, text, end)
		if !newline {
			buf.WriteString("\\ No newline at end of file\n")
		}
	}
}

// span is a hunk's range of one side, as diff -u writes it: the first
// line (1-based) and the count; 0,0 for a side with no line.
func span(start, n int) string {
	switch {
	case start < 0:
		return "0,0"
	case n == 1:
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
