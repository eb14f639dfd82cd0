package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestComplete(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "shop", "shop.cue"), []byte("package shop\n_v: *\"1\" | string @tag(version)\n"))
	writeFile(t, filepath.Join(dir, "shop", "prod.cue"), []byte("@if(prod && !eu)\npackage shop\n"))
	writeFile(t, filepath.Join(dir, "shop", "dev.cue"), []byte("@if(dev)\n\npackage shop\n"))
	// what is no attribute is no tag: a comment, a string; a tag's key is
	// a name
	writeFile(t, filepath.Join(dir, "shop", "tricks.cue"), []byte("package shop\n// @tag(`touch PWNED`)\n_s: \"@tag(nope)\"\n_e: *\"dev\" | string @tag(env, short=qa|uat)\n"))
	writeFile(t, filepath.Join(dir, "repo", "cue.mod", "module.cue"), []byte("module: \"example.com/repo\"\nlanguage: version: \"v0.17.0\"\n"))
	writeFile(t, filepath.Join(dir, "repo", "db", "db.cue"), []byte("package db\n"))
	writeFile(t, filepath.Join(dir, "repo", "shop", "shop.cue"), []byte("package shop\n"))
	writeFile(t, filepath.Join(dir, "repo", "kdecl.cue"), []byte("package kdecl\n\nstacks: db: output: \"deploy/db\"\nstacks: shop: environments: {\n\tprod: {tags: [\"prod\"], output: \"deploy/shop/prod\"}\n\tstaging: {tags: [\"staging\"], output: \"deploy/shop/staging\"}\n}\n"))
	if err := syscall.Mkfifo(filepath.Join(dir, "shop", "pipe.cue"), 0o644); err != nil {
		t.Fatal(err) // completion must not wait on a named pipe
	}
	t.Chdir(dir)
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{""}, "completion\ndiff\nimport\ninit\nrender\nreview\nschema\nsecrets\nversion\nvet\nhelp\n:0\n"},
		{[]string{"re"}, "render\nreview\n:0\n"},
		{[]string{"help", "v"}, "version\nvet\n:0\n"},
		{[]string{"completion", ""}, "bash\nfish\nzsh\n:0\n"},
		{[]string{"render", "--s"}, "--strict\n:0\n"},
		{[]string{"render", "-"}, "--all\n--check\n--config\n--only\n--output\n-o\n--quiet\n-q\n--strict\n--tag\n-t\n:0\n"},
		{[]string{"diff", "--all", "--c"}, "--color\n--config\n:0\n"},
		{[]string{"review", "--all", "--config", ""}, ":2\n"},
		{[]string{"render", "--all", "--config", "repo/kdecl.cue", "--only", ""}, "db\nshop\nshop/prod\nshop/staging\n:0\n"},
		{[]string{"render", "--all", "--config=repo/kdecl.cue", "--only", "shop/"}, "shop/prod\nshop/staging\n:0\n"},
		{[]string{"render", "shop", "-t", ""}, "dev\nenv=\neu\nprod\nqa\nuat\nversion=\n:4\n"},
		{[]string{"render", "--quiet", "shop", "-t", "v"}, "version=\n:4\n"},
		{[]string{"secrets", "--format", ""}, "text\njson\n:0\n"},
		{[]string{"diff", "--color", "a"}, "auto\nalways\n:0\n"},
		{[]string{"diff", "-o", ""}, ":1\n"},
		{[]string{"schema", "--module", ""}, ":1\n"},
		{[]string{"render", "-t", "p"}, ":4\n"}, // no stack yet: "." has no tags
		{[]string{"render", "sh"}, ":1\n"},
		{[]string{"import", "k"}, ":2\n"},
		{[]string{"review", "--fail-on", "re"}, "recreate\nremoved\n:0\n"},
		{[]string{"frobnicate", ""}, ":0\n"},
	} {
		var out bytes.Buffer
		if err := complete(context.Background(), tc.words, &out); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, out.String()); diff != "" {
			t.Errorf("complete %q (-want +got):\n%s", tc.words, diff)
		}
	}
}

// TestCompletionShells loads each shell's script into the shell, with
// kdecl on the PATH, and completes command lines as the shell does on a
// tab: bash and zsh call the completion function as they would (zsh's
// compadd and _files print what they are given), fish completes with
// complete -C. make test installs zsh and fish.
func TestCompletionShells(t *testing.T) {
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "kdecl"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "stacks", "shop", "prod.cue"), []byte("@if(prod)\npackage shop\n"))
	writeFile(t, filepath.Join(dir, "manifests.yaml"), nil)
	writeFile(t, filepath.Join(dir, "evil", "evil.cue"), []byte("package evil\n_x: \"x\" @tag(`touch PWNED`)\n_y: \"y\" @tag($(touch PWNED))\n"))
	scripts := map[string]string{
		"bash": `source <(kdecl completion bash)
read -ra COMP_WORDS <<< "$LINE"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_kdecl
printf '%s\n' "${COMPREPLY[@]}"
`,
		"zsh": `compdef() { :; }
source <(kdecl completion zsh)
compadd() { while [[ $1 == -* ]]; do [[ $1 == -- ]] && { shift; break; }; [[ $1 == -S ]] && shift; shift; done; print -rl -- "$@"; }
_files() { print -rl -- ${~PREFIX}*(N${1:+/}); }
words=(${(z)LINE})
[[ $LINE == *" " ]] && words+=("")
CURRENT=${#words}
PREFIX=${words[CURRENT]}
_kdecl
`,
		"fish": `kdecl completion fish | source
complete -C "$LINE" | string replace -r '\t.*' ''
true
`,
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			path, err := exec.LookPath(shell)
			if err != nil {
				t.Skipf("%s is not installed; make test installs it", shell)
			}
			for _, tc := range []struct{ line, want string }{
				{"kdecl ren", "render"},
				{"kdecl render --ch", "--check"},
				{"kdecl render st", "stacks/"},
				{"kdecl render stacks/", "stacks/shop/"},
				{"kdecl render stacks/shop -t ", "prod"},
				{"kdecl import man", "manifests.yaml"},
				{"kdecl completion z", "zsh"},
				{"kdecl render evil -t ", ""}, // no tag, and nothing run
			} {
				args := []string{"-c", scripts[shell]}
				if shell != "fish" {
					args = append([]string{"-f"}, args...)
					if shell == "bash" {
						args[0] = "--norc"
					}
				}
				cmd := exec.Command(path, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "LINE="+tc.line)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%q: %v\n%s", tc.line, err, out)
				}
				if got := strings.TrimSuffix(strings.TrimSpace(string(out)), "/"); got != strings.TrimSuffix(tc.want, "/") {
					t.Errorf("%q completes to %q, want %q", tc.line, got, tc.want)
				}
				if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
					t.Fatalf("%q ran a command from a stack's file", tc.line)
				}
			}
		})
	}
}
