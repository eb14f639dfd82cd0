package e2e

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOracle proves kdecl's promise that exit 0 means the API server
// accepts every object written, on random stacks (internal/randstack) that
// use every field of the schema with values up to and past its edges.
// Every stack kdecl renders with exit 0 must pass a server-side dry run,
// object by object, and the checks a dry run skips (see checkStack). A
// stack kdecl refuses (exit 1) is not checked; any other exit is a crash.
//
// KDECL_ORACLE_STACKS sets the number of stacks (default oracleStacks),
// KDECL_ORACLE_SEED the seed (default 1, so that make e2e checks the same
// stacks every run; "random" draws one from the time; always logged, and
// with the number it reproduces the run: stack i is the same for every
// number),
// KDECL_ORACLE_DIR a directory that keeps the stacks, their renders and
// what kubectl said (default: a temporary one, emptied after each chunk of
// stacks).
// KDECL_ORACLE_LEFT_TO_SERVER=1 draws also values past the rules kdecl
// leaves to the API server in overrides and objects (schema/VALIDATION.md):
// the oracle then fails, by design, and its report measures that gap.
// KDECL_ORACLE_INPUT checks the stacks in the directories under it
// instead, each with a namespace of its own: a stack of a report, cut
// down by hand.
func TestOracle(t *testing.T) {
	n := envInt(t, "KDECL_ORACLE_STACKS", oracleStacks)
	seed := uint64(1)
	switch s := os.Getenv("KDECL_ORACLE_SEED"); s {
	case "":
	case "random":
		seed = uint64(time.Now().UnixNano())
	default:
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("KDECL_ORACLE_SEED: %v", err)
		}
	}
	input := os.Getenv("KDECL_ORACLE_INPUT")
	var inputDirs []string
	if input != "" {
		entries, err := os.ReadDir(input)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				inputDirs = append(inputDirs, filepath.Join(input, e.Name()))
			}
		}
		n = len(inputDirs)
		t.Logf("KDECL_ORACLE_INPUT=%s: %d stacks", input, n)
	} else {
		t.Logf("KDECL_ORACLE_SEED=%d KDECL_ORACLE_STACKS=%d", seed, n)
	}
	dir, keep := os.Getenv("KDECL_ORACLE_DIR"), true
	if dir == "" {
		dir, keep = t.TempDir(), false
	}
	for _, d := range []string{"stacks", "deploy", "namespaces", "crds", "pods"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	randstack := filepath.Join(dir, "randstack")
	if input == "" {
		build := exec.Command("go", "build", "-o", randstack, "./internal/randstack/cmd/randstack")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build randstack: %v\n%s", err, out)
		}
	}

	var failed []*oracleStack
	exits := map[int]int{}
	rendered, objects := 0, 0
	for from := 0; from < n; from += oracleChunk {
		start := time.Now()
		size := min(oracleChunk, n-from)
		var dirs []string
		if input != "" {
			dirs = inputDirs[from : from+size]
		} else {
			dirs = generate(t, randstack, filepath.Join(dir, "stacks"), seed, from, size)
		}
		stacks := oracleRun(t, dir, from, dirs)
		chunkObjects := 0
		for _, s := range stacks {
			exits[s.exit]++
			if s.exit == 0 {
				rendered++
				chunkObjects += len(s.objects)
			}
			if len(s.problems) > 0 {
				s.src = readCUE(s.dir)
				failed = append(failed, s)
			}
			s.objects = nil // let a long run forget what it checked
		}
		objects += chunkObjects
		t.Logf("stacks %d-%d: %d objects checked in %v", from, from+len(stacks)-1, chunkObjects, time.Since(start).Round(time.Millisecond))
		if !keep {
			for _, d := range []string{"stacks", "deploy", "namespaces", "crds", "pods"} {
				os.RemoveAll(filepath.Join(dir, d))
			}
		}
	}
	t.Logf("%d stacks, kdecl exit codes %v; %d objects of %d stacks checked against the API server", n, exits, objects, rendered)
	if n >= 20 && rendered < n/5 {
		t.Errorf("only %d of %d stacks rendered: the oracle checks too little; make internal/randstack draw fewer values kdecl refuses", rendered, n)
	}
	report(t, failed, n)
}

