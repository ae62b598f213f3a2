package workers

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/internal/alloctest"
)

func TestRunCoversEveryIndexOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		p := New(threads)
		for _, total := range []int{0, 1, 2, 5, 16, 17, 100, 1001} {
			for _, grain := range []int{1, 2, 4, 7} {
				hits := make([]int32, total)
				var ranges atomic.Int32
				p.Run(total, grain, func(start, end int) {
					ranges.Add(1)
					if start%grain != 0 {
						t.Errorf("threads %d total %d grain %d: range starts at %d", threads, total, grain, start)
					}
					for i := start; i < end; i++ {
						atomic.AddInt32(&hits[i], 1)
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Fatalf("threads %d total %d grain %d: index %d computed %d times", threads, total, grain, i, h)
					}
				}
				if r := int(ranges.Load()); r > threads {
					t.Errorf("threads %d: %d ranges", threads, r)
				}
			}
		}
		p.Close()
		p.Close()
	}
}

func TestRunUsesTheHelpers(t *testing.T) {
	p := New(2)
	defer p.Close()
	var arrived atomic.Int32
	met := make([]bool, 2)
	p.Run(2, 1, func(start, end int) {
		arrived.Add(1)
		deadline := time.Now().Add(2 * time.Second)
		for arrived.Load() < 2 && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		met[start] = arrived.Load() == 2
	})
	if !met[0] || !met[1] {
		t.Errorf("the two ranges of a pool of 2 did not run at the same time: %v", met)
	}
}

func TestRunAllocatesNothing(t *testing.T) {
	p := New(2)
	defer p.Close()
	sum := make([]int, 2)
	fn := func(start, end int) {
		for i := start; i < end; i++ {
			sum[min(start, 1)] += i
		}
	}
	p.Run(1000, 4, fn)
	alloctest.Neonet(t, func() {
		for range 100 {
			p.Run(1000, 4, fn)
		}
	})
}

func TestCloseStopsTheGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	p := New(4)
	p.Run(10, 1, func(int, int) {})
	p.Close()
	waitForGoroutines(t, before)
}

// waitForGoroutines fails the test unless the goroutines are back to
// before within two seconds.
func waitForGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before the pools", n, before)
	}
}

// TestRunAfterHelpersPark runs calls far enough apart that the helpers
// (and, with a slow helper, the caller) have given up spinning and parked:
// every call must still run every range once and return.
func TestRunAfterHelpersPark(t *testing.T) {
	p := New(3)
	defer p.Close()
	for round := range 6 {
		time.Sleep(3 * SpinFor)
		var sum atomic.Int64
		p.Run(300, 1, func(start, end int) {
			if round%2 == 1 && start > 0 {
				time.Sleep(2 * SpinFor) // the caller parks waiting for this helper
			}
			for i := start; i < end; i++ {
				sum.Add(int64(i))
			}
		})
		if got, want := sum.Load(), int64(299*300/2); got != want {
			t.Fatalf("round %d: sum %d, want %d", round, got, want)
		}
	}
}

