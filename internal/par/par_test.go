package par

import (
	"flag"
	"sync/atomic"
	"testing"
)

// update is accepted so that go test ./... -update works in every package.
var _ = flag.Bool("update", false, "no golden files in this package")

func TestDoCallsEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 1000} {
		calls := make([]atomic.Int32, n)
		Do(n, func(i int) { calls[i].Add(1) })
		for i := range calls {
			if got := calls[i].Load(); got != 1 {
				t.Errorf("n=%d: do(%d) called %d times, want once", n, i, got)
			}
		}
	}
}

func TestFeedCallsEachValueOnce(t *testing.T) {
	const n = 1000
	calls := make([]atomic.Int32, n)
	in, wait := Feed(func(i int) { calls[i].Add(1) })
	for i := range n {
		in <- i
	}
	close(in)
	wait()
	for i := range calls {
		if got := calls[i].Load(); got != 1 {
			t.Errorf("do(%d) called %d times, want once", i, got)
		}
	}
}
