// Package par runs independent calls on all processors.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Do calls do(i) for each i in [0, n), on as many goroutines as there
// are processors, and returns when every call has. Calls for different i
// must not depend on each other.
func Do(n int, do func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				do(i)
			}
		})
	}
	wg.Wait()
}

// Feed starts as many goroutines as there are processors, which call do
// for each value sent on the channel it returns; close the channel, then
// call wait, which returns when every call has. The sender can go on
// with work of its own meanwhile.
func Feed[T any](do func(T)) (in chan<- T, wait func()) {
	ch := make(chan T, 64)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for v := range ch {
				do(v)
			}
		})
	}
	return ch, wg.Wait
}
