package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool runs a function over disjoint ranges on a fixed set of goroutines.
// The calling goroutine takes the first range itself, so a pool of n
// threads has n-1 helpers. A Pool is used by one caller at a time; the
// function must not Run on the same pool, and must not panic: a panic on a
// helper ends the process, and one on the caller, if recovered, leaves
// helpers running a call the pool has forgotten.
//
// The layers of one inference follow each other within microseconds, and
// waking a parked goroutine costs tens of microseconds on a loaded board
// or a virtual machine: as much as a small layer takes. So a helper that
// has finished its range spins, watching for the next one, for up to
// SpinFor before it parks; the caller likewise spins while it waits for
// the helpers. Rest says that no call follows soon (an inference is
// over): the helpers park at once instead of spinning, so a pool between
// inferences costs nothing, however briefly it rests.
//
// A goroutine about to park raises its flag (the caller's is the number of
// the call it waits for), then looks for work (or for the helpers'
// completion) once more, while the other side publishes the work, then
// looks at the flag: they cannot both miss the other's write,
// provided each side's write is ordered before its read. Go's atomics
// promise that, but qemu's arm64 emulation on x86, under which the arm64
// build is tested, translates an atomic Store followed by a Load (STLR,
// LDAR) with no fence between them: the flag could wait in the store
// buffer while the read saw no work, and both sides would sleep for ever.
// So flags are raised with Swap: a read-modify-write, which no CPU and no
// emulator lets a later read pass.
type Pool struct {
	threads int
	helpers []helper
	// The current call's function, one of the two: helper i runs part
	// i+1.
	fn      func(start, end int)
	fnParts func(part, start, end int)
	// calls numbers the calls split over helpers, from 1; helpers read it
	// with their range.
	calls uint64
	// pending counts the helpers still running the current call.
	pending atomic.Int32
	// waiting is the number of the call the caller sleeps on, until the
	// helper that finishes that call's last range takes it back to 0 and
	// sends a token on done; 0 while the caller is not asleep. A number,
	// not a flag: a helper can be held up just after finishing the last
	// range of one call for as long as it takes the caller to start the
	// next call and fall asleep on it, and must then not wake the caller.
	waiting atomic.Uint64
	done    chan struct{}
	closed  atomic.Bool
	once    sync.Once
	// resting is set by Rest and cleared by the next call: helpers that
	// see it park instead of spinning.
	resting atomic.Bool
	// spinFor is how long a goroutine spins before it parks: SpinFor,
	// or a test's.
	spinFor time.Duration
	// pause, set by tests, runs at the points of the handshake where a
	// goroutine being preempted matters, to hold it there.
	pause func(at pausePoint)
}

// pausePoint names a point of the park/wake handshake where tests can hold
// the goroutine that reaches it.
type pausePoint int

const (
	// The caller has handed a helper its range and not yet looked whether
	// the helper sleeps.
	callerPublished pausePoint = iota
	// The caller has raised waiting and not yet looked at pending.
	callerParking
	// A helper has raised its parked flag and not yet looked for work.
	helperParking
	// A helper has finished a call's last range and not yet looked whether
	// the caller sleeps.
	helperFinished
	pausePoints // how many there are
)

// hold runs the test hook, if any, at point at.
func (p *Pool) hold(at pausePoint) {
	if p.pause != nil {
		p.pause(at)
	}
}

// SpinFor is how long a helper (or the caller, waiting for the helpers)
// watches for work before it parks.
const SpinFor = 200 * time.Microsecond

// helper is one helper goroutine's mailbox, padded so that two helpers'
// flags never share a cache line.
type helper struct {
	// gen counts the calls handed to this helper; start, end are the
	// range of the latest (written before gen is raised).
	gen        atomic.Uint64
	start, end int
	// parked is 1 while the helper sleeps on wake.
	parked atomic.Int32
	wake   chan struct{}
	_      [64]byte
}

// New starts a pool of threads threads (0 or less: one per CPU). Close
// stops it.
func New(threads int) *Pool {
	return newPool(threads, SpinFor, nil)
}

// newPool is New with a spin time and the test hook pause, set before
// the helpers start (they read them as soon as they spin and park).
func newPool(threads int, spinFor time.Duration, pause func(at pausePoint)) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads, helpers: make([]helper, threads-1), done: make(chan struct{}, 1), spinFor: spinFor, pause: pause}
	for i := range p.helpers {
		h := &p.helpers[i]
		h.wake = make(chan struct{}, 1)
		go p.serve(h, i+1)
	}
	return p
}

// Threads is the number of threads Run splits work over (1 for a nil
// pool).
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Run calls fn over [0, total) split into at most Threads() contiguous
// ranges whose bounds are multiples of grain (except total), one per
// thread, and returns when all are done. It allocates nothing.
func (p *Pool) Run(total, grain int, fn func(start, end int)) {
	p.run(total, grain, fn, nil)
}

