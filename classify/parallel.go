package classify

import (
	"runtime"
	"sync"
)

// Parallel calls work(worker, i) for every i in [0, n), spreading the
// items over workers goroutines; worker (0..workers-1) tells the callee
// which of its per-goroutine resources (a compiled model, a buffer) to use.
// progress, if not nil, is called after each item with the count done so
// far, one call at a time.
func Parallel(n, workers int, work func(worker, i int), progress func(done, total int)) {
	next := make(chan int)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for w := range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				work(w, i)
				if progress != nil {
					mu.Lock()
					done++
					progress(done, n)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// Workers is how many workers to use for items: at most requested, and
// no more than the items or the CPU cores, since each worker holds a
// compiled model of its own and more than one per core only costs memory.
func Workers(requested, items int) int {
	return max(1, min(requested, items, runtime.NumCPU()))
}