const (
	// oracleStacks is how many stacks TestOracle checks by default: about
	// 30 seconds on 2 cores. make oracle checks many more.
	oracleStacks = 500
	// oracleChunk is how many stacks are generated, rendered and applied
	// at a time, which bounds the memory and disk of a long run.
	oracleChunk = 250
)

// generate writes stacks from to from+n-1 of seed into dir, and returns
// their directories.
func generate(t *testing.T, randstack, dir string, seed uint64, from, n int) []string {
	args := []string{"-seed", fmt.Sprint(seed), "-from", fmt.Sprint(from), "-n", fmt.Sprint(n), "-o", dir}
	if os.Getenv("KDECL_ORACLE_LEFT_TO_SERVER") != "" {
		args = append(args, "-left-to-server")
	}
	gen := exec.Command(randstack, args...)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("randstack: %v\n%s", err, out)
	}
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = filepath.Join(dir, strconv.Itoa(from+i))
	}
	return dirs
}

// oracleRun renders the stacks in dirs, numbered from from, and checks
// every stack that renders with exit 0.
func oracleRun(t *testing.T, dir string, from int, dirs []string) []*oracleStack {
	stacks := renderAll(filepath.Join(dir, "deploy"), from, dirs)
	var rendered []*oracleStack
	objects := 0
	for _, s := range stacks {
		switch s.exit {
		case 0:
			s.read(t)
			checkStack(s)
			rendered = append(rendered, s)
			objects += len(s.objects)
		case 1:
		default:
			s.fail("render: kdecl exited %d, a crash, not a refusal: %s\n%s", s.exit, crashLine(s.stderr), s.stderr)
		}
	}
	dryRunAll(t, dir, rendered, objects)
	return stacks
}

// oracleStack is one generated stack and what became of it.
type oracleStack struct {
	index    int
	dir, out string // the stack and its deploy directory
	exit     int
	stderr   string
	objects  []*manifest
	src      []byte // the CUE of a stack that fails

	mu       sync.Mutex
	problems []string // why the stack fails the oracle
}

func (s *oracleStack) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

// renderAll renders each of dirs, numbered from from, into deploy/<i>
// with the kdecl binary, a process per CPU at a time.
func renderAll(deployDir string, from int, dirs []string) []*oracleStack {
	stacks := make([]*oracleStack, len(dirs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range next {
				s := &oracleStack{
					index: from + i,
					dir:   dirs[i],
					out:   filepath.Join(deployDir, strconv.Itoa(from+i)),
				}
				var stderr bytes.Buffer
				cmd := exec.Command(kdecl, "render", s.dir, "-o", s.out)
				cmd.Stderr = &stderr
				err := cmd.Run()
				s.exit, s.stderr = exitCode(err), stderr.String()
				if s.exit < 0 {
					s.stderr += err.Error()
				}
				stacks[i] = s
			}
		})
	}
	for i := range dirs {
		next <- i
	}
	close(next)
	wg.Wait()
	return stacks
}

