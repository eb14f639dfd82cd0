package e2e

import (
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bigStack is a stack of n apps; version changes every app's image and
// config, so that a render of one version over the other changes every
// app's files. Apps whose index is a multiple of drop are left out, so
// that a render also adds and removes apps.
func bigStack(name string, n int, version string, drop int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nnamespace: %q\n\n", name, name)
	b.WriteString(`_web: {
	ports: http: 8080
	config: files: "app.conf": "listen=8080\n"
	probes: readiness: http: path: "/ready"
}
`)
	for i := range n {
		if drop > 0 && i%drop == 0 {
			continue
		}
		fmt.Fprintf(&b, "apps: \"app-%d\": _web & {image: \"example.com/app:%s\", config: env: V: %q}\n", i, version, version)
	}
	return b.String()
}

// readFiles reads every file under dir, hidden ones included, by slash path.
func readFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for p, data := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), []byte(data))
	}
}

// sameTree is whether a equals b, and if not, a short account of how they
// differ.
func sameTree(a, b map[string]string) (bool, string) {
	var only, changed []string
	for p, data := range a {
		if other, ok := b[p]; !ok {
			only = append(only, "-"+p)
		} else if other != data {
			changed = append(changed, p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			only = append(only, "+"+p)
		}
	}
	if len(only)+len(changed) == 0 {
		return true, ""
	}
	slices.Sort(only)
	slices.Sort(changed)
	return false, fmt.Sprintf("%d files differ in presence (first: %v), %d in content (first: %v)",
		len(only), only[:min(3, len(only))], len(changed), changed[:min(3, len(changed))])
}

// TestKilledRender kills renders of a 5,000-app stack over another render
// of it at random points, with SIGTERM and with SIGKILL. After SIGTERM the
// directory must be exactly the old render (exit 1) or exactly the new one
// (exit 0). After SIGKILL it must be exactly the old render unless the
// kill came after the commit point, which leaves the journal; then the
// next kdecl to open the directory must finish it to exactly the new
// render. Set KDECL_E2E_SEED to repeat a run.
func TestKilledRender(t *testing.T) {
	const n = 5000
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KDECL_E2E_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	stacks := t.TempDir()
	oldStack, newStack := filepath.Join(stacks, "old"), filepath.Join(stacks, "new")
	writeFile(t, filepath.Join(oldStack, "stack.cue"), []byte(bigStack("big", n, "1.0.0", 7)))
	writeFile(t, filepath.Join(newStack, "stack.cue"), []byte(bigStack("big", n, "2.0.0", 5)))
	want := map[string]map[string]string{}
	var full time.Duration
	for name, stack := range map[string]string{"old": oldStack, "new": newStack} {
		out := filepath.Join(t.TempDir(), "deploy")
		start := time.Now()
		render(t, stack, out)
		full = max(full, time.Since(start))
		want[name] = readFiles(t, out)
	}
	if ok, _ := sameTree(want["old"], want["new"]); ok || len(want["new"]) < 3*n/2 {
		t.Fatalf("the two renders are alike or small: %d and %d files", len(want["old"]), len(want["new"]))
	}

	outcomes := map[string]int{}
	for i := range 10 {
		sig := syscall.SIGTERM
		if i%2 == 1 {
			sig = syscall.SIGKILL
		}
		out := filepath.Join(t.TempDir(), "deploy")
		writeFiles(t, out, want["old"])
		cmd := exec.Command(kdecl, "render", newStack, "-o", out)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Half the kills come at any time of the render, half while it
		// writes: after .kdecl-txn appears.
		var delay time.Duration
		if i%4 < 2 {
			delay = time.Duration(rng.Int64N(int64(full)))
		} else {
			for deadline := time.Now().Add(2 * full); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				if _, err := os.Lstat(filepath.Join(out, ".kdecl-txn")); err == nil {
					break
				}
			}
			delay = time.Duration(rng.Int64N(int64(full / 10)))
		}
		time.Sleep(delay)
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		code := exitCode(err)
		_, journal := os.Lstat(filepath.Join(out, ".kdecl-txn", "journal"))
		committed := journal == nil

		// .kdecl-txn holds what a render prepared; nothing else reads it.
		got := readFiles(t, out)
		prepared := len(got)
		maps.DeleteFunc(got, func(p, _ string) bool { return strings.HasPrefix(p, ".kdecl-txn/") })
		prepared -= len(got)
		isOld, oldDiff := sameTree(want["old"], got)
		isNew, _ := sameTree(want["new"], got)
		what := fmt.Sprintf("kill %d (%v after %v): exit %d", i, sig, delay.Round(time.Millisecond), code)
		switch {
		case sig == syscall.SIGTERM && prepared > 0:
			t.Errorf("%s: left %d files in .kdecl-txn", what, prepared)
		case sig == syscall.SIGTERM && code == 1 && isOld:
			outcomes["SIGTERM before the commit point: old"]++
		case sig == syscall.SIGTERM && killedBy(cmd) == syscall.SIGTERM && isOld:
			// Killed by the signal itself: it came before kdecl's main
			// function, whose first step is to catch it, so before
			// anything was read or written.
			outcomes["SIGTERM before kdecl started: old"]++
		case sig == syscall.SIGTERM && code == 0 && isNew:
			outcomes["SIGTERM too late: new"]++
		case sig == syscall.SIGKILL && !committed && isOld:
			outcomes["SIGKILL before the commit point: old"]++
		case sig == syscall.SIGKILL && !committed && isNew:
			outcomes["SIGKILL too late: new"]++
		case sig == syscall.SIGKILL && committed:
			outcomes["SIGKILL after the commit point: finished by the next kdecl"]++
		default:
			t.Errorf("%s: the directory is neither the old render nor the new one (journal: %v); against the old: %s\nstderr: %s",
				what, committed, oldDiff, stderr.String())
		}
		if sig == syscall.SIGKILL {
			// The next kdecl finishes a committed render and removes what
			// an uncommitted one prepared.
			check := exec.Command(kdecl, "render", newStack, "-o", out, "--check")
			b, err := check.CombinedOutput()
			got := readFiles(t, out)
			isOld, _ := sameTree(want["old"], got)
			isNew, newDiff := sameTree(want["new"], got)
			switch {
			case committed && !isNew:
				t.Errorf("%s: after the commit point, the next kdecl did not finish the render: %s", what, newDiff)
			case committed && err != nil:
				t.Errorf("%s: kdecl render --check after the finished render: %v\n%s", what, err, b)
			case !isOld && !isNew:
				t.Errorf("%s: after the next kdecl, the directory is neither the old render nor the new one", what)
			}
		}
		if sig == syscall.SIGTERM && code == 1 && !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("%s: stderr does not say the render was interrupted: %s", what, stderr.String())
		}
	}
	for _, o := range slices.Sorted(maps.Keys(outcomes)) {
		t.Logf("%2d× %s", outcomes[o], o)
	}
}