// TestNoWakeUpIsLost runs calls separated by gaps spread around SpinFor, so
// that over and over a helper (or the caller) is deciding to park just as
// the next call (or the last range) arrives. A lost wake-up hangs Run; the
// test fails then instead of waiting for the test binary's timeout. Under
// qemu it caught the flags raised with Store (see Pool) in 2 runs of 7;
// with Swap, none of 9 hung.
func TestNoWakeUpIsLost(t *testing.T) {
	calls := 20000
	if testing.Short() {
		calls = 300
	}
	p := New(3)
	defer p.Close()
	finished := make(chan int, 1)
	var progress atomic.Int64
	go func() {
		var ranges atomic.Int64
		for i := range calls {
			gap := time.Duration(i%41) * SpinFor / 20 // 0 to 2 x SpinFor
			for t0 := time.Now(); time.Since(t0) < gap; {
			}
			p.Run(3, 1, func(start, end int) {
				if start == 2 && i%3 == 0 {
					// A slow last range: the caller decides to park.
					for t0 := time.Now(); time.Since(t0) < gap; {
					}
				}
				ranges.Add(int64(end - start))
			})
			progress.Store(int64(i + 1))
		}
		finished <- int(ranges.Load())
	}()
	select {
	case n := <-finished:
		if n != 3*calls {
			t.Errorf("%d ranges run in %d calls of 3", n, calls)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("Run has not returned for 2 minutes, at call %d of %d: a wake-up was lost", progress.Load()+1, calls)
	}
}

// TestAHeldUpHelperDoesNotEndTheNextCall holds up the helper that finished
// a call's last range, before it looks whether the caller sleeps, until the
// caller has started the next call and fallen asleep waiting for it (as a
// helper preempted at that point would be). The next call must still
// return only after all its ranges ran.
func TestAHeldUpHelperDoesNotEndTheNextCall(t *testing.T) {
	var hold atomic.Bool
	release := make(chan struct{})
	p := newPool(2, SpinFor, func(at pausePoint) {
		if at == helperFinished && hold.CompareAndSwap(true, false) {
			<-release
		}
	})
	defer p.Close()
	hold.Store(true)
	p.Run(2, 1, func(int, int) {}) // returns; its helper is held
	go func() {
		time.Sleep(20 * SpinFor) // the caller is asleep in the next call by then
		close(release)
	}()
	var ran atomic.Int32
	p.Run(2, 1, func(start, _ int) {
		if start == 1 {
			time.Sleep(4 * SpinFor) // the helper's range ends well after a wrong token
		}
		ran.Add(1)
	})
	if n := ran.Load(); n != 2 {
		t.Fatalf("Run returned after %d of its 2 ranges", n)
	}
}

// TestALateWakeUpRunsNoRangeTwice holds up the caller after it has handed
// the helper its range, before it looks whether the helper sleeps, until the
// helper has run that range and fallen asleep waiting for the next (as a
// caller preempted at that point would be). The caller then finds the
// helper asleep and wakes it, with no new work for it: the helper must go
// back to sleep, not run its range again.
func TestALateWakeUpRunsNoRangeTwice(t *testing.T) {
	var hold atomic.Bool
	p := newPool(2, SpinFor, func(at pausePoint) {
		if at == callerPublished && hold.CompareAndSwap(true, false) {
			time.Sleep(50 * SpinFor) // the helper has run its range and parked by then
		}
	})
	defer p.Close()
	for round := range 3 {
		hold.Store(true)
		var ran [2]atomic.Int32
		p.Run(2, 1, func(start, _ int) { ran[start].Add(1) })
		time.Sleep(50 * SpinFor) // a range run twice would run by then
		if a, b := ran[0].Load(), ran[1].Load(); a != 1 || b != 1 {
			t.Fatalf("round %d: the two ranges ran %d and %d times", round, a, b)
		}
	}
}

// TestRunSurvivesPausesAnywhere holds the caller and the helpers, at random,
// for random times around SpinFor at every point of the handshake where
// being preempted matters, over thousands of calls: every call must run
// each of its ranges exactly once, before it returns, and return.
func TestRunSurvivesPausesAnywhere(t *testing.T) {
	calls := 10000
	if testing.Short() {
		calls = 300
	}
	const threads = 3
	var held [pausePoints]atomic.Int32
	var seed atomic.Uint64
	p := newPool(threads, SpinFor, func(at pausePoint) {
		// A cheap generator shared by the goroutines: its quality
		// matters less than its spread of pauses.
		x := seed.Add(0x9e3779b97f4a7c15)
		x ^= x >> 29
		x *= 0xbf58476d1ce4e5b9
		x ^= x >> 32
		if x%4 != 0 {
			return
		}
		held[at].Add(1)
		pause := time.Duration(x>>8%400) * SpinFor / 100 // 0 to 4 x SpinFor
		for t0 := time.Now(); time.Since(t0) < pause; {
			runtime.Gosched()
		}
	})
	defer p.Close()
	var ran [threads]atomic.Int32
	var late atomic.Int32 // ranges run after their call returned
	var running atomic.Bool
	finished := make(chan string, 1)
	var progress atomic.Int64
	go func() {
		for i := range calls {
			for r := range ran {
				ran[r].Store(0)
			}
			running.Store(true)
			p.Run(threads, 1, func(start, _ int) {
				if !running.Load() {
					late.Add(1)
				}
				ran[start].Add(1)
			})
			running.Store(false)
			for r := range ran {
				if n := ran[r].Load(); n != 1 {
					finished <- fmt.Sprintf("call %d: range %d ran %d times before Run returned", i, r, n)
					return
				}
			}
			progress.Store(int64(i + 1))
		}
		finished <- ""
	}()
	select {
	case msg := <-finished:
		if msg != "" {
			t.Fatal(msg)
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("Run has not returned for 3 minutes, at call %d of %d", progress.Load()+1, calls)
	}
	if n := late.Load(); n != 0 {
		t.Errorf("%d ranges ran after their call had returned", n)
	}
	for at := range pausePoints {
		t.Logf("held at point %d: %d times", at, held[at].Load())
		if held[at].Load() == 0 {
			t.Errorf("no goroutine was held at pause point %d: the test does not cover it", at)
		}
	}
}

// TestCloseStopsParkedAndSpinningHelpers closes one pool right after a
// call (helpers spinning) and one after they parked; both helpers' loops
// must end.
func TestCloseStopsParkedAndSpinningHelpers(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, idle := range []time.Duration{0, 3 * SpinFor} {
		p := New(4)
		p.Run(8, 1, func(int, int) {})
		time.Sleep(idle)
		p.Close()
	}
	waitForGoroutines(t, before)
}

// TestNilPoolRunsOnTheCaller: a nil pool is one thread, the caller.
func TestNilPoolRunsOnTheCaller(t *testing.T) {
	var p *Pool
	n := 0
	p.Run(10, 3, func(start, end int) { n += end - start })
	p.RunParts(10, 3, func(part, start, end int) { n += end - start + part })
	if n != 20 {
		t.Errorf("nil pool covered %d indexes, want 20", n)
	}
}

// TestRestParksTheHelpers gives helpers a spin time of an hour: after a
// call they would spin on, but Rest must park them at once, and a pool
// at rest must use no CPU time. The next call wakes them and runs every
// range.
func TestRestParksTheHelpers(t *testing.T) {
	const threads = 3
	p := newPool(threads, time.Hour, nil)
	defer p.Close()
	for round := range 3 {
		var sum atomic.Int64
		p.Run(300, 1, func(start, end int) {
			for i := start; i < end; i++ {
				sum.Add(int64(i))
			}
		})
		if got, want := sum.Load(), int64(299*300/2); got != want {
			t.Fatalf("round %d: sum %d, want %d", round, got, want)
		}
		p.Rest()
		deadline := time.Now().Add(5 * time.Second)
		for parked := 0; parked < threads-1; {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d of %d helpers parked 5 s after Rest", round, parked, threads-1)
			}
			time.Sleep(time.Millisecond)
			parked = 0
			for i := range p.helpers {
				parked += int(p.helpers[i].parked.Load())
			}
		}
		cpu0 := processCPU(t)
		time.Sleep(200 * time.Millisecond)
		if used := processCPU(t) - cpu0; used > 50*time.Millisecond {
			t.Errorf("round %d: the process used %v of CPU time in 200 ms at rest", round, used)
		}
	}
}

// processCPU is the CPU time this process has used, every thread.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