// dryRunAll creates the Namespace of every stack for real, then applies
// all stacks with a server-side dry run, a few kubectl processes at a
// time over many stacks each, and gives each error to its stack.
func dryRunAll(t *testing.T, dir string, stacks []*oracleStack, objects int) {
	if len(stacks) == 0 {
		return
	}
	sentinel := filepath.Join(dir, "sentinel.yaml")
	writeFile(t, sentinel, []byte(sentinelObject))

	// The Namespaces first, one file per stack, so that an error names it.
	nsDir := filepath.Join(dir, "namespaces")
	if err := os.RemoveAll(nsDir); err != nil {
		t.Fatal(err)
	}
	files := map[string]*oracleStack{}
	for _, s := range stacks {
		for _, m := range s.objects {
			if m.kind == "Namespace" {
				f := filepath.Join(nsDir, strconv.Itoa(s.index)+".yaml")
				writeFile(t, f, m.yaml)
				files[f] = s
			}
		}
	}
	if len(files) > 0 {
		created, refused := applyBatch(t, "create the Namespace", []string{"apply"}, sentinel, files)
		if created+refused != len(files) {
			t.Errorf("kubectl apply of %d Namespaces accounted for %d", len(files), created+refused)
		}
	}

	// Nor does it define custom resources: their definitions go first,
	// for real, as a cluster's administrator installs them.
	createCRDs(t, dir, sentinel, stacks)

	// Three kubectl processes share two cores with the API server well: a
	// kubectl waits for the server most of the time.
	const workers = 3
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := 0, 0
	for w := range min(workers, len(stacks)) {
		files := map[string]*oracleStack{}
		for i := w; i < len(stacks); i += workers {
			files[stacks[i].out] = stacks[i]
		}
		wg.Go(func() {
			a, r := applyBatch(t, "server-side dry run", []string{"apply", "--dry-run=server", "-R"}, sentinel, files)
			mu.Lock()
			defer mu.Unlock()
			accepted, refused = accepted+a, refused+r
		})
	}
	wg.Wait()
	if accepted+refused != objects {
		t.Errorf("kubectl apply --dry-run=server accounted for %d objects (%d accepted, %d errors), want %d", accepted+refused, accepted, refused, objects)
	}
	dryRunPods(t, dir, sentinel, stacks)
}

// createCRDs applies the CustomResourceDefinitions of the stacks for
// real, one file per stack: those rendered under objects, and those of a
// stack's crds/, which type its custom resources for kdecl; and waits
// until the server serves each that it accepted.
func createCRDs(t *testing.T, dir, sentinel string, stacks []*oracleStack) {
	crdDir := filepath.Join(dir, "crds")
	if err := os.RemoveAll(crdDir); err != nil {
		t.Fatal(err)
	}
	files := map[string]*oracleStack{}
	for _, s := range stacks {
		var docs [][]byte
		for _, m := range s.objects {
			if m.kind == "CustomResourceDefinition" {
				docs = append(docs, m.yaml)
			}
		}
		typed, _ := filepath.Glob(filepath.Join(s.dir, "crds", "*.yaml"))
		for _, f := range typed {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, data)
		}
		if len(docs) > 0 {
			f := filepath.Join(crdDir, strconv.Itoa(s.index)+".yaml")
			writeFile(t, f, bytes.Join(docs, []byte("\n---\n")))
			files[f] = s
		}
	}
	if len(files) == 0 {
		return
	}
	const what = "create the CustomResourceDefinition"
	applyBatch(t, what, []string{"apply"}, sentinel, files)
	args := []string{"wait", "--for", "condition=established", "--timeout=60s"}
	for _, f := range slices.Sorted(maps.Keys(files)) {
		if !slices.ContainsFunc(files[f].problems, func(p string) bool { return strings.HasPrefix(p, what) }) {
			args = append(args, "-f", f)
		}
	}
	if len(args) > 4 {
		if stdout, stderr, err := k8s.run(args...); err != nil {
			t.Errorf("kubectl wait for the CustomResourceDefinitions: %v\n%s%s", err, stdout, stderr)
		}
	}
}

// sentinelObject is applied first in every kubectl apply: the server must
// refuse it, which proves that refusals reach the oracle, and with it
// kubectl never reports a lone error, which it would write without the
// file's name.
const sentinelObject = `apiVersion: v1
kind: ConfigMap
metadata:
  name: kdecl-oracle-sentinel
  namespace: default
data:
  ..refused: "a key that starts with .. is invalid"
`

