package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kdecl/kdecl/schema"
)

const completionDoc = `usage: kdecl completion bash|zsh|fish

Completion prints a script that completes kdecl's commands and flags in
a shell, the stack directories and files they take, and the tags of
-t: the @tag(NAME) and @if(NAME) of the stack's CUE files.

Load it in the shell's start-up file:

  bash   source <(kdecl completion bash)            in ~/.bashrc
  zsh    source <(kdecl completion zsh)             in ~/.zshrc
  fish   kdecl completion fish | source             in ~/.config/fish/config.fish

Examples:
  kdecl completion bash > /etc/bash_completion.d/kdecl
  source <(kdecl completion zsh)
`

func runCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("completion", pflag.ContinueOnError)
	if ok, err := parseFlags(fs, completionDoc, args, -1, stdout); !ok {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("completion takes one shell, bash, zsh or fish; run 'kdecl completion --help'")
	}
	script, ok := completionScripts[fs.Arg(0)]
	if !ok {
		return usageErrorf("completion: unknown shell %q: want bash, zsh or fish", fs.Arg(0))
	}
	_, err := io.WriteString(stdout, script)
	return err
}

// What the scripts ask kdecl: 'kdecl __complete WORD...', the words of the
// command line after kdecl up to the one being completed, which may be
// empty. kdecl answers with candidates, one a line, and a last line
// ":N", N the sum of what the shell completes itself besides them.
const (
	completeDirs    = 1 // directories
	completeFiles   = 2 // files and directories
	completeNoSpace = 4 // no space after the word: a tag KEY= wants its value
)

// completeCommand is the command the scripts run.
const completeCommand = "__complete"

// complete answers a script: what may follow the words before the last
// one and starts with the last one.
func complete(ctx context.Context, words []string, stdout io.Writer) error {
	if len(words) == 0 {
		words = []string{""}
	}
	cur, before := words[len(words)-1], words[:len(words)-1]
	var cands []string
	directive := 0
	switch {
	case len(before) == 0:
		cands = append(slices.Sorted(maps.Keys(commands)), "help")
	case before[0] == "help":
		if len(before) == 1 {
			cands = slices.Sorted(maps.Keys(commands))
		}
	case before[0] == "completion":
		if len(before) == 1 {
			cands = []string{"bash", "fish", "zsh"}
		}
	default:
		cmd, ok := commands[before[0]]
		if !ok {
			break
		}
		flags := commandFlags(ctx, cmd)
		prev := before[len(before)-1]
		if f := flagNamed(flags, prev); f != nil && f.NoOptDefVal == "" && f.Value.Type() != "bool" && !strings.Contains(prev, "=") {
			cands, directive = flagValues(before[0], f, before[1:], flags)
			break
		}
		if strings.HasPrefix(cur, "-") {
			for _, f := range flags {
				cands = append(cands, "--"+f.Name)
				if f.Shorthand != "" {
					cands = append(cands, "-"+f.Shorthand)
				}
			}
			break
		}
		directive = completeDirs
		if before[0] == "import" {
			directive = completeFiles
		}
	}
	var b strings.Builder
	for _, c := range cands {
		if strings.HasPrefix(c, cur) {
			fmt.Fprintln(&b, c)
		}
	}
	fmt.Fprintf(&b, ":%d\n", directive)
	_, err := io.WriteString(stdout, b.String())
	return err
}

// flagValues are the candidates for the value of flag f of cmd, whose
// other words are args: the tags of the stack, a directory, or the values
// a flag of fixed values lists as its usage (text|json).
func flagValues(cmd string, f *pflag.Flag, args []string, flags []*pflag.Flag) ([]string, int) {
	switch {
	case f.Name == "tag":
		return schema.Tags(stackArg(args, flags)), completeNoSpace
	case f.Name == "output" && (cmd == "render" || cmd == "import"):
		return []string{"-"}, completeDirs
	case f.Name == "output", f.Name == "from", f.Name == "to", f.Name == "module":
		return nil, completeDirs
	case f.Name == "config":
		return nil, completeFiles
	case f.Name == "only":
		return renderNames(args, flags), 0
	case strings.Contains(f.Usage, "|"):
		return strings.Split(f.Usage, "|"), 0
	}
	return nil, 0
}

