package schema

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// credentialLine is a line of testdata/credential_lines.txt.
type credentialLine struct {
	n          int // its line in the file
	credential bool
	format     string
	text       string
}

func readCredentialLines(t *testing.T) []credentialLine {
	t.Helper()
	f, err := os.Open("testdata/credential_lines.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []credentialLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		parts := strings.SplitN(l, "\t", 3)
		if len(parts) != 3 || (parts[0] != "credential" && parts[0] != "plain") {
			t.Fatalf("credential_lines.txt:%d: want verdict (credential or plain), format and line, separated by tabs: %q", n, l)
		}
		lines = append(lines, credentialLine{n: n, credential: parts[0] == "credential", format: parts[1],
			text: strings.ReplaceAll(parts[2], `\n`, "\n")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// verdicts are what the checker says of a line: one verdict for each way
// the line's format is read.
func credentialVerdicts(l credentialLine) map[string]bool {
	switch l.format {
	case "env", "docker-env":
		name, value, _ := strings.Cut(l.text, "=")
		return map[string]bool{
			"as a variable":       CredentialName(name, value) || CredentialIn(value) != "",
			"as a line of a file": CredentialInFile(l.text) != "",
		}
	case "args":
		found := false
		k := credentialChecker{secret: "app-secrets", fail: func(string, ...string) { found = true },
			notSecret: func(...string) bool { return false }}
		k.args(inContainer, splitArgs(l.text), []string{"args"})
		return map[string]bool{"as args": found}
	case "annotation":
		_, value, _ := strings.Cut(l.text, ": ")
		return map[string]bool{"as an annotation": CredentialIn(value) != ""}
	}
	return map[string]bool{"as a line of a file": CredentialInFile(l.text) != ""}
}

// splitArgs splits s at spaces, but not inside double quotes.
func splitArgs(s string) []string {
	var args []string
	var b strings.Builder
	quoted, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case r == ' ' && !quoted:
			if any {
				args = append(args, b.String())
			}
			b.Reset()
			any = false
		default:
			b.WriteRune(r)
			any = true
		}
	}
	if any {
		args = append(args, b.String())
	}
	return args
}

// TestCredentialLines measures the checker on lines of real config files:
// it counts false positives (plain config refused) and false negatives
// (credentials let through), reports both, and fails on any.
func TestCredentialLines(t *testing.T) {
	lines := readCredentialLines(t)
	if len(lines) < 100 {
		t.Fatalf("%d lines in credential_lines.txt, want at least 100", len(lines))
	}
	var credentials, falsePositives, falseNegatives int
	formats := map[string]bool{}
	for _, l := range lines {
		formats[l.format] = true
		if l.credential {
			credentials++
		}
		for how, got := range credentialVerdicts(l) {
			switch {
			case got && !l.credential:
				falsePositives++
				t.Errorf("credential_lines.txt:%d: false positive %s (%s): %q", l.n, how, l.format, l.text)
			case !got && l.credential:
				falseNegatives++
				t.Errorf("credential_lines.txt:%d: false negative %s (%s): %q", l.n, how, l.format, l.text)
			}
		}
	}
	t.Logf("%d lines of %d formats, %d credentials and %d plain: %d false positives, %d false negatives",
		len(lines), len(formats), credentials, len(lines)-credentials, falsePositives, falseNegatives)
	if credentials < len(lines)/3 || len(lines)-credentials < len(lines)/3 {
		t.Errorf("want at least a third of the lines each credentials and plain config")
	}
}

func TestSplitArgs(t *testing.T) {
	got := strings.Join(splitArgs(`curl -H "Authorization: Bearer x"  https://a ""`), "|")
	if want := "curl|-H|Authorization: Bearer x|https://a|"; got != want {
		t.Errorf("splitArgs = %q, want %q", got, want)
	}
}