// applyBatch runs kubectl with args over the sentinel and the files (or
// directories) of stacks, and gives each error kubectl reports to the
// stack of the file it names. It returns how many objects kubectl
// accepted and how many errors of stacks it reported.
func applyBatch(t *testing.T, what string, args []string, sentinel string, files map[string]*oracleStack) (accepted, refused int) {
	t.Helper()
	args = append(args, "-f", sentinel)
	for _, f := range slices.Sorted(maps.Keys(files)) {
		args = append(args, "-f", f)
	}
	stdout, stderr, _ := k8s.run(args...)
	if os.Getenv("KDECL_ORACLE_DIR") != "" { // kept for a look at what kubectl said
		log := fmt.Sprintf("kubectl %s\n-- stdout --\n%s-- stderr --\n%s", strings.Join(args, " "), stdout, stderr)
		f, err := os.CreateTemp(filepath.Dir(sentinel), "kubectl-*.log")
		if err == nil {
			f.WriteString(log)
			f.Close()
		}
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.TrimSpace(line) != "" {
			accepted++
		}
	}
	sentinelRefused := false
	for _, e := range kubectlErrors(stderr) {
		if strings.Contains(e, `ConfigMap "kdecl-oracle-sentinel" is invalid`) {
			sentinelRefused = true
			continue
		}
		s := stackOf(e, files)
		if s == nil {
			t.Errorf("%s: kubectl reported an error of no stack:\n%s", what, e)
			continue
		}
		refused++
		s.fail("%s: %s", what, e)
	}
	if !sentinelRefused {
		t.Errorf("%s: the API server accepted the sentinel, a ConfigMap with an invalid key: the oracle checks nothing\n%s%s", what, stdout, stderr)
	}
	return accepted, refused
}

// kubectlError starts each error kubectl reports about one object.
var kubectlError = regexp.MustCompile(`^(Error from server|error when|error: |error validating|error parsing|resource mapping not found|The \S+ "[^"]*" is invalid)`)

// kubectlErrors splits kubectl's stderr into its errors, one per object;
// warnings are not errors. kubectl writes the objects it could not map to
// a kind (a custom resource without its definition) as one list,
// [error, error], each error ending in a line of advice.
func kubectlErrors(stderr string) []string {
	stderr = strings.ReplaceAll(stderr, "first, resource mapping not found", "first\nresource mapping not found")
	var errs []string
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if strings.HasPrefix(line, "[resource mapping not found") {
			line = line[1:]
		}
		if strings.HasPrefix(line, "ensure CRDs are installed first]") {
			line = strings.TrimSuffix(line, "]")
		}
		switch {
		case line == "" || strings.HasPrefix(line, "Warning: "):
		case kubectlError.MatchString(line) || len(errs) == 0:
			errs = append(errs, line)
		default: // a message that spans lines
			errs[len(errs)-1] += "\n" + line
		}
	}
	return errs
}

// loneError is how kubectl writes an invalid object when it is the only
// error: without the file.
var loneError = regexp.MustCompile(`^The (\w+)\S* "([^"]*)" is invalid`)

// stackOf is the stack of the file an error names, or else the one stack
// with an object of the kind and name, or nil.
func stackOf(e string, files map[string]*oracleStack) *oracleStack {
	for f, s := range files {
		if strings.Contains(e, `"`+f+`"`) || strings.Contains(e, `"`+f+string(filepath.Separator)) {
			return s
		}
	}
	m := loneError.FindStringSubmatch(e)
	if m == nil {
		return nil
	}
	var found *oracleStack
	for _, s := range files {
		for _, o := range s.objects {
			if o.obj != nil && o.kind == m[1] && o.obj.GetName() == m[2] {
				if found != nil && found != s {
					return nil // ambiguous
				}
				found = s
			}
		}
	}
	return found
}

