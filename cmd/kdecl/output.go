package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kdecl/kdecl/internal/deploydir"
)

// writeStream writes every file as one multi-document YAML stream, each
// document under a comment naming the file it would be.
func writeStream(w io.Writer, files []deploydir.File) error {
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "---\n# Source: %s\n", f.Path)
		_, body, _ := bytes.Cut(f.Data, []byte("\n")) // the header line
		b.Write(body)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// checkOutput refuses, as bad usage, a deploy directory that cannot be
// meant: empty, not a directory, the root, or the stack's own directory
// or one inside it (a render would write into the stack).
func checkOutput(cmd, out, stack string) error {
	if out == "" {
		return usageErrorf("%s: -o is empty; give a deploy directory, or - for stdout", cmd)
	}
	dir, err := checkDeployDir(cmd, "-o", out, false)
	if err != nil {
		return err
	}
	if s, err := resolve(stack); err == nil {
		if rel, err := filepath.Rel(s, dir); err == nil && filepath.IsLocal(rel) {
			where := "inside the stack directory"
			if rel == "." {
				where = "the stack directory"
			}
			return usageErrorf("%s: -o %s is %s %s; render outside it, e.g. -o deploy/%s", cmd, out, where, stack, filepath.Base(s))
		}
	}
	return nil
}

// checkDeployDir refuses, as bad usage, a deploy directory (given with
// flag) that cannot be one: not a directory, the root, or, when it must
// exist, missing. It returns the directory's path with links resolved.
func checkDeployDir(cmd, flag, out string, mustExist bool) (string, error) {
	switch info, err := os.Stat(out); {
	case errors.Is(err, fs.ErrNotExist) && mustExist:
		return "", usageErrorf("%s: %s %s: no such directory; give a deploy directory", cmd, flag, out)
	case err == nil && !info.IsDir():
		return "", usageErrorf("%s: %s %s is not a directory", cmd, flag, out)
	}
	dir, err := resolve(out)
	if err != nil {
		return "", err
	}
	if dir == filepath.Dir(dir) {
		return "", usageErrorf("%s: %s %s is the root directory; give a deploy directory of its own", cmd, flag, out)
	}
	return dir, nil
}

// resolve is the absolute path of name with every symbolic link resolved,
// including in a part of it that does not exist yet.
func resolve(name string) (string, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", err
	}
	rest := ""
	for {
		real, err := filepath.EvalSymlinks(abs)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		parent := filepath.Dir(abs)
		if !errors.Is(err, fs.ErrNotExist) || parent == abs {
			return "", err
		}
		rest = filepath.Join(filepath.Base(abs), rest)
		abs = parent
	}
}

// tagArgs repeats tags as the flags that set them, for a command to run.
func tagArgs(tags []string) string {
	var b strings.Builder
	for _, t := range tags {
		b.WriteString(" -t " + t)
	}
	return b.String()
}

// waiting is the Waiting of deploydir.Options: it says on stderr that
// kdecl waits for another kdecl's lock on the deploy directory dir.
func waiting(stderr io.Writer, dir string) func() {
	return func() { fmt.Fprintf(stderr, "kdecl: waiting for another kdecl to finish with %s\n", printable(dir)) }
}

// printable is s with every rune that is not graphic escaped as Go
// escapes it in a quoted string (\x1b, \u202e, and \xff for a byte that
// is not UTF-8), and the rest, backslashes included, as it is: text
// from a stack or a file (an image, a file name) then cannot move a
// terminal's cursor, clear it, or reorder or hide what it shows (bidi
// overrides, zero-width runes), and ordinary text reads unchanged. It is
// for text printed on one line: newlines and tabs are escaped too.
func printable(s string) string { return escape(s, false) }

// printableLines is printable for a message of several lines, such as an
// error: newlines and tabs stay.
func printableLines(s string) string { return escape(s, true) }

func escape(s string, lines bool) string {
	keep := func(r rune) bool { return strconv.IsGraphic(r) || lines && (r == '\n' || r == '\t') }
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !keep(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case keep(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r) // '\x1b', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}
