package workers

import (
	"runtime"
	"sync"
)

// Pool runs a function over disjoint ranges on a fixed set of goroutines.
// The calling goroutine takes the first range itself, so a pool of n
// threads has n-1 helpers. A Pool is used by one caller at a time.
type Pool struct {
	threads int
	work    []chan job
	wg      sync.WaitGroup
	once    sync.Once
}

type job struct {
	fn         func(start, end int)
	start, end int
}

// New starts a pool of threads threads (0 or less: one per CPU). Close
// stops it.
func New(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads, work: make([]chan job, threads-1)}
	for i := range p.work {
		ch := make(chan job, 1)
		p.work[i] = ch
		go func() {
			for j := range ch {
				j.fn(j.start, j.end)
				p.wg.Done()
			}
		}()
	}
	return p
}

// Threads is the number of threads work is split over, the caller's
// included.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Run calls fn on ranges that cover [0, total) without overlap and returns
// when all are done. Range boundaries are multiples of grain (except the
// end), so tiled kernels keep whole tiles; fewer ranges than threads are
// used when there is not enough work. A nil pool runs fn(0, total).
func (p *Pool) Run(total, grain int, fn func(start, end int)) {
	if total <= 0 {
		return
	}
	grain = max(grain, 1)
	chunks := (total + grain - 1) / grain
	parts := min(p.Threads(), chunks)
	if parts <= 1 {
		fn(0, total)
		return
	}
	// Split chunks as evenly as possible: the first chunks%parts ranges get
	// one chunk more.
	per, extra := chunks/parts, chunks%parts
	bound := func(i int) int { return min((i*per+min(i, extra))*grain, total) }
	p.wg.Add(parts - 1)
	for i := 1; i < parts; i++ {
		p.work[i-1] <- job{fn, bound(i), bound(i + 1)}
	}
	fn(0, bound(1))
	p.wg.Wait()
}

// Close stops the helpers; the pool must not be used afterwards. It is
// safe to call more than once.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		for _, ch := range p.work {
			close(ch)
		}
	})
}
