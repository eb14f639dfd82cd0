package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer the progress's goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestProgress(t *testing.T) {
	var out syncBuffer
	p := newProgress(&out, 0, time.Millisecond)
	p.set("evaluating the CUE of %s", "stacks/shop")
	for !strings.Contains(out.String(), "evaluating") {
		time.Sleep(time.Millisecond)
	}
	p.pause()
	if got := out.String(); !strings.HasSuffix(got, "\r\x1b[K") || !strings.HasPrefix(got, "\r\x1b[Kkdecl: evaluating the CUE of stacks/shop (0s)") {
		t.Errorf("after pause: %q, want the line shown, then cleared", got)
	}
	n := len(out.String())
	time.Sleep(10 * time.Millisecond)
	if len(out.String()) != n {
		t.Errorf("a paused progress wrote %q", out.String()[n:])
	}
	p.set("writing %d files", 3)
	for !strings.Contains(out.String(), "writing 3 files") {
		time.Sleep(time.Millisecond)
	}
	p.end()
	p.end() // twice: once where the render ends, once deferred
	if got := out.String(); !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("after end: %q, want the line cleared", got)
	}

	var slow bytes.Buffer
	q := newProgress(&slow, time.Hour, time.Millisecond)
	q.set("quick")
	time.Sleep(10 * time.Millisecond)
	q.end()
	if slow.Len() != 0 {
		t.Errorf("a command quicker than the threshold showed %q", slow.String())
	}
	var nilProgress *progress
	nilProgress.set("x")
	nilProgress.pause()
	nilProgress.end()
}

func TestIsTerminal(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("isTerminal knows terminals on Linux only")
	}
	file, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(file) || isTerminal(null) {
		t.Error("a file or /dev/null is a terminal")
	}
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	if !isTerminal(ptmx) {
		t.Error("a pseudo-terminal is none")
	}
	if startProgress(file, false) != nil || startProgress(ptmx, true) != nil {
		t.Error("a progress on a file, or a quiet one")
	}
	if p := startProgress(ptmx, false); p == nil {
		t.Error("no progress on a terminal")
	} else {
		p.end()
	}
}