// killedBy is the signal that ended the command's process, if one did.
func killedBy(cmd *exec.Cmd) syscall.Signal {
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}

// TestConcurrentRenders starts two renders into one deploy directory at
// once. Renders of one stack both succeed, one after the other, and the
// directory is exactly one of them; a render of another stack waits for
// the first and then refuses to mix its files with the first one's.
func TestConcurrentRenders(t *testing.T) {
	const n = 1000
	stacks := t.TempDir()
	write := func(name, cue string) string {
		dir := filepath.Join(stacks, name)
		writeFile(t, filepath.Join(dir, "stack.cue"), []byte(cue))
		return dir
	}
	a1 := write("a1", bigStack("a", n, "1.0.0", 0))
	a2 := write("a2", bigStack("a", n, "2.0.0", 3))
	b := write("b", bigStack("b", n, "1.0.0", 0))
	renders := map[string]map[string]string{}
	for _, stack := range []string{a1, a2, b} {
		out := filepath.Join(t.TempDir(), "deploy")
		render(t, stack, out)
		renders[stack] = readFiles(t, out)
	}

	type result struct {
		stack  string
		code   int
		stderr string
	}
	race := func(out string, stacks ...string) []result {
		results := make([]result, len(stacks))
		var wg sync.WaitGroup
		for i, stack := range stacks {
			wg.Go(func() {
				cmd := exec.Command(kdecl, "render", stack, "-o", out)
				var stderr strings.Builder
				cmd.Stderr = &stderr
				err := cmd.Run()
				results[i] = result{stack, exitCode(err), stderr.String()}
			})
		}
		wg.Wait()
		return results
	}

	t.Run("same stack", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "deploy")
		results := race(out, a1, a2)
		for _, r := range results {
			if r.code != 0 {
				t.Errorf("render of %s: exit %d\n%s", filepath.Base(r.stack), r.code, r.stderr)
			}
		}
		got := readFiles(t, out)
		isA1, _ := sameTree(renders[a1], got)
		isA2, _ := sameTree(renders[a2], got)
		if !isA1 && !isA2 {
			t.Errorf("the directory is neither render")
		}
	})

	t.Run("two stacks", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "deploy")
		results := race(out, a1, b)
		var won, lost []result
		for _, r := range results {
			if r.code == 0 {
				won = append(won, r)
			} else {
				lost = append(lost, r)
			}
		}
		if len(won) != 1 || len(lost) != 1 {
			t.Fatalf("want one render to succeed and one to fail, got %+v", results)
		}
		if other := map[string]string{a1: "b", b: "a"}[lost[0].stack]; !strings.Contains(lost[0].stderr, "rendered from stack "+other) {
			t.Errorf("the render that lost does not name the other stack:\n%s", lost[0].stderr)
		}
		if ok, diff := sameTree(renders[won[0].stack], readFiles(t, out)); !ok {
			t.Errorf("the directory is not exactly the render that won: %s", diff)
		}
	})
}