// renderNames are the names of the renders and stacks of the kdecl.cue
// that --config among args names, or of the one found from here up.
func renderNames(args []string, flags []*pflag.Flag) []string {
	file := ""
	for i, a := range args {
		if f := flagNamed(flags, a); f != nil && f.Name == "config" {
			if _, v, ok := strings.Cut(a, "="); ok {
				file = v
			} else if i+1 < len(args) {
				file = args[i+1]
			}
		}
	}
	if file == "" {
		var err error
		if file, err = schema.FindRepo("."); err != nil {
			return nil
		}
	}
	renders, err := schema.LoadRepo(file)
	if err != nil {
		return nil
	}
	var names []string
	for _, r := range renders {
		if stack, _, ok := strings.Cut(r.Name, "/"); ok && !slices.Contains(names, stack) {
			names = append(names, stack)
		}
		names = append(names, r.Name)
	}
	return names
}

// stackArg is the first argument among args that is neither a flag nor
// a flag's value: the stack directory, "." when there is none yet.
func stackArg(args []string, flags []*pflag.Flag) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			return a
		}
		if f := flagNamed(flags, a); f != nil && f.Value.Type() != "bool" && !strings.Contains(a, "=") {
			i++ // its value
		}
	}
	return "."
}

// flagNamed is the flag a word names: -t, --tag or --tag=x.
func flagNamed(flags []*pflag.Flag, word string) *pflag.Flag {
	name, _, _ := strings.Cut(word, "=")
	for _, f := range flags {
		if name == "--"+f.Name || f.Shorthand != "" && name == "-"+f.Shorthand {
			return f
		}
	}
	return nil
}

// flagLister, as the stdout of a command, asks parseFlags for the
// command's flags instead of parsing: completion reads a command's flags
// from the command itself.
type flagLister struct {
	io.Writer
	flags []*pflag.Flag
}

// commandFlags are the flags of cmd.
func commandFlags(ctx context.Context, cmd command) []*pflag.Flag {
	l := &flagLister{Writer: io.Discard}
	cmd.run(ctx, nil, l, io.Discard)
	return l.flags
}

var completionScripts = map[string]string{
	"bash": `# bash completion for kdecl: source <(kdecl completion bash)
_kdecl() {
	local cur=${COMP_WORDS[COMP_CWORD]} out directive c IFS=$'\n'
	out=$(kdecl __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
	directive=${out##*:}
	out=${out%:*}
	COMPREPLY=()
	# the candidates as they are: never expanded by the shell
	while IFS= read -r c; do
		[[ -n $c && $c == "$cur"* ]] && COMPREPLY+=("$c")
	done <<< "$out"
	if (( directive & 1 )); then
		COMPREPLY+=($(compgen -d -- "$cur"))
	elif (( directive & 2 )); then
		COMPREPLY+=($(compgen -f -- "$cur"))
	fi
	if (( directive & 4 )); then
		compopt -o nospace 2>/dev/null
	fi
	if (( directive & 3 )); then
		compopt -o filenames 2>/dev/null
	fi
}
complete -F _kdecl kdecl
`,
	"zsh": `#compdef kdecl
# zsh completion for kdecl: source <(kdecl completion zsh)
_kdecl() {
	local out directive
	local -a cands
	out=$(kdecl __complete "${(@)words[2,CURRENT]}" 2>/dev/null) || return
	directive=${out##*:}
	cands=(${(f)${out%:*}})
	if (( directive & 4 )); then
		compadd -S '' -- $cands
	else
		compadd -- $cands
	fi
	if (( directive & 1 )); then
		_files -/
	elif (( directive & 2 )); then
		_files
	fi
}
if (( $+functions[compdef] )); then
	compdef _kdecl kdecl
else
	autoload -Uz compinit && compinit && compdef _kdecl kdecl
fi
`,
	"fish": `# fish completion for kdecl: kdecl completion fish | source
function __kdecl_complete
	set -l words (commandline -opc)[2..-1] (commandline -ct)
	set -l out (kdecl __complete $words 2>/dev/null)
	or return
	set -l directive (string replace ':' '' -- $out[-1])
	for c in $out[1..-2]
		echo $c
	end
	if test (math "$directive % 2") -eq 1
		__fish_complete_directories (commandline -ct)
	else if test (math "floor($directive / 2) % 2") -eq 1
		__fish_complete_path (commandline -ct)
	end
end
complete -c kdecl -f -a '(__kdecl_complete)'
`,
}
