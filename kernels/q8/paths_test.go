package q8_test

import (
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/tensor"
)

// Every test runs every operator on every kernel path this CPU supports,
// from the one table in kernels/dispatch, and compares it byte for byte
// with kernels/q8ref. Where a path's assembly is not built its Go twins
// stand in, so on any machine at least the reference and one path of
// each architecture run. Outputs sit inside buffers of sentinels that must
// come back untouched.

// path is a kernel path and its microkernels (nil for the reference).
type path struct {
	dispatch.Path
	k *q8.Kernels
}

// testPaths is every path this CPU supports; the others are logged.
func testPaths(t testing.TB) []path {
	t.Helper()
	var ps []path
	for _, p := range dispatch.Paths() {
		k, err := dispatch.Q8Kernels(p)
		if err != nil {
			t.Logf("path %v: skipped: %v", p, err)
			continue
		}
		ps = append(ps, path{p, k})
	}
	if len(ps) < 2 {
		t.Fatalf("only %v supported: the optimized kernels would go untested", ps)
	}
	return ps
}

// benchPaths is the reference and every path this CPU runs in assembly:
// the Go twins are for tests, not speed.
func benchPaths(b *testing.B) []path {
	var ps []path
	for _, p := range testPaths(b) {
		if p.k == nil || dispatch.Native(p.Path) {
			ps = append(ps, p)
		}
	}
	return ps
}

// checkRun runs a built layer on src into a guarded tensor of want's
// shape, which it returns: the layer must write want and nothing around
// it.
func checkRun(t *testing.T, what string, run func(dst, src *tensor.Int8), src, want *tensor.Int8) *tensor.Int8 {
	t.Helper()
	dst, whole := kerneltest.GuardedTensor(want.Shape)
	run(dst, src)
	kerneltest.Diff(t, what, dst.Data, want.Data)
	kerneltest.CheckGuards(t, what, whole)
	return dst
}

// checkNoAllocs fails when run allocates.
func checkNoAllocs(t *testing.T, what string, run func()) {
	t.Helper()
	if n := testing.AllocsPerRun(3, run); n != 0 {
		t.Errorf("%s: %v allocations per run", what, n)
	}
}

// badCall is a constructor call with one wrong argument.
type badCall struct {
	what string
	err  func() error
}

// checkRejects fails for each call that returns no error.
func checkRejects(t *testing.T, p path, calls []badCall) {
	t.Helper()
	for _, c := range calls {
		if c.err() == nil {
			t.Errorf("%v %s: accepted", p, c.what)
		}
	}
}
