package textdiff

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string
		want     string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"one line changed", "a\nb\nc\n", "a\nB\nc\n", `--- old
+++ new
@@ -1,3 +1,3 @@
 a
-b
+B
 c
`},
		{"added file", "", "a\nb\n", `--- old
+++ new
@@ -0,0 +1,2 @@
+a
+b
`},
		{"removed file", "a\n", "", `--- old
+++ new
@@ -1 +0,0 @@
-a
`},
		{"no newline at the end", "a\nb", "a\nc", `--- old
+++ new
@@ -1,2 +1,2 @@
 a
-b
\ No newline at end of file
+c
\ No newline at end of file
`},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\nx\n3\n4\n5\n6\n7\n8\n9\n10\ny\n12\n", `--- old
+++ new
@@ -1,5 +1,5 @@
 1
-2
+x
 3
 4
 5
@@ -8,5 +8,5 @@
 8
 9
 10
-11
+y
 12
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			differ, err := Unified(&b, "old", "new", []byte(tc.old), []byte(tc.new), Colors{})
			if err != nil {
				t.Fatal(err)
			}
			if differ != (tc.old != tc.new) {
				t.Errorf("differ = %v", differ)
			}
			if b.String() != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tc.want)
			}
		})
	}
}

// TestRoundTrip applies the diffs of random texts to the old text and
// wants the new one, and wants the diffs as short as the shortest edit
// around them allows: no line kept is shown as removed and added.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		var lines []string
		for range r.IntN(40) {
			lines = append(lines, strconv.Itoa(r.IntN(6)))
		}
		s := strings.Join(lines, "\n")
		if s != "" && r.IntN(4) > 0 {
			s += "\n"
		}
		return s
	}
	for i := range 2000 {
		old, new := text(), text()
		var b bytes.Buffer
		if _, err := Unified(&b, "old", "new", []byte(old), []byte(new), Colors{}); err != nil {
			t.Fatal(err)
		}
		got, err := apply(old, b.String())
		if err != nil {
			t.Fatalf("case %d: %v\nold %q\nnew %q\ndiff:\n%s", i, err, old, new, b.String())
		}
		if got != new {
			t.Fatalf("case %d: applying the diff gives %q, want %q\ndiff:\n%s", i, got, new, b.String())
		}
	}
}

// TestLongEdit: past maxEdits the diff stays correct.
func TestLongEdit(t *testing.T) {
	var old, new strings.Builder
	for i := range 3 * maxEdits {
		fmt.Fprintf(&old, "a%d\n", i)
		fmt.Fprintf(&new, "b%d\n", i)
	}
	var b bytes.Buffer
	if _, err := Unified(&b, "old", "new", []byte(old.String()), []byte(new.String()), Colors{}); err != nil {
		t.Fatal(err)
	}
	got, err := apply(old.String(), b.String())
	if err != nil || got != new.String() {
		t.Fatalf("the diff of a long edit does not apply: %v", err)
	}
}

// apply applies a unified diff of one file to old.
func apply(old, diff string) (string, error) {
	if diff == "" {
		return old, nil
	}
	a := lines([]byte(old))
	var out []string
	pos := 0
	dl := strings.SplitAfter(diff, "\n")
	for i := 2; i < len(dl) && dl[i] != ""; i++ {
		line := dl[i]
		if strings.HasPrefix(line, "@@") {
			var os, on, ns, nn int
			if _, err := fmt.Sscanf(line, "@@ -%d,%d +%d,%d @@", &os, &on, &ns, &nn); err != nil {
				fields := strings.Fields(line)
				os, _ = strconv.Atoi(strings.Split(strings.TrimPrefix(fields[1], "-"), ",")[0])
			}
			start := max(os-1, 0)
			if strings.HasPrefix(line, "@@ -0,0") {
				start = 0
			}
			if start < pos {
				return "", fmt.Errorf("hunk at %d overlaps", os)
			}
			out = append(out, a[pos:start]...)
			pos = start
			continue
		}
		noNewline := i+1 < len(dl) && strings.HasPrefix(dl[i+1], `\ No newline`)
		text := line[1:]
		if noNewline {
			text = strings.TrimSuffix(text, "\n")
		}
		switch line[0] {
		case ' ':
			if pos >= len(a) || a[pos] != text {
				return "", fmt.Errorf("context %q does not match line %d", text, pos+1)
			}
			out = append(out, text)
			pos++
		case '-':
			if pos >= len(a) || a[pos] != text {
				return "", fmt.Errorf("removed %q does not match line %d", text, pos+1)
			}
			pos++
		case '+':
			out = append(out, text)
		}
		if noNewline {
			i++
		}
	}
	out = append(out, a[pos:]...)
	return strings.Join(out, ""), nil
}