// RunParts is Run with each range's index, 0 to Threads()-1, passed to fn
// too: fn may keep per-part scratch (the same total and grain always give
// the same ranges).
func (p *Pool) RunParts(total, grain int, fn func(part, start, end int)) {
	p.run(total, grain, nil, fn)
}

// call runs part of the current call.
func (p *Pool) call(part, start, end int) {
	if p.fnParts != nil {
		p.fnParts(part, start, end)
	} else {
		p.fn(start, end)
	}
}

func (p *Pool) run(total, grain int, fn func(start, end int), fnParts func(part, start, end int)) {
	if total <= 0 {
		return
	}
	grain = max(grain, 1)
	chunks := (total + grain - 1) / grain
	parts := min(p.Threads(), chunks)
	if parts <= 1 { // (p may be nil)
		if fnParts != nil {
			fnParts(0, 0, total)
		} else {
			fn(0, total)
		}
		return
	}
	p.fn, p.fnParts = fn, fnParts
	p.calls++
	p.resting.Store(false) // helpers woken below watch for the next call again
	// Split chunks as evenly as possible: the first chunks%parts ranges get
	// one chunk more.
	per, extra := chunks/parts, chunks%parts
	bound := func(i int) int { return min((i*per+min(i, extra))*grain, total) }
	p.pending.Store(int32(parts - 1))
	for i := 1; i < parts; i++ {
		h := &p.helpers[i-1]
		h.start, h.end = bound(i), bound(i+1)
		h.gen.Add(1) // publishes fn, start and end
		p.hold(callerPublished)
		if h.parked.Load() == 1 && h.parked.CompareAndSwap(1, 0) {
			h.wake <- struct{}{}
		}
	}
	p.call(0, 0, bound(1))
	p.wait(p.calls)
	p.fn, p.fnParts = nil, nil
}

// wait returns when every helper has finished call number call: it spins
// for SpinFor, then parks until the last helper wakes it.
func (p *Pool) wait(call uint64) {
	if p.spin(func() bool { return p.pending.Load() == 0 }) {
		return
	}
	p.waiting.Swap(call) // not Store: see Pool
	p.hold(callerParking)
	if p.pending.Load() == 0 && p.waiting.CompareAndSwap(call, 0) {
		return // finished before anyone looked at waiting
	}
	<-p.done // the last helper saw waiting and sends (or sent) a token
}

// serve is a helper's loop: run each call's range, then watch for the next.
func (p *Pool) serve(h *helper, part int) {
	var seen uint64
	for {
		// Watch for the next call, unless the pool rests.
		p.spin(func() bool { return h.gen.Load() != seen || p.resting.Load() })
		if h.gen.Load() == seen {
			h.parked.Swap(1) // not Store: see Pool
			p.hold(helperParking)
			if h.gen.Load() == seen {
				<-h.wake
			} else if !h.parked.CompareAndSwap(1, 0) {
				// Work came in as we went to sleep and the caller saw the
				// flag: its token is on the way and must be taken.
				<-h.wake
			}
			// A token says only that the flag was seen raised: a caller
			// held up between handing this helper a range and looking at
			// the flag can find it raised after the helper ran that range
			// and parked. So look for new work again.
			continue
		}
		if p.closed.Load() {
			return
		}
		seen = h.gen.Load()
		call := p.calls
		p.call(part, h.start, h.end)
		if p.pending.Add(-1) == 0 {
			p.hold(helperFinished)
			if p.waiting.Load() == call && p.waiting.CompareAndSwap(call, 0) {
				p.done <- struct{}{}
			}
		}
	}
}

// Rest tells the helpers that no call follows soon: those spinning park
// at once rather than after SpinFor. The next Run wakes them. Call it
// between calls (at the end of an inference), from the goroutine that
// calls Run or one ordered with it.
func (p *Pool) Rest() {
	if p != nil {
		p.resting.Store(true)
	}
}

// spin reports whether ready became true within the pool's spin time. It
// yields the processor now and then, so that a spinning helper never
// keeps another goroutine (the camera's, the collector's) from running.
func (p *Pool) spin(ready func() bool) bool {
	var t0 time.Time
	for i := 0; ; i++ {
		if ready() {
			return true
		}
		if i%128 == 127 {
			if t0.IsZero() {
				t0 = time.Now()
			} else if time.Since(t0) > p.spinFor {
				return false
			}
			runtime.Gosched()
		}
	}
}

// Close stops the helpers; the pool must not Run afterwards. Closing twice
// is harmless.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		p.closed.Store(true)
		for i := range p.helpers {
			h := &p.helpers[i]
			h.gen.Add(1)
			if h.parked.CompareAndSwap(1, 0) {
				h.wake <- struct{}{}
			}
		}
	})
}
