package alloctest

import (
	"runtime"
	"strings"
	"testing"
)

// Neonet runs fn with every allocation recorded in the memory profile and
// fails t once for each stack with a neonet function on it that allocated
// meanwhile. It returns how many wait records the runtime allocated for
// parking goroutines (allowed, see the package comment). Allocations with
// no neonet function on their stack, the runtime's background work, are
// ignored. Tests using it must not run in parallel with other tests.
func Neonet(t testing.TB, fn func()) (waitRecords int) {
	t.Helper()
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 1
	caller := callerFunction()
	before := sites()
	fn()
	after := sites()
	for stack, n := range after {
		n -= before[stack]
		switch {
		case n <= 0, strings.Contains(stack, "alloctest.sites\n"):
		case strings.Contains(stack, "runtime.acquireSudog\n"):
			waitRecords += int(n)
		case isNeonet(stack, caller):
			t.Errorf("%d allocations at\n%s", n, stack)
		}
	}
	return waitRecords
}

// isNeonet reports whether stack has a neonet function on it other than
// Neonet and the test function calling it, whose own bookkeeping is not
// what is measured.
func isNeonet(stack, caller string) bool {
	for f := range strings.SplitSeq(strings.TrimSuffix(stack, "\n"), "\n") {
		if strings.HasPrefix(f, "neonet.dev/") && f != caller && f != "neonet.dev/neonet/internal/alloctest.Neonet" {
			return true
		}
	}
	return false
}

// callerFunction names the function that called Neonet.
func callerFunction() string {
	pc, _, _, ok := runtime.Caller(2)
	if !ok {
		return ""
	}
	return runtime.FuncForPC(pc).Name()
}

// sites returns the memory profile's allocation counts by stack (one
// function per line, innermost first). A garbage collection publishes the
// profile, the latest cycle's two collections late.
func sites() map[string]int64 {
	runtime.GC()
	runtime.GC()
	var records []runtime.MemProfileRecord
	for {
		n, ok := runtime.MemProfile(records, true)
		if ok {
			records = records[:n]
			break
		}
		records = make([]runtime.MemProfileRecord, n+64)
	}
	stacks := make(map[string]int64, len(records))
	for _, r := range records {
		var b strings.Builder
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			b.WriteString(f.Function + "\n")
			if !more {
				break
			}
		}
		stacks[b.String()] += r.AllocObjects
	}
	return stacks
}