// report fails the test with each failed stack: the first few in full,
// with their CUE, the rest in a line; then a count of each kind of
// refusal, the field path without indices.
func report(t *testing.T, failed []*oracleStack, n int) {
	const full, maxCUE = 10, 16 << 10
	if len(failed) == 0 {
		return
	}
	classes := map[string][]int{}
	for i, s := range failed {
		for _, p := range s.problems {
			for _, c := range problemClasses(p) {
				if l := classes[c]; len(l) == 0 || l[len(l)-1] != s.index {
					classes[c] = append(l, s.index)
				}
			}
		}
		if i >= full {
			t.Errorf("stack %d: %s", s.index, firstLine(s.problems[0]))
			continue
		}
		src := s.src
		if len(src) > maxCUE {
			src = append(bytes.ToValidUTF8(src[:maxCUE:maxCUE], nil), fmt.Sprintf("\n… %d more bytes", len(src)-maxCUE)...)
		}
		t.Errorf("stack %d fails the oracle:\n%s\n%s", s.index, strings.Join(s.problems, "\n"), src)
	}
	var lines []string
	for _, c := range slices.SortedFunc(maps.Keys(classes), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(classes[b]), len(classes[a])), strings.Compare(a, b))
	}) {
		ix := classes[c]
		lines = append(lines, fmt.Sprintf("%4d stacks (e.g. %d): %s", len(ix), ix[0], c))
	}
	t.Errorf("%d of %d stacks fail the oracle; by kind of refusal:\n%s", len(failed), n, strings.Join(lines, "\n"))
}

var (
	// fieldError is one cause of an Invalid error: a field path and a
	// reason, as k8s.io/apimachinery's field.Error writes them.
	fieldError = regexp.MustCompile(`([A-Za-z][\w.\[\]/'-]*): (Invalid value|Required value|Unsupported value|Duplicate value|Forbidden|Too long|Too many|Not found|Internal error)`)
	indexRE    = regexp.MustCompile(`\[[^\]]*\]`)
	kindRE     = regexp.MustCompile(`(\w+)(\.[-\w.]+)? "[^"]*" is invalid`)
	quotedRE   = regexp.MustCompile(`"[^"]*"`)
	pathRE     = regexp.MustCompile(`\S*/\S*`)
	numberRE   = regexp.MustCompile(`\d+`)
	whiteRE    = regexp.MustCompile(`\s+`)
)

// problemClasses names the kinds of refusal in a problem: the check, the
// Kind and each field path, without indices and keys, with its reason;
// else the message without names and numbers.
func problemClasses(p string) []string {
	check, msg, _ := strings.Cut(p, ": ")
	kind := ""
	if m := kindRE.FindStringSubmatch(msg); m != nil {
		kind = m[1] + " "
	}
	var cs []string
	for _, m := range fieldError.FindAllStringSubmatch(msg, -1) {
		cs = append(cs, check+": "+kind+indexRE.ReplaceAllString(m[1], "[*]")+": "+m[2])
	}
	if len(cs) == 0 {
		c := quotedRE.ReplaceAllString(firstLine(msg), `"…"`)
		c = numberRE.ReplaceAllString(pathRE.ReplaceAllString(c, "…"), "N")
		cs = append(cs, check+": "+whiteRE.ReplaceAllString(c, " "))
	}
	slices.Sort(cs)
	return slices.Compact(cs)
}

// readCUE is the CUE files of a stack directory, each under its name.
func readCUE(dir string) []byte {
	var b bytes.Buffer
	files, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			data = []byte(err.Error())
		}
		fmt.Fprintf(&b, "-- %s --\n%s", f, data)
	}
	return b.Bytes()
}

// crashLine is the line of a Go program's stderr that says why it died.
func crashLine(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			return line
		}
	}
	return "no panic message"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 300 {
		line = strings.ToValidUTF8(line[:300], "") + "…"
	}
	return line
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a number", name, s)
	}
	return n
}