// killedAfterCommit renders newStack over the render old, in a directory
// of its own, and kills kdecl with SIGKILL as soon as the render's journal
// appears: after its commit point, before the journal is carried out. It
// tries again when the render was too quick to catch, and returns what the
// directory then holds, .kdecl-txn included.
func killedAfterCommit(t *testing.T, old map[string]string, newStack string) map[string]string {
	t.Helper()
	for try := 1; try <= 20; try++ {
		out := filepath.Join(t.TempDir(), "deploy")
		writeFiles(t, out, old)
		cmd := exec.Command(kdecl, "render", newStack, "-o", out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		journal := filepath.Join(out, ".kdecl-txn", "journal")
	poll:
		for {
			select {
			case <-done:
				break poll // the render ended first
			default:
			}
			if _, err := os.Lstat(journal); err == nil {
				cmd.Process.Kill()
				<-done
				break
			}
		}
		if _, err := os.Lstat(journal); err == nil {
			t.Logf("killed after the commit point at try %d", try)
			return readFiles(t, out)
		}
	}
	t.Fatal("no render was killed after its commit point in 20 tries")
	return nil
}

// TestReadersFinishRender: every command that reads a deploy directory
// finishes a render that was killed after its commit point before it
// reads, as the next render does, and so reads exactly the new render,
// never the old and new half and half; and it leaves the directory exactly
// the new render.
func TestReadersFinishRender(t *testing.T) {
	const n = 1000
	stacks := t.TempDir()
	oldStack, newStack := filepath.Join(stacks, "old"), filepath.Join(stacks, "new")
	writeFile(t, filepath.Join(oldStack, "stack.cue"), []byte(bigStack("big", n, "1.0.0", 7)))
	writeFile(t, filepath.Join(newStack, "stack.cue"), []byte(bigStack("big", n, "2.0.0", 5)))
	oldDir, newDir := filepath.Join(t.TempDir(), "old"), filepath.Join(t.TempDir(), "new")
	render(t, oldStack, oldDir)
	render(t, newStack, newDir)
	want := readFiles(t, newDir)
	killed := killedAfterCommit(t, readFiles(t, oldDir), newStack)
	outside := maps.Clone(killed)
	maps.DeleteFunc(outside, func(p, _ string) bool { return strings.HasPrefix(p, ".kdecl-txn/") })
	if isNew, diff := sameTree(want, outside); !isNew {
		t.Logf("outside .kdecl-txn, the killed render left, against the new render: %s", diff)
	}

	kdeclOut := func(args ...string) (string, int, string) {
		t.Helper()
		cmd := exec.Command(kdecl, args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), exitCode(err), stderr.String()
	}
	reviewNew, code, stderr := kdeclOut("review", "--from", oldDir, "--to", newDir, "--format", "json")
	if code != 0 || !strings.Contains(reviewNew, `"change": "removed"`) {
		t.Fatalf("review of the two renders: exit %d\n%s%s", code, reviewNew, stderr)
	}
	importNew, code, stderr := kdeclOut("import", newDir, "--name", "big", "-o", "-")
	if code != 0 {
		t.Fatalf("import of the new render: exit %d\n%s", code, stderr)
	}
	// DIR stands for the directory of the killed render.
	for _, tc := range []struct {
		name   string
		args   []string
		stdout string
	}{
		{"render --check", []string{"render", newStack, "-o", "DIR", "--check"}, ""},
		{"diff", []string{"diff", newStack, "-o", "DIR"}, ""},
		{"review -o", []string{"review", newStack, "-o", "DIR"}, "No change.\n"},
		{"review --to", []string{"review", "--from", oldDir, "--to", "DIR", "--format", "json"}, reviewNew},
		{"review --from", []string{"review", "--from", "DIR", "--to", newDir}, "No change.\n"},
		{"import", []string{"import", "DIR", "--name", "big", "-o", "-"}, importNew},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deploy")
			writeFiles(t, dir, killed)
			args := slices.Clone(tc.args)
			args[slices.Index(args, "DIR")] = dir
			stdout, code, stderr := kdeclOut(args...)
			if code != 0 || stdout != tc.stdout {
				t.Errorf("exit %d, want 0; stdout as expected: %v\nstdout (first lines): %.600s\nstderr: %s", code, stdout == tc.stdout, stdout, stderr)
			}
			if ok, diff := sameTree(want, readFiles(t, dir)); !ok {
				t.Errorf("the directory is not the new render: %s", diff)
			}
		})
	}
}
