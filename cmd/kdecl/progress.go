package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress shows, on a terminal, what a command that takes more than a
// second is doing: one line, rewritten in place, cleared when it ends.
// A nil progress shows nothing.
type progress struct {
	w     io.Writer
	after time.Duration // shown only after this long
	start time.Time

	mu    sync.Mutex
	phase string
	shown string // the line shown, "" for none
	stop  chan struct{}
	done  chan struct{}
}

// startProgress starts a progress on stderr, nil unless stderr is a
// terminal and quiet is off.
func startProgress(stderr io.Writer, quiet bool) *progress {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !isTerminal(f) {
		return nil
	}
	return newProgress(stderr, time.Second, 200*time.Millisecond)
}

func newProgress(w io.Writer, after, every time.Duration) *progress {
	p := &progress{w: w, after: after, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.show()
			}
		}
	}()
	return p
}

// set names what the command does now.
func (p *progress) set(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.phase = fmt.Sprintf(format, args...)
	p.mu.Unlock()
}

func (p *progress) show() {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.start)
	if p.phase == "" || elapsed < p.after {
		return
	}
	line := fmt.Sprintf("kdecl: %s (%.0fs)", printable(p.phase), elapsed.Seconds())
	if line != p.shown {
		fmt.Fprint(p.w, "\r\x1b[K"+line)
		p.shown = line
	}
}

// pause clears the line until the next set: for a message on stderr.
func (p *progress) pause() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase = ""
	if p.shown != "" {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = ""
	}
}

// end clears the line, if it was shown; a message on stderr comes after.
func (p *progress) end() {
	if p == nil {
		return
	}
	select {
	case <-p.stop:
		return // ended before
	default:
	}
	close(p.stop)
	<-p.done
	p.pause()
}

type progressKey struct{}

// withProgress has build and the commands find p in ctx.
func withProgress(ctx context.Context, p *progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

func progressOf(ctx context.Context) *progress {
	p, _ := ctx.Value(progressKey{}).(*progress)
	return p
}
